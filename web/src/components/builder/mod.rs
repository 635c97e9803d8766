//! Step 2: the visual builder — default, `hide: ["*"]`, a suggestion as a starting point,
//! `all_tools` limits, and the table of tools with four states each.

use std::collections::BTreeSet;

use leptos::prelude::*;
use toolgate_engine::DefaultAction;

use crate::app_state::AppState;
use crate::components::rule_editor::{LimitTarget, LimitsEditor};
use crate::components::rule_hits::RuleHits;
use crate::state::builder::{PolicyModel, ToolState};
use crate::state::catalog::{Row, TableFilter, all_rows, filter_rows, parse_class, state_counts};
use toolgate_engine::suggest::{ToolClass, suggest};

mod tool_row;

use tool_row::ToolRow;

/// The builder panel.
#[component]
pub fn Builder() -> impl IntoView {
    let state = expect_context::<AppState>();
    let filter = RwSignal::new(TableFilter::default());
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let rows = Memo::new(move |_| state.tools.with(|t| state.model.with(|m| all_rows(t, m))));
    let visible = Memo::new(move |_| {
        rows.with(|r| state.tools.with(|t| state.model.with(|m| filter.with(|f| filter_rows(r, t, m, f)))))
    });
    let counts = Memo::new(move |_| rows.with(|r| state.model.with(|m| state_counts(r, m))));
    let is_null = move || state.model.with(|m| m.doc.is_none());

    let apply_suggestion = move |_| {
        let tools = state.tools.get_untracked();
        if tools.is_empty() {
            state.notify("Load a tool list first: the suggestion is made from it");
            return;
        }
        let before = state.policy_text.get_untracked();
        state.record_version(crate::state::versions::Moment::Replaced);
        let doc = suggest(&tools);
        state.edit_builder(|m| *m = PolicyModel::new(doc));
        state.toast.set(Some(("Applied the suggestion: risky tools hidden, writes rate-limited".into(), Some(before))));
    };
    let bulk = move |s: Option<ToolState>| {
        let names: Vec<String> = selected.get_untracked().into_iter().collect();
        if names.is_empty() {
            return;
        }
        state.edit_builder(|m| {
            for n in &names {
                match s {
                    Some(s) => m.set_state(n, s),
                    None => m.reset_tool(n),
                }
            }
        });
        state.notify(format!(
            "{} {} tool{}",
            s.map_or("Reset", ToolState::label),
            names.len(),
            if names.len() == 1 { "" } else { "s" }
        ));
    };
    let all_visible_selected =
        move || visible.with(|v| !v.is_empty() && selected.with(|s| v.iter().all(|r| s.contains(&r.name))));
    let toggle_all = move |_| {
        let names: Vec<String> = visible.with_untracked(|v| v.iter().map(|r| r.name.clone()).collect());
        if all_visible_selected() {
            selected.update(|s| {
                names.iter().for_each(|n| {
                    s.remove(n);
                })
            });
        } else {
            selected.update(|s| s.extend(names));
        }
    };

    view! {
        <div class="card-head">
            <h2 id="builder-title"><span class="step">"2"</span>"Policy builder"</h2>
            <button class="btn btn-accent" on:click=apply_suggestion data-testid="apply-suggestion"
                prop:disabled=move || state.tools.with(|t| t.is_empty())
                title="Hide destructive tools, rate-limit writes (30/min) and executes (10/min), allow reads">
                "Start from a suggestion"
            </button>
        </div>
        <Show when=is_null>
            <div class="banner" data-testid="null-policy">
                "The policy is "<code>"null"</code>": no policy attached, every call is denied. Any change below starts a policy."
            </div>
        </Show>
        <div class="controls">
            <fieldset class="segmented" data-testid="default-action">
                <legend>"Tools not listed"</legend>
                <label class:on=move || state.model.with(|m| m.default_action() == DefaultAction::Deny)>
                    <input type="radio" name="default" value="deny" data-testid="default-deny"
                        prop:checked=move || state.model.with(|m| m.default_action() == DefaultAction::Deny)
                        on:change=move |_| state.edit_builder(|m| m.set_default(DefaultAction::Deny))/>
                    "Deny"
                </label>
                <label class:on=move || state.model.with(|m| m.default_action() == DefaultAction::Allow)>
                    <input type="radio" name="default" value="allow" data-testid="default-allow"
                        prop:checked=move || state.model.with(|m| m.default_action() == DefaultAction::Allow)
                        on:change=move |_| state.edit_builder(|m| m.set_default(DefaultAction::Allow))/>
                    "Allow"
                </label>
            </fieldset>
            <label class="check">
                <input type="checkbox" data-testid="hide-all" prop:checked=move || state.model.with(PolicyModel::hide_all)
                    on:change=move |ev| { let on = event_target_checked(&ev); state.edit_builder(|m| m.set_hide_all(on)); }/>
                <span>"Hide every tool ("<code>"hide: [\"*\"]"</code>")"</span>
            </label>
        </div>
        <details class="all-tools" data-testid="all-tools">
            <summary>
                "Limits for all tools ("<code>"all_tools"</code>")"
                <span class="muted">{move || match state.model.with(|m| m.all_tools_limits().len()) {
                    0 => " — none".to_string(),
                    n => format!(" — {n} limit{}", if n == 1 { "" } else { "s" }),
                }}</span>
            </summary>
            <p class="muted small">"Applied to every call that reaches the limit stage (after require and deny_if), on top of the tool's own limits."</p>
            <LimitsEditor target=LimitTarget::AllTools/>
        </details>
        <RuleHits/>

        <div class="table-tools">
            <label class="search">
                <span class="visually-hidden">"Search tools"</span>
                <input type="search" class="input" data-testid="tool-search"
                    placeholder=move || format!("Search {} tools by name or description…", rows.with(Vec::len))
                    prop:value=move || filter.with(|f| f.query.clone())
                    on:input=move |ev| { let q = event_target_value(&ev); filter.update(|f| f.query = q); }/>
            </label>
            <label>
                <span class="visually-hidden">"Filter by state"</span>
                <select class="select" data-testid="tool-filter-state" on:change=move |ev| {
                    let v = ToolState::parse(&event_target_value(&ev));
                    filter.update(|f| f.state = v);
                }>
                    <option value="">"All states"</option>
                    {ToolState::ALL.into_iter().enumerate().map(|(i, s)| view! {
                        <option value=s.as_str()>{move || format!("{} ({})", s.label(), counts.with(|c| c.get(i).copied().unwrap_or(0)))}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>
                <span class="visually-hidden">"Filter by kind"</span>
                <select class="select" data-testid="tool-filter-class" on:change=move |ev| {
                    let v = parse_class(&event_target_value(&ev));
                    filter.update(|f| f.class = v);
                }>
                    <option value="">"All kinds"</option>
                    {ToolClass::ALL.into_iter().map(|c| view! { <option value=c.as_str()>{c.as_str()}</option> }).collect_view()}
                </select>
            </label>
            <span class="muted" data-testid="tool-count">{move || format!("{} of {}", visible.with(Vec::len), rows.with(Vec::len))}</span>
        </div>
        <div class="bulk-bar" role="toolbar" aria-label="Bulk actions">
            <label class="check">
                <input type="checkbox" data-testid="select-all" prop:checked=all_visible_selected on:change=toggle_all/>
                <span>{move || match selected.with(BTreeSet::len) { 0 => "Select shown".to_string(), n => format!("{n} selected") }}</span>
            </label>
            <div class="bulk-actions" class:dim=move || selected.with(BTreeSet::is_empty)>
                <span class="muted">"Set to:"</span>
                <button class="btn btn-small state-allow" data-testid="bulk-allow" on:click=move |_| bulk(Some(ToolState::Allow)) prop:disabled=move || selected.with(BTreeSet::is_empty)>"Allow"</button>
                <button class="btn btn-small state-deny" data-testid="bulk-deny" on:click=move |_| bulk(Some(ToolState::Deny)) prop:disabled=move || selected.with(BTreeSet::is_empty)>"Deny"</button>
                <button class="btn btn-small state-hide" data-testid="bulk-hide" on:click=move |_| bulk(Some(ToolState::Hide)) prop:disabled=move || selected.with(BTreeSet::is_empty)>"Hide"</button>
                <button class="btn btn-small" data-testid="bulk-reset" on:click=move |_| bulk(None) prop:disabled=move || selected.with(BTreeSet::is_empty) title="Remove their entries: they follow the default">"Default"</button>
                <button class="btn btn-small btn-ghost" on:click=move |_| selected.set(BTreeSet::new()) prop:disabled=move || selected.with(BTreeSet::is_empty)>"Clear selection"</button>
            </div>
        </div>
        <div class="table-wrap">
            <table class="tools-table">
                <thead>
                    <tr>
                        <th class="col-check"><span class="visually-hidden">"Selected"</span></th>
                        <th>"Tool"</th>
                        <th class="col-state">"State"</th>
                        <th class="col-rules">"Rules"</th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || visible.get() key=|r: &Row| (r.name.clone(), r.tool) let:row>
                        <ToolRow row=row selected=selected/>
                    </For>
                </tbody>
            </table>
            <Show when=move || rows.with(Vec::is_empty)>
                <p class="empty">"No tools yet. Load a tool list above — or write rules for tool names in the JSON."</p>
            </Show>
            <Show when=move || rows.with(|r| !r.is_empty()) && visible.with(Vec::is_empty)>
                <p class="empty">"No tool matches the search and filters."</p>
            </Show>
        </div>
    }
}
