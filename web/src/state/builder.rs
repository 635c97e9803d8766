//! The visual builder's model: a [`PolicyDoc`] plus what the builder remembers between edits.
//!
//! The document is the single source of truth (it is what the raw JSON editor shows); the
//! builder reads it through [`PolicyModel::tool_view`] and writes it through the setters here.
//!
//! ## Tool states and how they map to `policy.json`
//!
//! | state  | written as                                                                  |
//! |--------|-----------------------------------------------------------------------------|
//! | Allow  | an explicit `tools` entry `{}` (under either default, so flipping the default never changes it) |
//! | Deny   | `{"deny_if": [{"conditions": [], "on_deny": "…"}]}`: visible but blocked      |
//! | Hide   | the name in `hide` (its `tools` entry, if any, is kept aside, see below)       |
//! | Custom | any other `tools` entry: `require`, `deny_if`, `limits`                        |
//!
//! A tool with no entry and not hidden *follows the default*: it shows as Allow or Deny, marked
//! implicit ([`ToolView::explicit`] is false). Any valid document classifies back into these
//! states ([`classify`]), so JSON → builder never loses anything: the document is kept as is.
//!
//! Leaving Custom for another state keeps the rules aside (in memory) so that picking Custom
//! again brings them back; picking Custom on a tool without rules starts an empty entry that stays
//! Custom in the builder until rules are added (it is `{}` in the JSON, which the engine treats as
//! Allow).

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use toolgate_engine::{AllTools, DefaultAction, Limit, PolicyDoc, RequireEntry, Rule, ToolRules, ValidationError};

/// The four states the builder offers per tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ToolState {
    /// The call is forwarded (subject to `all_tools` limits).
    Allow,
    /// Visible in `tools/list` but every call is refused.
    Deny,
    /// Removed from `tools/list` and refused.
    Hide,
    /// Custom rules: `require`, `deny_if`, `limits`.
    Custom,
}

impl ToolState {
    /// Every state, in the order the builder lists them.
    pub const ALL: [ToolState; 4] = [ToolState::Allow, ToolState::Deny, ToolState::Hide, ToolState::Custom];

    /// The `value` used by the state control (`allow`, `deny`, `hide`, `custom`).
    pub fn as_str(self) -> &'static str {
        match self {
            ToolState::Allow => "allow",
            ToolState::Deny => "deny",
            ToolState::Hide => "hide",
            ToolState::Custom => "custom",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            ToolState::Allow => "Allow",
            ToolState::Deny => "Deny",
            ToolState::Hide => "Hide",
            ToolState::Custom => "Custom",
        }
    }

    /// Parses [`ToolState::as_str`].
    pub fn parse(s: &str) -> Option<ToolState> {
        ToolState::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// How the builder shows one tool.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolView {
    /// The state.
    pub state: ToolState,
    /// False when the tool has no entry and follows the default.
    pub explicit: bool,
    /// `hide` contains `"*"`: the tool is hidden whatever its own state.
    pub hidden_by_wildcard: bool,
}

/// The message of a tool literally named `*` set to Hide (it is denied instead).
pub const WILDCARD_NAME_MESSAGE: &str =
    "Tool \"*\" is blocked by policy (it cannot be hidden by name: \"*\" in hide hides every tool).";

/// The message written for a tool set to Deny.
pub fn default_deny_message(tool: &str) -> String {
    format!("Tool \"{tool}\" is blocked by policy.")
}

/// True for the Deny shape: exactly one `deny_if` entry, with no conditions, and nothing else.
pub fn is_deny_shape(rules: &ToolRules) -> bool {
    rules.require.as_ref().is_none_or(Vec::is_empty)
        && rules.limits.as_ref().is_none_or(Vec::is_empty)
        && matches!(rules.deny_if.as_deref(), Some([only]) if only.conditions.is_empty())
}

/// Classifies one tool of a document (see the module doc for the mapping).
pub fn classify(doc: &PolicyDoc, tool: &str) -> ToolView {
    let hide = doc.hide.as_deref().unwrap_or_default();
    let hidden_by_wildcard = hide.iter().any(|h| h == "*");
    if hide.iter().any(|h| h == tool) {
        return ToolView { state: ToolState::Hide, explicit: true, hidden_by_wildcard };
    }
    let (state, explicit) = match doc.tools.as_ref().and_then(|t| t.get(tool)) {
        None => (if doc.default == DefaultAction::Allow { ToolState::Allow } else { ToolState::Deny }, false),
        Some(r) if r.is_empty() => (ToolState::Allow, true),
        Some(r) if is_deny_shape(r) => (ToolState::Deny, true),
        Some(_) => (ToolState::Custom, true),
    };
    ToolView { state, explicit, hidden_by_wildcard }
}

/// The builder's state: the document and what is kept aside between edits.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyModel {
    /// The policy; `None` is the document `null` (no policy attached: every call is denied).
    pub doc: Option<PolicyDoc>,
    /// Rules of tools that left the Custom state, restored when they return to it.
    stash: BTreeMap<String, ToolRules>,
    /// Tools the user set to Custom whose entry is still `{}`.
    pinned_custom: BTreeSet<String>,
}

impl Default for PolicyModel {
    fn default() -> Self {
        PolicyModel::new(PolicyDoc::new(DefaultAction::Deny))
    }
}

impl PolicyModel {
    /// A model over a document.
    pub fn new(doc: PolicyDoc) -> Self {
        PolicyModel { doc: Some(doc), stash: BTreeMap::new(), pinned_custom: BTreeSet::new() }
    }

    /// Parses and validates policy text (the raw editor's content). On success the document
    /// replaces the current one; what was kept aside survives. On failure nothing changes.
    pub fn load_text(&mut self, text: &str) -> Result<(), Vec<ValidationError>> {
        let doc = toolgate_engine::parse_policy_doc(text)?;
        self.set_doc(doc);
        Ok(())
    }

    /// Replaces the document (e.g. after the raw JSON was edited).
    pub fn set_doc(&mut self, doc: Option<PolicyDoc>) {
        self.doc = doc;
        let doc = self.doc.as_ref();
        // A pin only makes sense while the entry exists and is still rule-less.
        self.pinned_custom
            .retain(|t| doc.and_then(|d| d.tools.as_ref()).and_then(|m| m.get(t)).is_some_and(ToolRules::is_empty));
    }

    /// The document as the raw editor shows it (`null` when no policy is attached).
    pub fn to_json(&self) -> String {
        match &self.doc {
            Some(d) => d.to_json_pretty(),
            None => "null".into(),
        }
    }

    /// The document, creating a default-deny one if the policy was `null`.
    fn doc_mut(&mut self) -> &mut PolicyDoc {
        self.doc.get_or_insert_with(|| PolicyDoc::new(DefaultAction::Deny))
    }

    /// The default action (`deny` when no policy is attached).
    pub fn default_action(&self) -> DefaultAction {
        self.doc.as_ref().map_or(DefaultAction::Deny, |d| d.default)
    }

    /// Sets `default`.
    pub fn set_default(&mut self, default: DefaultAction) {
        self.doc_mut().default = default;
    }

    /// How the builder shows a tool.
    pub fn tool_view(&self, tool: &str) -> ToolView {
        let Some(doc) = &self.doc else {
            return ToolView { state: ToolState::Deny, explicit: false, hidden_by_wildcard: false };
        };
        let mut view = classify(doc, tool);
        if view.state != ToolState::Hide && self.pinned_custom.contains(tool) {
            view.state = ToolState::Custom;
        }
        view
    }

    /// The tool's entry under `tools`, if any.
    pub fn rules(&self, tool: &str) -> Option<&ToolRules> {
        self.doc.as_ref()?.tools.as_ref()?.get(tool)
    }

    /// Whether `hide` contains `"*"`.
    pub fn hide_all(&self) -> bool {
        self.doc.as_ref().and_then(|d| d.hide.as_ref()).is_some_and(|h| h.iter().any(|n| n == "*"))
    }

    /// Adds or removes `"*"` in `hide`.
    pub fn set_hide_all(&mut self, on: bool) {
        if on {
            self.add_hide("*");
        } else {
            self.remove_hide("*");
        }
    }

    /// Every tool name the document mentions: `tools` keys in order (a key `"*"` is a literal
    /// name), then `hide` entries (where `"*"` is the wildcard, not a name).
    pub fn mentioned_tools(&self) -> Vec<String> {
        let Some(doc) = &self.doc else { return Vec::new() };
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let keys = doc.tools.iter().flat_map(|t| t.keys());
        let hidden = doc.hide.iter().flatten().filter(|h| *h != "*");
        for name in keys.chain(hidden) {
            if seen.insert(name.clone()) {
                out.push(name.clone());
            }
        }
        out
    }

    /// Sets one tool's state (see the module doc for what each state writes).
    pub fn set_state(&mut self, tool: &str, state: ToolState) {
        match state {
            ToolState::Allow => {
                self.remove_hide(tool);
                self.put_aside(tool);
                self.pinned_custom.remove(tool);
                self.tools_mut().insert(tool.to_string(), ToolRules::default());
            }
            ToolState::Deny => {
                self.remove_hide(tool);
                let message = self.deny_message(tool).map_or_else(|| default_deny_message(tool), str::to_string);
                self.put_aside(tool);
                self.pinned_custom.remove(tool);
                let rules = ToolRules {
                    deny_if: Some(vec![Rule { conditions: Vec::new(), on_deny: Some(message) }]),
                    ..ToolRules::default()
                };
                self.tools_mut().insert(tool.to_string(), rules);
            }
            // `"*"` in `hide` hides every tool, so a tool literally named `*` cannot be hidden by
            // name: it is denied instead (visible, every call refused).
            ToolState::Hide if tool == "*" => {
                self.set_state(tool, ToolState::Deny);
                self.set_deny_message(tool, Some(WILDCARD_NAME_MESSAGE.into()));
            }
            ToolState::Hide => {
                self.put_aside(tool);
                self.pinned_custom.remove(tool);
                self.remove_entry(tool);
                self.add_hide(tool);
            }
            ToolState::Custom => {
                self.remove_hide(tool);
                let current = self.rules(tool).cloned();
                let rules = match (self.stash.remove(tool), current) {
                    (_, Some(r)) if !r.is_empty() && !is_deny_shape(&r) => r,
                    (Some(stashed), _) => stashed,
                    (None, Some(r)) if is_deny_shape(&r) => r,
                    (None, _) => ToolRules::default(),
                };
                if rules.is_empty() || is_deny_shape(&rules) {
                    self.pinned_custom.insert(tool.to_string());
                }
                self.tools_mut().insert(tool.to_string(), rules);
            }
        }
    }

    /// Removes everything the policy says about a tool (it follows the default again).
    pub fn reset_tool(&mut self, tool: &str) {
        self.remove_hide(tool);
        self.put_aside(tool);
        self.pinned_custom.remove(tool);
        self.remove_entry(tool);
    }

    /// Sets the state of many tools at once (bulk actions).
    pub fn set_states<'a>(&mut self, tools: impl IntoIterator<Item = &'a str>, state: ToolState) {
        for t in tools {
            self.set_state(t, state);
        }
    }

    /// Replaces a tool's rules (the Custom editor writes through this). The tool stays Custom in
    /// the builder even while its rules are empty.
    pub fn set_rules(&mut self, tool: &str, rules: ToolRules) {
        self.remove_hide(tool);
        if rules.is_empty() || is_deny_shape(&rules) {
            self.pinned_custom.insert(tool.to_string());
        } else {
            self.pinned_custom.remove(tool);
        }
        self.tools_mut().insert(tool.to_string(), rules);
    }

    /// The message of a tool in the Deny state (`None` for any other state).
    pub fn deny_message(&self, tool: &str) -> Option<&str> {
        let rules = self.rules(tool).filter(|r| is_deny_shape(r))?;
        rules.deny_if.as_deref()?.first()?.on_deny.as_deref()
    }

    /// Sets the message of a tool in the Deny state (it stays Deny); no-op for other states.
    pub fn set_deny_message(&mut self, tool: &str, message: Option<String>) {
        let Some(doc) = &mut self.doc else { return };
        let Some(rules) = doc.tools.as_mut().and_then(|t| t.get_mut(tool)) else { return };
        if !is_deny_shape(rules) {
            return;
        }
        if let Some(first) = rules.deny_if.as_mut().and_then(|d| d.first_mut()) {
            first.on_deny = message;
        }
    }

    /// Edits a tool's rules in place, creating the entry (Custom) if needed.
    pub fn edit_rules(&mut self, tool: &str, edit: impl FnOnce(&mut ToolRules)) {
        let mut rules = self.rules(tool).cloned().unwrap_or_default();
        edit(&mut rules);
        self.set_rules(tool, rules);
    }

    /// `all_tools.limits` (empty when absent).
    pub fn all_tools_limits(&self) -> &[Limit] {
        self.doc.as_ref().and_then(|d| d.all_tools.as_ref()).and_then(|a| a.limits.as_deref()).unwrap_or_default()
    }

    /// Replaces `all_tools.limits`; an empty list removes `all_tools`.
    pub fn set_all_tools_limits(&mut self, limits: Vec<Limit>) {
        let doc = self.doc_mut();
        doc.all_tools = if limits.is_empty() { None } else { Some(AllTools { limits: Some(limits) }) };
    }

    /// Every counter name used in the document, with its window (first declaration wins).
    pub fn counters(&self) -> BTreeMap<String, toolgate_engine::Window> {
        let mut out = BTreeMap::new();
        let Some(doc) = &self.doc else { return out };
        let tool_limits = doc.tools.iter().flat_map(|t| t.values()).flat_map(|r| r.limits.iter().flatten());
        for l in tool_limits.chain(self.all_tools_limits()) {
            out.entry(l.counter.clone()).or_insert(l.window);
        }
        out
    }

    fn tools_mut(&mut self) -> &mut IndexMap<String, ToolRules> {
        self.doc_mut().tools.get_or_insert_with(IndexMap::new)
    }

    fn remove_entry(&mut self, tool: &str) {
        let doc = self.doc_mut();
        if let Some(tools) = &mut doc.tools {
            tools.shift_remove(tool);
            if tools.is_empty() {
                doc.tools = None;
            }
        }
    }

    /// Keeps a Custom tool's rules aside before its entry is replaced.
    fn put_aside(&mut self, tool: &str) {
        if let Some(r) = self.rules(tool).cloned()
            && !r.is_empty()
            && !is_deny_shape(&r)
        {
            self.stash.insert(tool.to_string(), r);
        }
    }

    fn add_hide(&mut self, tool: &str) {
        let hide = self.doc_mut().hide.get_or_insert_with(Vec::new);
        if !hide.iter().any(|h| h == tool) {
            hide.push(tool.to_string());
        }
    }

    fn remove_hide(&mut self, tool: &str) {
        let Some(doc) = &mut self.doc else { return };
        if let Some(hide) = &mut doc.hide {
            hide.retain(|h| h != tool);
            if hide.is_empty() {
                doc.hide = None;
            }
        }
    }
}

/// A `require` entry as the editor shows it: the shorthand `"args.x"` is the rule
/// `args.x exists true`.
pub fn require_as_rule(entry: &RequireEntry) -> Rule {
    match entry {
        RequireEntry::Rule(r) => r.clone(),
        RequireEntry::Shorthand(path) => Rule {
            conditions: vec![toolgate_engine::Condition {
                path: path.clone(),
                op: toolgate_engine::Op::Exists,
                value: serde_json::Value::Bool(true),
            }],
            on_deny: None,
        },
    }
}

/// Writes an edited `require` rule back, as the shorthand when it is exactly `<path> exists true`
/// without a message (so an untouched shorthand stays a shorthand).
pub fn rule_as_require(rule: Rule) -> RequireEntry {
    match rule.conditions.as_slice() {
        [c] if rule.on_deny.is_none()
            && c.op == toolgate_engine::Op::Exists
            && c.value == serde_json::Value::Bool(true) =>
        {
            RequireEntry::Shorthand(c.path.clone())
        }
        _ => RequireEntry::Rule(rule),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use toolgate_engine::{Condition, Op, Window};

    fn model(policy: Value) -> PolicyModel {
        let mut m = PolicyModel::default();
        m.load_text(&policy.to_string()).unwrap();
        m
    }

    fn json_of(m: &PolicyModel) -> Value {
        serde_json::from_str(&m.to_json()).unwrap()
    }

    #[test]
    fn allow_writes_an_explicit_empty_entry_under_either_default() {
        let mut m = model(json!({"version": "1", "default": "allow"}));
        m.set_state("list_issues", ToolState::Allow);
        assert_eq!(json_of(&m), json!({"version": "1", "default": "allow", "tools": {"list_issues": {}}}));
        m.set_default(DefaultAction::Deny);
        assert_eq!(json_of(&m), json!({"version": "1", "default": "deny", "tools": {"list_issues": {}}}));
        assert_eq!(
            m.tool_view("list_issues"),
            ToolView { state: ToolState::Allow, explicit: true, hidden_by_wildcard: false }
        );
    }

    #[test]
    fn deny_writes_an_unconditional_deny_if_with_a_message() {
        let mut m = PolicyModel::default();
        m.set_state("delete_repo", ToolState::Deny);
        assert_eq!(
            json_of(&m),
            json!({"version": "1", "default": "deny", "tools": {"delete_repo": {
                "deny_if": [{"conditions": [], "on_deny": "Tool \"delete_repo\" is blocked by policy."}]}}})
        );
        assert_eq!(m.tool_view("delete_repo").state, ToolState::Deny);
        assert!(m.tool_view("delete_repo").explicit);
    }

    #[test]
    fn deny_keeps_an_existing_deny_message() {
        let mut m = model(json!({"version": "1", "default": "allow", "tools": {"refund": {
            "deny_if": [{"conditions": [], "on_deny": "Requires human approval."}]}}}));
        m.set_state("refund", ToolState::Deny);
        assert_eq!(
            m.rules("refund").unwrap().deny_if.as_ref().unwrap()[0].on_deny.as_deref(),
            Some("Requires human approval.")
        );
    }

    #[test]
    fn hide_moves_the_tool_into_hide_and_drops_its_entry() {
        let mut m = PolicyModel::default();
        m.set_state("a", ToolState::Allow);
        m.set_state("b", ToolState::Allow);
        m.set_state("a", ToolState::Hide);
        assert_eq!(json_of(&m), json!({"version": "1", "default": "deny", "hide": ["a"], "tools": {"b": {}}}));
        m.set_state("b", ToolState::Hide);
        assert_eq!(json_of(&m), json!({"version": "1", "default": "deny", "hide": ["a", "b"]}));
        m.set_state("a", ToolState::Allow);
        assert_eq!(json_of(&m), json!({"version": "1", "default": "deny", "hide": ["b"], "tools": {"a": {}}}));
    }

    #[test]
    fn a_tool_named_star_is_a_name_and_hiding_it_denies_it_instead() {
        let mut m = model(json!({"version": "1", "default": "deny", "tools": {"*": {}}}));
        assert_eq!(m.mentioned_tools(), ["*"]);
        m.set_state("*", ToolState::Hide);
        assert!(!m.hide_all(), "hiding the tool `*` must not hide every tool");
        assert_eq!(m.tool_view("*").state, ToolState::Deny);
        assert_eq!(m.deny_message("*"), Some(WILDCARD_NAME_MESSAGE));
    }

    #[test]
    fn custom_rules_come_back_after_a_detour_through_another_state() {
        let mut m = PolicyModel::default();
        m.set_state("pay", ToolState::Custom);
        assert_eq!(m.tool_view("pay").state, ToolState::Custom, "an empty custom entry stays custom in the builder");
        assert_eq!(json_of(&m)["tools"]["pay"], json!({}));
        m.edit_rules("pay", |r| {
            r.limits = Some(vec![Limit {
                counter: "pay_per_minute".into(),
                window: Window::Minute,
                max: 5,
                scope: None,
                on_deny: None,
            }]);
        });
        let rules = m.rules("pay").cloned().unwrap();
        m.set_state("pay", ToolState::Hide);
        assert_eq!(m.rules("pay"), None);
        m.set_state("pay", ToolState::Custom);
        assert_eq!(m.rules("pay"), Some(&rules));
        m.set_state("pay", ToolState::Allow);
        assert_eq!(json_of(&m)["tools"]["pay"], json!({}));
        assert_eq!(m.tool_view("pay").state, ToolState::Allow);
    }

    #[test]
    fn custom_deny_if_and_limit_are_written_as_the_format_spells_them() {
        let mut m = PolicyModel::default();
        m.set_state("create_refund", ToolState::Custom);
        m.edit_rules("create_refund", |r| {
            r.require = Some(vec![RequireEntry::Shorthand("args.reason".into())]);
            r.deny_if = Some(vec![Rule {
                conditions: vec![Condition { path: "args.amount".into(), op: Op::Gt, value: json!(10000) }],
                on_deny: Some("Refunds over 10000 need a human.".into()),
            }]);
            r.limits = Some(vec![Limit {
                counter: "refunds_per_hour".into(),
                window: Window::Hour,
                max: 20,
                scope: None,
                on_deny: None,
            }]);
        });
        assert_eq!(
            json_of(&m),
            json!({"version": "1", "default": "deny", "tools": {"create_refund": {
                "require": ["args.reason"],
                "deny_if": [{"conditions": [{"path": "args.amount", "op": "gt", "value": 10000}],
                             "on_deny": "Refunds over 10000 need a human."}],
                "limits": [{"counter": "refunds_per_hour", "window": "hour", "max": 20}]}}})
        );
        assert_eq!(m.tool_view("create_refund").state, ToolState::Custom);
    }

    #[test]
    fn unlisted_tools_follow_the_default_and_are_not_explicit() {
        let mut m = PolicyModel::default();
        assert_eq!(m.tool_view("x"), ToolView { state: ToolState::Deny, explicit: false, hidden_by_wildcard: false });
        m.set_default(DefaultAction::Allow);
        assert_eq!(m.tool_view("x"), ToolView { state: ToolState::Allow, explicit: false, hidden_by_wildcard: false });
        m.set_state("x", ToolState::Deny);
        m.reset_tool("x");
        assert_eq!(json_of(&m), json!({"version": "1", "default": "allow"}));
    }

    #[test]
    fn hide_all_is_a_wildcard_entry_that_every_view_reports() {
        let mut m = PolicyModel::default();
        m.set_state("a", ToolState::Allow);
        m.set_hide_all(true);
        assert_eq!(json_of(&m), json!({"version": "1", "default": "deny", "hide": ["*"], "tools": {"a": {}}}));
        assert!(m.tool_view("a").hidden_by_wildcard);
        assert_eq!(m.tool_view("a").state, ToolState::Allow);
        assert_eq!(m.mentioned_tools(), vec!["a".to_string()]);
        m.set_hide_all(false);
        assert_eq!(json_of(&m), json!({"version": "1", "default": "deny", "tools": {"a": {}}}));
    }

    #[test]
    fn all_tools_limits_are_editable_and_vanish_when_empty() {
        let mut m = PolicyModel::default();
        let l = Limit { counter: "calls".into(), window: Window::Minute, max: 120, scope: None, on_deny: None };
        m.set_all_tools_limits(vec![l]);
        assert_eq!(
            json_of(&m),
            json!({"version": "1", "default": "deny", "all_tools": {"limits": [{"counter": "calls", "window": "minute", "max": 120}]}})
        );
        m.set_all_tools_limits(Vec::new());
        assert_eq!(json_of(&m), json!({"version": "1", "default": "deny"}));
    }

    #[test]
    fn json_classifies_into_builder_states() {
        let m = model(json!({"version": "1", "default": "allow", "hide": ["gone"],
            "tools": {"ok": {}, "blocked": {"deny_if": [{"conditions": []}]},
                      "two": {"deny_if": [{"conditions": []}, {"conditions": []}]},
                      "lim": {"limits": [{"counter": "c", "window": "day", "max": 1}]},
                      "empty_arrays": {"require": [], "limits": []},
                      "gone": {"limits": [{"counter": "d", "window": "day", "max": 1}]}}}));
        let state = |t: &str| (m.tool_view(t).state, m.tool_view(t).explicit);
        assert_eq!(state("ok"), (ToolState::Allow, true));
        assert_eq!(state("blocked"), (ToolState::Deny, true));
        assert_eq!(state("two"), (ToolState::Custom, true));
        assert_eq!(state("lim"), (ToolState::Custom, true));
        assert_eq!(state("empty_arrays"), (ToolState::Allow, true));
        assert_eq!(state("gone"), (ToolState::Hide, true));
        assert_eq!(state("other"), (ToolState::Allow, false));
        assert_eq!(m.mentioned_tools(), ["ok", "blocked", "two", "lim", "empty_arrays", "gone"]);
    }

    #[test]
    fn invalid_text_leaves_the_model_untouched() {
        let mut m = PolicyModel::default();
        m.set_state("a", ToolState::Allow);
        let before = m.clone();
        let errs = m
            .load_text("{\"version\": \"1\", \"default\": \"deny\", \"tools\": {\"a\": {\"deny-if\": []}}}")
            .unwrap_err();
        assert_eq!(errs[0].pointer, "/tools/a/deny-if");
        assert!(m.load_text("{\"version\": ").is_err());
        assert_eq!(m, before);
    }

    #[test]
    fn null_policy_is_kept_and_the_first_edit_starts_a_default_deny_document() {
        let mut m = PolicyModel::default();
        m.load_text("null").unwrap();
        assert_eq!(m.to_json(), "null");
        assert_eq!(m.tool_view("a").state, ToolState::Deny);
        m.set_state("a", ToolState::Allow);
        assert_eq!(json_of(&m), json!({"version": "1", "default": "deny", "tools": {"a": {}}}));
    }

    #[test]
    fn require_shorthand_survives_the_editor_round_trip() {
        let short = RequireEntry::Shorthand("args.reason".into());
        assert_eq!(rule_as_require(require_as_rule(&short)), short);
        let full = RequireEntry::Rule(Rule {
            conditions: vec![Condition { path: "args.reason".into(), op: Op::Exists, value: json!(true) }],
            on_deny: Some("say why".into()),
        });
        assert_eq!(rule_as_require(require_as_rule(&full)), full);
    }

    #[test]
    fn counters_lists_every_counter_with_its_window() {
        let m = model(json!({"version": "1", "default": "deny",
            "all_tools": {"limits": [{"counter": "all", "window": "minute", "max": 9}]},
            "tools": {"a": {"limits": [{"counter": "w", "window": "hour", "max": 2}]}}}));
        let c = m.counters();
        assert_eq!(c.get("all"), Some(&Window::Minute));
        assert_eq!(c.get("w"), Some(&Window::Hour));
    }
}
