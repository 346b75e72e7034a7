//! Titles and plain-words explanations of findings, written like a support engineer's note:
//! what happened, what it means for ARR (502.3), what to check next.

use crate::analysis::correlate::{ErrorEvidence, Request};

use super::{ARR_DEFAULT_TIMEOUT_SECS, FindingKind};

/// What the texts are built from.
pub(super) struct Facts<'a> {
    pub kind: FindingKind,
    pub request: &'a Request,
    pub decisive: &'a ErrorEvidence,
    pub observed_secs: Option<f64>,
    pub configured_secs: Option<f64>,
    pub code: Option<u32>,
    pub symbol: Option<&'a str>,
}

fn target(f: &Facts) -> String {
    f.request
        .target
        .clone()
        .unwrap_or_else(|| "the back-end server".to_string())
}

/// The server part of the target (`host:port`).
fn server(f: &Facts) -> String {
    match &f.request.target {
        Some(t) => t.split('/').next().unwrap_or(t).to_string(),
        None => "the back-end server".to_string(),
    }
}

/// The number as people search for it: decimal for Win32-range codes, hex otherwise
/// (NTSTATUS, HRESULT).
fn number(code: u32) -> String {
    if code < 0x1_0000 {
        code.to_string()
    } else {
        format!("0x{code:08X}")
    }
}

/// `SYMBOL (n, 0x8007xxxx)`: Win32-range numbers also as the HRESULT ARR's error page and
/// logs show; other codes in hex.
pub(super) fn code_text(code: u32, symbol: Option<&str>) -> String {
    let hresult = if code < 0x1_0000 {
        format!(", 0x{:08x}", 0x8007_0000 | code)
    } else {
        String::new()
    };
    match symbol {
        Some(symbol) => format!("{symbol} ({}{hresult})", number(code)),
        None => format!("error {}{hresult}", number(code)),
    }
}

/// Distinct codes of the chain in order: `ERROR_TIMEOUT (1460) -> ERROR_WINHTTP_TIMEOUT (12002)`.
fn chain(request: &Request) -> String {
    let mut seen: Vec<u32> = Vec::new();
    let mut parts: Vec<String> = Vec::new();
    for e in &request.errors {
        if seen.contains(&e.code) {
            continue;
        }
        seen.push(e.code);
        parts.push(match &e.symbol {
            Some(symbol) => format!("{symbol} ({})", number(e.code)),
            None => format!("error {}", number(e.code)),
        });
    }
    parts.join(" -> ")
}

fn secs(value: f64) -> String {
    format!("{value:.1} s")
}

pub(super) fn title(f: &Facts) -> String {
    let waited = f
        .observed_secs
        .map(|s| format!(" after {}", secs(s)))
        .unwrap_or_default();
    match f.kind {
        FindingKind::ReceiveTimeout => {
            format!("Receive timeout{waited}: no response from {}", target(f))
        }
        FindingKind::SendTimeout => format!("Send timeout{waited} sending to {}", target(f)),
        FindingKind::ConnectTimeout => format!("Connect timeout{waited} to {}", server(f)),
        FindingKind::ResolveTimeout => {
            format!("Name resolution timeout{waited} for {}", server(f))
        }
        FindingKind::ServerUnreachable => {
            format!("Server unreachable: no connection to {}{waited}", server(f))
        }
        FindingKind::ConnectionAborted => {
            format!("Connection aborted by {} during {}", server(f), target(f))
        }
        FindingKind::TlsFailure => format!("TLS failure with {}", server(f)),
        FindingKind::DnsFailure => format!("Name not resolved: {}", server(f)),
        FindingKind::OtherFailure => match f.code {
            Some(code) => format!(
                "Request to {} failed: {}",
                target(f),
                code_text(code, f.symbol)
            ),
            None => format!("Request to {} failed", target(f)),
        },
    }
}

/// `It waited 30.0 s; the request set 30 s (ARR's default is 30 s).`
fn timing(f: &Facts, what: &str) -> String {
    let Some(observed) = f.observed_secs else {
        return String::new();
    };
    let setting = match f.configured_secs {
        Some(configured) if (configured - ARR_DEFAULT_TIMEOUT_SECS).abs() < 0.5 => format!(
            " The request set a {what} timeout of {} with WinHttpSetTimeouts, which is ARR's \
             default proxy time-out ({} s).",
            secs(configured),
            ARR_DEFAULT_TIMEOUT_SECS
        ),
        Some(configured) => format!(
            " The request set a {what} timeout of {} with WinHttpSetTimeouts (ARR's default is \
             {} s, so the server farm's proxy time-out was changed).",
            secs(configured),
            ARR_DEFAULT_TIMEOUT_SECS
        ),
        None => format!(
            " ARR's default proxy time-out is {} s; the trace does not show the value in use.",
            ARR_DEFAULT_TIMEOUT_SECS
        ),
    };
    format!(
        " WinHTTP waited {} before giving up.{setting}",
        secs(observed)
    )
}

fn answer_502(f: &Facts) -> String {
    match f
        .request
        .client
        .as_ref()
        .and_then(|c| c.status.map(|s| (s, c)))
    {
        Some((status, client)) => {
            let frame = client
                .response_frame
                .map(|n| format!(" (frame {n})"))
                .unwrap_or_default();
            let url = client
                .url
                .as_deref()
                .map(|u| format!(" for {u}"))
                .unwrap_or_default();
            if status == 502 {
                format!(
                    " ARR answered the browser{url} with 502 Bad Gateway{frame}; the IIS log shows \
                     it as 502.3 with this WinHTTP error in sc-win32-status."
                )
            } else {
                format!(" ARR answered the browser{url} with status {status}{frame}.")
            }
        }
        None => {
            " Behind ARR this is what IIS logs as 502.3 (Bad Gateway: WinHTTP error).".to_string()
        }
    }
}

pub(super) fn explanation(f: &Facts) -> String {
    let who = format!("{} sent {} {}", f.request.process, verb(f), target(f));
    let code = f
        .code
        .map(|c| code_text(c, f.symbol))
        .unwrap_or_else(|| "an error".to_string());
    let chain = chain(f.request);
    let chain = if chain.is_empty() {
        String::new()
    } else {
        format!(" Error chain: {chain}.")
    };
    let body = match f.kind {
        FindingKind::ReceiveTimeout => format!(
            "{who} and the server did not answer in time: WinHTTP failed with {code}.{}{}{chain} \
             Next: look at the back-end's own log for this URL (IIS time-taken, application \
             logs) to see why it is slow; if such slow answers are expected, raise ARR's \
             time-out (Server Farm > Proxy > Time-out) above the observed duration.",
            timing(f, "receive"),
            answer_502(f)
        ),
        FindingKind::SendTimeout => format!(
            "{who}, but sending the request did not finish in time: WinHTTP failed with \
             {code}.{}{}{chain} Next: check the network path to the back-end (packet loss, \
             a full receive window on the server) and large request bodies.",
            timing(f, "send"),
            answer_502(f)
        ),
        FindingKind::ConnectTimeout => format!(
            "{who}, but the TCP connection was not established before WinHTTP's connect \
             timeout: {code}.{}{}{chain} Next: check that the server is up and reachable on \
             that port (Test-NetConnection from the ARR server), and firewalls in between.",
            timing(f, "connect"),
            answer_502(f)
        ),
        FindingKind::ResolveTimeout => format!(
            "{who}, but resolving the server's name took too long: {code}.{}{}{chain} Next: \
             check the DNS servers the ARR server uses (nslookup from the ARR server) or \
             use an IP address or hosts entry in the server farm.",
            timing(f, "resolve"),
            answer_502(f)
        ),
        FindingKind::ServerUnreachable => {
            let how = match f.decisive.code {
                10061 | 1225 | 0xC000_0236 => {
                    "the server refused the connection (TCP reset to the SYN): nothing listens \
                     on that port, or the site is stopped"
                }
                10065 | 10051 | 1231 | 1232 | 0xC000_023C | 0xC000_023D => {
                    "the network reported the host or network as unreachable"
                }
                _ => "nobody answered the TCP connection attempts (SYN without SYN-ACK)",
            };
            let waited = match (f.observed_secs, f.configured_secs) {
                (Some(observed), Some(limit)) if observed + 0.5 < limit => format!(
                    " The connect attempt lasted {}, less than WinHTTP's connect timeout of {}: \
                     TCP itself gave up.",
                    secs(observed),
                    secs(limit)
                ),
                (Some(observed), _) => {
                    format!(" The connect attempt lasted {}.", secs(observed))
                }
                (None, _) => String::new(),
            };
            format!(
                "{who}, but could not connect: {how}. WinHTTP reported {code}.{waited}{}{chain} \
                 Next: check that the back-end server is running and its site started, that \
                 it listens on this port, and that no firewall drops the traffic; ARR's health \
                 test can take such a server out of the farm.",
                answer_502(f)
            )
        }
        FindingKind::ConnectionAborted => format!(
            "{who}; the connection was closed or reset while ARR was still waiting for the \
             response (WinHTTP: {code}).{}{chain} Next: check the back-end for crashes or \
             application-pool recycles at that time (event log, HTTPERR log), response-size \
             or request-filtering limits, and load balancers or firewalls that reset idle or \
             long connections; 12152 means the server's response was not valid HTTP.",
            answer_502(f)
        ),
        FindingKind::TlsFailure => format!(
            "{who}, but the TLS handshake or certificate check failed ({code}).{}{chain} \
             Next: check the back-end certificate (trusted chain on the ARR server, name \
             matching the farm server name, not expired or revoked) and that both sides \
             share a TLS version and cipher suite; the System event log's Schannel events \
             name the alert.",
            answer_502(f)
        ),
        FindingKind::DnsFailure => format!(
            "{who}, but the server's name could not be resolved ({code}).{}{chain} Next: \
             check the server name in the server farm, the hosts file and the DNS servers of \
             the ARR server (nslookup from the ARR server).",
            answer_502(f)
        ),
        FindingKind::OtherFailure => format!(
            "{who} and WinHTTP failed with {code}.{}{chain} Next: look the code up with \
             `etlview err` and read the lines around the evidence frames.",
            answer_502(f)
        ),
    };
    body.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn verb<'a>(f: &Facts<'a>) -> &'a str {
    f.request.verb.as_deref().unwrap_or("a request to")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_text_shows_the_hresult_of_win32_numbers() {
        assert_eq!(
            code_text(12002, Some("ERROR_WINHTTP_TIMEOUT")),
            "ERROR_WINHTTP_TIMEOUT (12002, 0x80072ee2)"
        );
        assert_eq!(code_text(0xC000_00B5, None), "error 0xC00000B5");
        assert_eq!(
            code_text(0xC000_00B5, Some("STATUS_IO_TIMEOUT")),
            "STATUS_IO_TIMEOUT (0xC00000B5)"
        );
    }
}
