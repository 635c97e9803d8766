//! One `require` or `deny_if` entry: its ANDed conditions and message.

use super::condition_row::ConditionRow;
use crate::app_state::AppState;
use crate::state::args::{ArgField, new_condition, unknown_field};
use crate::state::rules::{RuleKind, add_condition, edit_rule, remove_rule, rule_at};
use leptos::prelude::*;
use toolgate_engine::Rule;

/// One `require` or `deny_if` entry: its ANDed conditions and message.
///
/// - `tool`: the tool's name. `kind`/`index`: which entry.
/// - `arg_fields`: the tool's arguments (from its `inputSchema`).
#[component]
pub(super) fn RuleCard(
    tool: StoredValue<String>,
    kind: RuleKind,
    index: usize,
    arg_fields: Memo<Vec<ArgField>>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let rule =
        Memo::new(move |_| state.model.with(|m| tool.with_value(|t| m.rules(t).and_then(|r| rule_at(r, kind, index)))));
    let edit = move |f: Box<dyn FnOnce(&mut Rule)>| {
        state.edit_builder(|m| tool.with_value(|t| m.edit_rules(t, |r| edit_rule(r, kind, index, f))));
    };
    let n_conditions = move || rule.with(|r| r.as_ref().map_or(0, |r| r.conditions.len()));
    let add_cond = move |_| {
        let field = arg_fields.with_untracked(|f| f.first().cloned()).unwrap_or_else(|| unknown_field("args.name"));
        edit(Box::new(move |r| add_condition(r, new_condition(&field))));
    };
    let title = match kind {
        RuleKind::Require => format!("require #{}", index + 1),
        RuleKind::DenyIf => format!("deny_if #{}", index + 1),
    };
    let empty_note = match kind {
        RuleKind::Require => "No conditions: always holds.",
        RuleKind::DenyIf => "No conditions: denies every call.",
    };

    view! {
        <div class="rule-card" data-testid=format!("{}-rule", kind.as_str()) data-index=index>
            <div class="rule-card-head">
                <span class="rule-title">{title}</span>
                <button class="btn btn-small btn-ghost" aria-label="Remove this rule"
                    on:click=move |_| state.edit_builder(|m| tool.with_value(|t| m.edit_rules(t, |r| remove_rule(r, kind, index))))>"Remove"</button>
            </div>
            <Show when=move || n_conditions() == 0>
                <p class="muted small">{empty_note}</p>
            </Show>
            <For each=move || 0..n_conditions() key=|j| *j let:j>
                <Show when=move || j != 0><div class="and-chip" aria-hidden="true">"AND"</div></Show>
                <ConditionRow tool=tool kind=kind rule_index=index index=j arg_fields=arg_fields/>
            </For>
            <div class="rule-card-foot">
                <button class="btn btn-small" data-testid="add-condition" on:click=add_cond>"+ Condition"</button>
                <label class="field grow">
                    <span class="visually-hidden">"Message when this rule refuses a call"</span>
                    <input class="input" type="text" placeholder="Message to the agent when this refuses (on_deny, optional)"
                        data-testid="rule-message"
                        prop:value=move || rule.with(|r| r.as_ref().and_then(|r| r.on_deny.clone()).unwrap_or_default())
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            edit(Box::new(move |r| r.on_deny = (!v.is_empty()).then_some(v)));
                        }/>
                </label>
            </div>
        </div>
    }
}
