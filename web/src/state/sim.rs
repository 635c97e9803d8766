//! Running a dry run in slices, so the page can show progress and stay responsive on 100 000
//! calls, and reading the results (filters, pages).
//!
//! A run is the engine's own evaluation, call after call, on a fresh [`Engine`] — exactly what a
//! gateway enforcing the policy would decide; the tests check it against the engine's one-shot
//! `simulate`.

use std::collections::BTreeSet;
use std::sync::Arc;

use toolgate_engine::{Call, Engine, Outcome, Policy};

use toolgate_engine::trace::{SimDecision, Simulation, Summary, TraceCall};

/// A simulation in progress.
#[derive(Debug)]
pub struct SimRun {
    engine: Engine,
    calls: Arc<Vec<TraceCall>>,
    decisions: Vec<SimDecision>,
    summary: Summary,
}

impl SimRun {
    /// Starts a run from empty counters (`None`: no policy attached).
    pub fn new(policy: Option<Policy>, calls: Arc<Vec<TraceCall>>) -> Self {
        let decisions = Vec::with_capacity(calls.len());
        SimRun { engine: Engine::new(policy), calls, decisions, summary: Summary::default() }
    }

    /// Evaluates up to `budget` more calls; true when every call is decided.
    pub fn step(&mut self, budget: usize) -> bool {
        let start = self.decisions.len();
        let end = start.saturating_add(budget).min(self.calls.len());
        for index in start..end {
            let Some(c) = self.calls.get(index) else { break };
            let call = Call { tool: &c.tool, args: Some(&c.args), grant: &c.grant, at_ms: c.at_ms };
            let decision = self.engine.evaluate(&call);
            if c.upstream_error {
                self.engine.release(&decision);
            }
            self.summary.record(&c.tool, decision.outcome);
            self.decisions.push(SimDecision {
                index,
                tool: c.tool.clone(),
                grant: c.grant.clone(),
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

    /// The result (decisions so far, and their summary).
    pub fn finish(self) -> SimResult {
        SimResult { simulation: Simulation { decisions: self.decisions, summary: self.summary }, calls: self.calls }
    }
}

/// A finished run, with the calls (the table shows their arguments).
#[derive(Debug, Clone)]
pub struct SimResult {
    /// Decisions and summary.
    pub simulation: Simulation,
    /// The trace that was run.
    pub calls: Arc<Vec<TraceCall>>,
}

/// Which decisions the table shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowFilter {
    /// Only this outcome.
    pub outcome: Option<Outcome>,
    /// Only this tool.
    pub tool: Option<String>,
}

/// Indices (into the decisions) of the rows that pass the filter.
pub fn filter_rows(decisions: &[SimDecision], filter: &RowFilter) -> Vec<usize> {
    decisions
        .iter()
        .enumerate()
        .filter(|(_, d)| filter.outcome.is_none_or(|o| d.decision.outcome == o))
        .filter(|(_, d)| filter.tool.as_deref().is_none_or(|t| d.tool == t))
        .map(|(i, _)| i)
        .collect()
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
        let limited = filter_rows(&d, &RowFilter { outcome: Some(Outcome::RateLimited), tool: None });
        assert!(limited.iter().all(|&i| d[i].decision.outcome == Outcome::RateLimited));
        let writes = filter_rows(&d, &RowFilter { outcome: None, tool: Some("write".into()) });
        assert!(!writes.is_empty() && writes.iter().all(|&i| d[i].tool == "write"));
        assert_eq!(filter_rows(&d, &RowFilter::default()).len(), 300);
        assert_eq!(tools_in(&d), ["drop", "other", "pay", "read", "write"]);
        assert_eq!((page_count(0, 100), page_count(100, 100), page_count(101, 100)), (1, 1, 2));
        assert_eq!(d[0].decision.explain.len(), usize::from(d[0].tool == "pay"));
    }
}
