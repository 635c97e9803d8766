//! Argument admission: the one reader of a call's `arguments` JSON text for every entry point
//! that takes text (the npm package's `evaluate`, `check` and `plan`, with `args` serialised or
//! `args_json` as given).
//!
//! Three kinds of arguments are refused with a deny decision (rule `(invalid arguments)`,
//! [`crate::eval::evaluate::RULE_INVALID_ARGUMENTS`]) instead of being decided:
//! - **duplicate keys** at any depth: parsers disagree on which one wins (the engine's took the
//!   last, many servers take the first), so the engine could check one value while the server
//!   runs another;
//! - text longer than [`MAX_ARGUMENT_BYTES`];
//! - more than [`MAX_ARGUMENT_NODES`] values (every array element and member value, and the
//!   arguments themselves): a dense array would otherwise build tens of millions of values.
//!
//! The size and count are checked before anything is built (a length test and one scan without
//! allocation); the text is then parsed once by the engine's parser ([`crate::json`]), and the
//! conversion to a value catches duplicates as it inserts members.

use serde_json::{Map, Value};

use crate::json::escape_pointer_segment;
use crate::json::scan::count_values;
use crate::json::{Kind, Node, SyntaxError};

/// Longest argument text accepted, in bytes of UTF-8 (1 MiB).
pub const MAX_ARGUMENT_BYTES: usize = 1 << 20;

/// Most values accepted in one call's arguments (every array element and object member value,
/// plus the arguments themselves).
pub const MAX_ARGUMENT_NODES: usize = 100_000;

/// Why argument text was not read.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgsError {
    /// Not JSON: an error of the input, located.
    Syntax(SyntaxError),
    /// JSON the engine refuses to decide on: the call is denied with this reason.
    Refused(String),
}

/// Reads a call's argument text: the value, or why it is refused (see the module docs).
pub fn read_arguments(text: &str) -> Result<Value, ArgsError> {
    if text.len() > MAX_ARGUMENT_BYTES {
        return Err(ArgsError::Refused(too_long(text.len())));
    }
    let nodes = count_values(text);
    if nodes > MAX_ARGUMENT_NODES {
        return Err(ArgsError::Refused(too_many(nodes)));
    }
    let node = crate::json::parse(text).map_err(ArgsError::Syntax)?;
    admit_node(&node).map_err(ArgsError::Refused)
}

/// The value of a parsed argument node, refusing duplicate keys at any depth and more than
/// [`MAX_ARGUMENT_NODES`] values (for readers that already hold a [`Node`], e.g. traces).
pub fn admit_node(node: &Node) -> Result<Value, String> {
    let mut budget = MAX_ARGUMENT_NODES;
    convert(node, &mut budget).map_err(|p| p.message())
}

/// The message of arguments longer than [`MAX_ARGUMENT_BYTES`].
pub fn too_long(bytes: usize) -> String {
    // Tenths of a MiB, rounded up, in integers (float formatting would grow the wasm package).
    let tenths = bytes.saturating_mul(10).div_ceil(1 << 20);
    format!("Arguments are {}.{} MiB; the limit is 1 MiB", tenths / 10, tenths % 10)
}

fn too_many(nodes: usize) -> String {
    format!("Arguments have {nodes} values; the limit is {MAX_ARGUMENT_NODES}")
}

/// A refusal found while converting, with the path to it (innermost segment first).
enum Problem {
    Duplicate { key: String, path: Vec<String> },
    TooMany,
}

impl Problem {
    fn within(mut self, segment: impl FnOnce() -> String) -> Self {
        if let Problem::Duplicate { path, .. } = &mut self {
            path.push(segment());
        }
        self
    }

    fn message(self) -> String {
        match self {
            Problem::Duplicate { key, path } => {
                let pointer: String = path.iter().rev().map(|s| format!("/{}", escape_pointer_segment(s))).collect();
                format!("Arguments have a duplicate key `{key}` at {pointer}")
            }
            Problem::TooMany => {
                format!("Arguments have more than {MAX_ARGUMENT_NODES} values; the limit is {MAX_ARGUMENT_NODES}")
            }
        }
    }
}

fn convert(node: &Node, budget: &mut usize) -> Result<Value, Problem> {
    *budget = budget.checked_sub(1).ok_or(Problem::TooMany)?;
    Ok(match &node.kind {
        Kind::Null => Value::Null,
        Kind::Bool(b) => Value::Bool(*b),
        Kind::Number(n) => Value::Number(n.clone()),
        Kind::String(s) => Value::String(s.clone()),
        Kind::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(convert(item, budget).map_err(|p| p.within(|| i.to_string()))?);
            }
            Value::Array(out)
        }
        Kind::Object(members) => {
            let mut map = Map::with_capacity(members.len());
            for m in members {
                let v = convert(&m.value, budget).map_err(|p| p.within(|| m.key.clone()))?;
                if map.insert(m.key.clone(), v).is_some() {
                    return Err(Problem::Duplicate { key: m.key.clone(), path: vec![m.key.clone()] });
                }
            }
            Value::Object(map)
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn refused(text: &str) -> String {
        match read_arguments(text) {
            Err(ArgsError::Refused(m)) => m,
            other => panic!("expected a refusal of {text}, got {other:?}"),
        }
    }

    #[test]
    fn duplicate_argument_keys_are_refused_at_any_depth_with_their_pointer() {
        assert_eq!(refused(r#"{"amount": 1, "amount": 99999}"#), "Arguments have a duplicate key `amount` at /amount");
        assert_eq!(
            refused(r#"{"a": [{"x": 1}, {"b/c": {"k": 1, "k": 2}}]}"#),
            "Arguments have a duplicate key `k` at /a/1/b~1c/k"
        );
        assert_eq!(read_arguments(r#"{"a": {"k": 1}, "b": {"k": 2}}"#).unwrap(), json!({"a": {"k": 1}, "b": {"k": 2}}));
    }

    #[test]
    fn values_are_counted_exactly_before_parsing() {
        for (text, n) in [
            ("{}", 1),
            ("[]", 1),
            ("[ ]", 1),
            ("[1]", 2),
            ("[1, [], {}, \"a,[{\\\"\"]", 5),
            (r#"{"a": {"b": [1, 2, {"c": null}]}}"#, 7),
        ] {
            assert_eq!(count_values(text), n, "{text}");
            let node = crate::json::parse(text).unwrap();
            let mut budget = usize::MAX;
            assert!(convert(&node, &mut budget).is_ok());
            assert_eq!(usize::MAX - budget, n, "the converter counts alike: {text}");
        }
    }

    #[test]
    fn arguments_over_the_caps_are_refused_before_anything_is_built() {
        let big = format!("{{\"s\": \"{}\"}}", "x".repeat(MAX_ARGUMENT_BYTES));
        assert_eq!(refused(&big), "Arguments are 1.1 MiB; the limit is 1 MiB");
        assert_eq!(too_long(3_355_443), "Arguments are 3.2 MiB; the limit is 1 MiB");
        let dense = format!("[{}0]", "0,".repeat(MAX_ARGUMENT_NODES));
        assert_eq!(refused(&dense), format!("Arguments have {} values; the limit is 100000", MAX_ARGUMENT_NODES + 2));
        let fits = format!("[{}0]", "0,".repeat(MAX_ARGUMENT_NODES - 2));
        assert!(read_arguments(&fits).is_ok());
        assert!(matches!(read_arguments("{\"a\": }"), Err(ArgsError::Syntax(_))));
    }
}
