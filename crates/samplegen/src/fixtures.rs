//! Small traces for tests of several sources: one machine each, with a process of the
//! test's choosing.

use etl::writer::{EtlWriter, EventRecord, WriterOptions};

use crate::kernel::{Account, PROCESS_DC_START, PROCESS_VERSION, ProcessInfo, process_payload};

/// Microsoft-Windows-WinHttp, so the events read as the ARR case's.
const WINHTTP: uuid::Uuid = uuid::Uuid::from_u128(0x7d44233d_3055_4b9c_ba64_0d47ca40a232);

/// A trace of one machine: the kernel process rundown names `pid` as `image`, then `events`
/// WinHttp events of that process follow, 1 ms apart, starting `offset_ms` after the
/// session start (2024-01-01T00:00:00Z, the writer's default).
pub fn process_trace(pid: u32, image: &'static str, events: u32, offset_ms: i64) -> Vec<u8> {
    let options = WriterOptions::default();
    let start = options.start_qpc;
    // The writer's clock is 10 MHz QPC: 10,000 ticks a millisecond.
    let at = |ms: i64| start + (offset_ms + ms) * 10_000;
    let mut writer = EtlWriter::new(options);
    let process = ProcessInfo {
        pid,
        parent: 4,
        session: 0,
        image,
        command_line: image,
        account: Account::LocalSystem,
    };
    writer
        .push_system(
            0,
            PROCESS_DC_START,
            PROCESS_VERSION,
            pid,
            0,
            at(0),
            &process_payload(&process),
        )
        .expect("a process rundown record fits a buffer");
    let text: Vec<u8> = "fixture event"
        .encode_utf16()
        .chain([0])
        .flat_map(u16::to_le_bytes)
        .collect();
    for i in 1..=events {
        let record = EventRecord {
            provider: WINHTTP,
            id: 1,
            level: 4,
            process_id: pid,
            thread_id: pid + 4,
            timestamp: at(i64::from(i)),
            payload: &text,
            ..EventRecord::default()
        };
        writer
            .push_event((i % 2) as u16, &record)
            .expect("a small event fits a buffer");
    }
    writer.finish()
}
