//! Record framing: the header kinds, what a record's marker says, and the prefix (kind, size,
//! timestamp) a walk reads from every record.

use super::{LayoutError, fixed, u16_at};

/// The kinds of trace header a record can start with (`TRACE_HEADER_TYPE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HeaderKind {
    /// Type 0x01: `SYSTEM_TRACE_HEADER` (0x20 bytes), 4-byte payload pointers.
    System32,
    /// Type 0x02: `SYSTEM_TRACE_HEADER` (0x20 bytes), 8-byte payload pointers.
    System64,
    /// Type 0x03: compact `SYSTEM_TRACE_HEADER` without CPU times (0x18 bytes), 4-byte pointers.
    Compact32,
    /// Type 0x04: compact `SYSTEM_TRACE_HEADER` without CPU times (0x18 bytes), 8-byte pointers.
    Compact64,
    /// Type 0x0A: classic `EVENT_TRACE_HEADER` (0x30 bytes), 4-byte pointers.
    FullHeader32,
    /// Type 0x14: classic `EVENT_TRACE_HEADER` (0x30 bytes), 8-byte pointers.
    FullHeader64,
    /// Type 0x0B: `EVENT_INSTANCE_GUID_HEADER` (0x48 bytes), 4-byte pointers.
    Instance32,
    /// Type 0x15: `EVENT_INSTANCE_GUID_HEADER` (0x48 bytes), 8-byte pointers.
    Instance64,
    /// Type 0x10: `PERFINFO_TRACE_HEADER` (0x10 bytes, no thread or process id), 4-byte pointers.
    Perfinfo32,
    /// Type 0x11: `PERFINFO_TRACE_HEADER` (0x10 bytes, no thread or process id), 8-byte pointers.
    Perfinfo64,
    /// Type 0x12: `EVENT_HEADER` (0x50 bytes) written by a 32-bit (WOW64) process.
    EventHeader32,
    /// Type 0x13: `EVENT_HEADER` (0x50 bytes) written by a 64-bit process.
    EventHeader64,
    /// WPP / TraceMessage record (top byte 0x90).
    Message,
    /// "Error while logging event" marker record.
    Error,
}

impl HeaderKind {
    /// The header type byte as stored (0x0F for WPP messages).
    pub fn type_code(self) -> u8 {
        match self {
            HeaderKind::System32 => 0x01,
            HeaderKind::System64 => 0x02,
            HeaderKind::Compact32 => 0x03,
            HeaderKind::Compact64 => 0x04,
            HeaderKind::FullHeader32 => 0x0A,
            HeaderKind::Instance32 => 0x0B,
            HeaderKind::Error => 0x0D,
            HeaderKind::Message => 0x0F,
            HeaderKind::Perfinfo32 => 0x10,
            HeaderKind::Perfinfo64 => 0x11,
            HeaderKind::EventHeader32 => 0x12,
            HeaderKind::EventHeader64 => 0x13,
            HeaderKind::FullHeader64 => 0x14,
            HeaderKind::Instance64 => 0x15,
        }
    }

    /// Name used in output and in `SOURCES.md` counts.
    pub fn name(self) -> &'static str {
        match self {
            HeaderKind::System32 => "SYSTEM32",
            HeaderKind::System64 => "SYSTEM64",
            HeaderKind::Compact32 => "COMPACT32",
            HeaderKind::Compact64 => "COMPACT64",
            HeaderKind::FullHeader32 => "FULL_HEADER32",
            HeaderKind::FullHeader64 => "FULL_HEADER64",
            HeaderKind::Instance32 => "INSTANCE32",
            HeaderKind::Instance64 => "INSTANCE64",
            HeaderKind::Perfinfo32 => "PERFINFO32",
            HeaderKind::Perfinfo64 => "PERFINFO64",
            HeaderKind::EventHeader32 => "EVENT_HEADER32",
            HeaderKind::EventHeader64 => "EVENT_HEADER64",
            HeaderKind::Message => "WPP_MESSAGE",
            HeaderKind::Error => "ERROR",
        }
    }

    /// Pointer width of the payload; `None` for WPP messages (their flags decide).
    pub fn pointer_size(self) -> Option<u8> {
        match self {
            HeaderKind::System32
            | HeaderKind::Compact32
            | HeaderKind::FullHeader32
            | HeaderKind::Instance32
            | HeaderKind::Perfinfo32
            | HeaderKind::EventHeader32 => Some(4),
            HeaderKind::System64
            | HeaderKind::Compact64
            | HeaderKind::FullHeader64
            | HeaderKind::Instance64
            | HeaderKind::Perfinfo64
            | HeaderKind::EventHeader64 => Some(8),
            HeaderKind::Message | HeaderKind::Error => None,
        }
    }

    /// Fixed header length before extensions and payload.
    pub fn fixed_len(self) -> usize {
        match self {
            HeaderKind::System32 | HeaderKind::System64 => 0x20,
            HeaderKind::Compact32 | HeaderKind::Compact64 => 0x18,
            HeaderKind::FullHeader32 | HeaderKind::FullHeader64 => 0x30,
            HeaderKind::Instance32 | HeaderKind::Instance64 => 0x48,
            HeaderKind::Perfinfo32 | HeaderKind::Perfinfo64 => 0x10,
            HeaderKind::EventHeader32 | HeaderKind::EventHeader64 => 0x50,
            HeaderKind::Message => 0x08,
            HeaderKind::Error => 0x08,
        }
    }

    /// Marker-first headers keep `Size` at +4; size-first ones at +0.
    fn size_at_offset_4(self) -> bool {
        matches!(
            self,
            HeaderKind::System32
                | HeaderKind::System64
                | HeaderKind::Compact32
                | HeaderKind::Compact64
                | HeaderKind::Perfinfo32
                | HeaderKind::Perfinfo64
        )
    }

    /// Whether this is a marker-first kernel header (SYSTEM, COMPACT, PERFINFO): `Size` at +4,
    /// `HookId` at +6, extension bytes announced by the version word.
    pub fn is_kernel(self) -> bool {
        self.size_at_offset_4()
    }
}

/// What the first four bytes of a record say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// 0xFFFFFFFF filler: no more records in this buffer.
    EndOfBuffer,
    /// A trace header of this kind (top byte 0xC0 with a known type, or 0x90 for WPP).
    Record(HeaderKind),
    /// Something that is no known record kind.
    Unknown(u32),
}

/// Classifies a record by its first four bytes read as a little-endian u32.
pub fn classify_marker(marker: u32) -> Marker {
    if marker == u32::MAX {
        return Marker::EndOfBuffer;
    }
    match marker >> 24 {
        0xC0 => {
            let kind = match (marker >> 16) & 0xFF {
                0x01 => HeaderKind::System32,
                0x02 => HeaderKind::System64,
                0x03 => HeaderKind::Compact32,
                0x04 => HeaderKind::Compact64,
                0x0A => HeaderKind::FullHeader32,
                0x0B => HeaderKind::Instance32,
                0x0D => HeaderKind::Error,
                0x10 => HeaderKind::Perfinfo32,
                0x11 => HeaderKind::Perfinfo64,
                0x12 => HeaderKind::EventHeader32,
                0x13 => HeaderKind::EventHeader64,
                0x14 => HeaderKind::FullHeader64,
                0x15 => HeaderKind::Instance64,
                _ => return Marker::Unknown(marker),
            };
            Marker::Record(kind)
        }
        0x90 => Marker::Record(HeaderKind::Message),
        _ => Marker::Unknown(marker),
    }
}

/// The minimum a walk needs from a record: kind, declared size, raw timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordPrefix {
    /// Header kind, from the marker.
    pub kind: HeaderKind,
    /// `Size`: the whole record in bytes (header, extensions and payload), without the padding
    /// to 8.
    pub size: u16,
    /// Raw timestamp, `None` for WPP messages without one and error records.
    pub timestamp: Option<i64>,
}

/// Problems with a record's framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordFault {
    /// The record's fixed header did not fit the bytes.
    Layout(LayoutError),
    /// The first four bytes (little-endian u32) are no known record marker, or the 0xFFFFFFFF
    /// filler.
    UnknownMarker(u32),
    /// Declared size smaller than the fixed header (or its extensions).
    SizeTooSmall {
        /// Kind of the record.
        kind: HeaderKind,
        /// Declared `Size`.
        size: u16,
        /// Bytes the header needs: the fixed length plus kernel extensions, or up to the end of
        /// the WPP timestamp item.
        min: usize,
    },
    /// Declared size runs past the end of the buffer's valid data.
    SizeBeyondBuffer {
        /// Declared `Size`.
        size: u16,
        /// Bytes of valid data left in the buffer from the record's start.
        remaining: usize,
    },
}

impl std::fmt::Display for RecordFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecordFault::Layout(e) => e.fmt(f),
            RecordFault::UnknownMarker(m) => write!(f, "unknown record marker 0x{m:08x}"),
            RecordFault::SizeTooSmall { kind, size, min } => write!(
                f,
                "{} record declares size {size}, smaller than its {min}-byte header",
                kind.name()
            ),
            RecordFault::SizeBeyondBuffer { size, remaining } => write!(
                f,
                "record declares size {size} but only {remaining} bytes remain in the buffer"
            ),
        }
    }
}

/// Extension bytes announced by a kernel header's version word (PEBS index, PMC counters).
pub fn kernel_header_extension_len(version_word: u16) -> usize {
    let pebs = if version_word & 0x8000 != 0 { 8 } else { 0 };
    let pmc = usize::from((version_word >> 8) & 0x07) * 8;
    pebs + pmc
}

/// `OptionFlags` TRACE_MESSAGE_SEQUENCE: a u32 sequence number item follows the header.
pub const WPP_SEQUENCE: u16 = 0x0001;
/// `OptionFlags` TRACE_MESSAGE_GUID: a 16-byte message GUID item follows.
pub const WPP_GUID: u16 = 0x0002;
/// `OptionFlags` TRACE_MESSAGE_COMPONENTID: a u32 component id item follows (instead of a
/// GUID).
pub const WPP_COMPONENT_ID: u16 = 0x0004;
/// `OptionFlags` TRACE_MESSAGE_TIMESTAMP: a u64 raw timestamp item follows.
pub const WPP_TIMESTAMP: u16 = 0x0008;
/// `OptionFlags` TRACE_MESSAGE_SYSTEMINFO: a u32 ThreadId and a u32 ProcessId item follow.
pub const WPP_SYSTEM_INFO: u16 = 0x0020;
/// `OptionFlags` TRACE_MESSAGE_POINTER32: no item; the arguments use 4-byte pointers.
pub const WPP_POINTER32: u16 = 0x0040;
/// `OptionFlags` TRACE_MESSAGE_POINTER64: no item; the arguments use 8-byte pointers.
pub const WPP_POINTER64: u16 = 0x0080;

/// Reads the framing of the record at the start of `input` (which ends at the buffer's
/// valid data). Cheap: this runs once per record while indexing.
pub fn record_prefix(input: &[u8]) -> Result<RecordPrefix, RecordFault> {
    let bytes = fixed::<8>("record marker", input).map_err(RecordFault::Layout)?;
    let head = (
        u16_at(bytes, 0),
        u16_at(bytes, 2),
        u16_at(bytes, 4),
        u16_at(bytes, 6),
    );
    let marker = u32::from(head.0) | (u32::from(head.1) << 16);
    let kind = match classify_marker(marker) {
        Marker::Record(kind) => kind,
        Marker::EndOfBuffer | Marker::Unknown(_) => return Err(RecordFault::UnknownMarker(marker)),
    };
    let size = if kind.size_at_offset_4() {
        head.2
    } else {
        head.0
    };
    let mut min = kind.fixed_len();
    if kind.is_kernel() {
        min += kernel_header_extension_len(head.0);
    }
    let timestamp = match kind {
        HeaderKind::Message => {
            let flags = head.3;
            let mut at = 8usize;
            for (bit, len) in [(WPP_SEQUENCE, 4), (WPP_GUID, 16), (WPP_COMPONENT_ID, 4)] {
                if flags & bit != 0 {
                    at += len;
                }
            }
            if flags & WPP_TIMESTAMP != 0 {
                min = min.max(at + 8);
                input
                    .get(at..at + 8)
                    .map(|b| i64::from_le_bytes(b.try_into().unwrap_or_default()))
            } else {
                None
            }
        }
        HeaderKind::Error => None,
        HeaderKind::Perfinfo32 | HeaderKind::Perfinfo64 => read_i64(input, 0x08),
        _ => read_i64(input, 0x10),
    };
    if usize::from(size) < min {
        return Err(RecordFault::SizeTooSmall { kind, size, min });
    }
    if usize::from(size) > input.len() {
        return Err(RecordFault::SizeBeyondBuffer {
            size,
            remaining: input.len(),
        });
    }
    Ok(RecordPrefix {
        kind,
        size,
        timestamp,
    })
}

fn read_i64(input: &[u8], at: usize) -> Option<i64> {
    let bytes = input.get(at..at.checked_add(8)?)?;
    Some(i64::from_le_bytes(bytes.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_markers() {
        assert_eq!(classify_marker(u32::MAX), Marker::EndOfBuffer);
        assert_eq!(
            classify_marker(0xC002_0002),
            Marker::Record(HeaderKind::System64)
        );
        assert_eq!(
            classify_marker(0xC013_06C0),
            Marker::Record(HeaderKind::EventHeader64)
        );
        assert_eq!(
            classify_marker(0x9000_003C),
            Marker::Record(HeaderKind::Message)
        );
        assert_eq!(classify_marker(0xC0FF_0000), Marker::Unknown(0xC0FF_0000));
        assert_eq!(classify_marker(0x1234_5678), Marker::Unknown(0x1234_5678));
    }

    #[test]
    fn kernel_extension_bits() {
        assert_eq!(kernel_header_extension_len(0x0002), 0);
        assert_eq!(kernel_header_extension_len(0x8002), 8);
        assert_eq!(kernel_header_extension_len(0x0302), 24);
        assert_eq!(kernel_header_extension_len(0x8702), 64);
    }

    #[test]
    fn record_prefix_of_system_record() {
        let mut rec = vec![0u8; 0x28];
        rec[..4].copy_from_slice(&0xC002_0003u32.to_le_bytes());
        rec[4..6].copy_from_slice(&0x28u16.to_le_bytes());
        rec[6..8].copy_from_slice(&0x0303u16.to_le_bytes());
        rec[0x10..0x18].copy_from_slice(&77i64.to_le_bytes());
        let p = record_prefix(&rec).unwrap();
        assert_eq!(p.kind, HeaderKind::System64);
        assert_eq!(p.size, 0x28);
        assert_eq!(p.timestamp, Some(77));
    }

    #[test]
    fn record_prefix_rejects_bad_sizes() {
        let mut rec = vec![0u8; 0x60];
        rec[..2].copy_from_slice(&0x40u16.to_le_bytes());
        rec[2] = 0x13;
        rec[3] = 0xC0;
        assert!(matches!(
            record_prefix(&rec),
            Err(RecordFault::SizeTooSmall { min: 0x50, .. })
        ));
        rec[..2].copy_from_slice(&0x70u16.to_le_bytes());
        assert!(matches!(
            record_prefix(&rec),
            Err(RecordFault::SizeBeyondBuffer {
                size: 0x70,
                remaining: 0x60
            })
        ));
        assert!(matches!(
            record_prefix(&rec[..3]),
            Err(RecordFault::Layout(LayoutError {
                need: 8,
                have: 3,
                ..
            }))
        ));
    }
}
