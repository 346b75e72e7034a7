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
    let options = match trace.logfile() {
        Some(l) => WriterOptions::from_logfile(l, trace.anchor_raw(), compress),
        None => WriterOptions {
            compress,
            ..WriterOptions::default()
        },
    };
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
    Ok((writer.finish(), summary))
}
