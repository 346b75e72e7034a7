//! HTTP/1.x start lines (request line or status line) at the start of a TCP payload, plus
//! the request's Host header. Only the first [`MAX_HEAD`] bytes are looked at.

/// Bytes of a segment searched for the start line and headers.
const MAX_HEAD: usize = 8192;
/// Header lines looked through for `Host`.
const MAX_HEADER_LINES: usize = 100;

/// Request methods recognised (RFC 9110 plus the WebDAV ones IIS serves).
const METHODS: &[&str] = &[
    "GET",
    "POST",
    "PUT",
    "DELETE",
    "HEAD",
    "OPTIONS",
    "PATCH",
    "CONNECT",
    "TRACE",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "SEARCH",
];

/// The start line of an HTTP/1.x message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpLine {
    Request {
        method: String,
        uri: String,
        /// `HTTP/1.1`; empty when the line was cut by the segment end.
        version: String,
        host: Option<String>,
    },
    Response {
        version: String,
        status: u16,
        reason: String,
    },
}

impl HttpLine {
    /// Recognises a request or status line at the start of `payload`.
    pub fn parse(payload: &[u8]) -> Option<HttpLine> {
        let head = payload.get(..payload.len().min(MAX_HEAD))?;
        let mut lines = head.split(|&b| b == b'\n');
        let first = trim_cr(lines.next()?);
        let first = std::str::from_utf8(first).ok()?;
        if let Some(rest) = first.strip_prefix("HTTP/") {
            return parse_status_line(rest);
        }
        let mut parts = first.splitn(3, ' ');
        let method = parts.next()?;
        if !METHODS.contains(&method) {
            return None;
        }
        let uri = parts.next().filter(|u| !u.is_empty())?;
        let version = parts.next().unwrap_or("");
        let line_complete = head.contains(&b'\n');
        if !(version.starts_with("HTTP/") || (!line_complete && version.is_empty())) {
            return None;
        }
        let host = lines.take(MAX_HEADER_LINES).find_map(|line| {
            let line = trim_cr(line);
            let colon = line.iter().position(|&b| b == b':')?;
            let (name, value) = line.split_at(colon);
            let value = value.get(1..)?;
            name.eq_ignore_ascii_case(b"host")
                .then(|| String::from_utf8_lossy(value).trim().to_string())
        });
        Some(HttpLine::Request {
            method: method.to_string(),
            uri: uri.to_string(),
            version: version.to_string(),
            host,
        })
    }

    /// Summary text: the start line as sent.
    pub fn info(&self) -> String {
        match self {
            HttpLine::Request {
                method,
                uri,
                version,
                ..
            } => {
                if version.is_empty() {
                    format!("{method} {uri}")
                } else {
                    format!("{method} {uri} {version}")
                }
            }
            HttpLine::Response {
                version,
                status,
                reason,
            } => format!("{version} {status} {reason}")
                .trim_end()
                .to_string(),
        }
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `1.1 502 Bad Gateway` (after `HTTP/`).
fn parse_status_line(rest: &str) -> Option<HttpLine> {
    let mut parts = rest.splitn(3, ' ');
    let version = parts.next()?;
    if !matches!(version, "1.0" | "1.1") {
        return None;
    }
    let code = parts.next()?;
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(HttpLine::Response {
        version: format!("HTTP/{version}"),
        status: code.parse().ok()?,
        reason: parts.next().unwrap_or("").to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_line_and_host() {
        let line = HttpLine::parse(
            b"GET /api/orders?id=7 HTTP/1.1\r\nUser-Agent: x\r\nHOST: backend:8080\r\n\r\n",
        )
        .unwrap();
        assert_eq!(
            line,
            HttpLine::Request {
                method: "GET".into(),
                uri: "/api/orders?id=7".into(),
                version: "HTTP/1.1".into(),
                host: Some("backend:8080".into()),
            }
        );
        assert_eq!(line.info(), "GET /api/orders?id=7 HTTP/1.1");
    }

    #[test]
    fn status_line() {
        let line =
            HttpLine::parse(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n").unwrap();
        assert_eq!(
            line,
            HttpLine::Response {
                version: "HTTP/1.1".into(),
                status: 502,
                reason: "Bad Gateway".into()
            }
        );
        assert_eq!(line.info(), "HTTP/1.1 502 Bad Gateway");
    }

    #[test]
    fn request_line_cut_by_the_segment_end() {
        let line = HttpLine::parse(b"POST /very/long/uri").unwrap();
        assert_eq!(line.info(), "POST /very/long/uri");
    }

    #[test]
    fn other_payloads_are_declined() {
        for p in [
            &b"GETX / HTTP/1.1\r\n"[..],
            b"GET / SMTP/1.0\r\n",
            b"HTTP/2 200\r\n",
            b"HTTP/1.1 20 OK\r\n",
            b"\x16\x03\x01\x00\x05",
            b"",
            b"get / HTTP/1.1\r\n",
        ] {
            assert_eq!(HttpLine::parse(p), None, "{p:?}");
        }
    }
}
