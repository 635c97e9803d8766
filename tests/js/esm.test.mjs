// ES modules under Node: named imports work synchronously at import time; the browser entry
// (`toolgate/web`) also runs under Node once given the wasm bytes, and refuses to work before.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';

import { PolicyEngine, PolicyError, ToolgateError, denialResult, init, initSync, version } from 'toolgate';

const require = createRequire(import.meta.url);
const POLICY = { version: '1', default: 'deny', tools: { search: {} } };

test('named imports are usable at once: no await, no bundler plugin', () => {
  const engine = new PolicyEngine(POLICY);
  assert.equal(engine.evaluate({ tool: 'search', at_ms: 0 }).outcome, 'allow');
  assert.equal(engine.evaluate({ tool: 'delete', at_ms: 0 }).rule, '(default deny)');
  assert.equal(typeof version(), 'string');
  assert.equal(typeof init, 'function');
  assert.equal(typeof initSync, 'function');
});

test('import resolves to the ES module entry', () => {
  assert.match(import.meta.resolve('toolgate'), /index\.mjs$/);
  assert.match(import.meta.resolve('toolgate/web'), /browser\.mjs$/);
});

test('the browser entry refuses to work before init, with a typed error', async () => {
  const web = await import('toolgate/web');
  assert.notEqual(web.PolicyEngine, PolicyEngine, 'a separate instance from the Node entry');
  assert.throws(() => new web.PolicyEngine(POLICY), (e) => e instanceof web.ToolgateError && e.kind === 'init' && /init\(\)/.test(e.message));
  assert.throws(() => web.version(), (e) => e.kind === 'init');
});

test('the browser entry needs the tools module for validate, simulate, diff and runTests, and says how to load it', async () => {
  const web = await import('toolgate/web');
  web.initSync({ module: readFileSync(require.resolve('toolgate/toolgate_bg.wasm')) });
  const engine = new web.PolicyEngine(POLICY);
  for (const use of [() => web.PolicyEngine.validate(POLICY), () => engine.simulate([{ tool: 'delete' }]), () => web.diff(POLICY, null), () => web.runTests(POLICY, { tests: [] })]) {
    assert.throws(use, (e) => e instanceof web.ToolgateError && e.kind === 'init' && /initTools\(\)/.test(e.message));
  }
  web.initSync({ module: readFileSync(require.resolve('toolgate/toolgate_bg.wasm')), tools: readFileSync(require.resolve('toolgate/toolgate_tools_bg.wasm')) });
  assert.equal(web.PolicyEngine.validate(POLICY).valid, true);
  assert.equal(engine.simulate([{ tool: 'delete', at_ms: 0 }]).decisions[0].rule, '(default deny)');
});

test('the browser entry works under Node after initSync with the wasm bytes', async () => {
  const web = await import('toolgate/web');
  web.initSync({ module: readFileSync(require.resolve('toolgate/toolgate_bg.wasm')) });
  const engine = new web.PolicyEngine(POLICY);
  assert.equal(engine.evaluate({ tool: 'delete', at_ms: 0 }).rule, '(default deny)');
  assert.equal(web.version(), version());
  await web.init(); // both modules already loaded (the tools module by the test above): nothing to fetch
});

test('a refused decision becomes the MCP result a gateway answers with', () => {
  const d = new PolicyEngine(POLICY).evaluate({ tool: 'delete', at_ms: 0 });
  assert.deepEqual(denialResult(d), {
    content: [{ type: 'text', text: '[POLICY DENIED] Tool "delete" is not permitted by policy' }],
    isError: true,
  });
});

test('errors are Error subclasses with a name, a kind and the located list', () => {
  try {
    new PolicyEngine('{\n  "version": "1",\n  "default": "deny",\n  "tools": { "t": { "deny-if": [] } }\n}');
    assert.fail('the policy was accepted');
  } catch (e) {
    assert.ok(e instanceof PolicyError && e instanceof ToolgateError && e instanceof Error);
    assert.equal(e.name, 'PolicyError');
    assert.equal(e.kind, 'policy');
    assert.deepEqual(Object.keys(e.errors[0]).sort(), ['column', 'help', 'line', 'message', 'pointer']);
    assert.equal(e.errors[0].pointer, '/tools/t/deny-if');
    assert.equal(e.errors[0].line, 4);
    assert.match(e.errors[0].help, /deny_if/);
    assert.match(e.message, /^invalid policy: 4:\d+: \/tools\/t\/deny-if: /);
    assert.ok(typeof e.stack === 'string');
  }
});

test('the published types declare no `any`', () => {
  const types = readFileSync(require.resolve('toolgate/package.json').replace(/package\.json$/, 'index.d.ts'), 'utf8');
  const code = types.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  assert.doesNotMatch(code, /\bany\b/);
  assert.match(code, /export type Decision = AllowDecision \| DenyDecision \| HiddenDecision \| RateLimitedDecision;/);
});
