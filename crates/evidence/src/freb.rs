//! Failed Request Tracing files (`fr*.xml`): a `<failedRequest>` root whose attributes
//! describe the request (url, statusCode `502.3`, timeTaken...) and one `<Event>` child per
//! traced step, each an ETW event rendered to XML (`<System>`, `<EventData>`,
//! `<RenderingInfo><Opcode>` name). One file is one request; each event becomes a record.
//!
//! A file that is not well-formed (cut while copying, edited by hand) is still read: the
//! damage is reported with its line, then each `<Event>...</Event>` is parsed on its own so
//! every intact event loads.

use std::path::PathBuf;

use roxmltree::{Document, Node};

use crate::model::{
    Attribution, Damage, Details, Lines, Location, Record, RecordKind, ServerGuess, Source,
    SourceKind, excerpt, parse_iso_utc,
};

const FREB_NS: &str = "http://schemas.microsoft.com/win/2006/06/iis/freb";

/// The request a FREB file describes, with what the ARR correlation needs from its events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrebRequest {
    /// `<failedRequest>` attributes in file order (url, siteId, statusCode...).
    pub attributes: Vec<(String, String)>,
    pub url: String,
    pub verb: String,
    pub site_id: Option<u32>,
    pub app_pool: String,
    pub process_id: Option<u32>,
    pub activity_id: String,
    pub failure_reason: String,
    /// HTTP status and sub-status from `statusCode="502.3"`.
    pub status: Option<u32>,
    pub sub_status: Option<u32>,
    pub trigger_status: String,
    pub time_taken_ms: Option<u64>,
    /// `computerName` attribute or the events' `<Computer>`.
    pub computer_name: Option<String>,
    /// FILETIME of the first and last event.
    pub start: Option<i64>,
    pub end: Option<i64>,
    /// `X-ARR-LOG-ID` set by ARR (`GENERAL_SET_REQUEST_HEADER`) or received by a member
    /// (`GENERAL_REQUEST_HEADERS`).
    pub arr_log_id: Option<String>,
    /// True when ARR set the header here (this FREB is from the ARR server).
    pub arr_log_id_set_here: bool,
    /// `ARR_SERVER_ROUTED` Server: the member ARR sent the request to.
    pub routed_to: Option<String>,
    /// `X-Forwarded-For` set or received (`client-ip:port`).
    pub forwarded_for: Option<String>,
    /// The request headers of `GENERAL_REQUEST_HEADERS`.
    pub request_headers: Vec<(String, String)>,
    /// The `ErrorCode` of `MODULE_SET_RESPONSE_ERROR_STATUS` (e.g. `2147954402 (0x80072ee2)`).
    pub error_code: Option<String>,
}

/// Parses a FREB file in memory. Never fails: problems are in `damage`.
pub fn parse(path: PathBuf, bytes: &[u8]) -> Source {
    let mut src = Source::new(path, SourceKind::Freb);
    src.time_zone = Some("UTC".into());
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(e) => {
            src.damage.push(Damage {
                at: Location::Offset(e.valid_up_to() as u64),
                expected: "UTF-8 XML".into(),
                found: "an invalid byte (replaced)".into(),
            });
            String::from_utf8_lossy(bytes)
        }
    };
    let mut req = FrebRequest::default();
    match Document::parse(&text) {
        Ok(doc) => {
            let lines = Lines::new(&text);
            let line_of = |n: Node| lines.line_at(n.range().start);
            let root = doc.root_element();
            if root.tag_name().name() != "failedRequest" {
                src.damage.push(Damage {
                    at: Location::Line(line_of(root)),
                    expected: "a <failedRequest> root element".into(),
                    found: format!("<{}>", excerpt(root.tag_name().name())),
                });
            }
            read_root_attributes(root, &mut req);
            let events = root
                .children()
                .filter(|n| n.is_element() && n.tag_name().name() == "Event");
            for (i, ev) in events.enumerate() {
                let at = Location::Element {
                    line: line_of(ev),
                    index: i as u32 + 1,
                };
                read_event(ev, at, &mut req, &mut src);
            }
        }
        Err(e) => {
            let pos = e.pos();
            src.damage.push(Damage {
                at: Location::Line(pos.row),
                expected: "well-formed FREB XML".into(),
                found: format!("{e}; reading each <Event> on its own"),
            });
            recover(&text, &mut req, &mut src);
        }
    }
    finish(&mut req, &mut src);
    src.details = Details::Freb(Box::new(req));
    src
}

fn read_root_attributes(root: Node, req: &mut FrebRequest) {
    for a in root.attributes() {
        req.attributes
            .push((a.name().to_string(), a.value().to_string()));
        let v = a.value();
        match a.name() {
            "url" => req.url = v.into(),
            "verb" => req.verb = v.into(),
            "siteId" => req.site_id = v.parse().ok(),
            "appPoolId" => req.app_pool = v.into(),
            "processId" => req.process_id = v.parse().ok(),
            "activityId" => req.activity_id = v.into(),
            "failureReason" => req.failure_reason = v.into(),
            "statusCode" => {
                let (s, sub) = v.split_once('.').unwrap_or((v, ""));
                req.status = s.parse().ok();
                req.sub_status = sub.parse().ok();
            }
            "triggerStatusCode" => req.trigger_status = v.into(),
            "timeTaken" => req.time_taken_ms = v.parse().ok(),
            "computerName" => req.computer_name = Some(v.into()).filter(|s: &String| !s.is_empty()),
            _ => {}
        }
    }
}

/// Reads a file that roxmltree rejected: the root's start tag and each complete
/// `<Event ...>...</Event>` are parsed separately.
fn recover(text: &str, req: &mut FrebRequest, src: &mut Source) {
    if let Some(start) = text.find("<failedRequest")
        && let Some(end) = text[start..].find('>')
    {
        let tag = &text[start..start + end];
        let tag = tag.trim_end_matches('/');
        if let Ok(doc) = Document::parse(&format!("{tag}/>")) {
            read_root_attributes(doc.root_element(), req);
        }
    }
    let lines = Lines::new(text);
    let mut from = 0;
    let mut index = 0u32;
    while let Some(rel) = text[from..].find("<Event") {
        let start = from + rel;
        let line = lines.line_at(start);
        index += 1;
        let at = Location::Element { line, index };
        let Some(end_rel) = text[start..].find("</Event>") else {
            src.damage.push(Damage {
                at,
                expected: "</Event> closing the event".into(),
                found: "end of file".into(),
            });
            break;
        };
        let end = start + end_rel + "</Event>".len();
        let wrapped = format!("<w xmlns:freb=\"{FREB_NS}\">{}</w>", &text[start..end]);
        match Document::parse(&wrapped) {
            Ok(doc) => {
                if let Some(ev) = doc.root_element().children().find(|n| n.is_element()) {
                    read_event(ev, at, req, src);
                }
            }
            Err(e) => src.damage.push(Damage {
                at,
                expected: "a well-formed <Event> element".into(),
                found: excerpt(&e.to_string()),
            }),
        }
        from = end;
    }
}

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn child_text<'a>(n: Node<'a, '_>, name: &str) -> Option<&'a str> {
    child(n, name).and_then(|c| c.text()).map(str::trim)
}

fn read_event(ev: Node, at: Location, req: &mut FrebRequest, src: &mut Source) {
    let mut fields: Vec<(String, String)> = Vec::new();
    let system = child(ev, "System");
    let rendering = child(ev, "RenderingInfo");
    let mut filetime = None;
    if let Some(sys) = system {
        if let Some(p) = child(sys, "Provider") {
            fields.push(("Provider".into(), p.attribute("Name").unwrap_or("").into()));
        }
        for name in ["EventID", "Level", "Opcode", "Keywords"] {
            if let Some(v) = child_text(sys, name) {
                let key = if name == "Opcode" {
                    "OpcodeValue"
                } else {
                    name
                };
                fields.push((key.into(), v.into()));
            }
        }
        if let Some(t) = child(sys, "TimeCreated").and_then(|t| t.attribute("SystemTime")) {
            filetime = parse_iso_utc(t);
            if filetime.is_none() {
                src.damage.push(Damage {
                    at: at.clone(),
                    expected: "TimeCreated SystemTime as YYYY-MM-DDTHH:MM:SS.fffZ".into(),
                    found: excerpt(t),
                });
            }
        }
        if let Some(c) = child(sys, "Correlation").and_then(|c| c.attribute("ActivityID")) {
            fields.push(("ActivityID".into(), c.into()));
        }
        if let Some(x) = child(sys, "Execution") {
            for (a, key) in [("ProcessID", "ProcessID"), ("ThreadID", "ThreadID")] {
                if let Some(v) = x.attribute(a) {
                    fields.push((key.into(), v.into()));
                }
            }
        }
        if let Some(c) = child_text(sys, "Computer") {
            fields.push(("Computer".into(), c.into()));
            if req.computer_name.is_none() && !c.is_empty() {
                req.computer_name = Some(c.into());
            }
        }
    }
    let opcode = rendering
        .and_then(|r| child_text(r, "Opcode"))
        .or_else(|| {
            fields
                .iter()
                .find(|(k, _)| k == "OpcodeValue")
                .map(|(_, v)| v.as_str())
        })
        .unwrap_or("")
        .to_string();
    fields.push(("Opcode".into(), opcode.clone()));
    if let Some(data) = child(ev, "EventData") {
        for d in data.children().filter(|n| n.is_element()) {
            let name = d.attribute("Name").unwrap_or(d.tag_name().name());
            fields.push((name.into(), d.text().unwrap_or("").into()));
        }
    }
    if let Some(r) = rendering {
        // `<freb:Description Data="NotificationStatus">NOTIFICATION_CONTINUE` names a value.
        for d in r
            .children()
            .filter(|n| n.is_element() && n.tag_name().name() == "Description")
        {
            if let Some(of) = d.attribute("Data") {
                fields.push((format!("{of}.text"), d.text().unwrap_or("").trim().into()));
            }
        }
    }
    let Some(filetime) = filetime else {
        src.damage.push(Damage {
            at,
            expected: "an event with <TimeCreated SystemTime>".into(),
            found: format!("{} without a time", excerpt(&opcode)),
        });
        return;
    };
    learn_from_event(&opcode, &fields, req);
    let summary = event_summary(&opcode, &fields);
    src.records.push(Record {
        filetime,
        kind: RecordKind::FrebEvent,
        fields: fields.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        summary,
        at,
    });
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn learn_from_event(opcode: &str, fields: &[(String, String)], req: &mut FrebRequest) {
    match opcode {
        "ARR_SERVER_ROUTED" => {
            if let Some(s) = field(fields, "Server") {
                req.routed_to = Some(s.to_string());
            }
        }
        "GENERAL_SET_REQUEST_HEADER" => {
            let name = field(fields, "HeaderName")
                .unwrap_or("")
                .trim_end_matches(':');
            let value = field(fields, "HeaderValue").unwrap_or("").trim();
            if name.eq_ignore_ascii_case("X-ARR-LOG-ID") && !value.is_empty() {
                req.arr_log_id = Some(value.to_string());
                req.arr_log_id_set_here = true;
            } else if name.eq_ignore_ascii_case("X-Forwarded-For") && !value.is_empty() {
                req.forwarded_for = Some(value.to_string());
            }
        }
        "GENERAL_REQUEST_HEADERS" => {
            let headers = parse_headers(field(fields, "Headers").unwrap_or(""));
            for (k, v) in &headers {
                if k.eq_ignore_ascii_case("X-ARR-LOG-ID") && req.arr_log_id.is_none() {
                    req.arr_log_id = Some(v.clone());
                } else if k.eq_ignore_ascii_case("X-Forwarded-For") && req.forwarded_for.is_none() {
                    req.forwarded_for = Some(v.clone());
                }
            }
            req.request_headers = headers;
        }
        "MODULE_SET_RESPONSE_ERROR_STATUS" => {
            if let Some(c) = field(fields, "ErrorCode") {
                req.error_code = Some(c.to_string());
            }
        }
        _ => {}
    }
}

/// Splits the `Headers` value of `GENERAL_REQUEST_HEADERS`: IIS writes one `Name: value` per
/// line; copies pasted from a browser run them together on one line (`Max-Forwards: 10
/// X-ARR-LOG-ID: dbf0...`), where a token ending in `:` starts the next header.
pub fn parse_headers(text: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut out = Vec::new();
    if lines.len() > 1 || lines.first().is_some_and(|l| l.matches(": ").count() <= 1) {
        for l in lines {
            if let Some((k, v)) = l.split_once(':') {
                out.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        return out;
    }
    let mut name: Option<&str> = None;
    let mut value: Vec<&str> = Vec::new();
    for tok in lines.first().copied().unwrap_or("").split_whitespace() {
        if let Some(n) = tok.strip_suffix(':').filter(|n| is_header_name(n)) {
            if let Some(prev) = name.take() {
                out.push((prev.to_string(), value.join(" ")));
            }
            value.clear();
            name = Some(n);
        } else {
            value.push(tok);
        }
    }
    if let Some(prev) = name {
        out.push((prev.to_string(), value.join(" ")));
    }
    out
}

fn is_header_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn event_summary(opcode: &str, fields: &[(String, String)]) -> String {
    let skip = [
        "Provider",
        "EventID",
        "Level",
        "OpcodeValue",
        "Keywords",
        "ActivityID",
        "ProcessID",
        "ThreadID",
        "Computer",
        "Opcode",
        "ContextId",
    ];
    let mut s = opcode.to_string();
    for (k, v) in fields
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()) && !k.ends_with(".text"))
    {
        s.push_str(&format!(" {k}=\"{}\"", v.trim()));
        if s.len() > 200 {
            break;
        }
    }
    excerpt(&s)
}

fn finish(req: &mut FrebRequest, src: &mut Source) {
    req.start = src.records.iter().map(|r| r.filetime).min();
    req.end = src.records.iter().map(|r| r.filetime).max();
    if let Some(name) = &req.computer_name {
        src.server = Some(ServerGuess {
            name: name.clone(),
            how: Attribution::FrebComputer,
        });
    }
}

/// True when the text starts like a FREB file (a `<failedRequest` root near the start).
pub fn sniff(head: &str) -> bool {
    head.contains("<failedRequest")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_one_per_line_and_run_together() {
        let h = parse_headers("Host: web01\r\nMax-Forwards: 10\r\nX-ARR-LOG-ID: dbf0\r\n");
        assert_eq!(h.len(), 3);
        assert_eq!(h[2], ("X-ARR-LOG-ID".into(), "dbf0".into()));
        let h = parse_headers(
            "Connection: Keep-Alive Max-Forwards: 10 X-Original-URL: /time/ X-Forwarded-For: 192.168.0.204:49247 X-ARR-LOG-ID: dbf06c50-adb0",
        );
        assert_eq!(h.len(), 5, "{h:?}");
        assert_eq!(h[3].1, "192.168.0.204:49247");
        assert_eq!(h[4].1, "dbf06c50-adb0");
    }
}
