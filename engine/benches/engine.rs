//! Benchmarks of the engine on a realistic policy over the real GitHub MCP server's tool list
//! (`tests/fixtures/toollists/github.json`, 86 tools, 160 KB).
//!
//! ```sh
//! cargo bench -p toolgate-engine --bench engine -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Targets: one `evaluate` ≤ 200 ns (median), a 1 000 000-call simulation ≤ 0.5 s, filtering the
//! 160 KB `tools/list` result (parse included) ≤ 1 ms.
//!
//! On a machine shared with other work, wall time counts the time the benchmark waited for a
//! core; `TOOLGATE_BENCH_CLOCK=cpu` measures the benchmark thread's CPU time instead (the
//! figures then hold under load; compare runs made with the same clock).
#![expect(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, reason = "benchmark setup")]

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use toolgate_engine::trace::{self, TraceCall};
use toolgate_engine::{Call, Engine, Outcome, Policy, filter_tools, parse_policy, parse_tool_list};

const T0: u64 = 1_767_225_600_000;

fn github_text() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/toollists/github.json");
    std::fs::read_to_string(path).expect("github.json fixture")
}

/// Write tools: conditions on their arguments and per-tool quotas.
const WRITES: &[&str] = &[
    "actions_run_trigger",
    "add_issue_comment",
    "add_comment_to_pending_review",
    "add_reply_to_pull_request_comment",
    "assign_copilot_to_issue",
    "create_branch",
    "create_gist",
    "create_or_update_file",
    "create_pull_request",
    "create_repository",
    "delete_file",
    "discussion_comment_write",
    "issue_write",
    "label_write",
    "merge_pull_request",
    "projects_write",
    "pull_request_review_write",
    "push_files",
    "sub_issue_write",
    "update_gist",
    "update_pull_request",
    "update_pull_request_branch",
];
/// Read tools with a shared quota.
const READS: &[&str] =
    &["get_file_contents", "list_issues", "search_code", "list_pull_requests", "get_commit", "list_commits"];
const HIDDEN: &[&str] = &["delete_repository", "fork_repository"];

/// The policy: ~30 configured tools out of 86, `default: "deny"`, two `all_tools` limits.
fn policy_text(tool_names: &[String]) -> String {
    let mut tools = serde_json::Map::new();
    for name in WRITES {
        assert!(tool_names.iter().any(|n| n == name), "{name} is a GitHub tool");
        tools.insert(
            name.to_string(),
            json!({
                "require": ["args.owner", { "conditions": [ { "path": "args.repo", "op": "exists", "value": true } ],
                                            "on_deny": "Name the repository." }],
                "deny_if": [
                    { "conditions": [ { "path": "args.owner", "op": "in", "value": ["acme-prod", "acme-secrets"] } ],
                      "on_deny": "Production organisations are read-only for agents." },
                    { "conditions": [ { "path": "args.branch", "op": "regex", "value": "^(main|master|release/.+)$" } ],
                      "on_deny": "Protected branch." },
                    { "conditions": [ { "path": "args.repo", "op": "eq", "value": "infra" },
                                      { "path": "args.method", "op": "eq", "value": "delete" } ] },
                    { "conditions": [ { "path": "args.body", "op": "contains", "value": "BEGIN PRIVATE KEY" } ],
                      "on_deny": "Secrets must not be posted." }
                ],
                "limits": [
                    { "counter": "writes", "window": "minute", "max": 20_000 },
                    { "counter": format!("{name}-per-hour"), "window": "hour", "max": 1_000_000 }
                ]
            }),
        );
    }
    for name in READS {
        tools.insert(
            name.to_string(),
            json!({ "limits": [ { "counter": "reads", "window": "minute", "max": 50_000 } ] }),
        );
    }
    tools.insert(
        "star_repository".into(),
        json!({ "limits": [ { "counter": "stars", "window": "day", "max": 1, "on_deny": "One star a day." } ] }),
    );
    json!({
        "$schema": "https://example.invalid/policy.schema.json",
        "version": "1",
        "default": "deny",
        "hide": HIDDEN,
        "all_tools": { "limits": [
            { "counter": "all-per-minute", "window": "minute", "max": 100_000 },
            { "counter": "all-per-day", "window": "day", "max": 100_000_000 }
        ] },
        "tools": tools
    })
    .to_string()
}

fn setup() -> (String, Policy, String) {
    let list = github_text();
    let names: Vec<String> = parse_tool_list(&list).expect("tool list").into_iter().map(|t| t.name).collect();
    assert_eq!(names.len(), 86);
    let text = policy_text(&names);
    let policy = parse_policy(&text).expect("valid policy").expect("not null");
    (text, policy, list)
}

fn pr_args() -> Value {
    json!({
        "owner": "acme", "repo": "web", "title": "Fix the login redirect", "head": "fix/login", "base": "dev",
        "body": "Closes #12. The redirect after login now keeps the query string.", "draft": false
    })
}

fn bench_evaluate(c: &mut Criterion<Clock>) {
    let (_, policy, _) = setup();
    let mut g = c.benchmark_group("evaluate");
    g.throughput(Throughput::Elements(1));

    let args = pr_args();
    let mut engine = Engine::new(Some(policy.clone()));
    let mut at = T0;
    g.bench_function("allowed call (4 limits, windows rolling)", |b| {
        b.iter(|| {
            // 7 ms apart: windows roll over every ~8 600 calls, quotas are never reached.
            at += 7;
            let d = engine.evaluate(&Call::new("create_pull_request", at).with_args(black_box(&args)));
            debug_assert_eq!(d.outcome, Outcome::Allow);
            d
        });
    });
    let d = engine.evaluate(&Call::new("create_pull_request", at + 7).with_args(&args));
    assert_eq!(d.outcome, Outcome::Allow, "{d:?}");

    let denied = json!({ "owner": "acme-prod", "repo": "web", "title": "x" });
    g.bench_function("denied call (deny_if in, explain)", |b| {
        b.iter(|| engine.evaluate(&Call::new("create_pull_request", T0).with_args(black_box(&denied))));
    });
    assert_eq!(engine.evaluate(&Call::new("create_pull_request", T0).with_args(&denied)).outcome, Outcome::Deny);

    let star = json!({ "owner": "acme", "repo": "web" });
    let mut limited = Engine::new(Some(policy.clone()));
    assert!(limited.evaluate(&Call::new("star_repository", T0).with_args(&star)).is_allowed());
    g.bench_function("rate-limited call", |b| {
        b.iter(|| limited.evaluate(&Call::new("star_repository", T0 + 1).with_args(black_box(&star))));
    });
    assert_eq!(limited.evaluate(&Call::new("star_repository", T0 + 1).with_args(&star)).outcome, Outcome::RateLimited);

    g.bench_function("check (dry run) of an allowed call", |b| {
        b.iter(|| engine.check(&Call::new("create_pull_request", T0 + 100).with_args(black_box(&args))));
    });
    g.bench_function("default deny (unlisted tool)", |b| {
        b.iter(|| engine.evaluate(&Call::new("list_gists", T0).with_args(black_box(&star))));
    });
    assert_eq!(engine.evaluate(&Call::new("list_gists", T0).with_args(&star)).outcome, Outcome::Deny);
    g.bench_function("hidden tool", |b| {
        b.iter(|| engine.evaluate(&Call::new("delete_repository", T0).with_args(black_box(&star))));
    });
    assert_eq!(engine.evaluate(&Call::new("delete_repository", T0).with_args(&star)).outcome, Outcome::Hidden);
    g.finish();
}

/// A 1 000 000-call trace over 40 tools (writes, reads, hidden, unlisted), 3 grants, 0–9 ms apart,
/// 1 % upstream errors.
fn million_calls() -> Vec<TraceCall> {
    let tools: Vec<&str> = WRITES.iter().chain(READS).chain(HIDDEN).copied().chain(["get_me", "list_gists"]).collect();
    let arg_sets = [
        pr_args(),
        json!({ "owner": "acme", "repo": "api", "issue_number": 7, "body": "LGTM" }),
        json!({ "owner": "acme-prod", "repo": "web" }),
        json!({ "owner": "acme", "repo": "web", "branch": "main", "path": "README.md", "content": "x", "message": "m" }),
        json!({ "query": "repo:acme/web is:open", "perPage": 50 }),
    ];
    let mut at = T0;
    (0..1_000_000u64)
        .map(|i| {
            at += i % 10;
            TraceCall {
                tool: tools[(i as usize * 7) % tools.len()].to_string(),
                args: arg_sets[(i % 5) as usize].clone(),
                grant: ["default", "alice", "bob"][(i % 3) as usize].to_string(),
                at_ms: at,
                upstream_error: i % 100 == 0,
                refusal: None,
            }
        })
        .collect()
}

fn bench_simulate(c: &mut Criterion<Clock>) {
    let (_, policy, _) = setup();
    let calls = million_calls();
    let summary = trace::simulate_summary(Some(&policy), &calls);
    assert_eq!(summary.calls, 1_000_000);
    assert!(summary.allowed > 0 && summary.denied > 0 && summary.hidden > 0, "{summary:?}");
    eprintln!(
        "simulated trace: {} allowed, {} denied, {} hidden, {} rate-limited",
        summary.allowed, summary.denied, summary.hidden, summary.rate_limited
    );
    let jsonl: String = calls.iter().map(|c| serde_json::to_string(c).unwrap() + "\n").collect();

    let mut g = c.benchmark_group("simulate 1M calls");
    g.sample_size(10).measurement_time(Duration::from_secs(8)).throughput(Throughput::Elements(1_000_000));
    // The decisions are the result: they are dropped after the clock stops, as a caller would keep them.
    g.bench_function("simulate (every decision kept)", |b| {
        b.iter_with_large_drop(|| trace::simulate(Some(&policy), &calls))
    });
    g.bench_function("simulate_summary (counts only)", |b| b.iter(|| trace::simulate_summary(Some(&policy), &calls)));
    g.bench_function("evaluate loop (engine only)", |b| {
        b.iter_batched(
            || Engine::new(Some(policy.clone())),
            |mut engine| {
                let mut allowed = 0usize;
                for c in &calls {
                    let d = engine.evaluate(&Call::new(&c.tool, c.at_ms).with_args(&c.args).with_grant(&c.grant));
                    if c.upstream_error {
                        engine.release(&d);
                    }
                    allowed += usize::from(d.is_allowed());
                }
                allowed
            },
            BatchSize::PerIteration,
        );
    });
    g.throughput(Throughput::Bytes(jsonl.len() as u64));
    g.bench_function(format!("simulate_text_with, JSON Lines parse included ({} MB)", jsonl.len() >> 20), |b| {
        b.iter(|| trace::simulate_text_with(Some(&policy), &jsonl, |_, _, d| drop(black_box(d))).unwrap());
    });
    g.finish();
}

fn bench_filter(c: &mut Criterion<Clock>) {
    let (_, policy, list) = setup();
    let mut g = c.benchmark_group("filter_tools github.json (160 KB, parse included)");
    g.throughput(Throughput::Bytes(list.len() as u64));
    let out = filter_tools(Some(&policy), &list).unwrap();
    assert!(out.len() < list.len() && !out.contains("\"delete_repository\""));
    g.bench_function("2 of 86 tools hidden", |b| b.iter(|| filter_tools(Some(&policy), black_box(&list)).unwrap()));
    let open = parse_policy(r#"{"version":"1","default":"deny"}"#).unwrap().unwrap();
    g.bench_function("nothing hidden", |b| b.iter(|| filter_tools(Some(&open), black_box(&list)).unwrap()));
    g.bench_function("parse_tool_list", |b| b.iter(|| parse_tool_list(black_box(&list)).unwrap()));
    g.finish();
}

fn bench_args(c: &mut Criterion<Clock>) {
    let body = "Steps to reproduce: start the app with an empty config directory, then open the settings \
                page. Expected: the page loads. Actual: the process exits with code 134 and the log says \
                `thread main panicked` before any window appears.";
    let text = json!({
        "owner": "octocat",
        "repo": "hello-world",
        "title": "Bug: crash on start",
        "labels": ["bug", "p1"],
        "body": body,
    })
    .to_string();
    let mut g = c.benchmark_group("read_arguments");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function(format!("typical issue arguments ({} bytes)", text.len()), |b| {
        b.iter(|| toolgate_engine::json::args::read_arguments(black_box(&text)).unwrap())
    });
    g.finish();
}

fn bench_parse(c: &mut Criterion<Clock>) {
    let (text, _, _) = setup();
    let mut g = c.benchmark_group("parse_policy");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function(
        format!("realistic policy ({} tools, {} bytes)", WRITES.len() + READS.len() + 1, text.len()),
        |b| b.iter(|| parse_policy(black_box(&text)).unwrap()),
    );
    g.bench_function("validate only (parse_policy_doc)", |b| {
        b.iter(|| toolgate_engine::parse_policy_doc(black_box(&text)).unwrap())
    });
    g.finish();
}

/// Wall time, or with `TOOLGATE_BENCH_CLOCK=cpu` the CPU time of the benchmark thread.
struct Clock {
    cpu: bool,
}

enum Start {
    Wall(std::time::Instant),
    Cpu(cpu_time::ThreadTime),
}

impl Clock {
    fn from_env() -> Self {
        let cpu = std::env::var("TOOLGATE_BENCH_CLOCK").is_ok_and(|v| v == "cpu");
        if cpu {
            eprintln!("clock: CPU time of the benchmark thread (TOOLGATE_BENCH_CLOCK=cpu)");
        }
        Clock { cpu }
    }
}

impl Measurement for Clock {
    type Intermediate = Start;
    type Value = Duration;

    fn start(&self) -> Start {
        if self.cpu { Start::Cpu(cpu_time::ThreadTime::now()) } else { Start::Wall(std::time::Instant::now()) }
    }
    fn end(&self, start: Start) -> Duration {
        match start {
            Start::Wall(t) => t.elapsed(),
            Start::Cpu(t) => t.elapsed(),
        }
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, d: &Duration) -> f64 {
        d.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &Nanoseconds
    }
}

/// Formats nanoseconds as criterion's wall-time formatter does.
struct Nanoseconds;

impl ValueFormatter for Nanoseconds {
    fn scale_values(&self, ns: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = match ns {
            ns if ns < 1e3 => (1.0, "ns"),
            ns if ns < 1e6 => (1e-3, "µs"),
            ns if ns < 1e9 => (1e-6, "ms"),
            _ => (1e-9, "s"),
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }

    fn scale_throughputs(&self, typical: f64, throughput: &Throughput, values: &mut [f64]) -> &'static str {
        let (per_iteration, units) = match *throughput {
            Throughput::Bytes(b) | Throughput::BytesDecimal(b) => (b as f64, ["B/s", "KiB/s", "MiB/s", "GiB/s"]),
            Throughput::Elements(e) | Throughput::ElementsAndBytes { elements: e, .. } => {
                (e as f64, ["elem/s", "Kelem/s", "Melem/s", "Gelem/s"])
            }
            Throughput::Bits(b) => (b as f64, ["b/s", "Kb/s", "Mb/s", "Gb/s"]),
        };
        let rate = per_iteration * 1e9 / typical;
        let step: f64 = if matches!(throughput, Throughput::Bytes(_)) { 1024.0 } else { 1000.0 };
        let (divisor, unit) = match rate {
            r if r < step => (1.0, units[0]),
            r if r < step * step => (step, units[1]),
            r if r < step * step * step => (step * step, units[2]),
            _ => (step * step * step, units[3]),
        };
        values.iter_mut().for_each(|v| *v = per_iteration * 1e9 / *v / divisor);
        unit
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(Clock::from_env());
    targets = bench_evaluate, bench_simulate, bench_filter, bench_parse, bench_args
}
criterion_main!(benches);
