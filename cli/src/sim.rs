//! `toolgate simulate` output: a table for people, JSON, or JSON Lines. Every form streams: the
//! trace is checked, then each call is simulated and printed as it is read, so a million-call
//! trace never has a million calls or decisions in memory.

use std::io::{self, Write};

use toolgate_engine::review::CoverageTally;
use toolgate_engine::trace::{SimDecision, Summary, TraceCall, format_rfc3339_ms, simulate_text_with};
use toolgate_engine::{Decision, Outcome, Policy, ValidationError};

use crate::diag::Style;

/// Column titles of the table.
const HEADERS: [&str; 9] = ["#", "time", "grant", "tool", "outcome", "rule", "reason", "retry-after", "counters"];
/// Widest padding of a column; longer cells push the rest of their row right.
const MAX_WIDTH: usize = 60;
/// Rows read before the column widths are fixed.
const SAMPLE_ROWS: usize = 1000;

/// The trace's errors, or the outcome of writing.
pub type Written = Result<io::Result<()>, Vec<ValidationError>>;

fn sim_decision(index: usize, call: &TraceCall, decision: Decision) -> SimDecision {
    SimDecision { index, tool: (&*call.tool).into(), grant: (&*call.grant).into(), at_ms: call.at_ms, decision }
}

/// `{"decisions": [...], "summary": {...}}`, one decision per line inside the array.
/// With a tally, `"coverage"` follows the summary.
pub fn write_json(
    out: &mut dyn Write,
    policy: Option<&Policy>,
    trace: &str,
    mut tally: Option<&mut CoverageTally>,
) -> Written {
    let mut any = false;
    let mut decision = |index: usize, call: &TraceCall, d: Decision| -> io::Result<()> {
        out.write_all(if any { b",\n    " } else { b"{\n  \"decisions\": [\n    " })?;
        any = true;
        serde_json::to_writer(&mut *out, &sim_decision(index, call, d)).map_err(io::Error::from)
    };
    let mut result = Ok(());
    let summary = simulate_text_with(policy, trace, |index, call, d| {
        if let Some(t) = tally.as_deref_mut() {
            t.record(&call.tool, &d);
        }
        if result.is_ok() {
            result = decision(index, call, d);
        }
    })?;
    Ok(result.and_then(|()| {
        out.write_all(if any { b"\n  ],\n  \"summary\": " } else { b"{\n  \"decisions\": [],\n  \"summary\": " })?;
        let summary = serde_json::to_string_pretty(&summary).map_err(io::Error::from)?;
        out.write_all(summary.replace('\n', "\n  ").as_bytes())?;
        if let Some(t) = tally {
            out.write_all(b",\n  \"coverage\": ")?;
            let coverage = serde_json::to_string_pretty(&t.coverage()).map_err(io::Error::from)?;
            out.write_all(coverage.replace('\n', "\n  ").as_bytes())?;
        }
        out.write_all(b"\n}\n")
    }))
}

/// One decision per line; with a tally, a last line `{"coverage": {...}}`.
pub fn write_jsonl(
    out: &mut dyn Write,
    policy: Option<&Policy>,
    trace: &str,
    mut tally: Option<&mut CoverageTally>,
) -> Written {
    let mut result = Ok(());
    simulate_text_with(policy, trace, |index, call, d| {
        if let Some(t) = tally.as_deref_mut() {
            t.record(&call.tool, &d);
        }
        if result.is_ok() {
            result = serde_json::to_writer(&mut *out, &sim_decision(index, call, d))
                .map_err(io::Error::from)
                .and_then(|()| out.write_all(b"\n"));
        }
    })?;
    if let (Ok(()), Some(t)) = (&result, tally) {
        let line = serde_json::json!({ "coverage": t.coverage() });
        result = serde_json::to_writer(&mut *out, &line).map_err(io::Error::from).and_then(|()| out.write_all(b"\n"));
    }
    Ok(result)
}

/// The table's cells for one decision.
fn cells(index: usize, call: &TraceCall, d: &Decision) -> [String; 9] {
    let dash = |s: &str| if s.is_empty() { "-".to_string() } else { s.to_string() };
    let reason = if call.upstream_error && d.outcome == Outcome::Allow {
        "upstream error: quota released".to_string()
    } else {
        dash(&d.message)
    };
    let counters = d.counters.iter().map(|c| format!("{} {}/{}", c.counter, c.used, c.max)).collect::<Vec<_>>();
    [
        index.to_string(),
        format_rfc3339_ms(call.at_ms),
        call.grant.clone(),
        call.tool.clone(),
        d.outcome.as_str().to_string(),
        dash(&d.rule),
        reason,
        d.retry_after_ms.map_or_else(|| "-".to_string(), |ms| format!("{ms}ms")),
        if counters.is_empty() { "-".to_string() } else { counters.join(", ") },
    ]
}

/// The SGR colour of an outcome in text output.
pub fn outcome_colour(outcome: &str) -> &'static str {
    match outcome {
        "allow" => "32",
        "deny" => "31",
        "hidden" => "35",
        _ => "33",
    }
}

/// Aligned rows: widths are fixed from the first [`SAMPLE_ROWS`] rows, then rows stream.
struct Table<'o> {
    out: &'o mut dyn Write,
    style: Style,
    widths: Option<[usize; 9]>,
    held: Vec<[String; 9]>,
}

impl Table<'_> {
    fn push(&mut self, cells: [String; 9]) -> io::Result<()> {
        match self.widths {
            Some(w) => self.write_row(&cells, w, false),
            None => {
                self.held.push(cells);
                if self.held.len() >= SAMPLE_ROWS { self.flush() } else { Ok(()) }
            }
        }
    }

    /// Fixes the widths (if not yet) and writes the header and the held rows.
    fn flush(&mut self) -> io::Result<()> {
        if self.widths.is_some() {
            return Ok(());
        }
        let mut w = HEADERS.map(|h| h.chars().count());
        for row in &self.held {
            for (w, cell) in w.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count().min(MAX_WIDTH));
            }
        }
        self.widths = Some(w);
        self.write_row(&HEADERS.map(str::to_string), w, true)?;
        for row in std::mem::take(&mut self.held) {
            self.write_row(&row, w, false)?;
        }
        Ok(())
    }

    fn write_row(&mut self, cells: &[String; 9], widths: [usize; 9], header: bool) -> io::Result<()> {
        let mut line = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let last = i + 1 == cells.len();
            let pad = " ".repeat(if last { 0 } else { w.saturating_sub(cell.chars().count()) });
            let painted = if header {
                self.style.paint("1", cell)
            } else if i == 4 {
                self.style.paint(outcome_colour(cell), cell)
            } else {
                cell.clone()
            };
            // The index is right-aligned, text left-aligned.
            if i == 0 {
                line.push_str(&pad);
                line.push_str(&painted);
            } else {
                line.push_str(&painted);
                line.push_str(&pad);
            }
            if !last {
                line.push_str("  ");
            }
        }
        writeln!(self.out, "{}", line.trim_end())
    }
}

/// The table (index, time, grant, tool, outcome, rule, reason, retry-after, counters), then the
/// summary (and, with a tally, the coverage table).
pub fn write_text(
    out: &mut dyn Write,
    style: Style,
    policy: Option<&Policy>,
    trace: &str,
    mut tally: Option<&mut CoverageTally>,
) -> Written {
    let mut table = Table { out, style, widths: None, held: Vec::new() };
    let mut result = Ok(());
    let summary = simulate_text_with(policy, trace, |index, call, d| {
        if let Some(t) = tally.as_deref_mut() {
            t.record(&call.tool, &d);
        }
        if result.is_ok() {
            result = table.push(cells(index, call, &d));
        }
    })?;
    Ok(result.and_then(|()| {
        if summary.calls == 0 {
            writeln!(table.out, "the trace has no calls")?;
        } else {
            table.flush()?;
        }
        write_summary(table.out, style, &summary)?;
        match tally {
            Some(t) => crate::review::write_coverage_text(table.out, style, &t.coverage()),
            None => Ok(()),
        }
    }))
}

fn write_summary(out: &mut dyn Write, style: Style, s: &Summary) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "{}: {}, {} allowed, {} denied, {} hidden, {} rate_limited",
        style.paint("1", "summary"),
        crate::diag::plural(s.calls, "call"),
        s.allowed,
        s.denied,
        s.hidden,
        s.rate_limited
    )?;
    if s.by_tool.is_empty() {
        return Ok(());
    }
    let titles = ["tool", "calls", "allowed", "denied", "hidden", "rate_limited"];
    let name_w = s.by_tool.keys().map(|k| k.chars().count()).chain([titles[0].len()]).max().unwrap_or(4);
    let head: Vec<String> = titles.iter().skip(1).map(|t| format!("{t:>w$}", w = t.len().max(5))).collect();
    writeln!(out, "{}", style.paint("1", &format!("{:<name_w$}  {}", titles[0], head.join("  "))))?;
    for (tool, t) in &s.by_tool {
        let counts = [t.calls, t.allowed, t.denied, t.hidden, t.rate_limited];
        let nums: Vec<String> =
            titles.iter().skip(1).zip(counts).map(|(title, n)| format!("{n:>w$}", w = title.len().max(5))).collect();
        writeln!(out, "{tool:<name_w$}  {}", nums.join("  "))?;
    }
    Ok(())
}
