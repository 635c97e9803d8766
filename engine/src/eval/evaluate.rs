//! One `tools/call` → [`Decision`]: the eight steps of `policy-format.md` §3, in order.

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;
use serde_json::{Map, Value};
use smol_str::SmolStr;

use crate::eval::condition::CompiledCondition;
use crate::eval::decision::{CounterState, Decision, Explain, Outcome, Reservation};
use crate::eval::limit::{self, CounterSnapshot, Counters, Slots, WindowCheck};
use crate::json::{escape_pointer_segment, pointer};
use crate::policy::validate::{ValidationError, parse_policy_doc};
use crate::policy::{DefaultAction, Limit, PolicyDoc, RequireEntry, Rule, Window};

/// Rule id of a call refused because no policy is attached.
pub const RULE_NO_POLICY: &str = "(no policy)";
/// Rule id of a call to a hidden tool.
pub const RULE_HIDDEN: &str = "(hidden)";
/// Rule id of a call to an unlisted tool under `default: "deny"`.
pub const RULE_DEFAULT_DENY: &str = "(default deny)";
/// Rule id of a call whose arguments are not a JSON object (fail closed, §9.1).
pub const RULE_INVALID_ARGUMENTS: &str = "(invalid arguments)";
/// Message of a call refused because no policy is attached.
pub const MESSAGE_NO_POLICY: &str = "No policy is attached to this grant.";

/// The arguments of a call that has none.
static EMPTY_ARGS: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

/// The grant used when a call names none.
pub const DEFAULT_GRANT: &str = "default";

/// One `tools/call` to evaluate.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// Tool name.
    pub tool: &'a str,
    /// `arguments`; `None` is `{}`. A non-object is denied (fail closed).
    pub args: Option<&'a Value>,
    /// Caller identity (counters are kept per grant).
    pub grant: &'a str,
    /// Unix epoch milliseconds, UTC.
    pub at_ms: u64,
}

impl<'a> Call<'a> {
    /// A call with no arguments by the default grant.
    pub fn new(tool: &'a str, at_ms: u64) -> Self {
        Call { tool, args: None, grant: DEFAULT_GRANT, at_ms }
    }

    /// Sets the arguments.
    pub fn with_args(mut self, args: &'a Value) -> Self {
        self.args = Some(args);
        self
    }

    /// Sets the grant.
    pub fn with_grant(mut self, grant: &'a str) -> Self {
        self.grant = grant;
        self
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    conditions: Vec<CompiledCondition>,
    pub(crate) rule: SmolStr,
    pub(crate) pointer: SmolStr,
    message: SmolStr,
}

/// One compiled `limits` entry: what step 6 checks, and what a [`LimitPlan`] hands to a host-side
/// counter store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitRule {
    /// Counter name.
    pub counter: Arc<str>,
    /// Window length.
    pub window: Window,
    /// Most calls per window.
    pub max: u64,
    /// Rule id of a refusal (`/tools/<tool>/limits/<counter>` or `/all_tools/limits/<counter>`).
    pub rule: Arc<str>,
    /// Pointer to the entry (`…/limits/<index>`).
    pub pointer: Arc<str>,
    /// The entry's `on_deny`, or the default message.
    pub message: Arc<str>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct CompiledTool {
    pub(crate) require: Vec<CompiledRule>,
    pub(crate) deny_if: Vec<CompiledRule>,
    pub(crate) limits: Vec<LimitRule>,
    /// For each limit of `limits` then `all_tools`: what a decision needs of it, computed once.
    keys: Box<[LimitKey]>,
    /// The refusal message when `hide` names this tool (tools only hidden have an entry too,
    /// so one lookup decides steps 2 and 3).
    hidden: Option<SmolStr>,
}

/// What a decision needs of one limit, prepared when the policy is compiled: the counter name's
/// [`limit::counter_hash`] (its slot is found without hashing the name), whether it is the first
/// limit naming that counter (the one shown and charged), and the strings a decision copies.
#[derive(Debug, Clone)]
struct LimitKey {
    hash: u64,
    first: bool,
    labels: LimitLabels,
}

/// A limit's strings as a [`Decision`] holds them.
#[derive(Debug, Clone)]
struct LimitLabels {
    counter: SmolStr,
    rule: SmolStr,
    pointer: SmolStr,
    message: SmolStr,
}

impl LimitLabels {
    fn of(l: &LimitRule) -> Self {
        LimitLabels {
            counter: SmolStr::new(&*l.counter),
            rule: SmolStr::new(&*l.rule),
            pointer: SmolStr::new(&*l.pointer),
            message: SmolStr::new(&*l.message),
        }
    }
}

impl CompiledTool {
    fn with_keys(mut self, all_tools: &[LimitRule]) -> Self {
        let all: Vec<&LimitRule> = self.limits.iter().chain(all_tools).collect();
        self.keys = all
            .iter()
            .enumerate()
            .map(|(i, l)| LimitKey {
                hash: limit::counter_hash(&l.counter),
                first: first_of_name(all.get(..i), l),
                labels: LimitLabels::of(l),
            })
            .collect();
        self
    }

    /// Every limit that applies, in order (the tool's, then `all_tools`'), with its key.
    fn limits_with_keys<'t>(
        &'t self,
        all_tools: &'t [LimitRule],
    ) -> impl Iterator<Item = (&'t LimitRule, &'t LimitKey)> {
        self.limits.iter().chain(all_tools).zip(self.keys.iter())
    }
}

/// Whether no limit in `before` names `l`'s counter.
fn first_of_name<L: std::borrow::Borrow<LimitRule>>(before: Option<&[L]>, l: &LimitRule) -> bool {
    before.is_none_or(|before| before.iter().all(|b| b.borrow().counter != l.counter))
}

/// A validated, compiled policy: evaluation never re-parses anything.
#[derive(Debug, Clone)]
pub struct Policy {
    doc: PolicyDoc,
    hide_all: bool,
    /// Every tool named in `tools` or `hide`.
    pub(crate) tools: HashMap<Box<str>, CompiledTool>,
    unlisted: CompiledTool,
    pub(crate) all_tools: Vec<LimitRule>,
}

/// Parses and validates policy text. `Ok(None)` is the document `null` (no policy attached).
pub fn parse_policy(text: &str) -> Result<Option<Policy>, Vec<ValidationError>> {
    match parse_policy_doc(text)? {
        None => Ok(None),
        // Checked already: built without serialising it and checking it again (`compile`).
        Some(doc) => Policy::build(doc).map(Some),
    }
}

fn rule_id(conditions: &[crate::policy::Condition], index: usize) -> String {
    if conditions.is_empty() {
        index.to_string()
    } else {
        conditions.iter().map(|c| format!("{}-{}", c.path, c.op)).collect::<Vec<_>>().join(",")
    }
}

impl Policy {
    /// Checks a document and builds the evaluator. Errors carry pointers but no positions; use
    /// [`parse_policy`] on text for positions.
    pub fn compile(doc: PolicyDoc) -> Result<Policy, Vec<ValidationError>> {
        // Documents built in code (the browser builder) are checked by the same validator as text.
        let text = doc.to_json_pretty();
        let checked = match parse_policy_doc(&text) {
            Ok(Some(d)) => d,
            Ok(None) => return Err(vec![error("", "the policy must be an object".into())]),
            Err(errs) => return Err(errs),
        };
        Policy::build(checked)
    }

    /// Builds the evaluator of a document the validator accepted (the output of
    /// [`parse_policy_doc`]).
    fn build(checked: PolicyDoc) -> Result<Policy, Vec<ValidationError>> {
        let mut errors = Vec::new();
        let mut tools: HashMap<Box<str>, CompiledTool> = HashMap::default();
        for (name, rules) in checked.tools.iter().flatten() {
            let base = pointer(["tools", name.as_str()]);
            let mut t = CompiledTool::default();
            for (i, entry) in rules.require.iter().flatten().enumerate() {
                let (rule, id) = match entry {
                    RequireEntry::Shorthand(path) => (
                        Rule {
                            conditions: vec![crate::policy::Condition {
                                path: path.clone(),
                                op: crate::policy::Op::Exists,
                                value: Value::Bool(true),
                            }],
                            on_deny: None,
                        },
                        format!("{path}-exists"),
                    ),
                    RequireEntry::Rule(r) => (r.clone(), rule_id(&r.conditions, i)),
                };
                match compile_rule(&rule, &base, "require", i, &id) {
                    Ok(r) => t.require.push(r),
                    Err(e) => errors.push(e),
                }
            }
            for (i, r) in rules.deny_if.iter().flatten().enumerate() {
                match compile_rule(r, &base, "deny_if", i, &rule_id(&r.conditions, i)) {
                    Ok(r) => t.deny_if.push(r),
                    Err(e) => errors.push(e),
                }
            }
            t.limits = rules.limits.iter().flatten().enumerate().map(|(i, l)| compile_limit(l, &base, i)).collect();
            tools.insert(Box::from(name.as_str()), t);
        }
        let all_tools: Vec<LimitRule> = checked
            .all_tools
            .iter()
            .flat_map(|a| a.limits.iter().flatten())
            .enumerate()
            .map(|(i, l)| compile_limit(l, "/all_tools", i))
            .collect();
        if !errors.is_empty() {
            return Err(errors);
        }
        let hide = checked.hide.as_deref().unwrap_or_default();
        for name in hide.iter().filter(|h| *h != "*") {
            tools.entry(Box::from(name.as_str())).or_default().hidden =
                Some(tool_message("Tool \"", name, "\" is hidden by policy"));
        }
        let tools = tools.into_iter().map(|(name, t)| (name, t.with_keys(&all_tools))).collect();
        Ok(Policy {
            hide_all: hide.iter().any(|h| h == "*"),
            tools,
            unlisted: CompiledTool::default().with_keys(&all_tools),
            all_tools,
            doc: checked,
        })
    }

    /// The document this policy was compiled from.
    pub fn doc(&self) -> &PolicyDoc {
        &self.doc
    }

    /// Whether `tools/list` shows this tool (not hidden by name or by `"*"`).
    pub fn is_visible(&self, tool: &str) -> bool {
        !(self.hide_all || self.tools.get(tool).is_some_and(|t| t.hidden.is_some()))
    }

    /// Steps 2–5: the tool's compiled rules when the call passes hidden, default, argument,
    /// `require` and `deny_if` checks; otherwise the refusal.
    #[expect(
        clippy::result_large_err,
        reason = "the refusal is the result; boxing it would cost an allocation per refusal"
    )]
    fn screen(&self, call: &Call<'_>) -> Result<&CompiledTool, Decision> {
        // Step 2: hidden.
        let entry = self.tools.get(call.tool);
        if self.hide_all {
            return Err(refusal(
                Outcome::Hidden,
                SmolStr::new_static(RULE_HIDDEN),
                None,
                tool_message("Tool \"", call.tool, "\" is hidden by policy"),
            ));
        }
        if let Some(message) = entry.and_then(|t| t.hidden.as_ref()) {
            return Err(refusal(Outcome::Hidden, SmolStr::new_static(RULE_HIDDEN), None, message.clone()));
        }
        // Step 3: unlisted tool.
        let tool = match entry {
            Some(t) => t,
            None if self.doc.default == DefaultAction::Deny => {
                return Err(refusal(
                    Outcome::Deny,
                    SmolStr::new_static(RULE_DEFAULT_DENY),
                    None,
                    tool_message("Tool \"", call.tool, "\" is not permitted by policy"),
                ));
            }
            None => &self.unlisted,
        };
        // Fail closed on arguments that are not an object (§9.1).
        let args = match call.args {
            None | Some(Value::Null) => &*EMPTY_ARGS,
            Some(Value::Object(m)) => m,
            Some(other) => {
                return Err(refusal(
                    Outcome::Deny,
                    SmolStr::new_static(RULE_INVALID_ARGUMENTS),
                    None,
                    format!(
                        "Arguments of tool \"{}\" must be a JSON object, not {}",
                        call.tool,
                        crate::json::json_type_name(other)
                    )
                    .into(),
                ));
            }
        };
        // Step 4: require — the first entry whose conditions do not all hold.
        for r in &tool.require {
            if !r.conditions.iter().all(|c| c.holds(args)) {
                return Err(rule_refusal(r, args));
            }
        }
        // Step 5: deny_if — the first entry whose conditions all hold.
        for r in &tool.deny_if {
            if r.conditions.iter().all(|c| c.holds(args)) {
                return Err(rule_refusal(r, args));
            }
        }
        Ok(tool)
    }

    /// Decides a call against `counters` without changing them: the decision shows the counters
    /// as they will be after charging, when allowed.
    fn decide(&self, counters: &Counters, call: &Call<'_>) -> Decision {
        let tool = match self.screen(call) {
            Ok(t) => t,
            Err(d) => return d,
        };
        if tool.keys.is_empty() {
            return allow(Vec::new());
        }
        match counters.slots(call.grant) {
            Some((grant, slots)) => self.decide_limits(tool, Some(slots), grant.clone(), call.at_ms),
            None => self.decide_limits(tool, None, SmolStr::new(call.grant), call.at_ms),
        }
    }

    /// Steps 6–7 for a call that passed steps 2–5, against its grant's slots (`None`: the grant
    /// has no counters yet).
    #[inline(always)]
    fn decide_limits(&self, tool: &CompiledTool, slots: Option<&Slots>, grant: SmolStr, at_ms: u64) -> Decision {
        let limits = tool.limits_with_keys(&self.all_tools).map(|(l, key)| {
            let slot = slots.and_then(|m| m.find(key.hash, &l.counter)).copied();
            (l, &key.labels, key.first, limit::used_before(slot, l.window, l.max, at_ms))
        });
        limit_step(limits, tool.keys.len(), grant, at_ms)
    }

    /// Decides a call and, when it is allowed, charges its counters: one lookup of the tool and
    /// one of the grant; counter slots are found by the hashes computed at compile time.
    fn evaluate(&self, counters: &mut Counters, call: &Call<'_>) -> Decision {
        let tool = match self.screen(call) {
            Ok(t) => t,
            Err(d) => return d,
        };
        if tool.keys.is_empty() {
            return allow(Vec::new());
        }
        let (d, slots) = match counters.slots_mut(call.grant) {
            Some((grant, slots)) => (self.decide_limits(tool, Some(slots), grant.clone(), call.at_ms), Some(slots)),
            None => (self.decide_limits(tool, None, SmolStr::new(call.grant), call.at_ms), None),
        };
        if d.outcome == Outcome::Allow
            && let Some(first) = d.counters.first()
        {
            let slots = match slots {
                Some(s) => s,
                None => counters.add_grant(first.grant.clone()),
            };
            // `d.counters` holds one state per first-of-its-name limit, in the same order.
            let charges = tool
                .limits_with_keys(&self.all_tools)
                .filter(|(_, key)| key.first)
                .zip(&d.counters)
                .map(|((l, key), s)| (key.hash, &l.counter, s.window, s.window_start_ms));
            limit::charge_hashed(slots, charges);
        }
        d
    }

    /// Steps 2–5 of a call, and the limits step 6 must check (see [`Plan`]). Reads no counters.
    pub fn plan(&self, call: &Call<'_>) -> Plan {
        let tool = match self.screen(call) {
            Ok(t) => t,
            Err(d) => return Plan::Final(d),
        };
        if tool.limits.is_empty() && self.all_tools.is_empty() {
            return Plan::Final(allow(Vec::new()));
        }
        Plan::Reserve(LimitPlan {
            tool: Arc::from(call.tool),
            grant: Arc::from(call.grant),
            at_ms: call.at_ms,
            limits: tool.limits.iter().chain(&self.all_tools).cloned().collect(),
        })
    }
}

/// Step 6 — limits, the tool's then `all_tools'`, all-or-nothing — and step 7 for a call that
/// passed steps 2–5. Each limit comes with whether it is the first naming its counter (only those
/// are shown and charged) and how many calls its counter already holds in the call's window
/// ([`limit::used_before`]); the in-memory path and [`LimitPlan::finish`] both decide here.
#[inline(always)]
fn limit_step<'l>(
    limits: impl Iterator<Item = (&'l LimitRule, &'l LimitLabels, bool, u64)>,
    n: usize,
    grant: SmolStr,
    at_ms: u64,
) -> Decision {
    let mut states: Vec<CounterState> = Vec::with_capacity(n);
    let mut refused: Option<(&LimitLabels, u64)> = None;
    for (l, labels, first, used) in limits {
        let (window_start, used) = match limit::verdict(l.window, l.max, at_ms, used) {
            WindowCheck::Fits { window_start, used } => (window_start, used),
            WindowCheck::Full { window_start, used, retry_after_ms } => {
                if refused.is_none() {
                    refused = Some((labels, retry_after_ms));
                }
                (window_start, used)
            }
        };
        if first {
            states.push(CounterState {
                counter: labels.counter.clone(),
                grant: grant.clone(),
                window: l.window,
                window_start_ms: window_start,
                used,
                max: l.max,
            });
        }
    }
    if let Some((l, retry)) = refused {
        let mut d = refusal(Outcome::RateLimited, l.rule.clone(), Some(l.pointer.clone()), l.message.clone());
        d.retry_after_ms = Some(retry);
        d.counters = states;
        return d;
    }
    // Step 7: allow; each distinct key is charged once (counters shown after the charge).
    for s in &mut states {
        s.used = s.used.saturating_add(1);
    }
    allow(states)
}

/// What a call needs from the counters, decided without them ([`Engine::plan`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Decided without counters: refused by steps 1–5, or allowed with no limit applying.
    /// Nothing to reserve.
    Final(Decision),
    /// The call passed every rule: its limits must be checked and charged by the counter store,
    /// then the decision finished with [`LimitPlan::finish`].
    Reserve(LimitPlan),
}

/// The limits of a call that passed every rule, for a host-side counter store (e.g. Redis): the
/// store reads how many calls each limit's counter holds in the call's window
/// ([`limit::used_before`] of its slot), refuses when any is full, otherwise charges each of
/// [`LimitPlan::charges`] once, and hands the counts read to [`LimitPlan::finish`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitPlan {
    /// The tool called.
    pub tool: Arc<str>,
    /// The caller (counters are kept per grant).
    pub grant: Arc<str>,
    /// The call's time (Unix ms).
    pub at_ms: u64,
    /// Every limit that applies, in the engine's order: the tool's, then `all_tools`'.
    pub limits: Vec<LimitRule>,
}

impl LimitPlan {
    /// Start of the call's window for a limit.
    pub fn window_start_ms(&self, limit: &LimitRule) -> u64 {
        limit::window_start(limit.window, self.at_ms)
    }

    /// The limits an allowed call charges: the first of each counter name, in order (a counter
    /// named by several limits is charged once, in the first one's window).
    pub fn charges(&self) -> impl Iterator<Item = &LimitRule> {
        self.limits.iter().enumerate().filter_map(|(i, l)| first_of_name(self.limits.get(..i), l).then_some(l))
    }

    /// The decision, from `used[i]` = calls already counted for `limits[i]` in the call's window
    /// before this call (as [`limit::used_before`] reads a slot): exactly what
    /// [`Engine::evaluate`] decides on the same counters. Fails when `used` does not have one
    /// count per limit.
    pub fn finish(&self, used: &[u64]) -> Result<Decision, String> {
        if used.len() != self.limits.len() {
            return Err(format!("expected {} counts (one per limit), found {}", self.limits.len(), used.len()));
        }
        let labels: Vec<LimitLabels> = self.limits.iter().map(LimitLabels::of).collect();
        let limits = self.limits.iter().zip(&labels).enumerate().map(|(i, (l, labels))| {
            (l, labels, first_of_name(self.limits.get(..i), l), used.get(i).copied().unwrap_or(l.max))
        });
        Ok(limit_step(limits, self.limits.len(), SmolStr::new(&*self.grant), self.at_ms))
    }
}

fn error(pointer: &str, message: String) -> ValidationError {
    ValidationError::error(pointer, message)
}

fn compile_rule(rule: &Rule, base: &str, kind: &str, index: usize, id: &str) -> Result<CompiledRule, ValidationError> {
    let mut conditions = Vec::with_capacity(rule.conditions.len());
    for (j, c) in rule.conditions.iter().enumerate() {
        conditions.push(
            CompiledCondition::compile(c)
                .map(|c| c.when_undecided(kind == "deny_if"))
                .map_err(|m| error(&format!("{base}/{kind}/{index}/conditions/{j}"), m))?,
        );
    }
    let rule_ptr = format!("{base}/{kind}/{}", escape_pointer_segment(id));
    let message = match &rule.on_deny {
        Some(m) => m.clone(),
        None => format!("Denied by rule \"{rule_ptr}\""),
    };
    Ok(CompiledRule {
        conditions,
        rule: SmolStr::from(rule_ptr),
        pointer: SmolStr::from(format!("{base}/{kind}/{index}")),
        message: SmolStr::from(message),
    })
}

fn compile_limit(l: &Limit, base: &str, index: usize) -> LimitRule {
    LimitRule {
        counter: Arc::from(l.counter.as_str()),
        window: l.window,
        max: l.max,
        rule: Arc::from(format!("{base}/limits/{}", escape_pointer_segment(&l.counter))),
        pointer: Arc::from(format!("{base}/limits/{index}")),
        message: Arc::from(match &l.on_deny {
            Some(m) => m.clone(),
            None => format!("Rate limit of {} per {} reached. Try again later.", l.max, l.window.as_str()),
        }),
    }
}

/// The decision for a call whose arguments were refused before any rule ([`crate::json::args`]):
/// deny, rule `(invalid arguments)`, with the reason. Independent of the policy and counters.
pub fn refused_arguments(message: &str) -> Decision {
    refusal(Outcome::Deny, SmolStr::new_static(RULE_INVALID_ARGUMENTS), None, SmolStr::new(message))
}

/// `<before><tool><after>`, e.g. `Tool "x" is hidden by policy`, in one allocation (two for a
/// message longer than [`SmolStr`] keeps inline).
fn tool_message(before: &str, tool: &str, after: &str) -> SmolStr {
    let mut s = String::with_capacity(before.len() + tool.len() + after.len());
    s.push_str(before);
    s.push_str(tool);
    s.push_str(after);
    SmolStr::from(s)
}

fn refusal(outcome: Outcome, rule: SmolStr, pointer: Option<SmolStr>, message: SmolStr) -> Decision {
    Decision {
        outcome,
        rule,
        pointer,
        message,
        retry_after_ms: None,
        explain: Vec::new(),
        counters: Vec::new(),
        reservation: None,
    }
}

fn allow(counters: Vec<CounterState>) -> Decision {
    Decision {
        outcome: Outcome::Allow,
        rule: SmolStr::default(),
        pointer: None,
        message: SmolStr::default(),
        retry_after_ms: None,
        explain: Vec::new(),
        counters,
        reservation: None,
    }
}

/// The refusal of a call when no policy is attached.
fn no_policy() -> Decision {
    refusal(Outcome::Deny, SmolStr::new_static(RULE_NO_POLICY), None, SmolStr::new_static(MESSAGE_NO_POLICY))
}

fn rule_refusal(r: &CompiledRule, args: &Map<String, Value>) -> Decision {
    let explain = r
        .conditions
        .iter()
        .map(|c| {
            let actual = c.resolve(args);
            Explain {
                path: c.path.clone(),
                op: c.op,
                expected: Arc::clone(&c.value),
                actual: actual.map_or(Value::Null, |v| crate::eval::condition::clone_capped(v, crate::json::MAX_DEPTH)),
                holds: c.holds_for(actual),
            }
        })
        .collect();
    let mut d = refusal(Outcome::Deny, r.rule.clone(), Some(r.pointer.clone()), r.message.clone());
    d.explain = explain;
    d
}

/// A policy (or none) with its counters: what a gateway keeps per upstream server.
#[derive(Debug, Clone)]
pub struct Engine {
    policy: Option<Arc<Policy>>,
    counters: Counters,
    /// This engine's id in its reservations (unique in the process).
    instance: u64,
    /// The sequence number of the next charge.
    next_seq: u64,
    /// Charges made before this sequence number predate the current counters (reset or import).
    valid_from: u64,
    releases: Releases,
}

/// Engine ids for [`Reservation`]s: unique in the process.
static ENGINES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Most releases remembered at once. Past it (after sweeping), a release gives nothing back: the
/// engine cannot prove it would not be a second release, so it keeps the quota charged.
pub const MAX_REMEMBERED_RELEASES: usize = 100_000;

/// One charge of a released decision: `(grant, counter, window, window start, used after)`.
type Charge = (SmolStr, SmolStr, Window, u64, u64);

/// What makes `release` once-only: every released decision, by content, with how it was
/// identified. Entries are swept once the counters no longer know any of their windows (a release
/// there changes nothing anyway).
#[derive(Debug, Clone, Default)]
struct Releases {
    by_content: HashMap<Box<[Charge]>, Released>,
    /// Entries (sequence numbers plus copies) remembered.
    len: usize,
    /// Sweep when `len` reaches this.
    sweep_at: usize,
}

#[derive(Debug, Clone, Default)]
struct Released {
    /// Released through a copy without its reservation (e.g. read back from JSON).
    copy: bool,
    /// Released reservations with this content.
    seqs: Vec<u64>,
}

impl Engine {
    /// An engine with empty counters. `None` = no policy attached: every call is denied.
    pub fn new(policy: Option<Policy>) -> Self {
        Engine {
            policy: policy.map(Arc::new),
            counters: Counters::default(),
            // Ids wrap after 2^20 engines in one process (see `Reservation`).
            instance: ENGINES.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % (1 << 20),
            next_seq: 1,
            valid_from: 1,
            releases: Releases::default(),
        }
    }

    /// Parses policy text and builds an engine.
    pub fn from_text(text: &str) -> Result<Self, Vec<ValidationError>> {
        parse_policy(text).map(Engine::new)
    }

    /// The policy, if one is attached.
    pub fn policy(&self) -> Option<&Policy> {
        self.policy.as_deref()
    }

    /// Replaces the policy, keeping counters (they are keyed by name, not by policy version).
    pub fn set_policy(&mut self, policy: Option<Policy>) {
        self.policy = policy.map(Arc::new);
    }

    /// Evaluates a call and, when allowed, charges its quota.
    pub fn evaluate(&mut self, call: &Call<'_>) -> Decision {
        let mut d = match &self.policy {
            None => no_policy(),
            Some(p) => p.evaluate(&mut self.counters, call),
        };
        if d.outcome == Outcome::Allow && !d.counters.is_empty() {
            d.reservation = Reservation::new(self.instance, self.next_seq);
            self.next_seq = self.next_seq.saturating_add(1);
        }
        d
    }

    /// Decides a call without charging anything (a dry run: counters show what they would be
    /// after an `evaluate`).
    pub fn check(&self, call: &Call<'_>) -> Decision {
        match &self.policy {
            None => no_policy(),
            Some(p) => p.decide(&self.counters, call),
        }
    }

    /// Steps 1–5 of a call and the limits it must reserve, without reading or charging counters:
    /// for a host that keeps counters elsewhere (see [`LimitPlan`]).
    pub fn plan(&self, call: &Call<'_>) -> Plan {
        match &self.policy {
            None => Plan::Final(no_policy()),
            Some(p) => p.plan(call),
        }
    }

    /// Finishes a planned decision from a host-side store's counts (see [`LimitPlan::finish`]).
    pub fn finish(&self, plan: &LimitPlan, used: &[u64]) -> Result<Decision, String> {
        plan.finish(used)
    }

    /// The upstream failed (a JSON-RPC error) after an allowed call: give its quota back in the
    /// window it was charged in, at most once. Returns how many counters were released.
    ///
    /// The decision (or a clone) carries the [`Reservation`] `evaluate` gave it: each reservation
    /// is released once. A copy without it (read back from JSON) is identified by its content and
    /// released once per content — and not at all when a decision with the same content was
    /// already released: when two outstanding decisions are identical, their copies cannot be told
    /// apart, so the engine keeps the quota charged rather than risk giving it back twice.
    pub fn release(&mut self, decision: &Decision) -> usize {
        if decision.outcome != Outcome::Allow || decision.counters.is_empty() {
            return 0;
        }
        let seq = match decision.reservation {
            Some(r) if r.engine() == self.instance && r.seq() >= self.valid_from && r.seq() < self.next_seq => {
                Some(r.seq())
            }
            // Charged by another engine (e.g. before a restart that imported the counters) or before
            // the counters were replaced: known by content only, like a copy.
            _ => None,
        };
        let content: Box<[Charge]> = decision
            .counters
            .iter()
            .map(|c| (c.grant.clone(), c.counter.clone(), c.window, c.window_start_ms, c.used))
            .collect();
        if let Some(r) = self.releases.by_content.get(&content) {
            let again = match seq {
                Some(seq) => r.copy || r.seqs.contains(&seq),
                None => true,
            };
            if again {
                return 0;
            }
        }
        if self.releases.len >= self.releases.sweep_at.max(64) {
            self.sweep_releases();
            if self.releases.len >= MAX_REMEMBERED_RELEASES {
                return 0;
            }
        }
        let released = decision
            .counters
            .iter()
            .filter(|s| self.counters.release(&s.grant, &s.counter, s.window, s.window_start_ms))
            .count();
        if released > 0 {
            let entry = self.releases.by_content.entry(content).or_default();
            match seq {
                Some(seq) => entry.seqs.push(seq),
                None => entry.copy = true,
            }
            self.releases.len += 1;
        }
        released
    }

    /// Forgets releases whose windows the counters no longer know.
    fn sweep_releases(&mut self) {
        let counters = &self.counters;
        self.releases
            .by_content
            .retain(|content, _| content.iter().any(|(g, c, w, ws, _)| counters.knows(g, c, *w, *ws)));
        self.releases.len = self.releases.by_content.values().map(|r| r.seqs.len() + usize::from(r.copy)).sum();
        self.releases.sweep_at = self.releases.len.saturating_mul(2);
    }

    /// Charges an allowed decision's counters again, as `evaluate` did when it decided it: for a
    /// host rebuilding an engine (a checkpoint of counters, then the charges made since). Returns
    /// whether anything was charged.
    pub fn recharge(&mut self, decision: &Decision) -> bool {
        if decision.outcome != Outcome::Allow || decision.counters.is_empty() {
            return false;
        }
        self.counters.charge_all(&decision.counters);
        true
    }

    /// This engine's id in the [`Reservation`]s it gives (unique in the process).
    pub fn id(&self) -> u64 {
        self.instance
    }

    /// Releases remembered to keep `release` once-only (bounded by [`MAX_REMEMBERED_RELEASES`]).
    pub fn remembered_releases(&self) -> usize {
        self.releases.len
    }

    /// Forgets the reservations and releases of the counters being replaced.
    fn new_counters(&mut self) {
        self.valid_from = self.next_seq;
        self.releases = Releases::default();
    }

    /// Counter state in deterministic order.
    pub fn export_state(&self) -> CounterSnapshot {
        self.counters.snapshot()
    }

    /// Replaces the counters with a snapshot (all or nothing).
    /// Decisions made before it can no longer be released.
    pub fn import_state(&mut self, snapshot: &CounterSnapshot) -> Result<(), String> {
        self.counters.restore(snapshot)?;
        self.new_counters();
        Ok(())
    }

    /// Forgets every counter. Decisions made before it can no longer be released.
    pub fn reset_counters(&mut self) {
        self.counters.clear();
        self.new_counters();
    }

    /// `tools/list` visibility of a tool under this engine's policy (`false` with no policy).
    pub fn is_visible(&self, tool: &str) -> bool {
        self.policy.as_ref().is_some_and(|p| p.is_visible(tool))
    }
}
