// Streamable HTTP on both sides: SDK Clients with bearer tokens → toolgate-gateway --listen →
// server-everything in its streamableHttp mode (--upstream-url), all on loopback.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';

import { startGateway } from '../src/index.mjs';

import { BIN, EVERYTHING, child, everythingHttp, httpClient, httpGateway, jsonLines, text, workdir, writeJson } from './helpers.mjs';

const POLICY = {
  version: '1',
  default: 'allow',
  hide: ['get-env'],
  tools: { echo: { limits: [{ counter: 'echoes', window: 'minute', max: 2 }] } },
};
const ALICE = 'alice-0123456789abcdef';
const BOB = 'bob-0123456789abcdef-x';

/** A raw POST to the gateway (Host header and token under the test's control). */
function post(url, { host, origin, token, body = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } } }) {
  const u = new URL(url);
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (host !== undefined) headers.host = host;
  if (origin !== undefined) headers.origin = origin;
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const req = request({ hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

test('two tokens are two grants with separate counters; no or unknown token is 401; a foreign Host or Origin is 403; SIGHUP re-reads the tokens', async (t) => {
  const dir = workdir(t);
  const upstream = await everythingHttp(t);
  const audit = join(dir, 'audit.jsonl');
  const gw = await httpGateway(t, [
    '--policy', writeJson(join(dir, 'policy.json'), POLICY),
    '--listen', '127.0.0.1:0',
    '--tokens', writeJson(join(dir, 'tokens.json'), { [ALICE]: 'alice', [BOB]: 'bob' }),
    '--audit', audit,
    '--upstream-url', upstream.url,
  ]);
  const alice = await httpClient(gw.url, ALICE);
  const bob = await httpClient(gw.url, BOB);
  t.after(() => Promise.allSettled([alice.close(), bob.close()]));

  const names = (await alice.listTools()).tools.map((x) => x.name);
  assert.ok(names.includes('echo') && !names.includes('get-env'));
  assert.equal(text(await alice.callTool({ name: 'echo', arguments: { message: 'a1' } })), 'Echo: a1');
  assert.equal(text(await alice.callTool({ name: 'echo', arguments: { message: 'a2' } })), 'Echo: a2');
  assert.match(text(await alice.callTool({ name: 'echo', arguments: { message: 'a3' } })), /^\[POLICY DENIED\] Rate limit of 2 per minute/);
  assert.equal(text(await bob.callTool({ name: 'echo', arguments: { message: 'b1' } })), 'Echo: b1');
  const hidden = await bob.callTool({ name: 'get-env', arguments: {} });
  assert.equal(text(hidden), '[POLICY DENIED] Tool "get-env" is hidden by policy');

  const lines = jsonLines(audit);
  assert.deepEqual(lines.map((l) => [l.grant, l.outcome]), [
    ['alice', 'allow'],
    ['alice', 'allow'],
    ['alice', 'rate_limited'],
    ['bob', 'allow'],
    ['bob', 'hidden'],
  ]);
  assert.deepEqual([...new Set(lines.map((l) => l.session))], [alice.transport.sessionId, bob.transport.sessionId]);

  assert.equal(await post(gw.url, {}), 401);
  assert.equal(await post(gw.url, { token: 'not-a-token-of-this-gateway' }), 401);
  await assert.rejects(httpClient(gw.url, undefined), /401|Unauthorized/);
  assert.equal(await post(gw.url, { token: ALICE, host: 'evil.example:80' }), 403);
  assert.equal(await post(gw.url, { token: ALICE, host: `localhost:${new URL(gw.url).port}` }), 200);
  assert.equal(await post(gw.url, { token: ALICE, origin: 'https://evil.example' }), 403);
  assert.equal(await post(gw.url, { token: ALICE, origin: 'null' }), 403);
  assert.equal(await post(gw.url, { token: ALICE, origin: `http://localhost:${new URL(gw.url).port}` }), 200);

  // SIGHUP re-reads the tokens: bob's token is revoked (his open session too), carol's is new.
  const CAROL = 'carol-0123456789abcdef';
  writeJson(join(dir, 'tokens.json'), { [ALICE]: 'alice', [CAROL]: 'carol' });
  const from = gw.err.length;
  gw.kill('SIGHUP');
  await gw.err.wait(/tokens reloaded: .* \(2 tokens\)/, { from });
  await assert.rejects(bob.callTool({ name: 'echo', arguments: { message: 'b2' } }), /401|Unauthorized/);
  const carol = await httpClient(gw.url, CAROL);
  t.after(() => carol.close());
  assert.equal(text(await carol.callTool({ name: 'echo', arguments: { message: 'c1' } })), 'Echo: c1');
});

test('a session belongs to the grant that opened it', async (t) => {
  const dir = workdir(t);
  const gw = await httpGateway(t, [
    '--policy', writeJson(join(dir, 'policy.json'), POLICY),
    '--listen', '0',
    '--tokens', writeJson(join(dir, 'tokens.json'), { [ALICE]: 'alice', [BOB]: 'bob' }),
    '--', process.execPath, EVERYTHING, 'stdio',
  ]);
  const alice = await httpClient(gw.url, ALICE);
  t.after(() => alice.close());
  const sid = alice.transport.sessionId;
  assert.ok(sid);
  const u = new URL(gw.url);
  const status = await new Promise((resolve, reject) => {
    const req = request(
      { hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${BOB}`, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} }));
  });
  assert.equal(status, 403);
  assert.equal(text(await alice.callTool({ name: 'echo', arguments: { message: 'still mine' } })), 'Echo: still mine');
});

test('rejected initialize requests leak no session: many bad initialize POSTs leave no listeners and no sessions', async (t) => {
  const dir = workdir(t);
  const gw = await startGateway({
    policy: writeJson(join(dir, 'policy.json'), POLICY),
    command: [process.execPath, EVERYTHING, 'stdio'],
    listen: { host: '127.0.0.1', port: 0 },
    tokens: null,
    allowedHosts: ['127.0.0.1'],
    maxSessions: 4,
  });
  t.after(() => gw.close());
  const url = `http://127.0.0.1:${gw.port}/mcp`;
  const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } };
  const statuses = new Set();
  for (let i = 0; i < 40; i++) {
    // No Accept header (406), then a batch holding an initialize among other messages (400).
    const body = i % 2 === 0 ? init : [init, { ...init, id: 2 }];
    const headers = i % 2 === 0 ? { 'content-type': 'application/json' } : { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
    await r.text();
    statuses.add(r.status);
  }
  assert.deepEqual([...statuses].sort(), [400, 406]);
  assert.equal(gw.holder.listeners.size, 0);
  assert.equal(gw.sessions, 0);
  // More refused initializes than --max-sessions, and a real client still gets a session.
  const client = await httpClient(url);
  t.after(() => client.close());
  assert.equal(text(await client.callTool({ name: 'echo', arguments: { message: 'hi' } })), 'Echo: hi');
  assert.equal(gw.sessions, 1);
  assert.equal(gw.holder.listeners.size, 1);
});

test('--max-sessions-per-grant: one grant cannot take every session (429 beyond its cap), another grant still connects', async (t) => {
  const dir = workdir(t);
  const gw = await httpGateway(t, [
    '--policy', writeJson(join(dir, 'policy.json'), POLICY),
    '--listen', '127.0.0.1:0',
    '--tokens', writeJson(join(dir, 'tokens.json'), { [ALICE]: 'alice', [BOB]: 'bob' }),
    '--max-sessions', '10',
    '--max-sessions-per-grant', '2',
    '--', process.execPath, EVERYTHING, 'stdio',
  ]);
  const clients = [await httpClient(gw.url, ALICE), await httpClient(gw.url, ALICE)];
  t.after(() => Promise.allSettled(clients.map((c) => c.close())));
  assert.equal(await post(gw.url, { token: ALICE }), 429);
  clients.push(await httpClient(gw.url, BOB));
  assert.equal(text(await clients[2].callTool({ name: 'echo', arguments: { message: 'b' } })), 'Echo: b');
  // A closed session frees its place.
  await clients[0].transport.terminateSession();
  await clients[0].close();
  clients.push(await httpClient(gw.url, ALICE));
  assert.equal(text(await clients[3].callTool({ name: 'echo', arguments: { message: 'a' } })), 'Echo: a');
});

test('shutdown with a hung HTTP upstream exits after its grace period; a second signal exits at once', async (t) => {
  const dir = workdir(t);
  const upstream = await everythingHttp(t);
  const policy = writeJson(join(dir, 'policy.json'), POLICY);
  const start = () => httpGateway(t, ['--policy', policy, '--listen', '127.0.0.1:0', '--upstream-url', upstream.url]);
  const [a, b] = await Promise.all([start(), start()]);
  const clients = [await httpClient(a.url), await httpClient(b.url)];
  t.after(() => Promise.allSettled(clients.map((c) => c.close())));
  for (const c of clients) assert.equal(text(await c.callTool({ name: 'echo', arguments: { message: 'x' } })), 'Echo: x');
  // The upstream stops answering: closing its sessions (DELETE) would wait forever.
  upstream.process.kill('SIGSTOP');
  try {
    a.kill('SIGTERM');
    await a.err.wait(/shutdown: sessions still closing after 5 s; exiting/, { timeoutMs: 30_000 });
    assert.deepEqual(await a.exited, { code: 0, signal: null });

    const from = b.err.length;
    b.kill('SIGTERM');
    // Once the first signal is being handled (its sessions closing), the second one.
    await b.err.wait(/SIGTERM: closing the sessions/, { from });
    b.kill('SIGTERM');
    await b.err.wait(/SIGTERM again: exiting without waiting/, { from, timeoutMs: 30_000 });
    assert.deepEqual(await b.exited, { code: 1, signal: null });
    assert.doesNotMatch(b.err.text.slice(from), /still closing after/);
  } finally {
    upstream.process.kill('SIGCONT');
  }
});

test('concurrent initializes cannot race past --max-sessions: of 12 at once with a cap of 2, exactly 2 open', async (t) => {
  const dir = workdir(t);
  const gw = await startGateway({
    policy: writeJson(join(dir, 'policy.json'), POLICY),
    command: [process.execPath, EVERYTHING, 'stdio'],
    listen: { host: '127.0.0.1', port: 0 },
    tokens: null,
    allowedHosts: ['127.0.0.1'],
    maxSessions: 2,
  });
  t.after(() => gw.close());
  const url = `http://127.0.0.1:${gw.port}/mcp`;
  const statuses = await Promise.all(Array.from({ length: 12 }, () => post(url, {})));
  assert.deepEqual(statuses.filter((s) => s === 200).length, 2, `statuses: ${statuses}`);
  assert.deepEqual(statuses.filter((s) => s === 503).length, 10, `statuses: ${statuses}`);
  assert.equal(gw.sessions, 2);
});

test('a port in use is reported as a listen error (exit 1); --allow-host names compare case-insensitively', async (t) => {
  const dir = workdir(t);
  const policy = writeJson(join(dir, 'policy.json'), POLICY);
  const gw = await httpGateway(t, ['--policy', policy, '--listen', '127.0.0.1:0', '--allow-host', 'Gateway.Example.TEST', '--', process.execPath, EVERYTHING, 'stdio']);
  const port = new URL(gw.url).port;
  // The Host header's name is compared lowercased against the lowercased --allow-host names.
  assert.equal(await post(gw.url, { host: `GATEWAY.example.test:${port}`, body: { jsonrpc: '2.0', id: 1, method: 'ping' } }), 400);
  assert.equal(await post(gw.url, { host: `other.example.test:${port}`, body: { jsonrpc: '2.0', id: 1, method: 'ping' } }), 403);
  const busy = child(t, process.execPath, [BIN, '--policy', policy, '--listen', `127.0.0.1:${port}`, '--', process.execPath, EVERYTHING, 'stdio']);
  assert.deepEqual(await busy.exited, { code: 1, signal: null });
  assert.match(busy.err.text, new RegExp(`--listen 127\\.0\\.0\\.1:${port}: cannot listen \\(EADDRINUSE\\)`));
  assert.doesNotMatch(busy.err.text, /cannot read/);
});

test('an oversized request body is answered 413 (Connection: close) before the connection ends', async (t) => {
  const dir = workdir(t);
  const gw = await httpGateway(t, ['--policy', writeJson(join(dir, 'policy.json'), POLICY), '--listen', '127.0.0.1:0', '--', process.execPath, EVERYTHING, 'stdio']);
  const u = new URL(gw.url);
  const big = Buffer.alloc(5 * 1024 * 1024, 0x20);
  const answer = await new Promise((resolve, reject) => {
    const req = request({ hostname: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': big.length } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection, body }));
    });
    // The server stops reading and closes once it answered: a write error then is expected.
    req.on('error', (e) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
    req.end(big);
  });
  assert.equal(answer.status, 413);
  assert.equal(answer.connection, 'close');
  assert.match(JSON.parse(answer.body).error.message, /request body too large/);
  // The gateway still serves.
  const client = await httpClient(gw.url);
  t.after(() => client.close());
  assert.equal(text(await client.callTool({ name: 'echo', arguments: { message: 'ok' } })), 'Echo: ok');
});
