//! Titles and plain-words explanations of findings, written like a support engineer's note:
//! what happened, what it means for ARR (502.3), what to check next.

use crate::analysis::correlate::Request;

use super::{ARR_DEFAULT_TIMEOUT_SECS, FindingKind};

/// What the texts are built from.
pub(super) struct Facts<'a> {
    pub kind: FindingKind,
    pub request: &'a Request,
    pub observed_secs: Option<f64>,
    pub configured_secs: Option<f64>,
    /// `request`, `connect`, `session`, `option` or `arr_default`.
    pub configured_origin: Option<&'a str>,
    pub code: Option<u32>,
    pub symbol: Option<&'a str>,
}

/// `web02.contoso.local (10.0.0.22:80)`, or what is known of it.
fn backend(f: &Facts) -> String {
    f.request
        .backend
        .display()
        .unwrap_or_else(|| "an unnamed back end".to_string())
}

/// `GET /reports/export.aspx` (as much as is known).
fn request_line(f: &Facts) -> String {
    match (&f.request.verb, &f.request.path) {
        (Some(verb), Some(path)) => format!("{verb} {path}"),
        (None, Some(path)) => path.clone(),
        (Some(verb), None) => format!("{verb} (URL not in the trace)"),
        (None, None) => "(request line not in the trace)".to_string(),
    }
}

/// `30 s`, `2.5 s`.
fn whole_secs(value: f64) -> String {
    if (value - value.round()).abs() < 0.05 {
        format!("{value:.0} s")
    } else {
        format!("{value:.1} s")
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

/// Distinct codes of the chain in time order, each `SYMBOL (n)`.
pub(super) fn chain_parts(request: &Request) -> Vec<String> {
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
    parts
}

/// `ERROR_TIMEOUT (1460) -> ERROR_WINHTTP_TIMEOUT (12002)`.
fn chain(request: &Request) -> String {
    chain_parts(request).join(" -> ")
}

fn secs(value: f64) -> String {
    format!("{value:.1} s")
}

/// `Receive time-out after 30.0 s (configured 30 s): web02.contoso.local (10.0.0.22:80)
/// GET /reports/export.aspx`.
pub(super) fn title(f: &Facts) -> String {
    let mut head = f.kind.label().to_string();
    if f.kind == FindingKind::ResetMidBody
        && let Some(bytes) = f.request.bytes_received
    {
        head = match f.request.content_length {
            Some(total) => format!("{head} after {bytes} of {total} bytes"),
            None => format!("{head} after {bytes} bytes"),
        };
    }
    if let Some(observed) = f.observed_secs {
        head = format!("{head} after {}", secs(observed));
    }
    if matches!(
        f.kind,
        FindingKind::ReceiveTimeout
            | FindingKind::SendTimeout
            | FindingKind::ConnectTimeout
            | FindingKind::ResolveTimeout
    ) && let Some(configured) = f.configured_secs
    {
        let default = if f.configured_origin == Some("arr_default") {
            ", ARR default"
        } else {
            ""
        };
        head = format!("{head} (configured {}{default})", whole_secs(configured));
    }
    if matches!(f.kind, FindingKind::OtherFailure | FindingKind::TlsFailure)
        && let Some(code) = f.code
    {
        head = format!("{head} ({})", code_text(code, f.symbol));
    }
    format!("{head}: {} {}", backend(f), request_line(f))
}

/// `WinHTTP waited 30.0 s; the receive time-out is 30 s (WinHttpSetTimeouts on the request).`
fn timing(f: &Facts, what: &str) -> String {
    let Some(observed) = f.observed_secs else {
        return " The trace does not show when the wait began.".to_string();
    };
    let source = match f.configured_origin {
        Some("request") => "set with WinHttpSetTimeouts on the request",
        Some("connect") => "set with WinHttpSetTimeouts on the connect handle",
        Some("session") => "set with WinHttpSetTimeouts on the session",
        Some("option") => "set with WinHttpSetOption",
        _ => "not in the trace, so ARR's default proxy time-out applies",
    };
    let setting = match f.configured_secs {
        Some(configured) => {
            let verdict = if (observed - configured).abs() <= 1.0 {
                "the wait matches it: the time-out fired"
            } else if observed < configured {
                "the wait is shorter: something else ended it"
            } else {
                "the wait is longer than that"
            };
            format!(
                " The {what} time-out is {} ({source}; ARR's default is {} s); {verdict}.",
                whole_secs(configured),
                ARR_DEFAULT_TIMEOUT_SECS
            )
        }
        None => String::new(),
    };
    format!(" WinHTTP waited {}.{setting}", secs(observed))
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
    let who = format!(
        "{} sent {} to {}",
        f.request.process,
        request_line(f),
        backend(f)
    );
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
    let reply = answer_502(f);
    let body = match f.kind {
        FindingKind::ReceiveTimeout => format!(
            "{who}; the back end accepted the request but did not answer within the receive \
             time-out: WinHTTP's own timer expired (ERROR_TIMEOUT 1460 mapped to {code}), \
             a slow back end.{}{reply}{chain} Next: find in the back end's IIS log (same URL, \
             X-ARR-LOG-ID) how long it really took and why; if such durations are normal, \
             raise ARR's time-out (Server Farm > Proxy > Time-out) above them.",
            timing(f, "receive")
        ),
        FindingKind::SendTimeout => format!(
            "{who}, but sending the request did not finish within the send time-out: \
             {code}.{}{reply}{chain} Next: check the network path to the back end (packet \
             loss, a server that stopped reading) and large request bodies.",
            timing(f, "send")
        ),
        FindingKind::ConnectTimeout => format!(
            "{who}, but the TCP connection was not established within WinHTTP's connect \
             time-out: {code}.{}{reply}{chain} The back end saw no traffic at all. Next: \
             check that it is up and reachable on that port (Test-NetConnection from the ARR \
             server) and the firewalls in between.",
            timing(f, "connect")
        ),
        FindingKind::ResolveTimeout => format!(
            "{who}, but resolving the back end's name took longer than the resolve \
             time-out: {code}.{}{reply}{chain} Next: check the DNS servers of the ARR server \
             (nslookup from it) or use an address or hosts entry in the farm.",
            timing(f, "resolve")
        ),
        FindingKind::BackendNotAnswering => {
            let waited = match f.observed_secs {
                Some(observed) => format!(
                    " The attempt lasted {} from the connect attempt or the send; on a new \
                     connection Windows gives up after its SYN retransmissions (about 21 s).",
                    secs(observed)
                ),
                None => String::new(),
            };
            format!(
                "{who}, and nothing answered at TCP level: the time-out is TCP's \
                 (WSAETIMEDOUT 10060), not WinHTTP's receive timer, so WinHTTP reported \
                 {code} even if it was waiting for headers. The back end is offline or \
                 unreachable, not slow.{waited}{reply}{chain} Next: check that the back-end \
                 server is running and reachable from the ARR server (ping, \
                 Test-NetConnection to the address and port), routes and firewalls; ARR's \
                 health test can take it out of the farm."
            )
        }
        FindingKind::ConnectionRefused => format!(
            "{who}, but the back end refused the connection (WSAECONNREFUSED 10061, a TCP \
             reset in answer to the SYN): the machine is up but nothing listens on that \
             port. WinHTTP reported {code}.{reply}{chain} Next: check that the site and its \
             binding on the back end are started and listen on this port."
        ),
        FindingKind::ResetBeforeResponse => format!(
            "{who}; the back end closed or reset the connection before sending any \
             response (WinHTTP: {code}).{reply}{chain} The back end may have processed the \
             request: look for it in its HTTPERR log (Connection_Dropped) and FREB rather \
             than its IIS log. Next: check the back end for crashes or application-pool \
             recycles at that time, and devices that reset idle connections (a reused \
             keep-alive connection closed by the server is a common cause)."
        ),
        FindingKind::ResetMidBody => {
            let progress = match (f.request.bytes_received, f.request.content_length) {
                (Some(bytes), Some(total)) => {
                    format!(" {bytes} of the {total} bytes of Content-Length had arrived.")
                }
                (Some(bytes), None) => format!(" {bytes} bytes of body had arrived."),
                _ => String::new(),
            };
            format!(
                "{who}; the response had started (status {}) when the connection was reset in \
                 the middle of the body (WinHTTP: {code}).{progress}{reply}{chain} Next: on the \
                 back end, look for the page ending the response early (Response.Close(), \
                 an exception after Response.Flush()), response-size limits, and the member's \
                 HTTPERR log (Connection_Dropped).",
                f.request
                    .status
                    .map_or_else(|| "not logged".to_string(), |s| s.to_string())
            )
        }
        FindingKind::InvalidResponse => format!(
            "{who}; what the back end sent back was not a valid HTTP response (WinHTTP: \
             {code}).{reply}{chain} The article's example: the page called Response.Close() \
             after a partial Response.Flush(). Next: capture the back end's response \
             (network trace or FREB on the member) and look at the status line, headers and \
             chunking."
        ),
        FindingKind::TlsFailure => format!(
            "{who}, but the TLS handshake or certificate check failed ({code}).{reply}{chain} \
             Next: check the back end's certificate (chain trusted by the ARR server, name \
             matching the farm's server name, validity, revocation reachable) and that both \
             sides share a TLS version and cipher suite; Schannel events name the alert."
        ),
        FindingKind::NameNotResolved => format!(
            "{who}, but the back end's name could not be resolved ({code}).{reply}{chain} \
             The back end saw no traffic. Next: check the server name in the farm, the hosts \
             file and the DNS servers of the ARR server (nslookup from it)."
        ),
        FindingKind::ProxyAutodetect => format!(
            "{who}, but WinHTTP's proxy auto-detection failed ({code}).{reply}{chain} Next: \
             ARR should not need a proxy to reach its members: check the WinHTTP proxy \
             settings (netsh winhttp show proxy) and WPAD/PAC availability."
        ),
        FindingKind::NoHealthyMember | FindingKind::OtherFailure => format!(
            "{who} and WinHTTP failed with {code}.{reply}{chain} Next: look the code up with \
             `etlview err` and read the lines around the evidence frames."
        ),
    };
    body.split_whitespace().collect::<Vec<_>>().join(" ")
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
