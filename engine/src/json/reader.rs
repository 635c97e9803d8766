//! A small JSON parser that remembers where every value and key came from.
//!
//! `serde_json` is used for argument values, but policies need positions: every validation error
//! names a line and column, and `tools/list` filtering copies the bytes of each kept tool exactly.
//! This parser is iterative-safe (nesting is capped at [`MAX_DEPTH`]), never panics, and reports
//! the first syntax error with its line and column.

use serde_json::{Map, Number, Value};

/// Deepest nesting of arrays and objects accepted. Deeper documents are rejected with a located
/// error instead of exhausting the stack.
pub const MAX_DEPTH: usize = 128;

/// A position in the source text: byte offset, 1-based line and 1-based column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// Byte offset from the start of the text.
    pub offset: usize,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in Unicode scalar values.
    pub column: u32,
}

/// A parsed JSON value with the span it occupies in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Byte offset where the value starts.
    pub start: usize,
    /// Byte offset just past the value.
    pub end: usize,
    /// The value itself.
    pub kind: Kind,
}

/// An object member: key, where the key starts, and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The key, unescaped.
    pub key: String,
    /// Byte offset of the key's opening quote.
    pub key_pos: usize,
    /// The value.
    pub value: Node,
}

/// The kinds of JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A finite number.
    Number(Number),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Node>),
    /// An object, members in document order (duplicates kept; the validator reports them).
    Object(Vec<Member>),
}

impl Kind {
    /// The JSON type name, as used in error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool(_) => "boolean",
            Kind::Number(_) => "number",
            Kind::String(_) => "string",
            Kind::Array(_) => "array",
            Kind::Object(_) => "object",
        }
    }
}

impl Node {
    /// Converts to a `serde_json::Value` (later duplicate keys win, as in `serde_json`).
    pub fn to_value(&self) -> Value {
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Number(n) => Value::Number(n.clone()),
            Kind::String(s) => Value::String(s.clone()),
            Kind::Array(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            Kind::Object(members) => {
                let mut map = Map::with_capacity(members.len());
                for m in members {
                    map.insert(m.key.clone(), m.value.to_value());
                }
                Value::Object(map)
            }
        }
    }

    /// The member named `key` of an object node (the last one, if duplicated).
    pub fn get(&self, key: &str) -> Option<&Member> {
        match &self.kind {
            Kind::Object(members) => members.iter().rev().find(|m| m.key == key),
            _ => None,
        }
    }
}

/// Where a JSON pointer leads in a tree: the deepest node it reaches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointerTarget<'n> {
    /// The deepest node reached.
    pub node: &'n Node,
    /// Where it starts in the text: the key, for an object member; the value otherwise.
    pub start: usize,
    /// Whether the whole pointer resolved (false when it goes deeper than the document).
    pub complete: bool,
}

impl Node {
    /// Follows an RFC 6901 pointer (`~1` → `/`, `~0` → `~`; a duplicated key resolves to its last
    /// occurrence, as [`Node::get`] and `serde_json` do) as far as the document goes.
    pub fn find_pointer(&self, pointer: &str) -> PointerTarget<'_> {
        let mut target = PointerTarget { node: self, start: self.start, complete: true };
        for raw in pointer.split('/').skip(1) {
            let seg = raw.replace("~1", "/").replace("~0", "~");
            let next = match &target.node.kind {
                Kind::Object(_) => target.node.get(&seg).map(|m| (&m.value, m.key_pos)),
                Kind::Array(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)).map(|n| (n, n.start)),
                _ => None,
            };
            match next {
                Some((node, start)) => target = PointerTarget { node, start, complete: true },
                None => return PointerTarget { complete: false, ..target },
            }
        }
        target
    }
}

/// A syntax error: what went wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Human-readable description, lowercase, no final period.
    pub message: String,
    /// Where the parser stopped.
    pub pos: Pos,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at line {} column {}", self.message, self.pos.line, self.pos.column)
    }
}

impl std::error::Error for SyntaxError {}

impl SyntaxError {
    /// The error as a located diagnostic (`invalid JSON: …`), for text whose first line is line
    /// `first_line` of the input (1 for a whole document, the line number for JSON Lines).
    pub fn diagnostic(&self, first_line: u32) -> crate::diagnostic::Diagnostic {
        crate::diagnostic::Diagnostic::error("", format!("invalid JSON: {}", self.message))
            .at(self.pos.line.saturating_add(first_line.saturating_sub(1)), self.pos.column)
    }
}

/// Parses a complete JSON document (surrounding whitespace allowed, a leading BOM skipped).
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut p = Parser::new(text);
    if p.bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        p.i = 3;
    }
    p.ws();
    if p.i >= p.bytes.len() {
        return Err(p.err("empty document: expected a JSON value"));
    }
    let node = p.value(0)?;
    p.ws();
    if p.i < p.bytes.len() {
        return Err(p.err("unexpected text after the JSON value"));
    }
    Ok(node)
}

/// Maps byte offsets of one text to lines and columns (built once, queried per error).
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    /// Built on the first query: valid documents never need it.
    line_starts: std::cell::OnceCell<Vec<usize>>,
}

impl<'a> LineIndex<'a> {
    /// Indexes the line starts of `text`.
    pub fn new(text: &'a str) -> Self {
        LineIndex { text, line_starts: std::cell::OnceCell::new() }
    }

    /// The line and column of a byte offset (clamped to the text).
    pub fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.text.len());
        let line_starts = self.line_starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(self.text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
            starts
        });
        let line_idx = line_starts.partition_point(|s| *s <= offset).saturating_sub(1);
        let line_start = line_starts.get(line_idx).copied().unwrap_or(0);
        let column = self.text.get(line_start..offset).map_or(offset - line_start, |s| s.chars().count()) + 1;
        Pos { offset, line: saturate(line_idx + 1), column: saturate(column) }
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    i: usize,
    line: u32,
    line_start: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser { text, bytes: text.as_bytes(), i: 0, line: 1, line_start: 0 }
    }

    fn pos(&self) -> Pos {
        self.pos_at(self.i)
    }

    /// Position of an offset on the current line (only computed for errors).
    fn pos_at(&self, offset: usize) -> Pos {
        let col = self
            .text
            .get(self.line_start..offset)
            .map_or(offset.saturating_sub(self.line_start), |s| s.chars().count());
        Pos { offset, line: self.line, column: saturate(col + 1) }
    }

    fn err(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError { message: message.into(), pos: self.pos() }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'\n' => {
                    self.i += 1;
                    self.line = self.line.saturating_add(1);
                    self.line_start = self.i;
                }
                _ => break,
            }
        }
    }

    fn describe_here(&self) -> String {
        match self.text.get(self.i..).and_then(|s| s.chars().next()) {
            None => "end of input".to_string(),
            Some(c) if c.is_control() => format!("control character U+{:04X}", c as u32),
            Some(c) => format!("`{c}`"),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        let start = self.i;
        let kind = match self.peek() {
            None => return Err(self.err("unexpected end of input: expected a JSON value")),
            Some(b'{') => {
                if depth >= MAX_DEPTH {
                    return Err(self.err(format!("nesting deeper than {MAX_DEPTH} levels")));
                }
                self.object(depth)?
            }
            Some(b'[') => {
                if depth >= MAX_DEPTH {
                    return Err(self.err(format!("nesting deeper than {MAX_DEPTH} levels")));
                }
                self.array(depth)?
            }
            Some(b'"') => Kind::String(self.string()?),
            Some(b't') => self.literal("true", Kind::Bool(true))?,
            Some(b'f') => self.literal("false", Kind::Bool(false))?,
            Some(b'n') => self.literal("null", Kind::Null)?,
            Some(b'-' | b'0'..=b'9') => Kind::Number(self.number()?),
            Some(b'\'') => return Err(self.err("strings must use double quotes, not `'`")),
            Some(_) => {
                return Err(self.err(format!("expected a JSON value, found {}", self.describe_here())));
            }
        };
        Ok(Node { start, end: self.i, kind })
    }

    fn literal(&mut self, word: &str, kind: Kind) -> Result<Kind, SyntaxError> {
        if self.bytes.get(self.i..self.i + word.len()) == Some(word.as_bytes()) {
            self.i += word.len();
            Ok(kind)
        } else {
            Err(self.err(format!("expected `{word}`, found {}", self.describe_here())))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Kind, SyntaxError> {
        self.i += 1; // {
        let mut members = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Kind::Object(members));
        }
        loop {
            self.ws();
            match self.peek() {
                Some(b'"') => {}
                Some(b'}') if !members.is_empty() => {
                    return Err(self.err("trailing comma before `}`"));
                }
                _ => {
                    return Err(
                        self.err(format!("expected a string key in double quotes, found {}", self.describe_here()))
                    );
                }
            }
            let key_pos = self.i;
            let key = self.string()?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.err(format!("expected `:` after key, found {}", self.describe_here())));
            }
            self.i += 1;
            self.ws();
            let value = self.value(depth + 1)?;
            members.push(Member { key, key_pos, value });
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Kind::Object(members));
                }
                _ => {
                    return Err(
                        self.err(format!("expected `,` or `}}` after object member, found {}", self.describe_here()))
                    );
                }
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Kind, SyntaxError> {
        self.i += 1; // [
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Kind::Array(items));
        }
        loop {
            self.ws();
            if self.peek() == Some(b']') && !items.is_empty() {
                return Err(self.err("trailing comma before `]`"));
            }
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Kind::Array(items));
                }
                _ => {
                    return Err(
                        self.err(format!("expected `,` or `]` after array element, found {}", self.describe_here()))
                    );
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => u32::from(b - b'0'),
                Some(b @ b'a'..=b'f') => u32::from(b - b'a' + 10),
                Some(b @ b'A'..=b'F') => u32::from(b - b'A' + 10),
                _ => return Err(self.err("invalid \\u escape: expected 4 hex digits")),
            };
            v = v * 16 + d;
            self.i += 1;
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        self.i += 1; // opening quote
        let mut out = String::new();
        loop {
            let run_start = self.i;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.i += 1;
            }
            if let Some(run) = self.text.get(run_start..self.i) {
                out.push_str(run);
            }
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.i += 1;
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if self.bytes.get(self.i..self.i + 2) != Some(b"\\u") {
                                    return Err(self.err("unpaired surrogate in \\u escape"));
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err("invalid low surrogate in \\u escape"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return Err(self.err("unpaired surrogate in \\u escape"));
                            } else {
                                hi
                            };
                            out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                            continue;
                        }
                        _ => {
                            return Err(self.err(format!(
                                "invalid escape `\\{}` in string",
                                self.text.get(self.i..).and_then(|s| s.chars().next()).unwrap_or(' ')
                            )));
                        }
                    };
                    self.i += 1;
                    out.push(c);
                }
                Some(_) => {
                    return Err(self.err(format!("{} inside a string must be escaped", self.describe_here())));
                }
            }
        }
    }

    fn number(&mut self) -> Result<Number, SyntaxError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.i += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(self.err("numbers must not have leading zeros"));
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.err("invalid number: expected a digit")),
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            float = true;
            self.i += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("invalid number: expected a digit after `.`"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            float = true;
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("invalid number: expected a digit in the exponent"));
            }
            self.digits();
        }
        let lexeme = self.text.get(start..self.i).unwrap_or("0");
        if !float {
            if let Ok(n) = lexeme.parse::<i64>() {
                return Ok(Number::from(n));
            }
            if let Ok(n) = lexeme.parse::<u64>() {
                return Ok(Number::from(n));
            }
        }
        let f: f64 = lexeme.parse().unwrap_or(f64::INFINITY);
        Number::from_f64(f).ok_or_else(|| SyntaxError {
            message: format!("number `{lexeme}` is out of range"),
            pos: self.pos_at(start),
        })
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        let node = parse("{\n  \"a\": [1, true]\n}").unwrap();
        let m = node.get("a").unwrap();
        let idx = LineIndex::new("{\n  \"a\": [1, true]\n}");
        let k = idx.pos(m.key_pos);
        assert_eq!((k.line, k.column), (2, 3));
        let v = idx.pos(m.value.start);
        assert_eq!((v.line, v.column), (2, 8));
    }

    #[test]
    fn broken_json_reports_line_and_column() {
        let e = parse("{\n  \"a\": 1,\n  \"b\" 2\n}").unwrap_err();
        assert_eq!((e.pos.line, e.pos.column), (3, 7));
        assert!(e.message.contains("expected `:`"), "{}", e.message);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = "[".repeat(10_000) + &"]".repeat(10_000);
        let e = parse(&text).unwrap_err();
        assert!(e.message.contains("nesting"), "{}", e.message);
        let text = "{\"a\":".repeat(10_000) + "1" + &"}".repeat(10_000);
        assert!(parse(&text).is_err());
    }

    #[test]
    fn huge_numbers_are_rejected_and_negative_zero_kept() {
        let e = parse("1e400").unwrap_err();
        assert!(e.message.contains("out of range"));
        assert!(parse("-1e400").is_err());
        let n = parse("-0").unwrap();
        assert_eq!(n.to_value(), serde_json::json!(0));
        let n = parse("-0.0").unwrap();
        assert!(matches!(n.kind, Kind::Number(_)));
        let n = parse("18446744073709551615").unwrap();
        assert_eq!(n.to_value(), serde_json::json!(u64::MAX));
    }

    #[test]
    fn invalid_escapes_are_located() {
        let e = parse(r#"{"a": "x\q"}"#).unwrap_err();
        assert!(e.message.contains("invalid escape"), "{}", e.message);
        assert_eq!(e.pos.column, 10);
        assert!(parse(r#""\ud800""#).is_err());
        assert!(parse(r#""\u12""#).is_err());
        assert_eq!(parse(r#""\ud83d\ude00 \u00e9""#).unwrap().to_value(), serde_json::json!("😀 é"));
    }

    #[test]
    fn trailing_commas_and_garbage_are_errors() {
        assert!(parse("[1,]").unwrap_err().message.contains("trailing comma"));
        assert!(parse("{\"a\":1,}").unwrap_err().message.contains("trailing comma"));
        assert!(parse("{} x").unwrap_err().message.contains("after the JSON value"));
        assert!(parse("").unwrap_err().message.contains("empty"));
        assert!(parse("{'a':1}").is_err());
        assert!(parse("\"a\nb\"").is_err());
        assert!(parse("01").is_err());
        assert!(parse("1.").is_err());
        assert!(parse("tru").is_err());
    }

    #[test]
    fn spans_cover_exact_bytes() {
        let text = r#"{"tools": [ {"name":"a"} , {"name":"b"}]}"#;
        let node = parse(text).unwrap();
        let Kind::Array(items) = &node.get("tools").unwrap().value.kind else { panic!() };
        assert_eq!(&text[items[0].start..items[0].end], r#"{"name":"a"}"#);
        assert_eq!(&text[items[1].start..items[1].end], r#"{"name":"b"}"#);
    }

    #[test]
    fn pointers_lead_to_keys_and_stop_where_the_document_ends() {
        let text = r#"{"tools": {"a/b": {"limits": [{"max": 1}]}, "x": 1, "x": 2}}"#;
        let root = parse(text).unwrap();
        let t = root.find_pointer("/tools/a~1b/limits/0/max");
        assert!(t.complete);
        assert_eq!(&text[t.start..t.node.end], r#""max": 1"#);
        let t = root.find_pointer("/tools/a~1b/limits/7/max");
        assert!(!t.complete);
        assert_eq!(&text[t.start..t.node.end], r#""limits": [{"max": 1}]"#);
        assert_eq!(root.find_pointer("/tools/x").node.to_value(), serde_json::json!(2));
        assert!(root.find_pointer("").complete);
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let e = parse("{\"é\": x}").unwrap_err();
        assert_eq!(e.pos.column, 7);
        assert_eq!(LineIndex::new("ab\ncé d").pos(6), Pos { offset: 6, line: 2, column: 3 });
    }
}
