//! `toolgate`: check, simulate, diff, test, filter, suggest and schema for MCP gateway
//! `policy.json` files.
//!
//! Argument parsing and printing only; every decision comes from `toolgate-engine`.

mod diag;
mod review;
mod sim;

use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;
use toolgate_engine::lint::{Warning, lint};
use toolgate_engine::review::{CoverageTally, PolicyDiff, TestReport, ToolDrift, diff_text, parse_tests, run_tests};
use toolgate_engine::trace::check_trace;
use toolgate_engine::{Policy, ToolInfo, ValidationError, filter_tools, parse_policy, parse_tool_list};

use crate::diag::{Source, Style, plural, write_errors, write_warnings};

const AFTER_HELP: &str = "\
Any file argument may be `-` for standard input (at most one per command).
A policy file whose content is `null` means \"no policy attached\": every call is denied.

Exit codes:
  0  success (check: the policy is valid, warnings allowed; simulate and diff: inputs valid — refusals
     and changes are results; test: every test passed)
  1  an input is invalid (the errors are printed); test: a test failed; diff --fail-on-change: something changed
  2  usage error, or a file that cannot be read";

#[derive(Debug, Parser)]
#[command(name = "toolgate", version, about = "Check, simulate and apply MCP gateway policy.json files", after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a policy; with --tools, also lint it against a tools/list result.
    Check {
        /// The policy.json file.
        policy: PathBuf,
        /// A tools/list result (or a JSON-RPC response carrying one) to lint against.
        #[arg(long, value_name = "TOOLS.JSON")]
        tools: Option<PathBuf>,
        /// An earlier tools/list result of the same server: report the tools that appeared,
        /// disappeared or changed their input schema since, and what the policy does with each.
        #[arg(long, value_name = "OLD-TOOLS.JSON", requires = "tools")]
        since: Option<PathBuf>,
        /// Output form.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
    },
    /// Run a trace of calls against a policy from empty counters, on the trace's own clock.
    Simulate {
        /// The policy.json file.
        policy: PathBuf,
        /// The trace: a JSON array of calls, {"start_ms", "calls"}, JSON Lines, MCP JSON-RPC
        /// lines or a recorded wire log.
        trace: PathBuf,
        /// Output form (jsonl: one decision per line).
        #[arg(long, value_enum, default_value_t = SimFormat::Text)]
        format: SimFormat,
        /// Also report how many calls each rule entry decided, and the entries none reached.
        #[arg(long)]
        coverage: bool,
    },
    /// Compare two versions of a policy: rule by rule, and — with a trace — every recorded call
    /// whose decision changes (each policy replayed with its own counters, from empty).
    Diff {
        /// The policy before the change.
        old: PathBuf,
        /// The policy after the change.
        new: PathBuf,
        /// A trace to replay through both: a gateway --record file, JSON Lines, a JSON array,
        /// {"start_ms", "calls"}, MCP JSON-RPC lines or a recorded wire log.
        trace: Option<PathBuf>,
        /// Output form.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
        /// Exit 1 when a decision changes (without a trace: when a rule entry changes).
        #[arg(long)]
        fail_on_change: bool,
        /// Changed calls shown in full in the text form (then counts only); 0 shows all.
        #[arg(long, value_name = "N", default_value_t = 20)]
        limit: usize,
    },
    /// Run test files of call sequences with expected decisions, each test from empty counters.
    Test {
        /// The policy.json file.
        policy: PathBuf,
        /// Test files: {"tests": [{"name", "calls": [{…call…, "expect": {"outcome", "rule"?, "message"?}}]}]}.
        #[arg(required = true, value_name = "TESTS.JSON")]
        tests: Vec<PathBuf>,
        /// Output form.
        #[arg(long, value_enum, default_value_t = TestFormat::Text)]
        format: TestFormat,
        /// Also report how many calls each rule entry decided, over every test.
        #[arg(long)]
        coverage: bool,
    },
    /// Print a tools/list result without the tools the policy hides (other bytes kept).
    Filter {
        /// The policy.json file.
        policy: PathBuf,
        /// The tools/list result (or a JSON-RPC response carrying one).
        tools: PathBuf,
    },
    /// Print a starter policy for a tools/list result.
    Suggest {
        /// The tools/list result (or a JSON-RPC response carrying one, or an array of tools).
        tools: PathBuf,
    },
    /// Print the JSON Schema (draft 2020-12) of policy.json.
    Schema,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TestFormat {
    Text,
    Json,
    Junit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SimFormat {
    Text,
    Json,
    Jsonl,
}

/// How a command ended, short of an I/O failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    Invalid,
    Usage,
}

impl Status {
    fn code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Invalid => 1,
            Status::Usage => 2,
        }
    }
}

/// One input file's name (as diagnostics show it) and text.
struct Input {
    name: String,
    text: String,
}

impl Input {
    fn source(&self) -> Source<'_> {
        Source::new(&self.name, &self.text)
    }
}

fn is_stdin(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// Reads every input; `-` is standard input, allowed once.
fn read_inputs(paths: &[&Path]) -> Result<Vec<Input>, String> {
    if paths.iter().filter(|p| is_stdin(p)).count() > 1 {
        return Err("only one input can be `-` (standard input)".into());
    }
    paths
        .iter()
        .map(|p| {
            if is_stdin(p) {
                let mut bytes = Vec::new();
                io::stdin().lock().read_to_end(&mut bytes).map_err(|e| format!("cannot read standard input: {e}"))?;
                let text = String::from_utf8(bytes).map_err(|_| "standard input is not UTF-8 text".to_string())?;
                Ok(Input { name: "<stdin>".into(), text })
            } else {
                let name = p.display().to_string();
                let bytes = std::fs::read(p).map_err(|e| format!("cannot read `{name}`: {e}"))?;
                let text = String::from_utf8(bytes).map_err(|_| format!("`{name}` is not UTF-8 text"))?;
                Ok(Input { name, text })
            }
        })
        .collect()
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with 0; usage errors to stderr with 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let stderr = io::stderr();
    let mut err = stderr.lock();
    let result = run(cli.command, &mut out, &mut err).and_then(|status| out.flush().map(|()| status));
    match result {
        Ok(status) => ExitCode::from(status.code()),
        // A closed pipe (`toolgate simulate … | head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            ExitCode::from(2)
        }
    }
}

fn usage(err: &mut dyn Write, message: &str) -> io::Result<Status> {
    writeln!(err, "{}: {message}", Style::stderr().paint("1;31", "error"))?;
    Ok(Status::Usage)
}

fn run(command: Command, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<Status> {
    match command {
        Command::Check { policy, tools, since, format } => {
            let mut paths = vec![policy.as_path()];
            paths.extend(tools.as_deref());
            paths.extend(since.as_deref());
            match read_inputs(&paths) {
                Err(m) => usage(err, &m),
                Ok(inputs) => check(&inputs, format, out, err),
            }
        }
        Command::Simulate { policy, trace, format, coverage } => match read_inputs(&[&policy, &trace]) {
            Err(m) => usage(err, &m),
            Ok(inputs) => simulate(&inputs, format, coverage, out, err),
        },
        Command::Diff { old, new, trace, format, fail_on_change, limit } => {
            let mut paths = vec![old.as_path(), new.as_path()];
            paths.extend(trace.as_deref());
            match read_inputs(&paths) {
                Err(m) => usage(err, &m),
                Ok(inputs) => diff(&inputs, format, fail_on_change, limit, out, err),
            }
        }
        Command::Test { policy, tests, format, coverage } => {
            let mut paths = vec![policy.as_path()];
            paths.extend(tests.iter().map(PathBuf::as_path));
            match read_inputs(&paths) {
                Err(m) => usage(err, &m),
                Ok(inputs) => test(&inputs, format, coverage, out, err),
            }
        }
        Command::Filter { policy, tools } => match read_inputs(&[&policy, &tools]) {
            Err(m) => usage(err, &m),
            Ok(inputs) => filter(&inputs, out, err),
        },
        Command::Suggest { tools } => match read_inputs(&[&tools]) {
            Err(m) => usage(err, &m),
            Ok(inputs) => suggest(&inputs, out, err),
        },
        Command::Schema => {
            let schema = serde_json::to_string_pretty(&toolgate_engine::schema::policy_schema())?;
            writeln!(out, "{schema}")?;
            Ok(Status::Ok)
        }
    }
}

/// The policy (or `None` for `null`), or the errors already printed.
fn load_policy(input: &Input, err: &mut dyn Write) -> io::Result<Result<Option<Policy>, ()>> {
    match parse_policy(&input.text) {
        Ok(p) => Ok(Ok(p)),
        Err(errors) => {
            write_errors(err, Style::stderr(), &input.source(), &errors)?;
            writeln!(err, "{}: invalid policy, {}", input.name, plural(errors.len(), "error"))?;
            Ok(Err(()))
        }
    }
}

/// A tool list, or its error already printed.
fn load_tools(input: &Input, err: &mut dyn Write) -> io::Result<Result<Vec<ToolInfo>, ()>> {
    match parse_tool_list(&input.text) {
        Ok(t) => Ok(Ok(t)),
        Err(e) => {
            write_errors(err, Style::stderr(), &input.source(), std::slice::from_ref(&e))?;
            Ok(Err(()))
        }
    }
}

#[derive(Serialize)]
struct CheckReport<'a> {
    valid: bool,
    errors: &'a [ValidationError],
    warnings: &'a [Warning],
    #[serde(skip_serializing_if = "Option::is_none")]
    drift: Option<&'a ToolDrift>,
}

fn check(inputs: &[Input], format: CheckFormat, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<Status> {
    let [policy_in, rest @ ..] = inputs else { return Ok(Status::Usage) };
    let mut lists = Vec::new();
    for t in rest {
        match load_tools(t, err)? {
            Ok(tools) => lists.push(tools),
            // A tool list is context, not the thing checked: an unusable one is an input failure.
            Err(()) => return Ok(Status::Usage),
        }
    }
    let tools = lists.first();
    let (errors, mut warnings, attached, drift) = match parse_policy(&policy_in.text) {
        Err(errors) => (errors, Vec::new(), true, None),
        Ok(p) => {
            let doc = p.as_ref().map(Policy::doc);
            let warnings = doc.map(|d| lint(d, tools.map(Vec::as_slice))).unwrap_or_default();
            let drift = match lists.as_slice() {
                [new, old] => Some(toolgate_engine::review::tool_drift(doc, old, new)),
                _ => None,
            };
            (Vec::new(), warnings, p.is_some(), drift)
        }
    };
    warnings.extend(drift.iter().flat_map(|d| d.warnings.iter().cloned()));
    let valid = errors.is_empty();
    match format {
        CheckFormat::Json => {
            let report = CheckReport { valid, errors: &errors, warnings: &warnings, drift: drift.as_ref() };
            writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        }
        CheckFormat::Text => {
            let style = Style::stdout();
            let src = policy_in.source();
            write_errors(out, style, &src, &errors)?;
            write_warnings(out, style, &src, &warnings)?;
            if let (Some(d), Some(since)) = (&drift, rest.get(1)) {
                review::write_drift_text(out, style, &since.name, d)?;
            }
            let verdict = if !valid {
                style.paint("1;31", &format!("invalid, {}", plural(errors.len(), "error")))
            } else if !attached {
                style.paint("1;32", "valid: no policy attached (`null`): every call is denied, tools/list is empty")
            } else if warnings.is_empty() {
                style.paint("1;32", "valid")
            } else {
                style.paint("1;33", &format!("valid, {}", plural(warnings.len(), "warning")))
            };
            writeln!(out, "{}: {verdict}", policy_in.name)?;
        }
    }
    Ok(if valid { Status::Ok } else { Status::Invalid })
}

fn simulate(
    inputs: &[Input],
    format: SimFormat,
    coverage: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Status> {
    let [policy_in, trace_in] = inputs else { return Ok(Status::Usage) };
    let Ok(policy) = load_policy(policy_in, err)? else {
        // Report the trace's problems too, so one run shows everything to fix.
        let errors = check_trace(&trace_in.text);
        if !errors.is_empty() {
            trace_errors(err, trace_in, &errors, "trace")?;
        }
        return Ok(Status::Invalid);
    };
    // The trace is checked completely before anything is printed, then streamed.
    let mut tally = coverage.then(|| CoverageTally::new(policy.as_ref()));
    let written = match format {
        SimFormat::Text => sim::write_text(out, Style::stdout(), policy.as_ref(), &trace_in.text, tally.as_mut()),
        SimFormat::Json => sim::write_json(out, policy.as_ref(), &trace_in.text, tally.as_mut()),
        SimFormat::Jsonl => sim::write_jsonl(out, policy.as_ref(), &trace_in.text, tally.as_mut()),
    };
    match written {
        Ok(io_result) => io_result.map(|()| Status::Ok),
        Err(errors) => trace_errors(err, trace_in, &errors, "trace"),
    }
}

/// Prints the errors of a trace or test file; the status of an invalid input.
fn trace_errors(err: &mut dyn Write, input: &Input, errors: &[ValidationError], what: &str) -> io::Result<Status> {
    write_errors(err, Style::stderr(), &input.source(), errors)?;
    writeln!(err, "{}: invalid {what}, {}", input.name, plural(errors.len(), "error"))?;
    Ok(Status::Invalid)
}

fn diff(
    inputs: &[Input],
    format: CheckFormat,
    fail_on_change: bool,
    limit: usize,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Status> {
    let [old_in, new_in, rest @ ..] = inputs else { return Ok(Status::Usage) };
    let trace_in = rest.first();
    // Every input's problems are reported in one run.
    let old = load_policy(old_in, err)?;
    let new = load_policy(new_in, err)?;
    let (Ok(old), Ok(new)) = (old, new) else {
        if let Some(t) = trace_in {
            let errors = check_trace(&t.text);
            if !errors.is_empty() {
                trace_errors(err, t, &errors, "trace")?;
            }
        }
        return Ok(Status::Invalid);
    };
    let d: PolicyDiff = match diff_text(old.as_ref(), new.as_ref(), trace_in.map(|t| t.text.as_str())) {
        Ok(d) => d,
        Err(errors) => {
            let Some(t) = trace_in else { return Ok(Status::Invalid) };
            return trace_errors(err, t, &errors, "trace");
        }
    };
    match format {
        CheckFormat::Json => review::write_json(out, &d)?,
        CheckFormat::Text => {
            let names = (old_in.name.as_str(), new_in.name.as_str(), trace_in.map(|t| t.name.as_str()));
            let docs = (old.as_ref().map(Policy::doc), new.as_ref().map(Policy::doc));
            review::write_diff_text(out, Style::stdout(), names, docs, &d, limit)?;
        }
    }
    Ok(if fail_on_change && d.has_changes() { Status::Invalid } else { Status::Ok })
}

fn test(
    inputs: &[Input],
    format: TestFormat,
    coverage: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Status> {
    let [policy_in, files @ ..] = inputs else { return Ok(Status::Usage) };
    let policy = load_policy(policy_in, err)?;
    // Every test file is checked before any test runs, so one run shows every problem.
    let mut suites = Vec::new();
    let mut invalid = policy.is_err();
    for f in files {
        match parse_tests(&f.text) {
            Ok(cases) => suites.push((f, cases)),
            Err(errors) => {
                trace_errors(err, f, &errors, "test file")?;
                invalid = true;
            }
        }
    }
    let Ok(policy) = policy else { return Ok(Status::Invalid) };
    if invalid {
        return Ok(Status::Invalid);
    }
    let mut tally = coverage.then(|| CoverageTally::new(policy.as_ref()));
    let mut report = TestReport::default();
    for (f, cases) in suites {
        let mut r = run_tests(policy.as_ref(), &cases, tally.as_mut());
        for t in &mut r.tests {
            t.file = Some(f.name.clone());
        }
        report.extend(r);
    }
    report.coverage = tally.map(|t| t.coverage());
    match format {
        TestFormat::Json => review::write_json(out, &report)?,
        TestFormat::Junit => review::write_junit(out, &report)?,
        TestFormat::Text => review::write_tests_text(out, Style::stdout(), &report)?,
    }
    Ok(if report.failed == 0 { Status::Ok } else { Status::Invalid })
}

fn filter(inputs: &[Input], out: &mut dyn Write, err: &mut dyn Write) -> io::Result<Status> {
    let [policy_in, tools_in] = inputs else { return Ok(Status::Usage) };
    let Ok(policy) = load_policy(policy_in, err)? else { return Ok(Status::Invalid) };
    match filter_tools(policy.as_ref(), &tools_in.text) {
        Ok(text) => {
            out.write_all(text.as_bytes())?;
            Ok(Status::Ok)
        }
        Err(e) => {
            write_errors(err, Style::stderr(), &tools_in.source(), std::slice::from_ref(&e))?;
            Ok(Status::Invalid)
        }
    }
}

fn suggest(inputs: &[Input], out: &mut dyn Write, err: &mut dyn Write) -> io::Result<Status> {
    let [tools_in] = inputs else { return Ok(Status::Usage) };
    let Ok(tools) = load_tools(tools_in, err)? else { return Ok(Status::Invalid) };
    writeln!(out, "{}", toolgate_engine::suggest::suggest(&tools).to_json_pretty())?;
    Ok(Status::Ok)
}
