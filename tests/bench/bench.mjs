// Speed and size of the npm package, side by side with @cedar-policy/cedar-wasm on an equivalent
// rule set (allow a tool set, deny one tool, deny when args.amount > 10000), in one run:
//   - per-call decision from JS with the policy loaded once (median of batches);
//   - cold start: from require() to the first decision, in a fresh Node process (median of fresh processes);
//   - .wasm size, raw and gzip -9: the gateway module (what `require('toolgate')` loads) and the
//     tools module (validate, simulate, diff, runTests: loaded on first use);
//   - simulate of a 100 000-call trace from JS.
// Times are CPU time of the process (user + system, `process.cpuUsage`), not wall-clock time: on a
// shared machine the wall clock mostly measures the other processes (the cold start also prints
// its wall-clock median).
// Run: bash tests/bench/run.sh (builds and installs the package, installs Cedar from npm).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { gzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const toolgate = require('toolgate');
const cedar = require('@cedar-policy/cedar-wasm/nodejs');

const QUICK = process.env.TOOLGATE_BENCH_QUICK === '1';
const T0 = 1767225600000;

// ---------------------------------------------------------------- the rule set, twice

const POLICY = {
  version: '1',
  default: 'deny',
  tools: {
    list_customers: {},
    get_customer: {},
    create_refund: { deny_if: [{ conditions: [{ path: 'args.amount', op: 'gt', value: 10000 }], on_deny: 'Refunds over 10000 need a human.' }] },
    delete_customer: { deny_if: [{ conditions: [], on_deny: 'Never.' }] },
  },
};

const CEDAR_POLICIES = `
permit(principal, action == Action::"call", resource == Tool::"list_customers");
permit(principal, action == Action::"call", resource == Tool::"get_customer");
permit(principal, action == Action::"call", resource == Tool::"create_refund");
forbid(principal, action == Action::"call", resource == Tool::"delete_customer");
forbid(principal, action == Action::"call", resource == Tool::"create_refund") when { context has amount && context.amount > 10000 };
`;

const CALLS = [
  { tool: 'list_customers', args: { limit: 20, cursor: 'abc' } },
  { tool: 'get_customer', args: { id: 'cus_123' } },
  { tool: 'create_refund', args: { amount: 50, reason: 'late delivery', customer: 'cus_123' } },
  { tool: 'create_refund', args: { amount: 50000, reason: 'fraud', customer: 'cus_9' } },
  { tool: 'delete_customer', args: { id: 'cus_123' } },
  { tool: 'drop_tables', args: {} },
];

function cedarCall(c) {
  return {
    principal: { type: 'Agent', id: 'default' },
    action: { type: 'Action', id: 'call' },
    resource: { type: 'Tool', id: c.tool },
    context: c.args,
    preparsedPolicySetId: 'tools',
    entities: [],
  };
}

// ---------------------------------------------------------------- helpers

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Milliseconds of CPU time of this process since `start` (a `process.cpuUsage()`). */
function cpuMs(start) {
  const c = process.cpuUsage(start);
  return (c.user + c.system) / 1000;
}

/** Median per-call time (µs) over batches of `batch` calls cycling through CALLS. */
function perCall(fn, { batches = QUICK ? 30 : 200, batch = 1000, warmup = 20_000 } = {}) {
  for (let i = 0; i < warmup; i++) fn(CALLS[i % CALLS.length], i);
  const times = [];
  let k = 0;
  for (let b = 0; b < batches; b++) {
    const t = process.cpuUsage();
    for (let i = 0; i < batch; i++, k++) fn(CALLS[k % CALLS.length], k);
    times.push((cpuMs(t) / batch) * 1000);
  }
  return median(times);
}

/** Median over fresh Node processes of the time from before loading the package to a usable policy. */
/** The script prints `<cpu ms> <wall ms>` measured from before loading the package; returns the medians. */
function freshLoad(script, runs = QUICK ? 5 : 15) {
  const cpu = [];
  const wall = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['--input-type=commonjs', '-e', script], { cwd: import.meta.dirname, encoding: 'utf8' });
    const [c, w] = out.trim().split(' ').map(Number);
    cpu.push(c);
    wall.push(w);
  }
  return [median(cpu), median(wall)];
}
const START = 'const t = performance.now(); const c0 = process.cpuUsage();';
const STOP = 'const c1 = process.cpuUsage(c0); process.stdout.write(`${(c1.user + c1.system) / 1000} ${performance.now() - t}`);';

function fmt(x, unit) {
  return `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ${unit}`;
}

function ratio(a, b) {
  return `${(a / b).toFixed(1)}×`;
}

const rows = [];
function row(what, ours, theirs, target) {
  rows.push({ what, ours, theirs, target });
}

// ---------------------------------------------------------------- equivalence

const engine = new toolgate.PolicyEngine(POLICY);
const preparsed = cedar.preparsePolicySet('tools', { staticPolicies: CEDAR_POLICIES });
assert.equal(preparsed.type, 'success', JSON.stringify(preparsed));
for (const c of CALLS) {
  const ours = engine.evaluate({ tool: c.tool, args: c.args, at_ms: T0 }).outcome;
  const answer = cedar.statefulIsAuthorized(cedarCall(c));
  assert.equal(answer.type, 'success', JSON.stringify(answer));
  assert.equal(ours, answer.response.decision, `${c.tool} ${JSON.stringify(c.args)}: toolgate ${ours}, Cedar ${answer.response.decision}`);
}

// ---------------------------------------------------------------- per call

const evaluateUs = perCall((c, i) => engine.evaluate({ tool: c.tool, args: c.args, at_ms: T0 + i }));
const evaluateJsonUs = perCall((c, i) => engine.evaluateJson({ tool: c.tool, args: c.args, at_ms: T0 + i }));
const cedarStatefulUs = perCall((c) => cedar.statefulIsAuthorized(cedarCall(c)), { batches: QUICK ? 10 : 40, batch: 200, warmup: 2000 });
const cedarPolicies = { staticPolicies: CEDAR_POLICIES };
const cedarUs = perCall((c) => cedar.isAuthorized({ ...cedarCall(c), policies: cedarPolicies, preparsedPolicySetId: undefined }), {
  batches: QUICK ? 5 : 20,
  batch: 100,
  warmup: 300,
});
row('per-call decision, policy loaded once (median)', evaluateUs, cedarStatefulUs, '≤ 1.5 µs and ≥ 25× faster than Cedar pre-parsed');

// ---------------------------------------------------------------- fresh process load

const [ourLoadMs, ourLoadWallMs] = freshLoad(`
  ${START}
  const { PolicyEngine } = require('toolgate');
  const d = new PolicyEngine(${JSON.stringify(JSON.stringify(POLICY))}).evaluate({ tool: 'get_customer', args: { id: 'c' }, at_ms: ${T0} });
  if (d.outcome !== 'allow') throw new Error(d.outcome);
  ${STOP}
`);
const [cedarLoadMs, cedarLoadWallMs] = freshLoad(`
  ${START}
  const cedar = require('@cedar-policy/cedar-wasm/nodejs');
  const r = cedar.preparsePolicySet('tools', { staticPolicies: ${JSON.stringify(CEDAR_POLICIES)} });
  if (r.type !== 'success') throw new Error(JSON.stringify(r));
  const a = cedar.statefulIsAuthorized(${JSON.stringify(cedarCall(CALLS[1]))});
  if (a.response.decision !== 'allow') throw new Error(JSON.stringify(a));
  ${STOP}
`);
row('cold start: require → policy → first decision, fresh process (median)', ourLoadMs, cedarLoadMs, '≤ 5 ms');

// ---------------------------------------------------------------- size

const ourWasm = readFileSync(require.resolve('toolgate/toolgate_bg.wasm'));
const toolsWasm = readFileSync(require.resolve('toolgate/toolgate_tools_bg.wasm'));
const cedarWasm = readFileSync(require.resolve('@cedar-policy/cedar-wasm/nodejs').replace(/cedar_wasm\.js$/, 'cedar_wasm_bg.wasm'));
const gz = (b) => gzipSync(b, { level: 9 }).length / 1024;
row('.wasm a gateway loads (gateway module), gzip -9', gz(ourWasm), gz(cedarWasm), '≤ 100 KB');

// ---------------------------------------------------------------- simulate

const N = 100_000;
const SIM_POLICY = { ...POLICY, all_tools: { limits: [{ counter: 'calls', window: 'minute', max: 600 }] } };
const simEngine = new toolgate.PolicyEngine(SIM_POLICY);
const trace = Array.from({ length: N }, (_, i) => {
  const c = CALLS[i % CALLS.length];
  return { tool: c.tool, args: c.args, grant: i % 7 === 0 ? 'bob' : 'alice', at_ms: T0 + i * 50 };
});
const traceText = trace.map((c) => JSON.stringify(c)).join('\n');
function timeMs(fn, runs = QUICK ? 2 : 5) {
  fn();
  const times = [];
  for (let r = 0; r < runs; r++) {
    const t = process.cpuUsage();
    fn();
    times.push(cpuMs(t));
  }
  return median(times);
}
let simResult;
const simObjectsMs = timeMs(() => {
  simResult = simEngine.simulate(trace);
});
assert.equal(simResult.decisions.length, N);
const simJsonMs = timeMs(() => simEngine.simulateJson(traceText));
row('simulate 100 000 calls from JS (objects in, objects out)', simObjectsMs, null, '≤ 100 ms');

// ---------------------------------------------------------------- report

const out = [];
out.push(`toolgate ${toolgate.version()} vs @cedar-policy/cedar-wasm ${cedar.getCedarSDKVersion?.() ?? ''} — Node ${process.version}, ${process.arch}`);
out.push('');
out.push('| measure | toolgate | Cedar | Cedar / toolgate | target |');
out.push('|---|---|---|---|---|');
const units = ['µs', 'ms', 'KB', 'ms'];
rows.forEach((r, i) => {
  out.push(`| ${r.what} | ${fmt(r.ours, units[i])} | ${r.theirs === null ? '—' : fmt(r.theirs, units[i])} | ${r.theirs === null ? '—' : ratio(r.theirs, r.ours)} | ${r.target} |`);
});
out.push('');
out.push('Details:');
out.push(`- evaluate(): ${fmt(evaluateUs, 'µs')}; evaluateJson() (no JSON.parse): ${fmt(evaluateJsonUs, 'µs')}`);
out.push(`- Cedar statefulIsAuthorized (pre-parsed policy set): ${fmt(cedarStatefulUs, 'µs')}; isAuthorized (parses the policies every call): ${fmt(cedarUs, 'µs')} → ${ratio(cedarUs, evaluateUs)}`);
out.push(`- cold start, wall clock: toolgate ${fmt(ourLoadWallMs, 'ms')}, Cedar ${fmt(cedarLoadWallMs, 'ms')} (load average ${os.loadavg()[0].toFixed(2)})`);
out.push(`- .wasm raw: toolgate gateway module ${fmt(ourWasm.length / 1024, 'KB')}, Cedar ${fmt(cedarWasm.length / 1024, 'KB')} → ${ratio(cedarWasm.length, ourWasm.length)}`);
out.push(`- tools module (validate, simulate, diff, runTests; loaded on first use): ${fmt(toolsWasm.length / 1024, 'KB')} raw, ${fmt(gz(toolsWasm), 'KB')} gzip -9`);
out.push(`- simulate ${N} calls: objects ${fmt(simObjectsMs, 'ms')} (${fmt((simObjectsMs * 1000) / N, 'µs')}/call); JSON Lines text in, JSON text out (simulateJson) ${fmt(simJsonMs, 'ms')}`);
out.push(`- summary of the simulated trace: ${JSON.stringify({ ...simResult.summary, by_tool: undefined })}`);
console.log(out.join('\n'));
