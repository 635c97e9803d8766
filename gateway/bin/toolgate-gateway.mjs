#!/usr/bin/env node
// toolgate-gateway: an MCP gateway deciding every tools/call with the toolgate policy engine.
// See `toolgate-gateway --help` and README.md.
let cli;
try {
  cli = await import('../src/cli.mjs');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !/'toolgate'/.test(e.message)) throw e;
  process.stderr.write('toolgate-gateway: the engine package `toolgate` is not installed beside it (npm install toolgate)\n');
  process.exit(1);
}
await cli.main(process.argv.slice(2));
