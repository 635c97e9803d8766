// The command line of `toolgate-gateway` (docs/interfaces.md, "Gateway"): parsing and start-up
// errors only; the gateway itself is src/gateway.mjs. Exit 2 for usage errors, 1 for an invalid
// policy (with located errors). Everything is logged to stderr: stdout is the MCP channel.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { startGateway } from './gateway.mjs';
import { isLoopback, readTokens } from './http.mjs';
import { logLine } from './log.mjs';
import { locatedErrors } from './policy.mjs';

export const USAGE = `usage:
  toolgate-gateway --policy <policy.json> [options] -- <upstream command> [args…]   # upstream over stdio
  toolgate-gateway --policy <policy.json> [options] --upstream-url <http://…/mcp>    # upstream over Streamable HTTP
options:
  --listen <host:port>   serve Streamable HTTP at /mcp instead of stdio (host defaults to 127.0.0.1)
  --grant <name>         the grant of a stdio connection (default "default")
  --tokens <file>        HTTP: JSON {"<bearer token>": "<grant>"}; no or unknown token → 401
  --audit <file|->       append one JSON line per decided tools/call (- = stderr)
  --record <file>        append each tools/call as a trace line, argument values included (opt-in)
  --redis <url>          keep counters in Redis, shared by every gateway that names the same server
  --redis-prefix <ns>    the namespace of this deployment's Redis keys, \`<ns>:{<grant>}:…\` (default tg):
                         gateways share counters only with the same --redis and --redis-prefix
  --redis-timeout <ms>   a call whose Redis answer takes longer is refused (default 500)
  --shadow               decide and log, but forward every call
  --allow-host <name>    HTTP: also accept this Host name (repeatable; loopback names are accepted
                         when listening on loopback)
  --timeout <ms>         upstream request timeout, reset by progress (default 60000)
  --max-sessions <n>     HTTP: sessions at most (default 256); idle sessions close after 30 min
  --max-sessions-per-grant <n>  HTTP: sessions at most per grant (default 64); beyond it → 429
  --no-watch             do not watch the policy file (SIGHUP still re-reads it)
  --version, --help`;

class UsageError extends Error {}

/** On SIGINT/SIGTERM, open sessions get this long to close (a second signal exits at once). */
const SHUTDOWN_GRACE_MS = 5000;

function positiveInt(name, text) {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--${name}: expected a positive whole number, found \`${text}\``);
  return n;
}

/** Parses the arguments into GatewayOptions; throws UsageError. */
export function parseCommandLine(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        policy: { type: 'string' },
        listen: { type: 'string' },
        grant: { type: 'string' },
        tokens: { type: 'string' },
        audit: { type: 'string' },
        record: { type: 'string' },
        redis: { type: 'string' },
        'redis-prefix': { type: 'string' },
        'redis-timeout': { type: 'string' },
        shadow: { type: 'boolean' },
        'upstream-url': { type: 'string' },
        'allow-host': { type: 'string', multiple: true },
        timeout: { type: 'string' },
        'max-sessions': { type: 'string' },
        'max-sessions-per-grant': { type: 'string' },
        'no-watch': { type: 'boolean' },
        version: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
  } catch (e) {
    throw new UsageError(e.message);
  }
  const v = parsed.values;
  if (v.help || v.version) return { help: v.help, version: v.version };
  const command = parsed.positionals;
  if (v.policy === undefined) throw new UsageError('--policy <policy.json> is required');
  if (v['upstream-url'] !== undefined && command.length > 0) throw new UsageError('give either --upstream-url or `-- <command>`, not both');
  if (v['upstream-url'] === undefined && command.length === 0) throw new UsageError('no upstream: give `-- <command> [args…]` or --upstream-url <url>');
  if (v['upstream-url'] !== undefined) {
    let url;
    try {
      url = new URL(v['upstream-url']);
    } catch {
      throw new UsageError(`--upstream-url: not a URL: \`${v['upstream-url']}\``);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--upstream-url must be http:// or https://');
  }
  const o = {
    policy: v.policy,
    command,
    upstreamUrl: v['upstream-url'],
    grant: v.grant,
    audit: v.audit,
    record: v.record,
    redis: v.redis,
    redisPrefix: v['redis-prefix'],
    shadow: v.shadow === true,
    watch: v['no-watch'] !== true,
  };
  if (v.timeout !== undefined) o.timeoutMs = positiveInt('timeout', v.timeout);
  if (v['max-sessions'] !== undefined) o.maxSessions = positiveInt('max-sessions', v['max-sessions']);
  if (v['max-sessions-per-grant'] !== undefined) o.maxSessionsPerGrant = positiveInt('max-sessions-per-grant', v['max-sessions-per-grant']);
  if (v.redis !== undefined && !/^(rediss?|unix):\/\//.test(v.redis)) throw new UsageError('--redis: expected redis://…, rediss://… or unix:///path');
  if (v['redis-timeout'] !== undefined) {
    if (v.redis === undefined) throw new UsageError('--redis-timeout needs --redis');
    o.redisTimeoutMs = positiveInt('redis-timeout', v['redis-timeout']);
    if (o.redisTimeoutMs > 60_000) throw new UsageError(`--redis-timeout: at most 60000 ms, found ${o.redisTimeoutMs}`);
  }
  if (v['redis-prefix'] !== undefined) {
    if (v.redis === undefined) throw new UsageError('--redis-prefix needs --redis');
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(v['redis-prefix'])) {
      throw new UsageError(`--redis-prefix: expected 1 to 64 of A-Z a-z 0-9 _ . -, found ${JSON.stringify(v['redis-prefix'])}`);
    }
  }
  if (v.listen === undefined) {
    if (v.tokens !== undefined || v['allow-host'] !== undefined || v['max-sessions'] !== undefined || v['max-sessions-per-grant'] !== undefined) {
      throw new UsageError('--tokens, --allow-host, --max-sessions and --max-sessions-per-grant need --listen');
    }
    return o;
  }
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d+)$/.exec(v.listen);
  if (m === null) throw new UsageError(`--listen: expected <host:port> or <port>, found \`${v.listen}\``);
  const host = (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, '');
  const port = Number(m[2]);
  if (port > 65535) throw new UsageError(`--listen: port ${port} is out of range`);
  o.listen = { host, port };
  const loopback = isLoopback(host);
  // Host names compare lowercased (the URL parser lowercases the Host header's name).
  const allowed = (v['allow-host'] ?? []).map((h) => h.toLowerCase());
  if (loopback) allowed.push('localhost', '127.0.0.1', '[::1]');
  else if (host !== '0.0.0.0' && host !== '::') allowed.push((host.includes(':') ? `[${host}]` : host).toLowerCase());
  if (allowed.length === 0) throw new UsageError(`--listen ${host}: name the Host names clients use with --allow-host`);
  o.allowedHosts = allowed;
  if (v.tokens === undefined) {
    if (!loopback) throw new UsageError(`--listen ${host} is not a loopback address: --tokens is required`);
    o.tokens = null;
  } else {
    try {
      o.tokens = readTokens(v.tokens);
    } catch (e) {
      throw new UsageError(`--tokens ${e.message}`);
    }
    o.tokensFile = v.tokens;
  }
  return o;
}

export async function main(argv) {
  let o;
  try {
    o = parseCommandLine(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`toolgate-gateway: ${e.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (o.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (o.version) {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const { version } = await import('toolgate');
    process.stdout.write(`toolgate-gateway ${pkg.version} (toolgate engine ${version()})\n`);
    return;
  }
  let gateway;
  try {
    gateway = await startGateway(o);
  } catch (e) {
    if (e?.name === 'PolicyError') {
      for (const line of locatedErrors(o.policy, e.errors)) process.stderr.write(`${line}\n`);
      process.exit(1);
    }
    if (e?.syscall === 'listen' || e?.code === 'EADDRINUSE' || e?.code === 'EADDRNOTAVAIL') {
      // EACCES here is a privileged port, not an unreadable file.
      logLine(`--listen ${o.listen ? `${o.listen.host}:${o.listen.port}` : ''}: cannot listen (${e.code}): ${e.message}`);
      process.exit(1);
    }
    if (e?.code === 'ENOENT' || e?.code === 'EACCES' || e?.code === 'EISDIR') {
      logLine(`cannot read ${e.path ?? o.policy}: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
  let stopping = false;
  const stop = async (code, signal) => {
    if (stopping) {
      // A second signal while closing: exit now.
      if (signal !== undefined) {
        logLine(`${signal} again: exiting without waiting for the sessions to close`);
        process.exit(1);
      }
      return;
    }
    stopping = true;
    if (signal !== undefined) logLine(`${signal}: closing the sessions (send it again to exit at once)`);
    // Closing can hang on a hung HTTP upstream (its DELETE never answered): bounded.
    const bound = setTimeout(() => {
      logLine(`shutdown: sessions still closing after ${SHUTDOWN_GRACE_MS / 1000} s; exiting`);
      process.exit(code);
    }, SHUTDOWN_GRACE_MS);
    await gateway.close();
    clearTimeout(bound);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0, 'SIGINT'));
  process.on('SIGTERM', () => void stop(0, 'SIGTERM'));
  if (o.listen === undefined) {
    await stop(await gateway.closed);
  }
}
