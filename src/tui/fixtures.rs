//! Traces built in memory for the viewer's tests.

use std::sync::Arc;

use uuid::Uuid;

use crate::timeline::{Timeline, TimelineOptions};
use etl::Trace;
use etl::writer::{EtlWriter, EventRecord, WriterOptions};

pub const WINHTTP: Uuid = Uuid::from_u128(0x7d44233d_3055_4b9c_ba64_0d47ca40a232);
pub const WEBIO: Uuid = Uuid::from_u128(0x50b3e73c_9370_461d_bb9f_26f32d68887d);

/// Frames (0-based; frame 0 is the EventTrace header record) with level 1 or 2.
pub const FAILURE_FRAMES: [u32; 3] = [10, 25, 33];
/// Frames with level 3.
pub const WARNING_FRAMES: [u32; 1] = [17];

fn level_of(frame: u32) -> u8 {
    match frame {
        33 => 1,
        f if FAILURE_FRAMES.contains(&f) => 2,
        f if WARNING_FRAMES.contains(&f) => 3,
        _ => 4,
    }
}

/// UTF-16LE text, as WinHTTP's trace events carry it.
fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16()
        .chain([0])
        .flat_map(u16::to_le_bytes)
        .collect()
}

/// 40 events after the header record, 1 µs apart: WinHTTP from pid 1432 and WebIO from pid
/// 900 (every fourth frame), failures at [`FAILURE_FRAMES`], a warning at
/// [`WARNING_FRAMES`].
pub fn small_trace() -> Vec<u8> {
    let mut writer = EtlWriter::new(WriterOptions {
        buffer_size: 4096,
        ..WriterOptions::default()
    });
    let start = WriterOptions::default().start_qpc;
    for frame in 1..=40u32 {
        let web_io = frame % 4 == 0;
        let text = match level_of(frame) {
            1 | 2 => format!("sys-recver failed to receive headers; error = ? (12002) #{frame}"),
            3 => format!("retrying request #{frame}"),
            _ => format!("request #{frame} \x1b[31mok"),
        };
        let payload = utf16(&text);
        let extended: Vec<(u16, &[u8])> = if frame == 1 {
            vec![(0x000A, &[1, 2, 3, 4, 5, 6, 7, 8][..])]
        } else {
            Vec::new()
        };
        let record = EventRecord {
            provider: if web_io { WEBIO } else { WINHTTP },
            id: if web_io { 60_000 } else { 1 },
            level: level_of(frame),
            keyword: 0x8000_0000_0000_0000,
            process_id: if web_io { 900 } else { 1432 },
            thread_id: if web_io { 3 } else { 7 },
            timestamp: start + i64::from(frame) * 10,
            extended,
            payload: &payload,
            ..EventRecord::default()
        };
        writer
            .push_event((frame % 2) as u16, &record)
            .expect("small records fit a 4 KiB buffer");
    }
    writer.finish()
}

/// `events` WinHTTP events with a failure every 1000th and a warning every 700th, 1 µs
/// apart, for size and speed measurements.
pub fn large_trace(events: u32) -> Vec<u8> {
    let mut writer = EtlWriter::new(WriterOptions {
        buffer_size: 64 * 1024,
        processors: 4,
        ..WriterOptions::default()
    });
    let start = WriterOptions::default().start_qpc;
    let payload = utf16("request 0123456789 completed");
    for i in 0..events {
        let level = if i % 1000 == 999 {
            2
        } else if i % 700 == 699 {
            3
        } else {
            4
        };
        let record = EventRecord {
            provider: WINHTTP,
            id: 1,
            level,
            process_id: 1432 + i % 3,
            thread_id: 7,
            timestamp: start + i64::from(i + 1) * 10,
            payload: &payload,
            ..EventRecord::default()
        };
        writer
            .push_event((i % 4) as u16, &record)
            .expect("small records fit a 64 KiB buffer");
    }
    writer.finish()
}

pub fn session(bytes: Vec<u8>) -> Arc<Timeline> {
    let trace = Trace::from_bytes(bytes).expect("the writer produces readable traces");
    Arc::new(Timeline::from_trace(trace, TimelineOptions::default()))
}
