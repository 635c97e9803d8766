//! The gateway module (`toolgate_bg.wasm`): the stateful `PolicyEngine` class. Each method reads
//! its inputs, makes one engine call and writes the answer.

use toolgate_engine::evaluate::{Plan, parse_policy};
use toolgate_engine::{Call, DEFAULT_GRANT, Decision, Engine};
use wasm_bindgen::prelude::*;

use crate::EngineError;
use crate::read::{Arguments, arguments, count, parse_json, read_decision, read_plan, read_snapshot, timestamp};
use crate::wire::{decision_json, decision_tuple, plan_json, to_json, write_tuple_fields, write_u64};

/// The Decision JSON of arguments of `bytes` bytes, refused for their size without crossing into
/// the module (the JS layer sends no argument text over `maxArgumentBytes()`).
#[wasm_bindgen(js_name = refusedArguments)]
pub fn refused_arguments(bytes: f64) -> String {
    let bytes = count(bytes).and_then(|b| usize::try_from(b).ok()).unwrap_or(usize::MAX);
    decision_json(&toolgate_engine::evaluate::refused_arguments(&toolgate_engine::args::too_long(bytes)))
}

/// The longest argument text read, in bytes of UTF-8 (`toolgate_engine::args::MAX_ARGUMENT_BYTES`).
#[wasm_bindgen(js_name = maxArgumentBytes)]
pub fn max_argument_bytes() -> u32 {
    u32::try_from(toolgate_engine::args::MAX_ARGUMENT_BYTES).unwrap_or(u32::MAX)
}

/// The engine's version (the crate version).
#[wasm_bindgen]
pub fn version() -> String {
    toolgate_engine::VERSION.to_string()
}

/// One engine: a policy (or none) with its counters.
#[wasm_bindgen]
#[derive(Debug, Clone)]
pub struct PolicyEngine {
    engine: Engine,
}

/// Reads a call's inputs and hands the call to `decide`; arguments refused before any rule
/// (duplicate keys, over the caps) are handed to `refused` instead.
fn with_call<R>(
    tool: &str,
    args_json: &str,
    grant: Option<&str>,
    at_ms: f64,
    decide: impl FnOnce(&Call) -> R,
    refused: impl FnOnce(Decision) -> R,
) -> Result<R, EngineError> {
    let at_ms = timestamp(at_ms)?;
    match arguments(args_json)? {
        Arguments::Read(args) => {
            Ok(decide(&Call { tool, args: args.as_ref(), grant: grant.unwrap_or(DEFAULT_GRANT), at_ms }))
        }
        Arguments::Refused(d) => Ok(refused(d)),
    }
}

/// A decision tuple followed by the reservation's sequence number (or `null`) for `release`.
fn tuple_with_reservation(d: &Decision) -> String {
    let mut out = String::with_capacity(120);
    out.push('[');
    write_tuple_fields(&mut out, d);
    match d.reservation {
        Some(r) => {
            out.push(',');
            write_u64(&mut out, r.seq());
        }
        None => out.push_str(",null"),
    }
    out.push(']');
    out
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
        let engine = &mut self.engine;
        with_call(
            tool,
            args_json,
            grant.as_deref(),
            at_ms,
            |c| decision_json(&engine.evaluate(c)),
            |d| decision_json(&d),
        )
    }

    /// Decides a call without charging anything (a dry run). Returns the Decision as JSON.
    pub fn check(&self, tool: &str, args_json: &str, grant: Option<String>, at_ms: f64) -> Result<String, EngineError> {
        with_call(
            tool,
            args_json,
            grant.as_deref(),
            at_ms,
            |c| decision_json(&self.engine.check(c)),
            |d| decision_json(&d),
        )
    }

    /// `evaluate`, returning the Decision as a JSON array followed by its reservation (the JS
    /// layer's fast path, see [`crate::wire::decision_tuple`]).
    #[wasm_bindgen(js_name = evaluateTuple)]
    pub fn evaluate_tuple(
        &mut self,
        tool: &str,
        args_json: &str,
        grant: Option<String>,
        at_ms: f64,
    ) -> Result<String, EngineError> {
        let engine = &mut self.engine;
        with_call(
            tool,
            args_json,
            grant.as_deref(),
            at_ms,
            |c| tuple_with_reservation(&engine.evaluate(c)),
            |d| tuple_with_reservation(&d),
        )
    }

    /// `check`, returning the Decision as a JSON array (see [`crate::wire::decision_tuple`]).
    #[wasm_bindgen(js_name = checkTuple)]
    pub fn check_tuple(
        &self,
        tool: &str,
        args_json: &str,
        grant: Option<String>,
        at_ms: f64,
    ) -> Result<String, EngineError> {
        with_call(
            tool,
            args_json,
            grant.as_deref(),
            at_ms,
            |c| decision_tuple(&self.engine.check(c)),
            |d| decision_tuple(&d),
        )
    }

    /// The upstream failed after an allowed call: gives its quota back in the window it was
    /// charged in, at most once. Takes the Decision as JSON and the reservation `evaluateTuple`
    /// gave it (absent for a copy); returns how many counters were released.
    pub fn release(&mut self, decision_json: &str, reservation: Option<f64>) -> Result<u32, EngineError> {
        let mut decision = read_decision(&parse_json("decision", "", decision_json)?)?;
        if let Some(seq) = reservation {
            let seq = count(seq).ok_or_else(|| EngineError::one("decision", "", "invalid reservation".to_string()))?;
            decision.reservation = toolgate_engine::decision::Reservation::new(self.engine.id(), seq);
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
        toolgate_engine::tools::filter_tools(self.engine.policy(), result_json)
            .map_err(|e| EngineError::new("tools", vec![e]))
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
    /// [`crate::wire::plan_json`]).
    pub fn plan(&self, tool: &str, args_json: &str, grant: Option<String>, at_ms: f64) -> Result<String, EngineError> {
        with_call(
            tool,
            args_json,
            grant.as_deref(),
            at_ms,
            |c| plan_json(&self.engine.plan(c)),
            |d| plan_json(&Plan::Final(d)),
        )
    }

    /// Finishes a `reserve` plan (its JSON, as [`crate::wire::plan_json`] wrote it) from the
    /// store's counts: `used[i]` = calls already counted for `limits[i]` in the call's window.
    /// Returns the Decision as a tuple (see [`crate::wire::decision_tuple`]).
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
    /// The engine (for tests and native hosts of the facade).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }
}
