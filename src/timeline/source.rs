//! [`Source`]: one opened trace file with its own decoder, process table, header rows and
//! failure marks. A [`Timeline`](super::Timeline) merges several of them into one time order;
//! everything users see goes through the timeline, which numbers frames globally.

use std::path::{Path, PathBuf};

use super::Severity;
use super::columns::Columns;
use super::processes::ProcessTable;
use decode::manifest::SchemaRegistry;
use decode::{DecodedEvent, Decoder};
use etl::{self, Event, ProviderId, Trace};

/// Options for opening sources.
#[derive(Debug, Clone, Default)]
pub struct TimelineOptions {
    /// Extra manifest directory (`--parsers DIR`).
    pub parsers_dir: Option<PathBuf>,
    /// TMF directory for WPP messages (`--tmf DIR`).
    pub tmf_dir: Option<PathBuf>,
}

/// What a source is, for the user: its label (the `Source` field and column), where it came
/// from and which machine wrote it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceMeta {
    /// Short unique name: the file name, or `folder/file` when two sources share a file name.
    pub label: String,
    /// The file as the user named it.
    pub path: PathBuf,
    /// The capture machine's name, when the trace says it (`None` for ETL files: their
    /// header does not carry it).
    pub computer: Option<String>,
}

/// One opened trace file. Frames here are the file's own (0-based, its time order); the
/// timeline maps them to global frames.
pub struct Source {
    pub meta: SourceMeta,
    pub(super) trace: Trace,
    pub(super) decoder: Decoder,
    pub(super) processes: ProcessTable,
    /// Problems loading user manifests (`--parsers DIR`) and embedded schemas.
    pub parser_warnings: Vec<String>,
    /// Header rows (moved into the timeline when it is built).
    pub(super) columns: Columns,
    /// (local frame, severity), in time order (moved into the timeline when it is built).
    pub(super) marks: Vec<(u32, Severity)>,
}

impl Source {
    /// Opens, indexes and prepares the trace at `path`.
    pub fn open(
        path: impl AsRef<Path>,
        options: &TimelineOptions,
    ) -> Result<Source, etl::OpenError> {
        let path = path.as_ref();
        Ok(Source::from_trace(Trace::open(path)?, path, options))
    }

    /// Opens with a progress callback `(done, total)` in `[0, 1]` of this file's open:
    /// indexing the buffers takes the first 80 %, building the header rows, process names and
    /// failure marks the rest.
    pub fn open_with_progress(
        path: &Path,
        options: &TimelineOptions,
        progress: &(dyn Fn(f64) + Sync),
    ) -> Result<Source, etl::OpenError> {
        progress(0.0);
        let indexing = |done: u64, of: u64| progress(0.8 * done as f64 / of.max(1) as f64);
        let trace = Trace::open_with(
            path,
            etl::OpenOptions {
                prefix_bytes: None,
                progress: Some(&indexing),
            },
        )?;
        progress(0.8);
        let source = Source::build(trace, path, options, &|part| progress(part));
        progress(1.0);
        Ok(source)
    }

    /// Opens only the buffers that start in the file's first `prefix_bytes`.
    pub fn open_prefix(
        path: &Path,
        options: &TimelineOptions,
        prefix_bytes: u64,
    ) -> Result<Source, etl::OpenError> {
        let trace = Trace::open_with(
            path,
            etl::OpenOptions {
                prefix_bytes: Some(prefix_bytes),
                progress: None,
            },
        )?;
        Ok(Source::from_trace(trace, path, options))
    }

    /// Prepares an already indexed trace; `path` names it.
    pub fn from_trace(trace: Trace, path: &Path, options: &TimelineOptions) -> Source {
        Source::build(trace, path, options, &|_| {})
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    pub fn process_table(&self) -> &ProcessTable {
        &self.processes
    }

    /// Events of this file.
    pub fn len(&self) -> usize {
        self.trace.len()
    }

    pub fn is_empty(&self) -> bool {
        self.trace.is_empty()
    }

    /// [`Source::from_trace`], reporting the share of the whole open done (0.8 to 1.0).
    fn build(trace: Trace, path: &Path, options: &TimelineOptions, stage: &dyn Fn(f64)) -> Source {
        let (decoder, parser_warnings) = decoder_for(&trace, options);
        let columns = Columns::build(&trace);
        stage(0.9);
        // Only the events of a few providers matter for names and failure marks: select them
        // from the header rows instead of parsing every record again.
        let slot_ids: Vec<ProviderId> = columns.providers.iter().map(|slot| slot.id).collect();
        let slot_is = |test: &dyn Fn(ProviderId) -> bool| -> Vec<bool> {
            slot_ids.iter().map(|&id| test(id)).collect()
        };
        let naming = slot_is(&ProcessTable::names_processes);
        let processes = ProcessTable::build_from(
            columns
                .rows
                .iter()
                .enumerate()
                .filter(|(_, r)| naming[usize::from(r.provider)])
                .filter_map(|(f, _)| trace.event(f)),
            &decoder,
        );
        stage(0.95);
        let mut source = Source {
            meta: SourceMeta {
                label: file_label(path),
                path: path.to_path_buf(),
                computer: None,
            },
            trace,
            decoder,
            processes,
            parser_warnings,
            columns,
            marks: Vec::new(),
        };
        let text = slot_is(&|p| super::classify::is_text_provider(p));
        let kernel = slot_is(&|p| matches!(p, ProviderId::Kernel { .. }));
        source.marks = {
            use rayon::prelude::*;
            let s = &source;
            s.columns
                .rows
                .par_iter()
                .enumerate()
                .filter(|(_, r)| {
                    let slot = usize::from(r.provider);
                    text[slot] || (matches!(r.level, 1..=3) && !kernel[slot])
                })
                .filter_map(|(f, _)| s.classify(f).map(|sev| (f as u32, sev)))
                .collect()
        };
        source
    }

    /// Decodes one event of this file.
    pub fn decode(&self, e: &Event) -> DecodedEvent {
        self.decoder.decode(e)
    }

    /// UTC FILETIME of a local frame, without parsing the record.
    pub fn filetime(&self, frame: usize) -> Option<i64> {
        let entry = self.trace.index_entries().get(frame)?;
        Some(self.trace.clock().to_filetime(entry.timestamp))
    }
}

/// The decoder for one trace: builtin manifests, the user's `--parsers DIR` and `--tmf DIR`,
/// and the schemas the trace carries; with the problems met on the way.
fn decoder_for(trace: &Trace, options: &TimelineOptions) -> (Decoder, Vec<String>) {
    let mut registry = SchemaRegistry::builtin();
    let mut warnings = Vec::new();
    if let Some(dir) = &options.parsers_dir {
        match registry.load_dir(dir) {
            Ok(report) => {
                warnings.extend(report.skipped_files.iter().map(|e| format!("skipped: {e}")));
                warnings.extend(report.warnings.iter().map(|w| w.to_string()));
            }
            Err(e) => warnings.push(format!("{}: {e}", dir.display())),
        }
    }
    let mut decoder = Decoder::new(registry);
    if let Some(dir) = &options.tmf_dir {
        let (formats, problems) = decode::tmf::TmfSet::load_dir(dir);
        warnings.extend(problems.iter().map(|p| format!("TMF: {p}")));
        if formats.is_empty() {
            warnings.push(format!(
                "TMF: no message formats found in {} (expected *.tmf files from tracepdb)",
                dir.display()
            ));
        }
        decoder.set_tmf(formats);
    }
    decoder.learn(trace);
    warnings.extend(decoder.metadata_errors().iter().cloned());
    (decoder, warnings)
}

/// The file name of `path`, or the path itself when it has none.
fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Labels for sources that share a file name: `folder/file`, going up the path until the
/// labels differ (or the whole path when they never do).
pub(super) fn disambiguate(metas: &mut [SourceMeta]) {
    for depth in 1..=8 {
        let mut clash = false;
        let labels: Vec<String> = metas.iter().map(|m| m.label.clone()).collect();
        for (i, m) in metas.iter_mut().enumerate() {
            let same = labels
                .iter()
                .enumerate()
                .any(|(j, l)| j != i && *l == labels[i]);
            if same {
                clash = true;
                m.label = tail_of(&m.path, depth + 1);
            }
        }
        if !clash {
            return;
        }
    }
}

/// The last `n` components of `path`, joined with `/`.
fn tail_of(path: &Path, n: usize) -> String {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts[parts.len().saturating_sub(n)..].join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(path: &str) -> SourceMeta {
        SourceMeta {
            label: file_label(Path::new(path)),
            path: PathBuf::from(path),
            computer: None,
        }
    }

    #[test]
    fn labels_are_file_names_until_two_clash() {
        let mut metas = vec![
            meta("/cases/arr/NetTrace.etl"),
            meta("/cases/web01/NetTrace.etl"),
            meta("/cases/web01/other.etl"),
        ];
        disambiguate(&mut metas);
        let labels: Vec<&str> = metas.iter().map(|m| m.label.as_str()).collect();
        assert_eq!(
            labels,
            ["arr/NetTrace.etl", "web01/NetTrace.etl", "other.etl"]
        );
    }
}
