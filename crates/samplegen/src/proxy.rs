//! The server-facing half of each request: ARR (in w3wp.exe) calls WinHTTP, which drives
//! WebIO, which opens TCP connections to the content server. Every layer logs what it does:
//! WinHttp API start/stop events and trace lines, WebIO request/socket events, TCPIP
//! connect/close events and the captured frames, with handles that match across them.

use super::arr::{Arr, BACKEND, ClientRequest, DNS_CLIENT, DNS_SERVER, DPC, worker};
use super::events::{
    EventSpec, TCP_CONNECT_COMPLETE, TCP_REQUEST_CONNECT, WEBIO_CONNECT_START, WEBIO_CONNECT_STOP,
    WEBIO_ENTITY_START, WEBIO_ENTITY_STOP, WEBIO_RECEIVE_CALLBACK_START,
    WEBIO_RECEIVE_CALLBACK_STOP, WEBIO_RECEIVE_START, WEBIO_RECEIVE_STOP,
    WEBIO_REQUEST_CLOSE_START, WEBIO_REQUEST_CLOSE_STOP, WEBIO_REQUEST_CREATE,
    WEBIO_REQUEST_HEADER, WEBIO_RESOLVE_START, WEBIO_RESOLVE_STOP, WEBIO_RESPONSE_HEADER,
    WEBIO_SEND_START, WEBIO_SEND_STOP, WEBIO_SOCKET_CREATE, WEBIO_SOCKET_RECEIVE_START,
    WEBIO_SOCKET_RECEIVE_STOP, WINHTTP_API_START, WINHTTP_API_STOP,
};
use super::http_text::{BACKEND_HOST, backend_request, backend_response_head, http_date};
use super::netsh::Context;
use super::packets::{ACK, Frame, SYN, SYN_ACK, TcpFlow, dns_message, udp};
use super::payload::Payload;

mod failures;

/// WinHTTP handles ARR created at start-up: the session and the connection to the farm
/// server (printed like WinHTTP does, `0x` + lower-case hex).
const SESSION_HANDLE: u64 = 0x1d8_a0d0;
const CONNECT_HANDLE: u64 = 0x1d8_b2a0;
const WEBIO_SESSION: u64 = 0x0000_01F6_C1E0_2A10;
const ERROR_WINHTTP_TIMEOUT: u32 = 12002;
const ERROR_WINHTTP_CANNOT_CONNECT: u32 = 12029;
const ERROR_WINHTTP_CONNECTION_ERROR: u32 = 12030;
const WSAETIMEDOUT: u32 = 10060;
const ERROR_NETNAME_DELETED: u32 = 64;
const STATUS_IO_TIMEOUT: u32 = 0xC000_00B5;
/// TCP state "SynSent" in TcpRequestConnect.
const TCP_STATE_SYN_SENT: u32 = 2;

/// How the content server behaves for one request.
pub enum Plan {
    /// Answers after `delay_ms` with a 200 response.
    Answer {
        delay_ms: f64,
        content_type: &'static str,
        body: String,
    },
    /// Answers after `answer_after_ms`, longer than ARR's 30 s receive timeout.
    Timeout { answer_after_ms: f64, body: String },
    /// Sends the headers and the first `delivered` body bytes, then resets the connection.
    ResetMidBody {
        delay_ms: f64,
        content_type: &'static str,
        body: String,
        delivered: usize,
    },
    /// Does not answer SYNs at all.
    Offline,
}

/// What ARR got from the content server.
pub enum Outcome {
    Relayed {
        content_type: &'static str,
        body: String,
    },
    /// WinHTTP failed (ARR answers 502.3; the error is in the IIS log's sc-win32-status).
    Failed,
}

/// An open connection from w3wp to the content server.
struct BackendConnection {
    flow: TcpFlow,
    webio: u64,
    socket: u64,
    tcb: u64,
}

/// WinHTTP/WebIO state inside w3wp.exe.
pub struct Proxy {
    connection: Option<BackendConnection>,
    connects: u32,
    resolved: bool,
}

impl Proxy {
    pub fn new() -> Proxy {
        Proxy {
            connection: None,
            connects: 0,
            resolved: false,
        }
    }
}

/// Handles of one proxied request.
struct Handles {
    winhttp: u64,
    webio: u64,
    context: u64,
}

fn hex(handle: u64) -> String {
    format!("0x{handle:x}")
}

impl Arr {
    fn api_start(&mut self, at: Context, handle: u64, api: &str) {
        let payload = Payload::new().u64(handle).ansi(api);
        self.trace.event(at, &WINHTTP_API_START, payload);
    }

    fn api_stop(&mut self, at: Context, handle: u64, api: &str, result: u32) {
        let payload = Payload::new().u64(handle).ansi(api).u32(result);
        self.trace.event(at, &WINHTTP_API_STOP, payload);
    }

    fn text(&mut self, at: Context, body: &str) {
        self.trace.winhttp_text(at, body);
    }

    /// A WebIO socket send/receive event on the current connection.
    fn socket_io(&mut self, at: Context, spec: &EventSpec, error: u32, bytes: usize) {
        let (webio, socket) = self
            .proxy
            .connection
            .as_ref()
            .map_or((0, 0), |c| (c.webio, c.socket));
        let payload = Payload::new()
            .ptr(webio)
            .ptr(webio + 0x1C0)
            .u64(socket)
            .ptr(webio + 0x2000)
            .ptr(webio + 0x240)
            .u32(error)
            .u64(bytes as u64);
        self.trace.event(at, spec, payload);
    }

    /// The TCPIP event shape shared by connect/close notifications.
    fn tcb_event(&mut self, at: Context, spec: &EventSpec, flow: &TcpFlow, tcb: u64, status: u32) {
        let payload = Payload::new()
            .sockaddr_with_length(flow.local_addr())
            .sockaddr_with_length(flow.remote_addr())
            .u32(status)
            .u32(at.pid)
            .u32(1) // compartment
            .ptr(tcb);
        self.trace.event(at, spec, payload);
    }

    /// Proxies `request` to the content server as ARR does and returns what came back.
    pub fn proxy(&mut self, request: &ClientRequest, plan: Plan) -> Outcome {
        let at = worker(request.number);
        let n = u64::from(request.number);
        let h = Handles {
            winhttp: 0x1e0_c3f0 + (n - 1) * 0x1a50,
            webio: 0x0000_01F6_C2A4_1230 + (n - 1) * 0x400,
            context: 0x0000_01F6_C3B0_9E80 + (n - 1) * 0x90,
        };
        let request_text = backend_request(
            request.path,
            request.accept,
            &request.client,
            &format!(
                "{:08x}-6d2e-4f1b-9a3c-5e7d8b9c{:04x}",
                0x6f1d_2c3a + n,
                0x1f20 + n
            ),
        );
        self.trace.wait_ms(0.15);
        self.open_request(at, &h, request.path);
        self.trace.wait_ms(0.05);
        self.api_start(at, h.winhttp, "WinHttpSendRequest");
        self.text(
            at,
            &format!(
                "WinHttpSendRequest({}, 0x1f3a2c8, {}, 0x0, 0, 0, {})",
                hex(h.winhttp),
                request_text.len(),
                hex(h.context)
            ),
        );
        if self.proxy.connection.is_none() && !self.connect(at, &h, matches!(plan, Plan::Offline)) {
            self.close_request(at, &h);
            return Outcome::Failed;
        }
        self.send_request(at, &h, &request_text);
        self.trace.wait_ms(0.1);
        self.api_start(at, h.winhttp, "WinHttpReceiveResponse");
        self.text(
            at,
            &format!("WinHttpReceiveResponse({}, 0x0)", hex(h.winhttp)),
        );
        self.text(at, "sys-recver starts in _INIT state");
        self.text(at, "current thread is not impersonating");
        let receive = receive_payload(&h, 0);
        self.trace.event(at, &WEBIO_RECEIVE_START, receive);
        self.socket_io(at, &WEBIO_SOCKET_RECEIVE_START, 0, 0);
        match plan {
            Plan::Answer {
                delay_ms,
                content_type,
                body,
            } => {
                self.receive_headers_and_body(at, &h, delay_ms, content_type, &body, body.len());
                self.read_body(at, &h, body.len());
                self.close_request(at, &h);
                Outcome::Relayed { content_type, body }
            }
            Plan::Timeout {
                answer_after_ms,
                body,
            } => {
                self.receive_timeout(at, &h, answer_after_ms, &body);
                Outcome::Failed
            }
            Plan::ResetMidBody {
                delay_ms,
                content_type,
                body,
                delivered,
            } => {
                self.receive_headers_and_body(at, &h, delay_ms, content_type, &body, delivered);
                self.reset_during_read(at, &h, delivered);
                Outcome::Failed
            }
            Plan::Offline => Outcome::Failed,
        }
    }

    fn open_request(&mut self, at: Context, h: &Handles, path: &str) {
        self.api_start(at, CONNECT_HANDLE, "WinHttpOpenRequest");
        self.text(
            at,
            &format!(
                "WinHttpOpenRequest({}, \"GET\", \"{path}\", \"HTTP/1.1\", \"\", 0x0, 0x00000000)",
                hex(CONNECT_HANDLE)
            ),
        );
        let create = Payload::new()
            .ptr(h.webio)
            .u64(h.winhttp)
            .ptr(WEBIO_SESSION)
            .u64(SESSION_HANDLE)
            .ansi("GET")
            .utf16(path)
            .u16(1)
            .u16(1)
            .u32(0);
        self.trace.event(at, &WEBIO_REQUEST_CREATE, create);
        self.text(
            at,
            &format!("WinHttpOpenRequest() returning handle {}", hex(h.winhttp)),
        );
        self.api_stop(at, CONNECT_HANDLE, "WinHttpOpenRequest", 0);
        self.api_start(at, h.winhttp, "WinHttpSetTimeouts");
        self.text(
            at,
            &format!(
                "WinHttpSetTimeouts({}, 30000, 30000, 30000, 30000)",
                hex(h.winhttp)
            ),
        );
        self.api_stop(at, h.winhttp, "WinHttpSetTimeouts", 0);
    }

    /// Resolves the farm server once, then opens a TCP connection. False when it fails.
    fn connect(&mut self, at: Context, h: &Handles, offline: bool) -> bool {
        self.proxy.connects += 1;
        let k = self.proxy.connects;
        let cache_entry = 0x0000_01F6_C1E4_7700;
        if !self.proxy.resolved {
            self.proxy.resolved = true;
            let resolve = |address_count: u32| {
                Payload::new()
                    .ptr(cache_entry)
                    .utf16(BACKEND_HOST)
                    .u32(0)
                    .u32(0)
                    .u32(address_count)
            };
            self.trace.event(at, &WEBIO_RESOLVE_START, resolve(0));
            let query = dns_message(0x5c1e, BACKEND_HOST, None);
            let arr = (super::arr::ARR, 61_542);
            let server = (DNS_SERVER, 53);
            let out = udp(arr, server, DNS_SERVER.mac, 0x1B2D, true, &query);
            self.trace.wait_ms(0.2);
            self.trace.capture(DNS_CLIENT, &out, None);
            self.trace.wait_ms(0.9);
            let answer = dns_message(0x5c1e, BACKEND_HOST, Some((BACKEND.ip, 1200)));
            let back = udp(arr, server, DNS_SERVER.mac, 0x6F0A, false, &answer);
            self.trace.capture(DPC, &back, None);
            self.trace.wait_ms(0.2);
            self.trace.event(at, &WEBIO_RESOLVE_STOP, resolve(1));
        }
        let webio = 0x0000_01F6_C2B0_8E70 + u64::from(k) * 0x600;
        let socket = 0x6F4 + u64::from(k) * 4;
        let tcb = 0xFFFF_B30C_5C2D_48A0 + u64::from(k) * 0x2C0;
        let flow = TcpFlow::new(
            (super::arr::ARR, 49831u16.wrapping_add(k as u16)),
            (BACKEND, 80),
            BACKEND.mac,
            (
                0x51A0_0C1Du32.wrapping_add(k.wrapping_mul(0x3_3333)),
                0x0B7E_4412u32.wrapping_add(k.wrapping_mul(0x5_5555)),
            ),
            (
                0x1E40u16.wrapping_add((k as u16).wrapping_mul(90)),
                0x7001u16.wrapping_add((k as u16).wrapping_mul(33)),
            ),
        );
        self.text(
            at,
            &format!(
                "sys-req opening a connection to {BACKEND_HOST}:80 ({}:80)",
                BACKEND.ip
            ),
        );
        let create = Payload::new().ptr(webio).u64(socket).u32(0);
        self.trace.event(at, &WEBIO_SOCKET_CREATE, create);
        let mut connection = BackendConnection {
            flow,
            webio,
            socket,
            tcb,
        };
        let start = connect_payload(&connection, h.context, 0);
        self.trace.event(at, &WEBIO_CONNECT_START, start);
        let request_connect = Payload::new()
            .ptr(tcb)
            .sockaddr_with_length(connection.flow.local_addr())
            .sockaddr_with_length(connection.flow.remote_addr())
            .u32(TCP_STATE_SYN_SENT)
            .u32(0);
        self.trace.event(at, &TCP_REQUEST_CONNECT, request_connect);
        let syn = connection.flow.send(SYN, &[]);
        self.trace.capture(at, &syn, None);
        if offline {
            self.connect_times_out(at, h, connection);
            return false;
        }
        self.trace.wait_ms(0.42);
        let syn_ack = connection.flow.receive(SYN_ACK, &[]);
        self.trace.capture(DPC, &syn_ack, None);
        self.trace.wait_ms(0.03);
        let ack = connection.flow.send(ACK, &[]);
        self.trace.capture(at, &ack, None);
        let flow = connection.flow.clone();
        self.tcb_event(at, &TCP_CONNECT_COMPLETE, &flow, tcb, 0);
        let stop = connect_payload(&connection, h.context, 0);
        self.trace.event(at, &WEBIO_CONNECT_STOP, stop);
        self.proxy.connection = Some(connection);
        true
    }

    fn send_request(&mut self, at: Context, h: &Handles, text: &str) {
        let header = Payload::new()
            .ptr(h.webio)
            .u16(text.len() as u16)
            .bytes(text.as_bytes());
        self.trace.event(at, &WEBIO_REQUEST_HEADER, header);
        self.socket_io(at, &WEBIO_SEND_START, 0, 0);
        let frames = match self.proxy.connection.as_mut() {
            Some(c) => c.flow.send_data(text.as_bytes()),
            None => Vec::new(),
        };
        for frame in &frames {
            self.trace.capture(at, frame, None);
        }
        self.trace.mark("request forwarded to the content server");
        self.socket_io(at, &WEBIO_SEND_STOP, 0, text.len());
        self.text(at, "sys-req send-request completed inline (sync)");
        self.text(at, "WinHttpSendRequest() returning TRUE");
        self.api_stop(at, h.winhttp, "WinHttpSendRequest", 0);
    }

    /// Frames from the content server on the current connection.
    fn backend_frames(&mut self, data: &[u8]) -> Vec<Frame> {
        match self.proxy.connection.as_mut() {
            Some(c) => c.flow.receive_data(data),
            None => Vec::new(),
        }
    }

    fn ack_backend(&mut self, at: Context) {
        if let Some(c) = self.proxy.connection.as_mut() {
            let ack = c.flow.send(ACK, &[]);
            self.trace.capture(at, &ack, None);
        }
    }

    /// The content server answers; `delivered` body bytes arrive with the headers.
    fn receive_headers_and_body(
        &mut self,
        at: Context,
        h: &Handles,
        delay_ms: f64,
        content_type: &str,
        body: &str,
        delivered: usize,
    ) {
        self.idle(delay_ms);
        let head = backend_response_head(
            &http_date(self.trace.unix_seconds()),
            content_type,
            body.len(),
        );
        let mut data = head.clone().into_bytes();
        data.extend(body.as_bytes().iter().take(delivered));
        let frames = self.backend_frames(&data);
        for (i, frame) in frames.iter().enumerate() {
            self.trace.capture(DPC, frame, None);
            if i == 0 {
                self.trace.mark("HTTP/1.1 200 OK from the content server");
            }
            if i % 2 == 1 || i + 1 == frames.len() {
                self.trace.wait_ms(0.02);
                self.ack_backend(at);
            }
        }
        self.socket_io(at, &WEBIO_SOCKET_RECEIVE_STOP, 0, data.len());
        let header = Payload::new()
            .ptr(h.webio)
            .u16(head.len() as u16)
            .bytes(head.as_bytes());
        self.trace.event(at, &WEBIO_RESPONSE_HEADER, header);
        self.trace
            .event(at, &WEBIO_RECEIVE_STOP, receive_payload(h, 0));
        let callback = callback_payload(h, 0);
        self.trace
            .event(at, &WEBIO_RECEIVE_CALLBACK_START, callback.clone());
        self.text(
            at,
            "sys-recver processing WebReceiveHttpResponse completion; status-code = 200",
        );
        self.trace.event(at, &WEBIO_RECEIVE_CALLBACK_STOP, callback);
        self.text(at, "WinHttpReceiveResponse() returning TRUE");
        self.api_stop(at, h.winhttp, "WinHttpReceiveResponse", 0);
        self.trace.wait_ms(0.04);
        self.api_start(at, h.winhttp, "WinHttpQueryHeaders");
        self.text(
            at,
            &format!(
                "WinHttpQueryHeaders({}, 0x16, NULL, 0x1f41000, 0x9fe8c4, 0x0)",
                hex(h.winhttp)
            ),
        );
        self.text(at, "WinHttpQueryHeaders() returning TRUE");
        self.api_stop(at, h.winhttp, "WinHttpQueryHeaders", 0);
    }

    fn entity_event(&mut self, at: Context, spec: &EventSpec, h: &Handles, error: u32) {
        let payload = Payload::new()
            .ptr(h.webio)
            .u64(h.winhttp)
            .u32(0)
            .ptr(h.webio + 0x180)
            .u32(1)
            .ptr(h.context)
            .u32(error);
        self.trace.event(at, spec, payload);
    }

    /// WinHttpReadData calls that drain `length` buffered body bytes, then the end.
    fn read_body(&mut self, at: Context, h: &Handles, length: usize) {
        for read in [length, 0] {
            self.trace.wait_ms(0.03);
            self.api_start(at, h.winhttp, "WinHttpReadData");
            self.text(
                at,
                &format!("WinHttpReadData({}, 0x1f50000, 65536, 0x0)", hex(h.winhttp)),
            );
            self.entity_event(at, &WEBIO_ENTITY_START, h, 0);
            self.entity_event(at, &WEBIO_ENTITY_STOP, h, 0);
            self.text(
                at,
                &format!("WinHttpReadData() returning TRUE; {read} bytes read"),
            );
            self.api_stop(at, h.winhttp, "WinHttpReadData", 0);
        }
    }

    fn close_request(&mut self, at: Context, h: &Handles) {
        self.trace.wait_ms(0.05);
        self.api_start(at, h.winhttp, "WinHttpCloseHandle");
        self.text(at, &format!("WinHttpCloseHandle({})", hex(h.winhttp)));
        let close = Payload::new().ptr(h.webio).u64(h.winhttp).u64(0).u32(0);
        self.trace
            .event(at, &WEBIO_REQUEST_CLOSE_START, close.clone());
        self.trace.event(at, &WEBIO_REQUEST_CLOSE_STOP, close);
        self.text(at, "WinHttpCloseHandle() returning TRUE");
        self.api_stop(at, h.winhttp, "WinHttpCloseHandle", 0);
    }
}

/// WebIO ConnectionSocketConnect payload for the connection's remote address.
fn connect_payload(c: &BackendConnection, context: u64, error: u32) -> Payload {
    let address = c.flow.remote_addr().to_string();
    Payload::new()
        .ptr(c.webio)
        .u64(c.socket)
        .u32(address.encode_utf16().count() as u32)
        .utf16_counted(&address)
        .ptr(context)
        .u64(0)
        .u32(error)
}

fn receive_payload(h: &Handles, error: u32) -> Payload {
    Payload::new()
        .ptr(h.webio)
        .u64(h.winhttp)
        .u32(0)
        .u32(0)
        .ptr(h.context)
        .u32(error)
}

fn callback_payload(h: &Handles, error: u32) -> Payload {
    Payload::new().ptr(h.webio).u32(0).u32(error).ptr(h.context)
}
