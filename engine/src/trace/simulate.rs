//! Simulation on the virtual clock: [`step`] (one call: evaluate, release on upstream error,
//! count), [`simulate`] over parsed calls, and [`simulate_text_with`], which streams a trace text
//! through the same step without keeping the calls.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::eval::decision::{Decision, SmolStr};
use crate::eval::evaluate::{Call, DEFAULT_GRANT, Engine, Policy, refused_arguments};
use crate::policy::validate::ValidationError;

use super::TraceCall;
use super::fast::Admitted;
use super::parse::{Check, RawCall, Sink, parse_with};
use super::summary::{Summary, ToolSummary};

/// The decision for one call of a simulation: the call's index, tool, grant and time, then the
/// [`Decision`] fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimDecision {
    /// 0-based index of the call in the trace.
    pub index: usize,
    /// Tool name (inline when up to 23 bytes: a kept decision allocates nothing for it).
    pub tool: SmolStr,
    /// Caller identity (inline when up to 23 bytes).
    pub grant: SmolStr,
    /// Time of the call (Unix ms).
    pub at_ms: u64,
    /// The decision.
    #[serde(flatten)]
    pub decision: Decision,
}

/// The result of a simulation: one decision per call, and the counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Simulation {
    /// The decisions, in call order.
    pub decisions: Vec<SimDecision>,
    /// Outcome counts.
    pub summary: Summary,
}

/// One simulation step: evaluates the call, releases its quota when the upstream failed, counts it.
/// A call whose arguments were refused is denied without being evaluated (no counter moves).
pub fn step(engine: &mut Engine, summary: &mut Summary, call: &TraceCall) -> Decision {
    let decision = decide_call(engine, call);
    summary.record(&call.tool, decision.outcome);
    decision
}

/// The decision of one traced call, without counting it: a call whose arguments were refused is
/// denied without being evaluated; one marked `upstream_error` gives its quota back at once.
#[inline(always)]
pub(super) fn decide_call(engine: &mut Engine, call: &TraceCall) -> Decision {
    if let Some(message) = &call.refusal {
        return refused_arguments(message);
    }
    let decision =
        engine.evaluate(&Call { tool: &call.tool, args: Some(&call.args), grant: &call.grant, at_ms: call.at_ms });
    if call.upstream_error {
        engine.release(&decision);
    }
    decision
}

/// Runs the calls against the policy (or none) from empty counters, on the calls' own clock,
/// handing each decision to `each` as it is made. Calls marked `upstream_error` release their
/// quota right after being allowed. Returns the counts.
pub fn simulate_with(
    policy: Option<&Policy>,
    calls: &[TraceCall],
    mut each: impl FnMut(usize, &TraceCall, Decision),
) -> Summary {
    let mut engine = Engine::new(policy.cloned());
    let mut summary = Summary::default();
    // What `step` does (`decide_call`), with the per-tool counts kept by borrowed name in a hash map (a lookup in
    // the sorted map costs several string comparisons per call) and sorted once at the end.
    let mut by_tool: rustc_hash::FxHashMap<&str, ToolSummary> = rustc_hash::FxHashMap::default();
    for (index, call) in calls.iter().enumerate() {
        let decision = decide_call(&mut engine, call);
        summary.count(decision.outcome);
        by_tool.entry(call.tool.as_str()).or_default().record(decision.outcome);
        each(index, call, decision);
    }
    summary.by_tool = by_tool.into_iter().map(|(tool, counts)| (tool.to_owned(), counts)).collect();
    summary
}

/// Simulates a trace from empty counters: every decision and the counts.
pub fn simulate(policy: Option<&Policy>, calls: &[TraceCall]) -> Simulation {
    let mut decisions = Vec::with_capacity(calls.len());
    let summary = simulate_with(policy, calls, |index, c, decision| decisions.push(sim_decision(index, c, decision)));
    Simulation { decisions, summary }
}

pub(super) fn sim_decision(index: usize, call: &TraceCall, decision: Decision) -> SimDecision {
    SimDecision { index, tool: SmolStr::new(&call.tool), grant: SmolStr::new(&call.grant), at_ms: call.at_ms, decision }
}

/// Simulates a trace keeping only the counts.
pub fn simulate_summary(policy: Option<&Policy>, calls: &[TraceCall]) -> Summary {
    simulate_with(policy, calls, |_, _, _| {})
}

/// Parses trace text and simulates it.
pub fn simulate_text(policy: Option<&Policy>, trace_text: &str) -> Result<Simulation, Vec<ValidationError>> {
    let mut decisions = Vec::new();
    let summary = simulate_text_with(policy, trace_text, |index, c, decision| {
        decisions.push(sim_decision(index, c, decision));
    })?;
    Ok(Simulation { decisions, summary })
}

/// Simulates trace text without keeping the calls: the text is checked completely first (so
/// nothing is simulated when it has errors), then read again, each call simulated and handed to
/// `each` as soon as it is read. For big traces this needs a fraction of the memory and time of
/// [`parse_trace`](super::parse_trace) + [`simulate_with`], with the same results.
pub fn simulate_text_with(
    policy: Option<&Policy>,
    trace_text: &str,
    each: impl FnMut(usize, &TraceCall, Decision),
) -> Result<Summary, Vec<ValidationError>> {
    let checked = parse_with(trace_text, Check::default())?;
    let mut failed = checked.failed_upstream;
    failed.sort_unstable();
    failed.dedup();
    let stream = Stream {
        engine: Engine::new(policy.cloned()),
        summary: Summary::default(),
        failed_upstream: failed,
        next_failed: 0,
        call: TraceCall {
            tool: String::new(),
            args: Value::Null,
            grant: String::new(),
            at_ms: 0,
            upstream_error: false,
            refusal: None,
        },
        each,
    };
    parse_with(trace_text, stream).map(|s| s.summary)
}

/// Checks trace text completely without keeping anything: every problem, as [`parse_trace`](super::parse_trace)
/// reports them (empty when the trace is valid).
pub fn check_trace(trace_text: &str) -> Vec<ValidationError> {
    parse_with(trace_text, Check::default()).err().unwrap_or_default()
}

/// Simulates each call as it is read (the second pass of [`simulate_text_with`]).
pub(super) struct Stream<F> {
    pub(super) engine: Engine,
    pub(super) summary: Summary,
    /// Sorted indices of calls that failed upstream, found by the checking pass.
    pub(super) failed_upstream: Vec<usize>,
    pub(super) next_failed: usize,
    pub(super) call: TraceCall,
    pub(super) each: F,
}

impl<F: FnMut(usize, &TraceCall, Decision)> Sink for Stream<F> {
    type Args = Admitted;
    fn call(&mut self, index: usize, raw: RawCall<'_>, at_ms: u64) {
        while self.failed_upstream.get(self.next_failed).is_some_and(|i| *i < index) {
            self.next_failed += 1;
        }
        // One call buffer for the whole trace: its strings are reused, not reallocated per call.
        let call = &mut self.call;
        call.tool.clear();
        call.tool.push_str(&raw.tool);
        call.grant.clear();
        call.grant.push_str(raw.grant.as_deref().unwrap_or(DEFAULT_GRANT));
        call.args = raw.args;
        call.refusal = raw.refusal;
        call.at_ms = at_ms;
        call.upstream_error = raw.upstream_error || self.failed_upstream.get(self.next_failed) == Some(&index);
        let decision = step(&mut self.engine, &mut self.summary, call);
        (self.each)(index, call, decision);
    }
    fn upstream_error(&mut self, _index: usize) {
        // Known from the checking pass: the response comes after its call has been simulated.
    }
}
