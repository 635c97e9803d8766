//! Suggest: a starter policy from a tool list (`interfaces.md` § Suggest).
//!
//! Each tool is put in one of four classes, and the class decides its starting state:
//!
//! | class | starting state |
//! |---|---|
//! | [`ToolClass::Read`] | allowed (`{}`) |
//! | [`ToolClass::Write`] | 30 calls per minute (counter `<tool>_per_minute`) |
//! | [`ToolClass::Execute`] | 10 calls per minute (counter `<tool>_per_minute`) |
//! | [`ToolClass::Destructive`] | hidden |
//!
//! and every tool not in the list is refused (`default: "deny"`). The user edits from there.
//!
//! # How a tool is classified
//!
//! Signals are read in this order; the first one that decides wins.
//!
//! 1. MCP annotations: `destructiveHint: true` → destructive; `readOnlyHint: true` → read.
//! 2. The verbs of the tool's **name**, split into words at `_`, `-`, `.`, `/`, spaces and
//!    camelCase boundaries (`github_create_issue`, `createIssue`, `get-env`, `automagik.tool`):
//!    a destructive verb (`delete`, `remove`, `drop`, `cancel`, `revoke`, …) *anywhere* in the
//!    name wins — conservatively, because `get_and_delete_x` must not pass as a read; otherwise
//!    the *first* known verb decides, which matches how tools are named (`get_commit` is a read
//!    even though `commit` is also a verb; server prefixes like `github_` or `spark_` are skipped
//!    because they are not verbs).
//! 3. Only when the name has no known verb: the first sentence of the **description**, read the
//!    same way (verbs there are conjugated: "Lists", "Fetches", "Returns").
//! 4. Nothing recognised → write: rate-limited rather than allowed, the conservative choice.
//!
//! Two refinements keep annotations authoritative where they are explicit:
//! - `readOnlyHint: false` turns a read verb into write (`mark_all_notifications_read` is a write;
//!   so is GitHub's `dismiss_notification`);
//! - `destructiveHint: false` does **not** overrule a destructive verb in the name: a tool called
//!   `delete_*` is hidden unless it is annotated read-only. A starter policy errs on the safe side.
//!
//! MCP's own default for a missing `destructiveHint` is `true`; it is deliberately not applied
//! here, otherwise every non-annotated write (most of GitHub's tools) would start hidden.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::eval::tools::ToolInfo;
use crate::policy::{DefaultAction, Limit, PolicyDoc, Rule, ToolRules, Window};

/// What a tool does, as far as a starter policy cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolClass {
    /// Reads data; allowed.
    Read,
    /// Changes data; 30 calls per minute.
    Write,
    /// Runs code, commands or workflows; 10 calls per minute.
    Execute,
    /// Deletes or irreversibly changes data; hidden.
    Destructive,
}

impl ToolClass {
    /// Every class, least dangerous first.
    pub const ALL: [ToolClass; 4] = [ToolClass::Read, ToolClass::Write, ToolClass::Execute, ToolClass::Destructive];

    /// The class as JSON spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ToolClass::Read => "read",
            ToolClass::Write => "write",
            ToolClass::Execute => "execute",
            ToolClass::Destructive => "destructive",
        }
    }

    /// The per-minute quota a starter policy gives this class (`None`: no limit, or hidden).
    pub fn per_minute(self) -> Option<u64> {
        match self {
            ToolClass::Write => Some(WRITE_PER_MINUTE),
            ToolClass::Execute => Some(EXECUTE_PER_MINUTE),
            ToolClass::Read | ToolClass::Destructive => None,
        }
    }
}

impl std::fmt::Display for ToolClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Calls per minute a starter policy allows a write tool.
pub const WRITE_PER_MINUTE: u64 = 30;
/// Calls per minute a starter policy allows an execute tool.
pub const EXECUTE_PER_MINUTE: u64 = 10;

/// Verbs that delete or irreversibly change something. Any of them anywhere in a name decides.
const DESTRUCTIVE_VERBS: &[&str] = &[
    "delete",
    "del",
    "remove",
    "rm",
    "rmdir",
    "drop",
    "destroy",
    "purge",
    "wipe",
    "erase",
    "expunge",
    "revoke",
    "cancel",
    "truncate",
    "reset",
    "terminate",
    "kill",
    "clear",
    "uninstall",
    "unlink",
    "unregister",
    "deregister",
    "void",
    "overwrite",
    "evict",
    "flush",
    "shred",
    "nuke",
    "obliterate",
];

/// Verbs that run code, commands or workflows.
const EXECUTE_VERBS: &[&str] = &[
    "run",
    "rerun",
    "exec",
    "execute",
    "eval",
    "evaluate",
    "shell",
    "command",
    "cmd",
    "bash",
    "sh",
    "ssh",
    "powershell",
    "terminal",
    "script",
    "deploy",
    "invoke",
    "spawn",
    "launch",
    "trigger",
    "call",
    "dispatch",
    "restart",
    "reboot",
    "install",
];

/// Verbs that create or change something.
const WRITE_VERBS: &[&str] = &[
    "create",
    "new",
    "update",
    "upsert",
    "write",
    "edit",
    "add",
    "set",
    "unset",
    "send",
    "post",
    "put",
    "patch",
    "push",
    "merge",
    "move",
    "rename",
    "copy",
    "upload",
    "import",
    "fork",
    "insert",
    "append",
    "save",
    "store",
    "modify",
    "change",
    "replace",
    "assign",
    "unassign",
    "commit",
    "publish",
    "unpublish",
    "submit",
    "share",
    "star",
    "unstar",
    "mark",
    "dismiss",
    "close",
    "reopen",
    "accept",
    "approve",
    "reject",
    "apply",
    "attach",
    "detach",
    "enable",
    "disable",
    "toggle",
    "sync",
    "record",
    "capture",
    "report",
    "react",
    "reply",
    "comment",
    "request",
    "invite",
    "transfer",
    "pay",
    "charge",
    "refund",
    "finalize",
    "subscribe",
    "unsubscribe",
    "follow",
    "unfollow",
    "watch",
    "unwatch",
    "lock",
    "unlock",
    "pin",
    "unpin",
    "archive",
    "unarchive",
    "restore",
    "register",
    "increment",
    "decrement",
    "notify",
    "schedule",
    "reschedule",
    "order",
    "purchase",
    "buy",
    "sell",
    "grant",
    "block",
    "unblock",
    "ban",
    "unban",
    "mute",
    "unmute",
    "configure",
    "init",
    "initialize",
    "start",
    "stop",
    "pause",
    "resume",
    "end",
    "complete",
    "connect",
    "disconnect",
    "login",
    "logout",
    "authorize",
    "rotate",
    "generate",
    "draft",
    "talk",
    "ask",
    "consult",
    "continue",
];

/// Verbs that only read.
const READ_VERBS: &[&str] = &[
    "get",
    "list",
    "read",
    "search",
    "fetch",
    "find",
    "view",
    "show",
    "describe",
    "query",
    "retrieve",
    "lookup",
    "look",
    "check",
    "count",
    "inspect",
    "browse",
    "download",
    "export",
    "explain",
    "preview",
    "validate",
    "verify",
    "analyze",
    "analyse",
    "compare",
    "diff",
    "detect",
    "recall",
    "load",
    "scan",
    "status",
    "stats",
    "ping",
    "echo",
    "summarize",
    "summarise",
    "calculate",
    "compute",
    "estimate",
    "resolve",
    "lint",
];

/// Verbs only descriptions use that way ("Returns the sum of two numbers").
const DESCRIPTION_READ_VERBS: &[&str] = &["return", "display", "provide"];

/// How many words of a description's first sentence are searched for its verb.
const DESCRIPTION_WORDS: usize = 12;

fn verb_class(word: &str) -> Option<ToolClass> {
    if DESTRUCTIVE_VERBS.contains(&word) {
        Some(ToolClass::Destructive)
    } else if EXECUTE_VERBS.contains(&word) {
        Some(ToolClass::Execute)
    } else if WRITE_VERBS.contains(&word) {
        Some(ToolClass::Write)
    } else if READ_VERBS.contains(&word) {
        Some(ToolClass::Read)
    } else {
        None
    }
}

/// Splits a tool name into lowercase words at separators and camelCase boundaries:
/// `github_create_issue`, `createIssue`, `get-env`, `automagik.tool`, `HTTPGet` → `http`, `get`.
pub fn name_words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let next = chars.get(i + 1).copied();
        let boundary = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase() || p.is_numeric() || (p.is_uppercase() && next.is_some_and(char::is_lowercase))
            });
        if boundary && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// A verb found in a list of words: its class and the word as written.
fn verb_in(words: &[String], lookup: impl Fn(&str) -> Option<(ToolClass, String)>) -> Option<(ToolClass, String)> {
    let found: Vec<(ToolClass, String)> = words.iter().filter_map(|w| lookup(w)).collect();
    found
        .iter()
        .find(|(class, _)| *class == ToolClass::Destructive)
        .or_else(|| found.first())
        .map(|(class, w)| (*class, w.clone()))
}

fn name_verb(name: &str) -> Option<(ToolClass, String)> {
    verb_in(&name_words(name), |w| verb_class(w).map(|c| (c, w.to_string())))
}

/// A conjugated description word: `lists` → `list`, `fetches` → `fetch`, `returns` → return.
fn description_word_class(word: &str) -> Option<(ToolClass, String)> {
    let stems = [Some(word), word.strip_suffix("es"), word.strip_suffix('s')];
    stems.into_iter().flatten().filter(|s| !s.is_empty()).find_map(|s| {
        verb_class(s)
            .or_else(|| DESCRIPTION_READ_VERBS.contains(&s).then_some(ToolClass::Read))
            .map(|c| (c, s.to_string()))
    })
}

fn description_verb(description: &str) -> Option<(ToolClass, String)> {
    let trimmed = description.trim_start();
    let end =
        trimmed.find(". ").or_else(|| trimmed.find(".\n")).or_else(|| trimmed.find('\n')).unwrap_or(trimmed.len());
    let sentence = trimmed.get(..end).unwrap_or(trimmed);
    let words: Vec<String> = sentence
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(DESCRIPTION_WORDS)
        .map(str::to_lowercase)
        .collect();
    verb_in(&words, description_word_class)
}

fn hint(tool: &ToolInfo, key: &str) -> Option<bool> {
    tool.annotations.get(key).and_then(Value::as_bool)
}

/// The class of a tool (see the module documentation for the rules).
pub fn classify(tool: &ToolInfo) -> ToolClass {
    explain_class(tool).0
}

/// The class of a tool and why, in words a UI can show ("name verb `delete`").
pub fn explain_class(tool: &ToolInfo) -> (ToolClass, String) {
    if hint(tool, "destructiveHint") == Some(true) {
        return (ToolClass::Destructive, "annotation `destructiveHint: true`".into());
    }
    let read_only = hint(tool, "readOnlyHint");
    if read_only == Some(true) {
        return (ToolClass::Read, "annotation `readOnlyHint: true`".into());
    }
    let found = name_verb(&tool.name).map(|(c, w)| (c, format!("name verb `{w}`"))).or_else(|| {
        tool.description.as_deref().and_then(description_verb).map(|(c, w)| (c, format!("description verb `{w}`")))
    });
    match found {
        Some((ToolClass::Read, why)) if read_only == Some(false) => {
            (ToolClass::Write, format!("{why}, but annotation `readOnlyHint: false`"))
        }
        Some(found) => found,
        None => (ToolClass::Write, "no known verb in the name or description: treated as write".into()),
    }
}

/// The counter a starter policy gives a rate-limited tool.
pub fn counter_name(tool: &str) -> String {
    format!("{tool}_per_minute")
}

/// A starter policy for a tool list: `default: "deny"`; destructive tools hidden; execute tools
/// 10 per minute; write tools 30 per minute; read tools allowed. Tools keep the list's order;
/// a name listed twice is taken once; a tool without a name is skipped.
///
/// A destructive tool literally named `*` cannot be hidden by name (`"*"` in `hide` hides every
/// tool), so it is listed with an unconditional `deny_if` instead.
pub fn suggest(tools: &[ToolInfo]) -> PolicyDoc {
    let mut seen = BTreeSet::new();
    let mut hide = Vec::new();
    let mut entries = IndexMap::new();
    for tool in tools {
        if tool.name.is_empty() || !seen.insert(tool.name.as_str()) {
            continue;
        }
        let class = classify(tool);
        let rules = match class {
            ToolClass::Destructive if tool.name != "*" => {
                hide.push(tool.name.clone());
                continue;
            }
            ToolClass::Destructive => ToolRules {
                deny_if: Some(vec![Rule {
                    conditions: Vec::new(),
                    on_deny: Some("This tool is destructive and needs human approval.".into()),
                }]),
                ..ToolRules::default()
            },
            ToolClass::Read => ToolRules::default(),
            ToolClass::Write | ToolClass::Execute => ToolRules {
                limits: Some(vec![Limit {
                    counter: counter_name(&tool.name),
                    window: Window::Minute,
                    max: class.per_minute().unwrap_or(WRITE_PER_MINUTE),
                    scope: None,
                    on_deny: None,
                }]),
                ..ToolRules::default()
            },
        };
        entries.insert(tool.name.clone(), rules);
    }
    let mut doc = PolicyDoc::new(DefaultAction::Deny);
    doc.hide = (!hide.is_empty()).then_some(hide);
    doc.tools = Some(entries);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(name: &str, description: Option<&str>, annotations: Value) -> ToolInfo {
        ToolInfo {
            name: name.into(),
            title: None,
            description: description.map(str::to_string),
            input_schema: json!({"type": "object"}),
            annotations,
        }
    }

    fn class_of(name: &str) -> ToolClass {
        classify(&tool(name, None, json!({})))
    }

    #[test]
    fn names_split_at_separators_and_camel_case() {
        assert_eq!(name_words("github_create_issue"), ["github", "create", "issue"]);
        assert_eq!(name_words("createIssue"), ["create", "issue"]);
        assert_eq!(name_words("get-env"), ["get", "env"]);
        assert_eq!(name_words("automagik.tool/run now"), ["automagik", "tool", "run", "now"]);
        assert_eq!(name_words("HTTPGetURL"), ["http", "get", "url"]);
        assert_eq!(name_words("getV2Items"), ["get", "v2", "items"]);
        assert!(name_words("__").is_empty());
    }

    #[test]
    fn name_verbs_decide_without_annotations() {
        assert_eq!(class_of("delete_file"), ToolClass::Destructive);
        assert_eq!(class_of("github_delete_repository"), ToolClass::Destructive);
        assert_eq!(class_of("cancelSubscription"), ToolClass::Destructive);
        assert_eq!(class_of("run_workflow"), ToolClass::Execute);
        assert_eq!(class_of("spark.execute-task"), ToolClass::Execute);
        assert_eq!(class_of("create_issue"), ToolClass::Write);
        assert_eq!(class_of("sendMessage"), ToolClass::Write);
        assert_eq!(class_of("get_file_contents"), ToolClass::Read);
        assert_eq!(class_of("list_issues"), ToolClass::Read);
        assert_eq!(class_of("issue_read"), ToolClass::Read);
    }

    #[test]
    fn the_first_verb_decides_but_a_destructive_verb_anywhere_wins() {
        assert_eq!(class_of("get_commit"), ToolClass::Read);
        assert_eq!(class_of("mark_all_notifications_read"), ToolClass::Write);
        assert_eq!(class_of("get_and_delete_item"), ToolClass::Destructive);
        assert_eq!(class_of("list_workflow_run_logs"), ToolClass::Read);
    }

    #[test]
    fn annotations_come_first() {
        let t = tool("delete_cache_entry", None, json!({"readOnlyHint": true}));
        assert_eq!(explain_class(&t), (ToolClass::Read, "annotation `readOnlyHint: true`".into()));
        let t = tool("get_thing", None, json!({"destructiveHint": true, "readOnlyHint": true}));
        assert_eq!(classify(&t), ToolClass::Destructive);
        let t = tool("actions_run_trigger", None, json!({"destructiveHint": true}));
        assert_eq!(classify(&t), ToolClass::Destructive);
    }

    #[test]
    fn read_only_false_turns_a_read_verb_into_write() {
        let t = tool("simulate_research_query", None, json!({"readOnlyHint": false}));
        assert_eq!(class_of("query_things"), ToolClass::Read);
        let (class, why) = explain_class(&tool("query_things", None, json!({"readOnlyHint": false})));
        assert_eq!(class, ToolClass::Write);
        assert!(why.contains("readOnlyHint: false"), "{why}");
        assert_eq!(classify(&t), ToolClass::Write);
    }

    #[test]
    fn destructive_hint_false_does_not_clear_a_destructive_name() {
        let t = tool("remove_contact", None, json!({"readOnlyHint": false, "destructiveHint": false}));
        assert_eq!(classify(&t), ToolClass::Destructive);
    }

    #[test]
    fn descriptions_decide_when_the_name_has_no_verb() {
        let t = tool("cortex_cypher", Some("Run Cypher queries directly against the graph."), json!({}));
        assert_eq!(explain_class(&t), (ToolClass::Execute, "description verb `run`".into()));
        let t = tool("hub_info", Some("Gets detailed information about the hub"), json!({}));
        assert_eq!(classify(&t), ToolClass::Read);
        let t = tool("x", Some(" This tool will fetch a list of Customers from Stripe."), json!({}));
        assert_eq!(classify(&t), ToolClass::Read);
        let t = tool("sum", Some("Returns the sum of two numbers"), json!({}));
        assert_eq!(classify(&t), ToolClass::Read);
        // Only the first sentence counts.
        let t = tool("thing", Some("Gets a thing. Delete it with another tool."), json!({}));
        assert_eq!(classify(&t), ToolClass::Read);
    }

    #[test]
    fn unknown_tools_are_treated_as_write() {
        let (class, why) = explain_class(&tool("sequentialthinking", Some("A detailed tool"), json!({})));
        assert_eq!(class, ToolClass::Write);
        assert!(why.contains("no known verb"), "{why}");
    }

    #[test]
    fn suggest_maps_classes_to_states_in_list_order() {
        let tools = [
            tool("list_a", None, json!({})),
            tool("delete_b", None, json!({})),
            tool("create_c", None, json!({})),
            tool("run_d", None, json!({})),
            tool("list_a", None, json!({})),
            tool("", None, json!({})),
        ];
        let doc = suggest(&tools);
        assert_eq!(
            serde_json::to_value(&doc).unwrap(),
            json!({
                "version": "1",
                "default": "deny",
                "hide": ["delete_b"],
                "tools": {
                    "list_a": {},
                    "create_c": {"limits": [{"counter": "create_c_per_minute", "window": "minute", "max": 30}]},
                    "run_d": {"limits": [{"counter": "run_d_per_minute", "window": "minute", "max": 10}]}
                }
            })
        );
        assert!(crate::Policy::compile(doc).is_ok());
    }

    #[test]
    fn a_destructive_tool_named_star_is_denied_not_hidden() {
        let doc = suggest(&[tool("*", None, json!({"destructiveHint": true})), tool("get_x", None, json!({}))]);
        assert_eq!(doc.hide, None);
        let rules = doc.tools.as_ref().unwrap().get("*").unwrap();
        assert_eq!(rules.deny_if.as_ref().unwrap()[0].conditions.len(), 0);
        let policy = crate::Policy::compile(doc).unwrap();
        assert!(policy.is_visible("get_x"));
    }

    #[test]
    fn classes_serialize_lowercase() {
        for c in ToolClass::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), json!(c.as_str()));
        }
    }
}
