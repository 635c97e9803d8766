// The README's gateway hook (examples/hook.mjs) against a scripted upstream: tools/list is
// filtered, refused calls are answered `[POLICY DENIED] …` with isError and never forwarded,
// an upstream JSON-RPC error releases the quota.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { guard } from '../../examples/hook.mjs';

const POLICY = {
  version: '1',
  default: 'deny',
  hide: ['delete_customer'],
  tools: {
    list_customers: {},
    create_refund: {
      deny_if: [{ conditions: [{ path: 'args.amount', op: 'gt', value: 10000 }], on_deny: 'Refunds over 10000 need a human.' }],
      limits: [{ counter: 'refunds', window: 'minute', max: 1 }],
    },
  },
};

function upstream() {
  const seen = [];
  let failNext = false;
  const forward = async (request) => {
    seen.push(request);
    if (request.method === 'tools/list') {
      return { jsonrpc: '2.0', id: request.id, result: { tools: [{ name: 'list_customers' }, { name: 'create_refund' }, { name: 'delete_customer' }] } };
    }
    if (failNext) {
      failNext = false;
      return { jsonrpc: '2.0', id: request.id, error: { code: -32603, message: 'upstream is down' } };
    }
    return { jsonrpc: '2.0', id: request.id, result: { content: [{ type: 'text', text: 'done' }] } };
  };
  return { seen, forward, failOnce: () => (failNext = true) };
}

const call = (id, name, args) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

test('the hook filters tools/list and passes other requests through', async () => {
  const up = upstream();
  const handle = guard(POLICY, up.forward);
  const listed = await handle({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
  assert.deepEqual(listed.result.tools.map((t) => t.name), ['list_customers', 'create_refund']);
  const ping = await handle({ jsonrpc: '2.0', id: 2, method: 'ping' });
  assert.equal(ping.id, 2);
  assert.equal(up.seen.length, 2);
});

test('a refused call is answered [POLICY DENIED] as an isError result and never forwarded', async () => {
  const up = upstream();
  const handle = guard(POLICY, up.forward);
  for (const [name, args, text] of [
    ['create_refund', { amount: 50_000 }, '[POLICY DENIED] Refunds over 10000 need a human.'],
    ['delete_customer', {}, '[POLICY DENIED] Tool "delete_customer" is hidden by policy'],
    ['drop_tables', {}, '[POLICY DENIED] Tool "drop_tables" is not permitted by policy'],
  ]) {
    const response = await handle(call(9, name, args));
    assert.deepEqual(response, { jsonrpc: '2.0', id: 9, result: { content: [{ type: 'text', text }], isError: true } });
  }
  assert.equal(up.seen.length, 0);
});

test('an upstream error releases the quota; a successful call keeps it charged', async () => {
  const up = upstream();
  const handle = guard(POLICY, up.forward);
  up.failOnce();
  assert.ok((await handle(call(1, 'create_refund', { amount: 5 }))).error);
  assert.equal((await handle(call(2, 'create_refund', { amount: 5 }))).result.content[0].text, 'done', 'the failed call gave its quota back');
  const limited = await handle(call(3, 'create_refund', { amount: 5 }));
  assert.equal(limited.result.isError, true);
  assert.match(limited.result.content[0].text, /^\[POLICY DENIED\] Rate limit of 1 per minute reached/);
  assert.equal(up.seen.length, 2);
});

test('pkg/README.md shows the hook exactly as tested', () => {
  const hook = readFileSync(new URL('../../examples/hook.mjs', import.meta.url), 'utf8');
  const code = hook.split('// --8<-- [start:hook]\n')[1].split('// --8<-- [end:hook]')[0];
  const readme = readFileSync(new URL('../../pkg/README.md', import.meta.url), 'utf8');
  assert.ok(readme.includes(code), 'the README code block differs from examples/hook.mjs');
  assert.ok(code.split('\n').filter((l) => l.trim() !== '').length <= 18);
});
