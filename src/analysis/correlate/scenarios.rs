//! Test stories in the shape ARR leaves in a netsh trace, each with the frames it plants.

use super::fixture::{At, DPC, Fixture, Payload, W3WP, W3WP_OTHER_THREAD};

pub const CONNECT: u64 = 0x1d8_b2a0;
pub const REQUEST: u64 = 0x1e0_c3f0;
pub const REQUEST_2: u64 = 0x1e0_de40;
const CONNECTION: u64 = 0x1F6_C2B0_9470;
const SOCKET: u64 = 0x6F8;
const TCB: u64 = 0xFFFF_B30C_5C2D_4B60;

/// A written trace and the frames its story marked.
pub struct Story {
    pub session: crate::timeline::Timeline,
    pub marks: Vec<(&'static str, usize)>,
}

impl Story {
    pub fn frame(&self, label: &str) -> usize {
        self.marks
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, f)| *f)
            .unwrap_or_else(|| panic!("no mark {label:?}"))
    }
}

struct Writer {
    fx: Fixture,
    marks: Vec<(&'static str, usize)>,
}

impl Writer {
    fn new() -> Writer {
        Writer {
            fx: Fixture::new(),
            marks: Vec::new(),
        }
    }
    fn mark(&mut self, label: &'static str, frame: usize) {
        self.marks.push((label, frame));
    }
    fn done(self) -> Story {
        Story {
            session: self.fx.session(),
            marks: self.marks,
        }
    }

    fn connect_payload(error: u32) -> Payload {
        let address = "10.0.0.21:80";
        Payload::new()
            .u64(CONNECTION)
            .u64(SOCKET)
            .u32(address.encode_utf16().count() as u32)
            .utf16_counted(address)
            .u64(0x1F6_C3B0_9E80)
            .u64(0)
            .u32(error)
    }

    /// Opens the request and starts WinHttpSendRequest; returns the OpenRequest frame.
    fn begin(&mut self, at: At, handle: u64, path: &str) -> usize {
        let first = self.fx.open_request(at, CONNECT, handle, "GET", path);
        let timeouts = self.fx.set_timeouts(at, handle, [30_000; 4]);
        self.mark("timeouts", timeouts);
        let send = self
            .fx
            .call(at, handle, "WinHttpSendRequest", ", 0x0, 0, 0x0, 0, 0, 0x0");
        self.mark("send call", send);
        first
    }

    /// Resolves and connects (successfully) to web01.contoso.local:80.
    fn connect(&mut self, at: At) {
        self.fx.text(
            at,
            "sys-req opening a connection to web01.contoso.local:80 (10.0.0.21:80)",
        );
        self.fx
            .webio(at, 203, Payload::new().u64(CONNECTION).u64(SOCKET).u32(0));
        self.fx.webio(at, 200, Writer::connect_payload(0));
        self.fx.tcp_connect(at, TCB);
        self.fx.wait_ms(0.5);
        self.fx.tcp(at, 1033, TCB, 0);
        self.fx.webio(at, 201, Writer::connect_payload(0));
    }

    fn socket_io(&mut self, at: At, id: u16, error: u32) -> usize {
        let payload = Payload::new()
            .u64(CONNECTION)
            .u64(CONNECTION + 0x1C0)
            .u64(SOCKET)
            .u64(CONNECTION + 0x2000)
            .u64(CONNECTION + 0x240)
            .u32(error)
            .u64(0);
        self.fx.webio(at, id, payload)
    }

    /// Sends, receives `status` and reads the body; closes.
    fn answered(&mut self, at: At, handle: u64, status: &str) {
        self.socket_io(at, 213, 0);
        self.socket_io(at, 214, 0);
        self.fx.succeed(at, handle, "WinHttpSendRequest");
        self.fx.call(at, handle, "WinHttpReceiveResponse", ", 0x0");
        self.fx.wait_ms(38.0);
        self.fx.response_headers(at, handle, status);
        self.fx.text(
            at,
            &format!(
                "sys-recver processing WebReceiveHttpResponse completion; status-code = {}",
                status.get(..3).unwrap_or("")
            ),
        );
        self.fx.succeed(at, handle, "WinHttpReceiveResponse");
        self.fx
            .call(at, handle, "WinHttpReadData", ", 0x1f50000, 65536, 0x0");
        self.fx.succeed(at, handle, "WinHttpReadData");
        self.fx.close(at, handle);
    }
}

/// Two requests over one keep-alive connection, both 200, on two worker threads.
pub fn healthy() -> Story {
    let mut w = Writer::new();
    w.fx.wait_ms(1500.0);
    w.fx.browser_request(
        0xE800_0000_8000_0042,
        "http://www.contoso.com:80/api/orders/1234",
    );
    let first = w.begin(W3WP, REQUEST, "/api/orders/1234");
    w.mark("first start", first);
    w.connect(W3WP);
    w.answered(W3WP, REQUEST, "200 OK");
    w.fx.wait_ms(0.2);
    let response = w.fx.browser_response(W3WP, 0xE800_0000_8000_0042, 200);
    w.mark("first response", response);
    w.fx.wait_ms(420.0);
    w.fx.browser_request(
        0xE800_0000_8000_0043,
        "http://www.contoso.com:80/css/site.css",
    );
    let second = w.begin(W3WP_OTHER_THREAD, REQUEST_2, "/css/site.css");
    w.mark("second start", second);
    w.answered(W3WP_OTHER_THREAD, REQUEST_2, "200 OK");
    let response =
        w.fx.browser_response(W3WP_OTHER_THREAD, 0xE800_0000_8000_0043, 200);
    w.mark("second response", response);
    w.done()
}

/// The back-end needs longer than the 30 s receive timeout.
pub fn receive_timeout() -> Story {
    let mut w = Writer::new();
    w.fx.browser_request(
        0xE800_0000_8000_0042,
        "http://www.contoso.com:80/api/reports/monthly",
    );
    let first = w.begin(W3WP, REQUEST, "/api/reports/monthly");
    w.mark("start", first);
    w.connect(W3WP);
    w.socket_io(W3WP, 213, 0);
    w.fx.succeed(W3WP, REQUEST, "WinHttpSendRequest");
    let receive = w.fx.call(W3WP, REQUEST, "WinHttpReceiveResponse", ", 0x0");
    w.mark("receive call", receive);
    w.fx.text(W3WP, "sys-recver starts in _INIT state");
    w.fx.wait_ms(30_000.0);
    let failed = w.fx.text(
        W3WP,
        "sys-recver failed to receive headers; error = ? (1460)",
    );
    w.mark("failed to receive headers", failed);
    let mapped = w.fx.text(
        W3WP,
        "ERROR_WINHTTP_FROM_WIN32 mapped (?) 1460 to (ERROR_WINHTTP_TIMEOUT) 12002",
    );
    w.mark("mapped", mapped);
    let socket = w.socket_io(W3WP, 216, 10060);
    w.mark("socket receive stop", socket);
    let returning = w.fx.fail(
        W3WP,
        REQUEST,
        "WinHttpReceiveResponse",
        "ERROR_WINHTTP_TIMEOUT",
        12002,
    );
    w.mark("returning", returning);
    w.mark("api stop", returning + 1);
    w.fx.close(W3WP, REQUEST);
    w.fx.webio(
        W3WP,
        204,
        Payload::new().u64(CONNECTION).u64(SOCKET).u32(2).u32(0),
    );
    w.fx.tcp(W3WP, 1038, TCB, 0);
    w.fx.wait_ms(0.2);
    let response = w.fx.browser_response(W3WP, 0xE800_0000_8000_0042, 502);
    w.mark("502", response);
    w.done()
}

/// Nobody answers the SYNs: TCP gives up after 21 s, WinHTTP reports 12029.
pub fn offline() -> Story {
    let mut w = Writer::new();
    w.fx.browser_request(
        0xE800_0000_8000_0042,
        "http://www.contoso.com:80/api/orders/1234",
    );
    w.begin(W3WP, REQUEST, "/api/orders/1234");
    w.fx.text(
        W3WP,
        "sys-req opening a connection to web01.contoso.local:80 (10.0.0.21:80)",
    );
    let connect = w.fx.webio(W3WP, 200, Writer::connect_payload(0));
    w.mark("connect start", connect);
    w.fx.tcp_connect(W3WP, TCB);
    w.fx.wait_ms(21_000.0);
    // TCP reports from a DPC: only the TCB ties it to the request.
    let tcp_timeout = w.fx.tcp(DPC, 1045, TCB, 0xC000_00B5);
    w.mark("tcp timeout", tcp_timeout);
    let failed = w.fx.webio(W3WP, 202, Writer::connect_payload(10060));
    w.mark("webio connect failed", failed);
    let mapped = w.fx.text(
        W3WP,
        "ERROR_WINHTTP_FROM_WIN32 mapped (WSAETIMEDOUT) 10060 to (ERROR_WINHTTP_CANNOT_CONNECT) 12029",
    );
    w.mark("mapped", mapped);
    let returning = w.fx.fail(
        W3WP,
        REQUEST,
        "WinHttpSendRequest",
        "ERROR_WINHTTP_CANNOT_CONNECT",
        12029,
    );
    w.mark("returning", returning);
    w.fx.close(W3WP, REQUEST);
    let response = w.fx.browser_response(W3WP, 0xE800_0000_8000_0042, 502);
    w.mark("502", response);
    w.done()
}

/// Headers and part of the body arrive, then the back-end resets the connection.
pub fn reset() -> Story {
    let mut w = Writer::new();
    w.begin(W3WP, REQUEST, "/api/export/orders.csv");
    w.connect(W3WP);
    w.socket_io(W3WP, 213, 0);
    w.fx.succeed(W3WP, REQUEST, "WinHttpSendRequest");
    w.fx.call(W3WP, REQUEST, "WinHttpReceiveResponse", ", 0x0");
    w.fx.wait_ms(180.0);
    w.fx.response_headers(W3WP, REQUEST, "200 OK");
    w.fx.succeed(W3WP, REQUEST, "WinHttpReceiveResponse");
    let read =
        w.fx.call(W3WP, REQUEST, "WinHttpReadData", ", 0x1f50000, 65536, 0x0");
    w.mark("read call", read);
    w.fx.wait_ms(37.0);
    let socket = w.socket_io(W3WP, 216, 64);
    w.mark("socket error 64", socket);
    let mapped = w.fx.text(
        W3WP,
        "ERROR_WINHTTP_FROM_WIN32 mapped (ERROR_NETNAME_DELETED) 64 to (ERROR_WINHTTP_CONNECTION_ERROR) 12030",
    );
    w.mark("mapped", mapped);
    let returning = w.fx.fail(
        W3WP,
        REQUEST,
        "WinHttpReadData",
        "ERROR_WINHTTP_CONNECTION_ERROR",
        12030,
    );
    w.mark("returning", returning);
    w.fx.close(W3WP, REQUEST);
    w.done()
}

/// One failing step of `kind` inside WinHttpSendRequest: "tls", "dns", "connect timeout",
/// "send timeout" or "resolve timeout".
pub fn send_failure(kind: &str) -> Story {
    let mut w = Writer::new();
    w.begin(W3WP, REQUEST, "/secure/data");
    let (symbol, code) = match kind {
        "tls" => {
            w.connect(W3WP);
            let cert = Payload::new()
                .u64(CONNECTION)
                .u64(1)
                .u64(2)
                .u32(0)
                .u32(0x8)
                .u32(0x800B_0109)
                .u32(1);
            let frame = w.fx.webio(W3WP, 713, cert);
            w.mark("decisive", frame);
            ("ERROR_WINHTTP_SECURE_FAILURE", 12175)
        }
        "dns" => {
            let resolve = |error: u32| {
                Payload::new()
                    .u64(0x1F6_C1E4_7700)
                    .utf16("web02.contoso.local")
                    .u32(0)
                    .u32(error)
                    .u32(0)
            };
            w.fx.webio(W3WP, 211, resolve(0));
            w.fx.wait_ms(12.0);
            let frame = w.fx.webio(W3WP, 212, resolve(11001));
            w.mark("decisive", frame);
            ("ERROR_WINHTTP_NAME_NOT_RESOLVED", 12007)
        }
        "resolve timeout" => {
            let resolve = Payload::new()
                .u64(0x1F6_C1E4_7700)
                .utf16("web02.contoso.local")
                .u32(0)
                .u32(0)
                .u32(0);
            w.fx.webio(W3WP, 211, resolve);
            w.fx.wait_ms(10_000.0);
            let frame = w.fx.text(
                W3WP,
                "sys-req name resolution failed; error = ERROR_WINHTTP_TIMEOUT (12002)",
            );
            w.mark("decisive", frame);
            ("ERROR_WINHTTP_TIMEOUT", 12002)
        }
        "connect timeout" => {
            w.fx.webio(W3WP, 200, Writer::connect_payload(0));
            w.fx.wait_ms(20_000.0);
            let frame = w.fx.text(
                W3WP,
                "sys-req connect did not complete in time; error = ERROR_WINHTTP_TIMEOUT (12002)",
            );
            w.mark("decisive", frame);
            ("ERROR_WINHTTP_TIMEOUT", 12002)
        }
        _ => {
            w.connect(W3WP);
            w.socket_io(W3WP, 213, 0);
            w.fx.wait_ms(30_000.0);
            let frame = w.socket_io(W3WP, 214, 1460);
            w.mark("decisive", frame);
            ("ERROR_WINHTTP_TIMEOUT", 12002)
        }
    };
    let returning = w.fx.fail(W3WP, REQUEST, "WinHttpSendRequest", symbol, code);
    w.mark("returning", returning);
    w.fx.close(W3WP, REQUEST);
    w.done()
}

/// The ARR article's listing: echo and text lines only, no API events.
pub fn article_lines() -> Story {
    let mut w = Writer::new();
    let lines = [
        "WinHttpReceiveResponse(0x11d23d0, 0x0)",
        "sys-recver starts in _INIT state",
        "current thread is not impersonating",
        "sys-recver processing WebReceiveHttpResponse completion (error-cdoe = WSAETIMEDOUT (0x274c), overlapped = 003728F0)",
        "sys-recver failed to receive headers; error = WSAETIMEDOUT (10060)",
        "ERROR_WINHTTP_FROM_WIN32 mapped (WSAETIMEDOUT) 10060 to (ERROR_WINHTTP_TIMEOUT) 12002",
        "sys-recver returning ERROR_WINHTTP_TIMEOUT (12002) from RecvResponse()",
        "sys-req completes recv-headers inline (sync); error = ERROR_WINHTTP_TIMEOUT (12002)",
    ];
    for (i, line) in lines.iter().enumerate() {
        if i == 3 {
            w.fx.wait_ms(30_000.0);
        }
        let frame = w.fx.text(W3WP, line);
        if i == 0 {
            w.mark("echo", frame);
        }
        if i == 3 {
            w.mark("first error", frame);
        }
    }
    w.done()
}

/// Failure lines that name no handle, on a thread with no known request.
pub fn handleless_lines() -> Story {
    let mut w = Writer::new();
    let first = w.fx.text(
        W3WP,
        "sys-recver failed to receive headers; error = WSAETIMEDOUT (10060)",
    );
    w.mark("first", first);
    w.fx.text(
        W3WP,
        "ERROR_WINHTTP_FROM_WIN32 mapped (WSAETIMEDOUT) 10060 to (ERROR_WINHTTP_TIMEOUT) 12002",
    );
    // Unrelated, harmless lines on another thread are not a request.
    w.fx.text(W3WP_OTHER_THREAD, "current thread is not impersonating");
    w.done()
}
