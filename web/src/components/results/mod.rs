//! The dry run's results: summary by outcome and by tool, the timeline, and every decision
//! (paged) with the rule that decided, why, counters and retry-after. With a policy to compare
//! with: how many decisions change, by transition, and each changed row marked before → after.

use leptos::prelude::*;
use toolgate_engine::Outcome;

use crate::app_state::AppState;

mod compare_summary;
mod decision_row;
mod pager;
mod run_view;
mod summary_view;

use run_view::RunView;

const PAGE_SIZE: usize = 100;

fn outcome_label(o: Outcome) -> &'static str {
    match o {
        Outcome::Allow => "allowed",
        Outcome::Deny => "denied",
        Outcome::Hidden => "hidden",
        Outcome::RateLimited => "rate limited",
    }
}

fn percent(n: usize, of: usize) -> String {
    if of == 0 { String::new() } else { format!("{:.1}%", 100.0 * n as f64 / of as f64) }
}

/// The results area (empty until a run finishes).
#[component]
pub fn Results() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        {move || match state.sim.get() {
            None => view! {
                <p class="empty" data-testid="no-results">"Pick or paste a trace and press Run: each call's decision appears here."</p>
            }.into_any(),
            Some(result) => view! { <RunView result=result/> }.into_any(),
        }}
    }
}
