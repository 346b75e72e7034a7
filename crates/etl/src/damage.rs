//! Damage that no single record shows: checks across buffers and against the logfile header,
//! and the budget that bounds what expanding one file's compressed buffers may cost.
//!
//! Each check reports an [`Issue`] so that nothing is lost silently; none of them fires on an
//! intact trace (the corpus tests pin zero issues for every shared sample).

use std::collections::HashMap;

use super::layout::{BUFFER_HEADER_LEN, LogfileHeader};
use super::walk::{self, Buffer, BufferData, Issue, IssueKind};

/// Expanded bytes always allowed, whatever the file's size: one buffer of the largest size
/// a buffer header may claim.
const EXPANSION_FLOOR: usize = 16 << 20;
/// Expanded bytes allowed per byte of input. Real compressed traces expand about 5 times
/// (13 times for their best buffers); XPRESS itself can expand 15 bytes to 16 MiB.
const EXPANSION_PER_INPUT_BYTE: usize = 64;

/// How many expanded bytes the compressed buffers of a `file_len`-byte file may hold in all:
/// proportional to the input with a floor, and never more than a quarter of the machine's
/// memory (with the same floor, so that small machines still read small files).
pub fn expansion_budget(file_len: usize) -> usize {
    let relative = file_len
        .saturating_mul(EXPANSION_PER_INPUT_BYTE)
        .max(EXPANSION_FLOOR);
    match physical_memory() {
        Some(memory) => relative.min((memory / 4).max(EXPANSION_FLOOR)),
        None => relative,
    }
}

/// Total physical memory from `/proc/meminfo` (`MemTotal:  N kB`); `None` where there is
/// no such file (then only the file-relative budget applies).
fn physical_memory() -> Option<usize> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// Marks the compressed buffers, in file order, whose expansion would pass `budget` bytes in
/// all: they are not expanded and each is reported. File order keeps the choice the same on
/// every run (the expansion itself runs in parallel).
pub fn apply_expansion_budget(buffers: &mut [Buffer], budget: usize) -> Vec<Issue> {
    let mut issues = Vec::new();
    let mut granted = 0usize;
    for (index, buffer) in buffers.iter_mut().enumerate() {
        let BufferData::Compressed { start, end } = buffer.data else {
            continue;
        };
        let expands_to = (buffer.header.filled as usize).saturating_sub(BUFFER_HEADER_LEN);
        if granted.saturating_add(expands_to) <= budget {
            granted += expands_to;
            continue;
        }
        buffer.data = BufferData::Unreadable;
        issues.push(Issue {
            kind: IssueKind::ExpansionBudgetExceeded,
            file_offset: buffer.file_offset,
            buffer: Some(index as u32),
            payload_offset: None,
            skipped_bytes: end - start + BUFFER_HEADER_LEN,
            detail: format!(
                "compressed buffer of {} bytes claims {expands_to} expanded bytes; {granted} of the {budget} allowed for this file are already used, so it was not expanded (a decompression bomb?)",
                end - start
            ),
        });
    }
    issues
}

/// Data after an uncompressed buffer's end of data: the bytes between the end of data and
/// the end of the buffer are filler (`0xFF`) in real files; records there mean the end-of-data
/// field was lowered, and the records it disowns would vanish without a word.
pub fn records_past_end_of_data(file: &[u8], index: u32, buffer: &Buffer) -> Option<Issue> {
    let BufferData::Mapped { start, end } = buffer.data else {
        return None;
    };
    let buffer_end = buffer
        .file_offset
        .saturating_add(buffer.header.buffer_size as usize)
        .min(file.len());
    // Records start at multiples of 8 of the payload.
    let aligned = start + (end - start).next_multiple_of(8);
    let tail = file.get(aligned..buffer_end)?;
    if tail.iter().all(|&b| b == 0xFF || b == 0) {
        return None;
    }
    let mut records = 0usize;
    walk::walk_records(tail, |_| records += 1);
    // Up to the last byte that is not filler: what the lowered end of data disowns.
    let disowned = tail
        .iter()
        .rposition(|&b| b != 0xFF && b != 0)
        .map_or(0, |last| last + 1);
    Some(Issue {
        kind: IssueKind::RecordsPastEndOfData,
        file_offset: aligned,
        buffer: Some(index),
        payload_offset: Some(aligned - start),
        skipped_bytes: disowned,
        detail: format!(
            "{disowned} bytes of data after the buffer's end of data (0x{:x}), {records} record(s) readable at its start; the end-of-data field is probably damaged and they were not read",
            buffer.header.filled
        ),
    })
}

/// Buffers whose sequence number an earlier buffer already has. The header buffer's 0 is
/// shared by nothing else in real files, but relogged or merged files could repeat 0, so only
/// non-zero numbers count.
pub fn duplicate_buffers(file: &[u8], buffers: &[Buffer]) -> Vec<Issue> {
    let mut first_with: HashMap<i64, usize> = HashMap::new();
    let mut issues = Vec::new();
    for (index, buffer) in buffers.iter().enumerate() {
        let sequence = buffer.header.sequence;
        if sequence == 0 {
            continue;
        }
        let Some(&earlier) = first_with.get(&sequence) else {
            first_with.insert(sequence, index);
            continue;
        };
        let bytes_of = |b: &Buffer| {
            let end = b.file_offset.saturating_add(b.header.buffer_size as usize);
            file.get(b.file_offset..end.min(file.len()))
                .unwrap_or_default()
        };
        let first = &buffers[earlier];
        let copy = bytes_of(first) == bytes_of(buffer);
        issues.push(Issue {
            kind: IssueKind::DuplicateBuffer,
            file_offset: buffer.file_offset,
            buffer: Some(index as u32),
            payload_offset: None,
            skipped_bytes: 0,
            detail: format!(
                "buffer has sequence number {sequence}, as the buffer at offset {:#x}{}; its events were read and may appear twice",
                first.file_offset,
                if copy {
                    " (an identical copy: the buffer it replaced is lost)"
                } else {
                    ""
                }
            ),
        });
    }
    issues
}

/// Fewer buffers found than the logfile header says were written; reported at `found_end`,
/// the end of the last buffer found, where the missing ones would have been. Circular logs overwrite
/// their own buffers and appended files add to the count, so those modes are not checked.
pub fn missing_buffers(
    logfile: &LogfileHeader,
    found: usize,
    found_end: usize,
    preview: bool,
) -> Option<Issue> {
    const CIRCULAR: u32 = 0x0000_0002;
    const APPEND: u32 = 0x0000_0004;
    let written = logfile.buffers_written as usize;
    if preview || logfile.log_file_mode & (CIRCULAR | APPEND) != 0 || written <= found {
        return None;
    }
    Some(Issue {
        kind: IssueKind::MissingBuffers,
        file_offset: found_end,
        buffer: None,
        payload_offset: None,
        skipped_bytes: 0,
        detail: format!(
            "the logfile header says {written} buffers were written but {found} were found: the file was cut short or its last buffers were zeroed, and the events in {} buffer(s) are lost",
            written - found
        ),
    })
}

/// The EventTrace header record is missing or destroyed, but buffers were found.
pub fn missing_header_record(reason: &str) -> Issue {
    Issue {
        kind: IssueKind::MissingHeaderRecord,
        file_offset: BUFFER_HEADER_LEN,
        buffer: None,
        payload_offset: None,
        skipped_bytes: 0,
        detail: format!(
            "no EventTrace header record: {reason}; the clock, session start and processor count are unknown, so event times are raw counter values, not dates"
        ),
    }
}
