//! Paths and operators over call arguments (`policy-format.md` §4).

use std::cmp::Ordering;
use std::sync::Arc;

use serde_json::{Map, Number, Value};
use smol_str::SmolStr;

use crate::policy::path::parse_path;
pub use crate::policy::regex::MAX_SUBJECT_BYTES;
use crate::policy::regex::{Pattern, compile_regex};
use crate::policy::{Condition, Op, Operand as OperandKind};

/// A condition ready to evaluate: path split, operand pre-processed.
#[derive(Debug, Clone)]
pub struct CompiledCondition {
    /// The path as written (`args.amount`).
    pub path: SmolStr,
    /// Segments after `args`.
    pub segments: Box<[Box<str>]>,
    /// The operator.
    pub op: Op,
    /// The operand as written (shared with the explanations that show it).
    pub value: Arc<Value>,
    operand: Operand,
    /// `<path>-<op>`: this condition's part of a rule id.
    pub id: String,
    /// What the condition resolves to when it cannot be decided (a `regex` subject longer than
    /// the pattern's maximum): the value that makes its rule deny.
    undecided: bool,
}

#[derive(Debug, Clone)]
enum Operand {
    Any,
    Number(Number),
    Bool(bool),
    Regex(Pattern),
}

impl CompiledCondition {
    /// Compiles a validated condition. Fails only for paths or regexes that validation rejects.
    pub fn compile(c: &Condition) -> Result<Self, String> {
        let segments = parse_path(&c.path)?.into_iter().map(String::into_boxed_str).collect();
        let operand = match (c.op.operand(), &c.value) {
            (OperandKind::Number, Value::Number(n)) => Operand::Number(n.clone()),
            (OperandKind::Bool, Value::Bool(b)) => Operand::Bool(*b),
            (OperandKind::Pattern, Value::String(p)) => Operand::Regex(compile_regex(p)?),
            (OperandKind::Array, Value::Array(_)) | (OperandKind::Any, _) => Operand::Any,
            _ => return Err(c.op.operand_error()),
        };
        Ok(CompiledCondition {
            path: SmolStr::new(&c.path),
            segments,
            op: c.op,
            value: Arc::new(c.value.clone()),
            operand,
            id: format!("{}-{}", c.path, c.op),
            undecided: false,
        })
    }

    /// Sets what the condition resolves to when it cannot be decided, fail closed for its rule:
    /// `true` in a `deny_if` entry (the entry denies when its other conditions hold), `false` in a
    /// `require` entry (the entry is not met, so the call is denied). [`CompiledCondition::compile`]
    /// starts with `false`.
    #[must_use]
    pub fn when_undecided(mut self, holds: bool) -> Self {
        self.undecided = holds;
        self
    }

    /// Resolves the path in `args`; `None` when absent (missing, not an object on the way, or null).
    pub fn resolve<'a>(&self, args: &'a Map<String, Value>) -> Option<&'a Value> {
        let (first, rest) = self.segments.split_first()?;
        let mut cur = member(args, first)?;
        for seg in rest {
            cur = member(cur.as_object()?, seg)?;
        }
        (!cur.is_null()).then_some(cur)
    }

    /// Evaluates the condition against the arguments.
    pub fn holds(&self, args: &Map<String, Value>) -> bool {
        self.holds_for(self.resolve(args))
    }

    /// Evaluates the condition against an already resolved actual value.
    pub fn holds_for(&self, actual: Option<&Value>) -> bool {
        let Some(actual) = actual else {
            return matches!(self.operand, Operand::Bool(false));
        };
        match (&self.operand, self.op) {
            (Operand::Bool(want), _) => *want,
            (Operand::Number(n), op) => match actual {
                Value::Number(a) => match compare_numbers(a, n) {
                    Some(ord) => match op {
                        Op::Lt => ord == Ordering::Less,
                        Op::Lte => ord != Ordering::Greater,
                        Op::Gt => ord == Ordering::Greater,
                        Op::Gte => ord != Ordering::Less,
                        _ => false,
                    },
                    None => false,
                },
                _ => false,
            },
            (Operand::Regex(re), _) => match actual {
                Value::String(s) => re.is_match(s).unwrap_or(self.undecided),
                _ => false,
            },
            (Operand::Any, Op::Eq) => json_eq(actual, &self.value),
            (Operand::Any, Op::Neq) => !json_eq(actual, &self.value),
            (Operand::Any, Op::In) => self.value.as_array().is_some_and(|xs| xs.iter().any(|x| json_eq(actual, x))),
            (Operand::Any, Op::NotIn) => self.value.as_array().is_some_and(|xs| !xs.iter().any(|x| json_eq(actual, x))),
            (Operand::Any, Op::Contains) => match (actual, &*self.value) {
                (Value::String(a), Value::String(v)) => a.contains(v.as_str()),
                (Value::Array(items), v) => items.iter().any(|x| json_eq(x, v)),
                _ => false,
            },
            // Operands are built per operator in `compile`; any other pairing cannot be decided.
            (Operand::Any, _) => false,
        }
    }
}

/// Looks a key up in an argument object. Call arguments have a handful of keys: comparing them
/// directly is several times faster than hashing the key (SipHash in `serde_json::Map`).
fn member<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if map.len() <= 16 { map.iter().find_map(|(k, v)| (k == key).then_some(v)) } else { map.get(key) }
}

/// Copies a value for an explanation, replacing whatever lies deeper than `depth` levels with the
/// string `"…"`: a host may hand the engine arguments nested far deeper than any parser allows,
/// and a recursive copy of those must not exhaust the stack.
pub fn clone_capped(v: &Value, depth: usize) -> Value {
    match v {
        Value::Array(items) if depth == 0 && !items.is_empty() => Value::String("…".into()),
        Value::Object(m) if depth == 0 && !m.is_empty() => Value::String("…".into()),
        Value::Array(items) => Value::Array(items.iter().map(|x| clone_capped(x, depth - 1)).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), clone_capped(x, depth - 1))).collect()),
        other => other.clone(),
    }
}

/// Compares two JSON numbers: integers exactly, otherwise as f64.
pub fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    match (as_i128(a), as_i128(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

fn as_i128(n: &Number) -> Option<i128> {
    n.as_i64().map(i128::from).or_else(|| n.as_u64().map(i128::from))
}

/// Deep JSON equality where numbers compare numerically (`100 == 100.0`) and nothing is coerced.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y) == Some(Ordering::Equal),
        (Value::Array(xs), Value::Array(ys)) => xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| json_eq(x, y)),
        (Value::Object(xs), Value::Object(ys)) => {
            xs.len() == ys.len() && xs.iter().all(|(k, x)| ys.get(k).is_some_and(|y| json_eq(x, y)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::regex::MATCH_WORK;
    use serde_json::json;

    fn cond(path: &str, op: Op, value: Value) -> CompiledCondition {
        CompiledCondition::compile(&Condition { path: path.into(), op, value }).unwrap()
    }

    fn holds(c: &CompiledCondition, args: Value) -> bool {
        c.holds(args.as_object().unwrap())
    }

    #[test]
    fn numbers_compare_numerically_without_coercion() {
        let c = cond("args.n", Op::Eq, json!(100));
        assert!(holds(&c, json!({"n": 100.0})));
        assert!(holds(&c, json!({"n": 100})));
        assert!(!holds(&c, json!({"n": "100"})));
        let c = cond("args.n", Op::Gt, json!(10));
        assert!(holds(&c, json!({"n": 10.5})));
        assert!(!holds(&c, json!({"n": "20"})));
        assert!(holds(&c, json!({"n": u64::MAX})));
        let c = cond("args.n", Op::Lt, json!(i64::MIN));
        assert!(!holds(&c, json!({"n": i64::MIN})));
        let c = cond("args.n", Op::Eq, json!(0));
        assert!(holds(&c, json!({"n": -0.0})));
    }

    #[test]
    fn large_integers_compare_exactly() {
        let c = cond("args.n", Op::Gt, json!(9007199254740992_u64));
        assert!(holds(&c, json!({"n": 9007199254740993_u64})));
        assert!(!holds(&c, json!({"n": 9007199254740992_u64})));
    }

    #[test]
    fn nested_paths_resolve_objects_only() {
        let c = cond("args.a.b", Op::Eq, json!(1));
        assert!(holds(&c, json!({"a": {"b": 1}})));
        assert!(!holds(&c, json!({"a": [{"b": 1}]})));
        assert!(!holds(&c, json!({"a": "b"})));
        let c = cond("args.a.b", Op::Exists, json!(false));
        assert!(holds(&c, json!({"a": {"b": null}})));
        assert!(holds(&c, json!({})));
        assert!(!holds(&c, json!({"a": {"b": 0}})));
    }

    #[test]
    fn absent_paths_make_every_op_but_exists_false() {
        for op in Op::ALL {
            let value = match op {
                Op::In | Op::NotIn => json!([1]),
                Op::Lt | Op::Lte | Op::Gt | Op::Gte => json!(1),
                Op::Regex => json!(".*"),
                Op::Exists => json!(true),
                _ => json!("x"),
            };
            let c = cond("args.missing", op, value);
            assert!(!holds(&c, json!({})), "{op}");
            assert!(!holds(&c, json!({"missing": null})), "{op}");
        }
    }

    #[test]
    fn regex_is_unanchored_and_linear() {
        let c = cond("args.q", Op::Regex, json!("DROP\\s+TABLE"));
        assert!(holds(&c, json!({"q": "x; DROP  TABLE users"})));
        assert!(!holds(&c, json!({"q": 5})));
        let c = cond("args.q", Op::Regex, json!("(a+)+$"));
        let evil = "a".repeat(100_000) + "!";
        assert!(!holds(&c, json!({ "q": evil })));
        assert!(compile_regex("(").is_err());
        assert!(compile_regex("a{1000}{1000}{1000}").is_err());
    }

    #[test]
    fn regex_features_that_would_match_differently_are_rejected_with_advice() {
        let e = compile_regex("^\\p{L}+$").unwrap_err();
        assert!(e.contains("Unicode classes"), "{e}");
        let e = compile_regex("(?i)^élodie$").unwrap_err();
        assert!(e.contains("[éÉ]"), "{e}");
        assert!(compile_regex("(?i)^drop table").is_ok());
        assert!(compile_regex("(?-i:é)x").is_ok());
        assert!(compile_regex("é|É").is_ok());
        let re = compile_regex("^[a-zA-ZÀ-ɏ]+$").unwrap();
        assert_eq!((re.is_match("Zoë"), re.is_match("x1")), (Some(true), Some(false)));
    }

    #[test]
    fn case_insensitive_patterns_with_escaped_non_ascii_letters_are_rejected() {
        for pattern in
            ["(?i)caf\\x{e9}", "(?i)caf\\xe9", "(?i)caf\\u00E9", "(?i)caf\\u{E9}", "(?i)\\U000000C9", "(?i)\\x{212A}"]
        {
            let e = compile_regex(pattern).unwrap_err();
            assert!(e.contains("non-ASCII letter"), "{pattern}: {e}");
        }
        for pattern in ["(?i)[\\x{7f}-\\x{d7}]", "(?i)[a-\\x{d7}]", "(?i)[^\\x{2000}-\\x{206f}]x"] {
            let e = compile_regex(pattern).unwrap_err();
            assert!(e.contains("beyond ASCII"), "{pattern}: {e}");
        }
        // Escapes of non-letters, ASCII ranges and patterns without `(?i)` are fine.
        for pattern in [
            "(?i)\\x{2014}",
            "(?i)[\\x00-\\x7f]+",
            "(?i)[a-z\\-]",
            "caf\\x{e9}",
            "(?i)\\d+\\w\\x41",
            "(?i)[[:alpha:]-]",
        ] {
            assert!(compile_regex(pattern).is_ok(), "{pattern}: {:?}", compile_regex(pattern).err());
        }
    }

    #[test]
    fn kelvin_sign_and_long_s_match_their_ascii_letters_case_insensitively() {
        let c = cond("args.q", Op::Regex, json!("(?i)kill|disk"));
        assert!(holds(&c, json!({"q": "\u{212A}ILL -9"})));
        assert!(holds(&c, json!({"q": "format di\u{17F}k"})));
        assert!(holds(&c, json!({"q": "KILL"})));
        // Without `(?i)` they stay distinct characters, as in any Unicode regex engine.
        let c = cond("args.q", Op::Regex, json!("kill"));
        assert!(!holds(&c, json!({"q": "\u{212A}ill"})));
        let e = compile_regex("(?i)di\u{17F}k").unwrap_err();
        assert!(e.contains("non-ASCII letter"), "{e}");
    }

    #[test]
    fn an_over_long_regex_subject_resolves_to_the_denying_value_of_its_rule() {
        let long = "a".repeat(MAX_SUBJECT_BYTES) + "DROP TABLE";
        let deny_if = cond("args.q", Op::Regex, json!("DROP TABLE")).when_undecided(true);
        assert!(holds(&deny_if, json!({ "q": long })));
        let require = cond("args.q", Op::Regex, json!("^[a-z]+$"));
        assert!(!holds(&require, json!({ "q": "a".repeat(MAX_SUBJECT_BYTES + 1) })));
        assert!(holds(&require, json!({ "q": "a".repeat(MAX_SUBJECT_BYTES) })));
        // Non-strings stay plain mismatches, whatever their size.
        assert!(!holds(&deny_if, json!({ "q": [long] })));
    }

    #[test]
    fn large_patterns_get_proportionally_shorter_subjects() {
        let small = compile_regex("^[a-z0-9-]+$").unwrap();
        assert_eq!((small.size, small.max_subject), (512, MAX_SUBJECT_BYTES));
        let big = compile_regex("[a-z]{1000}!").unwrap();
        assert!(big.size >= 32 << 10 && big.max_subject == MATCH_WORK / big.size, "{} {}", big.size, big.max_subject);
        assert_eq!(big.is_match(&"b".repeat(big.max_subject + 1)), None);
        assert_eq!(big.is_match(&"b".repeat(big.max_subject)), Some(false));
    }

    #[test]
    fn contains_is_substring_or_element() {
        let c = cond("args.l", Op::Contains, json!("prod"));
        assert!(holds(&c, json!({"l": "production"})));
        assert!(holds(&c, json!({"l": ["a", "prod"]})));
        assert!(!holds(&c, json!({"l": ["production"]})));
        assert!(!holds(&c, json!({"l": 5})));
        let c = cond("args.l", Op::Contains, json!(2));
        assert!(holds(&c, json!({"l": [1, 2.0]})));
    }

    #[test]
    fn in_and_not_in_use_deep_equality() {
        let c = cond("args.c", Op::In, json!(["usd", {"a": [1]}]));
        assert!(holds(&c, json!({"c": "usd"})));
        assert!(holds(&c, json!({"c": {"a": [1.0]}})));
        assert!(!holds(&c, json!({"c": "USD"})));
        let c = cond("args.c", Op::NotIn, json!(["usd", "eur"]));
        assert!(holds(&c, json!({"c": "gbp"})));
        assert!(!holds(&c, json!({"c": "eur"})));
    }

    #[test]
    fn explanations_copy_deep_values_only_to_a_bounded_depth() {
        let mut deep = json!(1);
        for _ in 0..100_000 {
            deep = Value::Array(vec![deep]);
        }
        let copy = clone_capped(&deep, 3);
        assert_eq!(copy, json!([[["…"]]]));
        assert_eq!(clone_capped(&json!({"a": [1, {"b": 2}]}), 128), json!({"a": [1, {"b": 2}]}));
        // Dropping a value this deep is recursive in serde_json: hand it off without dropping.
        std::mem::forget(deep);
    }

    #[test]
    fn neq_is_not_eq_when_present() {
        let c = cond("args.env", Op::Neq, json!("staging"));
        assert!(holds(&c, json!({"env": "prod"})));
        assert!(!holds(&c, json!({"env": "staging"})));
        assert!(holds(&c, json!({"env": 1})));
    }
}
