// Argument admission (issue 9, findings 1 and 6; issue 8's size cap): arguments the engine cannot
// decide on safely are a deny decision with rule `(invalid arguments)` — in every entry point that
// takes arguments — never a last-wins read, a trap or a poisoned engine.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { PolicyEngine, ToolgateError } from 'toolgate';

const T0 = 1767225600000;
const REFUNDS = {
  version: '1',
  default: 'allow',
  tools: {
    refund: {
      deny_if: [{ conditions: [{ path: 'args.amount', op: 'gt', value: 10000 }], on_deny: 'Refunds over 10000 need a human.' }],
      limits: [{ counter: 'refunds', window: 'minute', max: 100 }],
    },
  },
};

/** Every way a call's arguments reach the engine, each returning the Decision. */
function decideEverywhere(engine, call) {
  const plan = engine.plan(call);
  assert.equal(plan.kind, 'final', 'refused arguments need no counters');
  return [
    engine.check(call),
    JSON.parse(engine.checkJson(call)),
    plan.decision,
    engine.evaluate(call),
    JSON.parse(engine.evaluateJson(call)),
  ];
}

function assertRefused(engine, call, message) {
  for (const d of decideEverywhere(engine, call)) {
    assert.deepEqual(d, { outcome: 'deny', rule: '(invalid arguments)', pointer: null, message, retry_after_ms: null, explain: [], counters: [] });
  }
  assert.deepEqual(engine.exportState(), { version: 1, counters: [] }, 'nothing was charged');
}

describe('argument admission', () => {
  test('duplicate argument keys are denied, not last wins', () => {
    const engine = new PolicyEngine(REFUNDS);
    // The engine used to check the last `amount` (5: allowed) while a first-wins server refunds 50000.
    assertRefused(engine, { tool: 'refund', args_json: '{"amount": 50000, "amount": 5}', at_ms: T0 }, 'Arguments have a duplicate key `amount` at /amount');
    assertRefused(
      engine,
      { tool: 'refund', args_json: '{"items": [{"sku": "a"}, {"sku": "b", "opts": {"x": 1, "x": 2}}]}', at_ms: T0 },
      'Arguments have a duplicate key `x` at /items/1/opts/x',
    );
    assert.equal(engine.evaluate({ tool: 'refund', args_json: '{"amount": 5}', at_ms: T0 }).outcome, 'allow');
  });

  test('a 100 MB argument array is refused, not a trap', () => {
    const engine = new PolicyEngine(REFUNDS);
    const huge = `[${'0,'.repeat(50_000_000)}0]`;
    assertRefused(engine, { tool: 'refund', args_json: huge, at_ms: T0 }, 'Arguments are 95.4 MiB; the limit is 1 MiB');
    assert.equal(engine.evaluate({ tool: 'refund', args: { amount: 5 }, at_ms: T0 }).outcome, 'allow', 'the engine still works');
  });

  test('a dense array of more than 100 000 values is refused within the byte cap', () => {
    const engine = new PolicyEngine(REFUNDS);
    const dense = `{"amount": 5, "pad": [${'0,'.repeat(100_000)}0]}`;
    assertRefused(engine, { tool: 'refund', args_json: dense, at_ms: T0 }, 'Arguments have 100004 values; the limit is 100000');
    assertRefused(engine, { tool: 'refund', args: { amount: 5, pad: new Array(100_001).fill(0) }, at_ms: T0 }, 'Arguments have 100004 values; the limit is 100000');
  });

  test('object arguments over the byte cap are refused by their UTF-8 size', () => {
    const engine = new PolicyEngine(REFUNDS);
    assertRefused(engine, { tool: 'refund', args: { note: 'é'.repeat(600_000) }, at_ms: T0 }, 'Arguments are 1.2 MiB; the limit is 1 MiB');
    assertRefused(engine, { tool: 'refund', args: { note: 'x'.repeat(3 << 20) }, at_ms: T0 }, 'Arguments are 3.1 MiB; the limit is 1 MiB');
    // Just under the cap is decided normally.
    assert.equal(engine.evaluate({ tool: 'refund', args: { amount: 5, note: 'x'.repeat((1 << 20) - 100) }, at_ms: T0 }).outcome, 'allow');
  });

  test('text that is not JSON is still a located error, not a decision', () => {
    const engine = new PolicyEngine(REFUNDS);
    assert.throws(
      () => engine.evaluate({ tool: 'refund', args_json: '{"amount": }', at_ms: T0 }),
      (e) => e instanceof ToolgateError && e.kind === 'call' && e.errors[0].pointer === '/args' && e.errors[0].line === 1,
    );
  });
});
