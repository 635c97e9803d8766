// Issue 9, finding 5: NaN and ±Infinity have no JSON form; JSON.stringify would turn them into
// null (= an absent argument to a condition). Every input that takes JS values refuses them with a
// typed error pointing at the value.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { PolicyEngine, PolicyError, ToolgateError } from 'toolgate';

const T0 = 1767225600000;
const POLICY = {
  version: '1',
  default: 'allow',
  tools: { pay: { require: ['args.amount'], limits: [{ counter: 'c', window: 'minute', max: 5 }] } },
};

function throwsAt(f, kind, pointer, value) {
  assert.throws(f, (e) => {
    assert.ok(e instanceof ToolgateError, `a ToolgateError, got ${e}`);
    assert.equal(e.kind, kind);
    assert.equal(e.errors[0].pointer, pointer);
    assert.match(e.errors[0].message, new RegExp(`contains ${value.replace('+', '\\+')} at`));
    return true;
  });
}

describe('non-finite numbers from JS are typed errors, never null', () => {
  const engine = new PolicyEngine(POLICY);

  test('in arguments, at any depth, for evaluate, check and plan', () => {
    for (const [v, name] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity']]) {
      throwsAt(() => engine.evaluate({ tool: 'pay', args: { amount: v }, at_ms: T0 }), 'call', '/args/amount', name);
      throwsAt(() => engine.check({ tool: 'pay', args: { a: [1, { 'b/c': v }] }, at_ms: T0 }), 'call', '/args/a/1/b~1c', name);
      throwsAt(() => engine.plan({ tool: 'pay', args: { amount: 1, x: new Number(v) }, at_ms: T0 }), 'call', '/args/x', name);
    }
    assert.deepEqual(engine.exportState(), { version: 1, counters: [] }, 'nothing was decided or charged');
    // A real null is still a value.
    assert.equal(engine.evaluate({ tool: 'pay', args: { amount: 1, note: null }, at_ms: T0 }).outcome, 'allow');
  });

  test('as at_ms', () => {
    for (const v of [NaN, Infinity, -Infinity]) {
      assert.throws(() => engine.evaluate({ tool: 'pay', args: { amount: 1 }, at_ms: v }), (e) => e instanceof ToolgateError && e.kind === 'call' && e.errors[0].pointer === '/at_ms');
    }
  });

  test('in policies, traces, snapshots, plans and decisions', () => {
    assert.throws(
      () => new PolicyEngine({ version: '1', default: 'allow', tools: { t: { limits: [{ counter: 'c', window: 'minute', max: Infinity }] } } }),
      (e) => e instanceof PolicyError && e.errors[0].pointer === '/tools/t/limits/0/max' && /contains Infinity/.test(e.errors[0].message),
    );
    throwsAt(() => engine.simulate([{ tool: 'pay', args: { amount: NaN } }]), 'trace', '/0/args/amount', 'NaN');
    throwsAt(() => engine.simulate({ calls: [{ tool: 'pay', at_ms: Infinity }] }), 'trace', '/calls/0/at_ms', 'Infinity');
    throwsAt(
      () => engine.importState({ version: 1, counters: [{ grant: 'g', counter: 'c', window: 'minute', window_start_ms: T0, used: NaN }] }),
      'state',
      '/counters/0/used',
      'NaN',
    );
    const plan = engine.plan({ tool: 'pay', args: { amount: 1 }, at_ms: T0 });
    throwsAt(() => engine.finish({ ...plan, at_ms: NaN }, [0]), 'plan', '/at_ms', 'NaN');
    const d = engine.evaluate({ tool: 'pay', args: { amount: 1 }, at_ms: T0 });
    throwsAt(() => engine.release({ ...d, counters: [{ ...d.counters[0], window_start_ms: -Infinity }] }), 'decision', '/counters/0/window_start_ms', '-Infinity');
    throwsAt(() => engine.filterTools({ tools: [{ name: 'x', inputSchema: { maximum: Infinity } }] }), 'tools', '/tools/0/inputSchema/maximum', 'Infinity');
  });
});
