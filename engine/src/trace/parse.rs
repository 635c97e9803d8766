//! Reading a trace: which form the text is (JSON Lines, an array, a `{"calls"}` document), the
//! sinks the calls go to ([`Collect`], [`Check`]), and the clock that places each call in time.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

use crate::eval::evaluate::DEFAULT_GRANT;
use crate::json::{self, Kind, Node};
use crate::policy::validate::ValidationError;

use super::fast::{Admitted, ArgsForm, Unbuilt, fast_call, fast_document};
use super::locate::{Errors, Loc, check_keys, describe, entry, member, ms_value};
use super::time::format_rfc3339_ms;
use super::{MAX_AT_MS, TraceCall};

/// Keys of a call entry. The last three are fields of a recorded call, read and ignored.
pub(super) const CALL_KEYS: &[&str] = &[
    "tool",
    "name",
    "args",
    "arguments",
    "grant",
    "at_ms",
    "ts",
    "after_ms",
    "upstream_error",
    "result_ts",
    "isError",
    "text",
];
/// Keys of the document form.
pub(super) const DOC_KEYS: &[&str] = &["start_ms", "calls", "source"];
/// Keys of a JSON-RPC `tools/call` request given as an entry (the message plus our siblings).
pub(super) const RPC_CALL_KEYS: &[&str] =
    &["jsonrpc", "id", "method", "params", "grant", "at_ms", "ts", "after_ms", "upstream_error"];
/// Keys of a `tools/call` request inside a recorded wire line.
pub(super) const RPC_MSG_KEYS: &[&str] = &["jsonrpc", "id", "method", "params"];
/// Keys of `tools/call` params (MCP: `name`, `arguments`, `_meta`, `task`).
pub(super) const PARAMS_KEYS: &[&str] = &["name", "arguments", "_meta", "task"];
/// Keys of a recorded wire line.
pub(super) const WIRE_KEYS: &[&str] = &["ts", "at_ms", "dir", "msg", "grant"];
pub(super) const CLIENT_TO_SERVER: &str = "client->server";
pub(super) const SERVER_TO_CLIENT: &str = "server->client";

/// When a call happens, before the clock places it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum When {
    At(u64),
    After(u64),
    Same,
}

/// A call read from an entry, before the clock places it. `args` is `null` when the checking
/// pass skipped building it (it is known to be an object), `{}` when they are refused.
#[derive(Debug)]
pub(super) struct RawCall<'a> {
    pub(super) tool: Cow<'a, str>,
    pub(super) args: Value,
    /// Why the arguments are refused ([`read_arguments`]), if they are.
    pub(super) refusal: Option<String>,
    pub(super) grant: Option<Cow<'a, str>>,
    pub(super) when: When,
    pub(super) upstream_error: bool,
}

impl RawCall<'_> {
    pub(super) fn into_call(self, at_ms: u64) -> TraceCall {
        TraceCall {
            tool: self.tool.into_owned(),
            args: self.args,
            grant: self.grant.map_or_else(|| DEFAULT_GRANT.to_string(), Cow::into_owned),
            at_ms,
            upstream_error: self.upstream_error,
            refusal: self.refusal,
        }
    }
}

/// Where the calls of a trace go as they are read, in order.
pub(super) trait Sink {
    /// How the fast path reads `args`: built ([`Value`]) or only checked ([`Unbuilt`]).
    type Args: ArgsForm + for<'de> Deserialize<'de>;
    /// Whether the sink keeps calls (and should make room for them up front).
    const KEEPS_CALLS: bool = false;
    /// Room for about `n` calls.
    fn reserve(&mut self, _n: usize) {}
    /// The next call (`index` counts from 0).
    fn call(&mut self, index: usize, raw: RawCall<'_>, at_ms: u64);
    /// An earlier call was answered with a JSON-RPC error.
    fn upstream_error(&mut self, index: usize);
}

/// Keeps every call ([`parse_trace`]).
#[derive(Default)]
pub(super) struct Collect(pub(super) Vec<TraceCall>);

impl Sink for Collect {
    type Args = Admitted;
    const KEEPS_CALLS: bool = true;
    fn reserve(&mut self, n: usize) {
        self.0.reserve(n);
    }
    fn call(&mut self, _index: usize, raw: RawCall<'_>, at_ms: u64) {
        self.0.push(raw.into_call(at_ms));
    }
    fn upstream_error(&mut self, index: usize) {
        if let Some(c) = self.0.get_mut(index) {
            c.upstream_error = true;
        }
    }
}

/// Keeps nothing but which calls failed upstream (the checking pass).
#[derive(Default)]
pub(super) struct Check {
    pub(super) failed_upstream: Vec<usize>,
}

impl Sink for Check {
    type Args = Unbuilt;
    fn call(&mut self, _index: usize, _raw: RawCall<'_>, _at_ms: u64) {}
    fn upstream_error(&mut self, index: usize) {
        self.failed_upstream.push(index);
    }
}

/// What one entry means.
pub(super) enum Item {
    Call {
        raw: RawCall<'static>,
        /// JSON-RPC id of a `tools/call` request, as a key.
        rpc_id: Option<String>,
        /// Pointer and offset of the time field (or of the entry), for clock errors.
        time_ptr: String,
        time_offset: usize,
    },
    /// A JSON-RPC response to request `id`.
    Response { id: String, error: bool },
    /// A message recognised and skipped on purpose.
    Skip,
}

/// The clock, and the sink the placed calls go to.
pub(super) struct Builder<S> {
    pub(super) sink: S,
    pub(super) count: usize,
    pub(super) start_ms: u64,
    pub(super) prev: Option<u64>,
    /// JSON-RPC id → index of a `tools/call` still waiting for its response.
    pub(super) pending: HashMap<String, usize>,
}

impl<S: Sink> Builder<S> {
    pub(super) fn new(sink: S, start_ms: u64) -> Self {
        Builder { sink, count: 0, start_ms, prev: None, pending: HashMap::new() }
    }

    /// The time of the next call; the clock does not move on error.
    pub(super) fn place(&self, when: When) -> Result<u64, (String, Option<String>)> {
        place(self.prev, self.start_ms, self.count, when)
    }

    pub(super) fn push(&mut self, raw: RawCall<'_>, at_ms: u64, rpc_id: Option<String>) {
        if let Some(id) = rpc_id {
            self.pending.insert(id, self.count);
        }
        self.prev = Some(at_ms);
        self.sink.call(self.count, raw, at_ms);
        self.count += 1;
    }

    pub(super) fn apply(&mut self, item: Item, loc: &Loc<'_>, errs: &mut Errors) {
        match item {
            Item::Call { raw, rpc_id, time_ptr, time_offset } => match self.place(raw.when) {
                Ok(at) => self.push(raw, at, rpc_id),
                Err((message, help)) => errs.at(loc, &time_ptr, time_offset, message, help),
            },
            Item::Response { id, error } => {
                if let Some(i) = self.pending.remove(&id)
                    && error
                {
                    self.sink.upstream_error(i);
                }
            }
            Item::Skip => {}
        }
    }

    pub(super) fn finish(self, errs: Errors) -> Result<S, Vec<ValidationError>> {
        errs.0.finish(self.sink)
    }
}

/// The time of call `index` given the previous call's time (or `start_ms` for the first).
pub(super) fn place(
    prev: Option<u64>,
    start_ms: u64,
    index: usize,
    when: When,
) -> Result<u64, (String, Option<String>)> {
    let base = prev.unwrap_or(start_ms);
    match when {
        When::Same => Ok(base),
        When::After(d) => match base.checked_add(d) {
            Some(t) if t <= MAX_AT_MS => Ok(t),
            _ => Err((format!("`after_ms` takes call {index} past year 9999"), None)),
        },
        When::At(t) => match prev {
            Some(p) if t < p => Err((
                format!(
                    "time goes backwards: call {index} is at {} ({t}), before the previous call at {} ({p})",
                    format_rfc3339_ms(t),
                    format_rfc3339_ms(p)
                ),
                Some("calls must be in time order".to_string()),
            )),
            _ => Ok(t),
        },
    }
}

/// Parses a trace in any of the forms of the module documentation. Returns every problem found
/// (up to [`MAX_ERRORS`](crate::policy::validate::MAX_ERRORS)), each with a pointer, a line and a column.
pub fn parse_trace(text: &str) -> Result<Vec<TraceCall>, Vec<ValidationError>> {
    parse_with(text, Collect::default()).map(|c| c.0)
}

/// Reads the trace into `sink`: JSON Lines, or one JSON document.
pub(super) fn parse_with<S: Sink>(text: &str, sink: S) -> Result<S, Vec<ValidationError>> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = body.trim_start();
    match trimmed.as_bytes().first() {
        None => Ok(sink),
        Some(b'{') => {
            let first_line = trimmed.lines().next().unwrap_or_default().trim_end();
            if first_line.ends_with('}') && !is_calls_object(first_line) {
                parse_lines(text, sink)
            } else {
                parse_document(text, sink)
            }
        }
        Some(_) => parse_document(text, sink),
    }
}

/// Whether one line is a complete document object with `calls` (the document form on one line).
pub(super) fn is_calls_object(line: &str) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        calls: Option<IgnoredAny>,
    }
    serde_json::from_str::<Probe>(line).is_ok_and(|p| p.calls.is_some())
}

/// JSON Lines: each line on the fast path first, the locating parser when that fails.
pub(super) fn parse_lines<S: Sink>(text: &str, mut sink: S) -> Result<S, Vec<ValidationError>> {
    // One call per line at most: sizing once avoids copying a million calls as they grow.
    if S::KEEPS_CALLS {
        sink.reserve(count_newlines(text) + 1);
    }
    let mut b = Builder::new(sink, 0);
    let mut errs = Errors::default();
    let mut line_no = 0u32;
    for raw_line in text.split('\n') {
        line_no = line_no.saturating_add(1);
        if errs.full() {
            break;
        }
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        let fast_line = if line_no == 1 { line.strip_prefix('\u{feff}').unwrap_or(line) } else { line };
        if fast_line.trim().is_empty() {
            continue;
        }
        if let Some(raw) = fast_call::<S::Args>(fast_line)
            && let Ok(at) = b.place(raw.when)
        {
            b.push(raw, at, None);
            continue;
        }
        let loc = Loc::new(line, line_no);
        match json::parse(line) {
            Err(e) => errs.syntax(&e, line_no),
            Ok(node) => {
                if let Some(item) = entry(&node, "", &loc, &mut errs) {
                    b.apply(item, &loc, &mut errs);
                }
            }
        }
    }
    b.finish(errs)
}

/// Counts `\n` bytes, 255 bytes at a time so the comparison vectorises.
pub(super) fn count_newlines(text: &str) -> usize {
    text.as_bytes().chunks(255).map(|c| usize::from(c.iter().fold(0u8, |n, b| n + u8::from(*b == b'\n')))).sum()
}

/// A JSON array or an object with `calls`: the fast path for the whole document first.
pub(super) fn parse_document<S: Sink>(text: &str, sink: S) -> Result<S, Vec<ValidationError>> {
    let sink = match fast_document(text, sink) {
        Ok(sink) => return Ok(sink),
        Err(sink) => sink,
    };
    let mut errs = Errors::default();
    let root = match json::parse(text) {
        Ok(root) => root,
        Err(e) => {
            errs.syntax(&e, 1);
            return Err(errs.into_vec());
        }
    };
    let loc = Loc::new(text, 1);
    match &root.kind {
        Kind::Array(items) => {
            let mut b = Builder::new(sink, 0);
            entries(&mut b, items, "", &loc, &mut errs);
            b.finish(errs)
        }
        Kind::Object(members) if members.iter().any(|m| m.key == "calls") => {
            check_keys(members, "", "a trace document", DOC_KEYS, &loc, &mut errs);
            let mut start_ms = 0;
            if let Some(m) = member(members, "start_ms")
                && let Some(t) = ms_value(&m.value, "/start_ms", "start_ms", &loc, &mut errs)
            {
                start_ms = t;
            }
            let mut b = Builder::new(sink, start_ms);
            match member(members, "calls").map(|m| &m.value) {
                Some(Node { kind: Kind::Array(items), .. }) => entries(&mut b, items, "/calls", &loc, &mut errs),
                Some(other) => errs.at(
                    &loc,
                    "/calls",
                    other.start,
                    format!("`calls` must be an array of calls, found {}", describe(other)),
                    None,
                ),
                None => {}
            }
            b.finish(errs)
        }
        Kind::Object(_) => {
            // One entry on its own (a pretty-printed JSON Lines file of one line).
            let mut b = Builder::new(sink, 0);
            if let Some(item) = entry(&root, "", &loc, &mut errs) {
                b.apply(item, &loc, &mut errs);
            }
            b.finish(errs)
        }
        _ => {
            errs.at(
                &loc,
                "",
                root.start,
                format!(
                    "a trace must be an array of calls, an object with `calls`, or JSON Lines (one call per line), found {}",
                    describe(&root)
                ),
                None,
            );
            Err(errs.into_vec())
        }
    }
}

pub(super) fn entries<S: Sink>(b: &mut Builder<S>, items: &[Node], base: &str, loc: &Loc<'_>, errs: &mut Errors) {
    for (i, item) in items.iter().enumerate() {
        if errs.full() {
            break;
        }
        if let Some(it) = entry(item, &format!("{base}/{i}"), loc, errs) {
            b.apply(it, loc, errs);
        }
    }
}
