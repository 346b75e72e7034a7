//! A filtered .etl: the original session header (with its end time), the embedded schemas the
//! kept events need, the kernel process events (so process names still resolve), and the kept
//! records copied byte for byte.

use std::collections::HashSet;

use uuid::Uuid;

use decode::decoder::EVENT_METADATA_GUID;
use decode::event_info::{MetadataRecord, parse_metadata_record};
use etl::writer::{EtlWriter, WriterOptions};
use etl::{Event, HeaderKind, ProviderId, Trace};

/// What went into a filtered trace.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EtlExportSummary {
    pub kept_events: usize,
    pub schema_records: usize,
    /// Kernel process events (start, end, rundown) kept beside the selection so that
    /// `ProcessName`/`UTProcessName` still resolve in the exported file.
    pub context_records: usize,
}

/// Kernel Process group (start/end/rundown events name every process id).
const KERNEL_PROCESS_GROUP: u8 = 0x03;

/// Builds a filtered trace from the events `keep` selects (in time order).
pub fn filtered_etl(
    trace: &Trace,
    mut keep: impl FnMut(&Event) -> bool,
) -> Result<(Vec<u8>, EtlExportSummary), etl::writer::RecordTooLarge> {
    let compress = trace.buffers().iter().any(|b| b.is_compressed());
    // Every processor the buffers name keeps its number, even when a damaged header states
    // fewer processors (the writer would fold the others onto the first ones).
    let processors_seen = trace
        .buffers()
        .iter()
        .map(|b| b.header.processor().saturating_add(1))
        .max()
        .unwrap_or(1);
    let mut options = match trace.logfile() {
        Some(l) => WriterOptions::from_logfile(l, trace.anchor_raw(), compress),
        None => unknown_session(trace.anchor_raw(), compress),
    };
    options.processors = options.processors.max(processors_seen);
    let mut kept = Vec::new();
    let mut context = 0;
    let mut needed: HashSet<(Uuid, u16, u8)> = HashSet::new();
    let mut first_header_seen = false;
    for e in trace.events() {
        let is_logfile_header =
            e.header.kind.is_kernel() && e.header.hook_id == Some(0) && !first_header_seen;
        if is_logfile_header {
            first_header_seen = true;
            continue; // the writer writes the session header itself
        }
        if e.header.provider == ProviderId::Guid(EVENT_METADATA_GUID) {
            continue; // schemas are added below, only those needed
        }
        if keep(&e) {
            if let (ProviderId::Guid(g), HeaderKind::EventHeader32 | HeaderKind::EventHeader64) =
                (e.header.provider, e.header.kind)
            {
                needed.insert((g, e.header.id, e.header.version as u8));
            }
            kept.push((e, true));
        } else if e.header.provider
            == (ProviderId::Kernel {
                group: KERNEL_PROCESS_GROUP,
            })
        {
            kept.push((e, false));
            context += 1;
        }
    }
    if context == kept.len() {
        // Nothing selected: no process names to keep either.
        kept.clear();
        context = 0;
    }
    let mut writer = EtlWriter::new(options);
    let mut summary = EtlExportSummary::default();
    // Schemas first, so that any reader meets them before the events they describe.
    let mut needed_providers = HashSet::new();
    for e in trace.events() {
        if e.header.provider != ProviderId::Guid(EVENT_METADATA_GUID) {
            continue;
        }
        let wanted = match parse_metadata_record(e.header.opcode, e.payload()) {
            Ok(Some(MetadataRecord::Event(info))) => {
                let hit =
                    needed.contains(&(info.provider, info.descriptor.id, info.descriptor.version));
                if hit {
                    needed_providers.insert(info.provider);
                }
                hit
            }
            Ok(Some(MetadataRecord::Map(map))) => needed.iter().any(|(p, _, _)| *p == map.provider),
            _ => false,
        };
        if wanted {
            writer.push_raw_record(e.cpu, e.record)?;
            summary.schema_records += 1;
        }
    }
    for (e, _) in &kept {
        writer.push_raw_record(e.cpu, e.record)?;
    }
    summary.kept_events = kept.iter().filter(|(_, selected)| *selected).count();
    summary.context_records = context;
    // The damage of the input travels with the copy: BuffersLost counts the input's lost
    // buffers plus the buffers and regions this reader had to skip.
    let skipped = trace
        .issues()
        .iter()
        .filter(|i| i.skipped_bytes > 0 || i.kind == etl::IssueKind::MissingBuffers)
        .count();
    let lost = trace.logfile().map_or(0, |l| l.buffers_lost);
    writer.set_buffers_lost(lost.saturating_add(u32::try_from(skipped).unwrap_or(u32::MAX)));
    Ok((writer.finish(), summary))
}

/// Writer options for a trace whose header record is missing: nothing is invented. Names,
/// start time, clock and OS version stay empty or zero ("unknown"), as in the input; only the
/// layout fields a reader needs (buffer size, pointer size) are set.
fn unknown_session(anchor_raw: i64, compress: bool) -> WriterOptions {
    WriterOptions {
        processors: 1,
        start_time: 0,
        start_qpc: anchor_raw,
        perf_freq: 0,
        logger_name: String::new(),
        log_file_name: String::new(),
        os_version: (0, 0, 0),
        log_file_mode: 0,
        events_lost: 0,
        compress,
        clock_type: 0,
        cpu_speed_mhz: 0,
        timezone_bias_minutes: 0,
        ..WriterOptions::default()
    }
}
