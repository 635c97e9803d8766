//! The app shell: shared state (signals), persistence, share links, and the page layout.

use std::sync::Arc;
use std::time::Duration;

use leptos::prelude::*;
use toolgate_engine::{ToolInfo, ValidationError, parse_policy_doc, parse_tool_list};

use crate::browser;
use crate::components::builder::Builder;
use crate::components::policy_editor::PolicyEditor;
use crate::components::results::Results;
use crate::components::tool_source::ToolSource;
use crate::components::trace_panel::TracePanel;
use crate::state::builder::PolicyModel;
use crate::state::locate::{Span, line_span, locate_pointer};
use crate::state::opening::{AsideList, Opening, keep_saved, open_shared, opening, switch_to};
use crate::state::share::{Saved, decode_fragment, encode_fragment};
use crate::state::sim::SimResult;
use crate::state::tracegen::GeneratorSpec;
use crate::state::versions::{Moment, Versions};
use toolgate_engine::lint;

/// Trace text longer than this is not written to local storage (it would crowd out the rest).
const MAX_SAVED_TRACE: usize = 2 * 1024 * 1024;

/// One validation error or lint warning of the policy, located in its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// An error (the policy is invalid) or a warning (valid, but probably not meant).
    pub is_error: bool,
    /// Lint code, for warnings.
    pub code: Option<String>,
    /// JSON pointer.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// A hint ("did you mean …").
    pub help: Option<String>,
    /// Where in the text (when it could be found).
    pub span: Option<Span>,
    /// The column the parser or validator reported (errors only).
    pub column: Option<u32>,
}

/// Timings of the last load and run, shown in the page (and read by the browser tests).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    /// From "load" to the table painted, for the last tool list.
    pub load_ms: Option<f64>,
    /// Evaluating the last run.
    pub simulate_ms: Option<f64>,
    /// From the result to the page painted, for the last run.
    pub render_ms: Option<f64>,
    /// Runs finished so far in this page.
    pub runs: u32,
}

/// The app's shared state, provided as context.
#[derive(Clone, Copy)]
pub struct AppState {
    /// The builder's model (the last valid policy).
    pub model: RwSignal<PolicyModel>,
    /// The raw policy text (may be invalid; never overwritten by a failed parse).
    pub policy_text: RwSignal<String>,
    /// The tool-list box's text.
    pub tools_text: RwSignal<String>,
    /// The loaded tools.
    pub tools: RwSignal<Arc<Vec<ToolInfo>>>,
    /// Where the loaded tools came from.
    pub tools_source: RwSignal<String>,
    /// Why the tool-list text did not load.
    pub tools_error: RwSignal<Option<ValidationError>>,
    /// The trace box's text.
    pub trace_text: RwSignal<String>,
    /// The generator's settings.
    pub generator: RwSignal<GeneratorSpec>,
    /// Whether the generator (not the text) is the trace source.
    pub use_generator: RwSignal<bool>,
    /// The last finished run.
    pub sim: RwSignal<Option<Arc<SimResult>>>,
    /// `(decided, total)` while a run is in progress.
    pub progress: RwSignal<Option<(usize, usize)>>,
    /// Which tool's rule editor is open.
    pub editing: RwSignal<Option<String>>,
    /// A place in the policy text to highlight (set by clicking a problem or a decision's rule).
    pub highlight: RwSignal<Option<Span>>,
    /// A short message in the corner, with an optional undo (the policy text to restore).
    pub toast: RwSignal<Option<(String, Option<String>)>>,
    /// Measurements.
    pub timings: RwSignal<Timings>,
    /// A share link that could not be opened.
    pub share_error: RwSignal<Option<String>>,
    /// A share link waiting for the user's choice: the work saved here differs from it.
    pub pending_link: RwSignal<Option<Saved>>,
    /// Whole states kept aside (a link not opened, or the work a link replaced), newest first.
    pub aside: RwSignal<AsideList>,
    /// Earlier versions of the policy, newest first.
    pub versions: RwSignal<Versions>,
    /// The policy version to compare with (raw JSON; empty = no comparison).
    pub compare_text: RwSignal<String>,
    /// The autosave waiting to run (a change not yet written to local storage).
    unsaved: StoredValue<Option<TimeoutHandle>>,
}

impl AppState {
    fn new() -> Self {
        AppState {
            model: RwSignal::new(PolicyModel::default()),
            policy_text: RwSignal::new(PolicyModel::default().to_json()),
            tools_text: RwSignal::new(String::new()),
            tools: RwSignal::new(Arc::new(Vec::new())),
            tools_source: RwSignal::new(String::new()),
            tools_error: RwSignal::new(None),
            trace_text: RwSignal::new(String::new()),
            generator: RwSignal::new(GeneratorSpec::default()),
            use_generator: RwSignal::new(true),
            sim: RwSignal::new(None),
            progress: RwSignal::new(None),
            editing: RwSignal::new(None),
            highlight: RwSignal::new(None),
            toast: RwSignal::new(None),
            timings: RwSignal::new(Timings::default()),
            share_error: RwSignal::new(None),
            pending_link: RwSignal::new(None),
            aside: RwSignal::new(AsideList::default()),
            versions: RwSignal::new(Versions::default()),
            compare_text: RwSignal::new(String::new()),
            unsaved: StoredValue::new(None),
        }
    }

    /// Writes the state to local storage now (the autosave does it shortly after each change;
    /// whole-state replacements and leaving the page do not wait, so another tab or a reload
    /// never sees the state from before).
    pub fn save_now(&self) {
        if let Some(h) = self.unsaved.get_value() {
            h.clear();
        }
        self.unsaved.set_value(None);
        let mut saved = self.saved();
        if saved.trace.len() > MAX_SAVED_TRACE {
            saved.trace = String::new();
        }
        if let Err(e) = browser::storage_set(browser::STORAGE_KEY, &saved.to_json()) {
            self.notify(e);
        }
    }

    /// Applies a builder edit and rewrites the JSON text from the model.
    pub fn edit_builder(&self, edit: impl FnOnce(&mut PolicyModel)) {
        self.model.update(edit);
        self.policy_text.set(self.model.with_untracked(PolicyModel::to_json));
    }

    /// Sets the JSON text; when it is a valid policy the builder follows, otherwise the builder
    /// keeps the last valid policy and the text is kept as typed.
    pub fn edit_json(&self, text: String) {
        if let Ok(doc) = parse_policy_doc(&text) {
            self.model.update(|m| m.set_doc(doc));
        }
        self.policy_text.set(text);
    }

    /// Loads tool-list text; on failure the text stays and the error says where it broke.
    pub fn load_tools(&self, text: String, source: String) -> Result<usize, ValidationError> {
        let result = parse_tool_list(&text);
        self.tools_text.set(text);
        match result {
            Ok(tools) => {
                let n = tools.len();
                self.tools.set(Arc::new(tools));
                self.tools_error.set(None);
                self.tools_source.set(source);
                Ok(n)
            }
            Err(e) => {
                self.tools_error.set(Some(e.clone()));
                Err(e)
            }
        }
    }

    /// Shows a short message.
    pub fn notify(&self, message: impl Into<String>) {
        self.toast.set(Some((message.into(), None)));
    }

    /// The state to save or share.
    pub fn saved(&self) -> Saved {
        Saved {
            policy: self.policy_text.get_untracked(),
            tools: self.tools_text.get_untracked(),
            trace: self.trace_text.get_untracked(),
            generator: Some(self.generator.get_untracked()),
            use_generator: self.use_generator.get_untracked(),
            compare: self.compare_text.get_untracked(),
        }
    }

    /// Re-reads what other tabs of this app may have written since: the states kept aside and the
    /// versions (so one tab never drops what another kept).
    fn reload_shared(&self) {
        if let Some(text) = browser::storage_get(browser::ASIDE_KEY) {
            self.aside.set(AsideList::from_json(&text));
        }
        if let Some(text) = browser::storage_get(browser::VERSIONS_KEY) {
            self.versions.set(Versions::from_json(&text));
        }
    }

    /// Records the current policy as a version (and keeps the history in local storage).
    pub fn record_version(&self, moment: Moment) {
        if let Some(text) = browser::storage_get(browser::VERSIONS_KEY) {
            self.versions.set(Versions::from_json(&text));
        }
        let policy = self.policy_text.get_untracked();
        self.versions.update(|v| v.record(&policy, moment, browser::wall_clock_ms()));
        let json = self.versions.with_untracked(Versions::to_json);
        if let Err(e) = browser::storage_set(browser::VERSIONS_KEY, &json) {
            self.notify(e);
        }
    }

    /// Replaces the whole state (policy, tools, trace, …); the policy it replaces is kept as a
    /// version.
    pub fn replace_all(&self, next: Saved) {
        self.record_version(Moment::Replaced);
        self.restore(next);
        self.save_now();
    }

    /// Writes the states kept aside to local storage (traces too big to store are dropped there,
    /// as for the main state). False, with a message, when storage refused them.
    fn persist_aside(&self) -> bool {
        let mut list = self.aside.get_untracked();
        for a in &mut list.0 {
            if a.saved.trace.len() > MAX_SAVED_TRACE {
                a.saved.trace = String::new();
            }
        }
        let result = if list.is_empty() {
            browser::storage_remove(browser::ASIDE_KEY);
            Ok(())
        } else {
            browser::storage_set(browser::ASIDE_KEY, &list.to_json())
        };
        match result {
            Ok(()) => true,
            Err(e) => {
                self.notify(format!("{e} (what was kept aside stays available until this tab is closed)"));
                false
            }
        }
    }

    /// The user opens the pending share link: the current work is kept aside.
    pub fn open_pending_link(&self) {
        let Some(shared) = self.pending_link.get_untracked() else { return };
        self.reload_shared();
        let current = self.saved();
        let mut next = None;
        self.aside.update(|a| next = Some(open_shared(current, shared, a, browser::wall_clock_ms())));
        self.pending_link.set(None);
        browser::clear_hash();
        if let Some(next) = next {
            self.replace_all(next);
        }
        if self.persist_aside() {
            self.notify("Opened the shared policy. Your previous work is kept aside (see the top of the page)");
        }
    }

    /// The user keeps the saved work: the pending link's state is kept aside.
    pub fn keep_saved_work(&self) {
        let Some(shared) = self.pending_link.get_untracked() else { return };
        self.reload_shared();
        self.aside.update(|a| keep_saved(shared, a, browser::wall_clock_ms()));
        self.pending_link.set(None);
        browser::clear_hash();
        if self.persist_aside() {
            self.notify("Kept your saved work. The shared policy is kept aside (see the top of the page)");
        }
    }

    /// Switches to the state kept aside at `index`; the current work takes its place.
    pub fn switch_to_aside(&self, index: usize) {
        let Some(index) = self.find_aside(index) else { return };
        let current = self.saved();
        let mut next = None;
        self.aside.update(|a| next = switch_to(current, index, a, browser::wall_clock_ms()));
        if let Some(next) = next {
            self.replace_all(next);
            self.persist_aside();
        }
    }

    /// Forgets the state kept aside at `index` (the user asked for it).
    pub fn discard_aside(&self, index: usize) {
        let Some(index) = self.find_aside(index) else { return };
        self.aside.update(|a| {
            a.take(index);
        });
        self.persist_aside();
    }

    /// Where the entry shown at `index` is in the list as stored now (another tab may have changed
    /// it); an entry another tab no longer keeps is put back first.
    fn find_aside(&self, index: usize) -> Option<usize> {
        let shown = self.aside.with_untracked(|a| a.0.get(index).cloned())?;
        self.reload_shared();
        let at = self.aside.with_untracked(|a| a.0.iter().position(|x| *x == shown));
        Some(at.unwrap_or_else(|| {
            self.aside.update(|a| a.0.insert(0, shown));
            0
        }))
    }

    /// Restores saved or shared state.
    pub fn restore(&self, saved: Saved) {
        let policy = if saved.policy.trim().is_empty() { PolicyModel::default().to_json() } else { saved.policy };
        self.model.set(PolicyModel::default());
        self.edit_json(policy);
        if !saved.tools.trim().is_empty() {
            let _ = self.load_tools(saved.tools, "restored".into());
        } else {
            self.tools_text.set(String::new());
            self.tools.set(Arc::new(Vec::new()));
            self.tools_error.set(None);
        }
        self.trace_text.set(saved.trace);
        self.generator.set(saved.generator.unwrap_or_default());
        self.use_generator.set(saved.use_generator);
        self.compare_text.set(saved.compare);
        self.sim.set(None);
        self.editing.set(None);
    }

    /// Every validation error (invalid policy) or lint warning (valid policy), located.
    pub fn problems(&self) -> Vec<Problem> {
        let text = self.policy_text.get();
        match parse_policy_doc(&text) {
            Err(errors) => errors
                .into_iter()
                .map(|e| {
                    let span = match (e.line, e.column) {
                        (Some(l), Some(c)) => Some(line_span(&text, l, c)),
                        _ => locate_pointer(&text, &e.pointer),
                    };
                    Problem {
                        is_error: true,
                        code: None,
                        pointer: e.pointer,
                        message: e.message,
                        help: e.help,
                        span,
                        column: e.column,
                    }
                })
                .collect(),
            Ok(None) => Vec::new(),
            Ok(Some(doc)) => self.tools.with(|tools| {
                let list = (!tools.is_empty()).then_some(tools.as_slice());
                lint(&doc, list)
                    .into_iter()
                    .map(|w| Problem {
                        is_error: false,
                        span: locate_pointer(&text, &w.pointer),
                        code: Some(w.code),
                        pointer: w.pointer,
                        message: w.message,
                        help: w.help,
                        column: None,
                    })
                    .collect()
            }),
        }
    }
}

/// At startup: the saved state, the shared state of the URL fragment, or both and a choice
/// (a link never overwrites different saved work without asking; see `state::opening`).
fn bootstrap(state: &AppState) {
    let shared = match decode_fragment(&browser::location_hash()) {
        Ok(shared) => shared,
        Err(e) => {
            state.share_error.set(Some(e));
            None
        }
    };
    let stored = browser::storage_get(browser::STORAGE_KEY).and_then(|text| Saved::from_json(&text).ok());
    state.reload_shared();
    match opening(shared, stored) {
        Opening::Restore(saved) => {
            if let Some(saved) = saved {
                state.restore(saved);
            }
        }
        Opening::OpenShared(shared) => {
            state.restore(shared);
            state.notify("Opened the shared policy, tool list and trace from the link");
            // From now on the state lives in local storage: a reload keeps later edits instead of
            // going back to the link's content.
            state.save_now();
            browser::clear_hash();
        }
        Opening::Ask { saved, shared } => {
            // The saved work stays on screen (and the link in the address bar) until the choice.
            state.restore(saved);
            state.pending_link.set(Some(shared));
        }
    }
    state.record_version(Moment::PageOpened);
}

/// Saves the state to local storage shortly after each change, and at once when the page is left
/// with a change not yet written (a reload or a closed tab loses nothing). A tab with nothing
/// unsaved writes nothing when it closes: it never overwrites what another tab saved since.
fn autosave(state: AppState) {
    Effect::new(move |_| {
        // Track everything that is saved.
        state.policy_text.track();
        state.tools_text.track();
        state.trace_text.track();
        state.generator.track();
        state.use_generator.track();
        state.compare_text.track();
        if let Some(h) = state.unsaved.get_value() {
            h.clear();
        }
        let handle = set_timeout_with_handle(move || state.save_now(), Duration::from_millis(300)).ok();
        state.unsaved.set_value(handle);
    });
    let flush = move || {
        if state.unsaved.with_value(Option::is_some) {
            state.save_now();
        }
    };
    // The handles are dropped on purpose: the listeners live as long as the page.
    let _ = window_event_listener(leptos::ev::pagehide, move |_| flush());
    let _ = window_event_listener(leptos::ev::visibilitychange, move |_| {
        if document().hidden() {
            flush();
        }
    });
}

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

/// The top bar: brand, section links, and the keep/share actions.
#[component]
fn Header() -> impl IntoView {
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
        let before = state.policy_text.get_untracked();
        state.replace_all(Saved::default());
        browser::storage_remove(browser::STORAGE_KEY);
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

/// A transient message in the corner, with Undo when the action can be undone.
#[component]
fn Toast() -> impl IntoView {
    let state = expect_context::<AppState>();
    let pending = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        if state.toast.get().is_some() {
            if let Some(h) = pending.get_value() {
                h.clear();
            }
            let h = set_timeout_with_handle(move || state.toast.set(None), Duration::from_millis(6000)).ok();
            pending.set_value(h);
        }
    });
    view! {
        <div class="toast-area" role="status" aria-live="polite">
            {move || state.toast.get().map(|(msg, undo)| view! {
                <div class="toast" data-testid="toast">
                    <span>{msg}</span>
                    {undo.map(|before| view! {
                        <button class="btn btn-small" on:click=move |_| {
                            state.edit_json(before.clone());
                            state.toast.set(None);
                        }>"Undo"</button>
                    })}
                </div>
            })}
        </div>
    }
}

/// The choice offered when a share link is opened over different saved work.
#[component]
fn LinkChoice() -> impl IntoView {
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

/// The states kept aside, each with switch / compare / discard.
#[component]
fn KeptAside() -> impl IntoView {
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
