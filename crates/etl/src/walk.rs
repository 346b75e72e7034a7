//! The walk over an ETL file: buffers chained by their own size, records tiled inside each
//! buffer's valid data. Damage is skipped, counted and reported with its byte offset; the walk
//! always continues with whatever can still be read.

use super::layout::{self, BUFFER_HEADER_LEN, BufferHeader, HeaderKind, Marker, RecordFault};
use super::xpress;

/// Where a buffer's records live.
#[derive(Debug)]
pub enum BufferData {
    /// Bytes `[start, end)` of the file itself (uncompressed buffer).
    Mapped { start: usize, end: usize },
    /// Compressed stream at bytes `[start, end)` of the file, not yet expanded.
    Compressed { start: usize, end: usize },
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
    pub header: BufferHeader,
    /// The buffer ran past the end of the file.
    pub truncated: bool,
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
}

/// One reported problem: what, where (absolute file offset), and how many bytes it cost.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Issue {
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
    pub buffers: Vec<Buffer>,
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
    pub kind: HeaderKind,
    pub size: u16,
    pub timestamp: Option<i64>,
}

/// Enumerates the records of one buffer payload, calling `found` for each; returns the issue
/// that stopped the walk early, if any.
pub fn walk_records(
    payload: &[u8],
    mut found: impl FnMut(RecordSpot),
) -> Option<(usize, IssueKind, String)> {
    let mut off = 0usize;
    while off + 4 <= payload.len() {
        let rest = &payload[off..];
        let marker = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        if marker == u32::MAX {
            return None;
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
                        return None;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind_byte: u8, size: u16, ts: i64) -> Vec<u8> {
        // SYSTEM64-style marker-first record
        let mut r = vec![0u8; usize::from(size)];
        r[..2].copy_from_slice(&2u16.to_le_bytes());
        r[2] = kind_byte;
        r[3] = 0xC0;
        r[4..6].copy_from_slice(&size.to_le_bytes());
        r[0x10..0x18].copy_from_slice(&ts.to_le_bytes());
        r
    }

    #[test]
    fn records_tile_to_the_filler() {
        let mut payload = record(0x02, 0x24, 5);
        payload.resize(0x28, 0);
        payload.extend(record(0x02, 0x20, 6));
        payload.extend([0xFF; 16]);
        let mut seen = Vec::new();
        let issue = walk_records(&payload, |s| seen.push((s.offset, s.timestamp)));
        assert_eq!(issue, None);
        assert_eq!(seen, vec![(0, Some(5)), (0x28, Some(6))]);
    }

    #[test]
    fn bad_record_stops_the_buffer_with_its_offset() {
        let mut payload = record(0x02, 0x20, 5);
        let mut bad = record(0x02, 0x20, 6);
        bad[4..6].copy_from_slice(&0x400u16.to_le_bytes());
        payload.extend(bad);
        let mut count = 0;
        let issue = walk_records(&payload, |_| count += 1).unwrap();
        assert_eq!(count, 1);
        assert_eq!(issue.0, 0x20);
        assert_eq!(issue.1, IssueKind::BadRecord);
        assert!(issue.2.contains("1024"), "{}", issue.2);
    }

    #[test]
    fn garbage_marker_is_reported() {
        let mut payload = record(0x02, 0x20, 5);
        payload.extend([0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0]);
        let issue = walk_records(&payload, |_| {}).unwrap();
        assert_eq!(issue.0, 0x20);
        assert_eq!(issue.1, IssueKind::TrailingGarbage);
    }

    /// A trace of one processor with several buffers, from the writer.
    fn written(compress: bool) -> Vec<u8> {
        use crate::writer::{EtlWriter, WriterOptions};
        let mut w = EtlWriter::new(WriterOptions {
            buffer_size: 1024,
            processors: 1,
            compress,
            ..WriterOptions::default()
        });
        for i in 0..60 {
            w.push_system(0, 0x0301, 3, 4, 8, 1_000_000 + i, &[i as u8; 40])
                .unwrap();
        }
        w.finish()
    }

    fn records_per_buffer(file: &[u8], walk: &mut BufferWalk) -> Vec<(usize, usize)> {
        walk.buffers
            .iter_mut()
            .map(|b| {
                b.expand(file, 0);
                let mut n = 0;
                walk_records(b.payload(file), |_| n += 1);
                (b.file_offset, n)
            })
            .collect()
    }

    #[test]
    fn an_overlong_size_does_not_swallow_the_next_buffers() {
        for compress in [false, true] {
            let mut file = written(compress);
            let mut intact = walk_buffers(&file, 1024);
            let before = records_per_buffer(&file, &mut intact);
            assert!(before.len() >= 4, "{before:?}");
            // Buffer 1 claims to reach over buffers 2 and 3.
            let victim = before[1].0;
            let claimed = (before[3].0 + 16 - victim) as u32;
            file[victim..victim + 4].copy_from_slice(&claimed.to_le_bytes());
            let mut damaged = walk_buffers(&file, 1024);
            assert_eq!(records_per_buffer(&file, &mut damaged), before);
            let issue = &damaged.issues[0];
            assert_eq!(issue.kind, IssueKind::OverlappingBuffer);
            assert_eq!(issue.file_offset, victim);
            assert!(
                issue.detail.contains(&format!("{:#x}", before[2].0)),
                "{issue}"
            );
        }
    }

    #[test]
    fn resync_after_gaps_never_jumps_over_unaligned_buffers() {
        // Buffers of the 1 KiB session size, each after 8 bytes of garbage, so that they sit
        // off the multiples of 1 KiB except now and then (every 128th lands on one).
        let file = written(false);
        let header_buffer = &file[..1024];
        let data_buffers: Vec<&[u8]> = file[1024..].chunks(1024).collect();
        let mut shifted = header_buffer.to_vec();
        for _ in 0..40 {
            for buffer in &data_buffers {
                shifted.extend([0x11; 8]);
                shifted.extend(*buffer);
            }
        }
        let mut walk = walk_buffers(&shifted, 1024);
        let counts = records_per_buffer(&shifted, &mut walk);
        assert_eq!(counts.len(), 1 + 40 * data_buffers.len());
        let records: usize = counts.iter().map(|(_, n)| n).sum();
        assert_eq!(records, 1 + 40 * 60);
        assert!(
            walk.issues
                .iter()
                .all(|i| i.kind == IssueKind::BadBufferHeader && i.skipped_bytes == 8),
            "{:?}",
            walk.issues.first()
        );
    }

    #[test]
    fn zeros_before_the_end_of_data_are_reported() {
        let mut payload = record(0x02, 0x20, 5);
        payload.extend([0u8; 0x40]);
        let mut count = 0;
        let issue = walk_records(&payload, |_| count += 1).unwrap();
        assert_eq!(count, 1);
        assert_eq!(issue.0, 0x20);
        assert_eq!(issue.1, IssueKind::ZeroFilledData);
        assert!(issue.2.starts_with("64 zero bytes"), "{}", issue.2);
    }
}
