//! Rule coverage: how many calls each entry of a policy decided, and the entries no call reached.
//!
//! The entries, in document order, each with the label it is reported under:
//!
//! | pointer | rule | counts |
//! |---|---|---|
//! | `/default` | `(default deny)` or `(default allow)` | calls to tools not listed under `tools`, refused (deny) or allowed (allow) |
//! | `/hide/<i>` | `(hidden)` | calls refused because that `hide` name (or `"*"`) hides the tool |
//! | `/all_tools/limits/<i>` | the limit's rule id | calls it rate-limited |
//! | `/tools/<name>` | `(allowed)` | calls to that tool that were allowed |
//! | `/tools/<name>/require/<i>` | the entry's rule id | calls it denied |
//! | `/tools/<name>/deny_if/<i>` | the entry's rule id | calls it denied |
//! | `/tools/<name>/limits/<i>` | the limit's rule id | calls it rate-limited |
//!
//! Every call decided by a policy counts toward exactly one entry, except a call whose arguments
//! are not an object (rule `(invalid arguments)`), which no entry decided. Under no policy
//! (`null`) there are no entries.
//!
//! ```
//! use toolgate_engine::parse_policy;
//! use toolgate_engine::review::CoverageTally;
//! use toolgate_engine::trace::{parse_trace, simulate};
//!
//! let p = parse_policy(r#"{"version":"1","default":"deny","tools":{"refund":{
//!   "deny_if":[{"conditions":[{"path":"args.amount","op":"gt","value":100}]}]}}}"#).unwrap();
//! let calls = parse_trace(r#"[{"tool":"refund","args":{"amount":5}},{"tool":"other"}]"#).unwrap();
//! let mut tally = CoverageTally::new(p.as_ref());
//! for d in simulate(p.as_ref(), &calls).decisions {
//!     tally.record(&d.tool, &d.decision);
//! }
//! let c = tally.coverage();
//! assert_eq!(c.uncovered, ["/tools/refund/deny_if/0"]);
//! assert_eq!(c.entries[0].hits, 1); // `/default`: the call to `other`
//! ```

use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};

use crate::eval::decision::{Decision, Outcome};
use crate::eval::evaluate::{Policy, RULE_DEFAULT_DENY, RULE_HIDDEN};
use crate::json::pointer;
use crate::policy::DefaultAction;

/// Label of a tool entry (calls allowed).
pub const RULE_ALLOWED: &str = "(allowed)";
/// Label of `/default` under `default: "allow"`.
pub const RULE_DEFAULT_ALLOW: &str = "(default allow)";

/// One entry and how many calls it decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageEntry {
    /// RFC 6901 pointer to the entry in the policy.
    pub pointer: String,
    /// The rule id decisions carry for it (or the label of the table above).
    pub rule: String,
    /// Calls it decided.
    pub hits: u64,
}

/// Hits per entry, and the pointers of the entries that decided nothing
/// (`"coverage"` in the JSON of `simulate --coverage` and `test --coverage`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Every entry, in document order.
    pub entries: Vec<CoverageEntry>,
    /// Pointers of the entries with 0 hits, in document order.
    pub uncovered: Vec<String>,
}

/// Counts hits while decisions are made: [`CoverageTally::record`] each decision, then read
/// [`CoverageTally::coverage`].
#[derive(Debug, Clone, Default)]
pub struct CoverageTally {
    entries: Vec<CoverageEntry>,
    /// Decision pointer → entry (require, deny_if, limits).
    by_pointer: HashMap<String, usize>,
    /// Listed tool → its `/tools/<name>` entry.
    tools: HashMap<String, usize>,
    /// Hidden name → its first `hide` entry.
    hidden: HashMap<String, usize>,
    /// The first `"*"` entry of `hide`.
    hide_all: Option<usize>,
    /// The `/default` entry.
    default: Option<usize>,
}

impl CoverageTally {
    /// The entries of a policy, all at 0 hits (none for no policy).
    pub fn new(policy: Option<&Policy>) -> Self {
        let mut t = CoverageTally::default();
        let Some(policy) = policy else { return t };
        let doc = policy.doc();
        let default_label = match doc.default {
            DefaultAction::Deny => RULE_DEFAULT_DENY,
            DefaultAction::Allow => RULE_DEFAULT_ALLOW,
        };
        t.default = Some(t.push("/default".into(), default_label));
        for (i, name) in doc.hide.iter().flatten().enumerate() {
            let at = t.push(pointer(["hide", &i.to_string()]), RULE_HIDDEN);
            if name == "*" {
                t.hide_all.get_or_insert(at);
            } else {
                t.hidden.entry(name.clone()).or_insert(at);
            }
        }
        for l in &policy.all_tools {
            let at = t.push(l.pointer.to_string(), &l.rule);
            t.by_pointer.insert(l.pointer.to_string(), at);
        }
        for name in doc.tools.iter().flat_map(|tools| tools.keys()) {
            let at = t.push(pointer(["tools", name]), RULE_ALLOWED);
            t.tools.insert(name.clone(), at);
            let Some(compiled) = policy.tools.get(name.as_str()) else { continue };
            let rules = compiled.require.iter().chain(&compiled.deny_if).map(|r| (&*r.pointer, &*r.rule));
            for (p, rule) in rules.chain(compiled.limits.iter().map(|l| (&*l.pointer, &*l.rule))) {
                let at = t.push(p.to_string(), rule);
                t.by_pointer.insert(p.to_string(), at);
            }
        }
        t
    }

    fn push(&mut self, pointer: String, rule: &str) -> usize {
        self.entries.push(CoverageEntry { pointer, rule: rule.to_string(), hits: 0 });
        self.entries.len() - 1
    }

    /// The entry that decided a call to `tool`, if any.
    pub fn entry_of(&self, tool: &str, decision: &Decision) -> Option<usize> {
        match (decision.outcome, &decision.pointer) {
            (_, Some(p)) => self.by_pointer.get(&**p).copied(),
            (Outcome::Hidden, None) => self.hidden.get(tool).copied().or(self.hide_all),
            (Outcome::Allow, None) => self.tools.get(tool).copied().or(self.default),
            (Outcome::Deny, None) if &*decision.rule == RULE_DEFAULT_DENY => self.default,
            _ => None,
        }
    }

    /// Counts one decision of a call to `tool`.
    pub fn record(&mut self, tool: &str, decision: &Decision) {
        if let Some(e) = self.entry_of(tool, decision).and_then(|i| self.entries.get_mut(i)) {
            e.hits = e.hits.saturating_add(1);
        }
    }

    /// The hits so far.
    pub fn coverage(&self) -> Coverage {
        Coverage {
            entries: self.entries.clone(),
            uncovered: self.entries.iter().filter(|e| e.hits == 0).map(|e| e.pointer.clone()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::evaluate::parse_policy;
    use crate::trace::{parse_trace, simulate};

    fn hits(policy: &str, trace: &str) -> Coverage {
        let p = parse_policy(policy).unwrap();
        let mut tally = CoverageTally::new(p.as_ref());
        for d in simulate(p.as_ref(), &parse_trace(trace).unwrap()).decisions {
            tally.record(&d.tool, &d.decision);
        }
        tally.coverage()
    }

    #[test]
    fn every_decided_call_counts_toward_exactly_one_entry() {
        let c = hits(
            r#"{"version":"1","default":"deny","hide":["h"],
            "all_tools":{"limits":[{"counter":"all","window":"minute","max":5}]},
            "tools":{"t":{"require":["args.r"],"deny_if":[{"conditions":[{"path":"args.n","op":"gt","value":1}]}],
            "limits":[{"counter":"c","window":"minute","max":1}]}}}"#,
            r#"[{"tool":"t","args":{"r":1},"at_ms":0},{"tool":"t","args":{"r":1}},{"tool":"t"},{"tool":"t","args":{"r":1,"n":2}},
            {"tool":"h"},{"tool":"other"}]"#,
        );
        let got: Vec<(&str, &str, u64)> =
            c.entries.iter().map(|e| (e.pointer.as_str(), e.rule.as_str(), e.hits)).collect();
        assert_eq!(
            got,
            [
                ("/default", "(default deny)", 1),
                ("/hide/0", "(hidden)", 1),
                ("/all_tools/limits/0", "/all_tools/limits/all", 0),
                ("/tools/t", "(allowed)", 1),
                ("/tools/t/require/0", "/tools/t/require/args.r-exists", 1),
                ("/tools/t/deny_if/0", "/tools/t/deny_if/args.n-gt", 1),
                ("/tools/t/limits/0", "/tools/t/limits/c", 1),
            ]
        );
        assert_eq!(c.uncovered, ["/all_tools/limits/0"]);
        assert_eq!(c.entries.iter().map(|e| e.hits).sum::<u64>(), 6, "one entry per call");
    }

    #[test]
    fn a_hidden_name_wins_over_the_star_and_default_allow_counts_allowed_unlisted_calls() {
        let c = hits(
            r#"{"version":"1","default":"allow","hide":["*","h"]}"#,
            r#"[{"tool":"h"},{"tool":"x"},{"tool":"y"}]"#,
        );
        let got: Vec<(&str, u64)> = c.entries.iter().map(|e| (e.pointer.as_str(), e.hits)).collect();
        assert_eq!(got, [("/default", 0), ("/hide/0", 2), ("/hide/1", 1)]);
        assert_eq!(c.entries[0].rule, "(default allow)");
        let c = hits(r#"{"version":"1","default":"allow"}"#, r#"[{"tool":"x"}]"#);
        assert_eq!(c.entries[0].hits, 1);
        assert!(hits("null", r#"[{"tool":"x"}]"#).entries.is_empty());
    }
}
