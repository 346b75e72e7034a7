//! The walk over an ETL file: buffers chained by their own size, records tiled inside each
//! buffer's valid data. Damage is skipped, counted and reported with its byte offset; the walk
//! always continues with whatever can still be read.

use super::layout::{self, BUFFER_HEADER_LEN, BufferHeader, HeaderKind, Marker, RecordFault};
use super::xpress;

/// Where a buffer's records live.
#[derive(Debug)]
pub enum BufferData {
    /// Bytes `[start, end)` of the file itself (uncompressed buffer).
    Mapped {
        /// First byte of the payload in the file.
        start: usize,
        /// One past its last byte (the buffer's end of data).
        end: usize,
    },
    /// Compressed stream at bytes `[start, end)` of the file, not yet expanded.
    Compressed {
        /// First byte of the compressed stream in the file.
        start: usize,
        /// One past its last byte.
        end: usize,
    },
    /// Decompressed payload of a compressed buffer.
    Expanded(Box<[u8]>),
    /// The payload could not be read (decompression failed); no records.
    Unreadable,
}

/// One buffer of the file.
#[derive(Debug)]
pub struct Buffer {
    /// File offset of the buffer header.
    pub file_offset: usize,
    /// The buffer's 72-byte header.
    pub header: BufferHeader,
    /// The buffer ran past the end of the file.
    pub truncated: bool,
    /// Where its records are.
    pub data: BufferData,
}

impl Buffer {
    /// Bytes after the 72-byte header up to the end of valid data.
    pub fn payload<'a>(&'a self, file: &'a [u8]) -> &'a [u8] {
        match &self.data {
            BufferData::Mapped { start, end } => file.get(*start..*end).unwrap_or_default(),
            BufferData::Expanded(bytes) => bytes,
            BufferData::Compressed { .. } | BufferData::Unreadable => &[],
        }
    }

    /// Expands a compressed buffer in place; returns the issue when it fails.
    pub fn expand(&mut self, file: &[u8], index: u32) -> Option<Issue> {
        let BufferData::Compressed { start, end } = self.data else {
            return None;
        };
        let stream = file.get(start..end).unwrap_or_default();
        let expected = (self.header.filled as usize).saturating_sub(BUFFER_HEADER_LEN);
        let mut out = Vec::new();
        match xpress::decompress(stream, expected, &mut out) {
            Ok(()) => {
                self.data = BufferData::Expanded(out.into_boxed_slice());
                None
            }
            Err(e) => {
                self.data = BufferData::Unreadable;
                Some(Issue {
                    kind: IssueKind::DecompressionFailed,
                    file_offset: self.file_offset,
                    buffer: Some(index),
                    payload_offset: None,
                    skipped_bytes: end - start + BUFFER_HEADER_LEN,
                    detail: format!("compressed buffer failed to expand: {e}"),
                })
            }
        }
    }

    /// True for an XPRESS-compressed buffer (expanded or not yet).
    pub fn is_compressed(&self) -> bool {
        self.header.is_compressed()
    }

    /// File offset of a payload byte, for reports. Inside compressed buffers the offset of the
    /// buffer header is the best file position there is.
    pub fn file_offset_of(&self, payload_offset: usize) -> usize {
        match self.data {
            BufferData::Mapped { start, .. } => start + payload_offset,
            _ => self.file_offset,
        }
    }
}

/// What kind of damage was met.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    /// Bytes between buffers that hold no valid buffer header; skipped to the next one.
    BadBufferHeader,
    /// A buffer whose size runs past the end of the file; read up to the end.
    TruncatedBuffer,
    /// A buffer whose declared size covers the header of the next buffer (a damaged size
    /// field); it is cut where that header starts, so the next buffer is still read.
    OverlappingBuffer,
    /// A compressed buffer that failed to expand; its records are lost.
    DecompressionFailed,
    /// A record whose framing is invalid; the rest of its buffer is skipped.
    BadRecord,
    /// Non-filler bytes after the last record that do not form a record.
    TrailingGarbage,
    /// Zero bytes where the buffer header says records continue (a zeroed page, or space
    /// preallocated and never written); read as the end of the buffer's records.
    ZeroFilledData,
    /// Filler bytes (`0xFF`) where the buffer header says records continue; read as the end
    /// of the buffer's records.
    FillerBeforeEndOfData,
    /// Records after the end of data the buffer header states (a lowered end-of-data field);
    /// they are not read, since the header disowns them.
    RecordsPastEndOfData,
    /// A buffer with the sequence number of an earlier buffer (a copy of it, or a damaged
    /// sequence number); its events are read, so they may appear twice.
    DuplicateBuffer,
    /// Fewer buffers than the logfile header's BuffersWritten (a file cut at a buffer
    /// boundary, or trailing buffers zeroed).
    MissingBuffers,
    /// No EventTrace header record at the start of the file: the session's clock, start time
    /// and processor count are unknown, so times are raw counter values.
    MissingHeaderRecord,
    /// A compressed buffer not expanded because the expanded bytes of the file would pass
    /// the budget allowed for a file of its size (a decompression bomb); its records are
    /// not read.
    ExpansionBudgetExceeded,
}

impl IssueKind {
    /// The kind as `info --json` names it (snake case), for messages and notes.
    pub fn name(&self) -> &'static str {
        match self {
            IssueKind::BadBufferHeader => "bad_buffer_header",
            IssueKind::TruncatedBuffer => "truncated_buffer",
            IssueKind::OverlappingBuffer => "overlapping_buffer",
            IssueKind::DecompressionFailed => "decompression_failed",
            IssueKind::BadRecord => "bad_record",
            IssueKind::TrailingGarbage => "trailing_garbage",
            IssueKind::ZeroFilledData => "zero_filled_data",
            IssueKind::FillerBeforeEndOfData => "filler_before_end_of_data",
            IssueKind::RecordsPastEndOfData => "records_past_end_of_data",
            IssueKind::DuplicateBuffer => "duplicate_buffer",
            IssueKind::MissingBuffers => "missing_buffers",
            IssueKind::MissingHeaderRecord => "missing_header_record",
            IssueKind::ExpansionBudgetExceeded => "expansion_budget_exceeded",
        }
    }
}

/// One reported problem: what, where (absolute file offset), and how many bytes it cost.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Issue {
    /// What went wrong.
    pub kind: IssueKind,
    /// Absolute file offset of the problem (for compressed buffers: of the buffer header).
    pub file_offset: usize,
    /// Index of the buffer concerned, when there is one.
    pub buffer: Option<u32>,
    /// Offset inside the buffer payload (after the 72-byte header), when inside a buffer.
    pub payload_offset: Option<usize>,
    /// Bytes skipped because of it: file bytes, except for damage found inside the expanded
    /// payload of a compressed buffer, where they count decompressed bytes (the damaged
    /// records have no file range of their own there).
    pub skipped_bytes: usize,
    /// The specifics, for a person: what was expected and what was found.
    pub detail: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at file offset {:#x}", self.file_offset)?;
        if let Some(b) = self.buffer {
            write!(f, " (buffer {b}")?;
            if let Some(o) = self.payload_offset {
                write!(f, ", payload offset {o:#x}")?;
            }
            write!(f, ")")?;
        }
        write!(
            f,
            ": {} ({} bytes skipped)",
            self.detail, self.skipped_bytes
        )
    }
}

/// True when `bytes` could be the start of a buffer header.
fn plausible_header(h: &BufferHeader, remaining: usize) -> bool {
    let size = h.buffer_size as usize;
    let filled = h.filled as usize;
    size >= BUFFER_HEADER_LEN
        && filled >= BUFFER_HEADER_LEN
        && (h.is_compressed() || filled <= size)
        && h.flags & !layout::BUFFER_FLAG_KNOWN == 0
        && h.buffer_type <= layout::BUFFER_TYPE_MAX
        // a compressed stream expands to at most a few MiB; bound it so that a wild value
        // cannot make us allocate without limit.
        && filled <= (16 << 20)
        && (size <= remaining || remaining >= BUFFER_HEADER_LEN)
}

/// Stricter check used when re-synchronising after damage: also require that the first
/// record of an uncompressed buffer looks like a record.
fn plausible_resync(file: &[u8], at: usize) -> bool {
    let Some(bytes) = file.get(at..) else {
        return false;
    };
    let Ok(h) = layout::buffer_header(bytes) else {
        return false;
    };
    if !plausible_header(&h, bytes.len()) || h.buffer_size as usize > bytes.len() {
        return false;
    }
    if h.is_compressed() {
        return h.state <= 6 && h.filled as usize > BUFFER_HEADER_LEN;
    }
    let first = bytes
        .get(BUFFER_HEADER_LEN..h.filled as usize)
        .unwrap_or_default();
    first.is_empty() || layout::record_prefix(first).is_ok()
}

/// Cheap test run before [`plausible_resync`] at every position of a scan: the size,
/// filled, flags and type fields of a header at `at` are in range.
fn may_be_header(file: &[u8], at: usize) -> bool {
    let u32_at = |o: usize| {
        file.get(at + o..at + o + 4)
            .and_then(|b| b.first_chunk::<4>())
            .map_or(0, |b| u32::from_le_bytes(*b))
    };
    let size = u32_at(0) as usize;
    let filled = u32_at(0x30) as usize;
    let flags_and_type = u32_at(0x34);
    let (flags, buffer_type) = (flags_and_type & 0xFFFF, flags_and_type >> 16);
    size >= BUFFER_HEADER_LEN
        && (BUFFER_HEADER_LEN..=16 << 20).contains(&filled)
        && flags & !u32::from(layout::BUFFER_FLAG_KNOWN) == 0
        && buffer_type <= u32::from(layout::BUFFER_TYPE_MAX)
}

/// Where the next buffer header starts inside the span `[at, end)` that the buffer at `at`
/// declares, if one does: then the declared size is damaged and would swallow that buffer.
/// Uncompressed buffers sit at multiples of the session buffer size, so only those places
/// are tried. Compressed buffers are packed at any byte, so their whole span is searched, but
/// only when the declared end is suspect: neither the end of the file nor the start of a
/// plausible buffer header (scanning every byte of every stream would cost more than
/// expanding it).
fn next_header_inside(
    file: &[u8],
    at: usize,
    end: usize,
    header: &BufferHeader,
    session_buffer_size: usize,
) -> Option<usize> {
    let found = |p: usize| may_be_header(file, p) && plausible_resync(file, p);
    if header.is_compressed() {
        let end_is_sound = end == file.len() || found(end);
        if end_is_sound {
            return None;
        }
        (at + BUFFER_HEADER_LEN..end).find(|&p| found(p))
    } else if session_buffer_size >= BUFFER_HEADER_LEN {
        (1..)
            .map(|k: usize| at.saturating_add(k.saturating_mul(session_buffer_size)))
            .take_while(|&p| p < end)
            .find(|&p| found(p))
    } else {
        None
    }
}

/// True when a plausible buffer header starts somewhere in the first `limit` bytes.
pub fn has_buffer_within(file: &[u8], limit: usize) -> bool {
    plausible_resync(file, 0)
        || (1..file.len().min(limit).saturating_sub(BUFFER_HEADER_LEN - 1))
            .any(|at| may_be_header(file, at) && plausible_resync(file, at))
}

/// Finds the next buffer header after damage: the nearest plausible one, so that no buffer
/// is jumped over (compressed and relogged files pack buffers at any offset). Live-session
/// files keep uncompressed buffers at multiples of the session buffer size; an uncompressed
/// candidate elsewhere must declare exactly that size, which bytes inside a damaged buffer
/// practically never do. Every byte is examined at most once per walk, so many damaged spots
/// cost linear time.
struct Resync {
    session_buffer_size: usize,
    /// Every position below this was tried; `found` is the plausible one, if any.
    tried_to: usize,
    found: Option<usize>,
}

impl Resync {
    fn new(session_buffer_size: usize) -> Self {
        Resync {
            session_buffer_size,
            tried_to: 0,
            found: None,
        }
    }

    /// The first plausible header after `from` (`from` never decreases between calls).
    fn next(&mut self, file: &[u8], from: usize) -> Option<usize> {
        if let Some(found) = self.found.filter(|&f| f > from) {
            return Some(found);
        }
        let end = file.len().saturating_sub(BUFFER_HEADER_LEN - 1);
        let start = (from + 1).max(self.tried_to);
        self.found = (start..end).find(|&at| self.candidate(file, at));
        self.tried_to = self.found.map_or(end, |at| at + 1);
        self.found
    }

    fn candidate(&self, file: &[u8], at: usize) -> bool {
        if !may_be_header(file, at) || !plausible_resync(file, at) {
            return false;
        }
        let stride = self.session_buffer_size;
        if stride < BUFFER_HEADER_LEN || at.is_multiple_of(stride) {
            return true;
        }
        let Some(header) = file.get(at..).and_then(|b| layout::buffer_header(b).ok()) else {
            return false;
        };
        header.is_compressed() || header.buffer_size as usize == stride
    }
}

/// Result of walking the buffer chain.
#[derive(Debug, Default)]
pub struct BufferWalk {
    /// The buffers found, in file order.
    pub buffers: Vec<Buffer>,
    /// What was skipped on the way.
    pub issues: Vec<Issue>,
}

/// Walks the buffer headers of the file. Compressed buffers are left for [`Buffer::expand`],
/// so that callers can expand them on a thread pool.
pub fn walk_buffers(file: &[u8], session_buffer_size: usize) -> BufferWalk {
    walk_buffers_before(file, session_buffer_size, usize::MAX)
}

/// [`walk_buffers`] for the buffers that start before file offset `stop` only (a preview of a
/// large file: the pages after it are not touched).
pub fn walk_buffers_before(file: &[u8], session_buffer_size: usize, stop: usize) -> BufferWalk {
    let mut walk = BufferWalk::default();
    let mut resync = Resync::new(session_buffer_size);
    let mut at = 0usize;
    while at + BUFFER_HEADER_LEN <= file.len() && at < stop {
        let rest = &file[at..];
        let header = match layout::buffer_header(rest) {
            Ok(h) if h.buffer_size == 0 && rest.iter().all(|&b| b == 0) => break,
            Ok(h) if plausible_header(&h, rest.len()) => h,
            _ => {
                let next = resync.next(file, at);
                let end = next.unwrap_or(file.len());
                if rest.iter().take(end - at).all(|&b| b == 0) && next.is_none() {
                    break; // zero-filled tail (preallocated or truncated file)
                }
                walk.issues.push(Issue {
                    kind: IssueKind::BadBufferHeader,
                    file_offset: at,
                    buffer: None,
                    payload_offset: None,
                    skipped_bytes: end - at,
                    detail: match next {
                        Some(n) => format!("no valid buffer header; resumed at offset {n:#x}"),
                        None => "no valid buffer header up to the end of the file".to_string(),
                    },
                });
                match next {
                    Some(n) => {
                        at = n;
                        continue;
                    }
                    None => break,
                }
            }
        };
        let size = header.buffer_size as usize;
        let declared_end = at + size.min(rest.len());
        let index = walk.buffers.len() as u32;
        let end = match next_header_inside(file, at, declared_end, &header, session_buffer_size) {
            Some(next) => {
                walk.issues.push(Issue {
                    kind: IssueKind::OverlappingBuffer,
                    file_offset: at,
                    buffer: Some(index),
                    payload_offset: None,
                    skipped_bytes: 0,
                    detail: format!(
                        "buffer declares {size} bytes but the next buffer header starts at offset {next:#x}; buffer cut there"
                    ),
                });
                next
            }
            None => declared_end,
        };
        let truncated = size > rest.len() && end == declared_end;
        if truncated {
            walk.issues.push(Issue {
                kind: IssueKind::TruncatedBuffer,
                file_offset: at,
                buffer: Some(index),
                payload_offset: None,
                skipped_bytes: 0,
                detail: format!(
                    "buffer declares {size} bytes but the file ends after {}; reading what is there",
                    rest.len()
                ),
            });
        }
        let data = if header.is_compressed() {
            BufferData::Compressed {
                start: at + BUFFER_HEADER_LEN,
                end,
            }
        } else {
            let data_end = (at + header.filled as usize).min(end);
            BufferData::Mapped {
                start: at + BUFFER_HEADER_LEN,
                end: data_end.max(at + BUFFER_HEADER_LEN),
            }
        };
        walk.buffers.push(Buffer {
            file_offset: at,
            header,
            truncated,
            data,
        });
        at = end;
    }
    walk
}

/// One record found in a buffer payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordSpot {
    /// Offset of the record inside the buffer payload.
    pub offset: u32,
    /// The record's header kind.
    pub kind: HeaderKind,
    /// Its declared size in bytes.
    pub size: u16,
    /// Its raw timestamp, for kinds that have one.
    pub timestamp: Option<i64>,
}

/// Enumerates the records of one buffer payload, calling `found` for each; returns the issue
/// that stopped the walk early, if any. A `0xFFFFFFFF` marker (the filler after the last
/// record) ends the walk quietly: callers may pass payloads that include the filler.
pub fn walk_records(
    payload: &[u8],
    found: impl FnMut(RecordSpot),
) -> Option<(usize, IssueKind, String)> {
    walk_payload(payload, false, found)
}

/// [`walk_records`] over a buffer's valid data only (up to its end-of-data field): filler
/// there is damage too, since real buffers end their records exactly at the end of data.
/// `0xFF` bytes over a record marker, or an `0xFF` tail, are reported instead of read as the
/// end of the records.
pub fn walk_valid_data(
    payload: &[u8],
    found: impl FnMut(RecordSpot),
) -> Option<(usize, IssueKind, String)> {
    walk_payload(payload, true, found)
}

fn walk_payload(
    payload: &[u8],
    filler_is_damage: bool,
    mut found: impl FnMut(RecordSpot),
) -> Option<(usize, IssueKind, String)> {
    let mut off = 0usize;
    while off + 4 <= payload.len() {
        let rest = &payload[off..];
        let marker = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        if marker == u32::MAX {
            return filler_is_damage.then(|| filler_before_end_of_data(rest, off));
        }
        if marker == 0 && rest.iter().all(|&b| b == 0) {
            // Real buffers end their records exactly at the end of data; zeros before it are
            // a zeroed page or unwritten space, and records there (if any) are gone.
            return Some((
                off,
                IssueKind::ZeroFilledData,
                format!("{} zero bytes before the buffer's end of data", rest.len()),
            ));
        }
        match layout::record_prefix(rest) {
            Ok(prefix) => {
                found(RecordSpot {
                    offset: off as u32,
                    kind: prefix.kind,
                    size: prefix.size,
                    timestamp: prefix.timestamp,
                });
                off += (usize::from(prefix.size) + 7) & !7;
            }
            Err(fault) => {
                let kind = match (fault, layout::classify_marker(marker)) {
                    (RecordFault::UnknownMarker(_), Marker::Unknown(_))
                        if rest.iter().all(|&b| b == 0xFF || b == 0) =>
                    {
                        return filler_is_damage.then(|| filler_before_end_of_data(rest, off));
                    }
                    (RecordFault::UnknownMarker(_), _) => IssueKind::TrailingGarbage,
                    _ => IssueKind::BadRecord,
                };
                let kind = if off == 0 || kind == IssueKind::BadRecord {
                    IssueKind::BadRecord
                } else {
                    kind
                };
                return Some((off, kind, fault.to_string()));
            }
        }
    }
    None
}

/// The report for filler (`0xFF`, or `0xFF` and zeros) met at payload offset `off` before the
/// end of data: a filler tail, or a record marker overwritten with `0xFF` (records follow).
fn filler_before_end_of_data(rest: &[u8], off: usize) -> (usize, IssueKind, String) {
    if rest.iter().all(|&b| b == 0xFF || b == 0) {
        (
            off,
            IssueKind::FillerBeforeEndOfData,
            format!(
                "{} filler bytes (0xFF) before the buffer's end of data",
                rest.len()
            ),
        )
    } else {
        let marker = rest.get(..4).unwrap_or_default();
        (
            off,
            IssueKind::BadRecord,
            format!(
                "record marker {} is filler, but {} bytes of data follow before the buffer's end of data",
                marker
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>(),
                rest.len() - marker.len()
            ),
        )
    }
}

#[cfg(test)]
#[path = "walk_tests.rs"]
mod tests;
