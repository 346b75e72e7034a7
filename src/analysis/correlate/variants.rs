//! Traces written the way other people's netsh traces look, not the way the bundled samples
//! do: failure lines on a completion thread that name no handle, time-outs set on the
//! session, the text-log request-id form, HTTP stream dumps, connection reuse, a thread
//! pool serving two requests, a request opened before the trace began, WebIO alone, and
//! the ARR article's fourteen lines verbatim (new timestamps only). Each returns the trace
//! and the frames it planted.

use super::fixture::{At, Fixture, Payload};
use super::scenarios::Story;

pub const WORKER: At = At {
    pid: 2640,
    tid: 5120,
};
pub const POOL_1: At = At {
    pid: 2640,
    tid: 6004,
};
pub const POOL_2: At = At {
    pid: 2640,
    tid: 6172,
};
const SESSION: u64 = 0x11a_4f00;
const CONNECT_2: u64 = 0x11c_8810;
/// The request handle of the ARR article's listing.
pub const ARTICLE_REQUEST: u64 = 0x11d_23d0;
const OTHER_REQUEST: u64 = 0x11e_5a40;

/// The article's 1460 listing (slow back end), seven lines.
pub const ARTICLE_SLOW: [&str; 7] = [
    "WinHttpReceiveResponse(0x11d23d0, 0x0)",
    "sys-recver starts in _INIT state",
    "current thread is not impersonating",
    "sys-recver processing WebReceiveHttpResponse completion (error-cdoe = ? (0x5b4), overlapped = 003728F0)",
    "sys-recver failed to receive headers; error = ? (1460)",
    "ERROR_WINHTTP_FROM_WIN32 mapped (?) 1460 to (ERROR_WINHTTP_TIMEOUT) 12002",
    "sys-recver returning ERROR_WINHTTP_TIMEOUT (12002) from RecvResponse()",
];

/// The article's "content server completely offline" listing, seven lines.
pub const ARTICLE_OFFLINE: [&str; 7] = [
    "WinHttpReceiveResponse(0x11d23d0, 0x0)",
    "sys-recver starts in _INIT state",
    "sys-recver processing WebReceiveHttpResponse completion (error-cdoe = WSAETIMEDOUT (0x274c), overlapped = 003728F0)",
    "sys-recver failed to receive headers; error = WSAETIMEDOUT (10060)",
    "ERROR_WINHTTP_FROM_WIN32 mapped (WSAETIMEDOUT) 10060 to (ERROR_WINHTTP_TIMEOUT) 12002",
    "sys-recver returning ERROR_WINHTTP_TIMEOUT (12002) from RecvResponse()",
    "sys-req completes recv-headers inline (sync); error = ERROR_WINHTTP_TIMEOUT (12002)",
];

struct W {
    fx: Fixture,
    marks: Vec<(&'static str, usize)>,
    /// `HH:MM:SS.mmm ::` clock of the text lines, in ms.
    clock_ms: u64,
}

impl W {
    fn new() -> W {
        W {
            fx: Fixture::new(),
            marks: Vec::new(),
            clock_ms: (14 * 3600 + 5 * 60 + 7) * 1000 + 250,
        }
    }
    fn mark(&mut self, label: &'static str, frame: usize) {
        self.marks.push((label, frame));
    }
    fn wait(&mut self, ms: f64) {
        self.fx.wait_ms(ms);
        self.clock_ms = self.clock_ms.saturating_add(ms as u64);
    }
    /// A line with WinHTTP's own stamp (another clock than the fixture's `12:00:00.000`).
    fn line(&mut self, at: At, body: &str) -> usize {
        let ms = self.clock_ms;
        let stamp = format!(
            "{:02}:{:02}:{:02}.{:03} ::",
            ms / 3_600_000 % 24,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        );
        self.fx.raw_text(at, &format!("{stamp}{body}"))
    }
    /// Session with time-outs, connect handle for `host`, and the request on it.
    fn open(&mut self, at: At, connect: u64, host: &str, request: u64, verb: &str, path: &str) {
        let t = self.line(
            at,
            &format!("WinHttpSetTimeouts({SESSION:#x}, 0, 60000, 30000, 30000)"),
        );
        self.mark("timeouts", t);
        self.line(at, "WinHttpSetTimeouts() returning TRUE");
        self.line(
            at,
            &format!("WinHttpConnect({SESSION:#x}, \"{host}\", 80, 0x00000000)"),
        );
        self.line(
            at,
            &format!("WinHttpConnect() returning handle {connect:#x}"),
        );
        self.line(
            at,
            &format!("WinHttpOpenRequest({connect:#x}, \"{verb}\", \"{path}\", \"HTTP/1.1\", \"\", 0x0, 0x00000080)"),
        );
        self.line(
            at,
            &format!("WinHttpOpenRequest() returning handle {request:#x}"),
        );
    }
    /// SendRequest that opens a new connection to `address`; returns the "opening" frame.
    fn send_new(&mut self, at: At, request: u64, address: &str) -> usize {
        self.line(
            at,
            &format!("WinHttpSendRequest({request:#x}, \"\", 0, 0x0, 0, 0, 1f6c3b09f10)"),
        );
        let open = self.line(at, &format!("sys-req opening new connection to {address}"));
        self.mark("connect attempt", open);
        self.line(at, "WinHttpSendRequest() returning TRUE");
        open
    }
    fn done(self) -> Story {
        Story {
            session: self.fx.session(),
            marks: self.marks,
        }
    }
}

/// The article's 1460 listing: the request was opened on the worker, the completion runs on
/// a pool thread and names no handle.
pub fn article_slow() -> Story {
    let mut w = W::new();
    w.open(
        WORKER,
        CONNECT_2,
        "web02.contoso.local",
        ARTICLE_REQUEST,
        "GET",
        "/reports/export.aspx",
    );
    w.send_new(WORKER, ARTICLE_REQUEST, "10.0.0.22:80");
    w.wait(2.0);
    for (i, body) in ARTICLE_SLOW.iter().enumerate() {
        if i == 3 {
            w.line(WORKER, "WinHttpReceiveResponse() returning TRUE");
            w.wait(30_000.0);
        }
        let at = if i < 3 { WORKER } else { POOL_1 };
        let frame = w.line(at, body);
        match i {
            0 => w.mark("receive call", frame),
            4 => w.mark("decisive", frame),
            6 => w.mark("returning", frame),
            _ => {}
        }
    }
    w.done()
}

/// [`article_slow`] with lines of shapes no parser here knows, on every thread, between
/// every line: the diagnosis must not change.
pub fn article_slow_with_noise() -> Story {
    const NOISE: [&str; 4] = [
        "sys-conn 0x37a110 state CONN_RECV -> CONN_IDLE",
        "current thread is impersonating",
        "sys-req something this parser never saw (error-free, 0x5)",
        "WinHttpQueryOption(0x11a4f00, 31, 0x0, 0x0)",
    ];
    let mut w = W::new();
    let mut noise = 0usize;
    let mut say = |w: &mut W, at: At| {
        noise = noise.wrapping_add(1);
        w.line(at, NOISE[noise % NOISE.len()]);
    };
    w.open(
        WORKER,
        CONNECT_2,
        "web02.contoso.local",
        ARTICLE_REQUEST,
        "GET",
        "/reports/export.aspx",
    );
    say(&mut w, POOL_1);
    w.send_new(WORKER, ARTICLE_REQUEST, "10.0.0.22:80");
    say(&mut w, WORKER);
    for (i, body) in ARTICLE_SLOW.iter().enumerate() {
        if i == 3 {
            w.line(WORKER, "WinHttpReceiveResponse() returning TRUE");
            say(&mut w, WORKER);
            say(&mut w, POOL_1);
            w.wait(30_000.0);
        }
        let at = if i < 3 { WORKER } else { POOL_1 };
        let frame = w.line(at, body);
        if i == 4 {
            w.mark("decisive", frame);
        }
        say(&mut w, at);
        say(&mut w, POOL_2);
    }
    w.done()
}

/// The article's offline listing: a new connection that nobody answers; TCP gives up
/// after about 21 s, reported while receiving the headers.
pub fn article_offline() -> Story {
    let mut w = W::new();
    w.open(
        WORKER,
        CONNECT_2,
        "web03.contoso.local",
        ARTICLE_REQUEST,
        "GET",
        "/time/",
    );
    w.send_new(WORKER, ARTICLE_REQUEST, "10.0.0.23:80");
    for (i, body) in ARTICLE_OFFLINE.iter().enumerate() {
        if i == 2 {
            w.line(WORKER, "WinHttpReceiveResponse() returning TRUE");
            w.wait(21_000.0);
        }
        let at = if i < 2 { WORKER } else { POOL_2 };
        let frame = w.line(at, body);
        if i == 3 {
            w.mark("decisive", frame);
        }
    }
    w.done()
}

/// WinHTTP text-log form: every line carries the request id, lines of two requests
/// interleave on one thread, the request is dumped with its ARR headers, unknown lines in
/// between. The first request times out (1460), the second is answered.
pub fn text_log() -> Story {
    let mut w = W::new();
    let a = "*0000004* ::";
    let b = "*0000005* ::";
    w.line(
        WORKER,
        &format!("{a}WinHttpConnect({SESSION:#x}, \"web01.contoso.local\", 80, 0x00000000)"),
    );
    w.line(
        WORKER,
        &format!("{a}WinHttpConnect() returning handle {CONNECT_2:#x}"),
    );
    w.line(WORKER, &format!("{a}WinHttpOpenRequest({CONNECT_2:#x}, \"POST\", \"/orders/submit\", \"HTTP/1.1\", \"\", 0x0, 0x00000000)"));
    w.line(
        WORKER,
        &format!("{a}WinHttpOpenRequest() returning handle {ARTICLE_REQUEST:#x}"),
    );
    w.line(WORKER, &format!("{b}WinHttpOpenRequest({CONNECT_2:#x}, \"GET\", \"/health\", \"HTTP/1.1\", \"\", 0x0, 0x00000000)"));
    w.line(
        WORKER,
        &format!("{b}WinHttpOpenRequest() returning handle {OTHER_REQUEST:#x}"),
    );
    w.line(
        WORKER,
        &format!("{a}WinHttpSendRequest({ARTICLE_REQUEST:#x}, \"\", 0, 0x0, 0, 84, 0)"),
    );
    w.line(
        WORKER,
        &format!("{a}sys-req opening new connection to 10.0.0.21:80"),
    );
    w.line(
        WORKER,
        &format!("{a}sys-req something this parser never saw (0x12)"),
    );
    w.line(WORKER, &format!("{a}<<<<-------- HTTP stream follows below ----------------------------------------------->>>>"));
    for l in [
        "POST /orders/submit HTTP/1.1",
        "Host: web01.contoso.local",
        "X-Forwarded-For: 192.168.0.204:49247",
        "X-ARR-LOG-ID: dbf06c50-adb0-4141-8c04-20bc2f193a61",
        "Content-Length: 84",
    ] {
        w.line(WORKER, &format!("{a}{l}"));
    }
    w.line(
        WORKER,
        &format!("{a}<<<<-------- End ----------------------------------------------->>>>"),
    );
    w.line(WORKER, &format!("{a}WinHttpSendRequest() returning TRUE"));
    let receive = w.line(
        WORKER,
        &format!("{a}WinHttpReceiveResponse({ARTICLE_REQUEST:#x}, 0x0)"),
    );
    w.mark("receive call", receive);
    w.line(
        WORKER,
        &format!("{b}WinHttpSendRequest({OTHER_REQUEST:#x}, \"\", 0, 0x0, 0, 0, 0)"),
    );
    w.line(
        WORKER,
        &format!("{b}sys-req reusing keep-alive connection to 10.0.0.21:80"),
    );
    w.line(WORKER, &format!("{b}WinHttpSendRequest() returning TRUE"));
    w.line(
        WORKER,
        &format!("{b}WinHttpReceiveResponse({OTHER_REQUEST:#x}, 0x0)"),
    );
    w.line(WORKER, &format!("{b}<<<<-------- HTTP stream follows below ----------------------------------------------->>>>"));
    w.line(WORKER, &format!("{b}HTTP/1.1 200 OK"));
    w.line(WORKER, &format!("{b}Content-Length: 2"));
    w.line(
        WORKER,
        &format!("{b}<<<<-------- End ----------------------------------------------->>>>"),
    );
    w.line(
        WORKER,
        &format!("{b}WinHttpReceiveResponse() returning TRUE"),
    );
    w.line(
        WORKER,
        &format!("{b}WinHttpCloseHandle({OTHER_REQUEST:#x})"),
    );
    w.wait(30_000.0);
    let decisive = w.line(
        POOL_1,
        &format!("{a}sys-recver failed to receive headers; error = ? (1460)"),
    );
    w.mark("decisive", decisive);
    w.line(
        POOL_1,
        &format!("{a}ERROR_WINHTTP_FROM_WIN32 mapped (?) 1460 to (ERROR_WINHTTP_TIMEOUT) 12002"),
    );
    w.line(
        POOL_1,
        &format!(
            "{a}WinHttpReceiveResponse() returning FALSE; error = ERROR_WINHTTP_TIMEOUT (12002)"
        ),
    );
    w.done()
}

/// Two requests in flight on one thread pool: both issued on one thread, the answer of
/// the second and the failure of the first complete on other threads with no handle.
pub fn thread_pool(first_fails: bool) -> Story {
    let mut w = W::new();
    w.open(
        WORKER,
        CONNECT_2,
        "web01.contoso.local",
        ARTICLE_REQUEST,
        "GET",
        "/slow.aspx",
    );
    w.send_new(WORKER, ARTICLE_REQUEST, "10.0.0.21:80");
    w.line(
        WORKER,
        &format!("WinHttpReceiveResponse({ARTICLE_REQUEST:#x}, 0x0)"),
    );
    w.line(WORKER, "WinHttpReceiveResponse() returning TRUE");
    w.line(WORKER, &format!("WinHttpOpenRequest({CONNECT_2:#x}, \"GET\", \"/fast.aspx\", \"HTTP/1.1\", \"\", 0x0, 0x00000080)"));
    w.line(
        WORKER,
        &format!("WinHttpOpenRequest() returning handle {OTHER_REQUEST:#x}"),
    );
    w.send_new(WORKER, OTHER_REQUEST, "10.0.0.21:80");
    w.line(
        WORKER,
        &format!("WinHttpReceiveResponse({OTHER_REQUEST:#x}, 0x0)"),
    );
    w.line(WORKER, "WinHttpReceiveResponse() returning TRUE");
    w.wait(40.0);
    w.line(POOL_2, "sys-recver processing WebReceiveHttpResponse completion (error-cdoe = ERROR_SUCCESS (0x0), overlapped = 0037A110)");
    w.line(
        POOL_2,
        "sys-recver processing WebReceiveHttpResponse completion; status-code = 200",
    );
    w.line(POOL_2, &format!("WinHttpCloseHandle({OTHER_REQUEST:#x})"));
    w.wait(29_960.0);
    if first_fails {
        w.line(POOL_1, "sys-recver processing WebReceiveHttpResponse completion (error-cdoe = ? (0x5b4), overlapped = 003728F0)");
        let d = w.line(
            POOL_1,
            "sys-recver failed to receive headers; error = ? (1460)",
        );
        w.mark("decisive", d);
        w.line(
            POOL_1,
            "ERROR_WINHTTP_FROM_WIN32 mapped (?) 1460 to (ERROR_WINHTTP_TIMEOUT) 12002",
        );
    } else {
        w.line(
            POOL_1,
            "sys-recver processing WebReceiveHttpResponse completion; status-code = 200",
        );
    }
    w.line(POOL_1, &format!("WinHttpCloseHandle({ARTICLE_REQUEST:#x})"));
    w.done()
}

/// A failure of one kind, on a request opened in the trace (`code` chain as WinHTTP logs it).
pub fn failing(kind: &str) -> Story {
    let mut w = W::new();
    w.open(
        WORKER,
        CONNECT_2,
        "web02.contoso.local",
        ARTICLE_REQUEST,
        "GET",
        "/reports/export.aspx",
    );
    let lines: Vec<String> = match kind {
        "refused" => {
            w.send_new(WORKER, ARTICLE_REQUEST, "10.0.0.22:80");
            w.wait(1.0);
            vec![
                "sys-req failed to connect; error = WSAECONNREFUSED (10061)".into(),
                "ERROR_WINHTTP_FROM_WIN32 mapped (WSAECONNREFUSED) 10061 to (ERROR_WINHTTP_CANNOT_CONNECT) 12029".into(),
            ]
        }
        "name" => {
            w.line(
                WORKER,
                &format!("WinHttpSendRequest({ARTICLE_REQUEST:#x}, \"\", 0, 0x0, 0, 0, 0)"),
            );
            vec![
                "sys-req name resolution failed; error = ERROR_WINHTTP_NAME_NOT_RESOLVED (12007)"
                    .into(),
            ]
        }
        "reset before" | "reset body" | "invalid" => {
            w.line(
                WORKER,
                &format!("WinHttpSendRequest({ARTICLE_REQUEST:#x}, \"\", 0, 0x0, 0, 0, 0)"),
            );
            w.line(
                WORKER,
                "sys-req reusing keep-alive connection to 10.0.0.22:80",
            );
            w.line(WORKER, "WinHttpSendRequest() returning TRUE");
            w.line(
                WORKER,
                &format!("WinHttpReceiveResponse({ARTICLE_REQUEST:#x}, 0x0)"),
            );
            if kind == "reset body" {
                w.line(
                    WORKER,
                    "<<<<-------- HTTP stream follows below --------->>>>",
                );
                w.line(WORKER, "HTTP/1.1 200 OK");
                w.line(WORKER, "Content-Length: 52000");
                w.line(WORKER, "<<<<-------- End --------->>>>");
                w.line(WORKER, "WinHttpReceiveResponse() returning TRUE");
                w.line(
                    WORKER,
                    &format!("WinHttpReadData({ARTICLE_REQUEST:#x}, 0x1f50000, 8192, 0x0)"),
                );
                w.line(WORKER, "WinHttpReadData() returning TRUE; 8192 bytes read");
                w.line(
                    WORKER,
                    &format!("WinHttpReadData({ARTICLE_REQUEST:#x}, 0x1f50000, 8192, 0x0)"),
                );
            }
            w.wait(40.0);
            match kind {
                "invalid" => vec!["sys-recver failed to parse the response; error = ERROR_WINHTTP_INVALID_SERVER_RESPONSE (12152)".into()],
                _ => vec![
                    "sys-recver failed to receive data; error = WSAECONNRESET (10054)".into(),
                    "ERROR_WINHTTP_FROM_WIN32 mapped (WSAECONNRESET) 10054 to (ERROR_WINHTTP_CONNECTION_ERROR) 12030".into(),
                ],
            }
        }
        tls @ ("12175" | "12044" | "12045" | "12057") => {
            w.send_new(WORKER, ARTICLE_REQUEST, "10.0.0.22:443");
            let name = match tls {
                "12175" => "ERROR_WINHTTP_SECURE_FAILURE",
                "12044" => "ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED",
                "12045" => "ERROR_WINHTTP_SECURE_INVALID_CA",
                _ => "ERROR_WINHTTP_SECURE_CERT_REV_FAILED",
            };
            vec![format!(
                "sys-req security handshake failed; error = {name} ({tls})"
            )]
        }
        proxy @ ("12180" | "12167") => {
            let name = if proxy == "12180" {
                "ERROR_WINHTTP_AUTODETECTION_FAILED"
            } else {
                "ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT"
            };
            w.line(
                WORKER,
                &format!("WinHttpSendRequest({ARTICLE_REQUEST:#x}, \"\", 0, 0x0, 0, 0, 0)"),
            );
            vec![format!(
                "sys-req proxy detection failed; error = {name} ({proxy})"
            )]
        }
        other => panic!("no variant {other}"),
    };
    for (i, l) in lines.iter().enumerate() {
        let frame = w.line(POOL_1, l);
        if i == 0 {
            w.mark("decisive", frame);
        }
    }
    w.done()
}

/// A request the trace began in the middle of: its first line is a read.
pub fn opened_before_trace() -> Story {
    let mut w = W::new();
    let first = w.line(
        WORKER,
        &format!("WinHttpReadData({ARTICLE_REQUEST:#x}, 0x1f50000, 8192, 0x0)"),
    );
    w.mark("first", first);
    w.line(WORKER, "WinHttpReadData() returning TRUE; 4096 bytes read");
    w.line(
        WORKER,
        &format!("WinHttpReadData({ARTICLE_REQUEST:#x}, 0x1f50000, 8192, 0x0)"),
    );
    w.wait(15.0);
    let d = w.line(
        WORKER,
        "sys-recver failed to receive entity body; error = ERROR_NETNAME_DELETED (64)",
    );
    w.mark("decisive", d);
    w.line(WORKER, "ERROR_WINHTTP_FROM_WIN32 mapped (ERROR_NETNAME_DELETED) 64 to (ERROR_WINHTTP_CONNECTION_ERROR) 12030");
    w.line(
        WORKER,
        "returning ERROR_WINHTTP_CONNECTION_ERROR (12030) from WinHttpReadData()",
    );
    w.done()
}

/// 502.4: requests to two members, neither accepts a connection.
pub fn no_healthy_member() -> Story {
    let mut w = W::new();
    for (host, address, request, code) in [
        (
            "web01.contoso.local",
            "10.0.0.21:80",
            ARTICLE_REQUEST,
            "WSAECONNREFUSED (10061)",
        ),
        (
            "web02.contoso.local",
            "10.0.0.22:80",
            OTHER_REQUEST,
            "WSAETIMEDOUT (10060)",
        ),
    ] {
        w.open(WORKER, CONNECT_2, host, request, "GET", "/");
        w.send_new(WORKER, request, address);
        w.wait(1.0);
        w.line(
            WORKER,
            &format!("sys-req failed to connect; error = {code}"),
        );
        w.line(
            WORKER,
            "returning ERROR_WINHTTP_CANNOT_CONNECT (12029) from WinHttpSendRequest()",
        );
        w.line(WORKER, &format!("WinHttpCloseHandle({request:#x})"));
        w.wait(1000.0);
    }
    w.done()
}

/// WebIO events only (no WinHTTP text): RequestCreate with the URI, a refused connect.
pub fn webio_only() -> Story {
    let mut w = W::new();
    let request = 0x1F6_C2A4_1630u64;
    let connection = 0x1F6_C2B0_9470u64;
    let create = Payload::new()
        .u64(request)
        .u64(ARTICLE_REQUEST)
        .u64(0x1F6_C1E0_2A10)
        .u64(SESSION)
        .ansi("GET")
        .utf16("/catalog/items?page=2")
        .u16(1)
        .u16(1)
        .u32(0);
    let first = w.fx.webio(WORKER, 17, create);
    w.mark("first", first);
    let connect = |error: u32| {
        let address = "10.0.0.24:8080";
        Payload::new()
            .u64(connection)
            .u64(0x6F8)
            .u32(address.encode_utf16().count() as u32)
            .utf16_counted(address)
            .u64(request)
            .u64(0)
            .u32(error)
    };
    let start = w.fx.webio(WORKER, 200, connect(0));
    w.mark("connect attempt", start);
    w.fx.wait_ms(1.0);
    let failed = w.fx.webio(WORKER, 202, connect(10061));
    w.mark("decisive", failed);
    w.done()
}

#[path = "variants/packets.rs"]
mod packets;
pub use packets::packets_only;
