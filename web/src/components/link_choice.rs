//! The choice offered when a share link is opened over different saved work.

use leptos::prelude::*;

use crate::app_state::AppState;

/// The choice offered when a share link is opened over different saved work.
#[component]
pub fn LinkChoice() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <Show when=move || state.pending_link.with(Option::is_some)>
            <div class="banner banner-choice" role="alert" data-testid="share-choice">
                <p>
                    <strong>"This share link carries a policy, tool list and trace. "</strong>
                    "The work saved in this browser is different, so nothing was replaced: pick one. "
                    "The other is kept aside and can be brought back."
                </p>
                <div class="row-actions">
                    <button class="btn btn-primary" data-testid="share-open" on:click=move |_| state.open_pending_link()>"Open the shared policy"</button>
                    <button class="btn" data-testid="share-keep" on:click=move |_| state.keep_saved_work()>"Keep my saved work"</button>
                </div>
            </div>
        </Show>
    }
}
