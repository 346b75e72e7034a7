//! On-disk layouts of ETL structures, parsed with small nom functions.
//!
//! Everything here is pure: bytes in, plain values out. nom stays private to this module;
//! callers see [`LayoutError`] only. Offsets and sizes are those of `docs/etl-format.md`.

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::{le_i32, le_i64, le_u8, le_u16, le_u32, le_u64};

/// Size of `WMI_BUFFER_HEADER`.
pub const BUFFER_HEADER_LEN: usize = 0x48;

pub const BUFFER_FLAG_EVENTS_LOST: u16 = 0x0002;
pub const BUFFER_FLAG_BUFFER_LOST: u16 = 0x0004;
pub const BUFFER_FLAG_PROC_INDEX: u16 = 0x0020;
pub const BUFFER_FLAG_COMPRESSED: u16 = 0x0040;
/// Flag bits a real buffer header may carry; anything else means the header is not one.
pub const BUFFER_FLAG_KNOWN: u16 = 0x007F;
/// Highest `BufferType` value (ETW_BUFFER_TYPE_MAXIMUM).
pub const BUFFER_TYPE_MAX: u16 = 8;
pub const BUFFER_TYPE_HEADER: u16 = 4;

/// A layout that did not fit the bytes: what was being read and how many bytes it needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayoutError {
    pub what: &'static str,
    pub need: usize,
    pub have: usize,
}

impl std::fmt::Display for LayoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: need {} bytes, have {}",
            self.what, self.need, self.have
        )
    }
}

fn run<'a, T>(
    what: &'static str,
    need: usize,
    input: &'a [u8],
    mut parser: impl Parser<&'a [u8], Output = T, Error = nom::error::Error<&'a [u8]>>,
) -> Result<T, LayoutError> {
    parser
        .parse(input)
        .map(|(_, value)| value)
        .map_err(|_| LayoutError {
            what,
            need,
            have: input.len(),
        })
}

/// Takes the fixed-size head of a hot per-record layout in one length check. The record
/// headers below are read for every record while indexing and on every access, so they read
/// their fields at constant offsets of this array (plain loads) instead of one nom call per
/// field; the variable-length layouts further down use nom.
#[inline]
fn fixed<'a, const N: usize>(
    what: &'static str,
    input: &'a [u8],
) -> Result<&'a [u8; N], LayoutError> {
    input.first_chunk::<N>().ok_or(LayoutError {
        what,
        need: N,
        have: input.len(),
    })
}

#[inline]
fn u16_at<const N: usize>(bytes: &[u8; N], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

#[inline]
fn u32_at<const N: usize>(bytes: &[u8; N], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

#[inline]
fn u64_at<const N: usize>(bytes: &[u8; N], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

#[inline]
fn guid_at<const N: usize>(bytes: &[u8; N], at: usize) -> [u8; 16] {
    let mut guid = [0u8; 16];
    guid.copy_from_slice(&bytes[at..at + 16]);
    guid
}

fn guid_bytes(input: &[u8]) -> IResult<&[u8], [u8; 16]> {
    let (rest, bytes) = take(16usize)(input)?;
    let mut out = [0u8; 16];
    out.copy_from_slice(bytes);
    Ok((rest, out))
}

/// `WMI_BUFFER_HEADER` fields a reader needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferHeader {
    pub buffer_size: u32,
    pub saved_offset: u32,
    pub timestamp: i64,
    pub sequence: i64,
    /// Raw `ClientContext` (processor number/index and logger id).
    pub client_context: u32,
    pub state: u32,
    /// `Offset`/`FilledBytes`: end of valid (uncompressed) data from the buffer start.
    pub filled: u32,
    pub flags: u16,
    pub buffer_type: u16,
}

impl BufferHeader {
    pub fn is_compressed(&self) -> bool {
        self.flags & BUFFER_FLAG_COMPRESSED != 0
    }

    /// Processor of every record in the buffer.
    pub fn processor(&self) -> u16 {
        if self.flags & BUFFER_FLAG_PROC_INDEX != 0 {
            (self.client_context & 0x07FF) as u16
        } else {
            (self.client_context & 0xFF) as u16
        }
    }
}

pub fn buffer_header(input: &[u8]) -> Result<BufferHeader, LayoutError> {
    run("buffer header", BUFFER_HEADER_LEN, input, |i| {
        let (i, (buffer_size, saved_offset, _current, _refcount)) =
            (le_u32, le_u32, le_u32, le_i32).parse(i)?;
        let (i, (timestamp, sequence, _clock_or_next)) = (le_i64, le_i64, le_u64).parse(i)?;
        let (i, (client_context, state, filled, flags, buffer_type)) =
            (le_u32, le_u32, le_u32, le_u16, le_u16).parse(i)?;
        let (i, _padding) = take(16usize)(i)?;
        Ok((
            i,
            BufferHeader {
                buffer_size,
                saved_offset,
                timestamp,
                sequence,
                client_context,
                state,
                filled,
                flags,
                buffer_type,
            },
        ))
    })
}

/// The kinds of trace header a record can start with (`TRACE_HEADER_TYPE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HeaderKind {
    System32,
    System64,
    Compact32,
    Compact64,
    FullHeader32,
    FullHeader64,
    Instance32,
    Instance64,
    Perfinfo32,
    Perfinfo64,
    EventHeader32,
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

    pub fn is_kernel(self) -> bool {
        self.size_at_offset_4()
    }
}

/// What the first four bytes of a record say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// 0xFFFFFFFF filler: no more records in this buffer.
    EndOfBuffer,
    Record(HeaderKind),
    /// Something that is no known record kind.
    Unknown(u32),
}

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
    pub kind: HeaderKind,
    pub size: u16,
    /// Raw timestamp, `None` for WPP messages without one and error records.
    pub timestamp: Option<i64>,
}

/// Problems with a record's framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordFault {
    Layout(LayoutError),
    UnknownMarker(u32),
    /// Declared size smaller than the fixed header (or its extensions).
    SizeTooSmall {
        kind: HeaderKind,
        size: u16,
        min: usize,
    },
    /// Declared size runs past the end of the buffer's valid data.
    SizeBeyondBuffer {
        size: u16,
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

pub const WPP_SEQUENCE: u16 = 0x0001;
pub const WPP_GUID: u16 = 0x0002;
pub const WPP_COMPONENT_ID: u16 = 0x0004;
pub const WPP_TIMESTAMP: u16 = 0x0008;
pub const WPP_SYSTEM_INFO: u16 = 0x0020;
pub const WPP_POINTER32: u16 = 0x0040;
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

/// `TRACE_LOGFILE_HEADER` (payload of the EventTrace/Header record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogfileHeader {
    pub buffer_size: u32,
    pub version: u32,
    pub provider_version: u32,
    pub number_of_processors: u32,
    pub end_time: i64,
    pub timer_resolution: u32,
    pub maximum_file_size: u32,
    pub log_file_mode: u32,
    pub buffers_written: u32,
    pub pointer_size: u32,
    pub events_lost: u32,
    pub cpu_speed_mhz: u32,
    pub timezone_bias_minutes: i32,
    pub boot_time: i64,
    pub perf_freq: i64,
    pub start_time: i64,
    pub clock_type: u32,
    pub buffers_lost: u32,
    pub logger_name: String,
    pub log_file_name: String,
}

/// Parses the logfile header; `pointer_size` is that of the carrying record (4 or 8).
pub fn logfile_header(input: &[u8], pointer_size: u8) -> Result<LogfileHeader, LayoutError> {
    let p = usize::from(pointer_size);
    let fixed = 0x38 + 2 * p + 0xB0 + 0x20;
    let (
        buffer_size,
        version,
        provider_version,
        number_of_processors,
        end_time,
        timer_resolution,
        maximum_file_size,
        log_file_mode,
        buffers_written,
        _start_buffers,
        pointer_size_field,
        events_lost,
        cpu_speed_mhz,
    ) = run(
        "logfile header",
        fixed,
        input,
        (
            le_u32, le_u32, le_u32, le_u32, le_i64, le_u32, le_u32, le_u32, le_u32, le_u32, le_u32,
            le_u32, le_u32,
        ),
    )?;
    let tz_at = 0x38 + 2 * p;
    let timezone_bias_minutes = run(
        "logfile header time zone",
        fixed,
        input.get(tz_at..).unwrap_or_default(),
        le_i32,
    )?;
    let times_at = tz_at + 0xB0;
    let (boot_time, perf_freq, start_time, clock_type, buffers_lost) = run(
        "logfile header clock fields",
        fixed,
        input.get(times_at..).unwrap_or_default(),
        (le_i64, le_i64, le_i64, le_u32, le_u32),
    )?;
    let strings = input.get(fixed..).unwrap_or_default();
    let (logger_name, used) = utf16z(strings);
    let (log_file_name, _) = utf16z(strings.get(used..).unwrap_or_default());
    Ok(LogfileHeader {
        buffer_size,
        version,
        provider_version,
        number_of_processors,
        end_time,
        timer_resolution,
        maximum_file_size,
        log_file_mode,
        buffers_written,
        pointer_size: pointer_size_field,
        events_lost,
        cpu_speed_mhz,
        timezone_bias_minutes,
        boot_time,
        perf_freq,
        start_time,
        clock_type,
        buffers_lost,
        logger_name,
        log_file_name,
    })
}

/// A NUL-terminated UTF-16LE string and the bytes it used (terminator included). A lone
/// surrogate is kept visible as the text `\u{D800}`.
pub fn utf16z(input: &[u8]) -> (String, usize) {
    let units: Vec<u16> = input
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    let used = (units.len() * 2 + 2).min(input.len() - input.len() % 2);
    (crate::sanitize::utf16_escaping_surrogates(units), used)
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

    #[test]
    fn utf16z_handles_missing_terminator_and_odd_length() {
        let bytes = [b'a', 0, b'b', 0, 0, 0, b'c', 0];
        assert_eq!(utf16z(&bytes), ("ab".to_string(), 6));
        assert_eq!(utf16z(&[b'x', 0, b'y']), ("x".to_string(), 2));
        assert_eq!(utf16z(&[]), (String::new(), 0));
    }
}
