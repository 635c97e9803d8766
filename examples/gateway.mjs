#!/usr/bin/env node
// A real MCP gateway in front of any MCP server, with toolgate deciding: it speaks MCP over stdio
// to its client (the agent) and starts the upstream server as a child process.
//
//   node examples/gateway.mjs policy.json -- npx -y @modelcontextprotocol/server-everything
//
// tools/list answers are filtered (hidden tools removed); every tools/call is evaluated first and a
// refused one is answered `[POLICY DENIED] …` with isError, never forwarded; when the upstream
// answers a forwarded call with a JSON-RPC error, its quota is released. TOOLGATE_GRANT names the
// caller whose counters apply (default "default").
import { readFileSync } from 'node:fs';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { PolicyEngine, PolicyError, denialResult, version } from 'toolgate';

const [policyFile, separator, command, ...args] = process.argv.slice(2);
if (policyFile === undefined || separator !== '--' || command === undefined) {
  console.error('usage: node gateway.mjs <policy.json> -- <upstream command> [args…]');
  process.exit(2);
}

let engine;
try {
  engine = new PolicyEngine(readFileSync(policyFile, 'utf8'));
} catch (e) {
  if (!(e instanceof PolicyError)) throw e;
  for (const x of e.errors) console.error(`${policyFile}:${x.line ?? '?'}:${x.column ?? '?'}: ${x.pointer || '(root)'}: ${x.message}`);
  process.exit(1);
}
const grant = process.env.TOOLGATE_GRANT ?? 'default';

const upstream = new Client({ name: 'toolgate-gateway', version: version() });
await upstream.connect(new StdioClientTransport({ command, args, stderr: 'inherit' }));

const server = new Server(
  { name: 'toolgate-gateway', version: version() },
  { capabilities: { tools: { listChanged: true } } },
);

server.setRequestHandler(ListToolsRequestSchema, async (request) => engine.filterTools(await upstream.listTools(request.params)));

server.setRequestHandler(CallToolRequestSchema, async (request) => {
  const { name, arguments: callArgs } = request.params;
  const decision = engine.evaluate({ tool: name, args: callArgs, grant });
  if (decision.outcome !== 'allow') return denialResult(decision);
  try {
    return await upstream.callTool(request.params);
  } catch (e) {
    // A JSON-RPC error from the upstream (not a result with isError): give the quota back.
    if (e instanceof McpError) engine.release(decision);
    throw e;
  }
});

upstream.setNotificationHandler(ToolListChangedNotificationSchema, () => server.sendToolListChanged());
server.onclose = () => void upstream.close();
await server.connect(new StdioServerTransport());
