//! Editing one tool's rules by position: what the Custom editor's buttons and boxes do.

use toolgate_engine::{Condition, Limit, Rule, ToolRules, Window};

use crate::state::builder::{require_as_rule, rule_as_require};

/// Which list of rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleKind {
    /// `require`: each entry must hold.
    Require,
    /// `deny_if`: any matching entry denies.
    DenyIf,
}

impl RuleKind {
    /// The key as policy.json spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Require => "require",
            RuleKind::DenyIf => "deny_if",
        }
    }
}

/// Number of entries in a list.
pub fn rule_count(rules: &ToolRules, kind: RuleKind) -> usize {
    match kind {
        RuleKind::Require => rules.require.as_ref().map_or(0, Vec::len),
        RuleKind::DenyIf => rules.deny_if.as_ref().map_or(0, Vec::len),
    }
}

/// The entry at `index`, as a rule (a `require` shorthand becomes `exists true`).
pub fn rule_at(rules: &ToolRules, kind: RuleKind, index: usize) -> Option<Rule> {
    match kind {
        RuleKind::Require => rules.require.as_ref()?.get(index).map(require_as_rule),
        RuleKind::DenyIf => rules.deny_if.as_ref()?.get(index).cloned(),
    }
}

/// Edits the entry at `index` (a `require` entry is written back as the shorthand when it still
/// is `<path> exists true` without a message).
pub fn edit_rule(rules: &mut ToolRules, kind: RuleKind, index: usize, edit: impl FnOnce(&mut Rule)) {
    match kind {
        RuleKind::Require => {
            if let Some(entry) = rules.require.as_mut().and_then(|v| v.get_mut(index)) {
                let mut rule = require_as_rule(entry);
                edit(&mut rule);
                *entry = rule_as_require(rule);
            }
        }
        RuleKind::DenyIf => {
            if let Some(rule) = rules.deny_if.as_mut().and_then(|v| v.get_mut(index)) {
                edit(rule);
            }
        }
    }
}

/// Appends an entry.
pub fn add_rule(rules: &mut ToolRules, kind: RuleKind, rule: Rule) {
    match kind {
        RuleKind::Require => rules.require.get_or_insert_with(Vec::new).push(rule_as_require(rule)),
        RuleKind::DenyIf => rules.deny_if.get_or_insert_with(Vec::new).push(rule),
    }
}

/// Removes an entry; an emptied list disappears from the JSON.
pub fn remove_rule(rules: &mut ToolRules, kind: RuleKind, index: usize) {
    match kind {
        RuleKind::Require => {
            if let Some(v) = &mut rules.require
                && remove_at(v, index)
            {
                rules.require = None;
            }
        }
        RuleKind::DenyIf => {
            if let Some(v) = &mut rules.deny_if
                && remove_at(v, index)
            {
                rules.deny_if = None;
            }
        }
    }
}

/// Removes `index` if present; true when the list is now empty.
fn remove_at<T>(v: &mut Vec<T>, index: usize) -> bool {
    if index < v.len() {
        v.remove(index);
    }
    v.is_empty()
}

/// Adds a condition to a rule.
pub fn add_condition(rule: &mut Rule, condition: Condition) {
    rule.conditions.push(condition);
}

/// Removes a condition from a rule.
pub fn remove_condition(rule: &mut Rule, index: usize) {
    if index < rule.conditions.len() {
        rule.conditions.remove(index);
    }
}

/// The limits of a list (tool or `all_tools`), edited in place.
pub fn edit_limit(limits: &mut [Limit], index: usize, edit: impl FnOnce(&mut Limit)) {
    if let Some(l) = limits.get_mut(index) {
        edit(l);
    }
}

/// A counter name not used yet: `base`, else `base_2`, `base_3`, …
pub fn unique_counter<'a>(base: &str, taken: impl IntoIterator<Item = &'a str> + Clone) -> String {
    let used = |name: &str| taken.clone().into_iter().any(|t| t == name);
    if !used(base) {
        return base.to_string();
    }
    (2..).map(|n| format!("{base}_{n}")).find(|c| !used(c)).unwrap_or_else(|| base.to_string())
}

/// A new limit on a fresh counter.
pub fn new_limit(counter: String, max: u64) -> Limit {
    Limit { counter, window: Window::Minute, max, scope: None, on_deny: None }
}

/// A one-line summary of a tool's rules, e.g. "1 require · 2 deny_if · 1 limit".
pub fn summary(rules: &ToolRules) -> String {
    let mut parts = Vec::new();
    let n = rule_count(rules, RuleKind::Require);
    if n > 0 {
        parts.push(format!("{n} require"));
    }
    let n = rule_count(rules, RuleKind::DenyIf);
    if n > 0 {
        parts.push(format!("{n} deny_if"));
    }
    for l in rules.limits.iter().flatten() {
        parts.push(format!("{} / {}", l.max, l.window.as_str()));
    }
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use toolgate_engine::{Op, RequireEntry};

    fn cond(path: &str, op: Op, value: serde_json::Value) -> Condition {
        Condition { path: path.into(), op, value }
    }

    #[test]
    fn rules_are_added_edited_and_removed_by_position() {
        let mut r = ToolRules::default();
        add_rule(&mut r, RuleKind::DenyIf, Rule { conditions: vec![cond("args.a", Op::Gt, json!(1))], on_deny: None });
        add_rule(&mut r, RuleKind::DenyIf, Rule::default());
        assert_eq!(rule_count(&r, RuleKind::DenyIf), 2);
        edit_rule(&mut r, RuleKind::DenyIf, 1, |rule| {
            add_condition(rule, cond("args.b", Op::Eq, json!("x")));
            rule.on_deny = Some("no".into());
        });
        assert_eq!(rule_at(&r, RuleKind::DenyIf, 1).unwrap().conditions[0].path, "args.b");
        remove_rule(&mut r, RuleKind::DenyIf, 0);
        assert_eq!(rule_at(&r, RuleKind::DenyIf, 0).unwrap().on_deny.as_deref(), Some("no"));
        remove_rule(&mut r, RuleKind::DenyIf, 0);
        assert_eq!(r.deny_if, None, "an emptied list disappears");
        remove_rule(&mut r, RuleKind::DenyIf, 5);
        edit_rule(&mut r, RuleKind::DenyIf, 9, |_| unreachable!("no such rule"));
    }

    #[test]
    fn require_entries_stay_shorthand_until_they_need_more() {
        let mut r = ToolRules::default();
        add_rule(
            &mut r,
            RuleKind::Require,
            Rule { conditions: vec![cond("args.reason", Op::Exists, json!(true))], on_deny: None },
        );
        assert_eq!(r.require, Some(vec![RequireEntry::Shorthand("args.reason".into())]));
        edit_rule(&mut r, RuleKind::Require, 0, |rule| rule.on_deny = Some("say why".into()));
        assert!(matches!(r.require.as_deref(), Some([RequireEntry::Rule(_)])));
        edit_rule(&mut r, RuleKind::Require, 0, |rule| rule.on_deny = None);
        assert_eq!(r.require, Some(vec![RequireEntry::Shorthand("args.reason".into())]));
        edit_rule(&mut r, RuleKind::Require, 0, |rule| remove_condition(rule, 0));
        assert_eq!(rule_at(&r, RuleKind::Require, 0).unwrap().conditions.len(), 0);
    }

    #[test]
    fn counters_get_unique_names() {
        assert_eq!(unique_counter("a_per_minute", ["x"]), "a_per_minute");
        assert_eq!(unique_counter("a_per_minute", ["a_per_minute", "a_per_minute_2"]), "a_per_minute_3");
    }

    #[test]
    fn summaries_read_like_the_json() {
        let mut r = ToolRules::default();
        assert_eq!(summary(&r), "");
        add_rule(
            &mut r,
            RuleKind::Require,
            Rule { conditions: vec![cond("args.x", Op::Exists, json!(true))], on_deny: None },
        );
        r.limits = Some(vec![new_limit("c".into(), 30)]);
        edit_limit(r.limits.as_mut().unwrap(), 0, |l| l.window = Window::Hour);
        assert_eq!(summary(&r), "1 require · 30 / hour");
    }
}
