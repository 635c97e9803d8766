// Bad input across the JS/wasm boundary: every wrong value is a typed error (ToolgateError or
// PolicyError with the located `{pointer, message, line, column}` list) or, where the engine
// decides, a typed Decision — never a wasm trap, never a crash of Node, never a bare string.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { PolicyEngine, PolicyError, ToolgateError } from 'toolgate';

const T0 = 1767225600000;
const POLICY = {
  version: '1',
  default: 'deny',
  tools: {
    search: { limits: [{ counter: 'searches', window: 'minute', max: 3 }] },
    pay: { deny_if: [{ conditions: [{ path: 'args.amount', op: 'gt', value: 10000 }] }] },
  },
};

/** Asserts `fn` throws a typed error of `kind` whose first problem is at `pointer`. */
function throwsTyped(fn, kind, pointer) {
  let caught;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, 'no error was thrown');
  assert.ok(caught instanceof ToolgateError, `not a ToolgateError: ${caught}`);
  assert.ok(caught instanceof Error);
  assert.equal(caught.kind, kind, caught.message);
  assert.ok(Array.isArray(caught.errors) && caught.errors.length > 0);
  for (const x of caught.errors) {
    assert.equal(typeof x.pointer, 'string');
    assert.equal(typeof x.message, 'string');
    assert.ok('line' in x && 'column' in x, 'every error has line and column (maybe null)');
  }
  if (pointer !== undefined) assert.equal(caught.errors[0].pointer, pointer, caught.message);
  if (kind === 'policy') assert.ok(caught instanceof PolicyError);
  return caught;
}

/** The engine still answers after the bad input (no trap left the instance broken). */
function stillWorks(engine) {
  assert.equal(engine.evaluate({ tool: 'pay', args: { amount: 1 }, at_ms: T0 }).outcome, 'allow');
}

function nested(depth) {
  let v = {};
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe('policies', () => {
  test('undefined, numbers, booleans and arrays are policy errors', () => {
    throwsTyped(() => new PolicyEngine(undefined), 'policy', '');
    throwsTyped(() => new PolicyEngine(42), 'policy', '');
    throwsTyped(() => new PolicyEngine(true), 'policy', '');
    throwsTyped(() => new PolicyEngine([]), 'policy', '');
    throwsTyped(() => new PolicyEngine(), 'policy', '');
  });

  test('a string that is not JSON is a located syntax error', () => {
    const e = throwsTyped(() => new PolicyEngine('{"version": "1",\n  "default": deny}'), 'policy', '');
    assert.equal(e.errors[0].line, 2);
    assert.match(e.errors[0].message, /invalid JSON/);
    throwsTyped(() => new PolicyEngine(''), 'policy', '');
    throwsTyped(() => new PolicyEngine('not json at all'), 'policy', '');
  });

  test('values JSON cannot hold are policy errors, not JS exceptions', () => {
    const cyclic = { version: '1', default: 'deny' };
    cyclic.self = cyclic;
    throwsTyped(() => new PolicyEngine(cyclic), 'policy', '');
    throwsTyped(() => new PolicyEngine({ version: '1', default: 'deny', x: 1n }), 'policy', '');
    throwsTyped(() => new PolicyEngine(() => 1), 'policy', '');
    throwsTyped(() => new PolicyEngine(Symbol('p')), 'policy', '');
  });

  test('nesting deeper than the parser allows is a located error', () => {
    throwsTyped(() => new PolicyEngine({ version: '1', default: 'deny', deep: nested(500) }), 'policy', '');
    throwsTyped(() => new PolicyEngine(nested(100_000)), 'policy', '');
  });

  test('a 5 MB policy loads, and a policy of 2000 mistakes reports the first 1000 of them', () => {
    const blocked = Array.from({ length: 400_000 }, (_, i) => `customer-${i}`);
    const big = { version: '1', default: 'allow', tools: { refund: { deny_if: [{ conditions: [{ path: 'args.customer', op: 'in', value: blocked }] }] } } };
    assert.ok(JSON.stringify(big).length > 5_000_000);
    const engine = new PolicyEngine(big);
    assert.equal(engine.evaluate({ tool: 'refund', args: { customer: 'customer-399999' }, at_ms: T0 }).outcome, 'deny');
    assert.equal(engine.evaluate({ tool: 'refund', args: { customer: 'someone' }, at_ms: T0 }).outcome, 'allow');
    const tools = {};
    for (let i = 0; i < 2000; i++) tools[`tool_${i}`] = { limits: [{ counter: `c${i}`, window: 'week', max: 5 }] };
    const e = throwsTyped(() => new PolicyEngine({ version: '1', default: 'deny', tools }), 'policy', '/tools/tool_0/limits/0/window');
    assert.equal(e.errors.length, 1001, 'capped, with a last error saying so');
  });

  test('setPolicy with a bad policy throws and keeps the old one', () => {
    const engine = new PolicyEngine(POLICY);
    throwsTyped(() => engine.setPolicy({ version: '2' }), 'policy', '/version');
    throwsTyped(() => engine.setPolicy(undefined), 'policy', '');
    stillWorks(engine);
  });

  test('validate reports, never throws, for any policy value', () => {
    for (const bad of [undefined, 42, 'nope', [], { version: '1' }]) {
      const r = PolicyEngine.validate(bad);
      assert.equal(r.valid, false);
      assert.ok(r.errors.length > 0);
    }
    assert.deepEqual(PolicyEngine.validate(null), { valid: true, errors: [], warnings: [] });
  });
});

describe('calls', () => {
  const engine = new PolicyEngine(POLICY);

  test('a call that is not an object is a call error', () => {
    for (const bad of [undefined, null, 42, 'search', [], true]) throwsTyped(() => engine.evaluate(bad), 'call', '');
    throwsTyped(() => engine.check(undefined), 'call', '');
    stillWorks(engine);
  });

  test('a tool that is not a string, or a grant that is not a string, is a call error', () => {
    throwsTyped(() => engine.evaluate({ at_ms: T0 }), 'call', '/tool');
    throwsTyped(() => engine.evaluate({ tool: 42, at_ms: T0 }), 'call', '/tool');
    throwsTyped(() => engine.evaluate({ tool: 'search', grant: 7, at_ms: T0 }), 'call', '/grant');
    throwsTyped(() => engine.isVisible(undefined), 'call', '/tool');
  });

  test('at_ms that is NaN, negative, fractional, infinite, beyond 2^53 or a string is a call error', () => {
    for (const bad of [NaN, -1, -0.5, 1.5, Infinity, -Infinity, 2 ** 53, 1e300]) {
      throwsTyped(() => engine.evaluate({ tool: 'search', at_ms: bad }), 'call', '/at_ms');
    }
    for (const bad of ['1767225600000', null, 10n, {}]) throwsTyped(() => engine.evaluate({ tool: 'search', at_ms: bad }), 'call', '/at_ms');
    assert.deepEqual(engine.exportState().counters, [], 'nothing was charged');
    assert.equal(engine.evaluate({ tool: 'search', at_ms: 2 ** 53 - 1 }).outcome, 'allow');
    assert.equal(engine.evaluate({ tool: 'search', grant: 'other', at_ms: 0 }).outcome, 'allow');
  });

  test('arguments that are arrays, strings, numbers or booleans are denied by the engine (fail closed)', () => {
    for (const args of [[1, 2], [], 'x', 42, true]) {
      const d = engine.evaluate({ tool: 'pay', args, at_ms: T0 });
      assert.equal(d.outcome, 'deny');
      assert.equal(d.rule, '(invalid arguments)');
      assert.match(d.message, /must be a JSON object/);
      assert.equal(d.pointer, null);
    }
    assert.equal(engine.evaluate({ tool: 'pay', args: null, at_ms: T0 }).outcome, 'allow', 'null arguments are no arguments');
  });

  test('arguments JSON cannot hold are call errors', () => {
    const cyclic = {};
    cyclic.self = cyclic;
    throwsTyped(() => engine.evaluate({ tool: 'pay', args: cyclic, at_ms: T0 }), 'call', '/args');
    throwsTyped(() => engine.evaluate({ tool: 'pay', args: { amount: 10n }, at_ms: T0 }), 'call', '/args');
    throwsTyped(() => engine.evaluate({ tool: 'pay', args: () => 1, at_ms: T0 }), 'call', '/args');
    throwsTyped(() => engine.evaluate({ tool: 'pay', args: nested(200), at_ms: T0 }), 'call', '/args');
    throwsTyped(() => engine.evaluate({ tool: 'pay', args: nested(100_000), at_ms: T0 }), 'call', '/args');
    stillWorks(engine);
  });

  test('args_json that is not JSON is a located call error', () => {
    const e = throwsTyped(() => engine.evaluate({ tool: 'pay', args_json: '{"amount":\n 5,,}', at_ms: T0 }), 'call', '/args');
    assert.equal(e.errors[0].line, 2);
    throwsTyped(() => engine.evaluate({ tool: 'pay', args_json: 5, at_ms: T0 }), 'call', '/args_json');
    throwsTyped(() => engine.evaluate({ tool: 'pay', args_json: '', at_ms: T0 }), 'call', '/args_json');
    throwsTyped(() => engine.evaluate({ tool: 'pay', args: {}, args_json: '{}', at_ms: T0 }), 'call', '/args');
    assert.equal(engine.evaluate({ tool: 'pay', args_json: '{"amount": 20000}', at_ms: T0 }).outcome, 'deny');
  });

  test('huge arguments are refused with a reason, and the engine keeps working', () => {
    const args = { amount: 20000 };
    for (let i = 0; i < 200_000; i++) args[`k${i}`] = i;
    const wide = engine.evaluate({ tool: 'pay', args, at_ms: T0 });
    assert.deepEqual([wide.outcome, wide.rule, wide.message], ['deny', '(invalid arguments)', 'Arguments are 3.1 MiB; the limit is 1 MiB']);
    const many = engine.evaluate({ tool: 'pay', args: { amount: 1, pad: new Array(150_000).fill(0) }, at_ms: T0 });
    assert.deepEqual([many.outcome, many.rule, many.message], ['deny', '(invalid arguments)', 'Arguments have 150003 values; the limit is 100000']);
    const long = engine.evaluate({ tool: 'pay', args: { note: 'x'.repeat(20_000_000), amount: 1 }, at_ms: T0 });
    assert.deepEqual([long.outcome, long.rule, long.message], ['deny', '(invalid arguments)', 'Arguments are 19.1 MiB; the limit is 1 MiB']);
    assert.equal(engine.evaluate({ tool: 'pay', args: { note: 'x'.repeat(500_000), amount: 1 }, at_ms: T0 }).outcome, 'allow');
    const tool = 't'.repeat(1_000_000);
    assert.equal(engine.evaluate({ tool, at_ms: T0 }).rule, '(default deny)');
  });

  test('texts beyond 128 Mi characters are refused before they reach the wasm memory', () => {
    const huge = 'x'.repeat(128 * 1024 * 1024 + 1);
    throwsTyped(() => engine.evaluate({ tool: huge, at_ms: T0 }), 'call', '/tool');
    assert.equal(engine.evaluate({ tool: 'pay', args_json: huge, at_ms: T0 }).rule, '(invalid arguments)', 'arguments are refused, whatever their size');
    throwsTyped(() => new PolicyEngine(huge), 'policy', '');
    throwsTyped(() => engine.simulate(huge), 'trace', '');
    throwsTyped(() => engine.filterTools(huge), 'tools', '');
    stillWorks(engine);
  });

  test('strings with lone surrogates and NUL bytes cross the boundary', () => {
    assert.equal(engine.evaluate({ tool: 'pay\u0000', at_ms: T0 }).message, 'Tool "pay\u0000" is not permitted by policy');
    const d = engine.evaluate({ tool: 'pay\ud800', at_ms: T0 });
    assert.equal(d.outcome, 'deny');
    throwsTyped(() => engine.evaluate({ tool: 'pay', args: { s: '\ud800' }, at_ms: T0 }), 'call', '/args');
    stillWorks(engine);
  });
});

describe('decisions, tool lists, traces and snapshots', () => {
  test('release takes only a decision', () => {
    const engine = new PolicyEngine(POLICY);
    for (const bad of [undefined, null, 5, 'allow', []]) throwsTyped(() => engine.release(bad), 'decision', '');
    throwsTyped(() => engine.release({}), 'decision', '');
    throwsTyped(() => engine.release({ outcome: 'maybe', counters: [] }), 'decision', '/outcome');
    throwsTyped(() => engine.release({ outcome: 'allow', counters: [{ counter: 'c' }] }), 'decision', '/counters/0');
    const deny = engine.evaluate({ tool: 'nope', at_ms: T0 });
    assert.equal(engine.release(deny), 0);
  });

  test('filterTools takes only a tools/list result', () => {
    const engine = new PolicyEngine(POLICY);
    for (const bad of [undefined, 5, '[1,2]', 'not json', { tools: 5 }, { tools: [{ title: 'no name' }] }, [], null]) {
      throwsTyped(() => engine.filterTools(bad), 'tools');
    }
    const e = throwsTyped(() => engine.filterTools('{"tools": [\n  {"name": 1}]}'), 'tools', '/tools/0/name');
    assert.equal(e.errors[0].line, 2);
  });

  test('simulate takes only a trace, and reports every problem with its place', () => {
    const engine = new PolicyEngine(POLICY);
    throwsTyped(() => engine.simulate(undefined), 'trace', '');
    throwsTyped(() => engine.simulate(5), 'trace', '');
    throwsTyped(() => engine.simulate('garbage'), 'trace');
    const e = throwsTyped(() => engine.simulate([{ tool: 'search', at_ms: 5 }, { tool: 5 }, { tool: 'pay', args: [1] }]), 'trace');
    assert.deepEqual(
      e.errors.map((x) => x.pointer),
      ['/1/tool', '/2/args'],
    );
    const back = throwsTyped(() => engine.simulate([{ tool: 'search', at_ms: 10 }, { tool: 'search', at_ms: 5 }]), 'trace');
    assert.match(back.errors[0].message, /backwards/);
    assert.deepEqual(engine.simulate([]).decisions, []);
  });

  test('importState takes only a snapshot, all or nothing', () => {
    const engine = new PolicyEngine(POLICY);
    engine.evaluate({ tool: 'search', at_ms: T0 });
    const before = engine.exportState();
    for (const bad of [undefined, null, 5, [], 'x', '{"counters": 5}', { counters: [{ grant: 'g' }] }]) {
      throwsTyped(() => engine.importState(bad), 'state');
    }
    const misaligned = { version: 1, counters: [{ grant: 'g', counter: 'c', window: 'minute', window_start_ms: T0 + 1, used: 1 }] };
    throwsTyped(() => engine.importState(misaligned), 'state', '/counters/0/window_start_ms');
    assert.deepEqual(engine.exportState(), before, 'a refused snapshot changes nothing');
  });

  test('validate takes only a tools/list result as its tool list', () => {
    throwsTyped(() => PolicyEngine.validate(POLICY, 5), 'tools');
    throwsTyped(() => PolicyEngine.validate(POLICY, '{"tools": {}}'), 'tools', '/tools');
  });
});
