//! `etlview export ... --format parquet`: one trace to one file, or many traces (files and
//! folders) into a Hive-style folder with a progress bar and a closing summary.

use std::path::{Path, PathBuf};

use super::{
    CliError, DecodeArgs, Outcome, compile_filter, format_for, inputs as named_traces, open,
    progress_bar,
};
use crate::export::Format;
use crate::export::many::{self, ManyOptions, UNKNOWN_COMPUTER};
use crate::export::output::PendingOutput;
use crate::export::parquet as pq;

/// What an `export` command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    /// The traces merged into one file in a line format, etl or pcapng (the classic export).
    Lines(Format),
    /// The traces merged into the one `.parquet` file named by `-o`.
    OneParquet(Vec<PathBuf>),
    /// Traces into the folder named by `-o`, as `computer=NAME/TRACE.parquet`.
    Many(Vec<PathBuf>),
}

/// Decides between one output file and a folder of Parquet files: Parquet into a folder
/// (`-o` an existing folder or a name without `.parquet`) converts each trace on its own.
pub fn route(inputs: &[PathBuf], output: &Path, format: Option<Format>) -> Result<Route, CliError> {
    let format = match format {
        Some(format) => format,
        None if output.is_dir() => Format::Parquet,
        None => format_for(output, None)?,
    };
    if format != Format::Parquet {
        return Ok(Route::Lines(format));
    }
    let names_a_file = output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
        && !output.is_dir();
    if names_a_file {
        Ok(Route::OneParquet(named_traces(inputs)?))
    } else {
        Ok(Route::Many(many::discover(inputs).map_err(CliError)?))
    }
}

pub fn run(
    route: Route,
    output: &Path,
    filter: Option<&str>,
    force: bool,
    computer: Option<String>,
    decode: &DecodeArgs,
) -> Result<Outcome, CliError> {
    match route {
        Route::Lines(_) => Err(CliError("internal: not a Parquet export".into())),
        Route::OneParquet(files) => one(&files, output, filter, force, computer, decode),
        Route::Many(inputs) => {
            let options = ManyOptions {
                out_dir: output.to_path_buf(),
                force,
                filter: filter.map(str::to_string),
                computer,
                session: decode.options(),
            };
            run_many(&inputs, &options)
        }
    }
}

fn one(
    files: &[PathBuf],
    output: &Path,
    filter: Option<&str>,
    force: bool,
    computer: Option<String>,
    decode: &DecodeArgs,
) -> Result<Outcome, CliError> {
    let timeline = open(files, decode)?;
    let compiled = compile_filter(&timeline, filter)?;
    let mut pending = PendingOutput::create(output, files, force)?;
    let bar = progress_bar(timeline.len() as u64);
    let keep = |frame: usize| {
        compiled.as_ref().is_none_or(|c| {
            timeline
                .event(frame)
                .is_some_and(|e| c.matches(&timeline, e))
        })
    };
    let computer = computer.as_deref().unwrap_or(UNKNOWN_COMPUTER);
    let info = pq::source_info(&timeline, computer);
    let out = std::io::BufWriter::with_capacity(1 << 20, pending.writer());
    let summary = pq::write_parquet(&timeline, &info, out, &keep, &|k| bar.inc(k))
        .map_err(|e| CliError(format!("writing {}: {e}", output.display())))?;
    bar.finish_and_clear();
    if summary.rows == 0 && compiled.is_some() {
        eprintln!(
            "etlview: no event matched the filter; {} not written",
            output.display()
        );
        return Ok(Outcome::NothingMatched);
    }
    pending.commit()?;
    eprintln!(
        "etlview: wrote {} of {} events to {} ({} row group(s))",
        summary.rows,
        timeline.len(),
        output.display(),
        summary.row_groups
    );
    Ok(Outcome::Ok)
}

fn run_many(inputs: &[PathBuf], options: &ManyOptions) -> Result<Outcome, CliError> {
    if inputs.is_empty() {
        return Err(CliError(
            "no .etl files found in the given folders: name trace files or folders holding *.etl"
                .into(),
        ));
    }
    let bar = files_bar(inputs.len() as u64);
    let summary = many::convert_many(inputs, options, &|report| {
        // On a terminal, say it at once (the summary repeats it after the bar is gone).
        if let many::Outcome::Failed { reason } = &report.outcome
            && !bar.is_hidden()
        {
            bar.suspend(|| {
                eprintln!(
                    "etlview: error: {}",
                    many::failure_line(&report.input, reason)
                );
            });
        }
        bar.inc(1);
    });
    bar.finish_and_clear();
    eprintln!("{}", summary.render(&options.out_dir));
    let failed = summary.failed().count();
    if failed > 0 {
        return Err(CliError(format!(
            "{failed} of {} trace(s) could not be converted (named above); the others were written",
            summary.files.len()
        )));
    }
    Ok(
        if options.filter.is_some() && summary.rows() == 0 && summary.converted().count() > 0 {
            Outcome::NothingMatched
        } else {
            Outcome::Ok
        },
    )
}

/// A progress bar of traces converted, on stderr when it is a terminal.
fn files_bar(total: u64) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if total < 2 || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} traces {elapsed} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let dir = tempfile::tempdir().unwrap();
        let trace = dir.path().join("a.etl");
        std::fs::write(&trace, b"").unwrap();
        let one = [trace.clone()];
        assert_eq!(
            route(&one, Path::new("x.csv"), None).unwrap(),
            Route::Lines(Format::Csv)
        );
        assert_eq!(
            route(&one, Path::new("x.parquet"), None).unwrap(),
            Route::OneParquet(vec![trace.clone()])
        );
        assert_eq!(
            route(&one, Path::new("out"), Some(Format::Parquet)).unwrap(),
            Route::Many(vec![trace.clone()])
        );
        let folder = [dir.path().to_path_buf()];
        assert_eq!(
            route(&folder, dir.path(), None).unwrap(),
            Route::Many(vec![trace.clone()])
        );
        assert_eq!(
            route(&folder, Path::new("x.parquet"), None).unwrap(),
            Route::OneParquet(vec![trace.clone()])
        );
        assert!(
            route(&folder, Path::new("out"), None).is_err(),
            "no extension, no format"
        );
    }
}
