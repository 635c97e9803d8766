//! The `toolgate` binary, run as users run it: arguments, standard input, output and exit codes.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a binary that does not start or a temp file that cannot be written must stop the run loudly"
)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn toolgate(args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_toolgate"))
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the toolgate binary starts");
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Writes `text` to a file of this test's own and returns its path.
fn file(test: &str, name: &str, text: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-tests").join(test);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn fixture(rel: &str) -> String {
    format!("{}/../tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))
}

const TYPO_POLICY: &str = r#"{
  "version": "1",
  "default": "deny",
  "tools": {
    "create_refund": {
      "deny-if": [
        { "conditions": [ { "path": "args.amount", "op": "gt", "value": 10000 } ] }
      ]
    }
  }
}
"#;

const REFUND_POLICY: &str = r#"{
  "version": "1",
  "default": "deny",
  "tools": {
    "create_refund": {
      "limits": [ { "counter": "refunds_per_minute", "window": "minute", "max": 30 } ]
    }
  }
}
"#;

/// 2026-01-01T00:00:00Z.
const T0: u64 = 1_767_225_600_000;

fn burst_of_40() -> String {
    let calls: Vec<Value> = (0..40).map(|i| json!({"tool": "create_refund", "args": {"amount": i}})).collect();
    json!({"start_ms": T0, "calls": calls}).to_string()
}

#[test]
fn a_valid_policy_checks_with_exit_0() {
    let p = file("valid", "policy.json", REFUND_POLICY);
    let r = toolgate(&["check", &p], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.trim_end().ends_with(": valid"), "{}", r.stdout);
    let r = toolgate(&["check", &p, "--format", "json"], None);
    assert_eq!(r.code, 0);
    assert_eq!(serde_json::from_str::<Value>(&r.stdout).unwrap(), json!({"valid": true, "errors": [], "warnings": []}));
}

#[test]
fn a_typo_in_a_key_points_at_its_line_and_column_with_a_did_you_mean() {
    let p = file("typo", "policy.json", TYPO_POLICY);
    let r = toolgate(&["check", &p], None);
    assert_eq!(r.code, 1);
    let first = r.stdout.lines().next().unwrap();
    assert_eq!(first, format!("{p}:6:7: error: unknown key `deny-if` in a tool entry"));
    assert!(r.stdout.contains("6 |       \"deny-if\": ["), "{}", r.stdout);
    assert!(r.stdout.contains("^ at /tools/create_refund/deny-if"), "{}", r.stdout);
    assert!(r.stdout.contains("help: did you mean `deny_if`?"), "{}", r.stdout);
    assert!(r.stdout.trim_end().ends_with("invalid, 1 error"), "{}", r.stdout);
    assert!(!r.stdout.contains('\x1b'), "no colours when stdout is not a terminal");

    let r = toolgate(&["check", &p, "--format", "json"], None);
    assert_eq!(r.code, 1);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(
        v["errors"][0],
        json!({"pointer": "/tools/create_refund/deny-if", "message": "unknown key `deny-if` in a tool entry",
               "line": 6, "column": 7, "help": "did you mean `deny_if`?"})
    );
    assert_eq!(v["warnings"], json!([]));
}

#[test]
fn broken_json_is_invalid_with_the_parser_position() {
    let p = file("broken", "policy.json", "{\n  \"version\": \"1\",\n  \"default\" \"deny\"\n}");
    let r = toolgate(&["check", &p, "--format", "json"], None);
    assert_eq!(r.code, 1);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!((v["errors"][0]["line"].as_u64(), v["errors"][0]["column"].as_u64()), (Some(3), Some(13)));
}

#[test]
fn every_error_is_reported_not_only_the_first() {
    let p = file(
        "many",
        "policy.json",
        r#"{"version": "2", "default": "maybe", "tools": {"a": {"limits": [{"counter": "c", "window": "week", "max": 0}]}}}"#,
    );
    let v: Value = serde_json::from_str(&toolgate(&["check", &p, "--format", "json"], None).stdout).unwrap();
    let ptrs: Vec<&str> = v["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
    for want in ["/version", "/default", "/tools/a/limits/0/window", "/tools/a/limits/0/max"] {
        assert!(ptrs.contains(&want), "{want} missing from {ptrs:?}");
    }
}

#[test]
fn a_null_policy_is_valid_and_means_no_policy() {
    let p = file("null", "policy.json", "null\n");
    let r = toolgate(&["check", &p], None);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("no policy attached"), "{}", r.stdout);
    let trace = r#"[{"tool": "echo"}, {"tool": "get-sum"}]"#;
    let r = toolgate(&["simulate", &p, "-", "--format", "json"], Some(trace));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["summary"]["denied"], 2);
    assert_eq!(v["decisions"][1]["rule"], "(no policy)");
    let r = toolgate(&["filter", &p, &fixture("toollists/everything.live.json")], None);
    assert_eq!(r.code, 0);
    assert_eq!(serde_json::from_str::<Value>(&r.stdout).unwrap()["tools"], json!([]));
}

#[test]
fn check_with_tools_lints_against_the_tool_list() {
    let p = file(
        "lint",
        "policy.json",
        "{\n  \"version\": \"1\",\n  \"default\": \"deny\",\n  \"tools\": {\n    \"ecko\": {}\n  }\n}\n",
    );
    let tools = fixture("toollists/everything.live.json");
    let r = toolgate(&["check", &p, "--tools", &tools, "--format", "json"], None);
    assert_eq!(r.code, 0, "warnings do not make a policy invalid: {}", r.stdout);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["valid"], true);
    let w = &v["warnings"][0];
    assert_eq!((w["code"].as_str(), w["pointer"].as_str()), (Some("unknown-tool"), Some("/tools/ecko")));
    let r = toolgate(&["check", &p, "--tools", &tools], None);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains(&format!("{p}:5:5: warning[unknown-tool]: ")), "{}", r.stdout);
    assert!(r.stdout.contains("did you mean `echo`?"), "{}", r.stdout);
    assert!(r.stdout.trim_end().ends_with("valid, 1 warning"), "{}", r.stdout);
}

#[test]
fn an_unusable_tool_list_for_check_exits_2() {
    let p = file("badtools", "policy.json", REFUND_POLICY);
    let t = file("badtools", "tools.json", "{\"tools\": 5}");
    let r = toolgate(&["check", &p, "--tools", &t], None);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("error: `tools` must be an array"), "{}", r.stderr);
}

#[test]
fn usage_errors_and_unreadable_files_exit_2() {
    let p = file("usage", "policy.json", REFUND_POLICY);
    for (args, needle) in [
        (vec!["check"], "required"),
        (vec!["check", "/definitely/not/here.json"], "cannot read `/definitely/not/here.json`"),
        (vec!["check", &p, "--format", "yaml"], "invalid value 'yaml'"),
        (vec!["simulate", &p], "required"),
        (vec!["simulate", "-", "-"], "only one input can be `-`"),
        (vec!["simulate", &p, "/definitely/not/here.jsonl"], "cannot read"),
        (vec!["filter", &p, "/definitely/not/here.json"], "cannot read"),
        (vec!["suggest", "/definitely/not/here.json"], "cannot read"),
        (vec!["frobnicate"], "unrecognized subcommand"),
        (vec![], "Usage"),
        (vec!["check", &p, "--tool", "x"], "--tools"),
    ] {
        let r = toolgate(&args, Some(""));
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    }
}

#[test]
fn a_non_utf8_file_is_unreadable() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-tests").join("latin1");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("policy.json");
    std::fs::write(&path, b"{\"version\": \"\xe9\"}").unwrap();
    let r = toolgate(&["check", path.to_str().unwrap()], None);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is not UTF-8 text"), "{}", r.stderr);
}

#[test]
fn help_and_version() {
    let r = toolgate(&["--help"], None);
    assert_eq!(r.code, 0);
    for word in ["check", "simulate", "filter", "suggest", "schema", "Exit codes", "`-`"] {
        assert!(r.stdout.contains(word), "{word}: {}", r.stdout);
    }
    let r = toolgate(&["simulate", "--help"], None);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("jsonl"), "{}", r.stdout);
    let r = toolgate(&["--version"], None);
    assert_eq!((r.code, r.stdout.trim()), (0, concat!("toolgate ", env!("CARGO_PKG_VERSION"))));
}

/// The acceptance scenario: 30 per minute, a burst of 40 → calls 31–40 (indices 30–39) refused.
#[test]
fn a_burst_of_40_against_30_per_minute_rate_limits_the_last_10() {
    let p = file("burst", "policy.json", REFUND_POLICY);
    let t = file("burst", "trace.json", &burst_of_40());

    let r = toolgate(&["simulate", &p, &t, "--format", "json"], None);
    assert_eq!(r.code, 0, "refusals are results, not failures: {}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let decisions = v["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), 40);
    for (i, d) in decisions.iter().enumerate() {
        assert_eq!(d["index"], i);
        assert_eq!(d["tool"], "create_refund");
        assert_eq!(d["grant"], "default");
        assert_eq!(d["at_ms"], T0);
        if i < 30 {
            assert_eq!(d["outcome"], "allow", "call {}", i + 1);
            assert_eq!(d["retry_after_ms"], Value::Null);
            assert_eq!(d["counters"][0]["used"], i + 1);
        } else {
            assert_eq!(d["outcome"], "rate_limited", "call {}", i + 1);
            assert_eq!(d["rule"], "/tools/create_refund/limits/refunds_per_minute");
            assert_eq!(d["pointer"], "/tools/create_refund/limits/0");
            assert_eq!(d["retry_after_ms"], 60_000);
            assert_eq!(d["message"], "Rate limit of 30 per minute reached. Try again later.");
            assert_eq!(
                d["counters"][0],
                json!({"counter": "refunds_per_minute", "grant": "default", "window": "minute",
                       "window_start_ms": T0, "used": 30, "max": 30})
            );
        }
    }
    assert_eq!(
        v["summary"],
        json!({"calls": 40, "allowed": 30, "denied": 0, "hidden": 0, "rate_limited": 10,
               "by_tool": {"create_refund": {"calls": 40, "allowed": 30, "denied": 0, "hidden": 0, "rate_limited": 10}}})
    );

    let r = toolgate(&["simulate", &p, &t, "--format", "jsonl"], None);
    assert_eq!(r.code, 0);
    let lines: Vec<Value> = r.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.as_slice(), decisions.as_slice(), "jsonl carries the same decisions, one per line");

    let r = toolgate(&["simulate", &p, &t], None);
    assert_eq!(r.code, 0);
    let rows: Vec<&str> = r.stdout.lines().collect();
    let header: Vec<&str> = rows[0].split_whitespace().collect();
    assert_eq!(header, ["#", "time", "grant", "tool", "outcome", "rule", "reason", "retry-after", "counters"]);
    let row = |i: usize| rows[i + 1].split_whitespace().collect::<Vec<_>>();
    assert_eq!(row(29)[..5], ["29", "2026-01-01T00:00:00.000Z", "default", "create_refund", "allow"]);
    assert_eq!(row(29).last().copied(), Some("30/30"));
    for i in 30..40 {
        let cells = row(i);
        assert_eq!(cells[0], i.to_string());
        assert_eq!(cells[4], "rate_limited");
        assert_eq!(cells[5], "/tools/create_refund/limits/refunds_per_minute");
        assert!(rows[i + 1].contains("Rate limit of 30 per minute reached. Try again later."));
        let tail: Vec<&str> = cells.iter().rev().take(3).rev().copied().collect();
        assert_eq!(tail, ["60000ms", "refunds_per_minute", "30/30"], "{}", rows[i + 1]);
    }
    assert!(r.stdout.contains("summary: 40 calls, 30 allowed, 0 denied, 0 hidden, 10 rate_limited"), "{}", r.stdout);
    let by_tool = rows.iter().find(|l| l.starts_with("create_refund ")).unwrap();
    assert_eq!(by_tool.split_whitespace().collect::<Vec<_>>(), ["create_refund", "40", "30", "0", "0", "10"]);
}

#[test]
fn the_recorded_wire_trace_simulates() {
    let p = file(
        "wire",
        "policy.json",
        r#"{"version": "1", "default": "deny", "hide": ["no-such-tool"],
            "tools": {"echo": {}, "get-sum": {"require": ["args.b"]}}}"#,
    );
    for trace in ["traces/everything.stdio.wire.jsonl", "traces/everything.calls.json"] {
        let r = toolgate(&["simulate", &p, &fixture(trace), "--format", "json"], None);
        assert_eq!(r.code, 0, "{trace}: {}", r.stderr);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        let got: Vec<(&str, &str)> = v["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["tool"].as_str().unwrap(), d["outcome"].as_str().unwrap()))
            .collect();
        assert_eq!(got, [("echo", "allow"), ("get-sum", "allow"), ("no-such-tool", "hidden"), ("get-sum", "deny")]);
        assert_eq!(v["decisions"][0]["at_ms"], 1_795_289_361_984_u64, "{trace}: the recorded ts");
    }
    let r = toolgate(
        &["simulate", "-", &fixture("traces/everything.stdio.wire.jsonl")],
        Some(&std::fs::read_to_string(&p).unwrap()),
    );
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("2026-11-21T19:29:21.984Z  default  echo"), "{}", r.stdout);
    assert!(r.stdout.contains("/tools/get-sum/require/args.b-exists"), "{}", r.stdout);
}

#[test]
fn simulate_denies_a_traced_call_with_duplicate_argument_keys_instead_of_reading_the_last() {
    let p = file(
        "dupargs",
        "policy.json",
        r#"{"version": "1", "default": "deny", "tools": {"create_refund": {
            "deny_if": [{"conditions": [{"path": "args.amount", "op": "gt", "value": 10000}]}]}}}"#,
    );
    // Last-key-wins would read `amount: 1` and allow; a first-key server would refund 50000.
    let t = file(
        "dupargs",
        "trace.jsonl",
        concat!(
            r#"{"tool": "create_refund", "args": {"amount": 50000, "amount": 1}, "at_ms": 1767225600000}"#,
            "\n",
            r#"{"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "create_refund", "arguments": {"order": {"id": 1, "id": 2}, "amount": 5}}}"#,
            "\n",
            r#"{"tool": "create_refund", "args": {"amount": 1}}"#,
            "\n",
        ),
    );
    let r = toolgate(&["simulate", &p, &t], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows: Vec<&str> = r.stdout.lines().filter(|l| l.contains("create_refund")).collect();
    assert!(rows[0].contains("deny") && rows[0].contains("(invalid arguments)"), "{}", r.stdout);
    assert!(r.stdout.contains("Arguments have a duplicate key `amount` at /amount"), "{}", r.stdout);
    assert!(r.stdout.contains("Arguments have a duplicate key `id` at /order/id"), "{}", r.stdout);
    assert!(r.stdout.contains("summary: 3 calls, 1 allowed, 2 denied"), "{}", r.stdout);
    let r = toolgate(&["simulate", &p, &t, "--format", "json"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let got: Vec<(&str, &str)> = v["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["outcome"].as_str().unwrap(), d["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [("deny", "(invalid arguments)"), ("deny", "(invalid arguments)"), ("allow", "")]);
}

#[test]
fn an_invalid_trace_exits_1_with_every_error_located() {
    let p = file("badtrace", "policy.json", REFUND_POLICY);
    let t = file(
        "badtrace",
        "trace.jsonl",
        "{\"tool\": \"create_refund\", \"at_ms\": 5}\n{\"tool\": \"create_refund\", \"args\": [1]}\n\n{\"tool\": \"create_refund\", \"at-ms\": 9}\n{\"tool\": \"create_refund\", \"at_ms\": 1}\n",
    );
    let r = toolgate(&["simulate", &p, &t], None);
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty(), "no results for an invalid trace: {}", r.stdout);
    assert!(r.stderr.contains(&format!("{t}:2:35: error: `args` must be an object, found an array")), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("{t}:4:27: error: unknown key `at-ms` in a call")), "{}", r.stderr);
    assert!(r.stderr.contains("help: did you mean `at_ms`?"), "{}", r.stderr);
    assert!(r.stderr.contains(&format!("{t}:5:36: error: time goes backwards: call 1")), "{}", r.stderr);
    assert!(r.stderr.contains("invalid trace, 3 errors"), "{}", r.stderr);
}

#[test]
fn an_invalid_policy_fails_simulate_and_filter_with_exit_1() {
    let p = file("badpolicy", "policy.json", TYPO_POLICY);
    let t = file("badpolicy", "trace.json", "[]");
    let r = toolgate(&["simulate", &p, &t], None);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains(&format!("{p}:6:7: error: unknown key `deny-if`")), "{}", r.stderr);
    let r = toolgate(&["filter", &p, &fixture("toollists/everything.live.json")], None);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("did you mean `deny_if`?"), "{}", r.stderr);
}

#[test]
fn an_invalid_policy_and_an_invalid_trace_are_both_reported() {
    let p = file("bothbad", "policy.json", TYPO_POLICY);
    let t = file("bothbad", "trace.jsonl", "{\"tool\": \"a\", \"grnt\": \"x\"}\n");
    for format in ["text", "json", "jsonl"] {
        let r = toolgate(&["simulate", &p, &t, "--format", format], None);
        assert_eq!(r.code, 1);
        assert!(r.stdout.is_empty(), "{format}: {}", r.stdout);
        assert!(r.stderr.contains("unknown key `deny-if`"), "{}", r.stderr);
        assert!(r.stderr.contains(&format!("{t}:1:15: error: unknown key `grnt` in a call")), "{}", r.stderr);
        assert!(r.stderr.contains("did you mean `grant`?"), "{}", r.stderr);
    }
}

#[test]
fn a_long_trace_prints_one_row_per_call() {
    let p = file("long", "policy.json", REFUND_POLICY);
    let lines: String = (0..2500u64)
        .map(|i| {
            format!(
                "{{\"tool\": \"{}\", \"at_ms\": {}}}\n",
                if i == 2000 { "a_much_longer_tool_name" } else { "create_refund" },
                T0 + i * 1000
            )
        })
        .collect();
    let t = file("long", "trace.jsonl", &lines);
    let r = toolgate(&["simulate", &p, &t], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows: Vec<&str> = r.stdout.lines().take_while(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 2501, "a header and 2500 rows");
    assert!(
        rows[2001].starts_with("2000  2026-01-01T00:33:20.000Z  default  a_much_longer_tool_name  deny"),
        "{}",
        rows[2001]
    );
    assert!(
        r.stdout.contains("summary: 2500 calls, 1260 allowed, 1 denied, 0 hidden, 1239 rate_limited"),
        "{}",
        r.stdout
    );
    let r = toolgate(&["simulate", &p, &t, "--format", "jsonl"], None);
    assert_eq!(r.stdout.lines().count(), 2500);
}

#[test]
fn upstream_errors_show_their_released_quota() {
    let p = file("upstream", "policy.json", REFUND_POLICY);
    let trace = format!(
        "{{\"tool\": \"create_refund\", \"at_ms\": {T0}, \"upstream_error\": true}}\n{{\"tool\": \"create_refund\"}}\n"
    );
    let r = toolgate(&["simulate", &p, "-"], Some(&trace));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("upstream error: quota released"), "{}", r.stdout);
    let r = toolgate(&["simulate", &p, "-", "--format", "jsonl"], Some(&trace));
    let second: Value = serde_json::from_str(r.stdout.lines().nth(1).unwrap()).unwrap();
    assert_eq!(second["counters"][0]["used"], 1, "the failed call's charge was given back");
}

#[test]
fn an_empty_trace_is_valid() {
    let p = file("empty", "policy.json", REFUND_POLICY);
    let r = toolgate(&["simulate", &p, "-"], Some(""));
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("the trace has no calls"), "{}", r.stdout);
    let r = toolgate(&["simulate", &p, "-", "--format", "json"], Some("[]"));
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["decisions"], json!([]));
    assert_eq!(v["summary"]["calls"], 0);
}

#[test]
fn filter_removes_hidden_tools_and_keeps_every_other_byte() {
    let p = file("filter", "policy.json", r#"{"version": "1", "default": "allow", "hide": ["b"]}"#);
    let tools = "{\"tools\": [\n  {\"name\": \"a\", \"x\": 1},\n  {\"name\": \"b\"},\n  {\"name\": \"c\"}\n], \"nextCursor\": \"n\"}\n";
    let r = toolgate(&["filter", &p, "-"], Some(tools));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "{\"tools\": [\n  {\"name\": \"a\", \"x\": 1},\n  {\"name\": \"c\"}\n], \"nextCursor\": \"n\"}\n"
    );
    let real = std::fs::read_to_string(fixture("toollists/github.json")).unwrap();
    let p = file("filter", "hide-none.json", r#"{"version": "1", "default": "deny"}"#);
    let r = toolgate(&["filter", &p, &fixture("toollists/github.json")], None);
    assert_eq!(r.stdout, real, "nothing hidden: the same bytes");
    let r = toolgate(&["filter", &p, "-"], Some("[1, 2]"));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("tools/list"), "{}", r.stderr);
}

#[test]
fn suggest_prints_a_valid_starter_policy() {
    let r = toolgate(&["suggest", &fixture("toollists/github.json")], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!((v["version"].as_str(), v["default"].as_str()), (Some("1"), Some("deny")));
    let p = file("suggest", "policy.json", &r.stdout);
    assert_eq!(toolgate(&["check", &p], None).code, 0, "the suggestion is a valid policy");
    let r = toolgate(&["suggest", "-"], Some("{\"tools\": [{\"title\": \"no name\"}]}"));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("<stdin>:1:12: error: a tool must have a `name`"), "{}", r.stderr);
}

#[test]
fn schema_prints_the_policy_json_schema() {
    let r = toolgate(&["schema"], None);
    assert_eq!(r.code, 0);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
}
