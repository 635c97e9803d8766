//! The dry run's results: summary by outcome and by tool, the timeline, and every decision
//! (paged) with the rule that decided, why, counters and retry-after. With a policy to compare
//! with: how many decisions change, by transition, and each changed row marked before → after.

use std::sync::Arc;

use leptos::prelude::*;
use toolgate_engine::{Decision, Outcome};

use crate::app::AppState;
use crate::components::timeline_chart::TimelineChart;
use crate::state::args::compact_args;
use crate::state::export::tests_json;
use crate::state::locate::locate_pointer;
use crate::state::sim::{Comparison, RowFilter, SimResult, filter_rows, group_digits, page_count, tools_in};
use crate::state::timeline::{format_clock, format_duration};
use toolgate_engine::trace::{SimDecision, Summary, ToolSummary};

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

#[component]
fn RunView(result: Arc<SimResult>) -> impl IntoView {
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

#[component]
fn Pager(
    page: RwSignal<usize>,
    #[prop(into)] pages: Signal<usize>,
    #[prop(into)] rows: Signal<usize>,
) -> impl IntoView {
    let current = move || page.get().min(pages.get().saturating_sub(1));
    view! {
        <div class="pager" role="navigation" aria-label="Pages of decisions">
            <button class="btn btn-small" on:click=move |_| page.set(0) prop:disabled=move || current() == 0 aria-label="First page">"«"</button>
            <button class="btn btn-small" data-testid="page-prev" on:click=move |_| page.set(current().saturating_sub(1)) prop:disabled=move || current() == 0 aria-label="Previous page">"‹"</button>
            <span class="muted small" data-testid="page-info">{move || {
                let r = rows.get();
                let from = (current() * PAGE_SIZE + 1).min(r);
                let to = ((current() + 1) * PAGE_SIZE).min(r);
                format!("{from}–{to} of {r} · page {} of {}", current() + 1, pages.get())
            }}</span>
            <button class="btn btn-small" data-testid="page-next" on:click=move |_| page.set((current() + 1).min(pages.get().saturating_sub(1))) prop:disabled=move || { current() + 1 >= pages.get() } aria-label="Next page">"›"</button>
            <button class="btn btn-small" on:click=move |_| page.set(pages.get().saturating_sub(1)) prop:disabled=move || { current() + 1 >= pages.get() } aria-label="Last page">"»"</button>
        </div>
    }
}

#[component]
fn DecisionRow(
    d: SimDecision,
    args: String,
    before: Option<Decision>,
    flash: RwSignal<Option<usize>>,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let outcome = d.decision.outcome;
    let index = d.index;
    let pointer = d.decision.pointer.as_deref().map(str::to_string);
    let show_rule = move |_| {
        if let Some(p) = &pointer {
            let span = state.policy_text.with_untracked(|t| locate_pointer(t, p));
            if span.is_some() {
                state.highlight.set(span);
                crate::browser::scroll_into_view("#policy");
            }
        }
    };
    let has_pointer = d.decision.pointer.is_some();
    let rule = d.decision.rule.to_string();
    let explain = d.decision.explain.clone();
    let counters = d.decision.counters.clone();
    let retry = d.decision.retry_after_ms;
    let grant = d.grant.clone();
    view! {
        <tr data-testid="decision-row" data-outcome=outcome.as_str() data-tool=d.tool.clone() data-index=index
            data-changed=before.is_some().then_some("true") data-before-outcome=before.as_ref().map(|b| b.outcome.as_str())
            class=format!("outcome-{}", outcome.as_str()) class:flash=move || flash.get() == Some(index) class:changed=before.is_some()>
            <td class="num">{index}</td>
            <td class="mono nowrap" title=crate::state::timeline::format_utc(d.at_ms)>{format_clock(d.at_ms, false)}</td>
            <td>
                <code class="name">{d.tool.clone()}</code>
                {(grant != "default").then(|| view! { <span class="chip" title="grant">{grant.clone()}</span> })}
                {(!args.is_empty()).then(|| view! { <div class="args mono small">{args.clone()}</div> })}
            </td>
            <td class="nowrap">
                {before.as_ref().map(|b| view! {
                    <span class=format!("badge outcome was outcome-{}", b.outcome.as_str()) title="under the version compared with">{outcome_label(b.outcome)}</span>
                    <span class="arrow" aria-label="becomes">" → "</span>
                })}
                <span class=format!("badge outcome outcome-{}", outcome.as_str())>{outcome_label(outcome)}</span>
            </td>
            <td class="why">
                {before.as_ref().map(|b| view! {
                    <div class="before small" data-testid="decision-before">
                        <span class="muted">"before: "</span>
                        <code>{if b.rule.is_empty() { "(allowed)".to_string() } else { b.rule.to_string() }}</code>
                        {(!b.message.is_empty()).then(|| view! { <span class="muted">{format!(" · {}", b.message)}</span> })}
                    </div>
                })}
                {(!rule.is_empty()).then(|| if has_pointer {
                    view! { <button class="link mono small" on:click=show_rule.clone() title="Show this rule in policy.json">{rule.clone()}</button> }.into_any()
                } else {
                    view! { <code class="small">{rule.clone()}</code> }.into_any()
                })}
                {(!d.decision.message.is_empty()).then(|| view! { <div class="message">{d.decision.message.to_string()}</div> })}
                {(!explain.is_empty()).then(|| view! {
                    <ul class="explain">
                        {explain.iter().map(|e| view! {
                            <li class:holds=e.holds>
                                <code>{format!("{} {} {}", e.path, e.op, e.expected)}</code>
                                <span class="muted">" · actual "</span>
                                <code>{if e.actual.is_null() { "absent".to_string() } else { e.actual.to_string() }}</code>
                                <span class="mark">{if e.holds { " ✓ holds" } else { " ✗ does not hold" }}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                })}
            </td>
            <td class="counters">
                {counters.iter().map(|c| {
                    let full = c.used >= c.max;
                    view! {
                        <div class="counter" class:full=full title=format!("window {} from {}", c.window.as_str(), crate::state::timeline::format_utc(c.window_start_ms))>
                            <code>{c.counter.to_string()}</code>
                            <span class="meter" style=("--p", format!("{:.0}%", 100.0 * (c.used as f64 / c.max.max(1) as f64).min(1.0)))></span>
                            <span class="small">{format!("{}/{} per {}", c.used, c.max, c.window.as_str())}</span>
                        </div>
                    }
                }).collect_view()}
                {retry.map(|ms| view! { <div class="retry small">{format!("retry in {}", format_duration(ms))}</div> })}
            </td>
        </tr>
    }
}

#[component]
fn SummaryView(summary: Summary) -> impl IntoView {
    let total = summary.calls;
    let show_all = RwSignal::new(false);
    let mut by_tool: Vec<(String, ToolSummary)> = summary.by_tool.clone().into_iter().collect();
    by_tool.sort_by(|a, b| b.1.calls.cmp(&a.1.calls).then_with(|| a.0.cmp(&b.0)));
    let n_tools = by_tool.len();
    let by_tool = StoredValue::new(by_tool);
    let stats = [
        ("allowed", "allow", summary.allowed),
        ("denied", "deny", summary.denied),
        ("hidden", "hidden", summary.hidden),
        ("rate limited", "rate_limited", summary.rate_limited),
    ];
    view! {
        <div class="summary" data-testid="sim-summary" data-calls=total data-allowed=summary.allowed
            data-denied=summary.denied data-hidden=summary.hidden data-rate-limited=summary.rate_limited>
            <div class="stats">
                <div class="stat"><span class="stat-n" data-testid="summary-calls">{group_digits(total)}</span><span class="stat-l">"calls"</span></div>
                {stats.into_iter().map(|(label, key, n)| view! {
                    <div class=format!("stat stat-{key}")>
                        <span class="stat-n" data-testid=format!("summary-{key}")>{group_digits(n)}</span>
                        <span class="stat-l">{label}<span class="muted">{format!(" {}", percent(n, total))}</span></span>
                    </div>
                }).collect_view()}
            </div>
            <div class="ratio" aria-hidden="true">
                {stats.into_iter().filter(|s| s.2 > 0).map(|(_, key, n)| view! {
                    <span class=format!("seg seg-{key}") style=("flex-grow", n.to_string())></span>
                }).collect_view()}
            </div>
            <details class="by-tool" open={n_tools <= 8}>
                <summary>{format!("By tool ({n_tools})")}</summary>
                <table class="by-tool-table">
                    <thead><tr><th>"tool"</th><th>"calls"</th><th>"allowed"</th><th>"denied"</th><th>"hidden"</th><th>"rate limited"</th></tr></thead>
                    <tbody>
                        {move || by_tool.with_value(|rows| rows.iter().take(if show_all.get() { usize::MAX } else { 12 }).map(|(name, t)| view! {
                            <tr data-testid="summary-tool" data-tool=name.clone()>
                                <td><code>{name.clone()}</code></td>
                                <td class="num">{t.calls}</td>
                                <td class="num c-allow">{t.allowed}</td>
                                <td class="num c-deny">{t.denied}</td>
                                <td class="num c-hidden">{t.hidden}</td>
                                <td class="num c-rate">{t.rate_limited}</td>
                            </tr>
                        }).collect_view())}
                    </tbody>
                </table>
                <Show when=move || { n_tools > 12 && !show_all.get() }>
                    <button class="btn btn-small" on:click=move |_| show_all.set(true)>{format!("Show all {n_tools} tools")}</button>
                </Show>
            </details>
        </div>
    }
}

/// How many decisions change against the version compared with, by transition; each transition
/// filters the table to its rows.
#[component]
fn CompareSummary(comparison: Arc<Comparison>, filter: RwSignal<RowFilter>, page: RwSignal<usize>) -> impl IntoView {
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
