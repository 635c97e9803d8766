// End-to-end: the release build in real headless Chromium, used as a person would.
// Run with scripts/test-e2e.sh (builds dist/ if needed). Screenshots: target/e2e-screenshots/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { AppPage, DIST, FIXTURES, REPO, launch, until } from './app.mjs';
import { startServer } from './server.mjs';

let server;
let browser;
const report = {};

before(async () => {
  server = await startServer(DIST);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await mkdir(join(REPO, 'target'), { recursive: true });
  await writeFile(join(REPO, 'target', 'e2e-report.json'), JSON.stringify(report, null, 2) + '\n');
});

const wide = { viewport: { width: 1440, height: 1000 } };
const fixture = (p) => readFile(join(FIXTURES, p), 'utf8');

test('a newcomer builds a policy from the GitHub tool list, dry-runs a burst, and keeps and shares it', async () => {
  const context = await browser.newContext(wide);
  const app = await AppPage.open(context, server.url);
  await app.screenshot('01-empty');

  // 1. Paste a real tool list.
  await app.pasteTools(await fixture('toollists/github.json'));
  await app.waitForRows(86);
  report.paste_to_table_ms = Number(await until(() => app.tid('load-timing').getAttribute('data-ms'), 'the load timing'));

  // 2. Set states: one of each.
  await app.setState('get_me', 'allow');
  await app.setState('delete_file', 'hide');
  await app.setState('create_or_update_file', 'deny');
  await app.setState('merge_pull_request', 'custom');

  // A custom deny_if picked from the tool's inputSchema (an enum argument), and a limit.
  const editor = app.editor('merge_pull_request');
  await editor.waitFor();
  await editor.locator('[data-testid="add-deny-if"]').click();
  const cond = editor.locator('[data-testid="deny_if-rule"] [data-testid="condition"]').first();
  await cond.waitFor();
  const pathOptions = await cond.locator('[data-testid="condition-path"] option').allTextContents();
  assert.ok(pathOptions.some((o) => o.startsWith('args.merge_method')), `argument picker lists the schema: ${pathOptions}`);
  await cond.locator('[data-testid="condition-path"]').selectOption('args.merge_method');
  await cond.locator('[data-testid="condition-op"]').selectOption('eq');
  const valueOptions = await cond.locator('[data-testid="condition-value"] option').allTextContents();
  assert.deepEqual(valueOptions, ['merge', 'squash', 'rebase'], 'enum values are offered');
  await cond.locator('[data-testid="condition-value"]').selectOption('merge');
  await app.setField(editor.locator('[data-testid="rule-message"]').first(), 'Use squash merges.');
  await editor.locator('[data-testid="add-limit"]').click();
  await app.setField(editor.locator('[data-testid="limit-max"]'), 5);

  // 3. The JSON follows the builder.
  await until(async () => (await app.policy()).tools?.merge_pull_request?.limits?.[0]?.max === 5, 'the limit in the JSON');
  const policy = await app.policy();
  assert.deepEqual(policy.tools.merge_pull_request, {
    deny_if: [{ conditions: [{ path: 'args.merge_method', op: 'eq', value: 'merge' }], on_deny: 'Use squash merges.' }],
    limits: [{ counter: 'merge_pull_request_per_minute', window: 'minute', max: 5 }],
  });
  assert.deepEqual(policy.hide, ['delete_file']);
  assert.deepEqual(policy.tools.get_me, {});
  assert.deepEqual(policy.tools.create_or_update_file.deny_if[0].conditions, []);
  assert.equal(policy.default, 'deny');
  assert.match(await app.tid('policy-status').textContent(), /^valid/);
  await app.screenshot('02-builder', '#policy');

  // 4. A generated burst: 5 allowed, then rate limited with retry-after.
  await app.generate({ pattern: 'burst', tools: 'merge_pull_request', count: 20, args: '{"merge_method": "squash"}' });
  await app.run(20);
  assert.deepEqual(await app.summary(), { calls: 20, allowed: 5, denied: 0, hidden: 0, rate_limited: 15 });
  await until(async () => (await app.decisionRows().count()) === 20, '20 decision rows');
  const outcomes = await app.decisionRows().evaluateAll((rows) => rows.map((r) => r.dataset.outcome));
  assert.deepEqual(outcomes, [...Array(5).fill('allow'), ...Array(15).fill('rate_limited')]);
  const limited = app.page.locator('[data-testid="decision-row"][data-index="5"]');
  assert.equal(await limited.getAttribute('data-tool'), 'merge_pull_request');
  assert.match(await limited.textContent(), /\/tools\/merge_pull_request\/limits\/merge_pull_request_per_minute/);
  assert.match(await limited.textContent(), /retry in 1 min/);
  assert.match(await limited.textContent(), /5\/5 per minute/);
  // The timeline by keyboard: step to the busy column and read it.
  await app.page.locator('.chart-box').focus();
  await app.page.keyboard.press('ArrowRight');
  assert.match(await app.tid('timeline-readout').textContent(), /20 calls \(5 allowed, 15 rate limited\)/);
  await app.screenshot('03-dry-run-burst', '#dryrun');
  await app.screenshot('03b-decisions', '.decisions');

  // The deny_if explains expected vs actual; hidden and unlisted tools are refused.
  await app.generate({ pattern: 'mix', tools: 'merge_pull_request, delete_file, list_issues', count: 30, every: 100, args: '{"merge_method": "merge"}' });
  await app.run(30);
  const s = await app.summary();
  assert.equal(s.calls, 30);
  assert.equal(s.allowed + s.rate_limited, 0);
  assert.ok(s.hidden > 0 && s.denied > 0, JSON.stringify(s));
  const denied = app.page.locator('[data-testid="decision-row"][data-outcome="deny"][data-tool="merge_pull_request"]').first();
  assert.match(await denied.textContent(), /args\.merge_method eq "merge" · actual "merge" ✓ holds/);
  assert.match(await denied.textContent(), /Use squash merges\./);
  assert.match(await app.tid('sim-summary').textContent(), /By tool \(3\)/);
  // Clicking the deciding rule highlights it in the JSON.
  await denied.locator('button.link').click();
  const selected = await app.tid('policy-json').evaluate((t) => t.value.slice(t.selectionStart, t.selectionEnd));
  assert.match(selected, /"conditions"/);

  // 6. State survives a reload.
  await app.page.waitForTimeout(500); // autosave is debounced
  const before = await app.policyText();
  await app.reload();
  await app.waitForRows(86);
  assert.equal(await app.policyText(), before);
  assert.equal(await app.stateOf('merge_pull_request'), 'custom');
  assert.equal(await app.stateOf('delete_file'), 'hide');

  // A share link opens the same state in a fresh browser context (no local storage).
  await app.tid('share').click();
  const link = await app.tid('share-link').inputValue();
  assert.ok(link.startsWith(server.url + '#s=1.'), link.slice(0, 80));
  const fresh = await browser.newContext(wide);
  const shared = await AppPage.open(fresh, server.url, link.slice(link.indexOf('#')));
  await shared.waitForRows(86);
  assert.equal(await shared.policyText(), before);
  assert.equal(await shared.stateOf('create_or_update_file'), 'deny');
  assert.equal(await shared.tid('generator-tools').inputValue(), 'merge_pull_request, delete_file, list_issues');
  await shared.screenshot('04-shared-link', '#policy');
  assert.deepEqual(shared.errors, []);
  await fresh.close();

  assert.deepEqual(app.errors, []);
  await context.close();
});

test('broken JSON keeps the text and shows where it broke', async () => {
  const context = await browser.newContext(wide);
  const app = await AppPage.open(context, server.url);

  // A broken tool list: located error, text kept.
  const broken = '{"tools": [\n  {"name": "a"},\n  {"name": "b",}\n]}';
  await app.pasteTools(broken);
  const err = app.tid('tool-list-error');
  await err.waitFor();
  assert.match(await err.textContent(), /line 3, column \d+/);
  assert.equal(await app.tid('tool-list-input').inputValue(), broken);

  // A valid list, then broken policy JSON: the builder keeps the last valid policy.
  await app.pasteTools(JSON.stringify({ tools: [{ name: 'alpha' }, { name: 'beta' }] }));
  await app.waitForRows(2);
  await app.setState('alpha', 'allow');
  const typed = '{\n  "version": "1",\n  "default": "deny",\n  "tools": {\n    "alpha": {},,\n  }\n}';
  await app.typePolicy(typed);
  await until(async () => (await app.problems().count()) > 0, 'a problem');
  const problem = app.problems().first();
  assert.equal(await problem.getAttribute('data-line'), '5');
  assert.match(await problem.textContent(), /invalid JSON/);
  assert.equal(await app.policyText(), typed, 'the typed text is never wiped');
  assert.equal(await app.stateOf('alpha'), 'allow', 'the builder keeps the last valid policy');
  assert.match(await app.tid('policy-status').textContent(), /1 error/);
  await problem.locator('button').click();
  // The selection starts where the parser stopped: the second comma on line 5.
  const [before, sel] = await app.tid('policy-json').evaluate((t) => [t.value.slice(0, t.selectionStart), t.value.slice(t.selectionStart, t.selectionEnd)]);
  assert.equal(sel, ',');
  assert.ok(before.endsWith('"alpha": {},'), before);
  await app.screenshot('05-broken-json', '#policy');

  // A valid document with a validation error and lint warnings: pointers and lines.
  await app.typePolicy('{\n  "version": "1",\n  "default": "deny",\n  "tools": {\n    "alpha": {"deny-if": []},\n    "gamma": {}\n  }\n}');
  await until(async () => (await app.problems().first().getAttribute('data-pointer')) === '/tools/alpha/deny-if', 'the unknown-key error');
  assert.equal(await app.problems().first().getAttribute('data-line'), '5');
  await app.typePolicy('{\n  "version": "1",\n  "default": "deny",\n  "tools": {\n    "alpha": {},\n    "gamma": {}\n  }\n}');
  await until(async () => (await app.problems().first().getAttribute('data-code')) === 'unknown-tool', 'the unknown-tool warning');
  assert.equal(await app.problems().first().getAttribute('data-pointer'), '/tools/gamma');
  assert.equal(await app.problems().first().getAttribute('data-line'), '6');
  // The JSON edit reached the builder: gamma is listed though the tool list lacks it.
  await app.row('gamma').waitFor();
  assert.match(await app.row('gamma').textContent(), /not in tool list/);

  // A broken trace is located too.
  await app.tid('tab-trace').click();
  await app.paste(app.tid('trace-input'), '{"tool": "alpha", "at_ms": 1}\n{"tool": "alpha", "args": 5}');
  await app.tid('run-simulation').click();
  const traceErr = app.page.locator('[data-testid="trace-errors"] > li').first();
  await traceErr.waitFor();
  assert.equal(await traceErr.getAttribute('data-line'), '2');

  assert.deepEqual(app.errors, []);
  await context.close();
});

test('untrusted text in tool lists, policies and share links is shown as text, never run', async () => {
  const context = await browser.newContext(wide);
  const app = await AppPage.open(context, server.url);
  const evil = {
    tools: [
      {
        name: '<img src=x onerror="window.__xss=1">',
        title: '"><svg onload="window.__xss=2">',
        description: '<script>window.__xss=3</script><b>bold</b> & <a href="javascript:window.__xss=4">link</a>',
        // (no dot in the property name: a dotted key cannot be addressed by a condition path)
        inputSchema: { type: 'object', properties: { '<i onmouseover=alert(5)>': { type: 'string', description: '<img src=y onerror=alert(6)>' } } },
      },
      { name: 'plain' },
    ],
  };
  await app.pasteTools(JSON.stringify(evil));
  await app.waitForRows(2);
  const row = app.row(evil.tools[0].name);
  assert.match(await row.textContent(), /<script>window.__xss=3<\/script><b>bold<\/b>/);
  assert.equal(await app.page.locator('.tools-table img, .tools-table script, .tools-table svg, .tools-table b, .tools-table i').count(), 0);
  await app.setState(evil.tools[0].name, 'custom');
  await app.editor(evil.tools[0].name).locator('[data-testid="add-deny-if"]').click();
  const cond = app.editor(evil.tools[0].name).locator('[data-testid="condition"]').first();
  await cond.waitFor();
  assert.match(await cond.locator('[data-testid="condition-path"]').inputValue(), /^args\.<i onmouseover=alert\(5\)>$/);
  assert.match(await cond.textContent(), /<img src=y onerror=alert\(6\)>/);
  assert.equal(await app.page.locator('.rule-editor img, .rule-editor i').count(), 0);
  // The dangerous names went into the JSON as data, and a dry run shows them as text.
  const policy = await app.policy();
  assert.ok(evil.tools[0].name in policy.tools);
  await app.generate({ pattern: 'burst', tools: evil.tools[0].name, count: 2 });
  await app.run(2);
  assert.match(await app.decisionRows().first().textContent(), /<img src=x onerror/);
  await app.screenshot('06-untrusted-text', '#policy');
  await app.screenshot('06b-untrusted-run', '.decisions');

  // A garbled or hostile share link shows an error and the app still works.
  const hostile = await browser.newContext(wide);
  const page2 = await AppPage.open(hostile, server.url, '#s=1.<img src=x onerror=window.__xss=7>');
  const shareError = page2.tid('share-error');
  await shareError.waitFor();
  assert.match(await shareError.textContent(), /could not be opened/);
  await page2.pasteTools(JSON.stringify({ tools: [{ name: 'ok' }] }));
  await page2.waitForRows(1);

  for (const p of [app.page, page2.page]) {
    assert.equal(await p.evaluate(() => window.__xss), undefined, 'no injected code ran');
  }
  assert.deepEqual(app.errors, []);
  await hostile.close();
  await context.close();
});

test('the suggestion, all_tools limits, hide-all and bulk actions write the policy', async () => {
  const context = await browser.newContext(wide);
  const app = await AppPage.open(context, server.url);
  await app.loadSample('github.json');
  await app.waitForRows(86);

  await app.tid('apply-suggestion').click();
  await until(async () => (await app.policy()).hide?.includes('delete_file'), 'the suggestion');
  const suggested = await app.policy();
  assert.equal(suggested.default, 'deny');
  assert.ok(suggested.tools.get_me !== undefined, 'read tools are allowed');
  assert.equal(await app.stateOf('delete_file'), 'hide');
  assert.equal(await app.stateOf('merge_pull_request'), 'custom');

  // all_tools limits (PolicyLayer's own builder cannot edit these).
  await app.tid('all-tools').locator('summary').click();
  await app.tid('all-tools').locator('[data-testid="add-limit"]').click();
  await app.setField(app.tid('all-tools').locator('[data-testid="limit-max"]'), 300);
  await until(async () => (await app.policy()).all_tools?.limits?.[0]?.max === 300, 'all_tools limit');
  assert.deepEqual((await app.policy()).all_tools, { limits: [{ counter: 'calls_per_minute', window: 'minute', max: 300 }] });

  // Search and bulk: hide every pull-request tool.
  await app.tid('tool-search').fill('pull request');
  await until(async () => (await app.rows().count()) < 86, 'the search to narrow the table');
  const shown = await app.rows().count();
  await app.tid('select-all').check();
  await app.tid('bulk-hide').click();
  const hidden = (await app.policy()).hide;
  await until(async () => (await app.policy()).hide.length >= shown, 'bulk hide');
  assert.ok((await app.policy()).hide.includes('merge_pull_request'), JSON.stringify(hidden));
  await app.tid('tool-search').fill('');
  await app.waitForRows(86);

  // hide: ["*"] is expressible.
  await app.tid('hide-all').check();
  await until(async () => (await app.policy()).hide.includes('*'), 'hide *');
  assert.match(await app.row('get_me').textContent(), /hidden by \*/);
  await app.tid('hide-all').uncheck();

  // Default allow.
  await app.tid('default-allow').check();
  await until(async () => (await app.policy()).default === 'allow', 'default allow');
  assert.deepEqual(app.errors, []);
  await context.close();
});

test('big inputs stay responsive: 10 000 and 100 000 generated calls run and render', async () => {
  const context = await browser.newContext(wide);
  const app = await AppPage.open(context, server.url);
  await app.loadSample('github.json');
  await app.waitForRows(86);
  report.sample_load_to_table_ms = Number(await until(() => app.tid('load-timing').getAttribute('data-ms'), 'the load timing'));
  await app.setState('merge_pull_request', 'custom');
  await app.editor('merge_pull_request').locator('[data-testid="add-limit"]').click();
  await until(async () => (await app.policy()).tools.merge_pull_request.limits, 'a limit');
  await app.setState('get_me', 'allow');

  for (const count of [10_000, 100_000]) {
    await app.generate({ pattern: 'mix', tools: 'merge_pull_request, get_me, delete_file', count, every: 10, args: '{}' });
    // While a big run is in progress the page shows progress and keeps painting frames.
    const frames = app.page.evaluate(() => new Promise((resolve) => {
      let n = 0;
      const t0 = performance.now();
      const tick = () => { n++; if (performance.now() - t0 < 400) requestAnimationFrame(tick); else resolve(n); };
      requestAnimationFrame(tick);
    }));
    const timing = await app.run(count, 120000);
    const framesIn400ms = await frames;
    assert.equal((await app.summary()).calls, count);
    assert.equal(await app.decisionRows().count(), 100, 'the table is paged');
    assert.match(await app.tid('page-info').first().textContent(), new RegExp(`of ${count} · page 1 of ${count / 100}`));
    const nodes = await app.page.locator('[data-testid="timeline"] *').count();
    assert.ok(nodes < 300, `the timeline aggregates (${nodes} SVG elements for ${count} calls)`);
    report[`run_${count}`] = { ...timing, frames_in_first_400ms: framesIn400ms };
    if (count === 100_000) assert.ok(framesIn400ms >= 3, `the page kept painting during the run (${framesIn400ms} frames)`);
  }
  await app.page.locator('[data-testid="page-next"]').first().click();
  await until(async () => (await app.decisionRows().first().getAttribute('data-index')) === '100', 'page 2');
  await app.screenshot('07-100k-calls', '#dryrun');
  await app.screenshot('07b-100k-table', '.chart-card');
  await app.tid('zoom-edge').click();
  await app.page.waitForTimeout(200);
  await app.tid('timeline').screenshot({ path: join(REPO, 'target', 'e2e-screenshots', '08-window-edge.png') });

  // Editing the 86-tool list stays smooth: time a state change round trip.
  const t0 = Date.now();
  await app.setState('list_issues', 'deny');
  report.state_change_ms = Date.now() - t0;
  assert.deepEqual(app.errors, []);
  await context.close();
});

test('the builder stays interactive with 500 tools: load, search, set a state, edit a rule', async () => {
  // A generated tools/list of 500 tools, each with an inputSchema (the size of a big MCP server).
  const tools = Array.from({ length: 500 }, (_, i) => ({
    name: `tool_${String(i).padStart(3, '0')}`,
    description: `${['Read', 'Create', 'Delete', 'Run'][i % 4]} item ${i} of the catalog`,
    inputSchema: {
      type: 'object',
      properties: { id: { type: 'string' }, amount: { type: 'number' }, mode: { type: 'string', enum: ['a', 'b'] } },
      required: ['id'],
    },
  }));
  const context = await browser.newContext(wide);
  const app = await AppPage.open(context, server.url);
  await app.pasteTools(JSON.stringify({ tools }));
  await app.waitForRows(500);
  const measured = { paste_to_table_ms: Number(await until(() => app.tid('load-timing').getAttribute('data-ms'), 'the load timing')) };

  // Search narrows the table and clearing it brings every row back.
  let t0 = Date.now();
  await app.setField(app.tid('tool-search'), 'tool_49');
  await app.tid('tool-search').dispatchEvent('input');
  await app.waitForRows(10);
  measured.search_ms = Date.now() - t0;
  await app.tid('tool-search').fill('');
  await app.tid('tool-search').dispatchEvent('input');
  await app.waitForRows(500);

  // A state change on the last row reaches policy.json.
  t0 = Date.now();
  await app.setState('tool_499', 'deny');
  measured.state_change_ms = Date.now() - t0;
  assert.deepEqual((await app.policy()).tools.tool_499.deny_if[0].conditions, [], 'deny is an unconditional deny_if');

  // Custom opens the rule editor with the tool's arguments; a limit lands in the policy.
  t0 = Date.now();
  await app.setState('tool_250', 'custom');
  await app.editor('tool_250').locator('[data-testid="add-limit"]').click();
  await until(async () => (await app.policy()).tools.tool_250?.limits?.length === 1, 'a limit on tool_250');
  measured.custom_limit_ms = Date.now() - t0;
  report.tools_500 = measured;
  assert.deepEqual(app.errors, []);
  await context.close();
});

test('a recorded MCP session dry-runs from the samples, and policy.json downloads, uploads and copies', async () => {
  const context = await browser.newContext({ ...wide, acceptDownloads: true, permissions: ['clipboard-read', 'clipboard-write'] });
  const app = await AppPage.open(context, server.url);
  await app.loadSample('everything.live.json');
  await app.waitForRows(13);
  await app.tid('apply-suggestion').click();
  await until(async () => (await app.policy()).tools !== undefined, 'the suggestion');

  // The recorded session, as reduced calls and as the raw JSON-RPC wire log.
  for (const sample of ['everything.calls.json', 'everything.stdio.wire.jsonl']) {
    await app.tid('tab-trace').click();
    await app.tid('trace-sample').selectOption(sample);
    await until(async () => (await app.tid('trace-input').inputValue()).length > 100, `the ${sample} text`);
    await app.run(4);
    const tools = await app.decisionRows().evaluateAll((rows) => rows.map((r) => `${r.dataset.tool}:${r.dataset.outcome}`));
    assert.deepEqual(tools, ['echo:allow', 'get-sum:allow', 'no-such-tool:deny', 'get-sum:allow'], sample);
  }
  assert.match(await app.page.locator('[data-testid="decision-row"][data-tool="no-such-tool"]').textContent(), /\(default deny\)/);

  // Download what the editor shows.
  const text = await app.policyText();
  const [download] = await Promise.all([app.page.waitForEvent('download'), app.tid('download-policy').click()]);
  assert.equal(download.suggestedFilename(), 'policy.json');
  assert.equal(await readFile(await download.path(), 'utf8'), text);

  // Copy to the clipboard.
  await app.tid('copy-policy').click();
  await until(async () => (await app.page.evaluate(() => navigator.clipboard.readText())) === text, 'the clipboard');

  // Open a policy.json file: the builder follows.
  const uploaded = { version: '1', default: 'allow', hide: ['echo'] };
  await app.tid('upload-policy').setInputFiles({ name: 'policy.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(uploaded)) });
  await until(async () => (await app.stateOf('echo')) === 'hide', 'the uploaded policy in the builder');
  assert.deepEqual(JSON.parse(await app.policyText()), uploaded);
  assert.equal(await app.stateOf('get-sum'), 'allow');
  assert.deepEqual(app.errors, []);
  await context.close();
});

test('every control has a label and a narrow window needs no sideways scrolling', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const app = await AppPage.open(context, server.url);
  await app.loadSample('stripe.json');
  await app.waitForRows(22);
  const first = await app.rows().first().getAttribute('data-tool');
  await app.setState(first, 'custom');
  await app.editor(first).locator('[data-testid="add-deny-if"]').click();
  await app.editor(first).locator('[data-testid="add-limit"]').click();
  await app.generate({ pattern: 'edge_burst', tools: first, count: 40, every: 50 });
  await app.run(40);

  const unlabeled = await app.page.evaluate(() => {
    const name = (el) => {
      if (el.getAttribute('aria-label') || el.getAttribute('title')) return true;
      if (el.labels && el.labels.length > 0 && [...el.labels].some((l) => l.textContent.trim())) return true;
      if (el.tagName === 'BUTTON' && el.textContent.trim()) return true;
      return false;
    };
    return [...document.querySelectorAll('input, select, textarea, button')]
      .filter((el) => el.offsetParent !== null || el.type === 'file')
      .filter((el) => !name(el))
      .map((el) => el.outerHTML.slice(0, 120));
  });
  assert.deepEqual(unlabeled, [], 'every control has an accessible name');
  const overflow = await app.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no horizontal page overflow (${overflow}px)`);
  // Keyboard: tabbing from the search box reaches a tool's state control.
  await app.tid('tool-search').focus();
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await app.page.keyboard.press('Tab');
    reached = await app.page.evaluate(() => document.activeElement?.dataset?.testid === 'tool-state');
  }
  assert.ok(reached, 'the state control is reachable by keyboard');
  await app.screenshot('09-narrow');
  await app.screenshot('09b-narrow-builder', '#policy');
  await app.screenshot('09c-narrow-results', '.summary');
  assert.deepEqual(app.errors, []);
  await context.close();
});
