//! Which request an event belongs to. Ties, in order of trust: the WinHTTP handle (and the
//! handles a call returns), the text log's request id, the completion's overlapped pointer,
//! WebIO's request and connection pointers and the TCB, the thread's last request, and last
//! the time (the one request of the process still waiting for the network).

use crate::timeline::Timeline;

use super::super::Phase;
use super::super::draft::{THREAD_GROUP_GAP, TICKS_PER_SEC};
use super::super::failure::Source;
use super::super::observe::{ApiEdge, Facts};
use super::{Grouper, REQUEST_APIS};

/// How long after its OpenRequest a request can still be the one a WebIO RequestCreate
/// (logged with WebIO's own handle, maybe on another thread) belongs to.
const CREATE_WINDOW: i64 = 5 * TICKS_PER_SEC;

impl Grouper {
    /// Which draft an event belongs to, creating one when the event starts a request.
    pub(super) fn route(&mut self, session: &Timeline, facts: &Facts) -> Option<usize> {
        let (pid, tid, time) = (facts.pid, facts.tid, facts.time);
        if let Some((function, handle)) = &facts.created {
            return self.route_created(session, facts, function, *handle);
        }
        if facts.webio_create {
            return Some(self.route_webio_create(session, facts));
        }
        if let Some(request) = facts.webio_request
            && let Some(&index) = self.by_webio_request.get(&(pid, request))
        {
            return Some(index);
        }
        let api = match &facts.api {
            Some(ApiEdge::Start(api)) => Some((api.as_str(), true)),
            Some(ApiEdge::Stop { api, .. }) => Some((api.as_str(), false)),
            None => None,
        };
        if let Some(handle) = facts.handle {
            if let Some(&index) = self.open_by_handle.get(&(pid, handle)) {
                return Some(index);
            }
            // Time-outs set on a session or connect handle: inherited by its requests.
            if facts.timeouts.is_some() || facts.option_timeout.is_some() {
                self.remember_handle_timeouts(facts, handle);
                return None;
            }
            match api {
                Some((name, _)) if REQUEST_APIS.contains(&name) => {
                    return Some(self.adopt_or_create(session, facts, handle));
                }
                Some(("WinHttpOpenRequest", true)) => {
                    self.remember_open(facts);
                    return None;
                }
                Some(("WinHttpConnect", true)) => {
                    let endpoint = facts.endpoint.clone().unwrap_or_default();
                    self.pending_connect
                        .insert((pid, tid), (endpoint, Some(handle)));
                    return None;
                }
                Some((_, true)) => return None,
                _ => {}
            }
        }
        if let Some((name, false)) = api {
            // A stop names the handle the call was given (the connect handle for
            // WinHttpOpenRequest): it belongs to the thread's request that made the call.
            let index = self.current(pid, tid, time)?;
            let draft = self.drafts.get(index)?;
            return draft.has_call_to_stop(name, time).then_some(index);
        }
        if let Some(tag) = &facts.tag
            && let Some(&index) = self.by_tag.get(&(pid, tag.clone()))
            && self.drafts.get(index).is_some_and(|d| d.is_open_at(time))
        {
            return Some(index);
        }
        if let Some(overlapped) = facts.overlapped
            && let Some(&index) = self.by_overlapped.get(&(pid, overlapped))
            && self.drafts.get(index).is_some_and(|d| d.is_waiting())
        {
            return Some(index);
        }
        // A completion starts new work on a pool thread: not the thread's last request.
        if facts.completion
            && let Some(index) = self.waiting_request(facts)
        {
            return Some(index);
        }
        // The thread's own request first: a connection (and its TCB) outlives the request
        // that opened it and serves the next ones.
        if let Some(index) = self.current(pid, tid, time) {
            return Some(index);
        }
        if let Some(tcb) = facts.tcb
            && let Some(&index) = self.by_tcb.get(&tcb)
        {
            // The connection outlives the request that opened it: its latest user.
            let latest = self
                .drafts
                .get(index)
                .and_then(|d| Some((d.pid, d.last_connection?)))
                .and_then(|key| self.by_connection.get(&key).copied());
            return Some(latest.unwrap_or(index));
        }
        if let Some(connection) = facts.connection
            && let Some(&index) = self.by_connection.get(&(pid, connection))
        {
            return Some(index);
        }
        if facts.source != Source::WinHttp || !facts.is_text || facts.api.is_some() {
            return None;
        }
        // A WinHTTP line on a thread with no request of its own (a completion thread): the
        // request of the process that waits for the network, when there is one.
        if (facts.failure.is_some() || !facts.http.is_empty() || facts.status.is_some())
            && let Some(index) = self.waiting_request(facts)
        {
            return Some(index);
        }
        // Failure lines nobody else explains: group what that thread logs. Other lines of
        // unknown shape start nothing (they must not split a request).
        if facts.failure.is_some() {
            let index = self.create(session, facts, None);
            return Some(index);
        }
        None
    }

    /// `WinHttpConnect() returning handle` / `WinHttpOpenRequest() returning handle`.
    fn route_created(
        &mut self,
        session: &Timeline,
        facts: &Facts,
        function: &str,
        handle: u64,
    ) -> Option<usize> {
        let (pid, tid, time) = (facts.pid, facts.tid, facts.time);
        if function == "WinHttpConnect" {
            let (endpoint, session_handle) =
                self.pending_connect.remove(&(pid, tid)).unwrap_or_default();
            self.connect_targets.insert((pid, handle), endpoint);
            if let Some(session_handle) = session_handle {
                self.session_of_connect
                    .insert((pid, handle), session_handle);
            }
            return None;
        }
        if function != "WinHttpOpenRequest" {
            return None;
        }
        if let Some(&index) = self.open_by_handle.get(&(pid, handle)) {
            if let Some(d) = self.drafts.get_mut(index) {
                d.winhttp_handle = true;
            }
            return Some(index);
        }
        // A WebIO RequestCreate just made this request under WebIO's own handle.
        let adopted = self.current(pid, tid, time).filter(|&i| {
            self.drafts.get(i).is_some_and(|d| {
                !d.winhttp_handle
                    && d.webio_request.is_some()
                    && time.saturating_sub(d.start) <= CREATE_WINDOW
            })
        });
        let index = match adopted {
            Some(index) => {
                self.pending_open.remove(&(pid, tid));
                index
            }
            None => self.create(session, facts, Some(handle)),
        };
        if let Some(d) = self.drafts.get_mut(index) {
            d.handle = Some(handle);
            d.winhttp_handle = true;
        }
        self.open_by_handle.insert((pid, handle), index);
        Some(index)
    }

    /// WebIO RequestCreate: the WinHTTP request it serves (same handle, or the request just
    /// opened on this thread or, failing that, in this process), else a new request.
    fn route_webio_create(&mut self, session: &Timeline, facts: &Facts) -> usize {
        let (pid, tid, time) = (facts.pid, facts.tid, facts.time);
        if let Some(&index) = facts
            .handle
            .and_then(|h| self.open_by_handle.get(&(pid, h)))
        {
            return index;
        }
        let fresh = |d: &super::Draft| {
            d.pid == pid
                && d.webio_request.is_none()
                && d.closed_at.is_none()
                && time.saturating_sub(d.start) <= CREATE_WINDOW
        };
        let on_thread = self
            .current(pid, tid, time)
            .filter(|&i| self.drafts.get(i).is_some_and(fresh));
        let in_process = || {
            self.drafts
                .iter()
                .enumerate()
                .rev()
                .find(|(_, d)| fresh(d) && d.winhttp_handle)
                .map(|(i, _)| i)
        };
        // The OpenRequest echo on this thread still waits for its handle: this is it.
        let opening = self.pending_open.contains_key(&(pid, tid));
        let found = on_thread.or_else(|| if opening { None } else { in_process() });
        let index = match found {
            Some(index) => index,
            None => self.create(session, facts, facts.handle),
        };
        if let Some(handle) = facts.handle {
            self.open_by_handle.entry((pid, handle)).or_insert(index);
        }
        index
    }

    /// A call on a request handle the trace never saw opened: the thread's handle-less
    /// lines so far were this request's; else a request that began before the trace.
    fn adopt_or_create(&mut self, session: &Timeline, facts: &Facts, handle: u64) -> usize {
        let (pid, tid, time) = (facts.pid, facts.tid, facts.time);
        let adopted = self
            .current(pid, tid, time)
            .filter(|&i| self.drafts.get(i).is_some_and(|d| d.handle.is_none()));
        match adopted {
            Some(index) => {
                if let Some(draft) = self.drafts.get_mut(index) {
                    draft.handle = Some(handle);
                }
                self.open_by_handle.insert((pid, handle), index);
                index
            }
            None => self.create(session, facts, Some(handle)),
        }
    }

    fn remember_handle_timeouts(&mut self, facts: &Facts, handle: u64) {
        let frame = facts.frame.saturating_add(1);
        let key = (facts.pid, handle);
        let mut t = self.handle_timeouts.get(&key).copied().unwrap_or_else(|| {
            super::Timeouts::winhttp_defaults(frame, super::TimeoutOrigin::Session)
        });
        if let Some([resolve_ms, connect_ms, send_ms, receive_ms]) = facts.timeouts {
            t.resolve_ms = resolve_ms;
            t.connect_ms = connect_ms;
            t.send_ms = send_ms;
            t.receive_ms = receive_ms;
        }
        if let Some((slot, ms)) = facts.option_timeout {
            t.set(slot, ms);
        }
        t.frame = frame;
        self.handle_timeouts.insert(key, t);
    }

    /// The request of the process waiting for the network that a line naming no request
    /// most likely belongs to: one whose step matches what the line is about (a receiver's
    /// line: a receive), the one waiting longest first.
    pub(super) fn waiting_request(&self, facts: &Facts) -> Option<usize> {
        let receiving = facts.receiving;
        self.drafts
            .iter()
            .enumerate()
            .filter(|(_, d)| d.pid == facts.pid && d.is_waiting())
            .filter(|(_, d)| facts.time.saturating_sub(d.end) <= THREAD_GROUP_GAP)
            .min_by_key(|(_, d)| {
                let matches =
                    matches!(d.phase, Phase::ReceiveHeaders | Phase::ReceiveBody) == receiving;
                (!matches, d.phase_since, d.start_frame)
            })
            .map(|(i, _)| i)
    }
}
