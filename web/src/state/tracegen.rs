//! Trace generators: "N calls of tool X every Y ms", a burst, a burst across a window edge, and a
//! seeded mix across tools and grants. Deterministic: the same settings give the same calls.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use toolgate_engine::trace::TraceCall;

/// 2026-01-01T00:00:00Z: aligned to minute, hour and day (the conformance corpus's epoch).
pub const DEFAULT_START_MS: u64 = 1_767_225_600_000;
/// Most calls one generator run may produce.
pub const MAX_CALLS: usize = 1_000_000;

/// The shape of a generated trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// One call every `every_ms`, cycling through the tools and grants.
    Steady,
    /// All calls at the same instant.
    Burst,
    /// Calls `every_ms` apart, half before and half after the next minute boundary: shows that a
    /// fixed window lets up to 2×max calls through around its edge.
    EdgeBurst,
    /// Calls `every_ms` apart (with jitter), tool and grant picked by a seeded generator.
    Mix,
}

impl Pattern {
    /// Every pattern.
    pub const ALL: [Pattern; 4] = [Pattern::Steady, Pattern::Burst, Pattern::EdgeBurst, Pattern::Mix];

    /// The value used in the picker.
    pub fn as_str(self) -> &'static str {
        match self {
            Pattern::Steady => "steady",
            Pattern::Burst => "burst",
            Pattern::EdgeBurst => "edge_burst",
            Pattern::Mix => "mix",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Pattern::Steady => "Steady: one call every Y ms",
            Pattern::Burst => "Burst: all calls at once",
            Pattern::EdgeBurst => "Window-edge burst (half before, half after a minute boundary)",
            Pattern::Mix => "Mix across tools and grants (seeded)",
        }
    }

    /// Parses [`Pattern::as_str`].
    pub fn parse(s: &str) -> Option<Pattern> {
        Pattern::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A generator's settings (saved and shared with the rest of the state).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GeneratorSpec {
    /// The shape.
    pub pattern: Pattern,
    /// Tools to call (cycled, or picked at random for `mix`).
    pub tools: Vec<String>,
    /// Grants (caller identities) to call as.
    pub grants: Vec<String>,
    /// Number of calls.
    pub count: usize,
    /// Spacing between calls.
    pub every_ms: u64,
    /// Time of the first call (Unix ms); the edge burst centres on the next minute boundary.
    pub start_ms: u64,
    /// Arguments of every call: a JSON object, as text.
    pub args: String,
    /// Seed of the `mix` pattern.
    pub seed: u64,
}

impl Default for GeneratorSpec {
    fn default() -> Self {
        GeneratorSpec {
            pattern: Pattern::Steady,
            tools: Vec::new(),
            grants: vec!["default".into()],
            count: 20,
            every_ms: 1000,
            start_ms: DEFAULT_START_MS,
            args: "{}".into(),
            seed: 1,
        }
    }
}

impl GeneratorSpec {
    /// A one-line description, e.g. "100 calls of create_issue every 500 ms".
    pub fn describe(&self) -> String {
        let tools = match self.tools.as_slice() {
            [] => "no tool".to_string(),
            [one] => one.clone(),
            many => format!("{} tools", many.len()),
        };
        let grants = if self.grants.len() > 1 { format!(" as {} grants", self.grants.len()) } else { String::new() };
        match self.pattern {
            Pattern::Steady => format!("{} calls of {tools} every {} ms{grants}", self.count, self.every_ms),
            Pattern::Burst => format!("{} calls of {tools} at the same instant{grants}", self.count),
            Pattern::EdgeBurst => {
                format!("{} calls of {tools}, {} ms apart, across a minute boundary{grants}", self.count, self.every_ms)
            }
            Pattern::Mix => format!("{} calls mixing {tools}{grants}, about every {} ms", self.count, self.every_ms),
        }
    }
}

/// Generates the calls; an error names the setting that is wrong.
pub fn generate(spec: &GeneratorSpec) -> Result<Vec<TraceCall>, String> {
    let tools: Vec<&str> = spec.tools.iter().map(|t| t.trim()).filter(|t| !t.is_empty()).collect();
    if tools.is_empty() {
        return Err("pick at least one tool to call".into());
    }
    let grants: Vec<&str> = spec.grants.iter().map(|g| g.trim()).filter(|g| !g.is_empty()).collect();
    let grants = if grants.is_empty() { vec!["default"] } else { grants };
    if spec.count == 0 {
        return Err("the number of calls must be at least 1".into());
    }
    if spec.count > MAX_CALLS {
        return Err(format!("at most {MAX_CALLS} calls can be generated"));
    }
    let args = if spec.args.trim().is_empty() {
        Value::Object(Map::new())
    } else {
        match serde_json::from_str::<Value>(&spec.args) {
            Ok(Value::Object(m)) => Value::Object(m),
            Ok(_) => return Err("the arguments must be a JSON object, e.g. {\"amount\": 50}".into()),
            Err(e) => return Err(format!("the arguments are not valid JSON: {e}")),
        }
    };
    let every = spec.every_ms;
    let first = match spec.pattern {
        Pattern::EdgeBurst => {
            let minute = 60_000;
            let boundary = spec.start_ms.div_ceil(minute).saturating_mul(minute);
            let half = u64::try_from(spec.count / 2).unwrap_or(u64::MAX);
            boundary.saturating_sub(half.saturating_mul(every))
        }
        _ => spec.start_ms,
    };
    let mut rng = XorShift::new(spec.seed);
    let mut calls = Vec::with_capacity(spec.count);
    let mut at = first;
    for i in 0..spec.count {
        let (tool, grant, at_ms) = match spec.pattern {
            Pattern::Steady | Pattern::EdgeBurst => {
                let at_ms = at;
                at = at.saturating_add(every);
                (pick(&tools, i), pick(&grants, i), at_ms)
            }
            Pattern::Burst => (pick(&tools, i), pick(&grants, i), first),
            Pattern::Mix => {
                let jitter = if every > 1 { rng.next() % (every / 2).max(1) } else { 0 };
                let at_ms = at.saturating_add(jitter);
                at = at.saturating_add(every);
                let t = usize::try_from(rng.next() % tools.len() as u64).unwrap_or(0);
                let g = usize::try_from(rng.next() % grants.len() as u64).unwrap_or(0);
                (pick(&tools, t), pick(&grants, g), at_ms)
            }
        };
        calls.push(TraceCall {
            tool: tool.to_string(),
            args: args.clone(),
            grant: grant.to_string(),
            at_ms,
            upstream_error: false,
            refusal: None,
        });
    }
    Ok(calls)
}

fn pick<'a>(items: &[&'a str], i: usize) -> &'a str {
    items.get(i % items.len().max(1)).copied().unwrap_or("default")
}

/// A trace as JSON Lines, one call per line (a form the trace box accepts).
pub fn to_jsonl(calls: &[TraceCall]) -> String {
    let mut out = String::with_capacity(calls.len() * 64);
    for c in calls {
        let mut line = Map::new();
        line.insert("tool".into(), Value::String(c.tool.clone()));
        if c.args.as_object().is_some_and(|m| !m.is_empty()) {
            line.insert("args".into(), c.args.clone());
        }
        if c.grant != "default" {
            line.insert("grant".into(), Value::String(c.grant.clone()));
        }
        line.insert("at_ms".into(), Value::from(c.at_ms));
        if c.upstream_error {
            line.insert("upstream_error".into(), Value::Bool(true));
        }
        out.push_str(&Value::Object(line).to_string());
        out.push('\n');
    }
    out
}

/// xorshift64*: small, seeded, good enough to spread calls; never used for anything secret.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(pattern: Pattern, count: usize, every_ms: u64) -> GeneratorSpec {
        GeneratorSpec { pattern, tools: vec!["create_issue".into()], count, every_ms, ..GeneratorSpec::default() }
    }

    #[test]
    fn steady_spaces_calls_evenly_from_the_start() {
        let calls = generate(&spec(Pattern::Steady, 3, 500)).unwrap();
        let times: Vec<u64> = calls.iter().map(|c| c.at_ms).collect();
        assert_eq!(times, [DEFAULT_START_MS, DEFAULT_START_MS + 500, DEFAULT_START_MS + 1000]);
        assert!(calls.iter().all(|c| c.tool == "create_issue" && c.grant == "default" && c.args == json!({})));
    }

    #[test]
    fn burst_puts_every_call_at_the_same_instant() {
        let calls = generate(&spec(Pattern::Burst, 5, 999)).unwrap();
        assert!(calls.iter().all(|c| c.at_ms == DEFAULT_START_MS));
    }

    #[test]
    fn edge_burst_straddles_the_next_minute_boundary() {
        let mut s = spec(Pattern::EdgeBurst, 10, 100);
        s.start_ms = DEFAULT_START_MS + 1;
        let calls = generate(&s).unwrap();
        let boundary = DEFAULT_START_MS + 60_000;
        assert_eq!(calls.iter().filter(|c| c.at_ms < boundary).count(), 5);
        assert_eq!(calls.iter().filter(|c| c.at_ms >= boundary).count(), 5);
        assert_eq!(calls[0].at_ms, boundary - 500);
        assert_eq!(calls[9].at_ms, boundary + 400);
    }

    #[test]
    fn mix_is_deterministic_monotonic_and_uses_every_tool_and_grant() {
        let s = GeneratorSpec {
            pattern: Pattern::Mix,
            tools: vec!["a".into(), "b".into(), "c".into()],
            grants: vec!["alice".into(), "bob".into()],
            count: 300,
            every_ms: 100,
            ..GeneratorSpec::default()
        };
        let one = generate(&s).unwrap();
        assert_eq!(one, generate(&s).unwrap());
        assert!(one.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
        for t in ["a", "b", "c"] {
            assert!(one.iter().any(|c| c.tool == t), "{t}");
        }
        for g in ["alice", "bob"] {
            assert!(one.iter().any(|c| c.grant == g), "{g}");
        }
        let other = generate(&GeneratorSpec { seed: 2, ..s }).unwrap();
        assert_ne!(one, other);
    }

    #[test]
    fn settings_errors_name_the_setting() {
        assert!(generate(&GeneratorSpec::default()).unwrap_err().contains("tool"));
        assert!(generate(&spec(Pattern::Steady, 0, 1)).unwrap_err().contains("at least 1"));
        assert!(generate(&spec(Pattern::Steady, MAX_CALLS + 1, 1)).unwrap_err().contains("at most"));
        let mut s = spec(Pattern::Steady, 1, 1);
        s.args = "[1]".into();
        assert!(generate(&s).unwrap_err().contains("JSON object"));
        s.args = "{".into();
        assert!(generate(&s).unwrap_err().contains("not valid JSON"));
    }

    #[test]
    fn jsonl_output_is_one_call_per_line() {
        let mut s = spec(Pattern::Steady, 2, 10);
        s.args = "{\"amount\": 5}".into();
        s.grants = vec!["alice".into()];
        let text = to_jsonl(&generate(&s).unwrap());
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(
            lines[0],
            json!({"tool": "create_issue", "args": {"amount": 5}, "grant": "alice", "at_ms": DEFAULT_START_MS})
        );
        assert_eq!(lines.len(), 2);
    }

    #[test]
    fn a_hundred_thousand_calls_generate() {
        let calls = generate(&spec(Pattern::Steady, 100_000, 10)).unwrap();
        assert_eq!(calls.len(), 100_000);
        assert_eq!(calls.last().unwrap().at_ms, DEFAULT_START_MS + 999_990);
    }
}
