//! Byte scanners over JSON text that build nothing: what a reader must know before it spends
//! memory on the text (how many values, how deep). One loop skips strings for all of them.

/// Calls `f` with every byte outside strings (string contents and their quotes skipped, escapes
/// included) and the index just after it, in order, until `f` returns `false`.
#[inline]
fn outside_strings(text: &str, mut f: impl FnMut(u8, usize) -> bool) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        if b == b'"' {
            while let Some(&c) = bytes.get(i) {
                i += 1;
                match c {
                    b'\\' => i += 1,
                    b'"' => break,
                    _ => {}
                }
            }
        } else if !f(b, i) {
            return;
        }
    }
}

/// The number of values in JSON text: 1 + commas + non-empty arrays and objects (commas and
/// brackets inside strings skipped). Exact for valid JSON; for invalid text only an estimate (the
/// parser then reports the syntax error).
pub fn count_values(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut n = 1usize;
    outside_strings(text, |b, i| {
        match b {
            b',' => n += 1,
            b'[' | b'{' => {
                let close = if b == b'[' { b']' } else { b'}' };
                let next = bytes.get(i..).and_then(|rest| rest.iter().find(|c| !c.is_ascii_whitespace()));
                if next.is_some_and(|c| *c != close) {
                    n += 1;
                }
            }
            _ => {}
        }
        true
    });
    n
}

/// Whether the brackets of JSON `text` nest deeper than `limit` (brackets in strings skipped).
pub fn nests_deeper(text: &str, limit: usize) -> bool {
    let (mut depth, mut deeper) = (0usize, false);
    outside_strings(text, |b, _| {
        match b {
            b'[' | b'{' => {
                depth += 1;
                deeper = depth > limit;
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        !deeper
    });
    deeper
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_and_commas_inside_strings_do_not_count() {
        assert_eq!(count_values(r#"{"a,[": "x,{y}\"]", "b": [1, 2, {}]}"#), 6);
        assert_eq!(count_values("[]"), 1);
        assert!(!nests_deeper(r#"[["[[[[\"[["]]"#, 2));
        assert!(nests_deeper("[[[]]]", 2));
        assert!(!nests_deeper("[[]][[]]", 2), "depth falls back after each close");
    }
}
