//! # toolgate-engine
//!
//! Parses, validates and evaluates MCP gateway `policy.json` files (PolicyLayer's format):
//! decisions with reasons, fixed-window rate limits on a virtual clock, `tools/list` filtering,
//! trace simulation, lint against a tool list, and starter policies.
//!
//! The engine does no I/O and never reads a clock: time is an input (`at_ms`). Evaluation of a
//! validated policy never fails — anything that cannot be decided is denied.
//!
//! ```
//! use toolgate_engine::{Call, Engine, Outcome};
//! use serde_json::json;
//!
//! let mut engine = Engine::from_text(r#"{
//!   "version": "1", "default": "deny",
//!   "tools": { "create_refund": {
//!     "deny_if": [ { "conditions": [ { "path": "args.amount", "op": "gt", "value": 10000 } ],
//!                    "on_deny": "Refunds over 10000 need a human." } ],
//!     "limits": [ { "counter": "refunds", "window": "hour", "max": 20 } ] } }
//! }"#).unwrap();
//!
//! let args = json!({ "amount": 50000 });
//! let d = engine.evaluate(&Call::new("create_refund", 1_767_225_600_000).with_args(&args));
//! assert_eq!(d.outcome, Outcome::Deny);
//! assert_eq!(&*d.rule, "/tools/create_refund/deny_if/args.amount-gt");
//! assert_eq!(&*d.message, "Refunds over 10000 need a human.");
//!
//! let d = engine.evaluate(&Call::new("delete_everything", 1_767_225_600_000));
//! assert_eq!(&*d.rule, "(default deny)");
//! ```

// The pipeline, one folder per stage: `diagnostic ← json ← policy ← eval ← {trace, review} ←
// advise` (see `docs/architecture.md`). `json` and `policy` are public (the span-keeping
// reader and the document types are API); the other stages are reached through the
// re-exports below.
mod advise;
mod diagnostic;
mod eval;
pub mod json;
pub mod policy;
pub mod review;
pub mod trace;

// Module paths the CLI, the web app, the tests, the benchmarks and the fuzzer name
// (`toolgate_engine::lint::CODES`, `toolgate_engine::args::read_arguments`, …).
pub use advise::{input_schema, lint, suggest};
pub use eval::{condition, evaluate};
// Kept public on purpose: the window maths (`limit::check`, `used_before`) is what a host-side
// counter store must reproduce, and the edit distance is the one "did you mean" of every tool.
pub use diagnostic::fuzzy;
pub use eval::limit;
// The paths the wasm facade names (`decision::Reservation`, `tools::filter_tools`, …).
pub use eval::{decision, tools};
pub use json::args;
pub use json::json_type_name;
pub use policy::{schema, validate};

pub use advise::lint::{Warning, lint};
pub use advise::suggest::{ToolClass, classify, suggest};
pub use diagnostic::{Collector, Diagnostic, MAX_ERRORS, Severity};
pub use eval::decision::{CounterState, Decision, Explain, Outcome};
pub use eval::evaluate::{Call, DEFAULT_GRANT, Engine, LimitPlan, LimitRule, Plan, Policy, parse_policy};
pub use eval::limit::{CounterEntry, CounterSnapshot};
pub use eval::tools::{ToolInfo, filter_tools, parse_tool_list};
pub use policy::schema::policy_schema;
pub use policy::validate::{ValidationError, parse_policy_doc};
pub use policy::{
    AllTools, Condition, DefaultAction, Limit, Op, Operand, PolicyDoc, RequireEntry, Rule, Scope, ToolRules, Window,
};

/// The engine's version (the crate version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
