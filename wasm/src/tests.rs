//! The facade's native tests: every writer and reader held to the engine's serde impls.
#![cfg(all(feature = "gateway", feature = "tools"))]

use serde_json::json;

use serde_json::{Map, Value};
use toolgate_engine::limit::CounterSnapshot;
use toolgate_engine::{Call, Engine};

use crate::read::read_snapshot;
use crate::wire::{decision_json, decision_tuple};
use crate::{PolicyEngine, simulate, simulate_tuples};

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
    let policy = json!({"version": "1", "default": "deny", "hide": ["h"],
        "tools": {"t": {"limits": [{"counter": "c", "window": "minute", "max": 1}],
                        "deny_if": [{"conditions": [{"path": "args.x", "op": "eq", "value": "\"x\""}]}]}}})
    .to_string();
    let parsed = engine(serde_json::from_str(&policy).unwrap());
    let trace = "{\"tool\": \"t\", \"at_ms\": 1767225600000, \"grant\": \"g\\\"\"}\n\
                 {\"tool\": \"t\", \"args\": {\"x\": \"\\\"x\\\"\"}}\n\
                 {\"tool\": \"t\", \"upstream_error\": true}\n{\"tool\": \"t\"}\n{\"tool\": \"h\"}\n{\"tool\": \"u\"}\n";
    let expected = toolgate_engine::trace::simulate_text(parsed.policy(), trace).unwrap();
    assert_eq!(expected.decisions.len(), 6);
    assert_eq!(simulate(&policy, trace).unwrap(), serde_json::to_string(&expected).unwrap());
    let tuples: Value = serde_json::from_str(&simulate_tuples(&policy, trace).unwrap()).unwrap();
    assert_eq!(tuples[1], serde_json::to_value(&expected.summary).unwrap());
    let object: Value = serde_json::from_str(&simulate(&policy, trace).unwrap()).unwrap();
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
        simulate(&policy, "").unwrap(),
        serde_json::to_string(&toolgate_engine::trace::simulate(parsed.policy(), &[])).unwrap()
    );
    let err = simulate(&policy, "{\"tool\": \"t\", \"at-ms\": 5}").unwrap_err();
    assert_eq!((err.kind_str(), err.errors()[0].line), ("trace", Some(1)));
    let err = simulate("{", "").unwrap_err();
    assert_eq!(err.kind_str(), "policy");
}

#[test]
fn the_typescript_types_name_every_lint_code() {
    let types = include_str!("../../npm/index.d.ts");
    for code in toolgate_engine::lint::CODES {
        assert!(types.contains(&format!("'{code}'")), "npm/index.d.ts lacks the warning code `{code}`");
    }
}

#[test]
fn a_released_decision_gives_its_quota_back() {
    let mut e = PolicyEngine::new(
        &json!({"version": "1", "default": "allow",
            "tools": {"t": {"limits": [{"counter": "c", "window": "minute", "max": 1}]}}})
        .to_string(),
    )
    .unwrap();
    let d = e.evaluate("t", "", None, T0 as f64).unwrap();
    assert!(d.contains("\"allow\""), "{d}");
    assert!(e.evaluate("t", "", None, T0 as f64).unwrap().contains("\"rate_limited\""));
    assert_eq!(e.release(&d, None).unwrap(), 1);
    assert_eq!(e.release(&d, None).unwrap(), 0, "once");
    assert!(e.evaluate("t", "{}", None, T0 as f64).unwrap().contains("\"allow\""));
}

#[test]
fn malformed_inputs_are_located_errors() {
    let mut e = PolicyEngine::new(&json!({"version": "1", "default": "allow"}).to_string()).unwrap();
    let err = e.evaluate("t", "{\"a\": }", None, 0.0).unwrap_err();
    assert_eq!((err.kind_str(), err.errors()[0].pointer.as_str(), err.errors()[0].line), ("call", "/args", Some(1)));
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
    let mut e = PolicyEngine::new(
        &json!({"version": "1", "default": "allow",
            "tools": {"t": {"limits": [{"counter": "c", "window": "minute", "max": 5}]}}})
        .to_string(),
    )
    .unwrap();
    for g in ["b", "a"] {
        e.evaluate("t", "", Some(g.to_string()), T0 as f64).unwrap();
    }
    let state = e.export_state();
    let mut f = PolicyEngine::new(&json!({"version": "1", "default": "allow"}).to_string()).unwrap();
    f.import_state(&state).unwrap();
    assert_eq!(f.export_state(), state);
    assert_eq!(read_snapshot(&serde_json::from_str(&state).unwrap()).unwrap(), e.engine().export_state());
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

/// The wire types as the facade writes them — every outcome, plan kind and report — one sample
/// each, in `tests/js/wire-samples.ts` as constants annotated with the package's declared types.
/// This test holds the file to the facade's real output (`TOOLGATE_BLESS=1` rewrites it after an
/// intended change); `tsc --strict` (scripts/test-pkg.sh) holds it to `npm/index.d.ts`: a field
/// the types lack, miss or type differently fails there. So the declarations cannot drift from
/// the Rust types without a failing test.
#[test]
fn the_wire_samples_checked_by_tsc_are_what_the_facade_writes() {
    let policy = json!({"version": "1", "default": "deny", "hide": ["drop"],
        "all_tools": {"limits": [{"counter": "all", "window": "hour", "max": 100}]},
        "tools": {
            "search": {"limits": [{"counter": "searches", "window": "minute", "max": 1}]},
            "refund": {"require": ["args.reason"],
                       "deny_if": [{"conditions": [{"path": "args.amount", "op": "gt", "value": 1000}], "on_deny": "Too much."}]}}})
    .to_string();
    let mut e = PolicyEngine::new(&policy).unwrap();
    let t = T0 as f64;
    let mut samples: Vec<(String, &str, String)> = Vec::new();
    let mut add = |name: &str, ty: &'static str, json: String| samples.push((name.to_string(), ty, json));
    add("decisionAllow", "Decision", e.evaluate("search", "{\"q\": \"a\"}", Some("alice".into()), t).unwrap());
    add("decisionRateLimited", "Decision", e.evaluate("search", "{}", Some("alice".into()), t + 1.0).unwrap());
    add("decisionDeny", "Decision", e.evaluate("refund", "{\"reason\": \"x\", \"amount\": 5000}", None, t).unwrap());
    add("decisionDefaultDeny", "Decision", e.evaluate("other", "", None, t).unwrap());
    add("decisionHidden", "Decision", e.check("drop", "", None, t).unwrap());
    add("decisionInvalidArguments", "Decision", e.check("search", "[1]", None, t).unwrap());
    add("planFinal", "Plan", e.plan("other", "", None, t).unwrap());
    add("planReserve", "Plan", e.plan("search", "{}", Some("bob".into()), t).unwrap());
    e.evaluate("search", "{}", Some("alice".into()), t + 61_000.0).unwrap();
    add("snapshot", "CounterSnapshot", e.export_state());
    let trace = "[{\"tool\": \"search\", \"at_ms\": 1767225600000}, {\"tool\": \"search\"}, {\"tool\": \"drop\"}, \
                 {\"tool\": \"refund\", \"args\": {\"amount\": 5000, \"reason\": \"r\"}}, {\"tool\": \"x\"}]";
    add("simulation", "SimulationResult", simulate(&policy, trace).unwrap());
    let tools = Some("{\"tools\": [{\"name\": \"search\", \"inputSchema\": {\"type\": \"object\", \"properties\": {\"q\": {\"type\": \"string\"}}}}]}".to_string());
    add("reportValid", "ValidationReport", crate::validate(&policy, tools).unwrap());
    add(
        "reportInvalid",
        "ValidationReport",
        crate::validate("{\"version\": \"1\", \"default\": \"deny\", \"tool\": {}}", None).unwrap(),
    );
    let err = PolicyEngine::new("{\"version\": \"1\", \"default\": \"deny\", \"tools\": {\"t\": {\"deny-if\": []}}}")
        .unwrap_err();
    add("errors", "ValidationError[]", err.errors_json());
    let new = include_str!("../../tests/review/refunds.new.json");
    let old = include_str!("../../tests/review/refunds.old.json");
    let traffic = include_str!("../../tests/review/traffic.record.jsonl");
    add("diff", "PolicyDiff", crate::diff_policies(old, new, Some(traffic.to_string())).unwrap());
    let tests = include_str!("../../tests/review/refunds.failing.tests.json");
    add("testReport", "TestReport", crate::run_tests(new, tests, true).unwrap());

    let mut out = String::from(
        "// Generated by `TOOLGATE_BLESS=1 cargo test -p toolgate-wasm` (wasm/src/tests.rs): the wire types as the\n\
         // facade writes them, one sample per variant. `tsc --strict` (tests/js/tsconfig.json) checks them against\n\
         // the package's declarations; the Rust test checks this file against the facade's output.\n\
         import type * as T from 'toolgate';\n",
    );
    for (name, ty, json) in &samples {
        let value: Value = serde_json::from_str(json).unwrap();
        out.push_str(&format!("\nexport const {name}: T.{ty} = {};\n", serde_json::to_string_pretty(&value).unwrap()));
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/js/wire-samples.ts");
    if std::env::var_os("TOOLGATE_BLESS").is_some() {
        std::fs::write(&path, &out).unwrap();
    }
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with TOOLGATE_BLESS=1 to create it)", path.display()));
    assert!(committed == out, "{} differs from the facade's output (TOOLGATE_BLESS=1 rewrites it)", path.display());
}
