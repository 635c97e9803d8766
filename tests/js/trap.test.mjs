// Issue 9, finding 6 (second half): if the wasm module traps (out of memory, `unreachable`), the
// facade object is left borrowed and every later call would fail. The JS layer rebuilds the engine
// from its policy and counters; the call that trapped is a typed error, never a decision.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { PolicyEngine, ToolgateError } from 'toolgate';

const T0 = 1767225600000;
const POLICY = {
  version: '1',
  default: 'deny',
  tools: {
    pay: { limits: [{ counter: 'pay', window: 'hour', max: 3 }] },
    read: { limits: [{ counter: 'reads', window: 'day', max: 5000 }] },
  },
};

/** Forces a real trap inside a `&mut self` method of the facade (an allocation that cannot succeed). */
function trap(engine) {
  assert.throws(
    () => engine.__exhaustMemoryForTests(2 ** 52),
    (e) => e instanceof ToolgateError && e.kind === 'trap' && /rebuilt/.test(e.message),
  );
}

describe('recovery after a wasm trap', () => {
  test('the engine is rebuilt with its policy and exact counters, and keeps refusing what it refused', () => {
    const engine = new PolicyEngine(POLICY);
    // More than one checkpoint's worth of charges (1000), a release, and a refused call.
    for (let i = 0; i < 1500; i++) assert.equal(engine.evaluate({ tool: 'read', at_ms: T0 + i }).outcome, 'allow');
    const a = engine.evaluate({ tool: 'pay', at_ms: T0 });
    const b = engine.evaluate({ tool: 'pay', at_ms: T0 + 1 });
    assert.equal(engine.release(b), 1);
    engine.evaluate({ tool: 'pay', at_ms: T0 + 2 });
    engine.evaluate({ tool: 'pay', at_ms: T0 + 3 });
    assert.equal(engine.evaluate({ tool: 'pay', at_ms: T0 + 4 }).outcome, 'rate_limited');
    const before = engine.exportState();

    trap(engine);

    assert.deepEqual(engine.exportState(), before, 'the rebuilt engine holds exactly the counters of the trapped one');
    assert.equal(engine.evaluate({ tool: 'pay', at_ms: T0 + 5 }).outcome, 'rate_limited', 'a refusal stays a refusal');
    assert.equal(engine.evaluate({ tool: 'nope', at_ms: T0 }).rule, '(default deny)', 'the policy is kept');
    assert.equal(engine.release(a), 1, 'decisions from before the trap are released by content');
    assert.equal(engine.release(a), 0);
    assert.equal(engine.evaluate({ tool: 'pay', at_ms: T0 + 6 }).outcome, 'allow');
  });

  test('hot-reloaded policies, imported and reset counters survive a trap', () => {
    const engine = new PolicyEngine(null);
    engine.setPolicy(POLICY);
    engine.importState({ version: 1, counters: [{ grant: 'default', counter: 'pay', window: 'hour', window_start_ms: T0, used: 2 }] });
    engine.evaluate({ tool: 'pay', at_ms: T0 });
    trap(engine);
    assert.equal(engine.evaluate({ tool: 'pay', at_ms: T0 + 1 }).outcome, 'rate_limited');
    engine.resetCounters();
    trap(engine);
    assert.deepEqual(engine.exportState(), { version: 1, counters: [] });
    assert.equal(engine.evaluate({ tool: 'pay', at_ms: T0 + 2 }).outcome, 'allow');
    trap(engine);
    trap(engine);
    assert.equal(engine.exportState().counters[0].used, 1, 'repeated traps lose nothing');
  });
});
