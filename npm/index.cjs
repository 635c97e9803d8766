'use strict';
// Node, CommonJS: `require('toolgate')`. The gateway module (PolicyEngine: evaluate, check,
// plan/finish, release, filterTools, state) is compiled and instantiated synchronously when this
// file loads, so a PolicyEngine can be built on the next line. The tools module (validate with
// lint, simulate, diff, runTests) is loaded synchronously the first time one of those is called.
const raw = require('./wasm/toolgate.cjs');
const { createApi } = require('./api.cjs');

const api = createApi(raw, {
  ready: () => true,
  hint: '',
  tools: () => require('./wasm/toolgate_tools.cjs'),
  toolsHint: '',
});

/** Nothing to do under Node: the wasm is loaded synchronously. Kept so isomorphic code can `await init()`. */
function init(_source, _options) {
  return Promise.resolve();
}

/** Nothing to do under Node (see `init`). */
function initSync(_source) {}

/** Nothing to do under Node: the tools module is loaded on first use. */
function initTools(_source) {
  return Promise.resolve();
}

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
  initTools,
};
