//! Bad and extreme input: every case must end in a clear, located error or a correct decision —
//! never a panic, a stack overflow or a hang.
#![expect(clippy::panic, clippy::unwrap_used, reason = "test code")]

use std::fmt::Write as _;
use std::time::Instant;

use serde_json::{Value, json};
use toolgate_engine::validate::MAX_ERRORS;
use toolgate_engine::{Call, Engine, Outcome, ValidationError, filter_tools, parse_policy, parse_tool_list};

const T0: u64 = 1_767_225_600_000;

fn errors(text: &str) -> Vec<ValidationError> {
    match parse_policy(text) {
        Ok(_) => panic!("expected an invalid policy: {}", &text[..text.len().min(200)]),
        Err(e) => e,
    }
}

fn only_error(text: &str) -> ValidationError {
    let e = errors(text);
    assert_eq!(e.len(), 1, "{e:?}");
    e.into_iter().next().unwrap()
}

fn engine(text: &str) -> Engine {
    Engine::from_text(text).unwrap_or_else(|e| panic!("{e:?}"))
}

/// Prints how long a step took (a benchmark is the place for timing assertions, not a test).
fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    eprintln!("{what}: {:?}", start.elapsed());
    out
}

// --- broken JSON ------------------------------------------------------------------------------

#[test]
fn broken_json_reports_the_line_and_column_where_parsing_stopped() {
    let text = "{\n  \"version\": \"1\",\n  \"default\" \"deny\"\n}";
    let e = only_error(text);
    assert_eq!((e.pointer.as_str(), e.line, e.column), ("", Some(3), Some(13)));
    assert!(e.message.starts_with("invalid JSON: expected `:`"), "{}", e.message);
    assert_eq!(e.to_string(), format!("3:13: (root): {}", e.message));

    for (text, line, column, needle) in [
        ("{\"version\": \"1\", \"default\": \"deny\",}", 1, 36, "trailing comma"),
        ("{\"version\": \"1\"\n \"default\": \"deny\"}", 2, 2, "expected `,` or `}`"),
        ("[1, 2", 1, 6, "end of input"),
        ("{\"a\": tru}", 1, 7, "expected `true`"),
        ("{\"a\": NaN}", 1, 7, "expected a JSON value"),
        ("{\"a\": 1}}", 1, 9, "after the JSON value"),
        ("\u{feff}\u{feff}{}", 1, 2, "expected a JSON value"),
        ("{\"a\": \"\t\"}", 1, 8, "must be escaped"),
    ] {
        let e = only_error(text);
        assert_eq!((e.line, e.column), (Some(line), Some(column)), "{text:?}: {e}");
        assert!(e.message.contains(needle), "{text:?}: {e}");
    }
}

#[test]
fn empty_and_blank_documents_are_errors_not_null() {
    for text in ["", " ", "\n\n", "\u{feff}"] {
        let e = only_error(text);
        assert!(e.message.contains("empty document"), "{text:?}: {e}");
        assert!(e.line.is_some());
    }
    assert!(parse_policy("null").unwrap().is_none(), "the document null is no policy");
    assert!(parse_policy(" \n null \n").unwrap().is_none());
}

// --- a 5 MB policy ----------------------------------------------------------------------------

/// A pretty policy of about `bytes` bytes: one tool per line, each with conditions and a limit.
fn big_policy(bytes: usize, typo_at: Option<usize>) -> (String, usize) {
    let mut s = String::from("{\n  \"version\": \"1\",\n  \"default\": \"deny\",\n  \"tools\": {\n");
    let mut i = 0;
    while s.len() < bytes {
        let deny_if = if Some(i) == typo_at { "deny-if" } else { "deny_if" };
        if i > 0 {
            s.push_str(",\n");
        }
        write!(
            s,
            "    \"tool_{i}\": {{ \"require\": [\"args.reason\"], \"{deny_if}\": [ {{ \"conditions\": [ {{ \"path\": \"args.amount\", \"op\": \"gt\", \"value\": {i} }}, {{ \"path\": \"args.to\", \"op\": \"regex\", \"value\": \"@evil\\\\.com$\" }} ], \"on_deny\": \"no\" }} ], \"limits\": [ {{ \"counter\": \"c{}\", \"window\": \"minute\", \"max\": 5 }} ] }}",
            i % 100
        )
        .unwrap();
        i += 1;
    }
    s.push_str("\n  }\n}\n");
    (s, i)
}

#[test]
fn a_5_mb_policy_parses_and_evaluates() {
    let (text, tools) = big_policy(5 << 20, None);
    assert!(text.len() >= 5 << 20);
    let mut engine = timed(&format!("parse a {} byte policy with {tools} tools", text.len()), || engine(&text));
    let deep = format!("tool_{}", tools - 7);
    let args = json!({"reason": "r", "amount": 1_000_000_000, "to": "x@evil.com"});
    let d = engine.evaluate(&Call::new(&deep, T0).with_args(&args));
    assert_eq!(d.outcome, Outcome::Deny);
    assert_eq!(&*d.rule, format!("/tools/{deep}/deny_if/args.amount-gt,args.to-regex"));
    let ok = json!({"reason": "r", "amount": 0});
    assert!(engine.evaluate(&Call::new(&deep, T0).with_args(&ok)).is_allowed());
}

#[test]
fn a_typo_deep_inside_a_5_mb_policy_is_reported_at_its_line() {
    let typo = 15_000;
    let (text, tools) = big_policy(5 << 20, Some(typo));
    assert!(tools > typo);
    let e = timed("validate a 5 MB policy with one typo", || only_error(&text));
    assert_eq!(e.pointer, format!("/tools/tool_{typo}/deny-if"));
    assert_eq!(e.line, Some(5 + typo as u32), "one tool per line after 4 header lines");
    assert_eq!(e.help.as_deref(), Some("did you mean `deny_if`?"));
    let line = text.lines().nth(4 + typo).unwrap();
    let column = line.find("\"deny-if\"").unwrap() + 1;
    assert_eq!(e.column, Some(column as u32));
}

#[test]
fn a_typo_in_a_minified_5_mb_policy_is_reported_at_its_column() {
    let typo = 12_000;
    let (pretty, _) = big_policy(5 << 20, Some(typo));
    let minified = serde_json::to_string(&serde_json::from_str::<Value>(&pretty).unwrap()).unwrap();
    let e = timed("validate a minified 5 MB policy with one typo", || only_error(&minified));
    assert_eq!((e.pointer.as_str(), e.line), (format!("/tools/tool_{typo}/deny-if").as_str(), Some(1)));
    let offset = minified.find("\"deny-if\"").unwrap();
    assert_eq!(e.column, Some(minified[..offset].chars().count() as u32 + 1));
}

#[test]
fn a_policy_with_thousands_of_errors_reports_a_capped_list() {
    let hide: Vec<String> = (0..5_000).map(|_| "\"\"".to_string()).collect();
    let text = format!("{{\"version\":\"1\",\"default\":\"deny\",\"hide\":[{}]}}", hide.join(","));
    let e = timed("validate 5000 errors", || errors(&text));
    assert_eq!(e.len(), MAX_ERRORS + 1);
    assert_eq!(e[0].pointer, "/hide/0");
    assert!(e[MAX_ERRORS].message.contains("too many errors"), "{}", e[MAX_ERRORS]);
}

#[test]
fn twenty_thousand_tools_and_hide_entries_are_accepted() {
    // Duplicate detection runs over every key and entry; the time is printed (see the benches).
    let tools: Vec<String> = (0..20_000).map(|i| format!("\"t{i}\":{{}}")).collect();
    let hide: Vec<String> = (0..20_000).map(|i| format!("\"h{i}\"")).collect();
    let text = format!(
        "{{\"version\":\"1\",\"default\":\"deny\",\"hide\":[{}],\"tools\":{{{}}}}}",
        hide.join(","),
        tools.join(",")
    );
    let engine = timed("parse 20 000 tools + 20 000 hide entries", || engine(&text));
    assert!(!engine.is_visible("h19999"));
    assert!(engine.check(&Call::new("t19999", T0)).is_allowed());
}

// --- deep nesting -----------------------------------------------------------------------------

#[test]
fn arrays_and_objects_nested_10_000_deep_are_located_errors() {
    let arrays = "[".repeat(10_000) + &"]".repeat(10_000);
    let objects = "{\"a\":".repeat(10_000) + "1" + &"}".repeat(10_000);
    for text in [&arrays, &objects] {
        let e = only_error(text);
        assert!(e.message.contains("nesting deeper than"), "{e}");
        assert_eq!(e.line, Some(1));
        let e = filter_tools(None, text).unwrap_err();
        assert!(e.message.contains("nesting"), "{e}");
        assert!(parse_tool_list(text).is_err());
    }
    let value = format!(
        "{{\"version\":\"1\",\"default\":\"deny\",\"tools\":{{\"t\":{{\"deny_if\":[{{\"conditions\":[{{\"path\":\"args.a\",\"op\":\"eq\",\"value\":{arrays}}}]}}]}}}}}}"
    );
    let e = only_error(&value);
    assert!(e.message.contains("nesting"), "{e}");
    let tools = format!("{{\"tools\":[{{\"name\":\"a\",\"inputSchema\":{objects}}}]}}");
    assert!(filter_tools(None, &tools).unwrap_err().message.contains("nesting"));
}

/// Builds `[[[…[leaf]…]]]` without recursion.
fn nested_array(depth: usize, leaf: Value) -> Value {
    let mut v = leaf;
    for _ in 0..depth {
        v = Value::Array(vec![v]);
    }
    v
}

/// Frees a deep value without recursing (serde_json's drop is recursive).
fn drop_deep(mut v: Value) {
    let mut stack = Vec::new();
    loop {
        match &mut v {
            Value::Array(items) => stack.append(items),
            Value::Object(map) => stack.extend(std::mem::take(map).into_iter().map(|(_, x)| x)),
            _ => {}
        }
        match stack.pop() {
            Some(next) => v = next,
            None => break,
        }
    }
}

#[test]
fn arguments_nested_10_000_deep_are_evaluated_without_overflowing_the_stack() {
    // Hosts parse arguments with their own JSON reader (serde_json refuses such depth by
    // default); a host that builds them in code can still pass them. Conditions only walk as
    // deep as their path and their own value, so only the deciding entry's explanation copies it.
    let text = r#"{"version":"1","default":"deny","tools":{"t":{
        "require":["args.a"],
        "deny_if":[
          {"conditions":[{"path":"args.a","op":"eq","value":[[1]]}]},
          {"conditions":[{"path":"args.a","op":"contains","value":[1]}]},
          {"conditions":[{"path":"args.a","op":"in","value":[[2], 3]}]},
          {"conditions":[{"path":"args.b","op":"exists","value":true}]}
        ]}}}"#;
    let mut engine = engine(text);
    // Not `json!`: it would serialise the value recursively.
    let deep = Value::Object([("a".to_string(), nested_array(10_000, json!(1)))].into_iter().collect());
    let d = engine.evaluate(&Call::new("t", T0).with_args(&deep));
    assert!(d.is_allowed(), "{:?}", d.outcome);
    drop_deep(deep);
    let args = json!({ "a": nested_array(3, json!(1)), "b": true });
    let d = engine.evaluate(&Call::new("t", T0).with_args(&args));
    assert_eq!(&*d.rule, "/tools/t/deny_if/args.b-exists");
}

// --- numbers ----------------------------------------------------------------------------------

#[test]
fn numbers_out_of_the_f64_range_are_located_errors() {
    for (value, needle) in [("1e400", "1e400"), ("-1e400", "-1e400"), ("1E+999", "1E+999")] {
        let text = format!(
            "{{\"version\":\"1\",\"default\":\"deny\",\"tools\":{{\"t\":{{\"deny_if\":[{{\"conditions\":[{{\"path\":\"args.n\",\"op\":\"gt\",\"value\":{value}}}]}}]}}}}}}"
        );
        let e = only_error(&text);
        assert!(e.message.contains("out of range") && e.message.contains(needle), "{e}");
        assert_eq!(e.column, Some(text.find(value).unwrap() as u32 + 1));
    }
    // Tiny numbers underflow to zero: still finite, still valid.
    let p = engine(
        r#"{"version":"1","default":"allow","tools":{"t":{"deny_if":[{"conditions":[{"path":"args.n","op":"eq","value":1e-400}]}]}}}"#,
    );
    let args = json!({"n": 0});
    assert_eq!(p.check(&Call::new("t", T0).with_args(&args)).outcome, Outcome::Deny);
    // A host reading arguments with serde_json refuses 1e400 itself.
    assert!(serde_json::from_str::<Value>(r#"{"n": 1e400}"#).is_err());
}

#[test]
fn negative_zero_is_zero_everywhere() {
    let mut p = engine(
        r#"{"version":"1","default":"allow","tools":{"t":{"deny_if":[{"conditions":[{"path":"args.n","op":"eq","value":-0}]}]},
            "u":{"deny_if":[{"conditions":[{"path":"args.n","op":"lt","value":-0.0}]}]}}}"#,
    );
    for (tool, n, want) in [
        ("t", json!(0), Outcome::Deny),
        ("t", json!(-0.0), Outcome::Deny),
        ("t", json!(0.0), Outcome::Deny),
        ("u", json!(0), Outcome::Allow),
        ("u", json!(-0.0), Outcome::Allow),
        ("u", json!(-1e-300), Outcome::Deny),
    ] {
        let args = json!({ "n": n });
        assert_eq!(p.evaluate(&Call::new(tool, T0).with_args(&args)).outcome, want, "{tool} {n}");
    }
    let e = only_error(
        r#"{"version":"1","default":"deny","all_tools":{"limits":[{"counter":"c","window":"day","max":-0}]}}"#,
    );
    assert_eq!(e.pointer, "/all_tools/limits/0/max");
}

// --- strings ----------------------------------------------------------------------------------

#[test]
fn invalid_string_escapes_are_located_errors() {
    for (escape, needle) in [
        (r"\q", "invalid escape"),
        (r"\x41", "invalid escape"),
        (r"\u12", "4 hex digits"),
        (r"\uZZZZ", "4 hex digits"),
        (r"\ud800", "surrogate"),
        (r"\udc00", "surrogate"),
        (r"\ud800\u0041", "surrogate"),
    ] {
        let text = format!("{{\"version\":\"1\",\n\"default\":\"de{escape}ny\"}}");
        let e = only_error(&text);
        assert!(e.message.contains(needle), "{escape}: {e}");
        assert_eq!(e.line, Some(2), "{escape}: {e}");
        let tools = format!("{{\"tools\":[{{\"name\":\"a{escape}\"}}]}}");
        assert!(filter_tools(None, &tools).is_err(), "{escape}");
    }
    // Valid escapes, including a surrogate pair, decode.
    let p = engine(r#"{"version":"1","default":"deny","tools":{"\ud83d\ude00\u00e9\n\"\/":{}}}"#);
    assert!(p.check(&Call::new("😀é\n\"/", T0)).is_allowed());
}

// --- regex ------------------------------------------------------------------------------------

#[test]
fn catastrophic_backtracking_patterns_match_correctly_on_100_kb_inputs() {
    let text = r#"{"version":"1","default":"allow","tools":{
        "nested":{"deny_if":[{"conditions":[{"path":"args.q","op":"regex","value":"(a+)+$"}]}]},
        "alternation":{"deny_if":[{"conditions":[{"path":"args.q","op":"regex","value":"^(a|a)*b"}]}]},
        "star_star":{"deny_if":[{"conditions":[{"path":"args.q","op":"regex","value":"^(a*)*c$"}]}]},
        "repeat":{"deny_if":[{"conditions":[{"path":"args.q","op":"regex","value":"(.*a){12}x"}]}]}}}"#;
    let p = engine(text);
    let many_a = "a".repeat(100_000);
    let cases = [
        ("nested", format!("{many_a}!"), Outcome::Allow),
        ("nested", many_a.clone(), Outcome::Deny),
        ("nested", format!("!{many_a}"), Outcome::Deny),
        ("alternation", format!("{many_a}c"), Outcome::Allow),
        ("alternation", format!("{many_a}b"), Outcome::Deny),
        ("star_star", format!("{many_a}!"), Outcome::Allow),
        ("star_star", format!("{many_a}c"), Outcome::Deny),
        ("repeat", many_a.clone(), Outcome::Allow),
        ("repeat", format!("{many_a}x"), Outcome::Deny),
    ];
    for (tool, q, want) in cases {
        let args = json!({ "q": q });
        let d = timed(&format!("regex {tool} on {} bytes", q.len()), || p.check(&Call::new(tool, T0).with_args(&args)));
        assert_eq!(d.outcome, want, "{tool}");
    }
}

#[test]
fn regex_patterns_that_do_not_compile_are_located_at_the_value() {
    for pattern in ["(", "[z-a]", "a{2,1}", "(?P<n>a)(?P<n>b)", "\\", "*a", "(?z)a", "x{100000}{100}"] {
        let text = format!(
            "{{\"version\":\"1\",\"default\":\"deny\",\"tools\":{{\"t\":{{\"deny_if\":[{{\"conditions\":[{{\"path\":\"args.q\",\"op\":\"regex\",\"value\":{}}}]}}]}}}}}}",
            serde_json::to_string(pattern).unwrap()
        );
        let e = errors(&text);
        assert_eq!(e[0].pointer, "/tools/t/deny_if/0/conditions/0/value", "{pattern}");
        assert!(e[0].message.contains("regex"), "{pattern}: {}", e[0].message);
        assert!(e[0].column.is_some());
    }
}

// --- arguments --------------------------------------------------------------------------------

#[test]
fn call_arguments_that_are_a_string_are_denied_with_a_reason() {
    let mut p = engine(
        r#"{"version":"1","default":"allow","all_tools":{"limits":[{"counter":"g","window":"minute","max":1}]}}"#,
    );
    for args in [json!("{\"amount\": 5}"), json!(5), json!([{"amount": 5}]), json!(false)] {
        let d = p.evaluate(&Call::new("t", T0).with_args(&args));
        assert_eq!((d.outcome, &*d.rule), (Outcome::Deny, "(invalid arguments)"), "{args}");
        assert!(d.message.contains("must be a JSON object"), "{}", d.message);
        assert_eq!(d.denial_text(), format!("[POLICY DENIED] {}", d.message));
        assert_eq!(d.denial_result()["isError"], true);
    }
    assert!(p.export_state().counters.is_empty(), "nothing was charged");
    assert!(p.evaluate(&Call::new("t", T0).with_args(&json!({}))).is_allowed());
}

// --- tool names with `/` and `~` ---------------------------------------------------------------

#[test]
fn tool_names_with_slash_and_tilde_are_escaped_in_every_pointer() {
    let text = r#"{"version":"1","default":"deny","hide":["x/y~z"],"tools":{
        "fs/write~1":{"deny_if":[{"conditions":[{"path":"args.p/q~r","op":"eq","value":1}]}],
                      "limits":[{"counter":"w/r~","window":"hour","max":1}]},
        "~/":{"require":["args.~"]}}}"#;
    let mut p = engine(text);
    let d = p.evaluate(&Call::new("fs/write~1", T0).with_args(&json!({"p/q~r": 1})));
    assert_eq!(&*d.rule, "/tools/fs~1write~01/deny_if/args.p~1q~0r-eq");
    assert_eq!(d.pointer.as_deref(), Some("/tools/fs~1write~01/deny_if/0"));
    assert!(p.evaluate(&Call::new("fs/write~1", T0)).is_allowed());
    let d = p.evaluate(&Call::new("fs/write~1", T0));
    assert_eq!(&*d.rule, "/tools/fs~1write~01/limits/w~1r~0");
    let d = p.evaluate(&Call::new("~/", T0));
    assert_eq!(&*d.rule, "/tools/~0~1/require/args.~0-exists");
    assert_eq!(p.evaluate(&Call::new("x/y~z", T0)).outcome, Outcome::Hidden);

    let bad = r#"{"version":"1","default":"deny","tools":{"a/b":{"deny_if":[{"conditions":[{"path":"args.x","op":"gte_","value":1}]}]},
        "c~d":{"limits":[{"counter":"k","window":"weekly","max":1}]}}}"#;
    let pointers: Vec<String> = errors(bad).into_iter().map(|e| e.pointer).collect();
    assert_eq!(pointers, ["/tools/a~1b/deny_if/0/conditions/0/op", "/tools/c~0d/limits/0/window"]);
}

// --- tool lists -------------------------------------------------------------------------------

#[test]
fn a_tool_list_that_is_not_a_tools_list_result_is_a_located_error() {
    let cases = [
        ("[{\"name\":\"a\"}]", "", "tools/list"),
        ("\"tools\"", "", "tools/list"),
        ("{}", "", "without `tools`"),
        ("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32601,\"message\":\"no\"}}", "", "without `tools`"),
        (
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"x\"}]}}",
            "/result/tools",
            "missing",
        ),
        ("{\"tools\":{\"a\":{}}}", "/tools", "must be an array"),
        ("{\"tools\":[{\"name\":\"a\"},\n  {\"title\":\"b\"}]}", "/tools/1", "must have a `name`"),
        ("{\"tools\":[null]}", "/tools/0", "must be an object"),
        ("{\"tools\":[{\"name\":[\"a\"]}]}", "/tools/0/name", "must be a string"),
    ];
    for (text, pointer, needle) in cases {
        let e = filter_tools(None, text).unwrap_err();
        assert_eq!(e.pointer, pointer, "{text}: {e}");
        assert!(e.message.contains(needle), "{text}: {e}");
        assert!(e.line.is_some() && e.column.is_some(), "{text}");
    }
    let e = filter_tools(None, "{\"tools\":[{\"name\":\"a\"},\n  {\"title\":\"b\"}]}").unwrap_err();
    assert_eq!((e.line, e.column), (Some(2), Some(3)));
    // A bare array is accepted where a list of tools is read (lint, suggest), not where a
    // tools/list response is filtered in place.
    assert_eq!(parse_tool_list("[{\"name\":\"a\"}]").unwrap()[0].name, "a");
}

fn fixture_lists() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/toollists");
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().to_string(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn every_real_tool_list_filters_to_exactly_the_visible_tools_with_everything_else_unchanged() {
    let lists = fixture_lists();
    assert!(lists.len() >= 10);
    for (file, text) in lists {
        let tools = parse_tool_list(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(!tools.is_empty(), "{file}");
        // Hide every other tool.
        let hidden: Vec<&str> = tools.iter().step_by(2).map(|t| t.name.as_str()).collect();
        let policy = parse_policy(&json!({"version": "1", "default": "deny", "hide": hidden}).to_string()).unwrap();
        let out = match filter_tools(policy.as_ref(), &text) {
            Ok(out) => out,
            // A bare array of tools is not a tools/list result.
            Err(e) => {
                assert!(text.trim_start().starts_with('['), "{file}: {e}");
                continue;
            }
        };
        let mut want: Value = serde_json::from_str(&text).unwrap();
        let list = match want.get_mut("result") {
            Some(r) => r.get_mut("tools").unwrap(),
            None => want.get_mut("tools").unwrap(),
        };
        list.as_array_mut().unwrap().retain(|t| !hidden.contains(&t["name"].as_str().unwrap()));
        let got: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{file}: output is not JSON: {e}"));
        assert_eq!(got, want, "{file}");
        // With nothing hidden, the text is returned byte for byte.
        let open = parse_policy(r#"{"version":"1","default":"deny"}"#).unwrap();
        assert_eq!(filter_tools(open.as_ref(), &text).unwrap(), text, "{file}");
    }
}

// --- release is once-only -----------------------------------------------------------------------

const ONE_PER_MINUTE: &str =
    r#"{"version":"1","default":"allow","tools":{"t":{"limits":[{"counter":"c","window":"minute","max":2}]}}}"#;

fn used(e: &Engine) -> u64 {
    e.export_state().counters.iter().map(|c| c.used).sum()
}

#[test]
fn releasing_the_same_allowed_decision_twice_gives_quota_back_once() {
    let mut e = engine(ONE_PER_MINUTE);
    let a = e.evaluate(&Call::new("t", T0));
    let b = e.evaluate(&Call::new("t", T0 + 1));
    assert_eq!(used(&e), 2);
    assert_eq!(e.release(&a), 1);
    assert_eq!(e.release(&a), 0, "a second release of the same decision");
    assert_eq!(e.release(&a.clone()), 0, "a clone is the same decision");
    assert_eq!(used(&e), 1, "b is still charged");
    assert_eq!(e.release(&b), 1);
    assert_eq!(used(&e), 0);
}

#[test]
fn a_json_copy_of_a_released_decision_releases_nothing() {
    let mut e = engine(ONE_PER_MINUTE);
    let a = e.evaluate(&Call::new("t", T0));
    let _b = e.evaluate(&Call::new("t", T0 + 1));
    let copy: toolgate_engine::Decision = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
    assert_eq!(copy, a, "the copy is equal as a decision");
    assert!(copy.reservation.is_none(), "but carries no reservation");
    assert_eq!(e.release(&a), 1);
    assert_eq!(e.release(&copy), 0, "the copy of a released decision");
    assert_eq!(used(&e), 1);
    // The other way round: a copy released first blocks its original and further copies.
    let c = e.evaluate(&Call::new("t", T0 + 2));
    let copy: toolgate_engine::Decision = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
    assert_eq!(e.release(&copy), 1);
    assert_eq!(e.release(&copy), 0);
    assert_eq!(e.release(&c), 0, "its original was released through the copy");
    assert_eq!(used(&e), 1);
}

#[test]
fn identical_outstanding_decisions_are_each_released_once_by_their_originals() {
    // a1, a2 charged; a1 released; a3 is charged into the same place as a2: same content.
    let mut e = engine(ONE_PER_MINUTE);
    let a1 = e.evaluate(&Call::new("t", T0));
    let a2 = e.evaluate(&Call::new("t", T0 + 1));
    assert_eq!(e.release(&a1), 1);
    let a3 = e.evaluate(&Call::new("t", T0 + 2));
    assert_eq!(a2, a3, "the two decisions cannot be told apart by content");
    assert_eq!(e.release(&a2), 1);
    assert_eq!(e.release(&a3), 1, "the originals carry their reservations");
    assert_eq!(e.release(&a3), 0);
    assert_eq!(used(&e), 0);
}

#[test]
fn a_decision_from_before_a_restart_is_released_by_content() {
    let mut e = engine(ONE_PER_MINUTE);
    let a = e.evaluate(&Call::new("t", T0));
    let mut restarted = engine(ONE_PER_MINUTE);
    restarted.import_state(&e.export_state()).unwrap();
    assert_eq!(restarted.release(&a), 1, "another engine's decision counts as a copy");
    assert_eq!(restarted.release(&a), 0);
    assert_eq!(used(&restarted), 0);
    e.reset_counters();
    assert_eq!(e.release(&a), 0, "nothing to give back after a reset");
}

#[test]
fn release_bookkeeping_is_swept_as_windows_age_out() {
    let mut e = engine(ONE_PER_MINUTE);
    let mut most = 0;
    // A call and its upstream error every second for 3 hours: 10 800 releases.
    for i in 0..10_800u64 {
        let d = e.evaluate(&Call::new("t", T0 + i * 1000));
        assert_eq!(d.outcome, Outcome::Allow, "every call's quota came back");
        assert_eq!(e.release(&d), 1);
        assert_eq!(e.release(&d), 0);
        most = most.max(e.remembered_releases());
    }
    // Only releases into the two windows the counter still knows must be remembered; sweeping is
    // amortised (when the count doubles), so at most ~4 windows' worth are held.
    assert!(most <= 4 * 60 + 64, "{most} releases remembered");
}

// --- argument admission (issue 9, findings 1 and 6) -----------------------------------------------

#[test]
fn duplicate_argument_keys_are_denied_not_last_wins() {
    use toolgate_engine::args::{ArgsError, read_arguments};
    // serde_json and the engine's own parser both keep the last `amount`: 5 passes `gt 10000`,
    // while a first-wins server would refund 50000.
    let text = r#"{"amount": 50000, "amount": 5}"#;
    assert_eq!(serde_json::from_str::<Value>(text).unwrap(), json!({"amount": 5}), "the last-wins reading");
    let Err(ArgsError::Refused(m)) = read_arguments(text) else { panic!("duplicates must be refused") };
    assert_eq!(m, "Arguments have a duplicate key `amount` at /amount");
    let d = toolgate_engine::evaluate::refused_arguments(&m);
    assert_eq!((d.outcome, &*d.rule, d.pointer.is_none()), (Outcome::Deny, "(invalid arguments)", true));
}

#[test]
fn a_100_mb_argument_array_is_refused_not_a_trap() {
    use toolgate_engine::args::{ArgsError, read_arguments};
    let text = format!("[{}0]", "0,".repeat(50_000_000));
    let refused = timed("100 MB arguments", || read_arguments(&text));
    assert_eq!(refused, Err(ArgsError::Refused("Arguments are 95.4 MiB; the limit is 1 MiB".into())));
    let dense = format!("[{}0]", "0,".repeat(400_000));
    assert_eq!(
        timed("800 KB dense arguments", || read_arguments(&dense)),
        Err(ArgsError::Refused("Arguments have 400002 values; the limit is 100000".into()))
    );
}
