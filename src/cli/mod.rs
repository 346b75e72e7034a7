//! Command line: argument parsing, dispatch, exit codes (0 ok, 1 nothing matched, 2 error).
//! stdout carries data only; diagnostics go to stderr.

mod case;
mod info;
mod lookup;
mod parquet;
mod streams;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::export::Format;
use crate::timeline::{Timeline, TimelineOptions};

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
    /// Trace files to open on one timeline (a folder means every .etl file in it; `-` reads
    /// one from standard input).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
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
    #[arg(long, value_name = "DIR")]
    pub parsers: Option<PathBuf>,
    /// Directory of WPP trace message format files (*.tmf, made by tracepdb from the
    /// driver's PDB) to format WPP messages with.
    #[arg(long, value_name = "DIR")]
    pub tmf: Option<PathBuf>,
}

impl DecodeArgs {
    pub fn options(&self) -> TimelineOptions {
        TimelineOptions {
            parsers_dir: self.parsers.clone(),
            tmf_dir: self.tmf.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Timeline, clock, buffers, counts per provider and header kind, and what was skipped.
    Info {
        /// Trace files (a folder means every .etl file in it): one section each, then totals.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// One JSON object (key `events` is the total event count).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        decode: DecodeArgs,
    },
    /// Write events (optionally filtered) to a file: text, csv, jsonl, parquet, or a filtered
    /// etl. With --format parquet, many traces (files or folders) convert into OUTPUT as
    /// OUTPUT/computer=NAME/TRACE.parquet.
    Export {
        /// Trace files (a folder means every .etl file in it), merged in time order; with
        /// --format parquet each trace converts to its own file.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Output path (a folder for Parquet of many traces); the format follows its
        /// extension unless --format is given. `-` writes to standard output (then --format
        /// is required).
        #[arg(short = 'o', long)]
        output: PathBuf,
        #[arg(short = 'f', long, value_name = "EXPR")]
        filter: Option<String>,
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Overwrite the output file if it exists (with many traces: convert again).
        #[arg(long)]
        force: bool,
        /// Computer name written into Parquet rows and the `computer=` folder.
        #[arg(long, value_name = "NAME")]
        computer: Option<String>,
        #[command(flatten)]
        decode: DecodeArgs,
    },
    /// Why did ARR answer 502.3? WinHTTP timeouts, refused or unreachable backends, aborted
    /// connections, TLS and DNS failures, with the frames that show it.
    Diagnose {
        /// Trace files (a folder means every .etl file in it), diagnosed together.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The findings as one JSON object.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        decode: DecodeArgs,
    },
    /// Read a case folder at once (per server: IIS logs, Failed Request Tracing, HTTPERR,
    /// applicationHost.config, traces, net.cab), link ARR requests to their member requests
    /// and draw the ARR article's conclusions with evidence from each file.
    Case {
        /// Case folders or files.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// The report as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List the fields filters, columns and exports use: names, aliases, type, unit, the layer
    /// that computes them. PATTERN keeps those whose names or description contain it.
    Fields {
        pattern: Option<String>,
        /// One JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script: `etlview completions bash > /etc/bash_completion.d/etlview`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `etlview man | man -l -`.
    Man,
    /// Explain error numbers like err.exe: decimal, hex, HRESULT, negative, or symbol name.
    Err {
        /// Codes to look up, e.g. 12002, 0x80072efe, -2147012866, ERROR_WINHTTP_TIMEOUT, or
        /// part of a name (WINHTTP_TIMEOUT).
        #[arg(required = true, allow_negative_numbers = true)]
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
    let outcome = run(cli);
    streams::remove_stdin_copies();
    match outcome {
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
    match cli.command {
        Some(Command::Info {
            files,
            json,
            decode,
        }) => run_info(&inputs(&files)?, json, &decode),
        Some(Command::Err { codes, json }) => lookup::run_err(&codes, json),
        Some(Command::Fields { pattern, json }) => lookup::run_fields(pattern.as_deref(), json),
        Some(Command::Case { paths, json }) => case::run_case(&paths, json, &cli.view.decode),
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "etlview", &mut io::stdout().lock());
            Ok(Outcome::Ok)
        }
        Some(Command::Man) => {
            use clap::CommandFactory;
            clap_mangen::Man::new(Cli::command()).render(&mut io::stdout().lock())?;
            Ok(Outcome::Ok)
        }
        Some(Command::Diagnose {
            files,
            json,
            decode,
        }) => run_diagnose(&inputs(&files)?, json, &decode),
        Some(Command::Export {
            files,
            output,
            filter,
            format,
            force,
            computer,
            decode,
        }) => match parquet::route(&files, &output, format)? {
            parquet::Route::Lines(format) => run_export(
                &inputs(&files)?,
                &output,
                filter.as_deref(),
                Some(format),
                force,
                &decode,
            ),
            route => parquet::run(route, &output, filter.as_deref(), force, computer, &decode),
        },
        None => {
            if cli.view.files.is_empty() {
                return Err(CliError(
                    "no trace file given. Usage: etlview FILE... or etlview FOLDER (see etlview --help)"
                        .into(),
                ));
            }
            run_print(&inputs(&cli.view.files)?, &cli.view)
        }
    }
}

/// Damage reports printed one by one on stderr before the summary line.
const ISSUES_SHOWN: usize = 5;

/// The files named on the command line, a folder standing for every `.etl` file in it
/// (sorted by name), `-` for standard input. An empty folder is an error that says so.
pub fn inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut files = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            // A trace piped in: copied to a temporary file (mapped like any other).
            files.push(streams::stdin_copy()?);
            continue;
        }
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path)
            .map_err(|e| CliError(format!("cannot list the folder {}: {e}", shown(path))))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("etl")))
            .collect();
        if found.is_empty() {
            return Err(CliError(format!(
                "the folder {} holds no .etl file: name the trace files to open",
                shown(path)
            )));
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

/// A path for a message on the terminal (control characters neutralised).
fn shown(path: &Path) -> String {
    etl::sanitize::for_terminal(&path.display().to_string()).into_owned()
}

/// Opens the files on one timeline; warnings and damage go to stderr.
pub(crate) fn open(files: &[PathBuf], decode: &DecodeArgs) -> Result<Timeline, CliError> {
    let session = Timeline::open_all(files, decode.options())?;
    for w in &session.parser_warnings() {
        eprintln!("etlview: warning: {}", etl::sanitize::for_terminal(w));
    }
    for source in session.sources() {
        let issues = source.trace().issues();
        if !issues.is_empty() {
            let bytes: usize = issues.iter().map(|i| i.skipped_bytes).sum();
            for issue in issues.iter().take(ISSUES_SHOWN) {
                eprintln!(
                    "etlview: warning: {}: {} {}",
                    shown(&source.meta.path),
                    issue.kind.name(),
                    etl::sanitize::for_terminal(&issue.to_string())
                );
            }
            eprintln!(
                "etlview: warning: {}: {} damaged region(s) skipped ({bytes} bytes){}; see `etlview info` for offsets",
                shown(&source.meta.path),
                issues.len(),
                if issues.len() > ISSUES_SHOWN {
                    format!(", {} more not shown", issues.len() - ISSUES_SHOWN)
                } else {
                    String::new()
                }
            );
        }
    }
    Ok(session)
}

/// Fails when an input shrank while it was read: what was read is incomplete.
fn check_intact(session: &Timeline) -> Result<(), CliError> {
    for source in session.sources() {
        source.trace().check_intact()?;
    }
    Ok(())
}

fn run_info(files: &[PathBuf], json: bool, decode: &DecodeArgs) -> Result<Outcome, CliError> {
    let mut out = streams::stdout()?;
    let session = open(files, decode)?;
    let reports = info::reports_for_timeline(&session);
    check_intact(&session)?;
    match (json, reports.as_slice()) {
        (true, [one]) => crate::export::json::to_writer_pretty(&mut out, one)?,
        (true, _) => {
            crate::export::json::to_writer_pretty(&mut out, &info::Combined::of(&reports))?
        }
        (false, [one]) => out.write_all(info::render_text(one).as_bytes())?,
        (false, _) => out.write_all(info::render_combined(&reports).as_bytes())?,
    }
    if json {
        writeln!(out)?;
    }
    out.flush()?;
    Ok(Outcome::Ok)
}

fn run_print(files: &[PathBuf], args: &ViewArgs) -> Result<Outcome, CliError> {
    let binary = match args.format {
        Format::Etl => Some("etl"),
        Format::Pcapng => Some("pcapng"),
        Format::Parquet => Some("parquet"),
        _ => None,
    };
    if let Some(ext) = binary {
        return Err(CliError(format!(
            "`--format {ext}` writes a binary file: use `export -o FILE.{ext}` (etlview export {} -o FILE.{ext})",
            files.iter().map(|f| shown(f)).collect::<Vec<_>>().join(" ")
        )));
    }
    let stdout = io::stdout();
    if stdout.is_terminal() && !args.print {
        return crate::tui::run(files, args.decode.options(), args.filter.as_deref())
            .map(|()| Outcome::Ok)
            .map_err(|e| CliError(format!("{e:#}")));
    }
    let out = io::BufWriter::with_capacity(1 << 16, streams::stdout()?);
    let session = open(files, &args.decode)?;
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

/// Compiles `--filter`; a bad filter is an error showing the expression and a caret.
pub(crate) fn compile_filter(
    session: &Timeline,
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

pub(crate) fn format_for(path: &Path, format: Option<Format>) -> Result<Format, CliError> {
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
        // Wireshark and tshark read pcapng whatever the file is called.
        "pcapng" | "pcap" => Ok(Format::Pcapng),
        "parquet" => Ok(Format::Parquet),
        _ => Err(CliError(format!(
            "cannot tell the format of {} from its extension: use .txt, .csv, .jsonl, .etl, .pcapng (or .pcap), .parquet or pass --format",
            shown(path)
        ))),
    }
}

fn run_export(
    files: &[PathBuf],
    output: &Path,
    filter: Option<&str>,
    format: Option<Format>,
    force: bool,
    decode: &DecodeArgs,
) -> Result<Outcome, CliError> {
    use crate::export::output::PendingOutput;
    let to_stdout = output == Path::new("-");
    if to_stdout && format.is_none() {
        return Err(CliError(
            "`-o -` writes to standard output: say which format with --format (text, csv, jsonl, etl or pcapng)".into(),
        ));
    }
    if output.is_dir() {
        return Err(CliError(format!(
            "{} is a directory: give a file name inside it, e.g. {}",
            shown(output),
            shown(&output.join("events.csv"))
        )));
    }
    let format = format_for(output, format)?;
    if format == Format::Etl && files.len() > 1 {
        return Err(CliError(format!(
            "an .etl export takes one trace: its header and clock are that file's. Export each file on its own, or use .jsonl/.csv/.pcapng for {} files together",
            files.len()
        )));
    }
    let session = open(files, decode)?;
    let compiled = compile_filter(&session, filter)?;
    let mut pending = if to_stdout {
        None
    } else {
        Some(PendingOutput::create(output, files, force)?)
    };
    let mut stdout = io::stdout().lock();
    let mut sink: &mut dyn Write = match pending.as_mut() {
        Some(p) => p.writer(),
        None => &mut stdout,
    };
    let total = session.len();
    let bar = progress_bar(total as u64);
    let matched;
    match format {
        Format::Etl => {
            // One source (checked above): its local frames are the global ones.
            let trace = session.sources()[0].trace();
            let (bytes, summary) = crate::export::etl::filtered_etl(trace, |e| {
                bar.inc(1);
                compiled.as_ref().is_none_or(|c| c.matches(&session, *e))
            })?;
            sink.write_all(&bytes).map_err(CliError::from)?;
            matched = summary.kept_events;
            eprintln!(
                "etlview: kept {} embedded schema record(s) the exported events need and {} kernel process event(s) that name their processes",
                summary.schema_records, summary.context_records
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
                    files
                        .iter()
                        .map(|f| shown(f))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            let mut out = io::BufWriter::new(&mut sink);
            let notes = damage_notes(&session);
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
            let out = io::BufWriter::with_capacity(1 << 16, &mut sink);
            let keep = |e: etl::Event<'_>| compiled.as_ref().is_none_or(|c| c.matches(&session, e));
            matched = crate::export::write_rows(&session, format, out, &keep, &|k| bar.inc(k))?;
        }
    }
    bar.finish_and_clear();
    sink.flush()?;
    if matched == 0 && compiled.is_some() && !to_stdout {
        eprintln!(
            "etlview: no event matched the filter; {} not written",
            shown(output)
        );
        return Ok(Outcome::NothingMatched);
    }
    check_intact(&session)?;
    if let Some(pending) = pending {
        pending.commit()?;
    }
    let output_name = if to_stdout {
        "standard output".to_string()
    } else {
        shown(output)
    };
    let skipped = session.issue_count();
    eprintln!(
        "etlview: wrote {matched} of {total} events to {output_name}{}",
        if skipped > 0 {
            format!(" ({skipped} damaged region(s) of the input were skipped; see `etlview info`)")
        } else {
            String::new()
        }
    );
    Ok(Outcome::Ok)
}

/// A progress bar on stderr when it is a terminal and the job is large; hidden otherwise.
pub(crate) fn progress_bar(total: u64) -> indicatif::ProgressBar {
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

fn run_diagnose(files: &[PathBuf], json: bool, decode: &DecodeArgs) -> Result<Outcome, CliError> {
    use crate::analysis::diagnose;
    let mut out = streams::stdout()?;
    let session = open(files, decode)?;
    let report = diagnose::diagnose(&session);
    check_intact(&session)?;
    if !has_winhttp_events(&session) {
        // Packets alone can still show a failure (the report then has findings).
        eprintln!(
            "etlview: no WinHTTP or WebIO events in this trace: diagnose reads Microsoft-Windows-WinHttp and Microsoft-Windows-WebIO events (capture them with `netsh trace start scenario=InternetClient_dbg`, or the providers by name)"
        );
    }
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

/// True when some event comes from the WinHTTP or WebIO provider (what `diagnose` reads).
fn has_winhttp_events(session: &Timeline) -> bool {
    session.sources().iter().any(|source| {
        source.trace().events().any(|e| {
            source.decoder().provider_name(&e).is_some_and(|name| {
                name.eq_ignore_ascii_case("Microsoft-Windows-WinHttp")
                    || name.eq_ignore_ascii_case("Microsoft-Windows-WebIO")
            })
        })
    })
}

/// One line per damaged region of the inputs, for the formats with room for notes.
fn damage_notes(session: &Timeline) -> Vec<String> {
    session
        .sources()
        .iter()
        .flat_map(|source| {
            source.trace().issues().iter().map(|i| {
                format!(
                    "etlview: input damage: {}: {} {i}",
                    shown(&source.meta.path),
                    i.kind.name()
                )
            })
        })
        .collect()
}
