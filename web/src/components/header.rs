//! The top bar: brand, section links, download/open/share/start over.

use leptos::prelude::*;

use crate::app_state::AppState;
use crate::browser;
use crate::state::share::encode_fragment;
use crate::state::versions::Moment;

/// The top bar: brand, section links, and the keep/share actions.
#[component]
pub fn Header() -> impl IntoView {
    let state = expect_context::<AppState>();
    let share_url = RwSignal::new(None::<String>);
    let upload_ref = NodeRef::<leptos::html::Input>::new();

    let make_link = move |_| {
        let fragment = encode_fragment(&state.saved());
        share_url.set(Some(format!("{}#{fragment}", browser::location_base())));
    };
    let copy_link = move |_| {
        if let Some(url) = share_url.get_untracked() {
            leptos::task::spawn_local(async move {
                match browser::copy_text(&url).await {
                    Ok(()) => state.notify("Share link copied"),
                    Err(e) => state.notify(e),
                }
            });
        }
    };
    let download = move |_| {
        if let Err(e) = browser::download("policy.json", &state.policy_text.get_untracked(), "application/json") {
            state.notify(e);
        }
    };
    let upload = move |ev: leptos::ev::Event| {
        let Some(input) = upload_ref.get() else { return };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        let _ = ev;
        leptos::task::spawn_local(async move {
            match browser::read_file(&file).await {
                Ok(text) => {
                    state.record_version(Moment::Replaced);
                    state.edit_json(text);
                    state.notify(format!("Loaded {}", file.name()));
                }
                Err(e) => state.notify(e),
            }
            input.set_value("");
        });
    };
    let reset = move |_| {
        let before = state.start_over();
        state.toast.set(Some(("Started over with an empty policy".into(), Some(before))));
    };

    view! {
        <header class="topbar">
            <div class="brand">
                <svg class="logo" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round">
                    <path d="M3 5h18M5 9h14M7 5v15M17 5v15"/>
                </svg>
                <span class="brand-name">"toolgate"</span>
                <span class="brand-tag">"MCP policy builder & dry run"</span>
            </div>
            <nav class="nav" aria-label="Sections">
                <a href="#tools">"1 · Tools"</a>
                <a href="#policy">"2 · Policy"</a>
                <a href="#dryrun">"3 · Dry run"</a>
            </nav>
            <div class="actions">
                <button class="btn" on:click=download data-testid="download-policy" title="Download policy.json">"Download"</button>
                <label class="btn" title="Open a policy.json file">
                    "Open…"
                    <input type="file" accept=".json,application/json" class="visually-hidden" node_ref=upload_ref on:change=upload data-testid="upload-policy"/>
                </label>
                <button class="btn btn-primary" on:click=make_link data-testid="share">"Share link"</button>
                <button class="btn btn-ghost" on:click=reset data-testid="reset" title="Clear the policy, tool list and trace">"Start over"</button>
            </div>
        </header>
        {move || share_url.get().map(|url| view! {
            <div class="share-bar" role="region" aria-label="Share link">
                <label for="share-url">"Share link (everything is in the link; nothing is uploaded):"</label>
                <input id="share-url" class="input mono" readonly prop:value=url.clone() data-testid="share-link"
                    on:focus=move |ev| { event_target::<web_sys::HtmlInputElement>(&ev).select(); }/>
                <button class="btn btn-primary" on:click=copy_link data-testid="share-copy">"Copy"</button>
                <span class="muted">{format!("{} characters", url.len())}</span>
                {(url.len() > 60_000).then(|| view! {
                    <span class="pill pill-warn" title="Some chat and mail apps cut long links; a file (Download) travels better">"long link"</span>
                })}
                <button class="btn btn-ghost" on:click=move |_| share_url.set(None) aria-label="Close the share link">"✕"</button>
            </div>
        })}
    }
}
