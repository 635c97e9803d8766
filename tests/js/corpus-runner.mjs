// Runs conformance cases (tests/corpus/README.md) through the `toolgate` npm package. Host-agnostic:
// the Node tests (ESM and CommonJS) and the browser test hand it the package's API and the case
// files' text. Every problem found is returned as a sentence; an empty list means the case passed.

import { RawNumber, parseExact, sameJson, stringifyExact, toPlain } from './exact-json.mjs';

/** Case files: every `*.json` of tests/corpus except `pending-bugs.json` (not run as a case file). */
export function isCaseFile(name) {
  return name.endsWith('.json') && name !== 'pending-bugs.json';
}

/** The cases of one file's text, numbers kept exact (for `exact_numbers` cases). */
export function readCases(text) {
  const cases = parseExact(text);
  if (!Array.isArray(cases)) throw new Error('a case file must be a JSON array of cases');
  return cases;
}

const DECISION_FIELDS = ['rule', 'message', 'pointer', 'retry_after_ms'];
const LIST_FIELDS = ['explain', 'counters'];

function show(v) {
  return v === undefined ? 'undefined' : stringifyExact(v);
}

/** Compares the listed fields of each expected item with the item at the same index. */
function sameListedItems(expected, got) {
  if (!Array.isArray(got) || expected.length !== got.length) return false;
  return expected.every((item, k) => Object.keys(item).every((f) => sameJson(item[f], got[k][f])));
}

/** Checks one decision (parsed with exact numbers) against an expect entry. */
function checkDecision(where, expect, decision, problems) {
  if (decision.outcome !== expect.decision) {
    problems.push(`${where}: outcome \`${decision.outcome}\`, expected \`${expect.decision}\` (${expect.why}); rule \`${decision.rule}\`, message \`${decision.message}\``);
    return;
  }
  for (const f of DECISION_FIELDS) {
    if (Object.hasOwn(expect, f) && !sameJson(expect[f], decision[f])) {
      problems.push(`${where}: ${f} ${show(decision[f])}, expected ${show(expect[f])}`);
    }
  }
  for (const f of LIST_FIELDS) {
    if (Object.hasOwn(expect, f) && !sameListedItems(expect[f], decision[f])) {
      problems.push(`${where}: ${f} ${show(decision[f])}, expected ${show(expect[f])}`);
    }
  }
}

function checkState(where, expect, engine, problems) {
  if (!Object.hasOwn(expect, 'state')) return;
  const state = engine.exportState();
  if (!sameListedItems(expect.state, state.counters)) {
    problems.push(`${where}: state ${show(state.counters)}, expected ${show(expect.state)}`);
  }
}

function describeError(e) {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** The policy as the constructor receives it: text exactly as the case gives it. */
export function policyInput(c) {
  if (Object.hasOwn(c, 'policy_text')) return c.policy_text;
  return stringifyExact(c.policy);
}

function checkInvalidPolicy(api, c, problems) {
  const expect = c.expect[0];
  const text = policyInput(c);
  let errors;
  try {
    new api.PolicyEngine(text);
    problems.push(`the policy was accepted; expected an error at \`${expect.path}\` (${expect.why})`);
    return;
  } catch (e) {
    if (!(e instanceof api.PolicyError) || !(e instanceof api.ToolgateError) || e.kind !== 'policy') {
      problems.push(`expected a PolicyError, got ${describeError(e)}`);
      return;
    }
    errors = e.errors;
  }
  const report = api.PolicyEngine.validate(text);
  if (report.valid || !sameJson(report.errors, errors)) {
    problems.push(`validate() and the constructor disagree: ${show(report.errors)} vs ${show(errors)}`);
  }
  const pointers = errors.map((x) => x.pointer);
  if (!pointers.includes(expect.path)) {
    problems.push(`no error at \`${expect.path}\` (${expect.why}); errors at ${show(pointers)}`);
  }
  for (const m of expect.errors ?? []) {
    const hit = errors.some(
      (x) =>
        x.pointer === m.pointer &&
        (m.line === undefined || sameJson(m.line, x.line)) &&
        (m.column === undefined || sameJson(m.column, x.column)) &&
        (m.message_contains === undefined || x.message.includes(m.message_contains)) &&
        (m.help_contains === undefined || (x.help ?? '').includes(m.help_contains)),
    );
    if (!hit) problems.push(`no error matches ${show(m)}; errors: ${show(errors)}`);
  }
  if (expect.error_count !== undefined && !sameJson(expect.error_count, errors.length)) {
    problems.push(`${errors.length} errors, expected ${show(expect.error_count)}: ${show(errors)}`);
  }
  for (const x of errors) {
    if (typeof x.pointer !== 'string' || typeof x.message !== 'string' || !('line' in x) || !('column' in x)) {
      problems.push(`an error lacks {pointer, message, line, column}: ${show(x)}`);
    }
  }
}

function checkToolsList(api, c, problems) {
  const spec = c.tools_list;
  const engine = new api.PolicyEngine(policyInput(c));
  if (Object.hasOwn(spec, 'upstream')) {
    const result = { tools: spec.upstream.map((name) => ({ name, description: `the ${name} tool` })), nextCursor: 'next' };
    const filtered = engine.filterTools(result);
    const names = filtered.tools.map((t) => t.name);
    if (!sameJson(names, spec.visible)) problems.push(`tools_list: visible ${show(names)}, expected ${show(spec.visible)}`);
    if (filtered.nextCursor !== 'next') problems.push('tools_list: nextCursor was not kept');
    for (const name of spec.upstream) {
      if (engine.isVisible(name) !== spec.visible.includes(name)) problems.push(`tools_list: isVisible(${name}) disagrees with filtering`);
    }
    return;
  }
  if (Object.hasOwn(spec, 'filtered')) {
    const out = engine.filterTools(spec.raw);
    if (out !== spec.filtered) problems.push(`tools_list: filtered text ${JSON.stringify(out)}, expected ${JSON.stringify(spec.filtered)}`);
    let asObject;
    try {
      asObject = JSON.parse(spec.raw);
    } catch {
      return;
    }
    const parsed = engine.filterTools(asObject);
    if (!sameJson(parsed, JSON.parse(spec.filtered))) problems.push(`tools_list: filtering the parsed object gave ${show(parsed)}`);
    return;
  }
  try {
    engine.filterTools(spec.raw);
    problems.push(`tools_list: ${JSON.stringify(spec.raw)} was filtered; expected an error at \`${spec.error.pointer}\``);
  } catch (e) {
    if (!(e instanceof api.ToolgateError) || e.kind !== 'tools') {
      problems.push(`tools_list: expected a ToolgateError of kind tools, got ${describeError(e)}`);
      return;
    }
    const x = e.errors[0];
    const want = spec.error;
    if (
      x.pointer !== want.pointer ||
      (want.line !== undefined && !sameJson(want.line, x.line)) ||
      (want.column !== undefined && !sameJson(want.column, x.column))
    ) {
      problems.push(`tools_list: error ${show(e.errors)}, expected ${show(want)}`);
    }
  }
}

/** The call as the package takes it: plain values, or JSON text when numbers must stay exact. */
function callInput(step, exact) {
  const call = { tool: step.tool, at_ms: toPlain(step.at_ms) };
  if (step.grant !== undefined) call.grant = step.grant;
  if (Object.hasOwn(step, 'args')) {
    if (exact) call.args_json = stringifyExact(step.args);
    else call.args = toPlain(step.args);
  }
  return call;
}

/** Evaluates through the public API; for exact cases through the JSON-text variants. */
function decideStep(engine, call, exact, dry) {
  if (exact) return parseExact(dry ? engine.checkJson(call) : engine.evaluateJson(call));
  return dry ? engine.check(call) : engine.evaluate(call);
}

function runCalls(api, c, problems) {
  const exact = c.exact_numbers === true;
  const policy = policyInput(c);
  let engine = new api.PolicyEngine(policy);
  let currentPolicy = policy;
  const decisions = [];
  const plainDecisions = [];
  c.calls.forEach((step, i) => {
    const expect = c.expect[i];
    const where = `step ${i}`;
    if (expect === undefined) {
      problems.push(`${where}: no expect entry`);
      return;
    }
    if (Object.hasOwn(step, 'release')) {
      const d = plainDecisions[toPlain(step.release)];
      if (d === undefined) problems.push(`${where}: release of unknown call ${show(step.release)}`);
      else engine.release(d);
      checkState(where, expect, engine, problems);
      return;
    }
    if (Object.hasOwn(step, 'set_policy')) {
      currentPolicy = stringifyExact(step.set_policy);
      engine.setPolicy(currentPolicy);
      checkState(where, expect, engine, problems);
      return;
    }
    if (Object.hasOwn(step, 'restart')) {
      const saved = JSON.stringify(engine.exportState());
      engine.free();
      engine = new api.PolicyEngine(currentPolicy);
      engine.importState(JSON.parse(saved));
      checkState(where, expect, engine, problems);
      return;
    }
    const call = callInput(step, exact);
    const before = engine.exportState();
    const dry = decideStep(engine, call, exact, true);
    // The object the package builds is the JSON text's, field order included.
    if (!exact && JSON.stringify(dry) !== JSON.stringify(JSON.parse(engine.checkJson(call)))) {
      problems.push(`${where}: check() and checkJson() disagree: ${JSON.stringify(dry)} vs ${engine.checkJson(call)}`);
    }
    if (!sameJson(engine.exportState(), before)) problems.push(`${where}: check() changed the counters`);
    const d = decideStep(engine, call, exact, false);
    if (!sameJson(dry, d)) problems.push(`${where}: check() said ${show(dry)}, evaluate() ${show(d)}`);
    if (d.outcome !== 'allow' && !sameJson(engine.exportState(), before)) {
      problems.push(`${where}: a refused call (${d.outcome}) changed the counters`);
    }
    checkDecision(where, expect, d, problems);
    decisions.push(d);
    const plain = exact ? JSON.parse(stringifyExact(d)) : d;
    plainDecisions[i] = plain;
    if (step.upstream_error === true) engine.release(plain);
    checkState(where, expect, engine, problems);
  });
  return { engine, decisions, policy: currentPolicy };
}

/** The latest time a trace accepts (9999-12-31T23:59:59.999Z). */
const MAX_TRACE_MS = 253_402_300_799_999;

/**
 * The case's calls as a trace, when the trace format can express them: only plain calls (no
 * release/set_policy/restart steps), non-empty tool and grant names, times in order and before
 * year 10000 (a trace refuses the rest as errors; evaluate() takes them).
 */
export function asTrace(c) {
  let prev = -1;
  for (const s of c.calls) {
    if (!Object.hasOwn(s, 'tool') || s.tool === '' || s.grant === '') return null;
    const t = toPlain(s.at_ms);
    if (t < prev || t > MAX_TRACE_MS) return null;
    prev = t;
  }
  return c.calls.map((s) => {
    const t = { tool: s.tool, at_ms: s.at_ms };
    if (Object.hasOwn(s, 'args')) t.args = s.args;
    if (s.grant !== undefined) t.grant = s.grant;
    if (s.upstream_error !== undefined) t.upstream_error = s.upstream_error;
    return t;
  });
}

/** simulate() of the calls gives the decisions that evaluate() gave, call by call. */
function checkSimulation(api, c, decisions, problems) {
  const trace = asTrace(c);
  // A trace's `args` must be objects (a non-object is a trace error, not a call to refuse).
  if (trace === null || trace.some((t) => t.args !== undefined && (t.args === null || typeof t.args !== 'object' || Array.isArray(t.args)))) {
    return;
  }
  const engine = new api.PolicyEngine(policyInput(c));
  const sim = parseExact(JSON.stringify(engine.simulate(stringifyExact(trace))));
  const simExact = c.exact_numbers === true ? null : engine.simulate(toPlain(trace));
  if (simExact !== null && !sameJson(toPlain(sim), simExact)) problems.push('simulate(): the trace as text and as objects disagree');
  if (simExact !== null && JSON.stringify(simExact) !== JSON.stringify(JSON.parse(engine.simulateJson(toPlain(trace))))) {
    problems.push('simulate() and simulateJson() disagree');
  }
  if (sim.decisions.length !== decisions.length) {
    problems.push(`simulate(): ${sim.decisions.length} decisions for ${decisions.length} calls`);
    return;
  }
  sim.decisions.forEach((s, i) => {
    const { index, tool, grant, at_ms, ...decision } = s;
    const step = c.calls[i];
    if (toPlain(index) !== i || tool !== step.tool || grant !== (step.grant ?? 'default') || !sameJson(at_ms, step.at_ms)) {
      problems.push(`simulate(): decision ${i} is labelled ${show({ index, tool, grant, at_ms })}`);
    }
    // Exact cases compare after JSON.parse on both sides (simulate() returns parsed objects).
    const want = c.exact_numbers === true ? parseExact(JSON.stringify(toPlain(decisions[i]))) : decisions[i];
    if (!sameJson(decision, want)) problems.push(`simulate(): decision ${i} is ${show(decision)}, evaluate() gave ${show(want)}`);
  });
  const counts = { allow: 0, deny: 0, hidden: 0, rate_limited: 0 };
  for (const d of decisions) counts[d.outcome]++;
  const s = toPlain(sim.summary);
  if (s.calls !== decisions.length || s.allowed !== counts.allow || s.denied !== counts.deny || s.hidden !== counts.hidden || s.rate_limited !== counts.rate_limited) {
    problems.push(`simulate(): summary ${show(sim.summary)} does not count the decisions ${show(counts)}`);
  }
}

/** Export → import into a fresh engine → the same state and the same decisions afterwards. */
function checkStateRoundTrip(api, c, engine, policy, problems) {
  const snapshot = engine.exportState();
  const fresh = new api.PolicyEngine(policy);
  fresh.importState(JSON.parse(JSON.stringify(snapshot)));
  if (!sameJson(fresh.exportState(), snapshot)) problems.push(`state round trip: ${show(fresh.exportState())} after importing ${show(snapshot)}`);
  const trace = asTrace(c);
  if (trace === null || c.exact_numbers === true) return;
  // The same calls again, one minute later: both engines must decide alike from the shared state.
  for (const t of trace) {
    const call = { tool: t.tool, at_ms: toPlain(t.at_ms) + 60_000, grant: t.grant, args: toPlain(t.args) };
    if (call.grant === undefined) delete call.grant;
    if (call.args === undefined) delete call.args;
    const a = engine.evaluate(call);
    const b = fresh.evaluate(call);
    if (!sameJson(a, b)) {
      problems.push(`state round trip: after import, ${t.tool} gave ${show(b)}; the original engine ${show(a)}`);
      return;
    }
  }
}

/** Runs one case; returns its problems (empty = passed). */
export function runCase(api, c) {
  const problems = [];
  try {
    if (c.expect[0]?.decision === 'invalid_policy') {
      checkInvalidPolicy(api, c, problems);
      return problems;
    }
    if (c.tools_list !== undefined) checkToolsList(api, c, problems);
    if (c.expect.length !== c.calls.length) problems.push(`${c.calls.length} steps but ${c.expect.length} expect entries`);
    const { engine, decisions, policy } = runCalls(api, c, problems);
    checkSimulation(api, c, decisions, problems);
    checkStateRoundTrip(api, c, engine, policy, problems);
  } catch (e) {
    problems.push(`threw ${describeError(e)}`);
  }
  return problems;
}

export { RawNumber };
