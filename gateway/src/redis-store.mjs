// Counters shared by every gateway naming the same Redis server.
//
// A call is decided in three steps: the engine's `plan` (everything but counters, local), one
// atomic Lua script that reads every counter of the call and — only if all of them fit — charges
// each once (all-or-nothing across instances), then the engine's `finish` from the counts the
// script read, so the decision is exactly the in-memory engine's (outcome, rule, message,
// retry-after, counters). The slot semantics mirror engine/src/eval/limit.rs (see STORE-CONTRACT.md):
// one hash per (grant, counter) with fields `w` (window ms), `ws` (newest charged window start),
// `used` and `prev` (the count of window `ws − w`).
//
// Reservations are idempotent: a marker key per reservation id holds the script's answer (relative
// expiry: 2 × the upstream timeout + 10 s), so a retried script returns the same answer without
// charging twice. Release (the upstream answered a JSON-RPC error) deletes the marker and, only if
// that removed it, credits the window each counter was charged in — once. Every key has a relative expiry (PEXPIRE: the
// caller's clock never decides when Redis deletes a key).
//
// Redis unreachable, slow or erroring → the call is refused ("rate-limit store unavailable"), never
// allowed unmetered. Every script runs against the gateway's own deadline (`commandTimeoutMs`,
// 500 ms): a stalled server (SIGSTOP, a full disk) refuses the call at the deadline; a reservation
// answered after it is released by its id (or, if that fails too, stays charged). A policy
// reloaded while the store answered re-plans the call under the new policy (the stale charge is
// given back). node-redis reconnects by itself; the next call after that is decided normally.
import { createHash, randomBytes } from 'node:crypto';

import { createClient } from 'redis';

import { logLine } from './log.mjs';

/**
 * KEYS[1] = reservation marker, KEYS[2..] = one slot per distinct counter of the call.
 * ARGV = marker ttl ms, n limits, n × (slot index, w, window start, max),
 *        m charges, m × (slot index, w, window start, slot ttl ms).
 * Returns "A:<used>,…" (allowed, charged) or "R:<used>,…" (refused, nothing charged), `used` being
 * the count before this call of every limit, in order.
 */
export const RESERVE_LUA = `
local prior = redis.call('GET', KEYS[1])
if prior then return prior end
local function int(x) return string.format('%.0f', x) end
local slots = {}
local function slot(i)
  local s = slots[i]
  if s == nil then
    local v = redis.call('HMGET', KEYS[i + 1], 'w', 'ws', 'used', 'prev')
    if v[1] then
      s = { w = tonumber(v[1]), ws = tonumber(v[2]), used = tonumber(v[3]) or 0, prev = tonumber(v[4]) or 0 }
    else
      s = false
    end
    slots[i] = s
  end
  return s
end
local n = tonumber(ARGV[2])
local p = 3
local used = {}
local fits = true
for j = 1, n do
  local i, w, ws, max = tonumber(ARGV[p]), tonumber(ARGV[p + 1]), tonumber(ARGV[p + 2]), tonumber(ARGV[p + 3])
  p = p + 4
  local s = slot(i)
  local u
  if not s or s.w ~= w then u = 0
  elseif ws > s.ws then u = 0
  elseif ws == s.ws then u = s.used
  elseif ws + w == s.ws then u = s.prev
  else u = max end
  used[j] = int(u)
  if u + 1 > max then fits = false end
end
local answer = (fits and 'A:' or 'R:') .. table.concat(used, ',')
if not fits then return answer end
local m = tonumber(ARGV[p])
p = p + 1
for c = 1, m do
  local i, w, ws, ttl = tonumber(ARGV[p]), tonumber(ARGV[p + 1]), tonumber(ARGV[p + 2]), ARGV[p + 3]
  p = p + 4
  local s = slot(i)
  local cur
  if not s or s.w ~= w then cur = { w = w, ws = ws, used = 0, prev = 0 }
  elseif ws > s.ws then cur = { w = w, ws = ws, used = 0, prev = (ws - w == s.ws) and s.used or 0 }
  else cur = { w = s.w, ws = s.ws, used = s.used, prev = s.prev } end
  if ws == cur.ws then cur.used = cur.used + 1
  elseif ws + w == cur.ws then cur.prev = cur.prev + 1 end
  redis.call('HSET', KEYS[i + 1], 'w', int(cur.w), 'ws', int(cur.ws), 'used', int(cur.used), 'prev', int(cur.prev))
  redis.call('PEXPIRE', KEYS[i + 1], ttl)
end
redis.call('SET', KEYS[1], answer, 'PX', ARGV[1])
return answer
`;

/**
 * KEYS[1] = reservation marker, KEYS[2..] = the charged slots. ARGV = m, m × (w, window start).
 * Gives one call back to each charge in the window it was charged in, only if the marker existed.
 * Returns how many counters were released.
 */
export const RELEASE_LUA = `
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
local m = tonumber(ARGV[1])
local released = 0
for c = 1, m do
  local w, ws = tonumber(ARGV[2 * c]), tonumber(ARGV[2 * c + 1])
  local key = KEYS[c + 1]
  local v = redis.call('HMGET', key, 'w', 'ws', 'used', 'prev')
  if v[1] and tonumber(v[1]) == w then
    local sws = tonumber(v[2])
    if sws == ws and (tonumber(v[3]) or 0) > 0 then
      redis.call('HINCRBY', key, 'used', -1)
      released = released + 1
    elseif sws == ws + w and (tonumber(v[4]) or 0) > 0 then
      redis.call('HINCRBY', key, 'prev', -1)
      released = released + 1
    end
  end
end
return released
`;


const enc = (s) => encodeURIComponent(s);
/**
 * `<ns>:{<grant>}:<counter>` (`ns`: `--redis-prefix`, default `tg`): the grant is the hash tag, so
 * one call's keys share a Cluster slot; deployments sharing a Redis keep apart by namespace.
 */
export const slotKey = (grant, counter, ns = 'tg') => `${ns}:{${enc(grant)}}:${enc(counter)}`;
export const markerKey = (grant, id, ns = 'tg') => `${ns}:{${enc(grant)}}:r:${id}`;

/** The Decision of a call refused because the counters could not be read or charged. */
export function storeUnavailable(reason) {
  return {
    outcome: 'deny',
    rule: '(store unavailable)',
    pointer: null,
    message: `rate-limit store unavailable (${reason}); the call was not forwarded`,
    retry_after_ms: null,
    explain: [],
    counters: [],
  };
}

export class RedisStore {
  /**
   * @param holder the PolicyHolder (its engine plans and finishes decisions)
   * @param url `redis://…`, `rediss://…` or `unix:///path/to/redis.sock`
   */
  /**
   * @param options.markerTtlMs how long a reservation's marker lives: a release after that gives
   *   nothing back (the quota stays charged). The gateway passes 2 × its upstream timeout + 10 s.
   */
  constructor(holder, url, { commandTimeoutMs = 500, connectTimeoutMs = 1000, markerTtlMs = 130_000, prefix = 'tg' } = {}) {
    if (typeof holder.engine.plan !== 'function' || typeof holder.engine.finish !== 'function') {
      throw new Error('--redis needs a toolgate package with PolicyEngine.plan and finish');
    }
    this.holder = holder;
    this.kind = 'redis';
    this.connectTimeoutMs = connectTimeoutMs;
    this.commandTimeoutMs = commandTimeoutMs;
    this.ns = prefix;
    /** Background work: answers awaited past their deadline (a late reservation is released when
     *  it arrives) and the DEL of settled reservations' markers. */
    this.late = new Set();
    this.markerTtlMs = String(Math.max(1000, Math.floor(markerTtlMs)));
    this.prefix = randomBytes(12).toString('hex');
    this.seq = 0;
    this.down = null;
    const socket = { connectTimeout: connectTimeoutMs, reconnectStrategy: (retries) => Math.min(20 * 2 ** retries, 1000) };
    const options = { disableOfflineQueue: true, commandOptions: { timeout: commandTimeoutMs }, socket };
    if (url.startsWith('unix://')) socket.path = url.slice('unix://'.length);
    else options.url = url;
    // Logged without credentials.
    this.where = url.startsWith('unix://') ? url : url.replace(/\/\/[^@/]*@/, '//');
    this.client = createClient(options);
    this.client.on('error', (e) => this.#unavailable(e));
    this.client.on('ready', () => {
      if (this.down !== null) logLine(`redis: connected again (${this.where})`);
      this.down = null;
    });
    this.reserveSha = null;
    this.releaseSha = null;
  }

  /**
   * Connects. Resolves once connected, or after `connectTimeoutMs` if Redis is down (node-redis
   * keeps reconnecting in the background; calls that need counters are refused meanwhile).
   */
  async connect() {
    let timer;
    const connecting = this.client.connect().catch((e) => this.#unavailable(e));
    const waited = new Promise((resolve) => {
      timer = setTimeout(resolve, this.connectTimeoutMs);
    });
    await Promise.race([connecting, waited]);
    clearTimeout(timer);
    if (!this.client.isReady) this.#unavailable(new Error('not connected'));
  }

  #unavailable(e) {
    const reason = e?.message || String(e);
    if (this.down === null) logLine(`redis: unavailable (${reason}); calls that need counters are refused until it returns`);
    this.down = reason;
  }

  /**
   * Runs a script within `commandTimeoutMs` (node-redis' own command timeout only covers the wait to
   * be written: a stalled server would hang the call forever). Past the deadline it throws a
   * TimeoutError; `late` then receives the answer if one still arrives.
   */
  #evalWithin(script, keys, args, late) {
    const pending = this.#eval(script, keys, args);
    let timer;
    const deadline = new Promise((_, reject) => {
      timer = setTimeout(() => {
        reject(Object.assign(new Error(`timeout: no answer within ${this.commandTimeoutMs} ms`), { name: 'TimeoutError' }));
        const handled = pending.then(late, () => {}).finally(() => this.late.delete(handled));
        this.late.add(handled);
      }, this.commandTimeoutMs);
    });
    return Promise.race([pending, deadline]).finally(() => clearTimeout(timer));
  }

  async #eval(script, keys, args) {
    const sha = script === RESERVE_LUA ? (this.reserveSha ??= sha1(script)) : (this.releaseSha ??= sha1(script));
    try {
      return await this.client.sendCommand(['EVALSHA', sha, String(keys.length), ...keys, ...args]);
    } catch (e) {
      if (!String(e?.message).startsWith('NOSCRIPT')) throw e;
      return await this.client.sendCommand(['EVAL', script, String(keys.length), ...keys, ...args]);
    }
  }

  async decide(call, again = false) {
    const engine = this.holder.engine;
    const policy = this.holder.digest;
    const plan = engine.plan(call);
    if (plan.kind === 'final') return { decision: plan.decision, ticket: null };
    const counters = [];
    const index = new Map();
    for (const l of [...plan.limits, ...plan.charges]) {
      if (!index.has(l.counter)) {
        index.set(l.counter, counters.length + 1);
        counters.push(l.counter);
      }
    }
    const id = `${this.prefix}-${(this.seq++).toString(36)}`;
    const marker = markerKey(plan.grant, id, this.ns);
    const keys = [marker, ...counters.map((c) => slotKey(plan.grant, c, this.ns))];
    const args = [this.markerTtlMs, String(plan.limits.length)];
    for (const l of plan.limits) args.push(String(index.get(l.counter)), String(l.window_ms), String(l.window_start_ms), String(l.max));
    args.push(String(plan.charges.length));
    for (const c of plan.charges) {
      args.push(String(index.get(c.counter)), String(c.window_ms), String(c.window_start_ms), String(3 * c.window_ms));
    }
    const chargedKeys = [marker, ...plan.charges.map((c) => slotKey(plan.grant, c.counter, this.ns))];
    const ticketOf = () => ({ marker, keys: chargedKeys, charges: plan.charges, done: false });
    let answer;
    try {
      // An answer arriving after the deadline: the call was already refused, so a reservation it
      // made is released by its id (the marker makes that once-only; if the release fails too, the
      // quota stays charged — fail closed).
      answer = await this.#evalWithin(RESERVE_LUA, keys, args, (late) => {
        if (String(late).startsWith('A:')) return this.release(ticketOf());
      });
    } catch (e) {
      this.#unavailable(e);
      return { decision: storeUnavailable(e?.message || String(e)), ticket: null };
    }
    const m = /^([AR]):([0-9,]*)$/.exec(String(answer));
    const used = m === null ? [] : m[2].split(',').filter((x) => x !== '').map(Number);
    if (m === null || used.length !== plan.limits.length) {
      return { decision: storeUnavailable(`unexpected answer from the store: ${String(answer).slice(0, 80)}`), ticket: null };
    }
    const charged = m[1] === 'A';
    const ticket = charged ? ticketOf() : null;
    if (this.holder.digest !== policy) {
      // The policy was reloaded while the store answered: the plan may be stale. Give back what it
      // charged and decide again under the new policy (once; a second change refuses).
      if (ticket !== null) await this.release(ticket);
      if (again) return { decision: storeUnavailable('the policy changed while the call was decided'), ticket: null };
      return this.decide(call, true);
    }
    const decision = engine.finish(plan, used);
    if (charged !== (decision.outcome === 'allow')) {
      // The script and the engine disagree (never expected): refuse, and give back what was charged.
      if (ticket !== null) await this.release(ticket);
      return { decision: storeUnavailable('the store and the engine disagree on this call'), ticket: null };
    }
    return { decision, ticket };
  }

  async release(ticket) {
    if (ticket === null || ticket.done) return false;
    ticket.done = true;
    const args = [String(ticket.charges.length)];
    for (const c of ticket.charges) args.push(String(c.window_ms), String(c.window_start_ms));
    try {
      return Number(await this.#evalWithin(RELEASE_LUA, ticket.keys, args, () => {})) > 0;
    } catch (e) {
      // The quota stays charged (fail closed): the call may not be given back twice, nor guessed.
      logLine(`redis: release failed (${e?.message}); the call's quota stays charged`);
      return false;
    }
  }

  /**
   * The call ended without an upstream error: nothing to give back. Its marker is deleted in the
   * background (not awaited; if that fails, it expires by itself).
   */
  settle(ticket) {
    if (ticket === null || ticket.done) return;
    ticket.done = true;
    const deleted = this.client
      .sendCommand(['DEL', ticket.marker])
      .catch(() => {})
      .finally(() => this.late.delete(deleted));
    this.late.add(deleted);
  }

  /** Resolves once the background work is done (late answers handled, markers deleted). */
  async drained() {
    while (this.late.size > 0) await Promise.allSettled([...this.late]);
  }

  async close() {
    try {
      await this.client.close();
    } catch {
      this.client.destroy();
    }
  }
}


function sha1(text) {
  return createHash('sha1').update(text).digest('hex');
}
