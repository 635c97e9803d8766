//! Earlier versions of the policy, kept in this browser so a change can be compared with what
//! came before ("compare with the previous version").
//!
//! A version is recorded when the page opens (the policy the session starts from), before the
//! policy is replaced as a whole (a file opened, a suggestion applied, "start over", switching to
//! another state), and at each dry run. Consecutive identical texts are kept once; the newest
//! [`MAX_VERSIONS`] are kept.

use serde::{Deserialize, Serialize};

/// How many versions are kept.
pub const MAX_VERSIONS: usize = 12;

/// Why a version was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Moment {
    /// The policy the page opened with.
    PageOpened,
    /// The policy of a dry run.
    DryRun,
    /// The policy before it was replaced as a whole.
    Replaced,
}

impl Moment {
    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Moment::PageOpened => "when the page was opened",
            Moment::DryRun => "dry run",
            Moment::Replaced => "before it was replaced",
        }
    }
}

/// One earlier policy text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    /// The raw policy text.
    pub policy: String,
    /// Why it was recorded.
    pub moment: Moment,
    /// When (Unix ms, for display only).
    pub at_ms: f64,
}

/// The versions, newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Versions(pub Vec<Version>);

impl Versions {
    /// The JSON kept in local storage.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads [`Versions::to_json`]; anything unreadable is an empty history.
    pub fn from_json(text: &str) -> Versions {
        serde_json::from_str(text).unwrap_or_default()
    }

    /// Records a version (not when it is blank or the same text as the newest one; a dry run of
    /// the newest text updates its time instead).
    pub fn record(&mut self, policy: &str, moment: Moment, at_ms: f64) {
        if policy.trim().is_empty() {
            return;
        }
        if let Some(newest) = self.0.first_mut()
            && newest.policy == policy
        {
            if moment == Moment::DryRun {
                newest.at_ms = at_ms;
            }
            return;
        }
        self.0.insert(0, Version { policy: policy.to_string(), moment, at_ms });
        self.0.truncate(MAX_VERSIONS);
    }

    /// The newest version whose text differs from `current`: what "the previous version" means.
    pub fn previous(&self, current: &str) -> Option<&Version> {
        self.0.iter().find(|v| v.policy != current)
    }

    /// The versions that differ from `current`, newest first, with their index in the history.
    pub fn others<'a>(&'a self, current: &'a str) -> impl Iterator<Item = (usize, &'a Version)> + 'a {
        self.0.iter().enumerate().filter(move |(_, v)| v.policy != current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_previous_version_is_the_newest_one_that_differs() {
        let mut v = Versions::default();
        v.record("A", Moment::PageOpened, 1.0);
        v.record("B", Moment::DryRun, 2.0);
        assert_eq!(v.previous("B").map(|x| x.policy.as_str()), Some("A"));
        assert_eq!(v.previous("C").map(|x| x.policy.as_str()), Some("B"));
        assert_eq!(v.previous("A").map(|x| x.policy.as_str()), Some("B"));
        assert_eq!(Versions::default().previous("A"), None);
        assert_eq!(v.others("B").map(|(i, _)| i).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn repeated_runs_of_one_text_are_kept_once_with_the_latest_time() {
        let mut v = Versions::default();
        v.record("A", Moment::PageOpened, 1.0);
        v.record("A", Moment::DryRun, 5.0);
        v.record("A", Moment::Replaced, 9.0);
        v.record("   ", Moment::DryRun, 9.0);
        assert_eq!(v.0, [Version { policy: "A".into(), moment: Moment::PageOpened, at_ms: 5.0 }]);
    }

    #[test]
    fn the_history_is_bounded_and_survives_storage() {
        let mut v = Versions::default();
        for i in 0..(MAX_VERSIONS + 5) {
            v.record(&i.to_string(), Moment::DryRun, i as f64);
        }
        assert_eq!(v.0.len(), MAX_VERSIONS);
        assert_eq!(v.0[0].policy, (MAX_VERSIONS + 4).to_string());
        assert_eq!(Versions::from_json(&v.to_json()), v);
        assert_eq!(Versions::from_json("{"), Versions::default());
    }
}
