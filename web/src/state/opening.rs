//! Opening a share link without losing the work saved in this browser.
//!
//! A link carries a whole [`Saved`] state. When this browser already holds different work, the
//! app does not replace it: it keeps showing the saved work and asks ([`Opening::Ask`]). Whichever
//! the user picks, the other one is *kept aside* ([`Aside`], in local storage) and can be switched
//! back to, compared with, or discarded on purpose: nothing typed is lost by opening a link.

use serde::{Deserialize, Serialize};

use crate::state::builder::PolicyModel;
use crate::state::share::Saved;

/// How many states are kept aside at most (the oldest goes first).
pub const MAX_ASIDE: usize = 3;

/// What the app does at startup, from the link (if any) and the saved work (if any).
#[derive(Debug, Clone, PartialEq)]
#[expect(clippy::large_enum_variant, reason = "made once, at startup")]
pub enum Opening {
    /// No share link: the saved work (if any) is restored.
    Restore(Option<Saved>),
    /// The link is opened at once: nothing is saved here, or the saved work is the link's.
    OpenShared(Saved),
    /// The saved work differs from the link's: the saved work stays on screen and the user picks.
    Ask {
        /// The saved work (restored meanwhile).
        saved: Saved,
        /// The link's state (opened only if the user asks for it).
        shared: Saved,
    },
}

/// Decides what opening the page does. `shared`: the link's state; `stored`: local storage's.
pub fn opening(shared: Option<Saved>, stored: Option<Saved>) -> Opening {
    match (shared, stored) {
        (None, stored) => Opening::Restore(stored),
        (Some(shared), None) => Opening::OpenShared(shared),
        (Some(shared), Some(saved)) if !has_work(&saved) || same_work(&saved, &shared) => Opening::OpenShared(shared),
        (Some(shared), Some(saved)) => Opening::Ask { saved, shared },
    }
}

/// Whether a state holds anything the user made: a policy other than the empty default, a tool
/// list, a trace, or generator settings of their own.
pub fn has_work(saved: &Saved) -> bool {
    let policy = saved.policy.trim();
    let default_policy = PolicyModel::default().to_json();
    (!policy.is_empty() && policy != default_policy.trim())
        || !saved.tools.trim().is_empty()
        || !saved.trace.trim().is_empty()
        || !saved.compare.trim().is_empty()
        || saved.generator.as_ref().is_some_and(|g| *g != Default::default())
}

/// Whether two states hold the same work (texts and generator settings; which tab was open does
/// not count).
pub fn same_work(a: &Saved, b: &Saved) -> bool {
    a.policy == b.policy
        && a.tools == b.tools
        && a.trace == b.trace
        && a.compare == b.compare
        && a.generator.clone().unwrap_or_default() == b.generator.clone().unwrap_or_default()
}

/// Where a state kept aside came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The work this browser held before a share link replaced it.
    BeforeLink,
    /// A share link's state the user chose not to open (or switched away from).
    Link,
}

impl Origin {
    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Origin::BeforeLink => "your work from before you opened a share link",
            Origin::Link => "the policy, tools and trace of a share link",
        }
    }
}

/// A whole state kept aside, recoverable until discarded on purpose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aside {
    /// Where it came from.
    pub origin: Origin,
    /// When it was put aside (Unix ms, for display only).
    pub at_ms: f64,
    /// The state.
    pub saved: Saved,
}

/// The states kept aside, newest first (at most [`MAX_ASIDE`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AsideList(pub Vec<Aside>);

impl AsideList {
    /// The JSON kept in local storage.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads [`AsideList::to_json`]; anything unreadable is an empty list (the main state does
    /// not depend on it).
    pub fn from_json(text: &str) -> AsideList {
        serde_json::from_str(text).unwrap_or_default()
    }

    /// Puts a state aside (newest first). A state with no work, or the same work as one already
    /// kept, is not kept twice; beyond [`MAX_ASIDE`] the oldest goes.
    pub fn push(&mut self, aside: Aside) {
        if !has_work(&aside.saved) {
            return;
        }
        self.0.retain(|a| !same_work(&a.saved, &aside.saved));
        self.0.insert(0, aside);
        self.0.truncate(MAX_ASIDE);
    }

    /// Takes the state at `index` out of the list.
    pub fn take(&mut self, index: usize) -> Option<Aside> {
        (index < self.0.len()).then(|| self.0.remove(index))
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The user opened the link: it becomes the current state, the current work is kept aside.
/// Returns the new current state.
pub fn open_shared(current: Saved, shared: Saved, aside: &mut AsideList, now_ms: f64) -> Saved {
    aside.push(Aside { origin: Origin::BeforeLink, at_ms: now_ms, saved: current });
    shared
}

/// The user kept the saved work: the link's state is kept aside (it can still be opened).
pub fn keep_saved(shared: Saved, aside: &mut AsideList, now_ms: f64) {
    aside.push(Aside { origin: Origin::Link, at_ms: now_ms, saved: shared });
}

/// Switches to the state kept aside at `index`; the current state takes its place in the list.
/// Returns the state to restore (`None`: no such entry, nothing changes).
pub fn switch_to(current: Saved, index: usize, aside: &mut AsideList, now_ms: f64) -> Option<Saved> {
    let picked = aside.take(index)?;
    let origin = match picked.origin {
        Origin::BeforeLink => Origin::Link,
        Origin::Link => Origin::BeforeLink,
    };
    aside.push(Aside { origin, at_ms: now_ms, saved: current });
    Some(picked.saved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::tracegen::GeneratorSpec;

    fn work(policy: &str) -> Saved {
        Saved {
            policy: policy.into(),
            tools: "{\"tools\": [{\"name\": \"a\"}]}".into(),
            trace: "{\"tool\": \"a\"}".into(),
            generator: Some(GeneratorSpec::default()),
            use_generator: false,
            compare: String::new(),
        }
    }

    const MINE: &str = "{\"version\": \"1\", \"default\": \"deny\", \"tools\": {\"a\": {}}}";
    const THEIRS: &str = "{\"version\": \"1\", \"default\": \"allow\"}";

    #[test]
    fn without_a_link_the_saved_work_is_restored() {
        assert_eq!(opening(None, Some(work(MINE))), Opening::Restore(Some(work(MINE))));
        assert_eq!(opening(None, None), Opening::Restore(None));
    }

    #[test]
    fn a_link_opens_at_once_when_nothing_is_saved_or_the_saved_work_is_blank() {
        assert_eq!(opening(Some(work(THEIRS)), None), Opening::OpenShared(work(THEIRS)));
        let blank = Saved {
            policy: PolicyModel::default().to_json(),
            generator: Some(GeneratorSpec::default()),
            ..Saved::default()
        };
        assert!(!has_work(&blank));
        assert!(!has_work(&Saved::default()));
        assert_eq!(opening(Some(work(THEIRS)), Some(blank)), Opening::OpenShared(work(THEIRS)));
    }

    #[test]
    fn a_link_to_the_same_work_opens_without_asking() {
        let mut tab_differs = work(MINE);
        tab_differs.use_generator = true;
        assert_eq!(opening(Some(work(MINE)), Some(tab_differs)), Opening::OpenShared(work(MINE)));
        let mut no_generator = work(MINE);
        no_generator.generator = None;
        assert!(same_work(&no_generator, &work(MINE)));
    }

    #[test]
    fn a_link_over_different_saved_work_asks_instead_of_overwriting() {
        assert_eq!(
            opening(Some(work(THEIRS)), Some(work(MINE))),
            Opening::Ask { saved: work(MINE), shared: work(THEIRS) }
        );
        // Any typed difference counts: the trace alone, or the generator's settings.
        let mut trace_only = work(THEIRS);
        trace_only.trace.push('\n');
        assert!(matches!(opening(Some(work(THEIRS)), Some(trace_only)), Opening::Ask { .. }));
        let mut settings = work(THEIRS);
        settings.generator = Some(GeneratorSpec { count: 7, ..GeneratorSpec::default() });
        assert!(matches!(opening(Some(work(THEIRS)), Some(settings)), Opening::Ask { .. }));
    }

    #[test]
    fn opening_the_link_keeps_the_saved_work_aside_and_switching_back_restores_it() {
        let mut aside = AsideList::default();
        let current = open_shared(work(MINE), work(THEIRS), &mut aside, 1.0);
        assert_eq!(current, work(THEIRS));
        assert_eq!(aside.0.len(), 1);
        assert_eq!((aside.0[0].origin, &aside.0[0].saved), (Origin::BeforeLink, &work(MINE)));
        // Back to my work: the link's state (as edited since) takes its place.
        let mut edited = current;
        edited.policy.push(' ');
        let back = switch_to(edited.clone(), 0, &mut aside, 2.0).unwrap();
        assert_eq!(back, work(MINE));
        assert_eq!((aside.0[0].origin, &aside.0[0].saved), (Origin::Link, &edited));
        assert_eq!(switch_to(back, 5, &mut aside, 3.0), None);
        assert_eq!(aside.0.len(), 1);
    }

    #[test]
    fn keeping_the_saved_work_keeps_the_link_recoverable() {
        let mut aside = AsideList::default();
        keep_saved(work(THEIRS), &mut aside, 1.0);
        assert_eq!((aside.0[0].origin, &aside.0[0].saved), (Origin::Link, &work(THEIRS)));
        let opened = switch_to(work(MINE), 0, &mut aside, 2.0).unwrap();
        assert_eq!(opened, work(THEIRS));
        assert_eq!((aside.0[0].origin, &aside.0[0].saved), (Origin::BeforeLink, &work(MINE)));
    }

    #[test]
    fn the_aside_list_is_bounded_deduplicated_and_survives_storage() {
        let mut aside = AsideList::default();
        for i in 0..5 {
            aside.push(Aside { origin: Origin::Link, at_ms: f64::from(i), saved: work(&format!("{i}")) });
        }
        aside.push(Aside { origin: Origin::Link, at_ms: 9.0, saved: work("3") });
        aside.push(Aside { origin: Origin::Link, at_ms: 9.0, saved: Saved::default() });
        let policies: Vec<&str> = aside.0.iter().map(|a| a.saved.policy.as_str()).collect();
        assert_eq!(policies, ["3", "4", "2"]);
        assert_eq!(AsideList::from_json(&aside.to_json()), aside);
        assert_eq!(AsideList::from_json("not json"), AsideList::default());
        assert!(aside.take(3).is_none() && aside.take(0).is_some());
    }
}
