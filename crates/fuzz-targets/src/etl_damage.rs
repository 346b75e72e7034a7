//! Structure-aware damage: the fuzz input is a script of mutations applied to an intact
//! trace from the etl writer, at the places real damage strikes (record markers, the end of
//! data field, sequence numbers, BuffersWritten, buffer boundaries, XPRESS streams that
//! expand far). Byte-level fuzzing rarely reaches these places with a consistent file around
//! them; here every input does.
//!
//! Promises checked: no panic; an event lost is never lost silently (fewer events than the
//! intact trace means at least one issue); the expanded bytes kept stay within the budget for
//! the file's size; every issue lies in the file.

use std::sync::OnceLock;

use etl::layout::BUFFER_HEADER_LEN;
use etl::writer::{EtlWriter, EventRecord, WriterOptions};
use etl::{Trace, xpress};

const BUFFER_SIZE: usize = 2048;
/// Mutations applied per input at most.
const MAX_STEPS: usize = 16;

/// The intact trace (three processors, small buffers), built once per process.
fn intact() -> &'static (Vec<u8>, usize) {
    static INTACT: OnceLock<(Vec<u8>, usize)> = OnceLock::new();
    INTACT.get_or_init(|| {
        let mut w = EtlWriter::new(WriterOptions {
            buffer_size: BUFFER_SIZE as u32,
            processors: 3,
            ..WriterOptions::default()
        });
        for i in 0..240u32 {
            let payload = vec![i as u8; 8 + (i as usize % 5) * 12];
            let _ = w.push_event(
                (i % 3) as u16,
                &EventRecord {
                    provider: uuid::Uuid::from_u128(0x3f5b_2c1a_0000_4000_8000_0000_0000_f00d),
                    id: (i % 4) as u16,
                    level: 4,
                    process_id: 1432,
                    thread_id: 7,
                    timestamp: 1_000_000 + i64::from(i),
                    payload: &payload,
                    ..EventRecord::default()
                },
            );
        }
        let bytes = w.finish();
        let events = Trace::from_bytes(bytes.clone()).map_or(0, |t| t.len());
        (bytes, events)
    })
}

/// Reads the script: each call takes the next byte (0 once the script ends).
struct Script<'a>(std::slice::Iter<'a, u8>);

impl Script<'_> {
    fn byte(&mut self) -> u8 {
        self.0.next().copied().unwrap_or(0)
    }
    fn pick(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (usize::from(self.byte()) << 8 | usize::from(self.byte())) % n
        }
    }
}

/// (offset, filled) of the buffers of an uncompressed-layout file.
fn buffers(file: &[u8]) -> Vec<(usize, usize)> {
    etl::walk::walk_buffers(file, BUFFER_SIZE)
        .buffers
        .iter()
        .map(|b| (b.file_offset, b.header.filled as usize))
        .collect()
}

/// Payload offsets of the records of the buffer at `at`.
fn records(file: &[u8], at: usize, filled: usize) -> Vec<usize> {
    let mut offsets = Vec::new();
    let data = file
        .get(at + BUFFER_HEADER_LEN..at + filled)
        .unwrap_or_default();
    etl::walk::walk_records(data, |s| offsets.push(s.offset as usize));
    offsets
}

/// Rewrites every buffer but the first as an XPRESS-compressed one.
fn compress_buffers(file: &[u8]) -> Vec<u8> {
    let all = buffers(file);
    let Some(&(first_data, _)) = all.get(1) else {
        return file.to_vec();
    };
    let mut out = file[..first_data].to_vec();
    for &(at, filled) in &all[1..] {
        let Some(data) = file.get(at + BUFFER_HEADER_LEN..at + filled) else {
            continue;
        };
        let stream = xpress::compress(data);
        let mut header = file[at..at + BUFFER_HEADER_LEN].to_vec();
        header[..4].copy_from_slice(&((BUFFER_HEADER_LEN + stream.len()) as u32).to_le_bytes());
        let flags = u16::from_le_bytes([header[0x34], header[0x35]]) | 0x0040;
        header[0x34..0x36].copy_from_slice(&flags.to_le_bytes());
        out.extend(header);
        out.extend(stream);
    }
    out
}

/// A compressed buffer whose 15-byte stream expands to `claims` copies of `byte`.
fn far_expanding_buffer(claims: usize, byte: u8, sequence: i64) -> Vec<u8> {
    let mut stream = Vec::new();
    stream.extend(0x7FFF_FFFFu32.to_le_bytes());
    stream.push(byte);
    stream.extend(0x0007u16.to_le_bytes());
    stream.extend([0x0F, 0xFF]);
    stream.extend(0u16.to_le_bytes());
    stream.extend((claims.saturating_sub(4) as u32).to_le_bytes());
    let mut h = vec![0u8; BUFFER_HEADER_LEN];
    h[..4].copy_from_slice(&((BUFFER_HEADER_LEN + stream.len()) as u32).to_le_bytes());
    h[0x18..0x20].copy_from_slice(&sequence.to_le_bytes());
    h[0x2C..0x30].copy_from_slice(&3u32.to_le_bytes());
    h[0x30..0x34].copy_from_slice(&((BUFFER_HEADER_LEN + claims) as u32).to_le_bytes());
    h[0x34..0x36].copy_from_slice(&0x0060u16.to_le_bytes());
    h[0x36..0x38].copy_from_slice(&1u16.to_le_bytes());
    h.extend(stream);
    h
}

fn put_u32(file: &mut [u8], at: usize, value: u32) {
    if let Some(field) = file.get_mut(at..at + 4) {
        field.copy_from_slice(&value.to_le_bytes());
    }
}

/// Runs the mutation script `data` over the intact trace and checks the promises.
pub fn etl_damage(data: &[u8]) {
    let (base, base_events) = intact();
    let mut script = Script(data.iter());
    let mut file = base.clone();
    // Payload damage first (it must happen before compression to land inside streams).
    let payload_steps = usize::from(script.byte()) % 4;
    let mut tail_filled = false;
    for _ in 0..payload_steps {
        let all = buffers(&file);
        let (at, filled) = all[1 + script.pick(all.len() - 1)];
        let offsets = records(&file, at, filled);
        if offsets.is_empty() {
            continue;
        }
        let record = at + BUFFER_HEADER_LEN + offsets[script.pick(offsets.len())];
        match script.byte() % 3 {
            // 0xFF over a record marker
            0 => file[record..record + 4].fill(0xFF),
            // an 0xFF tail up to the end of data
            1 => {
                tail_filled = true;
                file[record..at + filled].fill(0xFF);
            }
            // zeros from there
            _ => {
                tail_filled = true;
                file[record..at + filled].fill(0);
            }
        }
    }
    if script.byte() & 1 == 1 {
        file = compress_buffers(&file);
    }
    // Two damages can make a file agree with itself, and then no reader can see what is
    // missing: a file cut (or zeroed) at a buffer boundary whose BuffersWritten was changed
    // too, or records overwritten with filler and the end of data lowered over them (an
    // empty buffer).
    let (mut count_changed, mut cut, mut end_moved) = (false, false, false);
    for _ in 0..usize::from(script.byte()) % MAX_STEPS {
        let all = buffers(&file);
        if all.len() < 2 {
            break;
        }
        let (at, _) = all[1 + script.pick(all.len() - 1)];
        match script.byte() % 7 {
            // end of data lowered or raised
            0 => {
                end_moved = true;
                let filled = (BUFFER_HEADER_LEN + 8 * script.pick(BUFFER_SIZE / 8)) as u32;
                put_u32(&mut file, at + 0x30, filled);
            }
            // a sequence number copied from another buffer
            1 => {
                let (other, _) = all[script.pick(all.len())];
                let sequence = file[other + 0x18..other + 0x20].to_vec();
                file[at + 0x18..at + 0x20].copy_from_slice(&sequence);
            }
            // BuffersWritten changed
            2 => {
                count_changed = true;
                put_u32(
                    &mut file,
                    BUFFER_HEADER_LEN + 0x20 + 0x24,
                    script.pick(64) as u32,
                );
            }
            // the file cut at a buffer boundary
            3 => {
                cut = true;
                file.truncate(at);
            }
            // the buffer and everything after it zeroed
            4 => {
                cut = true;
                file[at..].fill(0);
            }
            // a buffer replaced by a copy of another of the same size
            5 => {
                let (other, _) = all[1 + script.pick(all.len() - 1)];
                let size = |b: usize| {
                    u32::from_le_bytes(file[b..b + 4].try_into().unwrap_or_default()) as usize
                };
                let copy = file.get(other..other + size(other)).map(<[u8]>::to_vec);
                if let Some(copy) = copy.filter(|_| size(other) == size(at) && other != at)
                    && let Some(target) = file.get_mut(at..at + copy.len())
                {
                    target.copy_from_slice(&copy);
                }
            }
            // a far-expanding compressed buffer appended
            _ => {
                let claims = (1 + script.pick(16 << 10)) << 10;
                let claims = claims.min((16 << 20) - BUFFER_HEADER_LEN);
                let buffer = far_expanding_buffer(claims, script.byte(), 1 << 20);
                for _ in 0..1 + script.pick(8) {
                    file.extend(&buffer);
                }
            }
        }
    }
    let Ok(trace) = Trace::from_bytes(file.clone()) else {
        return;
    };
    let issues = trace.issues();
    let consistent = (count_changed && cut) || (tail_filled && end_moved);
    if trace.len() < *base_events && !consistent {
        assert!(
            !issues.is_empty(),
            "{} of {} events lost without an issue",
            base_events - trace.len(),
            base_events
        );
    }
    for issue in issues {
        assert!(
            issue.file_offset <= file.len(),
            "issue beyond the file: {issue}"
        );
    }
    let expanded: usize = trace
        .buffers()
        .iter()
        .filter(|b| b.is_compressed())
        .map(|b| b.payload(&file).len())
        .sum();
    let budget = etl::damage::expansion_budget(file.len());
    assert!(
        expanded <= budget,
        "{expanded} expanded bytes kept, budget {budget}"
    );
    assert_eq!(trace.events().count(), trace.len(), "indexed events lost");
}
