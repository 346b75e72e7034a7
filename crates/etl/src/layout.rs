//! On-disk layouts of ETL structures, parsed with small nom functions.
//!
//! Everything here is pure: bytes in, plain values out. nom stays private to this module;
//! callers see [`LayoutError`] only. Offsets and sizes are those of `docs/etl-format.md`.
//!
//! This file holds the shared helpers and the buffer header; record framing lives in
//! `record`, the per-kind record headers in `headers`, the logfile header in `logfile`.

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::{le_i32, le_i64, le_u16, le_u32, le_u64};

mod headers;
mod logfile;
mod record;

pub use headers::{
    ClassicHeader, EVENT_HEADER_FLAG_EXTENDED_INFO, EVENT_HEADER_FLAG_STRING_ONLY, EventHeader,
    ExtItemHeader, KernelHeader, MessageHeader, classic_header, event_header, ext_item_header,
    kernel_header, message_header,
};
pub use logfile::{LogfileHeader, logfile_header};
pub use record::{
    HeaderKind, Marker, RecordFault, RecordPrefix, WPP_COMPONENT_ID, WPP_GUID, WPP_POINTER32,
    WPP_POINTER64, WPP_SEQUENCE, WPP_SYSTEM_INFO, WPP_TIMESTAMP, classify_marker,
    kernel_header_extension_len, record_prefix,
};

/// Size of `WMI_BUFFER_HEADER`.
pub const BUFFER_HEADER_LEN: usize = 0x48;

/// `BufferFlag` EVENTS_LOST: events were lost around this buffer.
pub const BUFFER_FLAG_EVENTS_LOST: u16 = 0x0002;
/// `BufferFlag` BUFFER_LOST: buffers were lost.
pub const BUFFER_FLAG_BUFFER_LOST: u16 = 0x0004;
/// `BufferFlag` PROC_INDEX: `ClientContext` holds a 16-bit `ProcessorIndex` instead of the
/// 8-bit `ProcessorNumber`.
pub const BUFFER_FLAG_PROC_INDEX: u16 = 0x0020;
/// `BufferFlag` COMPRESSED: the bytes after the 72-byte header are a plain-LZ77 (XPRESS)
/// stream.
pub const BUFFER_FLAG_COMPRESSED: u16 = 0x0040;
/// Flag bits a real buffer header may carry; anything else means the header is not one.
pub const BUFFER_FLAG_KNOWN: u16 = 0x007F;
/// Highest `BufferType` value (ETW_BUFFER_TYPE_MAXIMUM).
pub const BUFFER_TYPE_MAX: u16 = 8;
/// `BufferType` HEADER: the first buffer of a file, which holds the logfile header record.
pub const BUFFER_TYPE_HEADER: u16 = 4;

/// A layout that did not fit the bytes: what was being read and how many bytes it needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayoutError {
    /// What was being read, e.g. `"buffer header"`.
    pub what: &'static str,
    /// Bytes the layout needs from the start of the input.
    pub need: usize,
    /// Bytes the input had.
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
/// headers (`record`, `headers`) are read for every record while indexing and on every access,
/// so they read their fields at constant offsets of this array (plain loads) instead of one nom
/// call per field; the variable-length layouts use nom.
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
    /// `BufferSize` (0x00): bytes this buffer occupies in the file, header included; for a
    /// compressed buffer the header plus the compressed stream. The next buffer starts after it.
    pub buffer_size: u32,
    /// `SavedOffset` (0x04): fill level saved at flush; usually equals `Offset` but may lag, so
    /// only a fallback.
    pub saved_offset: u32,
    /// `TimeStamp` (0x10): flush time, raw in the session clock (FILETIME in some merged files);
    /// an ordering hint only.
    pub timestamp: i64,
    /// `SequenceNumber` (0x18): buffer allocation sequence, not file order.
    pub sequence: i64,
    /// Raw `ClientContext` (processor number/index and logger id).
    pub client_context: u32,
    /// `State` (0x2C, `ETW_BUFFER_STATE`): 0 Free … 6 Placeholder; 3 (Flush) on disk.
    pub state: u32,
    /// `Offset`/`FilledBytes`: end of valid (uncompressed) data from the buffer start.
    pub filled: u32,
    /// `BufferFlag` (0x34): `BUFFER_FLAG_*` bits.
    pub flags: u16,
    /// `BufferType` (0x36): 0 GENERIC … 4 HEADER … 8 MAXIMUM.
    pub buffer_type: u16,
}

impl BufferHeader {
    /// Whether the `BufferFlag` COMPRESSED bit is set.
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

/// Reads the 72-byte `WMI_BUFFER_HEADER` at the start of `input`; does not check the values.
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
    fn utf16z_handles_missing_terminator_and_odd_length() {
        let bytes = [b'a', 0, b'b', 0, 0, 0, b'c', 0];
        assert_eq!(utf16z(&bytes), ("ab".to_string(), 6));
        assert_eq!(utf16z(&[b'x', 0, b'y']), ("x".to_string(), 2));
        assert_eq!(utf16z(&[]), (String::new(), 0));
    }
}
