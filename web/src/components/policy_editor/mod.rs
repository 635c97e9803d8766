//! The raw `policy.json`, two-way with the builder, with its validation errors and lint warnings
//! (each with pointer and line; clicking one highlights the place).

use leptos::prelude::*;

use crate::app_state::AppState;
use crate::browser;
use crate::state::locate::{line_count, utf16_offset};

mod problem_item;

use problem_item::ProblemItem;

/// Height of one line in the editor, in pixels (must match the CSS).
const LINE_HEIGHT: f64 = 19.0;

/// The JSON editor and the problems list.
#[component]
pub fn PolicyEditor() -> impl IntoView {
    let state = expect_context::<AppState>();
    let problems = Memo::new(move |_| state.problems());
    let errors = move || problems.with(|p| p.iter().filter(|p| p.is_error).count());
    let warnings = move || problems.with(|p| p.iter().filter(|p| !p.is_error).count());
    let textarea = NodeRef::<leptos::html::Textarea>::new();
    let scroll = RwSignal::new(0i32);
    let flash_line = RwSignal::new(None::<u32>);
    let lines = Memo::new(move |_| state.policy_text.with(|t| line_count(t)));
    let numbers = Memo::new(move |_| (1..=lines.get()).map(|n| n.to_string()).collect::<Vec<_>>().join("\n"));
    let problem_lines = Memo::new(move |_| {
        problems.with(|p| p.iter().filter_map(|p| p.span.map(|s| (s.line, p.is_error))).collect::<Vec<_>>())
    });

    // Clicking a problem (or a decision's rule) asks for a place to be highlighted.
    Effect::new(move |_| {
        let Some(span) = state.highlight.get() else { return };
        let Some(el) = textarea.get() else { return };
        let text = state.policy_text.get_untracked();
        let (start, end) = (utf16_offset(&text, span.start), utf16_offset(&text, span.end));
        browser::select_in_textarea(&el, start, end, span.line, LINE_HEIGHT);
        scroll.set(el.scroll_top());
        flash_line.set(Some(span.line));
        state.highlight.set(None);
    });

    let copy = move |_| {
        let text = state.policy_text.get_untracked();
        leptos::task::spawn_local(async move {
            match browser::copy_text(&text).await {
                Ok(()) => state.notify("policy.json copied to the clipboard"),
                Err(e) => state.notify(e),
            }
        });
    };
    let format = move |_| {
        if errors() == 0 {
            state.policy_text.set(state.model.with_untracked(|m| m.to_json()));
        }
    };

    view! {
        <div class="card-head">
            <h2 id="json-title"><span class="step">"{}"</span>"policy.json"</h2>
            <span data-testid="policy-status" class=move || { if errors() > 0 { "pill pill-error" } else if warnings() > 0 { "pill pill-warn" } else { "pill pill-ok" } }>
                {move || match (errors(), warnings()) {
                    (0, 0) => "valid".to_string(),
                    (0, w) => format!("valid · {w} warning{}", if w == 1 { "" } else { "s" }),
                    (e, _) => format!("{e} error{}", if e == 1 { "" } else { "s" }),
                }}
            </span>
            <div class="head-actions">
                <button class="btn btn-small" on:click=copy data-testid="copy-policy">"Copy"</button>
                <button class="btn btn-small" on:click=format prop:disabled=move || { errors() > 0 } title="Rewrite with two-space indentation">"Format"</button>
            </div>
        </div>
        <Show when=move || { errors() > 0 }>
            <p class="banner banner-warn small" data-testid="json-invalid-note">
                "The builder shows the last valid policy. Your text is kept as typed — fix it and the builder follows."
            </p>
        </Show>
        <div class="code-editor">
            <div class="gutter" aria-hidden="true">
                <div class="gutter-inner" style=("transform", move || format!("translateY({}px)", -scroll.get()))>
                    {move || problem_lines.get().into_iter().map(|(line, is_error)| view! {
                        <div class=if is_error { "line-mark mark-error" } else { "line-mark mark-warn" }
                            style=("top", format!("{}px", f64::from(line.saturating_sub(1)) * LINE_HEIGHT))></div>
                    }).collect_view()}
                    {move || flash_line.get().map(|line| view! {
                        <div class="line-mark mark-flash" style=("top", format!("{}px", f64::from(line.saturating_sub(1)) * LINE_HEIGHT))></div>
                    })}
                    <pre class="numbers">{move || numbers.get()}</pre>
                </div>
            </div>
            <label for="policy-json" class="visually-hidden">"policy.json text"</label>
            <textarea id="policy-json" class="code" spellcheck="false" wrap="off" autocomplete="off"
                data-testid="policy-json" node_ref=textarea
                prop:value=move || state.policy_text.get()
                on:input=move |ev| { flash_line.set(None); state.edit_json(event_target_value(&ev)); }
                on:scroll=move |ev| scroll.set(event_target::<web_sys::HtmlTextAreaElement>(&ev).scroll_top())></textarea>
        </div>
        <div class="problems-head">
            <h3>"Problems"</h3>
            <span class="muted small">{move || if problems.with(Vec::is_empty) {
                if state.tools.with(|t| t.is_empty()) { "none · load a tool list to also check names and arguments" } else { "none" }
            } else { "click one to see it in the JSON" }}</span>
        </div>
        <ul class="problems" data-testid="policy-errors">
            <For each=move || problems.get().into_iter().enumerate() key=|(i, p)| (*i, p.pointer.clone(), p.message.clone()) let:item>
                <ProblemItem problem=item.1/>
            </For>
        </ul>
    }
}
