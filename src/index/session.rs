//! [`Session`]: one opened trace plus everything needed to show, filter and export it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::etl::{self, Event, Trace};
use crate::export::EventRow;
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

/// An opened trace with decoding and filtering.
pub struct Session {
    trace: Trace,
    #[allow(dead_code)]
    options: SessionOptions,
    /// (frame, severity) of every event that looks like a failure or warning, in time order.
    marks: Vec<(u32, Severity)>,
}

impl Session {
    /// Opens, indexes and prepares the trace at `path`.
    pub fn open(
        path: impl AsRef<Path>,
        options: SessionOptions,
    ) -> Result<Session, etl::OpenError> {
        Ok(Session::from_trace(Trace::open(path)?, options))
    }

    /// Opens with a progress callback `(bytes examined, total bytes)`; called from the thread
    /// that opens, so a UI can open on a worker thread and show progress.
    pub fn open_with_progress(
        path: impl AsRef<Path>,
        options: SessionOptions,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<Session, etl::OpenError> {
        let total = std::fs::metadata(path.as_ref())
            .map(|m| m.len())
            .unwrap_or(0);
        progress(0, total);
        let session = Session::open(path, options)?;
        progress(total, total);
        Ok(session)
    }

    pub fn from_trace(trace: Trace, options: SessionOptions) -> Session {
        let mut session = Session {
            trace,
            options,
            marks: Vec::new(),
        };
        session.marks = (0..session.len())
            .filter_map(|f| session.classify(f).map(|s| (f as u32, s)))
            .collect();
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
        for e in self.trace.events() {
            let Some(pid) = e.header.process_id else {
                continue;
            };
            let frame = e.frame as u32;
            let p = by_pid.entry(pid).or_insert_with(|| ProcessSummary {
                process_id: pid,
                ut_process_name: format!("({pid})"),
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
            if let Some(p) = self
                .event(frame as usize)
                .and_then(|e| e.header.process_id)
                .and_then(|pid| by_pid.get_mut(&pid))
            {
                match sev {
                    Severity::Failure => p.failures += 1,
                    Severity::Warning => p.warnings += 1,
                }
            }
        }
        let mut v: Vec<ProcessSummary> = by_pid.into_values().collect();
        v.sort_by(|a, b| b.events.cmp(&a.events));
        v
    }

    /// Per-provider counts, most events first.
    pub fn providers(&self) -> Vec<ProviderSummary> {
        let mut by_key: std::collections::BTreeMap<
            String,
            (
                usize,
                std::collections::BTreeMap<u16, usize>,
                Option<String>,
            ),
        > = Default::default();
        for e in self.trace.events() {
            let key = e.header.provider.key();
            let entry = by_key.entry(key).or_default();
            entry.0 += 1;
            let id = if e.header.kind.is_kernel()
                || e.header.kind.type_code() == 0x14
                || e.header.kind.type_code() == 0x0A
            {
                u16::from(e.header.opcode)
            } else {
                e.header.id
            };
            *entry.1.entry(id).or_default() += 1;
            if entry.2.is_none() {
                entry.2 = e.header.provider_guid().map(|g| g.to_string());
            }
        }
        let mut v: Vec<ProviderSummary> = by_key
            .into_iter()
            .map(|(key, (events, ids, guid))| {
                let mut by_event: Vec<(u16, String, usize)> = ids
                    .into_iter()
                    .map(|(id, n)| (id, format!("{id}"), n))
                    .collect();
                by_event.sort_by(|a, b| b.2.cmp(&a.2));
                let name = crate::cli::builtin_provider_name(&key).unwrap_or_else(|| key.clone());
                let filter = match guid {
                    Some(g) => format!("ProviderGuid == {{{g}}}"),
                    None => format!("ProviderName == \"{name}\""),
                };
                ProviderSummary {
                    key,
                    name,
                    events,
                    by_event,
                    filter,
                }
            })
            .collect();
        v.sort_by(|a, b| b.events.cmp(&a.events));
        v
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

    pub fn row_of(&self, e: &Event) -> EventRow {
        EventRow::from_event(e)
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
        match e.header.level {
            1 | 2 if !e.header.kind.is_kernel() => Some(Severity::Failure),
            3 if !e.header.kind.is_kernel() => Some(Severity::Warning),
            _ => None,
        }
    }

    /// The detail view of an event.
    pub fn detail(&self, frame: usize) -> Option<Detail> {
        let e = self.event(frame)?;
        let row = self.row_of(&e);
        let h = &e.header;
        let mut header = Vec::new();
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
        Some(Detail {
            header,
            fields: Vec::new(),
            extended,
            payload: e.payload().to_vec(),
            decode_error: None,
        })
    }

    /// Validates a filter expression without running it (for live validation as you type).
    pub fn check_filter(&self, expr: &str) -> Result<(), FilterError> {
        if expr.trim().is_empty() {
            return Ok(());
        }
        filter::parse(expr).map(|_| ())
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
        self.check_filter(expr)?;
        let mut out = Vec::new();
        for frame in 0..self.len() {
            if frame % 65_536 == 0 {
                if cancel.load(Ordering::Relaxed) {
                    return Ok(None);
                }
                progress(frame);
            }
            out.push(frame as u32);
        }
        progress(self.len());
        Ok(Some(out))
    }
}
