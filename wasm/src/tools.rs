//! The tools module (`toolgate_tools_bg.wasm`): what gateways don't need — validation with lint,
//! simulation, policy diff and test files. Stateless: each function takes the policy as text and
//! makes one engine call. The JS layer loads this module on first use.

use serde::Serialize;
use toolgate_engine::evaluate::parse_policy;
use toolgate_engine::trace::TraceCall;
use toolgate_engine::validate::ValidationError;
use toolgate_engine::{Decision, Policy};
use wasm_bindgen::prelude::*;

use crate::EngineError;
use crate::wire::{to_json, write_sim_row, write_sim_tuple};

/// Parses a policy; errors carry `kind` (`policy`, `old_policy`, `new_policy`).
fn policy(kind: &'static str, text: &str) -> Result<Option<Policy>, EngineError> {
    parse_policy(text).map_err(|e| EngineError::new(kind, e))
}

/// Validates policy text: `{"valid", "errors", "warnings"}` as JSON (the CLI's `check --format json`).
/// A valid policy is linted, against the `tools/list` result when one is given.
#[wasm_bindgen]
pub fn validate(policy_json: &str, tools_json: Option<String>) -> Result<String, EngineError> {
    /// The wire form of a validation (the CLI's `check --format json`).
    #[derive(Serialize)]
    struct Report {
        valid: bool,
        errors: Vec<ValidationError>,
        warnings: Vec<toolgate_engine::lint::Warning>,
    }
    let tools = match tools_json {
        Some(text) => {
            Some(toolgate_engine::tools::parse_tool_list(&text).map_err(|e| EngineError::new("tools", vec![e]))?)
        }
        None => None,
    };
    let report = match parse_policy(policy_json) {
        Err(errors) => Report { valid: false, errors, warnings: Vec::new() },
        Ok(None) => Report { valid: true, errors: Vec::new(), warnings: Vec::new() },
        Ok(Some(policy)) => Report {
            valid: true,
            errors: Vec::new(),
            warnings: toolgate_engine::lint::lint(policy.doc(), tools.as_deref()),
        },
    };
    Ok(to_json(&report))
}

/// Simulates trace text (any form of `interfaces.md` § Trace) from empty counters with a policy.
/// Returns `{"decisions": [...], "summary": {...}}` as JSON (the engine's `Simulation`), written
/// as the simulation runs.
#[wasm_bindgen]
pub fn simulate(policy_json: &str, trace_json: &str) -> Result<String, EngineError> {
    simulate_into(
        &policy("policy", policy_json)?,
        trace_json,
        ("{\"decisions\":[", "],\"summary\":", "}"),
        write_sim_row,
    )
}

/// `simulate`, as the JS layer's fast path: `[[[index, tool, grant, at_ms, …the values of
/// decision_tuple…]…], summary]` (arrays parse about twice as fast as objects in JS).
#[wasm_bindgen(js_name = simulateTuples)]
pub fn simulate_tuples(policy_json: &str, trace_json: &str) -> Result<String, EngineError> {
    simulate_into(&policy("policy", policy_json)?, trace_json, ("[[", "],", "]"), write_sim_tuple)
}

/// Simulates trace text, writing `open`, one row per decision (comma-separated), `middle`, the
/// summary and `close`.
fn simulate_into(
    policy: &Option<Policy>,
    trace_json: &str,
    (open, middle, close): (&str, &str, &str),
    row: fn(&mut String, u64, &TraceCall, &Decision),
) -> Result<String, EngineError> {
    let mut out = String::with_capacity(trace_json.len().saturating_mul(2).saturating_add(64));
    out.push_str(open);
    let summary = toolgate_engine::trace::simulate_text_with(policy.as_ref(), trace_json, |index, call, decision| {
        if index > 0 {
            out.push(',');
        }
        row(&mut out, u64::try_from(index).unwrap_or(u64::MAX), call, &decision);
    })
    .map_err(|e| EngineError::new("trace", e))?;
    out.push_str(middle);
    out.push_str(&to_json(&summary));
    out.push_str(close);
    Ok(out)
}

/// Compares two policies (`toolgate diff`): the rule-level difference and, with trace text (any
/// form of `interfaces.md` § Trace), every call whose decision changes. Returns the
/// `PolicyDiff` JSON the CLI prints with `--format json`.
#[wasm_bindgen(js_name = diffPolicies)]
pub fn diff_policies(old_json: &str, new_json: &str, trace_json: Option<String>) -> Result<String, EngineError> {
    let old = policy("old_policy", old_json)?;
    let new = policy("new_policy", new_json)?;
    toolgate_engine::review::diff_text(old.as_ref(), new.as_ref(), trace_json.as_deref())
        .map(|d| to_json(&d))
        .map_err(|e| EngineError::new("trace", e))
}

/// Runs a test file against a policy (`toolgate test`): the `TestReport` JSON the CLI prints with
/// `--format json`, with `"coverage"` when asked for.
#[wasm_bindgen(js_name = runTests)]
pub fn run_tests(policy_json: &str, tests_json: &str, coverage: bool) -> Result<String, EngineError> {
    let policy = policy("policy", policy_json)?;
    toolgate_engine::review::run_tests_text(policy.as_ref(), tests_json, coverage)
        .map(|r| to_json(&r))
        .map_err(|e| EngineError::new("tests", e))
}
