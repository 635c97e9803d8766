//! Output of the policy change safety commands: `diff`, `test`, `--coverage` and tool drift.
//! Printing only; every result comes from `toolgate_engine::review`.

use std::io::{self, Write};

use toolgate_engine::review::{Coverage, PolicyDiff, TestReport, ToolDrift};
use toolgate_engine::trace::{Summary, format_rfc3339_ms};
use toolgate_engine::{Decision, PolicyDoc};

use crate::diag::{Style, plural};
use crate::sim::outcome_colour;

/// Writes pretty JSON and a newline.
pub fn write_json<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::from)?;
    writeln!(out)
}

fn json_text(v: &serde_json::Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// One decision on one line (outcome, rule, message, retry-after, counters), then one line per
/// evaluated condition, each prefixed with `indent`.
pub fn write_decision(out: &mut dyn Write, style: Style, indent: &str, label: &str, d: &Decision) -> io::Result<()> {
    let mut line = style.paint(outcome_colour(d.outcome.as_str()), d.outcome.as_str());
    if !d.rule.is_empty() {
        line.push_str("  ");
        line.push_str(&d.rule);
    }
    if !d.message.is_empty() {
        line.push_str(&format!("  \"{}\"", d.message));
    }
    if let Some(ms) = d.retry_after_ms {
        line.push_str(&format!("  retry after {ms}ms"));
    }
    if !d.counters.is_empty() {
        let c: Vec<String> = d.counters.iter().map(|c| format!("{} {}/{}", c.counter, c.used, c.max)).collect();
        line.push_str(&format!("  [{}]", c.join(", ")));
    }
    writeln!(out, "{indent}{label}{line}")?;
    let pad = " ".repeat(label.chars().count());
    for e in &d.explain {
        let holds = if e.holds { "holds" } else { "does not hold" };
        writeln!(
            out,
            "{indent}{pad}  {} {} {}: actual {} ({holds})",
            e.path,
            e.op.as_str(),
            json_text(&e.expected),
            json_text(&e.actual)
        )?;
    }
    Ok(())
}

fn outcome_counts(s: &Summary) -> String {
    format!("{} allowed, {} denied, {} hidden, {} rate_limited", s.allowed, s.denied, s.hidden, s.rate_limited)
}

/// A pointer, with the name it hides for a `hide` entry (`/hide/0` alone says little).
fn entry_label(pointer: &str, doc: Option<&PolicyDoc>) -> String {
    let name = pointer
        .strip_prefix("/hide/")
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| doc?.hide.as_ref()?.get(i).cloned());
    match name {
        Some(n) => format!("{pointer}  (hide `{n}`)"),
        None => pointer.to_string(),
    }
}

/// `toolgate diff` for a PR comment: rule-level difference, then the replay — counts by
/// transition first, then the first `limit` changed calls in full (0 = all).
pub fn write_diff_text(
    out: &mut dyn Write,
    style: Style,
    names: (&str, &str, Option<&str>),
    docs: (Option<&PolicyDoc>, Option<&PolicyDoc>),
    d: &PolicyDiff,
    limit: usize,
) -> io::Result<()> {
    let (old, new, trace) = names;
    writeln!(out, "{} {old} -> {new}", style.paint("1", "policy diff:"))?;
    writeln!(out)?;
    let r = &d.rules;
    if r.is_empty() {
        writeln!(out, "rules: no entry added, removed or changed")?;
    } else {
        writeln!(out, "rules: {} added, {} removed, {} changed", r.added.len(), r.removed.len(), r.changed.len())?;
        for p in &r.added {
            writeln!(out, "  {} {}", style.paint("32", "+"), entry_label(p, docs.1))?;
        }
        for p in &r.removed {
            writeln!(out, "  {} {}", style.paint("31", "-"), entry_label(p, docs.0))?;
        }
        for p in &r.changed {
            writeln!(out, "  {} {}", style.paint("33", "~"), entry_label(p, docs.1))?;
        }
    }
    let Some(trace) = trace.filter(|_| d.replayed) else {
        writeln!(out)?;
        return writeln!(out, "no trace given: pass one (e.g. a gateway --record file) to see which calls change");
    };
    let s = &d.summary;
    writeln!(out)?;
    writeln!(
        out,
        "{}: {} replayed through both policies, {} change",
        trace,
        plural(s.calls, "call"),
        plural(s.changed, "decision")
    )?;
    let width = s.transitions.keys().map(|k| k.len()).max().unwrap_or(0);
    for (t, n) in &s.transitions {
        writeln!(out, "  {t:<width$}  {n}")?;
    }
    writeln!(out, "  before: {}", outcome_counts(&s.before))?;
    writeln!(out, "  after:  {}", outcome_counts(&s.after))?;
    let shown = if limit == 0 { d.changes.len() } else { limit.min(d.changes.len()) };
    for c in d.changes.iter().take(shown) {
        writeln!(out)?;
        writeln!(
            out,
            "{}  {}  {}  {}",
            style.paint("1", &format!("#{}", c.index)),
            format_rfc3339_ms(c.at_ms),
            c.grant,
            c.tool
        )?;
        write_decision(out, style, "  ", "before: ", &c.before)?;
        write_decision(out, style, "  ", "after:  ", &c.after)?;
    }
    if shown < d.changes.len() {
        writeln!(out)?;
        writeln!(
            out,
            "… {} not shown (--limit 0 shows all, --format json prints every one)",
            plural(d.changes.len() - shown, "more change")
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{} of {} change", s.changed, plural(s.calls, "call"))
}

/// The coverage table: hits per entry, uncovered entries marked.
pub fn write_coverage_text(out: &mut dyn Write, style: Style, c: &Coverage) -> io::Result<()> {
    let covered = c.entries.len() - c.uncovered.len();
    writeln!(out)?;
    writeln!(
        out,
        "{}: {covered} of {} decided at least one call",
        style.paint("1", "coverage"),
        if c.entries.len() == 1 { "1 rule entry".to_string() } else { format!("{} rule entries", c.entries.len()) }
    )?;
    let hits_w = c.entries.iter().map(|e| e.hits.to_string().len()).max().unwrap_or(1).max(4);
    let ptr_w = c.entries.iter().map(|e| e.pointer.chars().count()).max().unwrap_or(7).max(7);
    writeln!(out, "{}", style.paint("1", &format!("{:>hits_w$}  {:<ptr_w$}  rule", "hits", "pointer")))?;
    for e in &c.entries {
        let row = format!("{:>hits_w$}  {:<ptr_w$}  {}", e.hits, e.pointer, e.rule);
        let row = if e.hits == 0 { style.paint("33", &format!("{row}  (uncovered)")) } else { row };
        writeln!(out, "{row}")?;
    }
    Ok(())
}

/// Test results: PASS / FAIL per test, expected versus actual for each failing call, then
/// `N passed, N failed`.
pub fn write_tests_text(out: &mut dyn Write, style: Style, r: &TestReport) -> io::Result<()> {
    for t in &r.tests {
        let tag = if t.passed { style.paint("1;32", "PASS") } else { style.paint("1;31", "FAIL") };
        let file = t.file.as_deref().map(|f| format!("{f}: ")).unwrap_or_default();
        writeln!(out, "{tag}  {file}{}  ({}, {} checked)", t.name, plural(t.calls, "call"), t.checked)?;
        for f in &t.failures {
            let at = format!(
                "{}{}:{}",
                t.file.as_deref().map(|f| format!("{f}:")).unwrap_or_default(),
                f.at.line,
                f.at.column
            );
            writeln!(
                out,
                "  {at}: call {} `{}` by `{}` at {}: {} differs",
                f.index,
                f.tool,
                f.grant,
                format_rfc3339_ms(f.at_ms),
                f.mismatched.join(", ")
            )?;
            let e = &f.expected;
            let mut want = style.paint(outcome_colour(e.outcome.as_str()), e.outcome.as_str());
            if let Some(rule) = &e.rule {
                want.push_str(&format!("  {}", if rule.is_empty() { "\"\"" } else { rule }));
            }
            if let Some(m) = &e.message {
                want.push_str(&format!("  \"{m}\""));
            }
            writeln!(out, "    expected: {want}")?;
            write_decision(out, style, "    ", "actual:   ", &f.actual)?;
        }
    }
    if let Some(c) = &r.coverage {
        write_coverage_text(out, style, c)?;
    }
    writeln!(out)?;
    writeln!(out, "{} passed, {} failed", r.passed, r.failed)
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one `<testsuite>` per test file, one `<testcase>` per test, a `<failure>` with the
/// expected-versus-actual text for each failing test.
pub fn write_junit(out: &mut dyn Write, r: &TestReport) -> io::Result<()> {
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, r#"<testsuites name="toolgate test" tests="{}" failures="{}" errors="0">"#, r.tests.len(), r.failed)?;
    let mut files: Vec<&str> = Vec::new();
    for t in &r.tests {
        let f = t.file.as_deref().unwrap_or("tests");
        if !files.contains(&f) {
            files.push(f);
        }
    }
    for file in files {
        let tests: Vec<_> = r.tests.iter().filter(|t| t.file.as_deref().unwrap_or("tests") == file).collect();
        let failed = tests.iter().filter(|t| !t.passed).count();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{failed}" errors="0" skipped="0">"#,
            xml_escape(file),
            tests.len()
        )?;
        for t in tests {
            let head = format!(r#"    <testcase name="{}" classname="{}""#, xml_escape(&t.name), xml_escape(file));
            if t.passed {
                writeln!(out, "{head}/>")?;
                continue;
            }
            writeln!(out, "{head}>")?;
            let mut text = Vec::new();
            let single = TestReport { tests: vec![t.clone()], passed: 0, failed: 1, coverage: None };
            write_tests_text(&mut text, Style::plain(), &single)?;
            let text = String::from_utf8_lossy(&text);
            let body: Vec<&str> = text.lines().skip(1).take_while(|l| !l.is_empty()).collect();
            let first = t.failures.first();
            let message = first.map_or_else(String::new, |f| {
                let more =
                    if t.failures.len() > 1 { format!(" (and {} more)", t.failures.len() - 1) } else { String::new() };
                format!("call {} `{}`: {} differs{more}", f.index, f.tool, f.mismatched.join(", "))
            });
            writeln!(
                out,
                r#"      <failure message="{}" type="decision">{}</failure>"#,
                xml_escape(&message),
                xml_escape(&body.join("\n"))
            )?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// Tool drift: appeared (+), disappeared (-) and changed (~) tools, each with what the policy
/// does with it.
pub fn write_drift_text(out: &mut dyn Write, style: Style, since: &str, d: &ToolDrift) -> io::Result<()> {
    if d.is_empty() {
        return writeln!(out, "tools since {since}: no tool appeared, disappeared or changed");
    }
    writeln!(
        out,
        "tools since {since}: {} appeared, {} disappeared, {} changed",
        d.appeared.len(),
        d.disappeared.len(),
        d.changed.len()
    )?;
    let width = d.appeared.iter().chain(&d.disappeared).chain(&d.changed).map(|t| t.name.chars().count()).max();
    let width = width.unwrap_or(0);
    let groups = [("+", "32", &d.appeared), ("-", "31", &d.disappeared), ("~", "33", &d.changed)];
    for (mark, colour, tools) in groups {
        for t in tools {
            let at = t.pointer.as_deref().map(|p| format!(" ({p})")).unwrap_or_default();
            let changes =
                if t.schema_changes.is_empty() { String::new() } else { format!(": {}", t.schema_changes.join("; ")) };
            writeln!(out, "  {} {:<width$}  {}{at}{changes}", style.paint(colour, mark), t.name, t.policy.as_str())?;
        }
    }
    Ok(())
}
