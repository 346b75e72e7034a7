//! What a single event says went wrong: the error code it carries and the kind of failure
//! that code means for a WinHTTP client (timeout, unreachable server, broken connection,
//! TLS, DNS). Used per event by the TUI and, with request context, by `diagnose`.

use serde::Serialize;
use uuid::{Uuid, uuid};

use crate::timeline::{WEBIO_PROVIDER, WINHTTP_PROVIDER};
use decode::DecodedEvent;
use decode::errors;
use decode::trace_text::{self, TraceLine};
use decode::value::Value;
use etl::Event;

pub const TCPIP_PROVIDER: Uuid = uuid!("2f07e2ee-15db-40f1-90ef-9d7ba282188a");
pub const HTTP_SERVICE_PROVIDER: Uuid = uuid!("dd5ef90a-6398-47a4-ad34-4dcecdef795f");
pub const DNS_CLIENT_PROVIDER: Uuid = uuid!("1c95126e-7eea-49a9-a3fe-a378b03ddb4d");
pub const SCHANNEL_EVENTS_PROVIDER: Uuid = uuid!("91cc1150-71aa-47e2-ae18-c96e61736b6f");
pub const SCHANNEL_PROVIDER: Uuid = uuid!("1f678132-5938-4686-9fdc-c8ff68f15c85");

/// The kind of failure one event reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// An operation did not finish in time (ERROR_WINHTTP_TIMEOUT, WSAETIMEDOUT, ...).
    Timeout,
    /// The server could not be reached: refused, unreachable, or no answer to a connect.
    Unreachable,
    /// An established connection broke: reset, aborted, closed mid-response, bad response.
    ConnectionAborted,
    /// The TLS handshake or certificate check failed.
    Tls,
    /// The server name could not be resolved.
    Dns,
    /// An HTTP error status (5xx) sent to a client; `code` is the status.
    HttpStatus,
    /// Any other failure.
    Other,
}

/// Failure classification of one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub kind: FailureKind,
    pub code: Option<u32>,
    pub symbol: Option<String>,
}

/// The providers whose events this module understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    WinHttp,
    WebIo,
    Tcpip,
    HttpSys,
    DnsClient,
    Schannel,
}

impl Source {
    pub fn of(e: &Event) -> Option<Source> {
        let guid = e.header.provider_guid()?;
        if e.header.kind.is_kernel() {
            return None;
        }
        Some(match guid {
            g if g == WINHTTP_PROVIDER => Source::WinHttp,
            g if g == WEBIO_PROVIDER => Source::WebIo,
            g if g == TCPIP_PROVIDER => Source::Tcpip,
            g if g == HTTP_SERVICE_PROVIDER => Source::HttpSys,
            g if g == DNS_CLIENT_PROVIDER => Source::DnsClient,
            g if g == SCHANNEL_EVENTS_PROVIDER || g == SCHANNEL_PROVIDER => Source::Schannel,
            _ => return None,
        })
    }

    /// Short name used in evidence lines.
    pub fn label(self) -> &'static str {
        match self {
            Source::WinHttp => "WinHttp",
            Source::WebIo => "WebIO",
            Source::Tcpip => "TCPIP",
            Source::HttpSys => "HTTP.sys",
            Source::DnsClient => "DNS-Client",
            Source::Schannel => "Schannel",
        }
    }
}

/// What an operation was doing when its code was reported; the same number means different
/// things on a connect (10060: nobody answered) and on a receive (10060: answer too slow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeContext {
    Connect,
    Resolve,
    Tls,
    General,
}

/// Codes that mean "not done yet" or "fine", never a failure.
pub fn is_benign(code: u32) -> bool {
    matches!(
        code,
        0           // ERROR_SUCCESS
        | 234       // ERROR_MORE_DATA
        | 259       // ERROR_NO_MORE_ITEMS
        | 996       // ERROR_IO_INCOMPLETE
        | 997       // ERROR_IO_PENDING
        | 1237      // ERROR_RETRY
        | 10035     // WSAEWOULDBLOCK
        | 12032     // ERROR_WINHTTP_RESEND_REQUEST: WinHTTP retries by itself
        | 0x0009_0312 // SEC_I_CONTINUE_NEEDED
        | 0x0009_0321 // SEC_I_RENEGOTIATE
        | 0x8009_0318 // SEC_E_INCOMPLETE_MESSAGE: TLS needs more bytes, normal while reading
    )
}

/// `0x8007xxxx` (HRESULT_FROM_WIN32) folded to its Win32 number; other values unchanged.
fn unwrap_hresult(code: u32) -> u32 {
    if code & 0xFFFF_0000 == 0x8007_0000 {
        code & 0xFFFF
    } else {
        code
    }
}

/// The kind of failure a code means, without context.
pub fn kind_of_code(code: u32) -> FailureKind {
    let code = unwrap_hresult(code);
    match code {
        12002 | 1460 | 10060 | 121 | 0xC000_00B5 => FailureKind::Timeout,
        12029 | 10061 | 10065 | 10051 | 10050 | 10064 | 1225 | 1231 | 1232 | 12164 => {
            FailureKind::Unreachable
        }
        0xC000_0236 | 0xC000_023C | 0xC000_023D => FailureKind::Unreachable,
        12030 | 12031 | 12152 | 64 | 59 | 10054 | 10053 | 1236 => FailureKind::ConnectionAborted,
        0xC000_020D | 0xC000_0241 | 0xC000_013B | 0xC000_013C => FailureKind::ConnectionAborted,
        12037 | 12038 | 12044 | 12045 | 12057 | 12157 | 12169 | 12170 | 12175 | 12179 | 12185
        | 12186 | 12188 => FailureKind::Tls,
        0x8009_0300..=0x8009_03FF | 0x800B_0100..=0x800B_01FF | 0x8009_2010..=0x8009_2013 => {
            FailureKind::Tls
        }
        12007 | 11001 | 11002 | 11003 | 11004 | 9002 | 9003 | 9501 => FailureKind::Dns,
        _ => FailureKind::Other,
    }
}

/// [`kind_of_code`] refined by what the operation was doing.
pub fn kind_in_context(code: u32, context: CodeContext) -> FailureKind {
    let plain = kind_of_code(code);
    match context {
        // A connect that times out is a server that does not answer.
        CodeContext::Connect if plain == FailureKind::Timeout && code != 12002 => {
            FailureKind::Unreachable
        }
        CodeContext::Resolve
            if plain == FailureKind::Other || plain == FailureKind::Unreachable =>
        {
            FailureKind::Dns
        }
        CodeContext::Tls if plain == FailureKind::Other => FailureKind::Tls,
        _ => plain,
    }
}

/// The table's name for a code (WinHTTP names for 12xxx, NTSTATUS names for 0xCxxxxxxx),
/// plus the DNS client codes the table does not carry.
pub fn symbol_of(code: u32) -> Option<String> {
    let dns = match code {
        9002 => Some("DNS_ERROR_RCODE_SERVER_FAILURE"),
        9003 => Some("DNS_ERROR_RCODE_NAME_ERROR"),
        9501 => Some("DNS_INFO_NO_RECORDS"),
        _ => None,
    };
    errors::symbol_for(code).or(dns).map(str::to_string)
}

fn failure(code: u32, context: CodeContext, symbol: Option<String>) -> Failure {
    Failure {
        kind: kind_in_context(code, context),
        code: Some(code),
        symbol: symbol.or_else(|| symbol_of(code)),
    }
}

/// A failing code in a numeric field (`Error`, `Result`, `Status`, ...), if any.
fn failing_field(decoded: &DecodedEvent, names: &[&str]) -> Option<u32> {
    names
        .iter()
        .filter_map(|name| decoded.get(name))
        .filter_map(Value::as_u64)
        .filter_map(|v| u32::try_from(v).ok())
        .find(|&code| !is_benign(code))
}

/// Failure of a parsed WinHTTP/WebIO trace line, when it reports one.
pub fn text_failure(line: &TraceLine) -> Option<Failure> {
    if trace_text::classify(line)? != trace_text::Severity::Failure {
        return None;
    }
    let Some(code) = trace_text::error_code(line) else {
        return Some(Failure {
            kind: FailureKind::Other,
            code: None,
            symbol: None,
        });
    };
    // The name written in the line, when there is one, is what the reader sees.
    let written = match (&line.mapping, &line.returning) {
        (Some(m), _) => m.to_symbol,
        (None, Some(r)) => r.symbol,
        (None, None) => line
            .errors
            .iter()
            .find(|t| t.code == code)
            .and_then(|t| t.symbol),
    };
    let lower = line.text.to_ascii_lowercase();
    let context = if lower.contains("connect") && !lower.contains("connection") {
        CodeContext::Connect
    } else {
        CodeContext::General
    };
    Some(failure(code, context, written.map(str::to_string)))
}

/// Failure of an event from its decoded form; `text` is its trace line, when it has one.
pub fn decoded_failure(
    source: Source,
    e: &Event,
    decoded: &DecodedEvent,
    text: Option<&TraceLine>,
) -> Option<Failure> {
    let id = e.header.id;
    match source {
        Source::WinHttp => {
            if let Some(line) = text {
                return text_failure(line);
            }
            let context = match id {
                1051 | 1052 => CodeContext::Resolve,
                _ => CodeContext::General,
            };
            failing_field(decoded, &["Result", "Error", "error"])
                .map(|code| failure(code, context, None))
        }
        Source::WebIo => {
            if let Some(line) = text {
                return text_failure(line);
            }
            let context = match id {
                200..=204 => CodeContext::Connect,
                205..=212 => CodeContext::Resolve,
                700..=799 => CodeContext::Tls,
                _ => CodeContext::General,
            };
            // A socket close reports why it closed; only a failing result counts.
            let fields: &[&str] = match id {
                204 => &["Result"],
                _ => &["Error", "Result", "SecStatus"],
            };
            if let Some(code) = failing_field(decoded, fields) {
                return Some(failure(code, context, None));
            }
            (e.header.level == 2).then_some(Failure {
                kind: match context {
                    CodeContext::Connect => FailureKind::Unreachable,
                    CodeContext::Resolve => FailureKind::Dns,
                    CodeContext::Tls => FailureKind::Tls,
                    CodeContext::General => FailureKind::Other,
                },
                code: None,
                symbol: None,
            })
        }
        Source::Tcpip => tcpip_failure(id, decoded),
        Source::HttpSys => {
            let status = ["StatusCode", "HttpStatus"]
                .iter()
                .filter_map(|n| decoded.get(n).and_then(Value::as_u64))
                .find(|s| (500..600).contains(s));
            if let Some(status) = status {
                return Some(Failure {
                    kind: FailureKind::HttpStatus,
                    code: u32::try_from(status).ok(),
                    symbol: Some(format!("HTTP {status}")),
                });
            }
            if e.header.level == 2 {
                let code = failing_field(decoded, &["Status", "Error"]);
                return Some(Failure {
                    kind: code.map_or(FailureKind::Other, kind_of_code),
                    code,
                    symbol: code.and_then(symbol_of),
                });
            }
            None
        }
        Source::DnsClient => {
            // Whatever the code (even a timeout), a DNS client error is a DNS failure.
            let code = failing_field(decoded, &["QueryStatus", "Status", "ResponseStatus"])?;
            // DNS_INFO_NO_RECORDS: an empty answer (AAAA for an IPv4-only name) is normal.
            if code == 9501 {
                return None;
            }
            Some(Failure {
                kind: FailureKind::Dns,
                ..failure(code, CodeContext::Resolve, None)
            })
        }
        Source::Schannel => {
            // Schannel-Events report SECURITY_STATUS values; the System-log provider reports
            // failures as Error-level events.
            let code = failing_field(decoded, &["ReturnValue", "ErrorCode", "Error", "Status"]);
            if code.is_none() && !matches!(e.header.level, 1 | 2) {
                return None;
            }
            Some(Failure {
                kind: FailureKind::Tls,
                code,
                symbol: code.and_then(symbol_of),
            })
        }
    }
}

/// TCPIP connect and disconnect outcomes (`Status` is an NTSTATUS).
fn tcpip_failure(id: u16, decoded: &DecodedEvent) -> Option<Failure> {
    let status = decoded
        .get("Status")
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .filter(|&s| !is_benign(s));
    let ntstatus_name = |code: u32| {
        errors::lookup_in_family(code, "ntstatus")
            .map(|row| row.symbol.to_string())
            .or_else(|| symbol_of(code))
    };
    let kind = match id {
        // TcpConnectTcbFailure, TcpConnectTcbTimeout: no usable answer to the SYN.
        1034 | 1045 => FailureKind::Unreachable,
        // Retransmission, keep-alive and disconnect timeouts: the connection died.
        1046..=1048 => FailureKind::ConnectionAborted,
        // TcpConnectTcbComplete with a failing status.
        1033 if status.is_some() => FailureKind::Unreachable,
        _ => return None,
    };
    Some(Failure {
        kind,
        code: status,
        symbol: status.and_then(ntstatus_name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use decode::trace_text::parse_line;

    #[test]
    fn codes_map_to_kinds() {
        assert_eq!(kind_of_code(12002), FailureKind::Timeout);
        assert_eq!(kind_of_code(0x8007_2EE2), FailureKind::Timeout);
        assert_eq!(kind_of_code(1460), FailureKind::Timeout);
        assert_eq!(kind_of_code(12029), FailureKind::Unreachable);
        assert_eq!(kind_of_code(10061), FailureKind::Unreachable);
        assert_eq!(kind_of_code(12030), FailureKind::ConnectionAborted);
        assert_eq!(kind_of_code(0x8007_2EFE), FailureKind::ConnectionAborted);
        assert_eq!(kind_of_code(12152), FailureKind::ConnectionAborted);
        assert_eq!(kind_of_code(0x8007_2F78), FailureKind::ConnectionAborted);
        assert_eq!(kind_of_code(64), FailureKind::ConnectionAborted);
        assert_eq!(kind_of_code(12175), FailureKind::Tls);
        assert_eq!(kind_of_code(0x8009_0325), FailureKind::Tls);
        assert_eq!(kind_of_code(12007), FailureKind::Dns);
        assert_eq!(kind_of_code(5), FailureKind::Other);
    }

    #[test]
    fn context_refines_kinds() {
        assert_eq!(
            kind_in_context(10060, CodeContext::Connect),
            FailureKind::Unreachable
        );
        assert_eq!(
            kind_in_context(12002, CodeContext::Connect),
            FailureKind::Timeout
        );
        assert_eq!(
            kind_in_context(10060, CodeContext::General),
            FailureKind::Timeout
        );
        assert_eq!(kind_in_context(87, CodeContext::Resolve), FailureKind::Dns);
        assert_eq!(kind_in_context(87, CodeContext::Tls), FailureKind::Tls);
    }

    #[test]
    fn benign_codes_are_not_failures() {
        for code in [0, 997, 10035, 12032, 0x0009_0312, 0x8009_0318] {
            assert!(is_benign(code), "{code:#x}");
        }
        assert!(!is_benign(12002));
    }

    #[test]
    fn text_failures_carry_the_written_symbol() {
        let f = |text| text_failure(&parse_line(text));
        assert_eq!(
            f("12:00:00.000 ::sys-recver failed to receive headers; error = ? (1460)"),
            Some(Failure {
                kind: FailureKind::Timeout,
                code: Some(1460),
                symbol: Some("ERROR_TIMEOUT".into()),
            })
        );
        assert_eq!(
            f(
                "ERROR_WINHTTP_FROM_WIN32 mapped (WSAETIMEDOUT) 10060 to (ERROR_WINHTTP_CANNOT_CONNECT) 12029"
            ),
            Some(Failure {
                kind: FailureKind::Unreachable,
                code: Some(12029),
                symbol: Some("ERROR_WINHTTP_CANNOT_CONNECT".into()),
            })
        );
        assert_eq!(
            f("sys-req failed to connect to web01:80; error = WSAETIMEDOUT (10060)")
                .map(|f| f.kind),
            Some(FailureKind::Unreachable)
        );
        assert_eq!(
            f("returning ERROR_WINHTTP_CONNECTION_ERROR (12030) from WinHttpReadData()")
                .map(|f| (f.kind, f.code)),
            Some((FailureKind::ConnectionAborted, Some(12030)))
        );
        assert_eq!(
            f("sys-req something failed").map(|f| (f.kind, f.code)),
            Some((FailureKind::Other, None))
        );
        assert_eq!(f("WinHttpReceiveResponse(0x11d23d0, 0x0)"), None);
        assert_eq!(f("error = ERROR_WINHTTP_RESEND_REQUEST (12032)"), None);
    }
}
