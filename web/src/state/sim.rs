//! Running a dry run in slices, so the page can show progress and stay responsive on 100 000
//! calls, and reading the results (filters, pages).
//!
//! A run is the engine's own simulator step ([`toolgate_engine::trace::step`]), call after call,
//! from empty counters — exactly what a gateway enforcing the policy would decide; the tests check
//! it against the engine's one-shot `simulate`. With a policy to compare with, the run is the
//! engine's diff replay ([`Replay`]: both policies, each with its own counters) and the table
//! marks the calls whose decision changes. Either way the engine's [`CoverageTally`] counts the
//! calls each rule entry decided.

use std::collections::BTreeSet;
use std::sync::Arc;

use toolgate_engine::decision::SmolStr;
use toolgate_engine::review::{
    Coverage, CoverageTally, DiffSummary, Replay, RuleDiff, decision_changed, diff_rules, transition,
};
use toolgate_engine::trace::{SimDecision, Simulation, Summary, TraceCall, step};
use toolgate_engine::{Decision, Engine, Outcome, Policy};

/// What a run replays through.
#[derive(Debug)]
enum Replayer {
    /// The policy alone.
    Single { engine: Engine, summary: Summary },
    /// The other version (before) and the policy (after), with the changed decisions so far.
    Compare { replay: Box<Replay>, changes: Vec<(usize, Decision)> },
}

/// A simulation in progress.
#[derive(Debug)]
pub struct SimRun {
    replayer: Replayer,
    coverage: CoverageTally,
    rules: Option<RuleDiff>,
    calls: Arc<Vec<TraceCall>>,
    decisions: Vec<SimDecision>,
}

impl SimRun {
    /// Starts a run from empty counters (`None`: no policy attached).
    pub fn new(policy: Option<Policy>, calls: Arc<Vec<TraceCall>>) -> Self {
        let coverage = CoverageTally::new(policy.as_ref());
        let replayer = Replayer::Single { engine: Engine::new(policy), summary: Summary::default() };
        SimRun { replayer, coverage, rules: None, decisions: Vec::with_capacity(calls.len()), calls }
    }

    /// Starts a run that also replays the calls through `before` (the version compared with),
    /// each policy with its own counters from empty.
    pub fn compare(before: Option<Policy>, policy: Option<Policy>, calls: Arc<Vec<TraceCall>>) -> Self {
        let coverage = CoverageTally::new(policy.as_ref());
        let rules = diff_rules(before.as_ref().map(Policy::doc), policy.as_ref().map(Policy::doc));
        let replay = Replay::new(before.as_ref(), policy.as_ref());
        let replayer = Replayer::Compare { replay: Box::new(replay), changes: Vec::new() };
        SimRun { replayer, coverage, rules: Some(rules), decisions: Vec::with_capacity(calls.len()), calls }
    }

    /// Evaluates up to `budget` more calls; true when every call is decided.
    pub fn step(&mut self, budget: usize) -> bool {
        let start = self.decisions.len();
        let end = start.saturating_add(budget).min(self.calls.len());
        for index in start..end {
            let Some(c) = self.calls.get(index) else { break };
            let decision = match &mut self.replayer {
                Replayer::Single { engine, summary } => step(engine, summary, c),
                Replayer::Compare { replay, changes } => {
                    let (before, after) = replay.step(c);
                    if decision_changed(&before, &after) {
                        changes.push((index, before));
                    }
                    after
                }
            };
            self.coverage.record(&c.tool, &decision);
            self.decisions.push(SimDecision {
                index,
                tool: SmolStr::new(&c.tool),
                grant: SmolStr::new(&c.grant),
                at_ms: c.at_ms,
                decision,
            });
        }
        self.is_done()
    }

    /// Whether every call is decided.
    pub fn is_done(&self) -> bool {
        self.decisions.len() >= self.calls.len()
    }

    /// Calls decided so far.
    pub fn decided(&self) -> usize {
        self.decisions.len()
    }

    /// Calls in the trace.
    pub fn total(&self) -> usize {
        self.calls.len()
    }

    /// The result (decisions so far, their summary, coverage, and the comparison if any).
    pub fn finish(self) -> SimResult {
        let coverage = self.coverage.coverage();
        let (summary, comparison) = match self.replayer {
            Replayer::Single { summary, .. } => (summary, None),
            Replayer::Compare { replay, changes } => {
                let diff = replay.into_summary();
                let summary = diff.after.clone();
                let rules = self.rules.unwrap_or_default();
                (summary, Some(Comparison { changes, summary: diff, rules }))
            }
        };
        SimResult {
            simulation: Simulation { decisions: self.decisions, summary },
            calls: self.calls,
            coverage,
            comparison,
        }
    }
}

/// A finished run, with the calls (the table shows their arguments).
#[derive(Debug, Clone)]
pub struct SimResult {
    /// Decisions and summary (under the current policy).
    pub simulation: Simulation,
    /// The trace that was run.
    pub calls: Arc<Vec<TraceCall>>,
    /// Calls decided per rule entry of the current policy.
    pub coverage: Coverage,
    /// The comparison with the other version, when one was given.
    pub comparison: Option<Comparison>,
}

/// How the decisions of a run differ under the version compared with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comparison {
    /// Every changed call: its index and its decision under the other version, by index.
    pub changes: Vec<(usize, Decision)>,
    /// The counts (changed calls by transition, outcomes on each side), from the engine.
    pub summary: DiffSummary,
    /// The rule-level difference of the two documents.
    pub rules: RuleDiff,
}

impl Comparison {
    /// The decision under the other version of call `index`, when it differs.
    pub fn before(&self, index: usize) -> Option<&Decision> {
        self.changes.binary_search_by_key(&index, |(i, _)| *i).ok().and_then(|at| self.changes.get(at)).map(|(_, d)| d)
    }
}

/// Which decisions the table shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowFilter {
    /// Only this outcome.
    pub outcome: Option<Outcome>,
    /// Only this tool.
    pub tool: Option<String>,
    /// Only the calls whose decision changes (with a comparison).
    pub changed_only: bool,
    /// Only the changed calls of this transition (`allow->deny`, …).
    pub transition: Option<String>,
}

/// Indices (into the decisions) of the rows that pass the filter.
pub fn filter_rows(decisions: &[SimDecision], comparison: Option<&Comparison>, filter: &RowFilter) -> Vec<usize> {
    let wants_change = filter.changed_only || filter.transition.is_some();
    let keep = |i: usize, d: &SimDecision| {
        filter.outcome.is_none_or(|o| d.decision.outcome == o)
            && filter.tool.as_deref().is_none_or(|t| d.tool == t)
            && (!wants_change || {
                let before = comparison.and_then(|c| c.before(i));
                before.is_some_and(|b| filter.transition.as_deref().is_none_or(|t| transition(b, &d.decision) == t))
            })
    };
    decisions.iter().enumerate().filter(|(i, d)| keep(*i, d)).map(|(i, _)| i).collect()
}

/// The tools that appear in a run, sorted.
pub fn tools_in(decisions: &[SimDecision]) -> Vec<String> {
    decisions.iter().map(|d| d.tool.as_str()).collect::<BTreeSet<_>>().into_iter().map(str::to_string).collect()
}

/// `100000` → `100 000` (narrow no-break spaces between groups of three digits), for people.
pub fn group_digits(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// Number of pages of `page_size` rows for `rows` rows (at least 1).
pub fn page_count(rows: usize, page_size: usize) -> usize {
    rows.div_ceil(page_size.max(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::tracegen::{GeneratorSpec, Pattern, generate};
    use toolgate_engine::parse_policy;
    use toolgate_engine::trace::simulate;

    const POLICY: &str = r#"{"version": "1", "default": "deny", "hide": ["drop"],
        "all_tools": {"limits": [{"counter": "all", "window": "minute", "max": 50}]},
        "tools": {"read": {}, "write": {"limits": [{"counter": "writes", "window": "minute", "max": 3}]},
                  "pay": {"deny_if": [{"conditions": [{"path": "args.amount", "op": "gt", "value": 10}]}]}}}"#;

    fn mix(count: usize) -> Arc<Vec<TraceCall>> {
        let spec = GeneratorSpec {
            pattern: Pattern::Mix,
            tools: ["read", "write", "pay", "drop", "other"].map(String::from).to_vec(),
            grants: vec!["alice".into(), "bob".into()],
            count,
            every_ms: 700,
            args: "{\"amount\": 20}".into(),
            ..GeneratorSpec::default()
        };
        Arc::new(generate(&spec).unwrap())
    }

    #[test]
    fn a_run_in_slices_decides_exactly_like_the_one_shot_simulation() {
        let policy = parse_policy(POLICY).unwrap();
        let calls = mix(2000);
        let mut run = SimRun::new(policy.clone(), calls.clone());
        let mut steps = 0;
        while !run.step(137) {
            steps += 1;
        }
        assert_eq!(steps, 2000 / 137);
        let sliced = run.finish().simulation;
        let once = simulate(policy.as_ref(), &calls);
        assert_eq!(sliced, once);
        assert!(
            once.summary.rate_limited > 0
                && once.summary.allowed > 0
                && once.summary.hidden > 0
                && once.summary.denied > 0
        );
    }

    /// POLICY with the write limit raised, `pay` allowed outright and `read` hidden.
    const EDITED: &str = r#"{"version": "1", "default": "deny", "hide": ["drop", "read"],
        "all_tools": {"limits": [{"counter": "all", "window": "minute", "max": 50}]},
        "tools": {"read": {}, "write": {"limits": [{"counter": "writes", "window": "minute", "max": 10}]},
                  "pay": {}}}"#;

    fn run_in_slices(mut run: SimRun, slice: usize) -> SimResult {
        while !run.step(slice) {}
        run.finish()
    }

    #[test]
    fn a_comparison_in_slices_finds_exactly_the_engines_diff() {
        let (before, after) = (parse_policy(POLICY).unwrap(), parse_policy(EDITED).unwrap());
        let calls = mix(3000);
        let result = run_in_slices(SimRun::compare(before.clone(), after.clone(), calls.clone()), 251);
        let diff = toolgate_engine::review::diff(before.as_ref(), after.as_ref(), Some(&calls));
        let c = result.comparison.as_ref().unwrap();
        assert_eq!(c.summary, diff.summary);
        assert_eq!(c.rules, diff.rules);
        assert_eq!(c.changes.len(), diff.changes.len());
        for (change, (index, before)) in diff.changes.iter().zip(&c.changes) {
            assert_eq!((change.index, &change.before), (*index, before));
            assert_eq!(result.simulation.decisions[*index].decision, change.after);
        }
        // The table's decisions are the current policy's, as a run without comparison gives them.
        let alone = run_in_slices(SimRun::new(after, calls), 1000);
        assert_eq!(alone.simulation, result.simulation);
        assert_eq!(alone.coverage, result.coverage);
        for t in ["allow->hidden", "deny->allow", "rate_limited->allow"] {
            assert!(c.summary.transitions.get(t).is_some_and(|&n| n > 0), "{t} in {:?}", c.summary.transitions);
        }
    }

    #[test]
    fn a_policy_compared_with_itself_changes_nothing() {
        let policy = parse_policy(POLICY).unwrap();
        let result = run_in_slices(SimRun::compare(policy.clone(), policy, mix(800)), 100);
        let c = result.comparison.unwrap();
        assert_eq!((c.summary.changed, c.changes.len(), c.summary.calls), (0, 0, 800));
        assert!(c.rules.is_empty());
    }

    #[test]
    fn the_changed_only_and_transition_filters_pick_the_changed_rows() {
        let (before, after) = (parse_policy(POLICY).unwrap(), parse_policy(EDITED).unwrap());
        let result = run_in_slices(SimRun::compare(before, after, mix(600)), 600);
        let c = result.comparison.as_ref().unwrap();
        let d = &result.simulation.decisions;
        let changed = filter_rows(d, Some(c), &RowFilter { changed_only: true, ..RowFilter::default() });
        assert_eq!(changed, c.changes.iter().map(|(i, _)| *i).collect::<Vec<_>>());
        assert_eq!(changed.len(), c.summary.changed);
        for (t, n) in &c.summary.transitions {
            let rows = filter_rows(d, Some(c), &RowFilter { transition: Some(t.clone()), ..RowFilter::default() });
            assert_eq!(rows.len(), *n, "{t}");
            assert!(rows.iter().all(|&i| transition(c.before(i).unwrap(), &d[i].decision) == *t));
        }
        let pay = filter_rows(
            d,
            Some(c),
            &RowFilter { changed_only: true, tool: Some("pay".into()), ..RowFilter::default() },
        );
        assert!(!pay.is_empty() && pay.iter().all(|&i| d[i].tool == "pay" && d[i].decision.outcome == Outcome::Allow));
        assert_eq!(c.before(usize::MAX), None);
    }

    #[test]
    fn coverage_counts_every_decided_call_once_per_entry() {
        let policy = parse_policy(POLICY).unwrap();
        let result = run_in_slices(SimRun::new(policy, mix(900)), 77);
        let hits: u64 = result.coverage.entries.iter().map(|e| e.hits).sum();
        assert_eq!(hits, 900);
        let hit = |p: &str| result.coverage.entries.iter().find(|e| e.pointer == p).map(|e| e.hits);
        let s = &result.simulation.summary;
        assert_eq!(hit("/hide/0"), Some(s.by_tool["drop"].calls as u64));
        assert_eq!(hit("/tools/pay/deny_if/0"), Some(s.by_tool["pay"].calls as u64));
        assert_eq!(hit("/default"), Some(s.by_tool["other"].calls as u64));
        assert!(hit("/all_tools/limits/0").is_some());
        assert_eq!(
            result.coverage.uncovered,
            result.coverage.entries.iter().filter(|e| e.hits == 0).map(|e| e.pointer.clone()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn big_numbers_are_grouped_by_three_digits() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1000), "1\u{202f}000");
        assert_eq!(group_digits(100_000), "100\u{202f}000");
        assert_eq!(group_digits(1_234_567), "1\u{202f}234\u{202f}567");
    }

    #[test]
    fn upstream_errors_give_quota_back() {
        let policy = parse_policy(POLICY).unwrap();
        let mut calls = generate(&GeneratorSpec {
            pattern: Pattern::Burst,
            tools: vec!["write".into()],
            count: 5,
            ..GeneratorSpec::default()
        })
        .unwrap();
        calls[0].upstream_error = true;
        let mut run = SimRun::new(policy, Arc::new(calls));
        run.step(usize::MAX);
        let outcomes: Vec<Outcome> = run.finish().simulation.decisions.iter().map(|d| d.decision.outcome).collect();
        assert_eq!(outcomes, [Outcome::Allow, Outcome::Allow, Outcome::Allow, Outcome::Allow, Outcome::RateLimited]);
    }

    #[test]
    fn no_policy_denies_everything() {
        let mut run = SimRun::new(None, mix(10));
        run.step(3);
        assert_eq!((run.decided(), run.total(), run.is_done()), (3, 10, false));
        run.step(100);
        let r = run.finish();
        assert_eq!(r.simulation.summary.denied, 10);
        assert!(r.simulation.decisions.iter().all(|d| &*d.decision.rule == "(no policy)"));
    }

    #[test]
    fn summary_counts_by_outcome_and_tool() {
        let policy = parse_policy(POLICY).unwrap();
        let mut run = SimRun::new(policy, mix(500));
        run.step(usize::MAX);
        let s = run.finish().simulation.summary;
        assert_eq!(s.calls, 500);
        assert_eq!(s.allowed + s.denied + s.hidden + s.rate_limited, 500);
        assert_eq!(s.by_tool.values().map(|t| t.calls).sum::<usize>(), 500);
        assert_eq!(s.by_tool["drop"].hidden, s.by_tool["drop"].calls);
        assert_eq!(s.by_tool["pay"].denied, s.by_tool["pay"].calls);
    }

    #[test]
    fn filters_select_rows_by_outcome_and_tool() {
        let policy = parse_policy(POLICY).unwrap();
        let mut run = SimRun::new(policy, mix(300));
        run.step(usize::MAX);
        let d = run.finish().simulation.decisions;
        let limited = filter_rows(&d, None, &RowFilter { outcome: Some(Outcome::RateLimited), ..RowFilter::default() });
        assert!(limited.iter().all(|&i| d[i].decision.outcome == Outcome::RateLimited));
        let writes = filter_rows(&d, None, &RowFilter { tool: Some("write".into()), ..RowFilter::default() });
        assert!(!writes.is_empty() && writes.iter().all(|&i| d[i].tool == "write"));
        assert_eq!(filter_rows(&d, None, &RowFilter::default()).len(), 300);
        // Without a comparison nothing is "changed".
        assert!(filter_rows(&d, None, &RowFilter { changed_only: true, ..RowFilter::default() }).is_empty());
        assert_eq!(tools_in(&d), ["drop", "other", "pay", "read", "write"]);
        assert_eq!((page_count(0, 100), page_count(100, 100), page_count(101, 100)), (1, 1, 2));
        assert_eq!(d[0].decision.explain.len(), usize::from(d[0].tool == "pay"));
    }
}
