//! One decision of the run (`decision-row`): outcome, rule, why, counters, retry-after.

use super::outcome_label;
use crate::app_state::AppState;
use crate::state::locate::locate_pointer;
use crate::state::timeline::{format_clock, format_duration};
use leptos::prelude::*;
use toolgate_engine::Decision;
use toolgate_engine::trace::SimDecision;

/// One decision of the run: outcome, rule (click: show it in policy.json), why, counters.
///
/// - `d`: the decision. `args`: its arguments, compact. `before`: the other version's decision
///   when it differs. `flash`: the row picked in the timeline.
#[component]
pub(super) fn DecisionRow(
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
    let grant = d.grant.to_string();
    view! {
        <tr data-testid="decision-row" data-outcome=outcome.as_str() data-tool=d.tool.to_string() data-index=index
            data-changed=before.is_some().then_some("true") data-before-outcome=before.as_ref().map(|b| b.outcome.as_str())
            class=format!("outcome-{}", outcome.as_str()) class:flash=move || flash.get() == Some(index) class:changed=before.is_some()>
            <td class="num">{index}</td>
            <td class="mono nowrap" title=crate::state::timeline::format_utc(d.at_ms)>{format_clock(d.at_ms, false)}</td>
            <td>
                <code class="name">{d.tool.to_string()}</code>
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
