//! How many decisions change against the version compared with, by transition; each transition

use super::percent;
use crate::state::sim::{Comparison, RowFilter, group_digits};
use leptos::prelude::*;
use std::sync::Arc;

/// How many decisions change against the version compared with, by transition; each transition
/// filters the table to its rows.
#[component]
pub(super) fn CompareSummary(
    comparison: Arc<Comparison>,
    filter: RwSignal<RowFilter>,
    page: RwSignal<usize>,
) -> impl IntoView {
    let s = &comparison.summary;
    let (calls, changed) = (s.calls, s.changed);
    let transitions: Vec<(String, usize)> = s.transitions.iter().map(|(t, n)| (t.clone(), *n)).collect();
    let before = &s.before;
    let rules = &comparison.rules;
    let rules_line = format!(
        "Rule entries: {} added, {} removed, {} changed.",
        rules.added.len(),
        rules.removed.len(),
        rules.changed.len()
    );
    let before_line = format!(
        "Under the other version: {} allowed · {} denied · {} hidden · {} rate limited.",
        group_digits(before.allowed),
        group_digits(before.denied),
        group_digits(before.hidden),
        group_digits(before.rate_limited)
    );
    view! {
        <div class="compare-summary" class:no-change=changed == 0 data-testid="compare-summary" data-calls=calls data-changed=changed>
            <p class="compare-head">
                {if changed == 0 {
                    format!("No decision changes: the {} calls are decided the same under both versions.", group_digits(calls))
                } else {
                    format!("{} of {} decisions change against the version compared with ({}).", group_digits(changed), group_digits(calls), percent(changed, calls))
                }}
            </p>
            <ul class="transitions">
                {transitions.into_iter().map(|(t, n)| {
                    let key = t.clone();
                    let active = {
                        let key = key.clone();
                        move || filter.with(|f| f.transition.as_deref() == Some(key.as_str()))
                    };
                    view! {
                        <li>
                            <button class="chip-btn" class:active=active.clone() data-testid="compare-transition" data-transition=t.clone() data-count=n
                                aria-pressed=move || active().to_string()
                                title="Show only these calls"
                                on:click=move |_| {
                                    let key = key.clone();
                                    filter.update(|f| {
                                        f.transition = if f.transition.as_deref() == Some(key.as_str()) { None } else { Some(key) };
                                        f.changed_only = false;
                                    });
                                    page.set(0);
                                }>
                                <code>{t.replace("->", " → ")}</code>" "<strong>{group_digits(n)}</strong>
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <p class="muted small">{before_line}" "{rules_line}</p>
        </div>
    }
}
