//! Rule hits: how many calls of the last dry run each rule entry decided, and the entries no
//! call reached (the engine's coverage). Clicking an entry shows it in policy.json.

use leptos::prelude::*;

use crate::app_state::AppState;
use crate::state::locate::locate_pointer;
use crate::state::sim::group_digits;

/// The hits panel (in the builder; empty until a run).
#[component]
pub fn RuleHits() -> impl IntoView {
    let state = expect_context::<AppState>();
    let coverage = Memo::new(move |_| state.sim.with(|s| s.as_ref().map(|r| r.coverage.clone())));
    let show = move |pointer: &str| {
        let span = state.policy_text.with_untracked(|t| locate_pointer(t, pointer));
        if span.is_some() {
            state.highlight.set(span);
        }
    };
    view! {
        {move || coverage.get().map(|c| {
            let uncovered = c.uncovered.len();
            let n = c.entries.len();
            view! {
                <details class="rule-hits-card" open data-testid="coverage" data-entries=n data-uncovered=uncovered>
                    <summary>
                        "Rule hits in the last dry run"
                        <span class="muted">{format!(" — {n} entr{}, {uncovered} never reached", if n == 1 { "y" } else { "ies" })}</span>
                    </summary>
                    <ul class="hits">
                        {c.entries.into_iter().map(|e| {
                            let pointer = e.pointer.clone();
                            view! {
                                <li data-testid="rule-hits" data-pointer=e.pointer.clone() data-hits=e.hits class:uncovered=e.hits == 0>
                                    <button class="link mono small" title="Show this entry in policy.json" on:click=move |_| show(&pointer)>{e.pointer.clone()}</button>
                                    <span class="muted small rule">{e.rule.clone()}</span>
                                    <span class="hits-n">{if e.hits == 0 { "never reached".to_string() } else { format!("{} call{}", group_digits(e.hits as usize), if e.hits == 1 { "" } else { "s" }) }}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </details>
            }
        })}
    }
}
