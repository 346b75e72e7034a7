//! A netsh-style trace under construction: the session header of a merged `NetTrace.etl`,
//! a QPC clock that only moves forward, the EventMetadata record netsh's merge puts before
//! the first event of each kind, and NDIS-PacketCapture fragments for captured frames.
//!
//! Records are written in time order as the story is told, so the frame number of every
//! record is known while writing (the EventTrace header is frame 1); [`NetTrace::mark`] keeps
//! the frame numbers a scenario wants to cite.

use super::event_info_writer::event_info_blob;
use super::events::{
    EventSpec, NDIS_ETHERNET, NDIS_FRAGMENT, NDIS_FRAGMENT_KEYWORD, NDIS_PACKET_END,
    NDIS_PACKET_START, NDIS_RECEIVE, NDIS_SEND, WINHTTP_TEXT,
};
use super::packets::{Direction, Frame};
use super::payload::Payload;
use decode::event_info::{METADATA_PROVIDER, OPCODE_EVENT_INFO};
use etl::layout::BUFFER_HEADER_LEN;
use etl::writer::{EtlWriter, EventRecord, RecordTooLarge, WriterOptions};
use std::collections::HashSet;
use uuid::Uuid;

/// QPC ticks per second (10 MHz, the frequency of every modern Windows machine).
pub const PERF_FREQ: i64 = 10_000_000;
const TICKS_PER_MS: i64 = PERF_FREQ / 1000;
/// FILETIME of 2024-03-12T14:32:08Z, when the sample sessions start.
pub const SAMPLE_START_TIME: i64 = 133_547_275_280_000_000;
/// QPC value at that moment (about ten days of uptime).
pub const SAMPLE_START_QPC: i64 = 8_641_220_145_332;
/// Size of the header buffer in a merged file (the session buffers stay 64 KiB).
const MERGED_HEADER_BUFFER: usize = 1024;
/// TRACE_LOGFILE_HEADER version word of merged files: OS 10.0, log-file layout 2.0.
const MERGED_LAYOUT_VERSION: u32 = 0x0002_000A;
/// EVENT_TRACE_FILE_MODE_SEQUENTIAL | RELOG_MODE | COMPRESSED_MODE.
const MERGED_LOG_FILE_MODE: u32 = 0x0401_0001;
/// EVENT_TRACE_FILE_MODE_SEQUENTIAL (an uncompressed live session file).
const PLAIN_LOG_FILE_MODE: u32 = 0x0000_0001;

/// Where an event is logged from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context {
    pub cpu: u16,
    pub pid: u32,
    pub tid: u32,
}

/// The capture interface of the ARR server.
pub const CAPTURE_IF_INDEX: u32 = 6;

/// How the file is laid out.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub processors: u16,
    /// Merged/relogged form: small header buffer, compressed 64 KiB buffers.
    pub merged: bool,
}

/// A finished trace and the frame numbers the story marked.
#[derive(Debug)]
pub struct Built {
    pub bytes: Vec<u8>,
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the tests"))]
    pub marks: Vec<(&'static str, usize)>,
    /// Records in the file, the EventTrace header included.
    #[cfg_attr(not(test), expect(dead_code, reason = "read by the tests"))]
    pub records: usize,
}

/// The trace being written.
pub struct NetTrace {
    writer: EtlWriter,
    merged: bool,
    now: i64,
    records: usize,
    described: HashSet<(Uuid, u16, u8)>,
    marks: Vec<(&'static str, usize)>,
    error: Option<RecordTooLarge>,
    /// Records to write at most (the header included); later ones are dropped.
    limit: Option<usize>,
}

impl NetTrace {
    pub fn new(layout: Layout) -> NetTrace {
        #[allow(clippy::needless_update)]
        let options = WriterOptions {
            buffer_size: 64 * 1024,
            processors: layout.processors,
            start_time: SAMPLE_START_TIME,
            start_qpc: SAMPLE_START_QPC,
            perf_freq: PERF_FREQ,
            logger_name: "NetTrace".to_string(),
            log_file_name: r"C:\Users\admin\AppData\Local\Temp\NetTraces\NetTrace.etl".to_string(),
            os_version: (10, 0, 17763),
            log_file_mode: if layout.merged {
                MERGED_LOG_FILE_MODE
            } else {
                PLAIN_LOG_FILE_MODE
            },
            events_lost: 0,
            compress: layout.merged,
            clock_type: 1, // QPC
            cpu_speed_mhz: 2394,
            timezone_bias_minutes: 0, // the server runs on UTC
            // The writer gains options over time; new ones keep their defaults.
            ..WriterOptions::default()
        };
        NetTrace {
            writer: EtlWriter::new(options),
            merged: layout.merged,
            now: SAMPLE_START_QPC,
            records: 1,
            described: HashSet::new(),
            marks: Vec::new(),
            error: None,
            limit: None,
        }
    }

    /// Stops writing once the file holds `records` records.
    pub fn set_limit(&mut self, records: usize) {
        self.limit = Some(records);
    }

    /// Whether the record limit is reached.
    pub fn is_full(&self) -> bool {
        self.limit.is_some_and(|limit| self.records >= limit)
    }

    /// Lets `ms` milliseconds pass (fractions allowed down to 100 ns).
    pub fn wait_ms(&mut self, ms: f64) {
        self.now += (ms * TICKS_PER_MS as f64).round() as i64;
    }

    /// Seconds since the session started.
    pub fn elapsed_seconds(&self) -> f64 {
        (self.now - SAMPLE_START_QPC) as f64 / PERF_FREQ as f64
    }

    /// The wall clock (UTC) of the current moment as WinHTTP prints it: `HH:MM:SS.mmm`.
    pub fn clock_text(&self) -> String {
        let filetime = SAMPLE_START_TIME + (self.now - SAMPLE_START_QPC) * 10_000_000 / PERF_FREQ;
        let ms_of_day = (filetime / 10_000).rem_euclid(86_400_000);
        format!(
            "{:02}:{:02}:{:02}.{:03}",
            ms_of_day / 3_600_000,
            ms_of_day / 60_000 % 60,
            ms_of_day / 1000 % 60,
            ms_of_day % 1000
        )
    }

    /// Unix seconds of the current moment (for HTTP `Date:` headers).
    pub fn unix_seconds(&self) -> i64 {
        let filetime = SAMPLE_START_TIME + (self.now - SAMPLE_START_QPC) * 10_000_000 / PERF_FREQ;
        filetime / 10_000_000 - 11_644_473_600
    }

    /// Remembers the frame number of the record written last under `label`.
    pub fn mark(&mut self, label: &'static str) {
        self.marks.push((label, self.records));
    }

    /// Moves the clock by a few microseconds so that no two records share a timestamp.
    fn step(&mut self) -> i64 {
        self.now += 9 + (self.records as i64 * 37) % 23;
        self.now
    }

    fn note(&mut self, result: Result<(), RecordTooLarge>) {
        self.records += 1;
        if let Err(e) = result {
            self.error.get_or_insert(e);
        }
    }

    /// A kernel SYSTEM record (rundown).
    pub fn system(&mut self, at: Context, hook_id: u16, version: u8, payload: &[u8]) {
        if self.is_full() {
            return;
        }
        let ts = self.step();
        let r = self
            .writer
            .push_system(at.cpu, hook_id, version, at.pid, at.tid, ts, payload);
        self.note(r);
    }

    /// A kernel PERFINFO record (image rundown).
    pub fn perfinfo(&mut self, cpu: u16, hook_id: u16, version: u8, payload: &[u8]) {
        if self.is_full() {
            return;
        }
        let ts = self.step();
        let r = self
            .writer
            .push_perfinfo(cpu, hook_id, version, ts, payload);
        self.note(r);
    }

    /// A manifest event with its manifest keywords.
    pub fn event(&mut self, at: Context, spec: &EventSpec, payload: Payload) {
        self.event_with_keyword(at, spec, spec.keyword, &payload.into_bytes());
    }

    /// Remembers `frame` under `label` (see [`Self::capture`]).
    pub fn mark_frame(&mut self, label: &'static str, frame: usize) {
        self.marks.push((label, frame));
    }

    /// A manifest event; the first of its kind is preceded by its EventMetadata record,
    /// logged with the same context and timestamp as the merge does. Returns the event's
    /// frame number.
    pub fn event_with_keyword(
        &mut self,
        at: Context,
        spec: &EventSpec,
        keyword: u64,
        data: &[u8],
    ) -> usize {
        if self.is_full() {
            return self.records;
        }
        let ts = self.step();
        if self
            .described
            .insert((spec.provider.guid, spec.id, spec.version))
        {
            let blob = event_info_blob(spec);
            let r = self.writer.push_classic(
                at.cpu,
                METADATA_PROVIDER,
                OPCODE_EVENT_INFO,
                0,
                at.pid,
                at.tid,
                ts,
                &blob,
            );
            self.note(r);
            if self.is_full() {
                return self.records;
            }
        }
        let record = EventRecord {
            provider: spec.provider.guid,
            id: spec.id,
            version: spec.version,
            channel: 0,
            level: spec.level,
            opcode: spec.opcode,
            task: spec.task,
            keyword,
            process_id: at.pid,
            thread_id: at.tid,
            timestamp: ts,
            payload: data,
            ..EventRecord::default()
        };
        let r = self.writer.push_event(at.cpu, &record);
        self.note(r);
        self.records
    }

    /// A WinHTTP trace line: `HH:MM:SS.mmm ::body` in event 1.
    pub fn winhttp_text(&mut self, at: Context, body: &str) {
        let line = format!("{} ::{body}", self.clock_text());
        self.event(at, &WINHTTP_TEXT, Payload::new().utf16(&line));
    }

    /// A captured frame as one NDIS-PacketCapture 1001 event, or as two when `split_at`
    /// cuts it (PacketStart on the first fragment, PacketEnd on the second). Returns the
    /// frame number of the first fragment.
    pub fn capture(&mut self, at: Context, frame: &Frame, split_at: Option<usize>) -> usize {
        let direction = match frame.direction {
            Direction::Send => NDIS_SEND,
            Direction::Receive => NDIS_RECEIVE,
        };
        let base = NDIS_FRAGMENT_KEYWORD | NDIS_ETHERNET | direction;
        let cut = split_at.filter(|&n| n > 0 && n < frame.bytes.len());
        let pieces: Vec<(&[u8], u64)> = match cut {
            Some(n) => vec![
                (&frame.bytes[..n], NDIS_PACKET_START),
                (&frame.bytes[n..], NDIS_PACKET_END),
            ],
            None => vec![(&frame.bytes[..], NDIS_PACKET_START | NDIS_PACKET_END)],
        };
        let mut first = None;
        for (piece, position) in pieces {
            let data = Payload::new()
                .u32(CAPTURE_IF_INDEX)
                .u32(CAPTURE_IF_INDEX)
                .u32(piece.len() as u32)
                .bytes(piece)
                .into_bytes();
            let number = self.event_with_keyword(at, &NDIS_FRAGMENT, base | position, &data);
            first.get_or_insert(number);
        }
        first.unwrap_or(self.records)
    }

    /// Flushes the buffers and gives the file the header of a merged `NetTrace.etl`.
    pub fn finish(self) -> Result<Built, RecordTooLarge> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let end_filetime =
            SAMPLE_START_TIME + (self.now - SAMPLE_START_QPC) * 10_000_000 / PERF_FREQ;
        let mut bytes = self.writer.finish();
        patch_logfile_header(&mut bytes, end_filetime, self.merged);
        if self.merged {
            bytes = shrink_header_buffer(bytes);
        }
        Ok(Built {
            bytes,
            marks: self.marks,
            records: self.records,
        })
    }
}

/// File offset of the TRACE_LOGFILE_HEADER: buffer header + SYSTEM_TRACE_HEADER.
const LOGFILE_HEADER_AT: usize = BUFFER_HEADER_LEN + 0x20;

/// Sets what a cleanly stopped (and, if `merged`, relogged) session records: the end time,
/// a boot time days before the start, and the merged layout version.
fn patch_logfile_header(bytes: &mut [u8], end_filetime: i64, merged: bool) {
    let mut put = |offset: usize, value: &[u8]| {
        let at = LOGFILE_HEADER_AT + offset;
        if let Some(field) = bytes.get_mut(at..at + value.len()) {
            field.copy_from_slice(value);
        }
    };
    if merged {
        put(0x04, &MERGED_LAYOUT_VERSION.to_le_bytes());
    }
    put(0x10, &end_filetime.to_le_bytes());
    let boot = SAMPLE_START_TIME - SAMPLE_START_QPC * (10_000_000 / PERF_FREQ);
    put(0xF8, &boot.to_le_bytes());
}

/// Cuts the header buffer down to the size a relogger writes (its record is far smaller).
fn shrink_header_buffer(bytes: Vec<u8>) -> Vec<u8> {
    let u32_at = |at: usize| {
        bytes
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map_or(0, |b: [u8; 4]| u32::from_le_bytes(b) as usize)
    };
    let size = u32_at(0);
    let filled = u32_at(0x30);
    if filled > MERGED_HEADER_BUFFER || size < MERGED_HEADER_BUFFER || size > bytes.len() {
        return bytes;
    }
    let mut out = Vec::with_capacity(bytes.len() - size + MERGED_HEADER_BUFFER);
    out.extend(&bytes[..MERGED_HEADER_BUFFER]);
    out[..4].copy_from_slice(&(MERGED_HEADER_BUFFER as u32).to_le_bytes());
    out.extend(&bytes[size..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::WINHTTP_API_START;
    use etl::Trace;

    const AT: Context = Context {
        cpu: 1,
        pid: 1432,
        tid: 2216,
    };

    fn small_trace(merged: bool) -> Built {
        let mut t = NetTrace::new(Layout {
            processors: 2,
            merged,
        });
        t.wait_ms(1500.0);
        t.winhttp_text(AT, "WinHttpReceiveResponse(0x1e0c3f0, 0x0)");
        t.mark("text");
        t.event(
            AT,
            &WINHTTP_API_START,
            Payload::new().u64(0x1e0c3f0).ansi("WinHttpReadData"),
        );
        t.winhttp_text(AT, "second line");
        t.finish().unwrap()
    }

    #[test]
    fn metadata_precedes_the_first_event_of_each_kind_only() {
        let built = small_trace(true);
        let trace = Trace::from_bytes(built.bytes).unwrap();
        assert!(trace.issues().is_empty(), "{:?}", trace.issues());
        // header, metadata + text, metadata + API start, text
        assert_eq!(trace.len(), 6);
        assert_eq!(built.records, 6);
        assert_eq!(built.marks, vec![("text", 3)]);
        let events: Vec<_> = trace.events().collect();
        assert_eq!(events[1].header.provider_guid(), Some(METADATA_PROVIDER));
        assert_eq!(events[1].header.opcode, OPCODE_EVENT_INFO);
        assert_eq!(events[1].header.timestamp, events[2].header.timestamp);
        assert_eq!(events[1].header.process_id, Some(1432));
        assert_eq!(events[2].header.id, 1);
        assert_eq!(events[5].header.id, 1);
        let text = String::from_utf16_lossy(
            &events[2]
                .payload()
                .chunks(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect::<Vec<_>>(),
        );
        assert_eq!(
            text,
            "14:32:09.500 ::WinHttpReceiveResponse(0x1e0c3f0, 0x0)\0"
        );
    }

    #[test]
    fn merged_header_is_small_and_says_relogged() {
        let built = small_trace(true);
        assert_eq!(&built.bytes[..4], &1024u32.to_le_bytes());
        let trace = Trace::from_bytes(built.bytes).unwrap();
        let header = trace.logfile().unwrap();
        assert_eq!(header.buffer_size, 65536);
        assert_eq!(header.version, MERGED_LAYOUT_VERSION);
        assert_eq!(header.provider_version, 17763);
        assert_eq!(header.logger_name, "NetTrace");
        assert!(header.log_file_name.ends_with(r"\NetTraces\NetTrace.etl"));
        assert!(trace.buffers().iter().skip(1).all(|b| b.is_compressed()));
    }

    #[test]
    fn clock_text_is_utc_wall_clock() {
        let mut t = NetTrace::new(Layout {
            processors: 2,
            merged: false,
        });
        assert_eq!(t.clock_text(), "14:32:08.000");
        t.wait_ms(30_000.4);
        assert_eq!(t.clock_text(), "14:32:38.000");
        assert_eq!(t.unix_seconds(), 1_710_253_958);
    }
}
