//! An opened trace: the mapped file, its buffers, and a time-ordered index of every record.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::clock::Clock;
use super::damage;
use super::event::{Event, Header};
use super::layout::{self, BUFFER_HEADER_LEN, HeaderKind, LogfileHeader};
use super::walk::{self, Buffer, Issue};

/// Why a file could not be opened as a trace at all.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The operating system refused to open, measure or map the file.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file as given.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cannot read {path}: it is {what}, not a regular file. A trace is mapped into memory, so it must be a regular file: copy it into one first (or pipe it to `etlview -`, which reads standard input into a temporary file)"
    )]
    /// A FIFO, device, socket or folder: it cannot be mapped.
    NotRegular {
        /// The file as given.
        path: PathBuf,
        /// What it is instead ("a FIFO (named pipe)", "a directory", ...).
        what: &'static str,
    },
    #[error(
        "cannot read {path}: it reports a size of 0 but has content (a /proc or /sys file?). A trace must be a regular file: copy it into one first"
    )]
    /// A file that reports size 0 but has content (a /proc or /sys file).
    NoSize {
        /// The file as given.
        path: PathBuf,
    },
    #[error(
        "the file was truncated while being read: {path} shrank under the reader (another process cut or rewrote it), so what was read is incomplete. Open it again once it is complete"
    )]
    /// The file shrank while it was mapped; what was read is incomplete.
    TruncatedWhileReading {
        /// The file as given.
        path: PathBuf,
    },
    #[error(
        "{what} is not an ETL trace: {reason}. An .etl file starts with a 72-byte buffer header followed by the EventTrace header record; check that the file is a complete ETW trace (not a .cab, .zip or .etlgz: extract it first)"
    )]
    /// The bytes do not start like a trace.
    NotEtl {
        /// The file (or "the input") that was read.
        what: String,
        /// What in the first buffer is not as a trace has it.
        reason: String,
    },
}

/// What to index, and who hears how far indexing got.
#[derive(Default, Clone, Copy)]
pub struct OpenOptions<'p> {
    /// Index only the buffers that start in the first `prefix_bytes` of the file: a quick
    /// preview of a large file while the whole of it is indexed elsewhere.
    pub prefix_bytes: Option<u64>,
    /// Called with `(bytes indexed, bytes to index)` as buffers are scanned (from worker
    /// threads, often: keep it cheap).
    pub progress: Option<&'p (dyn Fn(u64, u64) + Sync)>,
}

/// Files up to this size are mapped with their pages read in at once.
const POPULATE_LIMIT: u64 = 2 << 30;

/// The file's bytes: memory-mapped (with the guard that survives its truncation), or owned
/// (tests, generated traces).
enum FileBytes {
    Mapped(memmap2::Mmap, Option<MapGuard>),
    Owned(Vec<u8>),
}

impl FileBytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m, _) => m,
            FileBytes::Owned(v) => v,
        }
    }

    fn truncated(&self) -> bool {
        match self {
            FileBytes::Mapped(_, Some(guard)) => guard.truncated(),
            _ => false,
        }
    }
}

#[cfg(unix)]
use super::mapguard::MapGuard;

/// Without SIGBUS, nothing to guard.
#[cfg(not(unix))]
#[derive(Debug)]
struct MapGuard;

#[cfg(not(unix))]
impl MapGuard {
    fn watch(_: &[u8]) -> MapGuard {
        MapGuard
    }
    fn truncated(&self) -> bool {
        false
    }
}

/// One event's place in the time order. 16 bytes per event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    /// Raw timestamp in the session clock (the sort key).
    pub timestamp: i64,
    /// Index of the buffer in [`Trace::buffers`].
    pub buffer: u32,
    /// Offset of the record inside that buffer's payload.
    pub offset: u32,
}

/// An opened, indexed trace.
pub struct Trace {
    bytes: FileBytes,
    path: Option<PathBuf>,
    buffers: Vec<Buffer>,
    /// `Some(bytes)` when only the buffers in the first `bytes` of the file were indexed.
    preview_of: Option<usize>,
    index: Vec<IndexEntry>,
    logfile: Option<LogfileHeader>,
    clock: Clock,
    anchor_raw: i64,
    issues: Vec<Issue>,
}

impl std::fmt::Debug for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trace")
            .field("path", &self.path)
            .field("buffers", &self.buffers.len())
            .field("events", &self.index.len())
            .field("issues", &self.issues.len())
            .finish()
    }
}

impl Trace {
    /// Memory-maps and indexes the file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Trace, OpenError> {
        Self::open_with(path, OpenOptions::default())
    }

    /// Memory-maps and indexes the file at `path` (or its first part), reporting progress.
    pub fn open_with(path: impl AsRef<Path>, open: OpenOptions) -> Result<Trace, OpenError> {
        let path = path.as_ref();
        let io = |source| OpenError::Io {
            path: path.to_path_buf(),
            source,
        };
        let (file, len) = super::input::open_regular(path)?;
        let bytes = if len == 0 {
            FileBytes::Owned(Vec::new())
        } else {
            let mut options = memmap2::MmapOptions::new();
            // Indexing reads every page anyway: faulting them in with one call is much cheaper
            // than a page fault each. Not for huge files, whose pages must be able to come and go.
            if len <= POPULATE_LIMIT && open.prefix_bytes.is_none() {
                options.populate();
            }
            // SAFETY: the map is read-only and private to this process. If another process
            // truncates the file while we read it, accesses past the new end fault (SIGBUS):
            // the guard maps zeros there instead and records it (see `mapguard`), and
            // `index` and callers report "the file was truncated while being read".
            #[allow(unsafe_code)]
            let map = unsafe { options.map(&file) }.map_err(io)?;
            let guard = MapGuard::watch(&map);
            FileBytes::Mapped(map, Some(guard))
        };
        Self::index(
            bytes,
            Some(path.to_path_buf()),
            &path.display().to_string(),
            open,
        )
    }

    /// Indexes a trace held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Trace, OpenError> {
        Self::index(
            FileBytes::Owned(bytes),
            None,
            "the input",
            OpenOptions::default(),
        )
    }

    fn index(
        bytes: FileBytes,
        path: Option<PathBuf>,
        what: &str,
        options: OpenOptions,
    ) -> Result<Trace, OpenError> {
        let file = bytes.as_slice();
        let first = sniff(file);
        if let Err(e) = &first {
            // Without an EventTrace header, only go on if the file holds buffers at all:
            // never crawl a large non-trace file byte by byte.
            if !walk::has_buffer_within(file, 64 << 20) {
                return Err(OpenError::NotEtl {
                    what: what.to_string(),
                    reason: e.reason_text(),
                });
            }
        }
        let session_buffer_size = first
            .as_ref()
            .map(|(h, _)| h.buffer_size as usize)
            .unwrap_or(0);
        let limit = options
            .prefix_bytes
            .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
        let walked = walk::walk_buffers_before(file, session_buffer_size, limit);
        let mut buffers = walked.buffers;
        let mut issues = walked.issues;
        // A preview only when the walk stopped at the limit with room for more buffers after.
        let last_end = buffers.last().map_or(0, |b| {
            b.file_offset.saturating_add(b.header.buffer_size as usize)
        });
        let stopped_early =
            last_end >= limit && last_end.saturating_add(BUFFER_HEADER_LEN) <= file.len();
        let preview_of = stopped_early.then_some(limit);
        issues.retain(|i| i.file_offset < limit);
        issues.extend(damage::duplicate_buffers(file, &buffers));
        match &first {
            Ok((header, _)) => issues.extend(damage::missing_buffers(
                header,
                buffers.len(),
                last_end.min(file.len()),
                preview_of.is_some() || options.prefix_bytes.is_some(),
            )),
            Err(e) => issues.push(damage::missing_header_record(&e.reason_text())),
        }
        issues.extend(damage::apply_expansion_budget(
            &mut buffers,
            damage::expansion_budget(file.len()),
        ));

        // Progress: each of the two passes below accounts for half of every buffer's bytes.
        let to_index: u64 = buffers
            .iter()
            .map(|b| u64::from(b.header.buffer_size))
            .sum();
        let indexed = std::sync::atomic::AtomicU64::new(0);
        let advance = |buffer: &Buffer| {
            if let Some(report) = options.progress {
                let half = u64::from(buffer.header.buffer_size) / 2;
                let done = indexed.fetch_add(half, std::sync::atomic::Ordering::Relaxed) + half;
                report(done.min(to_index), to_index);
            }
        };

        // Two parallel passes over the buffers: the first expands compressed ones and counts
        // records, the second writes each buffer's entries straight into its slice of an index
        // allocated once at its exact size (no growth, no per-buffer lists: the peak is one index).
        let counted: Vec<(usize, Vec<Issue>)> = buffers
            .par_iter_mut()
            .enumerate()
            .map(|(i, buffer)| {
                let counted = count_buffer(file, i as u32, buffer);
                advance(buffer);
                counted
            })
            .collect();
        let total: usize = counted.iter().map(|(n, _)| n).sum();
        let mut index = vec![
            IndexEntry {
                timestamp: 0,
                buffer: 0,
                offset: 0
            };
            total
        ];
        let mut slices: Vec<&mut [IndexEntry]> = Vec::with_capacity(buffers.len());
        let mut rest = index.as_mut_slice();
        for (count, buffer_issues) in counted {
            let (mine, after) = rest.split_at_mut(count);
            slices.push(mine);
            rest = after;
            issues.extend(buffer_issues);
        }
        buffers
            .par_iter()
            .zip(slices)
            .enumerate()
            .for_each(|(i, (buffer, slots))| {
                fill_buffer(file, i as u32, buffer, slots);
                advance(buffer);
            });
        if let Some(report) = options.progress {
            report(to_index, to_index);
        }
        if index.is_empty() {
            return Err(OpenError::NotEtl {
                what: what.to_string(),
                reason: match first {
                    Err(e) => e.reason_text(),
                    Ok(_) => "no event records were found in any buffer".to_string(),
                },
            });
        }
        let (logfile, clock, anchor_raw) = match first {
            Ok((header, anchor)) => {
                let clock = Clock::from_logfile(&header, anchor);
                (Some(header), clock, anchor)
            }
            Err(_) => (None, Clock::unknown(), 0),
        };
        // Ties keep file order. The index is in file order here and each buffer is already in
        // time order, so a stable sort on the timestamp merges those runs quickly. Large
        // indexes use an unstable sort on the full key (same order, since (buffer, offset) is
        // the file order) to avoid the stable sort's scratch copy of half the index.
        if index.len() > 1_000_000 {
            index.par_sort_unstable_by_key(|e| (e.timestamp, e.buffer, e.offset));
        } else {
            index.sort_by_key(|e| e.timestamp);
        }
        issues.sort_by_key(|i| i.file_offset);
        if bytes.truncated() {
            return Err(OpenError::TruncatedWhileReading {
                path: path.unwrap_or_default(),
            });
        }
        Ok(Trace {
            bytes,
            path,
            buffers,
            preview_of,
            index,
            logfile,
            clock,
            anchor_raw,
            issues,
        })
    }

    /// `Some(bytes)` when this is a preview: only the buffers that start in the first `bytes`
    /// of the file were indexed.
    pub fn preview_of(&self) -> Option<usize> {
        self.preview_of
    }

    /// True once a read of the mapped file faulted because another process shrank the file:
    /// the bytes read since are zeros, so anything derived from them is incomplete. Check it
    /// after a pass over the events (export, info) and fail with [`Trace::check_intact`].
    pub fn truncated_while_reading(&self) -> bool {
        self.bytes.truncated()
    }

    /// `Err(TruncatedWhileReading)` when [`Trace::truncated_while_reading`].
    pub fn check_intact(&self) -> Result<(), OpenError> {
        if self.truncated_while_reading() {
            return Err(OpenError::TruncatedWhileReading {
                path: self.path.clone().unwrap_or_default(),
            });
        }
        Ok(())
    }

    /// The file the trace was opened from (`None` for [`Trace::from_bytes`]).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The whole file.
    pub fn file_bytes(&self) -> &[u8] {
        self.bytes.as_slice()
    }

    /// The session header (TRACE_LOGFILE_HEADER) of the first buffer, when it was found.
    pub fn logfile(&self) -> Option<&LogfileHeader> {
        self.logfile.as_ref()
    }

    /// Raw timestamp of the EventTrace header record (the clock anchor).
    pub fn anchor_raw(&self) -> i64 {
        self.anchor_raw
    }

    /// The session clock that converts raw timestamps to UTC FILETIMEs.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Every buffer found, in file order.
    pub fn buffers(&self) -> &[Buffer] {
        &self.buffers
    }

    /// Damage met while reading, in file order.
    pub fn issues(&self) -> &[Issue] {
        &self.issues
    }

    /// Number of events (records), the EventTrace header records included.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when no record was indexed.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The time-sorted index, one entry per event (frame = position).
    pub fn index_entries(&self) -> &[IndexEntry] {
        &self.index
    }

    /// Pointer width for records that do not state theirs.
    pub fn default_pointer_size(&self) -> u8 {
        match self.logfile.as_ref().map(|l| l.pointer_size) {
            Some(4) => 4,
            _ => 8,
        }
    }

    /// The event at position `frame` of the time order.
    pub fn event(&self, frame: usize) -> Option<Event<'_>> {
        let entry = *self.index.get(frame)?;
        self.event_at(frame, entry)
    }

    fn event_at(&self, frame: usize, entry: IndexEntry) -> Option<Event<'_>> {
        let buffer = self.buffers.get(entry.buffer as usize)?;
        let payload = buffer.payload(self.file_bytes());
        let rest = payload.get(entry.offset as usize..)?;
        // The walk validated this record when indexing; parsing again cannot fail.
        let header = Header::parse(rest, self.default_pointer_size()).ok()?;
        let record = rest.get(..usize::from(header.size))?;
        let timestamp = if header.timestamp == 0 && entry.timestamp != 0 {
            entry.timestamp
        } else {
            header.timestamp
        };
        Some(Event {
            frame,
            buffer: entry.buffer,
            offset: entry.offset,
            cpu: buffer.header.processor(),
            header,
            record,
            filetime: self.clock.to_filetime(timestamp),
        })
    }

    /// Every event in time order.
    pub fn events(&self) -> impl Iterator<Item = Event<'_>> + '_ {
        self.index
            .iter()
            .enumerate()
            .filter_map(|(frame, &entry)| self.event_at(frame, entry))
    }

    /// Every event in file order (buffer by buffer), as peers such as dissect.etl list them.
    /// `frame` is then the position in file order.
    pub fn events_in_file_order(&self) -> Vec<Event<'_>> {
        let mut entries: Vec<IndexEntry> = self.index.clone();
        entries.sort_by_key(|e| (e.buffer, e.offset));
        entries
            .into_iter()
            .enumerate()
            .filter_map(|(i, e)| self.event_at(i, e))
            .collect()
    }
}

/// Why the sniff failed, kept for the final message.
#[derive(Debug)]
struct SniffError(String);

impl SniffError {
    fn reason_text(&self) -> String {
        self.0.clone()
    }
}

impl std::fmt::Display for SniffError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks the first buffer and reads the logfile header and the raw timestamp of its record.
fn sniff(file: &[u8]) -> Result<(LogfileHeader, i64), SniffError> {
    if file.is_empty() {
        return Err(SniffError("the file is empty".into()));
    }
    let header = layout::buffer_header(file).map_err(|e| {
        SniffError(format!(
            "the file is only {} bytes, shorter than a buffer header ({e})",
            file.len()
        ))
    })?;
    let record = file.get(BUFFER_HEADER_LEN..).unwrap_or_default();
    let marker = record
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .unwrap_or(0);
    let kind = match layout::classify_marker(marker) {
        layout::Marker::Record(k @ (HeaderKind::System32 | HeaderKind::System64)) => k,
        _ => {
            return Err(SniffError(format!(
                "the first record at offset 0x48 has marker 0x{marker:08x} (first buffer type {}), not the EventTrace header record",
                header.buffer_type
            )));
        }
    };
    let prefix = layout::record_prefix(record).map_err(|e| SniffError(e.to_string()))?;
    let k = layout::kernel_header(kind, record).map_err(|e| SniffError(e.to_string()))?;
    if k.hook_id != 0 {
        return Err(SniffError(format!(
            "the first record has hook id 0x{:04x}, not 0x0000 (EventTrace header)",
            k.hook_id
        )));
    }
    let payload = record
        .get(kind.fixed_len()..usize::from(prefix.size))
        .unwrap_or_default();
    let pointer_size = kind.pointer_size().unwrap_or(8);
    let logfile = layout::logfile_header(payload, pointer_size)
        .map_err(|e| SniffError(format!("the logfile header is damaged ({e})")))?;
    Ok((logfile, k.timestamp))
}

/// Expands a buffer when needed and counts its records; reports where its walk stopped early.
fn count_buffer(file: &[u8], index: u32, buffer: &mut Buffer) -> (usize, Vec<Issue>) {
    let mut issues = Vec::new();
    if let Some(issue) = buffer.expand(file, index) {
        issues.push(issue);
    }
    issues.extend(damage::records_past_end_of_data(file, index, buffer));
    let payload = buffer.payload(file);
    let mut count = 0usize;
    let stop = walk::walk_valid_data(payload, |_| count += 1);
    if let Some((offset, kind, detail)) = stop {
        issues.push(Issue {
            kind,
            file_offset: buffer.file_offset_of(offset),
            buffer: Some(index),
            payload_offset: Some(offset),
            skipped_bytes: payload.len() - offset,
            detail: if buffer.is_compressed() {
                format!("{detail}; rest of the decompressed buffer skipped")
            } else {
                format!("{detail}; rest of buffer skipped")
            },
        });
    }
    (count, issues)
}

/// Writes the index entries of a buffer's records into `slots` (sized by [`count_buffer`]:
/// the walk is deterministic, so it finds the same records).
fn fill_buffer(file: &[u8], index: u32, buffer: &Buffer, slots: &mut [IndexEntry]) {
    let mut slots = slots.iter_mut();
    // Records without a timestamp (WPP without TIMESTAMP) keep their place after the previous one.
    let mut last = buffer.header.timestamp;
    walk::walk_valid_data(buffer.payload(file), |spot| {
        let timestamp = spot.timestamp.unwrap_or(last);
        last = timestamp;
        if let Some(slot) = slots.next() {
            *slot = IndexEntry {
                timestamp,
                buffer: index,
                offset: spot.offset,
            };
        }
    });
}

#[cfg(test)]
#[path = "trace_tests.rs"]
mod tests;
