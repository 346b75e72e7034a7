//! Facts that lines of any shape may carry, read without relying on one Windows version's
//! wording: HTTP request/status/header lines (stream dumps, WebIO header events), the
//! overlapped pointer of a completion, byte counts, connection reuse and time-out options.

use decode::trace_text::TraceLine;
use serde::Serialize;

/// Which WinHTTP time-out a setting is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeoutSlot {
    Resolve,
    Connect,
    Send,
    Receive,
}

/// One line of HTTP as it went over the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpLine {
    Request {
        verb: String,
        target: String,
    },
    Status(u16),
    /// Only the headers the diagnosis uses; the name is lower-cased.
    Header {
        name: String,
        value: String,
    },
}

/// Headers worth keeping.
const KEPT_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "x-arr-log-id",
    "x-forwarded-for",
    "connection",
];

/// HTTP lines inside `text` (one line, or a whole head with CR/LF).
pub fn http_lines(text: &str) -> Vec<HttpLine> {
    text.split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter_map(http_line)
        .collect()
}

fn http_line(line: &str) -> Option<HttpLine> {
    if let Some(rest) = line.strip_prefix("HTTP/") {
        let mut words = rest.split_whitespace();
        let version = words.next()?;
        if !version.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        let status = words.next()?;
        if status.len() != 3 {
            return None;
        }
        return status.parse().ok().map(HttpLine::Status);
    }
    let mut words = line.split_whitespace();
    if let (Some(verb), Some(target), Some(version), None) =
        (words.next(), words.next(), words.next(), words.next())
    {
        let verb_ok =
            (1..=16).contains(&verb.len()) && verb.bytes().all(|b| b.is_ascii_uppercase());
        let target_ok = target.starts_with('/') || target.contains("://") || target == "*";
        if verb_ok && target_ok && version.starts_with("HTTP/") {
            return Some(HttpLine::Request {
                verb: verb.to_string(),
                target: target.to_string(),
            });
        }
    }
    let (name, value) = line.split_once(':')?;
    let name = name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return None;
    }
    let name = name.to_ascii_lowercase();
    KEPT_HEADERS
        .contains(&name.as_str())
        .then(|| HttpLine::Header {
            name,
            value: value.trim().to_string(),
        })
}

/// `overlapped = 003728F0` (hex with or without `0x`).
pub fn overlapped(text: &str) -> Option<u64> {
    let (_, after) = text.split_once("overlapped")?;
    let value = after.trim_start().strip_prefix('=')?.trim_start();
    let digits: &str = value
        .strip_prefix("0x")
        .unwrap_or(value)
        .split(|c: char| !c.is_ascii_hexdigit())
        .next()?;
    u64::from_str_radix(digits, 16).ok().filter(|&v| v != 0)
}

/// A line that starts handling an asynchronous completion (`processing ... completion`):
/// the thread picks up work for whichever request completed, not the one it served last.
pub fn starts_completion(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("completion") && (lower.contains("processing") || lower.contains("callback"))
}

/// `N bytes read`, `read N bytes`, `received N (0x..) bytes`: bytes of body received.
pub fn bytes_received(text: &str) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    if !(lower.contains("read") || lower.contains("receiv") || lower.contains("recv")) {
        return None;
    }
    let words: Vec<&str> = lower.split_whitespace().collect();
    let at = words
        .iter()
        .position(|w| w.trim_end_matches([';', ',', '.']) == "bytes")?;
    // The number is right before `bytes`, possibly followed by its hex twin `(0x..)`.
    let before = words.get(..at)?;
    before
        .iter()
        .rev()
        .take(2)
        .find_map(|w| w.parse::<u64>().ok())
}

/// Whether a line says the request opened a new connection (`true`) or reused one.
pub fn connection_use(text: &str) -> Option<bool> {
    let lower = text.to_ascii_lowercase();
    if !lower.contains("connection") {
        return None;
    }
    if lower.contains("reus") || lower.contains("keep-alive connection") {
        return Some(false);
    }
    (lower.contains("opening") || lower.contains("new connection")).then_some(true)
}

/// `WinHttpSetOption(h, WINHTTP_OPTION_RECEIVE_TIMEOUT, 0x.. [30000], 4)`: the slot and the
/// value in milliseconds when the line shows it (a bracketed or plain decimal argument).
pub fn option_timeout(line: &TraceLine) -> Option<(TimeoutSlot, u32)> {
    let call = line
        .api_call
        .as_ref()
        .filter(|c| c.name == "WinHttpSetOption")?;
    let option = call.args.get(1)?;
    let number = option
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find_map(|w| match w.strip_prefix("0x") {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => w.parse::<u32>().ok(),
        });
    let upper = option.to_ascii_uppercase();
    let slot = if upper.contains("RESOLVE_TIMEOUT") || number == Some(2) {
        TimeoutSlot::Resolve
    } else if upper.contains("CONNECT_TIMEOUT") || number == Some(3) {
        TimeoutSlot::Connect
    } else if upper.contains("SEND_TIMEOUT") || number == Some(5) {
        TimeoutSlot::Send
    } else if upper.contains("RECEIVE_RESPONSE_TIMEOUT")
        || upper.contains("RECEIVE_TIMEOUT")
        || matches!(number, Some(6 | 7))
    {
        TimeoutSlot::Receive
    } else {
        return None;
    };
    // (h, option, buffer, length): the value sits in the buffer argument, shown when the
    // echo prints it (`0x2ff5c8 [30000]`) or passes a number.
    let buffer = call.args.get(2)?;
    let value = match buffer.split_once('[') {
        Some((_, inner)) => inner.trim_end_matches(']').trim().parse::<u32>().ok(),
        None if !buffer.starts_with("0x") => buffer.parse::<u32>().ok(),
        None => None,
    };
    value.map(|v| (slot, v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use decode::trace_text::parse_line;

    #[test]
    fn http_lines_of_a_dump_or_header_event() {
        let head = "GET /reports/export.aspx HTTP/1.1\r\nHost: web02.contoso.local\r\nX-ARR-LOG-ID: dbf06c50-adb0-4141-8c04-20bc2f193a61\r\nX-Forwarded-For: 192.168.0.204:49247\r\nAccept: */*\r\n\r\n";
        assert_eq!(
            http_lines(head),
            [
                HttpLine::Request {
                    verb: "GET".into(),
                    target: "/reports/export.aspx".into()
                },
                HttpLine::Header {
                    name: "host".into(),
                    value: "web02.contoso.local".into()
                },
                HttpLine::Header {
                    name: "x-arr-log-id".into(),
                    value: "dbf06c50-adb0-4141-8c04-20bc2f193a61".into()
                },
                HttpLine::Header {
                    name: "x-forwarded-for".into(),
                    value: "192.168.0.204:49247".into()
                },
            ]
        );
        assert_eq!(
            http_lines("HTTP/1.1 502 Bad Gateway"),
            [HttpLine::Status(502)]
        );
        assert!(http_lines("sys-req opening new connection to 10.0.0.22:80").is_empty());
        assert!(http_lines("current thread is not impersonating").is_empty());
        assert!(http_lines("error: something").is_empty());
    }

    #[test]
    fn completion_overlapped_and_bytes() {
        let line = "sys-recver processing WebReceiveHttpResponse completion (error-cdoe = ? (0x5b4), overlapped = 003728F0)";
        assert_eq!(overlapped(line), Some(0x0037_28F0));
        assert!(starts_completion(line));
        assert!(!starts_completion(
            "sys-recver failed to receive headers; error = ? (1460)"
        ));
        assert_eq!(
            bytes_received("WinHttpReadData() returning TRUE; 8192 bytes read"),
            Some(8192)
        );
        assert_eq!(
            bytes_received("sys-recver received 1024 (0x400) bytes"),
            Some(1024)
        );
        assert_eq!(bytes_received("sending 156 (0x9c) bytes"), None);
    }

    #[test]
    fn connection_use_and_options() {
        assert_eq!(
            connection_use("sys-req opening new connection to 10.0.0.22:80"),
            Some(true)
        );
        assert_eq!(
            connection_use("sys-req reusing keep-alive connection to 10.0.0.22:80"),
            Some(false)
        );
        assert_eq!(connection_use("sys-req something"), None);
        let line = parse_line(
            "WinHttpSetOption(0x1e0c3f0, WINHTTP_OPTION_RECEIVE_TIMEOUT, 0x2ff5c8 [45000], 4)",
        );
        assert_eq!(option_timeout(&line), Some((TimeoutSlot::Receive, 45000)));
        let line = parse_line("WinHttpSetOption(0x1e0c3f0, 3, 20000, 4)");
        assert_eq!(option_timeout(&line), Some((TimeoutSlot::Connect, 20000)));
        let line =
            parse_line("WinHttpSetOption(0x1e0c3f0, WINHTTP_OPTION_SEND_TIMEOUT, 0x2ff5c8, 4)");
        assert_eq!(option_timeout(&line), None);
    }
}
