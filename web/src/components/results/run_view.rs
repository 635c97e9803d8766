//! One finished run: summary, comparison, timeline, filters and the paged decisions.

use super::{PAGE_SIZE, outcome_label};
use super::{compare_summary::CompareSummary, decision_row::DecisionRow, pager::Pager, summary_view::SummaryView};
use crate::app_state::AppState;
use crate::components::timeline_chart::TimelineChart;
use crate::state::args::compact_args;
use crate::state::export::tests_json;
use crate::state::sim::{RowFilter, SimResult, filter_rows, page_count, tools_in};
use leptos::prelude::*;
use std::sync::Arc;
use toolgate_engine::Outcome;
use toolgate_engine::trace::SimDecision;

/// One finished run: summary, comparison, timeline, filters and the paged decisions.
///
/// - `result`: the run (decisions, summary, comparison).
#[component]
pub(super) fn RunView(result: Arc<SimResult>) -> impl IntoView {
    let filter = RwSignal::new(RowFilter::default());
    let page = RwSignal::new(0usize);
    let flash = RwSignal::new(None::<usize>);
    let decisions = result.clone();
    let rows = {
        let decisions = decisions.clone();
        Memo::new(move |_| {
            filter.with(|f| filter_rows(&decisions.simulation.decisions, decisions.comparison.as_ref(), f))
        })
    };
    let pages = move || page_count(rows.with(Vec::len), PAGE_SIZE);
    let tools = tools_in(&decisions.simulation.decisions);
    let on_pick = Callback::new(move |index: usize| {
        filter.set(RowFilter::default());
        page.set(index / PAGE_SIZE);
        flash.set(Some(index));
        crate::browser::scroll_into_view(".decisions");
    });

    let page_rows = {
        let decisions = decisions.clone();
        move || {
            let p = page.get().min(pages().saturating_sub(1));
            rows.with(|r| {
                r.iter()
                    .skip(p * PAGE_SIZE)
                    .take(PAGE_SIZE)
                    .filter_map(|&i| decisions.simulation.decisions.get(i).cloned())
                    .collect::<Vec<SimDecision>>()
            })
        }
    };
    let calls = result.calls.clone();
    let summary = result.simulation.summary.clone();
    let has_comparison = result.comparison.is_some();
    let comparison = result.comparison.clone().map(Arc::new);
    let state = expect_context::<AppState>();
    let save_tests = {
        let result = result.clone();
        move |_| {
            let n = result.simulation.decisions.len();
            let name = format!("dry run of {n} call{} pinned from the browser app", if n == 1 { "" } else { "s" });
            let text = tests_json(&name, &result.calls, &result.simulation.decisions);
            match crate::browser::download("tests.json", &text, "application/json") {
                Ok(()) => state.notify(format!(
                    "Saved {n} decisions as tests.json (run it with: toolgate test policy.json tests.json)"
                )),
                Err(e) => state.notify(e),
            }
        }
    };

    view! {
        {comparison.clone().map(|c| view! { <CompareSummary comparison=c filter=filter page=page/> })}
        <SummaryView summary=summary/>
        <div class="chart-card">
            <TimelineChart result=result.clone() on_pick=on_pick/>
        </div>
        <div class="decisions">
            <div class="table-tools">
                <h3>"Decisions"</h3>
                <label>
                    <span class="visually-hidden">"Filter by outcome"</span>
                    <select class="select" data-testid="decision-filter-outcome" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        let o = Outcome::ALL.into_iter().find(|o| o.as_str() == v);
                        filter.update(|f| f.outcome = o);
                        page.set(0);
                    }>
                        <option value="">"All outcomes"</option>
                        {Outcome::ALL.into_iter().map(|o| view! { <option value=o.as_str()>{outcome_label(o)}</option> }).collect_view()}
                    </select>
                </label>
                <label>
                    <span class="visually-hidden">"Filter by tool"</span>
                    <select class="select" data-testid="decision-filter-tool" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        filter.update(|f| f.tool = (!v.is_empty()).then_some(v));
                        page.set(0);
                    }>
                        <option value="">"All tools"</option>
                        {tools.into_iter().map(|t| view! { <option value=t.clone()>{t.clone()}</option> }).collect_view()}
                    </select>
                </label>
                {has_comparison.then(|| view! {
                    <label class="check">
                        <input type="checkbox" data-testid="decision-filter-changed"
                            prop:checked=move || filter.with(|f| f.changed_only || f.transition.is_some())
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                filter.update(|f| { f.changed_only = on; f.transition = None; });
                                page.set(0);
                            }/>
                        <span>"Changed only"</span>
                    </label>
                })}
                <button class="btn btn-small" data-testid="save-tests" on:click=save_tests
                    title="Download these decisions as a tests.json that toolgate test checks (one test: every call in order, from empty counters)">
                    "Save these decisions as tests"
                </button>
                <Pager page=page pages=Signal::derive(pages) rows=Signal::derive(move || rows.with(Vec::len))/>
            </div>
            <div class="table-wrap decisions-wrap">
                <table class="decision-table">
                    <thead>
                        <tr>
                            <th>"#"</th>
                            <th>"time (UTC)"</th>
                            <th>"call"</th>
                            <th>"outcome"</th>
                            <th>"rule and reason"</th>
                            <th>"counters"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            let calls = calls.clone();
                            page_rows().into_iter().map(|d| {
                                let args = calls.get(d.index).map(|c| compact_args(&c.args, 80)).unwrap_or_default();
                                let before = comparison.as_ref().and_then(|c| c.before(d.index).cloned());
                                view! { <DecisionRow d=d args=args before=before flash=flash/> }
                            }).collect_view()
                        }}
                    </tbody>
                </table>
                <Show when=move || rows.with(Vec::is_empty)>
                    <p class="empty">"No decision matches the filters."</p>
                </Show>
            </div>
            <div class="table-foot">
                <Pager page=page pages=Signal::derive(pages) rows=Signal::derive(move || rows.with(Vec::len))/>
            </div>
        </div>
    }
}
