//! Golden outputs of the policy change safety commands: each command's whole output (exit code,
//! stdout, stderr) is compared with `cli/tests/golden/<name>.txt`.
//!
//! After an intended change of output, regenerate with `TOOLGATE_BLESS=1 cargo test -p toolgate
//! --test golden` and review the diff of the golden files.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a binary that does not start or a golden file that cannot be written must stop the run loudly"
)]

use std::path::PathBuf;
use std::process::Command;

/// Runs `toolgate` from the repository root (so file names print as `tests/review/…`).
fn transcript(args: &[&str]) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(env!("CARGO_BIN_EXE_toolgate"))
        .args(args)
        .current_dir(root)
        .env("NO_COLOR", "1")
        .output()
        .expect("the toolgate binary starts");
    format!(
        "$ toolgate {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        out.status.code().expect("exited normally"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap()
    )
}

fn golden(name: &str, args: &[&str]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(format!("{name}.txt"));
    let got = transcript(args);
    if std::env::var_os("TOOLGATE_BLESS").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with TOOLGATE_BLESS=1 to create it)", path.display()));
    if got != want {
        let first = got.lines().zip(want.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{name}: output differs from {} (first at line {}):\n--- got\n{got}\n--- want\n{want}\n(TOOLGATE_BLESS=1 regenerates)",
            path.display(),
            first + 1
        );
    }
}

const OLD: &str = "tests/review/refunds.old.json";
const NEW: &str = "tests/review/refunds.new.json";
const TRACE: &str = "tests/review/traffic.record.jsonl";

#[test]
fn diff_without_a_trace_lists_rule_entries() {
    golden("diff-rules", &["diff", OLD, NEW]);
}

#[test]
fn diff_with_a_recorded_trace_shows_every_flipped_call() {
    golden("diff-trace", &["diff", OLD, NEW, TRACE]);
}

#[test]
fn diff_limits_the_calls_shown_in_full() {
    golden("diff-trace-limit", &["diff", OLD, NEW, TRACE, "--limit", "2", "--fail-on-change"]);
}

#[test]
fn diff_as_json() {
    golden("diff-json", &["diff", OLD, NEW, TRACE, "--format", "json"]);
}

#[test]
fn diff_of_a_policy_with_itself_passes_fail_on_change() {
    golden("diff-same", &["diff", NEW, NEW, TRACE, "--fail-on-change"]);
}

#[test]
fn diff_reports_every_invalid_input() {
    golden("diff-invalid", &["diff", "tests/review/warehouse.tools.old.json", NEW, "tests/review/refunds.tests.json"]);
}

#[test]
fn test_files_that_pass() {
    golden("test-pass", &["test", NEW, "tests/review/refunds.tests.json"]);
}

#[test]
fn test_failures_show_expected_versus_actual() {
    golden("test-fail", &["test", NEW, "tests/review/refunds.tests.json", "tests/review/refunds.failing.tests.json"]);
}

#[test]
fn test_results_as_junit() {
    golden(
        "test-junit",
        &[
            "test",
            NEW,
            "tests/review/refunds.tests.json",
            "tests/review/refunds.failing.tests.json",
            "--format",
            "junit",
        ],
    );
}

#[test]
fn test_results_as_json_with_coverage() {
    golden(
        "test-json-coverage",
        &["test", NEW, "tests/review/refunds.failing.tests.json", "--format", "json", "--coverage"],
    );
}

#[test]
fn test_coverage_as_text() {
    golden("test-coverage", &["test", NEW, "tests/review/refunds.tests.json", "--coverage"]);
}

#[test]
fn a_malformed_test_file_is_located() {
    golden("test-malformed", &["test", NEW, "tests/review/malformed.tests.json"]);
}

#[test]
fn simulate_with_coverage() {
    golden("simulate-coverage", &["simulate", NEW, TRACE, "--coverage"]);
}

#[test]
fn simulate_with_coverage_as_json() {
    golden("simulate-coverage-json", &["simulate", OLD, TRACE, "--format", "jsonl", "--coverage"]);
}

#[test]
fn check_reports_tool_drift() {
    golden(
        "check-drift",
        &[
            "check",
            "tests/review/warehouse.policy.json",
            "--tools",
            "tests/review/warehouse.tools.new.json",
            "--since",
            "tests/review/warehouse.tools.old.json",
        ],
    );
}

#[test]
fn check_reports_tool_drift_as_json() {
    golden(
        "check-drift-json",
        &[
            "check",
            "tests/review/warehouse.policy.json",
            "--tools",
            "tests/review/warehouse.tools.new.json",
            "--since",
            "tests/review/warehouse.tools.old.json",
            "--format",
            "json",
        ],
    );
}

#[test]
fn an_unreadable_file_is_a_usage_error() {
    golden("diff-unreadable", &["diff", OLD, "tests/review/no-such-policy.json"]);
    golden("test-unreadable", &["test", NEW, "tests/review/no-such.tests.json"]);
}

#[test]
fn simulate_coverage_of_a_policy_with_default_allow_and_hidden_tools() {
    golden(
        "simulate-coverage-warehouse",
        &["simulate", "tests/review/warehouse.policy.json", "tests/review/warehouse.trace.jsonl", "--coverage"],
    );
}
