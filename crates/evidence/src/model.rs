//! The uniform shape of every piece of evidence: a [`Source`] (one file, its metadata and its
//! damage report) holding [`Record`]s (one request line, one FREB event, one event-log record)
//! with a UTC FILETIME, named fields and the place in the file they came from.

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::ArrConfig;
use crate::freb::FrebRequest;
use crate::netcab::NetCab;

/// What a file is, recognised from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKind {
    /// IIS W3C extended log (`u_ex*.log`).
    IisLog,
    /// HTTP.sys error log (`httperr*.log`).
    HttpErr,
    /// Failed Request Tracing file (`fr*.xml`).
    Freb,
    /// `applicationHost.config` or `web.config`.
    Config,
    /// `net.cab` written by `netsh trace stop`.
    NetCab,
    /// An ETW trace (`*.etl`): listed here, opened by the trace reader.
    Etl,
}

impl SourceKind {
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::IisLog => "IIS log",
            SourceKind::HttpErr => "HTTPERR",
            SourceKind::Freb => "FREB",
            SourceKind::Config => "config",
            SourceKind::NetCab => "net.cab",
            SourceKind::Etl => "ETL",
        }
    }
}

/// How the server a file belongs to was determined, most trustworthy first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Attribution {
    /// The log's `s-computername` field.
    ComputerNameField,
    /// FREB's `<Computer>` (or a `computerName` attribute).
    FrebComputer,
    /// The machine facts inside net.cab (`COMPUTERNAME`).
    NetCabFacts,
    /// The log's `s-ip` field (an address, not a name).
    ServerIp,
    /// Another file of the same server folder told it.
    SameFolder,
    /// The name of the folder the file was collected in.
    FolderName,
}

/// The server a file belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerGuess {
    pub name: String,
    pub how: Attribution,
}

/// Where in its file a record or a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// 1-based line of a text file (W3C logs; the start line of an XML element).
    Line(u32),
    /// The `index`-th (1-based) `<Event>` of a FREB file, starting on `line`.
    Element { line: u32, index: u32 },
    /// A byte offset in the file.
    Offset(u64),
    /// A record of an event log stored inside a cabinet.
    EvtxRecord { member: String, record_id: u64 },
    /// A member file of a cabinet.
    CabMember(String),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Element { line, index } => write!(f, "event {index} (line {line})"),
            Location::Offset(o) => write!(f, "offset {o:#x}"),
            Location::EvtxRecord { member, record_id } => write!(f, "{member} record {record_id}"),
            Location::CabMember(m) => write!(f, "{m}"),
        }
    }
}

/// One problem found while reading a file; the rest of the file still loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub at: Location,
    /// What the format requires there.
    pub expected: String,
    /// What the file holds instead (sanitized, shortened).
    pub found: String,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: expected {}, found {}",
            self.at, self.expected, self.found
        )
    }
}

/// Shortens and sanitizes untrusted text for a damage report or a summary.
pub(crate) fn excerpt(s: &str) -> String {
    const MAX: usize = 120;
    let clean = etl::sanitize::for_terminal(s);
    if clean.chars().count() <= MAX {
        clean.into_owned()
    } else {
        let mut out: String = clean.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

/// What a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// One request line of an IIS log.
    IisRequest,
    /// One line of an HTTP.sys error log.
    HttpErr,
    /// One `<Event>` of a Failed Request Tracing file.
    FrebEvent,
    /// One record of a Windows event log (`*.evtx`).
    EventLog,
}

/// One timestamped piece of evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// UTC, 100 ns units since 1601-01-01 (FILETIME).
    pub filetime: i64,
    pub kind: RecordKind,
    /// Named fields: W3C names for logs (`sc-status`, `time-taken`...), `Opcode`, `Computer`
    /// and the `EventData` names for FREB and event logs. Values are decoded (`+` is a space,
    /// `-` is empty) but not sanitized: sanitize when displaying. Names are shared by all the
    /// records of a `#Fields` block.
    pub fields: Vec<(Arc<str>, String)>,
    /// One line for a table (sanitized).
    pub summary: String,
    pub at: Location,
}

impl Record {
    /// The value of a field, by name (ASCII case-insensitive, as W3C names are).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A field read as an integer (`None` when absent, empty or not a number).
    pub fn get_i64(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(|v| v.trim().parse().ok())
    }

    /// The line this record starts on.
    pub fn line(&self) -> u32 {
        match self.at {
            Location::Line(n) | Location::Element { line: n, .. } => n,
            _ => 0,
        }
    }
}

/// What a file carries besides its records.
#[derive(Debug, Clone, PartialEq)]
pub enum Details {
    /// W3C directives of a log, in file order (`Software`, `Version`, `Date`, `Fields`...).
    W3c {
        directives: Vec<(u32, String, String)>,
        field_blocks: usize,
    },
    Freb(Box<FrebRequest>),
    Config(Box<ArrConfig>),
    NetCab(Box<NetCab>),
    None,
}

/// One parsed file.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub path: PathBuf,
    pub kind: SourceKind,
    pub server: Option<ServerGuess>,
    /// The time zone the file's times are written in, as read from it (`UTC` for W3C logs
    /// and FREB, the machine's zone for net.cab facts).
    pub time_zone: Option<String>,
    pub details: Details,
    pub records: Vec<Record>,
    pub damage: Vec<Damage>,
}

impl Source {
    pub(crate) fn new(path: PathBuf, kind: SourceKind) -> Source {
        Source {
            path,
            kind,
            server: None,
            time_zone: None,
            details: Details::None,
            records: Vec::new(),
            damage: Vec::new(),
        }
    }

    pub fn freb(&self) -> Option<&FrebRequest> {
        match &self.details {
            Details::Freb(r) => Some(r),
            _ => None,
        }
    }

    pub fn config(&self) -> Option<&ArrConfig> {
        match &self.details {
            Details::Config(c) => Some(c),
            _ => None,
        }
    }

    pub fn net_cab(&self) -> Option<&NetCab> {
        match &self.details {
            Details::NetCab(c) => Some(c),
            _ => None,
        }
    }

    /// Indices of `records` in time order (stable: equal times keep file order). Records stay
    /// in file order because W3C lines are not strictly time-ordered (IIS writes a line when
    /// its request ends) and correlation refers to them by index.
    pub fn time_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.records.len()).collect();
        order.sort_by_key(|&i| self.records[i].filetime);
        order
    }

    /// The server name, or `?` when nothing told it.
    pub fn server_name(&self) -> &str {
        self.server.as_ref().map_or("?", |s| s.name.as_str())
    }
}

/// 1-based line numbers of byte offsets in a text, found by binary search over the line
/// starts (roxmltree's `text_pos_at` rescans from the start: quadratic over a file's nodes).
pub(crate) struct Lines(Vec<usize>);

impl Lines {
    pub(crate) fn new(text: &str) -> Lines {
        Lines(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        )
    }

    pub(crate) fn line_at(&self, offset: usize) -> u32 {
        (self.0.partition_point(|&nl| nl < offset) + 1) as u32
    }
}

/// FILETIME of a UTC civil time; `None` for impossible dates. Written by hand because W3C
/// and FREB times are fixed-width digits and this runs once per log line.
pub fn civil_to_filetime(
    y: i64,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
    ticks: u32,
) -> Option<i64> {
    if !(1601..=9999).contains(&y) || !(1..=12).contains(&mo) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(y as i32, mo, d)?;
    let days = date
        .signed_duration_since(chrono::NaiveDate::from_ymd_opt(1601, 1, 1)?)
        .num_days();
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s);
    Some(secs * 10_000_000 + i64::from(ticks))
}

/// Parses `YYYY-MM-DD` into (year, month, day).
pub(crate) fn parse_date(s: &str) -> Option<(i64, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    Some((
        digits(&s[0..4])? as i64,
        digits(&s[5..7])?,
        digits(&s[8..10])?,
    ))
}

/// Parses `HH:MM:SS[.fffffff]` into (h, m, s, 100 ns ticks).
pub(crate) fn parse_time(s: &str) -> Option<(u32, u32, u32, u32)> {
    let (hms, frac) = match s.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let b = hms.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let ticks = match frac {
        None => 0,
        Some(f) if !f.is_empty() && f.len() <= 7 => digits(f)? * 10u32.pow(7 - f.len() as u32),
        Some(_) => return None,
    };
    Some((
        digits(&hms[0..2])?,
        digits(&hms[3..5])?,
        digits(&hms[6..8])?,
        ticks,
    ))
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses an ISO-8601 UTC time as FREB and event logs write it
/// (`2026-06-08T19:54:49.287Z`, up to 7 fraction digits, `Z` optional).
pub fn parse_iso_utc(s: &str) -> Option<i64> {
    let s = s.trim();
    let s = s.strip_suffix('Z').unwrap_or(s);
    let (date, time) = s.split_once('T')?;
    let (y, mo, d) = parse_date(date)?;
    // Some writers give 9 fraction digits; keep the first 7 (100 ns).
    let time = match time.split_once('.') {
        Some((hms, frac)) if frac.len() > 7 => format!("{hms}.{}", &frac[..7]),
        _ => time.to_string(),
    };
    let (h, mi, sec, ticks) = parse_time(&time)?;
    civil_to_filetime(y, mo, d, h, mi, sec, ticks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetime_matches_chrono() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-02-10T22:40:00.1234567Z").unwrap();
        let want = etl::clock::datetime_to_filetime(t.with_timezone(&chrono::Utc));
        assert_eq!(
            civil_to_filetime(2026, 2, 10, 22, 40, 0, 1_234_567),
            Some(want)
        );
        assert_eq!(parse_iso_utc("2026-02-10T22:40:00.1234567Z"), Some(want));
        assert_eq!(parse_iso_utc("2026-02-10T22:40:00.123456789Z"), Some(want));
        assert_eq!(civil_to_filetime(2026, 2, 30, 0, 0, 0, 0), None);
        assert_eq!(parse_time("12:00"), None);
        assert_eq!(parse_time("12:00:01.5"), Some((12, 0, 1, 5_000_000)));
    }
}
