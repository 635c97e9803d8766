// The API a gateway author uses, on real data: tool lists and a recorded MCP session from
// tests/fixtures, with the native CLI as the reference where it has the same command.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { PolicyEngine, ToolgateError } from 'toolgate';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const cli = process.env.TOOLGATE_CLI ?? fileURLToPath(new URL('../../target/debug/toolgate', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'toolgate-api-'));
after(() => rmSync(work, { recursive: true, force: true }));

const T0 = 1767225600000;
const REFUNDS = {
  version: '1',
  default: 'deny',
  hide: ['delete_customer'],
  all_tools: { limits: [{ counter: 'calls', window: 'minute', max: 5 }] },
  tools: {
    list_customers: {},
    create_refund: {
      require: ['args.reason'],
      deny_if: [{ conditions: [{ path: 'args.amount', op: 'gt', value: 10000 }], on_deny: 'Refunds over 10000 need a human.' }],
      limits: [{ counter: 'refunds', window: 'hour', max: 2 }],
    },
  },
};

function runCli(args) {
  return execFileSync(cli, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('tools/list filtering on real servers', () => {
  const lists = readdirSync(join(fixtures, 'toollists')).filter((f) => f.endsWith('.json'));
  for (const file of lists) {
    test(`${file}: the package and the CLI filter byte for byte alike`, () => {
      const text = readFileSync(join(fixtures, 'toollists', file), 'utf8');
      const names = new PolicyEngine({ version: '1', default: 'allow' }).filterTools(JSON.parse(text)).tools.map((t) => t.name);
      assert.ok(names.length > 0);
      const hide = names.filter((_, i) => i % 3 === 1);
      const policy = { version: '1', default: 'deny', hide };
      const engine = new PolicyEngine(policy);
      const filtered = engine.filterTools(text);
      const policyFile = join(work, `${file}.policy.json`);
      writeFileSync(policyFile, JSON.stringify(policy));
      const native = runCli(['filter', policyFile, join(fixtures, 'toollists', file)]);
      // The CLI ends its output with a newline; the filtered text is otherwise identical.
      assert.equal(filtered.endsWith('\n') ? filtered : `${filtered}\n`, native);
      const kept = JSON.parse(filtered).tools;
      assert.deepEqual(
        kept.map((t) => t.name),
        names.filter((n) => !hide.includes(n)),
      );
      const original = JSON.parse(text).tools;
      for (const t of kept) assert.deepEqual(t, original.find((o) => o.name === t.name), 'every other field is kept');
      assert.deepEqual(engine.filterTools(JSON.parse(text)), JSON.parse(filtered), 'objects in, objects out');
    });
  }

  test('with no policy attached the list is empty', () => {
    const text = readFileSync(join(fixtures, 'toollists', 'github.json'), 'utf8');
    assert.deepEqual(new PolicyEngine(null).filterTools(JSON.parse(text)).tools, []);
  });

  test('a JSON-RPC response is filtered in place', () => {
    const engine = new PolicyEngine({ version: '1', default: 'allow', hide: ['b'] });
    const response = { jsonrpc: '2.0', id: 7, result: { tools: [{ name: 'a' }, { name: 'b' }], nextCursor: 'c' } };
    assert.deepEqual(engine.filterTools(response), { jsonrpc: '2.0', id: 7, result: { tools: [{ name: 'a' }], nextCursor: 'c' } });
  });
});

describe('validation and lint', () => {
  test('validate gives the CLI check report, with warnings against a real tool list', () => {
    const tools = JSON.parse(readFileSync(join(fixtures, 'toollists', 'stripe.json'), 'utf8'));
    const name = tools.tools[0].name;
    const policy = { version: '1', default: 'deny', tools: { [name]: {}, [`${name}x`]: {} } };
    const report = PolicyEngine.validate(policy, tools);
    assert.equal(report.valid, true);
    const unknown = report.warnings.find((w) => w.code === 'unknown-tool');
    assert.ok(unknown, JSON.stringify(report.warnings));
    assert.equal(unknown.pointer, `/tools/${name}x`);
    assert.match(unknown.help, new RegExp(name));
    const policyFile = join(work, 'lint.policy.json');
    const toolsFile = join(fixtures, 'toollists', 'stripe.json');
    writeFileSync(policyFile, JSON.stringify(policy));
    assert.deepEqual(report, JSON.parse(runCli(['check', policyFile, '--tools', toolsFile, '--format', 'json'])));
  });

  test('validate reports every error of an invalid policy like the CLI', () => {
    const text = '{\n  "version": "1",\n  "default": "maybe",\n  "tools": { "t": { "deny-if": [] } }\n}';
    const report = PolicyEngine.validate(text);
    assert.equal(report.valid, false);
    assert.deepEqual(report.errors.map((e) => e.pointer), ['/default', '/tools/t/deny-if']);
    const policyFile = join(work, 'invalid.policy.json');
    writeFileSync(policyFile, text);
    let out;
    try {
      runCli(['check', policyFile, '--format', 'json']);
    } catch (e) {
      assert.equal(e.status, 1);
      out = e.stdout;
    }
    assert.deepEqual(report, JSON.parse(out));
  });
});

describe('evaluating calls', () => {
  test('check decides without charging; evaluate charges; both give the same decision', () => {
    const engine = new PolicyEngine(REFUNDS);
    const call = { tool: 'create_refund', args: { amount: 50, reason: 'late' }, at_ms: T0 };
    const dry = engine.check(call);
    assert.deepEqual(engine.exportState().counters, []);
    const real = engine.evaluate(call);
    assert.deepEqual(dry, real);
    assert.deepEqual(
      real.counters.map((c) => [c.counter, c.used, c.max]),
      [['refunds', 1, 2], ['calls', 1, 5]],
    );
    assert.equal(engine.exportState().counters.length, 2);
  });

  test('at_ms defaults to now', () => {
    const engine = new PolicyEngine(REFUNDS);
    const before = Date.now();
    const d = engine.evaluate({ tool: 'list_customers' });
    const start = d.counters[0].window_start_ms;
    assert.ok(start <= before && before - start < 60_000 + 1000, `window ${start} for now ${before}`);
  });

  test('every outcome, with its reason', () => {
    const engine = new PolicyEngine(REFUNDS);
    const at = (i) => T0 + i;
    assert.equal(engine.evaluate({ tool: 'delete_customer', at_ms: at(0) }).outcome, 'hidden');
    assert.equal(engine.evaluate({ tool: 'drop_tables', at_ms: at(1) }).rule, '(default deny)');
    const deny = engine.evaluate({ tool: 'create_refund', args: { amount: 50_000, reason: 'x' }, at_ms: at(2) });
    assert.equal(deny.message, 'Refunds over 10000 need a human.');
    assert.deepEqual(deny.explain, [{ path: 'args.amount', op: 'gt', expected: 10000, actual: 50000, holds: true }]);
    assert.equal(engine.evaluate({ tool: 'create_refund', args: { amount: 5 }, at_ms: at(3) }).rule, '/tools/create_refund/require/args.reason-exists');
    for (let i = 0; i < 2; i++) assert.equal(engine.evaluate({ tool: 'create_refund', args: { amount: 5, reason: 'r' }, at_ms: at(4 + i) }).outcome, 'allow');
    const limited = engine.evaluate({ tool: 'create_refund', args: { amount: 5, reason: 'r' }, at_ms: at(10) });
    assert.equal(limited.outcome, 'rate_limited');
    assert.equal(limited.rule, '/tools/create_refund/limits/refunds');
    assert.equal(limited.retry_after_ms, 3_600_000 - 10);
  });

  test('an upstream error gives the quota back to every counter of the call', () => {
    const engine = new PolicyEngine(REFUNDS);
    const call = { tool: 'create_refund', args: { amount: 5, reason: 'r' }, at_ms: T0 };
    const first = engine.evaluate(call);
    engine.evaluate(call);
    assert.equal(engine.evaluate(call).outcome, 'rate_limited');
    assert.equal(engine.release(first), 2, 'both counters of the call');
    assert.equal(engine.evaluate(call).outcome, 'allow');
  });

  test('grants have their own counters', () => {
    const engine = new PolicyEngine(REFUNDS);
    const call = (grant) => ({ tool: 'create_refund', args: { amount: 5, reason: 'r' }, grant, at_ms: T0 });
    engine.evaluate(call('alice'));
    engine.evaluate(call('alice'));
    assert.equal(engine.evaluate(call('alice')).outcome, 'rate_limited');
    assert.equal(engine.evaluate(call('bob')).outcome, 'allow');
  });

  test('setPolicy swaps the policy and keeps the counters; resetCounters forgets them', () => {
    const engine = new PolicyEngine(REFUNDS);
    const call = { tool: 'create_refund', args: { amount: 5, reason: 'r' }, at_ms: T0 };
    engine.evaluate(call);
    engine.evaluate(call);
    engine.setPolicy({ ...REFUNDS, tools: { ...REFUNDS.tools, create_refund: { limits: [{ counter: 'refunds', window: 'hour', max: 3 }] } } });
    assert.equal(engine.evaluate(call).counters[0].used, 3);
    assert.equal(engine.evaluate(call).outcome, 'rate_limited');
    engine.resetCounters();
    assert.deepEqual(engine.exportState().counters, []);
    assert.equal(engine.evaluate(call).outcome, 'allow');
    assert.equal(engine.hasPolicy, true);
    engine.setPolicy(null);
    assert.equal(engine.hasPolicy, false);
    assert.equal(engine.evaluate(call).rule, '(no policy)');
  });

  test('a freed engine cannot be used by mistake', () => {
    const engine = new PolicyEngine(REFUNDS);
    engine.free();
    assert.throws(() => engine.evaluate({ tool: 'list_customers', at_ms: T0 }), (e) => e instanceof ToolgateError && e.kind === 'init');
    assert.throws(() => engine.free(), ToolgateError);
  });
});

describe('state', () => {
  test('export → JSON text → import into a fresh engine → the same decisions from then on', () => {
    const a = new PolicyEngine(REFUNDS);
    const calls = [];
    for (let i = 0; i < 40; i++) {
      calls.push({ tool: i % 3 ? 'create_refund' : 'list_customers', args: { amount: i * 500, reason: 'r' }, grant: i % 2 ? 'alice' : 'bob', at_ms: T0 + i * 7_000 });
    }
    for (const c of calls.slice(0, 20)) a.evaluate(c);
    const stored = JSON.stringify(a.exportState()); // e.g. into Redis
    const b = new PolicyEngine(REFUNDS);
    b.importState(JSON.parse(stored));
    assert.deepEqual(b.exportState(), a.exportState());
    const c = new PolicyEngine(REFUNDS);
    c.importState(stored); // the text itself works too
    for (const call of calls.slice(20)) {
      const expected = a.evaluate(call);
      assert.deepEqual(b.evaluate(call), expected);
      assert.deepEqual(c.evaluate(call), expected);
    }
    assert.ok(a.exportState().counters.some((e) => e.used > 1));
  });
});

describe('simulation', () => {
  for (const file of ['everything.stdio.wire.jsonl', 'everything.calls.json']) {
    test(`${file}: a recorded MCP session simulates as the CLI simulates it`, () => {
      const text = readFileSync(join(fixtures, 'traces', file), 'utf8');
      const policy = {
        version: '1',
        default: 'deny',
        hide: ['trigger-long-running-operation'],
        all_tools: { limits: [{ counter: 'calls', window: 'minute', max: 3 }] },
        tools: { echo: {}, 'get-sum': { deny_if: [{ conditions: [{ path: 'args.a', op: 'gt', value: 1 }] }] } },
      };
      const engine = new PolicyEngine(policy);
      const sim = engine.simulate(text);
      assert.ok(sim.decisions.length > 0);
      const policyFile = join(work, 'sim.policy.json');
      writeFileSync(policyFile, JSON.stringify(policy));
      assert.deepEqual(sim, JSON.parse(runCli(['simulate', policyFile, join(fixtures, 'traces', file), '--format', 'json'])));
      assert.deepEqual(engine.exportState().counters, [], "the engine's own counters are untouched");
    });
  }

  test('a trace of 1000 calls as objects, as JSON Lines and as a document gives one result', () => {
    const engine = new PolicyEngine(REFUNDS);
    const calls = Array.from({ length: 1000 }, (_, i) => ({ tool: i % 2 ? 'create_refund' : 'list_customers', args: { amount: i, reason: 'r' }, at_ms: T0 + i * 1000 }));
    const a = engine.simulate(calls);
    assert.deepEqual(engine.simulate(calls.map((c) => JSON.stringify(c)).join('\n')), a);
    assert.deepEqual(engine.simulate({ calls }), a);
    assert.equal(a.summary.calls, 1000);
    assert.equal(a.summary.allowed + a.summary.denied + a.summary.hidden + a.summary.rate_limited, 1000);
  });

  test('errors in a trace are typed and located', () => {
    const engine = new PolicyEngine(REFUNDS);
    try {
      engine.simulate('{"tool": "a", "at_ms": 5}\n{"tool": "b", "at-ms": 6}\n');
      assert.fail('accepted');
    } catch (e) {
      assert.ok(e instanceof ToolgateError);
      assert.equal(e.kind, 'trace');
      assert.equal(e.errors[0].line, 2);
      assert.match(e.errors[0].help ?? '', /at_ms/);
    }
  });
});
