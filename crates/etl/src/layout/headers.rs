//! The per-kind record headers: kernel (SYSTEM / COMPACT / PERFINFO), classic, `EVENT_HEADER`,
//! extended data items and WPP `MESSAGE_TRACE_HEADER`.

use nom::number::complete::{le_i64, le_u8, le_u16, le_u32, le_u64};

use super::record::{
    HeaderKind, WPP_COMPONENT_ID, WPP_GUID, WPP_SEQUENCE, WPP_SYSTEM_INFO, WPP_TIMESTAMP,
};
use super::{LayoutError, fixed, guid_at, guid_bytes, run, u16_at, u32_at, u64_at};

/// Header of a kernel record (SYSTEM / COMPACT / PERFINFO).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelHeader {
    /// `Version` word (0x00): low byte the event (MOF class) version; bit 15 announces a PEBS
    /// index and bits 8–10 the number of PMC counters that follow the header.
    pub version_word: u16,
    /// `HookId` (0x06): `(Group << 8) | Type`, the kernel group and event type (opcode).
    pub hook_id: u16,
    /// Thread and process ids (SYSTEM and COMPACT headers only).
    pub thread_process: Option<(u32, u32)>,
    /// Raw timestamp in the session clock (`SystemTime` at 0x10; at 0x08 in PERFINFO headers).
    pub timestamp: i64,
    /// Kernel and user time (full SYSTEM header only).
    pub cpu_times: Option<(u32, u32)>,
}

/// Reads the kernel header of kind `kind` (a SYSTEM, COMPACT or PERFINFO kind) at the start of
/// `input`.
pub fn kernel_header(kind: HeaderKind, input: &[u8]) -> Result<KernelHeader, LayoutError> {
    let need = kind.fixed_len();
    match kind {
        HeaderKind::Perfinfo32 | HeaderKind::Perfinfo64 => {
            let b = fixed::<0x10>("perfinfo header", input)?;
            Ok(KernelHeader {
                version_word: u16_at(b, 0),
                hook_id: u16_at(b, 6),
                thread_process: None,
                timestamp: u64_at(b, 8) as i64,
                cpu_times: None,
            })
        }
        _ => {
            let b = fixed::<0x18>("system header", input).map_err(|e| LayoutError { need, ..e })?;
            let full = matches!(kind, HeaderKind::System32 | HeaderKind::System64);
            let cpu_times = if full {
                let t = fixed::<0x20>("system header cpu times", input)?;
                Some((u32_at(t, 0x18), u32_at(t, 0x1C)))
            } else {
                None
            };
            Ok(KernelHeader {
                version_word: u16_at(b, 0),
                hook_id: u16_at(b, 6),
                thread_process: Some((u32_at(b, 8), u32_at(b, 0x0C))),
                timestamp: u64_at(b, 0x10) as i64,
                cpu_times,
            })
        }
    }
}

/// `EVENT_TRACE_HEADER` (classic full header) and the instance variant's extra fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassicHeader {
    /// `Class.Type` (0x04): event type (opcode).
    pub event_type: u8,
    /// `Class.Level` (0x05).
    pub level: u8,
    /// `Class.Version` (0x06): MOF class version.
    pub version: u16,
    /// `ThreadId` (0x08).
    pub thread_id: u32,
    /// `ProcessId` (0x0C).
    pub process_id: u32,
    /// `TimeStamp` (0x10): raw, in the session clock.
    pub timestamp: i64,
    /// `Guid` (0x18): event class GUID, bytes as stored (Windows layout, `Uuid::from_bytes_le`).
    pub guid: [u8; 16],
    /// The 8 bytes at 0x28: `KernelTime` and `UserTime` (u32 each, low half first),
    /// `ProcessorTime`, or `ClientContext` and `Flags`.
    pub cpu_or_context: u64,
    /// InstanceId, ParentInstanceId, ParentGuid (instance headers only).
    pub instance: Option<(u32, u32, [u8; 16])>,
}

/// Reads the classic `EVENT_TRACE_HEADER` of kind `kind` (FULL_HEADER or INSTANCE) at the start
/// of `input`.
pub fn classic_header(kind: HeaderKind, input: &[u8]) -> Result<ClassicHeader, LayoutError> {
    let need = kind.fixed_len();
    let (_size, _htype, _flags, event_type, level, version, thread_id, process_id, timestamp) =
        run(
            "classic event header",
            need,
            input,
            (
                le_u16, le_u8, le_u8, le_u8, le_u8, le_u16, le_u32, le_u32, le_i64,
            ),
        )?;
    let (guid, cpu_or_context) = run(
        "classic event header guid",
        need,
        input.get(0x18..).unwrap_or_default(),
        (guid_bytes, le_u64),
    )?;
    let instance = if matches!(kind, HeaderKind::Instance32 | HeaderKind::Instance64) {
        Some(run(
            "instance header",
            need,
            input.get(0x30..).unwrap_or_default(),
            (le_u32, le_u32, guid_bytes),
        )?)
    } else {
        None
    };
    Ok(ClassicHeader {
        event_type,
        level,
        version,
        thread_id,
        process_id,
        timestamp,
        guid,
        cpu_or_context,
        instance,
    })
}

/// `EVENT_HEADER` (manifest, TraceLogging, EventSource events).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventHeader {
    /// `Flags` (0x04): `EVENT_HEADER_FLAG_*` bits; only EXTENDED_INFO is common on disk.
    pub flags: u16,
    /// `EventProperty` (0x06): 0x1 XML, 0x2 FORWARDED_XML, 0x4 LEGACY_EVENTLOG, 0x8 RELOGGABLE.
    pub event_property: u16,
    /// `ThreadId` (0x08).
    pub thread_id: u32,
    /// `ProcessId` (0x0C).
    pub process_id: u32,
    /// `TimeStamp` (0x10): raw, in the session clock.
    pub timestamp: i64,
    /// `ProviderId` (0x18): provider GUID, bytes as stored (Windows layout, `Uuid::from_bytes_le`).
    pub provider: [u8; 16],
    /// `EventDescriptor.Id` (0x28): event id.
    pub id: u16,
    /// `EventDescriptor.Version` (0x2A): event version.
    pub version: u8,
    /// `EventDescriptor.Channel` (0x2B): 11 for TraceLogging events.
    pub channel: u8,
    /// `EventDescriptor.Level` (0x2C): 1 Critical … 5 Verbose.
    pub level: u8,
    /// `EventDescriptor.Opcode` (0x2D).
    pub opcode: u8,
    /// `EventDescriptor.Task` (0x2E).
    pub task: u16,
    /// `EventDescriptor.Keyword` (0x30): keyword bit mask.
    pub keyword: u64,
    /// The 8 bytes at 0x38: `KernelTime` and `UserTime` (u32 ticks each, low half first), or one
    /// u64 `ProcessorTime` for private sessions and NO_CPUTIME events.
    pub processor_time: u64,
    /// `ActivityId` (0x40): activity GUID as stored, all zero when unused.
    pub activity_id: [u8; 16],
}

/// `Flags` bit EXTENDED_INFO: extended data items follow the 0x50-byte header.
pub const EVENT_HEADER_FLAG_EXTENDED_INFO: u16 = 0x0001;
/// `Flags` bit STRING_ONLY: the payload is one NUL-terminated UTF-16LE string.
pub const EVENT_HEADER_FLAG_STRING_ONLY: u16 = 0x0004;

/// Reads the 0x50-byte `EVENT_HEADER` at the start of `input` (record types 0x12 and 0x13).
pub fn event_header(input: &[u8]) -> Result<EventHeader, LayoutError> {
    let b = fixed::<0x50>("event header", input)?;
    Ok(EventHeader {
        flags: u16_at(b, 0x04),
        event_property: u16_at(b, 0x06),
        thread_id: u32_at(b, 0x08),
        process_id: u32_at(b, 0x0C),
        timestamp: u64_at(b, 0x10) as i64,
        provider: guid_at(b, 0x18),
        id: u16_at(b, 0x28),
        version: b[0x2A],
        channel: b[0x2B],
        level: b[0x2C],
        opcode: b[0x2D],
        task: u16_at(b, 0x2E),
        keyword: u64_at(b, 0x30),
        processor_time: u64_at(b, 0x38),
        activity_id: guid_at(b, 0x40),
    })
}

/// One on-disk extended data item header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtItemHeader {
    /// `ItemSize` (0x00): bytes of the whole item, this 8-byte header included; a multiple of 8.
    pub item_size: u16,
    /// `ExtType` (0x02): item type, see `event::ext_type`.
    pub ext_type: u16,
    /// `Linkage` (0x04): bit 0 set means another item follows.
    pub linkage: u16,
    /// `DataSize` (0x06): data bytes after the header, at most `ItemSize` − 8.
    pub data_size: u16,
}

/// Reads the 8-byte header of the extended data item at the start of `input`; sizes are not
/// checked here.
pub fn ext_item_header(input: &[u8]) -> Result<ExtItemHeader, LayoutError> {
    run(
        "extended data item",
        8,
        input,
        (le_u16, le_u16, le_u16, le_u16),
    )
    .map(|(item_size, ext_type, linkage, data_size)| ExtItemHeader {
        item_size,
        ext_type,
        linkage,
        data_size,
    })
}

/// `MESSAGE_TRACE_HEADER` and its optional items (WPP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageHeader {
    /// `MessageNumber` (0x04): message id within the message GUID (the TMF entry).
    pub message_number: u16,
    /// `OptionFlags` (0x06): `TRACE_MESSAGE_*` bits (`WPP_*`) that say which items follow.
    pub option_flags: u16,
    /// Sequence number item; `None` when TRACE_MESSAGE_SEQUENCE is clear.
    pub sequence: Option<u32>,
    /// Message GUID item (names the TMF file), bytes as stored; `None` when TRACE_MESSAGE_GUID is
    /// clear.
    pub guid: Option<[u8; 16]>,
    /// Component id item (instead of a GUID); `None` when TRACE_MESSAGE_COMPONENTID is clear.
    pub component_id: Option<u32>,
    /// Raw timestamp item in the session clock; `None` when TRACE_MESSAGE_TIMESTAMP is clear.
    pub timestamp: Option<i64>,
    /// `(ThreadId, ProcessId)` item; `None` when TRACE_MESSAGE_SYSTEMINFO is clear.
    pub thread_process: Option<(u32, u32)>,
    /// Offset of the first argument byte from the record start.
    pub args_offset: usize,
}

/// Reads the 8-byte `MESSAGE_TRACE_HEADER` at the start of `input` and the optional items its
/// `OptionFlags` announce, in their fixed order.
pub fn message_header(input: &[u8]) -> Result<MessageHeader, LayoutError> {
    let (_size, _reserved, _version, message_number, option_flags) = run(
        "message header",
        8,
        input,
        (le_u16, le_u8, le_u8, le_u16, le_u16),
    )?;
    let mut at = 8usize;
    let mut field = |len: usize, what: &'static str| -> Result<&[u8], LayoutError> {
        let bytes = input.get(at..at + len).ok_or(LayoutError {
            what,
            need: at + len,
            have: input.len(),
        })?;
        at += len;
        Ok(bytes)
    };
    let u32_of = |b: &[u8]| u32::from_le_bytes(b.try_into().unwrap_or_default());
    let sequence = if option_flags & WPP_SEQUENCE != 0 {
        Some(u32_of(field(4, "message sequence")?))
    } else {
        None
    };
    let guid = if option_flags & WPP_GUID != 0 {
        let mut g = [0u8; 16];
        g.copy_from_slice(field(16, "message guid")?);
        Some(g)
    } else {
        None
    };
    let component_id = if option_flags & WPP_COMPONENT_ID != 0 {
        Some(u32_of(field(4, "message component id")?))
    } else {
        None
    };
    let timestamp = if option_flags & WPP_TIMESTAMP != 0 {
        Some(i64::from_le_bytes(
            field(8, "message timestamp")?
                .try_into()
                .unwrap_or_default(),
        ))
    } else {
        None
    };
    let thread_process = if option_flags & WPP_SYSTEM_INFO != 0 {
        let b = field(8, "message system info")?;
        Some((u32_of(&b[..4]), u32_of(&b[4..])))
    } else {
        None
    };
    Ok(MessageHeader {
        message_number,
        option_flags,
        sequence,
        guid,
        component_id,
        timestamp,
        thread_process,
        args_offset: at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::record_prefix;

    #[test]
    fn wpp_prefix_reads_timestamp_after_guid() {
        let mut rec = vec![0u8; 0x3C];
        rec[..2].copy_from_slice(&0x3Cu16.to_le_bytes());
        rec[3] = 0x90;
        rec[4..6].copy_from_slice(&43u16.to_le_bytes());
        rec[6..8].copy_from_slice(&0x00AAu16.to_le_bytes());
        rec[0x18..0x20].copy_from_slice(&99i64.to_le_bytes());
        rec[0x20..0x24].copy_from_slice(&244u32.to_le_bytes());
        rec[0x24..0x28].copy_from_slice(&4u32.to_le_bytes());
        let p = record_prefix(&rec).unwrap();
        assert_eq!(p.kind, HeaderKind::Message);
        assert_eq!(p.timestamp, Some(99));
        let m = message_header(&rec).unwrap();
        assert_eq!(m.message_number, 43);
        assert_eq!(m.thread_process, Some((244, 4)));
        assert_eq!(m.args_offset, 0x28);
    }
}
