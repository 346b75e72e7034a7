//! The kind of a failed request, reasoned as the ARR 502.3 article does: the Win32/Winsock
//! cause under the WinHTTP code decides (1460 -> 12002 is WinHTTP's own timer: a slow back
//! end; 10060 -> 12002/12029 is TCP giving up: nothing answered), then the step the request
//! had reached, then the WinHTTP code alone.

use crate::analysis::correlate::{ErrorEvidence, FailureKind, Outcome, Phase, Request, StepMark};

use super::FindingKind;

/// Win32 / NTSTATUS codes folded to one meaning.
fn cause(code: u32) -> u32 {
    match code {
        // HRESULT_FROM_WIN32
        c if c & 0xFFFF_0000 == 0x8007_0000 => c & 0xFFFF,
        0xC000_00B5 => 10060,        // STATUS_IO_TIMEOUT (TCP connect timeout)
        0xC000_0236 | 1225 => 10061, // STATUS_CONNECTION_REFUSED, ERROR_CONNECTION_REFUSED
        0xC000_020D | 0xC000_013C => 10054, // STATUS_CONNECTION_RESET, remote disconnect
        c => c,
    }
}

const TLS_CODES: &[u32] = &[
    12175, 12044, 12045, 12057, 12157, 12169, 12179, 12037, 12038, 12185, 12186, 12188,
];
const AUTOPROXY_CODES: &[u32] = &[12180, 12167, 12166, 12178];
const RESET_CODES: &[u32] = &[10054, 10053, 64, 12030, 12031, 1236];
const NOT_ANSWERING_CODES: &[u32] = &[10060, 10065, 10051, 10050, 1231, 1232];

/// Whether a request failed, and how; `None` when it did not (a request that got its
/// response is fine whatever it retried on the way). The index is the decisive error.
pub fn classify_request(request: &Request) -> Option<(FindingKind, usize)> {
    if matches!(request.outcome, Outcome::Ok(_)) || request.errors.is_empty() {
        return None;
    }
    let errors = &request.errors;
    // Lines grouped only by thread that say nothing about reaching a server (auto-proxy
    // detection failing, say) are background noise, not a failed request.
    if request.handle.is_none()
        && request.tag.is_none()
        && errors.iter().all(|e| e.kind == FailureKind::Other)
    {
        return None;
    }
    let first = |pred: &dyn Fn(&ErrorEvidence) -> bool| errors.iter().position(pred);
    let has_code = |set: &[u32]| first(&|e| set.contains(&cause(e.code)));
    // The earliest of two witnesses (a Schannel or WebIO event comes before WinHTTP's code).
    let earliest = |a: Option<usize>, b: Option<usize>| match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(at) = earliest(has_code(TLS_CODES), first(&|e| e.kind == FailureKind::Tls)) {
        return Some((FindingKind::TlsFailure, at));
    }
    if let Some(at) = has_code(AUTOPROXY_CODES) {
        return Some((FindingKind::ProxyAutodetect, at));
    }
    if let Some(at) = earliest(has_code(&[12007]), first(&|e| e.kind == FailureKind::Dns)) {
        return Some((FindingKind::NameNotResolved, at));
    }
    if let Some(at) = has_code(&[10061]) {
        return Some((FindingKind::ConnectionRefused, at));
    }
    if let Some(at) = has_code(&[12152]) {
        return Some((FindingKind::InvalidResponse, at));
    }
    // The first time-out cause tells which timer fired: 1460 is WinHTTP's own, 10060 TCP's.
    let timeout_cause = first(&|e| matches!(cause(e.code), 1460 | 10060));
    match timeout_cause.map(|at| (at, errors.get(at).map(|e| cause(e.code)))) {
        Some((at, Some(1460))) => return Some((timeout_kind(request, at), at)),
        Some((at, Some(_))) => return Some((FindingKind::BackendNotAnswering, at)),
        _ => {}
    }
    if let Some(at) = has_code(RESET_CODES) {
        let kind = if reached_body(request) {
            FindingKind::ResetMidBody
        } else {
            FindingKind::ResetBeforeResponse
        };
        return Some((kind, at));
    }
    if let Some(at) = has_code(NOT_ANSWERING_CODES)
        .or_else(|| has_code(&[12029]))
        .or_else(|| first(&|e| e.kind == FailureKind::Unreachable))
    {
        return Some((FindingKind::BackendNotAnswering, at));
    }
    if let Some(at) = has_code(&[12002]).or_else(|| first(&|e| e.kind == FailureKind::Timeout)) {
        return Some((timeout_kind(request, at), at));
    }
    Some((FindingKind::OtherFailure, errors.len().saturating_sub(1)))
}

/// The body had started: a status, bytes of body, or a read call.
fn reached_body(request: &Request) -> bool {
    request.status.is_some()
        || request.bytes_received.is_some_and(|b| b > 0)
        || request.steps.receive_body.is_some()
        || matches!(request.phase_reached, Phase::ReceiveBody)
}

/// Which WinHTTP timer: the step the first time-out error happened in, else the failing call.
fn timeout_kind(request: &Request, at: usize) -> FindingKind {
    match request.errors.get(at).map(|e| e.phase) {
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

/// Where the wait of a failure began: the connect attempt for a TCP time-out or refusal,
/// WinHttpReceiveResponse for a receive time-out, and so on; the request's first event when
/// the trace shows no better start.
pub fn wait_start(request: &Request, kind: FindingKind) -> Option<StepMark> {
    let s = &request.steps;
    let first_known = |marks: &[Option<StepMark>]| marks.iter().flatten().next().copied();
    let start = match kind {
        FindingKind::ReceiveTimeout => first_known(&[s.receive_headers, s.receive_body, s.send]),
        FindingKind::SendTimeout => first_known(&[s.send]),
        FindingKind::ConnectTimeout
        | FindingKind::BackendNotAnswering
        | FindingKind::ConnectionRefused => first_known(&[s.connect, s.send, s.receive_headers]),
        FindingKind::ResolveTimeout | FindingKind::NameNotResolved => {
            first_known(&[s.resolve, s.send])
        }
        _ => None,
    };
    start.or_else(|| {
        // A request opened before the trace began has no true start.
        (!request.started_before_trace).then_some(StepMark {
            frame: request.start_frame,
            time: request.start,
        })
    })
}
