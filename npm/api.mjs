// The public API of the `toolgate` npm package, over the wasm facade (engine/src/wasm.rs).
//
// This layer only checks JS types, fills the defaults the spec gives to the host (`at_ms` =
// Date.now()), converts to and from JSON text, and turns facade failures into typed errors.
// Every decision, message and counter comes from the engine.
//
// One source, three module formats: scripts/build-pkg.sh copies this file to pkg/api.mjs (browser)
// and rewrites its single `export` into `module.exports` for pkg/api.cjs (Node).

/**
 * Builds the API around one loaded facade module.
 * @param {object} raw the wasm-bindgen glue (`PolicyEngine`, `EngineError`, `validate`, `version`)
 * @param {{ ready(): boolean, hint: string }} loader whether the wasm is instantiated yet, and how to do it
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

  /** Rethrows a facade failure as a typed error. */
  function typed(e) {
    if (e instanceof raw.EngineError) {
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
    return limited(text, kind, pointer, what);
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
    let argsJson = '';
    if (args_json !== undefined) {
      if (typeof args_json !== 'string') {
        throw fail('call', '/args_json', `\`args_json\` must be JSON text, found ${describe(args_json)}`);
      }
      if (args !== undefined) throw fail('call', '/args', 'give `args` or `args_json`, not both');
      if (args_json.trim() === '') throw fail('call', '/args_json', '`args_json` is empty: leave it out for no arguments');
      argsJson = limited(args_json, 'call', '/args_json', '`args_json`');
    } else if (args !== undefined) {
      // Arguments that are not an object are the engine's to refuse (fail closed), so any JSON goes.
      argsJson = stringify(args, 'call', '/args', '`args`');
    }
    try {
      return engine[method](tool, argsJson, grant, at);
    } catch (e) {
      throw typed(e);
    }
  }

  /**
   * A Decision from the facade's array form (engine/src/wasm.rs `decision_tuple`): `JSON.parse`
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

  /** A SimulationResult from the facade's array form (engine/src/wasm.rs `simulate_tuples`). */
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

    /** @param policy policy.json text, a policy object, or `null` (no policy attached: every call is denied) */
    constructor(policy) {
      ensureReady();
      const text = policyText(policy);
      try {
        this.#raw = new raw.PolicyEngine(text);
      } catch (e) {
        throw typed(e);
      }
    }

    /** Validates a policy (and, with a `tools/list` result, lints it against the tools) without throwing. */
    static validate(policy, tools) {
      ensureReady();
      let text;
      try {
        text = policyText(policy);
      } catch (e) {
        return { valid: false, errors: e.errors, warnings: [] };
      }
      const toolsText = tools === undefined ? undefined : jsonText(tools, 'tools', '', 'the tool list');
      try {
        return JSON.parse(raw.validate(text, toolsText));
      } catch (e) {
        throw typed(e);
      }
    }

    /** Decides a call and, when allowed, charges its quota. `at_ms` defaults to `Date.now()`. */
    evaluate(call) {
      return fromTuple(decide(this.#live(), 'evaluateTuple', call));
    }

    /** `evaluate`, returning the Decision as JSON text (exact integers beyond 2^53; no parsing cost). */
    evaluateJson(call) {
      return decide(this.#live(), 'evaluate', call);
    }

    /** Decides a call without charging quota (a dry run): counters show what `evaluate` would leave. */
    check(call) {
      return fromTuple(decide(this.#live(), 'checkTuple', call));
    }

    /** `check`, returning the Decision as JSON text. */
    checkJson(call) {
      return decide(this.#live(), 'check', call);
    }

    /** The upstream answered an allowed call with a JSON-RPC error: gives its quota back. */
    release(decision) {
      if (decision === null || typeof decision !== 'object' || Array.isArray(decision)) {
        throw fail('decision', '', `expected the Decision returned by evaluate, found ${describe(decision)}`);
      }
      const text = jsonText(decision, 'decision', '', 'the decision');
      try {
        return this.#live().release(text);
      } catch (e) {
        throw typed(e);
      }
    }

    /** Removes hidden tools from a `tools/list` result (text in, text out, other bytes kept). */
    filterTools(result) {
      const text = jsonText(result, 'tools', '', 'the tools/list result');
      let out;
      try {
        out = this.#live().filterTools(text);
      } catch (e) {
        throw typed(e);
      }
      return typeof result === 'string' ? out : JSON.parse(out);
    }

    /** Whether `tools/list` shows this tool. */
    isVisible(tool) {
      if (typeof tool !== 'string') throw fail('call', '/tool', `\`tool\` must be a string, found ${describe(tool)}`);
      return this.#live().isVisible(tool);
    }

    /** Runs a trace on fresh counters with this engine's policy; the engine's own counters are untouched. */
    simulate(trace) {
      const text = jsonText(trace, 'trace', '', 'the trace');
      let out;
      try {
        out = this.#live().simulateTuples(text);
      } catch (e) {
        throw typed(e);
      }
      return simulationFromTuples(out);
    }

    /** `simulate`, returning the result as JSON text (exact integers; no parsing cost for big traces). */
    simulateJson(trace) {
      const text = jsonText(trace, 'trace', '', 'the trace');
      try {
        return this.#live().simulate(text);
      } catch (e) {
        throw typed(e);
      }
    }

    /** The counters, sorted: persist them, or share them with other gateway instances. */
    exportState() {
      return JSON.parse(this.#live().exportState());
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
        this.#live().importState(text);
      } catch (e) {
        throw typed(e);
      }
    }

    /** Replaces the policy and keeps the counters (hot reload). */
    setPolicy(policy) {
      const text = policyText(policy);
      try {
        this.#live().setPolicy(text);
      } catch (e) {
        throw typed(e);
      }
    }

    /** Whether a policy is attached (`false` after `new PolicyEngine(null)`). */
    get hasPolicy() {
      return this.#live().hasPolicy;
    }

    /** Forgets every counter. */
    resetCounters() {
      this.#live().resetCounters();
    }

    /** Frees the engine's wasm memory now instead of at garbage collection. The engine is unusable afterwards. */
    free() {
      this.#live().free();
      this.#raw = null;
    }

    #live() {
      if (this.#raw === null) throw fail('init', '', 'this PolicyEngine was freed');
      return this.#raw;
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
    ensureReady();
    const oldText = sidePolicyText(oldPolicy, 'old_policy', 'the old policy');
    const newText = sidePolicyText(newPolicy, 'new_policy', 'the new policy');
    const traceText = trace === undefined ? undefined : jsonText(trace, 'trace', '', 'the trace');
    try {
      return JSON.parse(raw.diffPolicies(oldText, newText, traceText));
    } catch (e) {
      throw typed(e);
    }
  }

  /** Runs a test file against a policy (`toolgate test`), each test from empty counters. */
  function runTests(policy, tests, options) {
    ensureReady();
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
      return JSON.parse(raw.runTests(policyJson, testsJson, coverage === true));
    } catch (e) {
      throw typed(e);
    }
  }

  return { PolicyEngine, ToolgateError, PolicyError, denialResult, version, diff, runTests };
}
