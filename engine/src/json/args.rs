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
//! The common case is read in one pass: after the length test, `serde_json` deserializes the text
//! straight into a value while counting values, tracking depth and refusing duplicate keys. That
//! fast path only ever answers with a value; on anything else (a syntax error, a duplicate key,
//! too many values, too deep, a number out of range, a negative zero, whose `serde_json` reading
//! differs from the engine's) it gives up and the text is read again the careful way, which
//! produces the located error or the refusal: the size and count checked before anything is built
//! (one scan without allocation), the text parsed by the engine's parser ([`crate::json`]), and
//! the conversion to a value catching duplicates as it inserts members.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

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
    match read_fast(text) {
        Some(value) => Ok(value),
        None => read_arguments_slow(text),
    }
}

/// The one-pass reading: the value when the text is JSON the engine admits and reads alike, or
/// `None` (then [`read_arguments_slow`] decides).
fn read_fast(text: &str) -> Option<Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    let mut budget = MAX_ARGUMENT_NODES;
    let value = Fast { budget: &mut budget, depth: 0 }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(value)
}

/// The three-pass reading (count, parse, convert): exact errors and refusals.
fn read_arguments_slow(text: &str) -> Result<Value, ArgsError> {
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

/// The fast path's seed and visitor: builds one value, spending one unit of `budget` per value
/// and failing (to hand over to the slow path) on anything the engine's reader would not turn
/// into the same value.
struct Fast<'b> {
    budget: &'b mut usize,
    /// Containers around this value (the engine's reader allows [`crate::json::MAX_DEPTH`]).
    depth: usize,
}

impl Fast<'_> {
    fn child(&mut self) -> Fast<'_> {
        Fast { budget: &mut *self.budget, depth: self.depth + 1 }
    }

    fn enter<E: de::Error>(&self) -> Result<(), E> {
        if self.depth >= crate::json::MAX_DEPTH { Err(E::custom("too deep")) } else { Ok(()) }
    }
}

impl<'de> DeserializeSeed<'de> for Fast<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        *self.budget = self.budget.checked_sub(1).ok_or_else(|| de::Error::custom("too many values"))?;
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Fast<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // `serde_json` reads `-0` as the float -0.0, the engine as the integer 0: the text alone
        // tells them apart, so a negative zero goes to the slow path.
        if v == 0.0 && v.is_sign_negative() {
            return Err(E::custom("negative zero"));
        }
        Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("not finite"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Value, A::Error> {
        self.enter()?;
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self.child())? {
            out.push(item);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Value, A::Error> {
        self.enter()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(self.child())?;
            if out.insert(key, value).is_some() {
                return Err(de::Error::custom("duplicate key"));
            }
        }
        Ok(Value::Object(out))
    }
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

    /// The new reading and the three-pass one give the same answer, value and number form alike.
    fn same_as_slow(text: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        let fast = read_arguments(text);
        let slow = read_arguments_slow(text);
        proptest::prop_assert_eq!(&fast, &slow, "{:?}", text);
        if let (Ok(a), Ok(b)) = (&fast, &slow) {
            proptest::prop_assert_eq!(a.to_string(), b.to_string(), "{:?}", text);
        }
        Ok(())
    }

    #[test]
    fn the_one_pass_reading_agrees_with_the_three_pass_one_on_the_hard_cases() {
        let deep = |n: usize, open: &str, leaf: &str, close: &str| open.repeat(n) + leaf + &close.repeat(n);
        let mut texts: Vec<String> = [
            "",
            " ",
            "\u{feff}{}",
            "\u{feff}",
            "{} ",
            " {}\n",
            "{}x",
            "{} {}",
            "{}\u{c}",
            "null",
            "true",
            "0",
            "-0",
            "-0.0",
            "0.0",
            "-0e0",
            "0e0",
            "1",
            "1.0",
            "1e2",
            "1E+2",
            "1e-2",
            "1.5e300",
            "1e400",
            "-1e400",
            "1e-400",
            "-1e-400",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "123456789012345678901234567890",
            "-123456789012345678901234567890",
            "9007199254740993",
            "2.2250738585072011e-308",
            "4.9e-324",
            "01",
            "1.",
            ".5",
            "+1",
            "-",
            "NaN",
            "Infinity",
            r#""\ud800""#,
            r#""\udc00""#,
            r#""\ud800\u0041""#,
            r#""\ud83d\ude00""#,
            r#""\u0000""#,
            "\"\u{1}\"",
            "\"\t\"",
            r#""\/\b\f\n\r\t\"\\""#,
            r#""\x""#,
            r#""\u12""#,
            "'a'",
            "[1,]",
            "{\"a\":1,}",
            r#"{"a":1,"a":1}"#,
            r#"{"a":{"b":1,"b":2}}"#,
            r#"[{"a":1},{"a":1}]"#,
            r#"{"a":1,"A":1}"#,
            r#"{"é":1,"\u00e9":2}"#,
            r#"{"a/b":[{"k~":1,"k~":2}]}"#,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for n in [126, 127, 128, 129, 200] {
            texts.push(deep(n, "[", "1", "]"));
            texts.push(deep(n, "{\"a\":", "[]", "}"));
        }
        for n in [MAX_ARGUMENT_NODES - 1, MAX_ARGUMENT_NODES, MAX_ARGUMENT_NODES + 1] {
            texts.push(format!("[{}0]", "0,".repeat(n - 1)));
            texts.push(format!("{{\"a\": [{}0]}}", "0,".repeat(n - 2)));
        }
        for text in &texts {
            same_as_slow(text).unwrap();
        }
    }

    mod differential {
        use proptest::prelude::*;

        use super::same_as_slow;

        fn number() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<i64>().prop_map(|n| n.to_string()),
                any::<u64>().prop_map(|n| n.to_string()),
                any::<f64>().prop_map(|f| format!("{f:?}")),
                any::<f64>().prop_map(|f| format!("{f:e}")),
                "-?(0|[1-9][0-9]{0,25})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,4})?",
                "-?[0-9.eE+-]{1,8}",
                prop::sample::select(vec!["-0", "0", "-0.0", "1e400", "-1e-400", "18446744073709551616"])
                    .prop_map(str::to_string),
            ]
        }

        fn string() -> impl Strategy<Value = String> {
            let fragment = prop_oneof![
                "[a-c/~é😀 ]{0,4}",
                prop::sample::select(vec![
                    "\\n",
                    "\\\"",
                    "\\\\",
                    "\\/",
                    "\\b",
                    "\\u0000",
                    "\\u00e9",
                    "\\u00E9",
                    "\\ud83d\\ude00",
                    "\\ud800",
                    "\\udc00",
                    "\\ud800\\u0041",
                    "\\uDBFF\\uDFFF",
                    "\\x",
                    "\\u12",
                    "\t",
                    "\u{1}",
                    "\u{7f}",
                ])
                .prop_map(str::to_string),
            ];
            prop::collection::vec(fragment, 0..4).prop_map(|parts| format!("\"{}\"", parts.concat()))
        }

        fn key() -> impl Strategy<Value = String> {
            // Few keys, so objects repeat them (sometimes spelled with an escape) at every depth.
            prop_oneof![
                4 => prop::sample::select(vec!["\"a\"", "\"b\"", "\"\\u0061\"", "\"a/b\"", "\"~\""]).prop_map(str::to_string),
                1 => string(),
            ]
        }

        fn ws() -> impl Strategy<Value = String> {
            prop::sample::select(vec!["", "", "", " ", "\n", "\t", "\r\n  "]).prop_map(str::to_string)
        }

        fn value() -> impl Strategy<Value = String> {
            let leaf = prop_oneof![
                Just("null".to_string()),
                Just("true".to_string()),
                Just("false".to_string()),
                number(),
                string(),
            ];
            leaf.prop_recursive(6, 64, 6, |inner| {
                prop_oneof![
                    prop::collection::vec((ws(), inner.clone(), ws()), 0..6).prop_map(|items| {
                        let items: Vec<String> = items.into_iter().map(|(a, v, b)| format!("{a}{v}{b}")).collect();
                        format!("[{}]", items.join(","))
                    }),
                    prop::collection::vec((key(), ws(), inner), 0..6).prop_map(|members| {
                        let members: Vec<String> =
                            members.into_iter().map(|(k, w, v)| format!("{k}{w}:{w}{v}")).collect();
                        format!("{{{}}}", members.join(","))
                    }),
                ]
            })
        }

        /// Valid-looking text, sometimes broken by one edit.
        fn text() -> impl Strategy<Value = String> {
            let edit = prop::sample::select(vec![
                "", ",", "]", "}", "[", "{", "\"", "\\", ":", " ", "-", "0", "e", ".", "\u{feff}", "x",
            ]);
            (ws(), value(), ws(), any::<bool>(), any::<prop::sample::Index>(), edit, 0usize..2).prop_map(
                |(a, v, b, mutate, at, edit, cut)| {
                    let mut text = format!("{a}{v}{b}");
                    if mutate {
                        let mut i = at.index(text.len() + 1);
                        while !text.is_char_boundary(i) {
                            i -= 1;
                        }
                        let mut end = i + cut;
                        while end > text.len() || !text.is_char_boundary(end) {
                            end -= 1;
                        }
                        text.replace_range(i..end.max(i), edit);
                    }
                    text
                },
            )
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(4000))]

            #[test]
            fn the_one_pass_reading_agrees_with_the_three_pass_one(text in text()) {
                same_as_slow(&text)?;
            }

            #[test]
            fn numbers_of_every_form_read_alike(n in number()) {
                same_as_slow(&n)?;
                same_as_slow(&format!("{{\"n\": [{n}]}}"))?;
            }

            #[test]
            fn strings_of_every_form_read_alike(s in string()) {
                same_as_slow(&s)?;
                same_as_slow(&format!("{{{s}: {s}}}"))?;
            }
        }
    }
}
