//! One type for every located problem the engine reports — policy validation errors, trace,
//! tool-list and test-file errors, lint warnings — and the capped collector that gathers them.
//!
//! A [`Diagnostic`] keeps its two wire shapes (`interfaces.md`): an **error** serialises as
//! `{pointer, message, line, column, help?}` and a **warning** as `{code, pointer, message,
//! help?}`; [`ValidationError`](crate::ValidationError) and [`Warning`](crate::Warning) are
//! names for it. Messages start lowercase, quote user input in backticks and end without a
//! period; `help` is a hint such as "did you mean `deny_if`?" ([`fuzzy::did_you_mean`]).

pub mod fuzzy;

use serde::{Deserialize, Serialize, Serializer};

/// At most this many errors are reported for one document (a 5 MB policy of typos stays
/// readable); a [`Collector`] then adds one "too many errors".
pub const MAX_ERRORS: usize = 1000;

/// How bad a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The document is refused (policy, trace, tool list, test file).
    Error,
    /// The document is valid but probably not what its author meant (lint).
    Warning,
}

/// One located problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning: decides the wire shape (see the module documentation).
    pub severity: Severity,
    /// Stable code of a warning, e.g. `unknown-arg` (empty for errors: their wire shape has none).
    pub code: String,
    /// RFC 6901 pointer to the offending node (`""` for the root).
    pub pointer: String,
    /// What is wrong: lowercase start, user input in backticks.
    pub message: String,
    /// 1-based line, when the document came from text.
    pub line: Option<u32>,
    /// 1-based column, when the document came from text.
    pub column: Option<u32>,
    /// A hint, e.g. "did you mean `deny_if`?".
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `pointer`, not yet located in text.
    pub fn error(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code: String::new(),
            pointer: pointer.into(),
            message: message.into(),
            line: None,
            column: None,
            help: None,
        }
    }

    /// A warning with a stable `code` at `pointer`.
    pub fn warning(code: impl Into<String>, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, code: code.into(), ..Diagnostic::error(pointer, message) }
    }

    /// Located at a 1-based line and column.
    #[must_use]
    pub fn at(mut self, line: u32, column: u32) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// With a hint (`None` leaves it without).
    #[must_use]
    pub fn with_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// Whether this is an error (the document is refused).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.severity == Severity::Warning {
            write!(f, "warning[{}] ", self.code)?;
        }
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, "{l}:{c}: ")?;
        }
        let ptr = if self.pointer.is_empty() { "(root)" } else { &self.pointer };
        write!(f, "{ptr}: {}", self.message)?;
        if let Some(h) = &self.help {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// The error wire shape: `line` and `column` always present (`null` when unknown).
#[derive(Serialize, Deserialize)]
struct ErrorWire<'a> {
    #[serde(borrow)]
    pointer: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    message: std::borrow::Cow<'a, str>,
    line: Option<u32>,
    column: Option<u32>,
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    help: Option<std::borrow::Cow<'a, str>>,
}

/// The warning wire shape: a code first, a position only when known.
#[derive(Serialize)]
struct WarningWire<'a> {
    code: &'a str,
    pointer: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
}

impl Serialize for Diagnostic {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.severity {
            Severity::Error => ErrorWire {
                pointer: self.pointer.as_str().into(),
                message: self.message.as_str().into(),
                line: self.line,
                column: self.column,
                help: self.help.as_deref().map(Into::into),
            }
            .serialize(s),
            Severity::Warning => WarningWire {
                code: &self.code,
                pointer: &self.pointer,
                message: &self.message,
                line: self.line,
                column: self.column,
                help: self.help.as_deref(),
            }
            .serialize(s),
        }
    }
}

/// Either wire shape: one with a `code` is a warning.
#[derive(Deserialize)]
struct AnyWire {
    #[serde(default)]
    code: Option<String>,
    pointer: String,
    message: String,
    #[serde(default)]
    line: Option<u32>,
    #[serde(default)]
    column: Option<u32>,
    #[serde(default)]
    help: Option<String>,
}

impl<'de> Deserialize<'de> for Diagnostic {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = AnyWire::deserialize(d)?;
        let (severity, code) = match w.code {
            Some(code) => (Severity::Warning, code),
            None => (Severity::Error, String::new()),
        };
        Ok(Diagnostic {
            severity,
            code,
            pointer: w.pointer,
            message: w.message,
            line: w.line,
            column: w.column,
            help: w.help,
        })
    }
}

/// Collects errors up to [`MAX_ERRORS`], then adds one "too many errors" and keeps nothing more:
/// whatever a document holds, the list stays readable and the work bounded.
#[derive(Debug, Default)]
pub struct Collector {
    list: Vec<Diagnostic>,
}

impl Collector {
    /// An empty collector.
    pub fn new() -> Self {
        Collector::default()
    }

    /// Adds one diagnostic (ignored once the cap is reached).
    pub fn push(&mut self, d: Diagnostic) {
        if self.list.len() >= MAX_ERRORS {
            return;
        }
        self.list.push(d);
        if self.list.len() == MAX_ERRORS {
            self.list.push(Diagnostic::error("", format!("too many errors: stopped after {MAX_ERRORS}")));
        }
    }

    /// Whether the cap is reached (callers may stop reading).
    pub fn full(&self) -> bool {
        self.list.len() > MAX_ERRORS
    }

    /// Whether nothing was collected.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// How many were collected (the "too many errors" included).
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// The collected diagnostics, in the order they were found.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.list
    }

    /// `Ok(value)` when nothing was collected, else every diagnostic.
    pub fn finish<T>(self, value: T) -> Result<T, Vec<Diagnostic>> {
        if self.list.is_empty() { Ok(value) } else { Err(self.list) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_the_error_wire_shape_with_null_positions() {
        let e = Diagnostic::error("/tools", "bad").with_help(Some("did you mean `x`?".into()));
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"pointer":"/tools","message":"bad","line":null,"column":null,"help":"did you mean `x`?"}"#
        );
        let e = Diagnostic::error("", "bad").at(2, 3);
        assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"pointer":"","message":"bad","line":2,"column":3}"#);
    }

    #[test]
    fn warnings_keep_the_warning_wire_shape_code_first() {
        let w = Diagnostic::warning("unknown-arg", "/tools/a", "no such argument");
        assert_eq!(
            serde_json::to_string(&w).unwrap(),
            r#"{"code":"unknown-arg","pointer":"/tools/a","message":"no such argument"}"#
        );
    }

    #[test]
    fn both_wire_shapes_read_back_to_the_same_diagnostic() {
        let e = Diagnostic::error("/a", "m").at(1, 2).with_help(Some("h".into()));
        let w = Diagnostic::warning("c", "/b", "n");
        for d in [e, w] {
            let text = serde_json::to_string(&d).unwrap();
            assert_eq!(serde_json::from_str::<Diagnostic>(&text).unwrap(), d);
        }
    }

    #[test]
    fn the_collector_stops_after_the_cap_with_one_more_entry_saying_so() {
        let mut c = Collector::new();
        for i in 0..MAX_ERRORS + 10 {
            c.push(Diagnostic::error("", format!("e{i}")));
        }
        assert!(c.full());
        let list = c.into_vec();
        assert_eq!(list.len(), MAX_ERRORS + 1);
        assert!(list.last().unwrap().message.starts_with("too many errors"));
    }

    #[test]
    fn display_shows_position_pointer_message_and_help() {
        let e = Diagnostic::error("", "bad").at(3, 4).with_help(Some("hint".into()));
        assert_eq!(e.to_string(), "3:4: (root): bad (hint)");
        let w = Diagnostic::warning("unknown-tool", "/tools/x", "no tool `x`");
        assert_eq!(w.to_string(), "warning[unknown-tool] /tools/x: no tool `x`");
    }
}
