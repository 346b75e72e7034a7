//! One request while it is being put together ([`Draft`]) and how it becomes a
//! [`Request`]: calls, phases, errors, target and outcome.

use super::failure::{FailureKind, is_benign, symbol_of};
use super::observe::{ApiEdge, Endpoint, Facts, PhaseEdge, is_ip_literal, split_host_port};
use super::{
    ApiCallSpan, ClientRequest, ConnectionUse, ErrorEvidence, Outcome, Phase, Request, StepMark,
    Steps, TimeoutOrigin, Timeouts,
};

#[path = "draft/summary.rs"]
mod summary;
use summary::{backend_of, phase_reached};

/// FILETIME ticks per second.
pub(super) const TICKS_PER_SEC: i64 = 10_000_000;
/// How long after WinHttpCloseHandle handle-less lines of the thread still belong to the
/// request (connection teardown after a failure).
pub(super) const CLOSE_GRACE: i64 = TICKS_PER_SEC;
/// Lines grouped only by thread (no handle) start a new group after this much silence.
pub(super) const THREAD_GROUP_GAP: i64 = 300 * TICKS_PER_SEC;
/// Events of one call logged this close together (the API event and its echo or
/// `returning` line) are the same call.
pub(super) const SAME_CALL: i64 = TICKS_PER_SEC / 100;

fn phase_of_call(api: &str) -> Option<Phase> {
    Some(match api {
        "WinHttpSendRequest" | "WinHttpWriteData" => Phase::Send,
        "WinHttpReceiveResponse" => Phase::ReceiveHeaders,
        "WinHttpReadData" | "WinHttpReadDataEx" | "WinHttpQueryDataAvailable" => Phase::ReceiveBody,
        "WinHttpCloseHandle" => Phase::Close,
        _ => return None,
    })
}

/// A WinHttpOpenRequest seen before the handle it returns.
#[derive(Debug, Clone)]
pub(super) struct PendingOpen {
    pub(super) frames: Vec<usize>,
    pub(super) start_frame: usize,
    pub(super) start: i64,
    pub(super) verb: Option<String>,
    pub(super) path: Option<String>,
    pub(super) connect_handle: Option<u64>,
}

/// A request being assembled from the events routed to it.
#[derive(Debug, Clone)]
pub(super) struct Draft {
    pub(super) pid: u32,
    pub(super) tid: u32,
    pub(super) process: String,
    pub(super) handle: Option<u64>,
    pub(super) connect_handle: Option<u64>,
    pub(super) verb: Option<String>,
    pub(super) path: Option<String>,
    pub(super) endpoint: Endpoint,
    pub(super) remote_address: Option<String>,
    /// The WebIO connection this request used last.
    pub(super) last_connection: Option<u64>,
    /// 0-based frames.
    pub(super) frames: Vec<usize>,
    pub(super) start_frame: usize,
    pub(super) start: i64,
    pub(super) end_frame: usize,
    pub(super) end: i64,
    pub(super) errors: Vec<ErrorEvidence>,
    pub(super) calls: Vec<ApiCallSpan>,
    pub(super) phase: Phase,
    pub(super) phase_since: i64,
    pub(super) closed_at: Option<i64>,
    pub(super) status: Option<u16>,
    pub(super) got_response: bool,
    /// The first failing call's result: (code, symbol).
    pub(super) failed_call: Option<(u32, Option<String>)>,
    pub(super) timeouts: Option<Timeouts>,
    pub(super) client: Option<ClientRequest>,
    pub(super) threads: Vec<u32>,
    pub(super) tag: Option<String>,
    pub(super) steps: Steps,
    pub(super) bytes_received: Option<u64>,
    pub(super) content_length: Option<u64>,
    pub(super) arr_log_id: Option<String>,
    pub(super) forwarded_for: Option<String>,
    /// The last HTTP start line seen was a status line (headers that follow are the response's).
    pub(super) in_response: bool,
    pub(super) connection_use: Option<ConnectionUse>,
    /// WinHttpOpenRequest or WebIO RequestCreate seen: the request began inside the trace.
    pub(super) opened: bool,
    /// The WinHTTP handle came from `WinHttpOpenRequest() returning handle` or an API event
    /// (not only from a WebIO RequestCreate, whose handle may be WebIO's own).
    pub(super) winhttp_handle: bool,
    pub(super) webio_request: Option<u64>,
    /// A connect attempt succeeded (or the connection was reused).
    pub(super) connected: bool,
    /// When the response status arrived (failures after it broke the body).
    pub(super) status_time: Option<i64>,
}

impl Draft {
    pub(super) fn new(facts: &Facts, process: String, handle: Option<u64>) -> Draft {
        Draft {
            pid: facts.pid,
            tid: facts.tid,
            process,
            handle,
            connect_handle: None,
            verb: None,
            path: None,
            endpoint: Endpoint::default(),
            remote_address: None,
            last_connection: None,
            frames: Vec::new(),
            start_frame: facts.frame,
            start: facts.time,
            end_frame: facts.frame,
            end: facts.time,
            errors: Vec::new(),
            calls: Vec::new(),
            phase: Phase::Idle,
            phase_since: facts.time,
            closed_at: None,
            status: None,
            got_response: false,
            failed_call: None,
            timeouts: None,
            client: None,
            threads: vec![facts.tid],
            tag: None,
            steps: Steps::default(),
            bytes_received: None,
            content_length: None,
            arr_log_id: None,
            forwarded_for: None,
            in_response: false,
            connection_use: None,
            opened: false,
            winhttp_handle: false,
            webio_request: None,
            connected: false,
            status_time: None,
        }
    }

    /// Still waiting for something from the network (a candidate for a completion that
    /// names no request): open, not failed, in a network step.
    pub(super) fn is_waiting(&self) -> bool {
        self.closed_at.is_none()
            && self.failed_call.is_none()
            && !self.errors.iter().any(|e| (12000..13000).contains(&e.code))
            && match self.phase {
                Phase::Resolve | Phase::Connect | Phase::Send => true,
                // Headers that arrived end the wait for headers, not the one for the body.
                Phase::ReceiveHeaders => self.status.is_none(),
                Phase::ReceiveBody => true,
                Phase::Idle | Phase::Close => false,
            }
    }

    fn mark_step(&mut self, phase: Phase, facts: &Facts) {
        let mark = Some(StepMark {
            frame: facts.frame.saturating_add(1),
            time: facts.time,
        });
        let slot = match phase {
            Phase::Resolve => &mut self.steps.resolve,
            Phase::Connect => &mut self.steps.connect,
            Phase::Send => &mut self.steps.send,
            Phase::ReceiveHeaders => &mut self.steps.receive_headers,
            Phase::ReceiveBody => &mut self.steps.receive_body,
            Phase::Idle | Phase::Close => return,
        };
        if slot.is_none() {
            *slot = mark;
        }
    }

    pub(super) fn is_open_at(&self, time: i64) -> bool {
        self.closed_at
            .is_none_or(|closed| time.saturating_sub(closed) <= CLOSE_GRACE)
    }

    fn enter(&mut self, phase: Phase, time: i64) {
        if self.phase != phase {
            self.phase = phase;
            self.phase_since = time;
        }
    }

    pub(super) fn learn_endpoint(&mut self, learned: &Endpoint) {
        let better_name = match (&self.endpoint.host, &learned.host) {
            (None, Some(_)) => true,
            (Some(old), Some(new)) => is_ip_literal(old) && !is_ip_literal(new),
            _ => false,
        };
        if better_name {
            self.endpoint.host.clone_from(&learned.host);
        }
        if self.endpoint.port.is_none() {
            self.endpoint.port = learned.port;
        }
    }

    /// Whether a stop of `api` can close a call this draft started.
    pub(super) fn has_call_to_stop(&self, api: &str, time: i64) -> bool {
        self.calls.iter().rev().any(|c| {
            c.name == api
                && c.end
                    .is_none_or(|end| time.saturating_sub(end) <= SAME_CALL && c.result.is_some())
        })
    }

    fn start_call(&mut self, api: &str, facts: &Facts) {
        let repeated = self
            .calls
            .last()
            .is_some_and(|c| c.name == api && c.end.is_none());
        if !repeated {
            self.calls.push(ApiCallSpan {
                name: api.to_string(),
                start_frame: facts.frame.saturating_add(1),
                start: facts.time,
                end_frame: None,
                end: None,
                result: None,
            });
            if let Some(phase) = phase_of_call(api) {
                self.phase = phase;
                self.phase_since = facts.time;
                self.mark_step(phase, facts);
            }
            if api == "WinHttpOpenRequest" {
                self.opened = true;
            }
        }
        if api == "WinHttpCloseHandle" {
            self.closed_at.get_or_insert(facts.time);
        }
    }

    fn stop_call(&mut self, api: &str, result: Option<u32>, facts: &Facts) {
        let open = self
            .calls
            .iter_mut()
            .rev()
            .find(|c| c.name == api && c.end.is_none());
        match open {
            Some(call) => {
                call.end = Some(facts.time);
                call.end_frame = Some(facts.frame.saturating_add(1));
                call.result = result;
            }
            None => {
                let echoed = self.calls.iter_mut().rev().find(|c| c.name == api);
                match echoed {
                    // The API stop event right after a `returning` line: same call.
                    Some(call) if call.result.is_none() || result == call.result => {
                        call.result = call.result.or(result);
                    }
                    Some(_) => {}
                    None => self.calls.push(ApiCallSpan {
                        name: api.to_string(),
                        start_frame: facts.frame.saturating_add(1),
                        start: facts.time,
                        end_frame: Some(facts.frame.saturating_add(1)),
                        end: Some(facts.time),
                        result,
                    }),
                }
            }
        }
        match result {
            Some(0) => {
                if api == "WinHttpReceiveResponse" {
                    self.got_response = true;
                }
                // Other calls keep their step: an asynchronous call returns TRUE before it
                // completes, and its failure is measured from the call.
                if api == "WinHttpCloseHandle" {
                    self.closed_at = Some(facts.time);
                    self.phase = Phase::Close;
                }
            }
            Some(code) if !is_benign(code) && self.failed_call.is_none() => {
                self.failed_call = Some((code, symbol_of(code)));
            }
            _ => {}
        }
    }

    fn apply_phase(&mut self, edge: PhaseEdge, failed: bool, facts: &Facts) {
        let time = facts.time;
        match edge {
            PhaseEdge::ResolveStart => self.mark_step(Phase::Resolve, facts),
            PhaseEdge::ConnectStart => self.mark_step(Phase::Connect, facts),
            PhaseEdge::SendStart => self.mark_step(Phase::Send, facts),
            PhaseEdge::ConnectEnd if !failed => self.connected = true,
            _ => {}
        }
        match edge {
            PhaseEdge::ResolveStart => self.enter(Phase::Resolve, time),
            PhaseEdge::ConnectStart => self.enter(Phase::Connect, time),
            // A failed step stays current: later events report the same failure.
            PhaseEdge::ResolveEnd if !failed && self.phase == Phase::Resolve => {
                self.enter(Phase::Send, time)
            }
            PhaseEdge::ConnectEnd if !failed && self.phase == Phase::Connect => {
                self.enter(Phase::Send, time)
            }
            PhaseEdge::SendStart => self.enter(Phase::Send, time),
            PhaseEdge::ResolveEnd | PhaseEdge::ConnectEnd => {}
        }
    }

    /// Adds one event's facts (the routing has decided it belongs here).
    pub(super) fn absorb(&mut self, facts: &Facts) {
        self.frames.push(facts.frame);
        if !self.threads.contains(&facts.tid) {
            self.threads.push(facts.tid);
        }
        if self.tag.is_none() {
            self.tag.clone_from(&facts.tag);
        }
        if facts.webio_create {
            self.opened = true;
        }
        for line in &facts.http {
            self.take_http(line);
        }
        if let Some(bytes) = facts.bytes {
            self.bytes_received = Some(self.bytes_received.unwrap_or(0).saturating_add(bytes));
        }
        match facts.new_connection {
            Some(true) => self.connection_use = Some(ConnectionUse::New),
            Some(false) => {
                self.connection_use.get_or_insert(ConnectionUse::Reused);
            }
            None => {}
        }
        if let Some((slot, ms)) = facts.option_timeout {
            let frame = facts.frame.saturating_add(1);
            let mut t = match self.timeouts {
                Some(t)
                    if t.origin == TimeoutOrigin::Request || t.origin == TimeoutOrigin::Option =>
                {
                    t
                }
                _ => Timeouts::winhttp_defaults(frame, TimeoutOrigin::Option),
            };
            t.set(slot, ms);
            t.frame = frame;
            self.timeouts = Some(t);
        }
        if facts.time >= self.end {
            self.end = facts.time;
            self.end_frame = facts.frame;
        }
        // Held lines of a completion given to the request a later line named.
        if facts.time < self.start {
            self.start = facts.time;
            self.start_frame = facts.frame;
        }
        // Codeless failures stay in `frames` only; HTTP.sys statuses are the client's side.
        if let Some(failure) = &facts.failure
            && let Some(code) = failure.code
            && failure.kind != FailureKind::HttpStatus
        {
            let elapsed = facts.time.saturating_sub(self.phase_since);
            self.errors.push(ErrorEvidence {
                frame: facts.frame.saturating_add(1),
                time: facts.time,
                code,
                symbol: failure.symbol.clone(),
                text: facts.summary.clone(),
                kind: failure.kind,
                phase: self.phase,
                phase_elapsed_secs: elapsed as f64 / TICKS_PER_SEC as f64,
            });
        }
        match &facts.api {
            Some(ApiEdge::Start(api)) => self.start_call(api, facts),
            Some(ApiEdge::Stop { api, result }) => self.stop_call(api, *result, facts),
            None => {}
        }
        if let Some(edge) = facts.phase {
            self.apply_phase(edge, facts.failure.is_some(), facts);
        }
        if self.verb.is_none() {
            self.verb.clone_from(&facts.verb);
        }
        if self.path.is_none() {
            self.path.clone_from(&facts.path);
        }
        if let Some(endpoint) = &facts.endpoint {
            self.learn_endpoint(endpoint);
        }
        if self.remote_address.is_none() {
            self.remote_address.clone_from(&facts.remote_address);
        }
        if let Some(status) = facts.status {
            self.status_time.get_or_insert(facts.time);
            self.status.get_or_insert(status);
            self.got_response = true;
        }
        if let Some([resolve_ms, connect_ms, send_ms, receive_ms]) = facts.timeouts {
            self.timeouts = Some(Timeouts {
                resolve_ms,
                connect_ms,
                send_ms,
                receive_ms,
                frame: facts.frame.saturating_add(1),
                origin: TimeoutOrigin::Request,
            });
        }
    }
}

fn outcome_of(d: &Draft) -> Outcome {
    if let Some((code, symbol)) = &d.failed_call {
        return Outcome::Failed {
            code: *code,
            symbol: symbol.clone(),
        };
    }
    // A WinHTTP error after the headers arrived broke the body.
    if let Some(at) = d.status_time
        && let Some(e) = d
            .errors
            .iter()
            .rev()
            .find(|e| e.time > at && (12000..13000).contains(&e.code))
    {
        return Outcome::Failed {
            code: e.code,
            symbol: e.symbol.clone().or_else(|| symbol_of(e.code)),
        };
    }
    // Response headers with a status: whatever failed on the way was recovered from.
    if d.status.is_some() {
        return Outcome::Ok(d.status);
    }
    // No call failed visibly (an asynchronous call returns TRUE before it fails): the most
    // telling error is the last WinHTTP one.
    if let Some(e) = d
        .errors
        .iter()
        .rev()
        .find(|e| (12000..13000).contains(&e.code))
    {
        return Outcome::Failed {
            code: e.code,
            symbol: e.symbol.clone().or_else(|| symbol_of(e.code)),
        };
    }
    if d.got_response {
        return Outcome::Ok(None);
    }
    match d.errors.last() {
        Some(e) => Outcome::Failed {
            code: e.code,
            symbol: e.symbol.clone().or_else(|| symbol_of(e.code)),
        },
        None => Outcome::Unknown,
    }
}

fn target_of(d: &Draft) -> Option<String> {
    let endpoint = match (&d.endpoint.host, &d.remote_address) {
        (None, Some(address)) => split_host_port(address),
        _ => d.endpoint.clone(),
    };
    let port = endpoint.port.or(d.endpoint.port);
    let authority = endpoint.host.map(|host| match port {
        Some(port) => format!("{host}:{port}"),
        None => host,
    });
    match (authority, &d.path) {
        (Some(a), Some(p)) if p.starts_with('/') => Some(format!("{a}{p}")),
        (Some(a), Some(p)) => Some(format!("{a}/{p}")),
        (Some(a), None) => Some(a),
        (None, Some(p)) => Some(p.clone()),
        (None, None) => None,
    }
}

pub(super) fn into_request(id: usize, mut d: Draft) -> Request {
    let outcome = outcome_of(&d);
    let target = target_of(&d);
    d.frames.sort_unstable();
    d.frames.dedup();
    let frames: Vec<usize> = d.frames.iter().map(|f| f.saturating_add(1)).collect();
    // Start and end are the WinHTTP side's; `frames` also holds the browser's request.
    let (start_frame, end_frame) = (
        d.start_frame.saturating_add(1),
        d.end_frame.saturating_add(1),
    );
    let start = d.start.min(d.end);
    let duration = d.end.saturating_sub(start);
    let backend = backend_of(&d);
    let phase_reached = phase_reached(&d);
    Request {
        id,
        process: d.process,
        pid: d.pid,
        thread: d.tid,
        threads: d.threads,
        tag: d.tag,
        handle: d.handle,
        target,
        verb: d.verb,
        path: d.path,
        remote_address: d.remote_address,
        backend,
        connection: d.connection_use,
        started_before_trace: !d.opened,
        steps: d.steps,
        phase_reached,
        status: d.status,
        bytes_received: d.bytes_received,
        content_length: d.content_length,
        arr_log_id: d.arr_log_id,
        forwarded_for: d.forwarded_for,
        start_frame,
        end_frame,
        start,
        end: d.end,
        duration_secs: duration as f64 / TICKS_PER_SEC as f64,
        outcome,
        errors: d.errors,
        frames,
        calls: d.calls,
        timeouts: d.timeouts,
        client: d.client,
    }
}
