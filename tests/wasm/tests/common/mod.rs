//! Tests shared by the Node and the browser runs: the facade compiled to wasm32, called as the
//! package's JS layer calls it (JSON text in, JSON text out, `EngineError` thrown).

use serde_json::{Value, json};
use toolgate_wasm::{EngineError, PolicyEngine, simulate, validate, version};
use wasm_bindgen::JsValue;

const T0: f64 = 1_767_225_600_000.0;
const VECTORS: &str = include_str!("../../../corpus/vectors.json");

fn engine(policy: &Value) -> PolicyEngine {
    PolicyEngine::new(&policy.to_string()).unwrap()
}

fn decide(e: &mut PolicyEngine, tool: &str, args: &Value, grant: Option<&str>, at_ms: f64) -> Value {
    let out = e.evaluate(tool, &args.to_string(), grant.map(str::to_string), at_ms).unwrap();
    serde_json::from_str(&out).unwrap()
}

/// The shared conformance vectors, run inside wasm32: same decisions, rules and messages.
pub fn the_conformance_vectors_decide_alike_in_wasm() {
    let cases: Vec<Value> = serde_json::from_str(VECTORS).unwrap();
    let mut calls = 0;
    for c in &cases {
        let expect = c["expect"].as_array().unwrap();
        let policy = c["policy"].to_string();
        if expect[0]["decision"] == "invalid_policy" {
            let err = PolicyEngine::new(&policy).unwrap_err();
            assert_eq!(err.kind(), "policy");
            let errors: Vec<Value> = serde_json::from_str(&err.errors_json()).unwrap();
            assert!(errors.iter().any(|e| e["pointer"] == expect[0]["path"]), "{}: {errors:?}", c["name"]);
            continue;
        }
        let mut e = PolicyEngine::new(&policy).unwrap();
        for (i, call) in c["calls"].as_array().unwrap().iter().enumerate() {
            let at = call["at_ms"].as_f64().unwrap();
            let d = decide(&mut e, call["tool"].as_str().unwrap(), &call["args"], call["grant"].as_str(), at);
            let want = &expect[i];
            assert_eq!(d["outcome"], want["decision"], "{} call {i}: {d}", c["name"]);
            for field in ["rule", "message"] {
                if let Some(w) = want.get(field) {
                    assert_eq!(&d[field], w, "{} call {i}", c["name"]);
                }
            }
            if call["upstream_error"] == true {
                e.release(&d.to_string(), None).unwrap();
            }
            calls += 1;
        }
    }
    assert!(calls > 50, "{calls} calls");
}

/// Timestamps are JS numbers: only whole milliseconds from 0 to 2^53-1 cross.
pub fn timestamps_outside_safe_integers_are_call_errors_not_traps() {
    let mut e = engine(&json!({"version": "1", "default": "allow"}));
    for bad in [f64::NAN, -1.0, 0.5, f64::INFINITY, f64::NEG_INFINITY, 9_007_199_254_740_992.0] {
        let err = e.evaluate("t", "", None, bad).unwrap_err();
        assert_eq!(err.kind(), "call");
        assert!(err.errors_json().contains("/at_ms"));
    }
    let d = decide(&mut e, "t", &json!({}), None, 9_007_199_254_740_991.0);
    assert_eq!(d["outcome"], "allow");
}

/// A failure reaches JS as an object (an `EngineError` instance), never as a string.
pub fn errors_cross_as_objects_with_a_kind_and_located_problems() {
    let err: EngineError = PolicyEngine::new("{\n  \"version\": \"1\",\n  \"default\": deny\n}").unwrap_err();
    assert_eq!(err.kind(), "policy");
    let errors: Vec<Value> = serde_json::from_str(&err.errors_json()).unwrap();
    assert_eq!(errors[0]["line"], 3);
    assert!(errors[0]["message"].as_str().unwrap().starts_with("invalid JSON"));
    let js: JsValue = err.into();
    assert!(js.is_object());
    assert!(js.as_string().is_none());
}

/// Arguments that are not an object, oversized or with duplicate keys are denied (fail closed); JSON
/// that is not JSON is an error.
pub fn arguments_are_decided_or_refused_with_their_place() {
    let mut e = engine(&json!({"version": "1", "default": "allow"}));
    for args in [json!([1, 2]), json!("x"), json!(3)] {
        let d = decide(&mut e, "t", &args, None, T0);
        assert_eq!((d["outcome"].as_str(), d["rule"].as_str()), (Some("deny"), Some("(invalid arguments)")));
    }
    let err = e.evaluate("t", "{\"a\": [1,}", None, T0).unwrap_err();
    assert_eq!(err.kind(), "call");
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(e.evaluate("t", &deep, None, T0).unwrap_err().kind(), "call");
    let big = format!("{{\"s\": \"{}\"}}", "x".repeat(8_000_000));
    assert!(
        e.evaluate("t", &big, None, T0).unwrap().contains("\"message\":\"Arguments are 7.7 MiB; the limit is 1 MiB\"")
    );
    let twice = e.evaluate("t", "{\"a\": 1, \"a\": 2}", None, T0).unwrap();
    assert!(twice.contains("\"message\":\"Arguments have a duplicate key `a` at /a\""), "{twice}");
}

/// Quota, release, snapshots and simulation through the facade.
pub fn state_and_simulation_round_trip_through_json() {
    let policy = json!({"version": "1", "default": "deny",
        "tools": {"t": {"limits": [{"counter": "c", "window": "minute", "max": 2}]}}});
    let mut a = engine(&policy);
    let first = decide(&mut a, "t", &json!({}), Some("g"), T0);
    decide(&mut a, "t", &json!({}), Some("g"), T0 + 1.0);
    assert_eq!(decide(&mut a, "t", &json!({}), Some("g"), T0 + 2.0)["outcome"], "rate_limited");
    assert_eq!(a.release(&first.to_string(), None).unwrap(), 1);
    let mut b = engine(&policy);
    b.import_state(&a.export_state()).unwrap();
    assert_eq!(b.export_state(), a.export_state());
    let next_a = decide(&mut a, "t", &json!({}), Some("g"), T0 + 3.0);
    let next_b = decide(&mut b, "t", &json!({}), Some("g"), T0 + 3.0);
    assert_eq!(next_a, next_b);
    let sim: Value = serde_json::from_str(
        &simulate(&policy.to_string(), "[{\"tool\": \"t\"}, {\"tool\": \"t\"}, {\"tool\": \"t\"}]").unwrap(),
    )
    .unwrap();
    assert_eq!(sim["summary"]["rate_limited"], 1);
    assert_eq!(sim["decisions"][2]["index"], 2);
    assert!(simulate(&policy.to_string(), "[{\"tool\": 1}]").is_err());
}

/// Validation with lint, filtering and the version.
pub fn validation_filtering_and_version_work_in_wasm() {
    let report: Value = serde_json::from_str(
        &validate(
            "{\"version\": \"1\", \"default\": \"deny\", \"tools\": {\"serch\": {}}}",
            Some("{\"tools\": [{\"name\": \"search\"}]}".into()),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(report["valid"], true);
    assert_eq!(report["warnings"][0]["code"], "unknown-tool");
    let e = engine(&json!({"version": "1", "default": "allow", "hide": ["b"]}));
    assert_eq!(
        e.filter_tools("{\"tools\":[{\"name\":\"a\"},{\"name\":\"b\"}]}").unwrap(),
        "{\"tools\":[{\"name\":\"a\"}]}"
    );
    assert!(!e.is_visible("b"));
    assert_eq!(version(), toolgate_engine::VERSION);
}
