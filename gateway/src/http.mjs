// Streamable HTTP downstream: one MCP session per client at /mcp, routed by `mcp-session-id`.
// Bearer tokens name grants (`--tokens`); a session is bound to the grant that opened it. The
// Host header (and the Origin header, when a browser sends one) is checked against the names the
// gateway is reachable by (DNS rebinding).
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

import { logLine } from './log.mjs';

/** The largest request body read (the SDK's default). */
const MAX_BODY = 4 * 1024 * 1024;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
export const isLoopback = (host) => LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

const hashToken = (token) => createHash('sha256').update(token).digest('hex');

/** Reads `{"<token>": "<grant>"}`; throws a located message. Tokens are kept hashed. */
export function readTokens(file) {
  let doc;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${e.message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${file}: expected an object {"<token>": "<grant>"}`);
  const tokens = new Map();
  for (const [token, grant] of Object.entries(doc)) {
    if (token.length < 16) throw new Error(`${file}: /${token.replace(/~/g, '~0').replace(/\//g, '~1')}: a token must have at least 16 characters`);
    if (typeof grant !== 'string' || grant === '') throw new Error(`${file}: a token's grant must be a non-empty string`);
    tokens.set(hashToken(token), grant);
  }
  return tokens;
}

function reply(res, status, message, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        // Stop reading; the 413 is sent with `Connection: close` and the socket ends after it
        // (destroying the request first would lose the answer).
        req.removeAllListeners('data');
        req.pause();
        chunks.length = 0;
        reject(Object.assign(new Error(`request body too large (at most ${MAX_BODY} bytes)`), { status: 413, close: true }));
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * @param opts {host, port, tokens: Map|null, tokensFile?, grant, allowedHosts: string[], maxSessions, maxSessionsPerGrant, idleMs, openSession}
 *   openSession(transport, grant) → Session (started by the caller)
 */
export async function serveHttp(opts) {
  const sessions = new Map();
  /** Sessions whose `initialize` is being handled: in total and per grant. */
  const opening = { total: 0, byGrant: new Map() };
  const allowed = new Set(opts.allowedHosts);
  // SIGHUP re-reads the tokens file: a removed token is refused from its next request on (its
  // sessions included); an unreadable or invalid file keeps the previous tokens.
  let onHup = null;
  if (opts.tokensFile !== undefined && opts.tokens !== null) {
    onHup = () => {
      try {
        opts.tokens = readTokens(opts.tokensFile);
        logLine(`tokens reloaded: ${opts.tokensFile} (${opts.tokens.size} tokens)`);
      } catch (e) {
        logLine(`tokens reload: ${e.message}; the previous tokens stay`);
      }
    };
    process.on('SIGHUP', onHup);
  }

  const grantOf = (req) => {
    if (opts.tokens === null) return opts.grant;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (m === null) return null;
    return opts.tokens.get(hashToken(m[1])) ?? null;
  };

  const server = createServer(async (req, res) => {
    try {
      let hostname;
      try {
        hostname = new URL(`http://${req.headers.host}`).hostname;
      } catch {
        return reply(res, 403, 'Invalid Host header');
      }
      if (!req.headers.host || !allowed.has(hostname)) return reply(res, 403, `Invalid Host: ${hostname}`);
      // A browser page of another origin (DNS rebinding, drive-by requests) is refused too.
      const origin = req.headers.origin;
      if (origin !== undefined) {
        let originHost = null;
        try {
          originHost = new URL(origin).hostname;
        } catch {
          // `null` or garbage: refused below
        }
        if (originHost === null || !allowed.has(originHost)) return reply(res, 403, `Invalid Origin: ${origin}`);
      }
      const path = req.url.split('?')[0];
      if (path !== '/mcp') return reply(res, 404, 'Not found: the MCP endpoint is /mcp');
      const grant = grantOf(req);
      if (grant === null) return reply(res, 401, 'Unauthorized: a valid bearer token is required', { 'www-authenticate': 'Bearer' });
      const sid = req.headers['mcp-session-id'];
      let body;
      if (req.method === 'POST') {
        const text = await readBody(req);
        try {
          body = JSON.parse(text);
        } catch {
          res.writeHead(400, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error: Invalid JSON' }, id: null }));
        }
      }
      if (sid !== undefined) {
        const entry = sessions.get(sid);
        if (entry === undefined) return reply(res, 404, 'Session not found');
        if (entry.grant !== grant) return reply(res, 403, 'Forbidden: this session belongs to another grant');
        entry.session.lastSeen = Date.now();
        await entry.transport.handleRequest(req, res, body);
        // A session ended by its client (DELETE) frees its place at once, while it closes.
        if (req.method === 'DELETE' && res.statusCode === 200) sessions.delete(sid);
        return;
      }
      if (req.method !== 'POST' || body?.method !== 'initialize') return reply(res, 400, 'Bad Request: no valid session ID provided');
      // Sessions being opened count too (checked and counted in one step, so concurrent
      // initializes cannot all pass the check before any of them is registered).
      if (sessions.size + opening.total >= opts.maxSessions) return reply(res, 503, 'Too many sessions', { 'retry-after': '5' });
      // One grant (one leaked token) cannot take every session: each grant has its own cap.
      let ofGrant = opening.byGrant.get(grant) ?? 0;
      for (const entry of sessions.values()) if (entry.grant === grant) ofGrant++;
      if (ofGrant >= opts.maxSessionsPerGrant) {
        return reply(res, 429, 'Too many sessions for this grant: close one (DELETE) or wait for idle ones to expire', { 'retry-after': '5' });
      }
      opening.total++;
      opening.byGrant.set(grant, (opening.byGrant.get(grant) ?? 0) + 1);
      let counted = true;
      // Called once the session is registered (then it counts as a session), or at the end.
      const opened = () => {
        if (!counted) return;
        counted = false;
        opening.total--;
        const left = opening.byGrant.get(grant) - 1;
        if (left === 0) opening.byGrant.delete(grant);
        else opening.byGrant.set(grant, left);
      };
      try {
        await openOne(req, res, body, grant, opened);
      } finally {
        opened();
      }
    } catch (e) {
      if (e?.close === true) res.on('finish', () => req.socket.destroy());
      if (!res.headersSent) reply(res, e?.status ?? 500, e?.status ? e.message : 'Internal error', e?.close === true ? { connection: 'close' } : {});
      else res.end();
      if (!e?.status) logLine(`http: ${e?.stack ?? e}`);
    }
  });

  /** Opens a session for an `initialize` request. */
  async function openOne(req, res, body, grant, opened) {
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, session, grant });
        opened();
      },
    });
    const session = opts.openSession(transport, grant, () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    });
    await session.start();
    try {
      await transport.handleRequest(req, res, body);
    } finally {
      // The transport refused the initialize (wrong Accept, bad protocol version, a batch…): the
      // session never started; it is closed now, not left subscribed to policy reloads.
      if (transport.sessionId === undefined) await session.close();
    }
  }

  // Sessions a client abandoned (no DELETE) are closed after `idleMs` without a request.
  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const { session } of sessions.values()) if (now - session.lastSeen > opts.idleMs) void session.close();
    },
    Math.min(opts.idleMs, 60_000),
  );
  sweep.unref();

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    server,
    sessions,
    port: address.port,
    async close() {
      clearInterval(sweep);
      if (onHup !== null) process.off('SIGHUP', onHup);
      await Promise.allSettled([...sessions.values()].map(({ session }) => session.close()));
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
