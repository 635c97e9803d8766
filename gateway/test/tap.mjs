#!/usr/bin/env node
// Test helper: runs an MCP server over stdio and appends every message its client sends to a JSON
// Lines log (`{method, name}`), so a test can prove what reached the upstream — and what did not.
//   node tap.mjs <log.jsonl> -- <command> [args…]
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const [log, sep, command, ...args] = process.argv.slice(2);
if (sep !== '--' || command === undefined) {
  process.stderr.write('usage: tap.mjs <log> -- <command> [args…]\n');
  process.exit(2);
}
const child = spawn(command, args, { stdio: ['pipe', 'inherit', 'inherit'] });
createInterface({ input: process.stdin }).on('line', (line) => {
  try {
    const m = JSON.parse(line);
    appendFileSync(log, `${JSON.stringify({ method: m.method ?? null, name: m.params?.name ?? null, id: m.id ?? null })}\n`);
  } catch {
    appendFileSync(log, '{"method":"(unparsable)"}\n');
  }
  child.stdin.write(`${line}\n`);
}).on('close', () => child.stdin.end());
child.on('exit', (code) => process.exit(code ?? 1));
