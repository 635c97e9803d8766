//! Policy change safety: what a policy edit does, before it is merged.
//!
//! - [`diff`](mod@diff): the rule-level difference of two documents, and the replay of a trace through both
//!   (each with its own counters, from empty) with every call whose decision changes;
//! - [`test`](mod@test): test files of call sequences with expected decisions, each run from empty counters;
//! - [`coverage`]: how many calls each rule entry decided, and the entries no call reached;
//! - [`drift`]: tools that appeared, disappeared or changed their input schema between two
//!   `tools/list` results, and what the policy does with each.
//!
//! Every replay goes through the simulator of [`crate::trace`] (one step function); the result
//! types serialise to the JSON shapes of `interfaces.md` § Policy change safety, so the CLI, the
//! npm package and the browser app print the same thing.

pub mod coverage;
pub mod diff;
pub mod drift;
pub mod test;

pub use coverage::{Coverage, CoverageEntry, CoverageTally};
pub use diff::{
    Change, DiffSummary, PolicyDiff, Replay, RuleDiff, decision_changed, diff, diff_rules, diff_text, transition,
};
pub use drift::{DriftedTool, NEW_TOOL_ALLOWED_BY_DEFAULT, ToolDrift, Treatment, tool_drift};
pub use test::{
    CallFailure, Expect, TestCase, TestReport, TestResult, parse_tests, pin_decisions, run_tests, run_tests_text,
};
