//! `toolgate`: check, simulate, filter, suggest and schema for MCP gateway `policy.json` files.
//!
//! Argument parsing and printing only; every decision comes from `toolgate-engine`.

mod diag;
mod sim;

use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;
use toolgate_engine::lint::{Warning, lint};
use toolgate_engine::trace::check_trace;
use toolgate_engine::{Policy, ToolInfo, ValidationError, filter_tools, parse_policy, parse_tool_list};

use crate::diag::{Source, Style, plural, write_errors, write_warnings};

const AFTER_HELP: &str = "\
Any file argument may be `-` for standard input (at most one per command).
A policy file whose content is `null` means \"no policy attached\": every call is denied.

Exit codes:
  0  success (check: the policy is valid, warnings allowed; simulate: inputs valid — refusals are results)
  1  an input is invalid (the errors are printed)
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
        Command::Check { policy, tools, format } => {
            let mut paths = vec![policy.as_path()];
            paths.extend(tools.as_deref());
            match read_inputs(&paths) {
                Err(m) => usage(err, &m),
                Ok(inputs) => check(&inputs, format, out, err),
            }
        }
        Command::Simulate { policy, trace, format } => match read_inputs(&[&policy, &trace]) {
            Err(m) => usage(err, &m),
            Ok(inputs) => simulate(&inputs, format, out, err),
        },
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
}

fn check(inputs: &[Input], format: CheckFormat, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<Status> {
    let [policy_in, rest @ ..] = inputs else { return Ok(Status::Usage) };
    let tools = match rest.first() {
        None => None,
        Some(t) => match load_tools(t, err)? {
            Ok(tools) => Some(tools),
            // The tool list is context, not the thing checked: an unusable one is an input failure.
            Err(()) => return Ok(Status::Usage),
        },
    };
    let (errors, warnings, attached) = match parse_policy(&policy_in.text) {
        Err(errors) => (errors, Vec::new(), true),
        Ok(None) => (Vec::new(), Vec::new(), false),
        Ok(Some(p)) => (Vec::new(), lint(p.doc(), tools.as_deref()), true),
    };
    let valid = errors.is_empty();
    match format {
        CheckFormat::Json => {
            let report = CheckReport { valid, errors: &errors, warnings: &warnings };
            writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        }
        CheckFormat::Text => {
            let style = Style::stdout();
            let src = policy_in.source();
            write_errors(out, style, &src, &errors)?;
            write_warnings(out, style, &src, &warnings)?;
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

fn simulate(inputs: &[Input], format: SimFormat, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<Status> {
    let [policy_in, trace_in] = inputs else { return Ok(Status::Usage) };
    let trace_errors = |err: &mut dyn Write, errors: &[ValidationError]| -> io::Result<Status> {
        write_errors(err, Style::stderr(), &trace_in.source(), errors)?;
        writeln!(err, "{}: invalid trace, {}", trace_in.name, plural(errors.len(), "error"))?;
        Ok(Status::Invalid)
    };
    let Ok(policy) = load_policy(policy_in, err)? else {
        // Report the trace's problems too, so one run shows everything to fix.
        let errors = check_trace(&trace_in.text);
        if !errors.is_empty() {
            trace_errors(err, &errors)?;
        }
        return Ok(Status::Invalid);
    };
    // The trace is checked completely before anything is printed, then streamed.
    let written = match format {
        SimFormat::Text => sim::write_text(out, Style::stdout(), policy.as_ref(), &trace_in.text),
        SimFormat::Json => sim::write_json(out, policy.as_ref(), &trace_in.text),
        SimFormat::Jsonl => sim::write_jsonl(out, policy.as_ref(), &trace_in.text),
    };
    match written {
        Ok(io_result) => io_result.map(|()| Status::Ok),
        Err(errors) => trace_errors(err, &errors),
    }
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
