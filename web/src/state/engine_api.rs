//! The engine API the app uses beyond policy evaluation: traces, simulation, lint and suggest.
//!
//! TEMPORARY BRIDGE for traces: `engine/src/trace.rs` is being written on another branch. The
//! trace part below mirrors its planned public API with a minimal implementation so the app builds
//! meanwhile; once it lands on `main` this file becomes plain re-exports (lint and suggest already are).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use toolgate_engine::{Call, Decision, Engine, Outcome, Policy, ValidationError};

/// One call of a trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceCall {
    /// Tool name.
    pub tool: String,
    /// Arguments (always an object).
    pub args: Value,
    /// Caller identity.
    pub grant: String,
    /// Unix ms.
    pub at_ms: u64,
    /// The upstream failed: quota is released.
    pub upstream_error: bool,
}

fn err(message: String, line: Option<u32>) -> ValidationError {
    ValidationError { pointer: String::new(), message, line, column: line.map(|_| 1), help: None }
}

/// Parses a trace (JSON array, `{"calls": [...]}`, or JSON Lines).
pub fn parse_trace(text: &str) -> Result<Vec<TraceCall>, Vec<ValidationError>> {
    let items: Vec<(Option<u32>, Value)> = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(a)) => a.into_iter().map(|v| (None, v)).collect(),
        Ok(Value::Object(mut o)) if o.contains_key("calls") => match o.remove("calls") {
            Some(Value::Array(a)) => a.into_iter().map(|v| (None, v)).collect(),
            _ => return Err(vec![err("`calls` must be an array".into(), None)]),
        },
        _ => {
            let mut out = Vec::new();
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
                match serde_json::from_str::<Value>(line) {
                    Ok(v) => out.push((Some(n), v)),
                    Err(e) => return Err(vec![err(format!("invalid JSON: {e}"), Some(n))]),
                }
            }
            out
        }
    };
    let mut calls = Vec::new();
    let mut now = 0u64;
    for (line, mut v) in items {
        if v.get("method").and_then(Value::as_str) == Some("tools/call") {
            let at = v.get("at_ms").cloned();
            let params = v.get_mut("params").map(Value::take).unwrap_or(Value::Null);
            let mut o = serde_json::Map::new();
            o.insert("tool".into(), params.get("name").cloned().unwrap_or(Value::Null));
            o.insert("args".into(), params.get("arguments").cloned().unwrap_or(Value::Null));
            if let Some(at) = at {
                o.insert("at_ms".into(), at);
            }
            v = Value::Object(o);
        }
        let Some(tool) = v.get("tool").and_then(Value::as_str) else {
            return Err(vec![err("a call needs a `tool`".into(), line)]);
        };
        let args = match v.get("args").or_else(|| v.get("arguments")) {
            None | Some(Value::Null) => Value::Object(Default::default()),
            Some(a @ Value::Object(_)) => a.clone(),
            Some(_) => return Err(vec![err("`args` must be an object".into(), line)]),
        };
        if let Some(at) = v.get("at_ms").and_then(Value::as_u64) {
            now = at;
        } else if let Some(after) = v.get("after_ms").and_then(Value::as_u64) {
            now = now.saturating_add(after);
        }
        calls.push(TraceCall {
            tool: tool.to_string(),
            args,
            grant: v.get("grant").and_then(Value::as_str).unwrap_or("default").to_string(),
            at_ms: now,
            upstream_error: v.get("upstream_error").and_then(Value::as_bool).unwrap_or(false),
        });
    }
    Ok(calls)
}

/// One simulated call's decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimDecision {
    /// Index in the trace.
    pub index: usize,
    /// Tool.
    pub tool: String,
    /// Grant.
    pub grant: String,
    /// Time.
    pub at_ms: u64,
    /// The decision.
    #[serde(flatten)]
    pub decision: Decision,
}

/// Per-tool counts.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ToolSummary {
    /// Calls.
    pub calls: usize,
    /// Allowed.
    pub allowed: usize,
    /// Denied.
    pub denied: usize,
    /// Hidden.
    pub hidden: usize,
    /// Rate limited.
    pub rate_limited: usize,
}

/// Counts of a run.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Summary {
    /// Calls.
    pub calls: usize,
    /// Allowed.
    pub allowed: usize,
    /// Denied.
    pub denied: usize,
    /// Hidden.
    pub hidden: usize,
    /// Rate limited.
    pub rate_limited: usize,
    /// Per tool.
    pub by_tool: BTreeMap<String, ToolSummary>,
}

/// A simulation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Simulation {
    /// Decisions in call order.
    pub decisions: Vec<SimDecision>,
    /// Counts.
    pub summary: Summary,
}

/// Simulates a trace from empty counters.
pub fn simulate(policy: Option<&Policy>, calls: &[TraceCall]) -> Simulation {
    let mut engine = Engine::new(policy.cloned());
    let mut summary = Summary::default();
    let mut decisions = Vec::with_capacity(calls.len());
    for (index, c) in calls.iter().enumerate() {
        let d = engine.evaluate(&Call { tool: &c.tool, args: Some(&c.args), grant: &c.grant, at_ms: c.at_ms });
        if c.upstream_error {
            engine.release(&d);
        }
        summary.calls += 1;
        let t = summary.by_tool.entry(c.tool.clone()).or_default();
        t.calls += 1;
        match d.outcome {
            Outcome::Allow => {
                summary.allowed += 1;
                t.allowed += 1;
            }
            Outcome::Deny => {
                summary.denied += 1;
                t.denied += 1;
            }
            Outcome::Hidden => {
                summary.hidden += 1;
                t.hidden += 1;
            }
            Outcome::RateLimited => {
                summary.rate_limited += 1;
                t.rate_limited += 1;
            }
        }
        decisions.push(SimDecision {
            index,
            tool: c.tool.clone(),
            grant: c.grant.clone(),
            at_ms: c.at_ms,
            decision: d,
        });
    }
    Simulation { decisions, summary }
}

pub use toolgate_engine::lint::{Warning, lint};
pub use toolgate_engine::suggest::{ToolClass, classify, explain_class, suggest};
