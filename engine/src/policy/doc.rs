//! The `policy.json` document, as the format spells it (`policy-format.md` §1).
//!
//! These are the *wire* types: they serialise back to the same JSON (presence of optional keys
//! is kept), so the browser builder can edit a document and write it out again. A [`PolicyDoc`]
//! is not necessarily valid; [`crate::Policy::compile`] checks it and builds the evaluator.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A whole `policy.json` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDoc {
    /// `$schema`: accepted and ignored (editor support).
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Always `"1"`.
    pub version: String,
    /// The fate of tools not listed under `tools`.
    pub default: DefaultAction,
    /// Tools removed from `tools/list` and refused at call time; `"*"` hides every tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hide: Option<Vec<String>>,
    /// Quotas applied to every call that reaches the limit stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_tools: Option<AllTools>,
    /// Exact tool name → rules, in document order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<IndexMap<String, ToolRules>>,
}

impl PolicyDoc {
    /// A minimal document: `{"version": "1", "default": <default>}`.
    pub fn new(default: DefaultAction) -> Self {
        PolicyDoc { schema: None, version: "1".into(), default, hide: None, all_tools: None, tools: None }
    }

    /// Pretty JSON text (two-space indent), as the CLI and the app write it.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// `"allow"` or `"deny"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DefaultAction {
    /// Unlisted tools are allowed (with no rules).
    Allow,
    /// Unlisted tools are denied with rule `(default deny)`.
    Deny,
}

/// `all_tools`: only `limits`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllTools {
    /// Quotas that apply to every call reaching the limit stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Vec<Limit>>,
}

/// The rules of one tool. `{}` is valid: under `default: "deny"` it allows the tool.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolRules {
    /// Each entry must hold, or the call is denied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require: Option<Vec<RequireEntry>>,
    /// The call is denied when any entry matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny_if: Option<Vec<Rule>>,
    /// Per-tool quotas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Vec<Limit>>,
}

impl ToolRules {
    /// True when the entry has no require, deny_if or limits (an "Allow" in the builder).
    pub fn is_empty(&self) -> bool {
        self.require.as_ref().is_none_or(Vec::is_empty)
            && self.deny_if.as_ref().is_none_or(Vec::is_empty)
            && self.limits.as_ref().is_none_or(Vec::is_empty)
    }
}

/// An entry of `require`: a full rule, or the shorthand `"args.<path>"` (= exists true).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequireEntry {
    /// `"args.reason"`: the argument must be present and not null.
    Shorthand(String),
    /// A rule whose conditions must all hold.
    Rule(Rule),
}

/// `{ "conditions": [...], "on_deny"?: string }` — conditions are ANDed; empty matches every call.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// ANDed conditions.
    pub conditions: Vec<Condition>,
    /// Message returned when this entry refuses a call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_deny: Option<String>,
}

/// `{ "path": "args.<dot.path>", "op": <op>, "value": <json> }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// `args.` followed by dot-separated object keys.
    pub path: String,
    /// The operator.
    pub op: Op,
    /// The operand.
    pub value: Value,
}

/// Condition operators (`policy-format.md` §4). The one operator table: [`Op::ALL`] with
/// [`Op::as_str`] (the name) and [`Op::operand`] (what `value` must be) — validation, the JSON
/// Schema, compilation and lint read it from here; the evaluation of each operator is
/// `CompiledCondition::holds_for` in `eval/condition.rs`. To add an operator: a variant here, a
/// row in each of these three, and its arm there (the compiler points at every `match`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Deep JSON equality, numbers compared numerically.
    Eq,
    /// Not `eq` (false when the path is absent).
    Neq,
    /// Equal to some element of the array value.
    In,
    /// Equal to no element of the array value.
    NotIn,
    /// Number less than.
    Lt,
    /// Number less than or equal.
    Lte,
    /// Number greater than.
    Gt,
    /// Number greater than or equal.
    Gte,
    /// String matching a pattern anywhere (linear time).
    Regex,
    /// Substring of a string, or element of an array.
    Contains,
    /// Presence (not null) equals the boolean value.
    Exists,
}

impl Op {
    /// Every operator, in the order the format lists them.
    pub const ALL: [Op; 11] =
        [Op::Eq, Op::Neq, Op::In, Op::NotIn, Op::Lt, Op::Lte, Op::Gt, Op::Gte, Op::Regex, Op::Contains, Op::Exists];

    /// The operator as policy.json spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Neq => "neq",
            Op::In => "in",
            Op::NotIn => "not_in",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Regex => "regex",
            Op::Contains => "contains",
            Op::Exists => "exists",
        }
    }

    /// What the operator's `value` must be.
    pub const fn operand(self) -> Operand {
        match self {
            Op::Eq | Op::Neq | Op::Contains => Operand::Any,
            Op::In | Op::NotIn => Operand::Array,
            Op::Lt | Op::Lte | Op::Gt | Op::Gte => Operand::Number,
            Op::Exists => Operand::Bool,
            Op::Regex => Operand::Pattern,
        }
    }

    /// Parses an operator name.
    pub fn parse(s: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.as_str() == s)
    }

    /// Every operator name, in [`Op::ALL`] order.
    pub fn names() -> Vec<&'static str> {
        Op::ALL.iter().map(|op| op.as_str()).collect()
    }

    /// The operators whose value must be `operand`, by name.
    pub fn names_with(operand: Operand) -> Vec<&'static str> {
        Op::ALL.iter().filter(|op| op.operand() == operand).map(|op| op.as_str()).collect()
    }

    /// The error for a value that is not [`Op::operand`]: "`lt` needs a number value".
    pub fn operand_error(self) -> String {
        let needs = match self.operand() {
            Operand::Any => "a value",
            Operand::Array => "an array value",
            Operand::Number => "a number value",
            Operand::Bool => "`true` or `false`",
            Operand::Pattern => "a string pattern",
        };
        format!("`{self}` needs {needs}")
    }
}

/// What an operator's `value` must be ([`Op::operand`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operand {
    /// Any JSON value (`eq`, `neq`, `contains`).
    Any,
    /// An array of candidates (`in`, `not_in`).
    Array,
    /// A number (`lt`, `lte`, `gt`, `gte`).
    Number,
    /// `true` or `false` (`exists`).
    Bool,
    /// A string pattern (`regex`).
    Pattern,
}

impl Operand {
    /// The JSON Schema `type` of such a value (`None` for any value).
    pub fn schema_type(self) -> Option<&'static str> {
        match self {
            Operand::Any => None,
            Operand::Array => Some("array"),
            Operand::Number => Some("number"),
            Operand::Bool => Some("boolean"),
            Operand::Pattern => Some("string"),
        }
    }
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{ "counter", "window", "max", "scope"?, "on_deny"? }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// Counter name; one bucket per (grant, counter) shared by every limit naming it.
    pub counter: String,
    /// Fixed UTC window.
    pub window: Window,
    /// Calls allowed per window (≥ 1).
    pub max: u64,
    /// Always `"grant"` when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// Message returned when this limit refuses a call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_deny: Option<String>,
}

/// Fixed windows aligned to UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Window {
    /// 60 000 ms, starting at :00.000.
    Minute,
    /// 3 600 000 ms, starting at the top of the hour.
    Hour,
    /// 86 400 000 ms, starting at 00:00:00.000 UTC.
    Day,
}

impl Window {
    /// Every window, shortest first.
    pub const ALL: [Window; 3] = [Window::Minute, Window::Hour, Window::Day];

    /// The window's length in milliseconds.
    pub fn millis(self) -> u64 {
        match self {
            Window::Minute => 60_000,
            Window::Hour => 3_600_000,
            Window::Day => 86_400_000,
        }
    }

    /// The window as policy.json spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Window::Minute => "minute",
            Window::Hour => "hour",
            Window::Day => "day",
        }
    }

    /// Parses a window name.
    pub fn parse(s: &str) -> Option<Window> {
        Window::ALL.into_iter().find(|w| w.as_str() == s)
    }
}

/// Counter scope: only `"grant"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// One bucket per caller identity.
    Grant,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_and_windows_parse_their_own_names() {
        for op in Op::ALL {
            assert_eq!(Op::parse(op.as_str()), Some(op));
            assert_eq!(serde_json::to_value(op).unwrap(), serde_json::json!(op.as_str()));
        }
        for w in Window::ALL {
            assert_eq!(Window::parse(w.as_str()), Some(w));
        }
        assert_eq!(Op::parse("gte_"), None);
    }

    #[test]
    fn documents_keep_key_presence_on_round_trip() {
        let text = r#"{"version":"1","default":"deny","hide":[],"tools":{"a":{"require":["args.x"],"limits":[]}}}"#;
        let doc: PolicyDoc = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&doc).unwrap(), text);
    }
}
