// Assembles a gateway: the policy (watched), the counter store (memory or Redis), the audit and
// record files, the upstream connector, and the downstream (stdio, or Streamable HTTP).
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

import { serveHttp } from './http.mjs';
import { JsonLines, logLine } from './log.mjs';
import { MemoryStore } from './memory-store.mjs';
import { PolicyHolder } from './policy.mjs';
import { RedisStore } from './redis-store.mjs';
import { Session, connectClient } from './session.mjs';

/**
 * @typedef {object} GatewayOptions
 * @property {string} policy            path of policy.json
 * @property {string[]} [command]       upstream command and arguments (stdio upstream)
 * @property {string} [upstreamUrl]     upstream Streamable HTTP endpoint
 * @property {{host: string, port: number}} [listen]  serve Streamable HTTP instead of stdio
 * @property {string} [grant]           grant of the stdio connection (default "default")
 * @property {Map<string,string>|null} [tokens]  HTTP: hashed bearer token → grant
 * @property {string} [tokensFile]      HTTP: re-read on SIGHUP
 * @property {string[]} [allowedHosts]  HTTP: Host names accepted
 * @property {string} [audit]           audit JSON Lines file, `-` for stderr
 * @property {string} [record]          trace JSON Lines file (argument values included)
 * @property {string} [redis]           Redis URL
 * @property {string} [redisPrefix]     namespace of the Redis keys (default "tg")
 * @property {number} [redisTimeoutMs]  how long a call waits for Redis before it is refused (default 500)
 * @property {boolean} [shadow]         decide and log, forward every call
 * @property {number} [timeoutMs]       upstream request timeout (reset by progress)
 * @property {number} [maxSessions]     HTTP sessions at most
 * @property {number} [maxSessionsPerGrant]  HTTP sessions at most per grant (default 64)
 * @property {number} [idleMs]          HTTP sessions closed after this long without a request
 * @property {boolean} [watch]          watch the policy file (default true; SIGHUP re-reads it either way)
 */

/** Starts a gateway. Resolves once it serves (HTTP) or reads stdin (stdio). */
export async function startGateway(o) {
  const holder = new PolicyHolder(o.policy);
  holder.watch({ files: o.watch !== false });
  const timeoutMs = o.timeoutMs ?? 60_000;
  const store = o.redis ? new RedisStore(holder, o.redis, { markerTtlMs: 2 * timeoutMs + 10_000, prefix: o.redisPrefix ?? 'tg', commandTimeoutMs: o.redisTimeoutMs ?? 500 }) : new MemoryStore(holder);
  if (store.kind === 'redis') await store.connect();
  const audit = o.audit ? new JsonLines(o.audit) : null;
  const record = o.record ? new JsonLines(o.record) : null;

  const connectUpstream = (clientInfo, capabilities) => {
    const transport = o.upstreamUrl
      ? new StreamableHTTPClientTransport(new URL(o.upstreamUrl))
      : new StdioClientTransport({ command: o.command[0], args: o.command.slice(1), env: process.env, stderr: 'inherit' });
    return connectClient(transport, clientInfo, capabilities);
  };
  const ctx = (grant, onclosed) => ({
    holder,
    store,
    connectUpstream,
    audit,
    record,
    shadow: o.shadow === true,
    grant,
    onclosed,
    timeoutMs,
  });

  let http = null;
  let stdio = null;
  const closed = new Promise((resolve) => {
    if (o.listen) return;
    // Bounded: one message larger than 8 MiB closes the session.
    const transport = new StdioServerTransport(process.stdin, process.stdout, { maxBufferSize: 8 * 1024 * 1024 });
    stdio = new Session(ctx(o.grant ?? 'default', (session) => resolve(session.failed ? 1 : 0)), transport);
    // The SDK's stdio transport does not end with its input: the agent hanging up ends the session.
    process.stdin.once('end', () => void stdio.close());
  });
  if (stdio !== null) {
    await stdio.start();
  } else {
    http = await serveHttp({
      host: o.listen.host,
      port: o.listen.port,
      tokens: o.tokens ?? null,
      tokensFile: o.tokensFile,
      grant: o.grant ?? 'default',
      allowedHosts: o.allowedHosts,
      maxSessions: o.maxSessions ?? 256,
      maxSessionsPerGrant: o.maxSessionsPerGrant ?? 64,
      idleMs: o.idleMs ?? 30 * 60 * 1000,
      openSession: (transport, grant, onclosed) => new Session(ctx(grant, onclosed), transport),
    });
    logLine(`listening on http://${o.listen.host.includes(':') ? `[${o.listen.host}]` : o.listen.host}:${http.port}/mcp`);
  }

  return {
    holder,
    store,
    /** HTTP: the bound port. */
    port: http?.port,
    /** HTTP: the open sessions (initialized, not yet closed). */
    get sessions() {
      return http?.sessions.size ?? 0;
    },
    /** stdio: resolves when the session ends, with the exit code (1: the upstream failed). */
    closed,
    async close() {
      await stdio?.close();
      await http?.close();
      holder.close();
      await store.close();
      audit?.close();
      record?.close();
    },
  };
}
