//! The app's shared state: signals for the policy, tools, trace, run and view, provided as context.
//! Components read and write it; the logic lives in plain Rust under [`crate::state`], and
//! saving, share links and versions in [`crate::persist`].

use std::sync::Arc;

use leptos::prelude::*;
use toolgate_engine::{ToolInfo, ValidationError, lint, parse_policy_doc, parse_tool_list};

use crate::state::builder::PolicyModel;
use crate::state::locate::{Span, line_span, locate_pointer};
use crate::state::opening::AsideList;
use crate::state::share::Saved;
use crate::state::sim::SimResult;
use crate::state::tracegen::GeneratorSpec;
use crate::state::versions::Versions;

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
    pub(crate) unsaved: StoredValue<Option<TimeoutHandle>>,
}

impl AppState {
    pub(crate) fn new() -> Self {
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
