//! Requests from packets alone, for traces with a capture but no WinHTTP or WebIO events:
//! each TCP connection this machine opened to an HTTP port, its SYNs and their answer
//! (SYN-ACK, RST, nothing), the HTTP request lines it sent, the status lines and resets
//! that came back. The failures are named by the Winsock code WinHTTP would have seen.

use std::collections::HashMap;
use std::net::SocketAddr;

use crate::packet::{self, Application, Direction, Transport};
use crate::timeline::Timeline;

use super::failure::{FailureKind, symbol_of};
use super::{Backend, ConnectionUse, ErrorEvidence, Outcome, Phase, Request, StepMark, Steps};

/// Ports a back end serves HTTP on when no request line says so.
const HTTP_PORTS: &[u16] = &[80, 8080];
const TICKS_PER_SEC: f64 = 10_000_000.0;

#[derive(Debug, Clone, Copy)]
struct Seen {
    frame: usize,
    time: i64,
}

#[derive(Debug, Default)]
struct Exchange {
    request: Option<(Seen, String, String, Option<String>)>,
    response: Option<(Seen, u16)>,
    body_bytes: u64,
    reset: Option<Seen>,
    frames: Vec<usize>,
}

#[derive(Debug)]
struct Flow {
    server: SocketAddr,
    syns: Vec<Seen>,
    answered: bool,
    refused: Option<Seen>,
    exchanges: Vec<Exchange>,
    frames: Vec<usize>,
    pid: Option<u32>,
}

/// The requests the capture shows, one per request line sent (or per failed connect).
pub(super) fn requests_from_packets(session: &Timeline) -> Vec<Request> {
    let mut flows: Vec<Flow> = Vec::new();
    let mut by_key: HashMap<(SocketAddr, SocketAddr), usize> = HashMap::new();
    let mut http_ports: Vec<u16> = HTTP_PORTS.to_vec();
    for frame in packet::frames(session) {
        let d = packet::dissect(&frame);
        let (
            Some(ip),
            Some(Transport::Tcp {
                source_port,
                destination_port,
                flags,
                payload,
                ..
            }),
        ) = (d.ip, d.transport)
        else {
            continue;
        };
        let from = SocketAddr::new(ip.source, source_port);
        let to = SocketAddr::new(ip.destination, destination_port);
        let seen = Seen {
            frame: frame.frame_number,
            time: frame.filetime,
        };
        if flags.syn && !flags.ack {
            // Connections opened by someone else (browsers to this server) are not ours.
            if frame.direction == Direction::Receive {
                continue;
            }
            let index = *by_key.entry((from, to)).or_insert_with(|| {
                flows.push(Flow {
                    server: to,
                    syns: Vec::new(),
                    answered: false,
                    refused: None,
                    exchanges: Vec::new(),
                    frames: Vec::new(),
                    pid: frame.pid,
                });
                flows.len().saturating_sub(1)
            });
            if let Some(flow) = flows.get_mut(index) {
                flow.syns.push(seen);
                flow.frames.push(seen.frame);
            }
            continue;
        }
        let (flow, outbound) = match (by_key.get(&(from, to)), by_key.get(&(to, from))) {
            (Some(&i), _) => (flows.get_mut(i), true),
            (None, Some(&i)) => (flows.get_mut(i), false),
            _ => continue,
        };
        let Some(flow) = flow else {
            continue;
        };
        flow.frames.push(seen.frame);
        if !outbound && flags.syn && flags.ack {
            flow.answered = true;
            continue;
        }
        if !outbound && flags.rst {
            if !flow.answered {
                flow.refused.get_or_insert(seen);
            } else if let Some(x) = flow.exchanges.last_mut().filter(|x| x.reset.is_none()) {
                x.reset = Some(seen);
                x.frames.push(seen.frame);
            }
            continue;
        }
        match (&d.application, outbound) {
            (
                Some(Application::Http(packet::HttpLine::Request {
                    method, uri, host, ..
                })),
                true,
            ) => {
                http_ports.push(flow.server.port());
                flow.exchanges.push(Exchange {
                    request: Some((seen, method.clone(), uri.clone(), host.clone())),
                    frames: vec![seen.frame],
                    ..Exchange::default()
                });
            }
            (Some(Application::Http(packet::HttpLine::Response { status, .. })), false) => {
                if let Some(x) = flow.exchanges.last_mut() {
                    x.response.get_or_insert((seen, *status));
                    x.frames.push(seen.frame);
                    let head = payload
                        .windows(4)
                        .position(|w| w == b"\r\n\r\n")
                        .map_or(payload.len(), |p| p.saturating_add(4));
                    x.body_bytes = x
                        .body_bytes
                        .saturating_add(payload.len().saturating_sub(head) as u64);
                }
            }
            _ if !outbound && !payload.is_empty() => {
                if let Some(x) = flow.exchanges.last_mut().filter(|x| x.response.is_some()) {
                    x.body_bytes = x.body_bytes.saturating_add(payload.len() as u64);
                }
            }
            _ => {}
        }
    }
    let mut out: Vec<Request> = flows
        .into_iter()
        .filter(|f| http_ports.contains(&f.server.port()))
        .flat_map(|f| flow_requests(session, f))
        .collect();
    out.sort_by_key(|r| (r.start, r.start_frame));
    for (i, r) in out.iter_mut().enumerate() {
        r.id = i.saturating_add(1);
    }
    out
}

fn evidence(
    seen: Seen,
    code: u32,
    kind: FailureKind,
    phase: Phase,
    since: i64,
    text: String,
) -> ErrorEvidence {
    ErrorEvidence {
        frame: seen.frame,
        time: seen.time,
        code,
        symbol: symbol_of(code),
        text,
        kind,
        phase,
        phase_elapsed_secs: seen.time.saturating_sub(since) as f64 / TICKS_PER_SEC,
    }
}

fn flow_requests(session: &Timeline, flow: Flow) -> Vec<Request> {
    let Some(first_syn) = flow.syns.first().copied() else {
        return Vec::new();
    };
    let server = flow.server.to_string();
    let process = flow
        .pid
        .map_or_else(|| "(packets)".to_string(), |pid| format!("({pid})"));
    let _ = session;
    let connect_mark = StepMark {
        frame: first_syn.frame,
        time: first_syn.time,
    };
    let mut connect_errors = Vec::new();
    if let Some(rst) = flow.refused {
        connect_errors.push(evidence(
            rst,
            10061,
            FailureKind::Unreachable,
            Phase::Connect,
            first_syn.time,
            format!("TCP RST from {server} in answer to the SYN: connection refused"),
        ));
    } else if !flow.answered && flow.syns.len() > 1 {
        let last = flow.syns.last().copied().unwrap_or(first_syn);
        connect_errors.push(evidence(
            last,
            10060,
            FailureKind::Unreachable,
            Phase::Connect,
            first_syn.time,
            format!(
                "SYN to {server} sent {} times, never answered",
                flow.syns.len()
            ),
        ));
    }
    let base = |start: Seen, end: Seen| Request {
        id: 0,
        process: process.clone(),
        pid: flow.pid.unwrap_or(0),
        thread: 0,
        threads: Vec::new(),
        tag: None,
        handle: None,
        target: None,
        verb: None,
        path: None,
        remote_address: Some(server.clone()),
        backend: Backend {
            host: None,
            address: Some(server.clone()),
            port: Some(flow.server.port()),
        },
        connection: Some(ConnectionUse::New),
        started_before_trace: false,
        steps: Steps {
            connect: Some(connect_mark),
            ..Steps::default()
        },
        phase_reached: Phase::Connect,
        status: None,
        bytes_received: None,
        content_length: None,
        arr_log_id: None,
        forwarded_for: None,
        start_frame: start.frame,
        end_frame: end.frame,
        start: start.time,
        end: end.time,
        duration_secs: end.time.saturating_sub(start.time) as f64 / TICKS_PER_SEC,
        outcome: Outcome::Unknown,
        errors: Vec::new(),
        frames: Vec::new(),
        calls: Vec::new(),
        timeouts: None,
        client: None,
    };
    if flow.exchanges.is_empty() {
        let Some(error) = connect_errors.pop() else {
            return Vec::new();
        };
        let end = Seen {
            frame: error.frame,
            time: error.time,
        };
        let mut r = base(first_syn, end);
        r.target = Some(server.clone());
        r.outcome = Outcome::Failed {
            code: error.code,
            symbol: error.symbol.clone(),
        };
        r.errors = vec![error];
        r.frames = flow.frames;
        r.frames.sort_unstable();
        r.frames.dedup();
        return vec![r];
    }
    let mut out = Vec::new();
    for (n, x) in flow.exchanges.into_iter().enumerate() {
        let Some((sent, verb, path, host)) = x.request else {
            continue;
        };
        let end = [x.reset, x.response.map(|r| r.0)]
            .into_iter()
            .flatten()
            .max_by_key(|s| s.time)
            .unwrap_or(sent);
        let start = if n == 0 { first_syn } else { sent };
        let mut r = base(start, end);
        r.connection = Some(if n == 0 {
            ConnectionUse::New
        } else {
            ConnectionUse::Reused
        });
        r.steps.send = Some(StepMark {
            frame: sent.frame,
            time: sent.time,
        });
        r.steps.receive_headers = r.steps.send;
        if n > 0 {
            r.steps.connect = None;
        }
        r.phase_reached = Phase::ReceiveHeaders;
        r.target = Some(format!(
            "{}{path}",
            host.clone().unwrap_or_else(|| server.clone())
        ));
        r.backend.host = host.map(|h| h.split(':').next().unwrap_or(&h).to_string());
        r.verb = Some(verb);
        r.path = Some(path);
        if let Some((_, status)) = x.response {
            r.status = Some(status);
            r.phase_reached = Phase::ReceiveBody;
            r.bytes_received = Some(x.body_bytes);
            r.outcome = Outcome::Ok(Some(status));
        }
        if let Some(rst) = x.reset {
            let phase = if x.response.is_some() {
                Phase::ReceiveBody
            } else {
                Phase::ReceiveHeaders
            };
            let error = evidence(
                rst,
                10054,
                FailureKind::ConnectionAborted,
                phase,
                sent.time,
                format!("TCP RST from {server} after the request"),
            );
            r.outcome = Outcome::Failed {
                code: error.code,
                symbol: error.symbol.clone(),
            };
            r.errors.push(error);
        }
        let mut frames = x.frames;
        if n == 0 {
            frames.extend(flow.syns.iter().map(|s| s.frame));
        }
        frames.sort_unstable();
        frames.dedup();
        r.frames = frames;
        out.push(r);
    }
    out
}
