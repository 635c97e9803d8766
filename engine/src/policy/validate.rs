//! Text → checked [`PolicyDoc`], collecting **every** problem with a JSON pointer, a line and a
//! column (`policy-format.md` §2).

use std::collections::HashMap;

use serde_json::Value;

use crate::diagnostic::fuzzy::{did_you_mean, suggestion};
use crate::diagnostic::{Collector, Diagnostic};
use crate::json::{self, Kind, LineIndex, Member, Node};
use crate::json::{child, describe, key_problems, repeated};
use crate::policy::path::parse_path;
use crate::policy::{
    AllTools, Condition, DefaultAction, Limit, Op, Operand, PolicyDoc, RequireEntry, Rule, Scope, ToolRules, Window,
};

pub use crate::diagnostic::MAX_ERRORS;

/// A validation problem: a [`Diagnostic`] of severity error (the name the CLI, the web app and
/// the npm package know).
pub type ValidationError = Diagnostic;

/// Parses policy text. `Ok(None)` is the document `null` (no policy attached).
pub fn parse_policy_doc(text: &str) -> Result<Option<PolicyDoc>, Vec<ValidationError>> {
    let root = match json::parse(text) {
        Ok(root) => root,
        Err(e) => {
            return Err(vec![e.diagnostic(1)]);
        }
    };
    let idx = LineIndex::new(text);
    validate_node(&root, Some(&idx))
}

/// Validates a parsed tree; `idx` supplies line/column when the tree came from text.
pub fn validate_node(root: &Node, idx: Option<&LineIndex<'_>>) -> Result<Option<PolicyDoc>, Vec<ValidationError>> {
    if matches!(root.kind, Kind::Null) {
        return Ok(None);
    }
    let mut v = Validator {
        idx,
        errors: Collector::new(),
        counters: HashMap::new(),
        regex_budget: crate::policy::regex::POLICY_REGEX_BUDGET,
    };
    let doc = v.document(root);
    match doc {
        Some(doc) if v.errors.is_empty() => Ok(Some(doc)),
        _ => {
            if v.errors.is_empty() {
                v.error("", root.start, "the policy could not be read".into(), None);
            }
            Err(v.errors.into_vec())
        }
    }
}

const ROOT_KEYS: &[&str] = &["$schema", "version", "default", "hide", "all_tools", "tools"];
const ALL_TOOLS_KEYS: &[&str] = &["limits"];
const TOOL_KEYS: &[&str] = &["require", "deny_if", "limits"];
const RULE_KEYS: &[&str] = &["conditions", "on_deny"];
const CONDITION_KEYS: &[&str] = &["path", "op", "value"];
const LIMIT_KEYS: &[&str] = &["counter", "window", "max", "scope", "on_deny"];

struct Validator<'i, 't> {
    idx: Option<&'i LineIndex<'t>>,
    errors: Collector,
    /// counter name → (window, pointer of its first declaration)
    counters: HashMap<String, (Window, String)>,
    /// What is left of [`crate::policy::regex::POLICY_REGEX_BUDGET`] for the patterns still to come.
    regex_budget: usize,
}

impl Validator<'_, '_> {
    fn error(&mut self, pointer: &str, offset: usize, message: String, help: Option<String>) {
        let mut d = Diagnostic::error(pointer, message).with_help(help);
        if let Some(p) = self.idx.map(|i| i.pos(offset)) {
            d = d.at(p.line, p.column);
        }
        self.errors.push(d);
    }

    /// Checks that `node` is an object with only `allowed` keys (no duplicates); returns its members.
    fn object<'n>(&mut self, node: &'n Node, ptr: &str, what: &str, allowed: &[&str]) -> Option<&'n [Member]> {
        let Kind::Object(members) = &node.kind else {
            self.error(ptr, node.start, format!("{what} must be an object, found {}", describe(node)), None);
            return None;
        };
        for (m, offset, d) in key_problems(members, ptr, what, allowed) {
            // `$schema` is a key of the root only: say so rather than call it unknown.
            let message = if m.key == "$schema" && !d.message.starts_with("duplicate") {
                "`$schema` is only accepted at the root".to_string()
            } else {
                d.message
            };
            self.error(&d.pointer, offset, message, d.help);
        }
        Some(members)
    }

    /// Unknown keys that are a plausible typo of an allowed key not present itself.
    fn misspelled<'n>(members: &'n [Member], allowed: &[&'static str]) -> Vec<(&'n Member, &'static str)> {
        members
            .iter()
            .filter(|m| !allowed.contains(&m.key.as_str()))
            .filter_map(|m| did_you_mean(&m.key, allowed.iter().copied()).map(|meant| (m, meant)))
            .filter(|(_, meant)| Self::member(members, meant).is_none())
            .collect()
    }

    fn member<'n>(members: &'n [Member], key: &str) -> Option<&'n Member> {
        members.iter().find(|m| m.key == key)
    }

    fn string<'n>(&mut self, node: &'n Node, ptr: &str, what: &str) -> Option<&'n str> {
        if let Kind::String(s) = &node.kind {
            Some(s)
        } else {
            self.error(ptr, node.start, format!("{what} must be a string, found {}", describe(node)), None);
            None
        }
    }

    fn document(&mut self, root: &Node) -> Option<PolicyDoc> {
        let members = self.object(root, "", "the policy", ROOT_KEYS)?;
        let mut ok = true;

        let schema = match Self::member(members, "$schema") {
            Some(m) => {
                let s = self.string(&m.value, "/$schema", "`$schema`").map(str::to_string);
                ok &= s.is_some();
                s
            }
            None => None,
        };

        let version = match Self::member(members, "version") {
            None => {
                self.error(
                    "/version",
                    root.start,
                    "missing required key `version`".into(),
                    Some("add `\"version\": \"1\"`".into()),
                );
                None
            }
            Some(m) => match &m.value.kind {
                Kind::String(s) if s == "1" => Some(s.clone()),
                _ => {
                    self.error(
                        "/version",
                        m.value.start,
                        format!("`version` must be the string `\"1\"`, found {}", describe(&m.value)),
                        Some("write `\"version\": \"1\"`".into()),
                    );
                    None
                }
            },
        };

        let default = match Self::member(members, "default") {
            None => {
                self.error(
                    "/default",
                    root.start,
                    "missing required key `default`".into(),
                    Some("add `\"default\": \"deny\"` (or `\"allow\"`)".into()),
                );
                None
            }
            Some(m) => match &m.value.kind {
                Kind::String(s) if s == "allow" => Some(DefaultAction::Allow),
                Kind::String(s) if s == "deny" => Some(DefaultAction::Deny),
                _ => {
                    let help = match &m.value.kind {
                        Kind::String(s) => suggestion(s, ["allow", "deny"]),
                        _ => None,
                    };
                    self.error(
                        "/default",
                        m.value.start,
                        format!("`default` must be `\"allow\"` or `\"deny\"`, found {}", describe(&m.value)),
                        help,
                    );
                    None
                }
            },
        };

        let mut hide = None;
        let mut all_tools = None;
        let mut tools = None;
        // Document order matters for "one counter with two windows": the later one is reported.
        for m in members {
            match m.key.as_str() {
                "hide" => {
                    hide = self.hide(&m.value);
                    ok &= hide.is_some();
                }
                "all_tools" => {
                    all_tools = self.all_tools(&m.value);
                    ok &= all_tools.is_some();
                }
                "tools" => {
                    tools = self.tools(&m.value);
                    ok &= tools.is_some();
                }
                _ => {}
            }
        }
        for (m, meant) in Self::misspelled(members, ROOT_KEYS) {
            match meant {
                "hide" => drop(self.hide_at(&m.value, &child("", &m.key))),
                "all_tools" => drop(self.all_tools_at(&m.value, &child("", &m.key))),
                "tools" => drop(self.tools_at(&m.value, &child("", &m.key))),
                _ => {}
            }
        }
        if !ok {
            return None;
        }
        Some(PolicyDoc { schema, version: version?, default: default?, hide, all_tools, tools })
    }

    fn hide(&mut self, node: &Node) -> Option<Vec<String>> {
        self.hide_at(node, "/hide")
    }

    fn hide_at(&mut self, node: &Node, base: &str) -> Option<Vec<String>> {
        let Kind::Array(items) = &node.kind else {
            self.error(
                base,
                node.start,
                format!("`hide` must be an array of tool names, found {}", describe(node)),
                if matches!(node.kind, Kind::String(_)) { Some("write `[\"name\"]`".into()) } else { None },
            );
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut seen = rustc_hash::FxHashSet::default();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let ptr = format!("{base}/{i}");
            match &item.kind {
                Kind::String(s) if s.is_empty() => {
                    self.error(&ptr, item.start, "a `hide` entry must not be empty".into(), None);
                    ok = false;
                }
                Kind::String(s) => {
                    if !seen.insert(s.as_str()) {
                        self.error(&ptr, item.start, format!("duplicate `hide` entry `{s}`"), None);
                        ok = false;
                    } else {
                        out.push(s.clone());
                    }
                }
                _ => {
                    self.error(
                        &ptr,
                        item.start,
                        format!("a `hide` entry must be a string, found {}", describe(item)),
                        None,
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    fn all_tools(&mut self, node: &Node) -> Option<AllTools> {
        self.all_tools_at(node, "/all_tools")
    }

    fn all_tools_at(&mut self, node: &Node, base: &str) -> Option<AllTools> {
        let members = self.object(node, base, "`all_tools`", ALL_TOOLS_KEYS)?;
        let mut ok = members.iter().all(|m| ALL_TOOLS_KEYS.contains(&m.key.as_str()));
        let limits = match Self::member(members, "limits") {
            Some(m) => {
                let l = self.limits(&m.value, &child(base, "limits"));
                ok &= l.is_some();
                l
            }
            None => None,
        };
        ok.then_some(AllTools { limits })
    }

    fn tools(&mut self, node: &Node) -> Option<indexmap::IndexMap<String, ToolRules>> {
        self.tools_at(node, "/tools")
    }

    fn tools_at(&mut self, node: &Node, base: &str) -> Option<indexmap::IndexMap<String, ToolRules>> {
        let members = self.object(node, base, "`tools`", &[])?;
        let mut out = indexmap::IndexMap::with_capacity(members.len());
        let mut ok = true;
        for (m, is_dup) in members.iter().zip(repeated(members)) {
            if is_dup {
                ok = false; // reported by `object`
                continue;
            }
            let ptr = child(base, &m.key);
            if m.key.is_empty() {
                self.error(&ptr, m.key_pos, "a tool name must not be empty".into(), None);
                ok = false;
                continue;
            }
            match self.tool(&m.value, &ptr) {
                Some(rules) => {
                    out.insert(m.key.clone(), rules);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn tool(&mut self, node: &Node, ptr: &str) -> Option<ToolRules> {
        let members = self.object(node, ptr, "a tool entry", TOOL_KEYS)?;
        let mut ok = members
            .iter()
            .enumerate()
            .all(|(i, m)| TOOL_KEYS.contains(&m.key.as_str()) && !members.iter().take(i).any(|p| p.key == m.key));
        let mut rules = ToolRules::default();
        // A misspelled key (`deny-if`) is reported above; its content is still checked as the key
        // it most likely meant, so every problem shows up at once.
        for (m, meant) in Self::misspelled(members, TOOL_KEYS) {
            let p = child(ptr, &m.key);
            match meant {
                "require" => drop(self.array(&m.value, &p, "`require`", |v, item, p| v.require_entry(item, p))),
                "deny_if" => drop(self.array(&m.value, &p, "`deny_if`", |v, item, p| v.rule(item, p))),
                _ => drop(self.limits(&m.value, &p)),
            }
        }
        if let Some(m) = Self::member(members, "require") {
            rules.require =
                self.array(&m.value, &child(ptr, "require"), "`require`", |v, item, p| v.require_entry(item, p));
            ok &= rules.require.is_some();
        }
        if let Some(m) = Self::member(members, "deny_if") {
            rules.deny_if = self.array(&m.value, &child(ptr, "deny_if"), "`deny_if`", |v, item, p| v.rule(item, p));
            ok &= rules.deny_if.is_some();
        }
        if let Some(m) = Self::member(members, "limits") {
            rules.limits = self.limits(&m.value, &child(ptr, "limits"));
            ok &= rules.limits.is_some();
        }
        ok.then_some(rules)
    }

    fn array<T>(
        &mut self,
        node: &Node,
        ptr: &str,
        what: &str,
        mut each: impl FnMut(&mut Self, &Node, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let Kind::Array(items) = &node.kind else {
            self.error(ptr, node.start, format!("{what} must be an array, found {}", describe(node)), None);
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match each(self, item, &format!("{ptr}/{i}")) {
                Some(x) => out.push(x),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn require_entry(&mut self, node: &Node, ptr: &str) -> Option<RequireEntry> {
        if let Kind::String(s) = &node.kind {
            return match parse_path(s) {
                Ok(_) => Some(RequireEntry::Shorthand(s.clone())),
                Err(msg) => {
                    self.error(
                        ptr,
                        node.start,
                        msg,
                        Some("a `require` string is an argument path such as `args.reason`".into()),
                    );
                    None
                }
            };
        }
        if !matches!(node.kind, Kind::Object(_)) {
            self.error(
                ptr,
                node.start,
                format!("a `require` entry must be an `args.<name>` string or a rule object, found {}", describe(node)),
                None,
            );
            return None;
        }
        self.rule(node, ptr).map(RequireEntry::Rule)
    }

    fn rule(&mut self, node: &Node, ptr: &str) -> Option<Rule> {
        let members = self.object(node, ptr, "a rule", RULE_KEYS)?;
        let mut ok = members.iter().all(|m| RULE_KEYS.contains(&m.key.as_str()));
        let conditions = match Self::member(members, "conditions") {
            None => {
                self.error(
                    &child(ptr, "conditions"),
                    node.start,
                    "missing required key `conditions`".into(),
                    Some("use `\"conditions\": []` to match every call".into()),
                );
                None
            }
            Some(m) => {
                self.array(&m.value, &child(ptr, "conditions"), "`conditions`", |v, item, p| v.condition(item, p))
            }
        };
        let on_deny = self.on_deny(members, ptr, &mut ok);
        if !ok {
            return None;
        }
        Some(Rule { conditions: conditions?, on_deny })
    }

    fn on_deny(&mut self, members: &[Member], ptr: &str, ok: &mut bool) -> Option<String> {
        let m = Self::member(members, "on_deny")?;
        let s = self.string(&m.value, &child(ptr, "on_deny"), "`on_deny`").map(str::to_string);
        *ok &= s.is_some();
        s
    }

    fn condition(&mut self, node: &Node, ptr: &str) -> Option<Condition> {
        let members = self.object(node, ptr, "a condition", CONDITION_KEYS)?;
        let mut ok = members.iter().all(|m| CONDITION_KEYS.contains(&m.key.as_str()));
        let path = match Self::member(members, "path") {
            None => {
                self.error(&child(ptr, "path"), node.start, "missing required key `path`".into(), None);
                None
            }
            Some(m) => {
                let p = &child(ptr, "path");
                match self.string(&m.value, p, "`path`") {
                    Some(s) => match parse_path(s) {
                        Ok(_) => Some(s.to_string()),
                        Err(msg) => {
                            let help = (!s.starts_with("args.") && !s.is_empty() && s != "args")
                                .then(|| format!("did you mean `args.{s}`?"));
                            self.error(p, m.value.start, msg, help);
                            None
                        }
                    },
                    None => None,
                }
            }
        };
        let op = match Self::member(members, "op") {
            None => {
                self.error(&child(ptr, "op"), node.start, "missing required key `op`".into(), None);
                None
            }
            Some(m) => {
                let p = &child(ptr, "op");
                match self.string(&m.value, p, "`op`") {
                    Some(s) => match Op::parse(s) {
                        Some(op) => Some(op),
                        None => {
                            let help = suggestion(s, Op::names())
                                .or_else(|| Some(format!("operators: {}", Op::names().join(", "))));
                            self.error(p, m.value.start, format!("unknown operator `{s}`"), help);
                            None
                        }
                    },
                    None => None,
                }
            }
        };
        let value = match Self::member(members, "value") {
            None => {
                self.error(&child(ptr, "value"), node.start, "missing required key `value`".into(), None);
                None
            }
            Some(m) => Some(m),
        };
        if let (Some(op), Some(m)) = (op, value)
            && let Err((msg, help)) = self.check_value(op, &m.value)
        {
            self.error(&child(ptr, "value"), m.value.start, msg, help);
            ok = false;
        }
        if !ok {
            return None;
        }
        Some(Condition { path: path?, op: op?, value: value?.value.to_value() })
    }

    fn limits(&mut self, node: &Node, ptr: &str) -> Option<Vec<Limit>> {
        let limits = self.array(node, ptr, "`limits`", |v, item, p| v.limit(item, p));
        // Duplicate counter inside one `limits` array.
        if let Kind::Array(items) = &node.kind {
            let mut seen = rustc_hash::FxHashSet::default();
            for (i, item) in items.iter().enumerate() {
                if let Some(m) = item.get("counter")
                    && let Kind::String(name) = &m.value.kind
                    && !seen.insert(name.as_str())
                {
                    self.error(
                        &format!("{ptr}/{i}/counter"),
                        m.value.start,
                        format!("counter `{name}` appears twice in the same `limits` array"),
                        None,
                    );
                    return None;
                }
            }
        }
        limits
    }

    fn limit(&mut self, node: &Node, ptr: &str) -> Option<Limit> {
        let members = self.object(node, ptr, "a limit", LIMIT_KEYS)?;
        let mut ok = members.iter().all(|m| LIMIT_KEYS.contains(&m.key.as_str()));
        let counter = match Self::member(members, "counter") {
            None => {
                self.error(&child(ptr, "counter"), node.start, "missing required key `counter`".into(), None);
                None
            }
            Some(m) => match &m.value.kind {
                Kind::String(s) if !s.is_empty() => Some(s.clone()),
                Kind::String(_) => {
                    self.error(&child(ptr, "counter"), m.value.start, "`counter` must not be empty".into(), None);
                    None
                }
                _ => {
                    self.error(
                        &child(ptr, "counter"),
                        m.value.start,
                        format!("`counter` must be a string, found {}", describe(&m.value)),
                        None,
                    );
                    None
                }
            },
        };
        let window_ptr = child(ptr, "window");
        let window = match Self::member(members, "window") {
            None => {
                self.error(
                    &window_ptr,
                    node.start,
                    "missing required key `window`".into(),
                    Some("one of minute, hour, day".into()),
                );
                None
            }
            Some(m) => {
                let w = match &m.value.kind {
                    Kind::String(s) => Window::parse(s),
                    _ => None,
                };
                if w.is_none() {
                    let help = match &m.value.kind {
                        Kind::String(s) => suggestion(s, Window::ALL.map(Window::as_str)),
                        _ => None,
                    }
                    .or_else(|| Some("one of minute, hour, day".into()));
                    self.error(
                        &window_ptr,
                        m.value.start,
                        format!("`window` must be `\"minute\"`, `\"hour\"` or `\"day\"`, found {}", describe(&m.value)),
                        help,
                    );
                }
                if let (Some(w), Some(name)) = (w, &counter) {
                    match self.counters.get(name) {
                        Some((first, first_ptr)) if *first != w => {
                            let msg = format!(
                                "counter `{name}` is declared with window `{}` here but `{}` at `{first_ptr}`",
                                w.as_str(),
                                first.as_str()
                            );
                            self.error(
                                &window_ptr,
                                m.value.start,
                                msg,
                                Some("one counter has one window: rename one of them".into()),
                            );
                            ok = false;
                        }
                        Some(_) => {}
                        None => {
                            self.counters.insert(name.clone(), (w, window_ptr.clone()));
                        }
                    }
                }
                w
            }
        };
        let max = match Self::member(members, "max") {
            None => {
                self.error(&child(ptr, "max"), node.start, "missing required key `max`".into(), None);
                None
            }
            Some(m) => match &m.value.kind {
                Kind::Number(n) if n.as_u64().is_some_and(|x| x >= 1) => n.as_u64(),
                _ => {
                    self.error(
                        &child(ptr, "max"),
                        m.value.start,
                        format!("`max` must be an integer of at least 1, found {}", describe(&m.value)),
                        None,
                    );
                    None
                }
            },
        };
        let scope = match Self::member(members, "scope") {
            None => None,
            Some(m) => match &m.value.kind {
                Kind::String(s) if s == "grant" => Some(Scope::Grant),
                _ => {
                    self.error(
                        &child(ptr, "scope"),
                        m.value.start,
                        format!("`scope` must be `\"grant\"`, found {}", describe(&m.value)),
                        Some("counters are kept per grant; omit `scope` or write `\"grant\"`".into()),
                    );
                    ok = false;
                    None
                }
            },
        };
        let on_deny = self.on_deny(members, ptr, &mut ok);
        if !ok {
            return None;
        }
        Some(Limit { counter: counter?, window: window?, max: max?, scope, on_deny })
    }
}

/// Checks a condition value's type against its operator ([`Op::operand`]). Patterns are compiled
/// by `Validator::check_value`, against the policy's budget.
fn check_value(op: Op, node: &Node) -> Result<(), String> {
    let fits = match op.operand() {
        Operand::Any => true,
        Operand::Array => matches!(node.kind, Kind::Array(_)),
        Operand::Number => matches!(node.kind, Kind::Number(_)),
        Operand::Bool => matches!(node.kind, Kind::Bool(_)),
        Operand::Pattern => matches!(node.kind, Kind::String(_)),
    };
    if fits { Ok(()) } else { Err(format!("{}, found {}", op.operand_error(), describe(node))) }
}

impl Validator<'_, '_> {
    /// Checks a condition value; a `regex` pattern must compile within what is left of the
    /// policy's regex budget, and is charged for it.
    fn check_value(&mut self, op: Op, node: &Node) -> Result<(), (String, Option<String>)> {
        check_value(op, node).map_err(|m| (m, None))?;
        let (Op::Regex, Kind::String(p)) = (op, &node.kind) else { return Ok(()) };
        use crate::policy::regex::{POLICY_REGEX_BUDGET, REGEX_SIZE_LIMIT, compile_regex, compile_regex_within};
        match compile_regex_within(p, self.regex_budget) {
            Ok(pattern) => {
                self.regex_budget = self.regex_budget.saturating_sub(pattern.size);
                Ok(())
            }
            // Would it fit on its own? Then it is the budget, not the pattern, that ran out.
            Err(_) if self.regex_budget < REGEX_SIZE_LIMIT && compile_regex(p).is_ok() => {
                self.regex_budget = 0;
                Err((
                    format!(
                        "the `regex` patterns of this policy together exceed the compile budget of {} MiB",
                        POLICY_REGEX_BUDGET >> 20
                    ),
                    Some(
                        "use fewer or smaller patterns: large counted repetitions such as `[a-z]{1000}` cost the most"
                            .into(),
                    ),
                ))
            }
            Err(msg) => Err((msg, None)),
        }
    }
}

/// Validates a policy given as a JSON value (no positions).
pub fn validate_value(value: &Value) -> Result<Option<PolicyDoc>, Vec<ValidationError>> {
    let text = serde_json::to_string(value).unwrap_or_default();
    let root = json::parse(&text).map_err(|e| vec![Diagnostic::error("", e.message)])?;
    validate_node(&root, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<ValidationError> {
        parse_policy_doc(text).unwrap_err()
    }

    #[test]
    fn the_content_of_a_misspelled_key_is_checked_as_the_key_it_meant() {
        let errs = errors(
            r#"{"version":"1","default":"deny","tools":{"t":{"deny-if":[{"conditions":[{"path":"args.a","op":"gte_","value":1}]}]}}}"#,
        );
        let ptrs: Vec<_> = errs.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(ptrs, ["/tools/t/deny-if", "/tools/t/deny-if/0/conditions/0/op"]);
        assert_eq!(errs[0].help.as_deref(), Some("did you mean `deny_if`?"));
        assert_eq!(errs[1].help.as_deref(), Some("did you mean `gte`?"));
        let errs = errors(
            r#"{"version":"1","default":"deny","tool":{"t":{"limits":[{"counter":"c","window":"week","max":1}]}}}"#,
        );
        let ptrs: Vec<_> = errs.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(ptrs, ["/tool", "/tool/t/limits/0/window"]);
    }

    #[test]
    fn every_problem_is_reported_with_line_and_column() {
        let text = "{\n  \"version\": 1,\n  \"default\": \"Deny\",\n  \"hide\": [\"a\", \"a\", 3]\n}";
        let errs = errors(text);
        let got: Vec<_> = errs.iter().map(|e| (e.pointer.as_str(), e.line, e.column)).collect();
        assert_eq!(
            got,
            [
                ("/version", Some(2), Some(14)),
                ("/default", Some(3), Some(14)),
                ("/hide/1", Some(4), Some(17)),
                ("/hide/2", Some(4), Some(22)),
            ]
        );
        assert_eq!(errs[1].help.as_deref(), Some("did you mean `deny`?"));
    }

    #[test]
    fn regexes_over_the_policy_compile_budget_are_a_located_error() {
        let rule = r#"{"conditions":[{"path":"args.q","op":"regex","value":"x{29000}"}]}"#;
        let rules = vec![rule; 34].join(",\n");
        let text =
            format!("{{\"version\":\"1\",\"default\":\"allow\",\"tools\":{{\"t\":{{\"deny_if\":[\n{rules}]}}}}}}");
        let errs = errors(&text);
        let got: Vec<_> = errs.iter().map(|e| (e.pointer.as_str(), e.line)).collect();
        assert_eq!(
            got,
            [
                ("/tools/t/deny_if/32/conditions/0/value", Some(34)),
                ("/tools/t/deny_if/33/conditions/0/value", Some(35))
            ]
        );
        assert!(errs[0].message.contains("compile budget"), "{}", errs[0].message);
        // Each of them alone is fine.
        let one = format!("{{\"version\":\"1\",\"default\":\"allow\",\"tools\":{{\"t\":{{\"deny_if\":[{rule}]}}}}}}");
        assert!(parse_policy_doc(&one).is_ok());
    }

    #[test]
    fn null_is_no_policy_and_other_roots_are_errors() {
        assert_eq!(parse_policy_doc("null"), Ok(None));
        assert_eq!(errors("[]")[0].pointer, "");
        assert_eq!(errors("{\"version\":\"1\",\"default\":\"deny\"} x")[0].line, Some(1));
    }
}
