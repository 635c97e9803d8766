// CommonJS: `require('toolgate')` loads the wasm synchronously, and shares one instance (and one
// set of classes) with `import 'toolgate'`.
const assert = require('node:assert/strict');
const { readFileSync, readdirSync } = require('node:fs');
const { join } = require('node:path');
const { describe, test } = require('node:test');

const toolgate = require('toolgate');

const POLICY = {
  version: '1',
  default: 'deny',
  tools: { create_refund: { deny_if: [{ conditions: [{ path: 'args.amount', op: 'gt', value: 10000 }], on_deny: 'Refunds over 10000 need a human.' }] } },
};

test('require gives a usable engine on the next line, without awaiting anything', () => {
  const engine = new toolgate.PolicyEngine(POLICY);
  const d = engine.evaluate({ tool: 'create_refund', args: { amount: 50000 }, at_ms: 1767225600000 });
  assert.equal(d.outcome, 'deny');
  assert.equal(d.rule, '/tools/create_refund/deny_if/args.amount-gt');
  assert.equal(d.message, 'Refunds over 10000 need a human.');
});

test('the CommonJS and ES module entries are one instance with the same classes', async () => {
  const esm = await import('toolgate');
  assert.equal(esm.PolicyEngine, toolgate.PolicyEngine);
  assert.equal(esm.PolicyError, toolgate.PolicyError);
  assert.throws(() => new esm.PolicyEngine('{'), toolgate.PolicyError);
});

test('init and initSync exist for isomorphic code and do nothing under Node', async () => {
  assert.equal(await toolgate.init(), undefined);
  assert.equal(toolgate.initSync(), undefined);
});

test('a gateway loads only the gateway module; the tools module loads on the first validate, simulate, diff or runTests', () => {
  const { execFileSync } = require('node:child_process');
  const script = `
    const loaded = () => Object.keys(require.cache).filter((f) => /toolgate_tools/.test(f)).length > 0;
    const t = require('toolgate');
    const e = new t.PolicyEngine({ version: '1', default: 'allow', tools: { a: { limits: [{ counter: 'c', window: 'minute', max: 1 }] } } });
    const d = e.evaluate({ tool: 'a', at_ms: 0 });
    e.check({ tool: 'a', at_ms: 0 });
    const p = e.plan({ tool: 'a', at_ms: 0 });
    e.finish(p, [0]);
    e.release(d);
    e.importState(e.exportState());
    e.filterTools({ tools: [{ name: 'a' }] });
    const before = loaded();
    const sim = e.simulate([{ tool: 'a', at_ms: 0 }, { tool: 'a', at_ms: 1 }]);
    process.stdout.write(JSON.stringify([before, loaded(), sim.summary.rate_limited]));
  `;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: __dirname, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), [false, true, 1]);
});

test('the version is the package version', () => {
  const pkg = JSON.parse(readFileSync(require.resolve('toolgate/package.json'), 'utf8'));
  assert.equal(toolgate.version(), pkg.version);
  assert.match(toolgate.version(), /^\d+\.\d+\.\d+/);
});

test('the entry points are the package exports', () => {
  assert.match(require.resolve('toolgate'), /index\.cjs$/);
  assert.match(require.resolve('toolgate/toolgate_bg.wasm'), /wasm[/\\]toolgate_bg\.wasm$/);
  assert.match(require.resolve('toolgate/toolgate_tools_bg.wasm'), /wasm[/\\]toolgate_tools_bg\.wasm$/);
});

describe('the conformance corpus through CommonJS', () => {
  const dir = process.env.TOOLGATE_CORPUS_DIR ?? join(__dirname, '..', 'corpus');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'pending-bugs.json').sort()) {
    test(file, async () => {
      const { readCases, runCase } = await import('./corpus-runner.mjs');
      const cases = readCases(readFileSync(join(dir, file), 'utf8'));
      const failed = cases.map((c) => [c.name, runCase(toolgate, c)]).filter(([, problems]) => problems.length > 0);
      assert.deepEqual(failed, []);
      assert.ok(cases.length > 0);
    });
  }
});
