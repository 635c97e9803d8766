//! JSON in: the span-keeping reader ([`reader`]), the helpers every located reader shares
//! ([`read`]: describe, child pointers, key checks), JSON Pointers ([`pointer`](mod@pointer)) and
//! the reading of a call's argument text ([`args`]) with the byte scanners it and the trace
//! fast path share ([`scan`]).

pub mod args;
pub mod pointer;
pub mod read;
pub mod reader;
pub mod scan;

pub use pointer::{escape_pointer_segment, pointer};
pub use read::{child, describe, key_help, key_problems, repeated};
pub use reader::{Kind, LineIndex, MAX_DEPTH, Member, Node, PointerTarget, Pos, SyntaxError, parse};

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
