//! The argument picker: fields read from a tool's `inputSchema`, the operators each type offers,
//! and the conversion between a condition's JSON value and the text in its input box.

use serde_json::{Map, Number, Value};
use toolgate_engine::input_schema::{Facts, InputSchema, JsonType};
use toolgate_engine::{Condition, Op};

/// How many levels of nested object properties are offered (`args.a.b.c.d`).
const MAX_DEPTH: usize = 4;

/// The JSON type of an argument, as far as the schema says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgType {
    /// `"type": "string"`.
    String,
    /// `"type": "number"`.
    Number,
    /// `"type": "integer"`.
    Integer,
    /// `"type": "boolean"`.
    Boolean,
    /// `"type": "array"`.
    Array,
    /// `"type": "object"`.
    Object,
    /// No (single) type given.
    Any,
}

impl ArgType {
    /// A short label for the picker.
    pub fn label(self) -> &'static str {
        match self {
            ArgType::String => "string",
            ArgType::Number => "number",
            ArgType::Integer => "integer",
            ArgType::Boolean => "boolean",
            ArgType::Array => "array",
            ArgType::Object => "object",
            ArgType::Any => "any",
        }
    }

    fn is_numeric(self) -> bool {
        matches!(self, ArgType::Number | ArgType::Integer)
    }
}

/// One argument a condition can test.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgField {
    /// The condition path, `args.<dot.path>`.
    pub path: String,
    /// The argument's type.
    pub ty: ArgType,
    /// `enum` (or `const`) values, if the schema lists them.
    pub enum_values: Vec<Value>,
    /// Whether the schema marks it required (at every level of the path).
    pub required: bool,
    /// The schema's description.
    pub description: Option<String>,
}

/// The fields of an `inputSchema`, in schema order, nested objects flattened to dot paths.
///
/// Read by the engine's [`InputSchema`] — the same reader lint uses, so the picker offers exactly
/// the paths lint knows (`$ref`s, `anyOf` with `null`, one-element `allOf`), within its work bounds.
pub fn fields(schema: &Value) -> Vec<ArgField> {
    InputSchema::new(schema)
        .properties(MAX_DEPTH)
        .into_iter()
        .map(|p| ArgField {
            path: format!("args.{}", p.path.join(".")),
            ty: arg_type(&p.facts, p.has_properties),
            enum_values: p.facts.enumeration.unwrap_or_default().into_iter().filter(|v| !v.is_null()).collect(),
            required: p.required,
            description: p.description,
        })
        .collect()
}

/// One type when the schema allows one (besides `null`); `number` for "integer or number".
fn arg_type(facts: &Facts, has_properties: bool) -> ArgType {
    let named: Vec<JsonType> = facts.types.iter().flat_map(|t| t.non_null()).collect();
    match named.as_slice() {
        [JsonType::String] => ArgType::String,
        [JsonType::Number] | [JsonType::Integer, JsonType::Number] => ArgType::Number,
        [JsonType::Integer] => ArgType::Integer,
        [JsonType::Boolean] => ArgType::Boolean,
        [JsonType::Array] => ArgType::Array,
        [JsonType::Object] => ArgType::Object,
        _ if has_properties => ArgType::Object,
        _ => ArgType::Any,
    }
}

/// The operators that make sense for a type (all of them when the type is unknown).
pub fn ops_for(ty: ArgType) -> &'static [Op] {
    use Op::*;
    match ty {
        ArgType::String => &[Eq, Neq, In, NotIn, Regex, Contains, Exists],
        ArgType::Number | ArgType::Integer => &[Eq, Neq, In, NotIn, Lt, Lte, Gt, Gte, Exists],
        ArgType::Boolean => &[Eq, Neq, Exists],
        ArgType::Array => &[Contains, Eq, Exists],
        ArgType::Object => &[Exists, Eq, Neq],
        ArgType::Any => &Op::ALL,
    }
}

/// A plain-words label for an operator.
pub fn op_label(op: Op) -> &'static str {
    match op {
        Op::Eq => "equals",
        Op::Neq => "does not equal",
        Op::In => "is one of",
        Op::NotIn => "is none of",
        Op::Lt => "<",
        Op::Lte => "≤",
        Op::Gt => ">",
        Op::Gte => "≥",
        Op::Regex => "matches regex",
        Op::Contains => "contains",
        Op::Exists => "is present",
    }
}

/// A new condition on a field: the field's first operator and a value of the right shape.
pub fn new_condition(field: &ArgField) -> Condition {
    let op = match field.ty {
        ArgType::Number | ArgType::Integer => Op::Gt,
        ArgType::String if !field.enum_values.is_empty() => Op::Eq,
        ArgType::Array => Op::Contains,
        ArgType::Object => Op::Exists,
        _ => Op::Eq,
    };
    Condition { path: field.path.clone(), op, value: default_value(op, field) }
}

/// A value of the shape an operator needs, preferring the field's enum values.
pub fn default_value(op: Op, field: &ArgField) -> Value {
    let first_enum = field.enum_values.first().cloned();
    match op {
        Op::Exists => Value::Bool(true),
        Op::Lt | Op::Lte | Op::Gt | Op::Gte => Value::from(0),
        Op::In | Op::NotIn => Value::Array(first_enum.into_iter().collect()),
        Op::Regex => Value::String("^".into()),
        Op::Eq | Op::Neq | Op::Contains => first_enum.unwrap_or(match field.ty {
            ArgType::Number | ArgType::Integer => Value::from(0),
            ArgType::Boolean => Value::Bool(true),
            _ => Value::String(String::new()),
        }),
    }
}

/// Changes a condition's operator, keeping the value when it still fits and converting it when
/// it can (`eq 5` → `in [5]`, `in [5, 6]` → `eq 5`, anything → `exists true`).
pub fn change_op(cond: &mut Condition, op: Op, field: &ArgField) {
    let fits = |v: &Value| match op {
        Op::Exists => v.is_boolean(),
        Op::Lt | Op::Lte | Op::Gt | Op::Gte => v.is_number(),
        Op::In | Op::NotIn => v.is_array(),
        Op::Regex => v.is_string(),
        Op::Eq | Op::Neq | Op::Contains => !matches!(cond.op, Op::Exists | Op::In | Op::NotIn),
    };
    let value = if fits(&cond.value) {
        cond.value.clone()
    } else {
        match (&cond.value, op) {
            (Value::Array(items), Op::Eq | Op::Neq | Op::Contains) if !items.is_empty() => {
                items.first().cloned().unwrap_or(Value::Null)
            }
            (v, Op::In | Op::NotIn) if !v.is_boolean() || matches!(cond.op, Op::Eq | Op::Neq) => {
                Value::Array(vec![v.clone()])
            }
            (Value::String(s), Op::Lt | Op::Lte | Op::Gt | Op::Gte) => {
                parse_number(s).map_or_else(|| default_value(op, field), Value::Number)
            }
            _ => default_value(op, field),
        }
    };
    cond.op = op;
    cond.value = value;
}

/// Changes the path; when the new field's type does not offer the operator, picks a fresh
/// condition for it.
pub fn change_path(cond: &mut Condition, field: &ArgField) {
    if ops_for(field.ty).contains(&cond.op) {
        cond.path = field.path.clone();
        if !field.enum_values.is_empty()
            && matches!(cond.op, Op::Eq | Op::Neq)
            && !field.enum_values.contains(&cond.value)
        {
            cond.value = default_value(cond.op, field);
        }
    } else {
        *cond = new_condition(field);
    }
}

/// A field for a path the schema does not describe (typed `any`).
pub fn unknown_field(path: &str) -> ArgField {
    ArgField { path: path.to_string(), ty: ArgType::Any, enum_values: Vec::new(), required: false, description: None }
}

/// The text shown in a condition's value box.
///
/// Strings are shown bare when the field is a string (or the operator wants one), lists as
/// comma-separated items when every item is a plain scalar without commas, anything else as JSON.
pub fn value_text(value: &Value, op: Op, ty: ArgType) -> String {
    match (value, op) {
        (Value::String(s), Op::Regex) => s.clone(),
        (Value::String(s), _) if ty == ArgType::String || ty == ArgType::Array => s.clone(),
        (Value::Array(items), Op::In | Op::NotIn) if items.iter().all(|v| simple_item(v, ty)) => {
            items.iter().map(|v| scalar_text(v, ty)).collect::<Vec<_>>().join(", ")
        }
        (v, _) => v.to_string(),
    }
}

fn simple_item(v: &Value, ty: ArgType) -> bool {
    match v {
        Value::String(s) => ty == ArgType::String && !s.contains(',') && s.trim() == s && !s.is_empty(),
        Value::Number(_) | Value::Bool(_) => true,
        _ => false,
    }
}

fn scalar_text(v: &Value, ty: ArgType) -> String {
    match v {
        Value::String(s) if ty == ArgType::String => s.clone(),
        other => other.to_string(),
    }
}

/// Reads a value box's text back into a JSON value for the operator; an error says what is
/// expected. Inverse of [`value_text`] for every value it produces.
pub fn parse_value_text(text: &str, op: Op, ty: ArgType) -> Result<Value, String> {
    let t = text.trim();
    match op {
        Op::Exists => match t {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err("`true` or `false`".into()),
        },
        Op::Lt | Op::Lte | Op::Gt | Op::Gte => parse_number(t).map(Value::Number).ok_or_else(|| "a number".to_string()),
        Op::Regex => Ok(Value::String(text.to_string())),
        Op::In | Op::NotIn => {
            if t.starts_with('[') {
                return match serde_json::from_str::<Value>(t) {
                    Ok(v @ Value::Array(_)) => Ok(v),
                    _ => Err("a JSON array, or items separated by commas".into()),
                };
            }
            if t.is_empty() {
                return Ok(Value::Array(Vec::new()));
            }
            t.split(',').map(|item| scalar(item.trim(), ty)).collect::<Result<Vec<_>, _>>().map(Value::Array)
        }
        Op::Eq | Op::Neq | Op::Contains => match ty {
            ArgType::String | ArgType::Array => Ok(Value::String(text.to_string())),
            _ => scalar(t, ty),
        },
    }
}

/// One scalar in the field's type: a number for numeric fields, `true`/`false` for booleans, a
/// bare string for strings, JSON (or else a string) for the rest.
fn scalar(t: &str, ty: ArgType) -> Result<Value, String> {
    if ty.is_numeric() {
        return parse_number(t).map(Value::Number).ok_or_else(|| format!("`{t}` is not a number"));
    }
    match ty {
        ArgType::Boolean => match t {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("`{t}` is not `true` or `false`")),
        },
        ArgType::String => Ok(Value::String(t.to_string())),
        _ => Ok(serde_json::from_str::<Value>(t).unwrap_or_else(|_| Value::String(t.to_string()))),
    }
}

/// An integer when the text is one, else a finite float.
pub fn parse_number(t: &str) -> Option<Number> {
    if let Ok(i) = t.parse::<i64>() {
        return Some(Number::from(i));
    }
    if let Ok(u) = t.parse::<u64>() {
        return Some(Number::from(u));
    }
    t.parse::<f64>().ok().and_then(Number::from_f64)
}

/// A short one-line rendering of a call's arguments for tables.
pub fn compact_args(args: &Value, max_chars: usize) -> String {
    let text = match args {
        Value::Object(m) if m.is_empty() => return String::new(),
        Value::Object(m) => object_text(m),
        other => other.to_string(),
    };
    if text.chars().count() <= max_chars {
        text
    } else {
        let mut s: String = text.chars().take(max_chars.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

fn object_text(m: &Map<String, Value>) -> String {
    m.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn github_like_schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "owner": {"type": "string", "description": "Repository owner"},
                "perPage": {"type": "number", "minimum": 1},
                "state": {"type": "string", "enum": ["open", "closed"]},
                "draft": {"type": "boolean"},
                "labels": {"type": "array", "items": {"type": "string"}},
                "since": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "count": {"type": ["integer", "null"]},
                "target": {"type": "object", "required": ["env"], "properties": {
                    "env": {"type": "string", "enum": ["staging", "prod"]},
                    "dotted.key": {"type": "string"}
                }},
                "blob": {}
            },
            "required": ["owner", "target"]
        })
    }

    #[test]
    fn fields_come_from_properties_with_types_enums_and_required_flags() {
        let f = fields(&github_like_schema());
        let names: Vec<&str> = f.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            names,
            [
                "args.owner",
                "args.perPage",
                "args.state",
                "args.draft",
                "args.labels",
                "args.since",
                "args.count",
                "args.target",
                "args.target.env",
                "args.blob"
            ]
        );
        let by = |p: &str| f.iter().find(|f| f.path == p).unwrap();
        assert_eq!(by("args.owner").ty, ArgType::String);
        assert!(by("args.owner").required);
        assert_eq!(by("args.owner").description.as_deref(), Some("Repository owner"));
        assert_eq!(by("args.perPage").ty, ArgType::Number);
        assert!(!by("args.perPage").required);
        assert_eq!(by("args.state").enum_values, vec![json!("open"), json!("closed")]);
        assert_eq!(by("args.since").ty, ArgType::String);
        assert_eq!(by("args.count").ty, ArgType::Integer);
        assert_eq!(by("args.target.env").ty, ArgType::String);
        assert!(by("args.target.env").required);
        assert_eq!(by("args.blob").ty, ArgType::Any);
    }

    #[test]
    fn refs_are_followed_as_lint_follows_them() {
        let schema = json!({
            "type": "object",
            "properties": {
                "reason": {"anyOf": [{"$ref": "#/$defs/Reason"}, {"type": "null"}], "description": "why"},
                "target": {"$ref": "#/$defs/Target"},
                "mode": {"allOf": [{"$ref": "#/$defs/Mode"}]}
            },
            "required": ["target"],
            "$defs": {
                "Reason": {"enum": ["duplicate", "fraudulent"]},
                "Target": {"type": "object", "required": ["env"], "properties": {"env": {"type": "string"}}},
                "Mode": {"type": "integer"}
            }
        });
        let f = fields(&schema);
        let by = |p: &str| f.iter().find(|f| f.path == p).unwrap_or_else(|| panic!("no field {p}: {f:?}"));
        assert_eq!(by("args.reason").ty, ArgType::String);
        assert_eq!(by("args.reason").enum_values, vec![json!("duplicate"), json!("fraudulent")]);
        assert_eq!(by("args.reason").description.as_deref(), Some("why"));
        assert_eq!(by("args.target").ty, ArgType::Object);
        assert!(by("args.target.env").required);
        assert_eq!(by("args.mode").ty, ArgType::Integer);
        // Every path the picker offers is one lint knows: no `unknown-arg` for any of them.
        let tool = toolgate_engine::ToolInfo {
            name: "t".into(),
            title: None,
            description: None,
            input_schema: schema.clone(),
            annotations: json!({}),
        };
        let require: Vec<Value> = f.iter().map(|f| json!(f.path)).collect();
        let doc: toolgate_engine::PolicyDoc =
            serde_json::from_value(json!({"version": "1", "default": "deny", "tools": {"t": {"require": require}}}))
                .unwrap();
        assert_eq!(toolgate_engine::lint(&doc, Some(&[tool])), vec![]);
    }

    #[test]
    fn a_schema_of_sixteen_levels_of_forty_refs_gives_its_fields_without_blowing_up() {
        let mut defs = serde_json::Map::new();
        for l in 0..16 {
            let v = if l == 15 {
                json!({"type": "object", "properties": {"amount": {"type": "number"}}})
            } else {
                json!({"anyOf": vec![json!({"$ref": format!("#/$defs/L{}", l + 1)}); 40]})
            };
            defs.insert(format!("L{l}"), v);
        }
        let schema = json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/L0"}}, "$defs": defs});
        let f = fields(&schema);
        let paths: Vec<&str> = f.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["args.a", "args.a.amount"]);
        assert_eq!(f[1].ty, ArgType::Number);
    }

    #[test]
    fn schemas_without_properties_have_no_fields() {
        assert!(fields(&json!({})).is_empty());
        assert!(fields(&json!({"type": "object"})).is_empty());
        assert!(fields(&json!("not a schema")).is_empty());
    }

    #[test]
    fn operators_are_offered_by_type() {
        assert!(ops_for(ArgType::Number).contains(&Op::Gt));
        assert!(!ops_for(ArgType::String).contains(&Op::Gt));
        assert!(ops_for(ArgType::String).contains(&Op::Regex));
        assert!(!ops_for(ArgType::Boolean).contains(&Op::Regex));
        assert_eq!(ops_for(ArgType::Any).len(), Op::ALL.len());
    }

    #[test]
    fn new_conditions_are_valid_for_their_operator() {
        for field in fields(&github_like_schema()) {
            let c = new_condition(&field);
            assert!(ops_for(field.ty).contains(&c.op), "{}", field.path);
            let compiled = toolgate_engine::condition::CompiledCondition::compile(&c);
            assert!(compiled.is_ok(), "{}: {:?}", field.path, compiled.err());
        }
        let state = fields(&github_like_schema()).into_iter().find(|f| f.path == "args.state").unwrap();
        assert_eq!(new_condition(&state).value, json!("open"));
    }

    #[test]
    fn changing_the_operator_converts_the_value() {
        let num = ArgField {
            path: "args.n".into(),
            ty: ArgType::Number,
            enum_values: vec![],
            required: true,
            description: None,
        };
        let mut c = Condition { path: "args.n".into(), op: Op::Eq, value: json!(5) };
        change_op(&mut c, Op::In, &num);
        assert_eq!(c.value, json!([5]));
        change_op(&mut c, Op::Eq, &num);
        assert_eq!(c.value, json!(5));
        change_op(&mut c, Op::Gt, &num);
        assert_eq!(c.value, json!(5));
        change_op(&mut c, Op::Exists, &num);
        assert_eq!(c.value, json!(true));
        change_op(&mut c, Op::Lt, &num);
        assert_eq!(c.value, json!(0));
        let s = unknown_field("args.s");
        let mut c = Condition { path: "args.s".into(), op: Op::Eq, value: json!("12") };
        change_op(&mut c, Op::Gte, &s);
        assert_eq!(c.value, json!(12));
        change_op(&mut c, Op::Regex, &s);
        assert_eq!(c.value, json!("^"));
    }

    #[test]
    fn changing_the_path_to_another_type_starts_a_fitting_condition() {
        let f = fields(&github_like_schema());
        let by = |p: &str| f.iter().find(|f| f.path == p).unwrap();
        let mut c = new_condition(by("args.perPage"));
        c.value = json!(50);
        change_path(&mut c, by("args.count"));
        assert_eq!((c.path.as_str(), c.op, c.value.clone()), ("args.count", Op::Gt, json!(50)));
        change_path(&mut c, by("args.state"));
        assert_eq!((c.path.as_str(), c.op, c.value.clone()), ("args.state", Op::Eq, json!("open")));
    }

    #[test]
    fn value_text_and_parse_are_inverse() {
        let cases = [
            (json!("prod"), Op::Eq, ArgType::String),
            (json!(""), Op::Eq, ArgType::String),
            (json!("a, b"), Op::Contains, ArgType::String),
            (json!(10000), Op::Gt, ArgType::Number),
            (json!(2.5), Op::Lte, ArgType::Number),
            (json!(-3), Op::Eq, ArgType::Integer),
            (json!(true), Op::Exists, ArgType::Any),
            (json!(false), Op::Eq, ArgType::Boolean),
            (json!(["usd", "eur"]), Op::In, ArgType::String),
            (json!([1, 2, 3]), Op::NotIn, ArgType::Number),
            (json!(["a,b", " c"]), Op::In, ArgType::String),
            (json!([{"x": 1}, null]), Op::In, ArgType::Any),
            (json!([]), Op::In, ArgType::String),
            (json!("^refs/heads/(main|prod)$"), Op::Regex, ArgType::String),
            (json!({"k": [1, "2"]}), Op::Eq, ArgType::Object),
            (json!("12"), Op::Eq, ArgType::Any),
            (json!(12), Op::Eq, ArgType::Any),
            (json!("prod"), Op::Contains, ArgType::Array),
        ];
        for (value, op, ty) in cases {
            let text = value_text(&value, op, ty);
            assert_eq!(parse_value_text(&text, op, ty), Ok(value.clone()), "{value} {op} {ty:?} via {text:?}");
        }
    }

    #[test]
    fn bad_value_text_is_an_error_not_a_guess() {
        assert!(parse_value_text("12a", Op::Gt, ArgType::Number).is_err());
        assert!(parse_value_text("1, x", Op::In, ArgType::Integer).is_err());
        assert!(parse_value_text("yes", Op::Exists, ArgType::Any).is_err());
        assert!(parse_value_text("[1,", Op::In, ArgType::Any).is_err());
        assert_eq!(parse_value_text("hello", Op::Eq, ArgType::Any), Ok(json!("hello")));
    }

    #[test]
    fn compact_args_truncates_long_values() {
        assert_eq!(compact_args(&json!({}), 10), "");
        assert_eq!(compact_args(&json!({"a": 1}), 10), "a: 1");
        assert_eq!(compact_args(&json!({"a": "xxxxxxxxxxxx"}), 10), "a: \"xxxxx…");
    }
}
