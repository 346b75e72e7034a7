//! A small ETL writer: logfile header, per-processor buffers, SYSTEM / PERFINFO / classic /
//! EVENT_HEADER records, raw record copies, optional XPRESS compression.
//!
//! It writes what the reader expects from Windows (72-byte buffer headers with PROC_INDEX
//! processor numbers, 8-aligned records, 0xFF filler), so tests can build exact fixtures,
//! damaged ones included, and exports can write filtered traces.

use uuid::Uuid;

use super::layout::{BUFFER_FLAG_COMPRESSED, BUFFER_FLAG_PROC_INDEX, BUFFER_HEADER_LEN};
use super::xpress;

/// Settings of the written session.
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Buffer size in bytes (multiple of 8, at least 1 KiB).
    pub buffer_size: u32,
    /// Processors (one buffer stream each; records name their CPU).
    pub processors: u16,
    /// FILETIME of the session start.
    pub start_time: i64,
    /// Raw QPC value at session start.
    pub start_qpc: i64,
    /// QPC frequency in Hz.
    pub perf_freq: i64,
    /// LoggerName in the session header.
    pub logger_name: String,
    /// LogFileName in the session header.
    pub log_file_name: String,
    /// OS version (major, minor) and build stored in the logfile header.
    pub os_version: (u8, u8, u32),
    /// LogFileMode flags of the session header (EVENT_TRACE_FILE_MODE_*).
    pub log_file_mode: u32,
    /// EventsLost in the session header.
    pub events_lost: u32,
    /// Write buffers XPRESS-compressed (as PerfView and pktmon do).
    pub compress: bool,
    /// Clock type stored in the header (1 QPC, 2 system time, 3 CPU cycles).
    pub clock_type: u32,
    /// CpuSpeedInMHz in the session header.
    pub cpu_speed_mhz: u32,
    /// TimeZoneInformation's Bias, minutes west of UTC.
    pub timezone_bias_minutes: i32,
    /// FILETIME of the session's end written in the header; 0 = unknown (unclean stop).
    pub end_time: i64,
}

impl WriterOptions {
    /// Options that reproduce an existing trace's session header, so raw timestamps copied
    /// from it convert to the same times. `anchor_raw` is the raw timestamp of its header
    /// record.
    pub fn from_logfile(
        l: &super::LogfileHeader,
        anchor_raw: i64,
        compress: bool,
    ) -> WriterOptions {
        WriterOptions {
            buffer_size: 0x11000,
            processors: l.number_of_processors.clamp(1, 4096) as u16,
            start_time: l.start_time,
            start_qpc: anchor_raw,
            perf_freq: l.perf_freq,
            logger_name: l.logger_name.clone(),
            log_file_name: l.log_file_name.clone(),
            os_version: (
                (l.version & 0xFF) as u8,
                ((l.version >> 8) & 0xFF) as u8,
                l.provider_version,
            ),
            log_file_mode: l.log_file_mode,
            events_lost: l.events_lost,
            compress,
            clock_type: l.clock_type,
            cpu_speed_mhz: l.cpu_speed_mhz,
            timezone_bias_minutes: l.timezone_bias_minutes,
            end_time: l.end_time,
        }
    }
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            buffer_size: 64 * 1024,
            processors: 2,
            // 2024-01-01T00:00:00Z
            start_time: 133_485_408_000_000_000,
            start_qpc: 1_000_000,
            perf_freq: 10_000_000,
            logger_name: "etlview".to_string(),
            log_file_name: "etlview.etl".to_string(),
            os_version: (10, 0, 20348),
            log_file_mode: 0x0000_0001,
            events_lost: 0,
            compress: false,
            clock_type: 1,
            cpu_speed_mhz: 3000,
            timezone_bias_minutes: 0,
            end_time: 0,
        }
    }
}

/// The descriptor and identity of an EVENT_HEADER record.
#[derive(Debug, Clone, Default)]
pub struct EventRecord<'a> {
    /// Provider GUID of the EVENT_HEADER.
    pub provider: Uuid,
    /// Event id.
    pub id: u16,
    /// Event version.
    pub version: u8,
    /// Channel.
    pub channel: u8,
    /// Level (1 critical .. 5 verbose).
    pub level: u8,
    /// Opcode.
    pub opcode: u8,
    /// Task.
    pub task: u16,
    /// Keyword mask.
    pub keyword: u64,
    /// Process id.
    pub process_id: u32,
    /// Thread id.
    pub thread_id: u32,
    /// Raw timestamp in the session clock.
    pub timestamp: i64,
    /// ActivityId, written as an extended data item when present.
    pub activity_id: Option<Uuid>,
    /// Extended items (type, data).
    pub extended: Vec<(u16, &'a [u8])>,
    /// User data.
    pub payload: &'a [u8],
    /// Write an EVENT_HEADER32 (WOW64 logger) instead of EVENT_HEADER64.
    pub header32: bool,
}

/// Builds an ETL file in memory.
#[derive(Debug)]
pub struct EtlWriter {
    options: WriterOptions,
    out: Vec<u8>,
    /// Open buffer payload per processor.
    open: Vec<Vec<u8>>,
    buffers_written: u32,
    buffers_lost: u32,
    header_offset: usize,
}

/// A record too large for the buffer size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record of {size} bytes does not fit a {buffer_size}-byte buffer")]
pub struct RecordTooLarge {
    /// Bytes the record needs.
    pub size: usize,
    /// Payload room of one buffer.
    pub buffer_size: u32,
}

impl EtlWriter {
    /// Starts a file: writes the header buffer with the EventTrace/Header record.
    pub fn new(options: WriterOptions) -> EtlWriter {
        let processors = options.processors.max(1);
        let mut w = EtlWriter {
            open: vec![Vec::new(); usize::from(processors)],
            options,
            out: Vec::new(),
            buffers_written: 0,
            buffers_lost: 0,
            header_offset: 0,
        };
        let header_record = system_record(
            0x02,
            2,
            0x0000,
            0,
            0,
            w.options.start_qpc,
            &logfile_header_payload(&w.options),
        );
        w.header_offset = BUFFER_HEADER_LEN + 0x20;
        let payload = pad8(header_record);
        w.emit_buffer(0, 4, 0x0001, &payload, false);
        w
    }

    /// Appends a kernel SYSTEM64 record (`hook_id` = group << 8 | type).
    #[allow(clippy::too_many_arguments)]
    pub fn push_system(
        &mut self,
        cpu: u16,
        hook_id: u16,
        version: u8,
        pid: u32,
        tid: u32,
        timestamp: i64,
        payload: &[u8],
    ) -> Result<(), RecordTooLarge> {
        let rec = system_record(
            0x02,
            u16::from(version),
            hook_id,
            pid,
            tid,
            timestamp,
            payload,
        );
        self.push_raw_record(cpu, &rec)
    }

    /// Appends a kernel PERFINFO64 record.
    pub fn push_perfinfo(
        &mut self,
        cpu: u16,
        hook_id: u16,
        version: u8,
        timestamp: i64,
        payload: &[u8],
    ) -> Result<(), RecordTooLarge> {
        let size = 0x10 + payload.len();
        let mut r = Vec::with_capacity(size);
        r.extend(u16::from(version).to_le_bytes());
        r.push(0x11);
        r.push(0xC0);
        r.extend((size as u16).to_le_bytes());
        r.extend(hook_id.to_le_bytes());
        r.extend(timestamp.to_le_bytes());
        r.extend(payload);
        self.push_raw_record(cpu, &r)
    }

    /// Appends a classic EVENT_TRACE_HEADER (FULL_HEADER64) record.
    #[allow(clippy::too_many_arguments)]
    pub fn push_classic(
        &mut self,
        cpu: u16,
        guid: Uuid,
        event_type: u8,
        version: u16,
        pid: u32,
        tid: u32,
        timestamp: i64,
        payload: &[u8],
    ) -> Result<(), RecordTooLarge> {
        let size = 0x30 + payload.len();
        let mut r = Vec::with_capacity(size);
        r.extend((size as u16).to_le_bytes());
        r.push(0x14);
        r.push(0xC0);
        r.push(event_type);
        r.push(0);
        r.extend(version.to_le_bytes());
        r.extend(tid.to_le_bytes());
        r.extend(pid.to_le_bytes());
        r.extend(timestamp.to_le_bytes());
        r.extend(guid.to_bytes_le());
        r.extend(0u64.to_le_bytes());
        r.extend(payload);
        self.push_raw_record(cpu, &r)
    }

    /// Appends an EVENT_HEADER record.
    pub fn push_event(&mut self, cpu: u16, e: &EventRecord) -> Result<(), RecordTooLarge> {
        let mut ext = Vec::new();
        for (i, (ext_type, data)) in e.extended.iter().enumerate() {
            let item_size = (8 + data.len()).div_ceil(8) * 8;
            ext.extend((item_size as u16).to_le_bytes());
            ext.extend(ext_type.to_le_bytes());
            let linked = u16::from(i + 1 < e.extended.len());
            ext.extend(linked.to_le_bytes());
            ext.extend((data.len() as u16).to_le_bytes());
            ext.extend(*data);
            ext.resize(ext.len() + item_size - 8 - data.len(), 0);
        }
        let size = 0x50 + ext.len() + e.payload.len();
        let mut r = Vec::with_capacity(size);
        r.extend((size.min(0xFFFF) as u16).to_le_bytes());
        r.push(if e.header32 { 0x12 } else { 0x13 });
        r.push(0xC0);
        r.extend(u16::from(!ext.is_empty()).to_le_bytes());
        r.extend(0u16.to_le_bytes());
        r.extend(e.thread_id.to_le_bytes());
        r.extend(e.process_id.to_le_bytes());
        r.extend(e.timestamp.to_le_bytes());
        r.extend(e.provider.to_bytes_le());
        r.extend(e.id.to_le_bytes());
        r.extend([e.version, e.channel, e.level, e.opcode]);
        r.extend(e.task.to_le_bytes());
        r.extend(e.keyword.to_le_bytes());
        r.extend(0u64.to_le_bytes());
        r.extend(e.activity_id.unwrap_or_default().to_bytes_le());
        r.extend(ext);
        r.extend(e.payload);
        if size > 0xFFFF {
            return Err(RecordTooLarge {
                size,
                buffer_size: self.options.buffer_size,
            });
        }
        self.push_raw_record(cpu, &r)
    }

    /// Appends a record given as its exact bytes (its own header included), e.g. one copied
    /// from another trace. Records of one processor must come in time order.
    pub fn push_raw_record(&mut self, cpu: u16, record: &[u8]) -> Result<(), RecordTooLarge> {
        let capacity = self.options.buffer_size as usize - BUFFER_HEADER_LEN;
        let padded = record.len().div_ceil(8) * 8;
        if padded > capacity {
            return Err(RecordTooLarge {
                size: record.len(),
                buffer_size: self.options.buffer_size,
            });
        }
        let slot = usize::from(cpu) % self.open.len();
        if self.open[slot].len() + padded > capacity {
            self.flush_processor(slot);
        }
        let buf = &mut self.open[slot];
        buf.extend(record);
        buf.resize(buf.len() + padded - record.len(), 0);
        Ok(())
    }

    fn flush_processor(&mut self, slot: usize) {
        let payload = std::mem::take(&mut self.open[slot]);
        if !payload.is_empty() {
            let compress = self.options.compress;
            self.emit_buffer(slot as u16, 0, 0, &payload, compress);
        }
    }

    fn emit_buffer(
        &mut self,
        cpu: u16,
        buffer_type: u16,
        flags: u16,
        payload: &[u8],
        compress: bool,
    ) {
        let filled = (BUFFER_HEADER_LEN + payload.len()) as u32;
        let (body, size, flags) = if compress {
            let stream = xpress::compress(payload);
            let size = (BUFFER_HEADER_LEN + stream.len()) as u32;
            (stream, size, flags | BUFFER_FLAG_COMPRESSED)
        } else {
            let mut body = payload.to_vec();
            body.resize(self.options.buffer_size as usize - BUFFER_HEADER_LEN, 0xFF);
            (body, self.options.buffer_size, flags)
        };
        let flags = flags | BUFFER_FLAG_PROC_INDEX;
        let mut h = Vec::with_capacity(BUFFER_HEADER_LEN);
        h.extend(size.to_le_bytes());
        h.extend(filled.to_le_bytes()); // SavedOffset
        h.extend(0u32.to_le_bytes()); // CurrentOffset
        h.extend(0i32.to_le_bytes()); // ReferenceCount
        h.extend(self.options.start_time.to_le_bytes()); // TimeStamp (flush time)
        h.extend(i64::from(self.buffers_written).to_le_bytes()); // SequenceNumber
        h.extend(0u64.to_le_bytes());
        h.extend(u32::from(cpu).to_le_bytes()); // ClientContext: ProcessorIndex
        h.extend(3u32.to_le_bytes()); // State: Flush
        h.extend(filled.to_le_bytes()); // Offset
        h.extend(flags.to_le_bytes());
        h.extend(buffer_type.to_le_bytes());
        h.extend([0u8; 16]);
        self.out.extend(h);
        self.out.extend(body);
        self.buffers_written += 1;
    }

    /// Sets the logfile header's BuffersLost: buffers the session (or, for a copy, its
    /// damaged source) lost. Written by [`EtlWriter::finish`].
    pub fn set_buffers_lost(&mut self, lost: u32) {
        self.buffers_lost = lost;
    }

    /// Flushes every open buffer and returns the file's bytes.
    pub fn finish(mut self) -> Vec<u8> {
        for slot in 0..self.open.len() {
            self.flush_processor(slot);
        }
        // BuffersWritten in the logfile header (offset 0x24 of its payload).
        let at = self.header_offset + 0x24;
        if let Some(field) = self.out.get_mut(at..at + 4) {
            field.copy_from_slice(&self.buffers_written.to_le_bytes());
        }
        // BuffersLost (offset 0x114 of the 8-byte-pointer layout).
        let at = self.header_offset + 0x114;
        if let Some(field) = self.out.get_mut(at..at + 4) {
            field.copy_from_slice(&self.buffers_lost.to_le_bytes());
        }
        self.out
    }
}

fn pad8(mut v: Vec<u8>) -> Vec<u8> {
    v.resize(v.len().div_ceil(8) * 8, 0);
    v
}

fn system_record(
    header_type: u8,
    version: u16,
    hook_id: u16,
    pid: u32,
    tid: u32,
    timestamp: i64,
    payload: &[u8],
) -> Vec<u8> {
    let size = 0x20 + payload.len();
    let mut r = Vec::with_capacity(size);
    r.extend(version.to_le_bytes());
    r.push(header_type);
    r.push(0xC0);
    r.extend((size as u16).to_le_bytes());
    r.extend(hook_id.to_le_bytes());
    r.extend(tid.to_le_bytes());
    r.extend(pid.to_le_bytes());
    r.extend(timestamp.to_le_bytes());
    r.extend(0u64.to_le_bytes()); // kernel + user time
    r.extend(payload);
    r
}

/// TRACE_LOGFILE_HEADER for 8-byte pointers (format doc §5).
fn logfile_header_payload(o: &WriterOptions) -> Vec<u8> {
    let mut p = Vec::with_capacity(0x200);
    p.extend(o.buffer_size.to_le_bytes());
    let version =
        u32::from(o.os_version.0) | (u32::from(o.os_version.1) << 8) | (1 << 16) | (5 << 24);
    p.extend(version.to_le_bytes());
    p.extend(o.os_version.2.to_le_bytes());
    p.extend(u32::from(o.processors).to_le_bytes());
    p.extend(o.end_time.to_le_bytes()); // EndTime (0: unknown, as for unclean stops)
    p.extend(156_250u32.to_le_bytes()); // TimerResolution
    p.extend(0u32.to_le_bytes()); // MaximumFileSize
    p.extend(o.log_file_mode.to_le_bytes());
    p.extend(0u32.to_le_bytes()); // BuffersWritten, patched by finish()
    p.extend(1u32.to_le_bytes()); // StartBuffers
    p.extend(8u32.to_le_bytes()); // PointerSize
    p.extend(o.events_lost.to_le_bytes());
    p.extend(o.cpu_speed_mhz.to_le_bytes()); // CpuSpeedInMHz
    p.extend(0u64.to_le_bytes()); // LoggerName pointer
    p.extend(0u64.to_le_bytes()); // LogFileName pointer
    p.extend(o.timezone_bias_minutes.to_le_bytes()); // TimeZone.Bias
    p.extend([0u8; 0xA8]); // rest of TIME_ZONE_INFORMATION
    p.extend([0u8; 4]); // padding
    p.extend(o.start_time.to_le_bytes()); // BootTime
    p.extend(o.perf_freq.to_le_bytes());
    p.extend(o.start_time.to_le_bytes());
    p.extend(o.clock_type.to_le_bytes()); // ReservedFlags: clock type
    p.extend(0u32.to_le_bytes()); // BuffersLost
    for s in [&o.logger_name, &o.log_file_name] {
        for unit in s.encode_utf16().chain([0]) {
            p.extend(unit.to_le_bytes());
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClockKind, HeaderKind, ProviderId, Trace};

    fn provider() -> Uuid {
        Uuid::parse_str("7d44233d-3055-4b9c-ba64-0d47ca40a232").unwrap()
    }

    fn sample(compress: bool) -> Vec<u8> {
        let mut w = EtlWriter::new(WriterOptions {
            compress,
            buffer_size: 4096,
            ..WriterOptions::default()
        });
        for i in 0..200u32 {
            let payload = format!("event {i}");
            w.push_event(
                (i % 2) as u16,
                &EventRecord {
                    provider: provider(),
                    id: 1,
                    level: 4,
                    process_id: 1432,
                    thread_id: 7,
                    timestamp: 1_000_000 + i64::from(i) * 10,
                    extended: vec![(0x000A, &[1, 2, 3, 4, 5, 6, 7, 8][..])],
                    payload: payload.as_bytes(),
                    ..EventRecord::default()
                },
            )
            .unwrap();
        }
        w.push_system(0, 0x0303, 3, 4, 8, 1_005_000, &[0u8; 40])
            .unwrap();
        w.finish()
    }

    #[test]
    fn written_trace_reads_back() {
        for compress in [false, true] {
            let trace = Trace::from_bytes(sample(compress)).unwrap();
            assert!(trace.issues().is_empty(), "{:?}", trace.issues());
            assert_eq!(trace.len(), 202);
            let l = trace.logfile().unwrap();
            assert_eq!(l.logger_name, "etlview");
            assert_eq!(l.buffers_written as usize, trace.buffers().len());
            assert_eq!(trace.clock().kind, ClockKind::Qpc);
            let events: Vec<_> = trace.events().collect();
            assert_eq!(events[0].header.kind, HeaderKind::System64);
            assert_eq!(events[201].header.provider, ProviderId::Kernel { group: 3 });
            let e = &events[1];
            assert_eq!(e.header.process_id, Some(1432));
            assert_eq!(e.payload(), b"event 0");
            assert_eq!(e.extended_items().count(), 1);
            // at 10 MHz one QPC tick is one FILETIME tick
            assert_eq!(events[2].filetime - events[1].filetime, 10);
            assert_eq!(e.time_string(), "2024-01-01T00:00:00.0000000Z");
            assert_eq!(
                trace.buffers().iter().filter(|b| b.is_compressed()).count() > 0,
                compress
            );
        }
    }
}
