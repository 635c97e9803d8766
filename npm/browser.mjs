// Browsers, web workers, edge runtimes, Deno: a plain ES module, no bundler plugin needed.
//
//   import { init, PolicyEngine } from 'toolgate';   // or '/node_modules/toolgate/browser.mjs'
//   await init();                                    // fetches wasm/toolgate_bg.wasm next to this file
//   const engine = new PolicyEngine(policy);
//
// Where fetching is not possible (e.g. a worker that imports the .wasm as a module), pass the
// bytes or the compiled module: `initSync({ module })` or `await init(module)`.
import * as raw from './wasm/toolgate.mjs';
import { createApi } from './api.mjs';

let ready = false;

const api = createApi(raw, {
  ready: () => ready,
  hint: 'call `await init()` (or `initSync({ module })`) before using toolgate in a browser',
});

export const { PolicyEngine, ToolgateError, PolicyError, denialResult, version } = api;
export const { diff, runTests } = api;

/**
 * Loads the wasm: with no argument from `toolgate_bg.wasm` beside the glue (bundlers see the
 * `new URL(..., import.meta.url)` and ship the file); otherwise from the URL, Response, bytes or
 * WebAssembly.Module given. Safe to call more than once.
 */
export async function init(source) {
  await raw.default(source === undefined ? undefined : { module_or_path: source });
  ready = true;
}

/** Loads the wasm synchronously from bytes or a compiled WebAssembly.Module: `initSync({ module })`. */
export function initSync(source) {
  const module = source !== null && typeof source === 'object' && 'module' in source ? source.module : source;
  raw.initSync({ module });
  ready = true;
}
