// plan / finish: what a host-side counter store (toolgate-gateway --redis) builds on. A store
// written from STORE-CONTRACT.md's slot semantics, driven by plan → reserve → finish, must decide
// every call exactly as the in-memory evaluate.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { PolicyEngine, ToolgateError } from 'toolgate';

const T0 = 1767225600000;

/** The contract's store, in memory: (grant, counter) → {w, ws, used, prev}. */
class ContractStore {
  slots = new Map();

  #key(grant, counter) {
    return JSON.stringify([grant, counter]);
  }

  #read(grant, l) {
    const s = this.slots.get(this.#key(grant, l.counter));
    if (s === undefined || s.w !== l.window_ms) return 0;
    if (l.window_start_ms > s.ws) return 0;
    if (l.window_start_ms === s.ws) return s.used;
    if (l.window_start_ms + s.w === s.ws) return s.prev;
    return l.max;
  }

  reserve(plan) {
    const used = plan.limits.map((l) => this.#read(plan.grant, l));
    if (plan.limits.some((l, i) => used[i] + 1 > l.max)) return used;
    for (const c of plan.charges) {
      const k = this.#key(plan.grant, c.counter);
      let s = this.slots.get(k);
      if (s === undefined || s.w !== c.window_ms) {
        s = { w: c.window_ms, ws: c.window_start_ms, used: 0, prev: 0 };
        this.slots.set(k, s);
      } else if (c.window_start_ms > s.ws) {
        s.prev = c.window_start_ms - s.w === s.ws ? s.used : 0;
        s.ws = c.window_start_ms;
        s.used = 0;
      }
      if (c.window_start_ms === s.ws) s.used += 1;
      else if (c.window_start_ms + s.w === s.ws) s.prev += 1;
    }
    return used;
  }

  release(decision) {
    for (const c of decision.counters) {
      const s = this.slots.get(this.#key(c.grant, c.counter));
      const w = { minute: 60000, hour: 3600000, day: 86400000 }[c.window];
      if (s === undefined || s.w !== w) continue;
      if (s.ws === c.window_start_ms) s.used = Math.max(0, s.used - 1);
      else if (s.ws === c.window_start_ms + w) s.prev = Math.max(0, s.prev - 1);
    }
  }
}

/** A small deterministic PRNG (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomPolicy(r) {
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  // A counter has one window across a policy.
  const windows = { a: pick(['minute', 'hour', 'day']), b: pick(['minute', 'hour']), c: 'minute' };
  // Counter names are unique within one `limits` array.
  const limits = () =>
    ['a', 'b', 'c'].filter(() => r() < 0.4).map((counter) => ({ counter, window: windows[counter], max: 1 + Math.floor(r() * 4) }));
  const tools = {};
  for (const name of ['t', 'u', 'v']) {
    if (r() < 0.8) {
      tools[name] = { limits: limits() };
      if (r() < 0.3) tools[name].deny_if = [{ conditions: [{ path: 'args.x', op: 'gt', value: 5 }] }];
    }
  }
  return { version: '1', default: pick(['allow', 'deny']), hide: r() < 0.2 ? ['v'] : [], all_tools: { limits: limits() }, tools };
}

describe('plan → contract store → finish', () => {
  test('equals evaluate on random policies and call sequences (late calls and releases included)', () => {
    let reserved = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const r = rng(seed);
      const policy = randomPolicy(r);
      const memory = new PolicyEngine(policy);
      const planner = new PolicyEngine(policy);
      const store = new ContractStore();
      const pairs = [];
      const released = new Set();
      let at = T0 + Math.floor(r() * 120000);
      for (let i = 0; i < 60; i++) {
        const jump = r();
        at = Math.max(0, at + (jump < 0.7 ? Math.floor(r() * 3000) : jump < 0.9 ? Math.floor(r() * 200000) : -Math.floor(r() * 150000)));
        const call = { tool: ['t', 'u', 'v', 'w'][Math.floor(r() * 4)], grant: r() < 0.5 ? 'alice' : 'bob', at_ms: at, args: { x: Math.floor(r() * 10) } };
        const expected = memory.evaluate(call);
        const plan = planner.plan(call);
        let got;
        if (plan.kind === 'final') {
          got = plan.decision;
        } else {
          reserved++;
          assert.deepEqual(plan.limits.map((l) => l.window_start_ms), plan.limits.map((l) => call.at_ms - (call.at_ms % l.window_ms)));
          got = planner.finish(plan, store.reserve(plan));
        }
        assert.deepEqual(got, expected, `seed ${seed}, call ${i}: ${JSON.stringify(call)}`);
        pairs.push([expected, got]);
        if (r() < 0.15) {
          const k = Math.floor(r() * pairs.length);
          if (!released.has(k)) {
            released.add(k);
            memory.release(pairs[k][0]);
            if (pairs[k][1].outcome === 'allow') store.release(pairs[k][1]);
          }
        }
      }
    }
    assert.ok(reserved > 1000, `the sequences exercise the store (${reserved} reservations)`);
  });

  test('a plan names its limits, its charges once per counter, and the finished decision', () => {
    const engine = new PolicyEngine({
      version: '1',
      default: 'deny',
      all_tools: { limits: [{ counter: 'c', window: 'minute', max: 3 }, { counter: 'd', window: 'hour', max: 9 }] },
      tools: { t: { limits: [{ counter: 'c', window: 'minute', max: 2, on_deny: 'slow down' }] }, free: {} },
    });
    const at = T0 + 61000;
    const plan = engine.plan({ tool: 't', grant: 'g', at_ms: at });
    assert.deepEqual(plan, {
      kind: 'reserve',
      tool: 't',
      grant: 'g',
      at_ms: at,
      limits: [
        { counter: 'c', window: 'minute', window_ms: 60000, window_start_ms: T0 + 60000, max: 2, rule: '/tools/t/limits/c', pointer: '/tools/t/limits/0', message: 'slow down' },
        { counter: 'c', window: 'minute', window_ms: 60000, window_start_ms: T0 + 60000, max: 3, rule: '/all_tools/limits/c', pointer: '/all_tools/limits/0', message: 'Rate limit of 3 per minute reached. Try again later.' },
        { counter: 'd', window: 'hour', window_ms: 3600000, window_start_ms: T0, max: 9, rule: '/all_tools/limits/d', pointer: '/all_tools/limits/1', message: 'Rate limit of 9 per hour reached. Try again later.' },
      ],
      charges: [
        { counter: 'c', window: 'minute', window_ms: 60000, window_start_ms: T0 + 60000 },
        { counter: 'd', window: 'hour', window_ms: 3600000, window_start_ms: T0 },
      ],
    });
    const full = engine.finish(plan, [2, 2, 0]);
    assert.equal(full.outcome, 'rate_limited');
    assert.equal(full.message, 'slow down');
    assert.equal(full.retry_after_ms, 59000);
    assert.deepEqual(engine.finish(plan, [1, 1, 8]).counters, [
      { counter: 'c', grant: 'g', window: 'minute', window_start_ms: T0 + 60000, used: 2, max: 2 },
      { counter: 'd', grant: 'g', window: 'hour', window_start_ms: T0, used: 9, max: 9 },
    ]);
    assert.equal(engine.finish(plan, [1, 1, 9]).rule, '/all_tools/limits/d', 'any full limit refuses');
    assert.deepEqual(engine.exportState(), { version: 1, counters: [] }, 'plan and finish charge nothing');
    const refused = engine.plan({ tool: 'nope', at_ms: at });
    assert.equal(refused.kind, 'final');
    assert.equal(refused.decision.rule, '(default deny)');
    assert.equal(engine.plan({ tool: 'free', at_ms: at }).kind, 'reserve', 'all_tools limits apply to every tool');
    const open = new PolicyEngine({ version: '1', default: 'allow' });
    assert.deepEqual(open.plan({ tool: 'free', at_ms: at }), { kind: 'final', decision: open.evaluate({ tool: 'free', at_ms: at }) });
    assert.equal(new PolicyEngine(null).plan({ tool: 't' }).decision.rule, '(no policy)');
  });

  test('finish refuses what is not a reserve plan with its counts, with typed errors', () => {
    const engine = new PolicyEngine({ version: '1', default: 'allow', tools: { t: { limits: [{ counter: 'c', window: 'minute', max: 1 }] } } });
    const plan = engine.plan({ tool: 't', at_ms: T0 });
    const final = engine.plan({ tool: 'x', at_ms: T0 });
    const cases = [
      [() => engine.finish(final, []), '/kind'],
      [() => engine.finish(null, [0]), '/kind'],
      [() => engine.finish(plan, 0), '/used'],
      [() => engine.finish(plan, []), '/used'],
      [() => engine.finish(plan, [0, 0]), '/used'],
      [() => engine.finish(plan, [-1]), '/used/0'],
      [() => engine.finish(plan, [0.5]), '/used/0'],
      [() => engine.finish(plan, [NaN]), '/used/0'],
      [() => engine.finish(plan, ['0']), '/used/0'],
      [() => engine.finish({ ...plan, limits: [{ ...plan.limits[0], window: 'week' }] }, [0]), '/limits/0/window'],
      [() => engine.finish({ ...plan, at_ms: -1 }, [0]), '/at_ms'],
    ];
    for (const [f, pointer] of cases) {
      assert.throws(f, (e) => e instanceof ToolgateError && e.kind === 'plan' && e.errors[0].pointer === pointer, String(f));
    }
  });
});
