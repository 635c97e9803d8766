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

mod fast;
mod locate;
mod parse;
mod simulate;
mod summary;
mod time;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use parse::parse_trace;
pub use simulate::{
    SimDecision, Simulation, check_trace, simulate, simulate_summary, simulate_text, simulate_text_with, simulate_with,
    step,
};
pub use summary::{Summary, ToolSummary};
pub use time::{format_rfc3339_ms, parse_rfc3339_ms};

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
    /// [`crate::json::args`]): the call is then denied with rule `(invalid arguments)` and this message,
    /// and `args` is `{}`. `None` for admitted arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}
