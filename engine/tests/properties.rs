//! Properties of the engine over random policies, calls, times and inputs (proptest).
//!
//! Failing inputs are persisted in `engine/proptest-regressions/properties.txt` and replayed first
//! on every run; that file is committed.
#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code: generated inputs are valid by construction"
)]

use std::collections::BTreeMap;

use indexmap::IndexMap;
use proptest::prelude::*;
use serde_json::{Map, Number, Value, json};
use toolgate_engine::trace::{self, TraceCall};
use toolgate_engine::{
    AllTools, Call, Condition, CounterSnapshot, DefaultAction, Engine, Limit, Op, Outcome, Plan, Policy, PolicyDoc,
    RequireEntry, Rule, Scope, ToolRules, Window, filter_tools, json as tjson, parse_policy, parse_policy_doc,
    parse_tool_list,
};

const T0: u64 = 1_767_225_600_000;
const TOOLS: &[&str] = &["t", "a/b", "x~y", "*", "café", "with space", "T"];
/// Names called but never listed.
const EXTRA_CALLS: &[&str] = &["unlisted", "h"];
const HIDE: &[&str] = &["t", "a/b", "h", "café", "*", "T"];
const COUNTERS: &[&str] = &["a", "b", "c/d", "e~f"];
const PATHS: &[&str] = &["args.a", "args.b", "args.a.b", "args.x~y", "args.é", "args.a/b"];
const PATTERNS: &[&str] = &["^a", "a+b", "(?i)x", "", "[0-9]{2,}", "\\.", "é|ü", "(a+)+$"];
const GRANTS: &[&str] = &["default", "alice", "bob"];

// --- JSON values -----------------------------------------------------------------------------

fn arb_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..max).prop_map(|c| c.into_iter().collect())
}

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        any::<u64>().prop_map(Number::from),
        (-5i64..5).prop_map(Number::from),
        any::<f64>().prop_filter_map("finite", Number::from_f64),
        prop_oneof![Just(0.0), Just(-0.0), Just(1.5), Just(1e300), Just(-1e-300)]
            .prop_filter_map("finite", Number::from_f64),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        arb_number().prop_map(Value::Number),
        arb_string(6).prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((arb_string(4), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Argument values that conditions of [`arb_condition`] sometimes match.
fn arb_arg_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => prop::sample::select(vec![json!(0), json!(1), json!(1.5), json!(-1), json!("x"), json!("aab"), json!(""),
            json!(true), json!(null), json!([1]), json!({"b": 1}), json!("X.é"), json!(99)]),
        1 => arb_json(),
    ]
}

fn arb_args() -> impl Strategy<Value = Option<Value>> {
    let object =
        prop::collection::vec((prop::sample::select(vec!["a", "b", "x~y", "é", "a/b"]), arb_arg_value()), 0..4)
            .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()));
    prop_oneof![
        8 => object.prop_map(Some),
        1 => Just(None),
        1 => arb_json().prop_map(Some),
    ]
}

// --- policies --------------------------------------------------------------------------------

fn arb_condition() -> impl Strategy<Value = Condition> {
    (prop::sample::select(PATHS), prop::sample::select(Op::ALL.to_vec())).prop_flat_map(|(path, op)| {
        let value: BoxedStrategy<Value> = match op {
            Op::In | Op::NotIn => prop::collection::vec(arb_arg_value(), 0..4).prop_map(Value::Array).boxed(),
            Op::Lt | Op::Lte | Op::Gt | Op::Gte => arb_number().prop_map(Value::Number).boxed(),
            Op::Exists => any::<bool>().prop_map(Value::Bool).boxed(),
            Op::Regex => prop::sample::select(PATTERNS).prop_map(|p| Value::String(p.into())).boxed(),
            Op::Eq | Op::Neq | Op::Contains => arb_arg_value().boxed(),
        };
        value.prop_map(move |value| Condition { path: path.to_string(), op, value })
    })
}

fn arb_rule() -> impl Strategy<Value = Rule> {
    (prop::collection::vec(arb_condition(), 0..3), prop::option::of(arb_string(8)))
        .prop_map(|(conditions, on_deny)| Rule { conditions, on_deny })
}

fn arb_require() -> impl Strategy<Value = RequireEntry> {
    prop_oneof![
        prop::sample::select(PATHS).prop_map(|p| RequireEntry::Shorthand(p.to_string())),
        arb_rule().prop_map(RequireEntry::Rule),
    ]
}

fn arb_max() -> impl Strategy<Value = u64> {
    prop_oneof![8 => 1u64..=4, 1 => 1u64..1000, 1 => Just(u64::MAX)]
}

/// A `limits` array: distinct counters, each with the document-wide window of its name.
fn arb_limits(windows: [Window; 4]) -> impl Strategy<Value = Vec<Limit>> {
    prop::sample::subsequence((0..COUNTERS.len()).collect::<Vec<_>>(), 0..=3)
        .prop_shuffle()
        .prop_flat_map(|idx| {
            let n = idx.len();
            (Just(idx), prop::collection::vec((arb_max(), any::<bool>(), prop::option::of(arb_string(6))), n))
        })
        .prop_map(move |(idx, extra)| {
            idx.into_iter()
                .zip(extra)
                .map(|(i, (max, scope, on_deny))| Limit {
                    counter: COUNTERS[i].to_string(),
                    window: windows[i],
                    max,
                    scope: scope.then_some(Scope::Grant),
                    on_deny,
                })
                .collect()
        })
}

fn arb_tool_rules(windows: [Window; 4]) -> impl Strategy<Value = ToolRules> {
    (
        prop::option::of(prop::collection::vec(arb_require(), 0..3)),
        prop::option::of(prop::collection::vec(arb_rule(), 0..3)),
        prop::option::of(arb_limits(windows)),
    )
        .prop_map(|(require, deny_if, limits)| ToolRules { require, deny_if, limits })
}

fn arb_windows() -> impl Strategy<Value = [Window; 4]> {
    prop::array::uniform4(prop::sample::select(Window::ALL.to_vec()))
}

/// A valid policy document (every generated document passes validation).
fn arb_doc() -> impl Strategy<Value = PolicyDoc> {
    arb_windows().prop_flat_map(|windows| {
        (
            prop::option::of(arb_string(10)),
            any::<bool>(),
            prop::option::of(prop::sample::subsequence(HIDE.to_vec(), 0..=2).prop_shuffle()),
            prop::option::of(prop::option::of(arb_limits(windows))),
            prop::option::of(prop::collection::vec((prop::sample::select(TOOLS), arb_tool_rules(windows)), 0..5)),
        )
            .prop_map(|(schema, allow, hide, all_tools, tools)| PolicyDoc {
                schema,
                version: "1".into(),
                default: if allow { DefaultAction::Allow } else { DefaultAction::Deny },
                hide: hide.map(|h| h.into_iter().map(str::to_string).collect()),
                all_tools: all_tools.map(|limits| AllTools { limits }),
                tools: tools.map(|ts| ts.into_iter().map(|(n, r)| (n.to_string(), r)).collect::<IndexMap<_, _>>()),
            })
    })
}

/// The document with every `require` and `deny_if` removed: only hide, default and limits decide.
fn limits_only(mut doc: PolicyDoc) -> PolicyDoc {
    for rules in doc.tools.iter_mut().flat_map(|t| t.values_mut()) {
        rules.require = None;
        rules.deny_if = None;
    }
    doc
}

fn compile(doc: &PolicyDoc) -> Policy {
    Policy::compile(doc.clone())
        .unwrap_or_else(|e| panic!("a generated document is valid: {e:?}\n{}", doc.to_json_pretty()))
}

// --- call sequences --------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Step {
    Call {
        tool: usize,
        grant: usize,
        dt: i64,
        args: Option<Value>,
        upstream_error: bool,
    },
    /// The upstream error of an earlier call arrives now (index modulo the calls so far).
    Release(usize),
}

fn arb_dt(backwards: bool) -> BoxedStrategy<i64> {
    let forward = prop_oneof![6 => 0i64..2_000, 2 => 0i64..200_000, 1 => 0i64..100_000_000];
    if backwards { prop_oneof![8 => forward, 2 => -200_000i64..0].boxed() } else { forward.boxed() }
}

fn arb_steps(backwards: bool, with_args: bool, len: usize) -> impl Strategy<Value = Vec<Step>> {
    let call = (
        0..TOOLS.len() + EXTRA_CALLS.len(),
        0..GRANTS.len(),
        arb_dt(backwards),
        if with_args { arb_args().boxed() } else { Just(Some(json!({}))).boxed() },
        prop::bool::weighted(0.1),
    )
        .prop_map(|(tool, grant, dt, args, upstream_error)| Step::Call { tool, grant, dt, args, upstream_error });
    prop::collection::vec(prop_oneof![9 => call, 1 => any::<usize>().prop_map(Step::Release)], 0..len)
}

fn tool_name(i: usize) -> &'static str {
    TOOLS.get(i).copied().unwrap_or_else(|| EXTRA_CALLS[i - TOOLS.len()])
}

fn advance(at: u64, dt: i64) -> u64 {
    if dt >= 0 { at.saturating_add(dt as u64) } else { at.saturating_sub(dt.unsigned_abs()) }
}

/// Runs the steps on an engine, returning each step's decision (`None` for a release).
fn run(engine: &mut Engine, steps: &[Step], start: u64) -> Vec<Option<toolgate_engine::Decision>> {
    let mut at = start;
    let mut out: Vec<Option<toolgate_engine::Decision>> = Vec::new();
    for s in steps {
        match s {
            Step::Call { tool, grant, dt, args, upstream_error } => {
                at = advance(at, *dt);
                let mut call = Call::new(tool_name(*tool), at).with_grant(GRANTS[*grant]);
                if let Some(a) = args {
                    call = call.with_args(a);
                }
                let d = engine.evaluate(&call);
                if *upstream_error {
                    engine.release(&d);
                }
                out.push(Some(d));
            }
            Step::Release(k) => {
                let earlier: Vec<_> = out.iter().flatten().cloned().collect();
                if !earlier.is_empty() {
                    engine.release(&earlier[k % earlier.len()]);
                }
                out.push(None);
            }
        }
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

// --- a reference model of §3 steps 2, 3, 6, 7, 8 (limits only), straight from the spec -------

#[derive(Default)]
struct Model {
    /// (grant, counter, window start) → net charges.
    counts: BTreeMap<(String, String, u64), u64>,
    /// (grant, counter) → the newest window start charged. The engine remembers this window and
    /// the one before it; a call in an older window is refused (fail closed, `limit.rs`).
    newest: BTreeMap<(String, String), u64>,
}

#[derive(Debug, PartialEq)]
struct ModelDecision {
    outcome: Outcome,
    rule: String,
    retry_after_ms: Option<u64>,
    /// (counter, window start, used after the call)
    counters: Vec<(String, u64, u64)>,
}

impl Model {
    fn decide(&mut self, doc: &PolicyDoc, tool: &str, grant: &str, at: u64) -> ModelDecision {
        let refuse = |outcome, rule: &str| ModelDecision {
            outcome,
            rule: rule.to_string(),
            retry_after_ms: None,
            counters: Vec::new(),
        };
        let hide = doc.hide.clone().unwrap_or_default();
        if hide.iter().any(|h| h == tool || h == "*") {
            return refuse(Outcome::Hidden, "(hidden)");
        }
        let rules = doc.tools.as_ref().and_then(|t| t.get(tool));
        if rules.is_none() && doc.default == DefaultAction::Deny {
            return refuse(Outcome::Deny, "(default deny)");
        }
        let own: Vec<(String, &Limit)> = rules
            .and_then(|r| r.limits.as_ref())
            .into_iter()
            .flatten()
            .map(|l| (format!("/tools/{}/limits/{}", esc(tool), esc(&l.counter)), l))
            .collect();
        let all: Vec<(String, &Limit)> = doc
            .all_tools
            .as_ref()
            .and_then(|a| a.limits.as_ref())
            .into_iter()
            .flatten()
            .map(|l| (format!("/all_tools/limits/{}", esc(&l.counter)), l))
            .collect();
        let mut refused: Option<(String, u64)> = None;
        let mut counters: Vec<(String, u64, u64)> = Vec::new();
        for (rule, l) in own.iter().chain(&all) {
            let w = l.window.millis();
            let ws = at - at % w;
            let newest = self.newest.get(&(grant.to_string(), l.counter.clone())).copied();
            let used = if newest.is_some_and(|n| ws + w < n) {
                l.max
            } else {
                self.counts.get(&(grant.to_string(), l.counter.clone(), ws)).copied().unwrap_or(0)
            };
            if used.saturating_add(1) > l.max && refused.is_none() {
                refused = Some((rule.clone(), ws + w - at));
            }
            if !counters.iter().any(|(c, _, _)| *c == l.counter) {
                counters.push((l.counter.clone(), ws, used));
            }
        }
        if let Some((rule, retry)) = refused {
            return ModelDecision { outcome: Outcome::RateLimited, rule, retry_after_ms: Some(retry), counters };
        }
        for (c, ws, used) in &mut counters {
            *used = used.saturating_add(1);
            self.counts.insert((grant.to_string(), c.clone(), *ws), *used);
            let n = self.newest.entry((grant.to_string(), c.clone())).or_insert(*ws);
            *n = (*n).max(*ws);
        }
        ModelDecision { outcome: Outcome::Allow, rule: String::new(), retry_after_ms: None, counters }
    }

    fn release(&mut self, d: &toolgate_engine::Decision) {
        if d.outcome != Outcome::Allow {
            return;
        }
        for s in &d.counters {
            if let Some(n) = self.counts.get_mut(&(s.grant.to_string(), s.counter.to_string(), s.window_start_ms)) {
                *n = n.saturating_sub(1);
            }
        }
    }
}

fn as_model(d: &toolgate_engine::Decision) -> ModelDecision {
    ModelDecision {
        outcome: d.outcome,
        rule: d.rule.to_string(),
        retry_after_ms: d.retry_after_ms,
        counters: d.counters.iter().map(|s| (s.counter.to_string(), s.window_start_ms, s.used)).collect(),
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct(
            "proptest-regressions/properties.txt",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Every decision (outcome, rule, retry_after_ms, counters) equals the spec's formula:
    /// count(key, ws) per fixed UTC window of the call's own `at_ms`, all-or-nothing, one charge
    /// per key, releases in the charged window — with times jumping backwards too, where the only
    /// difference allowed is the documented one: a window older than the newest two is refused.
    #[test]
    fn limit_decisions_equal_the_spec_formula(
        doc in arb_doc().prop_map(limits_only),
        steps in arb_steps(true, false, 60),
        start in 0u64..200_000,
    ) {
        let mut engine = Engine::new(Some(compile(&doc)));
        let mut model = Model::default();
        let mut at = T0 + start;
        let mut decisions: Vec<toolgate_engine::Decision> = Vec::new();
        let mut released = std::collections::BTreeSet::new();
        for s in &steps {
            match s {
                Step::Call { tool, grant, dt, upstream_error, .. } => {
                    at = advance(at, *dt);
                    let name = tool_name(*tool);
                    let d = engine.evaluate(&Call::new(name, at).with_grant(GRANTS[*grant]));
                    let want = model.decide(&doc, name, GRANTS[*grant], at);
                    prop_assert_eq!(as_model(&d), want, "call {} at {}", name, at);
                    if *upstream_error {
                        engine.release(&d);
                        model.release(&d);
                        released.insert(decisions.len());
                    }
                    decisions.push(d);
                }
                Step::Release(k) if !decisions.is_empty() => {
                    let d = decisions[k % decisions.len()].clone();
                    engine.release(&d);
                    // Releases are once-only: the model gives quota back the first time only.
                    if released.insert(k % decisions.len()) {
                        model.release(&d);
                    }
                }
                Step::Release(_) => {}
            }
        }
    }

    /// Whatever the times (including jumps backwards), releases and grants: in every window a
    /// counter is charged in, the net charges never exceed the `max` of any limit that admitted a
    /// call there.
    #[test]
    fn no_window_ever_admits_more_than_max(
        doc in arb_doc(),
        steps in arb_steps(true, true, 80),
    ) {
        let policy = compile(&doc);
        let mut engine = Engine::new(Some(policy));
        let mut net: BTreeMap<(String, String, u64), u64> = BTreeMap::new();
        let mut at = T0;
        let mut decisions: Vec<toolgate_engine::Decision> = Vec::new();
        let limits_of = |tool: &str| -> Vec<Limit> {
            let own = doc.tools.as_ref().and_then(|t| t.get(tool)).and_then(|r| r.limits.clone()).unwrap_or_default();
            let all = doc.all_tools.as_ref().and_then(|a| a.limits.clone()).unwrap_or_default();
            own.into_iter().chain(all).collect()
        };
        let sync_release = |engine: &mut Engine, net: &mut BTreeMap<(String, String, u64), u64>, d: &toolgate_engine::Decision| {
            let before = windows_of(&engine.export_state());
            engine.release(d);
            let after = windows_of(&engine.export_state());
            for (key, was) in &before {
                let now = after.get(key).copied().unwrap_or(0);
                if now < *was {
                    let n = net.get_mut(key).expect("released a charge that was made");
                    *n -= was - now;
                }
            }
        };
        for s in &steps {
            match s {
                Step::Call { tool, grant, dt, args, upstream_error } => {
                    at = advance(at, *dt);
                    let name = tool_name(*tool);
                    let mut call = Call::new(name, at).with_grant(GRANTS[*grant]);
                    if let Some(a) = args { call = call.with_args(a); }
                    let d = engine.evaluate(&call);
                    if d.outcome == Outcome::Allow {
                        for l in limits_of(name) {
                            let s = d.counters.iter().find(|s| *s.counter == *l.counter).expect("every limit reports its counter");
                            prop_assert!(s.window_start_ms % l.window.millis() == 0);
                            prop_assert!(s.window_start_ms >= at - at % l.window.millis(), "charged in the call's window or a later one");
                        }
                        for s in &d.counters {
                            *net.entry((s.grant.to_string(), s.counter.to_string(), s.window_start_ms)).or_default() += 1;
                        }
                        for l in limits_of(name) {
                            let s = d.counters.iter().find(|s| *s.counter == *l.counter).expect("reported");
                            let n = net[&(GRANTS[*grant].to_string(), l.counter.clone(), s.window_start_ms)];
                            prop_assert!(n <= l.max, "{} charges in a window of {} with max {}", n, l.counter, l.max);
                        }
                    }
                    if *upstream_error {
                        sync_release(&mut engine, &mut net, &d);
                    }
                    decisions.push(d);
                }
                Step::Release(k) if !decisions.is_empty() => {
                    let d = decisions[k % decisions.len()].clone();
                    sync_release(&mut engine, &mut net, &d);
                }
                Step::Release(_) => {}
            }
        }
        // The exported state agrees with the charges counted here, in both remembered windows.
        for (key, used) in windows_of(&engine.export_state()) {
            prop_assert_eq!(net.get(&key).copied().unwrap_or(0), used, "{:?}", key);
        }
    }

    /// Denied, hidden and rate-limited calls never change the counters, and a dry run (`check`)
    /// always decides exactly as `evaluate`.
    #[test]
    fn refused_calls_never_change_counters_and_check_agrees_with_evaluate(
        doc in arb_doc(),
        steps in arb_steps(true, true, 60),
    ) {
        let mut engine = Engine::new(Some(compile(&doc)));
        let mut at = T0;
        for s in &steps {
            if let Step::Call { tool, grant, dt, args, .. } = s {
                at = advance(at, *dt);
                let mut call = Call::new(tool_name(*tool), at).with_grant(GRANTS[*grant]);
                if let Some(a) = args { call = call.with_args(a); }
                let before = engine.export_state();
                let dry = engine.check(&call);
                prop_assert_eq!(engine.export_state(), before.clone(), "check is a dry run");
                let d = engine.evaluate(&call);
                prop_assert_eq!(&dry, &d);
                if d.outcome == Outcome::Allow {
                    prop_assert!(d.rule.is_empty() && d.message.is_empty() && d.pointer.is_none());
                    prop_assert!(d.counters.iter().all(|c| c.used >= 1 && c.used <= c.max));
                } else {
                    prop_assert_eq!(engine.export_state(), before, "{:?}", d);
                    prop_assert!(!d.rule.is_empty());
                    prop_assert_eq!(d.retry_after_ms.is_some(), d.outcome == Outcome::RateLimited);
                }
                if d.outcome == Outcome::Hidden {
                    prop_assert!(!engine.is_visible(call.tool));
                }
            }
        }
    }

    /// A state exported at any point and imported into a fresh engine gives identical decisions
    /// and states from then on, whatever the times (late calls included) and releases.
    #[test]
    fn export_then_import_gives_identical_subsequent_decisions(
        doc in arb_doc(),
        steps in arb_steps(true, true, 60),
        cut in any::<prop::sample::Index>(),
    ) {
        let policy = compile(&doc);
        let k = cut.index(steps.len() + 1);
        let (head, tail) = steps.split_at(k);
        let mut a = Engine::new(Some(policy.clone()));
        let head_decisions = run(&mut a, head, T0);
        let at_cut = head.iter().fold(T0, |at, s| match s { Step::Call { dt, .. } => advance(at, *dt), Step::Release(_) => at });
        let snapshot = a.export_state();
        let text = serde_json::to_string(&snapshot).unwrap();
        let back: CounterSnapshot = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&back, &snapshot, "snapshots round-trip through JSON");
        let mut b = Engine::new(Some(policy));
        b.import_state(&back).unwrap();
        prop_assert_eq!(b.export_state(), snapshot);
        // Releases in the tail name tail decisions: a head decision is `a`'s reservation, which `b`
        // only knows by content (see `a_decision_from_before_a_restart_is_released_by_content`).
        let _ = head_decisions;
        let tail_a = run_with_history(&mut a, tail, at_cut, &[]);
        let tail_b = run_with_history(&mut b, tail, at_cut, &[]);
        prop_assert_eq!(tail_a, tail_b);
        prop_assert_eq!(a.export_state(), b.export_state());
    }

    /// Any valid document survives `to_json_pretty` → `parse_policy_doc` unchanged, and compiles.
    #[test]
    fn valid_documents_round_trip_through_json_text(doc in arb_doc()) {
        let text = doc.to_json_pretty();
        let back = parse_policy_doc(&text).map_err(|e| TestCaseError::fail(format!("{e:?}\n{text}")))?;
        prop_assert_eq!(back.as_ref(), Some(&doc));
        let compact = serde_json::to_string(&doc).unwrap();
        prop_assert_eq!(parse_policy_doc(&compact).unwrap(), Some(doc.clone()));
        prop_assert!(parse_policy(&text).is_ok());
    }

    /// Arbitrary JSON values as a policy never panic; a rejected document reports located errors
    /// whose pointers lead into it (to the node, or to the object missing a key).
    #[test]
    fn arbitrary_json_policies_give_located_errors_or_a_policy(v in prop_oneof![arb_json(), arb_mutated_doc()]) {
        let text = serde_json::to_string_pretty(&v).unwrap();
        match parse_policy(&text) {
            Ok(_) => {}
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in &errors {
                    prop_assert!(e.line.is_some() && e.column.is_some(), "{:?}", e);
                    prop_assert!(!e.message.is_empty());
                    if e.message.starts_with("too many errors") { continue; }
                    let parent = e.pointer.rsplit_once('/').map_or("", |(p, _)| p);
                    prop_assert!(v.pointer(&e.pointer).is_some() || v.pointer(parent).is_some(),
                        "pointer {} leads nowhere in {}", e.pointer, text);
                }
            }
        }
    }

    /// Random bytes as policy, tool list or arguments never panic.
    #[test]
    fn arbitrary_bytes_never_panic(policy in prop::collection::vec(any::<u8>(), 0..300),
                                   tools in prop::collection::vec(any::<u8>(), 0..300),
                                   jsonish in "[\\[\\]{}\",:0-9a-z\\\\ .eE+\\-\n]{0,200}") {
        for text in [String::from_utf8_lossy(&policy).to_string(), jsonish.clone()] {
            if let Err(errors) = parse_policy(&text) {
                prop_assert!(errors.iter().all(|e| e.line.is_some() && e.column.is_some()));
            }
        }
        for text in [String::from_utf8_lossy(&tools).to_string(), jsonish.clone()] {
            let _ = parse_tool_list(&text);
            if let Err(e) = filter_tools(None, &text) {
                prop_assert!(e.line.is_some());
            }
        }
    }

    /// Arbitrary argument values (any JSON type) never panic, and a non-object is refused.
    #[test]
    fn arbitrary_arguments_never_panic(doc in arb_doc(), args in arb_json(), tool in 0..TOOLS.len() + EXTRA_CALLS.len()) {
        let mut engine = Engine::new(Some(compile(&doc)));
        let d = engine.evaluate(&Call::new(tool_name(tool), T0).with_args(&args));
        if !(args.is_object() || args.is_null()) {
            prop_assert_ne!(d.outcome, Outcome::Allow);
        }
    }

    /// A simulation equals evaluating the calls one by one on a fresh engine (releasing the
    /// quota of calls whose upstream failed), whether the trace is given as calls, as a JSON
    /// array or as JSON Lines, and its summary counts those decisions.
    #[test]
    fn simulate_equals_evaluating_one_by_one(
        doc in prop::option::weighted(0.95, arb_doc()),
        steps in arb_steps(false, true, 60),
    ) {
        let policy = doc.as_ref().map(compile);
        let mut at = T0;
        let calls: Vec<TraceCall> = steps.iter().filter_map(|s| match s {
            Step::Call { tool, grant, dt, args, upstream_error } => {
                at = advance(at, *dt);
                let args = match args { Some(a @ Value::Object(_)) => a.clone(), _ => json!({}) };
                Some(TraceCall { tool: tool_name(*tool).into(), args, grant: GRANTS[*grant].into(), at_ms: at, upstream_error: *upstream_error, refusal: None })
            }
            Step::Release(_) => None,
        }).collect();
        let sim = trace::simulate(policy.as_ref(), &calls);
        let mut engine = Engine::new(policy.clone());
        let mut summary = trace::Summary::default();
        prop_assert_eq!(sim.decisions.len(), calls.len());
        for (i, (c, got)) in calls.iter().zip(&sim.decisions).enumerate() {
            let d = engine.evaluate(&Call::new(&c.tool, c.at_ms).with_args(&c.args).with_grant(&c.grant));
            if c.upstream_error {
                engine.release(&d);
            }
            summary.record(&c.tool, d.outcome);
            prop_assert_eq!((got.index, got.tool.as_str(), got.grant.as_str(), got.at_ms), (i, c.tool.as_str(), c.grant.as_str(), c.at_ms));
            prop_assert_eq!(&got.decision, &d, "call {}", i);
        }
        prop_assert_eq!(&sim.summary, &summary);
        prop_assert_eq!(sim.summary.calls, calls.len());
        prop_assert_eq!(&trace::simulate_summary(policy.as_ref(), &calls), &summary);

        let array = serde_json::to_string(&calls).unwrap();
        prop_assert_eq!(trace::parse_trace(&array).map_err(|e| format!("{e:?}")), Ok(calls.clone()));
        prop_assert_eq!(trace::simulate_text(policy.as_ref(), &array).unwrap(), sim.clone());
        let lines: String = calls.iter().map(|c| serde_json::to_string(c).unwrap() + "\n").collect();
        prop_assert_eq!(trace::simulate_text(policy.as_ref(), &lines).unwrap(), sim.clone());
        let mut streamed = Vec::new();
        let counted = trace::simulate_text_with(policy.as_ref(), &lines, |i, _, d| streamed.push((i, d))).unwrap();
        prop_assert_eq!(counted, summary);
        prop_assert!(streamed.iter().map(|(i, d)| (*i, d)).eq(sim.decisions.iter().map(|s| (s.index, &s.decision))));
    }

    /// Filtering keeps exactly the visible tools, in order, byte for byte, with every other field.
    #[test]
    fn filtering_keeps_exactly_the_visible_tools(
        doc in arb_doc(),
        names in prop::collection::vec(prop::sample::select([TOOLS, EXTRA_CALLS].concat()), 0..8),
        extra in arb_json(),
        spaces in prop::collection::vec(prop::sample::select(vec!["", " ", "\n  ", "\t"]), 8),
    ) {
        let policy = compile(&doc);
        let items: Vec<String> = names.iter().enumerate()
            .map(|(i, n)| format!("{}{}", spaces[i % spaces.len()], json!({"name": n, "i": i, "extra": extra})))
            .collect();
        let text = format!("{{\"tools\":[{}] , \"nextCursor\": \"c\"}}", items.join(","));
        let out = filter_tools(Some(&policy), &text).unwrap();
        let root = tjson::parse(&out).expect("the output is JSON").to_value();
        let kept: Vec<Value> = root["tools"].as_array().unwrap().clone();
        let want: Vec<usize> = names.iter().enumerate().filter(|(_, n)| policy.is_visible(n)).map(|(i, _)| i).collect();
        prop_assert_eq!(kept.iter().map(|t| t["i"].as_u64().unwrap() as usize).collect::<Vec<_>>(), want.clone());
        for i in want {
            prop_assert!(out.contains(items[i].trim_start()), "tool {} copied byte for byte", i);
        }
        prop_assert_eq!(&root["nextCursor"], "c");
        prop_assert_eq!(filter_tools(None, &text).unwrap(), "{\"tools\":[] , \"nextCursor\": \"c\"}");
    }
}

/// A snapshot as (grant, counter, window start) → calls charged, for both windows it remembers.
fn windows_of(snapshot: &CounterSnapshot) -> BTreeMap<(String, String, u64), u64> {
    let mut out = BTreeMap::new();
    for e in &snapshot.counters {
        out.insert((e.grant.clone(), e.counter.clone(), e.window_start_ms), e.used);
        if e.previous_used > 0 {
            out.insert((e.grant.clone(), e.counter.clone(), e.window_start_ms - e.window.millis()), e.previous_used);
        }
    }
    out
}

fn run_with_history(
    engine: &mut Engine,
    steps: &[Step],
    start: u64,
    history: &[Option<toolgate_engine::Decision>],
) -> Vec<Option<toolgate_engine::Decision>> {
    let mut at = start;
    let mut all: Vec<toolgate_engine::Decision> = history.iter().flatten().cloned().collect();
    let mut out = Vec::new();
    for s in steps {
        match s {
            Step::Call { tool, grant, dt, args, upstream_error } => {
                at = advance(at, *dt);
                let mut call = Call::new(tool_name(*tool), at).with_grant(GRANTS[*grant]);
                if let Some(a) = args {
                    call = call.with_args(a);
                }
                let d = engine.evaluate(&call);
                if *upstream_error {
                    engine.release(&d);
                }
                all.push(d.clone());
                out.push(Some(d));
            }
            Step::Release(k) => {
                if !all.is_empty() {
                    engine.release(&all[k % all.len()]);
                }
                out.push(None);
            }
        }
    }
    out
}

/// A valid document with one random node replaced, removed or given an extra key.
fn arb_mutated_doc() -> impl Strategy<Value = Value> {
    (arb_doc(), any::<u64>(), 0u8..3, arb_json(), arb_string(6)).prop_map(|(doc, pick, how, new, key)| {
        let mut v = serde_json::to_value(&doc).unwrap();
        let mut pointers = Vec::new();
        collect_pointers(&v, String::new(), &mut pointers);
        let target = pointers[(pick % pointers.len() as u64) as usize].clone();
        match how {
            0 => {
                if let Some(slot) = v.pointer_mut(&target) {
                    *slot = new;
                }
            }
            1 => {
                if let Some((parent, last)) = target.rsplit_once('/') {
                    let last = last.replace("~1", "/").replace("~0", "~");
                    match v.pointer_mut(parent) {
                        Some(Value::Object(m)) => {
                            m.shift_remove(&last);
                        }
                        Some(Value::Array(a)) => {
                            if let Ok(i) = last.parse::<usize>() {
                                if i < a.len() {
                                    a.remove(i);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {
                if let Some(Value::Object(m)) = v.pointer_mut(&target) {
                    m.insert(key, new);
                }
            }
        }
        v
    })
}

fn collect_pointers(v: &Value, here: String, out: &mut Vec<String>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                collect_pointers(x, format!("{here}/{}", esc(k)), out);
            }
        }
        Value::Array(xs) => {
            for (i, x) in xs.iter().enumerate() {
                collect_pointers(x, format!("{here}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_model_agrees_with_a_worked_example() {
    // Guards the reference model itself against a silent error: a hand-checked sequence.
    let doc: PolicyDoc = serde_json::from_value(json!({
        "version": "1", "default": "deny",
        "tools": { "t": { "limits": [ { "counter": "a", "window": "minute", "max": 1 } ] } },
        "all_tools": { "limits": [ { "counter": "a", "window": "minute", "max": 2 } ] }
    }))
    .unwrap();
    let mut m = Model::default();
    assert_eq!(m.decide(&doc, "t", "g", T0).outcome, Outcome::Allow);
    let d = m.decide(&doc, "t", "g", T0 + 1);
    assert_eq!(
        (d.outcome, d.rule.as_str(), d.retry_after_ms),
        (Outcome::RateLimited, "/tools/t/limits/a", Some(59_999))
    );
    assert_eq!(m.decide(&doc, "u", "g", T0 + 2).rule, "(default deny)");
    assert_eq!(m.decide(&doc, "t", "g", T0 + 60_000).counters, vec![("a".to_string(), T0 + 60_000, 1)]);
}

// --- host-side counter stores: plan → store → finish -------------------------------------------

/// A counter store written from STORE-CONTRACT.md's slot semantics, not from the engine's code:
/// what the gateway's Redis script does, in memory.
#[derive(Default)]
struct ContractStore {
    /// (grant, counter) → (w, ws, used, prev)
    slots: BTreeMap<(String, String), (u64, u64, u64, u64)>,
}

impl ContractStore {
    fn read(&self, grant: &str, counter: &str, w: u64, window_start: u64, max: u64) -> u64 {
        match self.slots.get(&(grant.to_string(), counter.to_string())) {
            None => 0,
            Some(&(sw, _, _, _)) if sw != w => 0,
            Some(&(_, ws, used, prev)) => {
                if window_start > ws {
                    0
                } else if window_start == ws {
                    used
                } else if window_start + w == ws {
                    prev
                } else {
                    max
                }
            }
        }
    }

    /// Reads every limit; charges every charge when all fit. Returns the counts read.
    fn reserve(&mut self, plan: &toolgate_engine::LimitPlan) -> Vec<u64> {
        let used: Vec<u64> = plan
            .limits
            .iter()
            .map(|l| self.read(&plan.grant, &l.counter, l.window.millis(), plan.window_start_ms(l), l.max))
            .collect();
        if plan.limits.iter().zip(&used).any(|(l, u)| u.saturating_add(1) > l.max) {
            return used;
        }
        for l in plan.charges() {
            let (w, start) = (l.window.millis(), plan.window_start_ms(l));
            let slot = self.slots.entry((plan.grant.to_string(), l.counter.to_string())).or_insert((w, start, 0, 0));
            if slot.0 != w {
                *slot = (w, start, 0, 0);
            } else if start > slot.1 {
                let prev = if start - w == slot.1 { slot.2 } else { 0 };
                *slot = (w, start, 0, prev);
            }
            if start == slot.1 {
                slot.2 = slot.2.saturating_add(1);
            } else if start + w == slot.1 {
                slot.3 = slot.3.saturating_add(1);
            }
        }
        used
    }

    fn release(&mut self, d: &toolgate_engine::Decision) {
        for c in &d.counters {
            let w = c.window.millis();
            if let Some(slot) = self.slots.get_mut(&(c.grant.to_string(), c.counter.to_string())) {
                if slot.0 != w {
                    continue;
                }
                if slot.1 == c.window_start_ms {
                    slot.2 = slot.2.saturating_sub(1);
                } else if slot.1 == c.window_start_ms + w {
                    slot.3 = slot.3.saturating_sub(1);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// A host-side store that follows the contract's slot semantics, driven by `plan` and
    /// `finish`, decides every call exactly as the in-memory `evaluate` — late calls, several
    /// grants, shared counters and releases included.
    #[test]
    fn plan_then_a_contract_store_then_finish_equals_evaluate(
        doc in arb_doc(),
        steps in arb_steps(true, true, 60),
    ) {
        let policy = compile(&doc);
        let mut memory = Engine::new(Some(policy.clone()));
        let planner = Engine::new(Some(policy));
        let mut store = ContractStore::default();
        let mut at = T0;
        let mut decisions: Vec<(toolgate_engine::Decision, toolgate_engine::Decision)> = Vec::new();
        let mut released = std::collections::BTreeSet::new();
        for s in &steps {
            match s {
                Step::Call { tool, grant, dt, args, upstream_error } => {
                    at = advance(at, *dt);
                    let mut call = Call::new(tool_name(*tool), at).with_grant(GRANTS[*grant]);
                    if let Some(a) = args { call = call.with_args(a); }
                    let expected = memory.evaluate(&call);
                    let got = match planner.plan(&call) {
                        Plan::Final(d) => {
                            prop_assert!(d.counters.is_empty(), "a final plan reads no counters: {:?}", d);
                            d
                        }
                        Plan::Reserve(p) => {
                            prop_assert_eq!(p.charges().count(), {
                                let mut names: Vec<_> = p.limits.iter().map(|l| &l.counter).collect();
                                names.sort();
                                names.dedup();
                                names.len()
                            });
                            let used = store.reserve(&p);
                            planner.finish(&p, &used).unwrap()
                        }
                    };
                    prop_assert_eq!(&got, &expected, "call {:?}", call);
                    decisions.push((expected, got));
                    if *upstream_error {
                        released.insert(decisions.len() - 1);
                        let (e, g) = decisions.last().unwrap();
                        memory.release(e);
                        if g.outcome == Outcome::Allow { store.release(g); }
                    }
                }
                Step::Release(k) => {
                    if !decisions.is_empty() && released.insert(k % decisions.len()) {
                        let (e, g) = &decisions[k % decisions.len()];
                        memory.release(e);
                        if g.outcome == Outcome::Allow { store.release(g); }
                    }
                }
            }
        }
    }
}

#[test]
fn finish_refuses_counts_that_do_not_match_the_plan() {
    let engine = Engine::from_text(
        r#"{"version":"1","default":"allow","tools":{"t":{"limits":[{"counter":"c","window":"minute","max":1}]}}}"#,
    )
    .unwrap();
    let Plan::Reserve(p) = engine.plan(&Call::new("t", T0)) else { panic!("t has a limit") };
    assert_eq!(engine.finish(&p, &[]).unwrap_err(), "expected 1 counts (one per limit), found 0");
    assert_eq!(engine.finish(&p, &[1]).unwrap().outcome, Outcome::RateLimited);
    assert_eq!(engine.finish(&p, &[0]).unwrap().counters[0].used, 1);
    assert!(matches!(Engine::new(None).plan(&Call::new("t", T0)), Plan::Final(d) if &*d.rule == "(no policy)"));
}
