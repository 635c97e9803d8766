//! A list of limits (a tool's or `all_tools`').

use super::limit_row::LimitRow;
use super::{LimitTarget, read_limits, write_limits};
use crate::app_state::AppState;
use crate::state::rules::{new_limit, unique_counter};
use leptos::prelude::*;

/// A list of limits (a tool's or `all_tools`').
///
/// - `target`: which list.
#[component]
pub fn LimitsEditor(target: LimitTarget) -> impl IntoView {
    let state = expect_context::<AppState>();
    let target = StoredValue::new(target);
    let count = move || state.model.with(|m| target.with_value(|t| read_limits(m, t).len()));
    let add = move |_| {
        let taken = state.model.with_untracked(|m| m.counters().into_keys().collect::<Vec<_>>());
        let (base, max) = target.with_value(|t| match t {
            LimitTarget::AllTools => ("calls_per_minute".to_string(), 120),
            LimitTarget::Tool(n) => (toolgate_engine::suggest::counter_name(n), 30),
        });
        let counter = unique_counter(&base, taken.iter().map(String::as_str));
        target.with_value(|t| write_limits(&state, t, |v| v.push(new_limit(counter, max))));
    };
    let add_label = target.with_value(|t| match t {
        LimitTarget::AllTools => "+ Add a limit for all tools",
        LimitTarget::Tool(_) => "+ Add a limit",
    });
    view! {
        <div class="limits">
            <For each=move || 0..count() key=|i| *i let:i>
                <LimitRow target=target index=i/>
            </For>
            <button class="btn btn-small" data-testid="add-limit" on:click=add>{add_label}</button>
        </div>
    }
}
