//! Persistence: the autosave to local storage (and its flush when the page is left), the storage
//! keys, opening a share link at startup, the states kept aside, and the versions history.

use std::time::Duration;

use leptos::prelude::*;

use crate::app_state::AppState;
use crate::browser;
use crate::state::opening::{AsideList, Opening, keep_saved, open_shared, opening, switch_to};
use crate::state::share::{Saved, decode_fragment};
use crate::state::versions::{Moment, Versions};

/// The local-storage key of the app's state.
pub const STORAGE_KEY: &str = "toolgate.state.v1";
/// The local-storage key of the states kept aside (see `state::opening`).
pub const ASIDE_KEY: &str = "toolgate.aside.v1";
/// The local-storage key of the earlier policy versions (see `state::versions`).
pub const VERSIONS_KEY: &str = "toolgate.versions.v1";

/// Trace text longer than this is not written to local storage (it would crowd out the rest).
const MAX_SAVED_TRACE: usize = 2 * 1024 * 1024;

impl AppState {
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
        if let Err(e) = browser::storage_set(STORAGE_KEY, &saved.to_json()) {
            self.notify(e);
        }
    }

    /// Clears the policy, tool list and trace (the policy is kept as a version) and forgets the
    /// saved state; returns the policy text it replaced (for Undo).
    pub fn start_over(&self) -> String {
        let before = self.policy_text.get_untracked();
        self.replace_all(Saved::default());
        browser::storage_remove(STORAGE_KEY);
        before
    }

    /// Re-reads what other tabs of this app may have written since: the states kept aside and the
    /// versions (so one tab never drops what another kept).
    pub(crate) fn reload_shared(&self) {
        if let Some(text) = browser::storage_get(ASIDE_KEY) {
            self.aside.set(AsideList::from_json(&text));
        }
        if let Some(text) = browser::storage_get(VERSIONS_KEY) {
            self.versions.set(Versions::from_json(&text));
        }
    }

    /// Records the current policy as a version (and keeps the history in local storage).
    pub fn record_version(&self, moment: Moment) {
        if let Some(text) = browser::storage_get(VERSIONS_KEY) {
            self.versions.set(Versions::from_json(&text));
        }
        let policy = self.policy_text.get_untracked();
        self.versions.update(|v| v.record(&policy, moment, browser::wall_clock_ms()));
        let json = self.versions.with_untracked(Versions::to_json);
        if let Err(e) = browser::storage_set(VERSIONS_KEY, &json) {
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
    pub(crate) fn persist_aside(&self) -> bool {
        let mut list = self.aside.get_untracked();
        for a in &mut list.0 {
            if a.saved.trace.len() > MAX_SAVED_TRACE {
                a.saved.trace = String::new();
            }
        }
        let result = if list.is_empty() {
            browser::storage_remove(ASIDE_KEY);
            Ok(())
        } else {
            browser::storage_set(ASIDE_KEY, &list.to_json())
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
    pub(crate) fn find_aside(&self, index: usize) -> Option<usize> {
        let shown = self.aside.with_untracked(|a| a.0.get(index).cloned())?;
        self.reload_shared();
        let at = self.aside.with_untracked(|a| a.0.iter().position(|x| *x == shown));
        Some(at.unwrap_or_else(|| {
            self.aside.update(|a| a.0.insert(0, shown));
            0
        }))
    }
}

/// At startup: the saved state, the shared state of the URL fragment, or both and a choice
/// (a link never overwrites different saved work without asking; see `state::opening`).
pub fn bootstrap(state: &AppState) {
    let shared = match decode_fragment(&browser::location_hash()) {
        Ok(shared) => shared,
        Err(e) => {
            state.share_error.set(Some(e));
            None
        }
    };
    let stored = browser::storage_get(STORAGE_KEY).and_then(|text| Saved::from_json(&text).ok());
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
pub fn autosave(state: AppState) {
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
