//! The states kept aside (a link not opened, or work a link replaced).

use leptos::prelude::*;

use crate::app_state::AppState;

/// The states kept aside, each with switch / compare / discard.
#[component]
pub fn KeptAside() -> impl IntoView {
    let state = expect_context::<AppState>();
    let items = move || {
        state.aside.with(|a| {
            a.0.iter().enumerate().map(|(i, a)| (i, a.origin, a.at_ms, a.saved.policy.clone())).collect::<Vec<_>>()
        })
    };
    view! {
        <Show when=move || state.aside.with(|a| !a.is_empty()) && state.pending_link.with(Option::is_none)>
            <div class="banner banner-aside" role="region" aria-label="Kept aside" data-testid="kept-aside">
                <ul class="aside-list">
                    {move || items().into_iter().map(|(i, origin, at_ms, policy)| view! {
                        <li data-testid="aside-item" data-origin=format!("{origin:?}")>
                            <span>
                                "Kept aside: "{origin.label()}
                                <span class="muted">{format!(" ({} UTC)", crate::state::timeline::format_utc(at_ms.max(0.0) as u64))}</span>
                            </span>
                            <span class="row-actions">
                                <button class="btn btn-small btn-primary" data-testid="aside-switch" on:click=move |_| state.switch_to_aside(i)
                                    title="Bring it back; the current work is kept aside in its place">"Switch to it"</button>
                                <button class="btn btn-small" data-testid="aside-compare" on:click=move |_| {
                                    state.compare_text.set(policy.clone());
                                    crate::browser::scroll_into_view("#dryrun");
                                } title="Compare the dry run of the current policy with this one">"Compare policies"</button>
                                <button class="btn btn-small btn-ghost" data-testid="aside-discard" on:click=move |_| state.discard_aside(i)>"Discard"</button>
                            </span>
                        </li>
                    }).collect_view()}
                </ul>
            </div>
        </Show>
    }
}
