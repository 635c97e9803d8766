// End-to-end: a share link never overwrites different saved work, and the page runs under its
// Content-Security-Policy. Run with scripts/test-e2e.sh.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { AppPage, DIST, launch, shareFragment, until } from './app.mjs';
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

const MINE = '{\n  "version": "1",\n  "default": "deny",\n  "tools": {\n    "alpha": {}\n  }\n}';
const THEIRS = { version: '1', default: 'allow', hide: ['beta'] };
const sharedState = {
  policy: JSON.stringify(THEIRS, null, 2),
  tools: JSON.stringify({ tools: [{ name: 'alpha' }, { name: 'beta' }, { name: 'gamma' }] }),
  trace: '{"tool": "beta", "at_ms": 1767225600000}',
  generator: null,
  use_generator: false,
  compare: '',
};

/** A page of `context` whose saved work is MINE over a two-tool list (autosaved). */
async function withSavedWork(context) {
  const app = await AppPage.open(context, server.url);
  await app.pasteTools(JSON.stringify({ tools: [{ name: 'alpha' }, { name: 'beta' }] }));
  await app.waitForRows(2);
  await app.typePolicy(MINE);
  await until(async () => (await app.stateOf('alpha')) === 'allow', 'my policy in the builder');
  await until(
    () => app.page.evaluate((mine) => JSON.parse(localStorage.getItem('toolgate.state.v1') ?? '{}').policy === mine, MINE),
    'the autosave',
  );
  return app;
}

test('a share link over different saved work asks first, and keeping the saved work keeps the link aside', async () => {
  const context = await browser.newContext(wide);
  const mine = await withSavedWork(context);
  const link = shareFragment(sharedState);

  // The link opens in another tab of the same browser: nothing is replaced, the user is asked.
  const app = await AppPage.open(context, server.url, link);
  const choice = app.tid('share-choice');
  await choice.waitFor();
  assert.match(await choice.textContent(), /nothing was replaced/);
  assert.equal(await app.policyText(), MINE, 'the saved policy is still on screen');
  await app.waitForRows(2);
  assert.equal(await app.hash(), link, 'the link stays in the address bar until the choice');
  await app.screenshot('10-share-choice');

  // Keep my saved work: the link's state is kept aside, the address bar is clean.
  await app.tid('share-keep').click();
  await until(async () => !(await choice.isVisible()), 'the choice to close');
  assert.equal(await app.policyText(), MINE);
  assert.equal(await app.hash(), '');
  const item = app.tid('aside-item');
  await item.waitFor();
  assert.equal(await item.getAttribute('data-origin'), 'Link');
  assert.match(await item.textContent(), /a share link/);

  // It survives a reload, and "Switch to it" opens the link's state; my work takes its place.
  await app.reload();
  await app.tid('aside-item').waitFor();
  await app.tid('aside-switch').click();
  await until(async () => (await app.policyText()) === sharedState.policy, 'the shared policy');
  await app.waitForRows(3);
  assert.equal(await app.stateOf('beta'), 'hide');
  assert.equal(await app.tid('trace-input').inputValue(), sharedState.trace);
  assert.equal(await app.tid('aside-item').getAttribute('data-origin'), 'BeforeLink');
  // And back again: nothing was lost on the way.
  await app.tid('aside-switch').click();
  await until(async () => (await app.policyText()) === MINE, 'my policy back');
  await app.waitForRows(2);
  assert.deepEqual(app.errors, []);
  assert.deepEqual(mine.errors, []);
  await context.close();
});

test('opening the shared policy keeps the saved work aside, recoverable after a reload', async () => {
  const context = await browser.newContext(wide);
  await withSavedWork(context);
  const app = await AppPage.open(context, server.url, shareFragment(sharedState));
  await app.tid('share-choice').waitFor();
  await app.tid('share-open').click();
  await until(async () => (await app.policyText()) === sharedState.policy, 'the shared policy');
  await app.waitForRows(3);
  assert.equal(await app.hash(), '');
  assert.equal(await app.tid('share-choice').count(), 0);
  assert.equal(await app.tid('aside-item').getAttribute('data-origin'), 'BeforeLink');
  await app.screenshot('11-kept-aside');
  // "Compare policies" puts the kept policy in the compare box.
  await app.tid('aside-compare').click();
  await until(async () => (await app.tid('compare-input').inputValue()) === MINE, 'my policy in the compare box');
  await app.tid('compare-clear').click();
  await until(async () => (await app.tid('compare-input').inputValue()) === '', 'the compare box cleared');

  // A reload keeps the shared state (it is now the saved work) and my work aside. The reload
  // comes at once: the change not yet autosaved (the cleared compare box) is written as the
  // page goes, not lost.
  await app.reload();
  await app.waitForRows(3);
  assert.equal(await app.policyText(), sharedState.policy);
  assert.equal(await app.tid('compare-input').inputValue(), '', 'the last edit before the reload is kept');
  assert.equal(await app.tid('share-choice').count(), 0, 'no question without a link');
  await app.tid('aside-switch').click();
  await until(async () => (await app.policyText()) === MINE, 'my work back');
  await app.waitForRows(2);
  assert.equal(await app.stateOf('alpha'), 'allow');

  // The same link again, now that my work is current: asked again (it differs); discarding what
  // was kept aside is a deliberate click.
  const again = await AppPage.open(context, server.url, shareFragment(sharedState));
  await again.tid('share-choice').waitFor();
  await again.tid('share-keep').click();
  await again.tid('aside-item').first().waitFor();
  const kept = await again.tid('aside-item').count();
  await again.tid('aside-discard').first().click();
  await until(async () => (await again.tid('aside-item').count()) === kept - 1, 'one item discarded');
  // A link to exactly the saved work opens without asking.
  const saved = JSON.parse(await again.page.evaluate(() => localStorage.getItem('toolgate.state.v1')));
  assert.equal(saved.policy, MINE);
  const same = await AppPage.open(context, server.url, shareFragment(saved));
  await same.waitForRows(2);
  assert.equal(await same.tid('share-choice').count(), 0);
  for (const p of [app, again, same]) assert.deepEqual(p.errors, []);
  await context.close();
});

test('the Content-Security-Policy is in force: the app runs under it, injected inline code does not', async () => {
  // The built page carries the policy, allows its one inline loader by hash and nothing inline else.
  const html = await readFile(join(DIST, 'index.html'), 'utf8');
  const meta = html.match(/<meta\b[^>]*\bhttp-equiv=["']?Content-Security-Policy\b[^>]*>/i)?.[0] ?? '';
  const csp = meta.match(/\bcontent="([^"]+)"/)?.[1];
  assert.ok(csp, 'index.html has a CSP meta tag');
  assert.doesNotMatch(csp, /'unsafe-inline'|'unsafe-eval'|'unsafe-hashes'|inline-script-hashes/);
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/]+=*'/);
  assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<script'), 'the policy comes before any script');

  const context = await browser.newContext(wide);
  const app = await AppPage.open(context, server.url);
  // The app works: load tools, build, run (the progress bar and charts use styles set from script).
  await app.loadSample('github.json');
  await app.waitForRows(86);
  await app.setState('get_me', 'allow');
  await app.generate({ pattern: 'steady', tools: 'get_me', count: 20000, every: 10 });
  await app.run(20000);
  assert.equal((await app.summary()).allowed, 20000);
  assert.deepEqual(app.errors, [], 'no CSP violation or error while the app works');

  // Injected inline code is refused, and the refusal is reported.
  const ran = await app.page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__injected = true';
    document.head.append(s);
    const div = document.createElement('div');
    div.setAttribute('onclick', 'window.__injected = true');
    document.body.append(div);
    div.click();
    return window.__injected === true;
  });
  assert.equal(ran, false, 'inline script did not run');
  await until(() => app.errors.filter((e) => /CSP violation: script-src/.test(e)).length >= 2, 'the two violations to be reported');
  assert.ok(app.errors.every((e) => /Content Security Policy|CSP violation/.test(e)), app.errors.join('\n'));
  await context.close();
});
