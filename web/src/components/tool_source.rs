//! Step 1: load a tool list — paste a `tools/list` result (or a bare array), drop or pick a file,
//! or load a bundled real list.

use leptos::prelude::*;

use crate::app_state::AppState;
use crate::browser;
use crate::state::catalog::SAMPLES;
use crate::state::locate::{line_span, utf16_offset};

/// The tool-list loader.
#[component]
pub fn ToolSource() -> impl IntoView {
    let state = expect_context::<AppState>();
    let draft = RwSignal::new(state.tools_text.get_untracked());
    // Collapsed to a summary line once tools are loaded; "Change" opens it again.
    let open = RwSignal::new(state.tools.with_untracked(|t| t.is_empty()));
    let dragging = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let textarea = NodeRef::<leptos::html::Textarea>::new();
    let file_input = NodeRef::<leptos::html::Input>::new();

    // Keep the box in step with loads from elsewhere (share link, reset).
    Effect::new(move |_| {
        let text = state.tools_text.get();
        draft.set(text);
        if state.tools.with(|t| t.is_empty()) {
            open.set(true);
        }
    });

    let load = move |text: String, source: String| {
        let t0 = browser::now_ms();
        match state.load_tools(text, source) {
            Ok(n) => {
                open.set(false);
                state.notify(format!("Loaded {n} tools"));
                leptos::task::spawn_local(async move {
                    browser::after_paint().await;
                    let ms = browser::now_ms() - t0;
                    state.timings.update(|t| t.load_ms = Some(ms));
                });
            }
            Err(_) => open.set(true),
        }
    };
    let load_draft = move |_| load(draft.get_untracked(), "pasted".into());
    let load_file = move |file: web_sys::File| {
        leptos::task::spawn_local(async move {
            match browser::read_file(&file).await {
                Ok(text) => load(text, file.name()),
                Err(e) => state.notify(e),
            }
        });
    };
    let on_pick = move |_| {
        let Some(input) = file_input.get() else { return };
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            load_file(file);
        }
        input.set_value("");
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(file) = ev.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
            load_file(file);
        }
    };
    let load_sample = move |ev: leptos::ev::Event| {
        let select = event_target::<web_sys::HtmlSelectElement>(&ev);
        let file = select.value();
        select.set_value("");
        if file.is_empty() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            match browser::fetch_text(&format!("samples/{file}")).await {
                Ok(text) => load(text, format!("sample {file}")),
                Err(e) => state.notify(e),
            }
            busy.set(false);
        });
    };
    let show_error_place = move |_| {
        let (Some(e), Some(el)) = (state.tools_error.get_untracked(), textarea.get_untracked()) else { return };
        let text = draft.get_untracked();
        let span = line_span(&text, e.line.unwrap_or(1), e.column.unwrap_or(1));
        browser::select_in_textarea(
            &el,
            utf16_offset(&text, span.start),
            utf16_offset(&text, span.end),
            span.line,
            18.0,
        );
    };

    view! {
        <div class="card-head">
            <h2 id="tools-title"><span class="step">"1"</span>"Tools"</h2>
            <p class="muted">"Paste what your MCP server answers to "<code>"tools/list"</code>", drop a file, or try a real list."</p>
            <Show when=move || !open.get()>
                <div class="loaded-summary" data-testid="tools-summary">
                    <span class="pill pill-ok">{move || format!("{} tools loaded", state.tools.with(|t| t.len()))}</span>
                    <span class="muted">{move || state.tools_source.get()}</span>
                    {move || state.timings.get().load_ms.map(|ms| view! {
                        <span class="muted" data-testid="load-timing" data-ms=format!("{ms:.1}")>{format!("· table ready in {ms:.0} ms")}</span>
                    })}
                    <button class="btn btn-small" on:click=move |_| open.set(true) data-testid="tools-change">"Change"</button>
                </div>
            </Show>
        </div>
        <div class="tool-source" class:hidden=move || !open.get()
            class:dragging=move || dragging.get()
            on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop>
            <label for="tool-list-input" class="label">"tools/list result"</label>
            <textarea id="tool-list-input" class="textarea mono" rows="8" spellcheck="false"
                data-testid="tool-list-input" node_ref=textarea
                placeholder="{\"tools\": [{\"name\": \"create_issue\", \"description\": \"…\", \"inputSchema\": {…}}]}   — or drop a .json file here"
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))></textarea>
            {move || state.tools_error.get().map(|e| {
                let place = match (e.line, e.column) {
                    (Some(l), Some(c)) => format!("line {l}, column {c}: "),
                    _ => String::new(),
                };
                view! {
                    <div class="inline-error" role="alert" data-testid="tool-list-error">
                        <button class="link" on:click=show_error_place title="Show the place in the text">{place}</button>
                        <span>{e.message.clone()}</span>
                        {(!e.pointer.is_empty()).then(|| view! { <code class="ptr">{e.pointer.clone()}</code> })}
                        <span class="muted">" — your text is kept; fix it and load again."</span>
                    </div>
                }
            })}
            <div class="row-actions">
                <button class="btn btn-primary" on:click=load_draft data-testid="tool-list-load">"Load tools"</button>
                <label class="btn">
                    "Choose file…"
                    <input type="file" accept=".json,application/json" class="visually-hidden" node_ref=file_input on:change=on_pick data-testid="tool-list-file"/>
                </label>
                <label class="sample-pick">
                    <span>"or a real list:"</span>
                    <select class="select" on:change=load_sample data-testid="tool-list-sample" prop:disabled=move || busy.get()>
                        <option value="">"Pick a sample…"</option>
                        {SAMPLES.iter().map(|(file, label)| view! { <option value=*file>{*label}</option> }).collect_view()}
                    </select>
                </label>
                <Show when=move || state.tools.with(|t| !t.is_empty())>
                    <button class="btn btn-ghost" on:click=move |_| open.set(false)>"Cancel"</button>
                </Show>
            </div>
        </div>
    }
}
