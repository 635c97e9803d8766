//! Finding the place in the JSON text that a problem points at (a JSON pointer, or a line and
//! column), so clicking a problem can highlight it.

use toolgate_engine::json::{self, LineIndex, Node};

/// A place in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Start byte offset.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
    /// 1-based line of the start.
    pub line: u32,
}

/// The text a pointer designates: for an object member, from its key to the end of its value;
/// when the pointer goes deeper than the document, the deepest node that exists.
pub fn locate_pointer(text: &str, pointer: &str) -> Option<Span> {
    let root = json::parse(text).ok()?;
    let idx = LineIndex::new(text);
    let (start, end) = walk(&root, pointer);
    Some(Span { start, end, line: idx.pos(start).line })
}

fn walk(root: &Node, pointer: &str) -> (usize, usize) {
    let target = root.find_pointer(pointer);
    (target.start, target.node.end)
}

/// The span of a whole line (1-based), for problems known only by line and column.
pub fn line_span(text: &str, line: u32, column: u32) -> Span {
    let line = line.max(1);
    let mut start = 0;
    for _ in 1..line {
        match text.get(start..).and_then(|rest| rest.find('\n')) {
            Some(nl) => start += nl + 1,
            None => break,
        }
    }
    let end = text.get(start..).and_then(|rest| rest.find('\n')).map_or(text.len(), |nl| start + nl);
    let col_offset = text
        .get(start..end)
        .and_then(|l| l.char_indices().nth(column.saturating_sub(1) as usize))
        .map_or(start, |(i, _)| start + i);
    // Highlight from the column to the end of the line (the whole line when that is empty).
    let from = if col_offset < end { col_offset } else { start };
    Span { start: from, end, line }
}

/// A byte offset as a UTF-16 offset (what a textarea's selection uses).
pub fn utf16_offset(text: &str, byte: usize) -> u32 {
    let byte = byte.min(text.len());
    let mut b = byte;
    while b > 0 && !text.is_char_boundary(b) {
        b -= 1;
    }
    let n: usize = text.get(..b).map_or(0, |s| s.chars().map(char::len_utf16).sum());
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Number of lines in a text (at least 1).
pub fn line_count(text: &str) -> usize {
    text.bytes().filter(|b| *b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "{\n  \"version\": \"1\",\n  \"default\": \"deny\",\n  \"tools\": {\n    \"a/b\": {\"deny_if\": [{\"conditions\": []}]}\n  }\n}";

    #[test]
    fn pointers_find_their_member() {
        let s = locate_pointer(TEXT, "/default").unwrap();
        assert_eq!(&TEXT[s.start..s.end], "\"default\": \"deny\"");
        assert_eq!(s.line, 3);
        let s = locate_pointer(TEXT, "/tools/a~1b/deny_if/0").unwrap();
        assert_eq!(&TEXT[s.start..s.end], "{\"conditions\": []}");
        assert_eq!(s.line, 5);
    }

    #[test]
    fn pointers_past_the_document_stop_at_the_deepest_node() {
        let s = locate_pointer(TEXT, "/tools/a~1b/limits/0/max").unwrap();
        assert!(TEXT[s.start..s.end].starts_with("\"a/b\""));
        let s = locate_pointer(TEXT, "").unwrap();
        assert_eq!((s.start, s.end, s.line), (0, TEXT.len(), 1));
        assert_eq!(locate_pointer("{", "/x"), None);
    }

    #[test]
    fn lines_are_found_by_number_and_column() {
        let s = line_span(TEXT, 3, 3);
        assert_eq!(&TEXT[s.start..s.end], "\"default\": \"deny\",");
        let s = line_span(TEXT, 99, 1);
        assert_eq!(&TEXT[s.start..s.end], "}");
        let s = line_span("a\n\nb", 2, 1);
        assert_eq!((s.start, s.end), (2, 2));
    }

    #[test]
    fn utf16_offsets_count_surrogate_pairs() {
        let t = "é😀x";
        assert_eq!(utf16_offset(t, 0), 0);
        assert_eq!(utf16_offset(t, 2), 1);
        assert_eq!(utf16_offset(t, 6), 3);
        assert_eq!(utf16_offset(t, 7), 4);
        assert_eq!(utf16_offset(t, 3), 1, "inside a character counts up to its start");
        assert_eq!(line_count("a\nb\n"), 3);
    }
}
