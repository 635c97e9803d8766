// The public API of the `toolgate` npm package, over the wasm facade (the `toolgate-wasm` crate,
// wasm/src/): two modules — the gateway module (`PolicyEngine`: evaluate, check, plan/finish,
// release, filterTools, state), loaded with the package, and the tools module (validate with lint,
// simulate, diff, runTests), loaded on first use (Node) or by `init()` (browsers).
//
// This layer only checks JS types, fills the defaults the spec gives to the host (`at_ms` =
// Date.now()), converts to and from JSON text, and turns facade failures into typed errors.
// Every decision, message and counter comes from the engine.
//
// One source, three module formats: scripts/build-pkg.sh copies this file to pkg/api.mjs (browser)
// and rewrites its single `export` into `module.exports` for pkg/api.cjs (Node).

/**
 * Builds the API around the facade's two modules.
 * @param {object} raw the gateway module's wasm-bindgen glue (`PolicyEngine`, `EngineError`, `version`)
 * @param {{ ready(): boolean, hint: string, tools(): object | null, toolsHint: string }} loader
 *   whether the gateway module is instantiated yet and how to do it; the tools module's glue
 *   (`validate`, `simulate`, `simulateTuples`, `diffPolicies`, `runTests`), loading it if it can,
 *   or null, and how to load it
 */
export function createApi(raw, loader) {
  /** A failure with the same `{pointer, message, line, column, help?}` list the CLI prints. */
  class ToolgateError extends Error {
    constructor(kind, errors, message) {
      super(message ?? summary(kind, errors));
      this.name = 'ToolgateError';
      this.kind = kind;
      this.errors = errors;
    }
  }

  /** The policy is not valid: `errors` holds every problem found. */
  class PolicyError extends ToolgateError {
    constructor(errors) {
      super('policy', errors);
      this.name = 'PolicyError';
    }
  }

  function summary(kind, errors) {
    const first = errors[0];
    if (first === undefined) return `invalid ${kind}`;
    const at = first.line != null ? `${first.line}:${first.column}: ` : '';
    const ptr = first.pointer === '' ? '(root)' : first.pointer;
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    return `invalid ${kind}: ${at}${ptr}: ${first.message}${more}`;
  }

  function fail(kind, pointer, message) {
    const errors = [{ pointer, message, line: null, column: null }];
    return kind === 'policy' ? new PolicyError(errors) : new ToolgateError(kind, errors);
  }

  /** The tools module (validate, simulate, diff, runTests), loaded on first use. */
  let toolsRaw = null;
  function tools() {
    if (toolsRaw === null) {
      ensureReady();
      toolsRaw = loader.tools();
      if (toolsRaw === null) throw fail('init', '', `the tools module is not loaded yet: ${loader.toolsHint}`);
    }
    return toolsRaw;
  }

  /** Rethrows a facade failure (of either module) as a typed error. */
  function typed(e) {
    if (e instanceof raw.EngineError || (toolsRaw !== null && e instanceof toolsRaw.EngineError)) {
      const kind = e.kind;
      const errors = JSON.parse(e.errorsJson);
      e.free();
      return kind === 'policy' ? new PolicyError(errors) : new ToolgateError(kind, errors);
    }
    return e;
  }

  function ensureReady() {
    if (!loader.ready()) throw fail('init', '', `the wasm module is not loaded yet: ${loader.hint}`);
  }

  function describe(v) {
    if (v === null) return 'null';
    if (v === undefined) return 'undefined';
    if (Array.isArray(v)) return 'an array';
    if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
    return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
  }

  /**
   * JSON text for an input that may be given as text or as a value. Strings are taken as JSON
   * text as they are; anything else is serialised (`indent` keeps line numbers meaningful).
   */
  function jsonText(value, kind, pointer, what, indent) {
    if (typeof value === 'string') return limited(value, kind, pointer, what);
    return stringify(value, kind, pointer, what, indent);
  }

  /**
   * The largest input text, in UTF-16 units (128 Mi): past it the wasm memory (4 GiB at most)
   * could run out while parsing, which would be a trap, not a typed error.
   */
  const MAX_TEXT = 128 * 1024 * 1024;

  function limited(text, kind, pointer, what) {
    if (text.length > MAX_TEXT) {
      throw fail(kind, pointer, `${what} is ${Math.ceil(text.length / 1048576)} Mi characters long; the limit is ${MAX_TEXT / 1048576} Mi`);
    }
    return text;
  }

  /** `JSON.stringify`, failing with a typed error (cycles, BigInt, functions, undefined). */
  function stringify(value, kind, pointer, what, indent) {
    if (value === undefined) throw fail(kind, pointer, `missing ${what}`);
    let text;
    try {
      text = JSON.stringify(value, null, indent);
    } catch (e) {
      throw fail(kind, pointer, `${what} is not JSON-serialisable: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (text === undefined) throw fail(kind, pointer, `${what} is not JSON-serialisable: found ${describe(value)}`);
    finite(value, text, kind, pointer, what);
    return limited(text, kind, pointer, what);
  }

  /**
   * `JSON.stringify` writes NaN and ±Infinity as `null` (= absent to a condition): refuse them
   * instead, with a pointer. Only searched for when the text has a `null` at all.
   */
  function finite(value, text, kind, pointer, what) {
    if (!text.includes('null')) return;
    const found = nonFinite(value, '', '');
    if (found !== null) {
      const [v, at] = found;
      throw fail(kind, pointer + at, `${what} contains ${v} at ${at === '' ? '(root)' : at}: JSON has no such number (it would silently become null)`);
    }
  }

  /** The first non-finite number in a value as JSON.stringify sees it, with its JSON pointer. */
  function nonFinite(value, key, at) {
    let v = value;
    if (v !== null && typeof v === 'object' && typeof v.toJSON === 'function') v = v.toJSON(key);
    if (v instanceof Number) v = Number(v);
    if (typeof v === 'number') return Number.isFinite(v) ? null : [String(v), at];
    if (v === null || typeof v !== 'object') return null;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const r = nonFinite(v[i], String(i), `${at}/${i}`);
        if (r !== null) return r;
      }
      return null;
    }
    for (const k of Object.keys(v)) {
      const r = nonFinite(v[k], k, `${at}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`);
      if (r !== null) return r;
    }
    return null;
  }

  function policyText(policy) {
    if (policy === undefined) {
      throw fail('policy', '', 'missing policy: pass policy.json text, a policy object, or null for "no policy attached"');
    }
    return jsonText(policy, 'policy', '', 'the policy', 2);
  }

  /** Checks a call and hands it to `method` of the facade engine; returns the Decision's JSON text. */
  function decide(engine, method, call) {
    if (call === null || typeof call !== 'object' || Array.isArray(call)) {
      throw fail('call', '', `a call must be an object {tool, args?, grant?, at_ms?}, found ${describe(call)}`);
    }
    const { tool, args, args_json, grant, at_ms } = call;
    if (typeof tool !== 'string') throw fail('call', '/tool', `\`tool\` must be a string, found ${describe(tool)}`);
    limited(tool, 'call', '/tool', '`tool`');
    if (grant !== undefined && typeof grant !== 'string') {
      throw fail('call', '/grant', `\`grant\` must be a string, found ${describe(grant)}`);
    }
    if (grant !== undefined) limited(grant, 'call', '/grant', '`grant`');
    let at = at_ms;
    if (at === undefined) at = Date.now();
    else if (typeof at !== 'number') {
      throw fail('call', '/at_ms', `\`at_ms\` must be a number of milliseconds since 1970, found ${describe(at)}`);
    }
    if (!Number.isFinite(at)) throw fail('call', '/at_ms', `\`at_ms\` is ${at}: it must be a whole number of milliseconds since 1970`);
    let argsJson = '';
    if (args_json !== undefined) {
      if (typeof args_json !== 'string') {
        throw fail('call', '/args_json', `\`args_json\` must be JSON text, found ${describe(args_json)}`);
      }
      if (args !== undefined) throw fail('call', '/args', 'give `args` or `args_json`, not both');
      if (args_json.trim() === '') throw fail('call', '/args_json', '`args_json` is empty: leave it out for no arguments');
      argsJson = args_json;
    } else if (args !== undefined) {
      // Arguments that are not an object are the engine's to refuse (fail closed), so any JSON goes.
      argsJson = stringifyArgs(args);
    }
    // Argument text over the engine's cap is refused without crossing into the module (a 100 MB
    // text would grow its memory for good); the engine writes the refusal.
    if (argsJson.length > maxArgumentBytes()) return refusedIn(method, raw.refusedArguments(utf8Length(argsJson)));
    try {
      return engine[method](tool, argsJson, grant, at);
    } catch (e) {
      throw typed(e);
    }
  }

  let argumentCap = 0;
  function maxArgumentBytes() {
    if (argumentCap === 0) argumentCap = raw.maxArgumentBytes();
    return argumentCap;
  }

  /** Bytes of UTF-8 of a string (lone surrogates count as U+FFFD, 3 bytes, as the glue encodes them). */
  function utf8Length(text) {
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        n += 4;
        i++;
      } else n += 3;
    }
    return n;
  }

  /** A refusal's Decision JSON in the form `method` returns. */
  function refusedIn(method, json) {
    if (method === 'plan') return `{"kind":"final","decision":${json}}`;
    if (method === 'evaluateTuple' || method === 'checkTuple') {
      const d = JSON.parse(json);
      return JSON.stringify([d.outcome, d.rule, d.pointer, d.message, d.retry_after_ms, [], [], null]);
    }
    return json;
  }

  /** `JSON.stringify` of a call's `args` (no size limit here: oversized arguments are a refusal, not an error). */
  function stringifyArgs(args) {
    let text;
    try {
      text = JSON.stringify(args);
    } catch (e) {
      throw fail('call', '/args', `\`args\` is not JSON-serialisable: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (text === undefined) throw fail('call', '/args', `\`args\` is not JSON-serialisable: found ${describe(args)}`);
    finite(args, text, 'call', '/args', '`args`');
    return text;
  }

  /**
   * A Decision from the facade's array form (wasm/src/wire.rs `decision_tuple`): `JSON.parse`
   * builds arrays about twice as fast as objects. Field order is the JSON form's.
   */
  function fromTuple(text) {
    return decisionAt(JSON.parse(text), 0);
  }

  /** The Decision whose values start at `t[k]` (a decision tuple, or a simulation row). */
  function decisionAt(t, k) {
    const ex = t[k + 5];
    const cs = t[k + 6];
    const explain = new Array(ex.length);
    for (let i = 0; i < ex.length; i++) {
      const e = ex[i];
      explain[i] = { path: e[0], op: e[1], expected: e[2], actual: e[3], holds: e[4] };
    }
    const counters = new Array(cs.length);
    for (let i = 0; i < cs.length; i++) {
      const c = cs[i];
      counters[i] = { counter: c[0], grant: c[1], window: c[2], window_start_ms: c[3], used: c[4], max: c[5] };
    }
    return { outcome: t[k], rule: t[k + 1], pointer: t[k + 2], message: t[k + 3], retry_after_ms: t[k + 4], explain, counters };
  }

  /** A SimulationResult from the facade's array form (wasm/src/tools.rs `simulate_tuples`). */
  function simulationFromTuples(text) {
    const [rows, summary] = JSON.parse(text);
    const decisions = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      const d = decisionAt(r, 4);
      decisions[i] = {
        index: r[0],
        tool: r[1],
        grant: r[2],
        at_ms: r[3],
        outcome: d.outcome,
        rule: d.rule,
        pointer: d.pointer,
        message: d.message,
        retry_after_ms: d.retry_after_ms,
        explain: d.explain,
        counters: d.counters,
      };
    }
    return { decisions, summary };
  }

  /** A policy with its rate-limit counters: what a gateway keeps per upstream server. */
  class PolicyEngine {
    #raw = null;
    /** Decision object → the reservation the engine gave it (what makes `release` once-only). */
    #reservations = new WeakMap();
    // Recovery after a trap (issue 9, finding 6): the policy text, the last counter checkpoint
    // (snapshot JSON, or null for empty counters) and every charge and release made since, so a
    // rebuilt engine holds exactly the counters the trapped one held.
    #policy = 'null';
    #checkpoint = null;
    #log = [];
    #dead = null;

    /** @param policy policy.json text, a policy object, or `null` (no policy attached: every call is denied) */
    constructor(policy) {
      ensureReady();
      const text = policyText(policy);
      try {
        this.#raw = new raw.PolicyEngine(text);
        this.#policy = text;
      } catch (e) {
        throw typed(e);
      }
    }

    /** Validates a policy (and, with a `tools/list` result, lints it against the tools) without throwing. */
    static validate(policy, toolList) {
      const module = tools();
      let text;
      try {
        text = policyText(policy);
      } catch (e) {
        return { valid: false, errors: e.errors, warnings: [] };
      }
      const toolsText = toolList === undefined ? undefined : jsonText(toolList, 'tools', '', 'the tool list');
      try {
        return JSON.parse(module.validate(text, toolsText));
      } catch (e) {
        throw typed(e);
      }
    }

    /** Decides a call and, when allowed, charges its quota. `at_ms` defaults to `Date.now()`. */
    evaluate(call) {
      const text = this.#run((r) => decide(r, 'evaluateTuple', call));
      const t = JSON.parse(text);
      const d = decisionAt(t, 0);
      if (t[7] !== null) {
        this.#reservations.set(d, t[7]);
        this.#logged('tuple', text);
      }
      return d;
    }

    /** `evaluate`, returning the Decision as JSON text (exact integers beyond 2^53; no parsing cost). */
    evaluateJson(call) {
      const text = this.#run((r) => decide(r, 'evaluate', call));
      if (text.startsWith('{"outcome":"allow"') && !text.endsWith('"counters":[]}')) this.#logged('charge', text);
      return text;
    }

    /** Decides a call without charging quota (a dry run): counters show what `evaluate` would leave. */
    check(call) {
      return fromTuple(this.#run((r) => decide(r, 'checkTuple', call)));
    }

    /** `check`, returning the Decision as JSON text. */
    checkJson(call) {
      return this.#run((r) => decide(r, 'check', call));
    }

    /**
     * The upstream answered an allowed call with a JSON-RPC error: gives its quota back, at most
     * once per decision (the object `evaluate` returned; a copy is identified by its content).
     */
    release(decision) {
      if (decision === null || typeof decision !== 'object' || Array.isArray(decision)) {
        throw fail('decision', '', `expected the Decision returned by evaluate, found ${describe(decision)}`);
      }
      const text = jsonText(decision, 'decision', '', 'the decision');
      try {
        const released = this.#run((r) => r.release(text, this.#reservations.get(decision)));
        if (released > 0) this.#logged('release', text);
        return released;
      } catch (e) {
        throw typed(e);
      }
    }

    // ---- host-side counter stores (issue 8): plan, reserve in the store, finish.

    /**
     * Decides everything a call needs except its counters, charging nothing: `{kind: 'final',
     * decision}` or `{kind: 'reserve', tool, grant, at_ms, limits, charges}` for the store.
     */
    plan(call) {
      return JSON.parse(this.#run((r) => decide(r, 'plan', call)));
    }

    /**
     * The Decision of a `reserve` plan from the store's counts: `used[i]` = calls already counted
     * for `plan.limits[i]` in the call's window, before this call.
     */
    finish(plan, used) {
      if (plan === null || typeof plan !== 'object' || Array.isArray(plan) || plan.kind !== 'reserve') {
        const found = plan !== null && typeof plan === 'object' && typeof plan.kind === 'string' ? `a '${plan.kind}' plan` : describe(plan);
        throw fail('plan', '/kind', `expected a plan of kind 'reserve' returned by plan(), found ${found}`);
      }
      if (!Array.isArray(used)) throw fail('plan', '/used', `\`used\` must be an array of counts, found ${describe(used)}`);
      for (let i = 0; i < used.length; i++) {
        const u = used[i];
        if (typeof u !== 'number' || !Number.isSafeInteger(u) || u < 0) {
          throw fail('plan', `/used/${i}`, `a count must be a whole number from 0 to 2^53-1, found ${typeof u === 'number' ? String(u) : describe(u)}`);
        }
      }
      const text = jsonText(plan, 'plan', '', 'the plan');
      try {
        return fromTuple(this.#run((r) => r.finishTuple(text, Float64Array.from(used))));
      } catch (e) {
        throw typed(e);
      }
    }

    /** Removes hidden tools from a `tools/list` result (text in, text out, other bytes kept). */
    filterTools(result) {
      const text = jsonText(result, 'tools', '', 'the tools/list result');
      let out;
      try {
        out = this.#run((r) => r.filterTools(text));
      } catch (e) {
        throw typed(e);
      }
      return typeof result === 'string' ? out : JSON.parse(out);
    }

    /** Whether `tools/list` shows this tool. */
    isVisible(tool) {
      if (typeof tool !== 'string') throw fail('call', '/tool', `\`tool\` must be a string, found ${describe(tool)}`);
      return this.#run((r) => r.isVisible(tool));
    }

    /** Runs a trace on fresh counters with this engine's policy; the engine's own counters are untouched. */
    simulate(trace) {
      const module = tools();
      const text = jsonText(trace, 'trace', '', 'the trace');
      this.#live();
      let out;
      try {
        out = module.simulateTuples(this.#policy, text);
      } catch (e) {
        throw typed(e);
      }
      return simulationFromTuples(out);
    }

    /** `simulate`, returning the result as JSON text (exact integers; no parsing cost for big traces). */
    simulateJson(trace) {
      const module = tools();
      const text = jsonText(trace, 'trace', '', 'the trace');
      this.#live();
      try {
        return module.simulate(this.#policy, text);
      } catch (e) {
        throw typed(e);
      }
    }

    /** The counters, sorted: persist them, or share them with other gateway instances. */
    exportState() {
      return JSON.parse(this.#run((r) => r.exportState()));
    }

    /** Replaces the counters with a snapshot (all or nothing). */
    importState(snapshot) {
      if (snapshot === null || typeof snapshot !== 'object' || Array.isArray(snapshot)) {
        if (typeof snapshot !== 'string') {
          throw fail('state', '', `expected a snapshot {version, counters}, found ${describe(snapshot)}`);
        }
      }
      const text = jsonText(snapshot, 'state', '', 'the snapshot');
      try {
        this.#run((r) => r.importState(text));
        this.#checkpoint = text;
        this.#log = [];
      } catch (e) {
        throw typed(e);
      }
    }

    /** Replaces the policy and keeps the counters (hot reload). */
    setPolicy(policy) {
      const text = policyText(policy);
      try {
        this.#run((r) => r.setPolicy(text));
        this.#policy = text;
      } catch (e) {
        throw typed(e);
      }
    }

    /** Whether a policy is attached (`false` after `new PolicyEngine(null)`). */
    get hasPolicy() {
      return this.#run((r) => r.hasPolicy);
    }

    /** Forgets every counter. */
    resetCounters() {
      this.#run((r) => r.resetCounters());
      this.#checkpoint = null;
      this.#log = [];
    }

    /** Frees the engine's wasm memory now instead of at garbage collection. The engine is unusable afterwards. */
    free() {
      this.#live().free();
      this.#raw = null;
    }

    #live() {
      if (this.#raw === null) throw this.#dead ?? fail('init', '', 'this PolicyEngine was freed');
      return this.#raw;
    }

    /**
     * Runs `f` on the facade engine. If the wasm module traps (out of memory, `unreachable`), the
     * facade object stays borrowed and would fail every later call: rebuild it from the policy,
     * the checkpoint and the charges and releases since, and throw — the call that trapped is
     * never decided (so never allowed).
     */
    #run(f) {
      const engine = this.#live();
      try {
        return f(engine);
      } catch (e) {
        if (e instanceof WebAssembly.RuntimeError) throw this.#recover(e);
        throw e;
      }
    }

    #recover(trap) {
      this.#raw = null; // the trapped object is abandoned: its borrow flag is stuck
      this.#reservations = new WeakMap();
      try {
        const fresh = new raw.PolicyEngine(this.#policy);
        if (this.#checkpoint !== null) fresh.importState(this.#checkpoint);
        for (const [kind, decision] of this.#log) {
          if (kind === 'tuple') fresh.recharge(JSON.stringify(decisionAt(JSON.parse(decision), 0)));
          else if (kind === 'charge') fresh.recharge(decision);
          else fresh.release(decision, undefined);
        }
        this.#raw = fresh;
        return fail('trap', '', `the engine trapped (${trap.message}) and was rebuilt with its counters; this call was not decided`);
      } catch (e) {
        this.#dead = fail('trap', '', `the engine trapped (${trap.message}) and could not be rebuilt (${e instanceof Error ? e.message : String(e)}); create a new PolicyEngine`);
        return this.#dead;
      }
    }

    /** Records a charge or release for #recover; past 1000 entries the counters are checkpointed instead. */
    #logged(kind, decision) {
      this.#log.push([kind, decision]);
      if (this.#log.length >= 1000) {
        this.#checkpoint = this.#run((r) => r.exportState());
        this.#log = [];
      }
    }

    /** Test hook (not part of the API): makes the module trap inside this engine, as an out-of-memory would. */
    __exhaustMemoryForTests(bytes) {
      return this.#run((r) => r.__exhaustMemoryForTests(bytes));
    }
  }

  /** The MCP `tools/call` result a gateway answers a refused call with. */
  function denialResult(decision) {
    if (decision === null || typeof decision !== 'object' || typeof decision.message !== 'string') {
      throw fail('decision', '', `expected a Decision, found ${describe(decision)}`);
    }
    return { content: [{ type: 'text', text: `[POLICY DENIED] ${decision.message}` }], isError: true };
  }

  /** The engine's version. */
  function version() {
    ensureReady();
    return raw.version();
  }

  // ---------------------------------------------------------------- policy change safety (review)

  /** One side of a comparison: text, a policy object, or `null` (no policy attached). */
  function sidePolicyText(policy, kind, what) {
    if (policy === undefined) throw fail(kind, '', `missing ${what}: pass policy.json text, a policy object, or null`);
    return jsonText(policy, kind, '', what, 2);
  }

  /**
   * Compares two versions of a policy (`toolgate diff`): the rule-level difference and, with a
   * trace, every call whose decision changes — each policy replayed with its own counters, from empty.
   */
  function diff(oldPolicy, newPolicy, trace) {
    const module = tools();
    const oldText = sidePolicyText(oldPolicy, 'old_policy', 'the old policy');
    const newText = sidePolicyText(newPolicy, 'new_policy', 'the new policy');
    const traceText = trace === undefined ? undefined : jsonText(trace, 'trace', '', 'the trace');
    try {
      return JSON.parse(module.diffPolicies(oldText, newText, traceText));
    } catch (e) {
      throw typed(e);
    }
  }

  /** Runs a test file against a policy (`toolgate test`), each test from empty counters. */
  function runTests(policy, tests, options) {
    const module = tools();
    const policyJson = policyText(policy);
    const testsJson = jsonText(tests, 'tests', '', 'the test file', 2);
    const coverage = options === undefined ? false : options.coverage;
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw fail('tests', '', `options must be an object {coverage?: boolean}, found ${describe(options)}`);
    }
    if (coverage !== undefined && typeof coverage !== 'boolean') {
      throw fail('tests', '', `\`coverage\` must be a boolean, found ${describe(coverage)}`);
    }
    try {
      return JSON.parse(module.runTests(policyJson, testsJson, coverage === true));
    } catch (e) {
      throw typed(e);
    }
  }

  return { PolicyEngine, ToolgateError, PolicyError, denialResult, version, diff, runTests };
}
