//! Every valid policy of the conformance corpus survives the builder: JSON → builder states →
//! policy, through the same setters the UI uses, decides every corpus call exactly as the
//! original does.

#![expect(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code: a failure is the report")]

use serde_json::Value;
use toolgate_engine::{Call, Engine, Policy, PolicyDoc};
use toolgate_web::state::builder::{PolicyModel, ToolState};

/// Every case of every case file of the conformance corpus (see tests/corpus/README.md).
fn corpus() -> Vec<Value> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| !p.ends_with("pending-bugs.json"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "corpus files in {dir}");
    files
        .iter()
        .flat_map(|f| serde_json::from_str::<Vec<Value>>(&std::fs::read_to_string(f).unwrap()).unwrap())
        .collect()
}

/// The valid policies: (case name, policy text, the case).
fn valid_cases() -> Vec<(String, String, Value)> {
    corpus()
        .into_iter()
        .filter_map(|c| {
            let text = match (c.get("policy"), c.get("policy_text")) {
                (_, Some(Value::String(t))) => t.clone(),
                (Some(p), _) => serde_json::to_string_pretty(p).unwrap(),
                _ => return None,
            };
            // Only valid, non-null documents have builder states.
            matches!(toolgate_engine::parse_policy_doc(&text), Ok(Some(_)))
                .then(|| (c["name"].as_str().unwrap().to_string(), text, c))
        })
        .collect()
}

/// Rebuilds a document from the builder's view of it, using only the builder's setters.
fn rebuild(original: &PolicyModel) -> PolicyModel {
    let doc = original.doc.as_ref().unwrap();
    // `$schema` is not a builder control; the builder keeps it as it is in the document.
    let mut m = PolicyModel::new(PolicyDoc { schema: doc.schema.clone(), ..PolicyDoc::new(doc.default) });
    m.set_all_tools_limits(original.all_tools_limits().to_vec());
    m.set_hide_all(original.hide_all());
    for name in original.mentioned_tools() {
        let view = original.tool_view(&name);
        match view.state {
            ToolState::Hide => m.set_state(&name, ToolState::Hide),
            ToolState::Allow | ToolState::Deny if !view.explicit => {}
            ToolState::Allow => m.set_state(&name, ToolState::Allow),
            ToolState::Deny => {
                m.set_state(&name, ToolState::Deny);
                m.set_deny_message(&name, original.deny_message(&name).map(str::to_string));
            }
            ToolState::Custom => m.set_rules(&name, original.rules(&name).unwrap().clone()),
        }
    }
    m
}

/// Runs a case's steps (calls, releases, policy swaps, restarts) and returns every decision.
fn decisions(doc: &PolicyDoc, case: &Value) -> Vec<Value> {
    let mut engine = Engine::new(Some(Policy::compile(doc.clone()).unwrap()));
    // The decision of each step (by step index, as `release` refers to them).
    let mut made: Vec<Option<toolgate_engine::Decision>> = Vec::new();
    let mut out = Vec::new();
    for step in case["calls"].as_array().unwrap() {
        if let Some(i) = step.get("release").and_then(Value::as_u64) {
            engine.release(made[usize::try_from(i).unwrap()].as_ref().unwrap());
            made.push(None);
            continue;
        }
        if let Some(p) = step.get("set_policy") {
            engine.set_policy(toolgate_engine::parse_policy(&p.to_string()).unwrap());
            made.push(None);
            continue;
        }
        if step.get("restart").is_some() {
            made.push(None);
            continue;
        }
        let call = Call {
            tool: step["tool"].as_str().unwrap(),
            args: step.get("args"),
            grant: step.get("grant").and_then(Value::as_str).unwrap_or("default"),
            at_ms: step["at_ms"].as_u64().unwrap(),
        };
        let d = engine.evaluate(&call);
        if step.get("upstream_error") == Some(&Value::Bool(true)) {
            engine.release(&d);
        }
        out.push(serde_json::to_value(&d).unwrap());
        made.push(Some(d));
    }
    out
}

#[test]
fn the_corpus_has_valid_policies_to_round_trip() {
    assert!(valid_cases().len() >= 150, "{}", valid_cases().len());
}

#[test]
fn json_to_builder_keeps_every_corpus_policy_exactly() {
    for (name, text, _) in valid_cases() {
        let mut m = PolicyModel::default();
        m.load_text(&text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let original = toolgate_engine::parse_policy_doc(&text).unwrap().unwrap();
        assert_eq!(m.doc.as_ref(), Some(&original), "{name}");
        // The text the builder writes reads back as the same document.
        let mut again = PolicyModel::default();
        again.load_text(&m.to_json()).unwrap();
        assert_eq!(again.doc, m.doc, "{name}");
    }
}

#[test]
fn builder_states_rebuild_a_policy_that_decides_every_corpus_call_the_same() {
    for (name, text, case) in valid_cases() {
        let mut original = PolicyModel::default();
        original.load_text(&text).unwrap();
        let rebuilt = rebuild(&original);
        let (a, b) = (original.doc.as_ref().unwrap(), rebuilt.doc.as_ref().unwrap());
        assert_eq!(decisions(a, &case), decisions(b, &case), "{name}");
        for tool in original.mentioned_tools() {
            assert_eq!(original.tool_view(&tool), rebuilt.tool_view(&tool), "{name}: {tool}");
        }
        // The documents are the same up to empty containers, the order of `hide`, and rules of
        // hidden tools (unreachable; the builder keeps them aside rather than in the document).
        assert_eq!(normalized(a), normalized(b), "{name}");
    }
}

fn normalized(doc: &PolicyDoc) -> Value {
    let mut d = doc.clone();
    let hide = d.hide.take().unwrap_or_default();
    if let Some(tools) = &mut d.tools {
        tools.retain(|name, _| !hide.contains(name));
        for rules in tools.values_mut() {
            rules.require = rules.require.take().filter(|v| !v.is_empty());
            rules.deny_if = rules.deny_if.take().filter(|v| !v.is_empty());
            rules.limits = rules.limits.take().filter(|v| !v.is_empty());
        }
    }
    d.tools = d.tools.filter(|t| !t.is_empty());
    let mut hide = hide;
    hide.sort();
    d.hide = (!hide.is_empty()).then_some(hide);
    d.all_tools = d.all_tools.filter(|a| a.limits.as_ref().is_some_and(|l| !l.is_empty()));
    serde_json::to_value(d).unwrap()
}

#[test]
fn corpus_policies_classify_into_the_states_people_expect() {
    let state_of = |case: &str, tool: &str| {
        let (_, text, _) = valid_cases().into_iter().find(|(n, _, _)| n == case).unwrap();
        let mut m = PolicyModel::default();
        m.load_text(&text).unwrap();
        m.tool_view(tool)
    };
    assert_eq!(state_of("deny_state_unconditional_deny_if_under_default_allow", "refund_order").state, ToolState::Deny);
    assert_eq!(state_of("hide_beats_tools_entry", "delete_account").state, ToolState::Hide);
    assert!(state_of("hide_wildcard_hides_everything", "get_account").hidden_by_wildcard);
    assert_eq!(state_of("tool_limit_allows_exactly_max", "create_issue").state, ToolState::Custom);
    assert_eq!(state_of("hide_reported_before_default_deny", "a").state, ToolState::Allow);
    let unlisted = state_of("default_deny_no_tools_key_denies_all", "anything");
    assert_eq!((unlisted.state, unlisted.explicit), (ToolState::Deny, false));
}
