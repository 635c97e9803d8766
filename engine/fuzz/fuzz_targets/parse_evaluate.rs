//! Policy text + call arguments + a `tools/list` result + clock bytes + schema-graph bytes,
//! separated by `0xFF` bytes (never valid UTF-8, so the fuzzer can place the cuts freely).
//! Parsing, validation, evaluation, release, state export/import, tool-list filtering, trace
//! simulation (with the arguments as written, duplicate keys and all) and lint over `$ref` graphs
//! must never panic, hang or disagree with themselves.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};
use toolgate_engine::input_schema::{InputSchema, Lookup};
use toolgate_engine::json::{Kind, Node};
use toolgate_engine::trace::{check_trace, parse_trace, simulate, simulate_text};
use toolgate_engine::{
    Call, Engine, Outcome, PolicyDoc, ToolInfo, filter_tools, json, lint, parse_policy, parse_tool_list,
};

/// The value of a node where a repeated key keeps its **first** occurrence (the engine and
/// JavaScript keep the last; many upstream parsers keep the first).
fn first_wins(node: &Node) -> Value {
    match &node.kind {
        Kind::Array(items) => Value::Array(items.iter().map(first_wins).collect()),
        Kind::Object(members) => {
            let mut map = Map::new();
            for m in members {
                if !map.contains_key(&m.key) {
                    map.insert(m.key.clone(), first_wins(&m.value));
                }
            }
            Value::Object(map)
        }
        _ => node.to_value(),
    }
}

/// Every `tools` list a client could read from a filtered response, under first-wins and
/// last-wins readings of repeated keys, and every name each tool could have.
fn readable_names(root: &Node) -> Vec<String> {
    let pick = |n: &Node, key: &str| -> Vec<Node> {
        match &n.kind {
            Kind::Object(members) => members.iter().filter(|m| m.key == key).map(|m| m.value.clone()).collect(),
            _ => Vec::new(),
        }
    };
    let mut lists = pick(root, "tools");
    for r in pick(root, "result") {
        lists.extend(pick(&r, "tools"));
    }
    let mut out = Vec::new();
    for list in lists {
        if let Kind::Array(items) = &list.kind {
            for item in items {
                for name in pick(item, "name") {
                    if let Kind::String(s) = name.kind {
                        out.push(s);
                    }
                }
            }
        }
    }
    out
}

/// A tool whose `inputSchema` is a `$ref` graph built from `bytes`: up to 24 definitions, each an
/// `anyOf`/`oneOf` fan of references (cycles and repeats included), a one- or two-element
/// `allOf`, an object with properties `p0…`, a typed leaf, an enum or a bare `$ref`.
fn ref_graph(bytes: &[u8]) -> Value {
    let mut it = bytes.iter().copied();
    let mut next = move || it.next().unwrap_or(0);
    let n = usize::from(next() % 24) + 1;
    let r = |i: u8| json!({"$ref": format!("#/$defs/D{}", usize::from(i) % n)});
    let mut defs = Map::new();
    for i in 0..n {
        let kind = next();
        let def = match kind % 8 {
            0 | 1 => {
                let width = usize::from(next() % 48);
                let branches: Vec<Value> = (0..width).map(|_| r(next())).collect();
                if kind % 8 == 0 { json!({"anyOf": branches}) } else { json!({"oneOf": branches}) }
            }
            2 => {
                if next() % 2 == 0 { json!({"allOf": [r(next())]}) } else { json!({"allOf": [r(next()), r(next())]}) }
            }
            3 | 4 => {
                let count = usize::from(next() % 6);
                let mut props = Map::new();
                let mut required = Vec::new();
                for k in 0..count {
                    let b = next();
                    props.insert(format!("p{k}"), if b % 3 == 0 { json!({"type": "string"}) } else { r(b) });
                    if b % 2 == 0 {
                        required.push(json!(format!("p{k}")));
                    }
                }
                let open = next() % 5 == 0;
                json!({"type": "object", "properties": props, "required": required, "additionalProperties": open})
            }
            5 => match next() % 6 {
                0 => json!({"type": "string"}),
                1 => json!({"type": ["number", "null"]}),
                2 => json!({"type": ["string", "integer"]}),
                3 => json!({}),
                4 => json!({"type": "strange"}),
                _ => json!(true),
            },
            6 => json!({"enum": ["a", 1, null, {"x": 1}]}),
            _ => r(next()),
        };
        defs.insert(format!("D{i}"), def);
    }
    json!({"$ref": "#/$defs/D0", "$defs": defs})
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == 0xFF);
    let policy = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let args_text = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let tools_text = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let clock: Vec<u8> = parts.next().unwrap_or_default().to_vec();
    let graph: Vec<u8> = parts.next().unwrap_or_default().to_vec();

    let policy = match parse_policy(&policy) {
        Ok(p) => p,
        Err(errors) => {
            assert!(!errors.is_empty(), "an invalid policy reports at least one error");
            for e in &errors {
                assert!(e.line.is_some() && e.column.is_some(), "errors from text are located: {e:?}");
            }
            None
        }
    };

    // Arguments: the JSON value if it parses (any type), else the raw text as a string.
    let args: Value = serde_json::from_str(&args_text).unwrap_or(Value::String(args_text.to_string()));

    // Tool names to call: the policy's own names, hidden names, and a few others.
    let mut names: Vec<String> = vec!["x".into(), "*".into(), String::new()];
    if let Some(p) = &policy {
        let doc = p.doc();
        names.extend(doc.tools.iter().flat_map(|t| t.keys().cloned()));
        names.extend(doc.hide.iter().flatten().cloned());
    }

    let mut engine = Engine::new(policy.clone());
    let mut at_ms: u64 = 1_767_225_600_000;
    let mut decisions = Vec::new();
    for (i, name) in names.iter().enumerate().take(64) {
        let step = clock.get(i).copied().unwrap_or(1);
        // Jumps of 0 ms to ~2 days, sometimes backwards.
        let delta = u64::from(step & 0x7F).pow(4);
        at_ms = if step & 0x80 != 0 { at_ms.saturating_sub(delta) } else { at_ms.saturating_add(delta) };
        let grant = if step % 3 == 0 { "other" } else { "default" };
        let call = Call::new(name, at_ms).with_grant(grant);
        let call = if step % 5 == 0 { call } else { call.with_args(&args) };
        let before = engine.export_state();
        let dry = engine.check(&call);
        let d = engine.evaluate(&call);
        assert_eq!(dry, d, "check and evaluate agree");
        if d.outcome != Outcome::Allow {
            assert_eq!(engine.export_state(), before, "refused calls consume nothing");
        }
        for c in &d.counters {
            assert!(d.outcome != Outcome::Allow || c.used <= c.max, "an allowed call never exceeds a max: {d:?}");
        }
        if step % 7 == 0 {
            engine.release(&d);
        }
        decisions.push(d);
    }
    if let Some(d) = decisions.first() {
        engine.release(d);
    }

    let snapshot = engine.export_state();
    let mut copy = Engine::new(policy.clone());
    copy.import_state(&snapshot).expect("an exported state imports");
    assert_eq!(copy.export_state(), snapshot);
    let call = Call::new("x", at_ms).with_args(&args);
    assert_eq!(copy.check(&call), engine.check(&call), "an imported state decides the same");

    if let Ok(filtered) = filter_tools(policy.as_ref(), &tools_text) {
        let names_in = |text: &str| -> Vec<String> {
            let root = json::parse(text).expect("filter input and output parse").to_value();
            let list = root.get("tools").or_else(|| root.get("result").and_then(|r| r.get("tools")));
            list.and_then(Value::as_array)
                .expect("a tools array")
                .iter()
                .map(|t| t.get("name").and_then(Value::as_str).expect("tools have names").to_string())
                .collect()
        };
        let want: Vec<String> = names_in(&tools_text).into_iter().filter(|n| engine.is_visible(n)).collect();
        assert_eq!(names_in(&filtered), want, "exactly the visible tools are kept, in order");
        // No reading of the output — first or last of a repeated key, top-level `tools` or
        // `result.tools` — shows a hidden tool (the decoy-list attack).
        let out = json::parse(&filtered).expect("filtered output parses");
        for name in readable_names(&out) {
            assert!(engine.is_visible(&name), "a hidden tool `{name}` is readable in the filtered list");
        }
    }
    let _ = parse_tool_list(&tools_text);

    // Lint against the pasted tool list, and against a `$ref` graph: bounded, and the one schema
    // reader agrees with itself (no property it lists is missing for a lookup).
    let graph_tool = ToolInfo {
        name: "g".into(),
        title: None,
        description: None,
        input_schema: ref_graph(&graph),
        annotations: json!({}),
    };
    let mut tools = parse_tool_list(&tools_text).unwrap_or_default();
    tools.push(graph_tool.clone());
    for t in tools.iter().rev().take(4) {
        let reader = InputSchema::new(&t.input_schema);
        for p in reader.properties(4).iter().take(16) {
            assert!(p.path.len() <= 4, "properties stay within the depth asked for");
            // Found, or past the lookup's own budget — never reported missing (lint would then
            // call a field the picker offers an unknown argument).
            assert!(
                !matches!(reader.lookup(&p.path), Lookup::Missing { .. }),
                "a listed property is never missing for lookup: {:?} in {}",
                p.path,
                t.input_schema
            );
        }
    }
    let paths = ["args.p0", "args.p1.p0", "args.p2.p1.p0", "args.p0.p3", "args.q"];
    let ops = ["gt", "eq", "in", "neq", "regex", "exists", "lte", "not_in"];
    let conditions: Vec<Value> = graph
        .iter()
        .take(8)
        .enumerate()
        .map(|(i, b)| {
            let op = ops[usize::from(*b) % ops.len()];
            let value = match op {
                "in" | "not_in" => json!([1, "a"]),
                "regex" => json!("^a"),
                "exists" => json!(true),
                "eq" | "neq" if b % 2 == 0 => json!("a"),
                _ => json!(i),
            };
            json!({"path": paths[usize::from(b / 8) % paths.len()], "op": op, "value": value})
        })
        .collect();
    let doc: PolicyDoc = serde_json::from_value(json!({
        "version": "1", "default": "deny", "hide": ["h"],
        "tools": {"g": {"require": ["args.p0", {"conditions": conditions.clone()}], "deny_if": [{"conditions": conditions}]}}
    }))
    .expect("a well-formed document");
    for w in lint(&doc, Some(&tools)) {
        assert!(toolgate_engine::lint::CODES.contains(&w.code.as_str()), "a known code: {w:?}");
    }
    if let Some(p) = &policy {
        let _ = lint(p.doc(), Some(&tools));
    }

    // The arguments as written (duplicate keys and all) in a trace, one line per tool name.
    let args_node = json::parse(&args_text).ok().filter(|n| matches!(n.kind, Kind::Object(_)));
    if let Some(node) = &args_node {
        let trace: String = names
            .iter()
            .take(8)
            .enumerate()
            .map(|(i, name)| {
                format!("{{\"tool\":{},\"at_ms\":{},\"args\":{}}}\n", json!(name), 1_767_225_600_000_u64 + i as u64, args_text)
            })
            .collect();
        let parsed = parse_trace(&trace);
        assert_eq!(check_trace(&trace).is_empty(), parsed.is_ok(), "check_trace agrees with parse_trace");
        let sim = simulate_text(policy.as_ref(), &trace);
        match (&sim, &parsed) {
            (Ok(sim), Ok(calls)) => {
                assert_eq!(sim, &simulate(policy.as_ref(), calls), "streamed and parsed simulations agree");
                assert_eq!(sim.decisions.len(), calls.len());
                let last = node.to_value();
                if !has_repeated_key(node) {
                    // No repeated key: the text path decides as the value path.
                    assert_eq!(first_wins(node), last);
                    let mut e = Engine::new(policy.clone());
                    for (d, c) in sim.decisions.iter().zip(calls) {
                        assert_eq!(d.decision, e.evaluate(&Call::new(&c.tool, c.at_ms).with_args(&last)));
                    }
                } else {
                    strict_duplicates(sim);
                }
            }
            (Err(a), Err(b)) => assert_eq!(a, b, "the same errors either way"),
            _ => panic!("simulate_text and parse_trace disagree on validity"),
        }
    }
});

/// Whether an object anywhere in `node` repeats a key.
fn has_repeated_key(node: &Node) -> bool {
    match &node.kind {
        Kind::Array(items) => items.iter().any(has_repeated_key),
        Kind::Object(members) => {
            let mut seen = std::collections::HashSet::new();
            members.iter().any(|m| !seen.insert(m.key.as_str()) || has_repeated_key(&m.value))
        }
        _ => false,
    }
}

/// Arguments with a repeated key (which a server may read by first or by last occurrence): such a
/// call is refused as `(invalid arguments)`, never decided on either reading (issue 9, finding 1).
fn strict_duplicates(sim: &toolgate_engine::trace::Simulation) {
    for d in &sim.decisions {
        assert_eq!(d.decision.outcome, Outcome::Deny, "a call with ambiguous duplicate keys is refused: {d:?}");
        assert_eq!(&*d.decision.rule, "(invalid arguments)", "refused as invalid arguments: {d:?}");
    }
}
