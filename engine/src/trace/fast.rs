//! The fast path: each JSON Lines entry or document read by serde straight into small structs.
//! Anything it does not accept whole (an unknown key, a wrong type, deep or refused arguments)
//! sends the trace to the locating reader ([`super::locate`]), which reports every problem.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Map, Value};

use crate::json::args::{ArgsError, read_arguments};
use crate::json::{self, scan::nests_deeper};

use super::MAX_AT_MS;
use super::parse::{RawCall, Sink, When, place};
use super::time::parse_rfc3339_ms;

/// How the fast path reads `args`.
pub(super) trait ArgsForm {
    /// The arguments (`null` → `{}`) or why they are refused, or `None` when they are not an
    /// object (or not JSON the engine reads: the locating parser then reports why).
    fn object(self) -> Option<Result<Value, String>>;
}

/// Arguments read by [`read_arguments`] from their exact text, as `evaluate` reads `args_json`:
/// duplicate keys at any depth and the size caps are refused, never decided last-key-wins.
pub(super) struct Admitted(Option<Result<Value, String>>);

impl<'de> Deserialize<'de> for Admitted {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <&'de serde_json::value::RawValue>::deserialize(d)?.get();
        // The raw text is not held to the nesting limit of the whole entry: deep arguments go to
        // the locating parser, which applies it (arguments sit at most 3 levels down).
        Ok(Admitted(if nests_deeper(text, json::MAX_DEPTH - 4) { None } else { admit_text(text) }))
    }
}

impl ArgsForm for Admitted {
    fn object(self) -> Option<Result<Value, String>> {
        self.0
    }
}

/// The arguments in `text` (an object, or `null` → `{}`) or why they are refused; `None` when
/// they are neither an object nor `null`, or not JSON.
pub(super) fn admit_text(text: &str) -> Option<Result<Value, String>> {
    match read_arguments(text) {
        Ok(Value::Null) => Some(Ok(Value::Object(Map::new()))),
        Ok(v @ Value::Object(_)) => Some(Ok(v)),
        Ok(_) | Err(ArgsError::Syntax(_)) => None,
        // Refused before it was known to be an object: only an object is refused, or the call errs.
        Err(ArgsError::Refused(message)) => text.trim_start().starts_with('{').then_some(Err(message)),
    }
}

/// Arguments checked to be an object (or `null`) without building them.
pub(super) struct Unbuilt;

impl<'de> Deserialize<'de> for Unbuilt {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> serde::de::Visitor<'de> for ObjectVisitor {
            type Value = Unbuilt;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut m: M) -> Result<Unbuilt, M::Error> {
                while m.next_entry::<Skipped, Skipped>()?.is_some() {}
                Ok(Unbuilt)
            }
            fn visit_unit<E>(self) -> Result<Unbuilt, E> {
                Ok(Unbuilt)
            }
        }
        d.deserialize_any(ObjectVisitor)
    }
}

/// Any JSON value, skipped. Unlike [`IgnoredAny`] it goes through `deserialize_any`, so
/// serde_json's nesting limit applies exactly as when building a [`Value`]: checking and
/// building accept the same documents.
pub(super) struct Skipped;

impl<'de> Deserialize<'de> for Skipped {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SkipVisitor;
        impl<'de> serde::de::Visitor<'de> for SkipVisitor {
            type Value = Skipped;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Skipped, E> {
                Ok(Skipped)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Skipped, E> {
                Ok(Skipped)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Skipped, E> {
                Ok(Skipped)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Skipped, E> {
                Ok(Skipped)
            }
            fn visit_str<E>(self, _: &str) -> Result<Skipped, E> {
                Ok(Skipped)
            }
            fn visit_unit<E>(self) -> Result<Skipped, E> {
                Ok(Skipped)
            }
            fn visit_seq<S: serde::de::SeqAccess<'de>>(self, mut s: S) -> Result<Skipped, S::Error> {
                while s.next_element::<Skipped>()?.is_some() {}
                Ok(Skipped)
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut m: M) -> Result<Skipped, M::Error> {
                while m.next_entry::<Skipped, Skipped>()?.is_some() {}
                Ok(Skipped)
            }
        }
        d.deserialize_any(SkipVisitor)
    }
}

impl ArgsForm for Unbuilt {
    fn object(self) -> Option<Result<Value, String>> {
        Some(Ok(Value::Null))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = "A: Deserialize<'de>"))]
pub(super) struct FastCall<'a, A> {
    #[serde(borrow, alias = "name")]
    pub(super) tool: Cow<'a, str>,
    #[serde(default = "Option::default", alias = "arguments")]
    pub(super) args: Option<A>,
    #[serde(default, borrow)]
    pub(super) grant: Option<&'a str>,
    #[serde(default)]
    pub(super) at_ms: Option<u64>,
    #[serde(default, borrow)]
    pub(super) ts: Option<&'a str>,
    #[serde(default)]
    pub(super) after_ms: Option<u64>,
    #[serde(default)]
    pub(super) upstream_error: Option<bool>,
    #[serde(default)]
    #[expect(dead_code, reason = "a recorded call's field, accepted and ignored")]
    pub(super) result_ts: Option<IgnoredAny>,
    #[serde(default, rename = "isError")]
    #[expect(dead_code, reason = "a recorded call's field, accepted and ignored")]
    pub(super) is_error: Option<IgnoredAny>,
    #[serde(default)]
    #[expect(dead_code, reason = "a recorded call's field, accepted and ignored")]
    pub(super) text: Option<IgnoredAny>,
}

impl<'a, A: ArgsForm> FastCall<'a, A> {
    /// The call, when every field is valid (otherwise the locating parser reports why).
    pub(super) fn into_raw(self) -> Option<RawCall<'a>> {
        if self.tool.is_empty() || self.grant == Some("") {
            return None;
        }
        let (args, refusal) = match self.args.map_or(Some(Ok(Value::Object(Map::new()))), ArgsForm::object)? {
            Ok(args) => (args, None),
            Err(message) => (Value::Object(Map::new()), Some(message)),
        };
        let when = match (self.at_ms, self.ts, self.after_ms) {
            (None, None, None) => When::Same,
            (Some(t), None, None) if t <= MAX_AT_MS => When::At(t),
            (None, Some(ts), None) => When::At(parse_rfc3339_ms(ts).ok()?),
            (None, None, Some(d)) => When::After(d),
            _ => return None,
        };
        Some(RawCall {
            tool: self.tool,
            args,
            refusal,
            grant: self.grant.map(Cow::Borrowed),
            when,
            upstream_error: self.upstream_error == Some(true),
        })
    }
}

pub(super) fn fast_call<'a, A: ArgsForm + for<'de> Deserialize<'de>>(line: &'a str) -> Option<RawCall<'a>> {
    serde_json::from_str::<FastCall<'a, A>>(line).ok()?.into_raw()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = "A: Deserialize<'de>"))]
pub(super) struct FastDoc<'a, A> {
    #[serde(default)]
    pub(super) start_ms: Option<u64>,
    #[serde(borrow)]
    pub(super) calls: Vec<FastCall<'a, A>>,
    #[serde(default)]
    #[expect(dead_code, reason = "a description of the recording, accepted and ignored")]
    pub(super) source: Option<IgnoredAny>,
}

/// The whole document through serde; the sink back untouched when anything is off.
pub(super) fn fast_document<S: Sink>(text: &str, mut sink: S) -> Result<S, S> {
    let text = text.trim_start_matches('\u{feff}');
    let parsed = match text.trim_start().as_bytes().first() {
        Some(b'[') => serde_json::from_str::<Vec<FastCall<'_, S::Args>>>(text).map(|calls| (0, calls)),
        Some(b'{') => serde_json::from_str::<FastDoc<'_, S::Args>>(text).map(|d| (d.start_ms.unwrap_or(0), d.calls)),
        _ => return Err(sink),
    };
    let Ok((start_ms, calls)) = parsed else { return Err(sink) };
    if start_ms > MAX_AT_MS {
        return Err(sink);
    }
    // Place every call before handing any to the sink, so a fallback starts from scratch.
    let mut placed = Vec::with_capacity(calls.len());
    let mut prev = None;
    for (i, c) in calls.into_iter().enumerate() {
        let Some(raw) = c.into_raw() else { return Err(sink) };
        let Ok(at) = place(prev, start_ms, i, raw.when) else { return Err(sink) };
        prev = Some(at);
        placed.push((raw, at));
    }
    sink.reserve(placed.len());
    for (i, (raw, at)) in placed.into_iter().enumerate() {
        sink.call(i, raw, at);
    }
    Ok(sink)
}
