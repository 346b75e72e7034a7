//! The grouping state machine behind [`requests`](super::requests): one pass over the events
//! in time order, routing each event's [`Facts`] to a request draft.

use std::collections::HashMap;

use crate::timeline::Timeline;

use super::ApiCallSpan;
use super::ClientRequest;
use super::ConnectionUse;
use super::Request;
use super::TimeoutOrigin;
use super::Timeouts;
use super::draft::{Draft, PendingOpen, SAME_CALL, THREAD_GROUP_GAP, into_request};
use super::failure::Source;
use super::observe::{ApiEdge, ClientFacts, Endpoint, Facts, observe};

mod route;

/// Calls whose first argument is always a request handle.
const REQUEST_APIS: &[&str] = &[
    "WinHttpSendRequest",
    "WinHttpReceiveResponse",
    "WinHttpQueryHeaders",
    "WinHttpQueryHeadersEx",
    "WinHttpReadData",
    "WinHttpReadDataEx",
    "WinHttpWriteData",
    "WinHttpQueryDataAvailable",
    "WinHttpAddRequestHeaders",
    "WinHttpAddRequestHeadersEx",
    "WinHttpSetCredentials",
    "WinHttpQueryAuthSchemes",
    "WinHttpWebSocketCompleteUpgrade",
];

/// HTTP.sys events of one browser request.
#[derive(Debug, Default)]
struct ClientDraft {
    request_id: u64,
    url: Option<String>,
    status: Option<u16>,
    frames: Vec<usize>,
    delivered: Option<i64>,
    /// (pid, tid, time, frame) of the response handed over by the worker.
    response: Option<(u32, u32, i64, usize)>,
}

#[derive(Default)]
struct Grouper {
    drafts: Vec<Draft>,
    open_by_handle: HashMap<(u32, u64), usize>,
    by_webio_request: HashMap<(u32, u64), usize>,
    by_connection: HashMap<(u32, u64), usize>,
    by_tcb: HashMap<u64, usize>,
    thread_current: HashMap<(u32, u32), usize>,
    pending_open: HashMap<(u32, u32), PendingOpen>,
    /// WinHttpConnect in progress on a thread: (server, session handle).
    pending_connect: HashMap<(u32, u32), (Endpoint, Option<u64>)>,
    /// Session handle of each connect handle.
    session_of_connect: HashMap<(u32, u64), u64>,
    /// Time-outs set on session and connect handles, inherited by their requests.
    handle_timeouts: HashMap<(u32, u64), Timeouts>,
    /// The request each text-log request id (`*0000004*`) last named.
    by_tag: HashMap<(u32, String), usize>,
    /// The request each completion's overlapped pointer belongs to.
    by_overlapped: HashMap<(u32, u64), usize>,
    /// Lines of a completion that name no request, per thread, until a line of the same
    /// thread names one (or the completion ends).
    bursts: HashMap<(u32, u32), Vec<Facts>>,
    connect_targets: HashMap<(u32, u64), Endpoint>,
    connection_targets: HashMap<(u32, u64), Endpoint>,
    clients: Vec<ClientDraft>,
    client_by_id: HashMap<u64, usize>,
    client_by_obj: HashMap<u64, usize>,
}

/// A completion's lines that name no request are held this long for a line that does.
const BURST_SPAN: i64 = super::draft::TICKS_PER_SEC;

/// Events decoded per parallel batch (bounds the facts held at once).
const BATCH: usize = 1 << 14;

pub(super) fn group(session: &Timeline) -> Vec<Request> {
    use rayon::prelude::*;
    let mut grouper = Grouper::default();
    let total = session.len();
    let mut start = 0;
    while start < total {
        let end = start.saturating_add(BATCH).min(total);
        // Decoding is the cost and needs no order; grouping is sequential.
        let batch: Vec<Facts> = (start..end)
            .into_par_iter()
            .filter_map(|frame| {
                let e = session.event(frame)?;
                Source::of(&e)?;
                observe(&e, &session.decode(&e))
            })
            .collect();
        for facts in &batch {
            grouper.take(session, facts);
        }
        start = end;
    }
    grouper.finish(session)
}

impl Grouper {
    fn take(&mut self, session: &Timeline, facts: &Facts) {
        if let Some(client) = &facts.client {
            self.take_client(facts, client);
            return;
        }
        let key = (facts.pid, facts.tid);
        let strong = facts.handle.is_some()
            || facts.tag.is_some()
            || facts.webio_request.is_some()
            || facts.created.is_some();
        let nameless_text =
            facts.source == Source::WinHttp && facts.is_text && facts.api.is_none() && !strong;
        let stale = self
            .bursts
            .get(&key)
            .and_then(|b| b.first())
            .is_some_and(|first| {
                facts.time.saturating_sub(first.time) > BURST_SPAN || (facts.completion && !strong)
            });
        if stale {
            self.flush_burst(session, key, None);
        }
        let orphan = nameless_text
            && (facts.failure.is_some() || !facts.http.is_empty() || facts.status.is_some())
            && self.current(facts.pid, facts.tid, facts.time).is_none();
        if nameless_text && (facts.completion || orphan || self.bursts.contains_key(&key)) {
            self.bursts.entry(key).or_default().push(facts.clone());
            return;
        }
        let Some(index) = self.route(session, facts) else {
            return;
        };
        if strong && self.bursts.contains_key(&key) {
            self.flush_burst(session, key, Some(index));
        }
        self.attach(facts, index);
    }

    /// Gives a thread's held lines to `target` (the request a later line of the same
    /// thread named), else to the request of the process waiting for the network.
    fn flush_burst(&mut self, session: &Timeline, key: (u32, u32), target: Option<usize>) {
        let Some(lines) = self.bursts.remove(&key) else {
            return;
        };
        let mut index = target;
        for facts in &lines {
            let chosen = match index {
                Some(i) => i,
                None => match self.waiting_request(facts) {
                    Some(i) => i,
                    None if facts.failure.is_some() => self.create(session, facts, None),
                    None => continue,
                },
            };
            index = Some(chosen);
            self.attach(facts, chosen);
        }
    }

    /// Adds an event to the request it was routed to and learns its keys.
    fn attach(&mut self, facts: &Facts, index: usize) {
        let Some(draft) = self.drafts.get_mut(index) else {
            return;
        };
        if let Some(connection) = facts.connection
            && draft.connection_use.is_none()
            && self
                .by_connection
                .get(&(facts.pid, connection))
                .is_some_and(|&other| other != index)
        {
            // Another request used this connection first: keep-alive reuse.
            draft.connection_use = Some(ConnectionUse::Reused);
            draft.connected = true;
        }
        draft.absorb(facts);
        if matches!(facts.source, Source::WinHttp | Source::WebIo) {
            // The thread's last request (lowest-trust tie for lines that name nothing).
            self.thread_current.insert((facts.pid, facts.tid), index);
        }
        if let Some(tag) = &facts.tag {
            self.by_tag.insert((facts.pid, tag.clone()), index);
        }
        if let Some(overlapped) = facts.overlapped {
            self.by_overlapped.insert((facts.pid, overlapped), index);
        }
        if let Some(request) = facts.webio_request {
            self.by_webio_request.insert((facts.pid, request), index);
            draft.webio_request.get_or_insert(request);
        }
        if let Some(connection) = facts.connection {
            self.by_connection.insert((facts.pid, connection), index);
            draft.last_connection = Some(connection);
            if let Some(known) = self.connection_targets.get(&(facts.pid, connection)) {
                draft.learn_endpoint(known);
            }
        }
        if let Some(tcb) = facts.tcb {
            self.by_tcb.insert(tcb, index);
        }
        // What the request learned about its server serves later requests on the same
        // WinHTTP connection handle or WebIO connection (keep-alive reuse).
        if draft.endpoint.host.is_some() {
            if let Some(connect) = draft.connect_handle {
                self.connect_targets
                    .entry((draft.pid, connect))
                    .or_insert_with(|| draft.endpoint.clone());
            }
            if let Some(connection) = facts.connection {
                let key = (facts.pid, connection);
                if self.connection_targets.get(&key) != Some(&draft.endpoint) {
                    self.connection_targets.insert(key, draft.endpoint.clone());
                }
            }
        }
        if let (Some(ApiEdge::Stop { api, .. }), Some(handle)) = (&facts.api, draft.handle)
            && api == "WinHttpCloseHandle"
            && draft.closed_at.is_some()
        {
            self.open_by_handle.remove(&(draft.pid, handle));
        }
    }

    /// The thread's current request, while it is open.
    fn current(&self, pid: u32, tid: u32, time: i64) -> Option<usize> {
        let index = *self.thread_current.get(&(pid, tid))?;
        self.drafts
            .get(index)
            .filter(|d| d.is_open_at(time))
            .filter(|d| d.handle.is_some() || time.saturating_sub(d.end) <= THREAD_GROUP_GAP)
            .map(|_| index)
    }

    fn create(&mut self, session: &Timeline, facts: &Facts, handle: Option<u64>) -> usize {
        let process = session
            .event(facts.frame)
            .and_then(|e| session.ut_process_name(&e))
            .unwrap_or_else(|| format!("({})", facts.pid));
        let mut draft = Draft::new(facts, process, handle);
        if let Some(pending) = self.pending_open.remove(&(facts.pid, facts.tid)) {
            draft.start = pending.start;
            draft.start_frame = pending.start_frame;
            draft.frames.extend(&pending.frames);
            draft.verb = pending.verb;
            draft.path = pending.path;
            draft.connect_handle = pending.connect_handle;
            draft.calls.push(ApiCallSpan {
                name: "WinHttpOpenRequest".into(),
                start_frame: pending.start_frame.saturating_add(1),
                start: pending.start,
                end_frame: None,
                end: None,
                result: None,
            });
            if let Some(known) = pending
                .connect_handle
                .and_then(|c| self.connect_targets.get(&(facts.pid, c)))
            {
                draft.learn_endpoint(known);
            }
            draft.opened = true;
        }
        draft.timeouts = self.inherited_timeouts(facts.pid, draft.connect_handle);
        let index = self.drafts.len();
        self.drafts.push(draft);
        if let Some(handle) = handle {
            self.open_by_handle.insert((facts.pid, handle), index);
        }
        index
    }

    /// Time-outs set on the connect handle, else on its session handle.
    fn inherited_timeouts(&self, pid: u32, connect: Option<u64>) -> Option<Timeouts> {
        let connect = connect?;
        if let Some(t) = self.handle_timeouts.get(&(pid, connect)) {
            return Some(Timeouts {
                origin: TimeoutOrigin::Connect,
                ..*t
            });
        }
        let session = self.session_of_connect.get(&(pid, connect))?;
        self.handle_timeouts
            .get(&(pid, *session))
            .map(|t| Timeouts {
                origin: TimeoutOrigin::Session,
                ..*t
            })
    }

    fn remember_open(&mut self, facts: &Facts) {
        let key = (facts.pid, facts.tid);
        let fresh = self
            .pending_open
            .get(&key)
            .is_some_and(|p| facts.time.saturating_sub(p.start) <= SAME_CALL);
        if !fresh {
            self.pending_open.insert(
                key,
                PendingOpen {
                    frames: Vec::new(),
                    start_frame: facts.frame,
                    start: facts.time,
                    verb: None,
                    path: None,
                    connect_handle: facts.handle,
                },
            );
        }
        if let Some(pending) = self.pending_open.get_mut(&key) {
            pending.frames.push(facts.frame);
            if pending.verb.is_none() {
                pending.verb.clone_from(&facts.verb);
            }
            if pending.path.is_none() {
                pending.path.clone_from(&facts.path);
            }
        }
    }

    fn take_client(&mut self, facts: &Facts, client: &ClientFacts) {
        let (id, obj) = (client.request_id, client.request_obj);
        let by_id = id.and_then(|id| self.client_by_id.get(&id).copied());
        // HTTP.sys reuses request objects: an object names a request only until its id is
        // known (Parse carries the object, Deliver both).
        let by_obj = obj
            .and_then(|o| self.client_by_obj.get(&o).copied())
            .filter(|&i| self.clients.get(i).is_some_and(|c| c.request_id == 0));
        let index = match (by_id, by_obj) {
            (Some(index), Some(other)) if index != other => {
                let moved = self.clients.get_mut(other).map(std::mem::take);
                if let (Some(moved), Some(kept)) = (moved, self.clients.get_mut(index)) {
                    kept.frames.extend(moved.frames);
                    if kept.url.is_none() {
                        kept.url = moved.url;
                    }
                }
                index
            }
            (Some(index), _) => index,
            (None, Some(index)) => {
                if let (Some(id), Some(draft)) = (id, self.clients.get_mut(index)) {
                    draft.request_id = id;
                    self.client_by_id.insert(id, index);
                }
                index
            }
            (None, None) => {
                if id.is_none() && obj.is_none() {
                    return;
                }
                let index = self.clients.len();
                self.clients.push(ClientDraft {
                    request_id: id.unwrap_or(0),
                    ..ClientDraft::default()
                });
                if let Some(id) = id {
                    self.client_by_id.insert(id, index);
                }
                index
            }
        };
        if let Some(obj) = obj {
            if id.is_some() {
                self.client_by_obj.remove(&obj);
            } else {
                self.client_by_obj.insert(obj, index);
            }
        }
        let Some(draft) = self.clients.get_mut(index) else {
            return;
        };
        draft.frames.push(facts.frame);
        if draft.url.is_none() {
            draft.url.clone_from(&client.url);
        }
        if client.url.is_some() && client.request_id.is_some() {
            draft.delivered.get_or_insert(facts.time);
        }
        if client.status.is_some() {
            draft.status = client.status;
        }
        if client.is_response && draft.response.is_none() {
            draft.response = Some((facts.pid, facts.tid, facts.time, facts.frame));
        }
    }

    /// Pairs each browser request with the WinHTTP request its worker thread made for it:
    /// the latest one that thread started between delivery and response.
    fn match_clients(&mut self) {
        for client in std::mem::take(&mut self.clients) {
            let Some((pid, tid, answered, response_frame)) = client.response else {
                continue;
            };
            let delivered = client.delivered.unwrap_or(i64::MIN);
            let chosen = self
                .drafts
                .iter()
                .enumerate()
                .filter(|(_, d)| d.pid == pid && d.tid == tid && d.client.is_none())
                .filter(|(_, d)| d.start >= delivered && d.start <= answered)
                .max_by_key(|(_, d)| (d.start, d.start_frame))
                .map(|(i, _)| i);
            if let Some(draft) = chosen.and_then(|i| self.drafts.get_mut(i)) {
                let mut frames: Vec<usize> = client.frames.iter().map(|f| f + 1).collect();
                frames.sort_unstable();
                draft.frames.extend(&client.frames);
                draft.client = Some(ClientRequest {
                    request_id: client.request_id,
                    url: client.url,
                    status: client.status,
                    frames,
                    response_frame: Some(response_frame.saturating_add(1)),
                });
            }
        }
    }

    fn finish(mut self, session: &Timeline) -> Vec<Request> {
        let mut held: Vec<((u32, u32), i64)> = self
            .bursts
            .iter()
            .filter_map(|(key, lines)| Some((*key, lines.first()?.time)))
            .collect();
        held.sort_by_key(|(key, time)| (*time, *key));
        for (key, _) in held {
            self.flush_burst(session, key, None);
        }
        self.match_clients();
        let mut drafts: Vec<Draft> = self
            .drafts
            .into_iter()
            // Lines grouped only by thread are kept when they show a failure.
            .filter(|d| d.handle.is_some() || !d.errors.is_empty())
            .collect();
        drafts.sort_by_key(|d| (d.start, d.start_frame));
        drafts
            .into_iter()
            .enumerate()
            .map(|(i, d)| into_request(i.saturating_add(1), d))
            .collect()
    }
}
