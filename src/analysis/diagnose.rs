//! `etlview diagnose`: why did ARR answer 502.3? One finding per failing WinHTTP request
//! (from [`requests`]), with its kind (timeout by phase, unreachable server, broken
//! connection, TLS, DNS), the observed duration against the timeout, a plain-words
//! explanation and the frames that prove it.

use serde::Serialize;

use crate::analysis::correlate::{self, FailureKind, Outcome, Phase, Request, requests};
use crate::timeline::Timeline;
use etl::clock::format_filetime;

mod explain;
mod render;

pub use render::render_text;

/// ARR's default proxy time-out (Server Farm > Proxy > Time-out), used for every WinHTTP
/// timeout it sets.
pub const ARR_DEFAULT_TIMEOUT_SECS: f64 = 30.0;
/// Evidence lines kept per finding (context lines included).
const MAX_EVIDENCE: usize = 16;

/// What went wrong with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// No response headers (or body) within the receive timeout.
    ReceiveTimeout,
    /// Sending the request took longer than the send timeout.
    SendTimeout,
    /// WinHTTP's connect timeout expired before TCP connected.
    ConnectTimeout,
    /// Name resolution took longer than the resolve timeout.
    ResolveTimeout,
    /// No TCP connection: no answer to SYNs (WSAETIMEDOUT), refused (WSAECONNREFUSED),
    /// host/network unreachable, ERROR_WINHTTP_CANNOT_CONNECT (12029).
    ServerUnreachable,
    /// The connection broke: 12030, invalid server response 12152, ERROR_NETNAME_DELETED
    /// (64), TCP reset.
    ConnectionAborted,
    /// Schannel / certificate failures (12175, 12157, SEC_E_*, CERT_E_*).
    TlsFailure,
    /// ERROR_WINHTTP_NAME_NOT_RESOLVED (12007), DNS client errors.
    DnsFailure,
    /// A failed request whose code is none of the above.
    OtherFailure,
}

impl FindingKind {
    /// Short human name (`Receive timeout`).
    pub fn label(self) -> &'static str {
        match self {
            FindingKind::ReceiveTimeout => "Receive timeout",
            FindingKind::SendTimeout => "Send timeout",
            FindingKind::ConnectTimeout => "Connect timeout",
            FindingKind::ResolveTimeout => "Name resolution timeout",
            FindingKind::ServerUnreachable => "Server unreachable",
            FindingKind::ConnectionAborted => "Connection aborted",
            FindingKind::TlsFailure => "TLS failure",
            FindingKind::DnsFailure => "DNS failure",
            FindingKind::OtherFailure => "Request failed",
        }
    }

    fn is_timeout(self) -> bool {
        matches!(
            self,
            FindingKind::ReceiveTimeout
                | FindingKind::SendTimeout
                | FindingKind::ConnectTimeout
                | FindingKind::ResolveTimeout
        )
    }
}

/// One line of proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// 1-based, as etlview shows it.
    pub frame: usize,
    /// ISO-8601 UTC.
    pub time: String,
    /// The trace text or event summary.
    pub line: String,
}

/// One diagnosed failure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub title: String,
    pub explanation: String,
    /// UTProcessName of the process that made the request.
    pub process: String,
    pub target: Option<String>,
    /// For timeouts and connect failures: how long the failing step waited.
    pub observed_secs: Option<f64>,
    /// The timeout the request configured for that step (WinHttpSetTimeouts), if seen.
    pub configured_timeout_secs: Option<f64>,
    /// The decisive error code and its name.
    pub code: Option<u32>,
    pub symbol: Option<String>,
    /// `Request::id` of the failing request.
    pub request_id: usize,
    /// Status ARR sent the browser for this request, when HTTP.sys events show it.
    pub client_status: Option<u16>,
    pub evidence: Vec<Evidence>,
}

/// Everything `diagnose` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// WinHTTP requests looked at.
    pub requests_examined: usize,
}

/// Diagnoses every WinHTTP request of the trace.
pub fn diagnose(session: &Timeline) -> Report {
    diagnose_requests(session, &requests(session))
}

/// [`diagnose`] over requests already computed (the TUI keeps its list).
pub fn diagnose_requests(session: &Timeline, requests: &[Request]) -> Report {
    Report {
        findings: requests
            .iter()
            .filter_map(|r| finding_for(session, r))
            .collect(),
        requests_examined: requests.len(),
    }
}

/// The kind of a request's failure and the error that decides it; `None` when it did not
/// fail (a request that got its response is fine whatever it retried on the way).
pub fn classify_request(request: &Request) -> Option<(FindingKind, usize)> {
    if matches!(request.outcome, Outcome::Ok(_)) || request.errors.is_empty() {
        return None;
    }
    let errors = &request.errors;
    // Lines grouped only by thread that say nothing about reaching a server (auto-proxy
    // detection failing, say) are background noise, not a failed request.
    if request.handle.is_none() && errors.iter().all(|e| e.kind == FailureKind::Other) {
        return None;
    }
    let first_of = |kind: FailureKind| errors.iter().position(|e| e.kind == kind);
    if let Some(at) = first_of(FailureKind::Tls) {
        return Some((FindingKind::TlsFailure, at));
    }
    let final_kind = match &request.outcome {
        Outcome::Failed { code, .. } => Some(correlate::failure::kind_of_code(*code)),
        _ => None,
    }
    .filter(|k| *k != FailureKind::Other)
    .or_else(|| {
        errors
            .iter()
            .rev()
            .map(|e| e.kind)
            .find(|k| *k != FailureKind::Other)
    });
    let Some(kind) = final_kind else {
        return Some((FindingKind::OtherFailure, errors.len().saturating_sub(1)));
    };
    let at = first_of(kind).unwrap_or(0);
    let finding = match kind {
        FailureKind::Dns => FindingKind::DnsFailure,
        FailureKind::Unreachable => FindingKind::ServerUnreachable,
        FailureKind::ConnectionAborted => FindingKind::ConnectionAborted,
        FailureKind::Timeout => timeout_kind(request, at),
        FailureKind::Tls => FindingKind::TlsFailure,
        FailureKind::HttpStatus | FailureKind::Other => FindingKind::OtherFailure,
    };
    // For an unreachable server the proof starts where the connect attempt failed.
    let at = match finding {
        FindingKind::ServerUnreachable => errors
            .iter()
            .position(|e| e.phase == Phase::Connect)
            .unwrap_or(at),
        _ => at,
    };
    Some((finding, at))
}

/// Which timeout: from the phase of the first timeout error, else the failing call.
fn timeout_kind(request: &Request, at: usize) -> FindingKind {
    let phase = request.errors.get(at).map(|e| e.phase);
    match phase {
        Some(Phase::Resolve) => FindingKind::ResolveTimeout,
        Some(Phase::Connect) => FindingKind::ConnectTimeout,
        Some(Phase::Send) => FindingKind::SendTimeout,
        Some(Phase::ReceiveHeaders | Phase::ReceiveBody) => FindingKind::ReceiveTimeout,
        _ => {
            let failed_call = request
                .calls
                .iter()
                .find(|c| c.result.is_some_and(|r| r != 0))
                .map(|c| c.name.as_str());
            match failed_call {
                Some("WinHttpSendRequest" | "WinHttpWriteData") => FindingKind::SendTimeout,
                _ => FindingKind::ReceiveTimeout,
            }
        }
    }
}

fn configured_timeout(request: &Request, kind: FindingKind) -> Option<f64> {
    let t = request.timeouts?;
    let ms = match kind {
        FindingKind::ReceiveTimeout => t.receive_ms,
        FindingKind::SendTimeout => t.send_ms,
        FindingKind::ConnectTimeout | FindingKind::ServerUnreachable => t.connect_ms,
        FindingKind::ResolveTimeout => t.resolve_ms,
        _ => return None,
    };
    (ms != 0).then(|| f64::from(ms) / 1000.0)
}

/// The decisive code of a finding: what the failing call returned, else the deciding error.
fn decisive_code(request: &Request, at: usize) -> (Option<u32>, Option<String>) {
    match &request.outcome {
        Outcome::Failed { code, symbol } => (Some(*code), symbol.clone()),
        _ => request
            .errors
            .get(at)
            .map_or((None, None), |e| (Some(e.code), e.symbol.clone())),
    }
}

fn finding_for(session: &Timeline, request: &Request) -> Option<Finding> {
    let (kind, at) = classify_request(request)?;
    let decisive = request.errors.get(at)?;
    // Below half a second the trace shows no real wait (the lines were logged together).
    let observed_secs = (kind.is_timeout() || kind == FindingKind::ServerUnreachable)
        .then_some(decisive.phase_elapsed_secs)
        .filter(|s| *s >= 0.5)
        .map(|s| (s * 1000.0).round() / 1000.0);
    let configured_timeout_secs = configured_timeout(request, kind);
    let (code, symbol) = decisive_code(request, at);
    let client_status = request.client.as_ref().and_then(|c| c.status);
    let facts = explain::Facts {
        kind,
        request,
        decisive,
        observed_secs,
        configured_secs: configured_timeout_secs,
        code,
        symbol: symbol.as_deref(),
    };
    Some(Finding {
        kind,
        title: explain::title(&facts),
        explanation: explain::explanation(&facts),
        process: request.process.clone(),
        target: request.target.clone(),
        observed_secs,
        configured_timeout_secs,
        code,
        symbol,
        request_id: request.id,
        client_status,
        evidence: evidence_for(session, request, kind, at),
    })
}

/// The frames to show: the timeout setting and the call that waited (for timeouts), the
/// error chain from the first relevant error, and the 5xx sent to the browser.
fn evidence_for(
    session: &Timeline,
    request: &Request,
    kind: FindingKind,
    at: usize,
) -> Vec<Evidence> {
    let mut frames: Vec<(usize, Option<String>)> = Vec::new();
    let first_error_frame = request.errors.get(at).map_or(0, |e| e.frame);
    if kind.is_timeout()
        && let Some(t) = &request.timeouts
    {
        frames.push((t.frame, None));
    }
    if let Some(call) = request
        .calls
        .iter()
        .rev()
        .find(|c| c.start_frame <= first_error_frame)
    {
        frames.push((call.start_frame, None));
    }
    let chain = request.errors.get(at..).unwrap_or_default();
    let room = MAX_EVIDENCE.saturating_sub(frames.len()).saturating_sub(1);
    frames.extend(
        chain
            .iter()
            .take(room)
            .map(|e| (e.frame, Some(e.text.clone()))),
    );
    if let Some(frame) = request
        .client
        .as_ref()
        .filter(|c| c.status.is_some_and(|s| s >= 500))
        .and_then(|c| c.response_frame)
    {
        frames.push((frame, None));
    }
    frames.sort_by_key(|(frame, _)| *frame);
    frames.dedup_by_key(|(frame, _)| *frame);
    frames
        .into_iter()
        .filter_map(|(frame, text)| evidence_line(session, frame, text))
        .collect()
}

fn evidence_line(session: &Timeline, frame: usize, text: Option<String>) -> Option<Evidence> {
    let e = session.event(frame.checked_sub(1)?)?;
    let line = match text {
        Some(text) => text,
        None => {
            let decoded = session.decode(&e);
            correlate::observe::summary(&e, &decoded).unwrap_or_else(|| decoded.description())
        }
    };
    Some(Evidence {
        frame,
        time: format_filetime(e.filetime),
        line,
    })
}

#[cfg(test)]
mod tests;
