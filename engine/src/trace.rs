//! Traces (simulated agent call sequences) and simulation on a virtual clock
//! (`interfaces.md` § Trace).
//!
//! A trace is read from any of these forms:
//! - a JSON array of entries, or an object `{"start_ms"?: int, "calls": [entries…]}`;
//! - JSON Lines: one entry per line, blank lines ignored.
//!
//! An entry is one of:
//! - a **call** `{"tool", "args"?, "grant"?, "at_ms" | "ts" | "after_ms"?, "upstream_error"?}`
//!   (`name` is an alias of `tool`, `arguments` of `args`). The fields `result_ts`, `isError` and
//!   `text` of a recorded call (the reduced recording form) are accepted and ignored: a result
//!   with `isError: true` is not a JSON-RPC error, so it releases no quota (`policy-format.md`
//!   §3 step 8);
//! - an MCP **JSON-RPC message**. A `tools/call` request is a call (with optional siblings
//!   `grant`, `at_ms`, `ts`, `after_ms`, `upstream_error`); a JSON-RPC *error* response whose `id`
//!   matches an earlier `tools/call` marks that call `upstream_error`; every other message
//!   (`initialize`, notifications, `tools/list`, results) is recognised and skipped;
//! - a **recorded wire line** `{"ts", "dir", "msg"}` of an MCP session log: the JSON-RPC message
//!   `msg` read as above, where only `client->server` requests are calls (at the line's `ts`) and
//!   only `server->client` error responses mark them.
//!
//! Anything else is an error naming its line (JSON Lines) or pointer and position (documents) —
//! never silently skipped. Unknown keys are errors with a "did you mean": a typo such as `at-ms`
//! must not silently change the timing. An optional field set to `null` is the same as leaving
//! it out.
//!
//! Time: `at_ms` (Unix ms) or `ts` (RFC 3339) when given; else `after_ms` after the previous call;
//! else the same instant as the previous call (a burst). The first call without a time starts at
//! `start_ms` (default 0). Times must not go backwards.
//!
//! ```
//! use toolgate_engine::trace::{parse_trace, simulate};
//! use toolgate_engine::{Outcome, parse_policy};
//!
//! let policy = parse_policy(r#"{"version": "1", "default": "deny", "tools": {"search": {
//!   "limits": [{"counter": "searches", "window": "minute", "max": 2}]}}}"#).unwrap();
//! let calls = parse_trace(
//!     "{\"tool\": \"search\", \"at_ms\": 1767225600000}\n{\"tool\": \"search\"}\n{\"tool\": \"search\"}\n",
//! ).unwrap();
//! let sim = simulate(policy.as_ref(), &calls);
//! assert_eq!(sim.summary.allowed, 2);
//! assert_eq!(sim.decisions[2].decision.outcome, Outcome::RateLimited);
//! assert_eq!(sim.decisions[2].decision.retry_after_ms, Some(60_000));
//! ```

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::args::{ArgsError, read_arguments};
use crate::decision::{Decision, Outcome};
use crate::evaluate::{Call, DEFAULT_GRANT, Engine, Policy, refused_arguments};
use crate::fuzzy::did_you_mean;
use crate::json::{self, Kind, LineIndex, Member, Node};
use crate::validate::{MAX_ERRORS, ValidationError};

/// The latest accepted time: 9999-12-31T23:59:59.999Z, in Unix milliseconds.
pub const MAX_AT_MS: u64 = 253_402_300_799_999;

/// One call of a trace, ready to simulate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceCall {
    /// Tool name.
    pub tool: String,
    /// Arguments: always a JSON object.
    pub args: Value,
    /// Caller identity (`"default"` unless given).
    pub grant: String,
    /// Unix epoch milliseconds, UTC.
    pub at_ms: u64,
    /// The call was forwarded and the upstream answered with a JSON-RPC error: its quota is released.
    #[serde(default)]
    pub upstream_error: bool,
    /// Why the call's arguments are refused (duplicate keys, over the size caps; see
    /// [`crate::args`]): the call is then denied with rule `(invalid arguments)` and this message,
    /// and `args` is `{}`. `None` for admitted arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}

/// The decision for one call of a simulation: the call's index, tool, grant and time, then the
/// [`Decision`] fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimDecision {
    /// 0-based index of the call in the trace.
    pub index: usize,
    /// Tool name.
    pub tool: String,
    /// Caller identity.
    pub grant: String,
    /// Time of the call (Unix ms).
    pub at_ms: u64,
    /// The decision.
    #[serde(flatten)]
    pub decision: Decision,
}

/// Counts of outcomes for one tool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolSummary {
    /// Calls made.
    pub calls: usize,
    /// Calls allowed.
    pub allowed: usize,
    /// Calls denied.
    pub denied: usize,
    /// Calls to hidden tools.
    pub hidden: usize,
    /// Calls refused by a rate limit.
    pub rate_limited: usize,
}

impl ToolSummary {
    fn record(&mut self, outcome: Outcome) {
        self.calls += 1;
        match outcome {
            Outcome::Allow => self.allowed += 1,
            Outcome::Deny => self.denied += 1,
            Outcome::Hidden => self.hidden += 1,
            Outcome::RateLimited => self.rate_limited += 1,
        }
    }

    /// How many calls had this outcome.
    pub fn count(&self, outcome: Outcome) -> usize {
        match outcome {
            Outcome::Allow => self.allowed,
            Outcome::Deny => self.denied,
            Outcome::Hidden => self.hidden,
            Outcome::RateLimited => self.rate_limited,
        }
    }
}

/// Outcome counts of a simulation, in total and by tool (sorted by name).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Calls made.
    pub calls: usize,
    /// Calls allowed.
    pub allowed: usize,
    /// Calls denied.
    pub denied: usize,
    /// Calls to hidden tools.
    pub hidden: usize,
    /// Calls refused by a rate limit.
    pub rate_limited: usize,
    /// The same counts for each tool.
    pub by_tool: BTreeMap<String, ToolSummary>,
}

impl Summary {
    /// Counts one decided call.
    pub fn record(&mut self, tool: &str, outcome: Outcome) {
        self.count(outcome);
        if let Some(t) = self.by_tool.get_mut(tool) {
            t.record(outcome);
        } else {
            let mut t = ToolSummary::default();
            t.record(outcome);
            self.by_tool.insert(tool.to_string(), t);
        }
    }

    /// Counts one decided call in the totals only.
    fn count(&mut self, outcome: Outcome) {
        self.calls += 1;
        match outcome {
            Outcome::Allow => self.allowed += 1,
            Outcome::Deny => self.denied += 1,
            Outcome::Hidden => self.hidden += 1,
            Outcome::RateLimited => self.rate_limited += 1,
        }
    }

    /// The totals as a [`ToolSummary`].
    pub fn totals(&self) -> ToolSummary {
        ToolSummary {
            calls: self.calls,
            allowed: self.allowed,
            denied: self.denied,
            hidden: self.hidden,
            rate_limited: self.rate_limited,
        }
    }
}

/// The result of a simulation: one decision per call, and the counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Simulation {
    /// The decisions, in call order.
    pub decisions: Vec<SimDecision>,
    /// Outcome counts.
    pub summary: Summary,
}

/// One simulation step: evaluates the call, releases its quota when the upstream failed, counts it.
/// A call whose arguments were refused is denied without being evaluated (no counter moves).
pub fn step(engine: &mut Engine, summary: &mut Summary, call: &TraceCall) -> Decision {
    let decision = decide_call(engine, call);
    summary.record(&call.tool, decision.outcome);
    decision
}

/// The decision of one traced call, without counting it: a call whose arguments were refused is
/// denied without being evaluated; one marked `upstream_error` gives its quota back at once.
#[inline(always)]
fn decide_call(engine: &mut Engine, call: &TraceCall) -> Decision {
    if let Some(message) = &call.refusal {
        return refused_arguments(message);
    }
    let decision =
        engine.evaluate(&Call { tool: &call.tool, args: Some(&call.args), grant: &call.grant, at_ms: call.at_ms });
    if call.upstream_error {
        engine.release(&decision);
    }
    decision
}

/// Runs the calls against the policy (or none) from empty counters, on the calls' own clock,
/// handing each decision to `each` as it is made. Calls marked `upstream_error` release their
/// quota right after being allowed. Returns the counts.
pub fn simulate_with(
    policy: Option<&Policy>,
    calls: &[TraceCall],
    mut each: impl FnMut(usize, &TraceCall, Decision),
) -> Summary {
    let mut engine = Engine::new(policy.cloned());
    let mut summary = Summary::default();
    // What `step` does (`decide_call`), with the per-tool counts kept by borrowed name in a hash map (a lookup in
    // the sorted map costs several string comparisons per call) and sorted once at the end.
    let mut by_tool: rustc_hash::FxHashMap<&str, ToolSummary> = rustc_hash::FxHashMap::default();
    for (index, call) in calls.iter().enumerate() {
        let decision = decide_call(&mut engine, call);
        summary.count(decision.outcome);
        by_tool.entry(call.tool.as_str()).or_default().record(decision.outcome);
        each(index, call, decision);
    }
    summary.by_tool = by_tool.into_iter().map(|(tool, counts)| (tool.to_owned(), counts)).collect();
    summary
}

/// Simulates a trace from empty counters: every decision and the counts.
pub fn simulate(policy: Option<&Policy>, calls: &[TraceCall]) -> Simulation {
    let mut decisions = Vec::with_capacity(calls.len());
    let summary = simulate_with(policy, calls, |index, c, decision| decisions.push(sim_decision(index, c, decision)));
    Simulation { decisions, summary }
}

fn sim_decision(index: usize, call: &TraceCall, decision: Decision) -> SimDecision {
    SimDecision { index, tool: call.tool.clone(), grant: call.grant.clone(), at_ms: call.at_ms, decision }
}

/// Simulates a trace keeping only the counts.
pub fn simulate_summary(policy: Option<&Policy>, calls: &[TraceCall]) -> Summary {
    simulate_with(policy, calls, |_, _, _| {})
}

/// Parses trace text and simulates it.
pub fn simulate_text(policy: Option<&Policy>, trace_text: &str) -> Result<Simulation, Vec<ValidationError>> {
    let mut decisions = Vec::new();
    let summary = simulate_text_with(policy, trace_text, |index, c, decision| {
        decisions.push(sim_decision(index, c, decision));
    })?;
    Ok(Simulation { decisions, summary })
}

/// Simulates trace text without keeping the calls: the text is checked completely first (so
/// nothing is simulated when it has errors), then read again, each call simulated and handed to
/// `each` as soon as it is read. For big traces this needs a fraction of the memory and time of
/// [`parse_trace`] + [`simulate_with`], with the same results.
pub fn simulate_text_with(
    policy: Option<&Policy>,
    trace_text: &str,
    each: impl FnMut(usize, &TraceCall, Decision),
) -> Result<Summary, Vec<ValidationError>> {
    let checked = parse_with(trace_text, Check::default())?;
    let mut failed = checked.failed_upstream;
    failed.sort_unstable();
    failed.dedup();
    let stream = Stream {
        engine: Engine::new(policy.cloned()),
        summary: Summary::default(),
        failed_upstream: failed,
        next_failed: 0,
        call: TraceCall {
            tool: String::new(),
            args: Value::Null,
            grant: String::new(),
            at_ms: 0,
            upstream_error: false,
            refusal: None,
        },
        each,
    };
    parse_with(trace_text, stream).map(|s| s.summary)
}

/// Checks trace text completely without keeping anything: every problem, as [`parse_trace`]
/// reports them (empty when the trace is valid).
pub fn check_trace(trace_text: &str) -> Vec<ValidationError> {
    parse_with(trace_text, Check::default()).err().unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// RFC 3339 timestamps
// ---------------------------------------------------------------------------------------------

const TS_FORMAT_HELP: &str = "write e.g. `2026-11-21T19:29:21.984Z` or `2026-11-21T21:29:21.984+02:00`";

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses an RFC 3339 timestamp (`2026-11-21T19:29:21.984Z`, `…+02:00`) to Unix milliseconds.
/// Fractions beyond milliseconds are truncated; `t`, `z` and a space separator are accepted;
/// a leap second `:60` counts as the next second. Times before 1970 or after year 9999 are errors.
pub fn parse_rfc3339_ms(s: &str) -> Result<u64, String> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = b.get(from..from + len)?;
        digits.iter().try_fold(0i64, |acc, d| d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0')))
    };
    let at = |i: usize| b.get(i).copied();
    let shape = || format!("`{s}` is not an RFC 3339 timestamp (`YYYY-MM-DDTHH:MM:SS[.fff]` then `Z` or `±HH:MM`)");
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) =
        (num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2))
    else {
        return Err(shape());
    };
    if at(4) != Some(b'-')
        || at(7) != Some(b'-')
        || !matches!(at(10), Some(b'T' | b't' | b' '))
        || at(13) != Some(b':')
        || at(16) != Some(b':')
    {
        return Err(shape());
    }
    let mut i = 19;
    let mut millis = 0i64;
    if at(i) == Some(b'.') {
        i += 1;
        let start = i;
        while at(i).is_some_and(|c| c.is_ascii_digit()) {
            if i - start < 3 {
                millis = millis * 10 + at(i).map_or(0, |c| i64::from(c - b'0'));
            }
            i += 1;
        }
        if i == start {
            return Err(shape());
        }
        for _ in (i - start)..3 {
            millis *= 10;
        }
    }
    let offset_min = match at(i) {
        Some(b'Z' | b'z') => {
            i += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            let (Some(oh), Some(om)) = (num(i + 1, 2), num(i + 4, 2)) else { return Err(shape()) };
            if at(i + 3) != Some(b':') {
                return Err(shape());
            }
            if oh > 23 || om > 59 {
                return Err(format!("`{s}` has an out-of-range UTC offset"));
            }
            i += 6;
            if sign == b'-' { -(oh * 60 + om) } else { oh * 60 + om }
        }
        _ => return Err(format!("`{s}` has no time zone: end it with `Z` (UTC) or an offset such as `+02:00`")),
    };
    if i != b.len() {
        return Err(shape());
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(format!("`{s}` is not a calendar date"));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(format!("`{s}` is not a time of day"));
    }
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset_min * 60;
    let ms = secs * 1000 + millis;
    if ms < 0 {
        return Err(format!("`{s}` is before 1970-01-01T00:00:00Z (Unix time 0)"));
    }
    match u64::try_from(ms) {
        Ok(ms) if ms <= MAX_AT_MS => Ok(ms),
        _ => Err(format!("`{s}` is after year 9999")),
    }
}

/// Formats Unix milliseconds as RFC 3339 UTC with milliseconds: `2026-11-21T19:29:21.984Z`.
pub fn format_rfc3339_ms(at_ms: u64) -> String {
    let ms = i64::try_from(at_ms).unwrap_or(i64::MAX);
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, rem) = (rem / 3_600_000, rem % 3_600_000);
    let (min, rem) = (rem / 60_000, rem % 60_000);
    let (s, milli) = (rem / 1000, rem % 1000);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/// Keys of a call entry. The last three are fields of a recorded call, read and ignored.
const CALL_KEYS: &[&str] = &[
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
const DOC_KEYS: &[&str] = &["start_ms", "calls", "source"];
/// Keys of a JSON-RPC `tools/call` request given as an entry (the message plus our siblings).
const RPC_CALL_KEYS: &[&str] =
    &["jsonrpc", "id", "method", "params", "grant", "at_ms", "ts", "after_ms", "upstream_error"];
/// Keys of a `tools/call` request inside a recorded wire line.
const RPC_MSG_KEYS: &[&str] = &["jsonrpc", "id", "method", "params"];
/// Keys of `tools/call` params (MCP: `name`, `arguments`, `_meta`, `task`).
const PARAMS_KEYS: &[&str] = &["name", "arguments", "_meta", "task"];
/// Keys of a recorded wire line.
const WIRE_KEYS: &[&str] = &["ts", "at_ms", "dir", "msg", "grant"];
const CLIENT_TO_SERVER: &str = "client->server";
const SERVER_TO_CLIENT: &str = "server->client";

/// When a call happens, before the clock places it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    At(u64),
    After(u64),
    Same,
}

/// A call read from an entry, before the clock places it. `args` is `null` when the checking
/// pass skipped building it (it is known to be an object), `{}` when they are refused.
#[derive(Debug)]
struct RawCall<'a> {
    tool: Cow<'a, str>,
    args: Value,
    /// Why the arguments are refused ([`read_arguments`]), if they are.
    refusal: Option<String>,
    grant: Option<Cow<'a, str>>,
    when: When,
    upstream_error: bool,
}

impl RawCall<'_> {
    fn into_call(self, at_ms: u64) -> TraceCall {
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
trait Sink {
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
struct Collect(Vec<TraceCall>);

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
struct Check {
    failed_upstream: Vec<usize>,
}

impl Sink for Check {
    type Args = Unbuilt;
    fn call(&mut self, _index: usize, _raw: RawCall<'_>, _at_ms: u64) {}
    fn upstream_error(&mut self, index: usize) {
        self.failed_upstream.push(index);
    }
}

/// Simulates each call as it is read (the second pass of [`simulate_text_with`]).
struct Stream<F> {
    engine: Engine,
    summary: Summary,
    /// Sorted indices of calls that failed upstream, found by the checking pass.
    failed_upstream: Vec<usize>,
    next_failed: usize,
    call: TraceCall,
    each: F,
}

impl<F: FnMut(usize, &TraceCall, Decision)> Sink for Stream<F> {
    type Args = Admitted;
    fn call(&mut self, index: usize, raw: RawCall<'_>, at_ms: u64) {
        while self.failed_upstream.get(self.next_failed).is_some_and(|i| *i < index) {
            self.next_failed += 1;
        }
        // One call buffer for the whole trace: its strings are reused, not reallocated per call.
        let call = &mut self.call;
        call.tool.clear();
        call.tool.push_str(&raw.tool);
        call.grant.clear();
        call.grant.push_str(raw.grant.as_deref().unwrap_or(DEFAULT_GRANT));
        call.args = raw.args;
        call.refusal = raw.refusal;
        call.at_ms = at_ms;
        call.upstream_error = raw.upstream_error || self.failed_upstream.get(self.next_failed) == Some(&index);
        let decision = step(&mut self.engine, &mut self.summary, call);
        (self.each)(index, call, decision);
    }
    fn upstream_error(&mut self, _index: usize) {
        // Known from the checking pass: the response comes after its call has been simulated.
    }
}

/// What one entry means.
enum Item {
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

/// Line/column lookup for one piece of text whose first line is `first_line` of the input.
struct Loc<'t> {
    text: &'t str,
    first_line: u32,
    index: OnceCell<LineIndex<'t>>,
}

impl<'t> Loc<'t> {
    fn new(text: &'t str, first_line: u32) -> Self {
        Loc { text, first_line, index: OnceCell::new() }
    }

    fn at(&self, offset: usize) -> (u32, u32) {
        let p = self.index.get_or_init(|| LineIndex::new(self.text)).pos(offset);
        (p.line.saturating_add(self.first_line - 1), p.column)
    }
}

/// Collected errors, capped at [`MAX_ERRORS`] (then one "too many errors").
#[derive(Default)]
struct Errors {
    list: Vec<ValidationError>,
}

impl Errors {
    fn full(&self) -> bool {
        self.list.len() > MAX_ERRORS
    }

    fn push(&mut self, e: ValidationError) {
        if self.list.len() >= MAX_ERRORS {
            return;
        }
        self.list.push(e);
        if self.list.len() == MAX_ERRORS {
            self.list.push(ValidationError {
                pointer: String::new(),
                message: format!("too many errors: stopped after {MAX_ERRORS}"),
                line: None,
                column: None,
                help: None,
            });
        }
    }

    fn at(&mut self, loc: &Loc<'_>, pointer: &str, offset: usize, message: String, help: Option<String>) {
        let (line, column) = loc.at(offset);
        self.push(ValidationError {
            pointer: pointer.to_string(),
            message,
            line: Some(line),
            column: Some(column),
            help,
        });
    }

    fn syntax(&mut self, e: &json::SyntaxError, first_line: u32) {
        self.push(ValidationError {
            pointer: String::new(),
            message: format!("invalid JSON: {}", e.message),
            line: Some(e.pos.line.saturating_add(first_line - 1)),
            column: Some(e.pos.column),
            help: None,
        });
    }
}

/// The clock, and the sink the placed calls go to.
struct Builder<S> {
    sink: S,
    count: usize,
    start_ms: u64,
    prev: Option<u64>,
    /// JSON-RPC id → index of a `tools/call` still waiting for its response.
    pending: HashMap<String, usize>,
}

impl<S: Sink> Builder<S> {
    fn new(sink: S, start_ms: u64) -> Self {
        Builder { sink, count: 0, start_ms, prev: None, pending: HashMap::new() }
    }

    /// The time of the next call; the clock does not move on error.
    fn place(&self, when: When) -> Result<u64, (String, Option<String>)> {
        place(self.prev, self.start_ms, self.count, when)
    }

    fn push(&mut self, raw: RawCall<'_>, at_ms: u64, rpc_id: Option<String>) {
        if let Some(id) = rpc_id {
            self.pending.insert(id, self.count);
        }
        self.prev = Some(at_ms);
        self.sink.call(self.count, raw, at_ms);
        self.count += 1;
    }

    fn apply(&mut self, item: Item, loc: &Loc<'_>, errs: &mut Errors) {
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

    fn finish(self, errs: Errors) -> Result<S, Vec<ValidationError>> {
        if errs.list.is_empty() { Ok(self.sink) } else { Err(errs.list) }
    }
}

/// The time of call `index` given the previous call's time (or `start_ms` for the first).
fn place(prev: Option<u64>, start_ms: u64, index: usize, when: When) -> Result<u64, (String, Option<String>)> {
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
/// (up to [`MAX_ERRORS`]), each with a pointer, a line and a column.
pub fn parse_trace(text: &str) -> Result<Vec<TraceCall>, Vec<ValidationError>> {
    parse_with(text, Collect::default()).map(|c| c.0)
}

/// Reads the trace into `sink`: JSON Lines, or one JSON document.
fn parse_with<S: Sink>(text: &str, sink: S) -> Result<S, Vec<ValidationError>> {
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
fn is_calls_object(line: &str) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        calls: Option<IgnoredAny>,
    }
    serde_json::from_str::<Probe>(line).is_ok_and(|p| p.calls.is_some())
}

/// JSON Lines: each line on the fast path first, the locating parser when that fails.
fn parse_lines<S: Sink>(text: &str, mut sink: S) -> Result<S, Vec<ValidationError>> {
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
fn count_newlines(text: &str) -> usize {
    text.as_bytes().chunks(255).map(|c| usize::from(c.iter().fold(0u8, |n, b| n + u8::from(*b == b'\n')))).sum()
}

/// A JSON array or an object with `calls`: the fast path for the whole document first.
fn parse_document<S: Sink>(text: &str, sink: S) -> Result<S, Vec<ValidationError>> {
    let sink = match fast_document(text, sink) {
        Ok(sink) => return Ok(sink),
        Err(sink) => sink,
    };
    let mut errs = Errors::default();
    let root = match json::parse(text) {
        Ok(root) => root,
        Err(e) => {
            errs.syntax(&e, 1);
            return Err(errs.list);
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
            Err(errs.list)
        }
    }
}

fn entries<S: Sink>(b: &mut Builder<S>, items: &[Node], base: &str, loc: &Loc<'_>, errs: &mut Errors) {
    for (i, item) in items.iter().enumerate() {
        if errs.full() {
            break;
        }
        if let Some(it) = entry(item, &format!("{base}/{i}"), loc, errs) {
            b.apply(it, loc, errs);
        }
    }
}

// --- fast path: serde straight into small structs; any problem falls back to the locating parser ---

/// How the fast path reads `args`.
trait ArgsForm {
    /// The arguments (`null` → `{}`) or why they are refused, or `None` when they are not an
    /// object (or not JSON the engine reads: the locating parser then reports why).
    fn object(self) -> Option<Result<Value, String>>;
}

/// Arguments read by [`read_arguments`] from their exact text, as `evaluate` reads `args_json`:
/// duplicate keys at any depth and the size caps are refused, never decided last-key-wins.
struct Admitted(Option<Result<Value, String>>);

impl<'de> Deserialize<'de> for Admitted {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <&'de serde_json::value::RawValue>::deserialize(d)?.get();
        // The raw text is not held to the nesting limit of the whole entry: deep arguments go to
        // the locating parser, which applies it (arguments sit at most 3 levels down).
        Ok(Admitted(if nests_deeper(text, json::MAX_DEPTH - 4) { None } else { admit_text(text) }))
    }
}

impl ArgsForm for Admitted {
    fn object(self) -> Option<Result<Value, String>> {
        self.0
    }
}

/// Whether the brackets of JSON `text` nest deeper than `limit` (brackets in strings skipped).
fn nests_deeper(text: &str, limit: usize) -> bool {
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (0usize, 0);
    while let Some(&b) = bytes.get(i) {
        i += 1;
        match b {
            b'"' => {
                while let Some(&c) = bytes.get(i) {
                    i += 1;
                    match c {
                        b'\\' => i += 1,
                        b'"' => break,
                        _ => {}
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// The arguments in `text` (an object, or `null` → `{}`) or why they are refused; `None` when
/// they are neither an object nor `null`, or not JSON.
fn admit_text(text: &str) -> Option<Result<Value, String>> {
    match read_arguments(text) {
        Ok(Value::Null) => Some(Ok(Value::Object(Map::new()))),
        Ok(v @ Value::Object(_)) => Some(Ok(v)),
        Ok(_) | Err(ArgsError::Syntax(_)) => None,
        // Refused before it was known to be an object: only an object is refused, or the call errs.
        Err(ArgsError::Refused(message)) => text.trim_start().starts_with('{').then_some(Err(message)),
    }
}

/// Arguments checked to be an object (or `null`) without building them.
struct Unbuilt;

impl<'de> Deserialize<'de> for Unbuilt {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> serde::de::Visitor<'de> for ObjectVisitor {
            type Value = Unbuilt;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut m: M) -> Result<Unbuilt, M::Error> {
                while m.next_entry::<Skipped, Skipped>()?.is_some() {}
                Ok(Unbuilt)
            }
            fn visit_unit<E>(self) -> Result<Unbuilt, E> {
                Ok(Unbuilt)
            }
        }
        d.deserialize_any(ObjectVisitor)
    }
}

/// Any JSON value, skipped. Unlike [`IgnoredAny`] it goes through `deserialize_any`, so
/// serde_json's nesting limit applies exactly as when building a [`Value`]: checking and
/// building accept the same documents.
struct Skipped;

impl<'de> Deserialize<'de> for Skipped {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SkipVisitor;
        impl<'de> serde::de::Visitor<'de> for SkipVisitor {
            type Value = Skipped;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Skipped, E> {
                Ok(Skipped)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Skipped, E> {
                Ok(Skipped)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Skipped, E> {
                Ok(Skipped)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Skipped, E> {
                Ok(Skipped)
            }
            fn visit_str<E>(self, _: &str) -> Result<Skipped, E> {
                Ok(Skipped)
            }
            fn visit_unit<E>(self) -> Result<Skipped, E> {
                Ok(Skipped)
            }
            fn visit_seq<S: serde::de::SeqAccess<'de>>(self, mut s: S) -> Result<Skipped, S::Error> {
                while s.next_element::<Skipped>()?.is_some() {}
                Ok(Skipped)
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut m: M) -> Result<Skipped, M::Error> {
                while m.next_entry::<Skipped, Skipped>()?.is_some() {}
                Ok(Skipped)
            }
        }
        d.deserialize_any(SkipVisitor)
    }
}

impl ArgsForm for Unbuilt {
    fn object(self) -> Option<Result<Value, String>> {
        Some(Ok(Value::Null))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = "A: Deserialize<'de>"))]
struct FastCall<'a, A> {
    #[serde(borrow, alias = "name")]
    tool: Cow<'a, str>,
    #[serde(default = "Option::default", alias = "arguments")]
    args: Option<A>,
    #[serde(default, borrow)]
    grant: Option<&'a str>,
    #[serde(default)]
    at_ms: Option<u64>,
    #[serde(default, borrow)]
    ts: Option<&'a str>,
    #[serde(default)]
    after_ms: Option<u64>,
    #[serde(default)]
    upstream_error: Option<bool>,
    #[serde(default)]
    #[expect(dead_code, reason = "a recorded call's field, accepted and ignored")]
    result_ts: Option<IgnoredAny>,
    #[serde(default, rename = "isError")]
    #[expect(dead_code, reason = "a recorded call's field, accepted and ignored")]
    is_error: Option<IgnoredAny>,
    #[serde(default)]
    #[expect(dead_code, reason = "a recorded call's field, accepted and ignored")]
    text: Option<IgnoredAny>,
}

impl<'a, A: ArgsForm> FastCall<'a, A> {
    /// The call, when every field is valid (otherwise the locating parser reports why).
    fn into_raw(self) -> Option<RawCall<'a>> {
        if self.tool.is_empty() || self.grant == Some("") {
            return None;
        }
        let (args, refusal) = match self.args.map_or(Some(Ok(Value::Object(Map::new()))), ArgsForm::object)? {
            Ok(args) => (args, None),
            Err(message) => (Value::Object(Map::new()), Some(message)),
        };
        let when = match (self.at_ms, self.ts, self.after_ms) {
            (None, None, None) => When::Same,
            (Some(t), None, None) if t <= MAX_AT_MS => When::At(t),
            (None, Some(ts), None) => When::At(parse_rfc3339_ms(ts).ok()?),
            (None, None, Some(d)) => When::After(d),
            _ => return None,
        };
        Some(RawCall {
            tool: self.tool,
            args,
            refusal,
            grant: self.grant.map(Cow::Borrowed),
            when,
            upstream_error: self.upstream_error == Some(true),
        })
    }
}

fn fast_call<'a, A: ArgsForm + for<'de> Deserialize<'de>>(line: &'a str) -> Option<RawCall<'a>> {
    serde_json::from_str::<FastCall<'a, A>>(line).ok()?.into_raw()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = "A: Deserialize<'de>"))]
struct FastDoc<'a, A> {
    #[serde(default)]
    start_ms: Option<u64>,
    #[serde(borrow)]
    calls: Vec<FastCall<'a, A>>,
    #[serde(default)]
    #[expect(dead_code, reason = "a description of the recording, accepted and ignored")]
    source: Option<IgnoredAny>,
}

/// The whole document through serde; the sink back untouched when anything is off.
fn fast_document<S: Sink>(text: &str, mut sink: S) -> Result<S, S> {
    let text = text.trim_start_matches('\u{feff}');
    let parsed = match text.trim_start().as_bytes().first() {
        Some(b'[') => serde_json::from_str::<Vec<FastCall<'_, S::Args>>>(text).map(|calls| (0, calls)),
        Some(b'{') => serde_json::from_str::<FastDoc<'_, S::Args>>(text).map(|d| (d.start_ms.unwrap_or(0), d.calls)),
        _ => return Err(sink),
    };
    let Ok((start_ms, calls)) = parsed else { return Err(sink) };
    if start_ms > MAX_AT_MS {
        return Err(sink);
    }
    // Place every call before handing any to the sink, so a fallback starts from scratch.
    let mut placed = Vec::with_capacity(calls.len());
    let mut prev = None;
    for (i, c) in calls.into_iter().enumerate() {
        let Some(raw) = c.into_raw() else { return Err(sink) };
        let Ok(at) = place(prev, start_ms, i, raw.when) else { return Err(sink) };
        prev = Some(at);
        placed.push((raw, at));
    }
    sink.reserve(placed.len());
    for (i, (raw, at)) in placed.into_iter().enumerate() {
        sink.call(i, raw, at);
    }
    Ok(sink)
}

// --- the locating path: the span-keeping parser, every problem reported ---

fn describe(node: &Node) -> String {
    match &node.kind {
        Kind::String(s) if s.chars().count() > 40 => {
            format!("the string `{}...`", s.chars().take(37).collect::<String>())
        }
        Kind::String(s) => format!("the string `{s}`"),
        Kind::Number(n) => format!("the number `{n}`"),
        Kind::Bool(b) => format!("`{b}`"),
        Kind::Null => "`null`".into(),
        Kind::Array(_) => "an array".into(),
        Kind::Object(_) => "an object".into(),
    }
}

fn child(ptr: &str, key: &str) -> String {
    format!("{ptr}/{}", crate::policy::escape_pointer_segment(key))
}

/// The first member named `key` whose value is not `null` (null = absent).
fn member<'n>(members: &'n [Member], key: &str) -> Option<&'n Member> {
    members.iter().find(|m| m.key == key && !matches!(m.value.kind, Kind::Null))
}

/// Reports duplicate and unknown keys. Returns whether there were none.
fn check_keys(members: &[Member], ptr: &str, what: &str, allowed: &[&str], loc: &Loc<'_>, errs: &mut Errors) -> bool {
    let mut ok = true;
    for (i, m) in members.iter().enumerate() {
        if members.iter().take(i).any(|p| p.key == m.key) {
            errs.at(loc, &child(ptr, &m.key), m.key_pos, format!("duplicate key `{}`", m.key), None);
            ok = false;
        } else if !allowed.contains(&m.key.as_str()) {
            let help = did_you_mean(&m.key, allowed.iter().copied())
                .map(|s| format!("did you mean `{s}`?"))
                .or_else(|| Some(format!("allowed keys: {}", allowed.join(", "))));
            errs.at(loc, &child(ptr, &m.key), m.key_pos, format!("unknown key `{}` in {what}", m.key), help);
            ok = false;
        }
    }
    ok
}

/// Exactly one of two alias keys (or neither). Reports both-present.
fn one_of<'n>(
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
fn ms_value(node: &Node, ptr: &str, what: &str, loc: &Loc<'_>, errs: &mut Errors) -> Option<u64> {
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
fn string_value(node: &Node, ptr: &str, what: &str, loc: &Loc<'_>, errs: &mut Errors) -> Option<Cow<'static, str>> {
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
fn args_value(m: Option<&Member>, ptr: &str, loc: &Loc<'_>, errs: &mut Errors) -> Option<(Value, Option<String>)> {
    match m {
        None => Some((Value::Object(Map::new()), None)),
        Some(m) if matches!(m.value.kind, Kind::Object(_)) => {
            let admitted = match loc.text.get(m.value.start..m.value.end).and_then(admit_text) {
                Some(admitted) => admitted,
                // Not reachable (the node's span is an object of this text); decided from the node.
                None => crate::args::admit_node(&m.value),
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
fn when_value(
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

fn upstream_error_value(members: &[Member], ptr: &str, loc: &Loc<'_>, errs: &mut Errors) -> Option<bool> {
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

fn grant_value(
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
fn entry(node: &Node, ptr: &str, loc: &Loc<'_>, errs: &mut Errors) -> Option<Item> {
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
fn call_entry(members: &[Member], node: &Node, ptr: &str, loc: &Loc<'_>, errs: &mut Errors) -> Option<Item> {
    let mut ok = check_keys(members, ptr, "a call", CALL_KEYS, loc, errs);
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
    let grant = grant_value(members, ptr, loc, errs);
    let when = when_value(members, node, ptr, loc, errs);
    let upstream_error = upstream_error_value(members, ptr, loc, errs);
    ok &= grant.is_ok();
    let (Some(tool), Some((args, refusal)), Ok(grant), Some((when, time_ptr, time_offset)), Some(upstream_error), true) =
        (tool, args, grant, when, upstream_error, ok)
    else {
        return None;
    };
    let raw = RawCall { tool, args, refusal, grant, when, upstream_error };
    Some(Item::Call { raw, rpc_id: None, time_ptr, time_offset })
}

fn rpc_id(members: &[Member]) -> Option<String> {
    match member(members, "id").map(|m| &m.value.kind) {
        Some(Kind::Number(n)) => Some(format!("n:{n}")),
        Some(Kind::String(s)) => Some(format!("s:{s}")),
        _ => None,
    }
}

/// A JSON-RPC message. `siblings`: our own fields (`grant`, time, `upstream_error`) may sit next
/// to a `tools/call` request. Returns the item and whether it is a `tools/call` request.
fn rpc_message(
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
    let grant = grant_value(members, ptr, loc, errs);
    let when = when_value(members, node, ptr, loc, errs);
    let upstream_error = upstream_error_value(members, ptr, loc, errs);
    ok &= grant.is_ok();
    let (Some(tool), Some((args, refusal)), Ok(grant), Some((when, time_ptr, time_offset)), Some(upstream_error), true) =
        (tool, args, grant, when, upstream_error, ok)
    else {
        return None;
    };
    let raw = RawCall { tool, args, refusal, grant, when, upstream_error };
    Some((Item::Call { raw, rpc_id: rpc_id(members), time_ptr, time_offset }, true))
}

/// A recorded wire line `{"ts", "dir", "msg"}`.
fn wire_entry(members: &[Member], node: &Node, ptr: &str, loc: &Loc<'_>, errs: &mut Errors) -> Option<Item> {
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
                    Kind::String(s) => did_you_mean(s, [CLIENT_TO_SERVER, SERVER_TO_CLIENT]),
                    _ => None,
                }
                .map(|d| format!("did you mean `{d}`?"));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_policy;
    use serde_json::json;

    const T0: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    fn ok(text: &str) -> Vec<TraceCall> {
        parse_trace(text).unwrap_or_else(|e| panic!("{e:#?}"))
    }

    fn errs(text: &str) -> Vec<ValidationError> {
        match parse_trace(text) {
            Ok(calls) => panic!("expected errors, got {calls:#?}"),
            Err(e) => e,
        }
    }

    fn policy(text: &str) -> Policy {
        parse_policy(text).unwrap().unwrap()
    }

    fn times(calls: &[TraceCall]) -> Vec<u64> {
        calls.iter().map(|c| c.at_ms).collect()
    }

    #[test]
    fn a_json_array_of_calls_is_a_trace() {
        let calls = ok(r#"[{"tool": "a", "args": {"x": 1}, "at_ms": 5, "grant": "alice", "upstream_error": true},
                          {"name": "b", "arguments": {"y": [2]}}]"#);
        assert_eq!(
            calls,
            vec![
                TraceCall {
                    tool: "a".into(),
                    args: json!({"x": 1}),
                    grant: "alice".into(),
                    at_ms: 5,
                    upstream_error: true,
                    refusal: None,
                },
                TraceCall {
                    tool: "b".into(),
                    args: json!({"y": [2]}),
                    grant: "default".into(),
                    at_ms: 5,
                    upstream_error: false,
                    refusal: None,
                },
            ]
        );
    }

    #[test]
    fn an_object_with_calls_starts_at_start_ms() {
        let calls =
            ok(r#"{"start_ms": 1000, "calls": [{"tool": "a"}, {"tool": "a", "after_ms": 250}, {"tool": "b"}]}"#);
        assert_eq!(times(&calls), vec![1000, 1250, 1250]);
        let calls = ok("{\n  \"calls\": [\n    {\"tool\": \"a\"}\n  ]\n}\n");
        assert_eq!(times(&calls), vec![0]);
    }

    #[test]
    fn json_lines_ignore_blank_lines_and_crlf() {
        let calls =
            ok("{\"tool\": \"a\", \"at_ms\": 10}\r\n\r\n   \n{\"tool\": \"b\", \"after_ms\": 5}\r\n{\"tool\": \"c\"}");
        assert_eq!(calls.iter().map(|c| c.tool.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(times(&calls), vec![10, 15, 15]);
    }

    #[test]
    fn empty_text_is_an_empty_trace() {
        assert!(ok("").is_empty());
        assert!(ok("\n  \n").is_empty());
        assert!(ok("[]").is_empty());
        assert!(ok(r#"{"calls": []}"#).is_empty());
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        assert_eq!(ok("\u{feff}{\"tool\": \"a\"}\n{\"tool\": \"b\"}").len(), 2);
        assert_eq!(ok("\u{feff}[{\"tool\": \"a\"}]").len(), 1);
    }

    #[test]
    fn a_single_pretty_printed_call_is_a_trace_of_one() {
        let calls = ok("{\n  \"tool\": \"a\",\n  \"at_ms\": 7\n}\n");
        assert_eq!((calls.len(), calls[0].at_ms), (1, 7));
    }

    #[test]
    fn time_rules_at_ms_ts_after_ms_and_bursts() {
        let calls = ok(r#"{"start_ms": 100, "calls": [
            {"tool": "a"},
            {"tool": "a", "after_ms": 50},
            {"tool": "a"},
            {"tool": "a", "at_ms": 1767225600000},
            {"tool": "a", "ts": "2026-01-01T00:00:01.500Z"},
            {"tool": "a", "ts": "2026-01-01T02:00:02+02:00"},
            {"tool": "a", "after_ms": 0},
            {"tool": "a", "at_ms": null}
        ]}"#);
        assert_eq!(times(&calls), vec![100, 150, 150, T0, T0 + 1500, T0 + 2000, T0 + 2000, T0 + 2000]);
    }

    #[test]
    fn the_first_call_with_after_ms_counts_from_start_ms() {
        assert_eq!(times(&ok(r#"{"start_ms": 1000, "calls": [{"tool": "a", "after_ms": 5}]}"#)), vec![1005]);
        assert_eq!(times(&ok(r#"[{"tool": "a", "after_ms": 5}]"#)), vec![5]);
    }

    #[test]
    fn times_going_backwards_name_the_call() {
        let e = errs(r#"[{"tool": "a", "at_ms": 2000}, {"tool": "a", "at_ms": 1000}]"#);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].pointer, "/1/at_ms");
        assert_eq!((e[0].line, e[0].column), (Some(1), Some(55)));
        assert!(e[0].message.contains("time goes backwards: call 1"), "{}", e[0].message);
        let e = errs(
            "{\"tool\": \"a\", \"ts\": \"2026-01-01T00:00:01Z\"}\n\n{\"tool\": \"a\", \"ts\": \"2026-01-01T00:00:00Z\"}\n",
        );
        assert_eq!((e[0].pointer.as_str(), e[0].line, e[0].column), ("/ts", Some(3), Some(21)));
        assert!(e[0].message.contains("2026-01-01T00:00:00.000Z"), "{}", e[0].message);
        let e = errs(r#"{"calls": [{"tool": "a", "at_ms": 5}, {"tool": "b", "at_ms": 4}]}"#);
        assert_eq!(e[0].pointer, "/calls/1/at_ms");
    }

    #[test]
    fn equal_times_are_not_backwards() {
        assert_eq!(times(&ok(r#"[{"tool": "a", "at_ms": 5}, {"tool": "a", "at_ms": 5}]"#)), vec![5, 5]);
    }

    #[test]
    fn non_object_args_are_an_error_for_that_line_or_index() {
        let e =
            errs("{\"tool\": \"a\"}\n{\"tool\": \"a\", \"args\": [1, 2]}\n{\"tool\": \"a\", \"arguments\": \"x\"}\n");
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].pointer.as_str(), e[0].line, e[0].column), ("/args", Some(2), Some(23)));
        assert!(e[0].message.contains("`args` must be an object, found an array"), "{}", e[0].message);
        assert_eq!((e[1].pointer.as_str(), e[1].line), ("/arguments", Some(3)));
        let e = errs(r#"[{"tool": "a"}, {"tool": "a", "args": 5}]"#);
        assert_eq!(e[0].pointer, "/1/args");
        let e = errs(r#"{"calls": [{"tool": "a", "args": true}]}"#);
        assert_eq!(e[0].pointer, "/calls/0/args");
    }

    #[test]
    fn null_args_are_empty_args() {
        assert_eq!(ok(r#"[{"tool": "a", "args": null}]"#)[0].args, json!({}));
        assert_eq!(ok(r#"[{"tool": "a"}]"#)[0].args, json!({}));
    }

    #[test]
    fn unknown_fields_are_errors_with_did_you_mean() {
        let e = errs("{\"tool\": \"a\", \"at-ms\": 5}\n");
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].pointer.as_str(), e[0].line, e[0].column), ("/at-ms", Some(1), Some(15)));
        assert_eq!(e[0].message, "unknown key `at-ms` in a call");
        assert_eq!(e[0].help.as_deref(), Some("did you mean `at_ms`?"));
        let e = errs(r#"[{"tool": "a", "grnt": "x"}]"#);
        assert_eq!((e[0].pointer.as_str(), e[0].help.as_deref()), ("/0/grnt", Some("did you mean `grant`?")));
        let e = errs(r#"{"start-ms": 5, "calls": []}"#);
        assert_eq!((e[0].pointer.as_str(), e[0].help.as_deref()), ("/start-ms", Some("did you mean `start_ms`?")));
        let e = errs(r#"[{"tool": "a", "zzzzzzzz": 1}]"#);
        assert!(e[0].help.as_deref().unwrap().starts_with("allowed keys: tool, name"), "{:?}", e[0].help);
    }

    #[test]
    fn field_types_are_checked() {
        let e = errs(
            r#"[{"tool": 5}, {"tool": ""}, {}, {"tool": "a", "grant": 1}, {"tool": "a", "grant": ""},
                {"tool": "a", "at_ms": -1}, {"tool": "a", "at_ms": 1.5}, {"tool": "a", "after_ms": "5"},
                {"tool": "a", "ts": 5}, {"tool": "a", "ts": "yesterday"}, {"tool": "a", "upstream_error": "yes"},
                {"tool": "a", "at_ms": 99999999999999999}, 7]"#,
        );
        let ptrs: Vec<&str> = e.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            ptrs,
            [
                "/0/tool",
                "/1/tool",
                "/2",
                "/3/grant",
                "/4/grant",
                "/5/at_ms",
                "/6/at_ms",
                "/7/after_ms",
                "/8/ts",
                "/9/ts",
                "/10/upstream_error",
                "/11/at_ms",
                "/12"
            ]
        );
        assert!(e.iter().all(|e| e.line == Some(1) || e.line == Some(2) || e.line == Some(3) || e.line == Some(4)));
        assert!(e[2].message.contains("needs `tool`"), "{}", e[2].message);
        assert!(e[12].message.contains("must be an object"), "{}", e[12].message);
    }

    #[test]
    fn aliases_and_two_times_conflict() {
        let e = errs(
            r#"[{"tool": "a", "name": "b"}, {"tool": "a", "args": {}, "arguments": {}},
                        {"tool": "a", "at_ms": 1, "ts": "2026-01-01T00:00:00Z"}, {"tool": "a", "at_ms": 1, "after_ms": 2}]"#,
        );
        let ptrs: Vec<&str> = e.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(ptrs, ["/0/name", "/1/arguments", "/2/ts", "/3/after_ms"]);
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let e = errs(r#"[{"tool": "a", "tool": "b"}]"#);
        assert_eq!((e[0].pointer.as_str(), e[0].message.as_str()), ("/0/tool", "duplicate key `tool`"));
    }

    #[test]
    fn every_error_is_collected_not_only_the_first() {
        let e = errs("{\"tool\": 1}\n{\"tool\": \"a\"}\nnot json\n{\"tool\": \"a\", \"args\": 3}\n[1]\n");
        let lines: Vec<Option<u32>> = e.iter().map(|e| e.line).collect();
        assert_eq!(lines, [Some(1), Some(3), Some(4), Some(5)]);
        assert!(e[1].message.starts_with("invalid JSON"), "{}", e[1].message);
    }

    #[test]
    fn errors_are_capped() {
        let text = "{\"tool\": 1}\n".repeat(MAX_ERRORS + 50);
        let e = errs(&text);
        assert_eq!(e.len(), MAX_ERRORS + 1);
        assert!(e[MAX_ERRORS].message.contains("too many errors"));
    }

    #[test]
    fn broken_documents_report_the_parser_position() {
        let e = errs("[\n  {\"tool\": \"a\"},\n  {\"tool\" \"b\"}\n]");
        assert_eq!((e[0].line, e[0].column), (Some(3), Some(11)));
        let e = errs("{\"calls\": [}");
        assert!(e[0].message.starts_with("invalid JSON"));
        let e = errs("5");
        assert!(e[0].message.contains("a trace must be"), "{}", e[0].message);
        let e = errs(r#"{"calls": 5}"#);
        assert_eq!(e[0].pointer, "/calls");
    }

    #[test]
    fn json_rpc_tools_call_lines_are_calls() {
        let calls = ok(concat!(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"m":"hi"}},"at_ms":100}"#,
            "\n",
            r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"sum"},"grant":"bob","after_ms":5}"#,
            "\n",
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            "\n",
            r#"{"jsonrpc":"2.0","id":2,"error":{"code":-32603,"message":"boom"}}"#,
            "\n",
            r#"{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":true}}"#,
        ));
        assert_eq!(calls.len(), 2);
        assert_eq!((calls[0].tool.as_str(), &calls[0].args, calls[0].at_ms), ("echo", &json!({"m": "hi"}), 100));
        assert_eq!((calls[1].grant.as_str(), calls[1].at_ms, &calls[1].args), ("bob", 105, &json!({})));
        assert!(!calls[0].upstream_error, "an isError result is not a JSON-RPC error");
        assert!(calls[1].upstream_error, "a JSON-RPC error response releases the call");
    }

    #[test]
    fn json_rpc_call_errors_are_located() {
        let e =
            errs(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"nme":"echo","arguments":[1]},"at-ms":1}"#);
        let ptrs: Vec<&str> = e.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(ptrs, ["/at-ms", "/params/nme", "/params", "/params/arguments"]);
        assert_eq!(e[0].help.as_deref(), Some("did you mean `at_ms`?"));
        assert_eq!(e[1].help.as_deref(), Some("did you mean `name`?"));
        let e = errs(r#"{"jsonrpc":"1.0","method":"tools/call"}"#);
        assert_eq!(e[0].pointer, "/jsonrpc");
        let e = errs(r#"{"jsonrpc":"2.0","id":3}"#);
        assert!(e[0].message.contains("not a JSON-RPC message"), "{}", e[0].message);
        let e = errs(r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":5}"#);
        assert_eq!(e[0].pointer, "/params");
    }

    #[test]
    fn wire_log_lines_are_read_by_direction() {
        let text = concat!(
            r#"{"ts":"2026-01-01T00:00:00.000Z","dir":"client->server","msg":{"method":"initialize","params":{},"jsonrpc":"2.0","id":0}}"#,
            "\n",
            r#"{"ts":"2026-01-01T00:00:01.000Z","dir":"client->server","msg":{"method":"tools/call","params":{"name":"a","arguments":{"x":1}},"jsonrpc":"2.0","id":7}}"#,
            "\n",
            r#"{"ts":"2026-01-01T00:00:01.500Z","dir":"client->server","msg":{"method":"tools/call","params":{"name":"b"},"jsonrpc":"2.0","id":"s"}}"#,
            "\n",
            r#"{"ts":"2026-01-01T00:00:02.000Z","dir":"server->client","msg":{"jsonrpc":"2.0","id":"s","result":{"content":[]}}}"#,
            "\n",
            r#"{"ts":"2026-01-01T00:00:02.100Z","dir":"client->server","msg":{"jsonrpc":"2.0","id":7,"error":{"code":1,"message":"client-side"}}}"#,
            "\n",
            r#"{"ts":"2026-01-01T00:00:02.200Z","dir":"server->client","msg":{"jsonrpc":"2.0","id":7,"error":{"code":-32603,"message":"upstream down"}}}"#,
            "\n",
            r#"{"ts":"2026-01-01T00:00:03.000Z","dir":"server->client","msg":{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"c"}}}"#,
            "\n",
        );
        let calls = ok(text);
        assert_eq!(calls.iter().map(|c| c.tool.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(times(&calls), vec![T0 + 1000, T0 + 1500]);
        assert_eq!(calls[0].args, json!({"x": 1}));
        assert!(calls[0].upstream_error, "the server's error response marks call id 7");
        assert!(!calls[1].upstream_error);
    }

    #[test]
    fn error_responses_only_mark_pending_calls() {
        let text = concat!(
            r#"{"dir":"client->server","msg":{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"}}}"#,
            "\n",
            r#"{"dir":"server->client","msg":{"jsonrpc":"2.0","id":1,"result":{}}}"#,
            "\n",
            r#"{"dir":"server->client","msg":{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"late"}}}"#,
            "\n",
            r#"{"dir":"server->client","msg":{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse"}}}"#,
            "\n",
        );
        let calls = ok(text);
        assert_eq!(calls.len(), 1);
        assert!(!calls[0].upstream_error, "an error after the result answers nothing pending");
    }

    #[test]
    fn unrecognised_wire_lines_are_errors_naming_the_line() {
        let e = errs(concat!(
            r#"{"ts":"2026-01-01T00:00:00Z","dir":"client->server","msg":{"jsonrpc":"2.0","method":"initialize","id":0}}"#,
            "\n",
            r#"{"ts":"2026-01-01T00:00:01Z","dir":"client-to-server","msg":{"jsonrpc":"2.0","method":"tools/list","id":1}}"#,
            "\n",
            r#"{"ts":"2026-01-01T00:00:01Z","dir":"server->client","msg":{"jsonrpc":"2.0","id":1}}"#,
            "\n",
            r#"{"ts":"2026-01-01T00:00:01Z","dir":"server->client","msg":"hello"}"#,
            "\n",
            r#"{"ts":"2026-01-01T00:00:01Z","dir":"server->client"}"#,
            "\n",
            r#"{"ts":"2026-01-01T00:00:01Z","dir":"server->client","msg":{"jsonrpc":"2.0","method":"x"},"extra":1}"#,
            "\n",
            r#"{"ts":"2026-01-01T00:00:01Z","dir":"client->server","msg":{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"a"},"at_ms":5}}"#,
        ));
        let got: Vec<(Option<u32>, &str)> = e.iter().map(|e| (e.line, e.pointer.as_str())).collect();
        assert_eq!(
            got,
            [
                (Some(2), "/dir"),
                (Some(3), "/msg"),
                (Some(4), "/msg"),
                (Some(5), ""),
                (Some(6), "/extra"),
                (Some(7), "/msg/at_ms")
            ]
        );
        assert_eq!(e[0].help.as_deref(), Some("did you mean `client->server`?"));
    }

    #[test]
    fn the_recorded_wire_log_reads_as_four_calls_without_upstream_errors() {
        let calls = ok(include_str!("../../tests/fixtures/traces/everything.stdio.wire.jsonl"));
        assert_eq!(
            calls.iter().map(|c| c.tool.as_str()).collect::<Vec<_>>(),
            ["echo", "get-sum", "no-such-tool", "get-sum"]
        );
        assert_eq!(calls[0].at_ms, parse_rfc3339_ms("2026-11-21T19:29:21.984Z").unwrap());
        assert_eq!(calls[0].args, json!({"message": "hello from mcp-proof"}));
        assert_eq!(calls[3].args, json!({"a": "x"}));
        // The server answered `no-such-tool` with a result carrying isError (not a JSON-RPC error),
        // so per policy-format §3 step 8 its quota is not released.
        assert!(calls.iter().all(|c| !c.upstream_error));
        let allcaps = ok(include_str!("../../tests/fixtures/traces/everything.stdio.allcaps.wire.jsonl"));
        assert_eq!(allcaps.len(), 4);
        assert!(allcaps.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    }

    #[test]
    fn the_reduced_recording_matches_the_wire_log() {
        let reduced = ok(include_str!("../../tests/fixtures/traces/everything.calls.json"));
        let wire = ok(include_str!("../../tests/fixtures/traces/everything.stdio.wire.jsonl"));
        assert_eq!(reduced, wire);
    }

    #[test]
    fn the_slow_path_agrees_with_the_fast_path() {
        // A JSON-RPC line forces the locating parser for the whole array; the calls must be the same.
        let plain = r#"[{"tool":"a","args":{"n":1.5,"s":"é\n"},"ts":"2026-01-01T00:00:00.25Z"},{"name":"b","after_ms":3,"grant":"g"}]"#;
        let mixed = r#"[{"tool":"a","args":{"n":1.5,"s":"é\n"},"ts":"2026-01-01T00:00:00.25Z"},{"name":"b","after_ms":3,"grant":"g"},{"jsonrpc":"2.0","method":"notifications/x"}]"#;
        assert_eq!(ok(plain), ok(mixed));
        assert_eq!(ok(plain)[1].at_ms, T0 + 253);
    }

    #[test]
    fn rfc3339_timestamps_parse_exactly() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_rfc3339_ms("2026-01-01T00:00:00Z"), Ok(T0));
        assert_eq!(parse_rfc3339_ms("2026-01-01T00:00:00.1Z"), Ok(T0 + 100));
        assert_eq!(parse_rfc3339_ms("2026-01-01T00:00:00.123456789Z"), Ok(T0 + 123));
        assert_eq!(parse_rfc3339_ms("2026-01-01t01:00:00+01:00"), Ok(T0));
        assert_eq!(parse_rfc3339_ms("2025-12-31 23:30:00-00:30"), Ok(T0));
        assert_eq!(parse_rfc3339_ms("2024-02-29T12:00:00z"), Ok(1_709_208_000_000));
        assert_eq!(parse_rfc3339_ms("2016-12-31T23:59:60Z"), Ok(1_483_228_800_000));
        assert_eq!(parse_rfc3339_ms("9999-12-31T23:59:59.999Z"), Ok(MAX_AT_MS));
        for bad in [
            "2026-01-01",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00.Z",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:60:00Z",
            "2026-01-01T00:00:00+2400",
            "2026-01-01T00:00:00+24:00",
            "1969-12-31T23:59:59.999Z",
            "2026-01-01T00:00:00Zjunk",
            "２026-01-01T00:00:00Z",
            "",
        ] {
            assert!(parse_rfc3339_ms(bad).is_err(), "{bad}");
        }
        assert!(parse_rfc3339_ms("2026-01-01T00:00:00").unwrap_err().contains("no time zone"));
    }

    #[test]
    fn timestamps_format_back_to_rfc3339() {
        assert_eq!(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_rfc3339_ms(T0 + 1_234), "2026-01-01T00:00:01.234Z");
        assert_eq!(format_rfc3339_ms(MAX_AT_MS), "9999-12-31T23:59:59.999Z");
        for ms in [0, 951_782_400_000, 1_709_208_000_000, T0 + 86_399_999, 4_102_444_800_000, MAX_AT_MS] {
            assert_eq!(parse_rfc3339_ms(&format_rfc3339_ms(ms)), Ok(ms));
        }
    }

    const REFUNDS: &str = r#"{"version":"1","default":"deny","tools":{"refund":{
        "deny_if":[{"conditions":[{"path":"args.amount","op":"gt","value":100}],"on_deny":"too much"}],
        "limits":[{"counter":"refunds","window":"minute","max":2}]},
        "search":{}}, "hide":["nuke"]}"#;

    #[test]
    fn simulation_counts_outcomes_in_total_and_by_tool() {
        let p = policy(REFUNDS);
        let calls = ok(r#"{"start_ms": 1767225600000, "calls": [
            {"tool": "refund", "args": {"amount": 5}},
            {"tool": "refund", "args": {"amount": 500}},
            {"tool": "refund", "args": {"amount": 5}},
            {"tool": "refund", "args": {"amount": 5}},
            {"tool": "nuke"}, {"tool": "search"}, {"tool": "other"},
            {"tool": "refund", "args": {"amount": 5}, "after_ms": 60000}
        ]}"#);
        let sim = simulate(Some(&p), &calls);
        let outcomes: Vec<Outcome> = sim.decisions.iter().map(|d| d.decision.outcome).collect();
        use Outcome::*;
        assert_eq!(outcomes, [Allow, Deny, Allow, RateLimited, Hidden, Allow, Deny, Allow]);
        assert_eq!(sim.decisions[3].decision.retry_after_ms, Some(60_000));
        assert_eq!(&*sim.decisions[3].decision.rule, "/tools/refund/limits/refunds");
        assert_eq!(sim.decisions[7].decision.counters[0].used, 1, "a new minute starts from zero");
        let s = &sim.summary;
        assert_eq!((s.calls, s.allowed, s.denied, s.hidden, s.rate_limited), (8, 4, 2, 1, 1));
        assert_eq!(s.by_tool.keys().collect::<Vec<_>>(), ["nuke", "other", "refund", "search"]);
        assert_eq!(s.by_tool["refund"], ToolSummary { calls: 5, allowed: 3, denied: 1, hidden: 0, rate_limited: 1 });
        assert_eq!(simulate_summary(Some(&p), &calls), sim.summary);
    }

    #[test]
    fn upstream_errors_release_quota_right_after_the_call() {
        let p = policy(REFUNDS);
        let calls = ok(r#"[
            {"tool": "refund", "at_ms": 1767225600000, "upstream_error": true},
            {"tool": "refund"}, {"tool": "refund"}, {"tool": "refund"}]"#);
        let sim = simulate(Some(&p), &calls);
        let outcomes: Vec<Outcome> = sim.decisions.iter().map(|d| d.decision.outcome).collect();
        assert_eq!(outcomes, [Outcome::Allow, Outcome::Allow, Outcome::Allow, Outcome::RateLimited]);
        assert_eq!(sim.decisions[1].decision.counters[0].used, 1, "the failed call's charge was given back");
    }

    #[test]
    fn no_policy_denies_everything() {
        let sim = simulate(None, &ok(r#"[{"tool": "a"}, {"tool": "b"}]"#));
        assert_eq!(sim.summary.denied, 2);
        assert_eq!(&*sim.decisions[0].decision.rule, "(no policy)");
    }

    #[test]
    fn simulation_starts_from_empty_counters_every_time() {
        let p = policy(REFUNDS);
        let calls = ok(r#"[{"tool": "refund", "at_ms": 1767225600000}, {"tool": "refund"}]"#);
        assert_eq!(simulate(Some(&p), &calls), simulate(Some(&p), &calls));
    }

    #[test]
    fn decisions_serialise_call_fields_first_then_the_decision() {
        let p = policy(REFUNDS);
        let sim = simulate_text(Some(&p), r#"[{"tool": "refund", "args": {"amount": 500}, "at_ms": 7, "grant": "g"}]"#)
            .unwrap();
        let text = serde_json::to_string(&sim.decisions[0]).unwrap();
        assert!(
            text.starts_with(r#"{"index":0,"tool":"refund","grant":"g","at_ms":7,"outcome":"deny","rule":"/tools/refund/deny_if/args.amount-gt","pointer":"/tools/refund/deny_if/0","message":"too much","retry_after_ms":null,"explain":[{"#),
            "{text}"
        );
        let v = serde_json::to_value(&sim).unwrap();
        assert_eq!(v["summary"]["by_tool"]["refund"]["denied"], 1);
        let back: Simulation = serde_json::from_value(v).unwrap();
        assert_eq!(back, sim);
        assert!(simulate_text(Some(&p), "[1]").is_err());
    }

    /// Traces of every form, including a wire log whose error response marks an earlier call.
    const FORMS: &[&str] = &[
        r#"[{"tool": "refund", "args": {"amount": 5}, "at_ms": 1767225600000}, {"tool": "refund"}, {"tool": "refund"}, {"tool": "nuke"}]"#,
        r#"{"start_ms": 1767225600000, "calls": [{"tool": "refund", "upstream_error": true}, {"tool": "refund"}, {"tool": "refund", "after_ms": 5}, {"tool": "refund"}]}"#,
        "{\"tool\": \"refund\", \"at_ms\": 1767225600000}\n{\"tool\": \"refund\", \"args\": {\"amount\": 500}}\n\n{\"name\": \"refund\", \"arguments\": null}\n{\"tool\": \"refund\"}\n{\"tool\": \"refund\", \"after_ms\": 60000}\n",
        concat!(
            r#"{"ts":"2026-01-01T00:00:00Z","dir":"client->server","msg":{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"refund"}}}"#,
            "\n",
            r#"{"ts":"2026-01-01T00:00:01Z","dir":"client->server","msg":{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"refund"}}}"#,
            "\n",
            r#"{"ts":"2026-01-01T00:00:02Z","dir":"server->client","msg":{"jsonrpc":"2.0","id":2,"result":{}}}"#,
            "\n",
            r#"{"ts":"2026-01-01T00:00:03Z","dir":"server->client","msg":{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"down"}}}"#,
            "\n",
            r#"{"tool": "refund", "after_ms": 1}"#,
            "\n",
            r#"{"tool": "refund"}"#,
        ),
    ];

    #[test]
    fn streaming_simulation_matches_parse_then_simulate() {
        let p = policy(REFUNDS);
        for text in FORMS.iter().copied().chain([
            include_str!("../../tests/fixtures/traces/everything.stdio.wire.jsonl"),
            include_str!("../../tests/fixtures/traces/everything.calls.json"),
        ]) {
            let calls = ok(text);
            let whole = simulate(Some(&p), &calls);
            let mut streamed = Vec::new();
            let summary = simulate_text_with(Some(&p), text, |i, c, d| {
                assert_eq!(c, &calls[i], "the streamed call is the parsed call");
                streamed.push(sim_decision(i, c, d));
            })
            .unwrap();
            assert_eq!(streamed, whole.decisions, "{text}");
            assert_eq!(summary, whole.summary);
            assert_eq!(simulate_text(Some(&p), text).unwrap(), whole);
            assert!(check_trace(text).is_empty());
        }
        // The wire log's error response (after two more lines) released call 0's quota.
        let calls = ok(FORMS[3]);
        assert_eq!(calls.iter().map(|c| c.upstream_error).collect::<Vec<_>>(), [true, false, false, false]);
        let sim = simulate(Some(&p), &calls);
        assert_eq!(sim.decisions[1].decision.counters[0].used, 1);
        assert_eq!(sim.decisions[3].decision.outcome, Outcome::RateLimited);
    }

    #[test]
    fn checking_reports_what_parsing_reports_and_simulates_nothing() {
        for text in [
            "{\"tool\": \"a\", \"args\": [1]}\n{\"tool\": \"a\", \"at-ms\": 1}\n",
            r#"[{"tool": "a", "at_ms": 5}, {"tool": "a", "at_ms": 4}]"#,
            r#"{"calls": [{"tool": "a", "args": "x"}]}"#,
            "{\"tool\": \"a\", \"args\": {\"x\": }}\n",
        ] {
            let e = errs(text);
            assert_eq!(check_trace(text), e, "{text}");
            let mut seen = 0;
            assert_eq!(simulate_text_with(None, text, |_, _, _| seen += 1).unwrap_err(), e);
            assert_eq!(seen, 0, "nothing is simulated before the whole trace is known to be valid");
        }
    }

    #[test]
    fn checking_and_building_agree_on_deeply_nested_arguments() {
        for n in [1usize, 100, 126, 127, 128, 129, 500] {
            let args = "{\"a\": [".repeat(n) + "1" + &"]}".repeat(n);
            for text in
                [format!("{{\"tool\": \"x\", \"args\": {args}}}\n"), format!("[{{\"tool\": \"x\", \"args\": {args}}}]")]
            {
                let parsed = parse_trace(&text);
                assert_eq!(check_trace(&text), parsed.clone().err().unwrap_or_default(), "depth {n}");
                let streamed = simulate_text_with(None, &text, |_, _, _| {}).map(|s| s.calls);
                assert_eq!(streamed, parsed.map(|c| c.len()), "depth {n}");
            }
        }
        assert!(
            parse_trace(&format!("{{\"tool\": \"x\", \"args\": {}}}", "{\"a\": [".repeat(64) + "1" + &"]}".repeat(64)))
                .is_err()
        );
    }

    #[test]
    fn checking_and_building_agree_on_broken_escapes() {
        for args in [
            r#"{"\ud800": 1}"#,
            r#"{"a": "\ud800"}"#,
            r#"{"a": ["\udc00x"]}"#,
            r#"{"a": "\q"}"#,
            r#"{"\u00e9": "\ud83d\ude00"}"#,
        ] {
            for text in
                [format!("{{\"tool\": \"x\", \"args\": {args}}}\n"), format!("[{{\"tool\": \"x\", \"args\": {args}}}]")]
            {
                let parsed = parse_trace(&text);
                assert_eq!(check_trace(&text), parsed.clone().err().unwrap_or_default(), "{text}");
            }
        }
        assert_eq!(ok(r#"[{"tool": "x", "args": {"\u00e9": "\ud83d\ude00"}}]"#)[0].args, json!({"é": "😀"}));
    }

    /// The locating parser alone, line by line (what the fast path falls back to).
    fn slow_lines(text: &str) -> Result<Vec<TraceCall>, Vec<ValidationError>> {
        let mut b = Builder::new(Collect::default(), 0);
        let mut errs = Errors::default();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let line_no = u32::try_from(i + 1).unwrap();
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
        b.finish(errs).map(|c| c.0)
    }

    #[test]
    fn the_fast_path_and_the_locating_parser_read_calls_identically() {
        let lines = [
            r#"{"tool": "a"}"#,
            r#"{"name": "b", "arguments": {"x": [1, 2.5, -3, 1e2, null, true, {"y": "z"}], "big": 18446744073709551615}}"#,
            r#"{"tool": "c", "args": null, "grant": "g", "after_ms": 0}"#,
            r#"{"tool": "d", "ts": "2026-01-01T00:00:00.5+00:00", "upstream_error": false}"#,
            r#"{"tool": "e", "at_ms": 1767225600500, "grant": "h", "upstream_error": true, "isError": true, "text": "x", "result_ts": 1}"#,
            r#"{"tool": "f\u00e9\n", "after_ms": 7, "grant": null, "at_ms": null, "ts": null}"#,
            r#"{"tool": "g", "args": {"s": "\"quoted\" \\ \/ \b\f\n\r\t", "dup": 1, "dup": 2}}"#,
            r#"  {"tool":"h","args":{}}  "#,
            r#"{"tool": "i", "args": {"s": "\"quoted\" \\ \/ \b\f\n\r\t"}}"#,
        ];
        let text = lines.join("\n");
        let fast = ok(&text);
        assert_eq!(slow_lines(&text).unwrap(), fast);
        assert_eq!(fast.len(), lines.len());
        // Duplicate argument keys are refused, not read last-key-wins.
        assert_eq!(fast[6].args, json!({}));
        assert_eq!(fast[6].refusal.as_deref(), Some("Arguments have a duplicate key `dup` at /dup"));
        assert_eq!(fast[8].args, json!({"s": "\"quoted\" \\ / \u{8}\u{c}\n\r\t"}));
        assert_eq!(fast[5].tool, "fé\n");
        assert_eq!(fast[4].at_ms, T0 + 500);
        assert_eq!(fast[5].at_ms, T0 + 507);
        for bad in [
            r#"{"tool": "a", "args": 1}"#,
            r#"{"tool": "", "args": {}}"#,
            r#"{"tool": "a", "grant": ""}"#,
            r#"{"tool": "a", "at_ms": 1, "after_ms": 1}"#,
            r#"{"tool": "a", "ts": "2026-01-01"}"#,
            r#"{"tool": "a", "at_ms": 253402300800000}"#,
            r#"{"tool": "a", "tool": "b"}"#,
            r#"{"tool": "a", "at_ms": 1.0}"#,
        ] {
            assert_eq!(slow_lines(bad).unwrap_err(), errs(bad), "{bad}");
        }
    }

    #[test]
    fn the_recorded_session_simulates_under_a_policy() {
        let p = policy(
            r#"{"version":"1","default":"deny","tools":{"echo":{},"get-sum":{"require":["args.b"]}},"hide":["no-such-tool"]}"#,
        );
        let sim =
            simulate_text(Some(&p), include_str!("../../tests/fixtures/traces/everything.stdio.wire.jsonl")).unwrap();
        let outcomes: Vec<Outcome> = sim.decisions.iter().map(|d| d.decision.outcome).collect();
        assert_eq!(outcomes, [Outcome::Allow, Outcome::Allow, Outcome::Hidden, Outcome::Deny]);
        assert_eq!(&*sim.decisions[3].decision.rule, "/tools/get-sum/require/args.b-exists");
    }

    /// Runs `text` (parsed and streamed: both must agree) and returns its decisions.
    fn decide(p: &Policy, text: &str) -> Vec<Decision> {
        let whole = simulate(Some(p), &ok(text));
        assert_eq!(simulate_text(Some(p), text).unwrap(), whole, "{text}");
        assert!(check_trace(text).is_empty(), "a refused call is not a trace error: {text}");
        whole.decisions.into_iter().map(|d| d.decision).collect()
    }

    /// The first call is refused with `message`; the two after it are allowed (the refused call
    /// took none of the limit's 2 a minute).
    fn assert_refused_first(p: &Policy, text: &str, message: &str) {
        let d = decide(p, text);
        assert_eq!(d.len(), 3, "{text}");
        assert_eq!(
            (d[0].outcome, &*d[0].rule, &*d[0].message),
            (Outcome::Deny, "(invalid arguments)", message),
            "{text}"
        );
        assert_eq!(d[0], refused_arguments(message), "the same decision as `evaluate` on such `args_json`");
        assert_eq!((d[1].outcome, d[2].outcome), (Outcome::Allow, Outcome::Allow), "{text}");
        let calls = ok(text);
        assert_eq!((calls[0].refusal.as_deref(), &calls[0].args), (Some(message), &json!({})));
        assert_eq!(calls[1].refusal, None);
    }

    #[test]
    fn a_trace_call_with_duplicate_argument_keys_is_denied_not_last_wins() {
        let p = policy(REFUNDS);
        let dup = r#"{"amount": 500, "amount": 5}"#;
        let ok_call = r#"{"tool": "refund", "args": {"amount": 5}}"#;
        let rpc = |args: &str| {
            format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"refund","arguments":{args}}},"at_ms":1767225600000}}"#
            )
        };
        let wire = |args: &str| {
            format!(
                r#"{{"ts":"2026-01-01T00:00:00Z","dir":"client->server","msg":{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"refund","arguments":{args}}}}}}}"#
            )
        };
        for text in [
            // JSON Lines (fast path), and with an escaped grant (the locating path).
            format!("{{\"tool\": \"refund\", \"args\": {dup}, \"at_ms\": 1767225600000}}\n{ok_call}\n{ok_call}\n"),
            format!("{{\"tool\": \"refund\", \"args\": {dup}, \"grant\": \"\\u0061\"}}\n{ok_call}\n{ok_call}\n"),
            // An array, a `{calls}` document with `arguments`, and the locating path of each.
            format!("[{{\"tool\": \"refund\", \"args\": {dup}}}, {ok_call}, {ok_call}]"),
            format!("[{{\"tool\": \"refund\", \"args\": {dup}, \"grant\": \"\\u0061\"}}, {ok_call}, {ok_call}]"),
            format!(
                "{{\"start_ms\": 1767225600000, \"calls\": [{{\"tool\": \"refund\", \"arguments\": {dup}}}, {ok_call}, {ok_call}]}}"
            ),
            format!(
                "{{\"start_ms\": 1767225600000, \"calls\": [{{\"name\": \"refund\", \"arguments\": {dup}, \"grant\": \"\\u0061\"}}, {ok_call}, {ok_call}]}}"
            ),
            // An MCP JSON-RPC line and a recorded wire line.
            format!("{}\n{ok_call}\n{ok_call}\n", rpc(dup)),
            format!("{}\n{ok_call}\n{ok_call}\n", wire(dup)),
            // The same inside an array document.
            format!("[{}, {ok_call}, {ok_call}]", rpc(dup)),
        ] {
            assert_refused_first(&p, &text, "Arguments have a duplicate key `amount` at /amount");
        }
        // Nested at any depth, in every reader.
        let nested = r#"{"amount": 5, "meta": {"refs": [{"k": 1, "k": 2}]}}"#;
        let message = "Arguments have a duplicate key `k` at /meta/refs/0/k";
        for text in [
            format!("{{\"tool\": \"refund\", \"args\": {nested}}}\n{ok_call}\n{ok_call}\n"),
            format!("[{{\"tool\": \"refund\", \"args\": {nested}, \"grant\": \"\\u0061\"}}, {ok_call}, {ok_call}]"),
            format!("{}\n{ok_call}\n{ok_call}\n", rpc(nested)),
            format!("{}\n{ok_call}\n{ok_call}\n", wire(nested)),
        ] {
            assert_refused_first(&p, &text, message);
        }
        // The same keys in different objects are not duplicates.
        let d = decide(&p, r#"{"tool": "refund", "args": {"a": {"k": 1}, "b": {"k": 2}, "amount": 500}}"#);
        assert_eq!(&*d[0].rule, "/tools/refund/deny_if/args.amount-gt");
    }

    #[test]
    fn a_trace_call_with_arguments_over_the_caps_is_denied_on_every_path() {
        let p = policy(REFUNDS);
        let ok_call = r#"{"tool": "refund", "args": {"amount": 5}}"#;
        let dense = format!("{{\"a\": [{}0]}}", "0,".repeat(crate::args::MAX_ARGUMENT_NODES));
        let long = format!("{{\"s\": \"{}\"}}", "x".repeat(crate::args::MAX_ARGUMENT_BYTES));
        for (args, message) in [
            (dense, format!("Arguments have {} values; the limit is 100000", crate::args::MAX_ARGUMENT_NODES + 3)),
            (long, "Arguments are 1.1 MiB; the limit is 1 MiB".to_string()),
        ] {
            for text in [
                format!("{{\"tool\": \"refund\", \"args\": {args}}}\n{ok_call}\n{ok_call}\n"),
                format!("{{\"tool\": \"refund\", \"args\": {args}, \"grant\": \"\\u0061\"}}\n{ok_call}\n{ok_call}\n"),
                format!("[{{\"tool\": \"refund\", \"args\": {args}}}, {ok_call}, {ok_call}]"),
                format!("[{{\"tool\": \"refund\", \"args\": {args}, \"grant\": \"\\u0061\"}}, {ok_call}, {ok_call}]"),
            ] {
                assert_refused_first(&p, &text, &message);
            }
        }
        // Arguments that are not an object stay an error of the trace, whatever their size.
        let e =
            errs(&format!("{{\"tool\": \"refund\", \"args\": [{}0]}}", "0,".repeat(crate::args::MAX_ARGUMENT_NODES)));
        assert_eq!(e[0].pointer, "/args");
    }
}
