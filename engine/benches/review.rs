//! Benchmarks of policy change safety on 100 000 recorded calls (the size the browser app must
//! handle without freezing): a diff replay through two policies, coverage, and a test file of
//! 100 000 pinned calls.
//!
//! ```sh
//! cargo bench -p toolgate-engine --bench review -- --warm-up-time 1 --measurement-time 3
//! ```
#![expect(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, reason = "benchmark setup")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use toolgate_engine::parse_policy;
use toolgate_engine::review::{CoverageTally, diff, diff_text, run_tests_text};
use toolgate_engine::trace::{TraceCall, parse_trace, simulate};

const CALLS: usize = 100_000;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../tests/review/{name}", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}

/// A recorded trace (`--record` lines) of `CALLS` calls over the example's tools, 3 calls a second.
fn record_trace() -> String {
    let tools = ["search", "create_refund", "list_customers", "export_data", "delete_account", "drop_table"];
    let mut out = String::new();
    for i in 0..CALLS {
        let tool = tools[i % 7 % tools.len()];
        let ms = 1_767_225_600_000u64 + (i as u64) * 333;
        let grant = ["alice", "bob", "carol"][i % 3];
        let line = json!({
            "ts": toolgate_engine::trace::format_rfc3339_ms(ms), "grant": grant,
            "tool": tool, "args": {"amount": (i * 37) % 3000, "reason": "r", "q": "x"}, "upstream_error": i % 50 == 0,
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}

fn review(c: &mut Criterion) {
    let old = parse_policy(&fixture("refunds.old.json")).unwrap();
    let new = parse_policy(&fixture("refunds.new.json")).unwrap();
    let text = record_trace();
    let calls: Vec<TraceCall> = parse_trace(&text).unwrap();
    let mut g = c.benchmark_group("review");
    g.sample_size(10).measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::Elements(CALLS as u64));
    g.bench_function("diff 100k parsed calls", |b| {
        b.iter(|| diff(old.as_ref(), new.as_ref(), Some(black_box(&calls))))
    });
    g.bench_function("diff 100k-line record text", |b| {
        b.iter(|| diff_text(old.as_ref(), new.as_ref(), Some(black_box(&text))).unwrap())
    });
    let decisions = simulate(new.as_ref(), &calls).decisions;
    g.bench_function("coverage of 100k decisions", |b| {
        b.iter(|| {
            let mut t = CoverageTally::new(new.as_ref());
            for d in &decisions {
                t.record(&d.tool, &d.decision);
            }
            t.coverage()
        })
    });
    let pinned: Vec<serde_json::Value> = calls
        .iter()
        .zip(&decisions)
        .map(|(c, d)| {
            let mut v = serde_json::to_value(c).unwrap();
            v["expect"] = json!({"outcome": d.decision.outcome, "rule": d.decision.rule});
            v
        })
        .collect();
    let tests = json!({"tests": [{"name": "pinned", "calls": pinned}]}).to_string();
    g.bench_function("test file of 100k pinned calls", |b| {
        b.iter(|| {
            let r = run_tests_text(new.as_ref(), black_box(&tests), false).unwrap();
            assert_eq!(r.failed, 0);
            r
        })
    });
    g.finish();
}

criterion_group!(benches, review);
criterion_main!(benches);
