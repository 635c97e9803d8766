//! The run's summary: calls by outcome and a table by tool.

use super::percent;
use crate::state::sim::group_digits;
use leptos::prelude::*;
use toolgate_engine::trace::{Summary, ToolSummary};

/// The summary of a run (`sim-summary`): calls by outcome and by tool.
///
/// - `summary`: the engine's summary of the run.
#[component]
pub(super) fn SummaryView(summary: Summary) -> impl IntoView {
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
