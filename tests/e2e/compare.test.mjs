// End-to-end: reviewing a policy change in the browser — two versions and a trace recorded by
// the gateway, the changed decisions and their summary, rule hits, tests.json, and a 100 000-call
// comparison that keeps the page responsive. Run with scripts/test-e2e.sh.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

import { AppPage, DIST, launch, until } from './app.mjs';
import { startServer } from './server.mjs';

let server;
let browser;

before(async () => {
  server = await startServer(DIST);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const wide = { viewport: { width: 1440, height: 1000 } };

const TOOLS = { tools: [{ name: 'search' }, { name: 'refund' }, { name: 'delete_repo' }] };
const OLD = {
  version: '1',
  default: 'deny',
  tools: { search: {}, refund: { limits: [{ counter: 'refunds', window: 'minute', max: 3 }] } },
};
const NEW = {
  version: '1',
  default: 'deny',
  hide: ['delete_repo'],
  tools: {
    search: {},
    refund: {
      deny_if: [{ conditions: [{ path: 'args.amount', op: 'gt', value: 100 }], on_deny: 'Refunds over 100 need approval' }],
      limits: [{ counter: 'refunds', window: 'minute', max: 5 }],
    },
  },
};

// A trace as the gateway's --record writes it: {"ts", "grant", "tool", "args", "upstream_error"}.
const at = (s) => `2026-12-01T10:00:${String(s).padStart(2, '0')}.000Z`;
const rec = (s, tool, args = {}, extra = {}) => ({ ts: at(s), grant: 'default', tool, args, upstream_error: false, ...extra });
const RECORDED = [
  rec(0, 'search', { q: 'refund policy' }),
  rec(1, 'refund', { amount: 50 }),
  rec(2, 'refund', { amount: 50 }),
  rec(3, 'refund', { amount: 500 }),                          // allow -> deny (deny_if)
  rec(4, 'refund', { amount: 50 }),                           // rate_limited -> allow (3/min -> 5/min)
  rec(5, 'refund', { amount: 50 }, { upstream_error: true }), // rate_limited -> allow, quota given back
  rec(6, 'refund', { amount: 50 }),                           // rate_limited -> allow
  rec(7, 'delete_repo', { repo: 'prod' }),                    // deny -> hidden
  rec(8, 'refund', { amount: 50 }),                           // rate_limited -> allow (5/5)
  rec(9, 'refund', { amount: 50 }),                           // rate_limited under both: unchanged
  rec(10, 'search', { q: '<img src=x onerror=alert(1)>' }, { grant: 'bob' }),
];
const BEFORE = ['allow', 'allow', 'allow', 'allow', 'rate_limited', 'rate_limited', 'rate_limited', 'deny', 'rate_limited', 'rate_limited', 'allow'];
const AFTER = ['allow', 'allow', 'allow', 'deny', 'allow', 'allow', 'allow', 'hidden', 'allow', 'rate_limited', 'allow'];

async function compareSetup(app) {
  await app.pasteTools(JSON.stringify(TOOLS));
  await app.waitForRows(3);
  await app.typePolicy(JSON.stringify(NEW, null, 2));
  await until(async () => (await app.stateOf('delete_repo')) === 'hide', 'the new policy in the builder');
  await app.paste(app.tid('compare-input'), JSON.stringify(OLD, null, 2));
  await app.tid('tab-trace').click();
  await app.paste(app.tid('trace-input'), RECORDED.map((c) => JSON.stringify(c)).join('\n') + '\n');
}

const rowsOf = (app) => app.decisionRows().evaluateAll((rows) => rows.map((r) => ({
  index: Number(r.dataset.index), tool: r.dataset.tool, outcome: r.dataset.outcome,
  changed: r.dataset.changed ?? null, before: r.dataset.beforeOutcome ?? null,
})));

test('two policy versions and a recorded trace: changed rows, the summary by transition, rule hits and tests.json', async () => {
  const context = await browser.newContext({ ...wide, acceptDownloads: true });
  const app = await AppPage.open(context, server.url);
  await compareSetup(app);
  await app.run(RECORDED.length);

  // Every row, with the changed ones marked before -> after.
  const rows = await rowsOf(app);
  assert.deepEqual(rows.map((r) => r.outcome), AFTER);
  for (const r of rows) {
    const changed = BEFORE[r.index] !== AFTER[r.index];
    assert.equal(r.changed, changed ? 'true' : null, `row ${r.index}`);
    assert.equal(r.before, changed ? BEFORE[r.index] : null, `row ${r.index}`);
  }
  const denied = app.page.locator('[data-testid="decision-row"][data-index="3"]');
  assert.match(await denied.textContent(), /allowed\s*→\s*denied/);
  assert.match(await denied.textContent(), /Refunds over 100 need approval/);
  assert.match(await app.page.locator('[data-testid="decision-row"][data-index="10"]').textContent(), /<img src=x onerror=alert\(1\)>/);

  // The summary by transition.
  const summary = app.tid('compare-summary');
  assert.equal(await summary.getAttribute('data-calls'), '11');
  assert.equal(await summary.getAttribute('data-changed'), '6');
  const transitions = Object.fromEntries(await app.tid('compare-transition').evaluateAll((b) => b.map((x) => [x.dataset.transition, Number(x.dataset.count)])));
  assert.deepEqual(transitions, { 'allow->deny': 1, 'deny->hidden': 1, 'rate_limited->allow': 4 });
  assert.match(await summary.textContent(), /6 of 11 decisions change/);
  await app.screenshot('12-compare', '.compare-summary');

  // Changed only, then one transition.
  await app.tid('decision-filter-changed').check();
  await until(async () => (await app.decisionRows().count()) === 6, 'the 6 changed rows');
  assert.ok((await rowsOf(app)).every((r) => r.changed === 'true'));
  await app.page.locator('[data-testid="compare-transition"][data-transition="rate_limited->allow"]').click();
  await until(async () => (await app.decisionRows().count()) === 4, 'the 4 rate_limited->allow rows');
  assert.deepEqual((await rowsOf(app)).map((r) => r.index), [4, 5, 6, 8]);
  await app.tid('decision-filter-changed').uncheck();
  await until(async () => (await app.decisionRows().count()) === 11, 'every row again');

  // Rule hits in the builder: what each entry of the new policy decided, and what nothing reached.
  const hits = Object.fromEntries(await app.tid('rule-hits').evaluateAll((l) => l.map((x) => [x.dataset.pointer, Number(x.dataset.hits)])));
  assert.deepEqual(hits, {
    '/default': 0,
    '/hide/0': 1,
    '/tools/search': 2,
    '/tools/refund': 6,
    '/tools/refund/deny_if/0': 1,
    '/tools/refund/limits/0': 1,
  });
  assert.match(await app.page.locator('[data-testid="rule-hits"][data-pointer="/default"]').textContent(), /never reached/);
  await app.screenshot('13-rule-hits', '[data-testid="coverage"]');

  // Save these decisions as tests: a tests.json `toolgate test` reads, pinning every decision.
  const [download] = await Promise.all([app.page.waitForEvent('download'), app.tid('save-tests').click()]);
  assert.equal(download.suggestedFilename(), 'tests.json');
  const file = JSON.parse(await readFile(await download.path(), 'utf8'));
  assert.equal(file.tests.length, 1);
  const calls = file.tests[0].calls;
  assert.equal(calls.length, RECORDED.length);
  assert.deepEqual(calls.map((c) => c.expect.outcome), AFTER);
  assert.deepEqual(calls.map((c) => c.tool), RECORDED.map((c) => c.tool));
  assert.deepEqual(calls.map((c) => c.at_ms), RECORDED.map((c) => Date.parse(c.ts)));
  assert.deepEqual(calls.map((c) => c.args ?? {}), RECORDED.map((c) => c.args));
  assert.equal(calls[5].upstream_error, true);
  assert.equal(calls[10].grant, 'bob');
  assert.deepEqual(calls[3].expect, { outcome: 'deny', rule: calls[3].expect.rule, message: 'Refunds over 100 need approval' });
  assert.match(calls[3].expect.rule, /^\/tools\/refund\/deny_if\//);
  assert.equal(calls[9].expect.rule, '/tools/refund/limits/refunds');
  assert.equal(calls[7].expect.outcome, 'hidden');

  // "The previous version": edit the policy, compare with the version of the last run.
  await app.tid('compare-clear').click();
  const raised = structuredClone(NEW);
  raised.tools.refund.limits[0].max = 6;
  await app.typePolicy(JSON.stringify(raised, null, 2));
  await app.tid('compare-previous').click();
  await until(async () => (await app.tid('compare-input').inputValue()) === JSON.stringify(NEW, null, 2), 'the previous version');
  await app.run(RECORDED.length);
  assert.equal(await app.tid('compare-summary').getAttribute('data-changed'), '1');
  assert.deepEqual((await rowsOf(app)).filter((r) => r.changed).map((r) => [r.index, r.before, r.outcome]), [[9, 'rate_limited', 'allow']]);

  // An invalid version to compare with is located, and the run says why it does not start.
  await app.paste(app.tid('compare-input'), '{"version": "1", "default": "deny",}');
  await app.page.locator('[data-testid="compare-errors"] > li').first().waitFor();
  assert.equal(await app.page.locator('[data-testid="compare-errors"] > li').first().getAttribute('data-line'), '1');
  await app.tid('run-simulation').click();
  await until(async () => /version to compare with has 1 error/.test(await app.tid('toast').textContent()), 'the refusal');
  assert.deepEqual(app.errors, []);
  await context.close();
});

test('a 100 000-call comparison shows progress and keeps the page painting', async () => {
  const context = await browser.newContext(wide);
  const app = await AppPage.open(context, server.url);
  await app.pasteTools(JSON.stringify(TOOLS));
  await app.waitForRows(3);
  await app.typePolicy(JSON.stringify(NEW, null, 2));
  await until(async () => (await app.stateOf('delete_repo')) === 'hide', 'the new policy');
  await app.paste(app.tid('compare-input'), JSON.stringify(OLD, null, 2));
  await app.generate({ pattern: 'mix', tools: 'refund, search, delete_repo', count: 100000, every: 10, args: '{"amount": 50}' });

  const frames = app.page.evaluate(() => new Promise((resolve) => {
    let n = 0;
    const t0 = performance.now();
    const tick = () => { n++; if (performance.now() - t0 < 400) requestAnimationFrame(tick); else resolve(n); };
    requestAnimationFrame(tick);
  }));
  const progressSeen = app.tid('sim-progress').waitFor({ timeout: 20000 }).then(() => true, () => false);
  const timing = await app.run(100000, 180000);
  assert.ok(await progressSeen, 'progress was shown');
  const framesIn400ms = await frames;
  assert.ok(framesIn400ms >= 3, `the page kept painting during the comparison (${framesIn400ms} frames)`);
  const summary = app.tid('compare-summary');
  assert.equal(await summary.getAttribute('data-calls'), '100000');
  const changed = Number(await summary.getAttribute('data-changed'));
  const byTransition = await app.tid('compare-transition').evaluateAll((b) => b.reduce((n, x) => n + Number(x.dataset.count), 0));
  assert.equal(byTransition, changed);
  assert.ok(changed > 0);
  const hits = await app.tid('rule-hits').evaluateAll((l) => l.reduce((n, x) => n + Number(x.dataset.hits), 0));
  assert.equal(hits, 100000, 'every call counted once in the rule hits');
  assert.equal(await app.decisionRows().count(), 100, 'the table is paged');
  await app.tid('decision-filter-changed').check();
  await until(async () => /of \d+ · page 1 of/.test(await app.tid('page-info').first().textContent()), 'the changed rows paged');
  assert.match(await app.tid('page-info').first().textContent(), new RegExp(`of ${changed} ·`));
  console.log(`100k comparison: ${JSON.stringify({ ...timing, framesIn400ms, changed })}`);
  assert.deepEqual(app.errors, []);
  await context.close();
});
