//! `toolgate simulate` output: a table for people, JSON, or JSON Lines. Every form streams the
//! decisions, so a million-call trace does not keep a million decisions in memory.

use std::io::{self, Write};

use toolgate_engine::trace::{SimDecision, Summary, TraceCall, format_rfc3339_ms, simulate_with};
use toolgate_engine::{Decision, Outcome, Policy};

use crate::diag::Style;

/// Column titles of the table.
const HEADERS: [&str; 9] = ["#", "time", "grant", "tool", "outcome", "rule", "reason", "retry-after", "counters"];
/// Widest padding of a column; longer cells push the rest of their row right.
const MAX_WIDTH: usize = 60;

fn sim_decision(index: usize, call: &TraceCall, decision: Decision) -> SimDecision {
    SimDecision { index, tool: call.tool.clone(), grant: call.grant.clone(), at_ms: call.at_ms, decision }
}

/// `{"decisions": [...], "summary": {...}}`, one decision per line inside the array.
pub fn write_json(out: &mut dyn Write, policy: Option<&Policy>, calls: &[TraceCall]) -> io::Result<()> {
    out.write_all(b"{\n  \"decisions\": [")?;
    let mut result = Ok(());
    let summary = simulate_with(policy, calls, |index, call, decision| {
        if result.is_ok() {
            let sep: &[u8] = if index == 0 { b"\n    " } else { b",\n    " };
            result = out.write_all(sep).and_then(|()| {
                serde_json::to_writer(&mut *out, &sim_decision(index, call, decision)).map_err(io::Error::from)
            });
        }
    });
    result?;
    out.write_all(if calls.is_empty() { b"],\n  \"summary\": " } else { b"\n  ],\n  \"summary\": " })?;
    let summary = serde_json::to_string_pretty(&summary).map_err(io::Error::from)?;
    out.write_all(summary.replace('\n', "\n  ").as_bytes())?;
    out.write_all(b"\n}\n")
}

/// One decision per line.
pub fn write_jsonl(out: &mut dyn Write, policy: Option<&Policy>, calls: &[TraceCall]) -> io::Result<()> {
    let mut result = Ok(());
    simulate_with(policy, calls, |index, call, decision| {
        if result.is_ok() {
            result = serde_json::to_writer(&mut *out, &sim_decision(index, call, decision))
                .map_err(io::Error::from)
                .and_then(|()| out.write_all(b"\n"));
        }
    });
    result
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

fn outcome_colour(outcome: &str) -> &'static str {
    match outcome {
        "allow" => "32",
        "deny" => "31",
        "hidden" => "35",
        _ => "33",
    }
}

/// The table (index, time, grant, tool, outcome, rule, reason, retry-after, counters), then the
/// summary. Runs the simulation twice — once to size the columns, once to print — rather than
/// keeping every decision.
pub fn write_text(out: &mut dyn Write, style: Style, policy: Option<&Policy>, calls: &[TraceCall]) -> io::Result<()> {
    let mut widths = HEADERS.map(|h| h.chars().count());
    simulate_with(policy, calls, |index, call, d| {
        for (w, cell) in widths.iter_mut().zip(cells(index, call, &d)) {
            *w = (*w).max(cell.chars().count().min(MAX_WIDTH));
        }
    });
    let row = |cells: &[String; 9], out: &mut dyn Write, header: bool| -> io::Result<()> {
        let mut line = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let last = i + 1 == cells.len();
            let pad = if last { 0 } else { w.saturating_sub(cell.chars().count()) };
            let painted = if header {
                style.paint("1", cell)
            } else if i == 4 {
                style.paint(outcome_colour(cell), cell)
            } else {
                cell.clone()
            };
            // Numbers are right-aligned, text left-aligned.
            if i == 0 {
                line.push_str(&" ".repeat(pad));
                line.push_str(&painted);
            } else {
                line.push_str(&painted);
                if !last {
                    line.push_str(&" ".repeat(pad));
                }
            }
            if !last {
                line.push_str("  ");
            }
        }
        writeln!(out, "{}", line.trim_end())
    };
    if calls.is_empty() {
        writeln!(out, "the trace has no calls")?;
    } else {
        row(&HEADERS.map(str::to_string), out, true)?;
    }
    let mut result = Ok(());
    let summary = simulate_with(policy, calls, |index, call, d| {
        if result.is_ok() {
            result = row(&cells(index, call, &d), out, false);
        }
    });
    result?;
    write_summary(out, style, &summary)
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
