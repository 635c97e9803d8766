//! The policy document: its types ([`doc`]), argument paths ([`path`]), the `regex` operand
//! ([`regex`]), validation of the text with located errors ([`validate`]) and the JSON Schema
//! ([`schema`]).

pub mod doc;
pub mod path;
pub mod regex;
pub mod schema;
pub mod validate;

pub use doc::{
    AllTools, Condition, DefaultAction, Limit, Op, Operand, PolicyDoc, RequireEntry, Rule, Scope, ToolRules, Window,
};
