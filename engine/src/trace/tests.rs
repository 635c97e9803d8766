//! The trace module's tests: the forms, the clock, located errors, the fast and locating paths
//! agreeing, and simulation.

use super::locate::{Errors, Loc, entry};
use super::parse::{Builder, Collect};
use super::simulate::sim_decision;
use super::*;
use crate::eval::evaluate::refused_arguments;
use crate::json;
use crate::policy::validate::MAX_ERRORS;
use crate::{Decision, Outcome, Policy, ValidationError, parse_policy};
use serde_json::json;

const T0: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn ok(text: &str) -> Vec<TraceCall> {
    parse_trace(text).unwrap_or_else(|e| panic!("{e:#?}"))
}

fn errs(text: &str) -> Vec<ValidationError> {
    match parse_trace(text) {
        Ok(calls) => panic!("expected errors, got {calls:#?}"),
        Err(e) => e,
    }
}

fn policy(text: &str) -> Policy {
    parse_policy(text).unwrap().unwrap()
}

fn times(calls: &[TraceCall]) -> Vec<u64> {
    calls.iter().map(|c| c.at_ms).collect()
}

#[test]
fn a_json_array_of_calls_is_a_trace() {
    let calls = ok(r#"[{"tool": "a", "args": {"x": 1}, "at_ms": 5, "grant": "alice", "upstream_error": true},
                      {"name": "b", "arguments": {"y": [2]}}]"#);
    assert_eq!(
        calls,
        vec![
            TraceCall {
                tool: "a".into(),
                args: json!({"x": 1}),
                grant: "alice".into(),
                at_ms: 5,
                upstream_error: true,
                refusal: None,
            },
            TraceCall {
                tool: "b".into(),
                args: json!({"y": [2]}),
                grant: "default".into(),
                at_ms: 5,
                upstream_error: false,
                refusal: None,
            },
        ]
    );
}

#[test]
fn an_object_with_calls_starts_at_start_ms() {
    let calls = ok(r#"{"start_ms": 1000, "calls": [{"tool": "a"}, {"tool": "a", "after_ms": 250}, {"tool": "b"}]}"#);
    assert_eq!(times(&calls), vec![1000, 1250, 1250]);
    let calls = ok("{\n  \"calls\": [\n    {\"tool\": \"a\"}\n  ]\n}\n");
    assert_eq!(times(&calls), vec![0]);
}

#[test]
fn json_lines_ignore_blank_lines_and_crlf() {
    let calls =
        ok("{\"tool\": \"a\", \"at_ms\": 10}\r\n\r\n   \n{\"tool\": \"b\", \"after_ms\": 5}\r\n{\"tool\": \"c\"}");
    assert_eq!(calls.iter().map(|c| c.tool.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
    assert_eq!(times(&calls), vec![10, 15, 15]);
}

#[test]
fn empty_text_is_an_empty_trace() {
    assert!(ok("").is_empty());
    assert!(ok("\n  \n").is_empty());
    assert!(ok("[]").is_empty());
    assert!(ok(r#"{"calls": []}"#).is_empty());
}

#[test]
fn a_byte_order_mark_is_skipped() {
    assert_eq!(ok("\u{feff}{\"tool\": \"a\"}\n{\"tool\": \"b\"}").len(), 2);
    assert_eq!(ok("\u{feff}[{\"tool\": \"a\"}]").len(), 1);
}

#[test]
fn a_single_pretty_printed_call_is_a_trace_of_one() {
    let calls = ok("{\n  \"tool\": \"a\",\n  \"at_ms\": 7\n}\n");
    assert_eq!((calls.len(), calls[0].at_ms), (1, 7));
}

#[test]
fn time_rules_at_ms_ts_after_ms_and_bursts() {
    let calls = ok(r#"{"start_ms": 100, "calls": [
        {"tool": "a"},
        {"tool": "a", "after_ms": 50},
        {"tool": "a"},
        {"tool": "a", "at_ms": 1767225600000},
        {"tool": "a", "ts": "2026-01-01T00:00:01.500Z"},
        {"tool": "a", "ts": "2026-01-01T02:00:02+02:00"},
        {"tool": "a", "after_ms": 0},
        {"tool": "a", "at_ms": null}
    ]}"#);
    assert_eq!(times(&calls), vec![100, 150, 150, T0, T0 + 1500, T0 + 2000, T0 + 2000, T0 + 2000]);
}

#[test]
fn the_first_call_with_after_ms_counts_from_start_ms() {
    assert_eq!(times(&ok(r#"{"start_ms": 1000, "calls": [{"tool": "a", "after_ms": 5}]}"#)), vec![1005]);
    assert_eq!(times(&ok(r#"[{"tool": "a", "after_ms": 5}]"#)), vec![5]);
}

#[test]
fn times_going_backwards_name_the_call() {
    let e = errs(r#"[{"tool": "a", "at_ms": 2000}, {"tool": "a", "at_ms": 1000}]"#);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].pointer, "/1/at_ms");
    assert_eq!((e[0].line, e[0].column), (Some(1), Some(55)));
    assert!(e[0].message.contains("time goes backwards: call 1"), "{}", e[0].message);
    let e = errs(
        "{\"tool\": \"a\", \"ts\": \"2026-01-01T00:00:01Z\"}\n\n{\"tool\": \"a\", \"ts\": \"2026-01-01T00:00:00Z\"}\n",
    );
    assert_eq!((e[0].pointer.as_str(), e[0].line, e[0].column), ("/ts", Some(3), Some(21)));
    assert!(e[0].message.contains("2026-01-01T00:00:00.000Z"), "{}", e[0].message);
    let e = errs(r#"{"calls": [{"tool": "a", "at_ms": 5}, {"tool": "b", "at_ms": 4}]}"#);
    assert_eq!(e[0].pointer, "/calls/1/at_ms");
}

#[test]
fn equal_times_are_not_backwards() {
    assert_eq!(times(&ok(r#"[{"tool": "a", "at_ms": 5}, {"tool": "a", "at_ms": 5}]"#)), vec![5, 5]);
}

#[test]
fn non_object_args_are_an_error_for_that_line_or_index() {
    let e = errs("{\"tool\": \"a\"}\n{\"tool\": \"a\", \"args\": [1, 2]}\n{\"tool\": \"a\", \"arguments\": \"x\"}\n");
    assert_eq!(e.len(), 2);
    assert_eq!((e[0].pointer.as_str(), e[0].line, e[0].column), ("/args", Some(2), Some(23)));
    assert!(e[0].message.contains("`args` must be an object, found an array"), "{}", e[0].message);
    assert_eq!((e[1].pointer.as_str(), e[1].line), ("/arguments", Some(3)));
    let e = errs(r#"[{"tool": "a"}, {"tool": "a", "args": 5}]"#);
    assert_eq!(e[0].pointer, "/1/args");
    let e = errs(r#"{"calls": [{"tool": "a", "args": true}]}"#);
    assert_eq!(e[0].pointer, "/calls/0/args");
}

#[test]
fn null_args_are_empty_args() {
    assert_eq!(ok(r#"[{"tool": "a", "args": null}]"#)[0].args, json!({}));
    assert_eq!(ok(r#"[{"tool": "a"}]"#)[0].args, json!({}));
}

#[test]
fn unknown_fields_are_errors_with_did_you_mean() {
    let e = errs("{\"tool\": \"a\", \"at-ms\": 5}\n");
    assert_eq!(e.len(), 1);
    assert_eq!((e[0].pointer.as_str(), e[0].line, e[0].column), ("/at-ms", Some(1), Some(15)));
    assert_eq!(e[0].message, "unknown key `at-ms` in a call");
    assert_eq!(e[0].help.as_deref(), Some("did you mean `at_ms`?"));
    let e = errs(r#"[{"tool": "a", "grnt": "x"}]"#);
    assert_eq!((e[0].pointer.as_str(), e[0].help.as_deref()), ("/0/grnt", Some("did you mean `grant`?")));
    let e = errs(r#"{"start-ms": 5, "calls": []}"#);
    assert_eq!((e[0].pointer.as_str(), e[0].help.as_deref()), ("/start-ms", Some("did you mean `start_ms`?")));
    let e = errs(r#"[{"tool": "a", "zzzzzzzz": 1}]"#);
    assert!(e[0].help.as_deref().unwrap().starts_with("allowed keys: tool, name"), "{:?}", e[0].help);
}

#[test]
fn field_types_are_checked() {
    let e = errs(
        r#"[{"tool": 5}, {"tool": ""}, {}, {"tool": "a", "grant": 1}, {"tool": "a", "grant": ""},
            {"tool": "a", "at_ms": -1}, {"tool": "a", "at_ms": 1.5}, {"tool": "a", "after_ms": "5"},
            {"tool": "a", "ts": 5}, {"tool": "a", "ts": "yesterday"}, {"tool": "a", "upstream_error": "yes"},
            {"tool": "a", "at_ms": 99999999999999999}, 7]"#,
    );
    let ptrs: Vec<&str> = e.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(
        ptrs,
        [
            "/0/tool",
            "/1/tool",
            "/2",
            "/3/grant",
            "/4/grant",
            "/5/at_ms",
            "/6/at_ms",
            "/7/after_ms",
            "/8/ts",
            "/9/ts",
            "/10/upstream_error",
            "/11/at_ms",
            "/12"
        ]
    );
    assert!(e.iter().all(|e| e.line == Some(1) || e.line == Some(2) || e.line == Some(3) || e.line == Some(4)));
    assert!(e[2].message.contains("needs `tool`"), "{}", e[2].message);
    assert!(e[12].message.contains("must be an object"), "{}", e[12].message);
}

#[test]
fn aliases_and_two_times_conflict() {
    let e = errs(
        r#"[{"tool": "a", "name": "b"}, {"tool": "a", "args": {}, "arguments": {}},
                    {"tool": "a", "at_ms": 1, "ts": "2026-01-01T00:00:00Z"}, {"tool": "a", "at_ms": 1, "after_ms": 2}]"#,
    );
    let ptrs: Vec<&str> = e.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(ptrs, ["/0/name", "/1/arguments", "/2/ts", "/3/after_ms"]);
}

#[test]
fn duplicate_keys_are_errors() {
    let e = errs(r#"[{"tool": "a", "tool": "b"}]"#);
    assert_eq!((e[0].pointer.as_str(), e[0].message.as_str()), ("/0/tool", "duplicate key `tool`"));
}

#[test]
fn every_error_is_collected_not_only_the_first() {
    let e = errs("{\"tool\": 1}\n{\"tool\": \"a\"}\nnot json\n{\"tool\": \"a\", \"args\": 3}\n[1]\n");
    let lines: Vec<Option<u32>> = e.iter().map(|e| e.line).collect();
    assert_eq!(lines, [Some(1), Some(3), Some(4), Some(5)]);
    assert!(e[1].message.starts_with("invalid JSON"), "{}", e[1].message);
}

#[test]
fn errors_are_capped() {
    let text = "{\"tool\": 1}\n".repeat(MAX_ERRORS + 50);
    let e = errs(&text);
    assert_eq!(e.len(), MAX_ERRORS + 1);
    assert!(e[MAX_ERRORS].message.contains("too many errors"));
}

#[test]
fn broken_documents_report_the_parser_position() {
    let e = errs("[\n  {\"tool\": \"a\"},\n  {\"tool\" \"b\"}\n]");
    assert_eq!((e[0].line, e[0].column), (Some(3), Some(11)));
    let e = errs("{\"calls\": [}");
    assert!(e[0].message.starts_with("invalid JSON"));
    let e = errs("5");
    assert!(e[0].message.contains("a trace must be"), "{}", e[0].message);
    let e = errs(r#"{"calls": 5}"#);
    assert_eq!(e[0].pointer, "/calls");
}

#[test]
fn json_rpc_tools_call_lines_are_calls() {
    let calls = ok(concat!(
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"m":"hi"}},"at_ms":100}"#,
        "\n",
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"sum"},"grant":"bob","after_ms":5}"#,
        "\n",
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        "\n",
        r#"{"jsonrpc":"2.0","id":2,"error":{"code":-32603,"message":"boom"}}"#,
        "\n",
        r#"{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":true}}"#,
    ));
    assert_eq!(calls.len(), 2);
    assert_eq!((calls[0].tool.as_str(), &calls[0].args, calls[0].at_ms), ("echo", &json!({"m": "hi"}), 100));
    assert_eq!((calls[1].grant.as_str(), calls[1].at_ms, &calls[1].args), ("bob", 105, &json!({})));
    assert!(!calls[0].upstream_error, "an isError result is not a JSON-RPC error");
    assert!(calls[1].upstream_error, "a JSON-RPC error response releases the call");
}

#[test]
fn json_rpc_call_errors_are_located() {
    let e = errs(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"nme":"echo","arguments":[1]},"at-ms":1}"#);
    let ptrs: Vec<&str> = e.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(ptrs, ["/at-ms", "/params/nme", "/params", "/params/arguments"]);
    assert_eq!(e[0].help.as_deref(), Some("did you mean `at_ms`?"));
    assert_eq!(e[1].help.as_deref(), Some("did you mean `name`?"));
    let e = errs(r#"{"jsonrpc":"1.0","method":"tools/call"}"#);
    assert_eq!(e[0].pointer, "/jsonrpc");
    let e = errs(r#"{"jsonrpc":"2.0","id":3}"#);
    assert!(e[0].message.contains("not a JSON-RPC message"), "{}", e[0].message);
    let e = errs(r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":5}"#);
    assert_eq!(e[0].pointer, "/params");
}

#[test]
fn wire_log_lines_are_read_by_direction() {
    let text = concat!(
        r#"{"ts":"2026-01-01T00:00:00.000Z","dir":"client->server","msg":{"method":"initialize","params":{},"jsonrpc":"2.0","id":0}}"#,
        "\n",
        r#"{"ts":"2026-01-01T00:00:01.000Z","dir":"client->server","msg":{"method":"tools/call","params":{"name":"a","arguments":{"x":1}},"jsonrpc":"2.0","id":7}}"#,
        "\n",
        r#"{"ts":"2026-01-01T00:00:01.500Z","dir":"client->server","msg":{"method":"tools/call","params":{"name":"b"},"jsonrpc":"2.0","id":"s"}}"#,
        "\n",
        r#"{"ts":"2026-01-01T00:00:02.000Z","dir":"server->client","msg":{"jsonrpc":"2.0","id":"s","result":{"content":[]}}}"#,
        "\n",
        r#"{"ts":"2026-01-01T00:00:02.100Z","dir":"client->server","msg":{"jsonrpc":"2.0","id":7,"error":{"code":1,"message":"client-side"}}}"#,
        "\n",
        r#"{"ts":"2026-01-01T00:00:02.200Z","dir":"server->client","msg":{"jsonrpc":"2.0","id":7,"error":{"code":-32603,"message":"upstream down"}}}"#,
        "\n",
        r#"{"ts":"2026-01-01T00:00:03.000Z","dir":"server->client","msg":{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"c"}}}"#,
        "\n",
    );
    let calls = ok(text);
    assert_eq!(calls.iter().map(|c| c.tool.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(times(&calls), vec![T0 + 1000, T0 + 1500]);
    assert_eq!(calls[0].args, json!({"x": 1}));
    assert!(calls[0].upstream_error, "the server's error response marks call id 7");
    assert!(!calls[1].upstream_error);
}

#[test]
fn error_responses_only_mark_pending_calls() {
    let text = concat!(
        r#"{"dir":"client->server","msg":{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"}}}"#,
        "\n",
        r#"{"dir":"server->client","msg":{"jsonrpc":"2.0","id":1,"result":{}}}"#,
        "\n",
        r#"{"dir":"server->client","msg":{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"late"}}}"#,
        "\n",
        r#"{"dir":"server->client","msg":{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse"}}}"#,
        "\n",
    );
    let calls = ok(text);
    assert_eq!(calls.len(), 1);
    assert!(!calls[0].upstream_error, "an error after the result answers nothing pending");
}

#[test]
fn unrecognised_wire_lines_are_errors_naming_the_line() {
    let e = errs(concat!(
        r#"{"ts":"2026-01-01T00:00:00Z","dir":"client->server","msg":{"jsonrpc":"2.0","method":"initialize","id":0}}"#,
        "\n",
        r#"{"ts":"2026-01-01T00:00:01Z","dir":"client-to-server","msg":{"jsonrpc":"2.0","method":"tools/list","id":1}}"#,
        "\n",
        r#"{"ts":"2026-01-01T00:00:01Z","dir":"server->client","msg":{"jsonrpc":"2.0","id":1}}"#,
        "\n",
        r#"{"ts":"2026-01-01T00:00:01Z","dir":"server->client","msg":"hello"}"#,
        "\n",
        r#"{"ts":"2026-01-01T00:00:01Z","dir":"server->client"}"#,
        "\n",
        r#"{"ts":"2026-01-01T00:00:01Z","dir":"server->client","msg":{"jsonrpc":"2.0","method":"x"},"extra":1}"#,
        "\n",
        r#"{"ts":"2026-01-01T00:00:01Z","dir":"client->server","msg":{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"a"},"at_ms":5}}"#,
    ));
    let got: Vec<(Option<u32>, &str)> = e.iter().map(|e| (e.line, e.pointer.as_str())).collect();
    assert_eq!(
        got,
        [
            (Some(2), "/dir"),
            (Some(3), "/msg"),
            (Some(4), "/msg"),
            (Some(5), ""),
            (Some(6), "/extra"),
            (Some(7), "/msg/at_ms")
        ]
    );
    assert_eq!(e[0].help.as_deref(), Some("did you mean `client->server`?"));
}

#[test]
fn the_recorded_wire_log_reads_as_four_calls_without_upstream_errors() {
    let calls = ok(include_str!("../../../tests/fixtures/traces/everything.stdio.wire.jsonl"));
    assert_eq!(
        calls.iter().map(|c| c.tool.as_str()).collect::<Vec<_>>(),
        ["echo", "get-sum", "no-such-tool", "get-sum"]
    );
    assert_eq!(calls[0].at_ms, parse_rfc3339_ms("2026-11-21T19:29:21.984Z").unwrap());
    assert_eq!(calls[0].args, json!({"message": "hello from mcp-proof"}));
    assert_eq!(calls[3].args, json!({"a": "x"}));
    // The server answered `no-such-tool` with a result carrying isError (not a JSON-RPC error),
    // so per policy-format §3 step 8 its quota is not released.
    assert!(calls.iter().all(|c| !c.upstream_error));
    let allcaps = ok(include_str!("../../../tests/fixtures/traces/everything.stdio.allcaps.wire.jsonl"));
    assert_eq!(allcaps.len(), 4);
    assert!(allcaps.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
}

#[test]
fn the_reduced_recording_matches_the_wire_log() {
    let reduced = ok(include_str!("../../../tests/fixtures/traces/everything.calls.json"));
    let wire = ok(include_str!("../../../tests/fixtures/traces/everything.stdio.wire.jsonl"));
    assert_eq!(reduced, wire);
}

#[test]
fn the_slow_path_agrees_with_the_fast_path() {
    // A JSON-RPC line forces the locating parser for the whole array; the calls must be the same.
    let plain = r#"[{"tool":"a","args":{"n":1.5,"s":"é\n"},"ts":"2026-01-01T00:00:00.25Z"},{"name":"b","after_ms":3,"grant":"g"}]"#;
    let mixed = r#"[{"tool":"a","args":{"n":1.5,"s":"é\n"},"ts":"2026-01-01T00:00:00.25Z"},{"name":"b","after_ms":3,"grant":"g"},{"jsonrpc":"2.0","method":"notifications/x"}]"#;
    assert_eq!(ok(plain), ok(mixed));
    assert_eq!(ok(plain)[1].at_ms, T0 + 253);
}

#[test]
fn rfc3339_timestamps_parse_exactly() {
    assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Ok(0));
    assert_eq!(parse_rfc3339_ms("2026-01-01T00:00:00Z"), Ok(T0));
    assert_eq!(parse_rfc3339_ms("2026-01-01T00:00:00.1Z"), Ok(T0 + 100));
    assert_eq!(parse_rfc3339_ms("2026-01-01T00:00:00.123456789Z"), Ok(T0 + 123));
    assert_eq!(parse_rfc3339_ms("2026-01-01t01:00:00+01:00"), Ok(T0));
    assert_eq!(parse_rfc3339_ms("2025-12-31 23:30:00-00:30"), Ok(T0));
    assert_eq!(parse_rfc3339_ms("2024-02-29T12:00:00z"), Ok(1_709_208_000_000));
    assert_eq!(parse_rfc3339_ms("2016-12-31T23:59:60Z"), Ok(1_483_228_800_000));
    assert_eq!(parse_rfc3339_ms("9999-12-31T23:59:59.999Z"), Ok(MAX_AT_MS));
    for bad in [
        "2026-01-01",
        "2026-01-01T00:00:00",
        "2026-01-01T00:00:00.Z",
        "2026-13-01T00:00:00Z",
        "2025-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-01-01T24:00:00Z",
        "2026-01-01T00:60:00Z",
        "2026-01-01T00:00:00+2400",
        "2026-01-01T00:00:00+24:00",
        "1969-12-31T23:59:59.999Z",
        "2026-01-01T00:00:00Zjunk",
        "２026-01-01T00:00:00Z",
        "",
    ] {
        assert!(parse_rfc3339_ms(bad).is_err(), "{bad}");
    }
    assert!(parse_rfc3339_ms("2026-01-01T00:00:00").unwrap_err().contains("no time zone"));
}

#[test]
fn timestamps_format_back_to_rfc3339() {
    assert_eq!(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(format_rfc3339_ms(T0 + 1_234), "2026-01-01T00:00:01.234Z");
    assert_eq!(format_rfc3339_ms(MAX_AT_MS), "9999-12-31T23:59:59.999Z");
    for ms in [0, 951_782_400_000, 1_709_208_000_000, T0 + 86_399_999, 4_102_444_800_000, MAX_AT_MS] {
        assert_eq!(parse_rfc3339_ms(&format_rfc3339_ms(ms)), Ok(ms));
    }
}

const REFUNDS: &str = r#"{"version":"1","default":"deny","tools":{"refund":{
    "deny_if":[{"conditions":[{"path":"args.amount","op":"gt","value":100}],"on_deny":"too much"}],
    "limits":[{"counter":"refunds","window":"minute","max":2}]},
    "search":{}}, "hide":["nuke"]}"#;

#[test]
fn simulation_counts_outcomes_in_total_and_by_tool() {
    let p = policy(REFUNDS);
    let calls = ok(r#"{"start_ms": 1767225600000, "calls": [
        {"tool": "refund", "args": {"amount": 5}},
        {"tool": "refund", "args": {"amount": 500}},
        {"tool": "refund", "args": {"amount": 5}},
        {"tool": "refund", "args": {"amount": 5}},
        {"tool": "nuke"}, {"tool": "search"}, {"tool": "other"},
        {"tool": "refund", "args": {"amount": 5}, "after_ms": 60000}
    ]}"#);
    let sim = simulate(Some(&p), &calls);
    let outcomes: Vec<Outcome> = sim.decisions.iter().map(|d| d.decision.outcome).collect();
    use crate::Outcome::*;
    assert_eq!(outcomes, [Allow, Deny, Allow, RateLimited, Hidden, Allow, Deny, Allow]);
    assert_eq!(sim.decisions[3].decision.retry_after_ms, Some(60_000));
    assert_eq!(&*sim.decisions[3].decision.rule, "/tools/refund/limits/refunds");
    assert_eq!(sim.decisions[7].decision.counters[0].used, 1, "a new minute starts from zero");
    let s = &sim.summary;
    assert_eq!((s.calls, s.allowed, s.denied, s.hidden, s.rate_limited), (8, 4, 2, 1, 1));
    assert_eq!(s.by_tool.keys().collect::<Vec<_>>(), ["nuke", "other", "refund", "search"]);
    assert_eq!(s.by_tool["refund"], ToolSummary { calls: 5, allowed: 3, denied: 1, hidden: 0, rate_limited: 1 });
    assert_eq!(simulate_summary(Some(&p), &calls), sim.summary);
}

#[test]
fn upstream_errors_release_quota_right_after_the_call() {
    let p = policy(REFUNDS);
    let calls = ok(r#"[
        {"tool": "refund", "at_ms": 1767225600000, "upstream_error": true},
        {"tool": "refund"}, {"tool": "refund"}, {"tool": "refund"}]"#);
    let sim = simulate(Some(&p), &calls);
    let outcomes: Vec<Outcome> = sim.decisions.iter().map(|d| d.decision.outcome).collect();
    assert_eq!(outcomes, [Outcome::Allow, Outcome::Allow, Outcome::Allow, Outcome::RateLimited]);
    assert_eq!(sim.decisions[1].decision.counters[0].used, 1, "the failed call's charge was given back");
}

#[test]
fn no_policy_denies_everything() {
    let sim = simulate(None, &ok(r#"[{"tool": "a"}, {"tool": "b"}]"#));
    assert_eq!(sim.summary.denied, 2);
    assert_eq!(&*sim.decisions[0].decision.rule, "(no policy)");
}

#[test]
fn simulation_starts_from_empty_counters_every_time() {
    let p = policy(REFUNDS);
    let calls = ok(r#"[{"tool": "refund", "at_ms": 1767225600000}, {"tool": "refund"}]"#);
    assert_eq!(simulate(Some(&p), &calls), simulate(Some(&p), &calls));
}

#[test]
fn decisions_serialise_call_fields_first_then_the_decision() {
    let p = policy(REFUNDS);
    let sim =
        simulate_text(Some(&p), r#"[{"tool": "refund", "args": {"amount": 500}, "at_ms": 7, "grant": "g"}]"#).unwrap();
    let text = serde_json::to_string(&sim.decisions[0]).unwrap();
    assert!(
        text.starts_with(r#"{"index":0,"tool":"refund","grant":"g","at_ms":7,"outcome":"deny","rule":"/tools/refund/deny_if/args.amount-gt","pointer":"/tools/refund/deny_if/0","message":"too much","retry_after_ms":null,"explain":[{"#),
        "{text}"
    );
    let v = serde_json::to_value(&sim).unwrap();
    assert_eq!(v["summary"]["by_tool"]["refund"]["denied"], 1);
    let back: Simulation = serde_json::from_value(v).unwrap();
    assert_eq!(back, sim);
    assert!(simulate_text(Some(&p), "[1]").is_err());
}

/// Traces of every form, including a wire log whose error response marks an earlier call.
const FORMS: &[&str] = &[
    r#"[{"tool": "refund", "args": {"amount": 5}, "at_ms": 1767225600000}, {"tool": "refund"}, {"tool": "refund"}, {"tool": "nuke"}]"#,
    r#"{"start_ms": 1767225600000, "calls": [{"tool": "refund", "upstream_error": true}, {"tool": "refund"}, {"tool": "refund", "after_ms": 5}, {"tool": "refund"}]}"#,
    "{\"tool\": \"refund\", \"at_ms\": 1767225600000}\n{\"tool\": \"refund\", \"args\": {\"amount\": 500}}\n\n{\"name\": \"refund\", \"arguments\": null}\n{\"tool\": \"refund\"}\n{\"tool\": \"refund\", \"after_ms\": 60000}\n",
    concat!(
        r#"{"ts":"2026-01-01T00:00:00Z","dir":"client->server","msg":{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"refund"}}}"#,
        "\n",
        r#"{"ts":"2026-01-01T00:00:01Z","dir":"client->server","msg":{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"refund"}}}"#,
        "\n",
        r#"{"ts":"2026-01-01T00:00:02Z","dir":"server->client","msg":{"jsonrpc":"2.0","id":2,"result":{}}}"#,
        "\n",
        r#"{"ts":"2026-01-01T00:00:03Z","dir":"server->client","msg":{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"down"}}}"#,
        "\n",
        r#"{"tool": "refund", "after_ms": 1}"#,
        "\n",
        r#"{"tool": "refund"}"#,
    ),
];

#[test]
fn streaming_simulation_matches_parse_then_simulate() {
    let p = policy(REFUNDS);
    for text in FORMS.iter().copied().chain([
        include_str!("../../../tests/fixtures/traces/everything.stdio.wire.jsonl"),
        include_str!("../../../tests/fixtures/traces/everything.calls.json"),
    ]) {
        let calls = ok(text);
        let whole = simulate(Some(&p), &calls);
        let mut streamed = Vec::new();
        let summary = simulate_text_with(Some(&p), text, |i, c, d| {
            assert_eq!(c, &calls[i], "the streamed call is the parsed call");
            streamed.push(sim_decision(i, c, d));
        })
        .unwrap();
        assert_eq!(streamed, whole.decisions, "{text}");
        assert_eq!(summary, whole.summary);
        assert_eq!(simulate_text(Some(&p), text).unwrap(), whole);
        assert!(check_trace(text).is_empty());
    }
    // The wire log's error response (after two more lines) released call 0's quota.
    let calls = ok(FORMS[3]);
    assert_eq!(calls.iter().map(|c| c.upstream_error).collect::<Vec<_>>(), [true, false, false, false]);
    let sim = simulate(Some(&p), &calls);
    assert_eq!(sim.decisions[1].decision.counters[0].used, 1);
    assert_eq!(sim.decisions[3].decision.outcome, Outcome::RateLimited);
}

#[test]
fn checking_reports_what_parsing_reports_and_simulates_nothing() {
    for text in [
        "{\"tool\": \"a\", \"args\": [1]}\n{\"tool\": \"a\", \"at-ms\": 1}\n",
        r#"[{"tool": "a", "at_ms": 5}, {"tool": "a", "at_ms": 4}]"#,
        r#"{"calls": [{"tool": "a", "args": "x"}]}"#,
        "{\"tool\": \"a\", \"args\": {\"x\": }}\n",
    ] {
        let e = errs(text);
        assert_eq!(check_trace(text), e, "{text}");
        let mut seen = 0;
        assert_eq!(simulate_text_with(None, text, |_, _, _| seen += 1).unwrap_err(), e);
        assert_eq!(seen, 0, "nothing is simulated before the whole trace is known to be valid");
    }
}

#[test]
fn checking_and_building_agree_on_deeply_nested_arguments() {
    for n in [1usize, 100, 126, 127, 128, 129, 500] {
        let args = "{\"a\": [".repeat(n) + "1" + &"]}".repeat(n);
        for text in
            [format!("{{\"tool\": \"x\", \"args\": {args}}}\n"), format!("[{{\"tool\": \"x\", \"args\": {args}}}]")]
        {
            let parsed = parse_trace(&text);
            assert_eq!(check_trace(&text), parsed.clone().err().unwrap_or_default(), "depth {n}");
            let streamed = simulate_text_with(None, &text, |_, _, _| {}).map(|s| s.calls);
            assert_eq!(streamed, parsed.map(|c| c.len()), "depth {n}");
        }
    }
    assert!(
        parse_trace(&format!("{{\"tool\": \"x\", \"args\": {}}}", "{\"a\": [".repeat(64) + "1" + &"]}".repeat(64)))
            .is_err()
    );
}

#[test]
fn checking_and_building_agree_on_broken_escapes() {
    for args in [
        r#"{"\ud800": 1}"#,
        r#"{"a": "\ud800"}"#,
        r#"{"a": ["\udc00x"]}"#,
        r#"{"a": "\q"}"#,
        r#"{"\u00e9": "\ud83d\ude00"}"#,
    ] {
        for text in
            [format!("{{\"tool\": \"x\", \"args\": {args}}}\n"), format!("[{{\"tool\": \"x\", \"args\": {args}}}]")]
        {
            let parsed = parse_trace(&text);
            assert_eq!(check_trace(&text), parsed.clone().err().unwrap_or_default(), "{text}");
        }
    }
    assert_eq!(ok(r#"[{"tool": "x", "args": {"\u00e9": "\ud83d\ude00"}}]"#)[0].args, json!({"é": "😀"}));
}

/// The locating parser alone, line by line (what the fast path falls back to).
fn slow_lines(text: &str) -> Result<Vec<TraceCall>, Vec<ValidationError>> {
    let mut b = Builder::new(Collect::default(), 0);
    let mut errs = Errors::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_no = u32::try_from(i + 1).unwrap();
        let loc = Loc::new(line, line_no);
        match json::parse(line) {
            Err(e) => errs.syntax(&e, line_no),
            Ok(node) => {
                if let Some(item) = entry(&node, "", &loc, &mut errs) {
                    b.apply(item, &loc, &mut errs);
                }
            }
        }
    }
    b.finish(errs).map(|c| c.0)
}

#[test]
fn the_fast_path_and_the_locating_parser_read_calls_identically() {
    let lines = [
        r#"{"tool": "a"}"#,
        r#"{"name": "b", "arguments": {"x": [1, 2.5, -3, 1e2, null, true, {"y": "z"}], "big": 18446744073709551615}}"#,
        r#"{"tool": "c", "args": null, "grant": "g", "after_ms": 0}"#,
        r#"{"tool": "d", "ts": "2026-01-01T00:00:00.5+00:00", "upstream_error": false}"#,
        r#"{"tool": "e", "at_ms": 1767225600500, "grant": "h", "upstream_error": true, "isError": true, "text": "x", "result_ts": 1}"#,
        r#"{"tool": "f\u00e9\n", "after_ms": 7, "grant": null, "at_ms": null, "ts": null}"#,
        r#"{"tool": "g", "args": {"s": "\"quoted\" \\ \/ \b\f\n\r\t", "dup": 1, "dup": 2}}"#,
        r#"  {"tool":"h","args":{}}  "#,
        r#"{"tool": "i", "args": {"s": "\"quoted\" \\ \/ \b\f\n\r\t"}}"#,
    ];
    let text = lines.join("\n");
    let fast = ok(&text);
    assert_eq!(slow_lines(&text).unwrap(), fast);
    assert_eq!(fast.len(), lines.len());
    // Duplicate argument keys are refused, not read last-key-wins.
    assert_eq!(fast[6].args, json!({}));
    assert_eq!(fast[6].refusal.as_deref(), Some("Arguments have a duplicate key `dup` at /dup"));
    assert_eq!(fast[8].args, json!({"s": "\"quoted\" \\ / \u{8}\u{c}\n\r\t"}));
    assert_eq!(fast[5].tool, "fé\n");
    assert_eq!(fast[4].at_ms, T0 + 500);
    assert_eq!(fast[5].at_ms, T0 + 507);
    for bad in [
        r#"{"tool": "a", "args": 1}"#,
        r#"{"tool": "", "args": {}}"#,
        r#"{"tool": "a", "grant": ""}"#,
        r#"{"tool": "a", "at_ms": 1, "after_ms": 1}"#,
        r#"{"tool": "a", "ts": "2026-01-01"}"#,
        r#"{"tool": "a", "at_ms": 253402300800000}"#,
        r#"{"tool": "a", "tool": "b"}"#,
        r#"{"tool": "a", "at_ms": 1.0}"#,
    ] {
        assert_eq!(slow_lines(bad).unwrap_err(), errs(bad), "{bad}");
    }
}

#[test]
fn the_recorded_session_simulates_under_a_policy() {
    let p = policy(
        r#"{"version":"1","default":"deny","tools":{"echo":{},"get-sum":{"require":["args.b"]}},"hide":["no-such-tool"]}"#,
    );
    let sim =
        simulate_text(Some(&p), include_str!("../../../tests/fixtures/traces/everything.stdio.wire.jsonl")).unwrap();
    let outcomes: Vec<Outcome> = sim.decisions.iter().map(|d| d.decision.outcome).collect();
    assert_eq!(outcomes, [Outcome::Allow, Outcome::Allow, Outcome::Hidden, Outcome::Deny]);
    assert_eq!(&*sim.decisions[3].decision.rule, "/tools/get-sum/require/args.b-exists");
}

/// Runs `text` (parsed and streamed: both must agree) and returns its decisions.
fn decide(p: &Policy, text: &str) -> Vec<Decision> {
    let whole = simulate(Some(p), &ok(text));
    assert_eq!(simulate_text(Some(p), text).unwrap(), whole, "{text}");
    assert!(check_trace(text).is_empty(), "a refused call is not a trace error: {text}");
    whole.decisions.into_iter().map(|d| d.decision).collect()
}

/// The first call is refused with `message`; the two after it are allowed (the refused call
/// took none of the limit's 2 a minute).
fn assert_refused_first(p: &Policy, text: &str, message: &str) {
    let d = decide(p, text);
    assert_eq!(d.len(), 3, "{text}");
    assert_eq!((d[0].outcome, &*d[0].rule, &*d[0].message), (Outcome::Deny, "(invalid arguments)", message), "{text}");
    assert_eq!(d[0], refused_arguments(message), "the same decision as `evaluate` on such `args_json`");
    assert_eq!((d[1].outcome, d[2].outcome), (Outcome::Allow, Outcome::Allow), "{text}");
    let calls = ok(text);
    assert_eq!((calls[0].refusal.as_deref(), &calls[0].args), (Some(message), &json!({})));
    assert_eq!(calls[1].refusal, None);
}

#[test]
fn a_trace_call_with_duplicate_argument_keys_is_denied_not_last_wins() {
    let p = policy(REFUNDS);
    let dup = r#"{"amount": 500, "amount": 5}"#;
    let ok_call = r#"{"tool": "refund", "args": {"amount": 5}}"#;
    let rpc = |args: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"refund","arguments":{args}}},"at_ms":1767225600000}}"#
        )
    };
    let wire = |args: &str| {
        format!(
            r#"{{"ts":"2026-01-01T00:00:00Z","dir":"client->server","msg":{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"refund","arguments":{args}}}}}}}"#
        )
    };
    for text in [
        // JSON Lines (fast path), and with an escaped grant (the locating path).
        format!("{{\"tool\": \"refund\", \"args\": {dup}, \"at_ms\": 1767225600000}}\n{ok_call}\n{ok_call}\n"),
        format!("{{\"tool\": \"refund\", \"args\": {dup}, \"grant\": \"\\u0061\"}}\n{ok_call}\n{ok_call}\n"),
        // An array, a `{calls}` document with `arguments`, and the locating path of each.
        format!("[{{\"tool\": \"refund\", \"args\": {dup}}}, {ok_call}, {ok_call}]"),
        format!("[{{\"tool\": \"refund\", \"args\": {dup}, \"grant\": \"\\u0061\"}}, {ok_call}, {ok_call}]"),
        format!(
            "{{\"start_ms\": 1767225600000, \"calls\": [{{\"tool\": \"refund\", \"arguments\": {dup}}}, {ok_call}, {ok_call}]}}"
        ),
        format!(
            "{{\"start_ms\": 1767225600000, \"calls\": [{{\"name\": \"refund\", \"arguments\": {dup}, \"grant\": \"\\u0061\"}}, {ok_call}, {ok_call}]}}"
        ),
        // An MCP JSON-RPC line and a recorded wire line.
        format!("{}\n{ok_call}\n{ok_call}\n", rpc(dup)),
        format!("{}\n{ok_call}\n{ok_call}\n", wire(dup)),
        // The same inside an array document.
        format!("[{}, {ok_call}, {ok_call}]", rpc(dup)),
    ] {
        assert_refused_first(&p, &text, "Arguments have a duplicate key `amount` at /amount");
    }
    // Nested at any depth, in every reader.
    let nested = r#"{"amount": 5, "meta": {"refs": [{"k": 1, "k": 2}]}}"#;
    let message = "Arguments have a duplicate key `k` at /meta/refs/0/k";
    for text in [
        format!("{{\"tool\": \"refund\", \"args\": {nested}}}\n{ok_call}\n{ok_call}\n"),
        format!("[{{\"tool\": \"refund\", \"args\": {nested}, \"grant\": \"\\u0061\"}}, {ok_call}, {ok_call}]"),
        format!("{}\n{ok_call}\n{ok_call}\n", rpc(nested)),
        format!("{}\n{ok_call}\n{ok_call}\n", wire(nested)),
    ] {
        assert_refused_first(&p, &text, message);
    }
    // The same keys in different objects are not duplicates.
    let d = decide(&p, r#"{"tool": "refund", "args": {"a": {"k": 1}, "b": {"k": 2}, "amount": 500}}"#);
    assert_eq!(&*d[0].rule, "/tools/refund/deny_if/args.amount-gt");
}

#[test]
fn a_trace_call_with_arguments_over_the_caps_is_denied_on_every_path() {
    let p = policy(REFUNDS);
    let ok_call = r#"{"tool": "refund", "args": {"amount": 5}}"#;
    let dense = format!("{{\"a\": [{}0]}}", "0,".repeat(crate::json::args::MAX_ARGUMENT_NODES));
    let long = format!("{{\"s\": \"{}\"}}", "x".repeat(crate::json::args::MAX_ARGUMENT_BYTES));
    for (args, message) in [
        (dense, format!("Arguments have {} values; the limit is 100000", crate::json::args::MAX_ARGUMENT_NODES + 3)),
        (long, "Arguments are 1.1 MiB; the limit is 1 MiB".to_string()),
    ] {
        for text in [
            format!("{{\"tool\": \"refund\", \"args\": {args}}}\n{ok_call}\n{ok_call}\n"),
            format!("{{\"tool\": \"refund\", \"args\": {args}, \"grant\": \"\\u0061\"}}\n{ok_call}\n{ok_call}\n"),
            format!("[{{\"tool\": \"refund\", \"args\": {args}}}, {ok_call}, {ok_call}]"),
            format!("[{{\"tool\": \"refund\", \"args\": {args}, \"grant\": \"\\u0061\"}}, {ok_call}, {ok_call}]"),
        ] {
            assert_refused_first(&p, &text, &message);
        }
    }
    // Arguments that are not an object stay an error of the trace, whatever their size.
    let e =
        errs(&format!("{{\"tool\": \"refund\", \"args\": [{}0]}}", "0,".repeat(crate::json::args::MAX_ARGUMENT_NODES)));
    assert_eq!(e[0].pointer, "/args");
}
