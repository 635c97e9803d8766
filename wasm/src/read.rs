//! JSON and numbers in: what the gateway module reads back from JS (arguments, timestamps,
//! decisions for `release`, plans for `finish`, counter snapshots).
//!
//! Read with the engine's own JSON parser into `serde_json::Value` and checked field by field, so
//! `serde_json`'s deserializer (and every `Deserialize` impl) stays out of the module (~30 KB of
//! gzip); tests hold each reader to the type's `Deserialize` impl.

use std::sync::Arc;

use serde_json::{Map, Value};
use toolgate_engine::decision::CounterState;
use toolgate_engine::evaluate::{LimitPlan, LimitRule};
use toolgate_engine::limit::{CounterEntry, CounterSnapshot};
use toolgate_engine::policy::Window;
use toolgate_engine::validate::ValidationError;
use toolgate_engine::{Decision, Outcome};

use crate::EngineError;

/// Largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// `at_ms` from a JS number: a non-negative integer no larger than `Number.MAX_SAFE_INTEGER`.
pub fn timestamp(at_ms: f64) -> Result<u64, EngineError> {
    if at_ms.is_finite() && at_ms >= 0.0 && at_ms.fract() == 0.0 && at_ms <= MAX_SAFE_INTEGER {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "checked above: an integer in 0..=2^53-1"
        )]
        Ok(at_ms as u64)
    } else {
        // No float formatting here: it would pull ~20 KB of printing code into the package.
        Err(EngineError::one(
            "call",
            "/at_ms",
            "`at_ms` must be a whole number of milliseconds since 1970, from 0 to 2^53-1".to_string(),
        ))
    }
}

/// A call's arguments as read by [`toolgate_engine::args::read_arguments`].
pub enum Arguments {
    /// Read (`None` = no arguments).
    Read(Option<Value>),
    /// Refused before any rule: the call's decision.
    Refused(Decision),
}

/// `arguments` from JSON text; `""` is "no arguments" (`{}`). Duplicate keys, oversized text and
/// too many values are a deny decision; text that is not JSON is a located error.
pub fn arguments(args_json: &str) -> Result<Arguments, EngineError> {
    if args_json.is_empty() {
        return Ok(Arguments::Read(None));
    }
    match toolgate_engine::args::read_arguments(args_json) {
        Ok(v) => Ok(Arguments::Read(Some(v))),
        Err(toolgate_engine::args::ArgsError::Refused(m)) => {
            Ok(Arguments::Refused(toolgate_engine::evaluate::refused_arguments(&m)))
        }
        Err(toolgate_engine::args::ArgsError::Syntax(e)) => {
            Err(EngineError::new("call", vec![ValidationError { pointer: "/args".into(), ..e.diagnostic(1) }]))
        }
    }
}

/// A count from a JS number: a whole number in 0..=2^53-1.
pub fn count(n: f64) -> Option<u64> {
    if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= MAX_SAFE_INTEGER {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "checked above: an integer in 0..=2^53-1"
        )]
        Some(n as u64)
    } else {
        None
    }
}

/// A `reserve` plan back from JS. The window starts and charges are recomputed from `at_ms` and
/// the limits, never trusted.
pub fn read_plan(v: &Value) -> Result<LimitPlan, EngineError> {
    const KIND: &str = "plan";
    let obj = expect_object(KIND, "", v, "a plan")?;
    let kind = string_field(KIND, "", obj, "kind")?;
    if kind != "reserve" {
        return Err(EngineError::one(KIND, "/kind", format!("only a `reserve` plan is finished, found `{kind}`")));
    }
    let items = match field(obj, "limits") {
        Some(Value::Array(items)) => items.as_slice(),
        Some(other) => {
            return Err(EngineError::one(
                KIND,
                "/limits",
                format!("`limits` must be an array, found {}", toolgate_engine::json_type_name(other)),
            ));
        }
        None => return Err(EngineError::one(KIND, "", "missing `limits`".to_string())),
    };
    let mut limits = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let base = format!("/limits/{i}");
        let l = expect_object(KIND, &base, item, "a limit")?;
        limits.push(LimitRule {
            counter: Arc::from(string_field(KIND, &base, l, "counter")?),
            window: window_field(KIND, &base, l)?,
            max: u64_field(KIND, &base, l, "max")?,
            rule: Arc::from(string_field(KIND, &base, l, "rule")?),
            pointer: Arc::from(string_field(KIND, &base, l, "pointer")?),
            message: Arc::from(string_field(KIND, &base, l, "message")?),
        });
    }
    Ok(LimitPlan {
        tool: Arc::from(string_field(KIND, "", obj, "tool")?),
        grant: Arc::from(string_field(KIND, "", obj, "grant")?),
        at_ms: u64_field(KIND, "", obj, "at_ms")?,
        limits,
    })
}

fn field<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn expect_object<'v>(
    kind: &'static str,
    pointer: &str,
    v: &'v Value,
    what: &str,
) -> Result<&'v Map<String, Value>, EngineError> {
    v.as_object().ok_or_else(|| {
        EngineError::one(
            kind,
            pointer,
            format!("{what} must be an object, found {}", toolgate_engine::json_type_name(v)),
        )
    })
}

fn string_field(kind: &'static str, base: &str, obj: &Map<String, Value>, key: &str) -> Result<String, EngineError> {
    match field(obj, key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(EngineError::one(
            kind,
            &format!("{base}/{key}"),
            format!("`{key}` must be a string, found {}", toolgate_engine::json_type_name(other)),
        )),
        None => Err(EngineError::one(kind, base, format!("missing `{key}`"))),
    }
}

fn u64_field(kind: &'static str, base: &str, obj: &Map<String, Value>, key: &str) -> Result<u64, EngineError> {
    match field(obj, key) {
        Some(v) => v.as_u64().ok_or_else(|| {
            EngineError::one(
                kind,
                &format!("{base}/{key}"),
                format!("`{key}` must be a non-negative integer, found {}", toolgate_engine::json_type_name(v)),
            )
        }),
        None => Err(EngineError::one(kind, base, format!("missing `{key}`"))),
    }
}

fn window_field(kind: &'static str, base: &str, obj: &Map<String, Value>) -> Result<Window, EngineError> {
    let name = string_field(kind, base, obj, "window")?;
    Window::parse(&name).ok_or_else(|| {
        EngineError::one(
            kind,
            &format!("{base}/window"),
            format!("`window` must be one of minute, hour, day, found `{name}`"),
        )
    })
}

/// The parts of a Decision that `release` reads: its outcome and the counters it charged.
pub fn read_decision(v: &Value) -> Result<Decision, EngineError> {
    const KIND: &str = "decision";
    let obj = expect_object(KIND, "", v, "a decision")?;
    let name = string_field(KIND, "", obj, "outcome")?;
    let outcome = Outcome::ALL.into_iter().find(|o| o.as_str() == name).ok_or_else(|| {
        EngineError::one(
            KIND,
            "/outcome",
            format!("`outcome` must be one of allow, deny, hidden, rate_limited, found `{name}`"),
        )
    })?;
    let items = match field(obj, "counters") {
        Some(Value::Array(items)) => items.as_slice(),
        Some(other) => {
            return Err(EngineError::one(
                KIND,
                "/counters",
                format!("`counters` must be an array, found {}", toolgate_engine::json_type_name(other)),
            ));
        }
        None => &[],
    };
    let mut counters = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let base = format!("/counters/{i}");
        let c = expect_object(KIND, &base, item, "a counter")?;
        counters.push(CounterState {
            counter: string_field(KIND, &base, c, "counter")?.into(),
            grant: string_field(KIND, &base, c, "grant")?.into(),
            window: window_field(KIND, &base, c)?,
            window_start_ms: u64_field(KIND, &base, c, "window_start_ms")?,
            used: u64_field(KIND, &base, c, "used")?,
            max: u64_field(KIND, &base, c, "max")?,
        });
    }
    let empty = toolgate_engine::decision::SmolStr::default();
    Ok(Decision {
        outcome,
        rule: empty.clone(),
        pointer: None,
        message: empty,
        retry_after_ms: None,
        explain: Vec::new(),
        counters,
        reservation: None,
    })
}

/// A counter snapshot: `{"version"?: 1, "counters": [{grant, counter, window, window_start_ms, used,
/// previous_used?}]}` — what `CounterSnapshot`'s `Deserialize` accepts (a test holds them together).
pub fn read_snapshot(v: &Value) -> Result<CounterSnapshot, EngineError> {
    const KIND: &str = "state";
    let obj = expect_object(KIND, "", v, "a snapshot")?;
    if let Some(key) = obj.keys().find(|k| *k != "version" && *k != "counters") {
        return Err(EngineError::one(KIND, &format!("/{key}"), format!("unknown key `{key}` in a snapshot")));
    }
    let version = match obj.get("version") {
        None => 1,
        Some(v) if v.as_u64() == Some(1) => 1,
        Some(_) => return Err(EngineError::one(KIND, "/version", "`version` must be 1".to_string())),
    };
    let items = match obj.get("counters") {
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(EngineError::one(
                KIND,
                "/counters",
                format!("`counters` must be an array, found {}", toolgate_engine::json_type_name(other)),
            ));
        }
        None => return Err(EngineError::one(KIND, "", "missing `counters`".to_string())),
    };
    let mut counters = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let base = format!("/counters/{i}");
        let c = expect_object(KIND, &base, item, "a counter")?;
        if let Some(key) = c
            .keys()
            .find(|k| !["grant", "counter", "window", "window_start_ms", "used", "previous_used"].contains(&k.as_str()))
        {
            return Err(EngineError::one(KIND, &format!("{base}/{key}"), format!("unknown key `{key}` in a counter")));
        }
        counters.push(CounterEntry {
            grant: string_field(KIND, &base, c, "grant")?,
            counter: string_field(KIND, &base, c, "counter")?,
            window: window_field(KIND, &base, c)?,
            window_start_ms: u64_field(KIND, &base, c, "window_start_ms")?,
            used: u64_field(KIND, &base, c, "used")?,
            previous_used: if c.contains_key("previous_used") {
                u64_field(KIND, &base, c, "previous_used")?
            } else {
                0
            },
        });
    }
    Ok(CounterSnapshot { version, counters })
}

/// Parses JSON text with the engine's parser; a syntax error is located at its line and column.
pub fn parse_json(kind: &'static str, pointer: &str, text: &str) -> Result<Value, EngineError> {
    toolgate_engine::json::parse(text)
        .map(|node| node.to_value())
        .map_err(|e| EngineError::new(kind, vec![ValidationError { pointer: pointer.into(), ..e.diagnostic(1) }]))
}
