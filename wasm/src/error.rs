//! The one failure type across the boundary.

use toolgate_engine::validate::ValidationError;
use wasm_bindgen::prelude::*;

/// A failure across the boundary: which input was wrong (`kind`: `policy`, `call`, `decision`,
/// `plan`, `tools`, `trace`, `state`, `old_policy`, `new_policy` or `tests`) and every problem
/// found in it. Thrown to JS as an object, never as a bare string.
#[wasm_bindgen]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineError {
    kind: &'static str,
    errors: Vec<ValidationError>,
}

#[wasm_bindgen]
impl EngineError {
    /// Which input was wrong.
    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> String {
        self.kind.to_string()
    }

    /// The problems, as a JSON array of `{pointer, message, line, column, help?}`.
    #[wasm_bindgen(getter, js_name = errorsJson)]
    pub fn errors_json(&self) -> String {
        crate::wire::to_json(&self.errors)
    }
}

impl EngineError {
    /// A failure with every problem found.
    pub fn new(kind: &'static str, errors: Vec<ValidationError>) -> Self {
        EngineError { kind, errors }
    }

    /// A failure with one problem, at `pointer`, without a line.
    pub fn one(kind: &'static str, pointer: &str, message: String) -> Self {
        EngineError::new(kind, vec![ValidationError::error(pointer, message)])
    }

    /// Which input was wrong (Rust side of the `kind` getter).
    pub fn kind_str(&self) -> &'static str {
        self.kind
    }

    /// The problems (Rust side of the `errorsJson` getter).
    pub fn errors(&self) -> &[ValidationError] {
        &self.errors
    }
}
