//! One list of rule entries of a tool (`require` or `deny_if`), with its add button.

use leptos::prelude::*;
use toolgate_engine::{Op, Rule};

use super::rule_card::RuleCard;
use crate::app_state::AppState;
use crate::state::args::{ArgField, new_condition};
use crate::state::rules::{RuleKind, add_rule, rule_count};

/// The `require` or `deny_if` entries of a tool, each a [`RuleCard`], and a button that adds one
/// (prefilled with the likely argument).
///
/// - `tool`: the tool's name. `kind`: which list.
/// - `arg_fields`: the tool's arguments (from its `inputSchema`).
#[component]
pub(super) fn RuleSection(tool: StoredValue<String>, kind: RuleKind, arg_fields: Memo<Vec<ArgField>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let count = move || state.model.with(|m| tool.with_value(|n| m.rules(n).map_or(0, |r| rule_count(r, kind))));
    let add = move |_| {
        let first = arg_fields.with_untracked(|f| {
            // For require, the first required argument is the likely pick; else the first one.
            let pick = match kind {
                RuleKind::Require => f.iter().find(|a| a.required).or(f.first()),
                RuleKind::DenyIf => f.first(),
            };
            pick.cloned()
        });
        let rule = Rule {
            conditions: first
                .map(|f| match kind {
                    RuleKind::Require => toolgate_engine::Condition {
                        path: f.path.clone(),
                        op: Op::Exists,
                        value: serde_json::Value::Bool(true),
                    },
                    RuleKind::DenyIf => new_condition(&f),
                })
                .into_iter()
                .collect(),
            on_deny: None,
        };
        state.edit_builder(|m| tool.with_value(|n| m.edit_rules(n, |r| add_rule(r, kind, rule))));
    };
    let (hint, add_testid, add_label) = match kind {
        RuleKind::Require => ("Every entry must hold, or the call is denied.", "add-require", "+ Require an argument"),
        RuleKind::DenyIf => {
            ("The call is denied when all conditions of any entry hold.", "add-deny-if", "+ Add a deny rule")
        }
    };
    view! {
        <div class="rule-section">
            <div class="rule-section-head">
                <h4>{kind.as_str()}</h4>
                <span class="muted">{hint}</span>
            </div>
            <For each=move || 0..count() key=|i| *i let:i>
                <RuleCard tool=tool kind=kind index=i arg_fields=arg_fields/>
            </For>
            <button class="btn btn-small" data-testid=add_testid on:click=add>{add_label}</button>
        </div>
    }
}
