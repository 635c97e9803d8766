//! Diagnostics for people: `file:line:col: error: message`, a source snippet with a caret, the
//! JSON pointer, and the help line (rustc / ruff style).

use std::io::{self, IsTerminal, Write};

use toolgate_engine::ValidationError;
use toolgate_engine::json::{self, Node};
use toolgate_engine::lint::Warning;

/// ANSI styling, on only for a terminal with `NO_COLOR` unset.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    on: bool,
}

impl Style {
    /// Styling for standard output.
    pub fn stdout() -> Self {
        Style { on: io::stdout().is_terminal() && no_color_unset() }
    }

    /// Styling for standard error.
    pub fn stderr() -> Self {
        Style { on: io::stderr().is_terminal() && no_color_unset() }
    }

    /// No styling (text kept for files, e.g. inside JUnit XML).
    pub fn plain() -> Self {
        Style { on: false }
    }

    /// Wraps `text` in an SGR sequence (`"1;31"` = bold red) when styling is on.
    pub fn paint(self, sgr: &str, text: &str) -> String {
        if self.on { format!("\x1b[{sgr}m{text}\x1b[0m") } else { text.to_string() }
    }
}

fn no_color_unset() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A file's text with its name, for snippets and positions.
pub struct Source<'a> {
    /// The name shown in diagnostics (`<stdin>` for `-`).
    pub name: &'a str,
    /// The text.
    pub text: &'a str,
    line_starts: std::cell::OnceCell<Vec<usize>>,
    tree: std::cell::OnceCell<Option<Node>>,
}

impl<'a> Source<'a> {
    /// A source.
    pub fn new(name: &'a str, text: &'a str) -> Self {
        Source { name, text, line_starts: std::cell::OnceCell::new(), tree: std::cell::OnceCell::new() }
    }

    fn line_text(&self, line: u32) -> Option<&'a str> {
        let starts = self
            .line_starts
            .get_or_init(|| std::iter::once(0).chain(self.text.match_indices('\n').map(|(i, _)| i + 1)).collect());
        let i = usize::try_from(line).ok()?.checked_sub(1)?;
        let start = *starts.get(i)?;
        let end = starts.get(i + 1).map_or(self.text.len(), |e| e.saturating_sub(1));
        self.text.get(start..end).map(|l| l.strip_suffix('\r').unwrap_or(l))
    }

    /// Line and column of the node a JSON pointer names (the key, for an object member).
    pub fn locate(&self, pointer: &str) -> Option<(u32, u32)> {
        let root = self.tree.get_or_init(|| json::parse(self.text).ok()).as_ref()?;
        let target = root.find_pointer(pointer);
        if !target.complete {
            return None;
        }
        let offset = target.start;
        let pos = json::LineIndex::new(self.text).pos(offset);
        Some((pos.line, pos.column))
    }
}

/// The severity of one diagnostic.
#[derive(Debug, Clone, Copy)]
pub enum Level<'a> {
    /// An error.
    Error,
    /// A warning with its code.
    Warning(&'a str),
}

/// Writes one diagnostic.
#[expect(clippy::too_many_arguments, reason = "one diagnostic's parts, passed as they are")]
pub fn write_one(
    out: &mut dyn Write,
    style: Style,
    src: &Source<'_>,
    level: Level<'_>,
    pointer: &str,
    message: &str,
    pos: Option<(u32, u32)>,
    help: Option<&str>,
) -> io::Result<()> {
    let (label, colour) = match level {
        Level::Error => ("error".to_string(), "1;31"),
        Level::Warning(code) => (format!("warning[{code}]"), "1;33"),
    };
    let head = match pos {
        Some((l, c)) => format!("{}:{l}:{c}:", src.name),
        None => format!("{}:", src.name),
    };
    writeln!(out, "{} {}: {}", style.paint("1", &head), style.paint(colour, &label), style.paint("1", message))?;
    let at = if pointer.is_empty() { "at the document root".to_string() } else { format!("at {pointer}") };
    let snippet = pos.and_then(|(l, c)| src.line_text(l).map(|t| (l, c, t)));
    match snippet {
        Some((line, column, text)) => {
            let gutter = line.to_string();
            let pad = " ".repeat(gutter.len());
            let (shown, caret) = window(text, column);
            let bar = style.paint("1;34", "|");
            writeln!(out, "{pad} {bar}")?;
            writeln!(out, "{} {bar} {shown}", style.paint("1;34", &gutter))?;
            writeln!(out, "{pad} {bar} {}{} {at}", " ".repeat(caret), style.paint(colour, "^"))?;
            if let Some(h) = help {
                writeln!(out, "{pad} {} {}: {h}", style.paint("1;34", "="), style.paint("1", "help"))?;
            }
        }
        None => {
            writeln!(out, "  {at}")?;
            if let Some(h) = help {
                writeln!(out, "  {}: {h}", style.paint("1", "help"))?;
            }
        }
    }
    Ok(())
}

/// At most ~100 characters of a line around `column` (1-based), tabs as spaces; returns the text
/// and the caret's 0-based offset in it.
fn window(line: &str, column: u32) -> (String, usize) {
    const BEFORE: usize = 40;
    const WIDTH: usize = 100;
    let chars: Vec<char> = line.chars().map(|c| if c == '\t' { ' ' } else { c }).collect();
    let col = usize::try_from(column).unwrap_or(1).saturating_sub(1).min(chars.len());
    let start = if chars.len() > WIDTH { col.saturating_sub(BEFORE) } else { 0 };
    let end = (start + WIDTH).min(chars.len());
    let mut shown: String = chars.get(start..end).unwrap_or_default().iter().collect();
    let mut caret = col - start;
    if start > 0 {
        shown.insert(0, '…');
        caret += 1;
    }
    if end < chars.len() {
        shown.push('…');
    }
    (shown, caret)
}

/// Writes validation errors of one source.
pub fn write_errors(out: &mut dyn Write, style: Style, src: &Source<'_>, errors: &[ValidationError]) -> io::Result<()> {
    for e in errors {
        let pos = e.line.zip(e.column);
        write_one(out, style, src, Level::Error, &e.pointer, &e.message, pos, e.help.as_deref())?;
    }
    Ok(())
}

/// Writes lint warnings of one source, located through their pointers.
pub fn write_warnings(out: &mut dyn Write, style: Style, src: &Source<'_>, warnings: &[Warning]) -> io::Result<()> {
    for w in warnings {
        let pos = src.locate(&w.pointer);
        write_one(out, style, src, Level::Warning(&w.code), &w.pointer, &w.message, pos, w.help.as_deref())?;
    }
    Ok(())
}

/// `1 error`, `2 errors`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_windowed_around_the_column() {
        let line = "x".repeat(300);
        let (shown, caret) = window(&line, 200);
        assert!(shown.starts_with('…') && shown.ends_with('…'));
        assert_eq!(caret, 41);
        assert_eq!(window("\tab", 2), (" ab".to_string(), 1));
        assert_eq!(window("ab", 9), ("ab".to_string(), 2));
    }

    #[test]
    fn pointers_locate_keys_and_items() {
        let src = Source::new("p.json", "{\n  \"hide\": [\"a\", \"b\"],\n  \"tools\": {\"x/y\": {}}\n}");
        assert_eq!(src.locate("/hide/1"), Some((2, 17)));
        assert_eq!(src.locate("/tools/x~1y"), Some((3, 13)));
        assert_eq!(src.locate(""), Some((1, 1)));
        assert_eq!(src.locate("/nope"), None);
        assert_eq!(src.line_text(2), Some("  \"hide\": [\"a\", \"b\"],"));
        assert_eq!(src.line_text(9), None);
    }
}
