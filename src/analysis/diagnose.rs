//! `etlview diagnose`: why did ARR answer 502.3? One finding per failing WinHTTP request
//! (from [`requests`]), with its kind (timeout by phase, unreachable server, broken
//! connection, TLS, DNS), the observed duration against the timeout, a plain-words
//! explanation and the frames that prove it.

use serde::Serialize;

use crate::analysis::correlate::{self, ConnectionUse, Phase, Request, TimeoutOrigin, requests};
use crate::timeline::Timeline;
use crate::timeline::{WEBIO_PROVIDER, WINHTTP_PROVIDER};
use etl::clock::format_filetime;

mod classify;
mod explain;
mod render;

pub use classify::classify_request;

pub use render::render_text;

/// ARR's default proxy time-out (Server Farm > Proxy > Time-out), used for every WinHTTP
/// timeout it sets.
pub const ARR_DEFAULT_TIMEOUT_SECS: f64 = 30.0;
/// Evidence lines kept per finding (context lines included).
const MAX_EVIDENCE: usize = 16;

/// What went wrong with one request, in the ARR article's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// WinHTTP's receive timer expired (1460 -> 12002): the back end accepted the request
    /// and did not answer in time: a slow back end.
    ReceiveTimeout,
    /// Sending the request took longer than the send time-out.
    SendTimeout,
    /// WinHTTP's connect time-out expired before TCP connected.
    ConnectTimeout,
    /// Name resolution took longer than the resolve time-out.
    ResolveTimeout,
    /// Nothing answered at TCP level (10060 -> 12002 or 12029, TCP connect time-out,
    /// unreachable host): the back end is offline or unreachable.
    BackendNotAnswering,
    /// The back end refused the connection (10061 -> 12029): nothing listens on the port.
    ConnectionRefused,
    /// The connection was reset before any response (10054/64 -> 12030).
    ResetBeforeResponse,
    /// The connection was reset while the body was being received.
    ResetMidBody,
    /// ERROR_WINHTTP_INVALID_SERVER_RESPONSE (12152).
    InvalidResponse,
    /// Schannel / certificate failures (12175, 12044, 12045, 12057, SEC_E_*, CERT_E_*).
    TlsFailure,
    /// ERROR_WINHTTP_NAME_NOT_RESOLVED (12007), DNS client errors.
    NameNotResolved,
    /// Proxy auto-detection failed (12180, 12167).
    ProxyAutodetect,
    /// 502.4: every request to every back end failed to connect (no healthy member).
    NoHealthyMember,
    /// A failed request whose code is none of the above.
    OtherFailure,
}

impl FindingKind {
    /// Short human name (`Receive time-out`).
    pub fn label(self) -> &'static str {
        match self {
            FindingKind::ReceiveTimeout => "Receive time-out",
            FindingKind::SendTimeout => "Send time-out",
            FindingKind::ConnectTimeout => "Connect time-out",
            FindingKind::ResolveTimeout => "Name resolution time-out",
            FindingKind::BackendNotAnswering => "Back end not answering",
            FindingKind::ConnectionRefused => "Connection refused",
            FindingKind::ResetBeforeResponse => "Connection reset before the response",
            FindingKind::ResetMidBody => "Connection reset in the middle of the body",
            FindingKind::InvalidResponse => "Invalid response",
            FindingKind::TlsFailure => "TLS failure",
            FindingKind::NameNotResolved => "Name not resolved",
            FindingKind::ProxyAutodetect => "Proxy auto-detection failed",
            FindingKind::NoHealthyMember => "No healthy member (502.4)",
            FindingKind::OtherFailure => "Request failed",
        }
    }

    /// A WinHTTP timer expired: the wait is compared with its configured value.
    fn is_timeout(self) -> bool {
        matches!(
            self,
            FindingKind::ReceiveTimeout
                | FindingKind::SendTimeout
                | FindingKind::ConnectTimeout
                | FindingKind::ResolveTimeout
        )
    }

    /// Failed before a connection existed (what 502.4 is made of).
    fn is_connect_failure(self) -> bool {
        matches!(
            self,
            FindingKind::BackendNotAnswering
                | FindingKind::ConnectionRefused
                | FindingKind::ConnectTimeout
                | FindingKind::NameNotResolved
        )
    }

    /// How long the failing step waited is worth showing.
    fn has_wait(self) -> bool {
        self.is_timeout()
            || matches!(
                self,
                FindingKind::BackendNotAnswering | FindingKind::ConnectionRefused
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
    pub threads: Vec<u32>,
    /// `host:port/path`, as much as is known.
    pub target: Option<String>,
    pub verb: Option<String>,
    /// Path and query of the request.
    pub url: Option<String>,
    pub backend_host: Option<String>,
    /// `ip:port`.
    pub backend_address: Option<String>,
    pub connection: Option<ConnectionUse>,
    /// How long the failing step waited (from the connect attempt for a TCP time-out, from
    /// WinHttpReceiveResponse for a receive time-out).
    pub observed_secs: Option<f64>,
    /// 1-based frame the wait is measured from.
    pub wait_started_frame: Option<usize>,
    /// The time-out of that step.
    pub configured_timeout_secs: Option<f64>,
    /// Where it comes from: `request`, `connect`, `session`, `option`, `arr_default`.
    pub configured_timeout_origin: Option<String>,
    pub phase_reached: Phase,
    pub status: Option<u16>,
    pub bytes_received: Option<u64>,
    pub content_length: Option<u64>,
    pub arr_log_id: Option<String>,
    pub forwarded_for: Option<String>,
    /// The decisive error code and its name.
    pub code: Option<u32>,
    pub symbol: Option<String>,
    /// The error chain in time order: `ERROR_TIMEOUT (1460) -> ERROR_WINHTTP_TIMEOUT (12002)`.
    pub error_chain: Vec<String>,
    /// `Request::id` of the failing request.
    pub request_id: usize,
    /// Status ARR sent the browser for this request, when HTTP.sys events show it.
    pub client_status: Option<u16>,
    pub evidence: Vec<Evidence>,
    /// Every frame of the request (1-based).
    pub frames: Vec<usize>,
}

/// Everything `diagnose` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// WinHTTP requests looked at, each once.
    pub requests_examined: usize,
    /// The trace holds WinHTTP or WebIO events at all.
    pub winhttp_events: bool,
}

/// Diagnoses every WinHTTP request of the trace.
pub fn diagnose(session: &Timeline) -> Report {
    diagnose_requests(session, &requests(session))
}

/// Whether any event comes from WinHTTP or WebIO (so "no failure" means something).
fn has_winhttp_events(session: &Timeline) -> bool {
    (0..session.len()).any(|frame| {
        session.event(frame).is_some_and(|e| {
            e.header
                .provider_guid()
                .is_some_and(|g| g == WINHTTP_PROVIDER || g == WEBIO_PROVIDER)
        })
    })
}

/// [`diagnose`] over requests already computed (the TUI keeps its list).
pub fn diagnose_requests(session: &Timeline, requests: &[Request]) -> Report {
    let mut findings: Vec<Finding> = requests
        .iter()
        .filter_map(|r| finding_for(session, r))
        .collect();
    if let Some(summary) = no_healthy_member(requests, &findings) {
        findings.push(summary);
    }
    Report {
        findings,
        requests_examined: requests.len(),
        winhttp_events: !requests.is_empty() || has_winhttp_events(session),
    }
}

/// 502.4: several requests, every one failed to connect, whatever back end it went to.
fn no_healthy_member(requests: &[Request], findings: &[Finding]) -> Option<Finding> {
    if requests.len() < 2
        || findings.len() != requests.len()
        || !findings.iter().all(|f| f.kind.is_connect_failure())
    {
        return None;
    }
    let mut backends: Vec<String> = findings
        .iter()
        .map(|f| {
            correlate::Backend {
                host: f.backend_host.clone(),
                address: f.backend_address.clone(),
                port: None,
            }
            .display()
            .unwrap_or_else(|| "an unnamed back end".to_string())
        })
        .collect();
    backends.sort();
    backends.dedup();
    let first = findings.first()?;
    let mut evidence: Vec<Evidence> = findings
        .iter()
        .filter_map(|f| f.evidence.last().cloned())
        .collect();
    evidence.sort_by_key(|e| e.frame);
    evidence.dedup_by_key(|e| e.frame);
    evidence.truncate(MAX_EVIDENCE);
    let title = format!(
        "{}: all {} requests failed to connect ({})",
        FindingKind::NoHealthyMember.label(),
        requests.len(),
        backends.join(", ")
    );
    let explanation = format!(
        "Every request in the trace failed before a connection to its back end existed \
         ({}). When this holds for every member of the server farm, ARR has no member to \
         route to and answers 502.4 (No appropriate server could be found to route the \
         request, error 0x00000000). Next: check in IIS Manager that the farm's servers are \
         online and not taken out of load balancing, that the ARR server reaches them \
         (Test-NetConnection to each address and port), and the health-test messages.",
        backends.join(", ")
    );
    Some(Finding {
        kind: FindingKind::NoHealthyMember,
        title,
        explanation,
        evidence,
        request_id: first.request_id,
        observed_secs: None,
        wait_started_frame: None,
        configured_timeout_secs: None,
        configured_timeout_origin: None,
        code: None,
        symbol: None,
        error_chain: Vec::new(),
        frames: Vec::new(),
        ..first.clone()
    })
}

fn origin_name(origin: Option<TimeoutOrigin>) -> String {
    match origin {
        Some(TimeoutOrigin::Request) => "request",
        Some(TimeoutOrigin::Connect) => "connect",
        Some(TimeoutOrigin::Session) => "session",
        Some(TimeoutOrigin::Option) => "option",
        None => "arr_default",
    }
    .to_string()
}

/// The configured time-out of the step that failed, and where it comes from (ARR's 30 s
/// default when the trace does not show one).
fn configured_timeout(request: &Request, kind: FindingKind) -> Option<(f64, String)> {
    let origin = origin_name(request.timeouts.map(|t| t.origin));
    let Some(t) = request.timeouts else {
        return (kind.is_timeout() || kind == FindingKind::BackendNotAnswering)
            .then_some((ARR_DEFAULT_TIMEOUT_SECS, origin));
    };
    let ms = match kind {
        FindingKind::ReceiveTimeout => t.receive_ms,
        FindingKind::SendTimeout => t.send_ms,
        FindingKind::ConnectTimeout | FindingKind::BackendNotAnswering => t.connect_ms,
        FindingKind::ResolveTimeout => t.resolve_ms,
        _ => return None,
    };
    (ms != 0).then(|| (f64::from(ms) / 1000.0, origin))
}

/// The decisive code of a finding: what the failing call returned, else the deciding error.
fn decisive_code(request: &Request, at: usize) -> (Option<u32>, Option<String>) {
    match &request.outcome {
        correlate::Outcome::Failed { code, symbol } => (Some(*code), symbol.clone()),
        _ => request
            .errors
            .get(at)
            .map_or((None, None), |e| (Some(e.code), e.symbol.clone())),
    }
}

fn finding_for(session: &Timeline, request: &Request) -> Option<Finding> {
    let (kind, at) = classify_request(request)?;
    let decisive = request.errors.get(at)?;
    let start = kind
        .has_wait()
        .then(|| classify::wait_start(request, kind))
        .flatten()
        .filter(|s| s.time <= decisive.time);
    let observed_secs = start.map(|s| {
        let secs = decisive.time.saturating_sub(s.time) as f64 / 10_000_000.0;
        (secs * 1000.0).round() / 1000.0
    });
    let configured = configured_timeout(request, kind);
    let (code, symbol) = decisive_code(request, at);
    let client_status = request.client.as_ref().and_then(|c| c.status);
    let facts = explain::Facts {
        kind,
        request,
        observed_secs,
        configured_secs: configured.as_ref().map(|c| c.0),
        configured_origin: configured.as_ref().map(|c| c.1.as_str()),
        code,
        symbol: symbol.as_deref(),
    };
    Some(Finding {
        kind,
        title: explain::title(&facts),
        explanation: explain::explanation(&facts),
        process: request.process.clone(),
        threads: request.threads.clone(),
        target: request.target.clone(),
        verb: request.verb.clone(),
        url: request.path.clone(),
        backend_host: request.backend.host.clone(),
        backend_address: request.backend.address.clone(),
        connection: request.connection,
        observed_secs,
        wait_started_frame: start.map(|s| s.frame),
        configured_timeout_secs: configured.as_ref().map(|c| c.0),
        configured_timeout_origin: configured.map(|c| c.1),
        phase_reached: request.phase_reached,
        status: request.status,
        bytes_received: request.bytes_received,
        content_length: request.content_length,
        arr_log_id: request.arr_log_id.clone(),
        forwarded_for: request.forwarded_for.clone(),
        code,
        symbol,
        error_chain: explain::chain_parts(request),
        request_id: request.id,
        client_status,
        evidence: evidence_for(session, request, kind, at, start.map(|s| s.frame)),
        frames: request.frames.clone(),
    })
}

/// The frames to show: the timeout setting and the call that waited (for timeouts), the
/// error chain from the first relevant error, and the 5xx sent to the browser.
fn evidence_for(
    session: &Timeline,
    request: &Request,
    kind: FindingKind,
    at: usize,
    wait_start: Option<usize>,
) -> Vec<Evidence> {
    let mut frames: Vec<(usize, Option<String>)> = Vec::new();
    let first_error_frame = request.errors.get(at).map_or(0, |e| e.frame);
    if (kind.is_timeout() || kind == FindingKind::BackendNotAnswering)
        && let Some(t) = &request.timeouts
    {
        frames.push((t.frame, None));
    }
    if let Some(frame) = wait_start {
        frames.push((frame, None));
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
#[cfg(test)]
mod variant_tests;
