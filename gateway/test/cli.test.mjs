// The command line's parsing, without starting anything: flags become options, mistakes become
// usage errors that name the flag (exit 2 is checked end to end in stdio.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { parseCommandLine } from '../src/cli.mjs';

const base = ['--policy', 'policy.json'];

test('--redis-timeout sets how long a call waits for Redis; without it the deadline is the default', () => {
  const o = parseCommandLine([...base, '--redis', 'redis://127.0.0.1:6379', '--redis-timeout', '1500', '--', 'node', 'server.js']);
  assert.equal(o.redisTimeoutMs, 1500);
  assert.deepEqual(o.command, ['node', 'server.js']);
  assert.equal(parseCommandLine([...base, '--redis', 'redis://127.0.0.1:6379', '--', 'node']).redisTimeoutMs, undefined);
});

test('--redis-timeout is refused without --redis, when not a positive whole number, or above a minute', () => {
  const usage = (args, pattern) => assert.throws(() => parseCommandLine([...base, ...args, '--', 'node']), pattern);
  usage(['--redis-timeout', '500'], /--redis-timeout needs --redis/);
  usage(['--redis', 'redis://h', '--redis-timeout', '0'], /--redis-timeout: expected a positive whole number, found `0`/);
  usage(['--redis', 'redis://h', '--redis-timeout', '1.5'], /--redis-timeout: expected a positive whole number/);
  usage(['--redis', 'redis://h', '--redis-timeout', '60001'], /--redis-timeout: at most 60000 ms/);
});

test('flags that need --listen or --redis name what they need', () => {
  const usage = (args, pattern) => assert.throws(() => parseCommandLine([...base, ...args, '--', 'node']), pattern);
  usage(['--redis-prefix', 'staging'], /--redis-prefix needs --redis/);
  usage(['--tokens', 'tokens.json'], /need --listen/);
  usage(['--redis', 'http://h'], /--redis: expected redis:\/\//);
});
