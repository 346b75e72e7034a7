//! The timeline: one or more sources (trace files today; logs and event logs next) merged into
//! one global time order, with frame numbers 1..N across all of them. Decoding, process names
//! and failure marks stay per source (pids of two machines never mix); the CLI, exports,
//! filters, diagnosis and the viewer all go through [`Timeline`].
//!
//! Submodules: `source` (one file), `merge` (the global order), `columns` (16-byte header rows
//! for fast filters), `catalog` (names filters may use), `classify` (failure marks),
//! `summary` (processes, providers, sources). Filtering itself is `filter::run`.

mod catalog;
mod classify;
pub mod columns;
mod merge;
mod processes;
mod source;
mod summary;

use std::path::{Path, PathBuf};
use std::sync::{OnceLock, RwLock};

pub use catalog::Catalog;
pub use classify::{
    WEBIO_PROVIDER, WINHTTP_PROVIDER, classify_decoded, error_value, trace_text_of,
};
pub use processes::ProcessTable;
pub use source::{Source, SourceMeta, TimelineOptions};
pub use summary::{ProcessSummary, ProviderSummary, SourceSummary, quote};

use decode::{DecodedEvent, Decoder};
use etl::{Event, Trace};

/// How bad an event looks to a troubleshooter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Failure,
}

/// Where a global frame lives: its source and its frame there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub source: u16,
    pub local: u32,
}

/// Several sources on one time axis.
pub struct Timeline {
    sources: Vec<Source>,
    /// Global frame -> source and local frame; empty when there is one source (identity).
    order: Vec<Slot>,
    /// Header rows of every event in global order (provider slots are per source).
    columns: columns::Columns,
    /// (global frame, severity) of every event that looks like a failure or warning.
    marks: Vec<(u32, Severity)>,
    /// ProtocolName by provider name, computed once per provider.
    protocol_names: RwLock<std::collections::HashMap<String, String>>,
    /// Names filters may use in any source (built on first use).
    catalog: OnceLock<Catalog>,
    /// Source labels, shared by the rows that carry them.
    labels: Vec<std::sync::Arc<str>>,
}

impl Timeline {
    /// Opens one trace file.
    pub fn open(
        path: impl AsRef<Path>,
        options: TimelineOptions,
    ) -> Result<Timeline, etl::OpenError> {
        Timeline::open_all(&[path.as_ref().to_path_buf()], options)
    }

    /// Opens every file and merges them into one time order.
    pub fn open_all(
        paths: &[PathBuf],
        options: TimelineOptions,
    ) -> Result<Timeline, etl::OpenError> {
        Timeline::open_all_with_progress(paths, options, &|_, _| {})
    }

    /// Opens one file with a progress callback `(done, total)` in bytes.
    pub fn open_with_progress(
        path: impl AsRef<Path>,
        options: TimelineOptions,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<Timeline, etl::OpenError> {
        Timeline::open_all_with_progress(&[path.as_ref().to_path_buf()], options, progress)
    }

    /// Opens every file, reporting progress `(done, total)` in bytes over all of them
    /// (called from the opening thread and rayon's).
    pub fn open_all_with_progress(
        paths: &[PathBuf],
        options: TimelineOptions,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<Timeline, etl::OpenError> {
        let sizes: Vec<u64> = paths
            .iter()
            .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
            .collect();
        let total: u64 = sizes.iter().sum();
        progress(0, total);
        let mut sources = Vec::with_capacity(paths.len());
        let mut before = 0u64;
        for (path, &size) in paths.iter().zip(&sizes) {
            let report = |part: f64| progress(before + (size as f64 * part) as u64, total);
            let source = Source::open_with_progress(path, &options, &report)?;
            sources.push(source);
            before += size;
        }
        let timeline = Timeline::from_sources(sources);
        progress(total, total);
        Ok(timeline)
    }

    /// Opens a quick preview of one large file: only the buffers that start in its first
    /// `prefix_bytes`. `Ok(None)` when the file is no larger than that (open it whole).
    pub fn open_preview(
        path: impl AsRef<Path>,
        options: TimelineOptions,
        prefix_bytes: u64,
    ) -> Result<Option<Timeline>, etl::OpenError> {
        let path = path.as_ref();
        let len = std::fs::metadata(path).map_or(0, |m| m.len());
        if len <= prefix_bytes {
            return Ok(None);
        }
        let source = Source::open_prefix(path, &options, prefix_bytes)?;
        Ok(Some(Timeline::from_sources(vec![source])))
    }

    /// One already indexed trace.
    pub fn from_trace(trace: Trace, options: TimelineOptions) -> Timeline {
        let path = trace
            .path()
            .map_or_else(|| PathBuf::from("trace"), Path::to_path_buf);
        Timeline::from_sources(vec![Source::from_trace(trace, &path, &options)])
    }

    /// Merges opened sources (in the order given: it breaks ties between equal times).
    pub fn from_sources(mut sources: Vec<Source>) -> Timeline {
        let mut metas: Vec<SourceMeta> = sources.iter().map(|s| s.meta.clone()).collect();
        source::disambiguate(&mut metas);
        for (s, m) in sources.iter_mut().zip(metas) {
            s.meta = m;
        }
        let merged = merge::merge(&mut sources);
        let labels = sources
            .iter()
            .map(|s| std::sync::Arc::from(s.meta.label.as_str()))
            .collect();
        Timeline {
            labels,
            sources,
            order: merged.order,
            columns: merged.columns,
            marks: merged.marks,
            protocol_names: Default::default(),
            catalog: OnceLock::new(),
        }
    }

    /// True when only the first part of a file is indexed ([`Timeline::open_preview`]).
    pub fn is_preview(&self) -> bool {
        self.sources.iter().any(|s| s.trace.preview_of().is_some())
    }

    /// Number of events over all sources.
    pub fn len(&self) -> usize {
        if self.order.is_empty() {
            self.sources.first().map_or(0, Source::len)
        } else {
            self.order.len()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// The source and local frame of a global frame.
    pub fn slot(&self, frame: usize) -> Option<Slot> {
        if self.order.is_empty() {
            (frame < self.len()).then_some(Slot {
                source: 0,
                local: frame as u32,
            })
        } else {
            self.order.get(frame).copied()
        }
    }

    /// The source holding a global frame.
    pub fn source_of(&self, frame: usize) -> Option<&Source> {
        let slot = self.slot(frame)?;
        self.sources.get(usize::from(slot.source))
    }

    /// The global frame of a source's local frame.
    pub fn global_frame(&self, source: usize, local: usize) -> Option<usize> {
        if self.order.is_empty() {
            return (source == 0 && local < self.len()).then_some(local);
        }
        // Each source's frames appear in the global order in their own order: the n-th slot
        // of that source (a scan: for occasional look-ups, no inverse table is kept).
        self.order
            .iter()
            .enumerate()
            .filter(|(_, s)| usize::from(s.source) == source)
            .nth(local)
            .map(|(g, _)| g)
    }

    /// The event at a global frame (its `frame` is the global one).
    pub fn event(&self, frame: usize) -> Option<Event<'_>> {
        let slot = self.slot(frame)?;
        let source = self.sources.get(usize::from(slot.source))?;
        let mut e = source.trace.event(slot.local as usize)?;
        e.frame = frame;
        Some(e)
    }

    /// Every event in global time order.
    pub fn events(&self) -> impl Iterator<Item = Event<'_>> + '_ {
        (0..self.len()).filter_map(|f| self.event(f))
    }

    /// UTC FILETIME of a global frame, without parsing the record (cheap: for timelines).
    pub fn filetime(&self, frame: usize) -> Option<i64> {
        let slot = self.slot(frame)?;
        self.sources
            .get(usize::from(slot.source))?
            .filetime(slot.local as usize)
    }

    /// The source of an event obtained from this timeline.
    fn source_of_event(&self, e: &Event) -> &Source {
        match self.slot(e.frame) {
            Some(slot) => &self.sources[usize::from(slot.source)],
            None => &self.sources[0],
        }
    }

    /// The decoder of the event's source (embedded schemas differ per file).
    pub fn decoder_of(&self, e: &Event) -> &Decoder {
        &self.source_of_event(e).decoder
    }

    /// The process table of the event's source.
    pub fn process_table_of(&self, e: &Event) -> &ProcessTable {
        &self.source_of_event(e).processes
    }

    /// The label of the event's source (the `Source` field).
    pub fn source_label(&self, e: &Event) -> &str {
        &self.source_of_event(e).meta.label
    }

    /// The label of the event's source, shared (for rows).
    pub fn source_arc(&self, e: &Event) -> std::sync::Arc<str> {
        let index = self.slot(e.frame).map_or(0, |s| usize::from(s.source));
        self.labels
            .get(index)
            .cloned()
            .unwrap_or_else(|| std::sync::Arc::from(""))
    }

    /// Decodes one event (payload fields, names, message).
    pub fn decode(&self, e: &Event) -> DecodedEvent {
        self.decoder_of(e).decode(e)
    }

    /// `name (pid)` of the event's process, as Network Monitor shows it.
    pub fn ut_process_name(&self, e: &Event) -> Option<String> {
        let pid = e.header.process_id?;
        Some(
            self.process_table_of(e)
                .ut_process_name(pid, e.header.timestamp),
        )
    }

    /// The process name (without pid) of the event's process.
    pub fn process_name(&self, e: &Event) -> Option<&str> {
        let pid = e.header.process_id?;
        self.process_table_of(e).name(pid, e.header.timestamp)
    }

    /// Network Monitor's ProtocolName of an event's provider.
    pub fn protocol_name(&self, provider_name: &str) -> String {
        if let Some(p) = self
            .protocol_names
            .read()
            .ok()
            .and_then(|m| m.get(provider_name).cloned())
        {
            return p;
        }
        let p = match self.sources.first() {
            Some(s) => s.decoder.registry().protocol_name(provider_name),
            None => provider_name.to_string(),
        };
        if let Ok(mut m) = self.protocol_names.write() {
            m.insert(provider_name.to_string(), p.clone());
        }
        p
    }

    /// Problems loading user manifests and embedded schemas, of every source.
    pub fn parser_warnings(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for s in &self.sources {
            for w in &s.parser_warnings {
                let w = if self.sources.len() > 1 && w.starts_with("frame ") {
                    format!("{}: {w}", s.meta.label)
                } else {
                    w.clone()
                };
                if seen.insert(w.clone()) {
                    out.push(w);
                }
            }
        }
        out
    }

    /// Damaged regions skipped while reading, over every source.
    pub fn issue_count(&self) -> usize {
        self.sources.iter().map(|s| s.trace.issues().len()).sum()
    }

    /// The header rows (global order) for fast filters and summaries.
    pub fn columns(&self) -> &columns::Columns {
        &self.columns
    }
}
