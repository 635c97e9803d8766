// The same types resolved from an ES module (`import` condition) — and the browser entry's subpath.
import { PolicyEngine, type Decision } from 'toolgate';
import { init, initSync } from 'toolgate/web';

await init();
await init(new URL('https://cdn.example/toolgate_bg.wasm'));
initSync({ module: new Uint8Array(8) });
const d: Decision = new PolicyEngine(null).evaluate({ tool: 'x' });
const rule: string = d.rule;
void rule;
