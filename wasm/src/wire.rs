//! JSON out: the wire shapes of the engine's `Serialize` types, written directly.
//!
//! `serde_json` writes every type here too (`to_json`); the direct writers exist only for the hot
//! paths — a decision per call and a row per simulated call — where they measured faster (see
//! `pkg/README.md`), and tests hold each of them to `serde_json`'s output byte for byte. The
//! tuple forms (`decision_tuple`) are the same fields as arrays: `JSON.parse` builds arrays about
//! twice as fast as objects, and the JS layer (`npm/api.mjs` `decisionAt`) names the fields.

use std::fmt::Write as _;

use serde::Serialize;
use toolgate_engine::Decision;
use toolgate_engine::decision::{CounterState, Explain};
use toolgate_engine::evaluate::{LimitPlan, LimitRule, Plan};
use toolgate_engine::trace::TraceCall;

/// `serde_json::to_string`: the writer of every wire type without a direct one.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    // Serialising these types cannot fail: string keys, finite numbers.
    serde_json::to_string(value).unwrap_or_default()
}

/// One row of a simulation as an object: `{"index","tool","grant","at_ms",…the Decision's members}`
/// (the engine's `SimDecision`).
pub fn write_sim_row(out: &mut String, index: u64, call: &TraceCall, decision: &Decision) {
    out.push_str("{\"index\":");
    write_u64(out, index);
    out.push_str(",\"tool\":");
    write_str(out, &call.tool);
    out.push_str(",\"grant\":");
    write_str(out, &call.grant);
    out.push_str(",\"at_ms\":");
    write_u64(out, call.at_ms);
    out.push(',');
    write_decision(out, decision);
    out.push('}');
}

/// One row of a simulation as a tuple: `[index, tool, grant, at_ms, …the values of decision_tuple…]`.
pub fn write_sim_tuple(out: &mut String, index: u64, call: &TraceCall, decision: &Decision) {
    out.push('[');
    write_u64(out, index);
    out.push(',');
    write_str(out, &call.tool);
    out.push(',');
    write_str(out, &call.grant);
    out.push(',');
    write_u64(out, call.at_ms);
    out.push(',');
    write_tuple_fields(out, decision);
    out.push(']');
}

/// A Decision as JSON, byte for byte what `serde_json::to_string` writes for it.
pub fn decision_json(d: &Decision) -> String {
    let mut out = String::with_capacity(160);
    out.push('{');
    write_decision(&mut out, d);
    out.push('}');
    out
}

/// The members of a Decision's JSON object (without the braces), in `Serialize` order.
pub fn write_decision(out: &mut String, d: &Decision) {
    out.push_str("\"outcome\":\"");
    out.push_str(d.outcome.as_str());
    out.push_str("\",\"rule\":");
    write_str(out, &d.rule);
    out.push_str(",\"pointer\":");
    match &d.pointer {
        Some(p) => write_str(out, p),
        None => out.push_str("null"),
    }
    out.push_str(",\"message\":");
    write_str(out, &d.message);
    out.push_str(",\"retry_after_ms\":");
    match d.retry_after_ms {
        Some(ms) => write_u64(out, ms),
        None => out.push_str("null"),
    }
    out.push_str(",\"explain\":[");
    for (i, e) in d.explain.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_explain(out, e);
    }
    out.push_str("],\"counters\":[");
    for (i, c) in d.counters.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_counter(out, c);
    }
    out.push(']');
}

/// A Decision as a JSON array of its field values, in `Serialize` order, with explanations and
/// counters as arrays too: `["deny", rule, pointer, message, retry_after_ms, [[path, op, expected,
/// actual, holds]…], [[counter, grant, window, window_start_ms, used, max]…]]`. `JSON.parse`
/// builds arrays about twice as fast as objects, so the JS layer reads this form and names the
/// fields itself; a test holds it to [`decision_json`].
pub fn decision_tuple(d: &Decision) -> String {
    let mut out = String::with_capacity(96);
    out.push('[');
    write_tuple_fields(&mut out, d);
    out.push(']');
    out
}

/// The values of [`decision_tuple`], without the brackets.
pub fn write_tuple_fields(out: &mut String, d: &Decision) {
    out.push('"');
    out.push_str(d.outcome.as_str());
    out.push_str("\",");
    write_str(out, &d.rule);
    out.push(',');
    match &d.pointer {
        Some(p) => write_str(out, p),
        None => out.push_str("null"),
    }
    out.push(',');
    write_str(out, &d.message);
    out.push(',');
    match d.retry_after_ms {
        Some(ms) => write_u64(out, ms),
        None => out.push_str("null"),
    }
    out.push_str(",[");
    for (i, e) in d.explain.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        write_str(out, &e.path);
        out.push_str(",\"");
        out.push_str(e.op.as_str());
        out.push_str("\",");
        out.push_str(&to_json(&e.expected));
        out.push(',');
        out.push_str(&to_json(&e.actual));
        out.push_str(if e.holds { ",true]" } else { ",false]" });
    }
    out.push_str("],[");
    for (i, c) in d.counters.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        write_str(out, &c.counter);
        out.push(',');
        write_str(out, &c.grant);
        out.push_str(",\"");
        out.push_str(c.window.as_str());
        out.push_str("\",");
        write_u64(out, c.window_start_ms);
        out.push(',');
        write_u64(out, c.used);
        out.push(',');
        write_u64(out, c.max);
        out.push(']');
    }
    out.push(']');
}

fn write_explain(out: &mut String, e: &Explain) {
    out.push_str("{\"path\":");
    write_str(out, &e.path);
    out.push_str(",\"op\":\"");
    out.push_str(e.op.as_str());
    out.push_str("\",\"expected\":");
    out.push_str(&to_json(&e.expected));
    out.push_str(",\"actual\":");
    out.push_str(&to_json(&e.actual));
    out.push_str(",\"holds\":");
    out.push_str(if e.holds { "true" } else { "false" });
    out.push('}');
}

fn write_counter(out: &mut String, c: &CounterState) {
    out.push_str("{\"counter\":");
    write_str(out, &c.counter);
    out.push_str(",\"grant\":");
    write_str(out, &c.grant);
    out.push_str(",\"window\":\"");
    out.push_str(c.window.as_str());
    out.push_str("\",\"window_start_ms\":");
    write_u64(out, c.window_start_ms);
    out.push_str(",\"used\":");
    write_u64(out, c.used);
    out.push_str(",\"max\":");
    write_u64(out, c.max);
    out.push('}');
}

pub fn write_u64(out: &mut String, n: u64) {
    // Writing to a String cannot fail.
    let _ = write!(out, "{n}");
}

/// A JSON string literal, escaped as `serde_json` does: `"`, `\`, and control characters.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(s.get(start..i).unwrap_or(""));
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or(""));
    out.push('"');
}

/// A plan as JSON: `{"kind":"final","decision":{…}}`, or `{"kind":"reserve","tool","grant",
/// "at_ms","limits":[{counter, window, window_ms, window_start_ms, max, rule, pointer, message}],
/// "charges":[{counter, window, window_ms, window_start_ms}]}` (STORE-CONTRACT.md).
pub fn plan_json(plan: &Plan) -> String {
    let mut out = String::with_capacity(256);
    match plan {
        Plan::Final(d) => {
            out.push_str("{\"kind\":\"final\",\"decision\":");
            out.push_str(&decision_json(d));
            out.push('}');
        }
        Plan::Reserve(p) => {
            out.push_str("{\"kind\":\"reserve\",\"tool\":");
            write_str(&mut out, &p.tool);
            out.push_str(",\"grant\":");
            write_str(&mut out, &p.grant);
            out.push_str(",\"at_ms\":");
            write_u64(&mut out, p.at_ms);
            out.push_str(",\"limits\":[");
            for (i, l) in p.limits.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_planned_window(&mut out, p, l);
                out.push_str(",\"max\":");
                write_u64(&mut out, l.max);
                out.push_str(",\"rule\":");
                write_str(&mut out, &l.rule);
                out.push_str(",\"pointer\":");
                write_str(&mut out, &l.pointer);
                out.push_str(",\"message\":");
                write_str(&mut out, &l.message);
                out.push('}');
            }
            out.push_str("],\"charges\":[");
            for (i, l) in p.charges().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_planned_window(&mut out, p, l);
                out.push('}');
            }
            out.push_str("]}");
        }
    }
    out
}

/// `{"counter":…,"window":…,"window_ms":…,"window_start_ms":…` (left open).
fn write_planned_window(out: &mut String, p: &LimitPlan, l: &LimitRule) {
    out.push_str("{\"counter\":");
    write_str(out, &l.counter);
    out.push_str(",\"window\":\"");
    out.push_str(l.window.as_str());
    out.push_str("\",\"window_ms\":");
    write_u64(out, l.window.millis());
    out.push_str(",\"window_start_ms\":");
    write_u64(out, p.window_start_ms(l));
}
