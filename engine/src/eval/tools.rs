//! `tools/list` results: reading tool lists, and filtering them byte-for-byte
//! (`policy-format.md` §6).

use serde_json::Value;

use crate::eval::evaluate::Policy;
use crate::json::{self, Kind, LineIndex, Member, Node};
use crate::policy::validate::ValidationError;

/// One tool of a `tools/list` result, as lint and suggest read it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolInfo {
    /// `name`.
    pub name: String,
    /// `title`, if any.
    pub title: Option<String>,
    /// `description`, if any.
    pub description: Option<String>,
    /// `inputSchema` (`{}` when absent).
    pub input_schema: Value,
    /// `annotations` (`{}` when absent).
    pub annotations: Value,
}

fn located(idx: &LineIndex<'_>, pointer: &str, offset: usize, message: String) -> ValidationError {
    let pos = idx.pos(offset);
    ValidationError::error(pointer, message).at(pos.line, pos.column)
}

fn syntax(e: json::SyntaxError) -> ValidationError {
    e.diagnostic(1)
}

/// The first repeated key among `members`, if any. Parsers disagree on which occurrence wins
/// (JavaScript and `serde_json` take the last, many others the first), so a repeated key in the
/// parts of a tool list that decide what is shown could make the gateway filter one list while
/// the client reads another.
fn duplicate_key(members: &[Member]) -> Option<&Member> {
    members.iter().zip(json::repeated(members)).find_map(|(m, r)| r.then_some(m))
}

fn no_duplicates(node: &Node, idx: &LineIndex<'_>, pointer: &str, what: &str) -> Result<(), ValidationError> {
    let Kind::Object(members) = &node.kind else { return Ok(()) };
    match duplicate_key(members) {
        Some(m) => Err(located(
            idx,
            &json::child(pointer, &m.key),
            m.key_pos,
            format!("duplicate key `{}` in {what}: parsers disagree on which one counts", m.key),
        )),
        None => Ok(()),
    }
}

/// Finds the `tools` array node: in a result `{"tools": [...]}`, in a JSON-RPC response
/// `{"jsonrpc": "2.0", "result": {"tools": [...]}}`, or (when `allow_bare`) a bare array of tools.
/// Returns the array node and its pointer.
///
/// An object with `jsonrpc` or `result` is a JSON-RPC response: its list is `result.tools` and
/// nothing else — a top-level `tools` next to it is a decoy (a gateway filtering it would pass the
/// real list through untouched) and is refused, as are repeated keys in the response, the result
/// and a tool's `name`.
fn tools_array<'n>(
    root: &'n Node,
    idx: &LineIndex<'_>,
    allow_bare: bool,
) -> Result<(&'n Node, &'static str), ValidationError> {
    let not_a_list = |what: &str| {
        located(
            idx,
            "",
            root.start,
            format!(
                "expected a `tools/list` result (an object with a `tools` array{}), found {what}",
                if allow_bare { ", or an array of tools" } else { "" }
            ),
        )
    };
    match &root.kind {
        Kind::Array(_) if allow_bare => Ok((root, "")),
        Kind::Object(_) => {
            let envelope = root.get("jsonrpc").is_some() || root.get("result").is_some();
            let (holder, base) = if envelope {
                no_duplicates(root, idx, "", "a JSON-RPC response")?;
                if let Some(decoy) = root.get("tools") {
                    return Err(ValidationError {
                        help: Some("a `tools/list` response carries its tools in `result.tools` only".into()),
                        ..located(
                            idx,
                            "/tools",
                            decoy.key_pos,
                            "a JSON-RPC response has a top-level `tools` next to `result`: which list is meant is \
                             ambiguous"
                                .into(),
                        )
                    });
                }
                match root.get("result") {
                    Some(r) if matches!(r.value.kind, Kind::Object(_)) => {
                        no_duplicates(&r.value, idx, "/result", "the `tools/list` result")?;
                        (&r.value, "/result/tools")
                    }
                    Some(r) => {
                        return Err(located(
                            idx,
                            "/result",
                            r.value.start,
                            format!(
                                "`result` must be a `tools/list` result object, found {}",
                                r.value.kind.type_name()
                            ),
                        ));
                    }
                    None if root.get("error").is_some() => {
                        return Err(not_a_list("a JSON-RPC error response"));
                    }
                    None => return Err(not_a_list("a JSON-RPC message without `result`")),
                }
            } else {
                no_duplicates(root, idx, "", "the `tools/list` result")?;
                if root.get("tools").is_none() {
                    return Err(not_a_list("an object without `tools`"));
                }
                (root, "/tools")
            };
            match holder.get("tools") {
                Some(m) if matches!(m.value.kind, Kind::Array(_)) => Ok((&m.value, base)),
                Some(m) => Err(located(
                    idx,
                    base,
                    m.value.start,
                    format!("`tools` must be an array, found {}", m.value.kind.type_name()),
                )),
                None => Err(located(idx, base, holder.start, "missing `tools` array".into())),
            }
        }
        other => Err(not_a_list(&format!(
            "{} {}",
            if matches!(other, Kind::Array(_)) { "an" } else { "a" },
            other.type_name()
        ))),
    }
}

fn tool_name<'n>(item: &'n Node, idx: &LineIndex<'_>, pointer: &str) -> Result<&'n str, ValidationError> {
    if let Kind::Object(members) = &item.kind {
        let names = members.iter().filter(|m| m.key == "name");
        if let Some(second) = names.clone().nth(1) {
            return Err(located(
                idx,
                &format!("{pointer}/name"),
                second.key_pos,
                "a tool has two `name` keys: parsers disagree on which one counts".into(),
            ));
        }
    }
    match item.get("name").map(|m| &m.value.kind) {
        Some(Kind::String(s)) => Ok(s),
        Some(_) => Err(located(idx, &format!("{pointer}/name"), item.start, "a tool's `name` must be a string".into())),
        None if matches!(item.kind, Kind::Object(_)) => {
            Err(located(idx, pointer, item.start, "a tool must have a `name`".into()))
        }
        None => {
            Err(located(idx, pointer, item.start, format!("a tool must be an object, found {}", item.kind.type_name())))
        }
    }
}

/// Parses a tool list: a `tools/list` result, a JSON-RPC response carrying one, or a bare array.
pub fn parse_tool_list(text: &str) -> Result<Vec<ToolInfo>, ValidationError> {
    let root = json::parse(text).map_err(syntax)?;
    let idx = LineIndex::new(text);
    let (array, base) = tools_array(&root, &idx, true)?;
    let Kind::Array(items) = &array.kind else { return Ok(Vec::new()) };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let ptr = format!("{base}/{i}");
        let name = tool_name(item, &idx, &ptr)?.to_string();
        let text_of = |key: &str| item.get(key).and_then(|m| m.value.to_value().as_str().map(str::to_string));
        out.push(ToolInfo {
            name,
            title: text_of("title"),
            description: text_of("description"),
            input_schema: item.get("inputSchema").map_or(Value::Object(Default::default()), |m| m.value.to_value()),
            annotations: item.get("annotations").map_or(Value::Object(Default::default()), |m| m.value.to_value()),
        });
    }
    Ok(out)
}

/// Filters a `tools/list` result (or a JSON-RPC response carrying one): removes hidden tools
/// (all of them with no policy) and keeps every other byte — order, unknown fields, `nextCursor`.
pub fn filter_tools(policy: Option<&Policy>, text: &str) -> Result<String, ValidationError> {
    let root = json::parse(text).map_err(syntax)?;
    let idx = LineIndex::new(text);
    let (array, base) = tools_array(&root, &idx, false)?;
    let Kind::Array(items) = &array.kind else { return Ok(text.to_string()) };
    let mut keep = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let name = tool_name(item, &idx, &format!("{base}/{i}"))?;
        keep.push(policy.is_some_and(|p| p.is_visible(name)));
    }
    if keep.iter().all(|k| *k) {
        return Ok(text.to_string());
    }
    let slice = |a: usize, b: usize| text.get(a..b).unwrap_or("");
    let mut out = String::with_capacity(text.len());
    out.push_str(slice(0, array.start + 1));
    let mut first = true;
    let mut last_end = array.start + 1;
    for (i, (item, kept)) in items.iter().zip(&keep).enumerate() {
        if *kept {
            let sep_start =
                if first || i == 0 { array.start + 1 } else { items.get(i - 1).map_or(array.start + 1, |p| p.end) };
            let sep = slice(sep_start, item.start);
            // The first kept element takes the whitespace that followed `[`.
            let sep = if first { sep.trim_start_matches(|c: char| c == ',' || c.is_whitespace()) } else { sep };
            if first {
                out.push_str(slice(array.start + 1, items.first().map_or(array.start + 1, |f| f.start)));
            } else {
                out.push_str(sep);
            }
            out.push_str(slice(item.start, item.end));
            first = false;
        }
        last_end = item.end;
    }
    let tail = slice(last_end, array.end);
    if first {
        // Nothing kept: `[` directly followed by the closing part without the leading whitespace.
        out.push_str(tail.trim_start());
    } else {
        out.push_str(tail);
    }
    out.push_str(slice(array.end, text.len()));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_policy;

    fn policy(text: &str) -> Policy {
        parse_policy(text).unwrap().unwrap()
    }

    #[test]
    fn hidden_tools_are_removed_and_other_bytes_kept() {
        let p = policy(r#"{"version":"1","default":"deny","hide":["b"]}"#);
        let text = "{\"tools\": [\n  {\"name\": \"a\", \"x\": 1},\n  {\"name\": \"b\"},\n  {\"name\":\"c\" ,\"_meta\":{}}\n], \"nextCursor\": \"n\"}";
        let out = filter_tools(Some(&p), text).unwrap();
        assert_eq!(
            out,
            "{\"tools\": [\n  {\"name\": \"a\", \"x\": 1},\n  {\"name\":\"c\" ,\"_meta\":{}}\n], \"nextCursor\": \"n\"}"
        );
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["nextCursor"], "n");
    }

    #[test]
    fn removing_the_first_tool_keeps_valid_json() {
        let p = policy(r#"{"version":"1","default":"allow","hide":["a"]}"#);
        let out = filter_tools(Some(&p), r#"{"tools":[{"name":"a"},{"name":"b"},{"name":"c"}]}"#).unwrap();
        assert_eq!(out, r#"{"tools":[{"name":"b"},{"name":"c"}]}"#);
        let out = filter_tools(Some(&p), r#"{"tools":[ {"name":"a"} ]}"#).unwrap();
        assert_eq!(out, r#"{"tools":[]}"#);
    }

    #[test]
    fn no_policy_and_wildcard_empty_the_list() {
        let text = r#"{"tools":[{"name":"a"},{"name":"b"}],"nextCursor":"x"}"#;
        assert_eq!(filter_tools(None, text).unwrap(), r#"{"tools":[],"nextCursor":"x"}"#);
        let p = policy(r#"{"version":"1","default":"allow","hide":["*"]}"#);
        assert_eq!(filter_tools(Some(&p), text).unwrap(), r#"{"tools":[],"nextCursor":"x"}"#);
    }

    #[test]
    fn json_rpc_responses_are_filtered_in_place() {
        let p = policy(r#"{"version":"1","default":"allow","hide":["b"]}"#);
        let text = r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a"},{"name":"b"}]}}"#;
        assert_eq!(
            filter_tools(Some(&p), text).unwrap(),
            r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a"}]}}"#
        );
    }

    #[test]
    fn a_decoy_tools_list_next_to_a_json_rpc_result_is_refused_not_passed_through() {
        let p = policy(r#"{"version":"1","default":"allow","hide":["delete_repo"]}"#);
        let decoy = r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"delete_repo"}]},"tools":[]}"#;
        let e = filter_tools(Some(&p), decoy).unwrap_err();
        assert_eq!((e.pointer.as_str(), e.column), ("/tools", Some(69)));
        assert!(e.message.contains("ambiguous"), "{}", e.message);
        let e = parse_tool_list(decoy).unwrap_err();
        assert_eq!(e.pointer, "/tools");
        // Without the decoy the real list is filtered, `jsonrpc` or not.
        let real = r#"{"result":{"tools":[{"name":"delete_repo"},{"name":"a"}]},"id":1}"#;
        assert_eq!(filter_tools(Some(&p), real).unwrap(), r#"{"result":{"tools":[{"name":"a"}]},"id":1}"#);
        let e = filter_tools(Some(&p), r#"{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"x"}}"#).unwrap_err();
        assert!(e.message.contains("error response"), "{}", e.message);
        let e = filter_tools(Some(&p), r#"{"jsonrpc":"2.0","tools":[]}"#).unwrap_err();
        assert_eq!(e.pointer, "/tools");
        let e = filter_tools(Some(&p), r#"{"jsonrpc":"2.0","result":[{"name":"delete_repo"}]}"#).unwrap_err();
        assert_eq!(e.pointer, "/result");
    }

    #[test]
    fn repeated_tools_result_and_name_keys_are_errors() {
        let p = policy(r#"{"version":"1","default":"allow","hide":["delete_repo"]}"#);
        for (text, pointer) in [
            (r#"{"tools":[{"name":"delete_repo"}],"tools":[]}"#, "/tools"),
            (r#"{"result":{"tools":[]},"result":{"tools":[{"name":"delete_repo"}]}}"#, "/result"),
            (r#"{"result":{"tools":[{"name":"delete_repo"}],"tools":[]}}"#, "/result/tools"),
            (r#"{"tools":[{"name":"a"},{"name":"delete_repo","name":"a"}]}"#, "/tools/1/name"),
            (r#"{"tools":[{"name":"a","name":"delete_repo"}]}"#, "/tools/0/name"),
        ] {
            let e = filter_tools(Some(&p), text).unwrap_err();
            assert_eq!(e.pointer, pointer, "{text}");
            assert!(e.message.contains("parsers disagree"), "{}", e.message);
            assert!(e.line.is_some());
            assert_eq!(parse_tool_list(text).unwrap_err().pointer, pointer);
        }
    }

    #[test]
    fn lists_that_are_not_tools_list_results_are_located_errors() {
        let e = filter_tools(None, "[1,2]").unwrap_err();
        assert!(e.message.contains("tools/list"), "{}", e.message);
        let e = filter_tools(None, r#"{"tools": {"a": 1}}"#).unwrap_err();
        assert_eq!(e.pointer, "/tools");
        let e = parse_tool_list("{\"tools\": [\n {\"title\": \"x\"}]}").unwrap_err();
        assert_eq!((e.pointer.as_str(), e.line), ("/tools/0", Some(2)));
        let e = filter_tools(None, "{\"tools\": [").unwrap_err();
        assert!(e.line.is_some());
        assert_eq!(
            parse_tool_list(r#"[{"name":"x","description":"d"}]"#).unwrap()[0].description.as_deref(),
            Some("d")
        );
    }
}
