//! Lint: warnings for a valid policy — alone, or against a pasted tool list
//! (`interfaces.md` § Lint).
//!
//! A warning is not an error: the policy is valid and evaluates as written, but probably not as
//! its author meant. Codes are stable:
//!
//! | code | needs the tool list | fires when |
//! |---|---|---|
//! | `unknown-tool` | yes | a `tools` key or `hide` entry names no tool of the list |
//! | `unknown-arg` | yes | an `args.*` path names no property of the tool's `inputSchema` |
//! | `type-mismatch` | yes | an operator or value disagrees with the property's schema type or `enum` |
//! | `optional-arg-deny` | yes | a `deny_if` condition reads an argument the caller may omit (or send as `null`) |
//! | `numeric-condition-on-string` | yes | a numeric condition (`lt` … `gte`, `eq`/`in` numbers in `deny_if`; `neq`/`not_in` numbers in `require`) that a number sent as a string (`"50000"`) slips past, on an argument the schema lets be a string or leaves untyped, with no `require` entry making it a number |
//! | `unreachable-rules` | no | a tool is hidden and also has an entry under `tools` |
//! | `everything-denied` | no | no call can ever be allowed |
//! | `counter-max-mismatch` | no | one counter name is declared with different `max` values |
//!
//! Schemas in real tool lists vary (`type` arrays, `anyOf` with `null`, local `$ref`s, `$defs`);
//! what this module cannot read is treated as "anything goes" — never as a warning.
//! Warnings come in document order (`version`, `default`, `hide`, `all_tools`, then each tool
//! in order: the entry, its `require`, `deny_if` and `limits`).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::advise::input_schema::{Facts, Found, InputSchema, JsonType, Lookup, name_list, show, value_list};
use crate::diagnostic::fuzzy::{did_you_mean, suggestion};
use crate::eval::condition::json_eq;
use crate::eval::tools::ToolInfo;
use crate::json::pointer;
use crate::policy::path::parse_path;
use crate::policy::{Condition, DefaultAction, Limit, Op, PolicyDoc, RequireEntry, ToolRules};

/// `tools` key or `hide` entry not in the tool list.
pub const UNKNOWN_TOOL: &str = "unknown-tool";
/// `args.*` path not in the tool's input schema.
pub const UNKNOWN_ARG: &str = "unknown-arg";
/// Operator or value type disagrees with the input schema.
pub const TYPE_MISMATCH: &str = "type-mismatch";
/// A hidden tool that also has an entry under `tools`.
pub const UNREACHABLE_RULES: &str = "unreachable-rules";
/// No call can ever be allowed.
pub const EVERYTHING_DENIED: &str = "everything-denied";
/// A `deny_if` on an argument a caller can leave out.
pub const OPTIONAL_ARG_DENY: &str = "optional-arg-deny";
/// One counter declared with different `max` values.
pub const COUNTER_MAX_MISMATCH: &str = "counter-max-mismatch";
/// A numeric condition that a number sent as a string slips past.
pub const NUMERIC_CONDITION_ON_STRING: &str = "numeric-condition-on-string";

/// Every warning code, in the order of the table above.
pub const CODES: [&str; 8] = [
    UNKNOWN_TOOL,
    UNKNOWN_ARG,
    TYPE_MISMATCH,
    OPTIONAL_ARG_DENY,
    NUMERIC_CONDITION_ON_STRING,
    UNREACHABLE_RULES,
    EVERYTHING_DENIED,
    COUNTER_MAX_MISMATCH,
];

/// One lint warning: a [`Diagnostic`](crate::diagnostic::Diagnostic) of severity warning, with
/// a stable code from [`CODES`].
pub type Warning = crate::diagnostic::Diagnostic;

/// Lints a policy document. With `tools` (a parsed `tools/list`), also checks tool names,
/// argument paths and value types against the tools' input schemas.
pub fn lint(doc: &PolicyDoc, tools: Option<&[ToolInfo]>) -> Vec<Warning> {
    let mut by_name = BTreeMap::new();
    for t in tools.into_iter().flatten() {
        by_name.entry(t.name.as_str()).or_insert(t);
    }
    let mut l = Linter { doc, tools, by_name, counters: BTreeMap::new(), out: Vec::new() };
    l.default_denies_everything();
    l.hide();
    if let Some(limits) = doc.all_tools.as_ref().and_then(|a| a.limits.as_ref()) {
        l.limits(limits, &["all_tools", "limits"]);
    }
    for (name, rules) in doc.tools.iter().flatten() {
        l.tool(name, rules);
    }
    l.out
}

/// A tool's name and its input schema reader.
struct ToolSchema<'a> {
    tool: &'a str,
    reader: InputSchema<'a>,
}

struct Linter<'a> {
    doc: &'a PolicyDoc,
    tools: Option<&'a [ToolInfo]>,
    by_name: BTreeMap<&'a str, &'a ToolInfo>,
    /// counter → (max, pointer of its first declaration)
    counters: BTreeMap<&'a str, (u64, String)>,
    out: Vec<Warning>,
}

impl<'a> Linter<'a> {
    fn warn(&mut self, code: &str, pointer: String, message: String, help: Option<String>) {
        self.out.push(Warning::warning(code, pointer, message).with_help(help));
    }

    fn hidden_by_name(&self, tool: &str) -> bool {
        self.doc.hide.iter().flatten().any(|h| h == tool)
    }

    fn hide_all(&self) -> bool {
        self.doc.hide.iter().flatten().any(|h| h == "*")
    }

    fn default_denies_everything(&mut self) {
        if self.doc.default != DefaultAction::Deny || self.hide_all() {
            return; // `"*"` in `hide` is reported at its entry.
        }
        let entries = self.doc.tools.iter().flatten().collect::<Vec<_>>();
        let can_allow = |(name, rules): &(&String, &ToolRules)| {
            !self.hidden_by_name(name) && !rules.deny_if.iter().flatten().any(|r| r.conditions.is_empty())
        };
        if entries.iter().any(can_allow) {
            return;
        }
        let (message, help) = if entries.is_empty() {
            (
                "`default` is `deny` and no tool is listed under `tools`, so every call is denied".to_string(),
                "list the tools to allow under `tools`: an empty entry `{}` allows a tool",
            )
        } else {
            (
                "`default` is `deny` and every tool listed under `tools` is hidden or denied unconditionally, \
                 so every call is denied"
                    .to_string(),
                "allow at least one tool: an empty entry `{}` under `tools` allows it",
            )
        };
        self.warn(EVERYTHING_DENIED, "/default".into(), message, Some(help.into()));
    }

    fn hide(&mut self) {
        let hide = self.doc.hide.iter().flatten().enumerate();
        for (i, name) in hide {
            let ptr = pointer(["hide", &i.to_string()]);
            if name == "*" {
                self.warn(
                    EVERYTHING_DENIED,
                    ptr,
                    "`\"*\"` in `hide` hides every tool, so no call can ever be allowed".into(),
                    Some("list the tools to hide by name".into()),
                );
                continue;
            }
            if self.tools.is_some() && !self.by_name.contains_key(name.as_str()) {
                let help = self.tool_suggestion(name);
                self.warn(UNKNOWN_TOOL, ptr, format!("hidden tool `{name}` is not in the tool list"), help);
            }
        }
    }

    fn tool_suggestion(&self, name: &str) -> Option<String> {
        let candidates = self.tools.into_iter().flatten().map(|t| t.name.as_str());
        suggestion(name, candidates)
    }

    fn tool(&mut self, name: &'a str, rules: &'a ToolRules) {
        let base = pointer(["tools", name]);
        let info = self.by_name.get(name).copied();
        if self.tools.is_some() && info.is_none() {
            let help = if name == "*" {
                Some(
                    "under `tools`, `*` is a literal tool name, not a wildcard: `default` decides unlisted tools"
                        .into(),
                )
            } else {
                self.tool_suggestion(name)
            };
            self.warn(UNKNOWN_TOOL, base.clone(), format!("tool `{name}` is not in the tool list"), help);
        }
        if self.hidden_by_name(name) {
            self.warn(
                UNREACHABLE_RULES,
                base.clone(),
                format!("tool `{name}` is hidden, so its entry under `tools` never applies"),
                Some(format!("remove `{name}` from `hide`, or remove this entry")),
            );
        } else if self.hide_all() {
            self.warn(
                UNREACHABLE_RULES,
                base.clone(),
                format!("every tool is hidden by `\"*\"` in `hide`, so the entry for `{name}` never applies"),
                Some("remove `\"*\"` from `hide`, or remove this entry".into()),
            );
        }
        let schema = info.map(|t| ToolSchema { tool: &t.name, reader: InputSchema::new(&t.input_schema) });
        for (i, entry) in rules.require.iter().flatten().enumerate() {
            let ptr = format!("{base}/require/{i}");
            match entry {
                RequireEntry::Shorthand(path) => {
                    if let Some(s) = &schema {
                        self.path_known(s, path, &ptr);
                    }
                }
                RequireEntry::Rule(rule) => {
                    for (j, c) in rule.conditions.iter().enumerate() {
                        if let Some(s) = &schema {
                            self.condition(s, rules, c, &format!("{ptr}/conditions/{j}"), false);
                        }
                    }
                }
            }
        }
        for (i, rule) in rules.deny_if.iter().flatten().enumerate() {
            for (j, c) in rule.conditions.iter().enumerate() {
                if let Some(s) = &schema {
                    self.condition(s, rules, c, &format!("{base}/deny_if/{i}/conditions/{j}"), true);
                }
            }
        }
        if let Some(limits) = &rules.limits {
            self.limits(limits, &["tools", name, "limits"]);
        }
    }

    /// Looks a path up, warning `unknown-arg` when the schema says it cannot exist.
    fn path_known(&mut self, schema: &ToolSchema<'a>, path: &str, ptr: &str) -> Option<Found<'a>> {
        let segments = parse_path(path).ok()?;
        match schema.reader.lookup(&segments) {
            Lookup::Unknown => None,
            Lookup::Found(found) => Some(found),
            Lookup::Missing { level, candidates } => {
                let prefix: Vec<&str> = segments.iter().take(level).map(String::as_str).collect();
                let missing = segments.get(level).map_or("", String::as_str);
                let help = match did_you_mean(missing, candidates.iter().map(String::as_str)) {
                    Some(s) => {
                        let mut full: Vec<&str> = prefix.clone();
                        full.push(s);
                        Some(format!("did you mean `args.{}`?", full.join(".")))
                    }
                    None if candidates.is_empty() && level == 0 => {
                        Some(format!("`{}` takes no arguments", schema.tool))
                    }
                    None if candidates.is_empty() => None,
                    None => {
                        Some(format!("known properties here: {}", name_list(candidates.iter().map(String::as_str))))
                    }
                };
                self.warn(
                    UNKNOWN_ARG,
                    ptr.to_string(),
                    format!("argument `{path}` is not in the input schema of `{}`", schema.tool),
                    help,
                );
                None
            }
        }
    }

    fn condition(&mut self, schema: &ToolSchema<'a>, rules: &ToolRules, c: &Condition, ptr: &str, deny_if: bool) {
        let Some(found) = self.path_known(schema, &c.path, &format!("{ptr}/path")) else { return };
        let facts = schema.reader.facts(&found.schemas);
        self.types(schema, c, &facts, ptr);
        if deny_if && c.op != Op::Exists && (!found.required || facts.nullable()) && !policy_requires(rules, &c.path) {
            let tool = schema.tool;
            let path = &c.path;
            let message = if found.required {
                format!(
                    "`{path}` may be `null` in the input schema of `{tool}`, and `null` counts as absent: \
                     a call that sends `null` is not denied by this condition"
                )
            } else {
                format!(
                    "`{path}` is optional in the input schema of `{tool}`: a call that omits it is not denied by \
                     this condition"
                )
            };
            let help = if rules.require.is_some() {
                format!("add `\"{path}\"` to the `require` list of `{tool}`")
            } else {
                format!("add `\"require\": [\"{path}\"]` to `{tool}`")
            };
            self.warn(OPTIONAL_ARG_DENY, format!("{ptr}/path"), message, Some(help));
        }
        self.numbers_as_strings(schema, rules, c, &found, &facts, ptr, deny_if);
    }

    /// `numeric-condition-on-string`: a numeric condition that a number sent as a string slips
    /// past (`"50000"` is not `gt 10000`), on an argument the schema lets be a string (or does
    /// not type at all) — and lax servers convert such strings to numbers.
    #[expect(clippy::too_many_arguments, reason = "one call site; the pieces of one condition in context")]
    fn numbers_as_strings(
        &mut self,
        schema: &ToolSchema<'a>,
        rules: &ToolRules,
        c: &Condition,
        found: &Found<'a>,
        facts: &Facts,
        ptr: &str,
        deny_if: bool,
    ) {
        let untyped = found.schemas.iter().all(|s| {
            s.as_object().is_some_and(|o| {
                !["type", "enum", "const", "anyOf", "oneOf", "allOf", "$ref", "not"].iter().any(|k| o.contains_key(*k))
            })
        });
        let may_be_string = match &facts.types {
            // A string-only schema gets `type-mismatch` instead.
            Some(types) => types.has(JsonType::String) && types.number_like(),
            None => untyped,
        };
        if !may_be_string || facts.enumeration.is_some() || number_guarded(rules, &c.path) {
            return;
        }
        let numeric_operand = match &c.value {
            Value::Number(_) => true,
            Value::Array(items) => !items.is_empty() && items.iter().all(Value::is_number),
            _ => false,
        };
        let (op, path, tool) = (c.op, &c.path, schema.tool);
        // Which pairings let a number sent as a string through: in `deny_if`, those that are
        // false for a string; in `require`, those that are true for one.
        let slips = match op {
            Op::Lt | Op::Lte | Op::Gt | Op::Gte => deny_if,
            Op::Eq | Op::In => deny_if && numeric_operand,
            Op::Neq | Op::NotIn => !deny_if && numeric_operand,
            Op::Regex | Op::Contains | Op::Exists => false,
        };
        if !slips {
            return;
        }
        let sample = match &c.value {
            Value::Array(items) => items.first().map(show).unwrap_or_default(),
            v => show(v),
        };
        let message = if deny_if {
            format!(
                "`{op}` only holds for numbers, and `{path}` may be a string in the input schema of `{tool}`: a call \
                 that sends it as a string (`\"{sample}\"`) is not denied by this condition, and a server that \
                 converts strings to numbers acts on it"
            )
        } else {
            format!(
                "`{op}` holds for any string, and `{path}` may be a string in the input schema of `{tool}`: a call \
                 that sends `\"{sample}\"` meets this `require` entry, and a server that converts strings to \
                 numbers acts on it"
            )
        };
        let inverse = match op {
            Op::Gt => Some(Op::Lte),
            Op::Gte => Some(Op::Lt),
            Op::Lt => Some(Op::Gte),
            Op::Lte => Some(Op::Gt),
            _ => None,
        };
        let help = match inverse {
            Some(inv) => format!(
                "{}; or, when this is the entry's only condition, state the limit as a `require` entry, which only \
                 numbers meet: `{{\"conditions\": [{{\"path\": \"{path}\", \"op\": \"{inv}\", \"value\": {}}}]}}`",
                number_guard_text(path),
                show(&c.value)
            ),
            None => number_guard_text(path),
        };
        self.warn(NUMERIC_CONDITION_ON_STRING, format!("{ptr}/op"), message, Some(help));
    }

    fn types(&mut self, schema: &ToolSchema<'a>, c: &Condition, facts: &Facts, ptr: &str) {
        let Some(types) = &facts.types else { return };
        let (path, tool, op) = (&c.path, schema.tool, c.op);
        let described = facts.describe();
        let mismatch_op =
            |needs: &str| Some(format!("`{op}` {needs}, but `{path}` is {described} in the input schema of `{tool}`"));
        let op_problem = match op {
            Op::Lt | Op::Lte | Op::Gt | Op::Gte if !types.number_like() => mismatch_op("compares numbers"),
            Op::Regex if !types.has(JsonType::String) => mismatch_op("matches strings"),
            Op::Contains if !types.has(JsonType::String) && !types.has(JsonType::Array) => {
                mismatch_op("looks into strings and arrays")
            }
            _ => None,
        };
        if let Some(message) = op_problem {
            let help = (types.has(JsonType::String) && op != Op::Regex)
                .then(|| "strings are never read as numbers".to_string());
            self.warn(TYPE_MISMATCH, format!("{ptr}/op"), message, help);
            return;
        }
        match (op, &c.value) {
            (Op::Eq | Op::Neq, v) => self.value(facts, c, v, &format!("{ptr}/value"), schema.tool),
            (Op::In | Op::NotIn, Value::Array(items)) => {
                for (k, v) in items.iter().enumerate() {
                    self.value(facts, c, v, &format!("{ptr}/value/{k}"), schema.tool);
                }
            }
            (Op::Contains, v) if !v.is_string() && types.has(JsonType::String) && !types.has(JsonType::Array) => {
                self.warn(
                    TYPE_MISMATCH,
                    format!("{ptr}/value"),
                    format!(
                        "`contains` on the string `{path}` needs a string value, found `{}`: it never matches",
                        show(v)
                    ),
                    None,
                );
            }
            _ => {}
        }
    }

    /// Checks one `eq`/`neq`/`in`/`not_in` operand against the property's enum and types.
    fn value(&mut self, facts: &Facts, c: &Condition, v: &Value, ptr: &str, tool: &str) {
        if v.is_null() {
            return;
        }
        let (op, path) = (c.op, &c.path);
        if let Some(allowed) = &facts.enumeration {
            if allowed.iter().any(|a| json_eq(a, v)) {
                return;
            }
            let strings = allowed.iter().filter_map(Value::as_str);
            let help = v
                .as_str()
                .and_then(|s| did_you_mean(s, strings))
                .map(|s| format!("did you mean `\"{s}\"`?"))
                .or_else(|| Some(format!("allowed values: {}", value_list(allowed))));
            self.warn(
                TYPE_MISMATCH,
                ptr.to_string(),
                format!(
                    "`{op}` value `{}` is not one of the values the input schema of `{tool}` allows for `{path}`",
                    show(v)
                ),
                help,
            );
            return;
        }
        if let Some(types) = &facts.types
            && !types.fits(v)
        {
            let help = match v {
                Value::String(s) if s.trim().parse::<f64>().is_ok() && types.number_like() => {
                    Some(format!("values are never converted: write `{}` without quotes", s.trim()))
                }
                _ => None,
            };
            self.warn(
                TYPE_MISMATCH,
                ptr.to_string(),
                format!(
                    "`{op}` value `{}` is {}, but `{path}` is {} in the input schema of `{tool}`",
                    show(v),
                    crate::json::json_type_name(v),
                    facts.describe()
                ),
                help,
            );
        }
    }

    fn limits(&mut self, limits: &'a [Limit], base: &[&str]) {
        for (i, limit) in limits.iter().enumerate() {
            let index = i.to_string();
            let mut segs = base.to_vec();
            segs.push(&index);
            let ptr = pointer(segs);
            match self.counters.get(limit.counter.as_str()) {
                None => {
                    self.counters.insert(&limit.counter, (limit.max, ptr));
                }
                Some((max, first)) if *max != limit.max => {
                    let message = format!(
                        "counter `{}` has `max` {} here but {} at `{first}`: both limits count calls in one shared bucket",
                        limit.counter, limit.max, max
                    );
                    self.warn(
                        COUNTER_MAX_MISMATCH,
                        format!("{ptr}/max"),
                        message,
                        Some("give this limit its own counter name for a separate quota, or use the same `max`".into()),
                    );
                }
                Some(_) => {}
            }
        }
    }
}

/// The smallest finite JSON number: `gte` it holds for every number and nothing else.
const LOWEST_NUMBER: &str = "-1.7976931348623157e308";

fn number_guard_text(path: &str) -> String {
    format!(
        "add a `require` entry that every number meets and nothing else does: `{{\"conditions\": [{{\"path\": \
         \"{path}\", \"op\": \"gte\", \"value\": {LOWEST_NUMBER}}}]}}`"
    )
}

/// True when a `require` entry of the tool holds only when `path` is a number: a one-condition
/// entry comparing it (`lt` … `gte`), or `eq`/`in` against numbers only.
fn number_guarded(rules: &ToolRules, path: &str) -> bool {
    rules.require.iter().flatten().any(|entry| match entry {
        RequireEntry::Rule(r) => r.conditions.iter().any(|c| {
            c.path == path
                && match (c.op, &c.value) {
                    (Op::Lt | Op::Lte | Op::Gt | Op::Gte, _) => true,
                    (Op::Eq, Value::Number(_)) => true,
                    (Op::In, Value::Array(items)) => !items.is_empty() && items.iter().all(Value::is_number),
                    _ => false,
                }
        }),
        RequireEntry::Shorthand(_) => false,
    })
}

/// True when the tool's `require` entries make `path` present (not null) in every allowed call,
/// or a `deny_if` entry denies the calls where it is absent.
fn policy_requires(rules: &ToolRules, path: &str) -> bool {
    let covers = |p: &str| p == path || p.strip_prefix(path).is_some_and(|rest| rest.starts_with('.'));
    let required = rules.require.iter().flatten().any(|entry| match entry {
        RequireEntry::Shorthand(p) => covers(p),
        // Every operator but `exists: false` is false on an absent path.
        RequireEntry::Rule(r) => {
            r.conditions.iter().any(|c| covers(&c.path) && !(c.op == Op::Exists && c.value == Value::Bool(false)))
        }
    });
    let denied_when_absent = rules.deny_if.iter().flatten().any(|r| {
        matches!(r.conditions.as_slice(), [c] if c.path == path && c.op == Op::Exists && c.value == Value::Bool(false))
    });
    required || denied_when_absent
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(name: &str, schema: Value) -> ToolInfo {
        ToolInfo { name: name.into(), title: None, description: None, input_schema: schema, annotations: json!({}) }
    }

    fn doc(v: Value) -> PolicyDoc {
        serde_json::from_value(v).unwrap()
    }

    fn codes(ws: &[Warning]) -> Vec<&str> {
        ws.iter().map(|w| w.code.as_str()).collect()
    }

    fn refund() -> ToolInfo {
        tool(
            "create_refund",
            json!({
                "type": "object",
                "properties": {
                    "payment_intent": {"type": "string"},
                    "amount": {"type": "integer"},
                    "reason": {"anyOf": [{"$ref": "#/$defs/Reason"}, {"type": "null"}]},
                    "metadata": {"type": "object", "properties": {"order": {"type": ["string", "null"]}}},
                    "extra": {"type": "object", "additionalProperties": true}
                },
                "required": ["payment_intent", "amount"],
                "$defs": {"Reason": {"enum": ["duplicate", "fraudulent", "requested_by_customer"]}}
            }),
        )
    }

    fn lint_refund(rules: Value) -> Vec<Warning> {
        let d = doc(json!({"version": "1", "default": "deny", "tools": {"create_refund": rules}}));
        lint(&d, Some(&[refund()]))
    }

    #[test]
    fn refs_and_any_of_with_null_are_read() {
        let ws =
            lint_refund(json!({"deny_if": [{"conditions": [{"path": "args.reason", "op": "eq", "value": "dupe"}]}]}));
        assert_eq!(codes(&ws), [TYPE_MISMATCH, OPTIONAL_ARG_DENY]);
        assert_eq!(ws[0].pointer, "/tools/create_refund/deny_if/0/conditions/0/value");
        assert_eq!(
            ws[0].help.as_deref(),
            Some("allowed values: `\"duplicate\"`, `\"fraudulent\"`, `\"requested_by_customer\"`, `null`")
        );
        let ws = lint_refund(json!({
            "require": ["args.reason"],
            "deny_if": [{"conditions": [{"path": "args.reason", "op": "eq", "value": "fraudulent"}]}]
        }));
        assert!(ws.is_empty(), "{ws:?}");
    }

    #[test]
    fn nested_properties_are_checked_and_open_objects_are_not() {
        let ws = lint_refund(json!({"require": ["args.metadata.ordr", "args.extra.anything", "args.amount.x"]}));
        assert_eq!(codes(&ws), [UNKNOWN_ARG]);
        assert_eq!(ws[0].pointer, "/tools/create_refund/require/0");
        assert_eq!(ws[0].help.as_deref(), Some("did you mean `args.metadata.order`?"));
    }

    #[test]
    fn integer_properties_reject_fractions_and_strings() {
        let ws = lint_refund(json!({
            "require": [{"conditions": [{"path": "args.amount", "op": "in", "value": [1, 2.5, "3", 4.0]}]}]
        }));
        assert_eq!(
            ws.iter().map(|w| w.pointer.as_str()).collect::<Vec<_>>(),
            [
                "/tools/create_refund/require/0/conditions/0/value/1",
                "/tools/create_refund/require/0/conditions/0/value/2"
            ]
        );
        assert_eq!(ws[1].help.as_deref(), Some("values are never converted: write `3` without quotes"));
    }

    #[test]
    fn nullable_required_arguments_still_warn_on_deny_if() {
        let t =
            tool("t", json!({"type": "object", "properties": {"n": {"type": ["number", "null"]}}, "required": ["n"]}));
        let d = doc(json!({"version": "1", "default": "deny", "tools": {"t": {
            "deny_if": [{"conditions": [{"path": "args.n", "op": "gt", "value": 5}]}]
        }}}));
        let ws = lint(&d, Some(&[t]));
        assert_eq!(codes(&ws), [OPTIONAL_ARG_DENY]);
        assert!(ws[0].message.contains("`null` counts as absent"), "{}", ws[0].message);
    }

    #[test]
    fn a_deny_if_on_absence_covers_omission() {
        let ws = lint_refund(json!({"deny_if": [
            {"conditions": [{"path": "args.metadata.order", "op": "exists", "value": false}]},
            {"conditions": [{"path": "args.metadata.order", "op": "regex", "value": "^test"}]}
        ]}));
        assert!(ws.is_empty(), "{ws:?}");
    }

    #[test]
    fn unreadable_schemas_give_no_warnings() {
        for schema in [
            json!({}),
            json!(true),
            json!({"type": "object", "properties": {"a": {"$ref": "https://example.com/x"}}, "required": ["a"]}),
            json!({"$ref": "#/$defs/Loop", "$defs": {"Loop": {"$ref": "#/$defs/Loop"}}}),
            json!({"anyOf": [{"type": "object"}, {"type": "null"}]}),
            json!({"type": "object", "properties": {"a": {"type": "strange"}}, "required": ["a"]}),
            json!({"type": "object", "properties": {"a": {"allOf": [{"type": "string"}, {"minLength": 1}]}}, "required": ["a"]}),
            json!({"type": "object", "properties": "nope"}),
        ] {
            let d = doc(json!({"version": "1", "default": "deny", "tools": {"t": {
                "deny_if": [{"conditions": [{"path": "args.a", "op": "gt", "value": 1}]}]
            }}}));
            let ws = lint(&d, Some(&[tool("t", schema.clone())]));
            assert!(ws.is_empty(), "{schema}: {ws:?}");
        }
    }

    fn lint_one(schema: Value, rules: Value) -> Vec<Warning> {
        let d = doc(json!({"version": "1", "default": "deny", "tools": {"t": rules}}));
        lint(&d, Some(&[tool("t", schema)]))
    }

    #[test]
    fn a_number_sent_as_a_string_slips_past_numeric_deny_if_conditions_and_the_lint_says_so() {
        let schema =
            |amount: Value| json!({"type": "object", "properties": {"amount": amount}, "required": ["amount"]});
        let deny_gt = json!({"deny_if": [{"conditions": [{"path": "args.amount", "op": "gt", "value": 10000}]}]});
        for amount in [json!({}), json!({"type": ["number", "string"]}), json!({"description": "in cents"})] {
            let ws = lint_one(schema(amount.clone()), deny_gt.clone());
            assert_eq!(codes(&ws), [NUMERIC_CONDITION_ON_STRING], "{amount}");
            assert_eq!(ws[0].pointer, "/tools/t/deny_if/0/conditions/0/op");
            assert!(ws[0].message.contains("(`\"10000\"`)"), "{}", ws[0].message);
            let help = ws[0].help.as_deref().unwrap();
            assert!(
                help.contains(r#"{"path": "args.amount", "op": "gte", "value": -1.7976931348623157e308}"#),
                "{help}"
            );
            assert!(help.contains(r#""op": "lte", "value": 10000"#), "{help}");
        }
        // Numbers only, strings only (`type-mismatch`), or unreadable: no such warning.
        for amount in [
            json!({"type": "integer"}),
            json!({"type": "string"}),
            json!({"type": "strange"}),
            json!({"allOf": [{}, {}]}),
        ] {
            let ws = lint_one(schema(amount.clone()), deny_gt.clone());
            assert!(!codes(&ws).contains(&NUMERIC_CONDITION_ON_STRING), "{amount}: {ws:?}");
        }
        // `eq`/`in` numbers in `deny_if`, `neq`/`not_in` numbers in `require`; not the other way round.
        for (rules, warns) in [
            (json!({"deny_if": [{"conditions": [{"path": "args.amount", "op": "eq", "value": 0}]}]}), true),
            (json!({"deny_if": [{"conditions": [{"path": "args.amount", "op": "in", "value": [0, 1]}]}]}), true),
            (json!({"deny_if": [{"conditions": [{"path": "args.amount", "op": "in", "value": [0, "0"]}]}]}), false),
            (json!({"deny_if": [{"conditions": [{"path": "args.amount", "op": "neq", "value": 0}]}]}), false),
            (json!({"require": [{"conditions": [{"path": "args.amount", "op": "neq", "value": 0}]}]}), true),
            (json!({"require": [{"conditions": [{"path": "args.amount", "op": "not_in", "value": [0]}]}]}), true),
            (json!({"require": [{"conditions": [{"path": "args.amount", "op": "lte", "value": 10000}]}]}), false),
        ] {
            let ws = lint_one(schema(json!({})), rules.clone());
            assert_eq!(codes(&ws).contains(&NUMERIC_CONDITION_ON_STRING), warns, "{rules}: {ws:?}");
        }
    }

    #[test]
    fn a_require_entry_that_only_numbers_meet_silences_the_numbers_as_strings_warning() {
        let schema = json!({"type": "object", "properties": {"amount": {}}, "required": ["amount"]});
        for guard in [
            json!({"conditions": [{"path": "args.amount", "op": "gte", "value": -1.7976931348623157e308}]}),
            json!({"conditions": [{"path": "args.amount", "op": "lte", "value": 1000000}, {"path": "args.x", "op": "exists", "value": true}]}),
            json!({"conditions": [{"path": "args.amount", "op": "in", "value": [1, 2, 3]}]}),
        ] {
            let rules = json!({"require": [guard],
                "deny_if": [{"conditions": [{"path": "args.amount", "op": "gt", "value": 10000}]}]});
            let ws = lint_one(schema.clone(), rules);
            assert!(!codes(&ws).contains(&NUMERIC_CONDITION_ON_STRING), "{ws:?}");
        }
        // A shorthand `require` only makes it present, not a number.
        let rules = json!({"require": ["args.amount"],
            "deny_if": [{"conditions": [{"path": "args.amount", "op": "gt", "value": 10000}]}]});
        assert_eq!(codes(&lint_one(schema, rules)), [NUMERIC_CONDITION_ON_STRING]);
    }

    #[test]
    fn sixteen_levels_of_forty_any_of_refs_lint_without_blowing_up() {
        let mut defs = serde_json::Map::new();
        for l in 0..16 {
            let v = if l == 15 {
                json!({"type": "object", "properties": {"amount": {"type": "integer"}}, "required": ["amount"]})
            } else {
                json!({"anyOf": (0..40).map(|_| json!({"$ref": format!("#/$defs/L{}", l + 1)})).collect::<Vec<_>>(),
                       "oneOf": [{"$ref": format!("#/$defs/L{}", l + 1)}]})
            };
            defs.insert(format!("L{l}"), v);
        }
        let schema = json!({"$ref": "#/$defs/L0", "$defs": defs});
        let conditions: Vec<Value> = (0..200).map(|_| json!({"path": "args.amont", "op": "gt", "value": 1})).collect();
        let d =
            doc(json!({"version": "1", "default": "deny", "tools": {"t": {"require": [{"conditions": conditions}]}}}));
        // Each level's definition is expanded once, so the schema is read to the bottom, 200 times.
        let ws = lint(&d, Some(&[tool("t", schema)]));
        assert_eq!(ws.len(), 200);
        assert!(ws.iter().all(|w| w.code == UNKNOWN_ARG && w.help.as_deref() == Some("did you mean `args.amount`?")));
    }

    #[test]
    fn warnings_serialize_without_empty_help() {
        let w = Warning::warning("x", "/a", "m");
        assert_eq!(serde_json::to_value(&w).unwrap(), json!({"code": "x", "pointer": "/a", "message": "m"}));
        assert_eq!(w.to_string(), "warning[x] /a: m");
    }

    #[test]
    fn tool_names_with_slashes_get_escaped_pointers() {
        let d = doc(json!({"version": "1", "default": "allow", "hide": ["a/b~c"], "tools": {"a/b~c": {}}}));
        let ws = lint(&d, None);
        assert_eq!(codes(&ws), [UNREACHABLE_RULES]);
        assert_eq!(ws[0].pointer, "/tools/a~1b~0c");
    }
}
