// serde-wasm-bindgen against JSON text at each boundary of the facade, in one run (one process):
// call in, decision out, simulate in, simulate out. Run: bash tests/bench/boundaries.sh (it builds
// the facade with the never-shipped feature `bench-serde-wasm-bindgen` and runs this file).
// What the package ships is the JSON-text form (the `evaluate`/`simulate` rows' first column).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const raw = require(new URL(process.argv[2], `file://${process.cwd()}/`).pathname);
const QUICK = process.env.TOOLGATE_BENCH_QUICK === '1';
const T0 = 1767225600000;
const POLICY = JSON.stringify({
  version: '1',
  default: 'deny',
  all_tools: { limits: [{ counter: 'calls', window: 'minute', max: 600 }] },
  tools: {
    list_customers: {},
    get_customer: {},
    create_refund: { deny_if: [{ conditions: [{ path: 'args.amount', op: 'gt', value: 10000 }], on_deny: 'Refunds over 10000 need a human.' }] },
    delete_customer: { deny_if: [{ conditions: [], on_deny: 'Never.' }] },
  },
});
const CALLS = [
  { tool: 'list_customers', args: { limit: 20, cursor: 'abc' } },
  { tool: 'get_customer', args: { id: 'cus_123' } },
  { tool: 'create_refund', args: { amount: 50, reason: 'late delivery', customer: 'cus_123' } },
  { tool: 'create_refund', args: { amount: 50000, reason: 'fraud', customer: 'cus_9' } },
  { tool: 'delete_customer', args: { id: 'cus_123' } },
  { tool: 'drop_tables', args: {} },
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/**
 * Milliseconds of CPU time (user + system) of this process since `start`: on a shared machine
 * wall-clock time mostly measures the other processes.
 */
function cpuMs(start) {
  const c = process.cpuUsage(start);
  return (c.user + c.system) / 1000;
}
/** Median µs per call over batches, the variants interleaved batch by batch (same load for each). */
function perCall(variants, { batches = QUICK ? 30 : 150, batch = 1000 } = {}) {
  const times = variants.map(() => []);
  for (const [, fn] of variants) for (let i = 0; i < 20000; i++) fn(CALLS[i % CALLS.length], i);
  let k = 0;
  for (let b = 0; b < batches; b++) {
    variants.forEach(([, fn], v) => {
      const t = process.cpuUsage();
      for (let i = 0; i < batch; i++, k++) fn(CALLS[k % CALLS.length], k);
      times[v].push(cpuMs(t) / batch * 1000);
    });
  }
  return variants.map(([name], v) => [name, median(times[v])]);
}
function perRun(variants, runs = QUICK ? 3 : 7) {
  const times = variants.map(() => []);
  for (const [, fn] of variants) fn();
  for (let r = 0; r < runs; r++) {
    variants.forEach(([, fn], v) => {
      const t = process.cpuUsage();
      fn();
      times[v].push(cpuMs(t));
    });
  }
  return variants.map(([name], v) => [name, median(times[v])]);
}

/** A Decision from the tuple form, as npm/api.mjs `decisionAt` builds it. */
function fromTuple(t) {
  const explain = t[5].map((e) => ({ path: e[0], op: e[1], expected: e[2], actual: e[3], holds: e[4] }));
  const counters = t[6].map((c) => ({ counter: c[0], grant: c[1], window: c[2], window_start_ms: c[3], used: c[4], max: c[5] }));
  return { outcome: t[0], rule: t[1], pointer: t[2], message: t[3], retry_after_ms: t[4], explain, counters };
}

const text = new raw.PolicyEngine(POLICY);
const swb = new raw.SwbEngine(POLICY);
for (const c of CALLS) {
  const a = fromTuple(JSON.parse(text.checkTuple(c.tool, JSON.stringify(c.args), undefined, T0)));
  const b = new raw.SwbEngine(POLICY).evaluateObjects(c.tool, c.args, T0);
  assert.deepEqual(b, a, c.tool);
}

const evaluate = perCall([
  ['JSON text in, tuple text out + JSON.parse (shipped)', (c, i) => fromTuple(JSON.parse(text.evaluateTuple(c.tool, JSON.stringify(c.args), undefined, T0 + i)))],
  ['serde-wasm-bindgen in, tuple text out + JSON.parse', (c, i) => fromTuple(JSON.parse(swb.evaluateObjectsIn(c.tool, c.args, T0 + i)))],
  ['JSON text in, serde-wasm-bindgen object out', (c, i) => swb.evaluateObjectOut(c.tool, JSON.stringify(c.args), T0 + i)],
  ['serde-wasm-bindgen in and out', (c, i) => swb.evaluateObjects(c.tool, c.args, T0 + i)],
  ['JSON text in, JSON text out, no parse (evaluateJson)', (c, i) => text.evaluate(c.tool, JSON.stringify(c.args), undefined, T0 + i)],
]);

const N = 100_000;
const trace = Array.from({ length: N }, (_, i) => {
  const c = CALLS[i % CALLS.length];
  return { tool: c.tool, args: c.args, grant: i % 7 === 0 ? 'bob' : 'alice', at_ms: T0 + i * 50 };
});
function simFromTuples(out) {
  const [rows, summary] = JSON.parse(out);
  return { decisions: rows.map((r) => ({ index: r[0], tool: r[1], grant: r[2], at_ms: r[3], ...fromTuple(r.slice(4)) })), summary };
}
const simulate = perRun([
  ['JSON text in, tuple text out + JSON.parse (shipped)', () => simFromTuples(raw.simulateTuples(POLICY, JSON.stringify(trace)))],
  ['serde-wasm-bindgen in, tuple text out + JSON.parse', () => simFromTuples(raw.simulateObjectsIn(POLICY, trace))],
  ['JSON text in, serde-wasm-bindgen objects out', () => raw.simulateObjectsOut(POLICY, JSON.stringify(trace))],
  ['serde-wasm-bindgen in and out', () => raw.simulateObjects(POLICY, trace)],
  ['JSON text in, JSON text out, no parse (simulateJson)', () => raw.simulate(POLICY, JSON.stringify(trace))],
]);

console.log('| boundary | per decision (µs of CPU, median) |\n|---|---|');
for (const [name, us] of evaluate) console.log(`| ${name} | ${us.toFixed(2)} |`);
console.log(`\n| boundary | simulate ${N} calls (ms of CPU, median) |\n|---|---|`);
for (const [name, ms] of simulate) console.log(`| ${name} | ${ms.toFixed(1)} |`);
