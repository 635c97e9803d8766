'use strict';
// Node, CommonJS: `require('toolgate')`. The wasm is compiled and instantiated synchronously
// when this file loads, so a PolicyEngine can be built on the next line.
const raw = require('./wasm/toolgate.cjs');
const { createApi } = require('./api.cjs');

const api = createApi(raw, { ready: () => true, hint: '' });

/** Nothing to do under Node: the wasm is loaded synchronously. Kept so isomorphic code can `await init()`. */
function init(_source) {
  return Promise.resolve();
}

/** Nothing to do under Node (see `init`). */
function initSync(_source) {}

module.exports = {
  PolicyEngine: api.PolicyEngine,
  ToolgateError: api.ToolgateError,
  PolicyError: api.PolicyError,
  denialResult: api.denialResult,
  version: api.version,
  diff: api.diff,
  runTests: api.runTests,
  init,
  initSync,
};
