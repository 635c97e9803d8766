// One downstream session: an MCP `Server` facing the agent, and an MCP `Client` facing the
// upstream server, connected when the agent's `initialize` arrives (so the upstream sees the
// agent's capabilities — roots, sampling, elicitation — and the agent sees the upstream's).
//
// tools/list is forwarded page by page and filtered; tools/call is decided before forwarding;
// everything else (prompts, resources, completions, logging, server→client requests, notifications)
// passes through both ways, errors untouched.
import { randomUUID } from 'node:crypto';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ErrorCode, ResultSchema } from '@modelcontextprotocol/sdk/types.js';

import { argKeys, capped, logLine, quoted } from './log.mjs';

/**
 * The client→server notifications of MCP forwarded upstream (`notifications/initialized` is
 * answered by the gateway's own Server). Anything else sent without an id is dropped and logged.
 */
const FORWARDED_NOTIFICATIONS = new Set([
  'notifications/cancelled',
  'notifications/progress',
  'notifications/roots/list_changed',
  'notifications/elicitation/complete',
]);

/** Messages an agent may send before its session is ready (beyond that, the session is closed). */
const MAX_HELD = 256;
/** Bytes (of JSON) held before the session is ready; a message beyond it is answered with an error. */
const MAX_HELD_BYTES = 1024 * 1024;
/** Server→client requests forwarded to the agent wait this long at most (elicitation is slow). */
const AGENT_REQUEST_TIMEOUT_MS = 10 * 60 * 1000;
/** A stdio upstream that has not exited this long after its stdin closed is sent SIGTERM. */
const UPSTREAM_EXIT_GRACE_MS = 1000;

/** An error thrown from a handler reaches the wire as `{code, message, data}` exactly. */
function wireError(code, message, data) {
  return Object.assign(new Error(message), data === undefined ? { code } : { code, data });
}

/** The text an agent reads for a refused call; a rate-limited one also says when to retry. */
export function refusal(decision) {
  let text = `[POLICY DENIED] ${decision.message}`;
  if (decision.outcome === 'rate_limited' && typeof decision.retry_after_ms === 'number') {
    text += ` Retry in ${Math.max(1, Math.ceil(decision.retry_after_ms / 1000))} s.`;
  }
  return { content: [{ type: 'text', text }], isError: true, _meta: { toolgate: decision } };
}

/** The Decision of a call the engine could not decide. */
function undecidable(e) {
  const kind = typeof e?.kind === 'string' ? e.kind : 'error';
  return {
    outcome: 'deny',
    rule: '(undecidable)',
    pointer: null,
    message: `the call could not be decided (${kind}); it was not forwarded`,
    retry_after_ms: null,
    explain: [],
    counters: [],
  };
}

/**
 * Holds what the agent sends until the session is ready: the first message must be `initialize`;
 * once `ready()` ran, held messages are delivered in order to whoever connected (the Server).
 */
class HeldTransport {
  constructor(inner, onfirst) {
    this.inner = inner;
    this.onfirst = onfirst;
    this.held = [];
    this.heldBytes = 0;
    this.live = false;
    this.started = false;
  }

  get sessionId() {
    return this.inner.sessionId;
  }

  setProtocolVersion(v) {
    this.inner.setProtocolVersion?.(v);
  }

  async start() {
    if (this.started) return;
    this.started = true;
    this.inner.onmessage = (message, extra) => {
      if (this.live) return this.onmessage?.(message, extra);
      if (this.held.length >= MAX_HELD) {
        logLine('session: too many messages before initialization; closing');
        void this.close();
        return;
      }
      const size = Buffer.byteLength(JSON.stringify(message));
      if (this.heldBytes + size > MAX_HELD_BYTES && this.held.length > 0) {
        logLine(`session: more than ${MAX_HELD_BYTES} bytes before initialization; message refused`);
        if (message.id !== undefined && message.method !== undefined) {
          const error = { code: ErrorCode.InvalidRequest, message: 'too much sent before the session is initialized; send it again once initialize is answered' };
          void this.inner.send({ jsonrpc: '2.0', id: message.id, error }).catch(() => {});
        }
        return;
      }
      this.heldBytes += size;
      this.held.push([message, extra]);
      if (this.held.length === 1) this.onfirst(message, extra);
    };
    this.inner.onclose = () => this.onclose?.();
    this.inner.onerror = (e) => this.onerror?.(e);
    await this.inner.start();
  }

  ready() {
    this.live = true;
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const [message, extra] of held) this.onmessage?.(message, extra);
  }

  send(message, options) {
    return this.inner.send(message, options);
  }

  close() {
    return this.inner.close();
  }
}

/**
 * Sees the upstream's raw messages: which forwarded requests were answered with a JSON-RPC error
 * by the upstream itself — as opposed to a timeout, a cancel or a lost connection, which the SDK
 * also reports as errors but which are not answers (the call may have run).
 */
function watchWire(transport) {
  const errors = new Map();
  const watched = new Set();
  let lastId;
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    if (message.method !== undefined && message.id !== undefined) lastId = message.id;
    return send(message, options);
  };
  transport.onmessage = (message) => {
    if (message.error !== undefined && watched.has(message.id)) errors.set(message.id, message.error);
  };
  return {
    /** Calls `start` (which sends one request synchronously) and returns that request's id. */
    track(start) {
      lastId = undefined;
      const promise = start();
      const id = lastId;
      if (id !== undefined) watched.add(id);
      return { promise, id };
    },
    /** The upstream's error answer to request `id`, if it sent one; forgets the id. */
    take(id) {
      watched.delete(id);
      const error = errors.get(id);
      errors.delete(id);
      return error;
    },
  };
}

export class Session {
  /**
   * @param ctx {holder, store, connectUpstream, audit, record, shadow, grant, onclosed, timeoutMs}
   * @param transport the downstream server transport (stdio or Streamable HTTP)
   */
  constructor(ctx, transport) {
    this.ctx = ctx;
    this.localId = randomUUID();
    this.grant = ctx.grant;
    this.closed = false;
    /** The session ended because the upstream failed (a stdio gateway then exits 1). */
    this.failed = false;
    this.server = null;
    this.client = null;
    this.lastSeen = Date.now();
    this.down = new HeldTransport(transport, (message) =>
      this.#initialize(message).catch((e) => {
        logLine(`session ${this.id}: ${e?.stack ?? e}`);
        void this.close();
      }),
    );
    this.unsubscribe = ctx.holder.onchange(() => this.#toolsChanged());
  }

  /** The HTTP session id (`mcp-session-id`), or a random id for a stdio session. */
  get id() {
    return this.down.sessionId ?? this.localId;
  }

  /** Starts reading from the agent. */
  start() {
    this.down.onclose = () => void this.close();
    return this.down.start();
  }

  async #initialize(message) {
    if (message.method !== 'initialize' || message.id === undefined) {
      if (message.id !== undefined) {
        await this.down
          .send({ jsonrpc: '2.0', id: message.id, error: { code: ErrorCode.InvalidRequest, message: 'Server not initialized' } })
          .catch(() => {});
      }
      return this.close();
    }
    const params = message.params ?? {};
    try {
      const { client, transport } = await this.ctx.connectUpstream(params.clientInfo, params.capabilities ?? {});
      this.client = client;
      this.upstream = transport;
      this.wire = transport.wire;
    } catch (e) {
      logLine(`upstream: cannot connect (${quoted(String(e?.message ?? e))})`);
      this.failed = true;
      await this.down
        .send({ jsonrpc: '2.0', id: message.id, error: { code: ErrorCode.InternalError, message: `upstream unavailable: ${e?.message ?? e}` } })
        .catch(() => {});
      return this.close();
    }
    if (this.closed) return void this.client.close();
    this.server = this.#makeServer();
    this.client.onclose = () => {
      if (!this.closed) {
        logLine(`upstream: connection closed (session ${this.id})`);
        this.failed = true;
      }
      void this.close();
    };
    await this.server.connect(this.down);
    this.down.ready();
  }

  #makeServer() {
    const upstream = this.client.getServerCapabilities() ?? {};
    // Mirror the upstream's capabilities; tools always (and list_changed: a reload can change the
    // visible tools). Tasks are not offered: a task-augmented call would escape the decision's
    // accounting of its outcome.
    const { tasks: _tasks, tools, ...rest } = upstream;
    const capabilities = { ...rest, tools: { ...tools, listChanged: true } };
    const info = this.client.getServerVersion() ?? { name: 'toolgate-gateway', version: '0' };
    const server = new Server(info, {
      capabilities,
      instructions: this.client.getInstructions(),
      debouncedNotificationMethods: ['notifications/tools/list_changed'],
    });
    this.ready = new Promise((resolve) => {
      server.oninitialized = resolve;
    });
    // Every request is handled on its raw form (the SDK's request schemas drop unknown params).
    server.removeRequestHandler('logging/setLevel');
    server.fallbackRequestHandler = (request, extra) => {
      if (request.method === 'tools/call') return this.#callTool(request, extra);
      if (request.method === 'tools/list') return this.#listTools(request, extra);
      return this.#forward(request, extra).then((r) => r.result);
    };
    server.fallbackNotificationHandler = async (notification) => {
      if (notification.method === 'notifications/initialized') return;
      if (!FORWARDED_NOTIFICATIONS.has(notification.method)) {
        // A request sent without an id (e.g. a `tools/call` notification) would reach the upstream
        // undecided and unaudited: only the client→server notifications of the protocol pass.
        logLine(`session ${this.id}: dropped notification ${quoted(notification.method)} (not a client notification of MCP)`);
        return;
      }
      await this.client.notification(notification).catch((e) => logLine(`upstream: cannot forward ${quoted(notification.method)}: ${quoted(e.message)}`));
    };
    // Upstream → agent: notifications and server→client requests (roots, sampling, elicitation),
    // once the agent's session is initialized.
    this.client.fallbackNotificationHandler = async (notification) => {
      await this.ready;
      if (this.closed) return;
      await server.notification(notification).catch((e) => logLine(`agent: cannot forward ${quoted(notification.method)}: ${quoted(e.message)}`));
    };
    this.client.fallbackRequestHandler = async (request, extra) => {
      await this.ready;
      const { method, params } = request;
      try {
        return await server.request({ method, params }, ResultSchema, { signal: extra.signal, timeout: AGENT_REQUEST_TIMEOUT_MS });
      } catch (e) {
        const message = typeof e?.message === 'string' ? e.message.replace(/^MCP error -?\d+: /, '') : 'agent request failed';
        throw wireError(Number.isSafeInteger(e?.code) ? e.code : ErrorCode.InternalError, message, e?.data);
      }
    };
    return server;
  }

  /**
   * Forwards a request upstream as it is. Returns `{result}`; throws the upstream's JSON-RPC error
   * untouched, or a gateway error (`upstream: …`) for a timeout or a lost connection — with
   * `.local` naming which (`timeout`, `cancelled`, `lost`) and `.answered = false`.
   */
  async #forward(request, extra) {
    this.lastSeen = Date.now();
    const { method } = request;
    const { _meta, ...rest } = request.params ?? {};
    const { progressToken, ...meta } = _meta ?? {};
    const params = Object.keys(meta).length > 0 ? { ...rest, _meta: meta } : rest;
    const options = { signal: extra.signal, timeout: this.ctx.timeoutMs, resetTimeoutOnProgress: true };
    if (progressToken !== undefined) {
      options.onprogress = (p) => {
        void extra.sendNotification({ method: 'notifications/progress', params: { ...p, progressToken } }).catch(() => {});
      };
    }
    const { promise, id } = this.wire.track(() => this.client.request({ method, params }, ResultSchema, options));
    try {
      const result = await promise;
      if (id !== undefined) this.wire.take(id);
      return { result };
    } catch (e) {
      const answer = id === undefined ? undefined : this.wire.take(id);
      if (answer !== undefined) {
        throw Object.assign(wireError(answer.code, answer.message, answer.data), { answered: true });
      }
      const local = extra.signal.aborted ? 'cancelled' : e?.code === ErrorCode.RequestTimeout ? 'timeout' : 'lost';
      const message = local === 'timeout' ? 'upstream: request timed out' : local === 'lost' ? `upstream: ${e?.message ?? 'connection lost'}` : 'cancelled';
      throw Object.assign(wireError(local === 'timeout' ? ErrorCode.RequestTimeout : ErrorCode.ConnectionClosed, message), {
        answered: false,
        local,
      });
    }
  }

  async #listTools(request, extra) {
    const { result } = await this.#forward(request, extra);
    return this.ctx.holder.engine.filterTools(result);
  }

  async #callTool(request, extra) {
    const started = performance.now();
    const { name, arguments: args } = request.params ?? {};
    if (typeof name !== 'string') throw wireError(ErrorCode.InvalidParams, 'tools/call: `name` must be a string');
    const call = { tool: name, grant: this.grant, at_ms: Date.now() };
    if (args !== undefined) call.args = args;
    const { store, shadow } = this.ctx;
    const policy = this.ctx.holder.digest;
    let decided;
    try {
      decided = store.decide(call);
      if (typeof decided?.then === 'function') decided = await decided;
    } catch (e) {
      // The engine could not decide (e.g. a typed error for unrepresentable input, or a wasm trap
      // it recovered from): refused, never forwarded.
      logLine(`decision failed for tool ${quoted(name, 80)}: ${e?.message ?? e}`);
      decided = { decision: undecidable(e), ticket: null };
    }
    const { decision, ticket } = decided;
    const refused = decision.outcome !== 'allow';
    if (refused && !shadow) {
      this.#log(call, policy, decision, 'not_sent', started, false);
      return refusal(decision);
    }
    if (extra.signal.aborted) {
      // Cancelled while the counters were reserved: it was never sent, so it gives its quota back.
      const released = store.release(ticket);
      if (typeof released?.then === 'function') await released;
      this.#log(call, policy, decision, 'not_sent', started, refused);
      throw wireError(ErrorCode.ConnectionClosed, 'cancelled');
    }
    // Task augmentation is not offered downstream: forward the call as a plain call.
    const { task: _task, ...params } = request.params;
    try {
      const { result } = await this.#forward({ method: 'tools/call', params }, extra);
      store.settle(ticket);
      this.#log(call, policy, decision, result.isError === true ? 'is_error' : 'ok', started, refused);
      return result;
    } catch (e) {
      if (e.answered === true) {
        // The upstream answered with a JSON-RPC error: the call did not run; give its quota back (once).
        const released = store.release(ticket);
        if (typeof released?.then === 'function') await released;
        this.#log(call, policy, decision, 'error', started, refused, true);
      } else {
        store.settle(ticket);
        this.#log(call, policy, decision, e.local ?? 'lost', started, refused);
      }
      throw e;
    }
  }

  #log(call, policy, decision, upstream, started, shadowRefused, upstreamError = false) {
    const { audit, record } = this.ctx;
    const ts = new Date(call.at_ms).toISOString();
    if (audit) {
      audit.write({
        ts,
        grant: call.grant,
        session: this.id,
        tool: capped(call.tool),
        outcome: decision.outcome,
        rule: decision.rule,
        message: capped(decision.message, 1024),
        retry_after_ms: decision.retry_after_ms,
        arg_keys: argKeys(call.args),
        policy,
        upstream,
        duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
        shadow: shadowRefused,
      });
    }
    if (record) {
      record.write({ ts, grant: call.grant, tool: call.tool, args: call.args ?? {}, upstream_error: upstreamError });
    }
  }

  #toolsChanged() {
    if (this.server !== null && !this.closed) {
      this.server.sendToolListChanged().catch(() => {});
    }
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    // A stdio upstream gets its stdin closed, then SIGTERM if it has not exited within a second
    // (the SDK would wait 2 s more).
    const pid = this.upstream?.pid;
    const term = pid ? setTimeout(() => {
          try {
            process.kill(pid, 'SIGTERM');
          } catch {
            // already gone
          }
        }, UPSTREAM_EXIT_GRACE_MS) : undefined;
    term?.unref();
    // An HTTP upstream session is ended (DELETE), so the server can free it.
    if (typeof this.upstream?.terminateSession === 'function' && this.upstream.sessionId !== undefined) {
      await this.upstream.terminateSession().catch(() => {});
    }
    await Promise.allSettled([this.server?.close(), this.client?.close(), this.server === null ? this.down.close() : undefined]);
    clearTimeout(term);
    this.ctx.onclosed?.(this);
  }
}

/** The MCP Client facing the upstream, with its wire watched. */
export async function connectClient(transport, clientInfo, capabilities) {
  const wire = watchWire(transport);
  const client = new Client(
    { name: clientInfo?.name ?? 'toolgate-gateway', version: clientInfo?.version ?? '0', ...(clientInfo?.title && { title: clientInfo.title }) },
    { capabilities },
  );
  await client.connect(transport);
  transport.wire = wire;
  return { client, transport };
}
