//! Runs every conformance case of `tests/corpus/*.json` (format: `tests/corpus/README.md`)
//! through the engine. The same files are run by the JavaScript package's tests.
//!
//! Every failing expectation is collected (not only the first), so one run shows every
//! disagreement between the corpus and the engine.
#![expect(
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test harness: a malformed corpus file must stop the run loudly"
)]

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use toolgate_engine::{Call, Decision, Engine, Outcome, Policy, ValidationError, filter_tools, parse_policy};

/// Case files that are documented but not run (known engine bugs awaiting a fix).
const NOT_RUN: &[&str] = &["pending-bugs.json"];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus")
}

fn case_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("tests/corpus is readable")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| !NOT_RUN.iter().any(|n| p.file_name().is_some_and(|f| f == *n)))
        .collect();
    files.sort();
    files
}

fn load(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match serde_json::from_str(&text) {
        Ok(Value::Array(cases)) => cases,
        Ok(_) => panic!("{}: a case file is a JSON array of cases", path.display()),
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

/// JSON equality where numbers compare by value (`100 == 100.0`, `-0.0 == 0`), the way a
/// JavaScript runner sees them.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
            (Some(p), Some(q), _, _) => p == q,
            (_, _, Some(p), Some(q)) => p == q,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(xs), Value::Array(ys)) => xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same_json(x, y)),
        (Value::Object(xs), Value::Object(ys)) => {
            xs.len() == ys.len() && xs.iter().all(|(k, x)| ys.get(k).is_some_and(|y| same_json(x, y)))
        }
        _ => a == b,
    }
}

/// Every field of `expected` (an object) equals the same field of `actual`.
fn fields_match(expected: &Value, actual: &Value) -> bool {
    match (expected.as_object(), actual.as_object()) {
        (Some(e), Some(a)) => e.iter().all(|(k, v)| a.get(k).is_some_and(|x| same_json(v, x))),
        _ => false,
    }
}

/// Lists of the same length whose items match field by field, in order.
fn list_matches(expected: &Value, actual: &[Value]) -> bool {
    expected
        .as_array()
        .is_some_and(|e| e.len() == actual.len() && e.iter().zip(actual).all(|(x, y)| fields_match(x, y)))
}

#[derive(Default)]
struct Report {
    cases: usize,
    assertions: usize,
    failures: Vec<String>,
}

impl Report {
    fn check(&mut self, ok: bool, at: &str, what: impl FnOnce() -> String) {
        self.assertions += 1;
        if !ok {
            self.failures.push(format!("{at}: {}", what()));
        }
    }
}

fn policy_text(case: &Value) -> String {
    match (case.get("policy_text"), case.get("policy")) {
        (Some(Value::String(t)), None) => t.clone(),
        (None, Some(p)) => serde_json::to_string(p).expect("policy serialises"),
        _ => panic!("case {}: exactly one of `policy` and `policy_text`", case["name"]),
    }
}

fn errors_json(errors: &[ValidationError]) -> Vec<Value> {
    errors.iter().map(|e| serde_json::to_value(e).expect("error serialises")).collect()
}

fn error_matches(m: &Value, e: &ValidationError) -> bool {
    let s = |k: &str| m.get(k).and_then(Value::as_str);
    let n = |k: &str| m.get(k).and_then(Value::as_u64);
    s("pointer").is_some_and(|p| p == e.pointer)
        && n("line").is_none_or(|l| e.line == Some(l as u32))
        && n("column").is_none_or(|c| e.column == Some(c as u32))
        && s("message_contains").is_none_or(|t| e.message.contains(t))
        && s("help_contains").is_none_or(|t| e.help.as_deref().is_some_and(|h| h.contains(t)))
}

fn run_invalid(r: &mut Report, at: &str, expect: &Value, result: Result<Option<Policy>, Vec<ValidationError>>) {
    let errors = match result {
        Ok(_) => {
            r.check(false, at, || "expected an invalid policy, but it was accepted".into());
            return;
        }
        Err(errors) => errors,
    };
    let shown = || serde_json::to_string(&errors_json(&errors)).expect("serialises");
    let path = expect["path"].as_str().expect("invalid_policy needs `path`");
    r.check(errors.iter().any(|e| e.pointer == path), at, || format!("no error at `{path}` in {}", shown()));
    for e in &errors {
        r.check(!e.message.is_empty() && !e.message.ends_with('.'), at, || {
            format!("messages are non-empty, without a final period: {e:?}")
        });
        r.check(e.line.is_some() && e.column.is_some(), at, || format!("errors from text are located: {e:?}"));
    }
    if let Some(ms) = expect.get("errors").and_then(Value::as_array) {
        for m in ms {
            r.check(errors.iter().any(|e| error_matches(m, e)), at, || format!("no error matches {m} in {}", shown()));
        }
    }
    if let Some(n) = expect.get("error_count").and_then(Value::as_u64) {
        r.check(errors.len() as u64 == n, at, || format!("expected {n} errors, got {}", shown()));
    }
}

fn decision_json(d: &Decision) -> Value {
    serde_json::to_value(d).expect("decision serialises")
}

fn check_decision(r: &mut Report, at: &str, e: &Value, d: &Decision) {
    let dj = decision_json(d);
    let outcome = e["decision"].as_str().expect("`decision`");
    r.check(d.outcome.as_str() == outcome, at, || format!("expected {outcome}, got {dj}"));
    for key in ["rule", "message", "pointer", "retry_after_ms"] {
        if let Some(want) = e.get(key) {
            r.check(same_json(want, &dj[key]), at, || format!("`{key}`: expected {want}, got {}", dj[key]));
        }
    }
    for key in ["explain", "counters"] {
        if let Some(want) = e.get(key) {
            let got = dj[key].as_array().cloned().unwrap_or_default();
            r.check(list_matches(want, &got), at, || format!("`{key}`: expected {want}, got {}", dj[key]));
        }
    }
}

fn check_state(r: &mut Report, at: &str, e: &Value, engine: &Engine) {
    if let Some(want) = e.get("state") {
        let snap = serde_json::to_value(engine.export_state()).expect("snapshot serialises");
        let got = snap["counters"].as_array().cloned().unwrap_or_default();
        r.check(list_matches(want, &got), at, || format!("`state`: expected {want}, got {}", snap["counters"]));
    }
}

fn run_calls(r: &mut Report, name: &str, case: &Value, policy: Option<Policy>) {
    let calls = case["calls"].as_array().expect("`calls`");
    let expect = case["expect"].as_array().expect("`expect`");
    r.check(calls.len() == expect.len(), name, || "one expect entry per call".into());
    let mut engine = Engine::new(policy);
    let mut decisions: Vec<Option<Decision>> = Vec::new();
    for (i, (c, e)) in calls.iter().zip(expect).enumerate() {
        let at = format!("{name} [{i}]");
        if let Some(k) = c.get("release") {
            let k = k.as_u64().expect("`release` is a call index") as usize;
            r.check(e["decision"] == "release", &at, || "a release step expects `\"decision\": \"release\"`".into());
            let d = decisions.get(k).cloned().flatten().expect("`release` names an earlier call");
            engine.release(&d);
            decisions.push(None);
            check_state(r, &at, e, &engine);
            continue;
        }
        if c.get("restart") == Some(&Value::Bool(true)) {
            r.check(e["decision"] == "restart", &at, || "a restart step expects `\"decision\": \"restart\"`".into());
            let snapshot = engine.export_state();
            let text = serde_json::to_string(&snapshot).expect("snapshot serialises");
            let mut fresh = Engine::new(engine.policy().cloned());
            let back = serde_json::from_str(&text).expect("snapshot parses");
            r.check(fresh.import_state(&back).is_ok(), &at, || "an exported state imports".into());
            engine = fresh;
            decisions.push(None);
            check_state(r, &at, e, &engine);
            continue;
        }
        if let Some(p) = c.get("set_policy") {
            r.check(e["decision"] == "set_policy", &at, || {
                "a set_policy step expects `\"decision\": \"set_policy\"`".into()
            });
            let text = serde_json::to_string(p).expect("policy serialises");
            match parse_policy(&text) {
                Ok(p) => engine.set_policy(p),
                Err(errors) => r.check(false, &at, || format!("set_policy: invalid policy {:?}", errors_json(&errors))),
            }
            decisions.push(None);
            check_state(r, &at, e, &engine);
            continue;
        }
        let tool = c["tool"].as_str().expect("`tool`");
        let at_ms = c["at_ms"].as_u64().expect("`at_ms`");
        let grant = c.get("grant").map_or("default", |g| g.as_str().expect("`grant` is a string"));
        let mut call = Call::new(tool, at_ms).with_grant(grant);
        if let Some(args) = c.get("args") {
            call = call.with_args(args);
        }
        let before = engine.export_state();
        let dry = engine.check(&call);
        let d = engine.evaluate(&call);
        r.check(dry == d, &at, || format!("check {} and evaluate {} disagree", decision_json(&dry), decision_json(&d)));
        if d.outcome != Outcome::Allow {
            r.check(engine.export_state() == before, &at, || "a refused call changed the counters".into());
        }
        if c.get("upstream_error") == Some(&Value::Bool(true)) {
            r.check(d.is_allowed(), &at, || "`upstream_error` is only meaningful for an allowed call".into());
            engine.release(&d);
        }
        let listed = engine.policy().is_some() && d.outcome != Outcome::Hidden;
        r.check(engine.is_visible(tool) == listed, &at, || "is_visible agrees with the hidden outcome".into());
        check_decision(r, &at, e, &d);
        check_state(r, &at, e, &engine);
        decisions.push(Some(d));
    }
}

fn tool_names(text: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(text).expect("filtered output is JSON");
    let list = v.get("tools").or_else(|| v.get("result").and_then(|r| r.get("tools")));
    list.and_then(Value::as_array)
        .expect("a tools array")
        .iter()
        .map(|t| t["name"].as_str().expect("a name").to_string())
        .collect()
}

fn run_tools_list(r: &mut Report, name: &str, tl: &Value, policy: Option<&Policy>) {
    let at = format!("{name} [tools_list]");
    if let Some(up) = tl.get("upstream") {
        let tools: Vec<Value> = up.as_array().expect("names").iter().map(|n| json!({ "name": n })).collect();
        let text = json!({ "tools": tools }).to_string();
        match filter_tools(policy, &text) {
            Ok(out) => {
                let want: Vec<String> = serde_json::from_value(tl["visible"].clone()).expect("`visible` names");
                let got = tool_names(&out);
                r.check(got == want, &at, || format!("visible: expected {want:?}, got {got:?}"));
            }
            Err(e) => r.check(false, &at, || format!("filter failed: {e}")),
        }
    }
    if let Some(raw) = tl.get("raw") {
        let raw = raw.as_str().expect("`raw` is text");
        match (filter_tools(policy, raw), tl.get("filtered"), tl.get("error")) {
            (Ok(out), Some(want), None) => {
                r.check(out == want.as_str().expect("`filtered` is text"), &at, || format!("filtered: got {out:?}"));
                r.check(serde_json::from_str::<Value>(&out).is_ok(), &at, || "the output is valid JSON".into());
            }
            (Err(e), None, Some(m)) => {
                r.check(error_matches(m, &e), &at, || format!("expected error {m}, got {e:?}"));
                r.check(e.line.is_some() && e.column.is_some(), &at, || format!("tool-list errors are located: {e:?}"));
            }
            (got, _, _) => r.check(false, &at, || format!("unexpected filter result {got:?}")),
        }
    }
}

fn run_case(r: &mut Report, file: &str, case: &Value) {
    let name = format!("{file}: {}", case["name"].as_str().expect("`name`"));
    r.cases += 1;
    let text = policy_text(case);
    let expect = case["expect"].as_array().expect("`expect`");
    let parsed = parse_policy(&text);
    if expect.first().is_some_and(|e| e["decision"] == "invalid_policy") {
        r.check(case["calls"].as_array().is_some_and(Vec::is_empty), &name, || "invalid cases have no calls".into());
        run_invalid(r, &name, &expect[0], parsed);
        return;
    }
    let policy = match parsed {
        Ok(p) => p,
        Err(errors) => {
            r.check(false, &name, || format!("the policy is invalid: {:?}", errors_json(&errors)));
            return;
        }
    };
    if let Some(tl) = case.get("tools_list") {
        run_tools_list(r, &name, tl, policy.as_ref());
    }
    run_calls(r, &name, case, policy);
}

fn run_files(files: &[PathBuf]) -> Report {
    let mut r = Report::default();
    for f in files {
        let file = f.file_name().and_then(|n| n.to_str()).expect("file name").to_string();
        for case in load(f) {
            let known: Map<String, Value> = case.as_object().cloned().expect("a case is an object");
            for key in known.keys() {
                assert!(
                    ["name", "policy", "policy_text", "calls", "expect", "tools_list", "exact_numbers"]
                        .contains(&key.as_str()),
                    "{file}: unknown case key `{key}` (document it in tests/corpus/README.md first)"
                );
            }
            run_case(&mut r, &file, &case);
        }
    }
    r
}

fn assert_clean(r: &Report) {
    assert!(
        r.failures.is_empty(),
        "{} of {} assertions failed:\n{}",
        r.failures.len(),
        r.assertions,
        r.failures.join("\n")
    );
}

#[test]
fn the_shared_vectors_all_pass() {
    let path = corpus_dir().join("vectors.json");
    assert_eq!(load(&path).len(), 44, "vectors.json holds the 44 shared cases");
    let r = run_files(&[path]);
    assert_clean(&r);
    assert_eq!(r.cases, 44);
}

#[test]
fn every_corpus_file_passes() {
    let files = case_files();
    assert!(files.len() >= 7, "the corpus directory holds its case files: {files:?}");
    let r = run_files(&files);
    assert_clean(&r);
    eprintln!("conformance: {} files, {} cases, {} assertions", files.len(), r.cases, r.assertions);
    assert!(r.assertions > 2000, "the corpus is not silently empty: {} assertions", r.assertions);
}

#[test]
fn case_names_are_unique_sentences_across_files() {
    let mut seen = std::collections::BTreeSet::new();
    for f in case_files().iter().chain([corpus_dir().join("pending-bugs.json")].iter()) {
        for case in load(f) {
            let name = case["name"].as_str().expect("`name`").to_string();
            assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'), "{name}");
            assert!(seen.insert(name.clone()), "duplicate case name {name}");
        }
    }
}

#[test]
fn the_pending_bug_cases_are_well_formed_and_still_fail() {
    // These cases describe the spec's expectation where the engine currently disagrees (see
    // the file's `bug` notes). When one starts passing, move it into a regular case file.
    let path = corpus_dir().join("pending-bugs.json");
    for case in load(&path) {
        let name = case["name"].as_str().expect("`name`");
        assert!(case.get("bug").and_then(Value::as_str).is_some_and(|b| !b.is_empty()), "{name}: explain the bug");
        let mut stripped = case.clone();
        stripped.as_object_mut().expect("object").remove("bug");
        let mut r = Report::default();
        run_case(&mut r, "pending-bugs.json", &stripped);
        assert!(!r.failures.is_empty(), "{name} passes now: move it to a regular case file");
        eprintln!("pending bug still present: {}", r.failures.join("\n  "));
    }
}

/// `parse_policy` builds a policy read from text without serialising the checked document and
/// checking it again (what `Policy::compile` does for documents built in code): both roads give
/// the same document and the same decisions, for every valid policy of the corpus.
#[test]
fn a_policy_read_from_text_is_built_as_the_same_document_compiled() {
    let mut compared = 0;
    for path in case_files() {
        for case in load(&path) {
            let Some(policy) = case.get("policy") else { continue };
            let text = serde_json::to_string_pretty(policy).unwrap();
            let Ok(Some(read)) = parse_policy(&text) else { continue };
            let doc = toolgate_engine::parse_policy_doc(&text).unwrap().unwrap();
            let compiled = Policy::compile(doc).unwrap();
            assert_eq!(read.doc(), compiled.doc(), "{}: {}", path.display(), case["name"]);
            let (mut a, mut b) = (Engine::new(Some(read)), Engine::new(Some(compiled)));
            for call in case.get("calls").and_then(Value::as_array).into_iter().flatten() {
                let args = call.get("args").cloned();
                let tool = call["tool"].as_str().unwrap_or("");
                let at = call.get("at_ms").and_then(Value::as_u64).unwrap_or(1_767_225_600_000);
                let mut c = Call::new(tool, at);
                if let Some(args) = &args {
                    c = c.with_args(args);
                }
                let (x, y) =
                    (serde_json::to_value(a.evaluate(&c)).unwrap(), serde_json::to_value(b.evaluate(&c)).unwrap());
                assert_eq!(x, y, "{}: {}", path.display(), case["name"]);
            }
            compared += 1;
        }
    }
    assert!(compared > 40, "{compared} policies compared");
}
