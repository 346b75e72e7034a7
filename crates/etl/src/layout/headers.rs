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
    pub version_word: u16,
    pub hook_id: u16,
    /// Thread and process ids (SYSTEM and COMPACT headers only).
    pub thread_process: Option<(u32, u32)>,
    pub timestamp: i64,
    /// Kernel and user time (full SYSTEM header only).
    pub cpu_times: Option<(u32, u32)>,
}

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
    pub event_type: u8,
    pub level: u8,
    pub version: u16,
    pub thread_id: u32,
    pub process_id: u32,
    pub timestamp: i64,
    pub guid: [u8; 16],
    pub cpu_or_context: u64,
    /// InstanceId, ParentInstanceId, ParentGuid (instance headers only).
    pub instance: Option<(u32, u32, [u8; 16])>,
}

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
    pub flags: u16,
    pub event_property: u16,
    pub thread_id: u32,
    pub process_id: u32,
    pub timestamp: i64,
    pub provider: [u8; 16],
    pub id: u16,
    pub version: u8,
    pub channel: u8,
    pub level: u8,
    pub opcode: u8,
    pub task: u16,
    pub keyword: u64,
    pub processor_time: u64,
    pub activity_id: [u8; 16],
}

pub const EVENT_HEADER_FLAG_EXTENDED_INFO: u16 = 0x0001;
pub const EVENT_HEADER_FLAG_STRING_ONLY: u16 = 0x0004;

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
    pub item_size: u16,
    pub ext_type: u16,
    pub linkage: u16,
    pub data_size: u16,
}

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
    pub message_number: u16,
    pub option_flags: u16,
    pub sequence: Option<u32>,
    pub guid: Option<[u8; 16]>,
    pub component_id: Option<u32>,
    pub timestamp: Option<i64>,
    pub thread_process: Option<(u32, u32)>,
    /// Offset of the first argument byte from the record start.
    pub args_offset: usize,
}

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
