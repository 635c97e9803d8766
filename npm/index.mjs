// Node, ES modules: `import { PolicyEngine } from 'toolgate'`. Synchronous too: this re-exports
// the CommonJS entry, so `import` and `require` share one wasm instance and one set of classes
// (an error thrown under one is `instanceof` the class seen by the other).
import api from './index.cjs';

export const { PolicyEngine, ToolgateError, PolicyError, denialResult, version, init, initSync, initTools } = api;
export const { diff, runTests } = api;
