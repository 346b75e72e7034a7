//! `etlview info`: what a trace is, what it holds, and what could not be read.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use etl::sanitize::for_terminal;
use etl::{self, Issue, Trace, format_filetime, kernel_groups};

#[derive(Debug, Serialize)]
pub struct ProviderCount {
    /// GUID, or `group:0xNN` for kernel records.
    pub key: String,
    pub name: Option<String>,
    pub events: usize,
    /// Events whose payload a schema decoded, by source (`manifest`, `mof`, ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub decoded_by: BTreeMap<String, usize>,
}

#[derive(Debug, Serialize)]
pub struct Skipped {
    pub buffers: usize,
    pub records: usize,
    pub bytes: usize,
    pub issues: Vec<Issue>,
}

#[derive(Debug, Serialize)]
pub struct InfoReport {
    pub file: String,
    /// The source's label on the timeline (the `Source` field), when opened as a source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub size_bytes: usize,
    pub logger_name: Option<String>,
    pub log_file_name: Option<String>,
    pub os_version: Option<String>,
    pub os_build: Option<u32>,
    pub log_layout_version: Option<String>,
    pub processors: Option<u32>,
    pub pointer_size: Option<u32>,
    pub clock: String,
    pub perf_freq: Option<i64>,
    pub log_file_mode: Option<String>,
    pub session_start: Option<String>,
    pub session_end: Option<String>,
    pub first_event: Option<String>,
    pub last_event: Option<String>,
    pub duration_seconds: f64,
    pub buffers: usize,
    pub compressed_buffers: usize,
    pub buffers_written_in_header: Option<u32>,
    pub events_lost: Option<u32>,
    pub buffers_lost: Option<u32>,
    pub buffers_flagged_events_lost: usize,
    /// Total number of events (records), EventTrace header records included.
    pub events: usize,
    pub header_kinds: BTreeMap<String, usize>,
    pub providers: Vec<ProviderCount>,
    pub skipped: Skipped,
}

const LOG_FILE_MODES: [(u32, &str); 20] = [
    (0x0000_0001, "SEQUENTIAL"),
    (0x0000_0002, "CIRCULAR"),
    (0x0000_0004, "APPEND"),
    (0x0000_0008, "NEWFILE"),
    (0x0000_0020, "PREALLOCATE"),
    (0x0000_0040, "NONSTOPPABLE"),
    (0x0000_0080, "SECURE"),
    (0x0000_0100, "REAL_TIME"),
    (0x0000_0400, "BUFFERING"),
    (0x0000_0800, "PRIVATE_LOGGER"),
    (0x0000_1000, "ADD_HEADER"),
    (0x0000_2000, "USE_KBYTES_FOR_SIZE"),
    (0x0001_0000, "RELOG"),
    (0x0002_0000, "PRIVATE_IN_PROC"),
    (0x0100_0000, "USE_PAGED_MEMORY"),
    (0x0200_0000, "SYSTEM_LOGGER"),
    (0x0400_0000, "COMPRESSED"),
    (0x0800_0000, "INDEPENDENT_SESSION"),
    (0x1000_0000, "NO_PER_PROCESSOR_BUFFERING"),
    (0x8000_0000, "ADDTO_TRIAGE_DUMP"),
];

fn mode_text(mode: u32) -> String {
    let names: Vec<&str> = LOG_FILE_MODES
        .iter()
        .filter(|(bit, _)| mode & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    if names.is_empty() {
        format!("{mode:#010x}")
    } else {
        format!("{mode:#010x} ({})", names.join(" | "))
    }
}

/// Name of a provider key when the reader alone knows it (kernel groups).
pub fn builtin_provider_name(key: &str) -> Option<String> {
    kernel_groups::provider_name_of_key(key)
}

/// Builds the report; `name_of` resolves provider keys to names (from manifests etc.).
pub fn report(
    trace: &Trace,
    file: &str,
    mut name_of: impl FnMut(&str) -> Option<String>,
    decoded_by: &BTreeMap<String, BTreeMap<String, usize>>,
) -> InfoReport {
    let mut kinds = BTreeMap::new();
    let mut providers: BTreeMap<String, usize> = BTreeMap::new();
    let (mut first, mut last) = (None, None);
    for e in trace.events() {
        *kinds.entry(e.header.kind.name().to_string()).or_insert(0) += 1;
        *providers.entry(e.header.provider.key()).or_insert(0) += 1;
        if e.header.timestamp != 0 {
            first.get_or_insert(e.filetime);
            last = Some(e.filetime);
        }
    }
    let mut providers: Vec<ProviderCount> = providers
        .into_iter()
        .map(|(key, events)| ProviderCount {
            name: builtin_provider_name(&key).or_else(|| name_of(&key)),
            decoded_by: decoded_by.get(&key).cloned().unwrap_or_default(),
            key,
            events,
        })
        .collect();
    providers.sort_by(|a, b| b.events.cmp(&a.events).then(a.key.cmp(&b.key)));
    let l = trace.logfile();
    let issues = trace.issues().to_vec();
    let skipped = Skipped {
        buffers: issues
            .iter()
            .filter(|i| {
                matches!(
                    i.kind,
                    etl::IssueKind::BadBufferHeader
                        | etl::IssueKind::DecompressionFailed
                        | etl::IssueKind::ExpansionBudgetExceeded
                )
            })
            .count(),
        records: issues
            .iter()
            .filter(|i| {
                matches!(
                    i.kind,
                    etl::IssueKind::BadRecord
                        | etl::IssueKind::TrailingGarbage
                        | etl::IssueKind::FillerBeforeEndOfData
                        | etl::IssueKind::RecordsPastEndOfData
                )
            })
            .count(),
        bytes: issues.iter().map(|i| i.skipped_bytes).sum(),
        issues,
    };
    InfoReport {
        file: file.to_string(),
        source: None,
        size_bytes: trace.file_bytes().len(),
        logger_name: l.map(|l| l.logger_name.clone()),
        log_file_name: l.map(|l| l.log_file_name.clone()),
        os_version: l.map(|l| format!("{}.{}", l.version & 0xFF, (l.version >> 8) & 0xFF)),
        os_build: l.map(|l| l.provider_version),
        log_layout_version: l.map(|l| format!("{}.{}", (l.version >> 16) & 0xFF, l.version >> 24)),
        processors: l.map(|l| l.number_of_processors),
        pointer_size: l.map(|l| l.pointer_size),
        clock: trace.clock().kind.name().to_string(),
        perf_freq: l.map(|l| l.perf_freq),
        log_file_mode: l.map(|l| mode_text(l.log_file_mode)),
        session_start: l.map(|l| format_filetime(l.start_time)),
        session_end: l
            .filter(|l| l.end_time != 0)
            .map(|l| format_filetime(l.end_time)),
        first_event: first.map(format_filetime),
        last_event: last.map(format_filetime),
        duration_seconds: match (first, last) {
            (Some(a), Some(b)) => (b - a) as f64 / 1e7,
            _ => 0.0,
        },
        buffers: trace.buffers().len(),
        compressed_buffers: trace.buffers().iter().filter(|b| b.is_compressed()).count(),
        buffers_written_in_header: l.map(|l| l.buffers_written),
        events_lost: l.map(|l| l.events_lost),
        buffers_lost: l.map(|l| l.buffers_lost),
        buffers_flagged_events_lost: trace
            .buffers()
            .iter()
            .filter(|b| {
                b.header.flags
                    & (etl::layout::BUFFER_FLAG_EVENTS_LOST | etl::layout::BUFFER_FLAG_BUFFER_LOST)
                    != 0
            })
            .count(),
        events: trace.len(),
        header_kinds: kinds,
        providers,
        skipped,
    }
}

/// The human-readable form of the report.
pub fn render_text(r: &InfoReport) -> String {
    let mut s = String::new();
    let na = || "-".to_string();
    let o = |v: &Option<String>| {
        v.as_deref()
            .map(for_terminal)
            .map(|c| c.into_owned())
            .unwrap_or_else(na)
    };
    let _ = writeln!(
        s,
        "File            {} ({} bytes)",
        for_terminal(&r.file),
        r.size_bytes
    );
    let _ = writeln!(s, "Logger          {}", o(&r.logger_name));
    let _ = writeln!(s, "Log file name   {}", o(&r.log_file_name));
    let _ = writeln!(
        s,
        "OS              {} build {} (log layout {})",
        o(&r.os_version),
        r.os_build.map(|b| b.to_string()).unwrap_or_else(na),
        o(&r.log_layout_version)
    );
    let _ = writeln!(
        s,
        "Processors      {}   pointer size {}",
        r.processors.map(|p| p.to_string()).unwrap_or_else(na),
        r.pointer_size.map(|p| p.to_string()).unwrap_or_else(na)
    );
    let _ = writeln!(
        s,
        "Clock           {}{}",
        r.clock,
        r.perf_freq
            .map(|f| format!(" ({f} Hz)"))
            .unwrap_or_default()
    );
    let _ = writeln!(s, "Log file mode   {}", o(&r.log_file_mode));
    let _ = writeln!(s, "Timeline start   {}", o(&r.session_start));
    let _ = writeln!(s, "Timeline end     {}", o(&r.session_end));
    let _ = writeln!(
        s,
        "Events          {} .. {} ({:.3} s)",
        o(&r.first_event),
        o(&r.last_event),
        r.duration_seconds
    );
    let _ = writeln!(
        s,
        "Buffers         {} ({} compressed; header says {} written)",
        r.buffers,
        r.compressed_buffers,
        r.buffers_written_in_header
            .map(|b| b.to_string())
            .unwrap_or_else(na)
    );
    let _ = writeln!(
        s,
        "Lost            {} events, {} buffers (header); {} buffers flagged lost events",
        r.events_lost.map(|b| b.to_string()).unwrap_or_else(na),
        r.buffers_lost.map(|b| b.to_string()).unwrap_or_else(na),
        r.buffers_flagged_events_lost
    );
    let _ = writeln!(s, "Event count     {}", r.events);
    let kinds: Vec<String> = r
        .header_kinds
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    let _ = writeln!(s, "Header kinds    {}", kinds.join(", "));
    let _ = writeln!(
        s,
        "Skipped         {} buffers, {} records, {} bytes",
        r.skipped.buffers, r.skipped.records, r.skipped.bytes
    );
    for issue in &r.skipped.issues {
        let _ = writeln!(s, "  - {}", for_terminal(&issue.to_string()));
    }
    let _ = writeln!(s, "\nProviders ({}):", r.providers.len());
    let _ = writeln!(
        s,
        "  {:>8}  {:<38}  {:<16}  name",
        "events", "provider", "decoded"
    );
    for p in &r.providers {
        let decoded: usize = p.decoded_by.values().sum();
        let coverage = if p.decoded_by.is_empty() {
            "-".to_string()
        } else {
            let by: Vec<&str> = p.decoded_by.keys().map(String::as_str).collect();
            format!(
                "{:.0}% {}",
                100.0 * decoded as f64 / p.events as f64,
                by.join("+")
            )
        };
        let _ = writeln!(
            s,
            "  {:>8}  {:<38}  {:<16}  {}",
            p.events,
            p.key,
            coverage,
            for_terminal(p.name.as_deref().unwrap_or(""))
        );
    }
    s
}

/// One report per source of the timeline, with provider names and decode coverage.
pub fn reports_for_timeline(timeline: &crate::timeline::Timeline) -> Vec<InfoReport> {
    let several = timeline.sources().len() > 1;
    timeline
        .sources()
        .iter()
        .map(|source| {
            let mut report = report_for_source(source, &source.meta.path.display().to_string());
            if !several {
                report.source = None;
            }
            report
        })
        .collect()
}

/// The report of one source (its own decoder: embedded schemas differ per file).
pub fn report_for_source(source: &crate::timeline::Source, file: &str) -> InfoReport {
    let trace = source.trace();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut decoded_by: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for e in trace.events() {
        let key = e.header.provider.key();
        let d = source.decode(&e);
        if let Some(n) = &d.provider_name {
            names.entry(key.clone()).or_insert_with(|| n.to_string());
        }
        *decoded_by
            .entry(key)
            .or_default()
            .entry(d.decoded_by.name().to_string())
            .or_insert(0) += 1;
    }
    for by in decoded_by.values_mut() {
        by.remove("none");
    }
    let mut report = report(trace, file, |k| names.get(k).cloned(), &decoded_by);
    report.source = Some(source.meta.label.clone());
    report
}

/// `info` over several sources: totals, then each source's report.
#[derive(Debug, Serialize)]
pub struct Combined<'a> {
    /// Events over every source.
    pub events: usize,
    pub first_event: Option<String>,
    pub last_event: Option<String>,
    /// Damaged regions skipped over every source.
    pub skipped_issues: usize,
    pub sources: &'a [InfoReport],
}

impl<'a> Combined<'a> {
    pub fn of(reports: &'a [InfoReport]) -> Combined<'a> {
        // ISO-8601 UTC strings of one format order like the times they name.
        let first = reports.iter().filter_map(|r| r.first_event.clone()).min();
        let last = reports.iter().filter_map(|r| r.last_event.clone()).max();
        Combined {
            events: reports.iter().map(|r| r.events).sum(),
            first_event: first,
            last_event: last,
            skipped_issues: reports.iter().map(|r| r.skipped.issues.len()).sum(),
            sources: reports,
        }
    }
}

/// The human-readable form of several sources: one section each, then the totals.
pub fn render_combined(reports: &[InfoReport]) -> String {
    let mut s = String::new();
    for (i, r) in reports.iter().enumerate() {
        let _ = writeln!(
            s,
            "== Source {} of {}: {} ==",
            i + 1,
            reports.len(),
            for_terminal(r.source.as_deref().unwrap_or(&r.file))
        );
        s.push_str(&render_text(r));
        s.push('\n');
    }
    let total = Combined::of(reports);
    let _ = writeln!(s, "== All {} sources ==", reports.len());
    let _ = writeln!(s, "Events:          {}", total.events);
    let _ = writeln!(
        s,
        "Time range:      {} .. {}",
        total.first_event.as_deref().unwrap_or("-"),
        total.last_event.as_deref().unwrap_or("-")
    );
    let _ = writeln!(s, "Damaged regions: {}", total.skipped_issues);
    s
}
