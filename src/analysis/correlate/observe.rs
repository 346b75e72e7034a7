//! Reads one decoded WinHTTP / WebIO / TCPIP / HTTP.sys event into [`Facts`]: the handles
//! and pointers that tie it to a request, the call or phase it starts or ends, what it says
//! about the target, and its failure. The grouping in `correlate` only looks at facts.

use crate::timeline::trace_text_of;
use decode::DecodedEvent;
use decode::trace_text::{self, TraceLine};
use decode::value::Value;
use etl::Event;

use super::failure::{Failure, Source, decoded_failure};

pub mod extra;
pub use extra::{HttpLine, TimeoutSlot};

/// Longest evidence line kept (headers can be kilobytes).
const SUMMARY_MAX_CHARS: usize = 240;

/// A WinHTTP call starting or ending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiEdge {
    Start(String),
    /// `result`: the returned error (0 = success); `None` when the text only says FALSE.
    Stop {
        api: String,
        result: Option<u32>,
    },
}

/// A step of the request's network work starting or ending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaseEdge {
    ResolveStart,
    ResolveEnd,
    ConnectStart,
    ConnectEnd,
    SendStart,
}

/// Host and port of a server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoint {
    pub host: Option<String>,
    pub port: Option<u16>,
}

/// HTTP.sys facts (the browser-facing side of ARR).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientFacts {
    pub request_id: Option<u64>,
    pub request_obj: Option<u64>,
    pub url: Option<String>,
    pub status: Option<u16>,
    /// A response event logged by the worker thread that answered (RecvResp and kin).
    pub is_response: bool,
}

/// What one event tells about requests.
#[derive(Debug, Clone)]
pub struct Facts {
    pub source: Source,
    /// 0-based frame.
    pub frame: usize,
    pub time: i64,
    pub pid: u32,
    pub tid: u32,
    /// The trace line, or `Provider EventName: fields` (only for failing events).
    pub summary: String,
    /// A free-text trace line (not a structured event).
    pub is_text: bool,
    pub failure: Option<Failure>,
    pub api: Option<ApiEdge>,
    /// A WinHTTP handle the event names (API handle, first echo argument, RequestHandle).
    pub handle: Option<u64>,
    /// `WinHttpXxx() returning handle 0x...`: (function, handle).
    pub created: Option<(String, u64)>,
    /// Verb and path from WinHttpOpenRequest, WebIO RequestCreate or the request line.
    pub verb: Option<String>,
    pub path: Option<String>,
    /// Server named by WinHttpConnect, a name resolution or a connect.
    pub endpoint: Option<Endpoint>,
    pub remote_address: Option<String>,
    /// WinHttpSetTimeouts(h, resolve, connect, send, receive) in milliseconds.
    pub timeouts: Option<[u32; 4]>,
    pub webio_request: Option<u64>,
    pub webio_create: bool,
    pub connection: Option<u64>,
    pub tcb: Option<u64>,
    pub phase: Option<PhaseEdge>,
    /// Status of the back-end response (WebIO response headers, trace text).
    pub status: Option<u16>,
    pub client: Option<ClientFacts>,
    /// The request id of WinHTTP text logs (`::*0000004* ::`).
    pub tag: Option<String>,
    /// `overlapped = 003728F0` of a completion line.
    pub overlapped: Option<u64>,
    /// The line starts handling an asynchronous completion (the thread switches request).
    pub completion: bool,
    /// HTTP stream dump edge.
    pub stream: Option<trace_text::StreamMarker>,
    /// HTTP request/status/header lines the event shows.
    pub http: Vec<HttpLine>,
    /// WinHttpSetOption with a time-out value.
    pub option_timeout: Option<(TimeoutSlot, u32)>,
    /// `true` when the event shows a new connection being opened, `false` for reuse.
    pub new_connection: Option<bool>,
    /// Bytes of body received so far, when the line says.
    pub bytes: Option<u64>,
    /// The line is about receiving (the receiver component, `recv`/`receive` words).
    pub receiving: bool,
}

fn field_u64(decoded: &DecodedEvent, name: &str) -> Option<u64> {
    decoded
        .get(name)
        .and_then(Value::as_u64)
        .filter(|&v| v != 0)
}

fn field_str(decoded: &DecodedEvent, name: &str) -> Option<String> {
    decoded
        .get(name)
        .and_then(Value::as_str)
        .map(|s| s.trim_end_matches('\0').trim().to_string())
        .filter(|s| !s.is_empty())
}

/// `"GET"` -> `GET`.
fn unquote(arg: &str) -> &str {
    let arg = arg.trim();
    arg.strip_prefix('"')
        .and_then(|a| a.strip_suffix('"'))
        .unwrap_or(arg)
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(SUMMARY_MAX_CHARS) {
        Some((cut, _)) => format!("{}...", text.get(..cut).unwrap_or(text)),
        None => text.to_string(),
    }
}

/// `10.0.0.22`, `[fe80::1]`, `fe80::1`.
pub fn is_ip_literal(host: &str) -> bool {
    host.trim_matches(['[', ']'])
        .parse::<std::net::IpAddr>()
        .is_ok()
}

/// `host:port`, `ip:port` or `[v6]:port` split; a bare host keeps `port` empty.
pub fn split_host_port(text: &str) -> Endpoint {
    let text = text.trim();
    if let Some((host, port)) = text.rsplit_once(':')
        && let Ok(port) = port.parse::<u16>()
        && !host.is_empty()
        && (!host.contains(':') || host.ends_with(']'))
    {
        return Endpoint {
            host: Some(host.to_string()),
            port: Some(port),
        };
    }
    Endpoint {
        host: (!text.is_empty()).then(|| text.to_string()),
        port: None,
    }
}

/// The free text of a WinHTTP/WebIO text event, with or without the time prefix.
fn text_of(source: Source, e: &Event, decoded: &DecodedEvent) -> Option<String> {
    if !matches!(source, Source::WinHttp | Source::WebIo) {
        return None;
    }
    if let Some(text) = trace_text_of(decoded) {
        return Some(text.to_string());
    }
    let is_text_event = match source {
        Source::WinHttp => matches!(e.header.id, 1 | 2 | 58999 | 59999),
        _ => e.header.id == 59999,
    };
    if !is_text_event {
        return None;
    }
    field_str(decoded, "param1").or_else(|| field_str(decoded, "Message"))
}

/// The evidence line of an event: its trace text, or `Provider EventName: fields`.
pub fn summary(e: &Event, decoded: &DecodedEvent) -> Option<String> {
    let source = Source::of(e)?;
    Some(summarize(
        source,
        e,
        decoded,
        text_of(source, e, decoded).as_deref(),
    ))
}

fn summarize(source: Source, e: &Event, decoded: &DecodedEvent, text: Option<&str>) -> String {
    match text {
        Some(t) => truncate(t.trim_end_matches(['\0', '\r', '\n'])),
        None if source == Source::WinHttp && matches!(e.header.id, 9..=14) => api_summary(decoded),
        None => {
            let name = decoded
                .event_name
                .as_deref()
                .map_or_else(|| format!("event {}", e.header.id), str::to_string);
            truncate(&format!(
                "{} {name}: {}",
                source.label(),
                decoded.description()
            ))
        }
    }
}

impl Facts {
    /// What one event says before anything is read from it: where and when only.
    pub fn blank(source: Source, frame: usize, time: i64, pid: u32, tid: u32) -> Facts {
        Facts {
            source,
            frame,
            time,
            pid,
            tid,
            summary: String::new(),
            is_text: false,
            failure: None,
            api: None,
            handle: None,
            created: None,
            verb: None,
            path: None,
            endpoint: None,
            remote_address: None,
            timeouts: None,
            webio_request: None,
            webio_create: false,
            connection: None,
            tcb: None,
            phase: None,
            status: None,
            client: None,
            tag: None,
            overlapped: None,
            completion: false,
            stream: None,
            http: Vec::new(),
            option_timeout: None,
            new_connection: None,
            bytes: None,
            receiving: false,
        }
    }
}

/// Reads one event. `None` for providers this module does not follow.
pub fn observe(e: &Event, decoded: &DecodedEvent) -> Option<Facts> {
    let source = Source::of(e)?;
    let text = text_of(source, e, decoded);
    let line = text.as_deref().map(trace_text::parse_line);
    let failure = decoded_failure(source, e, decoded, line.as_ref());
    // Only failing events become evidence; formatting every event would cost the most.
    let summary = match failure {
        Some(_) => summarize(source, e, decoded, text.as_deref()),
        None => String::new(),
    };
    let mut facts = Facts::blank(
        source,
        e.frame,
        e.filetime,
        e.header.process_id.unwrap_or(0),
        e.header.thread_id.unwrap_or(0),
    );
    facts.summary = summary;
    facts.is_text = line.is_some();
    facts.failure = failure;
    match (&line, source) {
        (Some(line), _) => read_text(&mut facts, line),
        (None, Source::WinHttp) => read_winhttp(&mut facts, e, decoded),
        (None, Source::WebIo) => read_webio(&mut facts, e, decoded),
        (None, Source::Tcpip) => read_tcpip(&mut facts, e, decoded),
        (None, Source::HttpSys) => read_http_sys(&mut facts, e, decoded),
        (None, Source::DnsClient | Source::Schannel) => {}
    }
    Some(facts)
}

/// `WinHttp APIStop: WinHttpReceiveResponse(0x1e0de40) result 12002 (ERROR_WINHTTP_TIMEOUT)`.
fn api_summary(decoded: &DecodedEvent) -> String {
    let name = decoded.event_name.as_deref().unwrap_or("API");
    let api = field_str(decoded, "Api").unwrap_or_else(|| "?".to_string());
    let handle = decoded
        .get("ApiHandle")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let result = match decoded.get("Result").and_then(Value::as_u64) {
        Some(0) => " result 0".to_string(),
        Some(code) => {
            let name = u32::try_from(code).ok().and_then(super::failure::symbol_of);
            match name {
                Some(name) => format!(" result {code} ({name})"),
                None => format!(" result {code}"),
            }
        }
        None => String::new(),
    };
    truncate(&format!("WinHttp {name}: {api}({handle:#x}){result}"))
}

/// API echo, `Fn() returning ...`, `returning X (n) from Fn()`, connection targets.
fn read_text(facts: &mut Facts, line: &TraceLine) {
    facts.tag = line.request_tag.map(str::to_string);
    facts.stream = line.stream_marker;
    facts.overlapped = extra::overlapped(line.text);
    facts.completion = extra::starts_completion(line.text);
    facts.new_connection = extra::connection_use(line.text);
    facts.bytes = extra::bytes_received(line.text);
    facts.receiving = line.component == Some("sys-recver") || {
        let lower = line.text.to_ascii_lowercase();
        lower.contains("recv") || lower.contains("receiv")
    };
    if line.api_call.is_none() && line.stream_marker.is_none() {
        facts.http = extra::http_lines(line.text);
    }
    facts.option_timeout = extra::option_timeout(line);
    if let Some(call) = &line.api_call {
        facts.handle = line.handle;
        facts.api = Some(ApiEdge::Start(call.name.to_string()));
        let arg = |i: usize| call.args.get(i).map(|a| unquote(a));
        match call.name {
            "WinHttpOpenRequest" => {
                facts.verb = arg(1)
                    .filter(|v| !v.is_empty() && *v != "NULL")
                    .map(str::to_string);
                facts.path = arg(2)
                    .filter(|p| !p.is_empty() && *p != "NULL")
                    .map(str::to_string);
            }
            "WinHttpConnect" => {
                facts.endpoint = Some(Endpoint {
                    host: arg(1).filter(|h| !h.is_empty()).map(str::to_string),
                    port: arg(2).and_then(|p| p.parse().ok()).filter(|&p| p != 0),
                });
            }
            "WinHttpSetTimeouts" => {
                let values: Vec<u32> = (1..5).filter_map(|i| arg(i)?.parse().ok()).collect();
                facts.timeouts = values.try_into().ok();
            }
            _ => {}
        }
        return;
    }
    if let Some((function, rest)) = line
        .text
        .split_once("() returning ")
        .filter(|(f, _)| f.starts_with("WinHttp") && !f.contains(' '))
    {
        let rest = rest.trim_start();
        if let Some(handle) = rest
            .strip_prefix("handle ")
            .and_then(|h| h.split_whitespace().next())
            .and_then(|h| h.strip_prefix("0x"))
            .and_then(|h| u64::from_str_radix(h, 16).ok())
            .filter(|&h| h != 0)
        {
            facts.created = Some((function.to_string(), handle));
        }
        let result = if rest.starts_with("TRUE") || rest.starts_with("handle") {
            Some(0)
        } else {
            line.returning.as_ref().map(|r| r.code)
        };
        facts.api = Some(ApiEdge::Stop {
            api: function.to_string(),
            result,
        });
        return;
    }
    if let Some(returning) = &line.returning
        && let Some(function) = returning.function.filter(|f| f.starts_with("WinHttp"))
    {
        facts.api = Some(ApiEdge::Stop {
            api: function.to_string(),
            result: Some(returning.code),
        });
    }
    // `sys-req opening a connection to host:port (ip:port)`.
    if let Some(after) = line.text.split_once("connection to ").map(|(_, a)| a) {
        let mut words = after.split_whitespace();
        if let Some(target) = words.next() {
            let target = target.trim_end_matches([';', ',', '.']);
            let endpoint = split_host_port(target);
            // `connection to 10.0.0.22:80`: the address itself.
            if endpoint.port.is_some() && endpoint.host.as_deref().is_some_and(is_ip_literal) {
                facts.remote_address = Some(target.to_string());
            }
            facts.endpoint = Some(endpoint);
        }
        if let Some(address) = words.next() {
            let address = address.trim_matches(|c| matches!(c, '(' | ')' | ';' | ','));
            if split_host_port(address).port.is_some() {
                facts.remote_address = Some(address.to_string());
            }
        }
        if line.text.contains("opening") {
            facts.phase = Some(PhaseEdge::ConnectStart);
        }
    }
    if let Some(status) = line
        .text
        .split_once("status-code = ")
        .and_then(|(_, s)| s.get(..3))
        .and_then(|s| s.parse().ok())
    {
        facts.status = Some(status);
    }
}

/// WinHttp API start/stop events (9-14) and getaddrinfo (1051/1052).
fn read_winhttp(facts: &mut Facts, e: &Event, decoded: &DecodedEvent) {
    let api = field_str(decoded, "Api");
    facts.handle = field_u64(decoded, "ApiHandle");
    match (e.header.id, api) {
        (9 | 12, Some(api)) => facts.api = Some(ApiEdge::Start(api)),
        (10 | 11 | 13 | 14, Some(api)) => {
            let result = decoded
                .get("Result")
                .and_then(Value::as_u64)
                .and_then(|v| u32::try_from(v).ok());
            facts.api = Some(ApiEdge::Stop { api, result });
        }
        (1051, _) => {
            facts.phase = Some(PhaseEdge::ResolveStart);
            facts.endpoint = field_str(decoded, "AddressName").map(|host| Endpoint {
                host: Some(host),
                port: None,
            });
        }
        (1052, _) => facts.phase = Some(PhaseEdge::ResolveEnd),
        _ => {}
    }
}

fn read_webio(facts: &mut Facts, e: &Event, decoded: &DecodedEvent) {
    // RequestClose names the request `ApiObject` / `ApiHandle`.
    facts.webio_request = field_u64(decoded, "Request").or_else(|| field_u64(decoded, "ApiObject"));
    facts.handle = field_u64(decoded, "RequestHandle").or_else(|| field_u64(decoded, "ApiHandle"));
    facts.connection = field_u64(decoded, "Connection").or_else(|| field_u64(decoded, "Endpoint"));
    let id = e.header.id;
    match id {
        17 | 18 => {
            facts.webio_create = true;
            facts.verb = field_str(decoded, "Method");
            facts.path = field_str(decoded, "URI");
        }
        100 | 101 => {
            let headers = field_str(decoded, "Headers").unwrap_or_default();
            facts.http = extra::http_lines(&headers);
            let first = headers.lines().next().unwrap_or("");
            let mut words = first.split_whitespace();
            if id == 101 {
                // `HTTP/1.1 200 OK`
                facts.status = words
                    .next()
                    .filter(|v| v.starts_with("HTTP/"))
                    .and_then(|_| words.next()?.parse().ok());
            } else if let (Some(verb), Some(path)) = (words.next(), words.next()) {
                facts.verb = Some(verb.to_string());
                facts.path = Some(path.to_string());
            }
        }
        200..=202 => {
            if id == 200 {
                facts.new_connection = Some(true);
            }
            facts.phase = Some(if id == 200 {
                PhaseEdge::ConnectStart
            } else {
                PhaseEdge::ConnectEnd
            });
            if let Some(address) = field_str(decoded, "Address") {
                facts.endpoint = Some(split_host_port(&address));
                facts.remote_address = Some(address);
            }
        }
        205 | 211 => {
            facts.phase = Some(PhaseEdge::ResolveStart);
            let name = field_str(decoded, "HostName").or_else(|| field_str(decoded, "ResolveName"));
            facts.endpoint = name.map(|host| Endpoint {
                host: Some(host),
                port: None,
            });
        }
        206 | 207 | 212 => facts.phase = Some(PhaseEdge::ResolveEnd),
        213 => facts.phase = Some(PhaseEdge::SendStart),
        _ => {}
    }
}

fn read_tcpip(facts: &mut Facts, e: &Event, decoded: &DecodedEvent) {
    facts.tcb = field_u64(decoded, "Tcb");
    facts.remote_address = decoded
        .get("RemoteAddress")
        .map(Value::display)
        .filter(|a| split_host_port(a).port.is_some());
    facts.phase = match e.header.id {
        1002 => {
            facts.new_connection = Some(true);
            Some(PhaseEdge::ConnectStart)
        }
        1033 | 1034 | 1045 => Some(PhaseEdge::ConnectEnd),
        _ => None,
    };
}

fn read_http_sys(facts: &mut Facts, e: &Event, decoded: &DecodedEvent) {
    let status = ["StatusCode", "HttpStatus"]
        .iter()
        .find_map(|n| decoded.get(n).and_then(Value::as_u64))
        .and_then(|s| u16::try_from(s).ok())
        .filter(|&s| s != 0);
    facts.client = Some(ClientFacts {
        request_id: field_u64(decoded, "RequestId"),
        request_obj: field_u64(decoded, "RequestObj"),
        url: field_str(decoded, "Url"),
        status,
        // RecvResp, RecvRespLast, FastResp, FastRespLast: the worker hands over a response.
        is_response: matches!(e.header.id, 4 | 5 | 8 | 9),
    });
}

#[cfg(test)]
mod tests;
