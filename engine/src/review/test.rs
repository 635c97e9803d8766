//! `toolgate test`: test files of call sequences with expected decisions.
//!
//! ```json
//! { "tests": [ { "name": "refunds over 100 are denied",
//!                "calls": [ { "tool": "refund", "args": { "amount": 500 }, "at_ms": 1767225600000,
//!                             "expect": { "outcome": "deny", "rule": "/tools/refund/deny_if/args.amount-gt" } } ] } ] }
//! ```
//!
//! A call is any trace call (`interfaces.md` § Trace: `tool`/`name`, `args`/`arguments`, `grant`,
//! `at_ms` | `ts` | `after_ms`, `upstream_error`, or a JSON-RPC `tools/call` request), read by the
//! trace parser itself, plus an optional `expect` (`outcome`, and optionally `rule` and `message`,
//! compared exactly). Each test runs its calls in order from empty counters through the simulator;
//! a call without `expect` runs (and charges its quota) but is not checked. Errors in a test file
//! carry the pointer, line and column of the problem.
//!
//! ```
//! use toolgate_engine::parse_policy;
//! use toolgate_engine::review::run_tests_text;
//!
//! let p = parse_policy(r#"{"version":"1","default":"deny","tools":{"search":{
//!   "limits":[{"counter":"s","window":"minute","max":1}]}}}"#).unwrap();
//! let report = run_tests_text(p.as_ref(), r#"{"tests":[{"name":"one search per minute","calls":[
//!   {"tool":"search","at_ms":0,"expect":{"outcome":"allow"}},
//!   {"tool":"search","expect":{"outcome":"rate_limited","rule":"/tools/search/limits/s"}}]}]}"#, false).unwrap();
//! assert_eq!((report.passed, report.failed), (1, 0));
//! ```

use rustc_hash::FxHashSet as HashSet;
use serde::{Deserialize, Serialize};

use crate::diagnostic::Collector;
use crate::diagnostic::fuzzy::did_you_mean;
use crate::eval::decision::{Decision, Outcome};
use crate::eval::evaluate::Policy;
use crate::json::{self, Kind, LineIndex, Member, Node, child};
use crate::policy::validate::ValidationError;
use crate::review::coverage::{Coverage, CoverageTally};
use crate::trace::{TraceCall, parse_trace, simulate_with};

/// What a call is expected to get: the outcome, and optionally the exact rule and message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expect {
    /// allow | deny | hidden | rate_limited.
    pub outcome: Outcome,
    /// The deciding rule id (`""` for allow), when checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The decision's message, when checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Expect {
    /// The fields of `decision` that differ from this expectation (`outcome`, `rule`, `message`).
    pub fn mismatches(&self, decision: &Decision) -> Vec<&'static str> {
        let mut m = Vec::new();
        if self.outcome != decision.outcome {
            m.push("outcome");
        }
        if self.rule.as_deref().is_some_and(|r| r != &*decision.rule) {
            m.push("rule");
        }
        if self.message.as_deref().is_some_and(|r| r != &*decision.message) {
            m.push("message");
        }
        m
    }
}

/// Where something is in a test file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// RFC 6901 pointer.
    pub pointer: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// One test of a file: its calls (as the trace parser read them) and their expectations.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    /// The test's name (unique in its file).
    pub name: String,
    /// Where the test is.
    pub at: Location,
    /// The calls, in order.
    pub calls: Vec<TraceCall>,
    /// One entry per call: its expectation, if any.
    pub expect: Vec<Option<Expect>>,
    /// One entry per call: where it is.
    pub call_at: Vec<Location>,
}

/// A checked call whose decision is not the expected one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallFailure {
    /// 0-based index of the call in its test.
    pub index: usize,
    /// Where the call is in the test file.
    pub at: Location,
    /// Tool name.
    pub tool: String,
    /// Caller identity.
    pub grant: String,
    /// Time of the call (Unix ms).
    pub at_ms: u64,
    /// The fields that differ: `outcome`, `rule`, `message`.
    pub mismatched: Vec<String>,
    /// What the test expects.
    pub expected: Expect,
    /// The decision the policy gives, with its explanation.
    pub actual: Decision,
}

/// The result of one test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// The test file (set by hosts that run several).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The test's name.
    pub name: String,
    /// Where the test is.
    pub at: Location,
    /// Every checked call got its expected decision.
    pub passed: bool,
    /// Calls run.
    pub calls: usize,
    /// Calls checked (with `expect`).
    pub checked: usize,
    /// The calls that did not get their expected decision.
    pub failures: Vec<CallFailure>,
}

/// The results of test files (`toolgate test --format json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TestReport {
    /// Every test, in file order.
    pub tests: Vec<TestResult>,
    /// Tests passed.
    pub passed: usize,
    /// Tests failed.
    pub failed: usize,
    /// Rule coverage over every call of every test, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
}

impl TestReport {
    /// Appends another report's tests (coverage is the caller's to set).
    pub fn extend(&mut self, other: TestReport) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.tests.extend(other.tests);
    }
}

/// Runs each test from empty counters. With a tally, every decision is also counted for coverage.
pub fn run_tests(policy: Option<&Policy>, cases: &[TestCase], mut tally: Option<&mut CoverageTally>) -> TestReport {
    let mut report = TestReport::default();
    for case in cases {
        let mut failures = Vec::new();
        simulate_with(policy, &case.calls, |index, call, decision| {
            if let Some(t) = tally.as_deref_mut() {
                t.record(&call.tool, &decision);
            }
            let Some(expected) = case.expect.get(index).and_then(Option::as_ref) else { return };
            let mismatched = expected.mismatches(&decision);
            if !mismatched.is_empty() {
                failures.push(CallFailure {
                    index,
                    at: case.call_at.get(index).cloned().unwrap_or_default(),
                    tool: call.tool.clone(),
                    grant: call.grant.clone(),
                    at_ms: call.at_ms,
                    mismatched: mismatched.into_iter().map(str::to_string).collect(),
                    expected: expected.clone(),
                    actual: decision,
                });
            }
        });
        let passed = failures.is_empty();
        if passed {
            report.passed += 1;
        } else {
            report.failed += 1;
        }
        report.tests.push(TestResult {
            file: None,
            name: case.name.clone(),
            at: case.at.clone(),
            passed,
            calls: case.calls.len(),
            checked: case.expect.iter().flatten().count(),
            failures,
        });
    }
    report
}

/// Parses a test file and runs it; with `coverage`, the report carries the rule coverage.
pub fn run_tests_text(
    policy: Option<&Policy>,
    tests_text: &str,
    coverage: bool,
) -> Result<TestReport, Vec<ValidationError>> {
    let cases = parse_tests(tests_text)?;
    let mut tally = coverage.then(|| CoverageTally::new(policy));
    let mut report = run_tests(policy, &cases, tally.as_mut());
    report.coverage = tally.map(|t| t.coverage());
    Ok(report)
}

/// A test file that pins decisions: one test named `name` whose calls each expect the outcome,
/// rule and message they got (what the browser app's "save these decisions as tests" downloads).
/// Run against the same policy, it passes: every call keeps its time, grant and `upstream_error`.
pub fn pin_decisions<'a>(name: &str, calls: impl IntoIterator<Item = (&'a TraceCall, &'a Decision)>) -> String {
    let calls: Vec<serde_json::Value> = calls
        .into_iter()
        .map(|(c, d)| {
            let mut call = serde_json::json!({
                "tool": c.tool, "args": c.args, "grant": c.grant, "at_ms": c.at_ms,
                "expect": { "outcome": d.outcome.as_str(), "rule": &*d.rule, "message": &*d.message },
            });
            if c.upstream_error
                && let Some(m) = call.as_object_mut()
            {
                m.insert("upstream_error".into(), serde_json::Value::Bool(true));
            }
            call
        })
        .collect();
    let file = serde_json::json!({ "tests": [ { "name": name, "calls": calls } ] });
    serde_json::to_string_pretty(&file).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

const FILE_KEYS: &[&str] = &["$schema", "tests"];
const TEST_KEYS: &[&str] = &["name", "calls"];
const EXPECT_KEYS: &[&str] = &["outcome", "rule", "message"];
const OUTCOMES: &[&str] = &["allow", "deny", "hidden", "rate_limited"];

/// A test's calls, their expectations and their locations (parallel).
type Calls = (Vec<TraceCall>, Vec<Option<Expect>>, Vec<Location>);

struct Reader<'t> {
    text: &'t str,
    idx: LineIndex<'t>,
    errors: Collector,
    /// The last location computed (offset, line, column): locations are asked for in text order,
    /// so each is found from the previous one (a one-line file of 100 000 calls stays linear).
    cursor: (usize, u32, u32),
}

impl Reader<'_> {
    fn location(&mut self, pointer: String, offset: usize) -> Location {
        let (from, mut line, mut column) = self.cursor;
        match self.text.get(from..offset) {
            Some(between) if offset >= from => {
                for c in between.chars() {
                    if c == '\n' {
                        line = line.saturating_add(1);
                        column = 1;
                    } else {
                        column = column.saturating_add(1);
                    }
                }
                self.cursor = (offset, line, column);
                Location { pointer, line, column }
            }
            _ => {
                let p = self.idx.pos(offset);
                Location { pointer, line: p.line, column: p.column }
            }
        }
    }

    fn error(&mut self, pointer: String, offset: usize, message: String, help: Option<String>) {
        let p = self.idx.pos(offset);
        self.errors.push(ValidationError::error(pointer, message).at(p.line, p.column).with_help(help));
    }

    /// Reports duplicate and unknown keys; true when there are none.
    fn keys(&mut self, members: &[Member], ptr: &str, what: &str, allowed: &[&str]) -> bool {
        let problems = json::key_problems(members, ptr, what, allowed);
        let ok = problems.is_empty();
        for (_, offset, d) in problems {
            self.error(d.pointer, offset, d.message, d.help);
        }
        ok
    }

    fn string<'n>(&mut self, node: &'n Node, ptr: String, what: &str) -> Option<&'n str> {
        match &node.kind {
            Kind::String(s) => Some(s),
            other => {
                self.error(ptr, node.start, format!("{what} must be a string, found {}", other.type_name()), None);
                None
            }
        }
    }

    fn expect(&mut self, node: &Node, ptr: &str) -> Option<Expect> {
        let Kind::Object(members) = &node.kind else {
            let found = node.kind.type_name();
            self.error(ptr.into(), node.start, format!("`expect` must be an object, found {found}"), None);
            return None;
        };
        let mut ok = self.keys(members, ptr, "`expect`", EXPECT_KEYS);
        let outcome = match node.get("outcome") {
            None => {
                let help = Some(format!("one of: {}", OUTCOMES.join(", ")));
                self.error(ptr.into(), node.start, "`expect` needs an `outcome`".into(), help);
                None
            }
            Some(m) => {
                let s = self.string(&m.value, child(ptr, "outcome"), "`outcome`")?;
                let parsed = Outcome::ALL.into_iter().find(|o| o.as_str() == s);
                if parsed.is_none() {
                    let help = did_you_mean(s, OUTCOMES.iter().copied())
                        .map_or_else(|| format!("one of: {}", OUTCOMES.join(", ")), |g| format!("did you mean `{g}`?"));
                    self.error(child(ptr, "outcome"), m.value.start, format!("unknown outcome `{s}`"), Some(help));
                }
                parsed
            }
        };
        let mut text = |key: &str| match node.get(key) {
            None => None,
            Some(m) => {
                let s = self.string(&m.value, child(ptr, key), &format!("`{key}`")).map(str::to_string);
                ok &= s.is_some();
                s
            }
        };
        let rule = text("rule");
        let message = text("message");
        let outcome = outcome?;
        ok.then_some(Expect { outcome, rule, message })
    }

    /// One test's calls: the trace parser reads the `calls` array with every `expect` member
    /// blanked out (positions kept), so calls mean exactly what they mean in a trace.
    fn calls(&mut self, node: &Node, ptr: &str) -> Option<Calls> {
        let Kind::Array(items) = &node.kind else {
            let found = node.kind.type_name();
            self.error(ptr.into(), node.start, format!("`calls` must be an array of calls, found {found}"), None);
            return None;
        };
        let start = self.location(String::new(), node.start);
        let before = self.errors.len();
        let mut structural = false;
        let mut blanks: Vec<(usize, usize)> = Vec::new();
        let mut expects = Vec::with_capacity(items.len());
        let mut at = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let call_ptr = format!("{ptr}/{i}");
            at.push(self.location(call_ptr.clone(), item.start));
            let Kind::Object(members) = &item.kind else {
                let found = item.kind.type_name();
                self.error(call_ptr, item.start, format!("a test call must be an object, found {found}"), None);
                expects.push(None);
                structural = true;
                continue;
            };
            let is_request =
                item.get("method").is_some_and(|m| matches!(&m.value.kind, Kind::String(s) if s == "tools/call"));
            if (item.get("jsonrpc").is_some() || item.get("dir").is_some()) && !is_request {
                let help = Some("write a call (`tool`, `args`, …) or a JSON-RPC `tools/call` request".to_string());
                self.error(call_ptr, item.start, "a test call must be a call, not another message".into(), help);
                expects.push(None);
                structural = true;
                continue;
            }
            let mut expect = None;
            for (k, m) in members.iter().enumerate() {
                if m.key != "expect" {
                    continue;
                }
                expect = self.expect(&m.value, &child(&call_ptr, "expect"));
                // Blank the member and one comma next to it, so the rest stays valid JSON.
                let (start, end) = match (k.checked_sub(1).and_then(|p| members.get(p)), members.get(k + 1)) {
                    (_, Some(next)) => (m.key_pos, next.key_pos),
                    (Some(prev), None) => (prev.value.end, m.value.end),
                    (None, None) => (m.key_pos, m.value.end),
                };
                blanks.push((start, end));
            }
            expects.push(expect);
        }
        // Calls the trace parser would skip or misalign: nothing more to read here.
        if structural {
            return None;
        }
        // The array's text with the `expect` members blanked; the trace parser's lines and columns
        // are then the file's once shifted to where the array starts.
        let mut piece = String::with_capacity(node.end.saturating_sub(node.start));
        let mut kept_from = node.start;
        // The ranges are in text order (items, then members, in order).
        for (from, to) in blanks {
            piece.push_str(self.text.get(kept_from..from).unwrap_or_default());
            for c in self.text.get(from..to).unwrap_or_default().chars() {
                piece.push(if c == '\n' || c == '\r' { c } else { ' ' });
            }
            kept_from = to;
        }
        piece.push_str(self.text.get(kept_from..node.end).unwrap_or_default());
        match parse_trace(&piece) {
            Ok(_) if self.errors.len() > before => None,
            Ok(calls) if calls.len() == items.len() => Some((calls, expects, at)),
            Ok(_) => {
                self.error(ptr.into(), node.start, "every entry of `calls` must be one call".into(), None);
                None
            }
            Err(errors) => {
                for mut e in errors {
                    e.pointer = format!("{ptr}{}", e.pointer);
                    if e.line == Some(1) {
                        e.column = e.column.map(|c| c.saturating_add(start.column - 1));
                    }
                    e.line = e.line.map(|l| l.saturating_add(start.line - 1));
                    self.errors.push(e);
                }
                None
            }
        }
    }

    fn test(&mut self, node: &Node, ptr: &str, names: &mut HashSet<String>) -> Option<TestCase> {
        let Kind::Object(members) = &node.kind else {
            let found = node.kind.type_name();
            self.error(ptr.into(), node.start, format!("a test must be an object, found {found}"), None);
            return None;
        };
        let at = self.location(ptr.into(), node.start);
        let keys_ok = self.keys(members, ptr, "a test", TEST_KEYS);
        let name = match node.get("name") {
            None => {
                self.error(ptr.into(), node.start, "a test needs a `name`".into(), None);
                None
            }
            Some(m) => match self.string(&m.value, child(ptr, "name"), "`name`") {
                Some("") => {
                    self.error(child(ptr, "name"), m.value.start, "a test's `name` must not be empty".into(), None);
                    None
                }
                Some(n) if names.contains(n) => {
                    self.error(child(ptr, "name"), m.value.start, format!("duplicate test name `{n}`"), None);
                    None
                }
                Some(n) => {
                    names.insert(n.to_string());
                    Some(n.to_string())
                }
                None => None,
            },
        };
        let calls = match node.get("calls") {
            None => {
                self.error(ptr.into(), node.start, "a test needs `calls`".into(), None);
                None
            }
            Some(m) => self.calls(&m.value, &child(ptr, "calls")),
        };
        let (name, (calls, expect, call_at)) = (name?, calls?);
        keys_ok.then_some(TestCase { name, at, calls, expect, call_at })
    }
}

/// Parses a test file, reporting every problem with its pointer, line and column.
pub fn parse_tests(text: &str) -> Result<Vec<TestCase>, Vec<ValidationError>> {
    let root = json::parse(text).map_err(|e| vec![e.diagnostic(1)])?;
    let mut r = Reader { text, idx: LineIndex::new(text), errors: Collector::new(), cursor: (0, 1, 1) };
    let Kind::Object(members) = &root.kind else {
        let found = root.kind.type_name();
        let help = Some(
            r#"write {"tests": [{"name": "…", "calls": [{"tool": "…", "expect": {"outcome": "allow"}}]}]}"#.into(),
        );
        r.error(String::new(), root.start, format!("a test file must be an object with `tests`, found {found}"), help);
        return Err(r.errors.into_vec());
    };
    r.keys(members, "", "a test file", FILE_KEYS);
    let mut cases = Vec::new();
    match root.get("tests").map(|m| &m.value) {
        None => r.error(String::new(), root.start, "a test file needs a `tests` array".into(), None),
        Some(Node { kind: Kind::Array(items), .. }) => {
            let mut names = HashSet::default();
            for (i, item) in items.iter().enumerate() {
                if let Some(case) = r.test(item, &format!("/tests/{i}"), &mut names) {
                    cases.push(case);
                }
            }
        }
        Some(other) => {
            let found = other.kind.type_name();
            r.error("/tests".into(), other.start, format!("`tests` must be an array, found {found}"), None);
        }
    }
    r.errors.finish(cases)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::evaluate::parse_policy;

    const POLICY: &str = r#"{"version":"1","default":"deny","tools":{"refund":{
        "deny_if":[{"conditions":[{"path":"args.amount","op":"gt","value":100}],"on_deny":"too much"}],
        "limits":[{"counter":"refunds","window":"minute","max":2}]}}}"#;

    fn run(tests: &str) -> TestReport {
        run_tests_text(parse_policy(POLICY).unwrap().as_ref(), tests, true).unwrap()
    }

    #[test]
    fn passing_and_failing_tests_are_told_apart() {
        let r = run(r#"{"tests": [
            {"name": "small refunds pass", "calls": [
              {"tool": "refund", "args": {"amount": 5}, "at_ms": 0, "expect": {"outcome": "allow", "rule": ""}},
              {"tool": "refund", "args": {"amount": 5}},
              {"expect": {"outcome": "rate_limited"}, "tool": "refund"}]},
            {"name": "a wrong expectation fails", "calls": [
              {"tool": "refund", "args": {"amount": 500}, "expect": {"outcome": "allow", "message": "too much"}}]}
        ]}"#);
        assert_eq!((r.passed, r.failed), (1, 1));
        assert_eq!((r.tests[0].calls, r.tests[0].checked), (3, 2));
        let f = &r.tests[1].failures[0];
        assert_eq!(f.mismatched, ["outcome"]);
        assert_eq!(f.actual.outcome, Outcome::Deny);
        assert_eq!(f.actual.explain[0].actual, serde_json::json!(500));
        assert_eq!((f.at.pointer.as_str(), f.at.line), ("/tests/1/calls/0", 7));
        let cov = r.coverage.unwrap();
        assert_eq!(cov.uncovered, ["/default"]);
    }

    #[test]
    fn each_test_starts_from_empty_counters() {
        let one = r#"{"name": "N", "calls": [{"tool": "refund", "at_ms": 0}, {"tool": "refund", "expect": {"outcome": "allow"}}]}"#;
        let r = run(&format!(r#"{{"tests": [{}, {}]}}"#, one.replace('N', "a"), one.replace('N', "b")));
        assert_eq!((r.passed, r.failed), (2, 0));
    }

    #[test]
    fn malformed_test_files_are_located() {
        let text = "{\"tests\": [\n  {\"name\": \"x\", \"calls\": [\n    {\"tool\": \"refund\", \"at-ms\": 1, \"expect\": {\"outcome\": \"denyy\"}},\n    {\"tool\": \"refund\", \"args\": 5}]},\n  {\"nmae\": \"y\", \"calls\": []}\n]}";
        let errs = parse_tests(text).unwrap_err();
        let got: Vec<(&str, Option<u32>, Option<u32>)> =
            errs.iter().map(|e| (e.pointer.as_str(), e.line, e.column)).collect();
        assert_eq!(
            got,
            [
                ("/tests/0/calls/0/expect/outcome", Some(3), Some(58)),
                ("/tests/0/calls/0/at-ms", Some(3), Some(24)),
                ("/tests/0/calls/1/args", Some(4), Some(32)),
                ("/tests/1/nmae", Some(5), Some(4)),
                ("/tests/1", Some(5), Some(3)),
            ],
            "{errs:#?}"
        );
        assert_eq!(errs[0].help.as_deref(), Some("did you mean `deny`?"));
        // The trace parser's own errors come through, located in the file, with its help.
        let text = text.replace("denyy", "deny").replace("nmae", "name");
        let errs = parse_tests(&text).unwrap_err();
        let got: Vec<(&str, Option<u32>, Option<u32>)> =
            errs.iter().map(|e| (e.pointer.as_str(), e.line, e.column)).collect();
        assert_eq!(got, [("/tests/0/calls/0/at-ms", Some(3), Some(24)), ("/tests/0/calls/1/args", Some(4), Some(32))]);
        assert_eq!(errs[0].help.as_deref(), Some("did you mean `at_ms`?"));
        // On one line, after other text (and a two-byte character): the column is still the file's.
        let one_line =
            r#"{"tests": [{"name": "é", "calls": [{"tool": "x", "expect": {"outcome": "allow"}, "at-ms": 1}]}]}"#;
        let errs = parse_tests(one_line).unwrap_err();
        assert_eq!(
            (errs[0].pointer.as_str(), errs[0].line, errs[0].column),
            ("/tests/0/calls/0/at-ms", Some(1), Some(82))
        );
        for bad in [
            "[]",
            "{}",
            r#"{"tests": {}}"#,
            r#"{"tests": [{"name": "a", "calls": [{"jsonrpc": "2.0", "method": "initialize"}]}]}"#,
        ] {
            assert!(parse_tests(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_test_file_with_thousands_of_problems_reports_a_capped_list() {
        let keys: String = (0..crate::MAX_ERRORS + 50).map(|i| format!(", \"k{i}\": 0")).collect();
        let text = format!(r#"{{"tests": [{{"name": "a", "calls": []{keys}}}]}}"#);
        let errs = parse_tests(&text).unwrap_err();
        assert_eq!(errs.len(), crate::MAX_ERRORS + 1);
        assert!(errs[crate::MAX_ERRORS].message.starts_with("too many errors"), "{:?}", errs.last());
        assert_eq!(errs[0].pointer, "/tests/0/k0");
    }
}
