//! Converting many traces to Parquet at once: one file per trace in a Hive-style layout
//! (`OUT/computer=NAME/STEM.parquet`, which DuckDB, Spark, Trino and ClickHouse read as a
//! `computer` partition column), files already converted skipped unless forced, traces
//! converted in parallel, and a trace that cannot be read reported without stopping the rest.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::output::PendingOutput;
use super::parquet::{self as pq, RowSource};
use crate::timeline::{Timeline, TimelineOptions};

/// What to convert and how.
#[derive(Debug, Clone, Default)]
pub struct ManyOptions {
    pub out_dir: PathBuf,
    /// Overwrite files already converted.
    pub force: bool,
    /// Display filter applied to every trace.
    pub filter: Option<String>,
    /// Computer name of every trace (the partition value), when the caller knows it.
    pub computer: Option<String>,
    pub session: TimelineOptions,
}

/// The partition value used when a trace's computer is unknown.
pub const UNKNOWN_COMPUTER: &str = "unknown";

/// What happened to one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Converted {
        output: PathBuf,
        events: usize,
        rows: usize,
        /// Damaged regions of the input that were skipped.
        damaged_regions: usize,
        damaged_bytes: usize,
    },
    /// The output exists already (no `--force`).
    AlreadyConverted {
        output: PathBuf,
    },
    Failed {
        reason: String,
    },
}

/// One input and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    pub input: PathBuf,
    pub outcome: Outcome,
}

/// Everything a run did.
#[derive(Debug, Clone, Default)]
pub struct ManySummary {
    pub files: Vec<FileReport>,
    pub elapsed: Duration,
}

impl ManySummary {
    pub fn converted(&self) -> impl Iterator<Item = &FileReport> {
        self.files
            .iter()
            .filter(|f| matches!(f.outcome, Outcome::Converted { .. }))
    }

    pub fn failed(&self) -> impl Iterator<Item = (&Path, &str)> {
        self.files.iter().filter_map(|f| match &f.outcome {
            Outcome::Failed { reason } => Some((f.input.as_path(), reason.as_str())),
            _ => None,
        })
    }

    pub fn skipped(&self) -> usize {
        self.files
            .iter()
            .filter(|f| matches!(f.outcome, Outcome::AlreadyConverted { .. }))
            .count()
    }

    /// Rows written over all converted files.
    pub fn rows(&self) -> usize {
        self.files
            .iter()
            .map(|f| match f.outcome {
                Outcome::Converted { rows, .. } => rows,
                _ => 0,
            })
            .sum()
    }

    /// The closing lines for stderr: files, events, damage, time, and every failure by name.
    pub fn render(&self, out_dir: &Path) -> String {
        use std::fmt::Write as _;
        let converted = self.converted().count();
        let damaged: Vec<(&Path, usize, usize)> = self
            .files
            .iter()
            .filter_map(|f| match f.outcome {
                Outcome::Converted {
                    damaged_regions,
                    damaged_bytes,
                    ..
                } if damaged_regions > 0 => {
                    Some((f.input.as_path(), damaged_regions, damaged_bytes))
                }
                _ => None,
            })
            .collect();
        let secs = self.elapsed.as_secs_f64();
        let rows = self.rows();
        let mut text = format!(
            "etlview: converted {converted} of {} trace(s) to {}: {rows} events in {secs:.1} s ({:.2} M events/s)",
            self.files.len(),
            out_dir.display(),
            rows as f64 / secs.max(1e-9) / 1e6
        );
        let skipped = self.skipped();
        if skipped > 0 {
            let _ = write!(
                text,
                "\netlview: {skipped} already converted, not redone (pass --force to redo)"
            );
        }
        for (input, regions, bytes) in &damaged {
            let _ = write!(
                text,
                "\netlview: warning: {}: {regions} damaged region(s) skipped ({bytes} bytes); see `etlview info`",
                show(input)
            );
        }
        let failed: Vec<_> = self.failed().collect();
        if !failed.is_empty() {
            let _ = write!(text, "\netlview: {} trace(s) failed:", failed.len());
            for (input, reason) in failed {
                let _ = write!(text, "\n  {}", failure_line(input, reason));
            }
        }
        text
    }
}

/// `INPUT: reason`, without naming the input twice when the reason already does.
pub fn failure_line(input: &Path, reason: &str) -> String {
    let shown = show(input);
    if reason.contains(&input.display().to_string()) {
        sanitize(reason)
    } else {
        format!("{shown}: {}", sanitize(reason))
    }
}

fn show(path: &Path) -> String {
    sanitize(&path.display().to_string())
}

fn sanitize(text: &str) -> String {
    etl::sanitize::for_terminal(text).into_owned()
}

/// Every trace named by `inputs`: files as given, folders searched (recursively) for `*.etl`,
/// each folder's traces in name order. A path that does not exist is an error.
pub fn discover(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input)
            .map_err(|e| format!("cannot read {}: {e}", input.display()))?;
        if meta.is_dir() {
            walk(input, &mut found)?;
        } else {
            found.push(input.clone());
        }
    }
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list folder {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        // symlink_metadata: a link to a folder is not followed (no loops).
        let Ok(meta) = path.symlink_metadata() else {
            continue;
        };
        if meta.is_dir() {
            walk(&path, found)?;
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("etl"))
        {
            found.push(path);
        }
    }
    Ok(())
}

/// A partition value safe as one path component: letters, digits, `-`, `_` and `.` kept,
/// anything else (separators, `=`, control characters) as `_`.
pub fn partition_value(name: &str) -> String {
    let value: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match value.trim_matches('.') {
        "" => UNKNOWN_COMPUTER.to_string(),
        _ => value,
    }
}

/// `OUT/computer=NAME/STEM.parquet`.
pub fn output_path(out_dir: &Path, computer: &str, input: &Path) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "trace".to_string());
    out_dir
        .join(format!("computer={}", partition_value(computer)))
        .join(format!("{}.parquet", partition_value(&stem)))
}

/// Converts every input, in parallel; `done` hears each file as it finishes.
pub fn convert_many(
    inputs: &[PathBuf],
    options: &ManyOptions,
    done: &(dyn Fn(&FileReport) + Sync),
) -> ManySummary {
    let start = Instant::now();
    let computer = options.computer.as_deref().unwrap_or(UNKNOWN_COMPUTER);
    // Two inputs of one run must not write the same output (the second would look converted).
    let mut first_claim: HashMap<PathBuf, &Path> = HashMap::new();
    let planned: Vec<(&PathBuf, PathBuf, Option<String>)> = inputs
        .iter()
        .map(|input| {
            let output = output_path(&options.out_dir, computer, input);
            let clash = match first_claim.get(&output) {
                Some(first) => Some(format!(
                    "writes the same output {} as {}: convert it in a separate run or rename it",
                    output.display(),
                    first.display()
                )),
                None => {
                    first_claim.insert(output.clone(), input);
                    None
                }
            };
            (input, output, clash)
        })
        .collect();
    let files = planned
        .into_par_iter()
        .map(|(input, output, clash)| {
            let outcome = match clash {
                Some(reason) => Outcome::Failed { reason },
                None => convert_one(input, &output, computer, options),
            };
            let report = FileReport {
                input: input.clone(),
                outcome,
            };
            done(&report);
            report
        })
        .collect();
    ManySummary {
        files,
        elapsed: start.elapsed(),
    }
}

fn convert_one(input: &Path, output: &Path, computer: &str, options: &ManyOptions) -> Outcome {
    if output.symlink_metadata().is_ok() && !options.force {
        return Outcome::AlreadyConverted {
            output: output.to_path_buf(),
        };
    }
    match try_convert(input, output, computer, options) {
        Ok(outcome) => outcome,
        Err(reason) => Outcome::Failed { reason },
    }
}

fn try_convert(
    input: &Path,
    output: &Path,
    computer: &str,
    options: &ManyOptions,
) -> Result<Outcome, String> {
    let timeline = Timeline::open(input, options.session.clone()).map_err(|e| e.to_string())?;
    let compiled = match options.filter.as_deref().filter(|f| !f.trim().is_empty()) {
        Some(expr) => Some(
            timeline
                .compile_filter(expr)
                .map_err(|e| format!("bad filter:\n{}", e.render(expr)))?,
        ),
        None => None,
    };
    if let Some(dir) = output.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create folder {}: {e}", dir.display()))?;
    }
    let mut pending = PendingOutput::create(output, &[input.to_path_buf()], options.force)
        .map_err(|e| e.to_string())?;
    let keep = |frame: usize| {
        compiled.as_ref().is_none_or(|c| {
            timeline
                .event(frame)
                .is_some_and(|e| c.matches(&timeline, e))
        })
    };
    let info = pq::source_info(&timeline, computer);
    let out = std::io::BufWriter::with_capacity(1 << 20, pending.writer());
    let summary = pq::write_parquet(&timeline, &info, out, &keep, &|_| {})
        .map_err(|e| format!("writing {}: {e}", output.display()))?;
    pending.commit().map_err(|e| e.to_string())?;
    let issues: Vec<&etl::Issue> = timeline
        .sources()
        .iter()
        .flat_map(|s| s.trace().issues())
        .collect();
    Ok(Outcome::Converted {
        output: output.to_path_buf(),
        events: RowSource::len(&timeline),
        rows: summary.rows,
        damaged_regions: issues.len(),
        damaged_bytes: issues.iter().map(|i| i.skipped_bytes).sum(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_values_are_one_safe_path_component() {
        assert_eq!(partition_value("WEB01"), "WEB01");
        assert_eq!(partition_value("web-01.contoso.com"), "web-01.contoso.com");
        assert_eq!(partition_value("../etc"), ".._etc");
        assert_eq!(partition_value("a=b/c\x1b[31m"), "a_b_c__31m");
        assert_eq!(partition_value(".."), UNKNOWN_COMPUTER);
        assert_eq!(partition_value(""), UNKNOWN_COMPUTER);
    }

    #[test]
    fn outputs_follow_the_hive_layout() {
        let out = output_path(Path::new("out"), "WEB01", Path::new("/x/y/trace 1.etl"));
        assert_eq!(out, Path::new("out/computer=WEB01/trace_1.parquet"));
    }

    #[test]
    fn folders_are_searched_for_traces_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        for name in ["b.etl", "a.ETL", "notes.txt", "sub/c.etl"] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        let found = discover(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().to_path_buf())
            .collect();
        assert_eq!(
            names,
            [
                Path::new("a.ETL"),
                Path::new("b.etl"),
                Path::new("sub/c.etl")
            ]
        );
        assert!(discover(&[dir.path().join("missing")]).is_err());
    }
}
