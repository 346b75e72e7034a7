//! Command line: argument parsing, dispatch, exit codes (0 ok, 1 nothing matched, 2 error).
//! stdout carries data only; diagnostics go to stderr.

mod info;
mod streams;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::export::Format;
use crate::timeline::{Session, SessionOptions};

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
    /// Display filter (Network Monitor style), e.g.
    /// 'UTProcessName == "w3wp.exe (1432)" AND ProtocolName == "WINHTTP_MicrosoftWindowsWinHttp"'.
    #[arg(short = 'f', long, value_name = "EXPR")]
    pub filter: Option<String>,
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
    /// Directory of WPP trace message format files (*.tmf, made by tracepdb from the
    /// driver's PDB) to format WPP messages with.
    #[arg(long, value_name = "DIR", global = true)]
    pub tmf: Option<PathBuf>,
}

impl DecodeArgs {
    pub fn options(&self) -> SessionOptions {
        SessionOptions {
            parsers_dir: self.parsers.clone(),
            tmf_dir: self.tmf.clone(),
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
    /// Write events (optionally filtered) to a file: text, csv, jsonl, or a filtered etl.
    Export {
        file: PathBuf,
        /// Output path; the format follows its extension unless --format is given.
        #[arg(short = 'o', long)]
        output: PathBuf,
        #[arg(short = 'f', long, value_name = "EXPR")]
        filter: Option<String>,
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Overwrite the output file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Why did ARR answer 502.3? WinHTTP timeouts, refused or unreachable backends, aborted
    /// connections, TLS and DNS failures, with the frames that show it.
    Diagnose {
        file: PathBuf,
        /// The findings as one JSON object.
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
        // The reader of our standard output went away (`etlview FILE | head`): decided on
        // the error kind of the write, never on the message text.
        Err(_) if streams::stdout_broken() => ExitCode::SUCCESS,
        Err(CliError(msg)) => {
            // Messages quote file names, filters and trace text: nothing raw reaches the
            // terminal, but their line breaks (a filter's caret line) stay.
            eprintln!(
                "etlview: error: {}",
                etl::sanitize::for_terminal_lines(&msg)
            );
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<Outcome, CliError> {
    // `-` reads standard input into a temporary file that lives until the run ends.
    let named = match &cli.command {
        Some(Command::Info { file, .. })
        | Some(Command::Diagnose { file, .. })
        | Some(Command::Export { file, .. }) => Some(file.clone()),
        Some(Command::Err { .. }) => None,
        None => cli.view.file.clone(),
    };
    let input = named.as_deref().map(streams::input).transpose()?;
    let mut cli = cli;
    if let Some(input) = &input {
        match &mut cli.command {
            Some(Command::Info { file, .. })
            | Some(Command::Diagnose { file, .. })
            | Some(Command::Export { file, .. }) => file.clone_from(&input.path),
            Some(Command::Err { .. }) => {}
            None => cli.view.file = Some(input.path.clone()),
        }
    }
    match cli.command {
        Some(Command::Info { file, json }) => run_info(&file, json, &cli.view.decode),
        Some(Command::Err { codes, json }) => run_err(&codes, json),
        Some(Command::Diagnose { file, json }) => run_diagnose(&file, json, &cli.view.decode),
        Some(Command::Export {
            file,
            output,
            filter,
            format,
            force,
        }) => run_export(
            &file,
            &output,
            filter.as_deref(),
            format,
            force,
            &cli.view.decode,
        ),
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

/// Damage reports printed one by one on stderr before the summary line.
const ISSUES_SHOWN: usize = 5;

fn open(file: &Path, decode: &DecodeArgs) -> Result<Session, CliError> {
    let session = Session::open(file, decode.options())?;
    for w in &session.parser_warnings {
        eprintln!("etlview: warning: {}", etl::sanitize::for_terminal(w));
    }
    let issues = session.trace().issues();
    if !issues.is_empty() {
        let bytes: usize = issues.iter().map(|i| i.skipped_bytes).sum();
        for issue in issues.iter().take(ISSUES_SHOWN) {
            eprintln!(
                "etlview: warning: {}: {} {}",
                streams::shown(file),
                issue.kind.name(),
                etl::sanitize::for_terminal(&issue.to_string())
            );
        }
        eprintln!(
            "etlview: warning: {}: {} damaged region(s) skipped ({bytes} bytes){}; see `etlview info` for offsets",
            streams::shown(file),
            issues.len(),
            if issues.len() > ISSUES_SHOWN {
                format!(", {} more not shown", issues.len() - ISSUES_SHOWN)
            } else {
                String::new()
            }
        );
    }
    Ok(session)
}

/// Fails when the input shrank while it was read: what was read is incomplete.
fn check_intact(session: &Session) -> Result<(), CliError> {
    session.trace().check_intact().map_err(CliError::from)
}

fn run_info(file: &Path, json: bool, decode: &DecodeArgs) -> Result<Outcome, CliError> {
    let mut out = streams::stdout()?;
    let session = open(file, decode)?;
    let report = info::report_for_session(&session, &file.display().to_string());
    check_intact(&session)?;
    if json {
        crate::export::json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        out.write_all(info::render_text(&report).as_bytes())?;
    }
    out.flush()?;
    Ok(Outcome::Ok)
}

fn run_print(file: &Path, args: &ViewArgs) -> Result<Outcome, CliError> {
    if matches!(args.format, Format::Etl | Format::Pcapng) {
        return Err(CliError(format!(
            "--format {:?} writes a binary file: use `etlview export {} -o OUT`",
            args.format,
            streams::shown(file)
        )));
    }
    let stdout = io::stdout();
    if stdout.is_terminal() && !args.print {
        if args.filter.is_some() {
            eprintln!(
                "etlview: note: --filter applies to printed output; in the viewer press `f` to filter"
            );
        }
        return crate::tui::run(file, args.decode.options())
            .map(|()| Outcome::Ok)
            .map_err(|e| CliError(format!("{e:#}")));
    }
    let out = io::BufWriter::with_capacity(1 << 16, streams::stdout()?);
    let session = open(file, &args.decode)?;
    let compiled = compile_filter(&session, args.filter.as_deref())?;
    let keep = |e: etl::Event<'_>| compiled.as_ref().is_none_or(|c| c.matches(&session, e));
    let matched = crate::export::write_rows(&session, args.format, out, &keep, &|_| {})?;
    check_intact(&session)?;
    if compiled.is_some() {
        eprintln!("etlview: {matched} of {} events matched", session.len());
    }
    Ok(if matched == 0 && compiled.is_some() {
        Outcome::NothingMatched
    } else {
        Outcome::Ok
    })
}

fn run_err(codes: &[String], json: bool) -> Result<Outcome, CliError> {
    use decode::errors;
    let mut out = streams::stdout()?;
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
        crate::export::json::to_writer_pretty(&mut out, &all)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(if any {
        Outcome::Ok
    } else {
        Outcome::NothingMatched
    })
}

/// Compiles `--filter`; a bad filter is an error showing the expression and a caret.
fn compile_filter(
    session: &Session,
    expr: Option<&str>,
) -> Result<Option<crate::filter::Compiled>, CliError> {
    let Some(expr) = expr.filter(|e| !e.trim().is_empty()) else {
        return Ok(None);
    };
    session
        .compile_filter(expr)
        .map(Some)
        .map_err(|e| CliError(format!("bad filter:\n{}", e.render(expr))))
}

fn format_for(path: &Path, format: Option<Format>) -> Result<Format, CliError> {
    if let Some(f) = format {
        return Ok(f);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "jsonl" | "json" | "ndjson" => Ok(Format::Jsonl),
        "csv" => Ok(Format::Csv),
        "txt" | "log" | "text" => Ok(Format::Text),
        "etl" => Ok(Format::Etl),
        "pcapng" => Ok(Format::Pcapng),
        _ => Err(CliError(format!(
            "cannot tell the format of {} from its extension: use .txt, .csv, .jsonl, .etl or pass --format",
            streams::shown(path)
        ))),
    }
}

fn run_export(
    file: &Path,
    output: &Path,
    filter: Option<&str>,
    format: Option<Format>,
    force: bool,
    decode: &DecodeArgs,
) -> Result<Outcome, CliError> {
    use crate::export::output::PendingOutput;
    let format = format_for(output, format)?;
    let session = open(file, decode)?;
    let compiled = compile_filter(&session, filter)?;
    let mut pending = PendingOutput::create(output, file, force)?;
    let total = session.len();
    let bar = progress_bar(total as u64);
    let matched;
    match format {
        Format::Etl => {
            let (bytes, summary) = crate::export::etl::filtered_etl(session.trace(), |e| {
                bar.inc(1);
                compiled.as_ref().is_none_or(|c| c.matches(&session, *e))
            })?;
            pending.writer().write_all(&bytes).map_err(CliError::from)?;
            matched = summary.kept_events;
            eprintln!(
                "etlview: kept {} embedded schema record(s) the exported events need",
                summary.schema_records
            );
        }
        Format::Pcapng => {
            let frames: Vec<crate::packet::Frame> = crate::packet::frames(&session)
                .into_iter()
                .filter(|f| {
                    bar.inc(1);
                    compiled.as_ref().is_none_or(|c| {
                        session
                            .event(f.frame_number.saturating_sub(1))
                            .is_some_and(|e| c.matches(&session, e))
                    })
                })
                .collect();
            if frames.is_empty() && compiled.is_none() {
                return Err(CliError(format!(
                    "{} holds no captured packets (NDIS-PacketCapture or pktmon events): nothing to write as pcapng",
                    streams::shown(file)
                )));
            }
            let mut out = io::BufWriter::new(pending.writer());
            let notes = damage_notes(session.trace());
            let stats = crate::packet::write_pcapng_with_notes(&frames, &notes, &mut out)?;
            out.flush()?;
            drop(out);
            matched = stats.frames as usize;
            eprintln!(
                "etlview: {} frame(s) on {} interface(s), {} bytes of packet data",
                stats.frames, stats.interfaces, stats.payload_bytes
            );
        }
        _ => {
            let out = io::BufWriter::with_capacity(1 << 16, pending.writer());
            let keep = |e: etl::Event<'_>| compiled.as_ref().is_none_or(|c| c.matches(&session, e));
            matched = crate::export::write_rows(&session, format, out, &keep, &|k| bar.inc(k))?;
        }
    }
    bar.finish_and_clear();
    if matched == 0 && compiled.is_some() {
        eprintln!(
            "etlview: no event matched the filter; {} not written",
            streams::shown(output)
        );
        return Ok(Outcome::NothingMatched);
    }
    check_intact(&session)?;
    pending.commit()?;
    let skipped = session.trace().issues().len();
    eprintln!(
        "etlview: wrote {matched} of {total} events to {}{}",
        streams::shown(output),
        if skipped > 0 {
            format!(" ({skipped} damaged region(s) of the input were skipped; see `etlview info`)")
        } else {
            String::new()
        }
    );
    Ok(Outcome::Ok)
}

/// A progress bar on stderr when it is a terminal and the job is large; hidden otherwise.
fn progress_bar(total: u64) -> indicatif::ProgressBar {
    if total < 200_000 || !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} events {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

fn run_diagnose(file: &Path, json: bool, decode: &DecodeArgs) -> Result<Outcome, CliError> {
    use crate::analysis::diagnose;
    let mut out = streams::stdout()?;
    let session = open(file, decode)?;
    let report = diagnose::diagnose(&session);
    check_intact(&session)?;
    if json {
        crate::export::json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        // The findings quote trace text (URLs, messages): no raw control reaches the terminal.
        let text = diagnose::render_text(&report);
        out.write_all(etl::sanitize::for_terminal_lines(&text).as_bytes())?;
    }
    out.flush()?;
    Ok(if report.findings.is_empty() {
        Outcome::NothingMatched
    } else {
        Outcome::Ok
    })
}

/// One line per damaged region of the input, for the formats with room for notes.
fn damage_notes(trace: &etl::Trace) -> Vec<String> {
    trace
        .issues()
        .iter()
        .map(|i| format!("etlview: input damage: {} {i}", i.kind.name()))
        .collect()
}
