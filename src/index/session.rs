//! [`Session`]: one opened trace plus everything needed to show, filter and export it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use uuid::{Uuid, uuid};

use super::processes::ProcessTable;
use crate::analysis::{errors, trace_text};
use crate::decode::manifest::SchemaRegistry;
use crate::decode::value::{IntFormat, Value};
use crate::decode::{DecodedBy, DecodedEvent, Decoder};
use crate::etl::{self, Event, ProviderId, Trace};
use crate::export::{DecodedPart, EventRow};
use crate::filter::{self, FilterError};

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
            let (formats, problems) = crate::decode::tmf::TmfSet::load_dir(dir);
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
        let text = slot_is(
            &|p| matches!(p, ProviderId::Guid(g) if g == WINHTTP_PROVIDER || g == WEBIO_PROVIDER),
        );
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

    /// Failure and warning events, in time order.
    pub fn severity_marks(&self) -> &[(u32, Severity)] {
        &self.marks
    }

    /// Per-process counts, most events first.
    pub fn processes(&self) -> Vec<ProcessSummary> {
        let mut by_pid: std::collections::BTreeMap<u32, ProcessSummary> = Default::default();
        for (frame, row) in self.columns.rows.iter().enumerate() {
            let Some(pid) = row.process_id() else {
                continue;
            };
            let frame = frame as u32;
            let p = by_pid.entry(pid).or_insert_with(|| ProcessSummary {
                process_id: pid,
                ut_process_name: String::new(),
                events: 0,
                first_frame: frame,
                last_frame: frame,
                failures: 0,
                warnings: 0,
            });
            p.events += 1;
            p.last_frame = frame;
        }
        for &(frame, sev) in &self.marks {
            let pid = self
                .columns
                .rows
                .get(frame as usize)
                .and_then(|r| r.process_id());
            if let Some(p) = pid.and_then(|pid| by_pid.get_mut(&pid)) {
                match sev {
                    Severity::Failure => p.failures += 1,
                    Severity::Warning => p.warnings += 1,
                }
            }
        }
        let mut v: Vec<ProcessSummary> = by_pid.into_values().collect();
        for p in &mut v {
            let ts = self
                .trace
                .index_entries()
                .get(p.first_frame as usize)
                .map_or(0, |e| e.timestamp);
            p.ut_process_name = self.processes.ut_process_name(p.process_id, ts);
        }
        v.sort_by_key(|p| std::cmp::Reverse(p.events));
        v
    }

    /// Per-provider counts with event names, most events first.
    pub fn providers(&self) -> Vec<ProviderSummary> {
        use std::collections::BTreeMap;
        let slots = &self.columns.providers;
        // (slot, id-or-type) -> (count, first frame)
        let mut counts: BTreeMap<(u16, u16), (usize, usize)> = BTreeMap::new();
        for (frame, row) in self.columns.rows.iter().enumerate() {
            let classic = matches!(
                slots.get(usize::from(row.provider)).map(|s| s.id),
                Some(ProviderId::Kernel { .. })
            ) || self.event_is_classic(frame);
            let id = if classic {
                u16::from(row.opcode)
            } else {
                row.id
            };
            let entry = counts.entry((row.provider, id)).or_insert((0, frame));
            entry.0 += 1;
        }
        let mut v: Vec<ProviderSummary> = Vec::new();
        for (slot_index, slot) in slots.iter().enumerate() {
            let slot_index = slot_index as u16;
            let first = self.event(slot.first_frame as usize);
            let guid = first.and_then(|e| e.header.provider_guid());
            let name = first
                .and_then(|e| self.decode(&e).provider_name)
                .or_else(|| crate::cli::builtin_provider_name(&slot.id.key()))
                .unwrap_or_else(|| slot.id.key());
            let mut by_event: Vec<(u16, String, usize)> = counts
                .range((slot_index, 0)..=(slot_index, u16::MAX))
                .map(|(&(_, id), &(n, frame))| {
                    let event_name = self
                        .event(frame)
                        .and_then(|e| self.decode(&e).event_name)
                        .unwrap_or_else(|| id.to_string());
                    (id, event_name, n)
                })
                .collect();
            by_event.sort_by_key(|e| std::cmp::Reverse(e.2));
            let events = by_event.iter().map(|e| e.2).sum();
            let filter = match guid {
                Some(g) => format!("ProviderGuid == {{{g}}}"),
                None => format!("ProviderName == {}", quote(&name)),
            };
            v.push(ProviderSummary {
                key: slot.id.key(),
                name,
                events,
                by_event,
                filter,
            });
        }
        v.sort_by_key(|p| std::cmp::Reverse(p.events));
        v
    }

    fn event_is_classic(&self, frame: usize) -> bool {
        self.event(frame).is_some_and(|e| {
            matches!(
                e.header.kind,
                etl::HeaderKind::FullHeader32
                    | etl::HeaderKind::FullHeader64
                    | etl::HeaderKind::Instance32
                    | etl::HeaderKind::Instance64
            )
        })
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

    /// The output row of an event (header fields plus everything decoding adds).
    pub fn row(&self, frame: usize) -> Option<EventRow> {
        self.event(frame).map(|e| self.row_of(&e))
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

    pub fn row_of(&self, e: &Event) -> EventRow {
        let decoded = self.decode(e);
        self.row_with(e, &decoded)
    }

    /// The output row of an already decoded event.
    pub fn row_with(&self, e: &Event, d: &DecodedEvent) -> EventRow {
        let mut row = self.row_decoded(e, d);
        // Captured frames show their top protocol and a one-line summary, as Network Monitor did.
        if matches!(e.header.provider, ProviderId::Guid(g) if g == crate::packet::NDIS_PROVIDER || g == crate::packet::PKTMON_PROVIDER)
            && let Some(frame) = crate::packet::frame_of(self, e)
        {
            let summary = crate::packet::summarize(&frame);
            row.decoded.protocol = Some(summary.protocol);
            row.decoded.message = Some(summary.text);
        }
        row
    }

    fn row_decoded(&self, e: &Event, d: &DecodedEvent) -> EventRow {
        let mut row = EventRow::from_event(e);
        let fields = crate::export::RowFields(
            d.fields()
                .map(|(name, value)| (name.to_string(), value.clone()))
                .collect(),
        );
        row.decoded = DecodedPart {
            protocol: d.provider_name.as_deref().map(|n| self.protocol_name(n)),
            provider_name: d.provider_name.clone(),
            event_name: d.event_name.clone(),
            process: self.ut_process_name(e),
            // WinHTTP/WebIO trace-text events: the text is the message, as Network Monitor shows it.
            message: d
                .message
                .clone()
                .or_else(|| trace_text_of(d).map(str::to_string)),
            fields: (!fields.is_empty()).then_some(fields),
            decoded_by: Some(d.decoded_by.name()),
            decode_error: d.error.clone(),
        };
        row
    }

    /// Failure/warning classification of one event (error levels, WinHTTP failure lines,
    /// error mappings, fields holding known error codes).
    pub fn severity(&self, frame: usize) -> Option<Severity> {
        let at = self.marks.partition_point(|&(f, _)| (f as usize) < frame);
        match self.marks.get(at) {
            Some(&(f, s)) if f as usize == frame => Some(s),
            _ => None,
        }
    }

    fn classify(&self, frame: usize) -> Option<Severity> {
        let e = self.event(frame)?;
        let by_level = match e.header.level {
            1 | 2 if !e.header.kind.is_kernel() => Some(Severity::Failure),
            3 if !e.header.kind.is_kernel() => Some(Severity::Warning),
            _ => None,
        };
        let text_provider = matches!(e.header.provider, ProviderId::Guid(g) if g == WINHTTP_PROVIDER || g == WEBIO_PROVIDER);
        if !text_provider {
            return by_level;
        }
        let decoded = self.decode(&e);
        by_level.max(classify_decoded(&decoded))
    }

    /// The detail view of an event.
    pub fn detail(&self, frame: usize) -> Option<Detail> {
        let e = self.event(frame)?;
        let row = self.row_of(&e);
        let h = &e.header;
        let mut header: Vec<DetailField> = Vec::new();
        let mut push = |name: &str, value: String, term: Option<String>| {
            header.push(DetailField {
                depth: 0,
                name: name.to_string(),
                value,
                meaning: None,
                filter_term: term,
            })
        };
        push("Frame", row.frame.to_string(), None);
        push("Time", row.time.clone(), None);
        push("Header", row.header.to_string(), None);
        if let Some(p) = &row.provider {
            push(
                "Provider",
                p.clone(),
                Some(format!("ProviderGuid == {{{p}}}")),
            );
        }
        push("Id", h.id.to_string(), Some(format!("EventId == {}", h.id)));
        push("Version", h.version.to_string(), None);
        push(
            "Level",
            h.level.to_string(),
            Some(format!("Level == {}", h.level)),
        );
        push(
            "Opcode",
            h.opcode.to_string(),
            Some(format!("Opcode == {}", h.opcode)),
        );
        push(
            "Task",
            h.task.to_string(),
            Some(format!("Task == {}", h.task)),
        );
        push("Keyword", row.keyword.clone(), None);
        if let Some(pid) = h.process_id {
            push(
                "ProcessId",
                pid.to_string(),
                Some(format!("ProcessId == {pid}")),
            );
        }
        if let Some(tid) = h.thread_id {
            push(
                "ThreadId",
                tid.to_string(),
                Some(format!("ThreadId == {tid}")),
            );
        }
        push(
            "Processor",
            e.cpu.to_string(),
            Some(format!("Processor == {}", e.cpu)),
        );
        if let Some(a) = h.activity_id {
            push("ActivityId", a.to_string(), None);
        }
        let extended = e
            .extended_items()
            .map(|i| DetailField {
                depth: 0,
                name: etl::event::ext_type::name(i.ext_type).to_string(),
                value: format!("{} bytes", i.data.len()),
                meaning: None,
                filter_term: None,
            })
            .collect();
        let decoded = self.decode(&e);
        header.insert(
            3,
            DetailField {
                depth: 0,
                name: "Decoded by".into(),
                value: decoded.decoded_by.name().into(),
                meaning: None,
                filter_term: None,
            },
        );
        if let Some(p) = &decoded.provider_name {
            let protocol = self.protocol_name(p);
            header.insert(
                4,
                plain(
                    "ProviderName",
                    p,
                    Some(format!("ProviderName == {}", quote(p))),
                ),
            );
            header.insert(
                5,
                plain(
                    "ProtocolName",
                    &protocol,
                    Some(format!("ProtocolName == {}", quote(&protocol))),
                ),
            );
        }
        if let Some(n) = &decoded.event_name {
            header.push(plain(
                "EventName",
                n,
                Some(format!("EventName == {}", quote(n))),
            ));
        }
        if let Some(p) = self.ut_process_name(&e) {
            header.push(plain(
                "UTProcessName",
                &p,
                Some(format!("UTProcessName == {}", quote(&p))),
            ));
        }
        if let Some(m) = &decoded.message {
            header.push(plain("Message", m, None));
        }
        let mut fields = Vec::new();
        for (name, value) in decoded.fields() {
            flatten(&mut fields, 0, name, value);
        }
        if let Some(text) = trace_text_of(&decoded) {
            let line = trace_text::parse_line(text);
            if let Some(c) = line.component {
                fields.push(plain(
                    "Component",
                    c,
                    Some(format!("Component == {}", quote(c))),
                ));
            }
            if let Some(code) = trace_text::error_code(&line) {
                let mut f = plain(
                    "ErrorCode",
                    &code.to_string(),
                    Some(format!("ErrorCode == {code}")),
                );
                f.meaning = meaning_of(code);
                fields.push(f);
            }
            if let Some(m) = &line.mapping {
                let mut f = plain("MappedFrom", &m.from_code.to_string(), None);
                f.meaning = meaning_of(m.from_code);
                fields.push(f);
                let mut f = plain(
                    "MappedTo",
                    &m.to_code.to_string(),
                    Some(format!("MappedTo == {}", m.to_code)),
                );
                f.meaning = meaning_of(m.to_code);
                fields.push(f);
            }
        }
        Some(Detail {
            header,
            fields,
            extended,
            payload: e.payload().to_vec(),
            decode_error: decoded.error.clone(),
        })
    }

    /// Payload field and provider names present in this trace, for the filter compiler.
    pub fn catalog(&self) -> &filter::Catalog {
        self.catalog.get_or_init(|| {
            let mut catalog = filter::Catalog::default();
            let mut seen = std::collections::HashSet::new();
            for e in self.trace.events() {
                let h = &e.header;
                let key = (h.provider, h.id, h.version, h.opcode, h.kind);
                let tracelogging = h.extended.1 > h.extended.0;
                if !seen.insert(key) && !tracelogging {
                    continue;
                }
                if let Some(name) = self.decoder.provider_name(&e) {
                    let lower = name.to_lowercase();
                    if catalog.providers.insert(lower) {
                        catalog.display_names.push(name.clone());
                        let protocol = self.protocol_name(&name);
                        catalog.providers.insert(protocol.to_lowercase());
                        catalog.display_names.push(protocol);
                    }
                }
                if let Some(g) = h.provider_guid() {
                    catalog.providers.insert(g.to_string());
                }
                if let Some((schema, _)) = self.decoder.schema_for(&e) {
                    collect_field_names(&schema.fields, &mut catalog);
                }
            }
            catalog
        })
    }

    /// Parses and compiles a filter for this trace.
    pub fn compile_filter(&self, expr: &str) -> Result<filter::Compiled, FilterError> {
        let parsed = filter::parse(expr)?;
        filter::compile(&parsed, self.catalog())
    }

    /// Validates a filter expression without running it (for live validation as you type).
    pub fn check_filter(&self, expr: &str) -> Result<(), FilterError> {
        if expr.trim().is_empty() {
            return Ok(());
        }
        self.compile_filter(expr).map(|_| ())
    }

    /// Frames (0-based, time order) matching `expr`; an empty expression matches everything.
    /// Polls `cancel` and returns `Ok(None)` when it is set; reports progress as the number of
    /// events examined so far.
    pub fn filter(
        &self,
        expr: &str,
        cancel: &AtomicBool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Option<Vec<u32>>, FilterError> {
        if expr.trim().is_empty() {
            progress(self.len());
            return Ok(Some((0..self.len() as u32).collect()));
        }
        let compiled = self.compile_filter(expr)?;
        Ok(self.run_filter(&compiled, cancel, progress))
    }

    /// Runs a compiled filter over every event, on all cores, in chunks.
    pub fn run_filter(
        &self,
        compiled: &filter::Compiled,
        cancel: &AtomicBool,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Option<Vec<u32>> {
        use rayon::prelude::*;
        const CHUNK: usize = 1 << 16;
        let per_provider = |node: &filter::compile::Node| -> Vec<bool> {
            self.columns
                .providers
                .iter()
                .map(|slot| {
                    self.event(slot.first_frame as usize)
                        .is_some_and(|e| filter::eval::node_matches(self, e, node))
                })
                .collect()
        };
        if let Some(fast) = filter::fast::lower(&compiled.root, &per_provider) {
            let rows = &self.columns.rows;
            let chunks: Vec<Option<Vec<u32>>> = rows
                .par_chunks(CHUNK)
                .enumerate()
                .map(|(c, chunk)| {
                    if cancel.load(Ordering::Relaxed) {
                        return None;
                    }
                    let base = c * CHUNK;
                    let hits = chunk
                        .iter()
                        .enumerate()
                        .filter(|(i, row)| fast.matches(row, base + i))
                        .map(|(i, _)| (base + i) as u32)
                        .collect();
                    progress(base + chunk.len());
                    Some(hits)
                })
                .collect();
            let mut out = Vec::new();
            for c in chunks {
                out.extend(c?);
            }
            return Some(out);
        }
        let done = std::sync::atomic::AtomicUsize::new(0);
        let chunks: Vec<Option<Vec<u32>>> = (0..self.len().div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                if cancel.load(Ordering::Relaxed) {
                    return None;
                }
                let start = c * CHUNK;
                let end = (start + CHUNK).min(self.len());
                let hits = (start..end)
                    .filter(|&f| self.event(f).is_some_and(|e| compiled.matches(self, e)))
                    .map(|f| f as u32)
                    .collect();
                progress(done.fetch_add(end - start, Ordering::Relaxed) + end - start);
                Some(hits)
            })
            .collect();
        let mut out = Vec::new();
        for c in chunks {
            out.extend(c?);
        }
        Some(out)
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn plain(name: &str, value: &str, filter_term: Option<String>) -> DetailField {
    DetailField {
        depth: 0,
        name: name.to_string(),
        value: value.to_string(),
        meaning: None,
        filter_term,
    }
}

/// `SYMBOL: description` of an error code.
fn meaning_of(code: u32) -> Option<String> {
    errors::best_match(code).map(|c| format!("{}: {}", c.symbol, c.description))
}

/// The numeric error code held by a value typed as one (Win32 error, NTSTATUS, HRESULT).
fn error_value(value: &Value) -> Option<u32> {
    match value {
        Value::UInt {
            value,
            format: IntFormat::Win32Error | IntFormat::NtStatus | IntFormat::HResult,
            ..
        } => Some(*value as u32),
        Value::Int {
            value,
            format: IntFormat::Win32Error | IntFormat::NtStatus | IntFormat::HResult,
            ..
        } => Some(*value as u32),
        _ => None,
    }
}

/// Detail lines for a value; structs and arrays become indented children.
fn flatten(out: &mut Vec<DetailField>, depth: usize, name: &str, value: &Value) {
    match value {
        Value::Struct(members) => {
            out.push(DetailField {
                depth,
                name: name.to_string(),
                value: String::new(),
                meaning: None,
                filter_term: None,
            });
            for (n, v) in members {
                flatten(out, depth + 1, n, v);
            }
        }
        Value::Array(items)
            if items.len() <= 64 && items.iter().any(|v| matches!(v, Value::Struct(_))) =>
        {
            out.push(DetailField {
                depth,
                name: name.to_string(),
                value: format!("{} items", items.len()),
                meaning: None,
                filter_term: None,
            });
            for (i, v) in items.iter().enumerate() {
                flatten(out, depth + 1, &format!("[{i}]"), v);
            }
        }
        _ => {
            let shown = value.display();
            let meaning = error_value(value).filter(|&c| c != 0).and_then(meaning_of);
            let filter_term = (depth == 0).then(|| match value.as_u64() {
                Some(n) if !matches!(value, Value::Mapped { .. }) => format!("{name} == {n}"),
                _ => format!("{name} == {}", quote(&shown)),
            });
            out.push(DetailField {
                depth,
                name: name.to_string(),
                value: shown,
                meaning,
                filter_term,
            });
        }
    }
}

/// The free text of a WinHTTP/WebIO trace event (its message, else its first string field).
pub fn trace_text_of(d: &DecodedEvent) -> Option<&str> {
    if d.decoded_by == DecodedBy::None {
        return None;
    }
    d.message
        .as_deref()
        .filter(|m| m.contains("::"))
        .or_else(|| {
            d.fields()
                .find_map(|(_, v)| v.as_str().filter(|s| s.contains("::")))
        })
}

/// Severity from decoded content: WinHTTP trace-text failures and error-typed fields.
pub fn classify_decoded(d: &DecodedEvent) -> Option<Severity> {
    let from_text =
        trace_text_of(d).and_then(
            |t| match trace_text::classify(&trace_text::parse_line(t))? {
                trace_text::Severity::Failure => Some(Severity::Failure),
                trace_text::Severity::Warning => Some(Severity::Warning),
            },
        );
    let from_fields = d
        .fields()
        .filter_map(|(_, v)| error_value(v))
        .any(|c| c != 0 && c != 997 && c != 259)
        .then_some(Severity::Failure);
    from_text.max(from_fields)
}

fn collect_field_names(fields: &[crate::decode::schema::FieldDef], catalog: &mut filter::Catalog) {
    for f in fields {
        let lower = f.name.to_lowercase();
        if catalog.payload_fields.insert(lower) {
            catalog.display_names.push(f.name.clone());
        }
        collect_field_names(&f.members, catalog);
    }
}
