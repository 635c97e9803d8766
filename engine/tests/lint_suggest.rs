//! Lint, suggest and the JSON Schema against real MCP tool lists and the conformance vectors.
#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test helpers: a missing fixture or a broken expectation must stop the run loudly"
)]

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use toolgate_engine::lint::{self, Warning, lint};
use toolgate_engine::schema::policy_schema;
use toolgate_engine::suggest::{ToolClass, classify, explain_class, suggest};
use toolgate_engine::{Call, Engine, Outcome, Policy, PolicyDoc, ToolInfo, parse_policy_doc, parse_tool_list};

fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn tool_list(file: &str) -> Vec<ToolInfo> {
    let path = repo_path("tests/fixtures/toollists").join(file);
    parse_tool_list(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The `*.json` files of a repository folder, sorted.
fn json_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_path(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn all_tool_lists() -> Vec<(String, Vec<ToolInfo>)> {
    let files = json_files("tests/fixtures/toollists");
    assert!(files.len() >= 10, "fixture tool lists not found");
    files
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name.clone(), tool_list(&name))
        })
        .collect()
}

fn doc(v: Value) -> PolicyDoc {
    let text = v.to_string();
    parse_policy_doc(&text).unwrap_or_else(|e| panic!("invalid test policy {text}: {e:?}")).unwrap()
}

fn policy_for(tool: &str, rules: Value) -> PolicyDoc {
    doc(json!({"version": "1", "default": "deny", "tools": {tool: rules}}))
}

fn codes(ws: &[Warning]) -> Vec<&str> {
    ws.iter().map(|w| w.code.as_str()).collect()
}

fn with_code<'w>(ws: &'w [Warning], code: &str) -> Vec<&'w Warning> {
    ws.iter().filter(|w| w.code == code).collect()
}

/// Style of every message: lowercase start, no final period.
fn assert_style(ws: &[Warning]) {
    for w in ws {
        let first = w.message.chars().next().unwrap();
        assert!(!first.is_uppercase(), "message starts uppercase: {}", w.message);
        assert!(!w.message.ends_with('.'), "message ends with a period: {}", w.message);
        assert!(lint::CODES.contains(&w.code.as_str()), "unknown code {}", w.code);
    }
}

// ---------------------------------------------------------------------------------------------
// lint: each code fires on a minimal case and not on the corrected one

#[test]
fn unknown_tool_fires_for_tools_keys_and_hide_entries_with_a_suggestion() {
    let stripe = tool_list("stripe.json");
    let d =
        doc(json!({"version": "1", "default": "deny", "hide": ["cancel_subscriptoin"], "tools": {"create_refnd": {}}}));
    let ws = lint(&d, Some(&stripe));
    assert_style(&ws);
    assert_eq!(codes(&ws), ["unknown-tool", "unknown-tool"]);
    assert_eq!(ws[0].pointer, "/hide/0");
    assert_eq!(ws[0].help.as_deref(), Some("did you mean `cancel_subscription`?"));
    assert_eq!(ws[1].pointer, "/tools/create_refnd");
    assert_eq!(ws[1].message, "tool `create_refnd` is not in the tool list");
    assert_eq!(ws[1].help.as_deref(), Some("did you mean `create_refund`?"));

    let fixed = doc(
        json!({"version": "1", "default": "deny", "hide": ["cancel_subscription"], "tools": {"create_refund": {}}}),
    );
    assert_eq!(lint(&fixed, Some(&stripe)), []);
}

#[test]
fn a_star_tools_key_is_reported_as_a_literal_name() {
    let d = doc(
        json!({"version": "1", "default": "allow", "tools": {"*": {"limits": [{"counter": "c", "window": "minute", "max": 5}]}}}),
    );
    let ws = lint(&d, Some(&tool_list("time.json")));
    assert_eq!(codes(&ws), ["unknown-tool"]);
    assert!(ws[0].help.as_deref().unwrap().contains("literal tool name"), "{:?}", ws[0].help);
}

#[test]
fn unknown_arg_fires_for_the_spec_example_against_the_real_stripe_schema() {
    // The format's own example requires `args.reason`, which Stripe's create_refund does not take.
    let stripe = tool_list("stripe.json");
    let d = policy_for("create_refund", json!({"require": ["args.reason"]}));
    let ws = lint(&d, Some(&stripe));
    assert_style(&ws);
    assert_eq!(codes(&ws), ["unknown-arg"]);
    assert_eq!(ws[0].pointer, "/tools/create_refund/require/0");
    assert_eq!(ws[0].message, "argument `args.reason` is not in the input schema of `create_refund`");
    assert_eq!(ws[0].help.as_deref(), Some("known properties here: `payment_intent`, `amount`"));

    let typo = policy_for(
        "create_refund",
        json!({"deny_if": [{"conditions": [{"path": "args.ammount", "op": "gt", "value": 100}]}]}),
    );
    let ws = lint(&typo, Some(&stripe));
    assert_eq!(codes(&ws), ["unknown-arg"]);
    assert_eq!(ws[0].pointer, "/tools/create_refund/deny_if/0/conditions/0/path");
    assert_eq!(ws[0].help.as_deref(), Some("did you mean `args.amount`?"));

    let fixed = policy_for("create_refund", json!({"require": ["args.payment_intent"]}));
    assert_eq!(lint(&fixed, Some(&stripe)), []);
}

#[test]
fn unknown_arg_says_when_a_tool_takes_no_arguments() {
    let d = policy_for("retrieve_balance", json!({"require": ["args.currency"]}));
    let ws = lint(&d, Some(&tool_list("stripe.json")));
    assert_eq!(codes(&ws), ["unknown-arg"]);
    assert_eq!(ws[0].help.as_deref(), Some("`retrieve_balance` takes no arguments"));
}

#[test]
fn type_mismatch_fires_for_a_value_outside_a_real_enum() {
    let github = tool_list("github.json");
    let rule = |value: &str| {
        policy_for(
            "list_issues",
            json!({"require": [{"conditions": [{"path": "args.state", "op": "eq", "value": value}]}]}),
        )
    };
    let ws = lint(&rule("open"), Some(&github));
    assert_style(&ws);
    assert_eq!(codes(&ws), ["type-mismatch"]);
    assert_eq!(ws[0].pointer, "/tools/list_issues/require/0/conditions/0/value");
    assert_eq!(ws[0].help.as_deref(), Some("did you mean `\"OPEN\"`?"));
    assert_eq!(lint(&rule("OPEN"), Some(&github)), []);
}

#[test]
fn type_mismatch_fires_for_operators_that_cannot_match_the_schema_type() {
    let github = tool_list("github.json");
    let cases = [
        (json!({"path": "args.owner", "op": "gt", "value": 3}), "/op", "`gt` compares numbers"),
        (json!({"path": "args.pullNumber", "op": "regex", "value": "^1"}), "/op", "`regex` matches strings"),
        (json!({"path": "args.pullNumber", "op": "contains", "value": 1}), "/op", "`contains` looks into"),
        (json!({"path": "args.commit_title", "op": "contains", "value": 7}), "/value", "needs a string value"),
        (json!({"path": "args.pullNumber", "op": "eq", "value": "42"}), "/value", "is a string, but"),
        (
            json!({"path": "args.merge_method", "op": "in", "value": ["squash", "fast-forward"]}),
            "/value/1",
            "not one of",
        ),
    ];
    for (cond, suffix, fragment) in cases {
        let d = policy_for(
            "merge_pull_request",
            json!({"require": ["args.merge_method", "args.commit_title"], "deny_if": [{"conditions": [cond]}]}),
        );
        let ws = lint(&d, Some(&github));
        assert_eq!(codes(&ws), ["type-mismatch"], "{cond}: {ws:?}");
        assert_eq!(ws[0].pointer, format!("/tools/merge_pull_request/deny_if/0/conditions/0{suffix}"), "{cond}");
        assert!(ws[0].message.contains(fragment), "{cond}: {}", ws[0].message);
    }
    // The corrected conditions: right types, values inside the enum, `exists` on anything.
    for cond in [
        json!({"path": "args.pullNumber", "op": "gt", "value": 3}),
        json!({"path": "args.owner", "op": "regex", "value": "^acme-"}),
        json!({"path": "args.commit_title", "op": "contains", "value": "WIP"}),
        json!({"path": "args.pullNumber", "op": "eq", "value": 42}),
        json!({"path": "args.merge_method", "op": "in", "value": ["squash", "rebase"]}),
        json!({"path": "args.pullNumber", "op": "exists", "value": true}),
    ] {
        let d = policy_for(
            "merge_pull_request",
            json!({"require": ["args.merge_method", "args.commit_title"], "deny_if": [{"conditions": [cond.clone()]}]}),
        );
        assert_eq!(lint(&d, Some(&github)), [], "{cond}");
    }
}

#[test]
fn type_arrays_and_nullable_any_of_are_understood() {
    // issue_write: `type` is anyOf [string, null]; issue_fields[].value is ["string","number","boolean"].
    let github = tool_list("github.json");
    let d = policy_for(
        "issue_write",
        json!({"require": ["args.type", {"conditions": [{"path": "args.type", "op": "eq", "value": 5}]}]}),
    );
    let ws = lint(&d, Some(&github));
    assert_eq!(codes(&ws), ["type-mismatch"]);
    assert!(ws[0].message.contains("a string or `null`"), "{}", ws[0].message);
    let d = policy_for(
        "issue_write",
        json!({"require": ["args.type", {"conditions": [{"path": "args.type", "op": "eq", "value": "bug"}]}]}),
    );
    assert_eq!(lint(&d, Some(&github)), []);
}

#[test]
fn unreachable_rules_fires_for_a_hidden_tool_with_an_entry() {
    let d = doc(json!({"version": "1", "default": "deny", "hide": ["delete_file"], "tools": {
        "get_me": {}, "delete_file": {"limits": [{"counter": "d", "window": "day", "max": 1}]}
    }}));
    let ws = lint(&d, None);
    assert_style(&ws);
    assert_eq!(codes(&ws), ["unreachable-rules"]);
    assert_eq!(ws[0].pointer, "/tools/delete_file");

    let fixed = doc(json!({"version": "1", "default": "deny", "hide": ["delete_file"], "tools": {"get_me": {}}}));
    assert_eq!(lint(&fixed, None), []);
    assert_eq!(lint(&fixed, Some(&tool_list("github.json"))), []);
}

#[test]
fn hiding_everything_makes_every_entry_unreachable() {
    let d = doc(json!({"version": "1", "default": "allow", "hide": ["*"], "tools": {"a": {}, "b": {}}}));
    let ws = lint(&d, None);
    assert_eq!(codes(&ws), ["everything-denied", "unreachable-rules", "unreachable-rules"]);
    assert_eq!(ws[0].pointer, "/hide/0");
    assert_eq!(ws[2].pointer, "/tools/b");
}

#[test]
fn everything_denied_fires_when_no_call_can_be_allowed() {
    let cases = [
        json!({"version": "1", "default": "deny"}),
        json!({"version": "1", "default": "deny", "tools": {}}),
        json!({"version": "1", "default": "deny", "hide": ["a"], "tools": {"a": {}}}),
        json!({"version": "1", "default": "deny", "tools": {"a": {"deny_if": [{"conditions": [], "on_deny": "Ask a human."}]}}}),
        json!({"version": "1", "default": "allow", "hide": ["*"]}),
    ];
    for case in cases {
        let ws = lint(&doc(case.clone()), None);
        assert_style(&ws);
        assert_eq!(with_code(&ws, "everything-denied").len(), 1, "{case}: {ws:?}");
    }
    for fixed in [
        json!({"version": "1", "default": "deny", "tools": {"a": {}}}),
        json!({"version": "1", "default": "deny", "hide": ["b"], "tools": {"a": {}}}),
        json!({"version": "1", "default": "deny", "tools": {
            "a": {"deny_if": [{"conditions": [], "on_deny": "Ask a human."}]},
            "b": {"deny_if": [{"conditions": [{"path": "args.x", "op": "eq", "value": 1}]}]}
        }}),
        json!({"version": "1", "default": "allow"}),
        json!({"version": "1", "default": "allow", "hide": ["a"]}),
    ] {
        assert_eq!(lint(&doc(fixed.clone()), None), [], "{fixed}");
    }
    let ws = lint(&doc(json!({"version": "1", "default": "deny"})), None);
    assert_eq!(ws[0].pointer, "/default");
}

#[test]
fn optional_arg_deny_fires_when_the_caller_can_omit_the_argument() {
    let stripe = tool_list("stripe.json");
    let deny = json!([{"conditions": [{"path": "args.amount", "op": "gt", "value": 10000}], "on_deny": "Too big."}]);
    let ws = lint(&policy_for("create_refund", json!({"deny_if": deny})), Some(&stripe));
    assert_style(&ws);
    assert_eq!(codes(&ws), ["optional-arg-deny"]);
    assert_eq!(ws[0].pointer, "/tools/create_refund/deny_if/0/conditions/0/path");
    assert_eq!(
        ws[0].message,
        "`args.amount` is optional in the input schema of `create_refund`: a call that omits it is not denied by this condition"
    );
    assert_eq!(ws[0].help.as_deref(), Some("add `\"require\": [\"args.amount\"]` to `create_refund`"));

    // Corrected: required by the policy; or a required argument in the schema.
    let fixed = policy_for("create_refund", json!({"require": ["args.amount"], "deny_if": deny}));
    assert_eq!(lint(&fixed, Some(&stripe)), []);
    let on_required = policy_for(
        "create_refund",
        json!({"deny_if": [{"conditions": [{"path": "args.payment_intent", "op": "regex", "value": "^pi_test"}]}]}),
    );
    assert_eq!(lint(&on_required, Some(&stripe)), []);
    // `exists` conditions are about presence and never warn.
    let exists = policy_for(
        "create_refund",
        json!({"deny_if": [{"conditions": [{"path": "args.amount", "op": "exists", "value": true}]}]}),
    );
    assert_eq!(lint(&exists, Some(&stripe)), []);
}

#[test]
fn optional_arg_deny_is_satisfied_by_a_require_rule_on_the_same_argument() {
    let github = tool_list("github.json");
    let deny = json!([{"conditions": [{"path": "args.merge_method", "op": "eq", "value": "rebase"}]}]);
    let ws =
        lint(&policy_for("merge_pull_request", json!({"require": ["args.owner"], "deny_if": deny})), Some(&github));
    assert_eq!(codes(&ws), ["optional-arg-deny"]);
    assert_eq!(
        ws[0].help.as_deref(),
        Some("add `\"args.merge_method\"` to the `require` list of `merge_pull_request`")
    );
    let fixed = policy_for(
        "merge_pull_request",
        json!({"require": [{"conditions": [{"path": "args.merge_method", "op": "in", "value": ["merge", "squash", "rebase"]}]}],
               "deny_if": deny}),
    );
    assert_eq!(lint(&fixed, Some(&github)), []);
    // `exists: false` in a require does not make the argument present.
    let not_fixed = policy_for(
        "merge_pull_request",
        json!({"require": [{"conditions": [{"path": "args.merge_method", "op": "exists", "value": false}]}],
               "deny_if": deny}),
    );
    assert_eq!(codes(&lint(&not_fixed, Some(&github))), ["optional-arg-deny"]);
}

#[test]
fn counter_max_mismatch_fires_when_a_shared_counter_has_two_maxes() {
    let d = doc(json!({"version": "1", "default": "deny",
        "all_tools": {"limits": [{"counter": "writes", "window": "minute", "max": 100}]},
        "tools": {"a": {"limits": [{"counter": "writes", "window": "minute", "max": 10}]}}}));
    let ws = lint(&d, None);
    assert_style(&ws);
    assert_eq!(codes(&ws), ["counter-max-mismatch"]);
    assert_eq!(ws[0].pointer, "/tools/a/limits/0/max");
    assert!(ws[0].message.contains("`/all_tools/limits/0`"), "{}", ws[0].message);

    let same = doc(json!({"version": "1", "default": "deny", "tools": {
        "a": {"limits": [{"counter": "writes", "window": "minute", "max": 10}]},
        "b": {"limits": [{"counter": "writes", "window": "minute", "max": 10}]}}}));
    assert_eq!(lint(&same, None), []);
}

#[test]
fn codes_that_need_the_tool_list_stay_quiet_without_one() {
    let d = policy_for(
        "create_refnd",
        json!({"deny_if": [{"conditions": [{"path": "args.ammount", "op": "regex", "value": "x"}]}]}),
    );
    assert_eq!(lint(&d, None), []);
    let ws = lint(&d, Some(&tool_list("stripe.json")));
    assert_eq!(codes(&ws), ["unknown-tool"]);
}

#[test]
fn warnings_come_in_document_order() {
    let stripe = tool_list("stripe.json");
    let d = doc(json!({
        "version": "1", "default": "deny",
        "hide": ["nope", "create_refund"],
        "all_tools": {"limits": [{"counter": "c", "window": "minute", "max": 5}]},
        "tools": {
            "list_customers": {
                "require": ["args.emil"],
                "deny_if": [{"conditions": [{"path": "args.limit", "op": "gt", "value": 50}]}],
                "limits": [{"counter": "c", "window": "minute", "max": 6}]
            },
            "create_refund": {}
        }
    }));
    let ws = lint(&d, Some(&stripe));
    let got: Vec<(&str, &str)> = ws.iter().map(|w| (w.code.as_str(), w.pointer.as_str())).collect();
    assert_eq!(
        got,
        [
            ("unknown-tool", "/hide/0"),
            ("unknown-arg", "/tools/list_customers/require/0"),
            ("optional-arg-deny", "/tools/list_customers/deny_if/0/conditions/0/path"),
            ("counter-max-mismatch", "/tools/list_customers/limits/0/max"),
            ("unreachable-rules", "/tools/create_refund"),
        ]
    );
    assert_eq!(lint(&d, Some(&stripe)), ws, "lint is deterministic");
    let json = serde_json::to_value(&ws).unwrap();
    assert_eq!(json[1]["help"], "did you mean `args.email`?");
    assert!(json[4].get("help").is_some());
}

#[test]
fn lint_never_panics_on_any_fixture_schema() {
    // Every property of every real tool, with every operator: lint reads every schema shape.
    for (file, tools) in all_tool_lists() {
        for t in &tools {
            let props: Vec<String> = t
                .input_schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            let conditions: Vec<Value> = props
                .iter()
                .flat_map(|p| {
                    let path = format!("args.{p}");
                    [
                        json!({"path": path, "op": "eq", "value": "x"}),
                        json!({"path": path, "op": "in", "value": [1, "y", null, true]}),
                        json!({"path": path, "op": "gte", "value": 1}),
                        json!({"path": path, "op": "regex", "value": "x"}),
                        json!({"path": path, "op": "contains", "value": 2}),
                        json!({"path": format!("{path}.deeper.still"), "op": "neq", "value": {}}),
                    ]
                })
                .collect();
            let rules = json!({"require": props.iter().map(|p| format!("args.{p}")).collect::<Vec<_>>(),
                               "deny_if": conditions.iter().map(|c| json!({"conditions": [c]})).collect::<Vec<_>>()});
            let ws = lint(&policy_for(&t.name, rules), Some(&tools));
            assert_style(&ws);
            assert!(
                with_code(&ws, "unknown-arg").iter().all(|w| w.pointer.contains("/deny_if/")),
                "{file} {}: a schema property reported unknown: {ws:?}",
                t.name
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// suggest on real tool lists

fn rules_of<'d>(doc: &'d PolicyDoc, tool: &str) -> Option<&'d toolgate_engine::ToolRules> {
    doc.tools.as_ref().and_then(|t| t.get(tool))
}

fn hidden(doc: &PolicyDoc, tool: &str) -> bool {
    doc.hide.iter().flatten().any(|h| h == tool)
}

fn per_minute(doc: &PolicyDoc, tool: &str) -> Option<u64> {
    let limits = rules_of(doc, tool)?.limits.as_ref()?;
    assert_eq!(limits.len(), 1);
    assert_eq!(limits[0].counter, format!("{tool}_per_minute"));
    assert_eq!(limits[0].window, toolgate_engine::Window::Minute);
    Some(limits[0].max)
}

fn allowed(doc: &PolicyDoc, tool: &str) -> bool {
    rules_of(doc, tool).is_some_and(|r| r.is_empty()) && !hidden(doc, tool)
}

#[test]
fn suggest_for_github_hides_deletes_allows_reads_and_limits_writes() {
    let tools = tool_list("github.json");
    assert_eq!(tools.len(), 86);
    let doc = suggest(&tools);
    assert_eq!(doc.default, toolgate_engine::DefaultAction::Deny);
    for t in ["delete_file", "delete_repository", "actions_run_trigger", "label_write", "projects_write"] {
        assert!(hidden(&doc, t), "{t} should be hidden");
        assert!(rules_of(&doc, t).is_none(), "{t} is hidden, so it has no entry");
    }
    for t in ["get_file_contents", "list_issues", "search_code", "get_me", "pull_request_read", "issue_read"] {
        assert!(allowed(&doc, t), "{t} should be allowed");
    }
    // GitHub has no `create_issue`: `issue_write` creates and updates issues.
    for t in [
        "issue_write",
        "create_pull_request",
        "merge_pull_request",
        "push_files",
        "create_or_update_file",
        "fork_repository",
    ] {
        assert_eq!(per_minute(&doc, t), Some(30), "{t} should be 30 per minute");
    }
    // `mark_all_notifications_read` is annotated `readOnlyHint: false`: a write despite the word "read".
    assert_eq!(per_minute(&doc, "mark_all_notifications_read"), Some(30));
    // Every tool appears exactly once, hidden or listed, in the list's order.
    let listed: Vec<&str> = doc.tools.as_ref().unwrap().keys().map(String::as_str).collect();
    let expected: Vec<&str> = tools.iter().map(|t| t.name.as_str()).filter(|n| !hidden(&doc, n)).collect();
    assert_eq!(listed, expected);
    assert_eq!(listed.len() + doc.hide.as_ref().unwrap().len(), 86);
}

#[test]
fn suggest_follows_every_explicit_annotation_in_the_real_lists() {
    for (file, tools) in all_tool_lists() {
        let doc = suggest(&tools);
        for t in &tools {
            let hint = |k: &str| t.annotations.get(k).and_then(Value::as_bool);
            if hint("destructiveHint") == Some(true) {
                assert!(hidden(&doc, &t.name), "{file}: {} is annotated destructive", t.name);
            } else if hint("readOnlyHint") == Some(true) {
                assert!(allowed(&doc, &t.name), "{file}: {} is annotated read-only", t.name);
            } else if hint("readOnlyHint") == Some(false) {
                assert!(!allowed(&doc, &t.name), "{file}: {} is annotated not read-only", t.name);
            }
        }
    }
}

#[test]
fn suggest_for_stripe_limits_refunds_and_hides_cancellation() {
    let doc = suggest(&tool_list("stripe.json"));
    assert_eq!(per_minute(&doc, "create_refund"), Some(30));
    assert_eq!(per_minute(&doc, "create_customer"), Some(30));
    assert_eq!(per_minute(&doc, "finalize_invoice"), Some(30));
    assert_eq!(per_minute(&doc, "update_subscription"), Some(30));
    assert!(hidden(&doc, "cancel_subscription"));
    for t in ["list_customers", "retrieve_balance", "search_stripe_documentation", "list_disputes"] {
        assert!(allowed(&doc, t), "{t}");
    }
    assert_eq!(doc.hide.as_deref(), Some(&["cancel_subscription".to_string()][..]));
}

#[test]
fn suggest_rates_executing_tools_at_ten_per_minute() {
    let doc = suggest(&tool_list("automagik-tools-hub.json"));
    assert_eq!(per_minute(&doc, "spark_run_workflow"), Some(10));
    assert_eq!(per_minute(&doc, "automagik_hive_execute_workflow"), Some(10));
    assert!(hidden(&doc, "automagik_hive_delete_agent_conversation"));
    assert!(hidden(&doc, "genie_omni_remove_contact"));
    assert!(allowed(&doc, "genie_omni_read_messages"));
    assert_eq!(per_minute(&doc, "genie_omni_send_whatsapp"), Some(30));
    let doc = suggest(&tool_list("cortex-hub.json"));
    // No verb in the name: the description ("Run Cypher queries …") decides.
    assert_eq!(per_minute(&doc, "cortex_cypher"), Some(10));
    assert!(hidden(&doc, "cortex_memory_delete"));
}

#[test]
fn suggest_for_the_reference_servers_uses_their_annotations() {
    let doc = suggest(&tool_list("filesystem.json"));
    for t in ["write_file", "edit_file", "move_file"] {
        assert!(hidden(&doc, t), "{t}");
    }
    assert!(allowed(&doc, "read_text_file"));
    assert_eq!(per_minute(&doc, "create_directory"), Some(30));
    let doc = suggest(&tool_list("memory.json"));
    assert_eq!(doc.hide.as_ref().unwrap(), &["delete_entities", "delete_observations", "delete_relations"]);
    let (class, why) = explain_class(tool_list("git.json").iter().find(|t| t.name == "git_reset").unwrap());
    assert_eq!((class, why.as_str()), (ToolClass::Destructive, "annotation `destructiveHint: true`"));
}

#[test]
fn suggest_output_compiles_and_lints_clean_for_every_fixture_list() {
    for (file, tools) in all_tool_lists() {
        let doc = suggest(&tools);
        let text = doc.to_json_pretty();
        let policy = Policy::compile(doc.clone()).unwrap_or_else(|e| panic!("{file}: {e:?}"));
        assert_eq!(policy.doc(), &doc, "{file}");
        assert_eq!(parse_policy_doc(&text).unwrap().unwrap(), doc, "{file}: text round trip");
        let ws = lint(&doc, Some(&tools));
        assert_eq!(ws, [], "{file}");
        // Every listed tool's fate matches its class.
        let mut engine = Engine::new(Some(policy));
        for t in &tools {
            let d = engine.evaluate(&Call::new(&t.name, 1_767_225_600_000));
            let expected = match classify(t) {
                ToolClass::Destructive => Outcome::Hidden,
                _ => Outcome::Allow,
            };
            assert_eq!(d.outcome, expected, "{file}: {}", t.name);
        }
    }
}

#[test]
fn suggest_handles_names_with_slashes_tildes_dots_and_spaces() {
    let names = ["a/b", "x~y", "automagik.tool", "run shell", "delete/all", "~1", "*", "get   ", "Ω_löschen"];
    let tools: Vec<ToolInfo> = names
        .iter()
        .map(|n| ToolInfo {
            name: (*n).into(),
            title: None,
            description: None,
            input_schema: json!({"type": "object"}),
            annotations: if *n == "*" { json!({"destructiveHint": true}) } else { json!({}) },
        })
        .collect();
    let doc = suggest(&tools);
    assert_eq!(doc.hide.as_deref(), Some(&["delete/all".to_string()][..]));
    assert_eq!(per_minute(&doc, "run shell"), Some(10));
    assert_eq!(per_minute(&doc, "a/b"), Some(30));
    assert!(allowed(&doc, "get   "));
    let policy = Policy::compile(doc.clone()).unwrap();
    let mut engine = Engine::new(Some(policy));
    let at = 1_767_225_600_000;
    assert_eq!(engine.evaluate(&Call::new("delete/all", at)).outcome, Outcome::Hidden);
    assert_eq!(engine.evaluate(&Call::new("a/b", at)).outcome, Outcome::Allow);
    let star = engine.evaluate(&Call::new("*", at));
    assert_eq!(star.outcome, Outcome::Deny, "a destructive tool named `*` is denied, not hidden");
    assert_eq!(star.pointer.as_deref(), Some("/tools/*/deny_if/0"));
    for _ in 1..10 {
        assert_eq!(engine.evaluate(&Call::new("run shell", at)).outcome, Outcome::Allow);
    }
    let limited = engine.evaluate(&Call::new("run shell", at));
    assert_eq!(limited.outcome, Outcome::Allow);
    assert_eq!(engine.evaluate(&Call::new("run shell", at)).outcome, Outcome::RateLimited);
    assert_eq!(lint(&doc, Some(&tools)), []);
}

// ---------------------------------------------------------------------------------------------
// the JSON Schema

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&policy_schema()).unwrap()
}

#[test]
fn the_schema_is_a_valid_draft_2020_12_schema() {
    let schema = policy_schema();
    jsonschema::meta::validate(&schema).unwrap();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert!(schema["$id"].as_str().is_some_and(|id| id.starts_with("https://")));
}

#[test]
fn the_schema_agrees_with_the_conformance_vectors() {
    let text = std::fs::read_to_string(repo_path("tests/corpus/vectors.json")).unwrap();
    let cases: Vec<Value> = serde_json::from_str(&text).unwrap();
    let v = validator();
    let (mut valid, mut invalid) = (0, 0);
    for case in &cases {
        let policy = &case["policy"];
        let expect_invalid = case["expect"][0]["decision"] == "invalid_policy";
        let errors: Vec<String> = v.iter_errors(policy).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        if expect_invalid {
            assert!(!errors.is_empty(), "{}: the schema accepts an invalid policy", case["name"]);
            invalid += 1;
        } else {
            assert!(errors.is_empty(), "{}: the schema rejects a valid policy: {errors:?}", case["name"]);
            valid += 1;
        }
    }
    assert!(valid >= 25 && invalid >= 10, "{valid} valid, {invalid} invalid");
}

/// Engine checks a JSON Schema cannot express (see `schema.rs`): the schema accepts these.
fn beyond_the_schema(e: &toolgate_engine::ValidationError) -> bool {
    e.message.contains("does not compile")
        || e.message.contains("appears twice in the same `limits` array")
        || e.message.contains("is declared with window")
        || (e.pointer.ends_with("/max") && e.message.contains("the number `") && e.message.contains(".0`"))
}

#[test]
fn the_schema_and_the_validator_agree_on_every_corpus_policy() {
    let v = validator();
    let mut checked = 0;
    for file in json_files("tests/corpus") {
        let cases: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        // Not every file is a list of cases with policies (`pending-bugs.json` is, others may not be).
        for case in cases.as_array().into_iter().flatten() {
            let Some(policy) = case.get("policy") else { continue };
            let mut policies = vec![policy];
            policies.extend(case["calls"].as_array().into_iter().flatten().filter_map(|c| c.get("set_policy")));
            for p in policies {
                let schema_ok = v.is_valid(p);
                match parse_policy_doc(&p.to_string()) {
                    Ok(_) => assert!(schema_ok, "{}: the schema rejects a valid policy {p}", case["name"]),
                    Err(errors) if schema_ok => assert!(
                        errors.iter().all(beyond_the_schema),
                        "{}: the schema accepts an invalid policy {p}: {errors:?}",
                        case["name"]
                    ),
                    Err(_) => {}
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 44, "only {checked} corpus policies found");
}

#[test]
fn the_schema_and_the_validator_agree_on_edge_cases() {
    let base = |tools: Value| json!({"version": "1", "default": "deny", "tools": tools});
    let cond = |c: Value| base(json!({"t": {"deny_if": [{"conditions": [c]}]}}));
    let valid = [
        json!({"$schema": "https://example.invalid/policy.schema.json", "version": "1", "default": "allow"}),
        json!({"version": "1", "default": "deny", "hide": ["*", "a"], "all_tools": {}, "tools": {"*": {}}}),
        base(json!({"t": {"require": ["args.a.b.c", {"conditions": [], "on_deny": "x"}]}})),
        base(
            json!({"t": {"limits": [{"counter": "c", "window": "day", "max": 1, "scope": "grant", "on_deny": "slow"}]}}),
        ),
        cond(json!({"path": "args.a", "op": "eq", "value": {"any": ["thing"]}})),
        cond(json!({"path": "args.a", "op": "contains", "value": 3})),
        cond(json!({"path": "args.a", "op": "not_in", "value": []})),
        cond(json!({"path": "args.a", "op": "lte", "value": -0.5})),
        cond(json!({"path": "args.a", "op": "exists", "value": false})),
        cond(json!({"path": "args.a", "op": "regex", "value": "^x$"})),
        cond(json!({"path": "args.a b.c~d/e", "op": "neq", "value": null})),
        Value::Null,
    ];
    let invalid = [
        json!([]),
        json!({"version": 1, "default": "deny"}),
        json!({"version": "1", "default": "Deny"}),
        json!({"version": "1", "default": "deny", "hide": [""]}),
        json!({"version": "1", "default": "deny", "hide": ["a", "a"]}),
        json!({"version": "1", "default": "deny", "all_tools": {"limits": [], "extra": 1}}),
        base(json!({"": {}})),
        base(json!({"t": {"deny-if": []}})),
        base(json!({"t": {"$schema": "x"}})),
        base(json!({"t": {"require": ["reason"]}})),
        base(json!({"t": {"require": [5]}})),
        base(json!({"t": {"deny_if": [{"conditions": [], "why": "x"}]}})),
        base(json!({"t": {"limits": [{"counter": "c", "window": "minute", "max": 0}]}})),
        base(json!({"t": {"limits": [{"counter": "c", "window": "minute"}]}})),
        base(json!({"t": {"limits": [{"counter": "c", "window": "minute", "max": 1, "scope": "global"}]}})),
        cond(json!({"path": "args.", "op": "eq", "value": 1})),
        cond(json!({"path": "args..a", "op": "eq", "value": 1})),
        cond(json!({"path": "args", "op": "eq", "value": 1})),
        cond(json!({"path": "args.a", "op": "eq"})),
        cond(json!({"path": "args.a", "op": "in", "value": "usd"})),
        cond(json!({"path": "args.a", "op": "gt", "value": "100"})),
        cond(json!({"path": "args.a", "op": "exists", "value": 1})),
        cond(json!({"path": "args.a", "op": "regex", "value": 1})),
        cond(json!({"path": "args.a", "op": "matches", "value": "x"})),
        cond(json!({"path": "args.a", "op": "eq", "value": 1, "note": "x"})),
    ];
    let v = validator();
    for p in &valid {
        assert!(v.is_valid(p), "schema rejects {p}");
        assert!(parse_policy_doc(&p.to_string()).is_ok(), "engine rejects {p}");
    }
    for p in &invalid {
        assert!(!v.is_valid(p), "schema accepts {p}");
        assert!(parse_policy_doc(&p.to_string()).is_err(), "engine accepts {p}");
    }
}

#[test]
fn the_schema_accepts_every_suggested_policy() {
    let v = validator();
    for (file, tools) in all_tool_lists() {
        let doc = serde_json::to_value(suggest(&tools)).unwrap();
        let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{file}: {errors:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// properties: arbitrary schemas and tool names

mod properties {
    use proptest::prelude::*;
    use serde_json::{Value, json};
    use toolgate_engine::lint::lint;
    use toolgate_engine::suggest::suggest;
    use toolgate_engine::{Policy, ToolInfo};

    use super::doc;

    /// JSON values biased towards JSON Schema keywords, so that lint meets odd schema shapes.
    fn schema_like() -> impl Strategy<Value = Value> {
        let word = prop_oneof![
            Just("object"),
            Just("string"),
            Just("number"),
            Just("integer"),
            Just("null"),
            Just("array"),
            Just("#"),
            Just("#/$defs/a"),
            Just("#/properties/a"),
            Just("a"),
            Just("b"),
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i32>().prop_map(Value::from),
            (-10.0..10.0f64).prop_map(Value::from),
            word.clone().prop_map(Value::from),
            prop::collection::vec(word.prop_map(Value::from), 0..3).prop_map(Value::Array),
        ];
        let key = prop_oneof![
            Just("type"),
            Just("properties"),
            Just("required"),
            Just("anyOf"),
            Just("oneOf"),
            Just("allOf"),
            Just("$ref"),
            Just("$defs"),
            Just("enum"),
            Just("const"),
            Just("additionalProperties"),
            Just("patternProperties"),
            Just("items"),
            Just("a"),
            Just("b"),
        ];
        leaf.prop_recursive(5, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(key.clone(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn lint_never_panics_on_arbitrary_input_schemas(schema in schema_like()) {
            let mut conditions = Vec::new();
            for path in ["args.a", "args.a.b", "args.b.a.a"] {
                conditions.push(json!({"path": path, "op": "eq", "value": "a"}));
                conditions.push(json!({"path": path, "op": "in", "value": [1, null, "object"]}));
                conditions.push(json!({"path": path, "op": "gt", "value": 1.5}));
                conditions.push(json!({"path": path, "op": "regex", "value": "a"}));
                conditions.push(json!({"path": path, "op": "contains", "value": 1}));
            }
            let d = doc(json!({"version": "1", "default": "deny", "tools": {"t": {
                "require": ["args.a", {"conditions": conditions.clone()}],
                "deny_if": conditions.iter().map(|c| json!({"conditions": [c]})).collect::<Vec<_>>()
            }}}));
            let tool = ToolInfo { name: "t".into(), title: None, description: None, input_schema: schema, annotations: json!({}) };
            let warnings = lint(&d, Some(&[tool]));
            for w in warnings {
                prop_assert!(w.pointer.starts_with("/tools/t/"), "{w}");
            }
        }

        #[test]
        fn suggestions_compile_for_any_tool_names(
            tools in prop::collection::vec(("\\PC{0,12}", proptest::option::of("\\PC{0,40}"), any::<(Option<bool>, Option<bool>)>()), 0..12)
        ) {
            let tools: Vec<ToolInfo> = tools
                .into_iter()
                .map(|(name, description, (read_only, destructive))| ToolInfo {
                    name,
                    title: None,
                    description,
                    input_schema: json!({}),
                    annotations: json!({"readOnlyHint": read_only, "destructiveHint": destructive}),
                })
                .collect();
            let suggested = suggest(&tools);
            let policy = Policy::compile(suggested.clone());
            prop_assert!(policy.is_ok(), "{:?}", policy.err());
            for w in lint(&suggested, Some(&tools)) {
                prop_assert!(w.code == "everything-denied", "{w}");
            }
        }
    }
}

#[test]
fn the_documented_number_guard_denies_numbers_sent_as_strings_and_silences_the_lint() {
    let tools = parse_tool_list(
        r#"{"tools":[{"name":"create_refund","inputSchema":{"type":"object","properties":{"amount":{"description":"cents"}},"required":["amount"]}}]}"#,
    )
    .unwrap();
    let unguarded = json!({"version": "1", "default": "deny", "tools": {"create_refund": {
        "deny_if": [{"conditions": [{"path": "args.amount", "op": "gt", "value": 10000}]}]}}});
    let doc: PolicyDoc = serde_json::from_value(unguarded.clone()).unwrap();
    let ws = lint(&doc, Some(&tools));
    assert_eq!(ws.iter().map(|w| w.code.as_str()).collect::<Vec<_>>(), [lint::NUMERIC_CONDITION_ON_STRING]);
    // The attack the warning is about: the string slips past the deny_if.
    let mut e = Engine::new(Some(Policy::compile(doc).unwrap()));
    fn call(args: &Value) -> Call<'_> {
        Call::new("create_refund", 1_767_225_600_000).with_args(args)
    }
    assert!(e.evaluate(&call(&json!({"amount": "50000"}))).is_allowed());

    // The guard from the help text, added as a `require` entry.
    let mut guarded = unguarded;
    guarded["tools"]["create_refund"]["require"] =
        json!([{"conditions": [{"path": "args.amount", "op": "gte", "value": -1.7976931348623157e308}]}]);
    let text = guarded.to_string();
    let doc = parse_policy_doc(&text).unwrap().unwrap();
    assert_eq!(lint(&doc, Some(&tools)), vec![]);
    let mut e = Engine::new(Some(Policy::compile(doc).unwrap()));
    for (amount, outcome) in [
        (json!("50000"), Outcome::Deny),
        (json!("5"), Outcome::Deny),
        (json!(null), Outcome::Deny),
        (json!(50000), Outcome::Deny),
        (json!(5), Outcome::Allow),
        (json!(-1e300), Outcome::Allow),
        (json!(u64::MAX), Outcome::Deny),
        (json!(i64::MIN), Outcome::Allow),
    ] {
        assert_eq!(e.evaluate(&call(&json!({ "amount": amount }))).outcome, outcome, "{amount}");
    }
}
