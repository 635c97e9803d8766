//! Tool drift: what changed between two `tools/list` results of a server, and what the policy
//! does with each tool that changed (`toolgate check policy.json --tools new.json --since old.json`).
//!
//! A tool that appeared and falls under `default: "allow"` (not listed, not hidden) is allowed
//! with no rule at all: that is warning [`NEW_TOOL_ALLOWED_BY_DEFAULT`].
//!
//! ```
//! use toolgate_engine::{parse_policy, parse_tool_list};
//! use toolgate_engine::review::{Treatment, tool_drift};
//!
//! let p = parse_policy(r#"{"version":"1","default":"allow","hide":["drop_table"]}"#).unwrap();
//! let old = parse_tool_list(r#"{"tools":[{"name":"query"}]}"#).unwrap();
//! let new = parse_tool_list(r#"{"tools":[{"name":"query"},{"name":"drop_table"},{"name":"export"}]}"#).unwrap();
//! let d = tool_drift(p.as_ref().map(|p| p.doc()), &old, &new);
//! assert_eq!(d.appeared.iter().map(|t| (t.name.as_str(), t.policy)).collect::<Vec<_>>(),
//!            [("drop_table", Treatment::Hidden), ("export", Treatment::AllowedByDefault)]);
//! assert_eq!(d.warnings[0].code, "new-tool-allowed-by-default");
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::advise::lint::Warning;
use crate::eval::tools::ToolInfo;
use crate::json::pointer;
use crate::policy::{DefaultAction, PolicyDoc};

/// Lint code: a tool that appeared is allowed by `default: "allow"`, with no rule.
pub const NEW_TOOL_ALLOWED_BY_DEFAULT: &str = "new-tool-allowed-by-default";

/// What the policy does with a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Treatment {
    /// No policy attached: every call is denied.
    NoPolicy,
    /// Hidden (by name or by `"*"`).
    Hidden,
    /// Listed under `tools` with `{}`: allowed.
    Allowed,
    /// Listed under `tools` with `require`, `deny_if` or `limits`.
    Rules,
    /// Not listed, `default: "deny"`: denied.
    DeniedByDefault,
    /// Not listed, `default: "allow"`: allowed with no rule.
    AllowedByDefault,
}

impl Treatment {
    /// How the policy treats `tool`, and the pointer of the entry that decides it.
    pub fn of(doc: Option<&PolicyDoc>, tool: &str) -> (Treatment, Option<String>) {
        let Some(doc) = doc else { return (Treatment::NoPolicy, None) };
        if let Some(i) = doc.hide.iter().flatten().position(|h| h == tool || h == "*") {
            return (Treatment::Hidden, Some(pointer(["hide", &i.to_string()])));
        }
        match doc.tools.as_ref().and_then(|t| t.get(tool)) {
            Some(rules) if rules.is_empty() => (Treatment::Allowed, Some(pointer(["tools", tool]))),
            Some(_) => (Treatment::Rules, Some(pointer(["tools", tool]))),
            None => match doc.default {
                DefaultAction::Deny => (Treatment::DeniedByDefault, Some("/default".into())),
                DefaultAction::Allow => (Treatment::AllowedByDefault, Some("/default".into())),
            },
        }
    }

    /// The treatment as text: `hidden`, `allowed-by-default`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            Treatment::NoPolicy => "no-policy",
            Treatment::Hidden => "hidden",
            Treatment::Allowed => "allowed",
            Treatment::Rules => "rules",
            Treatment::DeniedByDefault => "denied-by-default",
            Treatment::AllowedByDefault => "allowed-by-default",
        }
    }
}

/// A tool that appeared, disappeared or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftedTool {
    /// Tool name.
    pub name: String,
    /// What the policy does with it.
    pub policy: Treatment,
    /// The policy entry that decides that (`/tools/<name>`, `/hide/<i>`, `/default`), if any.
    pub pointer: Option<String>,
    /// For a changed tool: how its `inputSchema` changed, one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schema_changes: Vec<String>,
}

/// The drift between two tool lists (`"drift"` in `check --format json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolDrift {
    /// Tools only in the new list, in its order.
    pub appeared: Vec<DriftedTool>,
    /// Tools only in the old list, in its order.
    pub disappeared: Vec<DriftedTool>,
    /// Tools in both whose `inputSchema` differs, in the new list's order.
    pub changed: Vec<DriftedTool>,
    /// Warnings (code [`NEW_TOOL_ALLOWED_BY_DEFAULT`]).
    pub warnings: Vec<Warning>,
}

impl ToolDrift {
    /// True when the tool lists have the same tools and schemas.
    pub fn is_empty(&self) -> bool {
        self.appeared.is_empty() && self.disappeared.is_empty() && self.changed.is_empty()
    }
}

fn properties(schema: &Value) -> BTreeMap<&str, &Value> {
    schema.get("properties").and_then(Value::as_object).into_iter().flatten().map(|(k, v)| (k.as_str(), v)).collect()
}

fn required(schema: &Value) -> Vec<&str> {
    schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect()
}

/// How an input schema changed, one line per difference (empty when equal).
pub fn schema_changes(before: &Value, after: &Value) -> Vec<String> {
    if before == after {
        return Vec::new();
    }
    let mut out = Vec::new();
    let (old, new) = (properties(before), properties(after));
    for (name, v) in &new {
        match old.get(name) {
            None => out.push(format!("argument `{name}` added")),
            Some(o) if o != v => out.push(format!("argument `{name}` changed")),
            Some(_) => {}
        }
    }
    out.extend(old.keys().filter(|k| !new.contains_key(*k)).map(|k| format!("argument `{k}` removed")));
    let (old_req, new_req) = (required(before), required(after));
    out.extend(new_req.iter().filter(|r| !old_req.contains(r)).map(|r| format!("argument `{r}` now required")));
    out.extend(old_req.iter().filter(|r| !new_req.contains(r)).map(|r| format!("argument `{r}` no longer required")));
    let other = |s: &Value| -> BTreeMap<String, Value> {
        s.as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| *k != "properties" && *k != "required")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let (old_rest, new_rest) = (other(before), other(after));
    let keys: std::collections::BTreeSet<&String> = old_rest.keys().chain(new_rest.keys()).collect();
    for k in keys {
        if old_rest.get(k) != new_rest.get(k) {
            out.push(format!("`{k}` changed"));
        }
    }
    if out.is_empty() {
        out.push("schema changed".into());
    }
    out
}

/// Compares two tool lists under a policy document (`None`: no policy attached).
pub fn tool_drift(doc: Option<&PolicyDoc>, before: &[ToolInfo], after: &[ToolInfo]) -> ToolDrift {
    let old: BTreeMap<&str, &ToolInfo> = before.iter().map(|t| (t.name.as_str(), t)).collect();
    let new: BTreeMap<&str, &ToolInfo> = after.iter().map(|t| (t.name.as_str(), t)).collect();
    let drifted = |name: &str, schema_changes: Vec<String>| {
        let (policy, pointer) = Treatment::of(doc, name);
        DriftedTool { name: name.to_string(), policy, pointer, schema_changes }
    };
    let mut d = ToolDrift::default();
    let mut seen = std::collections::BTreeSet::new();
    for t in after {
        if !seen.insert(t.name.as_str()) {
            continue;
        }
        match old.get(t.name.as_str()) {
            None => {
                let tool = drifted(&t.name, Vec::new());
                if tool.policy == Treatment::AllowedByDefault {
                    d.warnings.push(
                        Warning::warning(
                            NEW_TOOL_ALLOWED_BY_DEFAULT,
                            "/default",
                            format!("new tool `{}` is allowed by `default: \"allow\"` with no rule", t.name),
                        )
                        .with_help(Some(format!(
                            "list it under `tools` (with rules, or `{{}}` to allow it on purpose) or add it to `hide`: `\"{}\"`",
                            t.name
                        ))),
                    );
                }
                d.appeared.push(tool);
            }
            Some(o) => {
                let changes = schema_changes(&o.input_schema, &t.input_schema);
                if !changes.is_empty() {
                    d.changed.push(drifted(&t.name, changes));
                }
            }
        }
    }
    let mut gone = std::collections::BTreeSet::new();
    for t in before {
        if !new.contains_key(t.name.as_str()) && gone.insert(t.name.as_str()) {
            d.disappeared.push(drifted(&t.name, Vec::new()));
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::evaluate::parse_policy;
    use crate::eval::tools::parse_tool_list;

    #[test]
    fn tools_that_appear_disappear_or_change_are_reported_with_their_treatment() {
        let p =
            parse_policy(r#"{"version":"1","default":"deny","tools":{"pay":{"require":["args.reason"]},"ping":{}}}"#)
                .unwrap()
                .unwrap();
        let old = parse_tool_list(
            r#"{"tools":[{"name":"pay","inputSchema":{"type":"object","properties":{"amount":{"type":"number"},"reason":{"type":"string"}},"required":["amount"]}},{"name":"old"}]}"#,
        )
        .unwrap();
        let new = parse_tool_list(
            r#"{"tools":[{"name":"pay","inputSchema":{"type":"object","properties":{"amount":{"type":"string"},"memo":{"type":"string"}},"required":["amount","memo"]}},{"name":"ping"},{"name":"fresh"}]}"#,
        )
        .unwrap();
        let d = tool_drift(Some(p.doc()), &old, &new);
        let names = |v: &[DriftedTool]| v.iter().map(|t| (t.name.clone(), t.policy)).collect::<Vec<_>>();
        assert_eq!(
            names(&d.appeared),
            [("ping".into(), Treatment::Allowed), ("fresh".into(), Treatment::DeniedByDefault)]
        );
        assert_eq!(names(&d.disappeared), [("old".into(), Treatment::DeniedByDefault)]);
        assert_eq!(names(&d.changed), [("pay".into(), Treatment::Rules)]);
        assert_eq!(
            d.changed[0].schema_changes,
            [
                "argument `amount` changed",
                "argument `memo` added",
                "argument `reason` removed",
                "argument `memo` now required"
            ]
        );
        assert!(d.warnings.is_empty(), "default deny: nothing new is allowed silently");
        assert!(tool_drift(Some(p.doc()), &new, &new).is_empty());
        assert_eq!(tool_drift(None, &old, &new).appeared[0].policy, Treatment::NoPolicy);
    }
}
