// release is once-only: the object evaluate returned carries its reservation (invisibly: the
// Decision's JSON is unchanged); copies are matched by content and never give quota back twice.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { PolicyEngine } from 'toolgate';

const T0 = 1767225600000;
const POLICY = { version: '1', default: 'allow', tools: { t: { limits: [{ counter: 'c', window: 'minute', max: 2 }] } } };
const used = (e) => e.exportState().counters.reduce((n, c) => n + c.used, 0);

describe('release is once-only', () => {
  test('releasing the same allowed decision twice gives quota back once', () => {
    const e = new PolicyEngine(POLICY);
    const a = e.evaluate({ tool: 't', at_ms: T0 });
    e.evaluate({ tool: 't', at_ms: T0 + 1 });
    assert.equal(e.release(a), 1);
    assert.equal(e.release(a), 0);
    assert.equal(used(e), 1);
    assert.equal(e.evaluate({ tool: 't', at_ms: T0 + 2 }).outcome, 'allow');
    assert.equal(e.evaluate({ tool: 't', at_ms: T0 + 3 }).outcome, 'rate_limited', 'one slot came back, not two');
  });

  test('a JSON copy of a released decision releases nothing, and the reverse', () => {
    const e = new PolicyEngine(POLICY);
    const a = e.evaluate({ tool: 't', at_ms: T0 });
    e.evaluate({ tool: 't', at_ms: T0 + 1 });
    assert.deepEqual(Object.keys(a), ['outcome', 'rule', 'pointer', 'message', 'retry_after_ms', 'explain', 'counters'], 'the reservation is not a property');
    assert.equal(JSON.stringify(a), '{"outcome":"allow","rule":"","pointer":null,"message":"","retry_after_ms":null,"explain":[],"counters":[{"counter":"c","grant":"default","window":"minute","window_start_ms":1767225600000,"used":1,"max":2}]}');
    assert.equal(e.release(a), 1);
    assert.equal(e.release(JSON.parse(JSON.stringify(a))), 0, 'copy after original');
    assert.equal(e.release(structuredClone(a)), 0);
    const b = e.evaluate({ tool: 't', at_ms: T0 + 2 });
    assert.equal(e.release(JSON.parse(JSON.stringify(b))), 1, 'a copy is released by content');
    assert.equal(e.release(JSON.parse(JSON.stringify(b))), 0);
    assert.equal(e.release(b), 0, 'original after copy');
    assert.equal(used(e), 1);
  });

  test('evaluateJson decisions are released once by content', () => {
    const e = new PolicyEngine(POLICY);
    const d = JSON.parse(e.evaluateJson({ tool: 't', at_ms: T0 }));
    assert.equal(e.release(d), 1);
    assert.equal(e.release(d), 0);
    assert.equal(used(e), 0);
  });

  test('a decision from another engine is not this engine\'s reservation', () => {
    const a = new PolicyEngine(POLICY);
    const b = new PolicyEngine(POLICY);
    const d = a.evaluate({ tool: 't', at_ms: T0 });
    b.importState(a.exportState());
    assert.equal(b.release(d), 1, 'matched by content (e.g. across a restart)');
    assert.equal(b.release(d), 0);
    assert.equal(a.release(d), 1, 'a still owes its own release');
    assert.equal(a.release(d), 0);
  });
});
