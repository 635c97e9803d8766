// The browser entry in headless Chromium: a page with a plain <script type="module"> (an import
// map, no bundler) loads the packed package, `await init()` fetches the wasm, and the whole
// conformance corpus runs there — one corpus, three hosts (native, Node, browser).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { extname, join, normalize } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');
const corpus = process.env.TOOLGATE_CORPUS_DIR ?? join(here, '..', 'corpus');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
// playwright-core comes from scripts/install-tools.sh (npx playwright install cannot download browsers here).
const playwrightFrom = process.env.TOOLGATE_NODE_TOOLS ?? join(root, '.tools', 'node');
const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm', '.ts': 'text/plain' };

/** Serves the page, the installed package, the runner and the corpus. */
function serve(req, res) {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  let file = null;
  if (path === '/') file = join(here, 'browser', 'index.html');
  else if (path === '/corpus/') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(readdirSync(corpus).sort()));
    return;
  } else if (path.startsWith('/corpus/')) file = join(corpus, path.slice('/corpus/'.length));
  else if (path.startsWith('/tests/')) file = join(here, path.slice('/tests/'.length));
  else if (path.startsWith('/node_modules/toolgate/')) file = join(here, path);
  if (file === null || normalize(file) !== file || !existsSync(file)) {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
}

let server;
let browser;
let origin;

before(async () => {
  server = createServer(serve);
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  origin = `http://127.0.0.1:${server.address().port}`;
  const { chromium } = createRequire(join(playwrightFrom, 'package.json'))('playwright-core');
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('a <script type="module"> page loads the package, inits the wasm and runs the whole corpus', async () => {
  const page = await browser.newPage();
  const messages = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') messages.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => messages.push(`pageerror: ${e.message}`));
  const wasmResponses = [];
  page.on('response', (r) => {
    if (r.url().endsWith('.wasm')) wasmResponses.push([r.url(), r.status()]);
  });
  await page.goto(`${origin}/`);
  const result = await page.evaluate(() => window.result);
  assert.equal(result.error, undefined, result.error);
  assert.equal(result.beforeInit, 'init', 'before init() the engine refuses with a typed error');
  assert.deepEqual(result.failures, []);
  assert.ok(result.files.includes('vectors.json'));
  assert.ok(result.cases >= 44, `${result.cases} cases`);
  assert.match(result.version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(result.denial, {
    content: [{ type: 'text', text: '[POLICY DENIED] Tool "delete_everything" is not permitted by policy' }],
    isError: true,
  });
  assert.deepEqual(
    wasmResponses.sort(),
    [
      [`${origin}/node_modules/toolgate/wasm/toolgate_bg.wasm`, 200],
      [`${origin}/node_modules/toolgate/wasm/toolgate_tools_bg.wasm`, 200],
    ],
    'init() fetches each module once, beside the glue',
  );
  assert.deepEqual(messages, [], 'no console errors or warnings');
  await page.close();
});
