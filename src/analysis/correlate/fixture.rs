//! Small WinHTTP / WebIO / TCPIP / HTTP.sys traces for tests, written with the project's
//! [`EtlWriter`] in the layouts of the builtin manifests. Every writer method returns the
//! 1-based frame number of the event it wrote (frame 1 is the session header), so tests do
//! not depend on timing.

use uuid::Uuid;

use super::failure::{HTTP_SERVICE_PROVIDER, TCPIP_PROVIDER};
use crate::timeline::{Timeline, TimelineOptions, WEBIO_PROVIDER, WINHTTP_PROVIDER};
use etl::Trace;
use etl::writer::{EtlWriter, EventRecord, WriterOptions};

/// Where an event is logged from.
#[derive(Debug, Clone, Copy)]
pub struct At {
    pub pid: u32,
    pub tid: u32,
}

pub const W3WP: At = At {
    pid: 1432,
    tid: 2216,
};
pub const W3WP_OTHER_THREAD: At = At {
    pid: 1432,
    tid: 3308,
};
pub const SYSTEM: At = At { pid: 4, tid: 172 };
pub const DPC: At = At { pid: 0, tid: 0 };

/// Little-endian payload builder.
#[derive(Debug, Clone, Default)]
pub struct Payload(Vec<u8>);

impl Payload {
    pub fn new() -> Payload {
        Payload::default()
    }
    pub fn u16(mut self, v: u16) -> Payload {
        self.0.extend(v.to_le_bytes());
        self
    }
    pub fn u32(mut self, v: u32) -> Payload {
        self.0.extend(v.to_le_bytes());
        self
    }
    pub fn u64(mut self, v: u64) -> Payload {
        self.0.extend(v.to_le_bytes());
        self
    }
    /// NUL-terminated UTF-16.
    pub fn utf16(mut self, s: &str) -> Payload {
        for unit in s.encode_utf16().chain([0]) {
            self.0.extend(unit.to_le_bytes());
        }
        self
    }
    /// UTF-16 without terminator (a string counted by an earlier length field).
    pub fn utf16_counted(mut self, s: &str) -> Payload {
        for unit in s.encode_utf16() {
            self.0.extend(unit.to_le_bytes());
        }
        self
    }
    /// NUL-terminated ANSI.
    pub fn ansi(mut self, s: &str) -> Payload {
        self.0.extend(s.as_bytes());
        self.0.push(0);
        self
    }
    /// A length-prefixed IPv4 SOCKADDR_IN (`u32` length, then 16 bytes).
    pub fn sockaddr_v4(self, ip: [u8; 4], port: u16) -> Payload {
        let mut this = self.u32(16);
        this.0.extend(2u16.to_le_bytes());
        this.0.extend(port.to_be_bytes());
        this.0.extend(ip);
        this.0.extend([0; 8]);
        this
    }
}

/// A trace being written.
pub struct Fixture {
    writer: EtlWriter,
    qpc: i64,
    frames: usize,
}

impl Default for Fixture {
    fn default() -> Self {
        Fixture::new()
    }
}

impl Fixture {
    pub fn new() -> Fixture {
        let options = WriterOptions::default();
        Fixture {
            qpc: options.start_qpc,
            writer: EtlWriter::new(options),
            frames: 1,
        }
    }

    /// Lets time pass (the QPC clock runs at 10 MHz).
    pub fn wait_ms(&mut self, ms: f64) {
        self.qpc = self.qpc.saturating_add((ms * 10_000.0).round() as i64);
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        at: At,
        provider: Uuid,
        id: u16,
        level: u8,
        opcode: u8,
        task: u16,
        payload: &Payload,
    ) -> usize {
        self.qpc = self.qpc.saturating_add(10);
        let record = EventRecord {
            provider,
            id,
            level,
            opcode,
            task,
            process_id: at.pid,
            thread_id: at.tid,
            timestamp: self.qpc,
            payload: &payload.0,
            ..EventRecord::default()
        };
        self.writer
            .push_event(0, &record)
            .unwrap_or_else(|e| panic!("fixture record too large: {e}"));
        self.frames = self.frames.saturating_add(1);
        self.frames
    }

    /// A WinHttp trace line (event 1, `HH:MM:SS.mmm ::body`).
    pub fn text(&mut self, at: At, body: &str) -> usize {
        let line = format!("12:00:00.000 ::{body}");
        self.push(
            at,
            WINHTTP_PROVIDER,
            1,
            0,
            0,
            0,
            &Payload::new().utf16(&line),
        )
    }

    /// One captured frame as a single NDIS-PacketCapture 1001 event (start and end).
    pub fn packet(&mut self, at: At, frame: &samplegen::packets::Frame) -> usize {
        let direction = match frame.direction {
            samplegen::packets::Direction::Send => 0x1_0000_0000,
            samplegen::packets::Direction::Receive => 0x2_0000_0000,
        };
        let mut payload = Payload::new()
            .u32(6)
            .u32(6)
            .u32(u32::try_from(frame.bytes.len()).unwrap_or(u32::MAX));
        payload.0.extend(&frame.bytes);
        self.qpc = self.qpc.saturating_add(10);
        let record = EventRecord {
            provider: crate::packet::NDIS_PROVIDER,
            id: 1001,
            level: 4,
            keyword: 0x4000_0000 | 0x8000_0000 | direction,
            process_id: at.pid,
            thread_id: at.tid,
            timestamp: self.qpc,
            payload: &payload.0,
            ..EventRecord::default()
        };
        self.writer
            .push_event(0, &record)
            .unwrap_or_else(|e| panic!("fixture record too large: {e}"));
        self.frames = self.frames.saturating_add(1);
        self.frames
    }

    /// A WinHttp trace line written exactly as given (its own stamp, or none).
    pub fn raw_text(&mut self, at: At, line: &str) -> usize {
        self.push(
            at,
            WINHTTP_PROVIDER,
            1,
            0,
            0,
            0,
            &Payload::new().utf16(line),
        )
    }

    pub fn api_start(&mut self, at: At, handle: u64, api: &str) -> usize {
        let payload = Payload::new().u64(handle).ansi(api);
        self.push(at, WINHTTP_PROVIDER, 9, 5, 1, 109, &payload)
    }

    pub fn api_stop(&mut self, at: At, handle: u64, api: &str, result: u32) -> usize {
        let payload = Payload::new().u64(handle).ansi(api).u32(result);
        self.push(at, WINHTTP_PROVIDER, 10, 5, 2, 109, &payload)
    }

    /// A WebIO event; the Error-level twins (18, 202, 713) get level 2.
    pub fn webio(&mut self, at: At, id: u16, payload: Payload) -> usize {
        let level = if matches!(id, 18 | 202 | 713) { 2 } else { 4 };
        self.push(at, WEBIO_PROVIDER, id, level, 0, 0, &payload)
    }

    /// A TCPIP event with the shared TCB template (1033, 1034, 1038, 1045, ...).
    pub fn tcp(&mut self, at: At, id: u16, tcb: u64, status: u32) -> usize {
        let payload = Payload::new()
            .sockaddr_v4([10, 0, 0, 5], 49832)
            .sockaddr_v4([10, 0, 0, 21], 80)
            .u32(status)
            .u32(1432)
            .u32(1)
            .u64(tcb);
        self.push(at, TCPIP_PROVIDER, id, 4, 0, id, &payload)
    }

    /// TcpRequestConnect (1002).
    pub fn tcp_connect(&mut self, at: At, tcb: u64) -> usize {
        let payload = Payload::new()
            .u64(tcb)
            .sockaddr_v4([10, 0, 0, 5], 49832)
            .sockaddr_v4([10, 0, 0, 21], 80)
            .u32(2)
            .u32(0);
        self.push(at, TCPIP_PROVIDER, 1002, 4, 0, 1002, &payload)
    }

    pub fn http_sys(&mut self, at: At, id: u16, payload: Payload) -> usize {
        self.push(at, HTTP_SERVICE_PROVIDER, id, 4, 0, 1, &payload)
    }

    /// Any event of any provider (for "not WinHTTP" cases).
    pub fn other(&mut self, at: At, provider: Uuid, id: u16, level: u8, payload: Payload) -> usize {
        self.push(at, provider, id, level, 0, 0, &payload)
    }

    pub fn session(self) -> Timeline {
        let trace = Trace::from_bytes(self.writer.finish())
            .unwrap_or_else(|e| panic!("fixture trace does not open: {e}"));
        Timeline::from_trace(trace, TimelineOptions::default())
    }
}

/// ARR-shaped steps built from the primitives above.
impl Fixture {
    /// WinHttpOpenRequest on `connect`, WebIO RequestCreate and the returned `handle`.
    /// Returns the first frame.
    pub fn open_request(
        &mut self,
        at: At,
        connect: u64,
        handle: u64,
        verb: &str,
        path: &str,
    ) -> usize {
        let first = self.api_start(at, connect, "WinHttpOpenRequest");
        self.text(
            at,
            &format!("WinHttpOpenRequest({connect:#x}, \"{verb}\", \"{path}\", \"HTTP/1.1\", \"\", 0x0, 0x00000000)"),
        );
        let create = Payload::new()
            .u64(handle << 4)
            .u64(handle)
            .u64(0x1F6_C1E0_2A10)
            .u64(0x1d8_a0d0)
            .ansi(verb)
            .utf16(path)
            .u16(1)
            .u16(1)
            .u32(0);
        self.webio(at, 17, create);
        self.text(
            at,
            &format!("WinHttpOpenRequest() returning handle {handle:#x}"),
        );
        self.api_stop(at, connect, "WinHttpOpenRequest", 0);
        first
    }

    pub fn set_timeouts(&mut self, at: At, handle: u64, ms: [u32; 4]) -> usize {
        self.api_start(at, handle, "WinHttpSetTimeouts");
        let frame = self.text(
            at,
            &format!(
                "WinHttpSetTimeouts({handle:#x}, {}, {}, {}, {})",
                ms[0], ms[1], ms[2], ms[3]
            ),
        );
        self.api_stop(at, handle, "WinHttpSetTimeouts", 0);
        frame
    }

    /// API start event plus its echo line; returns the start event's frame.
    pub fn call(&mut self, at: At, handle: u64, api: &str, rest: &str) -> usize {
        let frame = self.api_start(at, handle, api);
        self.text(at, &format!("{api}({handle:#x}{rest})"));
        frame
    }

    /// `Fn() returning TRUE` and the API stop event; returns the stop event's frame.
    pub fn succeed(&mut self, at: At, handle: u64, api: &str) -> usize {
        self.text(at, &format!("{api}() returning TRUE"));
        self.api_stop(at, handle, api, 0)
    }

    /// `returning SYMBOL (code) from Fn()` and the API stop event; returns the line's frame.
    pub fn fail(&mut self, at: At, handle: u64, api: &str, symbol: &str, code: u32) -> usize {
        let frame = self.text(at, &format!("returning {symbol} ({code}) from {api}()"));
        self.api_stop(at, handle, api, code);
        frame
    }

    pub fn close(&mut self, at: At, handle: u64) -> usize {
        let frame = self.call(at, handle, "WinHttpCloseHandle", "");
        self.succeed(at, handle, "WinHttpCloseHandle");
        frame
    }

    /// WebIO response headers (101) with `HTTP/1.1 <status> <reason>`.
    pub fn response_headers(&mut self, at: At, handle: u64, status: &str) -> usize {
        let head = format!("HTTP/1.1 {status}\r\nContent-Length: 2\r\n\r\n");
        let mut payload = Payload::new()
            .u64(handle << 4)
            .u16(u16::try_from(head.len()).unwrap_or(u16::MAX));
        payload.0.extend(head.as_bytes());
        self.webio(at, 101, payload)
    }

    /// HTTP.sys RecvReq + Deliver (System process) for `url`.
    pub fn browser_request(&mut self, request_id: u64, url: &str) -> usize {
        let first = self.http_sys(
            SYSTEM,
            1,
            Payload::new()
                .u64(request_id)
                .u64(0xE800_0000_A000_0007)
                .sockaddr_v4([192, 168, 20, 40], 50812),
        );
        self.http_sys(
            SYSTEM,
            3,
            Payload::new()
                .u64(0xFFFF_B30C_5B0E_6810)
                .u64(request_id)
                .u32(1)
                .utf16("DefaultAppPool")
                .utf16(url)
                .u32(0),
        );
        first
    }

    /// HTTP.sys RecvResp from the worker and SendComplete; returns the RecvResp frame.
    pub fn browser_response(&mut self, at: At, request_id: u64, status: u16) -> usize {
        let frame = self.http_sys(
            at,
            4,
            Payload::new()
                .u64(request_id)
                .u64(0xE800_0000_A000_0007)
                .u16(status)
                .ansi("GET")
                .u32(200)
                .u16(1)
                .u32(0),
        );
        self.http_sys(SYSTEM, 10, Payload::new().u64(request_id).u16(status));
        frame
    }
}
