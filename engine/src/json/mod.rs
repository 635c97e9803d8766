//! JSON in: the span-keeping reader ([`reader`]), JSON Pointers ([`pointer`](mod@pointer)) and the reading of
//! a call's argument text ([`args`]).

pub mod args;
pub mod pointer;
pub mod reader;

pub use pointer::{escape_pointer_segment, pointer};
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
