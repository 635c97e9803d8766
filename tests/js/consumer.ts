// Compiled by `tsc --noEmit --strict` (tests/js/tsconfig.json) against the packed package's types:
// a gateway author's code must type-check, and each `@ts-expect-error` line must really be an
// error (tsc fails on an unused one) — the types are exact, not `any`.
import {
  PolicyEngine,
  PolicyError,
  ToolgateError,
  denialResult,
  init,
  version,
  type Call,
  type CounterSnapshot,
  type Decision,
  type PolicyDocument,
  type SimulationResult,
  type ToolsListResult,
  type ValidationError,
  type ValidationReport,
} from 'toolgate';

const policy: PolicyDocument = {
  version: '1',
  default: 'deny',
  hide: ['delete_customer'],
  all_tools: { limits: [{ counter: 'calls', window: 'minute', max: 120 }] },
  tools: {
    list_customers: {},
    create_refund: {
      require: ['args.reason', { conditions: [{ path: 'args.currency', op: 'in', value: ['EUR', 'USD'] }] }],
      deny_if: [{ conditions: [{ path: 'args.amount', op: 'gt', value: 10000 }], on_deny: 'Refunds over 10000 need a human.' }],
      limits: [{ counter: 'refunds', window: 'hour', max: 20, scope: 'grant' }],
    },
  },
};

const engine = new PolicyEngine(policy);
new PolicyEngine('{"version": "1", "default": "deny"}');
new PolicyEngine(null);

// @ts-expect-error: the version is the string "1"
new PolicyEngine({ version: '2', default: 'deny' });
// @ts-expect-error: `default` is allow or deny
new PolicyEngine({ version: '1', default: 'maybe' });
// @ts-expect-error: `gt` takes a number
const badCondition: PolicyDocument = { version: '1', default: 'deny', tools: { t: { deny_if: [{ conditions: [{ path: 'args.a', op: 'gt', value: 'big' }] }] } } };
// @ts-expect-error: windows are minute, hour or day
const badWindow: PolicyDocument = { version: '1', default: 'deny', all_tools: { limits: [{ counter: 'c', window: 'week', max: 1 }] } };

const call: Call = { tool: 'create_refund', args: { amount: 50_000, reason: 'late' }, grant: 'alice', at_ms: Date.now() };
const d: Decision = engine.evaluate(call);

switch (d.outcome) {
  case 'allow': {
    const empty: '' = d.rule;
    const none: null = d.pointer;
    void [empty, none];
    break;
  }
  case 'rate_limited': {
    const wait: number = d.retry_after_ms;
    const at: string = d.pointer;
    void [wait, at];
    break;
  }
  case 'hidden': {
    const rule: '(hidden)' = d.rule;
    void rule;
    break;
  }
  case 'deny': {
    const at: string | null = d.pointer;
    void at;
    break;
  }
  default: {
    const never: never = d;
    void never;
  }
}

// @ts-expect-error: retry_after_ms is null unless the outcome is rate_limited
d.retry_after_ms.toFixed();
// @ts-expect-error: there is no such outcome
if (d.outcome === 'denied') console.log('never');

for (const c of d.counters) {
  const left: number = c.max - c.used;
  const w: 'minute' | 'hour' | 'day' = c.window;
  void [left, w];
}
for (const e of d.explain) {
  const holds: boolean = e.holds;
  void holds;
}

// @ts-expect-error: `tool` is a string
engine.evaluate({ tool: 5 });
// @ts-expect-error: arguments as a value or as JSON text, not both
engine.evaluate({ tool: 't', args: {}, args_json: '{}' });
const raw: string = engine.evaluateJson({ tool: 't', args_json: '{"n": 18446744073709551615}' });
const dry: Decision = engine.check({ tool: 'list_customers' });
void [raw, dry];

if (d.outcome !== 'allow') {
  const answer = denialResult(d);
  const text: string = answer.content[0].text;
  const isError: true = answer.isError;
  void [text, isError];
} else {
  const released: number = engine.release(d);
  void released;
}
// @ts-expect-error: an allowed decision is not a denial
denialResult(engine.evaluate({ tool: 'x' }));

const list: ToolsListResult = { tools: [{ name: 'a', inputSchema: { type: 'object' } }, { name: 'b' }], nextCursor: 'n' };
const filtered: ToolsListResult = engine.filterTools(list);
const filteredText: string = engine.filterTools(JSON.stringify(list));
const response = engine.filterTools({ jsonrpc: '2.0', id: 1, result: list });
const kept: string | undefined = response.result.tools[0]?.name;
void [filtered, filteredText, kept];

const report: ValidationReport = PolicyEngine.validate(policy, list);
if (report.valid) {
  // @ts-expect-error: a valid report has no errors
  report.errors[0].pointer;
  for (const w of report.warnings) {
    const code: 'unknown-tool' | 'unknown-arg' | 'type-mismatch' | 'optional-arg-deny' | 'numeric-condition-on-string' | 'unreachable-rules' | 'everything-denied' | 'counter-max-mismatch' = w.code;
    void code;
  }
} else {
  const first: ValidationError = report.errors[0];
  const line: number | null = first.line;
  void line;
}

const sim: SimulationResult = engine.simulate([
  { tool: 'list_customers', at_ms: 0 },
  { tool: 'create_refund', arguments: { amount: 5 }, after_ms: 1000, upstream_error: true },
  { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'create_refund', arguments: { amount: 1 } } },
]);
const firstIndex: number | undefined = sim.decisions[0]?.index;
const allowed: number = sim.summary.allowed;
const perTool: number | undefined = sim.summary.by_tool['create_refund']?.rate_limited;
engine.simulate('{"tool": "a"}\n{"tool": "b"}');
// @ts-expect-error: a trace call needs a tool
engine.simulate([{ at_ms: 5 }]);
void [firstIndex, allowed, perTool];

const state: CounterSnapshot = engine.exportState();
const version1: 1 = state.version;
engine.importState(state);
engine.importState(JSON.stringify(state));
// @ts-expect-error: a snapshot, not a number
engine.importState(5);
void version1;

try {
  engine.setPolicy('{"version": "1"}');
} catch (e) {
  if (e instanceof PolicyError) {
    const kind: 'policy' = e.kind;
    const pointers: string[] = e.errors.map((x) => x.pointer);
    void [kind, pointers];
  } else if (e instanceof ToolgateError) {
    const kind: 'policy' | 'call' | 'decision' | 'plan' | 'tools' | 'trace' | 'state' | 'init' | 'trap' | 'old_policy' | 'new_policy' | 'tests' = e.kind;
    void kind;
  }
}
// @ts-expect-error: errors are thrown by the package, not built by users
new ToolgateError();

const ready: Promise<void> = init();
const v: string = version();
const visible: boolean = engine.isVisible('a');
const attached: boolean = engine.hasPolicy;
void [ready, v, visible, attached, badCondition, badWindow];
engine.resetCounters();
engine.free();
