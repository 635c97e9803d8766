//! The reading helpers every located reader shares (policy validation, traces, tool lists, test
//! files): how a found value is described, how a member's pointer is built, and the one check of
//! an object's keys (repeated keys, unknown keys with a "did you mean").

use crate::diagnostic::Diagnostic;
use crate::diagnostic::fuzzy::suggestion;
use crate::json::{Kind, Member, Node, escape_pointer_segment};

/// Longest string (in characters) quoted whole by [`describe`]; longer ones are cut with `...`.
pub const MAX_QUOTED_CHARS: usize = 60;

/// A found value for an error message: "the string `abc`", "the number `1`", "an array", ….
pub fn describe(node: &Node) -> String {
    match &node.kind {
        Kind::String(s) if s.chars().nth(MAX_QUOTED_CHARS).is_some() => {
            format!("the string `{}...`", s.chars().take(MAX_QUOTED_CHARS - 3).collect::<String>())
        }
        Kind::String(s) => format!("the string `{s}`"),
        Kind::Number(n) => format!("the number `{n}`"),
        Kind::Bool(b) => format!("`{b}`"),
        Kind::Null => "`null`".into(),
        Kind::Array(_) => "an array".into(),
        Kind::Object(_) => "an object".into(),
    }
}

/// The pointer of member `key` under `ptr`.
pub fn child(ptr: &str, key: &str) -> String {
    let key = escape_pointer_segment(key);
    let mut s = String::with_capacity(ptr.len() + key.len() + 1);
    s.push_str(ptr);
    s.push('/');
    s.push_str(&key);
    s
}

/// For each member, whether an earlier member has the same key (linear: one hash set).
pub fn repeated(members: &[Member]) -> Vec<bool> {
    let mut seen = rustc_hash::FxHashSet::default();
    members.iter().map(|m| !seen.insert(m.key.as_str())).collect()
}

/// The "did you mean" (or the list of allowed keys) for an unknown key.
pub fn key_help(key: &str, allowed: &[&str]) -> Option<String> {
    suggestion(key, allowed.iter().copied().filter(|k| !k.starts_with('$')))
        .or_else(|| Some(format!("allowed keys: {}", allowed.join(", "))))
}

/// The problems of an object's keys, in member order, each with the member and the offset of
/// its key: a repeated key (`duplicate key`), and — unless `allowed` is empty (any key) — a key
/// not in `allowed` (`unknown key … in {what}`, with [`key_help`]). The diagnostics are not yet
/// located: callers turn the offset into a line and column.
pub fn key_problems<'m>(
    members: &'m [Member],
    ptr: &str,
    what: &str,
    allowed: &[&str],
) -> Vec<(&'m Member, usize, Diagnostic)> {
    let mut out = Vec::new();
    for (m, is_repeated) in members.iter().zip(repeated(members)) {
        if is_repeated {
            out.push((m, m.key_pos, Diagnostic::error(child(ptr, &m.key), format!("duplicate key `{}`", m.key))));
        } else if !allowed.is_empty() && !allowed.contains(&m.key.as_str()) {
            let d = Diagnostic::error(child(ptr, &m.key), format!("unknown key `{}` in {what}", m.key))
                .with_help(key_help(&m.key, allowed));
            out.push((m, m.key_pos, d));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn members(text: &str) -> Vec<Member> {
        match parse(text).unwrap().kind {
            Kind::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn repeated_and_unknown_keys_are_reported_in_member_order() {
        let text = r#"{"tool": 1, "at-ms": 2, "tool": 3}"#;
        let m = members(text);
        let p = key_problems(&m, "/0", "a call", &["tool", "at_ms"]);
        let got: Vec<(&str, &str, Option<&str>)> =
            p.iter().map(|(_, _, d)| (d.pointer.as_str(), d.message.as_str(), d.help.as_deref())).collect();
        assert_eq!(
            got,
            [
                ("/0/at-ms", "unknown key `at-ms` in a call", Some("did you mean `at_ms`?")),
                ("/0/tool", "duplicate key `tool`", None),
            ]
        );
        assert_eq!(Some(p[1].1), text.rfind("\"tool\""), "the offset is the repeated key's");
    }

    #[test]
    fn an_empty_allowed_list_accepts_any_key_but_not_repeats() {
        let m = members(r#"{"a": 1, "b": 2, "a": 3}"#);
        assert_eq!(key_problems(&m, "", "x", &[]).len(), 1);
    }

    #[test]
    fn a_key_repeated_far_from_its_first_use_is_found_among_many() {
        let text = format!("{{{}\"k0\": 0}}", (0..50_000).map(|i| format!("\"k{i}\": 0, ")).collect::<String>());
        let m = members(&text);
        assert_eq!(key_problems(&m, "", "x", &[]).len(), 1);
    }

    #[test]
    fn long_strings_are_described_cut() {
        let n = parse(&format!("\"{}\"", "x".repeat(100))).unwrap();
        assert_eq!(describe(&n), format!("the string `{}...`", "x".repeat(57)));
        assert_eq!(child("/a", "b/c"), "/a/b~1c");
    }
}
