//! Never shipped (feature `bench-serde-wasm-bindgen`): each hot boundary with `serde-wasm-bindgen`
//! (JS objects converted field by field) in place of JSON text, so `tests/bench/boundaries.mjs` can
//! measure both in one run. The figures and the choice are in `pkg/README.md`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use toolgate_engine::evaluate::parse_policy;
use toolgate_engine::trace::TraceCall;
use toolgate_engine::{Call, DEFAULT_GRANT, Engine};
use wasm_bindgen::prelude::*;

use crate::EngineError;
use crate::wire::decision_tuple;

fn js_error(kind: &'static str, e: &serde_wasm_bindgen::Error) -> EngineError {
    EngineError::one(kind, "", e.to_string())
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, EngineError> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| js_error("call", &e))
}

/// A policy engine whose calls cross as JS objects.
#[wasm_bindgen]
pub struct SwbEngine {
    engine: Engine,
}

#[wasm_bindgen]
impl SwbEngine {
    /// Parses policy text.
    #[wasm_bindgen(constructor)]
    pub fn new(policy_json: &str) -> Result<SwbEngine, EngineError> {
        Engine::from_text(policy_json).map(|engine| SwbEngine { engine }).map_err(|e| EngineError::new("policy", e))
    }

    /// Call in as objects (`args` converted by serde-wasm-bindgen), decision out as tuple text.
    #[wasm_bindgen(js_name = evaluateObjectsIn)]
    pub fn evaluate_objects_in(&mut self, tool: &str, args: JsValue, at_ms: f64) -> Result<String, EngineError> {
        let args: Value = serde_wasm_bindgen::from_value(args).map_err(|e| js_error("call", &e))?;
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "benchmark input")]
        let call = Call { tool, args: Some(&args), grant: DEFAULT_GRANT, at_ms: at_ms as u64 };
        Ok(decision_tuple(&self.engine.evaluate(&call)))
    }

    /// Call in as JSON text, decision out as an object (serde-wasm-bindgen).
    #[wasm_bindgen(js_name = evaluateObjectOut)]
    pub fn evaluate_object_out(&mut self, tool: &str, args_json: &str, at_ms: f64) -> Result<JsValue, EngineError> {
        let args = crate::read::parse_json("call", "/args", args_json)?;
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "benchmark input")]
        let call = Call { tool, args: Some(&args), grant: DEFAULT_GRANT, at_ms: at_ms as u64 };
        to_js(&self.engine.evaluate(&call))
    }

    /// Both: objects in, object out.
    #[wasm_bindgen(js_name = evaluateObjects)]
    pub fn evaluate_objects(&mut self, tool: &str, args: JsValue, at_ms: f64) -> Result<JsValue, EngineError> {
        let args: Value = serde_wasm_bindgen::from_value(args).map_err(|e| js_error("call", &e))?;
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "benchmark input")]
        let call = Call { tool, args: Some(&args), grant: DEFAULT_GRANT, at_ms: at_ms as u64 };
        to_js(&self.engine.evaluate(&call))
    }
}

/// One call of a trace as the benchmark gives it.
#[derive(Deserialize)]
struct CallIn {
    tool: String,
    args: Value,
    grant: String,
    at_ms: u64,
}

fn calls_in(calls: JsValue) -> Result<Vec<TraceCall>, EngineError> {
    let calls: Vec<CallIn> = serde_wasm_bindgen::from_value(calls).map_err(|e| js_error("trace", &e))?;
    Ok(calls
        .into_iter()
        .map(|c| TraceCall {
            tool: c.tool,
            args: c.args,
            grant: c.grant,
            at_ms: c.at_ms,
            upstream_error: false,
            refusal: None,
        })
        .collect())
}

/// Simulate with the calls in as objects (serde-wasm-bindgen) and the result out as tuple text.
#[wasm_bindgen(js_name = simulateObjectsIn)]
pub fn simulate_objects_in(policy_json: &str, calls: JsValue) -> Result<String, EngineError> {
    let policy = parse_policy(policy_json).map_err(|e| EngineError::new("policy", e))?;
    let calls = calls_in(calls)?;
    let mut out = String::from("[[");
    let summary = toolgate_engine::trace::simulate_with(policy.as_ref(), &calls, |index, call, decision| {
        if index > 0 {
            out.push(',');
        }
        crate::wire::write_sim_tuple(&mut out, u64::try_from(index).unwrap_or(u64::MAX), call, &decision);
    });
    out.push_str("],");
    out.push_str(&crate::wire::to_json(&summary));
    out.push(']');
    Ok(out)
}

/// Simulate with the trace in as JSON text and the result out as objects (serde-wasm-bindgen).
#[wasm_bindgen(js_name = simulateObjectsOut)]
pub fn simulate_objects_out(policy_json: &str, trace_json: &str) -> Result<JsValue, EngineError> {
    let policy = parse_policy(policy_json).map_err(|e| EngineError::new("policy", e))?;
    let sim =
        toolgate_engine::trace::simulate_text(policy.as_ref(), trace_json).map_err(|e| EngineError::new("trace", e))?;
    to_js(&sim)
}

/// Both: objects in, objects out.
#[wasm_bindgen(js_name = simulateObjects)]
pub fn simulate_objects(policy_json: &str, calls: JsValue) -> Result<JsValue, EngineError> {
    let policy = parse_policy(policy_json).map_err(|e| EngineError::new("policy", e))?;
    let calls = calls_in(calls)?;
    to_js(&toolgate_engine::trace::simulate(policy.as_ref(), &calls))
}
