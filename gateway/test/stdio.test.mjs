// SDK Client → toolgate-gateway (stdio) → @modelcontextprotocol/server-everything (stdio, behind a
// tap that logs what reaches it). Every part is the real package from npm.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, ResultSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import { PolicyEngine } from 'toolgate';

import { BIN, EVERYTHING, RICH_CAPABILITIES, child, jsonLines, stdioGateway, tappedEverything, text, workdir, writeJson } from './helpers.mjs';

const POLICY = {
  version: '1',
  default: 'deny',
  hide: ['get-env', 'trigger-long-running-operation'],
  tools: {
    echo: { limits: [{ counter: 'echoes', window: 'minute', max: 2 }] },
    'get-sum': { deny_if: [{ conditions: [{ path: 'args.a', op: 'gt', value: 100 }], on_deny: 'Sums above 100 need a human.' }] },
    'get-tiny-image': {},
    'trigger-url-elicitation': { limits: [{ counter: 'elicit', window: 'hour', max: 1 }] },
  },
};

async function direct(capabilities = {}) {
  const client = new Client({ name: 'direct', version: '0.0.0' }, { capabilities });
  if (capabilities.elicitation) client.setRequestHandler(ElicitRequestSchema, () => ({ action: 'decline' }));
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], stderr: 'ignore' }));
  return client;
}

test('hidden tools are absent from tools/list and refused by name; refused calls never reach the upstream', async (t) => {
  const dir = workdir(t);
  const up = tappedEverything(dir);
  const gw = await stdioGateway(['--policy', writeJson(join(dir, 'policy.json'), POLICY), ...up.command]);
  t.after(() => gw.close());
  const plain = await direct();
  t.after(() => plain.close());

  const names = (await gw.client.listTools()).tools.map((x) => x.name);
  const upstream = (await plain.listTools()).tools.map((x) => x.name);
  assert.deepEqual(names, upstream.filter((n) => !POLICY.hide.includes(n)));
  assert.ok(upstream.includes('get-env') && !names.includes('get-env'));

  assert.equal(text(await gw.client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } })), 'The sum of 1 and 2 is 3.');
  const hidden = await gw.client.callTool({ name: 'get-env', arguments: {} });
  assert.equal(hidden.isError, true);
  assert.equal(text(hidden), '[POLICY DENIED] Tool "get-env" is hidden by policy');
  assert.equal(hidden._meta.toolgate.outcome, 'hidden');
  const big = await gw.client.callTool({ name: 'get-sum', arguments: { a: 1000, b: 2 } });
  assert.equal(text(big), '[POLICY DENIED] Sums above 100 need a human.');
  assert.equal(big._meta.toolgate.rule, '/tools/get-sum/deny_if/args.a-gt');
  const unlisted = await gw.client.callTool({ name: 'get-annotated-message', arguments: { messageType: 'error' } });
  assert.equal(text(unlisted), '[POLICY DENIED] Tool "get-annotated-message" is not permitted by policy');

  // A ping round trip through the gateway and the tap orders everything sent before it.
  await gw.client.ping();
  await gw.client.listTools();
  const calls = up.calls().filter((c) => c.method === 'tools/call').map((c) => c.name);
  assert.deepEqual(calls, ['get-sum']);
});

test('a limit refuses the next call with retry-after; a result with isError stays charged', async (t) => {
  const dir = workdir(t);
  const gw = await stdioGateway(['--policy', writeJson(join(dir, 'policy.json'), POLICY), '--', process.execPath, EVERYTHING, 'stdio']);
  t.after(() => gw.close());
  // server-everything answers a call without `message` with an isError result (not a JSON-RPC error).
  const invalid = await gw.client.callTool({ name: 'echo', arguments: {} });
  assert.equal(invalid.isError, true);
  assert.doesNotMatch(text(invalid), /POLICY DENIED/);
  assert.equal(text(await gw.client.callTool({ name: 'echo', arguments: { message: 'one' } })), 'Echo: one');
  const third = await gw.client.callTool({ name: 'echo', arguments: { message: 'two' } });
  assert.equal(third.isError, true);
  assert.match(text(third), /^\[POLICY DENIED\] Rate limit of 2 per minute reached\. Try again later\. Retry in \d+ s\.$/);
  const d = third._meta.toolgate;
  assert.equal(d.outcome, 'rate_limited');
  assert.equal(d.rule, '/tools/echo/limits/echoes');
  assert.ok(d.retry_after_ms > 0 && d.retry_after_ms <= 60_000);
  assert.equal(Number(/Retry in (\d+) s/.exec(text(third))[1]), Math.ceil(d.retry_after_ms / 1000));
});

test('upstream JSON-RPC errors pass through untouched and give the quota back once; other methods pass through', async (t) => {
  const dir = workdir(t);
  const gw = await stdioGateway(['--policy', writeJson(join(dir, 'policy.json'), POLICY), '--', process.execPath, EVERYTHING, 'stdio'], {
    capabilities: RICH_CAPABILITIES,
    onClient: (c) => c.setRequestHandler(ElicitRequestSchema, (req) => ({ action: req.params.mode === 'url' ? 'decline' : 'cancel' })),
  });
  t.after(() => gw.close());
  const plain = await direct(RICH_CAPABILITIES);
  t.after(() => plain.close());

  const args = { url: 'https://example.com/authorize', errorPath: true };
  const viaGateway = await gw.client.callTool({ name: 'trigger-url-elicitation', arguments: args }).then(
    () => assert.fail('expected a JSON-RPC error'),
    (e) => e,
  );
  const straight = await plain.callTool({ name: 'trigger-url-elicitation', arguments: args }).then(
    () => assert.fail('expected a JSON-RPC error'),
    (e) => e,
  );
  assert.equal(viaGateway.code, -32042);
  assert.equal(viaGateway.code, straight.code);
  assert.equal(viaGateway.message, straight.message);
  assert.equal(viaGateway.data.elicitations.length, 1);
  assert.deepEqual(Object.keys(viaGateway.data.elicitations[0]).sort(), Object.keys(straight.data.elicitations[0]).sort());
  assert.equal(viaGateway.data.elicitations[0].url, straight.data.elicitations[0].url);

  // max 1 per hour: the error gave the quota back, so the retry runs (the upstream asks the agent
  // through the gateway: elicitation/create, declined); the one after it is refused.
  const retried = await gw.client.callTool({ name: 'trigger-url-elicitation', arguments: args });
  assert.doesNotMatch(text(retried), /POLICY DENIED/);
  const third = await gw.client.callTool({ name: 'trigger-url-elicitation', arguments: args });
  assert.match(text(third), /^\[POLICY DENIED\] Rate limit of 1 per hour/);

  // prompts/get of an unknown prompt: the upstream's error, as the upstream words it.
  const promptError = (c) => c.getPrompt({ name: 'nope' }).then(() => assert.fail('expected an error'), (e) => [e.code, e.message]);
  assert.deepEqual(await promptError(gw.client), await promptError(plain));
  assert.deepEqual(await gw.client.listPrompts(), await plain.listPrompts());
  assert.deepEqual(await gw.client.readResource({ uri: 'demo://resource/static/document/architecture.md' }), await plain.readResource({ uri: 'demo://resource/static/document/architecture.md' }));
});

test('list_changed from the upstream and from a reload reach the client; reload keeps counters; an invalid edit keeps the old policy', async (t) => {
  const dir = workdir(t);
  const policyFile = writeJson(join(dir, 'policy.json'), POLICY);
  let changed = 0;
  let notify = () => {};
  const gw = await stdioGateway(['--policy', policyFile, '--', process.execPath, EVERYTHING, 'stdio'], {
    onClient: (c) =>
      c.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        changed += 1;
        notify();
      }),
  });
  t.after(() => gw.close());
  const nextChange = () => new Promise((resolve) => (notify = resolve));

  // server-everything registers its conditional tools once initialized and says so.
  if (changed === 0) await nextChange();
  assert.ok(changed >= 1);

  for (const m of ['a', 'b']) assert.equal(text(await gw.client.callTool({ name: 'echo', arguments: { message: m } })), `Echo: ${m}`);
  assert.match(text(await gw.client.callTool({ name: 'echo', arguments: { message: 'c' } })), /Rate limit of 2 per minute/);

  // A valid edit: get-env visible, echo max 3. The counters are kept: exactly one more echo fits.
  let from = gw.stderr.length;
  const edited = structuredClone(POLICY);
  edited.hide = ['trigger-long-running-operation'];
  edited.tools.echo.limits[0].max = 3;
  edited.tools['get-env'] = {};
  const changedAfterEdit = nextChange();
  writeJson(policyFile, edited);
  await gw.stderr.wait(/policy reloaded: .*counters kept/, { from });
  await changedAfterEdit;
  assert.ok((await gw.client.listTools()).tools.some((x) => x.name === 'get-env'));
  assert.equal(text(await gw.client.callTool({ name: 'echo', arguments: { message: 'd' } })), 'Echo: d');
  assert.match(text(await gw.client.callTool({ name: 'echo', arguments: { message: 'e' } })), /Rate limit of 3 per minute/);

  // An invalid edit: located errors on stderr, the previous policy stays.
  from = gw.stderr.length;
  writeFileSync(policyFile, '{\n  "version": "1",\n  "default": "deny",\n  "tools": { "echo": { "deny-if": [] } }\n}\n');
  const located = await gw.stderr.wait(/policy\.json:(\d+):(\d+): (\/tools\/echo\/deny-if): (.*)/, { from });
  assert.equal(located[1], '4');
  assert.match(located[4], /unknown key `deny-if`.*did you mean `deny_if`/);
  assert.match(gw.stderr.text.slice(from), /the previous policy \(sha256:[0-9a-f]{64}\) stays/);
  assert.ok((await gw.client.listTools()).tools.some((x) => x.name === 'get-env'));
  assert.match(text(await gw.client.callTool({ name: 'echo', arguments: { message: 'f' } })), /Rate limit of 3 per minute/);

});

test('with --no-watch, an edit waits for SIGHUP', async (t) => {
  const dir = workdir(t);
  const policyFile = writeJson(join(dir, 'policy.json'), POLICY);
  const gw = await stdioGateway(['--policy', policyFile, '--no-watch', '--', process.execPath, EVERYTHING, 'stdio']);
  t.after(() => gw.close());
  writeJson(policyFile, { ...POLICY, hide: [] });
  // Not applied by itself (a watcher would have, as the previous test shows).
  assert.ok(!(await gw.client.listTools()).tools.some((x) => x.name === 'get-env'));
  const from = gw.stderr.length;
  process.kill(gw.pid, 'SIGHUP');
  await gw.stderr.wait(/policy reloaded/, { from });
  assert.ok((await gw.client.listTools()).tools.some((x) => x.name === 'get-env'));
});

test('audit lines carry argument keys, never values; --record lines replay the calls with values', async (t) => {
  const dir = workdir(t);
  const audit = join(dir, 'audit.jsonl');
  const record = join(dir, 'trace.jsonl');
  const gw = await stdioGateway(['--policy', writeJson(join(dir, 'policy.json'), POLICY), '--audit', audit, '--record', record, '--grant', 'alice', '--', process.execPath, EVERYTHING, 'stdio']);
  t.after(() => gw.close());
  const SECRET = 'sk-live-4242-very-secret';
  await gw.client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } });
  await gw.client.callTool({ name: 'get-sum', arguments: { a: 1000, b: 2, note: SECRET } });
  await gw.client.callTool({ name: 'echo', arguments: { message: SECRET } });
  await gw.client.callTool({ name: 'get-env', arguments: {} });

  assert.doesNotMatch(readFileSync(audit, 'utf8'), new RegExp(SECRET));
  const lines = jsonLines(audit);
  assert.equal(lines.length, 4);
  for (const l of lines) {
    assert.deepEqual(Object.keys(l), ['ts', 'grant', 'session', 'tool', 'outcome', 'rule', 'message', 'retry_after_ms', 'arg_keys', 'policy', 'upstream', 'duration_ms', 'shadow']);
    assert.equal(l.grant, 'alice');
    assert.match(l.policy, /^sha256:[0-9a-f]{64}$/);
    assert.equal(typeof l.duration_ms, 'number');
    assert.equal(l.shadow, false);
  }
  assert.deepEqual(lines.map((l) => [l.tool, l.outcome, l.upstream, l.arg_keys]), [
    ['get-sum', 'allow', 'ok', ['a', 'b']],
    ['get-sum', 'deny', 'not_sent', ['a', 'b', 'note']],
    ['echo', 'allow', 'ok', ['message']],
    ['get-env', 'hidden', 'not_sent', []],
  ]);
  assert.equal(lines[1].rule, '/tools/get-sum/deny_if/args.a-gt');
  assert.equal(new Set(lines.map((l) => l.session)).size, 1);

  const trace = jsonLines(record);
  assert.deepEqual(trace.map((l) => [l.tool, l.grant, l.args, l.upstream_error]), [
    ['get-sum', 'alice', { a: 1, b: 2 }, false],
    ['get-sum', 'alice', { a: 1000, b: 2, note: SECRET }, false],
    ['echo', 'alice', { message: SECRET }, false],
    ['get-env', 'alice', {}, false],
  ]);
  for (const l of trace) assert.ok(!Number.isNaN(Date.parse(l.ts)));
  // The recorded traffic replays to the decisions the gateway made.
  const replay = new PolicyEngine(POLICY).simulate(readFileSync(record, 'utf8'));
  assert.deepEqual(replay.decisions.map((d) => [d.tool, d.grant, d.outcome, d.rule]), lines.map((l) => [l.tool, l.grant, l.outcome, l.rule]));
});

test('--shadow forwards what it would refuse and logs it with "shadow": true', async (t) => {
  const dir = workdir(t);
  const audit = join(dir, 'audit.jsonl');
  const up = tappedEverything(dir);
  const gw = await stdioGateway(['--policy', writeJson(join(dir, 'policy.json'), POLICY), '--shadow', '--audit', audit, ...up.command]);
  t.after(() => gw.close());
  assert.equal(text(await gw.client.callTool({ name: 'get-sum', arguments: { a: 1000, b: 2 } })), 'The sum of 1000 and 2 is 1002.');
  assert.equal(text(await gw.client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } })), 'The sum of 1 and 2 is 3.');
  assert.deepEqual(jsonLines(audit).map((l) => [l.outcome, l.upstream, l.shadow]), [
    ['deny', 'ok', true],
    ['allow', 'ok', false],
  ]);
  assert.equal(up.calls().filter((c) => c.method === 'tools/call').length, 2);
});

test('progress and cancellation are forwarded; a cancelled or timed-out call keeps its quota', async (t) => {
  const dir = workdir(t);
  const policy = { version: '1', default: 'allow', tools: { 'trigger-long-running-operation': { limits: [{ counter: 'long', window: 'hour', max: 2 }] } } };
  const audit = join(dir, 'audit.jsonl');
  const up = tappedEverything(dir);
  const gw = await stdioGateway(['--policy', writeJson(join(dir, 'policy.json'), policy), '--audit', audit, '--timeout', '300', ...up.command]);
  t.after(() => gw.close());

  // Cancelled after the first progress notification.
  const controller = new AbortController();
  const progress = [];
  const cancelled = gw.client
    .callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.5, steps: 5 } }, undefined, {
      signal: controller.signal,
      onprogress: (p) => {
        progress.push(p);
        controller.abort('enough');
      },
      timeout: 10_000,
    })
    .then(() => assert.fail('expected a cancel'), (e) => e);
  await cancelled;
  assert.ok(progress.length >= 1 && progress[0].total === 5);

  // Timed out at the gateway (300 ms, no progress asked for, 2 s operation): not an upstream answer.
  const timedOut = await gw.client
    .callTool({ name: 'trigger-long-running-operation', arguments: { duration: 2, steps: 1 } })
    .then(() => assert.fail('expected a timeout'), (e) => e);
  assert.equal(timedOut.code, -32001);

  // Both stayed charged: the third call is refused.
  const third = await gw.client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0, steps: 1 } });
  assert.match(text(third), /^\[POLICY DENIED\] Rate limit of 2 per hour/);
  await gw.client.ping();
  const sent = up.calls();
  assert.equal(sent.filter((c) => c.method === 'tools/call').length, 2);
  assert.ok(sent.filter((c) => c.method === 'notifications/cancelled').length >= 2, JSON.stringify(sent));
  const upstreams = jsonLines(audit).map((l) => l.upstream);
  assert.deepEqual(upstreams.slice(-1), ['not_sent']);
  assert.ok(upstreams.includes('timeout') && upstreams.includes('cancelled'), upstreams.join());
});

test('an invalid policy (located errors) and a dead upstream stop the gateway with exit 1; usage errors exit 2', async (t) => {
  const dir = workdir(t);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{\n  "version": "1",\n  "default": "maybe"\n}\n');
  const p = child(t, process.execPath, [BIN, '--policy', bad, '--', process.execPath, EVERYTHING, 'stdio']);
  assert.deepEqual(await p.exited, { code: 1, signal: null });
  assert.match(p.err.text, /bad\.json:3:\d+: \/default: /);
  const u = child(t, process.execPath, [BIN, '--policy', bad]);
  assert.deepEqual(await u.exited, { code: 2, signal: null });
  assert.match(u.err.text, /no upstream/);
  // An upstream that dies before answering: the agent's initialize gets an error, the gateway exits 1.
  const good = writeJson(join(dir, 'good.json'), POLICY);
  const dead = child(t, process.execPath, [BIN, '--policy', good, '--', process.execPath, '-e', 'process.exit(3)'], { stdio: ['pipe', 'pipe', 'pipe'] });
  dead.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } })}\n`);
  const answer = JSON.parse((await dead.out.wait(/^.*\n/))[0]);
  assert.equal(answer.id, 0);
  assert.equal(answer.error.code, -32603);
  assert.match(answer.error.message, /^upstream unavailable: /);
  assert.deepEqual(await dead.exited, { code: 1, signal: null });
  assert.match(dead.err.text, /upstream: cannot connect/);
  const l = child(t, process.execPath, [BIN, '--policy', bad, '--listen', '0.0.0.0:0', '--upstream-url', 'http://127.0.0.1:1/mcp']);
  assert.deepEqual(await l.exited, { code: 2, signal: null });
  assert.match(l.err.text, /--allow-host|--tokens/);
});

test('tools/list is filtered page by page; cursors and unknown fields are kept', async (t) => {
  const dir = workdir(t);
  const policy = { version: '1', default: 'allow', hide: ['secret-1', 'secret-2'] };
  const paged = fileURLToPath(new URL('./paged-server.mjs', import.meta.url));
  const gw = await stdioGateway(['--policy', writeJson(join(dir, 'policy.json'), policy), '--', process.execPath, paged]);
  t.after(() => gw.close());
  const first = await gw.client.request({ method: 'tools/list', params: {} }, ResultSchema);
  assert.deepEqual(first.tools.map((x) => x.name), ['alpha']);
  assert.equal(first.nextCursor, 'p2');
  assert.equal(first['x-page'], 'first');
  assert.deepEqual(first.tools[0]['x-vendor'], { rank: 5 });
  const second = await gw.client.request({ method: 'tools/list', params: { cursor: 'p2' } }, ResultSchema);
  assert.deepEqual(second.tools.map((x) => x.name), ['beta']);
  assert.equal(second.nextCursor, 'p3');
  const third = await gw.client.request({ method: 'tools/list', params: { cursor: 'p3' } }, ResultSchema);
  assert.deepEqual(third.tools.map((x) => x.name), ['gamma']);
  assert.equal(third.nextCursor, undefined);
  await assert.rejects(gw.client.request({ method: 'tools/list', params: { cursor: 'nope' } }, ResultSchema), (e) => e.code === -32602 && /unknown cursor nope/.test(e.message));
});

test('arguments over the size cap are refused as invalid and never reach the upstream', async (t) => {
  const dir = workdir(t);
  const up = tappedEverything(dir);
  const audit = join(dir, 'audit.jsonl');
  const gw = await stdioGateway(['--policy', writeJson(join(dir, 'policy.json'), POLICY), '--audit', audit, ...up.command]);
  t.after(() => gw.close());
  const huge = await gw.client.callTool({ name: 'echo', arguments: { message: 'x'.repeat(1_100_000) } });
  assert.equal(huge.isError, true);
  assert.match(text(huge), /^\[POLICY DENIED\] /);
  assert.equal(huge._meta.toolgate.rule, '(invalid arguments)');
  assert.equal(text(await gw.client.callTool({ name: 'echo', arguments: { message: 'small' } })), 'Echo: small');
  await gw.client.ping();
  assert.deepEqual(up.calls().filter((c) => c.method === 'tools/call').map((c) => c.name), ['echo']);
  assert.deepEqual(jsonLines(audit).map((l) => [l.outcome, l.rule, l.upstream]), [
    ['deny', '(invalid arguments)', 'not_sent'],
    ['allow', '', 'ok'],
  ]);
});

test('a tools/call sent as a notification never reaches the upstream; client notifications still pass', async (t) => {
  const dir = workdir(t);
  const up = tappedEverything(dir);
  const gw = await stdioGateway(['--policy', writeJson(join(dir, 'policy.json'), POLICY), ...up.command], { capabilities: RICH_CAPABILITIES });
  t.after(() => gw.close());
  // Raw JSON-RPC notifications (no id) on the agent's wire: a hidden tool, an allowed one, an
  // unknown method with a forged log line in its name, and a real client notification.
  await gw.transport.send({ jsonrpc: '2.0', method: 'tools/call', params: { name: 'get-env', arguments: {} } });
  await gw.transport.send({ jsonrpc: '2.0', method: 'tools/call', params: { name: 'echo', arguments: { message: 'x' } } });
  await gw.transport.send({ jsonrpc: '2.0', method: 'x\ntoolgate-gateway: forged', params: {} });
  await gw.client.sendRootsListChanged();
  // A forwarded round trip through the gateway and the tap orders everything sent before it.
  await gw.client.listTools();
  const seen = up.calls().map((c) => c.method);
  assert.ok(!seen.includes('tools/call'), `reached the upstream: ${seen}`);
  assert.ok(!seen.includes('x\ntoolgate-gateway: forged'));
  assert.ok(seen.includes('notifications/roots/list_changed'), `forwarded: ${seen}`);
  await gw.stderr.wait(/dropped notification "tools\/call"/);
  await gw.stderr.wait(/dropped notification "x\\ntoolgate-gateway: forged"/);
  assert.doesNotMatch(gw.stderr.text, /^toolgate-gateway: forged/m);
  // The echo call counted nothing: both of its quota remain.
  assert.equal(text(await gw.client.callTool({ name: 'echo', arguments: { message: 'a' } })), 'Echo: a');
  assert.equal(text(await gw.client.callTool({ name: 'echo', arguments: { message: 'b' } })), 'Echo: b');
});

test('messages held before the session is ready are capped in bytes: beyond 1 MiB a request is answered with an error', async (t) => {
  const dir = workdir(t);
  // The upstream starts only once the test opens the gate (a FIFO), so what follows initialize is held.
  const gate = join(dir, 'gate');
  execFileSync('mkfifo', [gate]);
  const upstream = `read x < ${gate}; exec "${process.execPath}" "${EVERYTHING}" stdio`;
  const gw = child(t, process.execPath, [BIN, '--policy', writeJson(join(dir, 'policy.json'), POLICY), '--', 'sh', '-c', upstream], { stdio: ['pipe', 'pipe', 'pipe'] });
  const pad = 'x'.repeat(400 * 1024);
  const lines = [
    { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    ...[2, 3, 4].map((id) => ({ jsonrpc: '2.0', id, method: 'ping', params: { _meta: { pad } } })),
  ];
  gw.stdin.write(lines.map((m) => `${JSON.stringify(m)}\n`).join(''));
  // The third 400 KiB ping passes the 1 MiB held: answered with an error before the upstream runs.
  await gw.out.wait(/"id":4,"error":\{"code":-32600,"message":"too much sent before the session is initialized/);
  writeFileSync(gate, 'go\n');
  // The held ones are delivered once the session is ready.
  await gw.out.wait(/^\{"result":\{"protocolVersion".*"id":1\}$/m);
  await gw.out.wait(/^\{"result":\{\},"jsonrpc":"2.0","id":2\}$/m);
  await gw.out.wait(/^\{"result":\{\},"jsonrpc":"2.0","id":3\}$/m);
  assert.doesNotMatch(gw.out.text, /"result".*"id":4\}/);
  gw.stdin.end();
  assert.equal((await gw.exited).code, 0);
});

test('--record and --audit files are created readable by their owner only (0600)', async (t) => {
  const dir = workdir(t);
  const audit = join(dir, 'audit.jsonl');
  const record = join(dir, 'record.jsonl');
  const old = process.umask(0);
  t.after(() => process.umask(old));
  const gw = await stdioGateway(['--policy', writeJson(join(dir, 'policy.json'), POLICY), '--audit', audit, '--record', record, '--', process.execPath, EVERYTHING, 'stdio']);
  process.umask(old);
  t.after(() => gw.close());
  assert.equal(text(await gw.client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } })), 'The sum of 1 and 2 is 3.');
  for (const file of [audit, record]) assert.equal(statSync(file).mode & 0o777, 0o600, file);
  assert.equal(jsonLines(record)[0].args.a, 1);
});

test('a Kubernetes ConfigMap update (the ..data symlink swapped) reloads the policy', async (t) => {
  const dir = workdir(t);
  // The ConfigMap volume layout: policy.json → ..data/policy.json, ..data → ..<timestamp>/.
  mkdirSync(join(dir, '..v1'));
  writeJson(join(dir, '..v1', 'policy.json'), POLICY);
  symlinkSync('..v1', join(dir, '..data'));
  symlinkSync(join('..data', 'policy.json'), join(dir, 'policy.json'));
  const gw = await stdioGateway(['--policy', join(dir, 'policy.json'), '--', process.execPath, EVERYTHING, 'stdio']);
  t.after(() => gw.close());
  assert.equal(text(await gw.client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } })), 'The sum of 1 and 2 is 3.');
  const from = gw.stderr.length;
  mkdirSync(join(dir, '..v2'));
  writeJson(join(dir, '..v2', 'policy.json'), { ...POLICY, hide: [...POLICY.hide, 'get-sum'] });
  symlinkSync('..v2', join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  await gw.stderr.wait(/policy reloaded/, { from });
  assert.match(text(await gw.client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } })), /hidden by policy/);
});
