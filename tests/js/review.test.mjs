// Policy change safety in the npm package: `diff` and `runTests` run the review corpus
// (tests/review/*.cases.json, the same files engine/tests/review_corpus.rs runs), and give the same
// JSON as the native CLI (`toolgate diff|test --format json`) on the same inputs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ToolgateError, PolicyError, diff, runTests } from 'toolgate';

const dir = fileURLToPath(new URL('../review/', import.meta.url));
const cli = process.env.TOOLGATE_CLI ?? fileURLToPath(new URL('../../target/debug/toolgate', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'toolgate-review-'));
after(() => rmSync(work, { recursive: true, force: true }));

const read = (name) => readFileSync(join(dir, name), 'utf8');
const cases = (name) => JSON.parse(read(name));
const traceOf = (c) => (typeof c.trace_text === 'string' ? c.trace_text : c.trace);

/** Runs the CLI; returns its exit code and parsed stdout. */
function toolgate(args) {
  try {
    const out = execFileSync(cli, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, json: JSON.parse(out) };
  } catch (e) {
    if (typeof e.status !== 'number') throw e;
    return { code: e.status, json: e.stdout ? JSON.parse(e.stdout) : null, stderr: e.stderr };
  }
}

function file(name, value) {
  const path = join(work, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return path;
}

test('the native CLI is built (scripts/test-pkg.sh builds it; TOOLGATE_CLI overrides the path)', () => {
  assert.ok(existsSync(cli), `no CLI at ${cli}: run \`cargo build -p toolgate\``);
});

describe('diff.cases.json', () => {
  const kinds = new Set();
  for (const c of cases('diff.cases.json')) {
    test(c.name, () => {
      const d = diff(c.old, c.new, traceOf(c));
      assert.deepEqual(d.rules, c.expect.rules);
      assert.deepEqual(d.summary.transitions, c.expect.transitions);
      assert.equal(d.replayed, true);
      assert.deepEqual(
        d.changes.map((x) => x.index),
        c.expect.changes.map((x) => x.index),
      );
      d.changes.forEach((x, i) => {
        const w = c.expect.changes[i];
        assert.equal(x.before.outcome, w.before, `call ${x.index}`);
        assert.equal(x.after.outcome, w.after, `call ${x.index}`);
        if (w.before_rule !== undefined) assert.equal(x.before.rule, w.before_rule);
        if (w.after_rule !== undefined) assert.equal(x.after.rule, w.after_rule);
      });
      for (const k of Object.keys(d.summary.transitions)) kinds.add(k);

      // The CLI on the same files prints the same JSON; --fail-on-change exits 1 exactly when a decision changed.
      const paths = [file(`${c.name}.old.json`, c.old), file(`${c.name}.new.json`, c.new), file(`${c.name}.trace`, traceOf(c))];
      const native = toolgate(['diff', ...paths, '--format', 'json', '--fail-on-change']);
      assert.equal(native.code, d.changes.length > 0 ? 1 : 0);
      assert.deepEqual(native.json, d);
      // Without a trace: the rule-level difference only.
      const bare = diff(c.old, c.new);
      assert.deepEqual(bare.rules, c.expect.rules);
      assert.deepEqual(toolgate(['diff', paths[0], paths[1], '--format', 'json']).json, bare);
    });
  }
  test('covers every transition between different outcomes', () => {
    const outcomes = ['allow', 'deny', 'hidden', 'rate_limited'];
    for (const a of outcomes) for (const b of outcomes) if (a !== b) assert.ok(kinds.has(`${a}->${b}`), `${a}->${b}`);
  });
});

describe('tests.cases.json', () => {
  for (const c of cases('tests.cases.json')) {
    test(c.name, () => {
      const r = runTests(c.policy, c.tests, { coverage: true });
      assert.equal(r.passed, c.expect.passed);
      assert.equal(r.failed, c.expect.failed);
      const failures = r.tests.flatMap((t) => t.failures.map((f) => ({ test: t.name, index: f.index, mismatched: f.mismatched })));
      assert.deepEqual(failures, c.expect.failures);
      if (c.coverage) {
        assert.deepEqual(Object.fromEntries(r.coverage.entries.map((e) => [e.pointer, e.hits])), c.coverage.hits);
        assert.deepEqual(r.coverage.uncovered, c.coverage.uncovered);
      }
      // Text or object in, the same report; and the CLI's (which adds each test's file).
      assert.deepEqual(runTests(JSON.stringify(c.policy), JSON.stringify(c.tests, null, 2), { coverage: true }), r);
      const testsFile = file(`${c.name}.tests.json`, c.tests);
      const native = toolgate(['test', file(`${c.name}.policy.json`, c.policy), testsFile, '--format', 'json', '--coverage']);
      assert.equal(native.code, r.failed === 0 ? 0 : 1);
      for (const t of native.json.tests) {
        assert.equal(t.file, testsFile);
        delete t.file;
      }
      assert.deepEqual(native.json, r);
    });
  }
});

test('the committed example files give the same JSON from the package and the CLI', () => {
  const oldP = read('refunds.old.json');
  const newP = read('refunds.new.json');
  const trace = read('traffic.record.jsonl');
  const d = diff(oldP, newP, trace);
  assert.equal(d.summary.changed, 12);
  const native = toolgate(['diff', join(dir, 'refunds.old.json'), join(dir, 'refunds.new.json'), join(dir, 'traffic.record.jsonl'), '--format', 'json']);
  assert.equal(native.code, 0);
  assert.deepEqual(native.json, d);
  const r = runTests(newP, read('refunds.failing.tests.json'));
  assert.deepEqual([r.passed, r.failed], [0, 3]);
  assert.equal(r.coverage, undefined, 'coverage only when asked for');
});

test('invalid inputs are typed errors naming the input', () => {
  const bad = { version: '1', default: 'dney' };
  assert.throws(() => diff(bad, null), (e) => e instanceof ToolgateError && e.kind === 'old_policy' && e.errors[0].pointer === '/default');
  assert.throws(() => diff(null, bad), (e) => e.kind === 'new_policy');
  assert.throws(() => diff(null, null, '{"tool": 1}'), (e) => e.kind === 'trace' && e.errors[0].pointer === '/tool');
  assert.throws(() => diff(undefined, null), (e) => e.kind === 'old_policy');
  assert.throws(() => runTests(bad, { tests: [] }), (e) => e instanceof PolicyError);
  assert.throws(
    () => runTests(null, '{"tests": [{"name": "a", "calls": [{"tool": "x", "expect": {"outcome": "alow"}}]}]}'),
    (e) => e.kind === 'tests' && e.errors[0].pointer === '/tests/0/calls/0/expect/outcome' && e.errors[0].line === 1 && e.errors[0].help === 'did you mean `allow`?',
  );
  assert.throws(() => runTests(null, { tests: [] }, { coverage: 'yes' }), (e) => e.kind === 'tests');
  assert.deepEqual(runTests(null, { tests: [] }), { tests: [], passed: 0, failed: 0 });
});
