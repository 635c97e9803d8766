//! Policy text + call arguments + a `tools/list` result, separated by `0xFF` bytes (never valid
//! UTF-8, so the fuzzer can place the cuts freely). Parsing, validation, evaluation, release,
//! state export/import and tool-list filtering must never panic, hang or disagree with themselves.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use toolgate_engine::{Call, Engine, Outcome, filter_tools, json, parse_policy, parse_tool_list};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|b| *b == 0xFF);
    let policy = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let args_text = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let tools_text = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let clock: Vec<u8> = parts.next().unwrap_or_default().to_vec();

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
    }
    let _ = parse_tool_list(&tools_text);
});
