//! The walk over buffers and records: tiling, damage reports, resynchronisation.

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
