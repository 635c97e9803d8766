//! The locating reader: entries read from the span-keeping parser's tree, every problem reported
//! with its pointer, line and column ([`Errors`]); the three entry forms (call, JSON-RPC message,
//! recorded wire line) and their fields.

use std::borrow::Cow;
use std::cell::OnceCell;

use serde_json::{Map, Value};

use crate::diagnostic::fuzzy::suggestion;
use crate::diagnostic::{Collector, Diagnostic};
pub(super) use crate::json::describe;
use crate::json::{self, Kind, LineIndex, Member, Node, child, key_problems};
use crate::policy::validate::ValidationError;

use super::MAX_AT_MS;
use super::fast::admit_text;
use super::parse::{
    CALL_KEYS, CLIENT_TO_SERVER, Item, PARAMS_KEYS, RPC_CALL_KEYS, RPC_MSG_KEYS, RawCall, SERVER_TO_CLIENT, WIRE_KEYS,
    When,
};
use super::time::{TS_FORMAT_HELP, parse_rfc3339_ms};

/// Line/column lookup for one piece of text whose first line is `first_line` of the input.
pub(super) struct Loc<'t> {
    pub(super) text: &'t str,
    pub(super) first_line: u32,
    pub(super) index: OnceCell<LineIndex<'t>>,
}

impl<'t> Loc<'t> {
    pub(super) fn new(text: &'t str, first_line: u32) -> Self {
        Loc { text, first_line, index: OnceCell::new() }
    }

    pub(super) fn at(&self, offset: usize) -> (u32, u32) {
        let p = self.index.get_or_init(|| LineIndex::new(self.text)).pos(offset);
        (p.line.saturating_add(self.first_line - 1), p.column)
    }
}

/// Collected errors, capped ([`Collector`]), located through a [`Loc`].
#[derive(Default)]
pub(super) struct Errors(pub(super) Collector);

impl Errors {
    pub(super) fn full(&self) -> bool {
        self.0.full()
    }

    pub(super) fn push(&mut self, e: ValidationError) {
        self.0.push(e);
    }

    pub(super) fn at(&mut self, loc: &Loc<'_>, pointer: &str, offset: usize, message: String, help: Option<String>) {
        let (line, column) = loc.at(offset);
        self.push(Diagnostic::error(pointer, message).at(line, column).with_help(help));
    }

    pub(super) fn syntax(&mut self, e: &json::SyntaxError, first_line: u32) {
        self.push(e.diagnostic(first_line));
    }

    pub(super) fn into_vec(self) -> Vec<ValidationError> {
        self.0.into_vec()
    }
}

/// The first member named `key` whose value is not `null` (null = absent).
pub(super) fn member<'n>(members: &'n [Member], key: &str) -> Option<&'n Member> {
    members.iter().find(|m| m.key == key && !matches!(m.value.kind, Kind::Null))
}

/// Reports duplicate and unknown keys. Returns whether there were none.
pub(super) fn check_keys(
    members: &[Member],
    ptr: &str,
    what: &str,
    allowed: &[&str],
    loc: &Loc<'_>,
    errs: &mut Errors,
) -> bool {
    let problems = key_problems(members, ptr, what, allowed);
    let ok = problems.is_empty();
    for (_, offset, d) in problems {
        errs.at(loc, &d.pointer, offset, d.message, d.help);
    }
    ok
}

/// Exactly one of two alias keys (or neither). Reports both-present.
pub(super) fn one_of<'n>(
    members: &'n [Member],
    a: &str,
    b: &str,
    ptr: &str,
    loc: &Loc<'_>,
    errs: &mut Errors,
) -> Result<Option<&'n Member>, ()> {
    match (member(members, a), member(members, b)) {
        (Some(x), Some(y)) => {
            let second = if x.key_pos > y.key_pos { x } else { y };
            errs.at(
                loc,
                &child(ptr, &second.key),
                second.key_pos,
                format!("`{a}` and `{b}` are the same field: give only one"),
                None,
            );
            Err(())
        }
        (x, y) => Ok(x.or(y)),
    }
}

/// A non-negative integer number of milliseconds, at most [`MAX_AT_MS`].
pub(super) fn ms_value(node: &Node, ptr: &str, what: &str, loc: &Loc<'_>, errs: &mut Errors) -> Option<u64> {
    match &node.kind {
        Kind::Number(n) if n.as_u64().is_some_and(|t| t <= MAX_AT_MS) => n.as_u64(),
        _ => {
            errs.at(
                loc,
                ptr,
                node.start,
                format!("`{what}` must be a non-negative integer of milliseconds, found {}", describe(node)),
                (what != "after_ms").then(|| "Unix time in milliseconds, e.g. `1767225600000`".to_string()),
            );
            None
        }
    }
}

/// Reads a non-empty string field.
pub(super) fn string_value(
    node: &Node,
    ptr: &str,
    what: &str,
    loc: &Loc<'_>,
    errs: &mut Errors,
) -> Option<Cow<'static, str>> {
    match &node.kind {
        Kind::String(s) if !s.is_empty() => Some(Cow::Owned(s.clone())),
        Kind::String(_) => {
            errs.at(loc, ptr, node.start, format!("`{what}` must not be empty"), None);
            None
        }
        _ => {
            errs.at(loc, ptr, node.start, format!("`{what}` must be a string, found {}", describe(node)), None);
            None
        }
    }
}

/// Arguments: an object, read from its exact text as the fast path and `evaluate` read it
/// ([`admit_text`]), so duplicate keys and the caps are refused; absent or `null` → `{}`.
pub(super) fn args_value(
    m: Option<&Member>,
    ptr: &str,
    loc: &Loc<'_>,
    errs: &mut Errors,
) -> Option<(Value, Option<String>)> {
    match m {
        None => Some((Value::Object(Map::new()), None)),
        Some(m) if matches!(m.value.kind, Kind::Object(_)) => {
            let admitted = match loc.text.get(m.value.start..m.value.end).and_then(admit_text) {
                Some(admitted) => admitted,
                // Not reachable (the node's span is an object of this text); decided from the node.
                None => crate::json::args::admit_node(&m.value),
            };
            Some(match admitted {
                Ok(args) => (args, None),
                Err(message) => (Value::Object(Map::new()), Some(message)),
            })
        }
        Some(m) => {
            errs.at(
                loc,
                &child(ptr, &m.key),
                m.value.start,
                format!("`{}` must be an object, found {}", m.key, describe(&m.value)),
                Some("arguments are a JSON object of named values, e.g. `{\"amount\": 50}`".into()),
            );
            None
        }
    }
}

/// The time fields present in `members` (`at_ms`, `ts`, `after_ms`): at most one.
/// Returns the time and the pointer/offset to report clock errors at.
pub(super) fn when_value(
    members: &[Member],
    node: &Node,
    ptr: &str,
    loc: &Loc<'_>,
    errs: &mut Errors,
) -> Option<(When, String, usize)> {
    let mut present: Vec<&Member> = ["at_ms", "ts", "after_ms"].iter().filter_map(|k| member(members, k)).collect();
    present.sort_by_key(|m| m.key_pos);
    let Some(first) = present.first() else { return Some((When::Same, ptr.to_string(), node.start)) };
    if let Some(second) = present.get(1) {
        errs.at(
            loc,
            &child(ptr, &second.key),
            second.key_pos,
            format!("a call has one time: give `{}` or `{}`, not both", first.key, second.key),
            None,
        );
        return None;
    }
    let fptr = child(ptr, &first.key);
    let when = match first.key.as_str() {
        "ts" => match &first.value.kind {
            Kind::String(s) => match parse_rfc3339_ms(s) {
                Ok(t) => When::At(t),
                Err(msg) => {
                    errs.at(loc, &fptr, first.value.start, msg, Some(TS_FORMAT_HELP.into()));
                    return None;
                }
            },
            _ => {
                errs.at(
                    loc,
                    &fptr,
                    first.value.start,
                    format!("`ts` must be an RFC 3339 timestamp string, found {}", describe(&first.value)),
                    Some(TS_FORMAT_HELP.into()),
                );
                return None;
            }
        },
        "after_ms" => When::After(ms_value(&first.value, &fptr, "after_ms", loc, errs)?),
        _ => When::At(ms_value(&first.value, &fptr, "at_ms", loc, errs)?),
    };
    Some((when, fptr, first.value.start))
}

pub(super) fn upstream_error_value(members: &[Member], ptr: &str, loc: &Loc<'_>, errs: &mut Errors) -> Option<bool> {
    match member(members, "upstream_error") {
        None => Some(false),
        Some(Member { value: Node { kind: Kind::Bool(b), .. }, .. }) => Some(*b),
        Some(m) => {
            errs.at(
                loc,
                &child(ptr, "upstream_error"),
                m.value.start,
                format!("`upstream_error` must be `true` or `false`, found {}", describe(&m.value)),
                None,
            );
            None
        }
    }
}

pub(super) fn grant_value(
    members: &[Member],
    ptr: &str,
    loc: &Loc<'_>,
    errs: &mut Errors,
) -> Result<Option<Cow<'static, str>>, ()> {
    match member(members, "grant") {
        None => Ok(None),
        Some(m) => string_value(&m.value, &child(ptr, "grant"), "grant", loc, errs).map(Some).ok_or(()),
    }
}

/// One entry of any form.
pub(super) fn entry(node: &Node, ptr: &str, loc: &Loc<'_>, errs: &mut Errors) -> Option<Item> {
    let Kind::Object(members) = &node.kind else {
        errs.at(
            loc,
            ptr,
            node.start,
            format!("a trace entry must be an object (a call or an MCP JSON-RPC message), found {}", describe(node)),
            Some("a call looks like `{\"tool\": \"search\", \"args\": {}, \"at_ms\": 1767225600000}`".into()),
        );
        return None;
    };
    let has = |k: &str| members.iter().any(|m| m.key == k);
    if has("msg") || has("dir") {
        wire_entry(members, node, ptr, loc, errs)
    } else if has("jsonrpc") || has("method") {
        rpc_message(members, node, ptr, true, loc, errs).map(|(item, _)| item)
    } else {
        call_entry(members, node, ptr, loc, errs)
    }
}

/// `{"tool", "args"?, "grant"?, time?, "upstream_error"?}`.
pub(super) fn call_entry(members: &[Member], node: &Node, ptr: &str, loc: &Loc<'_>, errs: &mut Errors) -> Option<Item> {
    let ok = check_keys(members, ptr, "a call", CALL_KEYS, loc, errs);
    let tool = match one_of(members, "tool", "name", ptr, loc, errs) {
        Err(()) => None,
        Ok(None) => {
            errs.at(
                loc,
                ptr,
                node.start,
                "a call needs `tool` (the tool's name)".into(),
                Some("e.g. `{\"tool\": \"search\", \"args\": {\"q\": \"x\"}}`".into()),
            );
            None
        }
        Ok(Some(m)) => string_value(&m.value, &child(ptr, &m.key), &m.key, loc, errs),
    };
    let args = match one_of(members, "args", "arguments", ptr, loc, errs) {
        Err(()) => None,
        Ok(m) => args_value(m, ptr, loc, errs),
    };
    let (raw, time_ptr, time_offset) = call_fields(members, node, ptr, loc, errs, tool, args, ok)?;
    Some(Item::Call { raw, rpc_id: None, time_ptr, time_offset })
}

/// Reads what a call and a `tools/call` request share (`grant`, the time, `upstream_error`) and
/// puts the call together when everything read (`ok` and every part present).
#[expect(clippy::too_many_arguments, reason = "the parts read so far, and where to report")]
fn call_fields(
    members: &[Member],
    node: &Node,
    ptr: &str,
    loc: &Loc<'_>,
    errs: &mut Errors,
    tool: Option<Cow<'static, str>>,
    args: Option<(Value, Option<String>)>,
    mut ok: bool,
) -> Option<(RawCall<'static>, String, usize)> {
    let grant = grant_value(members, ptr, loc, errs);
    let when = when_value(members, node, ptr, loc, errs);
    let upstream_error = upstream_error_value(members, ptr, loc, errs);
    ok &= grant.is_ok();
    let (Some(tool), Some((args, refusal)), Ok(grant), Some((when, time_ptr, time_offset)), Some(upstream_error), true) =
        (tool, args, grant, when, upstream_error, ok)
    else {
        return None;
    };
    Some((RawCall { tool, args, refusal, grant, when, upstream_error }, time_ptr, time_offset))
}

pub(super) fn rpc_id(members: &[Member]) -> Option<String> {
    match member(members, "id").map(|m| &m.value.kind) {
        Some(Kind::Number(n)) => Some(format!("n:{n}")),
        Some(Kind::String(s)) => Some(format!("s:{s}")),
        _ => None,
    }
}

/// A JSON-RPC message. `siblings`: our own fields (`grant`, time, `upstream_error`) may sit next
/// to a `tools/call` request. Returns the item and whether it is a `tools/call` request.
pub(super) fn rpc_message(
    members: &[Member],
    node: &Node,
    ptr: &str,
    siblings: bool,
    loc: &Loc<'_>,
    errs: &mut Errors,
) -> Option<(Item, bool)> {
    if let Some(m) = member(members, "jsonrpc")
        && !matches!(&m.value.kind, Kind::String(v) if v == "2.0")
    {
        errs.at(
            loc,
            &child(ptr, "jsonrpc"),
            m.value.start,
            format!("`jsonrpc` must be `\"2.0\"`, found {}", describe(&m.value)),
            None,
        );
        return None;
    }
    let Some(method) = member(members, "method") else {
        let is_error = members.iter().any(|m| m.key == "error");
        if is_error || members.iter().any(|m| m.key == "result") {
            return Some((rpc_id(members).map_or(Item::Skip, |id| Item::Response { id, error: is_error }), false));
        }
        errs.at(loc, ptr, node.start, "not a JSON-RPC message: it has no `method`, `result` or `error`".into(), None);
        return None;
    };
    let Kind::String(method_name) = &method.value.kind else {
        errs.at(
            loc,
            &child(ptr, "method"),
            method.value.start,
            format!("`method` must be a string, found {}", describe(&method.value)),
            None,
        );
        return None;
    };
    if method_name != "tools/call" {
        return Some((Item::Skip, false));
    }
    let allowed = if siblings { RPC_CALL_KEYS } else { RPC_MSG_KEYS };
    let mut ok = check_keys(members, ptr, "a `tools/call` request", allowed, loc, errs);
    let pptr = child(ptr, "params");
    let (tool, args) = match member(members, "params") {
        None => {
            errs.at(loc, ptr, node.start, "a `tools/call` request needs `params`".into(), None);
            (None, None)
        }
        Some(Member { value: pnode @ Node { kind: Kind::Object(params), .. }, .. }) => {
            ok &= check_keys(params, &pptr, "`tools/call` params", PARAMS_KEYS, loc, errs);
            let tool = match member(params, "name") {
                None => {
                    errs.at(loc, &pptr, pnode.start, "`tools/call` params need `name` (the tool's name)".into(), None);
                    None
                }
                Some(m) => string_value(&m.value, &child(&pptr, "name"), "name", loc, errs),
            };
            (tool, args_value(member(params, "arguments"), &pptr, loc, errs))
        }
        Some(m) => {
            errs.at(
                loc,
                &pptr,
                m.value.start,
                format!("`params` must be an object, found {}", describe(&m.value)),
                None,
            );
            (None, None)
        }
    };
    let (raw, time_ptr, time_offset) = call_fields(members, node, ptr, loc, errs, tool, args, ok)?;
    Some((Item::Call { raw, rpc_id: rpc_id(members), time_ptr, time_offset }, true))
}

/// A recorded wire line `{"ts", "dir", "msg"}`.
pub(super) fn wire_entry(members: &[Member], node: &Node, ptr: &str, loc: &Loc<'_>, errs: &mut Errors) -> Option<Item> {
    let ok = check_keys(members, ptr, "a recorded wire line", WIRE_KEYS, loc, errs);
    let dir = match member(members, "dir") {
        None => {
            errs.at(
                loc,
                ptr,
                node.start,
                format!("a recorded wire line needs `dir` (`{CLIENT_TO_SERVER}` or `{SERVER_TO_CLIENT}`)"),
                None,
            );
            None
        }
        Some(m) => match &m.value.kind {
            Kind::String(s) if s == CLIENT_TO_SERVER || s == SERVER_TO_CLIENT => Some(s.as_str()),
            _ => {
                let help = match &m.value.kind {
                    Kind::String(s) => suggestion(s, [CLIENT_TO_SERVER, SERVER_TO_CLIENT]),
                    _ => None,
                };
                errs.at(
                    loc,
                    &child(ptr, "dir"),
                    m.value.start,
                    format!("`dir` must be `{CLIENT_TO_SERVER}` or `{SERVER_TO_CLIENT}`, found {}", describe(&m.value)),
                    help,
                );
                None
            }
        },
    };
    let when = when_value(members, node, ptr, loc, errs);
    let grant = grant_value(members, ptr, loc, errs);
    let mptr = child(ptr, "msg");
    let msg = match member(members, "msg") {
        None => {
            errs.at(loc, ptr, node.start, "a recorded wire line needs `msg` (the JSON-RPC message)".into(), None);
            None
        }
        Some(Member { value: mnode @ Node { kind: Kind::Object(msg_members), .. }, .. }) => {
            rpc_message(msg_members, mnode, &mptr, false, loc, errs)
        }
        Some(m) => {
            errs.at(
                loc,
                &mptr,
                m.value.start,
                format!("`msg` must be a JSON-RPC message object, found {}", describe(&m.value)),
                None,
            );
            None
        }
    };
    let (Some(dir), Some((when, time_ptr, time_offset)), Ok(grant), Some((item, _)), true) =
        (dir, when, grant, msg, ok)
    else {
        return None;
    };
    Some(match item {
        Item::Call { raw, rpc_id, .. } if dir == CLIENT_TO_SERVER => {
            Item::Call { raw: RawCall { when, grant, ..raw }, rpc_id, time_ptr, time_offset }
        }
        Item::Response { id, error } if dir == SERVER_TO_CLIENT => Item::Response { id, error },
        _ => Item::Skip,
    })
}
