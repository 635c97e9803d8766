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

pub mod args;
pub mod condition;
pub mod decision;
pub mod evaluate;
pub mod fuzzy;
pub mod input_schema;
pub mod json;
pub mod limit;
pub mod lint;
pub mod policy;
pub mod review;
pub mod schema;
pub mod suggest;
pub mod tools;
pub mod trace;
pub mod validate;

pub use decision::{CounterState, Decision, Explain, Outcome};
pub use evaluate::{Call, DEFAULT_GRANT, Engine, LimitPlan, LimitRule, Plan, Policy, parse_policy};
pub use limit::{CounterEntry, CounterSnapshot};
pub use lint::{Warning, lint};
pub use policy::{
    AllTools, Condition, DefaultAction, Limit, Op, PolicyDoc, RequireEntry, Rule, Scope, ToolRules, Window,
};
pub use schema::policy_schema;
pub use suggest::{ToolClass, classify, suggest};
pub use tools::{ToolInfo, filter_tools, parse_tool_list};
pub use validate::{ValidationError, parse_policy_doc};

/// The engine's version (the crate version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The JSON type name of a value, as error messages spell it.
pub fn json_type_name(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
