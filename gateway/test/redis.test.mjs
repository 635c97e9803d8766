// Counters shared through a real redis-server (Debian package), one per test on a unix socket
// in the test's directory (no TCP port at all), without persistence.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { createClient } from 'redis';
import { PolicyEngine } from 'toolgate';

import { PolicyHolder } from '../src/policy.mjs';
import { RELEASE_LUA, RESERVE_LUA, RedisStore, markerKey, slotKey } from '../src/redis-store.mjs';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

import { EVERYTHING, RICH_CAPABILITIES, child, stdioGateway, text, workdir, writeJson } from './helpers.mjs';

async function startRedis(t, dir) {
  const socket = join(dir, 'redis.sock');
  const start = async () => {
    const p = child(t, 'redis-server', ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir]);
    await p.out.wait(/ready to accept connections/i);
    return p;
  };
  const redis = { url: `unix://${socket}`, process: await start() };
  redis.stop = async () => {
    redis.process.kill('SIGTERM');
    await redis.process.exited;
  };
  redis.restart = async () => {
    redis.process = await start();
  };
  return redis;
}

/** A plain node-redis client on the test's server, to look at the keys the gateway wrote. */
async function directClient(t, dir) {
  const direct = createClient({ socket: { path: join(dir, 'redis.sock') } });
  direct.on('error', () => {});
  await direct.connect();
  t.after(() => direct.close());
  return direct;
}

const LIMITED = (max) => ({
  version: '1',
  default: 'allow',
  tools: { echo: { limits: [{ counter: 'echoes', window: 'hour', max }] } },
});

async function twoGateways(t, dir, policy, redis) {
  const file = writeJson(join(dir, 'policy.json'), policy);
  const start = () => stdioGateway(['--policy', file, '--redis', redis.url, '--grant', 'team', '--', process.execPath, EVERYTHING, 'stdio']);
  const gateways = await Promise.all([start(), start()]);
  t.after(() => Promise.allSettled(gateways.map((g) => g.close())));
  return gateways;
}

const allowed = (results) => results.filter((r) => !/POLICY DENIED/.test(text(r))).length;

test('two gateway processes share a 5-per-window limit: exactly 5 of 8 calls pass', async (t) => {
  const dir = workdir(t);
  const redis = await startRedis(t, dir);
  const [a, b] = await twoGateways(t, dir, LIMITED(5), redis);
  const results = [];
  for (let i = 0; i < 8; i++) results.push(await (i % 2 === 0 ? a : b).client.callTool({ name: 'echo', arguments: { message: `m${i}` } }));
  assert.equal(allowed(results), 5);
  assert.deepEqual(results.map((r) => r._meta?.toolgate?.outcome ?? 'allow'), ['allow', 'allow', 'allow', 'allow', 'allow', 'rate_limited', 'rate_limited', 'rate_limited']);
  // The refusal counts what both gateways charged.
  assert.deepEqual(results[5]._meta.toolgate.counters.map((c) => [c.counter, c.grant, c.used, c.max]), [['echoes', 'team', 5, 5]]);
});

test('30 concurrent calls over two gateways against max 10: exactly 10 pass', async (t) => {
  const dir = workdir(t);
  const redis = await startRedis(t, dir);
  const [a, b] = await twoGateways(t, dir, LIMITED(10), redis);
  const calls = [];
  for (let i = 0; i < 30; i++) calls.push((i % 2 === 0 ? a : b).client.callTool({ name: 'echo', arguments: { message: `c${i}` } }));
  const results = await Promise.all(calls);
  assert.equal(allowed(results), 10);
  assert.equal(results.filter((r) => r._meta?.toolgate?.outcome === 'rate_limited').length, 20);
});

test('Redis stopped: calls that need counters are refused; Redis back: service resumes by itself', async (t) => {
  const dir = workdir(t);
  const redis = await startRedis(t, dir);
  const policy = { ...LIMITED(100), tools: { ...LIMITED(100).tools, 'get-sum': {} } };
  const [gw] = await twoGateways(t, dir, policy, redis);
  assert.equal(text(await gw.client.callTool({ name: 'echo', arguments: { message: 'before' } })), 'Echo: before');

  const from = gw.stderr.length;
  await redis.stop();
  await gw.stderr.wait(/redis: unavailable/, { from });
  const refused = await gw.client.callTool({ name: 'echo', arguments: { message: 'during' } });
  assert.equal(refused.isError, true);
  assert.match(text(refused), /^\[POLICY DENIED\] rate-limit store unavailable/);
  assert.equal(refused._meta.toolgate.outcome, 'deny');
  // A tool without limits needs no counters: still decided and forwarded.
  assert.equal(text(await gw.client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } })), 'The sum of 1 and 2 is 3.');

  const back = gw.stderr.length;
  await redis.restart();
  await gw.stderr.wait(/redis: connected again/, { from: back, timeoutMs: 20_000 });
  assert.equal(text(await gw.client.callTool({ name: 'echo', arguments: { message: 'after' } })), 'Echo: after');
});

// ---------------------------------------------------------------- differential

/** A small deterministic PRNG (mulberry32): a failing seed reproduces. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function randomPolicy(r) {
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  // A counter has one window per policy (the validator requires it); a reload may change it.
  const windows = { c0: pick(['minute', 'hour']), c1: pick(['minute', 'minute', 'hour']), c2: 'minute' };
  const limit = () => {
    const counter = pick(['c0', 'c1', 'c2']);
    return { counter, window: windows[counter], max: 1 + Math.floor(r() * 3) };
  };
  const limits = () => {
    const out = [];
    for (let n = Math.floor(r() * 3); n > 0; n--) {
      const l = limit();
      if (!out.some((x) => x.counter === l.counter)) out.push(l);
    }
    return out;
  };
  const tools = {};
  for (const name of ['t0', 't1', 't2']) {
    if (r() < 0.15) continue;
    tools[name] = { limits: limits() };
    if (r() < 0.3) tools[name].deny_if = [{ conditions: [{ path: 'args.n', op: 'gt', value: 7 }] }];
  }
  const policy = { version: '1', default: pick(['allow', 'deny']), tools };
  if (r() < 0.5) policy.all_tools = { limits: limits() };
  if (r() < 0.2) policy.hide = ['t2'];
  return policy;
}

test('decisions through the Redis store equal the in-memory engine on random policies and calls', async (t) => {
  const dir = workdir(t);
  const redis = await startRedis(t, dir);
  const file = join(dir, 'policy.json');
  const base = Date.UTC(2026, 0, 1, 12, 0, 0);
  let compared = 0;
  const seen = { allow: 0, deny: 0, hidden: 0, rate_limited: 0, released: 0 };
  for (let seed = 1; seed <= 40; seed++) {
    const r = rng(seed);
    const text = JSON.stringify(randomPolicy(r), null, 2);
    writeFileSync(file, text);
    const holder = new PolicyHolder(file);
    const store = new RedisStore(holder, redis.url);
    await store.connect();
    const memory = new PolicyEngine(text);
    let at = base + Math.floor(r() * 60_000);
    try {
      for (let i = 0; i < 60; i++) {
        // Mostly forward in time, sometimes across a window edge, sometimes late (another clock).
        const step = r();
        at = step < 0.1 ? Math.max(base, at - Math.floor(r() * 70_000)) : at + Math.floor(r() * (step < 0.8 ? 4_000 : 90_000));
        if (i === 30 && r() < 0.5) {
          // A hot reload to another random policy, counters kept (a counter's window may change).
          const next = JSON.stringify(randomPolicy(r), null, 2);
          writeFileSync(file, next);
          assert.equal(holder.reload(), next === text ? 'unchanged' : 'applied');
          memory.setPolicy(next);
        }
        const call = { tool: `t${Math.floor(r() * 4)}`, grant: `s${seed}-g${Math.floor(r() * 2)}`, at_ms: at, args: { n: Math.floor(r() * 10) } };
        const expected = memory.evaluate(call);
        const { decision, ticket } = await store.decide(call);
        assert.deepEqual(decision, expected, `seed ${seed}, call ${i}: ${JSON.stringify(call)}\npolicy: ${text}`);
        compared += 1;
        seen[expected.outcome] += 1;
        if (expected.outcome === 'allow' && r() < 0.25) {
          // The upstream answered with an error: both give the quota back — once, even if asked twice.
          const released = await store.release(ticket);
          assert.equal(released, memory.release(expected) > 0, `seed ${seed}, release of call ${i}`);
          if (released) seen.released += 1;
          assert.equal(await store.release(ticket), false);
        } else {
          store.settle(ticket);
        }
      }
    } finally {
      await store.close();
      memory.free();
    }
  }
  assert.equal(compared, 40 * 60);
  t.diagnostic(JSON.stringify(seen));
  // Every path was exercised, not only the easy one.
  for (const k of ['allow', 'deny', 'hidden', 'rate_limited', 'released']) assert.ok(seen[k] >= 20, `${k}: ${JSON.stringify(seen)}`);
});

test('a retried reservation returns the same answer without charging twice; release gives back once, into the charged window', async (t) => {
  const dir = workdir(t);
  const redis = await startRedis(t, dir);
  const client = createClient({ socket: { path: redis.url.slice('unix://'.length), reconnectStrategy: false } });
  client.on('error', () => {});
  await client.connect();
  const evalLua = (script, keys, args) => client.sendCommand(['EVAL', script, String(keys.length), ...keys, ...args]);
  const W = 60_000;
  const ws = Date.UTC(2026, 0, 1, 12, 0, 0);
  const slot = slotKey('alice', 'calls');
  const reserve = (id, start) => evalLua(RESERVE_LUA, [markerKey('alice', id), slot], ['60000', '1', '1', String(W), String(start), '2', '1', '1', String(W), String(start), String(3 * W)]);

  assert.equal(await reserve('r1', ws), 'A:0');
  assert.equal(await reserve('r1', ws), 'A:0', 'the retry answers as the first attempt');
  assert.deepEqual(await client.hGetAll(slot), { w: String(W), ws: String(ws), used: '1', prev: '0' });
  assert.equal(await reserve('r2', ws), 'A:1');
  assert.equal(await reserve('r3', ws), 'R:2', 'max 2: the third is refused and charges nothing');
  assert.equal(await client.exists(markerKey('alice', 'r3')), 0);
  // The next window starts; r1's window becomes `prev`.
  assert.equal(await reserve('r4', ws + W), 'A:0');
  assert.deepEqual(await client.hGetAll(slot), { w: String(W), ws: String(ws + W), used: '1', prev: '2' });
  // Releasing r1 credits the window it was charged in (now `prev`), once.
  const release = (id, start) => evalLua(RELEASE_LUA, [markerKey('alice', id), slot], ['1', String(W), String(start)]);
  assert.equal(await release('r1', ws), 1);
  assert.equal(await release('r1', ws), 0);
  assert.deepEqual(await client.hGetAll(slot), { w: String(W), ws: String(ws + W), used: '1', prev: '1' });
  // Every key expires relative to now (never at a caller's clock).
  const ttl = await client.pTTL(slot);
  assert.ok(ttl > 0 && ttl <= 3 * W, String(ttl));
  const markerTtl = await client.pTTL(markerKey('alice', 'r4'));
  assert.ok(markerTtl > 0 && markerTtl <= 60_000, String(markerTtl));
  await client.close();
});

test('with Redis, an upstream JSON-RPC error gives the quota back, once', async (t) => {
  const dir = workdir(t);
  const redis = await startRedis(t, dir);
  const policy = { version: '1', default: 'allow', tools: { 'trigger-url-elicitation': { limits: [{ counter: 'elicit', window: 'hour', max: 1 }] } } };
  const gw = await stdioGateway(['--policy', writeJson(join(dir, 'policy.json'), policy), '--redis', redis.url, '--', process.execPath, EVERYTHING, 'stdio'], {
    capabilities: RICH_CAPABILITIES,
    onClient: (c) => c.setRequestHandler(ElicitRequestSchema, () => ({ action: 'decline' })),
  });
  t.after(() => gw.close());
  const args = { url: 'https://example.com/authorize', errorPath: true };
  await assert.rejects(gw.client.callTool({ name: 'trigger-url-elicitation', arguments: args }), (e) => e.code === -32042);
  const retried = await gw.client.callTool({ name: 'trigger-url-elicitation', arguments: args });
  assert.doesNotMatch(text(retried), /POLICY DENIED/);
  const third = await gw.client.callTool({ name: 'trigger-url-elicitation', arguments: args });
  assert.match(text(third), /^\[POLICY DENIED\] Rate limit of 1 per hour/);
  assert.equal(third._meta.toolgate.counters[0].used, 1);
});

test('a stalled Redis (SIGSTOP) refuses the call at the deadline; the late reservation is given back after SIGCONT', async (t) => {
  const dir = workdir(t);
  const redis = await startRedis(t, dir);
  const file = writeJson(join(dir, 'policy.json'), LIMITED(2));
  const holder = new PolicyHolder(file);
  const store = new RedisStore(holder, redis.url, { commandTimeoutMs: 300 });
  await store.connect();
  t.after(() => store.close());
  const direct = await directClient(t, dir);
  const call = (i) => ({ tool: 'echo', grant: 'g', at_ms: Date.now(), args: { message: `m${i}` } });
  assert.equal((await store.decide(call(0))).decision.outcome, 'allow');
  let resumed = false;
  t.after(() => {
    if (!resumed) redis.process.kill('SIGCONT');
  });
  redis.process.kill('SIGSTOP');
  const stalled = await store.decide(call(1));
  assert.equal(stalled.decision.outcome, 'deny');
  assert.equal(stalled.decision.rule, '(store unavailable)');
  assert.match(stalled.decision.message, /timeout: no answer within 300 ms/);
  assert.equal(stalled.ticket, null);
  redis.process.kill('SIGCONT');
  resumed = true;
  // The stalled script ran once Redis resumed and charged; its late answer released it by id.
  await store.drained();
  assert.equal(await direct.hGet(slotKey('g', 'echoes'), 'used'), '1');
  assert.equal((await store.decide(call(2))).decision.outcome, 'allow');
  assert.equal((await store.decide(call(3))).decision.outcome, 'rate_limited');
});

test('a policy reloaded while Redis answers is re-planned: a call the new policy refuses is refused and its charge given back', async (t) => {
  const dir = workdir(t);
  const redis = await startRedis(t, dir);
  const file = writeJson(join(dir, 'policy.json'), LIMITED(5));
  const holder = new PolicyHolder(file);
  const store = new RedisStore(holder, redis.url, { commandTimeoutMs: 10_000 });
  await store.connect();
  t.after(() => store.close());
  const direct = await directClient(t, dir);
  const call = () => ({ tool: 'echo', grant: 'g', at_ms: Date.now(), args: { message: 'x' } });
  assert.equal((await store.decide(call())).decision.outcome, 'allow');
  let resumed = false;
  t.after(() => {
    if (!resumed) redis.process.kill('SIGCONT');
  });
  redis.process.kill('SIGSTOP');
  const pending = store.decide(call());
  writeJson(file, { ...LIMITED(5), hide: ['echo'] });
  assert.equal(holder.reload(), 'applied');
  redis.process.kill('SIGCONT');
  resumed = true;
  const { decision, ticket } = await pending;
  assert.equal(decision.outcome, 'hidden');
  assert.equal(ticket, null);
  assert.equal(await direct.hGet(slotKey('g', 'echoes'), 'used'), '1');
});

test('--redis-prefix keeps deployments sharing one Redis apart: same grant, separate counters, namespaced keys', async (t) => {
  const dir = workdir(t);
  const redis = await startRedis(t, dir);
  const file = writeJson(join(dir, 'policy.json'), LIMITED(1));
  const start = (extra) => stdioGateway(['--policy', file, '--redis', redis.url, ...extra, '--grant', 'team', '--', process.execPath, EVERYTHING, 'stdio']);
  const [staging, prod] = await Promise.all([start(['--redis-prefix', 'staging']), start([])]);
  t.after(() => Promise.allSettled([staging.close(), prod.close()]));
  assert.equal(text(await staging.client.callTool({ name: 'echo', arguments: { message: 's' } })), 'Echo: s');
  assert.equal(text(await prod.client.callTool({ name: 'echo', arguments: { message: 'p' } })), 'Echo: p');
  const second = await staging.client.callTool({ name: 'echo', arguments: { message: 's2' } });
  assert.equal(second._meta.toolgate.outcome, 'rate_limited');
  const direct = await directClient(t, dir);
  assert.equal(await direct.hGet('staging:{team}:echoes', 'used'), '1');
  assert.equal(await direct.hGet(slotKey('team', 'echoes'), 'used'), '1');
  assert.deepEqual((await direct.keys('*:echoes')).sort(), ['staging:{team}:echoes', 'tg:{team}:echoes']);
});

test('--redis-timeout: a gateway refuses a call at its own deadline while Redis is stalled, and serves again after', async (t) => {
  const dir = workdir(t);
  const redis = await startRedis(t, dir);
  const file = writeJson(join(dir, 'policy.json'), LIMITED(5));
  const gw = await stdioGateway(['--policy', file, '--redis', redis.url, '--redis-timeout', '150', '--', process.execPath, EVERYTHING, 'stdio']);
  t.after(() => gw.close());
  let resumed = false;
  t.after(() => {
    if (!resumed) redis.process.kill('SIGCONT');
  });
  assert.equal(text(await gw.client.callTool({ name: 'echo', arguments: { message: 'a' } })), 'Echo: a');
  redis.process.kill('SIGSTOP');
  const stalled = await gw.client.callTool({ name: 'echo', arguments: { message: 'b' } });
  assert.equal(stalled._meta.toolgate.outcome, 'deny');
  assert.match(text(stalled), /rate-limit store unavailable \(timeout: no answer within 150 ms\)/);
  redis.process.kill('SIGCONT');
  resumed = true;
  assert.equal(text(await gw.client.callTool({ name: 'echo', arguments: { message: 'c' } })), 'Echo: c');
});

test('a settled call deletes its reservation marker in the background; a released one deletes it too; counters stay', async (t) => {
  const dir = workdir(t);
  const redis = await startRedis(t, dir);
  const holder = new PolicyHolder(writeJson(join(dir, 'policy.json'), LIMITED(5)));
  const store = new RedisStore(holder, redis.url);
  await store.connect();
  t.after(() => store.close());
  const direct = await directClient(t, dir);
  const call = () => ({ tool: 'echo', grant: 'g', at_ms: Date.now(), args: { message: 'x' } });
  const a = await store.decide(call());
  const b = await store.decide(call());
  assert.equal((await direct.keys('tg:{g}:r:*')).length, 2);
  store.settle(a.ticket);
  assert.equal(await store.release(b.ticket), true);
  await store.drained();
  assert.deepEqual(await direct.keys('tg:{g}:r:*'), []);
  // The settled call stays charged; the released one was given back.
  assert.equal(await direct.hGet(slotKey('g', 'echoes'), 'used'), '1');
  // A settled ticket cannot be released afterwards.
  assert.equal(await store.release(a.ticket), false);
});

test('a reload whose engine throws an unexpected error keeps the old policy (logged, not thrown)', async (t) => {
  const dir = workdir(t);
  const file = writeJson(join(dir, 'policy.json'), LIMITED(1));
  const holder = new PolicyHolder(file);
  t.after(() => holder.close());
  const before = holder.digest;
  const setPolicy = holder.engine.setPolicy.bind(holder.engine);
  holder.engine.setPolicy = () => {
    throw new TypeError('unexpected');
  };
  writeJson(file, { ...LIMITED(1), hide: ['echo'] });
  assert.equal(holder.reload(), 'invalid');
  assert.equal(holder.digest, before);
  assert.equal(holder.engine.evaluate({ tool: 'echo', grant: 'g', at_ms: 0, args: {} }).outcome, 'allow');
  holder.engine.setPolicy = setPolicy;
  assert.equal(holder.reload(), 'applied');
  assert.equal(holder.engine.evaluate({ tool: 'echo', grant: 'g', at_ms: 0, args: {} }).outcome, 'hidden');
});
