//! Every valid policy of the conformance corpus survives the builder: JSON → builder states →
//! policy, through the same setters the UI uses, decides every corpus call exactly as the
//! original does.

#![expect(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code: a failure is the report")]

use serde_json::Value;
use toolgate_engine::{Call, Engine, Policy, PolicyDoc};
use toolgate_web::state::builder::{PolicyModel, ToolState};

fn corpus() -> Vec<Value> {
    serde_json::from_str::<Vec<Value>>(include_str!("../../tests/corpus/vectors.json")).unwrap()
}

/// The valid policies: (case name, policy text, the case).
fn valid_cases() -> Vec<(String, String, Value)> {
    corpus()
        .into_iter()
        .filter(|c| !c["policy"].is_null())
        .filter(|c| c["expect"][0]["decision"] != "invalid_policy")
        .map(|c| (c["name"].as_str().unwrap().to_string(), serde_json::to_string_pretty(&c["policy"]).unwrap(), c))
        .collect()
}

/// Rebuilds a document from the builder's view of it, using only the builder's setters.
fn rebuild(original: &PolicyModel) -> PolicyModel {
    let doc = original.doc.as_ref().unwrap();
    let mut m = PolicyModel::new(PolicyDoc::new(doc.default));
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

fn decisions(doc: &PolicyDoc, case: &Value) -> Vec<Value> {
    let mut engine = Engine::new(Some(Policy::compile(doc.clone()).unwrap()));
    case["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let call = Call {
                tool: c["tool"].as_str().unwrap(),
                args: c.get("args"),
                grant: c.get("grant").and_then(Value::as_str).unwrap_or("default"),
                at_ms: c["at_ms"].as_u64().unwrap(),
            };
            let d = engine.evaluate(&call);
            if c.get("upstream_error") == Some(&Value::Bool(true)) {
                engine.release(&d);
            }
            serde_json::to_value(&d).unwrap()
        })
        .collect()
}

#[test]
fn the_corpus_has_valid_policies_to_round_trip() {
    assert!(valid_cases().len() >= 25, "{}", valid_cases().len());
}

#[test]
fn json_to_builder_keeps_every_corpus_policy_exactly() {
    for (name, text, case) in valid_cases() {
        let mut m = PolicyModel::default();
        m.load_text(&text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let back: Value = serde_json::from_str(&m.to_json()).unwrap();
        assert_eq!(back, case["policy"], "{name}");
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
