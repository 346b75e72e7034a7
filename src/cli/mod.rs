//! Command line: argument parsing, dispatch, exit codes (0 ok, 1 nothing matched, 2 error).
//! stdout carries data only; diagnostics go to stderr.

mod info;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::export::{Format, RowWriter};
use crate::index::{Session, SessionOptions};

pub use info::{
    InfoReport, builtin_provider_name, render_text as render_info, report as info_report,
};

/// Open Windows ETW trace files (.etl) on any OS.
///
/// With a FILE and no subcommand: on a terminal, opens the viewer; otherwise (or with
/// --print) prints every event in time order.
#[derive(Debug, Parser)]
#[command(name = "etlview", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub view: ViewArgs,
}

#[derive(Debug, clap::Args)]
pub struct ViewArgs {
    /// Trace file to open.
    pub file: Option<PathBuf>,
    /// Output format when printing.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Print events even when stdout is a terminal.
    #[arg(long)]
    pub print: bool,
    #[command(flatten)]
    pub decode: DecodeArgs,
}

/// Where schemas come from, beyond the builtin ones.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DecodeArgs {
    /// Extra directory of provider manifests (*.man, *.xml) to decode with.
    #[arg(long, value_name = "DIR", global = true)]
    pub parsers: Option<PathBuf>,
}

impl DecodeArgs {
    pub fn options(&self) -> SessionOptions {
        SessionOptions {
            parsers_dir: self.parsers.clone(),
            tmf_dir: None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Session, clock, buffers, counts per provider and header kind, and what was skipped.
    Info {
        file: PathBuf,
        /// One JSON object (key `events` is the total event count).
        #[arg(long)]
        json: bool,
    },
    /// Explain error numbers like err.exe: decimal, hex, HRESULT, negative, or symbol name.
    Err {
        /// Codes to look up, e.g. 12002, 0x80072efe, -2147012866, ERROR_WINHTTP_TIMEOUT.
        #[arg(required = true)]
        codes: Vec<String>,
        /// JSON array of matches per code.
        #[arg(long)]
        json: bool,
    },
}

/// An error for the user: what failed and what to do; exit code 2.
#[derive(Debug)]
pub struct CliError(pub String);

impl<E: std::fmt::Display> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError(e.to_string())
    }
}

/// Outcome of a command that ran.
pub enum Outcome {
    Ok,
    NothingMatched,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::NothingMatched) => ExitCode::from(1),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(CliError(msg)) => {
            eprintln!("etlview: error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &CliError) -> bool {
    e.0.contains("Broken pipe")
}

fn run(cli: Cli) -> Result<Outcome, CliError> {
    match cli.command {
        Some(Command::Info { file, json }) => run_info(&file, json, &cli.view.decode),
        Some(Command::Err { codes, json }) => run_err(&codes, json),
        None => {
            let Some(file) = cli.view.file.clone() else {
                return Err(CliError(
                    "no trace file given. Usage: etlview FILE (see etlview --help)".into(),
                ));
            };
            run_print(&file, &cli.view)
        }
    }
}

fn open(file: &Path, decode: &DecodeArgs) -> Result<Session, CliError> {
    let session = Session::open(file, decode.options())?;
    for w in &session.parser_warnings {
        eprintln!("etlview: warning: {}", crate::sanitize::for_terminal(w));
    }
    let issues = session.trace().issues();
    if !issues.is_empty() {
        let bytes: usize = issues.iter().map(|i| i.skipped_bytes).sum();
        eprintln!(
            "etlview: warning: {}: {} damaged region(s) skipped ({bytes} bytes); see `etlview info` for offsets",
            file.display(),
            issues.len()
        );
    }
    Ok(session)
}

fn run_info(file: &Path, json: bool, decode: &DecodeArgs) -> Result<Outcome, CliError> {
    let session = open(file, decode)?;
    let report = info::report_for_session(&session, &file.display().to_string());
    let mut out = io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        out.write_all(info::render_text(&report).as_bytes())?;
    }
    Ok(Outcome::Ok)
}

fn run_print(file: &Path, args: &ViewArgs) -> Result<Outcome, CliError> {
    if matches!(args.format, Format::Etl | Format::Pcapng) {
        return Err(CliError(format!(
            "--format {:?} writes a binary file: use `etlview export {} -o OUT`",
            args.format,
            file.display()
        )));
    }
    let session = open(file, &args.decode)?;
    let stdout = io::stdout();
    let _interactive = stdout.is_terminal() && !args.print;
    let out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut writer = RowWriter::new(args.format, out)?;
    for e in session.trace().events() {
        writer.write(&session.row_of(&e))?;
    }
    writer.finish()?;
    Ok(Outcome::Ok)
}

fn run_err(codes: &[String], json: bool) -> Result<Outcome, CliError> {
    use crate::analysis::errors;
    let mut out = io::stdout().lock();
    let mut any = false;
    let mut all = serde_json::Map::new();
    for code in codes {
        let matches = errors::lookup_arg(code)
            .map_err(|e| CliError(format!("cannot read error code `{code}`: {e}")))?;
        any |= !matches.is_empty();
        if json {
            all.insert(code.clone(), serde_json::to_value(&matches)?);
        } else {
            out.write_all(errors::render_err(code, &matches).as_bytes())?;
        }
    }
    if json {
        serde_json::to_writer_pretty(&mut out, &all)?;
        writeln!(out)?;
    }
    Ok(if any {
        Outcome::Ok
    } else {
        Outcome::NothingMatched
    })
}
