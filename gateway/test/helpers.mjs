// Shared by the gateway tests: real parts, started by the tests, on loopback only.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const require = createRequire(import.meta.url);
export const BIN = fileURLToPath(new URL('../bin/toolgate-gateway.mjs', import.meta.url));
export const TAP = fileURLToPath(new URL('./tap.mjs', import.meta.url));
export const EVERYTHING = require.resolve('@modelcontextprotocol/server-everything/package.json').replace(/package\.json$/, 'dist/index.js');

export function workdir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-gw-'));
  t?.after?.(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function writeJson(file, value) {
  writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}

/** The JSON lines of a file (empty when absent). */
export function jsonLines(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

/** Collects a stream's text and lets a test await a line matching a pattern (bounded). */
export class Lines {
  constructor(stream) {
    this.text = '';
    this.waiters = [];
    stream.setEncoding('utf8');
    stream.on('data', (d) => {
      this.text += d;
      this.waiters = this.waiters.filter((w) => !w());
    });
  }

  /** Resolves with the match once `pattern` matches the text after `from` (default: anywhere). */
  wait(pattern, { from = 0, timeoutMs = 15_000 } = {}) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} in:\n${this.text}`)), timeoutMs);
      const check = () => {
        const m = pattern.exec(this.text.slice(from));
        if (m === null) return false;
        clearTimeout(timer);
        resolve(m);
        return true;
      };
      if (!check()) this.waiters.push(check);
    });
  }

  get length() {
    return this.text.length;
  }
}

/** The client capabilities that make server-everything offer its elicitation and roots tools. */
export const RICH_CAPABILITIES = { roots: { listChanged: true }, elicitation: { form: {}, url: {} } };

/** An SDK Client speaking to a gateway started over stdio; `stderr` collects its log. */
export async function stdioGateway(gatewayArgs, { capabilities = {}, onClient } = {}) {
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, ...gatewayArgs], stderr: 'pipe', env: process.env });
  const stderr = new Lines(transport.stderr);
  const client = new Client({ name: 'gateway-test', version: '0.0.0' }, { capabilities });
  onClient?.(client);
  await client.connect(transport);
  return { client, transport, stderr, pid: transport.pid, close: () => client.close() };
}

/** server-everything over stdio behind the tap; `calls()` lists what reached it. */
export function tappedEverything(dir) {
  const log = join(dir, 'upstream.jsonl');
  return {
    command: ['--', process.execPath, TAP, log, '--', process.execPath, EVERYTHING, 'stdio'],
    calls: () => jsonLines(log),
  };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A child process whose exit a test awaits; killed when the test ends. */
export function child(t, command, args, options) {
  const p = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  p.out = new Lines(p.stdout);
  p.err = new Lines(p.stderr);
  p.exited = new Promise((resolve) => p.once('exit', (code, signal) => resolve({ code, signal })));
  t?.after?.(async () => {
    if (p.exitCode === null && p.signalCode === null) {
      p.kill('SIGTERM');
      await p.exited;
    }
  });
  return p;
}

/** server-everything's Streamable HTTP mode (it binds every interface: tests connect over loopback). */
export async function everythingHttp(t) {
  const port = await freePort();
  const p = child(t, process.execPath, [EVERYTHING, 'streamableHttp'], { env: { ...process.env, PORT: String(port) } });
  await p.err.wait(/listening on port/i);
  return { url: `http://127.0.0.1:${port}/mcp`, process: p };
}

/** A gateway serving Streamable HTTP; resolves with its port once it listens. */
export async function httpGateway(t, args) {
  const p = child(t, process.execPath, [BIN, ...args, ...(args.includes('--listen') ? [] : [])]);
  const m = await p.err.wait(/listening on http:\/\/[^ ]+:(\d+)\/mcp/);
  p.url = `http://127.0.0.1:${m[1]}/mcp`;
  return p;
}

/** An SDK Client over Streamable HTTP with a bearer token. */
export async function httpClient(url, token, capabilities = {}) {
  const headers = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const client = new Client({ name: 'gateway-test', version: '0.0.0' }, { capabilities });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

export const text = (result) => result.content[0].text;
