#!/usr/bin/env node
// toolgate-gateway: an MCP gateway deciding every tools/call with the toolgate policy engine.
// See `toolgate-gateway --help` and README.md.
import { main } from '../src/cli.mjs';

await main(process.argv.slice(2));
