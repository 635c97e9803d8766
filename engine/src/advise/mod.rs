//! Advice on a policy against a server's tool list: lint warnings ([`lint`]), starter policies
//! ([`suggest`]) and the one reader of a tool's `inputSchema` ([`input_schema`]).

pub mod input_schema;
pub mod lint;
pub mod suggest;
