//! The policy change safety corpus (`tests/review/*.cases.json`): diff, test files with coverage,
//! and tool drift. The npm package runs the same files (`tests/js/review.test.mjs`).
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a malformed case file must stop the run loudly"
)]

use serde_json::{Value, json};
use toolgate_engine::review::{diff_text, run_tests_text, tool_drift};
use toolgate_engine::{Policy, parse_policy, parse_tool_list};

fn cases(file: &str) -> Vec<Value> {
    let path = format!("{}/../tests/review/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap();
    let list = v.as_array().expect("a case file is an array").clone();
    assert!(!list.is_empty(), "{file} has cases");
    list
}

fn policy(v: &Value) -> Option<Policy> {
    parse_policy(&v.to_string()).unwrap_or_else(|e| panic!("case policy is valid: {e:?}"))
}

fn trace_text(case: &Value) -> String {
    match (&case["trace_text"], &case["trace"]) {
        (Value::String(s), _) => s.clone(),
        (_, t) => t.to_string(),
    }
}

#[test]
fn every_diff_case_reports_its_rules_changes_and_transitions() {
    let mut kinds = std::collections::BTreeSet::new();
    for case in cases("diff.cases.json") {
        let name = case["name"].as_str().unwrap();
        let (old, new) = (policy(&case["old"]), policy(&case["new"]));
        let d = diff_text(old.as_ref(), new.as_ref(), Some(&trace_text(&case))).unwrap();
        let got = serde_json::to_value(&d).unwrap();
        let expect = &case["expect"];
        assert_eq!(got["rules"], expect["rules"], "{name}: rules");
        assert_eq!(got["summary"]["transitions"], expect["transitions"], "{name}: transitions");
        let want = expect["changes"].as_array().unwrap();
        assert_eq!(d.changes.len(), want.len(), "{name}: changed calls {:#?}", got["changes"]);
        for (c, w) in d.changes.iter().zip(want) {
            assert_eq!(json!(c.index), w["index"], "{name}");
            assert_eq!(json!(c.before.outcome), w["before"], "{name}: call {}", c.index);
            assert_eq!(json!(c.after.outcome), w["after"], "{name}: call {}", c.index);
            if let Some(r) = w.get("before_rule") {
                assert_eq!(json!(c.before.rule), *r, "{name}: call {}", c.index);
            }
            if let Some(r) = w.get("after_rule") {
                assert_eq!(json!(c.after.rule), *r, "{name}: call {}", c.index);
            }
        }
        kinds.extend(d.summary.transitions.keys().cloned());
        // Without the trace: the same rule-level difference, nothing replayed.
        let bare = diff_text(old.as_ref(), new.as_ref(), None).unwrap();
        assert_eq!(serde_json::to_value(&bare.rules).unwrap(), expect["rules"], "{name}");
        assert!(!bare.replayed && bare.changes.is_empty());
    }
    // Every transition between two different outcomes, and a rule change within each refusal.
    let outcomes = ["allow", "deny", "hidden", "rate_limited"];
    for a in outcomes {
        for b in outcomes {
            if a != b {
                assert!(kinds.contains(&format!("{a}->{b}")), "the corpus covers {a}->{b}");
            }
        }
    }
    assert!(kinds.contains("deny->deny") && kinds.contains("rate_limited->rate_limited"));
}

#[test]
fn every_test_file_case_passes_and_fails_as_expected_with_its_coverage() {
    for case in cases("tests.cases.json") {
        let name = case["name"].as_str().unwrap();
        let p = policy(&case["policy"]);
        let report = run_tests_text(p.as_ref(), &case["tests"].to_string(), true).unwrap();
        let expect = &case["expect"];
        assert_eq!(json!(report.passed), expect["passed"], "{name}: passed");
        assert_eq!(json!(report.failed), expect["failed"], "{name}: failed");
        let failures: Vec<Value> = report
            .tests
            .iter()
            .flat_map(|t| {
                t.failures.iter().map(move |f| json!({"test": t.name, "index": f.index, "mismatched": f.mismatched}))
            })
            .collect();
        assert_eq!(Value::Array(failures), expect["failures"], "{name}: failures");
        if let Some(c) = case.get("coverage") {
            let cov = report.coverage.unwrap();
            let hits: serde_json::Map<String, Value> =
                cov.entries.iter().map(|e| (e.pointer.clone(), json!(e.hits))).collect();
            assert_eq!(Value::Object(hits), c["hits"], "{name}: hits");
            assert_eq!(json!(cov.uncovered), c["uncovered"], "{name}: uncovered");
        }
    }
}

#[test]
fn every_drift_case_reports_tools_with_their_treatment() {
    for case in cases("drift.cases.json") {
        let name = case["name"].as_str().unwrap();
        let p = policy(&case["policy"]);
        let before = parse_tool_list(&case["before"].to_string()).unwrap();
        let after = parse_tool_list(&case["after"].to_string()).unwrap();
        let d = tool_drift(p.as_ref().map(Policy::doc), &before, &after);
        let expect = &case["expect"];
        let row = |t: &toolgate_engine::review::DriftedTool| {
            let mut r = vec![json!(t.name), json!(t.policy), json!(t.pointer)];
            if !t.schema_changes.is_empty() {
                r.push(json!(t.schema_changes));
            }
            Value::Array(r)
        };
        assert_eq!(Value::Array(d.appeared.iter().map(row).collect()), expect["appeared"], "{name}: appeared");
        assert_eq!(Value::Array(d.disappeared.iter().map(row).collect()), expect["disappeared"], "{name}: disappeared");
        assert_eq!(Value::Array(d.changed.iter().map(row).collect()), expect["changed"], "{name}: changed");
        let warnings: Vec<Value> = d.warnings.iter().map(|w| json!([w.code, w.pointer])).collect();
        assert_eq!(Value::Array(warnings), expect["warnings"], "{name}: warnings");
    }
}
