// Types of the `toolgate` npm package. Written by hand, and never drifting from the Rust wire
// types: `tsc --noEmit --strict` checks them against tests/js/consumer.ts (a gateway author's code)
// and tests/js/wire-samples.ts — every wire type as the facade (wasm/) writes it, one sample per
// variant, held to the facade's real output by a Rust test (`cargo test -p toolgate-wasm`).

// ---------------------------------------------------------------- JSON

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

// ---------------------------------------------------------------- policy.json

/** Condition operators (policy-format §4). */
export type Op = 'eq' | 'neq' | 'in' | 'not_in' | 'lt' | 'lte' | 'gt' | 'gte' | 'regex' | 'contains' | 'exists';
/** Fixed UTC windows. */
export type Window = 'minute' | 'hour' | 'day';

/** `{ "path": "args.<dot.path>", "op": <op>, "value": <json> }`. */
export type Condition =
  | { path: string; op: 'eq' | 'neq' | 'contains'; value: JsonValue }
  | { path: string; op: 'in' | 'not_in'; value: JsonValue[] }
  | { path: string; op: 'lt' | 'lte' | 'gt' | 'gte'; value: number }
  | { path: string; op: 'regex'; value: string }
  | { path: string; op: 'exists'; value: boolean };

/** Conditions are ANDed; an empty list matches every call. */
export interface Rule {
  conditions: Condition[];
  on_deny?: string;
}

/** A rule, or the shorthand `"args.<path>"` (the argument must be present and not null). */
export type RequireEntry = string | Rule;

/** A quota: at most `max` calls per fixed `window`, per grant. */
export interface Limit {
  counter: string;
  window: Window;
  max: number;
  scope?: 'grant';
  on_deny?: string;
}

/** The rules of one tool; `{}` allows it. */
export interface ToolRules {
  require?: RequireEntry[];
  deny_if?: Rule[];
  limits?: Limit[];
}

/** A whole policy.json document. */
export interface PolicyDocument {
  $schema?: string;
  version: '1';
  default: 'allow' | 'deny';
  hide?: string[];
  all_tools?: { limits?: Limit[] };
  tools?: { [tool: string]: ToolRules };
}

/** What a PolicyEngine accepts as its policy: policy.json text, a document, or `null` (no policy attached). */
export type PolicyInput = string | PolicyDocument | null;

// ---------------------------------------------------------------- errors

/** One problem, as the CLI reports it (`toolgate check --format json`). */
export interface ValidationError {
  /** RFC 6901 pointer to the offending node (`""` for the root). */
  pointer: string;
  /** What is wrong. */
  message: string;
  /** 1-based line in the JSON text (for a policy object: in `JSON.stringify(policy, null, 2)`); `null` when unknown. */
  line: number | null;
  /** 1-based column; `null` when unknown. */
  column: number | null;
  /** A hint such as "did you mean `deny_if`?". */
  help?: string;
}

/** Stable lint codes (the first four need the server's tool list). */
export type WarningCode =
  | 'unknown-tool'
  | 'unknown-arg'
  | 'type-mismatch'
  | 'optional-arg-deny'
  | 'numeric-condition-on-string'
  | 'unreachable-rules'
  | 'everything-denied'
  | 'counter-max-mismatch';

/** A lint warning: the policy is valid but probably not what was meant. */
export interface Warning {
  code: WarningCode;
  pointer: string;
  message: string;
  help?: string;
}

/** The result of `PolicyEngine.validate`. */
export type ValidationReport =
  | { valid: true; errors: []; warnings: Warning[] }
  | { valid: false; errors: [ValidationError, ...ValidationError[]]; warnings: Warning[] };

/**
 * Which input a ToolgateError is about; `trap`: the wasm module trapped during the call — the
 * engine was rebuilt with its policy and counters, and the call was not decided (refuse it).
 */
export type ErrorKind = 'policy' | 'call' | 'decision' | 'plan' | 'tools' | 'trace' | 'state' | 'init' | 'trap' | ReviewErrorKind;

/** Every error this package throws: typed, with the CLI's list of located problems. */
export class ToolgateError extends Error {
  protected constructor();
  readonly name: 'ToolgateError' | 'PolicyError';
  readonly kind: ErrorKind;
  readonly errors: ValidationError[];
}

/** The policy is not valid (thrown by the constructor and `setPolicy`). */
export class PolicyError extends ToolgateError {
  private constructor();
  readonly name: 'PolicyError';
  readonly kind: 'policy';
}

// ---------------------------------------------------------------- decisions

/** One evaluated condition of the deciding entry. */
export interface Explain {
  path: string;
  op: Op;
  expected: JsonValue;
  /** The argument's value, `null` when absent. */
  actual: JsonValue;
  holds: boolean;
}

/** A counter's state after a call. */
export interface CounterState {
  counter: string;
  grant: string;
  window: Window;
  /** Start of the window the call fell in (Unix ms, UTC). */
  window_start_ms: number;
  /** Calls charged in that window, after this call. */
  used: number;
  max: number;
}

/** The call may be forwarded (its quota is charged). */
export interface AllowDecision {
  outcome: 'allow';
  rule: '';
  pointer: null;
  message: '';
  retry_after_ms: null;
  explain: Explain[];
  counters: CounterState[];
}

/** Refused by a rule, by `default: "deny"`, for arguments that are not an object, or because no policy is attached. */
export interface DenyDecision {
  outcome: 'deny';
  /** `(no policy)`, `(default deny)`, `(invalid arguments)` or `/tools/<tool>/require|deny_if/<id>`. */
  rule: string;
  /** Pointer to the deciding entry; `null` when no entry decided. */
  pointer: string | null;
  message: string;
  retry_after_ms: null;
  explain: Explain[];
  counters: CounterState[];
}

/** The tool is hidden by the policy. */
export interface HiddenDecision {
  outcome: 'hidden';
  rule: '(hidden)';
  pointer: null;
  message: string;
  retry_after_ms: null;
  explain: Explain[];
  counters: CounterState[];
}

/** A quota is exhausted for the current window. */
export interface RateLimitedDecision {
  outcome: 'rate_limited';
  /** `/tools/<tool>/limits/<counter>` or `/all_tools/limits/<counter>`. */
  rule: string;
  pointer: string;
  message: string;
  /** Milliseconds until the refusing window ends. */
  retry_after_ms: number;
  explain: Explain[];
  counters: CounterState[];
}

/** The answer for one `tools/call`, discriminated on `outcome`. */
export type Decision = AllowDecision | DenyDecision | HiddenDecision | RateLimitedDecision;
/** Every outcome but allow. */
export type RefusedDecision = DenyDecision | HiddenDecision | RateLimitedDecision;
/** `allow | deny | hidden | rate_limited`. */
export type Outcome = Decision['outcome'];

/** One `tools/call` to decide. */
export type Call = {
  tool: string;
  /** Caller identity: counters are kept per grant. Default `"default"`. */
  grant?: string;
  /** Unix epoch milliseconds (a whole number from 0 to 2^53-1); default `Date.now()`. */
  at_ms?: number;
} & (
  | {
      /** The call's `arguments`; absent = `{}`. Anything but an object is denied by the engine (fail closed). */
      args?: JsonValue;
      args_json?: never;
    }
  | {
      /** The call's `arguments` as JSON text, passed on unparsed (exact integers beyond 2^53, no `JSON.stringify`). */
      args_json: string;
      args?: never;
    }
);

// ---------------------------------------------------------------- plans (host-side counter stores)

/** One limit that applies to a planned call, in the engine's order (the tool's, then `all_tools`'). */
export interface PlannedLimit {
  counter: string;
  window: Window;
  /** The window's length in ms (60 000, 3 600 000 or 86 400 000). */
  window_ms: number;
  /** Start of the call's window (Unix ms, UTC): `at_ms − (at_ms mod window_ms)`. */
  window_start_ms: number;
  max: number;
  /** Rule id of the refusal this limit gives (`/tools/<tool>/limits/<counter>` or `/all_tools/limits/<counter>`). */
  rule: string;
  /** Pointer to the limit entry. */
  pointer: string;
  /** The refusal's message (`on_deny` or the default). */
  message: string;
}

/** A counter an allowed call charges once (the first limit of each counter name). */
export interface PlannedCharge {
  counter: string;
  window: Window;
  window_ms: number;
  window_start_ms: number;
}

/** Decided without counters: refused by a rule (or no policy), or allowed with no limit applying. Nothing to reserve. */
export interface FinalPlan {
  kind: 'final';
  decision: Decision;
}

/** The call passed every rule: the store checks and reserves its limits, then `finish` decides. */
export interface ReservePlan {
  kind: 'reserve';
  tool: string;
  grant: string;
  at_ms: number;
  /** Every limit that applies. */
  limits: PlannedLimit[];
  /** The distinct counters an allowed call charges, once each. */
  charges: PlannedCharge[];
}

/** What `plan` returns. */
export type Plan = FinalPlan | ReservePlan;

// ---------------------------------------------------------------- state

/** One counter of a snapshot. */
export interface CounterEntry {
  grant: string;
  counter: string;
  window: Window;
  window_start_ms: number;
  used: number;
  /** Calls charged in the window before (kept for late calls); absent when 0. */
  previous_used?: number;
}

/** Serialisable counter state, sorted by grant then counter. */
export interface CounterSnapshot {
  version: 1;
  counters: CounterEntry[];
}

// ---------------------------------------------------------------- tools/list

/** One tool of a `tools/list` result; other fields are kept as they are. */
export interface Tool {
  name: string;
  title?: string;
  description?: string;
  inputSchema?: JsonObject;
  annotations?: JsonObject;
  [key: string]: unknown;
}

/** An MCP `tools/list` result. */
export interface ToolsListResult {
  tools: Tool[];
  nextCursor?: string;
  [key: string]: unknown;
}

/** A JSON-RPC response carrying a `tools/list` result. */
export interface ToolsListResponse {
  jsonrpc: '2.0';
  id: string | number | null;
  result: ToolsListResult;
}

// ---------------------------------------------------------------- traces and simulation

/** One call of a trace (interfaces.md § Trace). */
export interface TraceCall {
  tool: string;
  args?: JsonObject;
  /** Alias of `args`. */
  arguments?: JsonObject;
  /** Unix ms. */
  at_ms?: number;
  /** RFC 3339 time, as MCP logs write it. */
  ts?: string;
  /** Milliseconds after the previous call. */
  after_ms?: number;
  grant?: string;
  /** The call was forwarded and the upstream failed: its quota is released. */
  upstream_error?: boolean;
}

/** A JSON-RPC `tools/call` request, read as a call. */
export interface TraceRequest {
  jsonrpc: '2.0';
  id?: string | number | null;
  method: 'tools/call';
  params: { name: string; arguments?: JsonObject };
  at_ms?: number;
}

/** A trace: calls, `{start_ms?, calls}`, or text (JSON, or JSON Lines). */
export type Trace = Array<TraceCall | TraceRequest> | { start_ms?: number; calls: Array<TraceCall | TraceRequest> } | string;

/** What a decision of a simulation also says about its call. */
export interface SimulatedCall {
  index: number;
  tool: string;
  grant: string;
  at_ms: number;
}

/** A decision of a simulation. */
export type SimDecision = Decision & SimulatedCall;

/** Counts per outcome. */
export interface ToolSummary {
  calls: number;
  allowed: number;
  denied: number;
  hidden: number;
  rate_limited: number;
}

/** Counts per outcome, in total and per tool. */
export interface Summary extends ToolSummary {
  by_tool: { [tool: string]: ToolSummary };
}

/** The result of `simulate`. */
export interface SimulationResult {
  decisions: SimDecision[];
  summary: Summary;
}

// ---------------------------------------------------------------- MCP answers

/** The `tools/call` result a gateway answers a refused call with. */
export interface DenialResult {
  content: [{ type: 'text'; text: string }];
  isError: true;
}

// ---------------------------------------------------------------- the engine

/** A policy with its rate-limit counters: what a gateway keeps per upstream server. */
export class PolicyEngine {
  /**
   * @param policy policy.json text, a policy document, or `null` (no policy attached: every call is denied).
   * @throws {PolicyError} with every problem found.
   */
  constructor(policy: PolicyInput);

  /** Validates a policy and, given the server's `tools/list` result, lints it against the tools. Never throws for an invalid policy. */
  static validate(policy: PolicyInput, tools?: ToolsListResult | ToolsListResponse | Tool[] | string): ValidationReport;

  /** Decides a call and, when allowed, charges its quota. */
  evaluate(call: Call): Decision;

  /** `evaluate`, returning the Decision as JSON text (exact integers beyond 2^53; no parsing cost). */
  evaluateJson(call: Call): string;

  /** Decides a call without charging quota (a dry run): counters show what `evaluate` would leave. */
  check(call: Call): Decision;

  /** `check`, returning the Decision as JSON text. */
  checkJson(call: Call): string;

  /**
   * The upstream answered an allowed call with a JSON-RPC error: gives its quota back in the window
   * it was charged in, at most once. Pass the object `evaluate` returned: releasing it again (or a
   * copy of it) gives nothing. A copy that lost its identity (a JSON round trip, `evaluateJson`) is
   * matched by content and released at most once per content. Returns how many counters were released.
   */
  release(decision: Decision): number;

  /**
   * Decides everything a call needs except its counters; charges nothing. For a host that keeps
   * counters in a shared store: reserve a `reserve` plan's limits there, then call `finish`.
   */
  plan(call: Call): Plan;

  /**
   * The Decision of a `reserve` plan from the store's counts: `used[i]` = calls already counted for
   * `plan.limits[i]` in the call's window before this call (a window too old to be known counts as
   * `max`). Equals what `evaluate` decides on the same counters.
   * @throws {ToolgateError} kind `plan` for a plan that is not `reserve` or counts that do not match its limits.
   */
  finish(plan: ReservePlan, used: readonly number[]): Decision;

  /** Removes hidden tools; every other field is kept. Text in, text out (byte for byte). */
  filterTools<T extends ToolsListResult | ToolsListResponse>(result: T): T;
  filterTools(result: string): string;

  /** Whether `tools/list` shows this tool. */
  isVisible(tool: string): boolean;

  /** Runs a trace on fresh counters with this engine's policy; the engine's own counters are untouched. */
  simulate(trace: Trace): SimulationResult;

  /** `simulate`, returning the result as JSON text (exact integers beyond 2^53; no parsing cost). */
  simulateJson(trace: Trace): string;

  /** The counters, to persist or share. */
  exportState(): CounterSnapshot;

  /** Replaces the counters with a snapshot (all or nothing). */
  importState(snapshot: CounterSnapshot | string): void;

  /** Replaces the policy and keeps the counters (hot reload). */
  setPolicy(policy: PolicyInput): void;

  /** Whether a policy is attached. */
  readonly hasPolicy: boolean;

  /** Forgets every counter. */
  resetCounters(): void;

  /** Frees the engine's wasm memory now; the engine is unusable afterwards. */
  free(): void;
}

/** The MCP `tools/call` result for a refused call: `[POLICY DENIED] <message>`, `isError: true`. */
export function denialResult(decision: RefusedDecision): DenialResult;

/** The engine's version. */
export function version(): string;

// ---------------------------------------------------------------- policy change safety (review)

/** Error kinds of `diff` (`old_policy`, `new_policy`, `trace`) and `runTests` (`policy`, `tests`). */
export type ReviewErrorKind = 'old_policy' | 'new_policy' | 'tests';

/** Rule entries (JSON pointers) added to, removed from (pointer into the old policy) and changed in the new policy. */
export interface RuleDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

/** `"<before outcome>-><after outcome>"`; the same outcome twice when only the deciding rule changes. */
export type Transition = `${Outcome}->${Outcome}`;

/** A call whose decision changes (outcome or rule), with both decisions. */
export interface DecisionChange extends SimulatedCall {
  before: Decision;
  after: Decision;
}

/** Counts of a replay through both policies. */
export interface DiffSummary {
  calls: number;
  changed: number;
  transitions: { [T in Transition]?: number };
  /** Outcome counts under the old policy. */
  before: Summary;
  /** Outcome counts under the new policy. */
  after: Summary;
}

/** The result of `diff` (the CLI's `toolgate diff --format json`). */
export interface PolicyDiff {
  rules: RuleDiff;
  /** Whether a trace was replayed (without one, `changes` is empty and `summary` counts nothing). */
  replayed: boolean;
  changes: DecisionChange[];
  summary: DiffSummary;
}

/** Hits of one rule entry: how many calls it decided. */
export interface CoverageEntry {
  pointer: string;
  /** The decisions' rule id, or `(default deny)`, `(default allow)`, `(hidden)`, `(allowed)`. */
  rule: string;
  hits: number;
}

/** Hits per rule entry, and the pointers of the entries no call reached. */
export interface Coverage {
  entries: CoverageEntry[];
  uncovered: string[];
}

/** What a test call is expected to get; `rule` and `message` are compared exactly when given. */
export interface Expect {
  outcome: Outcome;
  rule?: string;
  message?: string;
}

/** A call of a test: any trace call, with an optional expectation. */
export type TestCall = (TraceCall | TraceRequest) & { expect?: Expect };

/** A test file: `toolgate test` and `runTests` read it. */
export interface TestFile {
  $schema?: string;
  tests: Array<{ name: string; calls: TestCall[] }>;
}

/** Where something is in a test file. */
export interface TestLocation {
  pointer: string;
  line: number;
  column: number;
}

/** A checked call that did not get its expected decision. */
export interface CallFailure {
  index: number;
  at: TestLocation;
  tool: string;
  grant: string;
  at_ms: number;
  mismatched: Array<'outcome' | 'rule' | 'message'>;
  expected: Expect;
  actual: Decision;
}

/** The result of one test. */
export interface TestResult {
  /** The test file, when several were run (the CLI). */
  file?: string;
  name: string;
  at: TestLocation;
  passed: boolean;
  calls: number;
  checked: number;
  failures: CallFailure[];
}

/** The result of `runTests` (the CLI's `toolgate test --format json`). */
export interface TestReport {
  tests: TestResult[];
  passed: number;
  failed: number;
  /** With `{coverage: true}`. */
  coverage?: Coverage;
}

/**
 * Compares two versions of a policy: the rule-level difference and, with a trace, every call whose
 * decision changes (each policy replayed with its own counters, from empty). Throws a ToolgateError
 * of kind `old_policy`, `new_policy` or `trace` for an invalid input.
 */
export function diff(oldPolicy: PolicyInput, newPolicy: PolicyInput, trace?: Trace): PolicyDiff;

/**
 * Runs a test file against a policy, each test from empty counters. Throws a PolicyError for an
 * invalid policy, a ToolgateError of kind `tests` for an invalid test file.
 */
export function runTests(policy: PolicyInput, tests: TestFile | string, options?: { coverage?: boolean }): TestReport;

/** Where the wasm comes from, in a browser. */
export type InitInput = string | URL | Request | Response | BufferSource | WebAssembly.Module;

/**
 * Loads the wasm. Needed once in browsers (default: `toolgate_bg.wasm` beside the package's glue);
 * a no-op under Node, where loading is synchronous. Also loads the tools module (validate, simulate,
 * diff, runTests; default `toolgate_tools_bg.wasm` beside the glue) unless `options.tools` is `false`.
 */
export function init(source?: InitInput | Promise<Response>, options?: { tools?: InitInput | Promise<Response> | false }): Promise<void>;

/**
 * Loads the tools module (validate, simulate, diff, runTests) on its own, e.g. after
 * `init(source, { tools: false })`; a no-op under Node, where it is loaded on first use.
 */
export function initTools(source?: InitInput | Promise<Response>): Promise<void>;

/**
 * Loads the wasm synchronously from bytes or a compiled module (`tools`: the tools module's, when
 * validate, simulate, diff or runTests will be used); a no-op under Node.
 */
export function initSync(
  source:
    | { module: BufferSource | WebAssembly.Module; tools?: BufferSource | WebAssembly.Module }
    | BufferSource
    | WebAssembly.Module,
): void;
