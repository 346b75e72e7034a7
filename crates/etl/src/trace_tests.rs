//! Opening options: progress reports and previews of a file's first part.

use std::sync::Mutex;

use super::*;

/// A trace of `events` manifest-style events on two processors, 64 KiB buffers (the crate's
/// own writer: this crate's tests need no other fixture).
fn generated(events: usize) -> (tempfile::TempDir, PathBuf) {
    use crate::writer::{EtlWriter, EventRecord, WriterOptions};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.etl");
    let mut writer = EtlWriter::new(WriterOptions::default());
    let payload = [0x5Au8; 150];
    for i in 0..events {
        let record = EventRecord {
            provider: uuid::Uuid::from_u128(0x7d44233d_3055_4b9c_ba64_0d47ca40a232),
            id: (i % 7) as u16,
            level: 4,
            process_id: 1432,
            thread_id: 2000 + (i % 5) as u32,
            timestamp: 1_000_000 + 10 * i as i64,
            payload: &payload,
            ..EventRecord::default()
        };
        writer.push_event((i % 2) as u16, &record).unwrap();
    }
    std::fs::write(&path, writer.finish()).unwrap();
    (dir, path)
}

#[test]
fn progress_climbs_to_the_total() {
    let (_dir, path) = generated(20_000);
    let seen = Mutex::new(Vec::new());
    let report = |done: u64, of: u64| seen.lock().unwrap().push((done, of));
    let trace = Trace::open_with(
        &path,
        OpenOptions {
            prefix_bytes: None,
            progress: Some(&report),
        },
    )
    .unwrap();
    let seen = seen.into_inner().unwrap();
    let total: u64 = trace
        .buffers()
        .iter()
        .map(|b| u64::from(b.header.buffer_size))
        .sum();
    // Two reports per buffer (count and fill passes), then the final one.
    assert_eq!(seen.len(), 2 * trace.buffers().len() + 1);
    assert!(seen.iter().all(|&(done, of)| of == total && done <= total));
    assert_eq!(seen.last(), Some(&(total, total)));
    assert_eq!(trace.preview_of(), None);
}

#[test]
fn a_preview_holds_the_first_buffers_events_exactly() {
    let (_dir, path) = generated(20_000);
    let full = Trace::open(&path).unwrap();
    let limit = 256 << 10;
    let preview = Trace::open_with(
        &path,
        OpenOptions {
            prefix_bytes: Some(limit),
            progress: None,
        },
    )
    .unwrap();
    assert_eq!(preview.preview_of(), Some(limit as usize));
    assert!(
        preview
            .buffers()
            .iter()
            .all(|b| b.file_offset < limit as usize)
    );
    let kept = preview.buffers().len() as u32;
    let mut expected: Vec<IndexEntry> = full
        .index_entries()
        .iter()
        .copied()
        .filter(|e| e.buffer < kept)
        .collect();
    expected.sort_by_key(|e| (e.timestamp, e.buffer, e.offset));
    assert!(!expected.is_empty() && expected.len() < full.len());
    assert_eq!(preview.index_entries(), expected.as_slice());

    // A prefix larger than the file is the whole file.
    let whole = Trace::open_with(
        &path,
        OpenOptions {
            prefix_bytes: Some(u64::MAX),
            progress: None,
        },
    )
    .unwrap();
    assert_eq!(whole.preview_of(), None);
    assert_eq!(whole.len(), full.len());
}
