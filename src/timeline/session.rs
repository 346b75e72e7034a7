//! [`Session`]: one opened trace plus everything needed to show, filter and export it.
//!
//! This file holds the session's types, opening and accessors; the views over it live in
//! submodules: `summary` (processes, providers), `rows`, `detail`, `classify` (failure marks)
//! and `filtering`.

use std::path::{Path, PathBuf};

use uuid::{Uuid, uuid};

use super::processes::ProcessTable;
use crate::filter;
use decode::manifest::SchemaRegistry;
use decode::{DecodedEvent, Decoder};
use etl::{self, Event, ProviderId, Trace};

mod classify;
mod detail;
mod filtering;
mod rows;
mod summary;

pub use classify::{classify_decoded, trace_text_of};

/// How bad an event looks to a troubleshooter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Failure,
}

/// Options for opening a session.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// Extra manifest directory (`--parsers DIR`).
    pub parsers_dir: Option<PathBuf>,
    /// TMF directory for WPP messages (`--tmf DIR`).
    pub tmf_dir: Option<PathBuf>,
}

/// One line of the detail view: a label, its value, nesting depth, and (when known) the
/// meaning of an error code it holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DetailField {
    pub depth: usize,
    pub name: String,
    pub value: String,
    /// `SYMBOL: description` when the value is a known error code.
    pub meaning: Option<String>,
    /// A filter term selecting events with this value, e.g. `ProcessId == 1432`.
    pub filter_term: Option<String>,
}

/// Everything the detail pane shows for one event.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Detail {
    pub header: Vec<DetailField>,
    pub fields: Vec<DetailField>,
    pub extended: Vec<DetailField>,
    pub payload: Vec<u8>,
    pub decode_error: Option<String>,
}

/// Events per process, for the processes view.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProcessSummary {
    pub process_id: u32,
    /// `name (pid)` as Network Monitor shows it, or `(pid)`.
    pub ut_process_name: String,
    pub events: usize,
    pub first_frame: u32,
    pub last_frame: u32,
    pub failures: usize,
    pub warnings: usize,
}

/// Events per provider and event id, for the providers view.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProviderSummary {
    /// Provider key (GUID or `group:0xNN`).
    pub key: String,
    pub name: String,
    pub events: usize,
    /// (event id or kernel opcode, event name, count), most frequent first.
    pub by_event: Vec<(u16, String, usize)>,
    /// A filter expression selecting this provider's events.
    pub filter: String,
}

pub const WINHTTP_PROVIDER: Uuid = uuid!("7d44233d-3055-4b9c-ba64-0d47ca40a232");
pub const WEBIO_PROVIDER: Uuid = uuid!("50b3e73c-9370-461d-bb9f-26f32d68887d");

/// An opened trace with decoding and filtering.
pub struct Session {
    trace: Trace,
    #[allow(dead_code)]
    options: SessionOptions,
    decoder: Decoder,
    processes: ProcessTable,
    /// Problems loading user manifests (`--parsers DIR`), for the user to see.
    pub parser_warnings: Vec<String>,
    /// (frame, severity) of every event that looks like a failure or warning, in time order.
    marks: Vec<(u32, Severity)>,
    /// Compact header rows for fast filtering.
    columns: super::columns::Columns,
    /// ProtocolName by provider name, computed once per provider.
    protocol_names: std::sync::RwLock<std::collections::HashMap<String, String>>,
    /// Names filters may use in this trace (built on first use).
    catalog: std::sync::OnceLock<filter::Catalog>,
}

impl Session {
    /// Opens, indexes and prepares the trace at `path`.
    pub fn open(
        path: impl AsRef<Path>,
        options: SessionOptions,
    ) -> Result<Session, etl::OpenError> {
        Ok(Session::from_trace(Trace::open(path)?, options))
    }

    /// Opens with a progress callback `(done, total)`, in bytes of the file: indexing the
    /// buffers takes the first 80 %, building the header rows, process names and failure
    /// marks the rest. Called from the opening thread and rayon's, so a UI can open on a
    /// worker thread and show progress.
    pub fn open_with_progress(
        path: impl AsRef<Path>,
        options: SessionOptions,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<Session, etl::OpenError> {
        let total = std::fs::metadata(path.as_ref())
            .map(|m| m.len())
            .unwrap_or(0);
        let share = |part: f64| (total as f64 * part) as u64;
        progress(0, total);
        let indexing = |done: u64, of: u64| {
            progress(share(0.8 * done as f64 / of.max(1) as f64), total);
        };
        let trace = Trace::open_with(
            path,
            etl::OpenOptions {
                prefix_bytes: None,
                progress: Some(&indexing),
            },
        )?;
        progress(share(0.8), total);
        let session = Session::build(trace, options, &|part| progress(share(part), total));
        progress(total, total);
        Ok(session)
    }

    /// Opens a quick preview of a large file: only the buffers that start in its first
    /// `prefix_bytes`. `Ok(None)` when the file is no larger than that (open it whole).
    pub fn open_preview(
        path: impl AsRef<Path>,
        options: SessionOptions,
        prefix_bytes: u64,
    ) -> Result<Option<Session>, etl::OpenError> {
        let len = std::fs::metadata(path.as_ref())
            .map(|m| m.len())
            .unwrap_or(0);
        if len <= prefix_bytes {
            return Ok(None);
        }
        let trace = Trace::open_with(
            path,
            etl::OpenOptions {
                prefix_bytes: Some(prefix_bytes),
                progress: None,
            },
        )?;
        Ok(Some(Session::from_trace(trace, options)))
    }

    /// True when only the first part of the file is indexed ([`Session::open_preview`]).
    pub fn is_preview(&self) -> bool {
        self.trace.preview_of().is_some()
    }

    pub fn from_trace(trace: Trace, options: SessionOptions) -> Session {
        Session::build(trace, options, &|_| {})
    }

    /// [`Session::from_trace`], reporting the share of the whole open done (0.8 to 1.0).
    fn build(trace: Trace, options: SessionOptions, stage: &dyn Fn(f64)) -> Session {
        let mut registry = SchemaRegistry::builtin();
        let mut parser_warnings = Vec::new();
        if let Some(dir) = &options.parsers_dir {
            match registry.load_dir(dir) {
                Ok(report) => {
                    parser_warnings
                        .extend(report.skipped_files.iter().map(|e| format!("skipped: {e}")));
                    parser_warnings.extend(report.warnings.iter().map(|w| w.to_string()));
                }
                Err(e) => parser_warnings.push(format!("{}: {e}", dir.display())),
            }
        }
        let mut decoder = Decoder::new(registry);
        if let Some(dir) = &options.tmf_dir {
            let (formats, problems) = decode::tmf::TmfSet::load_dir(dir);
            parser_warnings.extend(problems.iter().map(|p| format!("TMF: {p}")));
            if formats.is_empty() {
                parser_warnings.push(format!(
                    "TMF: no message formats found in {} (expected *.tmf files from tracepdb)",
                    dir.display()
                ));
            }
            decoder.set_tmf(formats);
        }
        decoder.learn(&trace);
        parser_warnings.extend(decoder.metadata_errors().iter().cloned());
        let columns = super::columns::Columns::build(&trace);
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
        let mut session = Session {
            trace,
            options,
            decoder,
            processes,
            parser_warnings,
            columns,
            protocol_names: Default::default(),
            marks: Vec::new(),
            catalog: std::sync::OnceLock::new(),
        };
        let text = slot_is(&|p| classify::decodes_for_marks(&p));
        let kernel = slot_is(&|p| matches!(p, ProviderId::Kernel { .. }));
        session.marks = {
            use rayon::prelude::*;
            let s = &session;
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
        session
    }

    /// UTC FILETIME of a frame, without parsing the record (cheap: for timelines).
    pub fn filetime(&self, frame: usize) -> Option<i64> {
        let entry = self.trace.index_entries().get(frame)?;
        Some(self.trace.clock().to_filetime(entry.timestamp))
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.trace.len()
    }

    pub fn is_empty(&self) -> bool {
        self.trace.is_empty()
    }

    pub fn event(&self, frame: usize) -> Option<Event<'_>> {
        self.trace.event(frame)
    }

    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    pub fn process_table(&self) -> &ProcessTable {
        &self.processes
    }

    /// Decodes one event (payload fields, names, message).
    pub fn decode(&self, e: &Event) -> DecodedEvent {
        self.decoder.decode(e)
    }

    /// `name (pid)` of the event's process, as Network Monitor shows it.
    pub fn ut_process_name(&self, e: &Event) -> Option<String> {
        let pid = e.header.process_id?;
        Some(self.processes.ut_process_name(pid, e.header.timestamp))
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
        let p = self.decoder.registry().protocol_name(provider_name);
        if let Ok(mut m) = self.protocol_names.write() {
            m.insert(provider_name.to_string(), p.clone());
        }
        p
    }
}
