//! Step 3: a trace to dry-run — generated ("N calls of X every Y ms", bursts, mixes) or pasted
//! in any form the engine reads (JSON array, `{"calls": …}`, JSON Lines, MCP JSON-RPC logs).

use std::sync::Arc;

use leptos::prelude::*;
use toolgate_engine::{ValidationError, parse_policy};

use crate::app_state::AppState;
use crate::browser;
use crate::components::compare_panel::ComparePanel;
use crate::state::locate::{line_span, utf16_offset};
use crate::state::sim::SimRun;
use crate::state::timeline::{parse_utc, to_rfc3339};
use crate::state::tracegen::{GeneratorSpec, Pattern, generate, to_jsonl};
use toolgate_engine::trace::{TraceCall, parse_trace};

/// Bundled trace samples: (file under `samples/`, label).
const TRACE_SAMPLES: [(&str, &str); 2] = [
    ("everything.calls.json", "Recorded session with server-everything (calls)"),
    ("everything.stdio.wire.jsonl", "Recorded session with server-everything (raw JSON-RPC wire log)"),
];

/// Quick settings for the generator.
const PRESETS: [(&str, Pattern, usize, u64); 5] = [
    ("Burst of 50", Pattern::Burst, 50, 0),
    ("Window-edge burst", Pattern::EdgeBurst, 40, 50),
    ("60 calls, 1/s", Pattern::Steady, 60, 1000),
    ("10 000 calls", Pattern::Steady, 10_000, 100),
    ("100 000 calls", Pattern::Steady, 100_000, 10),
];

/// How long one slice of a run may take before the page gets a turn (ms).
const SLICE_MS: f64 = 30.0;

/// Starts a dry run of the current policy over the active trace source, in slices.
fn run(state: AppState, trace_errors: RwSignal<Vec<ValidationError>>, gen_error: RwSignal<Option<String>>) {
    if state.progress.get_untracked().is_some() {
        return;
    }
    let policy = match parse_policy(&state.policy_text.get_untracked()) {
        Ok(p) => p,
        Err(errors) => {
            state.notify(format!(
                "The policy has {} error{}: fix it first (see Problems)",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            ));
            return;
        }
    };
    // The version to compare with (`None`: no comparison; `Some(None)`: the `null` policy).
    let compare = state.compare_text.get_untracked();
    let before = if compare.trim().is_empty() {
        None
    } else {
        match parse_policy(&compare) {
            Ok(p) => Some(p),
            Err(errors) => {
                state.notify(format!(
                    "The version to compare with has {} error{}: fix it or stop comparing",
                    errors.len(),
                    if errors.len() == 1 { "" } else { "s" }
                ));
                return;
            }
        }
    };
    let calls: Vec<TraceCall> = if state.use_generator.get_untracked() {
        match generate(&state.generator.get_untracked()) {
            Ok(c) => {
                gen_error.set(None);
                c
            }
            Err(e) => {
                gen_error.set(Some(e));
                return;
            }
        }
    } else {
        match parse_trace(&state.trace_text.get_untracked()) {
            Ok(c) => {
                trace_errors.set(Vec::new());
                c
            }
            Err(errors) => {
                trace_errors.set(errors);
                return;
            }
        }
    };
    let total = calls.len();
    state.record_version(crate::state::versions::Moment::DryRun);
    state.progress.set(Some((0, total)));
    leptos::task::spawn_local(async move {
        let t0 = browser::now_ms();
        let calls = Arc::new(calls);
        let mut sim = match before {
            Some(before) => SimRun::compare(before, policy, calls),
            None => SimRun::new(policy, calls),
        };
        loop {
            let slice = browser::now_ms();
            let mut done = sim.step(1000);
            while !done && browser::now_ms() - slice < SLICE_MS {
                done = sim.step(1000);
            }
            if done {
                break;
            }
            state.progress.set(Some((sim.decided(), total)));
            browser::yield_now().await;
        }
        let result = Arc::new(sim.finish());
        let simulate_ms = browser::now_ms() - t0;
        let t1 = browser::now_ms();
        state.sim.set(Some(result));
        state.progress.set(None);
        browser::after_paint().await;
        let render_ms = browser::now_ms() - t1;
        state.timings.update(|t| {
            t.simulate_ms = Some(simulate_ms);
            t.render_ms = Some(render_ms);
            t.runs += 1;
        });
    });
}

/// The trace source: generator or text.
#[component]
pub fn TracePanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let trace_errors = RwSignal::new(Vec::<ValidationError>::new());
    let gen_error = RwSignal::new(None::<String>);
    let trace_area = NodeRef::<leptos::html::Textarea>::new();
    let trace_file = NodeRef::<leptos::html::Input>::new();

    // A fresh tool list gives the generator something to call.
    Effect::new(move |_| {
        let first = state.tools.with(|t| t.first().map(|t| t.name.clone()));
        if let Some(first) = first
            && state.generator.with_untracked(|g| g.tools.is_empty())
        {
            state.generator.update(|g| g.tools = vec![first]);
        }
    });

    let set_gen = move |f: Box<dyn FnOnce(&mut GeneratorSpec)>| state.generator.update(|g| f(g));
    let to_text = move |_| match generate(&state.generator.get_untracked()) {
        Ok(calls) => {
            state.trace_text.set(to_jsonl(&calls));
            state.use_generator.set(false);
            gen_error.set(None);
        }
        Err(e) => gen_error.set(Some(e)),
    };
    let load_trace_sample = move |ev: leptos::ev::Event| {
        let select = event_target::<web_sys::HtmlSelectElement>(&ev);
        let file = select.value();
        select.set_value("");
        if file.is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            match browser::fetch_text(&format!("samples/{file}")).await {
                Ok(text) => {
                    state.trace_text.set(text);
                    trace_errors.set(Vec::new());
                }
                Err(e) => state.notify(e),
            }
        });
    };
    let on_trace_file = move |_| {
        let Some(input) = trace_file.get() else { return };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        input.set_value("");
        leptos::task::spawn_local(async move {
            match browser::read_file(&file).await {
                Ok(text) => state.trace_text.set(text),
                Err(e) => state.notify(e),
            }
        });
    };
    let show_trace_error = move |e: &ValidationError| {
        let Some(el) = trace_area.get_untracked() else { return };
        let text = state.trace_text.get_untracked();
        let span = line_span(&text, e.line.unwrap_or(1), e.column.unwrap_or(1));
        browser::select_in_textarea(
            &el,
            utf16_offset(&text, span.start),
            utf16_offset(&text, span.end),
            span.line,
            18.0,
        );
    };
    let tool_names = move || state.tools.with(|t| t.iter().map(|t| t.name.clone()).collect::<Vec<_>>());
    let generator_tab = move || state.use_generator.get();

    view! {
        <div class="card-head">
            <h2 id="dryrun-title"><span class="step">"3"</span>"Dry run"</h2>
            <p class="muted">"Replay agent calls against the policy on a virtual clock: every decision, the rule that made it, counters and retry-after."</p>
        </div>
        <div class="tabs" role="tablist" aria-label="Trace source">
            <button role="tab" class="tab" id="tab-gen" aria-controls="pane-gen" aria-selected=move || generator_tab().to_string()
                class:active=generator_tab data-testid="tab-generate" on:click=move |_| state.use_generator.set(true)>"Generate calls"</button>
            <button role="tab" class="tab" id="tab-text" aria-controls="pane-text" aria-selected=move || (!generator_tab()).to_string()
                class:active=move || !generator_tab() data-testid="tab-trace" on:click=move |_| state.use_generator.set(false)>"Paste a trace"</button>
        </div>

        <div id="pane-gen" role="tabpanel" aria-labelledby="tab-gen" class="pane" class:hidden=move || !generator_tab()>
            <div class="presets" role="group" aria-label="Presets">
                {PRESETS.into_iter().map(|(label, pattern, count, every)| view! {
                    <button class="chip-btn" data-testid="generator-preset" on:click=move |_| set_gen(Box::new(move |g| {
                        g.pattern = pattern;
                        g.count = count;
                        g.every_ms = every;
                    }))>{label}</button>
                }).collect_view()}
            </div>
            <div class="form-grid">
                <label class="field span-2">
                    <span>"Pattern"</span>
                    <select class="select" data-testid="generator-pattern" prop:value=move || state.generator.with(|g| g.pattern.as_str().to_string())
                        on:change=move |ev| { if let Some(p) = Pattern::parse(&event_target_value(&ev)) { set_gen(Box::new(move |g| g.pattern = p)); } }>
                        {Pattern::ALL.into_iter().map(|p| view! { <option value=p.as_str()>{p.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field span-2">
                    <span>"Tools to call (comma-separated)"</span>
                    <input class="input mono" type="text" list="tool-names" data-testid="generator-tools"
                        prop:value=move || state.generator.with(|g| g.tools.join(", "))
                        on:change=move |ev| {
                            let v: Vec<String> = event_target_value(&ev).split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
                            set_gen(Box::new(move |g| g.tools = v));
                        }/>
                    <datalist id="tool-names">
                        {move || tool_names().into_iter().map(|n| view! { <option value=n/> }).collect_view()}
                    </datalist>
                </label>
                <label class="field">
                    <span>"Number of calls"</span>
                    <input class="input num" type="number" min="1" step="1" data-testid="generator-count"
                        prop:value=move || state.generator.with(|g| g.count.to_string())
                        on:change=move |ev| { if let Ok(n) = event_target_value(&ev).trim().parse::<usize>() { set_gen(Box::new(move |g| g.count = n)); } }/>
                </label>
                <label class="field">
                    <span>"Every (ms)"</span>
                    <input class="input num" type="number" min="0" step="1" data-testid="generator-every"
                        prop:disabled=move || state.generator.with(|g| g.pattern == Pattern::Burst)
                        prop:value=move || state.generator.with(|g| g.every_ms.to_string())
                        on:change=move |ev| { if let Ok(n) = event_target_value(&ev).trim().parse::<u64>() { set_gen(Box::new(move |g| g.every_ms = n)); } }/>
                </label>
                <label class="field">
                    <span>"Start (UTC)"</span>
                    <input class="input mono" type="text" data-testid="generator-start"
                        prop:value=move || state.generator.with(|g| to_rfc3339(g.start_ms))
                        on:change=move |ev| {
                            match parse_utc(&event_target_value(&ev)) {
                                Some(ms) => set_gen(Box::new(move |g| g.start_ms = ms)),
                                None => gen_error.set(Some("the start must look like 2026-01-01T00:00:00Z (or Unix milliseconds)".into())),
                            }
                        }/>
                </label>
                <label class="field">
                    <span>"Grants (callers)"</span>
                    <input class="input mono" type="text" data-testid="generator-grants" placeholder="default"
                        prop:value=move || state.generator.with(|g| g.grants.join(", "))
                        on:change=move |ev| {
                            let v: Vec<String> = event_target_value(&ev).split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
                            set_gen(Box::new(move |g| g.grants = v));
                        }/>
                </label>
                <label class="field span-3">
                    <span>"Arguments of every call (JSON object)"</span>
                    <input class="input mono" type="text" data-testid="generator-args" placeholder="{\"amount\": 50}"
                        prop:value=move || state.generator.with(|g| g.args.clone())
                        on:change=move |ev| { let v = event_target_value(&ev); set_gen(Box::new(move |g| g.args = v)); }/>
                </label>
                <Show when=move || state.generator.with(|g| g.pattern == Pattern::Mix)>
                    <label class="field">
                        <span>"Seed"</span>
                        <input class="input num" type="number" min="0" step="1" data-testid="generator-seed"
                            prop:value=move || state.generator.with(|g| g.seed.to_string())
                            on:change=move |ev| { if let Ok(n) = event_target_value(&ev).trim().parse::<u64>() { set_gen(Box::new(move |g| g.seed = n)); } }/>
                    </label>
                </Show>
            </div>
            <p class="describe" data-testid="generator-description">{move || state.generator.with(GeneratorSpec::describe)}</p>
            {move || gen_error.get().map(|e| view! { <div class="inline-error" role="alert" data-testid="generator-error">{e}</div> })}
            <button class="btn btn-small btn-ghost" on:click=to_text data-testid="generator-to-text">"Copy these calls into the trace box"</button>
        </div>

        <div id="pane-text" role="tabpanel" aria-labelledby="tab-text" class="pane" class:hidden=generator_tab>
            <label for="trace-input" class="label">"Trace: a gateway --record file, JSON array, {\"calls\": […]}, JSON Lines, or MCP JSON-RPC tools/call lines"</label>
            <textarea id="trace-input" class="textarea mono" rows="8" spellcheck="false" data-testid="trace-input" node_ref=trace_area
                placeholder="{\"tool\": \"create_refund\", \"args\": {\"amount\": 50}, \"at_ms\": 1767225600000}\n{\"tool\": \"create_refund\", \"args\": {\"amount\": 50000}, \"after_ms\": 1000}"
                prop:value=move || state.trace_text.get()
                on:input=move |ev| state.trace_text.set(event_target_value(&ev))></textarea>
            <ul class="problems" data-testid="trace-errors">
                {move || trace_errors.get().into_iter().map(|e| {
                    let place = e.line.map(|l| format!("line {l}")).unwrap_or_default();
                    let e2 = e.clone();
                    view! {
                        <li class="problem problem-error" data-pointer=e.pointer.clone() data-line=e.line.map(|l| l.to_string())>
                            <button class="problem-btn" on:click=move |_| show_trace_error(&e2)>
                                <span class="sev">"✖"</span>
                                <span class="problem-body">
                                    <span class="problem-msg">{e.message.clone()}</span>
                                    <span class="problem-where">
                                        {(!place.is_empty()).then(|| view! { <span class="chip">{place.clone()}</span> })}
                                        {(!e.pointer.is_empty()).then(|| view! { <code class="ptr">{e.pointer.clone()}</code> })}
                                    </span>
                                </span>
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <div class="row-actions">
                <label class="btn btn-small">
                    "Open trace file…"
                    <input type="file" class="visually-hidden" node_ref=trace_file on:change=on_trace_file/>
                </label>
                <label class="sample-pick">
                    <span>"or a recorded one:"</span>
                    <select class="select" on:change=load_trace_sample data-testid="trace-sample">
                        <option value="">"Pick a sample…"</option>
                        {TRACE_SAMPLES.iter().map(|(f, l)| view! { <option value=*f>{*l}</option> }).collect_view()}
                    </select>
                </label>
            </div>
        </div>

        <ComparePanel/>
        <div class="run-bar">
            <button class="btn btn-primary btn-large" data-testid="run-simulation"
                on:click=move |_| run(state, trace_errors, gen_error)
                prop:disabled=move || state.progress.get().is_some()>
                {move || if state.progress.get().is_some() { "Running…" } else { "▶ Run dry run" }}
            </button>
            {move || state.progress.get().map(|(done, total)| view! {
                <div class="progress" data-testid="sim-progress" role="progressbar" aria-valuemin="0"
                    aria-valuemax=total.to_string() aria-valuenow=done.to_string()>
                    <div class="progress-fill" style=("width", format!("{:.1}%", 100.0 * done as f64 / total.max(1) as f64))></div>
                    <span>{format!("{done} / {total} calls")}</span>
                </div>
            })}
            {move || {
                let t = state.timings.get();
                t.simulate_ms.zip(t.render_ms).map(|(s, r)| view! {
                    <span class="muted small" data-testid="sim-timing" data-run=t.runs data-simulate-ms=format!("{s:.1}") data-render-ms=format!("{r:.1}")>
                        {format!("evaluated in {s:.0} ms, drawn in {r:.0} ms")}
                    </span>
                })
            }}
        </div>
    }
}
