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
//! | `unreachable-rules` | no | a tool is hidden and also has an entry under `tools` |
//! | `everything-denied` | no | no call can ever be allowed |
//! | `counter-max-mismatch` | no | one counter name is declared with different `max` values |
//!
//! Schemas in real tool lists vary (`type` arrays, `anyOf` with `null`, local `$ref`s, `$defs`);
//! what this module cannot read is treated as "anything goes" — never as a warning.
//! Warnings come in document order (`version`, `default`, `hide`, `all_tools`, then each tool
//! in order: the entry, its `require`, `deny_if` and `limits`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::condition::json_eq;
use crate::fuzzy::did_you_mean;
use crate::policy::{Condition, DefaultAction, Limit, Op, PolicyDoc, RequireEntry, ToolRules, pointer};
use crate::tools::ToolInfo;
use crate::validate::parse_path;

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

/// Every warning code, in the order of the table above.
pub const CODES: [&str; 7] = [
    UNKNOWN_TOOL,
    UNKNOWN_ARG,
    TYPE_MISMATCH,
    OPTIONAL_ARG_DENY,
    UNREACHABLE_RULES,
    EVERYTHING_DENIED,
    COUNTER_MAX_MISMATCH,
];

/// One warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Stable code, e.g. `unknown-arg`.
    pub code: String,
    /// RFC 6901 pointer to the policy node the warning is about.
    pub pointer: String,
    /// What is probably wrong: lowercase start, user input in backticks, no final period.
    pub message: String,
    /// A hint, e.g. "did you mean `args.amount`?".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ptr = if self.pointer.is_empty() { "(root)" } else { &self.pointer };
        write!(f, "warning[{}] {ptr}: {}", self.code, self.message)?;
        if let Some(h) = &self.help {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

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

struct Linter<'a> {
    doc: &'a PolicyDoc,
    tools: Option<&'a [ToolInfo]>,
    by_name: BTreeMap<&'a str, &'a ToolInfo>,
    /// counter → (max, pointer of its first declaration)
    counters: BTreeMap<&'a str, (u64, String)>,
    out: Vec<Warning>,
}

fn ticked(s: &str) -> String {
    format!("`{s}`")
}

/// A JSON value as a message quotes it: compact, at most 40 characters.
fn show(v: &Value) -> String {
    let s = serde_json::to_string(v).unwrap_or_default();
    if s.chars().count() > 40 { s.chars().take(37).chain("...".chars()).collect() } else { s }
}

/// A list of names for a help text: at most 8, then "…".
fn name_list<'s>(names: impl IntoIterator<Item = &'s str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    let mut out: Vec<String> = names.iter().take(8).map(|n| ticked(n)).collect();
    if names.len() > 8 {
        out.push(format!("and {} more", names.len() - 8));
    }
    out.join(", ")
}

impl<'a> Linter<'a> {
    fn warn(&mut self, code: &str, pointer: String, message: String, help: Option<String>) {
        self.out.push(Warning { code: code.into(), pointer, message, help });
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
        did_you_mean(name, candidates).map(|s| format!("did you mean `{s}`?"))
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
        let schema = info.map(|t| InputSchema { tool: &t.name, root: &t.input_schema });
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
    fn path_known(&mut self, schema: &InputSchema<'a>, path: &str, ptr: &str) -> Option<Found<'a>> {
        let segments = parse_path(path).ok()?;
        match schema.lookup(&segments) {
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

    fn condition(&mut self, schema: &InputSchema<'a>, rules: &ToolRules, c: &Condition, ptr: &str, deny_if: bool) {
        let Some(found) = self.path_known(schema, &c.path, &format!("{ptr}/path")) else { return };
        let facts = schema.facts(&found.schemas);
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
    }

    fn types(&mut self, schema: &InputSchema<'a>, c: &Condition, facts: &Facts, ptr: &str) {
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
                .or_else(|| Some(format!("allowed values: {}", name_list_values(allowed))));
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
                    crate::json_type_name(v),
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

fn name_list_values(values: &[Value]) -> String {
    let shown: Vec<String> = values.iter().map(show).collect();
    name_list(shown.iter().map(String::as_str))
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

// ---------------------------------------------------------------------------------------------
// Reading tool input schemas (JSON Schema as real MCP servers write it).

/// `$ref` hops and `anyOf` nesting followed before giving up (cycles, pathological schemas).
const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum JsonType {
    Null,
    Boolean,
    Integer,
    Number,
    String,
    Array,
    Object,
}

impl JsonType {
    fn parse(s: &str) -> Option<JsonType> {
        Some(match s {
            "null" => JsonType::Null,
            "boolean" => JsonType::Boolean,
            "integer" => JsonType::Integer,
            "number" => JsonType::Number,
            "string" => JsonType::String,
            "array" => JsonType::Array,
            "object" => JsonType::Object,
            _ => return None,
        })
    }

    fn of(v: &Value) -> JsonType {
        match v {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Boolean,
            Value::Number(n) if n.is_i64() || n.is_u64() => JsonType::Integer,
            Value::Number(_) => JsonType::Number,
            Value::String(_) => JsonType::String,
            Value::Array(_) => JsonType::Array,
            Value::Object(_) => JsonType::Object,
        }
    }

    fn article(self) -> &'static str {
        match self {
            JsonType::Null => "`null`",
            JsonType::Boolean => "a boolean",
            JsonType::Integer => "an integer",
            JsonType::Number => "a number",
            JsonType::String => "a string",
            JsonType::Array => "an array",
            JsonType::Object => "an object",
        }
    }
}

#[derive(Debug, Default, Clone)]
struct Types(std::collections::BTreeSet<JsonType>);

impl Types {
    fn has(&self, t: JsonType) -> bool {
        self.0.contains(&t)
    }

    fn number_like(&self) -> bool {
        self.has(JsonType::Number) || self.has(JsonType::Integer)
    }

    fn fits(&self, v: &Value) -> bool {
        match v {
            Value::Number(n) => {
                self.has(JsonType::Number)
                    || (self.has(JsonType::Integer)
                        && (n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)))
            }
            other => self.has(JsonType::of(other)),
        }
    }
}

/// What the schema says about one property's values.
#[derive(Debug, Default)]
struct Facts {
    /// Allowed JSON types; `None` when the schema does not say (or says something unreadable).
    types: Option<Types>,
    /// Allowed values (`enum`/`const`); `None` when not restricted.
    enumeration: Option<Vec<Value>>,
}

impl Facts {
    fn nullable(&self) -> bool {
        self.types.as_ref().is_some_and(|t| t.has(JsonType::Null))
            || self.enumeration.as_ref().is_some_and(|e| e.iter().any(Value::is_null))
    }

    fn describe(&self) -> String {
        if let Some(values) = &self.enumeration {
            return format!("one of {}", name_list_values(values));
        }
        let Some(types) = &self.types else { return "untyped".into() };
        // `null` last ("a string or `null`"); "an integer or a number" reads as "a number".
        let mut names: Vec<&str> = types
            .0
            .iter()
            .filter(|t| **t != JsonType::Null)
            .filter(|t| !(**t == JsonType::Integer && types.has(JsonType::Number)))
            .map(|t| t.article())
            .collect();
        if types.has(JsonType::Null) {
            names.push(JsonType::Null.article());
        }
        match names.as_slice() {
            [] => "never valid".into(),
            [one] => (*one).to_string(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
        }
    }
}

/// A found property: its schema(s) and whether every level of the path is required.
struct Found<'a> {
    schemas: Vec<&'a Value>,
    required: bool,
}

enum Lookup<'a> {
    /// The schema does not say (no `properties`, open `additionalProperties`, unreadable shapes).
    Unknown,
    /// Segment `level` is not a property; `candidates` are the properties at that level.
    Missing {
        level: usize,
        candidates: Vec<String>,
    },
    Found(Found<'a>),
}

struct InputSchema<'a> {
    tool: &'a str,
    root: &'a Value,
}

impl<'a> InputSchema<'a> {
    /// Follows local `$ref`s (`#/$defs/X`, `#/definitions/X`, `#`). `None` for anything else.
    fn resolve(&self, mut s: &'a Value) -> Option<&'a Value> {
        for _ in 0..MAX_DEPTH {
            let Some(r) = s.get("$ref") else { return Some(s) };
            let r = r.as_str()?;
            let target = r.strip_prefix('#')?;
            s = if target.is_empty() { self.root } else { self.root.pointer(target)? };
        }
        None
    }

    /// The alternatives a schema stands for: itself, or the branches of a bare `anyOf`/`oneOf`.
    /// Returns false when some part cannot be read.
    fn branches(&self, s: &'a Value, out: &mut Vec<&'a Value>, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let Some(s) = self.resolve(s) else { return false };
        if !s.is_object() {
            return false; // boolean schemas and garbage: anything goes
        }
        let own = ["type", "enum", "const", "properties"].iter().any(|k| s.get(k).is_some());
        let alternatives = s.get("anyOf").or_else(|| s.get("oneOf")).and_then(Value::as_array);
        match alternatives {
            Some(alts) if !own => alts.iter().all(|a| self.branches(a, out, depth + 1)),
            _ => {
                out.push(s);
                true
            }
        }
    }

    fn lookup(&self, segments: &[String]) -> Lookup<'a> {
        let mut level: Vec<&'a Value> = vec![self.root];
        let mut required = true;
        for (depth, seg) in segments.iter().enumerate() {
            let mut branches = Vec::new();
            if !level.iter().all(|s| self.branches(s, &mut branches, 0)) {
                return Lookup::Unknown;
            }
            let mut found = Vec::new();
            let mut candidates: Vec<String> = Vec::new();
            let mut open = false;
            let mut any_properties = false;
            let mut required_here = true;
            for b in branches {
                match b.get("properties") {
                    Some(Value::Object(props)) => {
                        any_properties = true;
                        if matches!(b.get("additionalProperties"), Some(Value::Object(_) | Value::Bool(true)))
                            || b.get("patternProperties").is_some()
                        {
                            open = true;
                        }
                        for k in props.keys() {
                            if !candidates.contains(k) {
                                candidates.push(k.clone());
                            }
                        }
                        if let Some(p) = props.get(seg.as_str()) {
                            found.push(p);
                            let listed = b
                                .get("required")
                                .and_then(Value::as_array)
                                .is_some_and(|r| r.iter().any(|x| x.as_str() == Some(seg.as_str())));
                            required_here &= listed;
                        }
                    }
                    Some(_) => open = true,
                    None if cannot_be_object(b) => {}
                    None => open = true,
                }
            }
            if found.is_empty() {
                if open || !any_properties {
                    return Lookup::Unknown;
                }
                return Lookup::Missing { level: depth, candidates };
            }
            required &= required_here;
            level = found;
        }
        Lookup::Found(Found { schemas: level, required })
    }

    /// Types and enum values of a property (union over its alternatives).
    fn facts(&self, schemas: &[&'a Value]) -> Facts {
        let mut branches = Vec::new();
        if !schemas.iter().all(|s| self.branches(s, &mut branches, 0)) || branches.is_empty() {
            return Facts::default();
        }
        let mut types = Types::default();
        let mut enumeration: Option<Vec<Value>> = Some(Vec::new());
        for b in branches {
            if let Some(c) = b.get("const") {
                types.0.insert(JsonType::of(c));
                if let Some(e) = enumeration.as_mut() {
                    e.push(c.clone());
                }
            } else if let Some(values) = b.get("enum").and_then(Value::as_array) {
                types.0.extend(values.iter().map(JsonType::of));
                if let Some(e) = enumeration.as_mut() {
                    e.extend(values.iter().cloned());
                }
            } else if is_null_type(b.get("type")) {
                // `{"type": "null"}` next to an enum (`anyOf: [{"$ref": Enum}, {"type": "null"}]`) keeps the enum.
                types.0.insert(JsonType::Null);
                if let Some(e) = enumeration.as_mut() {
                    e.push(Value::Null);
                }
            } else {
                enumeration = None;
                match b.get("type") {
                    Some(Value::String(t)) => match JsonType::parse(t) {
                        Some(t) => {
                            types.0.insert(t);
                        }
                        None => return Facts::default(),
                    },
                    Some(Value::Array(ts)) => {
                        for t in ts {
                            match t.as_str().and_then(JsonType::parse) {
                                Some(t) => {
                                    types.0.insert(t);
                                }
                                None => return Facts::default(),
                            }
                        }
                    }
                    _ => return Facts::default(),
                }
            }
        }
        Facts { types: Some(types), enumeration }
    }
}

fn is_null_type(t: Option<&Value>) -> bool {
    match t {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => !ts.is_empty() && ts.iter().all(|t| t.as_str() == Some("null")),
        _ => false,
    }
}

/// True when a schema branch says its value is never an object (`{"type": "null"}`, an enum of
/// strings): such a branch has no properties to look into.
fn cannot_be_object(b: &Value) -> bool {
    if let Some(values) = b.get("enum").and_then(Value::as_array) {
        return !values.iter().any(Value::is_object);
    }
    if let Some(c) = b.get("const") {
        return !c.is_object();
    }
    match b.get("type") {
        Some(Value::String(t)) => t != "object",
        Some(Value::Array(ts)) => !ts.iter().any(|t| t.as_str() == Some("object")),
        _ => false,
    }
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
            json!({"type": "object", "properties": {"a": {"allOf": [{"type": "string"}]}}, "required": ["a"]}),
            json!({"type": "object", "properties": "nope"}),
        ] {
            let d = doc(json!({"version": "1", "default": "deny", "tools": {"t": {
                "deny_if": [{"conditions": [{"path": "args.a", "op": "gt", "value": 1}]}]
            }}}));
            let ws = lint(&d, Some(&[tool("t", schema.clone())]));
            assert!(ws.is_empty(), "{schema}: {ws:?}");
        }
    }

    #[test]
    fn warnings_serialize_without_empty_help() {
        let w = Warning { code: "x".into(), pointer: "/a".into(), message: "m".into(), help: None };
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
