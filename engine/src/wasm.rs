//! The JavaScript facade of the npm package `toolgate` (feature `wasm`): conversion and
//! delegation only — every decision comes from [`crate::Engine`].
//!
//! Everything crosses the boundary as JSON text: the package's JS layer calls `JSON.stringify` on
//! the way in and `JSON.parse` on the way out, which measured several times faster than
//! converting objects field by field. Failures are thrown as an [`EngineError`] (a class with
//! `kind` and the same `{pointer, message, line, column, help?}` list the CLI prints), never as a
//! bare string.
//!
//! Two choices keep the package small and fast at `opt-level = "z"`:
//! - JSON coming in is read with the engine's own parser ([`crate::json`]), so `serde_json`'s
//!   deserializer (and every `Deserialize` impl) stays out of the binary: ~30 KB of gzip.
//! - Decisions going out are written by [`write_decision`], a direct writer that is an order of
//!   magnitude faster than `serde_json` built for size; a test pins it to the `Serialize` output.

use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

use crate::eval::decision::{CounterState, Explain};
use crate::eval::evaluate::{LimitPlan, LimitRule, Plan, parse_policy};
use crate::eval::limit::{CounterEntry, CounterSnapshot};
use crate::policy::Window;
use crate::policy::validate::ValidationError;
use crate::{Call, DEFAULT_GRANT, Decision, Engine, Outcome};

/// Largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// A failure across the boundary: which input was wrong (`kind`: `policy`, `call`, `decision`,
/// `tools`, `trace` or `state`) and every problem found in it.
#[wasm_bindgen]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineError {
    kind: &'static str,
    errors: Vec<ValidationError>,
}

#[wasm_bindgen]
impl EngineError {
    /// Which input was wrong.
    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> String {
        self.kind.to_string()
    }

    /// The problems, as a JSON array of `{pointer, message, line, column, help?}`.
    #[wasm_bindgen(getter, js_name = errorsJson)]
    pub fn errors_json(&self) -> String {
        to_json(&self.errors)
    }
}

impl EngineError {
    fn new(kind: &'static str, errors: Vec<ValidationError>) -> Self {
        EngineError { kind, errors }
    }

    fn one(kind: &'static str, pointer: &str, message: String) -> Self {
        EngineError::new(kind, vec![ValidationError::error(pointer, message)])
    }

    /// Which input was wrong (Rust side of the `kind` getter).
    pub fn kind_str(&self) -> &'static str {
        self.kind
    }

    /// The problems (Rust side of the `errorsJson` getter).
    pub fn errors(&self) -> &[ValidationError] {
        &self.errors
    }
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    // Serialising these types cannot fail: string keys, finite numbers.
    serde_json::to_string(value).unwrap_or_default()
}

/// Parses JSON text with the engine's parser; a syntax error is located at its line and column.
fn parse_json(kind: &'static str, pointer: &str, text: &str) -> Result<Value, EngineError> {
    crate::json::parse(text)
        .map(|node| node.to_value())
        .map_err(|e| EngineError::new(kind, vec![ValidationError { pointer: pointer.into(), ..e.diagnostic(1) }]))
}

/// `at_ms` from a JS number: a non-negative integer no larger than `Number.MAX_SAFE_INTEGER`.
fn timestamp(at_ms: f64) -> Result<u64, EngineError> {
    if at_ms.is_finite() && at_ms >= 0.0 && at_ms.fract() == 0.0 && at_ms <= MAX_SAFE_INTEGER {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "checked above: an integer in 0..=2^53-1"
        )]
        Ok(at_ms as u64)
    } else {
        // No float formatting here: it would pull ~20 KB of printing code into the package.
        Err(EngineError::one(
            "call",
            "/at_ms",
            "`at_ms` must be a whole number of milliseconds since 1970, from 0 to 2^53-1".to_string(),
        ))
    }
}

/// A call's arguments as read by [`crate::json::args::read_arguments`].
enum Arguments {
    /// Read (`None` = no arguments).
    Read(Option<Value>),
    /// Refused before any rule: the call's decision.
    Refused(Decision),
}

/// `arguments` from JSON text; `""` is "no arguments" (`{}`). Duplicate keys, oversized text and
/// too many values are a deny decision; text that is not JSON is a located error.
fn arguments(args_json: &str) -> Result<Arguments, EngineError> {
    if args_json.is_empty() {
        return Ok(Arguments::Read(None));
    }
    match crate::json::args::read_arguments(args_json) {
        Ok(v) => Ok(Arguments::Read(Some(v))),
        Err(crate::json::args::ArgsError::Refused(m)) => {
            Ok(Arguments::Refused(crate::eval::evaluate::refused_arguments(&m)))
        }
        Err(crate::json::args::ArgsError::Syntax(e)) => {
            Err(EngineError::new("call", vec![ValidationError { pointer: "/args".into(), ..e.diagnostic(1) }]))
        }
    }
}

/// The Decision JSON of arguments of `bytes` bytes, refused for their size without crossing into
/// the module (the JS layer sends no argument text over [`crate::json::args::MAX_ARGUMENT_BYTES`]).
#[wasm_bindgen(js_name = refusedArguments)]
pub fn refused_arguments(bytes: f64) -> String {
    let bytes = count(bytes).and_then(|b| usize::try_from(b).ok()).unwrap_or(usize::MAX);
    decision_json(&crate::eval::evaluate::refused_arguments(&crate::json::args::too_long(bytes)))
}

/// The longest argument text read, in bytes of UTF-8 ([`crate::json::args::MAX_ARGUMENT_BYTES`]).
#[wasm_bindgen(js_name = maxArgumentBytes)]
pub fn max_argument_bytes() -> u32 {
    u32::try_from(crate::json::args::MAX_ARGUMENT_BYTES).unwrap_or(u32::MAX)
}

/// One engine: a policy (or none) with its counters.
#[wasm_bindgen]
#[derive(Debug, Clone)]
pub struct PolicyEngine {
    engine: Engine,
}

#[wasm_bindgen]
impl PolicyEngine {
    /// Parses and validates policy text (`"null"` = no policy attached: every call is denied).
    #[wasm_bindgen(constructor)]
    pub fn new(policy_json: &str) -> Result<PolicyEngine, EngineError> {
        Engine::from_text(policy_json).map(|engine| PolicyEngine { engine }).map_err(|e| EngineError::new("policy", e))
    }

    /// Replaces the policy and keeps the counters (they are keyed by name, not by policy version).
    #[wasm_bindgen(js_name = setPolicy)]
    pub fn set_policy(&mut self, policy_json: &str) -> Result<(), EngineError> {
        let policy = parse_policy(policy_json).map_err(|e| EngineError::new("policy", e))?;
        self.engine.set_policy(policy);
        Ok(())
    }

    /// Whether a policy is attached.
    #[wasm_bindgen(getter, js_name = hasPolicy)]
    pub fn has_policy(&self) -> bool {
        self.engine.policy().is_some()
    }

    /// Decides a call and, when allowed, charges its quota. Returns the Decision as JSON.
    pub fn evaluate(
        &mut self,
        tool: &str,
        args_json: &str,
        grant: Option<String>,
        at_ms: f64,
    ) -> Result<String, EngineError> {
        let at_ms = timestamp(at_ms)?;
        let args = match arguments(args_json)? {
            Arguments::Read(args) => args,
            Arguments::Refused(d) => return Ok(decision_json(&d)),
        };
        let call = Call { tool, args: args.as_ref(), grant: grant.as_deref().unwrap_or(DEFAULT_GRANT), at_ms };
        Ok(decision_json(&self.engine.evaluate(&call)))
    }

    /// Decides a call without charging anything (a dry run). Returns the Decision as JSON.
    pub fn check(&self, tool: &str, args_json: &str, grant: Option<String>, at_ms: f64) -> Result<String, EngineError> {
        let at_ms = timestamp(at_ms)?;
        let args = match arguments(args_json)? {
            Arguments::Read(args) => args,
            Arguments::Refused(d) => return Ok(decision_json(&d)),
        };
        let call = Call { tool, args: args.as_ref(), grant: grant.as_deref().unwrap_or(DEFAULT_GRANT), at_ms };
        Ok(decision_json(&self.engine.check(&call)))
    }

    /// `evaluate`, returning the Decision as a JSON array (the JS layer's fast path, see
    /// [`decision_tuple`]).
    #[wasm_bindgen(js_name = evaluateTuple)]
    pub fn evaluate_tuple(
        &mut self,
        tool: &str,
        args_json: &str,
        grant: Option<String>,
        at_ms: f64,
    ) -> Result<String, EngineError> {
        let at_ms = timestamp(at_ms)?;
        let args = match arguments(args_json)? {
            Arguments::Read(args) => args,
            Arguments::Refused(d) => {
                return Ok({
                    let t = decision_tuple(&d);
                    format!("{},null]", t.strip_suffix(']').unwrap_or(&t))
                });
            }
        };
        let call = Call { tool, args: args.as_ref(), grant: grant.as_deref().unwrap_or(DEFAULT_GRANT), at_ms };
        let d = self.engine.evaluate(&call);
        // The tuple, then the reservation's sequence number (or null) for `release`.
        let mut out = String::with_capacity(120);
        out.push('[');
        write_tuple_fields(&mut out, &d);
        match d.reservation {
            Some(r) => {
                out.push(',');
                write_u64(&mut out, r.seq());
            }
            None => out.push_str(",null"),
        }
        out.push(']');
        Ok(out)
    }

    /// `check`, returning the Decision as a JSON array (see [`decision_tuple`]).
    #[wasm_bindgen(js_name = checkTuple)]
    pub fn check_tuple(
        &self,
        tool: &str,
        args_json: &str,
        grant: Option<String>,
        at_ms: f64,
    ) -> Result<String, EngineError> {
        let at_ms = timestamp(at_ms)?;
        let args = match arguments(args_json)? {
            Arguments::Read(args) => args,
            Arguments::Refused(d) => return Ok(decision_tuple(&d)),
        };
        let call = Call { tool, args: args.as_ref(), grant: grant.as_deref().unwrap_or(DEFAULT_GRANT), at_ms };
        Ok(decision_tuple(&self.engine.check(&call)))
    }

    /// The upstream failed after an allowed call: gives its quota back in the window it was
    /// charged in, at most once. Takes the Decision as JSON and the reservation `evaluateTuple`
    /// gave it (absent for a copy); returns how many counters were released.
    pub fn release(&mut self, decision_json: &str, reservation: Option<f64>) -> Result<u32, EngineError> {
        let mut decision = read_decision(&parse_json("decision", "", decision_json)?)?;
        if let Some(seq) = reservation {
            let seq = count(seq).ok_or_else(|| EngineError::one("decision", "", "invalid reservation".to_string()))?;
            decision.reservation = crate::eval::decision::Reservation::new(self.engine.id(), seq);
        }
        Ok(u32::try_from(self.engine.release(&decision)).unwrap_or(u32::MAX))
    }

    /// Whether `tools/list` shows this tool (`false` with no policy).
    #[wasm_bindgen(js_name = isVisible)]
    pub fn is_visible(&self, tool: &str) -> bool {
        self.engine.is_visible(tool)
    }

    /// Filters a `tools/list` result (or a JSON-RPC response carrying one), byte for byte.
    #[wasm_bindgen(js_name = filterTools)]
    pub fn filter_tools(&self, result_json: &str) -> Result<String, EngineError> {
        crate::eval::tools::filter_tools(self.engine.policy(), result_json)
            .map_err(|e| EngineError::new("tools", vec![e]))
    }

    /// Simulates trace text (any form of `interfaces.md` § Trace) from empty counters with this
    /// engine's policy; the engine's own counters are untouched. Returns
    /// `{"decisions": [...], "summary": {...}}` as JSON, written as the simulation runs.
    pub fn simulate(&self, trace_json: &str) -> Result<String, EngineError> {
        self.simulate_into(trace_json, ("{\"decisions\":[", "],\"summary\":", "}"), |out, index, call, decision| {
            out.push_str("{\"index\":");
            write_u64(out, index);
            out.push_str(",\"tool\":");
            write_str(out, &call.tool);
            out.push_str(",\"grant\":");
            write_str(out, &call.grant);
            out.push_str(",\"at_ms\":");
            write_u64(out, call.at_ms);
            out.push(',');
            write_decision(out, decision);
            out.push('}');
        })
    }

    /// `simulate`, as the JS layer's fast path: `[[[index, tool, grant, at_ms, …the values of
    /// decision_tuple…]…], summary]` (arrays parse about twice as fast as objects in JS).
    #[wasm_bindgen(js_name = simulateTuples)]
    pub fn simulate_tuples(&self, trace_json: &str) -> Result<String, EngineError> {
        self.simulate_into(trace_json, ("[[", "],", "]"), |out, index, call, decision| {
            out.push('[');
            write_u64(out, index);
            out.push(',');
            write_str(out, &call.tool);
            out.push(',');
            write_str(out, &call.grant);
            out.push(',');
            write_u64(out, call.at_ms);
            out.push(',');
            write_tuple_fields(out, decision);
            out.push(']');
        })
    }

    /// Counter state as JSON (`{"version": 1, "counters": [...]}`, sorted).
    #[wasm_bindgen(js_name = exportState)]
    pub fn export_state(&self) -> String {
        to_json(&self.engine.export_state())
    }

    /// Replaces the counters with a snapshot (JSON), all or nothing.
    #[wasm_bindgen(js_name = importState)]
    pub fn import_state(&mut self, snapshot_json: &str) -> Result<(), EngineError> {
        let snapshot = read_snapshot(&parse_json("state", "", snapshot_json)?)?;
        self.engine.import_state(&snapshot).map_err(|message| {
            // The engine writes "<pointer>: <message>".
            match message.split_once(": ") {
                Some((pointer, rest)) if pointer.starts_with('/') => {
                    EngineError::one("state", pointer, rest.to_string())
                }
                _ => EngineError::one("state", "", message),
            }
        })
    }

    /// Forgets every counter.
    #[wasm_bindgen(js_name = resetCounters)]
    pub fn reset_counters(&mut self) {
        self.engine.reset_counters();
    }

    // ---- recovery after a trap (issue 9, finding 6): the JS layer rebuilds an engine.

    /// Charges an allowed decision (JSON) again: replays a charge made since the last checkpoint.
    pub fn recharge(&mut self, decision_json: &str) -> Result<bool, EngineError> {
        let decision = read_decision(&parse_json("decision", "", decision_json)?)?;
        Ok(self.engine.recharge(&decision))
    }

    /// Test hook: fails an allocation of `bytes` inside a `&mut self` method, which traps the
    /// module (out of memory aborts under `panic = "abort"`) exactly as a real exhaustion would,
    /// leaving this object borrowed. Lets tests prove the JS layer recovers from a trap.
    #[wasm_bindgen(js_name = __exhaustMemoryForTests)]
    pub fn exhaust_memory_for_tests(&mut self, bytes: f64) -> u32 {
        let n = count(bytes).and_then(|b| usize::try_from(b).ok()).unwrap_or(usize::MAX);
        let v = vec![1u8; n];
        u32::from(v.last().copied().unwrap_or(0)) + u32::from(self.engine.policy().is_some())
    }

    // ---- host-side counter stores (issue 8): plan, then finish from the store's counts.

    /// Steps 1–5 of a call without reading or charging counters. Returns the plan as JSON (see
    /// [`plan_json`]).
    pub fn plan(&self, tool: &str, args_json: &str, grant: Option<String>, at_ms: f64) -> Result<String, EngineError> {
        let at_ms = timestamp(at_ms)?;
        let args = match arguments(args_json)? {
            Arguments::Read(args) => args,
            Arguments::Refused(d) => return Ok(plan_json(&Plan::Final(d))),
        };
        let call = Call { tool, args: args.as_ref(), grant: grant.as_deref().unwrap_or(DEFAULT_GRANT), at_ms };
        Ok(plan_json(&self.engine.plan(&call)))
    }

    /// Finishes a `reserve` plan (its JSON, as [`plan_json`] wrote it) from the store's counts:
    /// `used[i]` = calls already counted for `limits[i]` in the call's window. Returns the
    /// Decision as a tuple (see [`decision_tuple`]).
    #[wasm_bindgen(js_name = finishTuple)]
    pub fn finish_tuple(&self, plan_json: &str, used: Vec<f64>) -> Result<String, EngineError> {
        let plan = read_plan(&parse_json("plan", "", plan_json)?)?;
        let mut counts = Vec::with_capacity(used.len());
        for (i, u) in used.iter().enumerate() {
            counts.push(count(*u).ok_or_else(|| {
                EngineError::one(
                    "plan",
                    &format!("/used/{i}"),
                    "a count must be a whole number from 0 to 2^53-1".to_string(),
                )
            })?);
        }
        let decision = self.engine.finish(&plan, &counts).map_err(|m| EngineError::one("plan", "/used", m))?;
        Ok(decision_tuple(&decision))
    }
}

impl PolicyEngine {
    /// Simulates trace text, writing `open`, one row per decision (comma-separated), `middle`, the
    /// summary and `close`.
    fn simulate_into(
        &self,
        trace_json: &str,
        (open, middle, close): (&str, &str, &str),
        mut row: impl FnMut(&mut String, u64, &crate::trace::TraceCall, &Decision),
    ) -> Result<String, EngineError> {
        let mut out = String::with_capacity(trace_json.len().saturating_mul(2).saturating_add(64));
        out.push_str(open);
        let summary = crate::trace::simulate_text_with(self.engine.policy(), trace_json, |index, call, decision| {
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
}

/// Validates policy text: `{"valid", "errors", "warnings"}` as JSON (the CLI's `check --format json`).
/// A valid policy is linted, against the `tools/list` result when one is given.
#[wasm_bindgen]
pub fn validate(policy_json: &str, tools_json: Option<String>) -> Result<String, EngineError> {
    #[derive(Serialize)]
    struct Report {
        valid: bool,
        errors: Vec<ValidationError>,
        warnings: Vec<crate::advise::lint::Warning>,
    }
    let tools = match tools_json {
        Some(text) => Some(crate::eval::tools::parse_tool_list(&text).map_err(|e| EngineError::new("tools", vec![e]))?),
        None => None,
    };
    let report = match parse_policy(policy_json) {
        Err(errors) => Report { valid: false, errors, warnings: Vec::new() },
        Ok(None) => Report { valid: true, errors: Vec::new(), warnings: Vec::new() },
        Ok(Some(policy)) => Report {
            valid: true,
            errors: Vec::new(),
            warnings: crate::advise::lint::lint(policy.doc(), tools.as_deref()),
        },
    };
    Ok(to_json(&report))
}

// ---------------------------------------------------------------- policy change safety (review)

/// Parses one side of a comparison or a test run; errors carry `kind` (`old_policy`,
/// `new_policy`, `policy`).
fn review_policy(kind: &'static str, text: &str) -> Result<Option<crate::Policy>, EngineError> {
    parse_policy(text).map_err(|e| EngineError::new(kind, e))
}

/// Compares two policies (`toolgate diff`): the rule-level difference and, with trace text (any
/// form of `interfaces.md` § Trace), every call whose decision changes. Returns the
/// `PolicyDiff` JSON the CLI prints with `--format json`.
#[wasm_bindgen(js_name = diffPolicies)]
pub fn diff_policies(old_json: &str, new_json: &str, trace_json: Option<String>) -> Result<String, EngineError> {
    let old = review_policy("old_policy", old_json)?;
    let new = review_policy("new_policy", new_json)?;
    crate::review::diff_text(old.as_ref(), new.as_ref(), trace_json.as_deref())
        .map(|d| to_json(&d))
        .map_err(|e| EngineError::new("trace", e))
}

/// Runs a test file against a policy (`toolgate test`): the `TestReport` JSON the CLI prints with
/// `--format json`, with `"coverage"` when asked for.
#[wasm_bindgen(js_name = runTests)]
pub fn run_tests(policy_json: &str, tests_json: &str, coverage: bool) -> Result<String, EngineError> {
    let policy = review_policy("policy", policy_json)?;
    crate::review::run_tests_text(policy.as_ref(), tests_json, coverage)
        .map(|r| to_json(&r))
        .map_err(|e| EngineError::new("tests", e))
}

/// The engine's version (the crate version).
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_string()
}

// ---------------------------------------------------------------- plans (host-side stores)

/// A count from a JS number: a whole number in 0..=2^53-1.
fn count(n: f64) -> Option<u64> {
    if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= MAX_SAFE_INTEGER {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "checked above: an integer in 0..=2^53-1"
        )]
        Some(n as u64)
    } else {
        None
    }
}

/// A plan as JSON: `{"kind":"final","decision":{…}}`, or `{"kind":"reserve","tool","grant",
/// "at_ms","limits":[{counter, window, window_ms, window_start_ms, max, rule, pointer, message}],
/// "charges":[{counter, window, window_ms, window_start_ms}]}` (STORE-CONTRACT.md).
pub fn plan_json(plan: &Plan) -> String {
    let mut out = String::with_capacity(256);
    match plan {
        Plan::Final(d) => {
            out.push_str("{\"kind\":\"final\",\"decision\":");
            out.push_str(&decision_json(d));
            out.push('}');
        }
        Plan::Reserve(p) => {
            out.push_str("{\"kind\":\"reserve\",\"tool\":");
            write_str(&mut out, &p.tool);
            out.push_str(",\"grant\":");
            write_str(&mut out, &p.grant);
            out.push_str(",\"at_ms\":");
            write_u64(&mut out, p.at_ms);
            out.push_str(",\"limits\":[");
            for (i, l) in p.limits.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_planned_window(&mut out, p, l);
                out.push_str(",\"max\":");
                write_u64(&mut out, l.max);
                out.push_str(",\"rule\":");
                write_str(&mut out, &l.rule);
                out.push_str(",\"pointer\":");
                write_str(&mut out, &l.pointer);
                out.push_str(",\"message\":");
                write_str(&mut out, &l.message);
                out.push('}');
            }
            out.push_str("],\"charges\":[");
            for (i, l) in p.charges().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_planned_window(&mut out, p, l);
                out.push('}');
            }
            out.push_str("]}");
        }
    }
    out
}

/// `{"counter":…,"window":…,"window_ms":…,"window_start_ms":…` (left open).
fn write_planned_window(out: &mut String, p: &LimitPlan, l: &LimitRule) {
    out.push_str("{\"counter\":");
    write_str(out, &l.counter);
    out.push_str(",\"window\":\"");
    out.push_str(l.window.as_str());
    out.push_str("\",\"window_ms\":");
    write_u64(out, l.window.millis());
    out.push_str(",\"window_start_ms\":");
    write_u64(out, p.window_start_ms(l));
}

/// A `reserve` plan back from JS. The window starts and charges are recomputed from `at_ms` and
/// the limits, never trusted.
fn read_plan(v: &Value) -> Result<LimitPlan, EngineError> {
    const KIND: &str = "plan";
    let obj = expect_object(KIND, "", v, "a plan")?;
    let kind = string_field(KIND, "", obj, "kind")?;
    if kind != "reserve" {
        return Err(EngineError::one(KIND, "/kind", format!("only a `reserve` plan is finished, found `{kind}`")));
    }
    let items = match field(obj, "limits") {
        Some(Value::Array(items)) => items.as_slice(),
        Some(other) => {
            return Err(EngineError::one(
                KIND,
                "/limits",
                format!("`limits` must be an array, found {}", crate::json::json_type_name(other)),
            ));
        }
        None => return Err(EngineError::one(KIND, "", "missing `limits`".to_string())),
    };
    let mut limits = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let base = format!("/limits/{i}");
        let l = expect_object(KIND, &base, item, "a limit")?;
        limits.push(LimitRule {
            counter: Arc::from(string_field(KIND, &base, l, "counter")?),
            window: window_field(KIND, &base, l)?,
            max: u64_field(KIND, &base, l, "max")?,
            rule: Arc::from(string_field(KIND, &base, l, "rule")?),
            pointer: Arc::from(string_field(KIND, &base, l, "pointer")?),
            message: Arc::from(string_field(KIND, &base, l, "message")?),
        });
    }
    Ok(LimitPlan {
        tool: Arc::from(string_field(KIND, "", obj, "tool")?),
        grant: Arc::from(string_field(KIND, "", obj, "grant")?),
        at_ms: u64_field(KIND, "", obj, "at_ms")?,
        limits,
    })
}

// ---------------------------------------------------------------- JSON in

fn field<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn expect_object<'v>(
    kind: &'static str,
    pointer: &str,
    v: &'v Value,
    what: &str,
) -> Result<&'v Map<String, Value>, EngineError> {
    v.as_object().ok_or_else(|| {
        EngineError::one(kind, pointer, format!("{what} must be an object, found {}", crate::json::json_type_name(v)))
    })
}

fn string_field(kind: &'static str, base: &str, obj: &Map<String, Value>, key: &str) -> Result<String, EngineError> {
    match field(obj, key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(EngineError::one(
            kind,
            &format!("{base}/{key}"),
            format!("`{key}` must be a string, found {}", crate::json::json_type_name(other)),
        )),
        None => Err(EngineError::one(kind, base, format!("missing `{key}`"))),
    }
}

fn u64_field(kind: &'static str, base: &str, obj: &Map<String, Value>, key: &str) -> Result<u64, EngineError> {
    match field(obj, key) {
        Some(v) => v.as_u64().ok_or_else(|| {
            EngineError::one(
                kind,
                &format!("{base}/{key}"),
                format!("`{key}` must be a non-negative integer, found {}", crate::json::json_type_name(v)),
            )
        }),
        None => Err(EngineError::one(kind, base, format!("missing `{key}`"))),
    }
}

fn window_field(kind: &'static str, base: &str, obj: &Map<String, Value>) -> Result<Window, EngineError> {
    let name = string_field(kind, base, obj, "window")?;
    Window::parse(&name).ok_or_else(|| {
        EngineError::one(
            kind,
            &format!("{base}/window"),
            format!("`window` must be one of minute, hour, day, found `{name}`"),
        )
    })
}

/// The parts of a Decision that `release` reads: its outcome and the counters it charged.
fn read_decision(v: &Value) -> Result<Decision, EngineError> {
    const KIND: &str = "decision";
    let obj = expect_object(KIND, "", v, "a decision")?;
    let name = string_field(KIND, "", obj, "outcome")?;
    let outcome = Outcome::ALL.into_iter().find(|o| o.as_str() == name).ok_or_else(|| {
        EngineError::one(
            KIND,
            "/outcome",
            format!("`outcome` must be one of allow, deny, hidden, rate_limited, found `{name}`"),
        )
    })?;
    let items = match field(obj, "counters") {
        Some(Value::Array(items)) => items.as_slice(),
        Some(other) => {
            return Err(EngineError::one(
                KIND,
                "/counters",
                format!("`counters` must be an array, found {}", crate::json::json_type_name(other)),
            ));
        }
        None => &[],
    };
    let mut counters = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let base = format!("/counters/{i}");
        let c = expect_object(KIND, &base, item, "a counter")?;
        counters.push(CounterState {
            counter: string_field(KIND, &base, c, "counter")?.into(),
            grant: string_field(KIND, &base, c, "grant")?.into(),
            window: window_field(KIND, &base, c)?,
            window_start_ms: u64_field(KIND, &base, c, "window_start_ms")?,
            used: u64_field(KIND, &base, c, "used")?,
            max: u64_field(KIND, &base, c, "max")?,
        });
    }
    let empty = crate::decision::SmolStr::default();
    Ok(Decision {
        outcome,
        rule: empty.clone(),
        pointer: None,
        message: empty,
        retry_after_ms: None,
        explain: Vec::new(),
        counters,
        reservation: None,
    })
}

/// A counter snapshot: `{"version"?: 1, "counters": [{grant, counter, window, window_start_ms, used,
/// previous_used?}]}` — what `CounterSnapshot`'s `Deserialize` accepts (a test holds them together).
fn read_snapshot(v: &Value) -> Result<CounterSnapshot, EngineError> {
    const KIND: &str = "state";
    let obj = expect_object(KIND, "", v, "a snapshot")?;
    if let Some(key) = obj.keys().find(|k| *k != "version" && *k != "counters") {
        return Err(EngineError::one(KIND, &format!("/{key}"), format!("unknown key `{key}` in a snapshot")));
    }
    let version = match obj.get("version") {
        None => 1,
        Some(v) if v.as_u64() == Some(1) => 1,
        Some(_) => return Err(EngineError::one(KIND, "/version", "`version` must be 1".to_string())),
    };
    let items = match obj.get("counters") {
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(EngineError::one(
                KIND,
                "/counters",
                format!("`counters` must be an array, found {}", crate::json::json_type_name(other)),
            ));
        }
        None => return Err(EngineError::one(KIND, "", "missing `counters`".to_string())),
    };
    let mut counters = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let base = format!("/counters/{i}");
        let c = expect_object(KIND, &base, item, "a counter")?;
        if let Some(key) = c
            .keys()
            .find(|k| !["grant", "counter", "window", "window_start_ms", "used", "previous_used"].contains(&k.as_str()))
        {
            return Err(EngineError::one(KIND, &format!("{base}/{key}"), format!("unknown key `{key}` in a counter")));
        }
        counters.push(CounterEntry {
            grant: string_field(KIND, &base, c, "grant")?,
            counter: string_field(KIND, &base, c, "counter")?,
            window: window_field(KIND, &base, c)?,
            window_start_ms: u64_field(KIND, &base, c, "window_start_ms")?,
            used: u64_field(KIND, &base, c, "used")?,
            previous_used: if c.contains_key("previous_used") {
                u64_field(KIND, &base, c, "previous_used")?
            } else {
                0
            },
        });
    }
    Ok(CounterSnapshot { version, counters })
}

// ---------------------------------------------------------------- JSON out

/// A Decision as JSON, byte for byte what `serde_json::to_string` writes for it.
pub fn decision_json(d: &Decision) -> String {
    let mut out = String::with_capacity(160);
    out.push('{');
    write_decision(&mut out, d);
    out.push('}');
    out
}

/// The members of a Decision's JSON object (without the braces), in `Serialize` order.
pub fn write_decision(out: &mut String, d: &Decision) {
    out.push_str("\"outcome\":\"");
    out.push_str(d.outcome.as_str());
    out.push_str("\",\"rule\":");
    write_str(out, &d.rule);
    out.push_str(",\"pointer\":");
    match &d.pointer {
        Some(p) => write_str(out, p),
        None => out.push_str("null"),
    }
    out.push_str(",\"message\":");
    write_str(out, &d.message);
    out.push_str(",\"retry_after_ms\":");
    match d.retry_after_ms {
        Some(ms) => write_u64(out, ms),
        None => out.push_str("null"),
    }
    out.push_str(",\"explain\":[");
    for (i, e) in d.explain.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_explain(out, e);
    }
    out.push_str("],\"counters\":[");
    for (i, c) in d.counters.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_counter(out, c);
    }
    out.push(']');
}

/// A Decision as a JSON array of its field values, in `Serialize` order, with explanations and
/// counters as arrays too: `["deny", rule, pointer, message, retry_after_ms, [[path, op, expected,
/// actual, holds]…], [[counter, grant, window, window_start_ms, used, max]…]]`. `JSON.parse`
/// builds arrays about twice as fast as objects, so the JS layer reads this form and names the
/// fields itself; a test holds it to [`decision_json`].
pub fn decision_tuple(d: &Decision) -> String {
    let mut out = String::with_capacity(96);
    out.push('[');
    write_tuple_fields(&mut out, d);
    out.push(']');
    out
}

/// The values of [`decision_tuple`], without the brackets.
fn write_tuple_fields(out: &mut String, d: &Decision) {
    out.push('"');
    out.push_str(d.outcome.as_str());
    out.push_str("\",");
    write_str(out, &d.rule);
    out.push(',');
    match &d.pointer {
        Some(p) => write_str(out, p),
        None => out.push_str("null"),
    }
    out.push(',');
    write_str(out, &d.message);
    out.push(',');
    match d.retry_after_ms {
        Some(ms) => write_u64(out, ms),
        None => out.push_str("null"),
    }
    out.push_str(",[");
    for (i, e) in d.explain.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        write_str(out, &e.path);
        out.push_str(",\"");
        out.push_str(e.op.as_str());
        out.push_str("\",");
        out.push_str(&to_json(&e.expected));
        out.push(',');
        out.push_str(&to_json(&e.actual));
        out.push_str(if e.holds { ",true]" } else { ",false]" });
    }
    out.push_str("],[");
    for (i, c) in d.counters.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        write_str(out, &c.counter);
        out.push(',');
        write_str(out, &c.grant);
        out.push_str(",\"");
        out.push_str(c.window.as_str());
        out.push_str("\",");
        write_u64(out, c.window_start_ms);
        out.push(',');
        write_u64(out, c.used);
        out.push(',');
        write_u64(out, c.max);
        out.push(']');
    }
    out.push(']');
}

fn write_explain(out: &mut String, e: &Explain) {
    out.push_str("{\"path\":");
    write_str(out, &e.path);
    out.push_str(",\"op\":\"");
    out.push_str(e.op.as_str());
    out.push_str("\",\"expected\":");
    out.push_str(&to_json(&e.expected));
    out.push_str(",\"actual\":");
    out.push_str(&to_json(&e.actual));
    out.push_str(",\"holds\":");
    out.push_str(if e.holds { "true" } else { "false" });
    out.push('}');
}

fn write_counter(out: &mut String, c: &CounterState) {
    out.push_str("{\"counter\":");
    write_str(out, &c.counter);
    out.push_str(",\"grant\":");
    write_str(out, &c.grant);
    out.push_str(",\"window\":\"");
    out.push_str(c.window.as_str());
    out.push_str("\",\"window_start_ms\":");
    write_u64(out, c.window_start_ms);
    out.push_str(",\"used\":");
    write_u64(out, c.used);
    out.push_str(",\"max\":");
    write_u64(out, c.max);
    out.push('}');
}

fn write_u64(out: &mut String, n: u64) {
    // Writing to a String cannot fail.
    let _ = write!(out, "{n}");
}

/// A JSON string literal, escaped as `serde_json` does: `"`, `\`, and control characters.
fn write_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(s.get(start..i).unwrap_or(""));
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or(""));
    out.push('"');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn engine(policy: Value) -> Engine {
        Engine::from_text(&policy.to_string()).unwrap()
    }

    const T0: u64 = 1_767_225_600_000;

    #[test]
    fn decisions_are_written_exactly_as_serde_writes_them() {
        let mut e = engine(json!({
            "version": "1", "default": "deny", "hide": ["gone"],
            "all_tools": { "limits": [ { "counter": "all", "window": "minute", "max": 2 } ] },
            "tools": {
                "pay": {
                    "require": ["args.reason"],
                    "deny_if": [ { "conditions": [
                        { "path": "args.amount", "op": "gt", "value": 10000 },
                        { "path": "args.note", "op": "regex", "value": "\"q\\\\u\u{1}\t" } ],
                        "on_deny": "No \"quotes\" \\ or\nnewlines\u{7f} é 😀 \u{1f}" } ],
                    "limits": [ { "counter": "pay/min", "window": "hour", "max": 1 } ]
                }
            }
        }));
        let args = [
            json!({"reason": "r", "amount": 50000, "note": "\"q\\u\u{1}\t!"}),
            json!({"reason": "r", "amount": 5.5, "note": {"deep": [1, null, "x"]}}),
            json!({"amount": 1}),
            json!([1, 2]),
        ];
        let mut decisions = Vec::new();
        for a in &args {
            decisions.push(e.evaluate(&Call::new("pay", T0).with_args(a).with_grant("al\"ice")));
            decisions.push(e.evaluate(&Call::new("pay", T0 + 1).with_args(a)));
        }
        decisions.push(e.evaluate(&Call::new("pay", T0 + 2).with_args(&args[1]).with_grant("al\"ice")));
        decisions.push(e.evaluate(&Call::new("gone", T0)));
        decisions.push(e.evaluate(&Call::new("other\u{0}", T0)));
        decisions.push(Engine::new(None).evaluate(&Call::new("x", T0)));
        let outcomes: std::collections::BTreeSet<_> = decisions.iter().map(|d| d.outcome).collect();
        assert_eq!(outcomes.len(), 4, "every outcome is covered: {outcomes:?}");
        assert!(decisions.iter().any(|d| d.explain.len() == 2), "explanations are covered");
        assert!(decisions.iter().any(|d| d.counters.len() == 2), "several counters are covered");
        for d in &decisions {
            assert_eq!(decision_json(d), serde_json::to_string(d).unwrap());
            let object: Value = serde_json::from_str(&decision_json(d)).unwrap();
            let tuple: Value = serde_json::from_str(&decision_tuple(d)).unwrap();
            assert_eq!(tuple_to_object(&tuple), object, "{}", decision_tuple(d));
        }
    }

    /// What the JS layer does with a tuple (npm/api.mjs `fromTuple`).
    fn tuple_to_object(t: &Value) -> Value {
        let explain: Vec<Value> = t[5]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| json!({"path": e[0], "op": e[1], "expected": e[2], "actual": e[3], "holds": e[4]}))
            .collect();
        let counters: Vec<Value> = t[6]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| json!({"counter": c[0], "grant": c[1], "window": c[2], "window_start_ms": c[3], "used": c[4], "max": c[5]}))
            .collect();
        json!({"outcome": t[0], "rule": t[1], "pointer": t[2], "message": t[3], "retry_after_ms": t[4],
               "explain": explain, "counters": counters})
    }

    #[test]
    fn simulations_are_written_exactly_as_serde_writes_them() {
        let e = PolicyEngine {
            engine: engine(json!({"version": "1", "default": "deny", "hide": ["h"],
                "tools": {"t": {"limits": [{"counter": "c", "window": "minute", "max": 1}],
                                "deny_if": [{"conditions": [{"path": "args.x", "op": "eq", "value": "\"x\""}]}]}}})),
        };
        let trace = "{\"tool\": \"t\", \"at_ms\": 1767225600000, \"grant\": \"g\\\"\"}\n\
                     {\"tool\": \"t\", \"args\": {\"x\": \"\\\"x\\\"\"}}\n\
                     {\"tool\": \"t\", \"upstream_error\": true}\n{\"tool\": \"t\"}\n{\"tool\": \"h\"}\n{\"tool\": \"u\"}\n";
        let expected = crate::trace::simulate_text(e.engine.policy(), trace).unwrap();
        assert_eq!(expected.decisions.len(), 6);
        assert_eq!(e.simulate(trace).unwrap(), serde_json::to_string(&expected).unwrap());
        let tuples: Value = serde_json::from_str(&e.simulate_tuples(trace).unwrap()).unwrap();
        assert_eq!(tuples[1], serde_json::to_value(&expected.summary).unwrap());
        let object: Value = serde_json::from_str(&e.simulate(trace).unwrap()).unwrap();
        for (i, t) in tuples[0].as_array().unwrap().iter().enumerate() {
            let mut d = tuple_to_object(&Value::Array(t.as_array().unwrap()[4..].to_vec()));
            let o = d.as_object_mut().unwrap();
            let labelled: Map<String, Value> = [("index", &t[0]), ("tool", &t[1]), ("grant", &t[2]), ("at_ms", &t[3])]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .chain(o.clone())
                .collect();
            assert_eq!(Value::Object(labelled), object["decisions"][i]);
        }
        assert_eq!(
            e.simulate("").unwrap(),
            serde_json::to_string(&crate::trace::simulate(e.engine.policy(), &[])).unwrap()
        );
        let err = e.simulate("{\"tool\": \"t\", \"at-ms\": 5}").unwrap_err();
        assert_eq!((err.kind_str(), err.errors()[0].line), ("trace", Some(1)));
    }

    #[test]
    fn the_typescript_types_name_every_lint_code() {
        let types = include_str!("../../npm/index.d.ts");
        for code in crate::advise::lint::CODES {
            assert!(types.contains(&format!("'{code}'")), "npm/index.d.ts lacks the warning code `{code}`");
        }
    }

    #[test]
    fn a_released_decision_gives_its_quota_back() {
        let mut e = PolicyEngine {
            engine: engine(json!({"version": "1", "default": "allow",
                "tools": {"t": {"limits": [{"counter": "c", "window": "minute", "max": 1}]}}})),
        };
        let d = e.evaluate("t", "", None, T0 as f64).unwrap();
        assert!(d.contains("\"allow\""), "{d}");
        assert!(e.evaluate("t", "", None, T0 as f64).unwrap().contains("\"rate_limited\""));
        assert_eq!(e.release(&d, None).unwrap(), 1);
        assert_eq!(e.release(&d, None).unwrap(), 0, "once");
        assert!(e.evaluate("t", "{}", None, T0 as f64).unwrap().contains("\"allow\""));
    }

    #[test]
    fn malformed_inputs_are_located_errors() {
        let mut e = PolicyEngine { engine: engine(json!({"version": "1", "default": "allow"})) };
        let err = e.evaluate("t", "{\"a\": }", None, 0.0).unwrap_err();
        assert_eq!(
            (err.kind_str(), err.errors()[0].pointer.as_str(), err.errors()[0].line),
            ("call", "/args", Some(1))
        );
        for bad in [f64::NAN, -1.0, 0.5, f64::INFINITY, 2f64.powi(53)] {
            let err = e.evaluate("t", "", None, bad).unwrap_err();
            assert_eq!(err.errors()[0].pointer, "/at_ms", "{bad}");
        }
        let err = e.release("{\"outcome\": \"allow\", \"counters\": [{\"counter\": 1}]}", None).unwrap_err();
        assert_eq!((err.kind_str(), err.errors()[0].pointer.as_str()), ("decision", "/counters/0/counter"));
        let err = e.release("[]", None).unwrap_err();
        assert_eq!(err.errors()[0].message, "a decision must be an object, found an array");
        let err = e.import_state("{\"counters\": [{\"grant\": \"g\", \"counter\": \"c\", \"window\": \"week\", \"window_start_ms\": 0, \"used\": 1}]}").unwrap_err();
        assert_eq!(err.errors()[0].pointer, "/counters/0/window");
        let err = e.import_state("{\"counters\": [], \"extra\": 1}").unwrap_err();
        assert_eq!(err.errors()[0].pointer, "/extra");
        let err = e.import_state("{\"counters\": [{\"grant\": \"g\", \"counter\": \"c\", \"window\": \"minute\", \"window_start_ms\": 1, \"used\": 1}]}").unwrap_err();
        assert_eq!(err.errors()[0].pointer, "/counters/0/window_start_ms");
    }

    #[test]
    fn snapshots_round_trip_through_json() {
        let mut e = PolicyEngine {
            engine: engine(json!({"version": "1", "default": "allow",
                "tools": {"t": {"limits": [{"counter": "c", "window": "minute", "max": 5}]}}})),
        };
        for g in ["b", "a"] {
            e.evaluate("t", "", Some(g.to_string()), T0 as f64).unwrap();
        }
        let state = e.export_state();
        let mut f = PolicyEngine { engine: engine(json!({"version": "1", "default": "allow"})) };
        f.import_state(&state).unwrap();
        assert_eq!(f.export_state(), state);
        assert_eq!(read_snapshot(&serde_json::from_str(&state).unwrap()).unwrap(), e.engine.export_state());
    }

    #[test]
    fn snapshots_are_read_as_their_deserialize_impl_reads_them() {
        let accepted = [
            json!({"counters": []}),
            json!({"version": 1, "counters": [
                {"grant": "g", "counter": "c", "window": "minute", "window_start_ms": T0, "used": 3},
                {"grant": "g", "counter": "d", "window": "day", "window_start_ms": T0, "used": 0, "previous_used": 7},
                {"grant": "h", "counter": "c", "window": "hour", "window_start_ms": 0, "used": 1}]}),
        ];
        for v in accepted {
            let serde: CounterSnapshot = serde_json::from_value(v.clone()).unwrap();
            assert_eq!(read_snapshot(&v).unwrap(), serde, "{v}");
        }
        let refused = [
            json!([]),
            json!({"version": 1}),
            json!({"version": null, "counters": []}),
            json!({"counters": [{"grant": "g", "counter": "c", "window": "hour", "window_start_ms": 0, "used": 1, "previous_used": null}]}),
            json!({"counters": {}}),
            json!({"counters": [{"grant": "g", "counter": "c", "window": "week", "window_start_ms": 0, "used": 1}]}),
            json!({"counters": [{"grant": "g", "counter": "c", "window": "hour", "window_start_ms": -1, "used": 1}]}),
            json!({"counters": [{"grant": "g", "counter": "c", "window": "hour", "window_start_ms": 0, "used": 1.5}]}),
            json!({"counters": [{"grant": "g", "counter": "c", "window": "hour", "window_start_ms": 0}]}),
            json!({"counters": [{"grant": 1, "counter": "c", "window": "hour", "window_start_ms": 0, "used": 1}]}),
            json!({"counters": [{"grant": "g", "counter": "c", "window": "hour", "window_start_ms": 0, "used": 1, "x": 0}]}),
        ];
        for v in refused {
            assert!(serde_json::from_value::<CounterSnapshot>(v.clone()).is_err(), "serde accepts {v}");
            assert!(read_snapshot(&v).is_err(), "the facade accepts {v}");
        }
        let future = json!({"version": 2, "counters": []});
        assert_eq!(read_snapshot(&future).unwrap_err().errors()[0].pointer, "/version", "unknown versions are refused");
    }
}
