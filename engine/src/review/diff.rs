//! `toolgate diff`: what changes between two versions of a policy.
//!
//! Without a trace, [`diff_rules`] compares the documents entry by entry. With a trace, a
//! [`Replay`] runs every call through both policies — each engine with its own counters, from
//! empty, through the simulator's [`step`] — and [`diff`] keeps every call
//! whose decision changes (outcome or rule), with both decisions.
//!
//! ```
//! use toolgate_engine::parse_policy;
//! use toolgate_engine::review::diff_text;
//!
//! let old = parse_policy(r#"{"version":"1","default":"deny","tools":{"search":{
//!   "limits":[{"counter":"s","window":"minute","max":3}]}}}"#).unwrap();
//! let new = parse_policy(r#"{"version":"1","default":"deny","tools":{"search":{
//!   "limits":[{"counter":"s","window":"minute","max":2}]}}}"#).unwrap();
//! let trace = "{\"tool\":\"search\",\"at_ms\":0}\n{\"tool\":\"search\"}\n{\"tool\":\"search\"}\n";
//! let d = diff_text(old.as_ref(), new.as_ref(), Some(trace)).unwrap();
//! assert_eq!(d.rules.changed, ["/tools/search/limits/0"]);
//! assert_eq!(d.changes.len(), 1);
//! assert_eq!(d.changes[0].index, 2);
//! assert_eq!(d.summary.transitions["allow->rate_limited"], 1);
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::eval::decision::Decision;
use crate::eval::evaluate::{Engine, Policy};
use crate::json::pointer;
use crate::policy::validate::ValidationError;
use crate::policy::{DefaultAction, Limit, PolicyDoc, RequireEntry, Rule};
use crate::trace::{Summary, TraceCall, parse_trace, step};

/// The rule-level difference of two documents: pointers of entries added (into the new
/// document), removed (into the old one) and changed (into the new one), in document order.
///
/// The entries compared are `/default`, each `hide` name, each `all_tools` limit, each tool, and
/// each `require`, `deny_if` and `limits` entry of a tool present in both. A tool added or
/// removed as a whole is reported once, by its pointer (`/tools/<name>`). `hide` names are matched
/// by name, so reordering the list changes nothing; other entries are matched by position.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleDiff {
    /// Entries only in the new document.
    pub added: Vec<String>,
    /// Entries only in the old document.
    pub removed: Vec<String>,
    /// Entries in both, with a different value.
    pub changed: Vec<String>,
}

impl RuleDiff {
    /// True when the documents have the same entries.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// What an entry holds, compared as the document types (no JSON conversion).
#[derive(PartialEq)]
enum Held<'d> {
    /// An entry whose presence is all there is (a `hide` name, a tool).
    Present,
    Default(DefaultAction),
    Require(&'d RequireEntry),
    Rule(&'d Rule),
    Limit(&'d Limit),
}

/// One entry of a document: the key it is matched by, its pointer, what it holds, and the key of
/// the tool it belongs to (for a tool's rule entries).
struct Entry<'d> {
    key: String,
    pointer: String,
    value: Held<'d>,
    tool: Option<String>,
}

/// The comparable entries of a document, in document order. Tools contribute their own entry
/// (the key `tool:<name>`), then their rule entries.
fn entries(doc: Option<&PolicyDoc>) -> Vec<Entry<'_>> {
    let Some(doc) = doc else { return Vec::new() };
    let default = Held::Default(doc.default);
    let mut out = vec![Entry { key: "/default".into(), pointer: "/default".into(), value: default, tool: None }];
    for (i, name) in doc.hide.iter().flatten().enumerate() {
        let p = pointer(["hide", &i.to_string()]);
        out.push(Entry { key: format!("hide:{name}"), pointer: p, value: Held::Present, tool: None });
    }
    for (i, l) in doc.all_tools.iter().flat_map(|a| a.limits.iter().flatten()).enumerate() {
        let p = pointer(["all_tools", "limits", &i.to_string()]);
        out.push(Entry { key: p.clone(), pointer: p, value: Held::Limit(l), tool: None });
    }
    for (name, rules) in doc.tools.iter().flatten() {
        let tool = format!("tool:{name}");
        out.push(Entry { key: tool.clone(), pointer: pointer(["tools", name]), value: Held::Present, tool: None });
        let kinds: [(&str, Vec<Held<'_>>); 3] = [
            ("require", rules.require.iter().flatten().map(Held::Require).collect()),
            ("deny_if", rules.deny_if.iter().flatten().map(Held::Rule).collect()),
            ("limits", rules.limits.iter().flatten().map(Held::Limit).collect()),
        ];
        for (kind, values) in kinds {
            for (i, value) in values.into_iter().enumerate() {
                let p = pointer(["tools", name, kind, &i.to_string()]);
                out.push(Entry { key: p.clone(), pointer: p, value, tool: Some(tool.clone()) });
            }
        }
    }
    out
}

/// Compares two documents entry by entry (`None` is the document `null`: no entries).
pub fn diff_rules(before: Option<&PolicyDoc>, after: Option<&PolicyDoc>) -> RuleDiff {
    let old = entries(before);
    let new = entries(after);
    let old_by_key: BTreeMap<&str, &Entry> = old.iter().map(|e| (e.key.as_str(), e)).collect();
    let new_by_key: BTreeMap<&str, &Entry> = new.iter().map(|e| (e.key.as_str(), e)).collect();
    let mut d = RuleDiff::default();
    // An entry of a tool added or removed as a whole is covered by the tool's own entry.
    let whole_tool =
        |e: &Entry, other: &BTreeMap<&str, &Entry>| e.tool.as_deref().is_some_and(|t| !other.contains_key(t));
    for e in &old {
        if !new_by_key.contains_key(e.key.as_str()) && !whole_tool(e, &new_by_key) {
            d.removed.push(e.pointer.clone());
        }
    }
    for e in &new {
        match old_by_key.get(e.key.as_str()) {
            None if !whole_tool(e, &old_by_key) => d.added.push(e.pointer.clone()),
            Some(o) if o.value != e.value => d.changed.push(e.pointer.clone()),
            _ => {}
        }
    }
    d
}

/// A call whose decision changes: the call, and its decision under each policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// 0-based index of the call in the trace.
    pub index: usize,
    /// Tool name.
    pub tool: String,
    /// Caller identity.
    pub grant: String,
    /// Time of the call (Unix ms).
    pub at_ms: u64,
    /// The decision under the old policy.
    pub before: Decision,
    /// The decision under the new policy.
    pub after: Decision,
}

/// Counts of a replay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffSummary {
    /// Calls replayed.
    pub calls: usize,
    /// Calls whose decision changes.
    pub changed: usize,
    /// Changed calls by transition, `"<before outcome>-><after outcome>"` (`"deny->deny"` when
    /// only the deciding rule changes), sorted.
    pub transitions: BTreeMap<String, usize>,
    /// Outcome counts under the old policy.
    pub before: Summary,
    /// Outcome counts under the new policy.
    pub after: Summary,
}

/// True when the decision changes: another outcome, or another deciding rule.
pub fn decision_changed(before: &Decision, after: &Decision) -> bool {
    before.outcome != after.outcome || before.rule != after.rule
}

/// The transition key of two decisions: `allow->deny`, `deny->deny`, ….
pub fn transition(before: &Decision, after: &Decision) -> String {
    format!("{}->{}", before.outcome.as_str(), after.outcome.as_str())
}

/// A trace replayed through two policies at once, call by call: each side is an engine with its
/// own counters, from empty, stepped by the simulator. Feed calls in order with [`Replay::step`]
/// (in slices, if the host must stay responsive); the counts accumulate in [`Replay::summary`].
#[derive(Debug, Clone)]
pub struct Replay {
    before: Engine,
    after: Engine,
    summary: DiffSummary,
}

impl Replay {
    /// A replay from empty counters. `None` is "no policy attached" (every call denied).
    pub fn new(before: Option<&Policy>, after: Option<&Policy>) -> Self {
        Replay {
            before: Engine::new(before.cloned()),
            after: Engine::new(after.cloned()),
            summary: DiffSummary::default(),
        }
    }

    /// Decides the next call under both policies (releasing its quota on each side when the
    /// upstream failed) and counts it. Returns `(before, after)`.
    pub fn step(&mut self, call: &TraceCall) -> (Decision, Decision) {
        let before = step(&mut self.before, &mut self.summary.before, call);
        let after = step(&mut self.after, &mut self.summary.after, call);
        self.summary.calls += 1;
        if decision_changed(&before, &after) {
            self.summary.changed += 1;
            *self.summary.transitions.entry(transition(&before, &after)).or_insert(0) += 1;
        }
        (before, after)
    }

    /// The counts so far.
    pub fn summary(&self) -> &DiffSummary {
        &self.summary
    }

    /// The counts, consuming the replay.
    pub fn into_summary(self) -> DiffSummary {
        self.summary
    }
}

/// The whole answer of `toolgate diff` (`interfaces.md` § Policy change safety).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyDiff {
    /// The rule-level difference.
    pub rules: RuleDiff,
    /// Whether a trace was replayed (`false`: `changes` is empty and `summary` counts nothing).
    pub replayed: bool,
    /// Every call whose decision changes, in trace order.
    pub changes: Vec<Change>,
    /// Counts of the replay.
    pub summary: DiffSummary,
}

impl PolicyDiff {
    /// True when something differs: a changed decision after a replay, a rule-level difference
    /// without one (what `--fail-on-change` fails on).
    pub fn has_changes(&self) -> bool {
        if self.replayed { self.summary.changed > 0 } else { !self.rules.is_empty() }
    }
}

/// Compares two policies; with calls, replays them through both.
pub fn diff(before: Option<&Policy>, after: Option<&Policy>, calls: Option<&[TraceCall]>) -> PolicyDiff {
    let rules = diff_rules(before.map(Policy::doc), after.map(Policy::doc));
    let mut replay = Replay::new(before, after);
    let mut changes = Vec::new();
    for (index, call) in calls.into_iter().flatten().enumerate() {
        let (b, a) = replay.step(call);
        if decision_changed(&b, &a) {
            changes.push(Change {
                index,
                tool: call.tool.clone(),
                grant: call.grant.clone(),
                at_ms: call.at_ms,
                before: b,
                after: a,
            });
        }
    }
    PolicyDiff { rules, replayed: calls.is_some(), changes, summary: replay.into_summary() }
}

/// [`diff`] with the trace as text (every form [`parse_trace`] reads); errors are the trace's.
pub fn diff_text(
    before: Option<&Policy>,
    after: Option<&Policy>,
    trace: Option<&str>,
) -> Result<PolicyDiff, Vec<ValidationError>> {
    let calls = trace.map(parse_trace).transpose()?;
    Ok(diff(before, after, calls.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::decision::Outcome;
    use crate::eval::evaluate::parse_policy;

    fn policy(text: &str) -> Policy {
        parse_policy(text).unwrap().unwrap()
    }

    #[test]
    fn identical_documents_have_no_rule_difference() {
        let p = policy(
            r#"{"version":"1","default":"deny","hide":["x"],"all_tools":{"limits":[{"counter":"c","window":"minute","max":1}]},
            "tools":{"a":{"require":["args.r"],"deny_if":[{"conditions":[]}],"limits":[{"counter":"d","window":"hour","max":2}]}}}"#,
        );
        assert!(diff_rules(Some(p.doc()), Some(p.doc())).is_empty());
        assert!(diff_rules(None, None).is_empty());
    }

    #[test]
    fn entries_are_added_removed_and_changed_by_pointer() {
        let old = policy(
            r#"{"version":"1","default":"deny","hide":["x","y"],"tools":{"a":{"require":["args.r"],"deny_if":[{"conditions":[]}]},"gone":{"require":["args.q"]}}}"#,
        );
        let new = policy(
            r#"{"version":"1","default":"allow","hide":["y","z"],"tools":{"a":{"require":["args.s"],"limits":[{"counter":"d","window":"hour","max":2}]},"fresh":{"deny_if":[{"conditions":[]}]}}}"#,
        );
        let d = diff_rules(Some(old.doc()), Some(new.doc()));
        assert_eq!(d.removed, ["/hide/0", "/tools/a/deny_if/0", "/tools/gone"]);
        assert_eq!(d.added, ["/hide/1", "/tools/a/limits/0", "/tools/fresh"]);
        assert_eq!(d.changed, ["/default", "/tools/a/require/0"]);
        let none = diff_rules(None, Some(new.doc()));
        assert_eq!(none.added.first().map(String::as_str), Some("/default"));
        assert!(none.removed.is_empty());
    }

    #[test]
    fn a_replay_keeps_separate_counters_for_each_policy() {
        let old = policy(
            r#"{"version":"1","default":"deny","tools":{"s":{"limits":[{"counter":"c","window":"minute","max":1}]}}}"#,
        );
        let new = policy(
            r#"{"version":"1","default":"deny","tools":{"s":{"limits":[{"counter":"c","window":"minute","max":2}]}}}"#,
        );
        let calls = parse_trace(r#"[{"tool":"s","at_ms":0},{"tool":"s"},{"tool":"s"}]"#).unwrap();
        let d = diff(Some(&old), Some(&new), Some(&calls));
        assert_eq!(d.changes.len(), 1);
        assert_eq!(d.changes[0].index, 1);
        assert_eq!((d.changes[0].before.outcome, d.changes[0].after.outcome), (Outcome::RateLimited, Outcome::Allow));
        assert_eq!(d.summary.transitions.get("rate_limited->allow"), Some(&1));
        assert_eq!((d.summary.before.allowed, d.summary.after.allowed), (1, 2));
        assert!(d.has_changes());
    }
}
