//! The page layout: the header, banners, the three steps (tools, policy, dry run) and the footer.
//! State lives in [`crate::app_state`], saving in [`crate::persist`], each panel in [`crate::components`].

use leptos::prelude::*;

use crate::app_state::AppState;
use crate::browser;
use crate::components::{Builder, Header, KeptAside, LinkChoice, PolicyEditor, Results, Toast, ToolSource, TracePanel};
use crate::persist::{autosave, bootstrap};

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    bootstrap(&state);
    autosave(state);

    view! {
        <Header/>
        <main class="page">
            {move || state.share_error.get().map(|e| view! {
                <div class="banner banner-error" role="alert" data-testid="share-error">
                    <strong>"This share link could not be opened: "</strong>{e}
                    <button class="btn btn-small" on:click=move |_| { state.share_error.set(None); browser::clear_hash(); }>"Dismiss"</button>
                </div>
            })}
            <LinkChoice/>
            <KeptAside/>
            <section id="tools" class="card" aria-labelledby="tools-title">
                <ToolSource/>
            </section>
            <div id="policy" class="split">
                <section class="card builder-card" aria-labelledby="builder-title">
                    <Builder/>
                </section>
                <aside class="card json-card" aria-labelledby="json-title">
                    <PolicyEditor/>
                </aside>
            </div>
            <section id="dryrun" class="card" aria-labelledby="dryrun-title">
                <TracePanel/>
                <Results/>
            </section>
        </main>
        <footer class="footer">
            "toolgate runs entirely in your browser: nothing you paste leaves this page. "
            "Policies follow the PolicyLayer "<code>"policy.json"</code>" format."
        </footer>
        <Toast/>
    }
}
