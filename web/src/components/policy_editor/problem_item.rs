//! One validation error or lint warning, clickable to highlight its place in the text.

use crate::app_state::{AppState, Problem};
use leptos::prelude::*;

/// One problem of the policy: severity, pointer, message, help; a click highlights it in the text.
///
/// - `problem`: the located error or warning.
#[component]
pub(super) fn ProblemItem(problem: Problem) -> impl IntoView {
    let state = expect_context::<AppState>();
    let span = problem.span;
    let line = span.map(|s| s.line);
    let severity = if problem.is_error { "error" } else { "warning" };
    view! {
        <li class=format!("problem problem-{severity}") data-pointer=problem.pointer.clone()
            data-line=line.map(|l| l.to_string()) data-severity=severity data-code=problem.code.clone()>
            <button class="problem-btn" on:click=move |_| state.highlight.set(span) prop:disabled=span.is_none()>
                <span class="sev" aria-label=severity>{if problem.is_error { "✖" } else { "▲" }}</span>
                <span class="problem-body">
                    <span class="problem-msg">{problem.message.clone()}</span>
                    {problem.help.clone().map(|h| view! { <span class="problem-help">{h}</span> })}
                    <span class="problem-where">
                        {line.map(|l| view! { <span class="chip">{match problem.column {
                            Some(c) => format!("line {l}, column {c}"),
                            None => format!("line {l}"),
                        }}</span> })}
                        {(!problem.pointer.is_empty()).then(|| view! { <code class="ptr">{problem.pointer.clone()}</code> })}
                        {problem.code.clone().map(|c| view! { <span class="chip chip-code">{c}</span> })}
                    </span>
                </span>
            </button>
        </li>
    }
}
