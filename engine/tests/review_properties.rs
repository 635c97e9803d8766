//! Properties of policy change safety (diff, tests, coverage) over random policies and traces.
//!
//! Failing inputs are persisted in `engine/proptest-regressions/review_properties.txt`.
#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: generated inputs are valid by construction"
)]

use proptest::prelude::*;
use serde_json::{Value, json};
use toolgate_engine::review::{CoverageTally, decision_changed, diff, diff_rules, pin_decisions, run_tests_text};
use toolgate_engine::trace::{TraceCall, simulate};
use toolgate_engine::{Policy, parse_policy};

const T0: u64 = 1_767_225_600_000;
const TOOLS: &[&str] = &["search", "refund", "a/b", "x~y", "unlisted"];
const GRANTS: &[&str] = &["default", "alice"];

/// A condition on `args.n` or `args.s`.
fn arb_condition() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0i64..5).prop_map(|v| json!({"path": "args.n", "op": "gt", "value": v})),
        (0i64..5).prop_map(|v| json!({"path": "args.n", "op": "eq", "value": v})),
        Just(json!({"path": "args.s", "op": "exists", "value": true})),
        Just(json!({"path": "args.s", "op": "regex", "value": "^a"})),
    ]
}

fn arb_limit() -> impl Strategy<Value = Value> {
    (prop::sample::select(vec!["c1", "c2", "c/3"]), prop::sample::select(vec!["minute", "hour"]), 1u64..4)
        .prop_map(|(counter, window, max)| json!({"counter": counter, "window": window, "max": max}))
}

fn arb_tool() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(prop::collection::vec(arb_condition(), 0..2), 0..2),
        prop::collection::vec(prop::collection::vec(arb_condition(), 0..3), 0..3),
        prop::collection::vec(arb_limit(), 0..2),
    )
        .prop_map(|(require, deny_if, limits)| {
            let rule = |c: Vec<Value>| json!({"conditions": c});
            json!({
                "require": require.into_iter().map(rule).collect::<Vec<_>>(),
                "deny_if": deny_if.into_iter().map(rule).collect::<Vec<_>>(),
                "limits": limits,
            })
        })
}

/// A valid policy text (or `null`). Counter names are shared across tools with one window each.
fn arb_policy() -> impl Strategy<Value = String> {
    let doc = (
        any::<bool>(),
        prop::sample::subsequence(vec!["refund", "*", "nothing"], 0..=1),
        prop::collection::vec((prop::sample::select(&TOOLS[..4]), arb_tool()), 0..4),
        prop::collection::vec(arb_limit(), 0..2),
    )
        .prop_map(|(allow, hide, tools, all)| {
            let mut doc = json!({
                "version": "1", "default": if allow { "allow" } else { "deny" }, "hide": hide,
                "all_tools": {"limits": all},
                "tools": tools.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<serde_json::Map<String, Value>>(),
            });
            // One window per counter name (a validation rule): the first declaration's.
            let mut windows = std::collections::BTreeMap::new();
            let mut fix = |l: &mut Value| {
                let w = windows.entry(l["counter"].as_str().unwrap().to_string()).or_insert(l["window"].clone());
                l["window"] = w.clone();
            };
            for l in doc["all_tools"]["limits"].as_array_mut().unwrap() {
                fix(l);
            }
            for t in doc["tools"].as_object_mut().unwrap().values_mut() {
                for l in t["limits"].as_array_mut().unwrap() {
                    fix(l);
                }
            }
            doc.to_string()
        });
    prop_oneof![19 => doc, 1 => Just("null".to_string())]
}

fn arb_calls() -> impl Strategy<Value = Vec<TraceCall>> {
    prop::collection::vec(
        (
            prop::sample::select(TOOLS),
            prop::sample::select(GRANTS),
            0u64..40_000,
            prop::option::of(0i64..6),
            prop::option::of(prop::sample::select(vec!["abc", "zzz"])),
            prop::bool::weighted(0.1),
        ),
        0..40,
    )
    .prop_map(|steps| {
        let mut at = T0;
        steps
            .into_iter()
            .map(|(tool, grant, dt, n, s, upstream_error)| {
                at += dt;
                let mut args = serde_json::Map::new();
                if let Some(n) = n {
                    args.insert("n".into(), json!(n));
                }
                if let Some(s) = s {
                    args.insert("s".into(), json!(s));
                }
                TraceCall {
                    tool: tool.into(),
                    args: Value::Object(args),
                    grant: grant.into(),
                    at_ms: at,
                    upstream_error,
                    refusal: None,
                }
            })
            .collect()
    })
}

fn compile(text: &str) -> Option<Policy> {
    parse_policy(text).unwrap_or_else(|e| panic!("a generated policy is valid: {e:?}\n{text}"))
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct(
            "proptest-regressions/review_properties.txt",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// A policy compared with itself changes nothing: no rule difference, no changed call.
    #[test]
    fn the_diff_of_a_policy_with_itself_is_empty(policy in arb_policy(), calls in arb_calls()) {
        let p = compile(&policy);
        let d = diff(p.as_ref(), p.as_ref(), Some(&calls));
        prop_assert!(d.rules.is_empty(), "{:?}", d.rules);
        prop_assert!(d.changes.is_empty());
        prop_assert_eq!(d.summary.calls, calls.len());
        prop_assert!(d.summary.transitions.is_empty());
        prop_assert_eq!(&d.summary.before, &d.summary.after);
        prop_assert!(!d.has_changes());
        prop_assert!(diff_rules(p.as_ref().map(Policy::doc), p.as_ref().map(Policy::doc)).is_empty());
    }

    /// The replay reports exactly the calls whose decisions differ between two separate
    /// simulations, each with both simulations' decisions, and counts them by transition.
    #[test]
    fn the_replay_equals_two_separate_simulations(a in arb_policy(), b in arb_policy(), calls in arb_calls()) {
        let (pa, pb) = (compile(&a), compile(&b));
        let (sa, sb) = (simulate(pa.as_ref(), &calls), simulate(pb.as_ref(), &calls));
        let d = diff(pa.as_ref(), pb.as_ref(), Some(&calls));
        let expected: Vec<usize> = sa.decisions.iter().zip(&sb.decisions)
            .filter(|(x, y)| decision_changed(&x.decision, &y.decision)).map(|(x, _)| x.index).collect();
        prop_assert_eq!(d.changes.iter().map(|c| c.index).collect::<Vec<_>>(), expected);
        for c in &d.changes {
            prop_assert_eq!(&c.before, &sa.decisions[c.index].decision);
            prop_assert_eq!(&c.after, &sb.decisions[c.index].decision);
        }
        prop_assert_eq!(d.summary.transitions.values().sum::<usize>(), d.changes.len());
        prop_assert_eq!(&d.summary.before, &sa.summary);
        prop_assert_eq!(&d.summary.after, &sb.summary);
        // Rule-level: a policy compared with itself after a swap is the mirror image.
        let there = diff_rules(pa.as_ref().map(Policy::doc), pb.as_ref().map(Policy::doc));
        let back = diff_rules(pb.as_ref().map(Policy::doc), pa.as_ref().map(Policy::doc));
        prop_assert_eq!((there.added.len(), there.removed.len(), there.changed.len()),
                        (back.removed.len(), back.added.len(), back.changed.len()));
    }

    /// Decisions pinned from a simulation, saved as a test file (as the app's "save these decisions
    /// as tests" writes them), pass against the same policy; coverage counts every call once.
    #[test]
    fn tests_pinned_from_simulate_pass(policy in arb_policy(), calls in arb_calls(), split in 1usize..5) {
        let p = compile(&policy);
        let sim = simulate(p.as_ref(), &calls);
        let file = pin_decisions("pinned", calls.iter().zip(sim.decisions.iter().map(|d| &d.decision)));
        let report = run_tests_text(p.as_ref(), &file, true).unwrap();
        prop_assert_eq!((report.passed, report.failed), (1, 0), "{:?}", report.tests[0].failures);
        prop_assert_eq!(report.tests[0].checked, calls.len());
        let hits: u64 = report.coverage.as_ref().unwrap().entries.iter().map(|e| e.hits).sum();
        prop_assert_eq!(hits, if p.is_some() { calls.len() as u64 } else { 0 });
        let mut tally = CoverageTally::new(p.as_ref());
        for d in &sim.decisions {
            tally.record(&d.tool, &d.decision);
        }
        prop_assert_eq!(Some(tally.coverage()), report.coverage);
        // Pinned in pieces, each test restarts from empty counters: a test of a later piece may
        // fail only where counters matter, never on a call with no limit involved.
        let pieces = calls.len().div_ceil(split).max(1);
        let tests: Vec<Value> = file_calls(&file).chunks(pieces).enumerate()
            .map(|(i, c)| json!({"name": format!("piece {i}"), "calls": c})).collect();
        let report = run_tests_text(p.as_ref(), &json!({"tests": tests}).to_string(), false).unwrap();
        for f in report.tests.iter().flat_map(|t| &t.failures) {
            prop_assert!(f.actual.outcome == toolgate_engine::Outcome::RateLimited
                || f.expected.outcome == toolgate_engine::Outcome::RateLimited, "{:?}", f);
        }
    }
}

fn file_calls(file: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(file).unwrap();
    v["tests"][0]["calls"].as_array().unwrap().clone()
}
