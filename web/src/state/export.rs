//! "Save these decisions as tests": a dry run written as a test file that `toolgate test` reads
//! (`{"tests": [{"name", "calls": [{…trace call…, "expect": {"outcome", "rule"?, "message"?}}]}]}`,
//! `interfaces.md` § Policy change safety).
//!
//! The whole trace is one test: counters carry from call to call, so the decisions only hold for
//! the calls in this order from empty counters — exactly how `toolgate test` replays a test. Each
//! call keeps its absolute time (`at_ms`), grant, arguments and `upstream_error`, and expects the
//! outcome, the deciding rule (when there is one) and the message (when there is one).

use serde_json::{Map, Value};
use toolgate_engine::trace::{SimDecision, TraceCall};

/// The test file, one call per line (a 100 000-call run stays readable in a diff).
pub fn tests_json(name: &str, calls: &[TraceCall], decisions: &[SimDecision]) -> String {
    let mut out = String::with_capacity(64 + decisions.len() * 160);
    out.push_str("{\"tests\": [{\"name\": ");
    out.push_str(&Value::from(name).to_string());
    out.push_str(", \"calls\": [");
    let mut first = true;
    for d in decisions {
        let Some(call) = calls.get(d.index) else { continue };
        out.push_str(if first { "\n  " } else { ",\n  " });
        first = false;
        out.push_str(&call_json(call, d).to_string());
    }
    out.push_str("\n]}]}\n");
    out
}

fn call_json(call: &TraceCall, d: &SimDecision) -> Value {
    let mut c = Map::new();
    c.insert("tool".into(), call.tool.clone().into());
    let no_args = call.args.is_null() || call.args.as_object().is_some_and(Map::is_empty);
    if !no_args {
        c.insert("args".into(), call.args.clone());
    }
    if call.grant != "default" {
        c.insert("grant".into(), call.grant.clone().into());
    }
    c.insert("at_ms".into(), call.at_ms.into());
    if call.upstream_error {
        c.insert("upstream_error".into(), true.into());
    }
    let mut expect = Map::new();
    expect.insert("outcome".into(), d.decision.outcome.as_str().into());
    if !d.decision.rule.is_empty() {
        expect.insert("rule".into(), d.decision.rule.to_string().into());
    }
    if !d.decision.message.is_empty() {
        expect.insert("message".into(), d.decision.message.to_string().into());
    }
    c.insert("expect".into(), Value::Object(expect));
    Value::Object(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::sim::SimRun;
    use crate::state::tracegen::{GeneratorSpec, Pattern, generate};
    use std::sync::Arc;
    use toolgate_engine::parse_policy;
    use toolgate_engine::review::{parse_tests, run_tests};
    use toolgate_engine::trace::parse_trace;

    const POLICY: &str = r#"{"version": "1", "default": "deny", "hide": ["drop"],
        "tools": {"read": {}, "write": {"limits": [{"counter": "writes", "window": "minute", "max": 3}]},
                  "pay": {"deny_if": [{"conditions": [{"path": "args.amount", "op": "gt", "value": 10}],
                                       "on_deny": "Refunds over 10 need a human \"approval\""}]}}}"#;

    fn decided(policy: &str, calls: Vec<TraceCall>) -> (Vec<TraceCall>, Vec<SimDecision>) {
        let mut run = SimRun::new(parse_policy(policy).unwrap(), Arc::new(calls));
        run.step(usize::MAX);
        let r = run.finish();
        ((*r.calls).clone(), r.simulation.decisions)
    }

    #[test]
    fn saved_decisions_pass_toolgate_test_against_the_same_policy() {
        let spec = GeneratorSpec {
            pattern: Pattern::Mix,
            tools: ["read", "write", "pay", "drop", "other"].map(String::from).to_vec(),
            grants: vec!["alice".into(), "default".into()],
            count: 400,
            every_ms: 900,
            args: "{\"amount\": 20, \"note\": \"<b>\\u2028\"}".into(),
            ..GeneratorSpec::default()
        };
        let (calls, decisions) = decided(POLICY, generate(&spec).unwrap());
        let text = tests_json("pinned \"dry run\"", &calls, &decisions);
        let cases = parse_tests(&text).unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].name, "pinned \"dry run\"");
        assert_eq!(cases[0].calls, calls, "the calls read back exactly");
        assert!(cases[0].expect.iter().all(Option::is_some));
        let report = run_tests(parse_policy(POLICY).unwrap().as_ref(), &cases, None);
        assert_eq!((report.passed, report.failed), (1, 0));
        // One call per line.
        assert_eq!(text.lines().count(), 400 + 2);
    }

    #[test]
    fn saved_decisions_fail_against_a_policy_that_decides_otherwise() {
        let (calls, decisions) = decided(
            POLICY,
            generate(&GeneratorSpec {
                pattern: Pattern::Burst,
                tools: vec!["write".into()],
                count: 5,
                ..GeneratorSpec::default()
            })
            .unwrap(),
        );
        let cases = parse_tests(&tests_json("writes", &calls, &decisions)).unwrap();
        let looser = POLICY.replace("\"max\": 3", "\"max\": 4");
        let report = run_tests(parse_policy(&looser).unwrap().as_ref(), &cases, None);
        assert_eq!((report.passed, report.failed), (0, 1));
        // Call 3 is allowed now; call 4 is still refused, with the new limit in its message.
        let f = &report.tests[0].failures;
        assert_eq!(f.iter().map(|f| f.index).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(f[0].mismatched, ["outcome", "rule", "message"]);
        assert_eq!(f[1].mismatched, ["message"]);
    }

    #[test]
    fn recorded_calls_keep_their_grant_time_arguments_and_upstream_errors() {
        let recorded = "{\"ts\": \"2026-12-01T10:00:00.000Z\", \"grant\": \"alice\", \"tool\": \"write\", \"args\": {\"path\": \"a\"}, \"upstream_error\": true}\n\
                        {\"ts\": \"2026-12-01T10:00:00.500Z\", \"grant\": \"alice\", \"tool\": \"pay\", \"args\": {\"amount\": 50}, \"upstream_error\": false}\n";
        let (calls, decisions) = decided(POLICY, parse_trace(recorded).unwrap());
        let text = tests_json("recorded", &calls, &decisions);
        let first: Value = serde_json::from_str(text.lines().nth(1).unwrap().trim_end_matches(',')).unwrap();
        assert_eq!(
            first,
            serde_json::json!({"tool": "write", "args": {"path": "a"}, "grant": "alice", "at_ms": calls[0].at_ms,
                "upstream_error": true, "expect": {"outcome": "allow"}})
        );
        let second: Value = serde_json::from_str(text.lines().nth(2).unwrap()).unwrap();
        assert_eq!(decisions[1].decision.outcome, toolgate_engine::Outcome::Deny);
        assert_eq!(second["expect"]["rule"], &*decisions[1].decision.rule);
        assert_eq!(second["expect"]["message"], "Refunds over 10 need a human \"approval\"");
        assert_eq!(parse_tests(&text).unwrap()[0].calls, calls);
    }

    #[test]
    fn an_empty_run_is_a_test_with_no_calls() {
        let text = tests_json("nothing", &[], &[]);
        let cases = parse_tests(&text).unwrap();
        assert_eq!((cases.len(), cases[0].calls.len()), (1, 0));
    }
}
