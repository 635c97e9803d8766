// Browsers, web workers, edge runtimes, Deno: a plain ES module, no bundler plugin needed.
//
//   import { init, PolicyEngine } from 'toolgate';   // or '/node_modules/toolgate/browser.mjs'
//   await init();                                    // fetches wasm/toolgate_bg.wasm and wasm/toolgate_tools_bg.wasm
//   const engine = new PolicyEngine(policy);
//
// The package is two wasm modules: the gateway module (PolicyEngine: evaluate, check, plan/finish,
// release, filterTools, state) and the tools module (validate with lint, simulate, diff, runTests).
// `init()` loads both, in parallel. A page that only decides calls can load the gateway module
// alone with `init(source, { tools: false })`, and the tools module later with `initTools()`.
//
// Where fetching is not possible (e.g. a worker that imports the .wasm as a module), pass the
// bytes or the compiled modules: `initSync({ module, tools })` or `await init(module, { tools })`.
import * as raw from './wasm/toolgate.mjs';
import * as rawTools from './wasm/toolgate_tools.mjs';
import { createApi } from './api.mjs';

let ready = false;
let toolsReady = false;

const api = createApi(raw, {
  ready: () => ready,
  hint: 'call `await init()` (or `initSync({ module })`) before using toolgate in a browser',
  tools: () => (toolsReady ? rawTools : null),
  toolsHint: 'validate, simulate, diff and runTests need the tools module: call `await init()` without `{ tools: false }`, or `await initTools()`',
});

export const { PolicyEngine, ToolgateError, PolicyError, denialResult, version } = api;
export const { diff, runTests } = api;

/**
 * Loads the wasm: with no argument from `toolgate_bg.wasm` beside the glue (bundlers see the
 * `new URL(..., import.meta.url)` and ship the file); otherwise from the URL, Response, bytes or
 * WebAssembly.Module given. Also loads the tools module (from `options.tools`, or
 * `toolgate_tools_bg.wasm` beside the glue) unless `options.tools` is `false`. Safe to call more than once.
 */
export async function init(source, options) {
  const toolsSource = options === undefined || options === null ? undefined : options.tools;
  await Promise.all([
    raw.default(source === undefined ? undefined : { module_or_path: source }).then(() => {
      ready = true;
    }),
    toolsSource === false ? null : initTools(toolsSource),
  ]);
}

/** Loads the tools module (validate, simulate, diff, runTests) on its own, e.g. after `init(source, { tools: false })`. */
export async function initTools(source) {
  await rawTools.default(source === undefined ? undefined : { module_or_path: source });
  toolsReady = true;
}

/**
 * Loads the wasm synchronously from bytes or a compiled WebAssembly.Module: `initSync({ module })`
 * loads the gateway module; `initSync({ module, tools })` the tools module too.
 */
export function initSync(source) {
  const wrapped = source !== null && typeof source === 'object' && 'module' in source;
  const module = wrapped ? source.module : source;
  raw.initSync({ module });
  ready = true;
  if (wrapped && source.tools !== undefined) {
    rawTools.initSync({ module: source.tools });
    toolsReady = true;
  }
}
