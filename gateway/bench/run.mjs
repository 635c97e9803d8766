#!/usr/bin/env node
// Benchmark (not a test): the latency a toolgate-gateway adds to a tools/call, and pipelined
// throughput — SDK Client → server-everything directly, vs through the gateway (counters in
// memory), vs through the gateway with counters in a real redis-server (unix socket).
//   node gateway/bench/run.mjs [--calls 2000] [--inflight 32]
// Prints p50/p99 per call for each path, the added p50/p99, calls/s with `inflight` calls in flight,
// and the cost of the decision alone in-process (memory store vs Redis store).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema } from '@modelcontextprotocol/sdk/types.js';

import { MemoryStore } from '../src/memory-store.mjs';
import { PolicyHolder } from '../src/policy.mjs';
import { RedisStore } from '../src/redis-store.mjs';
import { Session, connectClient } from '../src/session.mjs';
import { BIN, EVERYTHING } from '../test/helpers.mjs';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '2000' }, inflight: { type: 'string', default: '32' } } });
const CALLS = Number(values.calls);
const INFLIGHT = Number(values.inflight);
const WARMUP = 200;

const dir = mkdtempSync(join(tmpdir(), 'toolgate-gw-bench-'));
const policyFile = join(dir, 'policy.json');
writeFileSync(
  policyFile,
  JSON.stringify({
    version: '1',
    default: 'deny',
    hide: ['get-env'],
    tools: {
      'get-sum': {
        deny_if: [{ conditions: [{ path: 'args.a', op: 'gt', value: 1_000_000 }], on_deny: 'too big' }],
        limits: [{ counter: 'sums', window: 'minute', max: 1_000_000_000 }],
      },
    },
    all_tools: { limits: [{ counter: 'all', window: 'hour', max: 1_000_000_000 }] },
  }),
);

async function connect(command, args) {
  const client = new Client({ name: 'bench', version: '0' });
  await client.connect(new StdioClientTransport({ command, args, stderr: 'ignore', env: process.env }));
  return client;
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** Interleaved: call i goes to every path in turn, so every path sees the same machine load. */
async function latencies(clients) {
  const call = (client, i) => client.callTool({ name: 'get-sum', arguments: { a: i, b: 1 } });
  for (let i = 0; i < WARMUP; i++) for (const c of clients) await call(c, i);
  const times = clients.map(() => []);
  for (let i = 0; i < CALLS; i++) {
    for (let k = 0; k < clients.length; k++) {
      const t0 = performance.now();
      const r = await call(clients[k], i);
      times[k].push(performance.now() - t0);
      if (r.isError) throw new Error(`call refused: ${JSON.stringify(r)}`);
    }
  }
  return times.map((t) => {
    t.sort((a, b) => a - b);
    return { p50: quantile(t, 0.5), p99: quantile(t, 0.99) };
  });
}

async function throughput(client) {
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < CALLS) {
      const i = next++;
      const r = await client.callTool({ name: 'get-sum', arguments: { a: i, b: 1 } });
      if (r.isError) throw new Error('call refused');
    }
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  return CALLS / ((performance.now() - t0) / 1000);
}

async function startRedis() {
  const socket = join(dir, 'redis.sock');
  const p = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      if (/ready to accept connections/i.test(out)) resolve();
    });
    p.once('error', reject);
    p.once('exit', () => reject(new Error(`redis-server exited:\n${out}`)));
  });
  return { url: `unix://${socket}`, stop: () => p.kill('SIGTERM') };
}

async function decideCost(store) {
  const times = [];
  for (let i = 0; i < WARMUP + CALLS; i++) {
    const t0 = performance.now();
    let d = store.decide({ tool: 'get-sum', args: { a: i, b: 1 }, grant: 'bench' });
    if (typeof d.then === 'function') d = await d;
    const dt = performance.now() - t0;
    if (d.decision.outcome !== 'allow') throw new Error(JSON.stringify(d.decision));
    store.settle(d.ticket);
    if (i >= WARMUP) times.push(dt);
  }
  times.sort((a, b) => a - b);
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99) };
}

const holder = new PolicyHolder(policyFile);
const fmt = (ms) => `${(ms * 1000).toFixed(0).padStart(6)} µs`;
const rows = [];
const redis = await startRedis().catch((e) => {
  console.log(`(no redis-server: ${e.message}; the Redis rows are skipped)`);
  return null;
});
try {
  const paths = [
    ['direct', process.execPath, [EVERYTHING, 'stdio']],
    ['gateway, memory', process.execPath, [BIN, '--policy', policyFile, '--', process.execPath, EVERYTHING, 'stdio']],
  ];
  if (redis) paths.push(['gateway, redis', process.execPath, [BIN, '--policy', policyFile, '--redis', redis.url, '--', process.execPath, EVERYTHING, 'stdio']]);
  const clients = [];
  for (const [, command, args] of paths) clients.push(await connect(command, args));
  const lat = await latencies(clients);
  for (let k = 0; k < paths.length; k++) rows.push({ name: paths[k][0], ...lat[k], tput: await throughput(clients[k]) });
  await Promise.all(clients.map((c) => c.close()));
  console.log(`tools/call get-sum, ${CALLS} calls per path after ${WARMUP} warm-up, paths interleaved, stdio both sides; Node ${process.version}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
  console.log(`${'path'.padEnd(18)} ${'p50'.padStart(9)} ${'p99'.padStart(9)}   ${'added p50'.padStart(9)} ${'added p99'.padStart(9)}   calls/s (${INFLIGHT} in flight)`);
  const [d] = rows;
  for (const r of rows) {
    const added = r === d ? ['', ''] : [fmt(r.p50 - d.p50), fmt(r.p99 - d.p99)];
    console.log(`${r.name.padEnd(18)} ${fmt(r.p50)} ${fmt(r.p99)}   ${added[0].padStart(9)} ${added[1].padStart(9)}   ${r.tput.toFixed(0)}`);
  }
  const mem = await decideCost(new MemoryStore(holder));
  let red = null;
  if (redis) try {
    const store = new RedisStore(holder, redis.url);
    await store.connect();
    red = await decideCost(store);
    await store.close();
  } catch (e) {
    console.log(`(the Redis store's decision alone: ${e.message})`);
  }
  // The gateway's own work, without processes or pipes: Client → Session → Server, all in memory.
  const upstreamServer = () => {
    const server = new Server({ name: 'sum', version: '1' }, { capabilities: { tools: {} } });
    server.setRequestHandler(CallToolRequestSchema, (r) => ({ content: [{ type: 'text', text: String(r.params.arguments.a + r.params.arguments.b) }] }));
    return server;
  };
  const inProcess = async (viaGateway) => {
    const [agentSide, gatewaySide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'bench', version: '0' });
    if (viaGateway) {
      const connectUpstream = async (info, caps) => {
        const [a, b] = InMemoryTransport.createLinkedPair();
        await upstreamServer().connect(b);
        return connectClient(a, info, caps);
      };
      const session = new Session({ holder, store: new MemoryStore(holder), connectUpstream, audit: null, record: null, shadow: false, grant: 'bench', timeoutMs: 60_000 }, gatewaySide);
      await session.start();
    } else {
      await upstreamServer().connect(gatewaySide);
    }
    await client.connect(agentSide);
    return client;
  };
  const [plainIn, gwIn] = [await inProcess(false), await inProcess(true)];
  const [lp, lg] = await latencies([plainIn, gwIn]);
  console.log(`in one process (no pipes): direct p50 ${fmt(lp.p50)} p99 ${fmt(lp.p99)}; through a gateway session p50 ${fmt(lg.p50)} p99 ${fmt(lg.p99)} (added p50 ${fmt(lg.p50 - lp.p50)})`);
  console.log(`decision alone, in-process: memory p50 ${fmt(mem.p50)} p99 ${fmt(mem.p99)}${red ? `; redis p50 ${fmt(red.p50)} p99 ${fmt(red.p99)}` : ''}`);
} finally {
  redis?.stop();
  rmSync(dir, { recursive: true, force: true });
}
