//! The JSON Schema (draft 2020-12) of `policy.json`, for editors and other tools.
//!
//! The schema describes the document shape of `policy-format.md` §1–2: unknown keys are refused
//! everywhere (only the root accepts `$schema`), operators and windows are enumerations, paths
//! match `args.<seg>(.<seg>)*`, and each operator's value type is checked. A few checks need
//! more than a schema can say and are left to the engine's validator: duplicate JSON keys,
//! whether a `regex` compiles, one counter name declared twice in one `limits` array or with two
//! windows, and `max` written as a float with no fraction (`1.0`, which JSON Schema counts as an
//! integer but the engine refuses).
//!
//! The document `null` ("no policy attached") is accepted, as the engine accepts it.

use serde_json::{Value, json};

use crate::policy::{Op, Operand, Window};

/// The schema's `$id`.
pub const SCHEMA_ID: &str = "https://example.invalid/toolgate/policy.schema.json";

/// The `$schema` dialect the schema is written in.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The JSON Schema of `policy.json`.
pub fn policy_schema() -> Value {
    let ops = Op::names();
    let windows: Vec<&str> = Window::ALL.iter().map(|w| w.as_str()).collect();
    let value_for = |ops: &[&str], schema: Value| {
        json!({
            "if": { "properties": { "op": { "enum": ops } }, "required": ["op"] },
            "then": { "properties": { "value": schema } }
        })
    };
    // One `if op … then value: {type}` per operand kind of the operator table.
    let typed_values: Vec<Value> = [Operand::Array, Operand::Number, Operand::Bool, Operand::Pattern]
        .into_iter()
        .filter_map(|o| Some(value_for(&Op::names_with(o), json!({ "type": o.schema_type()? }))))
        .collect();
    json!({
        "$schema": DIALECT,
        "$id": SCHEMA_ID,
        "title": "toolgate policy.json",
        "description": "Allows, denies, hides and rate-limits the tools of an MCP server (PolicyLayer's policy.json format). `null` means no policy is attached: every call is denied.",
        "type": ["object", "null"],
        "required": ["version", "default"],
        "additionalProperties": false,
        "properties": {
            "$schema": {
                "description": "Accepted and ignored (editor support).",
                "type": "string"
            },
            "version": {
                "description": "Format version: always \"1\".",
                "const": "1"
            },
            "default": {
                "description": "The fate of tools not listed under `tools`.",
                "enum": ["allow", "deny"]
            },
            "hide": {
                "description": "Tool names removed from tools/list and refused at call time. \"*\" hides every tool.",
                "type": "array",
                "items": { "type": "string", "minLength": 1 },
                "uniqueItems": true
            },
            "all_tools": {
                "description": "Rules for every call.",
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "limits": {
                        "$ref": "#/$defs/limits",
                        "description": "Quotas applied to every call that reaches the limit stage."
                    }
                }
            },
            "tools": {
                "description": "Exact, case-sensitive tool name → rules. A key \"*\" is a literal name, not a wildcard.",
                "type": "object",
                "propertyNames": { "minLength": 1 },
                "additionalProperties": { "$ref": "#/$defs/toolRules" }
            }
        },
        "$defs": {
            "toolRules": {
                "title": "Tool rules",
                "description": "The rules of one tool. {} is valid: under default deny it allows the tool.",
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "require": {
                        "description": "Each entry must hold, or the call is denied.",
                        "type": "array",
                        "items": { "$ref": "#/$defs/requireEntry" }
                    },
                    "deny_if": {
                        "description": "The call is denied when any entry matches.",
                        "type": "array",
                        "items": { "$ref": "#/$defs/rule" }
                    },
                    "limits": {
                        "$ref": "#/$defs/limits",
                        "description": "Per-tool quotas."
                    }
                }
            },
            "requireEntry": {
                "title": "Require entry",
                "description": "A rule whose conditions must all hold, or the shorthand \"args.<path>\" (the argument must be present and not null).",
                "oneOf": [
                    { "$ref": "#/$defs/argPath" },
                    { "$ref": "#/$defs/rule" }
                ]
            },
            "rule": {
                "title": "Rule",
                "description": "Conditions are ANDed; an empty list matches every call.",
                "type": "object",
                "required": ["conditions"],
                "additionalProperties": false,
                "properties": {
                    "conditions": {
                        "type": "array",
                        "items": { "$ref": "#/$defs/condition" }
                    },
                    "on_deny": {
                        "description": "Message returned when this entry refuses a call.",
                        "type": "string"
                    }
                }
            },
            "condition": {
                "title": "Condition",
                "description": "A test on one argument. Absent or null arguments make every operator but `exists` false.",
                "type": "object",
                "required": ["path", "op", "value"],
                "additionalProperties": false,
                "properties": {
                    "path": { "$ref": "#/$defs/argPath" },
                    "op": {
                        "description": "eq/neq: deep equality (numbers numerically); in/not_in: array membership; lt/lte/gt/gte: number comparison; regex: unanchored RE2-style match; contains: substring or array element; exists: presence equals the boolean value.",
                        "enum": ops
                    },
                    "value": {
                        "description": "The operand; its type depends on `op`."
                    }
                },
                "allOf": typed_values
            },
            "argPath": {
                "title": "Argument path",
                "description": "`args.` followed by dot-separated object keys, e.g. args.amount or args.metadata.order.",
                "type": "string",
                "pattern": "^args\\.[^.]+(\\.[^.]+)*$"
            },
            "limits": {
                "description": "Quotas. A counter name is one bucket per grant, shared by every limit naming it; a name appears once per array and always with the same window.",
                "type": "array",
                "items": { "$ref": "#/$defs/limit" }
            },
            "limit": {
                "title": "Limit",
                "description": "At most `max` calls per fixed UTC window.",
                "type": "object",
                "required": ["counter", "window", "max"],
                "additionalProperties": false,
                "properties": {
                    "counter": {
                        "description": "Counter name.",
                        "type": "string",
                        "minLength": 1
                    },
                    "window": {
                        "description": "Fixed window aligned to UTC.",
                        "enum": windows
                    },
                    "max": {
                        "description": "Calls allowed per window.",
                        "type": "integer",
                        "minimum": 1
                    },
                    "scope": {
                        "description": "Counters are kept per grant (the caller's identity); the only scope.",
                        "const": "grant"
                    },
                    "on_deny": {
                        "description": "Message returned when this limit refuses a call.",
                        "type": "string"
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operator_and_window_is_in_the_schema() {
        let s = policy_schema();
        let ops = &s["$defs"]["condition"]["properties"]["op"]["enum"];
        assert_eq!(ops.as_array().unwrap().len(), crate::policy::Op::ALL.len());
        assert_eq!(s["$defs"]["limit"]["properties"]["window"]["enum"], json!(["minute", "hour", "day"]));
        assert_eq!(s["$schema"], DIALECT);
    }

    #[test]
    fn every_object_refuses_unknown_keys() {
        fn walk(v: &Value, path: &str, found: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    let object_typed =
                        m.get("type") == Some(&json!("object")) || m.get("type") == Some(&json!(["object", "null"]));
                    if object_typed && m.get("additionalProperties").is_none_or(|a| a == &json!(true)) {
                        found.push(path.to_string());
                    }
                    for (k, x) in m {
                        walk(x, &format!("{path}/{k}"), found);
                    }
                }
                Value::Array(xs) => {
                    for (i, x) in xs.iter().enumerate() {
                        walk(x, &format!("{path}/{i}"), found);
                    }
                }
                _ => {}
            }
        }
        let mut open = Vec::new();
        walk(&policy_schema(), "", &mut open);
        assert!(open.is_empty(), "objects without additionalProperties: {open:?}");
    }
}
