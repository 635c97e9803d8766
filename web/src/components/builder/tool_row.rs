//! One tool: name, description, badges, state control, rules summary; the rule editor below it

use crate::app_state::AppState;
use crate::components::rule_editor::RuleEditor;
use crate::state::builder::ToolState;
use crate::state::catalog::{Row, annotation_badges};
use crate::state::rules::summary;
use leptos::prelude::*;
use std::collections::BTreeSet;
use toolgate_engine::suggest::explain_class;

/// One tool: name, description, badges, state control, rules summary; the rule editor below it
/// when open.
///
/// - `row`: the tool. `selected`: the bulk selection.
#[component]
pub(super) fn ToolRow(row: Row, selected: RwSignal<BTreeSet<String>>) -> impl IntoView {
    let state = expect_context::<AppState>();
    let name = StoredValue::new(row.name.clone());
    let info = Memo::new(move |_| row.tool.and_then(|i| state.tools.with(|t| t.get(i).cloned())));
    let view_state = Memo::new(move |_| state.model.with(|m| name.with_value(|n| m.tool_view(n))));
    let rules_summary =
        Memo::new(move |_| state.model.with(|m| name.with_value(|n| m.rules(n).map(summary).unwrap_or_default())));
    let expanded = RwSignal::new(false);
    let editing = move || state.editing.with(|e| name.with_value(|n| e.as_deref() == Some(n.as_str())));

    let on_state = move |ev: leptos::ev::Event| {
        let Some(s) = ToolState::parse(&event_target_value(&ev)) else { return };
        state.edit_builder(|m| name.with_value(|n| m.set_state(n, s)));
        if s == ToolState::Custom {
            state.editing.set(Some(name.get_value()));
        } else if editing() {
            state.editing.set(None);
        }
    };
    let toggle_editor = move |_| {
        if editing() {
            state.editing.set(None);
        } else {
            if view_state.with_untracked(|v| v.state != ToolState::Custom) {
                state.edit_builder(|m| name.with_value(|n| m.set_state(n, ToolState::Custom)));
            }
            state.editing.set(Some(name.get_value()));
        }
    };
    let class_info = Memo::new(move |_| info.with(|i| i.as_ref().map(explain_class)));
    let title = move || info.with(|i| i.as_ref().and_then(|t| t.title.clone()));
    let description = move || info.with(|i| i.as_ref().and_then(|t| t.description.clone()));
    let badges = move || info.with(|i| i.as_ref().map(annotation_badges).unwrap_or_default());
    let row_name = row.name.clone();
    let select_label = format!("State of {}", row.name);
    let check_label = format!("Select {}", row.name);

    view! {
        <tr data-testid="tool-row" data-tool=row.name.clone() class=move || format!("tool-row state-{}", view_state.get().state.as_str())
            class:is-editing=editing>
            <td class="col-check">
                <input type="checkbox" aria-label=check_label
                    prop:checked=move || selected.with(|s| name.with_value(|n| s.contains(n)))
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        selected.update(|s| { let n = name.get_value(); if on { s.insert(n); } else { s.remove(&n); } });
                    }/>
            </td>
            <td class="col-tool">
                <div class="tool-name">
                    <code class="name">{row_name}</code>
                    {move || title().map(|t| view! { <span class="title">{t}</span> })}
                </div>
                {move || description().map(|d| view! {
                    <button type="button" class="desc" class:expanded=move || expanded.get() data-testid="tool-description"
                        aria-expanded=move || expanded.get().to_string() title="Show the whole description"
                        on:click=move |_| expanded.update(|e| *e = !*e)>{d}</button>
                })}
                <div class="badges">
                    {move || class_info.get().map(|(c, why)| view! {
                        <span class=format!("badge kind-{}", c.as_str()) title=format!("Classified {} from {}", c.as_str(), why)>{c.as_str()}</span>
                    })}
                    {move || badges().into_iter().map(|b| view! { <span class="badge badge-hint">{b}</span> }).collect_view()}
                    {move || row.tool.is_none().then(|| view! { <span class="badge badge-warn" title="The policy names this tool but the loaded tool list does not">"not in tool list"</span> })}
                    {move || view_state.get().hidden_by_wildcard.then(|| view! { <span class="badge state-hide">"hidden by *"</span> })}
                </div>
            </td>
            <td class="col-state">
                <select class=move || format!("select state-select state-{}", view_state.get().state.as_str())
                    data-testid="tool-state" aria-label=select_label
                    prop:value=move || view_state.get().state.as_str().to_string() on:change=on_state>
                    {ToolState::ALL.into_iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                </select>
                <Show when=move || !view_state.get().explicit>
                    <div class="muted small" title="No entry in the policy: this tool follows the default">"default"</div>
                </Show>
            </td>
            <td class="col-rules">
                <span class="rules-summary">{move || rules_summary.get()}</span>
                <Show when=move || view_state.get().state != ToolState::Hide>
                    <button class="btn btn-small" data-testid="edit-rules" on:click=toggle_editor
                        aria-expanded=move || editing().to_string()>
                        {move || if editing() { "Close" } else if view_state.get().state == ToolState::Custom { "Edit rules" } else { "Add rules" }}
                    </button>
                </Show>
            </td>
        </tr>
        <Show when=editing>
            <tr class="editor-row">
                <td colspan="4"><RuleEditor tool=name.get_value()/></td>
            </tr>
        </Show>
    }
}
