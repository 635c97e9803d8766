// Page object for the toolgate web app, plus the browser setup the tests share.
// Leptos updates the DOM asynchronously after events: every read here waits for its condition.

import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { deflateRawSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = process.env.TOOLGATE_DIST ?? join(REPO, 'dist');
export const SCREENSHOTS = join(REPO, 'target', 'e2e-screenshots');
export const FIXTURES = join(REPO, 'tests', 'fixtures');

// Headless Chromium as root on Debian (TOOLCHAIN.md): no sandbox, no GPU, no background traffic.
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** A share link's fragment for an app state, made as the app makes it (`#s=1.` + base64url of the
 * raw-DEFLATE-compressed JSON) but independently of it. */
export function shareFragment(saved) {
  return '#s=1.' + deflateRawSync(Buffer.from(JSON.stringify(saved))).toString('base64url');
}

/** Polls `fn` until it returns a truthy value (or throws after `timeout` ms). */
export async function until(fn, what, timeout = 15000) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

export class AppPage {
  constructor(page, baseUrl) {
    this.page = page;
    this.baseUrl = baseUrl;
    this.errors = [];
    page.on('pageerror', (e) => this.errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') this.errors.push(`console: ${m.text()}`);
    });
    // Every Content-Security-Policy violation is reported as an error too (Chromium also logs
    // most of them to the console; this catches the ones it does not).
    page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
      });
    });
  }

  static async open(context, baseUrl, hash = '') {
    const app = new AppPage(await context.newPage(), baseUrl);
    await app.goto(hash);
    return app;
  }

  async goto(hash = '') {
    await this.page.goto(this.baseUrl + hash);
    await this.page.locator('.topbar').waitFor();
  }

  async reload() {
    await this.page.reload();
    await this.page.locator('.topbar').waitFor();
  }

  /** The page's URL fragment. */
  async hash() {
    return this.page.evaluate(() => location.hash);
  }

  tid(id) {
    return this.page.locator(`[data-testid="${id}"]`);
  }

  /** Fills an input whose handler listens to `change` (fill, then blur). */
  async setField(locator, value) {
    await locator.fill(String(value));
    await locator.dispatchEvent('change');
  }

  // ---- step 1: tools
  async openToolSource() {
    if (await this.tid('tools-change').isVisible()) await this.tid('tools-change').click();
  }

  /** Puts text into a textarea as a paste does: one input event with the whole text. (Playwright's
   * `fill` types it in, which takes seconds for a 160 KB tool list.) */
  async paste(locator, text) {
    await locator.evaluate((el, value) => {
      el.focus();
      el.value = value;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, text);
  }

  async pasteTools(text) {
    await this.openToolSource();
    await this.paste(this.tid('tool-list-input'), text);
    await this.tid('tool-list-load').click();
  }

  async loadSample(file) {
    await this.openToolSource();
    await this.tid('tool-list-sample').selectOption(file);
  }

  rows() {
    return this.tid('tool-row');
  }

  row(name) {
    // JSON string syntax is valid CSS string syntax: names with quotes or brackets stay exact.
    return this.page.locator(`[data-testid="tool-row"][data-tool=${JSON.stringify(name)}]`);
  }

  async waitForRows(n) {
    await until(async () => (await this.rows().count()) === n, `${n} tool rows`);
  }

  async setState(tool, state) {
    await this.row(tool).locator('[data-testid="tool-state"]').selectOption(state);
    await until(async () => (await this.stateOf(tool)) === state, `${tool} to be ${state}`);
  }

  async stateOf(tool) {
    return this.row(tool).locator('[data-testid="tool-state"]').inputValue();
  }

  editor(tool) {
    return this.page.locator(`[data-testid="rule-editor"][data-tool=${JSON.stringify(tool)}]`);
  }

  // ---- policy JSON
  async policyText() {
    return this.tid('policy-json').inputValue();
  }

  async policy() {
    return JSON.parse(await this.policyText());
  }

  async typePolicy(text) {
    await this.paste(this.tid('policy-json'), text);
  }

  problems() {
    return this.page.locator('[data-testid="policy-errors"] > li');
  }

  // ---- dry run
  async generate({ pattern, tools, count, every, args, grants }) {
    await this.tid('tab-generate').click();
    if (pattern) await this.tid('generator-pattern').selectOption(pattern);
    if (tools) await this.setField(this.tid('generator-tools'), tools);
    if (count !== undefined) await this.setField(this.tid('generator-count'), count);
    if (every !== undefined && (await this.tid('generator-every').isEnabled())) await this.setField(this.tid('generator-every'), every);
    if (args) await this.setField(this.tid('generator-args'), args);
    if (grants) await this.setField(this.tid('generator-grants'), grants);
  }

  /** Runs and waits until the run is decided and drawn; returns { simulateMs, renderMs, wallMs }. */
  async run(calls, timeout = 60000) {
    const runs = async () => Number((await this.tid('sim-timing').getAttribute('data-run', { timeout: 100 }).catch(() => null)) ?? 0);
    const before = await runs();
    const t0 = Date.now();
    await this.tid('run-simulation').click();
    await until(async () => (await runs()) > before, 'the run to finish', timeout);
    const wallMs = Date.now() - t0;
    assert.equal(await this.tid('sim-summary').getAttribute('data-calls'), String(calls));
    return {
      simulateMs: Number(await this.tid('sim-timing').getAttribute('data-simulate-ms')),
      renderMs: Number(await this.tid('sim-timing').getAttribute('data-render-ms')),
      wallMs,
    };
  }

  decisionRows() {
    return this.tid('decision-row');
  }

  async summary() {
    const s = this.tid('sim-summary');
    const n = async (a) => Number(await s.getAttribute(a));
    return {
      calls: await n('data-calls'),
      allowed: await n('data-allowed'),
      denied: await n('data-denied'),
      hidden: await n('data-hidden'),
      rate_limited: await n('data-rate-limited'),
    };
  }

  /** A screenshot of the viewport, scrolled to `selector` first when given. (Not full-page: the
   * layout uses viewport heights, which a full-page capture would stretch.) */
  async screenshot(name, selector) {
    await mkdir(SCREENSHOTS, { recursive: true });
    if (selector) {
      await this.page.locator(selector).first().evaluate((el) => el.scrollIntoView({ block: 'start', behavior: 'instant' }));
      await this.page.waitForTimeout(150);
    }
    const path = join(SCREENSHOTS, `${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }
}
