// examples/gateway.mjs as an agent sees it: the MCP SDK's client talks to the gateway over stdio,
// and the gateway to the real @modelcontextprotocol/server-everything (both from npm).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));
const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const requireExample = createRequire(join(examples, 'package.json'));
const { Client } = requireExample('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = requireExample('@modelcontextprotocol/sdk/client/stdio.js');
const serverEverything = requireExample.resolve('@modelcontextprotocol/server-everything/package.json').replace(/package\.json$/, 'dist/index.js');

const POLICY = {
  version: '1',
  default: 'deny',
  hide: ['get-env', 'trigger-long-running-operation'],
  tools: {
    echo: { limits: [{ counter: 'echoes', window: 'minute', max: 2 }] },
    'get-sum': { deny_if: [{ conditions: [{ path: 'args.a', op: 'gt', value: 100 }], on_deny: 'Sums above 100 need a human.' }] },
    'get-tiny-image': {},
  },
};

const work = mkdtempSync(join(tmpdir(), 'toolgate-gateway-'));
let client;

before(async () => {
  const policyFile = join(work, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(POLICY, null, 2));
  client = new Client({ name: 'gateway-test', version: '0.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [join(examples, 'gateway.mjs'), policyFile, '--', process.execPath, serverEverything],
      stderr: 'ignore',
    }),
  );
});

after(async () => {
  await client?.close();
  rmSync(work, { recursive: true, force: true });
});

const text = (result) => result.content[0].text;

test('tools/list through the gateway is the upstream list without the hidden tools', async () => {
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  const recorded = JSON.parse(readFileSync(join(fixtures, 'toollists', 'everything.live.json'), 'utf8')).tools.map((t) => t.name);
  assert.ok(names.includes('echo') && names.includes('get-sum'), names.join(' '));
  assert.ok(!names.includes('get-env') && !names.includes('trigger-long-running-operation'));
  for (const n of names) assert.ok(recorded.includes(n), `${n} is a tool of server-everything`);
  assert.ok(tools.find((t) => t.name === 'get-sum').inputSchema.properties.a, 'schemas are passed through');
});

test('allowed calls reach the server; refused ones are answered [POLICY DENIED] with isError', async () => {
  assert.equal(text(await client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } })), 'The sum of 1 and 2 is 3.');
  const big = await client.callTool({ name: 'get-sum', arguments: { a: 1000, b: 2 } });
  assert.deepEqual(big, { content: [{ type: 'text', text: '[POLICY DENIED] Sums above 100 need a human.' }], isError: true });
  const hidden = await client.callTool({ name: 'get-env', arguments: {} });
  assert.equal(text(hidden), '[POLICY DENIED] Tool "get-env" is hidden by policy');
  const unlisted = await client.callTool({ name: 'get-annotated-message', arguments: { messageType: 'error' } });
  assert.equal(text(unlisted), '[POLICY DENIED] Tool "get-annotated-message" is not permitted by policy');
  assert.equal(unlisted.isError, true);
});

test('the rate limit holds across calls; a tool result with isError is not an upstream error, so it stays charged', async () => {
  // server-everything answers a call without `message` with an isError result (not a JSON-RPC error).
  const invalid = await client.callTool({ name: 'echo', arguments: {} });
  assert.equal(invalid.isError, true);
  assert.doesNotMatch(text(invalid), /POLICY DENIED/);
  assert.equal(text(await client.callTool({ name: 'echo', arguments: { message: 'one' } })), 'Echo: one');
  const third = await client.callTool({ name: 'echo', arguments: { message: 'two' } });
  assert.equal(third.isError, true);
  assert.match(text(third), /^\[POLICY DENIED\] Rate limit of 2 per minute reached/);
});
