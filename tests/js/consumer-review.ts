// Type check (tsc --noEmit, strict) of the policy change safety API: `diff` and `runTests`.
import {
  diff,
  runTests,
  type Coverage,
  type DecisionChange,
  type PolicyDiff,
  type TestFile,
  type TestReport,
  type Transition,
} from 'toolgate';

const d: PolicyDiff = diff('{"version": "1", "default": "deny"}', null, [{ tool: 'search', at_ms: 0 }]);
const bare: PolicyDiff = diff({ version: '1', default: 'allow' }, { version: '1', default: 'deny' });
const added: string[] = bare.rules.added;
const flips: number | undefined = d.summary.transitions['allow->deny'];
const t: Transition = 'rate_limited->rate_limited';
const first: DecisionChange | undefined = d.changes[0];
if (first !== undefined && first.after.outcome === 'rate_limited') {
  const retry: number = first.after.retry_after_ms;
  void retry;
}
const allowedBefore: number = d.summary.before.allowed;

const file: TestFile = {
  tests: [
    {
      name: 'refunds over 100 are denied',
      calls: [
        { tool: 'refund', args: { amount: 500 }, at_ms: 0, expect: { outcome: 'deny', rule: '/tools/refund/deny_if/args.amount-gt' } },
        { jsonrpc: '2.0', method: 'tools/call', params: { name: 'refund' }, expect: { outcome: 'allow' } },
        { tool: 'search' },
      ],
    },
  ],
};
const r: TestReport = runTests(null, file, { coverage: true });
const r2: TestReport = runTests('null', '{"tests": []}');
const cov: Coverage | undefined = r.coverage;
const hits: number[] = cov?.entries.map((e) => e.hits) ?? [];
const mismatched: Array<'outcome' | 'rule' | 'message'> = r.tests[0]?.failures[0]?.mismatched ?? [];
const line: number | undefined = r.tests[0]?.at.line;
void [added, flips, t, allowedBefore, r2, hits, mismatched, line];
