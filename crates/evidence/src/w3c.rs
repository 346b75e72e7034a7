//! W3C extended log format as IIS (`u_ex*.log`) and HTTP.sys (`httperr*.log`) write it:
//! `#Software/#Version/#Date/#Fields` directives, then one entry per line with the fields of
//! the latest `#Fields` block separated by a space, `-` for empty and `+` for a space inside
//! a value. A new `#Fields` block may start anywhere (service restart, changed field list).
//! Times are UTC; a log without a `date` field takes it from `#Date`.

use std::path::PathBuf;
use std::sync::Arc;

use crate::model::{
    Attribution, Damage, Details, Location, Record, RecordKind, ServerGuess, Source, SourceKind,
    civil_to_filetime, excerpt, parse_date, parse_time,
};

/// Which W3C log this is: decides the record kind and the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Iis,
    HttpErr,
}

/// Values in which IIS writes a space as `+`. The query string keeps its `+` (it is already
/// form-encoded there, and a literal `+` in a query is common, e.g. base64).
fn decodes_plus(field: &str) -> bool {
    !matches!(field, "cs-uri-query" | "cs-uri" | "date" | "time")
}

fn decode_value(field: &str, raw: &str) -> String {
    if raw == "-" {
        String::new()
    } else if decodes_plus(field) && raw.contains('+') {
        raw.replace('+', " ")
    } else {
        raw.to_string()
    }
}

/// Parses a W3C log already in memory. Never fails: problems are reported in `damage`.
pub fn parse(path: PathBuf, bytes: &[u8], flavor: Flavor) -> Source {
    let kind = match flavor {
        Flavor::Iis => SourceKind::IisLog,
        Flavor::HttpErr => SourceKind::HttpErr,
    };
    let mut src = Source::new(path, kind);
    src.time_zone = Some("UTC".into());
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);

    let mut directives = Vec::new();
    let mut fields: Vec<Arc<str>> = Vec::new();
    let mut field_blocks = 0usize;
    let mut directive_date: Option<(i64, u32, u32)> = None;
    let ends_with_newline = bytes.last() == Some(&b'\n');
    let line_count = bytes.split(|&b| b == b'\n').count();

    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = (i + 1) as u32;
        let is_last = i + 1 == line_count;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let line = match std::str::from_utf8(raw) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(e) => {
                src.damage.push(Damage {
                    at: Location::Line(line_no),
                    expected: "UTF-8 text".into(),
                    found: format!("invalid byte at column {}", e.valid_up_to() + 1),
                });
                String::from_utf8_lossy(raw)
            }
        };
        if let Some(directive) = line.strip_prefix('#') {
            let (name, value) = directive.split_once(':').unwrap_or((directive, ""));
            let value = value.trim();
            match name {
                "Fields" => {
                    fields = value.split_whitespace().map(Arc::from).collect();
                    field_blocks += 1;
                }
                "Date" => directive_date = value.split_whitespace().next().and_then(parse_date),
                _ => {}
            }
            directives.push((line_no, name.to_string(), value.to_string()));
            continue;
        }
        if fields.is_empty() {
            src.damage.push(Damage {
                at: Location::Line(line_no),
                expected: "a #Fields directive before the first entry".into(),
                found: excerpt(&line),
            });
            continue;
        }
        match entry(&line, &fields, directive_date, flavor, line_no) {
            Ok((record, problem)) => {
                if let Some(mut d) = problem {
                    if is_last && !ends_with_newline {
                        d.expected = format!("{} (the last line is cut: no line end)", d.expected);
                    }
                    src.damage.push(d);
                }
                src.records.push(record);
            }
            Err(d) => src.damage.push(d),
        }
    }
    src.server = server_of(&src.records);
    src.details = Details::W3c {
        directives,
        field_blocks,
    };
    src
}

/// The server that wrote the log: its `s-computername`, else its `s-ip` (the most frequent
/// value, so one odd line does not decide).
fn server_of(records: &[Record]) -> Option<ServerGuess> {
    for (field, how) in [
        ("s-computername", Attribution::ComputerNameField),
        ("s-ip", Attribution::ServerIp),
    ] {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for v in records
            .iter()
            .filter_map(|r| r.get(field))
            .filter(|v| !v.is_empty())
        {
            if let Some((_, c)) = counts.iter_mut().find(|(n, _)| *n == v) {
                *c += 1;
            } else if counts.len() < 64 {
                counts.push((v, 1));
            }
        }
        if let Some((name, _)) = counts.iter().max_by_key(|(_, c)| *c) {
            return Some(ServerGuess {
                name: name.to_string(),
                how,
            });
        }
    }
    None
}

/// Splits an entry into values. IIS writes exactly one space between fields; some real logs
/// hold a doubled space (an empty value written as nothing instead of `-`), which readers
/// such as plaso tolerate: when the single-space split does not give the declared count but
/// splitting on runs of spaces does, the latter is taken.
fn split_entry(line: &str, expected: usize) -> Vec<&str> {
    let single: Vec<&str> = line.trim_end_matches([' ', '\t']).split(' ').collect();
    if single.len() == expected {
        return single;
    }
    let runs: Vec<&str> = line.split_whitespace().collect();
    if runs.len() == expected { runs } else { single }
}

fn entry(
    line: &str,
    names: &[Arc<str>],
    directive_date: Option<(i64, u32, u32)>,
    flavor: Flavor,
    line_no: u32,
) -> Result<(Record, Option<Damage>), Damage> {
    let values = split_entry(line, names.len());
    let problem = (values.len() != names.len()).then(|| Damage {
        at: Location::Line(line_no),
        expected: format!("{} fields as #Fields declares", names.len()),
        found: format!("{} fields: {}", values.len(), excerpt(line)),
    });
    let mut fields = Vec::with_capacity(values.len());
    for (i, raw) in values.iter().enumerate() {
        match names.get(i) {
            Some(name) => fields.push((name.clone(), decode_value(name, raw))),
            // Kept under a positional name so nothing is lost.
            None => fields.push((
                format!("extra-{}", i + 1 - names.len()).into(),
                decode_value("", raw),
            )),
        }
    }
    let get = |n: &str| {
        fields
            .iter()
            .find(|(k, _)| **k == *n)
            .map(|(_, v)| v.as_str())
    };
    let date = match get("date") {
        Some(d) => parse_date(d),
        None => directive_date,
    };
    let time = match get("time") {
        Some(t) => parse_time(t),
        None => Some((0, 0, 0, 0)),
    };
    let filetime = match (date, time) {
        (Some((y, mo, d)), Some((h, mi, s, t))) => civil_to_filetime(y, mo, d, h, mi, s, t),
        _ => None,
    };
    let Some(filetime) = filetime else {
        return Err(Damage {
            at: Location::Line(line_no),
            expected: "date YYYY-MM-DD and time HH:MM:SS (or a #Date directive)".into(),
            found: excerpt(line),
        });
    };
    let summary = match flavor {
        Flavor::Iis => iis_summary(&get),
        Flavor::HttpErr => httperr_summary(&get),
    };
    let kind = match flavor {
        Flavor::Iis => RecordKind::IisRequest,
        Flavor::HttpErr => RecordKind::HttpErr,
    };
    let record = Record {
        filetime,
        kind,
        summary: excerpt(&summary),
        at: Location::Line(line_no),
        fields,
    };
    Ok((record, problem))
}

fn iis_summary<'a>(get: &impl Fn(&str) -> Option<&'a str>) -> String {
    let mut s = String::new();
    push_some(&mut s, get("cs-method"));
    push_some(&mut s, get("cs-uri-stem"));
    if let Some(q) = get("cs-uri-query").filter(|q| !q.is_empty()) {
        s.push('?');
        s.push_str(q);
    }
    if let Some(status) = get("sc-status") {
        s.push_str(" -> ");
        s.push_str(status);
        if let Some(sub) = get("sc-substatus").filter(|v| !v.is_empty() && *v != "0") {
            s.push('.');
            s.push_str(sub);
        }
    }
    if let Some(w) = get("sc-win32-status").filter(|v| !v.is_empty() && *v != "0") {
        s.push_str(" win32 ");
        s.push_str(w);
    }
    if let Some(t) = get("time-taken").filter(|v| !v.is_empty()) {
        s.push(' ');
        s.push_str(t);
        s.push_str(" ms");
    }
    if let Some(c) = get("c-ip").filter(|v| !v.is_empty()) {
        s.push_str(" from ");
        s.push_str(c);
    }
    s
}

fn httperr_summary<'a>(get: &impl Fn(&str) -> Option<&'a str>) -> String {
    let mut s = String::new();
    push_some(&mut s, get("cs-method"));
    push_some(&mut s, get("cs-uri"));
    push_some(&mut s, get("sc-status"));
    push_some(&mut s, get("s-reason"));
    push_some(&mut s, get("s-queuename"));
    if let (Some(ip), Some(port)) = (get("c-ip"), get("c-port")) {
        s.push_str(&format!(" from {ip}:{port}"));
    }
    s
}

fn push_some(s: &mut String, v: Option<&str>) {
    if let Some(v) = v.filter(|v| !v.is_empty()) {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(v);
    }
}

/// True when the text looks like a W3C log of the given flavor: a `#Fields:` directive (or,
/// for files cut before it, `#Software:`) naming IIS or HTTP.sys fields or software.
pub fn sniff(head: &str) -> Option<Flavor> {
    let head = head.strip_prefix('\u{FEFF}').unwrap_or(head);
    let mut software = None;
    for line in head.lines().take(64) {
        let line = line.trim_end_matches('\r');
        if let Some(v) = line.strip_prefix("#Software:") {
            if v.contains("HTTP API") {
                software = Some(Flavor::HttpErr);
            } else if v.contains("Internet Information Services") {
                software = Some(Flavor::Iis);
            }
        } else if let Some(v) = line.strip_prefix("#Fields:") {
            let names: Vec<&str> = v.split_whitespace().collect();
            if names.contains(&"s-reason") {
                return Some(Flavor::HttpErr);
            }
            if names.iter().any(|n| {
                matches!(
                    *n,
                    "cs-uri-stem" | "sc-status" | "c-ip" | "cs-method" | "time-taken"
                )
            }) {
                return Some(software.unwrap_or(Flavor::Iis));
            }
        } else if !line.starts_with('#') && !line.is_empty() {
            break;
        }
    }
    software
}
