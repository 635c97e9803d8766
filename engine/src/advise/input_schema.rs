//! The one reader of a tool's `inputSchema`: which properties exist, which are required, their
//! types and allowed values — used by lint and by the browser app's argument picker, so both see
//! the same schema.
//!
//! Schemas in real tool lists vary (`type` arrays, `anyOf` with `null`, local `$ref`s, `$defs`,
//! pydantic's one-element `allOf`); what this module cannot read is "anything goes" — never a
//! guess. Tool lists are untrusted input (a share link can carry one), so the work is bounded:
//!
//! - a `$ref` is followed to at most [`MAX_REF_HOPS`] targets in a row (cycles end there);
//! - `anyOf`/`oneOf`/`allOf` are expanded at most [`MAX_NESTING`] levels deep;
//! - one question (a path lookup, the facts of a property) visits at most [`MAX_VISITS`] schema
//!   nodes, a listing of every property at most [`MAX_LISTING_VISITS`] in all and returns at
//!   most [`MAX_PROPERTIES`]; a node reached twice in one expansion (two `$ref`s to the same
//!   definition) is expanded once.
//!
//! Past a bound the answer is "cannot be read" (no warning, an untyped field), so a schema built
//! as 16 levels of 40 `anyOf` branches costs a few hundred visits instead of 40¹⁶.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;

use serde_json::Value;

/// `$ref` hops followed in a row before giving up (cycles, pathological chains).
pub const MAX_REF_HOPS: usize = 16;

/// `anyOf`/`oneOf`/`allOf` nesting expanded before giving up.
pub const MAX_NESTING: usize = 16;

/// Schema nodes one question may visit.
pub const MAX_VISITS: usize = 4096;

/// Schema nodes one listing of every property ([`InputSchema::properties`]) may visit in all.
pub const MAX_LISTING_VISITS: usize = 4 * MAX_VISITS;

/// Properties one listing returns at most.
pub const MAX_PROPERTIES: usize = 512;

/// A JSON Schema type name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JsonType {
    /// `null`
    Null,
    /// `boolean`
    Boolean,
    /// `integer`
    Integer,
    /// `number`
    Number,
    /// `string`
    String,
    /// `array`
    Array,
    /// `object`
    Object,
}

impl JsonType {
    /// Parses a `type` name; `None` for anything else.
    pub fn parse(s: &str) -> Option<JsonType> {
        Some(match s {
            "null" => JsonType::Null,
            "boolean" => JsonType::Boolean,
            "integer" => JsonType::Integer,
            "number" => JsonType::Number,
            "string" => JsonType::String,
            "array" => JsonType::Array,
            "object" => JsonType::Object,
            _ => return None,
        })
    }

    /// The type of a JSON value (whole numbers are `integer`).
    pub fn of(v: &Value) -> JsonType {
        match v {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Boolean,
            Value::Number(n) if n.is_i64() || n.is_u64() => JsonType::Integer,
            Value::Number(_) => JsonType::Number,
            Value::String(_) => JsonType::String,
            Value::Array(_) => JsonType::Array,
            Value::Object(_) => JsonType::Object,
        }
    }

    /// The type with its article, as messages spell it ("a string", "`null`").
    pub fn article(self) -> &'static str {
        match self {
            JsonType::Null => "`null`",
            JsonType::Boolean => "a boolean",
            JsonType::Integer => "an integer",
            JsonType::Number => "a number",
            JsonType::String => "a string",
            JsonType::Array => "an array",
            JsonType::Object => "an object",
        }
    }
}

/// A set of allowed types.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Types(pub BTreeSet<JsonType>);

impl Types {
    /// Whether `t` is allowed.
    pub fn has(&self, t: JsonType) -> bool {
        self.0.contains(&t)
    }

    /// Whether numbers are allowed (`number` or `integer`).
    pub fn number_like(&self) -> bool {
        self.has(JsonType::Number) || self.has(JsonType::Integer)
    }

    /// Whether a value has an allowed type (`integer` accepts `4.0`).
    pub fn fits(&self, v: &Value) -> bool {
        match v {
            Value::Number(n) => {
                self.has(JsonType::Number)
                    || (self.has(JsonType::Integer)
                        && (n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)))
            }
            other => self.has(JsonType::of(other)),
        }
    }

    /// The allowed types other than `null`.
    pub fn non_null(&self) -> impl Iterator<Item = JsonType> + '_ {
        self.0.iter().copied().filter(|t| *t != JsonType::Null)
    }
}

/// What the schema says about one property's values.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Facts {
    /// Allowed JSON types; `None` when the schema does not say (or says something unreadable).
    pub types: Option<Types>,
    /// Allowed values (`enum`/`const`); `None` when not restricted.
    pub enumeration: Option<Vec<Value>>,
}

impl Facts {
    /// Whether `null` is allowed.
    pub fn nullable(&self) -> bool {
        self.types.as_ref().is_some_and(|t| t.has(JsonType::Null))
            || self.enumeration.as_ref().is_some_and(|e| e.iter().any(Value::is_null))
    }

    /// Whether a string may be sent: the schema allows strings, or does not say.
    pub fn may_be_string(&self) -> bool {
        self.types.as_ref().is_none_or(|t| t.has(JsonType::String))
    }

    /// The allowed types in words: "a string or `null`", "one of `"a"`, `"b"`", "untyped".
    pub fn describe(&self) -> String {
        if let Some(values) = &self.enumeration {
            return format!("one of {}", value_list(values));
        }
        let Some(types) = &self.types else { return "untyped".into() };
        // `null` last ("a string or `null`"); "an integer or a number" reads as "a number".
        let mut names: Vec<&str> = types
            .non_null()
            .filter(|t| !(*t == JsonType::Integer && types.has(JsonType::Number)))
            .map(JsonType::article)
            .collect();
        if types.has(JsonType::Null) {
            names.push(JsonType::Null.article());
        }
        match names.as_slice() {
            [] => "never valid".into(),
            [one] => (*one).to_string(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
        }
    }
}

/// A JSON value as a message quotes it: compact, at most 40 characters.
pub fn show(v: &Value) -> String {
    let s = serde_json::to_string(v).unwrap_or_default();
    if s.chars().count() > 40 { s.chars().take(37).chain("...".chars()).collect() } else { s }
}

/// A list of names for a help text: at most 8 in backticks, then "and N more".
pub fn name_list<'s>(names: impl IntoIterator<Item = &'s str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    let mut out: Vec<String> = names.iter().take(8).map(|n| format!("`{n}`")).collect();
    if names.len() > 8 {
        out.push(format!("and {} more", names.len() - 8));
    }
    out.join(", ")
}

/// [`name_list`] of JSON values.
pub fn value_list(values: &[Value]) -> String {
    let shown: Vec<String> = values.iter().map(show).collect();
    name_list(shown.iter().map(String::as_str))
}

/// A found property: its schema(s) and whether every level of the path is required.
#[derive(Debug, Clone)]
pub struct Found<'a> {
    /// The property's schemas, one per alternative of its parent that has it.
    pub schemas: Vec<&'a Value>,
    /// Whether every level of the path is listed in `required`.
    pub required: bool,
}

/// The answer to a path lookup.
#[derive(Debug, Clone)]
pub enum Lookup<'a> {
    /// The schema does not say (no `properties`, open `additionalProperties`, unreadable shapes,
    /// or the work bound was reached).
    Unknown,
    /// Segment `level` is not a property; `candidates` are the properties at that level.
    Missing {
        /// The index of the missing segment.
        level: usize,
        /// The properties at that level, in schema order.
        candidates: Vec<String>,
    },
    /// The path exists.
    Found(Found<'a>),
}

/// One argument of a tool, as the app's picker offers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// Segments after `args` (`["target", "env"]`).
    pub path: Vec<String>,
    /// Types and allowed values.
    pub facts: Facts,
    /// Whether every level of the path is listed in `required`.
    pub required: bool,
    /// The schema's `description`, if any.
    pub description: Option<String>,
    /// Whether it is an object with `properties` of its own.
    pub has_properties: bool,
}

/// A tool's `inputSchema`, read within bounds (see the module documentation).
#[derive(Debug)]
pub struct InputSchema<'a> {
    root: &'a Value,
    visits: Cell<usize>,
    limit: Cell<usize>,
    /// `$ref` targets already resolved, by the address of the `$ref` value (a JSON pointer walk
    /// costs more than the rest of a visit).
    targets: RefCell<rustc_hash::FxHashMap<usize, Option<&'a Value>>>,
}

/// The schema nodes already expanded in one expansion, by address.
type Seen = rustc_hash::FxHashSet<usize>;

/// One level of properties.
struct Level<'a> {
    /// (name, schemas, listed in `required` by every alternative that has it), in order.
    members: Vec<(&'a String, Vec<&'a Value>, bool)>,
    /// Some alternative accepts more properties than it declares (or cannot be read).
    open: bool,
    /// Some alternative declares `properties`.
    any_properties: bool,
}

impl<'a> InputSchema<'a> {
    /// Reads `root` (a tool's `inputSchema`).
    pub fn new(root: &'a Value) -> Self {
        InputSchema { root, visits: Cell::new(0), limit: Cell::new(MAX_VISITS), targets: RefCell::default() }
    }

    /// Starts a new question with a fresh budget of `limit` visits.
    fn begin(&self, limit: usize) {
        self.visits.set(0);
        self.limit.set(limit);
    }

    /// Spends one visit; false when the budget is gone.
    fn visit(&self) -> bool {
        let n = self.visits.get();
        self.visits.set(n.saturating_add(1));
        n < self.limit.get()
    }

    /// Follows local `$ref`s (`#/$defs/X`, `#/definitions/X`, `#`). `None` for anything else.
    fn resolve(&self, mut s: &'a Value) -> Option<&'a Value> {
        for _ in 0..MAX_REF_HOPS {
            let Some(r) = s.get("$ref") else { return Some(s) };
            if !self.visit() {
                return None;
            }
            let key = std::ptr::from_ref(r) as usize;
            let known = self.targets.borrow().get(&key).copied();
            let target = match known {
                Some(t) => t,
                None => {
                    let t = r
                        .as_str()
                        .and_then(|r| r.strip_prefix('#'))
                        .and_then(|t| if t.is_empty() { Some(self.root) } else { self.root.pointer(t) });
                    self.targets.borrow_mut().insert(key, t);
                    t
                }
            };
            s = target?;
        }
        None
    }

    /// The alternatives a schema stands for: itself, the branches of a bare `anyOf`/`oneOf`, or
    /// the only member of a one-element `allOf`. Each distinct node is expanded once per
    /// question (`seen`). Returns false when some part cannot be read.
    fn branches(&self, s: &'a Value, out: &mut Vec<&'a Value>, seen: &mut Seen, depth: usize) -> bool {
        if depth > MAX_NESTING || !self.visit() {
            return false;
        }
        let Some(s) = self.resolve(s) else { return false };
        if !s.is_object() {
            return false; // boolean schemas and garbage: anything goes
        }
        // The node's address identifies it within the one document.
        if !seen.insert(std::ptr::from_ref(s) as usize) {
            return true; // already expanded (two `$ref`s to one definition)
        }
        let own = ["type", "enum", "const", "properties"].iter().any(|k| s.get(k).is_some());
        let alternatives = s.get("anyOf").or_else(|| s.get("oneOf")).and_then(Value::as_array);
        match (alternatives, s.get("allOf").and_then(Value::as_array)) {
            (Some(alts), None) if !own => alts.iter().all(|a| self.branches(a, out, seen, depth + 1)),
            (None, Some(all)) if !own => match all.as_slice() {
                [only] => self.branches(only, out, seen, depth + 1),
                _ => false, // an intersection: not read
            },
            (Some(_), Some(_)) if !own => false,
            _ => {
                out.push(s);
                true
            }
        }
    }

    /// The branches of several schemas (the alternatives found at one level).
    fn all_branches(&self, schemas: &[&'a Value]) -> Option<Vec<&'a Value>> {
        let mut out = Vec::new();
        let mut seen = Seen::default();
        schemas.iter().all(|s| self.branches(s, &mut out, &mut seen, 0)).then_some(out)
    }

    /// The properties one level declares, in order of first appearance; `None` when the level
    /// cannot be read (or the budget ran out).
    fn members(&self, level: &[&'a Value]) -> Option<Level<'a>> {
        let branches = self.all_branches(level)?;
        let mut out = Level { members: Vec::new(), open: false, any_properties: false };
        for b in branches {
            match b.get("properties") {
                Some(Value::Object(props)) => {
                    out.any_properties = true;
                    if matches!(b.get("additionalProperties"), Some(Value::Object(_) | Value::Bool(true)))
                        || b.get("patternProperties").is_some()
                    {
                        out.open = true;
                    }
                    let required = b.get("required").and_then(Value::as_array);
                    for (k, p) in props {
                        if !self.visit() {
                            return None;
                        }
                        let listed = required.is_some_and(|r| r.iter().any(|x| x.as_str() == Some(k.as_str())));
                        match out.members.iter_mut().find(|(name, _, _)| *name == k) {
                            Some((_, schemas, req)) => {
                                schemas.push(p);
                                *req &= listed;
                            }
                            None => out.members.push((k, vec![p], listed)),
                        }
                    }
                }
                Some(_) => out.open = true,
                None if cannot_be_object(b) => {}
                None => out.open = true,
            }
        }
        Some(out)
    }

    /// Looks up an argument path (segments after `args`).
    pub fn lookup(&self, segments: &[String]) -> Lookup<'a> {
        self.begin(MAX_VISITS);
        let mut level: Vec<&'a Value> = vec![self.root];
        let mut required = true;
        for (depth, seg) in segments.iter().enumerate() {
            let Some(here) = self.members(&level) else { return Lookup::Unknown };
            match here.members.iter().find(|(name, _, _)| *name == seg) {
                Some((_, schemas, req)) => {
                    required &= *req;
                    level = schemas.clone();
                }
                None if here.open || !here.any_properties => return Lookup::Unknown,
                None => {
                    let candidates = here.members.into_iter().map(|(name, _, _)| name.clone()).collect();
                    return Lookup::Missing { level: depth, candidates };
                }
            }
        }
        Lookup::Found(Found { schemas: level, required })
    }

    /// Types and allowed values of a property (the union over its alternatives).
    pub fn facts(&self, schemas: &[&'a Value]) -> Facts {
        self.begin(MAX_VISITS);
        self.facts_within(schemas)
    }

    fn facts_within(&self, schemas: &[&'a Value]) -> Facts {
        let Some(branches) = self.all_branches(schemas).filter(|b| !b.is_empty()) else { return Facts::default() };
        let mut types = Types::default();
        let mut enumeration: Option<Vec<Value>> = Some(Vec::new());
        for b in branches {
            if let Some(c) = b.get("const") {
                types.0.insert(JsonType::of(c));
                if let Some(e) = enumeration.as_mut() {
                    e.push(c.clone());
                }
            } else if let Some(values) = b.get("enum").and_then(Value::as_array) {
                types.0.extend(values.iter().map(JsonType::of));
                if let Some(e) = enumeration.as_mut() {
                    e.extend(values.iter().cloned());
                }
            } else if is_null_type(b.get("type")) {
                // `{"type": "null"}` next to an enum (`anyOf: [{"$ref": Enum}, {"type": "null"}]`) keeps the enum.
                types.0.insert(JsonType::Null);
                if let Some(e) = enumeration.as_mut() {
                    e.push(Value::Null);
                }
            } else {
                enumeration = None;
                match b.get("type") {
                    Some(Value::String(t)) => match JsonType::parse(t) {
                        Some(t) => {
                            types.0.insert(t);
                        }
                        None => return Facts::default(),
                    },
                    Some(Value::Array(ts)) => {
                        for t in ts {
                            match t.as_str().and_then(JsonType::parse) {
                                Some(t) => {
                                    types.0.insert(t);
                                }
                                None => return Facts::default(),
                            }
                        }
                    }
                    // `properties` without `type`: an object.
                    None if b.get("properties").is_some_and(Value::is_object) => {
                        types.0.insert(JsonType::Object);
                    }
                    _ => return Facts::default(),
                }
            }
        }
        Facts { types: Some(types), enumeration }
    }

    /// The `description` of a property: its own, else the first of its alternatives'.
    fn description(&self, schemas: &[&'a Value]) -> Option<String> {
        let own = schemas.iter().find_map(|s| s.get("description").and_then(Value::as_str));
        own.or_else(|| {
            self.all_branches(schemas)?.into_iter().find_map(|b| b.get("description").and_then(Value::as_str))
        })
        .map(str::to_string)
    }

    /// Every addressable argument, depth first in schema order, nested objects down to
    /// `max_depth` levels (`args.a.b` is 2). Keys that a condition path cannot address (empty,
    /// or containing `.`) are left out. Within [`MAX_LISTING_VISITS`] and [`MAX_PROPERTIES`]:
    /// what lies beyond is not listed (and a property whose type could not be read in what was
    /// left is untyped).
    pub fn properties(&self, max_depth: usize) -> Vec<Property> {
        let mut out = Vec::new();
        self.begin(MAX_LISTING_VISITS);
        self.collect(vec![self.root], &[], true, max_depth, &mut out);
        out
    }

    fn collect(
        &self,
        level: Vec<&'a Value>,
        prefix: &[String],
        required: bool,
        depth_left: usize,
        out: &mut Vec<Property>,
    ) {
        if depth_left == 0 {
            return;
        }
        let Some(here) = self.members(&level) else { return };
        for (name, schemas, req) in here.members {
            if out.len() >= MAX_PROPERTIES || self.visits.get() >= self.limit.get() {
                return;
            }
            if name.is_empty() || name.contains('.') {
                continue;
            }
            let mut path = prefix.to_vec();
            path.push(name.clone());
            let facts = self.facts_within(&schemas);
            let description = self.description(&schemas);
            let has_properties = self.members(&schemas).is_some_and(|l| !l.members.is_empty());
            let required = required && req;
            out.push(Property { path: path.clone(), facts, required, description, has_properties });
            if has_properties {
                self.collect(schemas, &path, required, depth_left - 1, out);
            }
        }
    }
}

fn is_null_type(t: Option<&Value>) -> bool {
    match t {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => !ts.is_empty() && ts.iter().all(|t| t.as_str() == Some("null")),
        _ => false,
    }
}

/// True when a schema branch says its value is never an object (`{"type": "null"}`, an enum of
/// strings): such a branch has no properties to look into.
fn cannot_be_object(b: &Value) -> bool {
    if let Some(values) = b.get("enum").and_then(Value::as_array) {
        return !values.iter().any(Value::is_object);
    }
    if let Some(c) = b.get("const") {
        return !c.is_object();
    }
    match b.get("type") {
        Some(Value::String(t)) => t != "object",
        Some(Value::Array(ts)) => !ts.iter().any(|t| t.as_str() == Some("object")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn segs(path: &str) -> Vec<String> {
        path.split('.').map(str::to_string).collect()
    }

    /// `$defs/L0 … L{levels-1}`, each an `anyOf` of `width` references to the next level.
    fn ref_fan(levels: usize, width: usize) -> Value {
        let mut defs = serde_json::Map::new();
        for l in 0..levels {
            let next = if l + 1 == levels {
                json!({"type": "object", "properties": {"deep": {"type": "string"}}})
            } else {
                json!({"anyOf": vec![json!({"$ref": format!("#/$defs/L{}", l + 1)}); width]})
            };
            defs.insert(format!("L{l}"), next);
        }
        json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/L0"}}, "$defs": defs})
    }

    #[test]
    fn sixteen_levels_of_forty_ref_branches_are_read_with_a_bounded_number_of_visits() {
        let schema = ref_fan(16, 40);
        let s = InputSchema::new(&schema);
        // Each definition is expanded once: the chain is 15 `anyOf` levels, within the nesting bound.
        let Lookup::Found(found) = s.lookup(&segs("a.deep")) else { panic!("a.deep should be found") };
        assert!(s.visits.get() < 2 * 16 * 40 + 100, "{} visits", s.visits.get());
        assert_eq!(s.facts(&found.schemas).types.unwrap().0, BTreeSet::from([JsonType::String]));
        assert!(matches!(s.lookup(&segs("a.deeep")), Lookup::Missing { level: 1, .. }));
        // Deeper than the nesting bound: cannot be read, quickly.
        let schema = ref_fan(40, 40);
        let s = InputSchema::new(&schema);
        assert!(matches!(s.lookup(&segs("a.deep")), Lookup::Unknown));
        assert!(s.visits.get() <= MAX_VISITS + 1);
        assert_eq!(s.properties(4).len(), 1);
    }

    #[test]
    fn distinct_definitions_in_every_branch_run_out_of_budget_not_time() {
        // 40 distinct definitions per level (no two branches alike): 40^3 leaves.
        let mut defs = serde_json::Map::new();
        for l in 0..3 {
            for b in 0..40 {
                let v = if l == 2 {
                    json!({"type": "object", "properties": {format!("p{b}"): {"type": "string"}}})
                } else {
                    json!({"anyOf": (0..40).map(|c| json!({"$ref": format!("#/$defs/L{}_{c}", l + 1)})).collect::<Vec<_>>()})
                };
                defs.insert(format!("L{l}_{b}"), v);
            }
        }
        let schema = json!({"$ref": "#/$defs/L0_0", "$defs": defs});
        let s = InputSchema::new(&schema);
        // 40 + 40·40 branches (the third level shares its 40 definitions): within budget.
        assert!(matches!(s.lookup(&segs("p3")), Lookup::Found(_)));
        assert!(s.visits.get() <= MAX_VISITS + 1);
    }

    #[test]
    fn a_listing_of_a_wide_recursive_schema_stops_at_its_bounds() {
        // Six properties per level, each the whole schema again: 6 + 36 + 216 + 1296 paths to depth 4.
        let props: Map<String, Value> = (0..6).map(|i| (format!("p{i}"), json!({"$ref": "#"}))).collect();
        let schema = json!({"type": "object", "properties": props});
        let s = InputSchema::new(&schema);
        let listed = s.properties(4);
        assert!(listed.len() <= MAX_PROPERTIES && listed.len() >= 6 + 36, "{}", listed.len());
        assert!(s.visits.get() <= MAX_LISTING_VISITS + 1);
        assert_eq!(listed[0].path, ["p0"]);
        assert_eq!(s.properties(2).len(), 6 + 36);
    }

    #[test]
    fn cycles_and_self_references_end() {
        for schema in [
            json!({"$ref": "#/$defs/Loop", "$defs": {"Loop": {"$ref": "#/$defs/Loop"}}}),
            json!({"$ref": "#"}),
            json!({"anyOf": [{"$ref": "#"}, {"type": "object", "properties": {"x": {"$ref": "#"}}}]}),
        ] {
            let s = InputSchema::new(&schema);
            let _ = s.lookup(&segs("x.x.x.x.x"));
            assert!(s.visits.get() <= MAX_VISITS + 1, "{schema}");
            assert!(s.properties(4).len() <= 4, "{schema}");
        }
    }

    #[test]
    fn one_element_all_of_is_its_element_and_longer_ones_are_not_read() {
        let schema = json!({
            "type": "object",
            "properties": {
                "kind": {"allOf": [{"$ref": "#/definitions/Kind"}], "description": "the kind"},
                "both": {"allOf": [{"type": "string"}, {"maxLength": 3}]}
            },
            "definitions": {"Kind": {"enum": ["a", "b"]}}
        });
        let s = InputSchema::new(&schema);
        let Lookup::Found(found) = s.lookup(&segs("kind")) else { panic!() };
        assert_eq!(s.facts(&found.schemas).enumeration, Some(vec![json!("a"), json!("b")]));
        let Lookup::Found(found) = s.lookup(&segs("both")) else { panic!() };
        assert_eq!(s.facts(&found.schemas), Facts::default());
        let props = s.properties(4);
        assert_eq!(props[0].description.as_deref(), Some("the kind"));
    }

    #[test]
    fn properties_follow_refs_like_lookup_does() {
        let schema = json!({
            "type": "object",
            "properties": {"target": {"$ref": "#/$defs/Target"}, "n": {"anyOf": [{"type": "integer"}, {"type": "null"}]}},
            "required": ["target"],
            "$defs": {"Target": {"type": "object", "required": ["env"], "properties": {"env": {"enum": ["prod", "dev"]}}}}
        });
        let s = InputSchema::new(&schema);
        let props = s.properties(4);
        let paths: Vec<String> = props.iter().map(|p| p.path.join(".")).collect();
        assert_eq!(paths, ["target", "target.env", "n"]);
        assert!(props[1].required && props[1].facts.enumeration.is_some());
        assert!(!props[2].required && props[2].facts.nullable());
        assert!(matches!(s.lookup(&segs("target.env")), Lookup::Found(Found { required: true, .. })));
    }
}
