//! Request correlation: groups the WinHTTP events of a trace into the requests a process made
//! (by WinHTTP handle, thread and time), with the WebIO, TCPIP, DNS and TLS events of the same
//! work and, for ARR, the HTTP.sys request of the browser that caused it (matched by the
//! worker thread that answered it). Also classifies the failure of a single event.
//!
//! How events are tied to a request:
//! * a WinHTTP handle: API start/stop events (`ApiHandle`), API echo lines
//!   (`WinHttpSendRequest(0x...)`), `WinHttpOpenRequest() returning handle 0x...`, WebIO
//!   `RequestHandle` fields;
//! * a WebIO `Request` pointer (from RequestCreate), a TCPIP `Tcb` (from TcpRequestConnect);
//! * otherwise the thread: a line without a handle belongs to the request the same thread
//!   worked on last, while it is open (and for a second after it was closed).

use serde::Serialize;

use crate::timeline::Timeline;
use etl::Event;

mod draft;
pub mod failure;
#[cfg(test)]
pub(crate) mod fixture;
mod group;
pub(crate) mod observe;
mod packets;
#[cfg(test)]
pub(crate) mod scenarios;
#[cfg(test)]
pub(crate) mod variants;

pub use failure::{Failure, FailureKind};
pub use observe::TimeoutSlot;

/// What happened to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Outcome {
    /// Response headers arrived (their status when the trace shows it).
    Ok(Option<u16>),
    /// WinHTTP failed; `code` is what the failing call returned (or the last error seen).
    Failed { code: u32, symbol: Option<String> },
    /// Neither: the trace ends before the request finished, or it shows too little.
    Unknown,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Ok(Some(status)) => write!(f, "{status}"),
            Outcome::Ok(None) => write!(f, "ok"),
            Outcome::Failed {
                code,
                symbol: Some(symbol),
            } => write!(f, "{symbol} ({code})"),
            Outcome::Failed { code, symbol: None } => write!(f, "error {code}"),
            Outcome::Unknown => write!(f, "?"),
        }
    }
}

/// What the request was doing when something was logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Between calls, or before the first one.
    Idle,
    Resolve,
    Connect,
    Send,
    ReceiveHeaders,
    ReceiveBody,
    Close,
}

/// One failing event of a request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorEvidence {
    /// 1-based, as etlview shows it.
    pub frame: usize,
    /// FILETIME (UTC).
    pub time: i64,
    pub code: u32,
    pub symbol: Option<String>,
    /// The trace line, or `Provider EventName: fields`.
    pub text: String,
    pub kind: FailureKind,
    pub phase: Phase,
    /// Seconds from the start of `phase` to this event.
    pub phase_elapsed_secs: f64,
}

/// One WinHTTP call of a request (from API events and/or echo lines).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiCallSpan {
    pub name: String,
    /// 1-based frame of the call's first event.
    pub start_frame: usize,
    pub start: i64,
    pub end_frame: Option<usize>,
    pub end: Option<i64>,
    /// Returned error (0 = success), when the trace says.
    pub result: Option<u32>,
}

/// Where a request's time-outs come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeoutOrigin {
    /// WinHttpSetTimeouts on the request handle.
    Request,
    /// WinHttpSetTimeouts on the connect handle the request was opened on.
    Connect,
    /// WinHttpSetTimeouts on the session handle.
    Session,
    /// WinHttpSetOption(WINHTTP_OPTION_..._TIMEOUT); the other slots keep WinHTTP's defaults.
    Option,
}

/// The request's time-outs (milliseconds; 0 = infinite).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Timeouts {
    pub resolve_ms: u32,
    pub connect_ms: u32,
    pub send_ms: u32,
    pub receive_ms: u32,
    /// 1-based frame of the line that set them (the last one, for several).
    pub frame: usize,
    pub origin: TimeoutOrigin,
}

impl Timeouts {
    /// WinHTTP's own defaults (resolve infinite, connect 60 s, send and receive 30 s).
    pub fn winhttp_defaults(frame: usize, origin: TimeoutOrigin) -> Timeouts {
        Timeouts {
            resolve_ms: 0,
            connect_ms: 60_000,
            send_ms: 30_000,
            receive_ms: 30_000,
            frame,
            origin,
        }
    }

    pub fn set(&mut self, slot: TimeoutSlot, ms: u32) {
        match slot {
            TimeoutSlot::Resolve => self.resolve_ms = ms,
            TimeoutSlot::Connect => self.connect_ms = ms,
            TimeoutSlot::Send => self.send_ms = ms,
            TimeoutSlot::Receive => self.receive_ms = ms,
        }
    }
}

/// Where and when a step of the request first started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StepMark {
    /// 1-based frame.
    pub frame: usize,
    /// FILETIME (UTC).
    pub time: i64,
}

/// The first start of each step the trace shows (durations are measured from these).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Steps {
    pub resolve: Option<StepMark>,
    /// The connect attempt (SYN, TcpRequestConnect, WebIO socket connect, "opening ...").
    pub connect: Option<StepMark>,
    pub send: Option<StepMark>,
    /// WinHttpReceiveResponse.
    pub receive_headers: Option<StepMark>,
    pub receive_body: Option<StepMark>,
}

/// Whether the request opened its own connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionUse {
    New,
    Reused,
}

/// The back end the request went to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Backend {
    /// Host name (from WinHttpConnect, the URI, Host header or name resolution).
    pub host: Option<String>,
    /// `ip:port` the connection went to.
    pub address: Option<String>,
    pub port: Option<u16>,
}

impl Backend {
    /// `web02.contoso.local (10.0.0.22:80)`, `web02.contoso.local:80`, `10.0.0.22:80`.
    pub fn display(&self) -> Option<String> {
        match (&self.host, &self.address, self.port) {
            (Some(host), Some(address), _) => Some(format!("{host} ({address})")),
            (Some(host), None, Some(port)) => Some(format!("{host}:{port}")),
            (Some(host), None, None) => Some(host.clone()),
            (None, Some(address), _) => Some(address.clone()),
            (None, None, _) => None,
        }
    }
}

/// The browser's request (HTTP.sys) that the WinHTTP request served, for ARR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientRequest {
    pub request_id: u64,
    pub url: Option<String>,
    /// Status sent back to the browser.
    pub status: Option<u16>,
    /// 1-based frames of the HTTP.sys events.
    pub frames: Vec<usize>,
    /// 1-based frame of the response event (status handed to HTTP.sys), when seen.
    pub response_frame: Option<usize>,
}

/// One WinHTTP request as the trace shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    /// 1-based, in time order.
    pub id: usize,
    /// `name (pid)` as Network Monitor's UTProcessName.
    pub process: String,
    pub pid: u32,
    /// Thread of the request's first event.
    pub thread: u32,
    /// Every thread that logged for the request (completions run on pool threads).
    pub threads: Vec<u32>,
    /// WinHTTP text logs' request id (`::*0000004* ::`).
    pub tag: Option<String>,
    /// The WinHTTP request handle (absent for lines that name none).
    pub handle: Option<u64>,
    /// `host:port/path` (or as much of it as is known).
    pub target: Option<String>,
    pub verb: Option<String>,
    /// Path and query (or the absolute URI WebIO logged).
    pub path: Option<String>,
    /// `ip:port` the connection went to, when seen.
    pub remote_address: Option<String>,
    pub backend: Backend,
    pub connection: Option<ConnectionUse>,
    /// The trace shows no WinHttpOpenRequest / RequestCreate: it began after the request did.
    pub started_before_trace: bool,
    pub steps: Steps,
    /// The furthest step reached.
    pub phase_reached: Phase,
    /// HTTP status of the back end's response.
    pub status: Option<u16>,
    /// Body bytes received, when the trace counts them.
    pub bytes_received: Option<u64>,
    /// Content-Length of the response.
    pub content_length: Option<u64>,
    /// `X-ARR-LOG-ID` and `X-Forwarded-For` of the request ARR sent.
    pub arr_log_id: Option<String>,
    pub forwarded_for: Option<String>,
    /// 1-based frames of the first and last event.
    pub start_frame: usize,
    pub end_frame: usize,
    /// FILETIME (UTC) of the first and last event.
    pub start: i64,
    pub end: i64,
    pub duration_secs: f64,
    pub outcome: Outcome,
    /// The chain of failing events, in time order.
    pub errors: Vec<ErrorEvidence>,
    /// Every frame of the request (1-based, ascending), client-side frames included.
    pub frames: Vec<usize>,
    pub calls: Vec<ApiCallSpan>,
    pub timeouts: Option<Timeouts>,
    pub client: Option<ClientRequest>,
}

/// The WinHTTP requests of a trace, in time order (deterministic).
pub fn requests(session: &Timeline) -> Vec<Request> {
    let list = group::group(session);
    if list.is_empty() {
        // No WinHTTP/WebIO request: what the capture shows of the back-end connections.
        return packets::requests_from_packets(session);
    }
    list
}

/// Failure classification of one event (WinHTTP/WebIO trace lines and API results, WebIO
/// error fields, TCPIP connect failures, HTTP.sys 5xx answers, DNS and Schannel errors).
pub fn classify_event(session: &Timeline, e: &Event) -> Option<Failure> {
    failure::Source::of(e)?;
    let decoded = session.decode(e);
    observe::observe(e, &decoded)?.failure
}

#[cfg(test)]
mod tests;
