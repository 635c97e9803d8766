//! Hostile inputs through the `toolgate` binary (issue 9): a decoy `tools/list`, a schema built to
//! blow up lint, megabyte names, numbers sent as strings.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a binary that does not start or a temp file that cannot be written must stop the run loudly"
)]

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Map, Value, json};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn toolgate(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_toolgate"))
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .expect("the toolgate binary starts");
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Writes `text` to a file of this test's own and returns its path.
fn file(test: &str, name: &str, text: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-hostile").join(test);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// An `inputSchema` whose `amount` sits under 16 levels of `anyOf`s of 40 `$ref`s each: followed
/// naively, that is 40¹⁵ paths.
fn sixteen_by_forty() -> Value {
    let mut defs = Map::new();
    for l in 0..16 {
        let def = if l == 15 {
            json!({"type": "object", "properties": {"amount": {"type": ["number", "string"]}}, "required": ["amount"]})
        } else {
            json!({"anyOf": vec![json!({"$ref": format!("#/$defs/L{}", l + 1)}); 40]})
        };
        defs.insert(format!("L{l}"), def);
    }
    json!({"$ref": "#/$defs/L0", "$defs": defs})
}

#[test]
fn check_with_a_sixteen_by_forty_any_of_schema_completes_and_reports() {
    let tools = json!({"tools": [{"name": "create_refund", "inputSchema": sixteen_by_forty()}]});
    let t = file("blowup", "tools.json", &serde_json::to_string_pretty(&tools).unwrap());
    let conditions: Vec<Value> = (0..50).map(|_| json!({"path": "args.amont", "op": "gt", "value": 10})).collect();
    let policy = json!({"version": "1", "default": "deny", "tools": {"create_refund": {
        "require": [{"conditions": conditions}],
        "deny_if": [{"conditions": [{"path": "args.amount", "op": "gt", "value": 10000}]}]
    }}});
    let p = file("blowup", "policy.json", &serde_json::to_string_pretty(&policy).unwrap());
    let r = toolgate(&["check", &p, "--tools", &t, "--format", "json"]);
    assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let codes: Vec<&str> = v["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap()).collect();
    // Read to the bottom: 50 misspelt paths found missing, the real one typed `number | string`.
    assert_eq!(codes.iter().filter(|c| **c == "unknown-arg").count(), 50, "{codes:?}");
    assert_eq!(v["warnings"][0]["help"], "did you mean `args.amount`?");
    assert!(codes.contains(&"numeric-condition-on-string"), "{codes:?}");
}

#[test]
fn filter_refuses_a_decoy_tools_list_next_to_the_json_rpc_result() {
    let p = file("decoy", "policy.json", r#"{"version": "1", "default": "allow", "hide": ["delete_repo"]}"#);
    let decoy =
        "{\"jsonrpc\": \"2.0\", \"id\": 1,\n \"result\": {\"tools\": [{\"name\": \"delete_repo\"}]},\n \"tools\": []}";
    let t = file("decoy", "tools.json", decoy);
    let r = toolgate(&["filter", &p, &t]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.is_empty(), "nothing is passed through: {}", r.stdout);
    assert!(r.stderr.contains(&format!("{t}:3:2: error: a JSON-RPC response has a top-level `tools`")), "{}", r.stderr);
    let t = file("decoy", "dup-name.json", r#"{"tools": [{"name": "a", "name": "delete_repo"}]}"#);
    let r = toolgate(&["filter", &p, &t]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("two `name` keys"), "{}", r.stderr);
    // The honest response is filtered.
    let t = file(
        "decoy",
        "honest.json",
        r#"{"jsonrpc": "2.0", "id": 1, "result": {"tools": [{"name": "delete_repo"}, {"name": "a"}]}}"#,
    );
    let r = toolgate(&["filter", &p, &t]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, r#"{"jsonrpc": "2.0", "id": 1, "result": {"tools": [{"name": "a"}]}}"#)
    );
}

#[test]
fn a_megabyte_tool_name_gets_no_did_you_mean_and_check_completes() {
    let huge = "x".repeat(1 << 20);
    let near = format!("{huge}y");
    let tools = json!({"tools": [{"name": near}, {"name": "echo"}]});
    let t = file("huge", "tools.json", &tools.to_string());
    let p = file(
        "huge",
        "policy.json",
        &json!({"version": "1", "default": "deny", "tools": {huge.clone(): {}}}).to_string(),
    );
    let r = toolgate(&["check", &p, "--tools", &t, "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["warnings"][0]["code"], "unknown-tool");
    assert!(v["warnings"][0].get("help").is_none(), "no suggestion for a megabyte name");
}
