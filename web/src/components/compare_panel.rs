//! "Compare with": the other version of the policy the dry run is compared with — pasted, or one
//! of the earlier versions this browser kept (the previous one a click away).

use leptos::prelude::*;
use toolgate_engine::parse_policy;

use crate::app_state::AppState;
use crate::state::timeline::format_utc;

/// The compare box (inside the dry-run card, above the Run button).
#[component]
pub fn ComparePanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let errors = Memo::new(move |_| {
        state
            .compare_text
            .with(|t| if t.trim().is_empty() { Vec::new() } else { parse_policy(t).err().unwrap_or_default() })
    });
    let previous = Memo::new(move |_| {
        state.policy_text.with(|current| state.versions.with(|v| v.previous(current).map(|v| v.policy.clone())))
    });
    let others = move || {
        state.policy_text.with(|current| {
            state.versions.with(|v| {
                v.others(current)
                    .map(|(i, v)| (i, format!("{} UTC · {}", format_utc(v.at_ms.max(0.0) as u64), v.moment.label())))
                    .collect::<Vec<_>>()
            })
        })
    };
    let comparing = move || state.compare_text.with(|t| !t.trim().is_empty());
    // Open while comparing (also when a comparison is set from elsewhere, e.g. "Compare policies"
    // on a state kept aside); never closed under the user's hands when they clear the box.
    let open = RwSignal::new(comparing());
    Effect::new(move |_| {
        if comparing() {
            open.set(true);
        }
    });
    let pick_version = move |ev: leptos::ev::Event| {
        let select = event_target::<web_sys::HtmlSelectElement>(&ev);
        let picked = select.value().parse::<usize>().ok();
        select.set_value("");
        if let Some(text) = picked.and_then(|i| state.versions.with_untracked(|v| v.0.get(i).map(|v| v.policy.clone())))
        {
            state.compare_text.set(text);
        }
    };

    view! {
        <details class="compare" prop:open=move || open.get() data-testid="compare"
            on:toggle=move |ev| open.set(event_target::<web_sys::Element>(&ev).has_attribute("open"))>
            <summary>
                "Compare with another version of the policy"
                <span class="muted">{move || if comparing() { " — comparing" } else { "" }}</span>
            </summary>
            <p class="muted small">
                "The dry run replays the trace through both versions, each with its own counters from empty, "
                "and marks every call whose decision changes (before → after)."
            </p>
            <div class="row-actions">
                <button class="btn btn-small" data-testid="compare-previous" prop:disabled=move || previous.with(Option::is_none)
                    title="The newest version this browser kept that differs from the current policy"
                    on:click=move |_| { if let Some(p) = previous.get_untracked() { state.compare_text.set(p); } }>
                    "The previous version"
                </button>
                <label>
                    <span class="visually-hidden">"An earlier version"</span>
                    <select class="select" data-testid="compare-version" on:change=pick_version>
                        <option value="">"An earlier version…"</option>
                        {move || others().into_iter().map(|(i, label)| view! { <option value=i.to_string()>{label}</option> }).collect_view()}
                    </select>
                </label>
                <button class="btn btn-small btn-ghost" data-testid="compare-clear" prop:disabled=move || !comparing()
                    on:click=move |_| state.compare_text.set(String::new())>"Stop comparing"</button>
            </div>
            <label for="compare-input" class="label">"The other version (policy JSON; empty = no comparison)"</label>
            <textarea id="compare-input" class="textarea mono" rows="6" spellcheck="false" data-testid="compare-input"
                placeholder="{\"version\": \"1\", \"default\": \"deny\", \"tools\": {…}}"
                prop:value=move || state.compare_text.get()
                on:input=move |ev| state.compare_text.set(event_target_value(&ev))></textarea>
            <ul class="problems" data-testid="compare-errors">
                {move || errors.get().into_iter().map(|e| view! {
                    <li class="problem problem-error" data-pointer=e.pointer.clone() data-line=e.line.map(|l| l.to_string())>
                        <span class="sev">"✖ "</span>
                        <span class="problem-msg">{e.message.clone()}</span>
                        {e.line.map(|l| view! { <span class="chip">{format!("line {l}")}</span> })}
                        {(!e.pointer.is_empty()).then(|| view! { <code class="ptr">{e.pointer.clone()}</code> })}
                    </li>
                }).collect_view()}
            </ul>
        </details>
    }
}
