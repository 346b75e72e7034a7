//! Hostile and damaged input built in the test with the crate's writer: every class of damage
//! is reported with its kind and offset (nothing is lost silently), decompression bombs stay
//! within a budget, and a file truncated under the mapping does not kill the reader.

use etl::layout::BUFFER_HEADER_LEN;
use etl::walk::{self, walk_buffers};
use etl::writer::{EtlWriter, WriterOptions};
use etl::{Issue, IssueKind, Trace};

const BUFFER_SIZE: u32 = 4096;

/// A one-processor trace of `events` SYSTEM records of 64 bytes, 4 KiB buffers.
fn written(events: usize) -> Vec<u8> {
    let mut w = EtlWriter::new(WriterOptions {
        buffer_size: BUFFER_SIZE,
        processors: 1,
        ..WriterOptions::default()
    });
    for i in 0..events {
        w.push_system(0, 0x0301, 3, 4, 8, 1_000_000 + i as i64, &[i as u8; 32])
            .unwrap();
    }
    w.finish()
}

/// (file offset, filled) of every buffer.
fn buffers(file: &[u8]) -> Vec<(usize, usize)> {
    walk_buffers(file, BUFFER_SIZE as usize)
        .buffers
        .iter()
        .map(|b| (b.file_offset, b.header.filled as usize))
        .collect()
}

/// Payload offsets of the records of the buffer at `at`.
fn record_offsets(file: &[u8], at: usize, filled: usize) -> Vec<usize> {
    let mut offsets = Vec::new();
    walk::walk_records(&file[at + BUFFER_HEADER_LEN..at + filled], |s| {
        offsets.push(s.offset as usize)
    });
    offsets
}

/// Rewrites every data buffer (all but the first, which holds the header record) as an
/// XPRESS-compressed buffer of the same records, as compressed sessions write them.
fn compressed(file: &[u8]) -> Vec<u8> {
    let all = buffers(file);
    let mut out = file[..all[1].0].to_vec();
    for &(at, filled) in &all[1..] {
        let stream = etl::xpress::compress(&file[at + BUFFER_HEADER_LEN..at + filled]);
        let mut header = file[at..at + BUFFER_HEADER_LEN].to_vec();
        let size = (BUFFER_HEADER_LEN + stream.len()) as u32;
        header[..4].copy_from_slice(&size.to_le_bytes());
        let flags = u16::from_le_bytes([header[0x34], header[0x35]]) | 0x0040;
        header[0x34..0x36].copy_from_slice(&flags.to_le_bytes());
        out.extend(header);
        out.extend(stream);
    }
    out
}

fn issues_of(bytes: Vec<u8>) -> (usize, Vec<Issue>) {
    let trace = Trace::from_bytes(bytes).unwrap();
    (trace.len(), trace.issues().to_vec())
}

fn only(issues: &[Issue], kind: IssueKind) -> &Issue {
    let found: Vec<&Issue> = issues.iter().filter(|i| i.kind == kind).collect();
    assert_eq!(found.len(), 1, "{kind:?} in {issues:#?}");
    found[0]
}

#[test]
fn the_intact_trace_has_no_issues() {
    for file in [written(300), compressed(&written(300))] {
        let (events, issues) = issues_of(file);
        assert_eq!(events, 301);
        assert!(issues.is_empty(), "{issues:#?}");
    }
}

#[test]
fn ff_bytes_over_a_record_marker_are_reported() {
    let file = written(300);
    let (at, filled) = buffers(&file)[1];
    let second = record_offsets(&file, at, filled)[1];
    let mut damaged = file.clone();
    let marker = at + BUFFER_HEADER_LEN + second;
    damaged[marker..marker + 4].fill(0xFF);
    let (events, issues) = issues_of(damaged.clone());
    assert!(events < 301);
    let issue = only(&issues, IssueKind::BadRecord);
    assert_eq!(issue.file_offset, marker);
    assert_eq!(issue.payload_offset, Some(second));
    assert_eq!(issue.buffer, Some(1));
    assert!(issue.detail.contains("ffffffff"), "{issue}");
    // The same damage inside a compressed buffer: reported at the buffer header.
    let (events, issues) = issues_of(compressed(&damaged));
    assert!(events < 301);
    let issue = only(&issues, IssueKind::BadRecord);
    assert_eq!(issue.file_offset, buffers(&compressed(&damaged))[1].0);
    assert_eq!(issue.payload_offset, Some(second));
}

#[test]
fn an_ff_tail_before_the_end_of_data_is_reported() {
    let file = written(300);
    let (at, filled) = buffers(&file)[2];
    let last = *record_offsets(&file, at, filled).last().unwrap();
    let mut damaged = file.clone();
    let from = at + BUFFER_HEADER_LEN + last;
    damaged[from..at + filled].fill(0xFF);
    for (bytes, offset) in [
        (damaged.clone(), from),
        (compressed(&damaged), buffers(&compressed(&damaged))[2].0),
    ] {
        let (events, issues) = issues_of(bytes);
        assert_eq!(events, 300);
        let issue = only(&issues, IssueKind::FillerBeforeEndOfData);
        assert_eq!(issue.file_offset, offset);
        assert_eq!(issue.payload_offset, Some(last));
        assert_eq!(issue.skipped_bytes, filled - BUFFER_HEADER_LEN - last);
    }
}

#[test]
fn a_lowered_end_of_data_is_reported() {
    let file = written(300);
    let (at, filled) = buffers(&file)[1];
    let records = record_offsets(&file, at, filled);
    for keep in [2usize, 0] {
        let mut damaged = file.clone();
        let new_filled = (BUFFER_HEADER_LEN + records[keep]) as u32;
        damaged[at + 0x30..at + 0x34].copy_from_slice(&new_filled.to_le_bytes());
        let (events, issues) = issues_of(damaged);
        assert_eq!(events, 301 - (records.len() - keep));
        let issue = only(&issues, IssueKind::RecordsPastEndOfData);
        assert_eq!(issue.file_offset, at + BUFFER_HEADER_LEN + records[keep]);
        assert_eq!(issue.buffer, Some(1));
        assert!(
            issue
                .detail
                .contains(&format!(", {} record(s) readable", records.len() - keep)),
            "{issue}"
        );
    }
}

#[test]
fn a_buffer_replaced_by_a_copy_of_another_is_reported() {
    let file = written(300);
    let all = buffers(&file);
    let (first, _) = all[1];
    let (second, _) = all[2];
    let mut damaged = file.clone();
    let copy = file[first..first + BUFFER_SIZE as usize].to_vec();
    damaged[second..second + BUFFER_SIZE as usize].copy_from_slice(&copy);
    let (_, issues) = issues_of(damaged);
    let issue = only(&issues, IssueKind::DuplicateBuffer);
    assert_eq!(issue.file_offset, second);
    assert_eq!(issue.buffer, Some(2));
    assert!(issue.detail.contains("identical copy"), "{issue}");
}

#[test]
fn buffers_missing_at_the_end_are_reported() {
    let file = written(300);
    let all = buffers(&file);
    let (last, _) = *all.last().unwrap();
    // Cut at a buffer boundary, and the last buffer zeroed.
    let cut = file[..last].to_vec();
    let mut zeroed = file.clone();
    zeroed[last..].fill(0);
    for damaged in [cut, zeroed] {
        let (_, issues) = issues_of(damaged);
        let issue = only(&issues, IssueKind::MissingBuffers);
        assert_eq!(issue.file_offset, last);
        assert!(
            issue.detail.contains(&format!(
                "says {} buffers were written but {} were found",
                all.len(),
                all.len() - 1
            )),
            "{issue}"
        );
    }
}

#[test]
fn a_missing_header_record_is_reported() {
    let file = written(300);
    let all = buffers(&file);
    // The header record destroyed, and the whole first buffer gone.
    let mut destroyed = file.clone();
    destroyed[BUFFER_HEADER_LEN..BUFFER_HEADER_LEN + 8].copy_from_slice(&[0x5A; 8]);
    let headless = file[all[1].0..].to_vec();
    for damaged in [destroyed, headless] {
        let trace = Trace::from_bytes(damaged).unwrap();
        assert!(trace.logfile().is_none());
        let issue = only(trace.issues(), IssueKind::MissingHeaderRecord);
        assert_eq!(issue.file_offset, BUFFER_HEADER_LEN);
        assert!(issue.detail.contains("clock"), "{issue}");
    }
}

/// A 15-byte XPRESS stream that expands to `len` copies of one byte: a literal and a match
/// one byte back whose length takes the 32-bit escape.
fn bomb_stream(byte: u8, len: usize) -> Vec<u8> {
    let mut s = Vec::new();
    s.extend(0x7FFF_FFFFu32.to_le_bytes()); // literal, match, then end padding
    s.push(byte);
    s.extend(0x0007u16.to_le_bytes()); // distance 1, length escape
    s.push(0x0F); // nibble escape
    s.push(0xFF); // byte escape
    s.extend(0u16.to_le_bytes()); // 32-bit length follows
    s.extend(((len - 1 - 3) as u32).to_le_bytes());
    s
}

/// The intact trace's header buffer followed by `count` compressed buffers that each claim
/// `claims` expanded bytes from a 15-byte stream.
fn bomb(count: usize, claims: usize) -> Vec<u8> {
    let file = written(1);
    let mut out = file[..BUFFER_SIZE as usize].to_vec();
    let stream = bomb_stream(0, claims);
    for i in 0..count {
        let mut h = vec![0u8; BUFFER_HEADER_LEN];
        h[..4].copy_from_slice(&((BUFFER_HEADER_LEN + stream.len()) as u32).to_le_bytes());
        h[0x18..0x20].copy_from_slice(&(i as i64 + 1).to_le_bytes());
        h[0x2C..0x30].copy_from_slice(&3u32.to_le_bytes());
        h[0x30..0x34].copy_from_slice(&((BUFFER_HEADER_LEN + claims) as u32).to_le_bytes());
        h[0x34..0x36].copy_from_slice(&0x0060u16.to_le_bytes());
        h[0x36..0x38].copy_from_slice(&1u16.to_le_bytes());
        out.extend(h);
        out.extend(&stream);
    }
    out
}

#[test]
fn the_bomb_stream_expands_as_built() {
    let mut out = Vec::new();
    etl::xpress::decompress(&bomb_stream(7, 1 << 20), 1 << 20, &mut out).unwrap();
    assert_eq!(bomb_stream(7, 1 << 20).len(), 15);
    assert!(out.len() == 1 << 20 && out.iter().all(|&b| b == 7));
}

#[test]
fn a_decompression_bomb_stays_within_the_budget() {
    // The most a buffer header may claim: 16 MiB in all.
    let claims = (16 << 20) - BUFFER_HEADER_LEN;
    let file = bomb(600, claims);
    assert!(file.len() < 60_000);
    let budget = etl::damage::expansion_budget(file.len());
    let expanded = budget / claims;
    let (_, issues) = issues_of(file.clone());
    let over: Vec<&Issue> = issues
        .iter()
        .filter(|i| i.kind == IssueKind::ExpansionBudgetExceeded)
        .collect();
    assert_eq!(over.len(), 600 - expanded, "budget {budget}");
    let first_refused = buffers(&file)[1 + expanded].0;
    assert_eq!(over[0].file_offset, first_refused);
    assert_eq!(over[0].buffer, Some(1 + expanded as u32));
}

/// Under `ulimit -v`, a child process opens a bomb that would expand to 9.4 GiB.
#[test]
fn a_decompression_bomb_opens_in_bounded_memory() {
    if let Ok(path) = std::env::var("ETL_BOMB_CHILD") {
        let trace = Trace::open(&path).unwrap();
        let refused = trace
            .issues()
            .iter()
            .filter(|i| i.kind == IssueKind::ExpansionBudgetExceeded)
            .count();
        assert!(refused > 500, "{refused}");
        return;
    }
    if !cfg!(target_os = "linux") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.etl");
    std::fs::write(&path, bomb(600, (16 << 20) - BUFFER_HEADER_LEN)).unwrap();
    let exe = std::env::current_exe().unwrap();
    // 1 GiB of address space: threads and the harness fit, 600 × 16 MiB would not.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1048576; ulimit -t 60; exec \"$0\" --exact a_decompression_bomb_opens_in_bounded_memory --test-threads=1 --quiet")
        .arg(&exe)
        .env("ETL_BOMB_CHILD", &path)
        .status()
        .unwrap();
    assert!(status.success(), "child: {status:?}");
}

#[test]
fn a_failing_stream_costs_in_proportion_to_its_input() {
    // Claims 16 MiB, fails at its fourth byte: the output area stays near the input's size.
    let mut out = Vec::new();
    let bad = [0x00, 0x00, 0x00, 0x80, 0x07, 0x00];
    assert!(etl::xpress::decompress(&bad, 16 << 20, &mut out).is_err());
    assert!(out.capacity() <= 64 << 10, "{}", out.capacity());
}

/// Reads every byte of every event, as an export does.
fn touch_every_event(trace: &Trace) -> u64 {
    trace
        .events()
        .map(|e| e.record.iter().map(|&b| u64::from(b)).sum::<u64>())
        .sum()
}

/// The file shrinks under the mapping while it is read: no SIGBUS, and the trace says so.
/// Runs in a child process, so that a failure shows as a signal rather than killing the
/// test harness.
#[test]
fn a_file_truncated_while_read_is_reported_not_fatal() {
    if let Ok(path) = std::env::var("ETL_TRUNCATE_CHILD") {
        let trace = Trace::open(&path).unwrap();
        assert!(!trace.truncated_while_reading());
        let before = touch_every_event(&trace);
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(8192)
            .unwrap();
        let after = touch_every_event(&trace);
        assert!(after < before);
        assert!(trace.truncated_while_reading());
        let error = trace.check_intact().unwrap_err().to_string();
        assert!(
            error.starts_with("the file was truncated while being read"),
            "{error}"
        );
        return;
    }
    if !cfg!(unix) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shrinking.etl");
    std::fs::write(&path, written(50_000)).unwrap();
    let exe = std::env::current_exe().unwrap();
    let status = std::process::Command::new(exe)
        .args([
            "--exact",
            "a_file_truncated_while_read_is_reported_not_fatal",
            "--quiet",
        ])
        .env("ETL_TRUNCATE_CHILD", &path)
        .status()
        .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), None, "child killed by a signal");
    }
    assert!(status.success(), "child: {status:?}");
}
