#!/usr/bin/env node
// Test helper: an MCP server (the SDK's low-level Server, stdio) whose tools/list answers in pages
// of two tools, with an extra field on the result and on each tool, to check that the gateway
// filters page by page and keeps everything else.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const tool = (name) => ({ name, inputSchema: { type: 'object' }, annotations: { title: name }, 'x-vendor': { rank: name.length } });
const PAGES = { '': ['alpha', 'secret-1'], p2: ['secret-2', 'beta'], p3: ['gamma'] };
const NEXT = { '': 'p2', p2: 'p3' };

const server = new Server({ name: 'paged', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, (request) => {
  const cursor = request.params?.cursor ?? '';
  const names = PAGES[cursor];
  if (names === undefined) throw Object.assign(new Error(`unknown cursor ${cursor}`), { code: -32602 });
  return { tools: names.map(tool), ...(NEXT[cursor] && { nextCursor: NEXT[cursor] }), 'x-page': cursor || 'first' };
});
await server.connect(new StdioServerTransport());
