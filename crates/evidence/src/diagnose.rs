//! The ARR 502 article's reasoning over logs, FREB and configuration: which of its known
//! causes the linked requests show, with the evidence of each source (file and line).
//!
//! - 502.3 with 12002 (ERROR_WINHTTP_TIMEOUT), ARR's time-taken close to the proxy time-out,
//!   the member took longer (its win32 status 64: ARR had gone) -> ARR timed out first;
//! - 502.3 with 12002 and nothing at all on the member -> resolve/connect time-out on ARR's
//!   side (only a WinHTTP trace tells which);
//! - 502.3 with 12030 (connection aborted), the member processed the request (FREB) but did
//!   not log it, HTTPERR has `Connection_Dropped` -> the member closed the connection;
//! - 502.3 with 12152 (invalid server response) -> the member's response was broken;
//! - 502.4 -> no healthy farm member (disabled in the farm, or failing health checks).

use std::path::PathBuf;
use std::time::Duration;

use crate::case::Case;
use crate::config::{ArrConfig, DEFAULT_PROXY_TIMEOUT};
use crate::correlate::{ArrRequest, RecordRef};
use crate::model::{Location, SourceKind, excerpt};

/// The article's conclusions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Conclusion {
    ArrTimedOutFirst,
    NoTrafficOnMember,
    MemberClosedConnection,
    InvalidResponse,
    NoHealthyMember,
}

impl Conclusion {
    pub fn title(self) -> &'static str {
        match self {
            Conclusion::ArrTimedOutFirst => {
                "ARR timed out first; the member finished after ARR had given up: raise the farm's \
                 time-out or find why the page is slow"
            }
            Conclusion::NoTrafficOnMember => {
                "ARR timed out but the member saw no traffic at all: a resolve or connect time-out \
                 on the ARR side (a WinHTTP trace of the ARR server tells which)"
            }
            Conclusion::MemberClosedConnection => {
                "the member closed the connection (e.g. Response.Close(), or a `Connection: close` \
                 header in the packets): it processed the request but never logged a response"
            }
            Conclusion::InvalidResponse => {
                "invalid response from the member (12152): its response was cut or malformed \
                 (e.g. Response.Close() after a partial Response.Flush())"
            }
            Conclusion::NoHealthyMember => {
                "no healthy member: ARR found no farm server to route to (members disabled or \
                 health checks failing)"
            }
        }
    }
}

/// One piece of evidence: a file, a place in it, what it shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub server: String,
    pub kind: SourceKind,
    pub path: PathBuf,
    pub at: Option<Location>,
    pub says: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub conclusion: Conclusion,
    /// How many ARR requests show it.
    pub requests: usize,
    pub evidence: Vec<Evidence>,
}

/// Evidence listed per finding: the first requests' full chains, then just the count.
const EVIDENCE_REQUESTS: usize = 3;

/// The Win32/WinHTTP code of an IIS `sc-win32-status` or a FREB `ErrorCode`
/// (`2147954402 (0x80072ee2)`, `0x80072EE2`, `12002`): HRESULTs of facility 7 give their low
/// 16 bits.
pub fn win32_code(text: &str) -> Option<u32> {
    let hex = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find_map(|t| {
            t.strip_prefix("0x")
                .or_else(|| t.strip_prefix("0X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
        });
    let n = hex.or_else(|| {
        text.split_whitespace()
            .next()
            .and_then(|t| t.parse::<u64>().ok())
            .map(|n| n as u32)
    })?;
    Some(if n & 0xFFFF_0000 == 0x8007_0000 {
        n & 0xFFFF
    } else {
        n
    })
}

struct Facts {
    status: Option<u32>,
    sub: Option<u32>,
    win32: Option<u32>,
    taken_ms: Option<u64>,
}

fn arr_facts(case: &Case, req: &ArrRequest) -> Facts {
    let line = req
        .arr_log
        .map(|r| &case.sources[r.source].records[r.record]);
    let freb = req.arr_freb.and_then(|i| case.sources[i].freb());
    Facts {
        status: line
            .and_then(|l| l.get_i64("sc-status"))
            .map(|v| v as u32)
            .or(freb.and_then(|f| f.status)),
        sub: line
            .and_then(|l| l.get_i64("sc-substatus"))
            .map(|v| v as u32)
            .or(freb.and_then(|f| f.sub_status)),
        win32: line
            .and_then(|l| l.get("sc-win32-status"))
            .and_then(win32_code)
            .filter(|&c| c != 0)
            .or_else(|| {
                freb.and_then(|f| f.error_code.as_deref())
                    .and_then(win32_code)
            }),
        taken_ms: line
            .and_then(|l| l.get_i64("time-taken"))
            .map(|v| v.max(0) as u64)
            .or(freb.and_then(|f| f.time_taken_ms)),
    }
}

fn member_taken_ms(case: &Case, req: &ArrRequest) -> Option<u64> {
    let line = req
        .member_log
        .map(|r| &case.sources[r.source].records[r.record]);
    line.and_then(|l| l.get_i64("time-taken"))
        .map(|v| v.max(0) as u64)
        .or_else(|| {
            req.member_freb
                .and_then(|i| case.sources[i].freb())
                .and_then(|f| f.time_taken_ms)
        })
}

fn config_of<'a>(case: &'a Case, server: &'a str) -> Option<(usize, &'a ArrConfig)> {
    case.sources_of(server, SourceKind::Config)
        .find_map(|s| {
            s.config()
                .filter(|c| !c.farms.is_empty() || c.proxy.is_some())
        })
        .and_then(|c| {
            case.sources
                .iter()
                .position(|s| s.config() == Some(c))
                .map(|i| (i, c))
        })
}

fn record_evidence(case: &Case, r: RecordRef, says: &str) -> Evidence {
    let src = &case.sources[r.source];
    let rec = &src.records[r.record];
    Evidence {
        server: src.server_name().to_string(),
        kind: src.kind,
        path: src.path.clone(),
        at: Some(rec.at.clone()),
        says: excerpt(&format!("{says}: {}", rec.summary)),
    }
}

fn source_evidence(case: &Case, i: usize, says: String) -> Evidence {
    let src = &case.sources[i];
    Evidence {
        server: src.server_name().to_string(),
        kind: src.kind,
        path: src.path.clone(),
        at: None,
        says: excerpt(&says),
    }
}

/// The chain of one request as evidence lines.
fn chain(case: &Case, req: &ArrRequest, out: &mut Vec<Evidence>) {
    if let Some(r) = req.arr_log {
        out.push(record_evidence(case, r, "ARR's IIS log"));
    }
    if let Some(i) = req.arr_freb
        && let Some(f) = case.sources[i].freb()
    {
        let mut says = format!(
            "ARR's FREB: {} {} {}{}, {} ms",
            f.verb,
            f.url,
            f.status.map_or(String::new(), |s| s.to_string()),
            f.sub_status.map_or(String::new(), |s| format!(".{s}")),
            f.time_taken_ms.map_or("?".into(), |t| t.to_string()),
        );
        match (&f.routed_to, &f.arr_log_id) {
            (Some(to), Some(id)) => {
                says.push_str(&format!(", routed to {to} with X-ARR-LOG-ID {id}"))
            }
            (Some(to), None) => says.push_str(&format!(", routed to {to}")),
            (None, _) => says.push_str(", not routed to any member (no ARR_SERVER_ROUTED)"),
        }
        out.push(source_evidence(case, i, says));
    }
    if let Some(i) = req.member_freb
        && let Some(f) = case.sources[i].freb()
    {
        out.push(source_evidence(
            case,
            i,
            format!(
                "member's FREB: same X-ARR-LOG-ID, {} {} status {}, {} ms",
                f.verb,
                f.url,
                f.status.map_or("?".into(), |s| s.to_string()),
                f.time_taken_ms.map_or("?".into(), |t| t.to_string()),
            ),
        ));
    }
    if let Some(r) = req.member_log {
        out.push(record_evidence(case, r, "member's IIS log"));
    }
    if let Some(r) = req.member_httperr {
        out.push(record_evidence(case, r, "member's HTTPERR log"));
    }
}

/// Runs the article's reasoning over linked requests.
pub fn diagnose(case: &Case, requests: &[ArrRequest]) -> Vec<Finding> {
    let mut findings: Vec<Finding> = Vec::new();
    for req in requests {
        let facts = arr_facts(case, req);
        if facts.status != Some(502) {
            continue;
        }
        let config = config_of(case, &req.arr_server);
        let timeout = config.map_or(DEFAULT_PROXY_TIMEOUT, |(_, c)| {
            c.timeout_for(req.routed_to.as_deref())
        });
        let mut extra = Vec::new();
        let conclusion = match (facts.sub, facts.win32) {
            (Some(3), Some(12002)) => {
                let member_ms = member_taken_ms(case, req);
                let near_timeout = facts.taken_ms.is_some_and(|t| close_to(t, timeout));
                if !req.reached_member() {
                    // Silence means something only where the member's logs cover the time.
                    if !member_logs_cover(case, req) {
                        continue;
                    }
                    extra.push(member_silence(case, req));
                    Conclusion::NoTrafficOnMember
                } else if near_timeout && member_ms.is_some_and(|m| Some(m) > facts.taken_ms) {
                    extra.push(timeout_evidence(
                        case,
                        config,
                        timeout,
                        facts.taken_ms,
                        member_ms,
                    ));
                    Conclusion::ArrTimedOutFirst
                } else {
                    continue;
                }
            }
            (Some(3), Some(12030)) => {
                let dropped = req.member_httperr.is_some_and(|r| {
                    case.sources[r.source].records[r.record]
                        .get("s-reason")
                        .is_some_and(|v| v.starts_with("Connection_"))
                });
                if !(dropped || (req.member_freb.is_some() && req.member_log.is_none())) {
                    continue;
                }
                if req.member_freb.is_some() && req.member_log.is_none() {
                    let m = req.member.as_deref().unwrap_or("?");
                    extra.push(Evidence {
                        server: m.to_string(),
                        kind: SourceKind::IisLog,
                        path: PathBuf::new(),
                        at: None,
                        says: format!(
                            "no line in {m}'s IIS logs for {} although its FREB shows the request",
                            req.path
                        ),
                    });
                }
                Conclusion::MemberClosedConnection
            }
            (Some(3), Some(12152)) => Conclusion::InvalidResponse,
            (Some(4), _) => {
                if let Some((i, c)) = config {
                    for f in &c.farms {
                        let down: Vec<&str> = f
                            .members
                            .iter()
                            .filter(|m| !m.enabled)
                            .map(|m| m.address.as_str())
                            .collect();
                        let mut says = format!(
                            "farm {} has {} member(s), {} disabled",
                            f.name,
                            f.members.len(),
                            down.len()
                        );
                        if !down.is_empty() {
                            says.push_str(&format!(" ({})", down.join(", ")));
                        }
                        if let Some(h) = &f.health_check {
                            says.push_str(&format!(
                                "; health check {} every {:?}",
                                h.url,
                                h.interval.unwrap_or(Duration::from_secs(30))
                            ));
                        }
                        let src = &case.sources[i];
                        extra.push(Evidence {
                            server: src.server_name().into(),
                            kind: src.kind,
                            path: src.path.clone(),
                            at: Some(Location::Line(f.line)),
                            says: excerpt(&says),
                        });
                        if let Some(h) = &f.health_check {
                            failing_health_checks(
                                case,
                                f,
                                &crate::correlate::uri_path(&h.url),
                                &mut extra,
                            );
                        }
                    }
                }
                Conclusion::NoHealthyMember
            }
            _ => continue,
        };
        let finding = match findings.iter_mut().find(|f| f.conclusion == conclusion) {
            Some(f) => f,
            None => {
                findings.push(Finding {
                    conclusion,
                    requests: 0,
                    evidence: Vec::new(),
                });
                findings.last_mut().expect("just pushed")
            }
        };
        finding.requests += 1;
        if finding.requests <= EVIDENCE_REQUESTS {
            chain(case, req, &mut finding.evidence);
            finding.evidence.extend(extra);
        }
    }
    findings.sort_by_key(|f| f.conclusion);
    findings
}

/// ARR's time-taken is "about" the time-out: within 10 % below or 2 s above it (ARR stops
/// waiting at the time-out, plus the time to write the error page).
fn close_to(taken_ms: u64, timeout: Duration) -> bool {
    let t = timeout.as_millis() as u64;
    taken_ms + t / 10 >= t && taken_ms <= t + 2000
}

fn timeout_evidence(
    case: &Case,
    config: Option<(usize, &ArrConfig)>,
    timeout: Duration,
    arr_ms: Option<u64>,
    member_ms: Option<u64>,
) -> Evidence {
    let says = format!(
        "proxy time-out {} s; ARR gave up after {} ms, the member needed {} ms",
        timeout.as_secs(),
        arr_ms.map_or("?".into(), |t| t.to_string()),
        member_ms.map_or("?".into(), |t| t.to_string()),
    );
    match config {
        Some((i, c)) => {
            let src = &case.sources[i];
            let line = c
                .farms
                .iter()
                .find_map(|f| {
                    f.protocol
                        .as_ref()
                        .filter(|p| p.timeout.is_some())
                        .map(|p| p.line)
                })
                .or(c
                    .proxy
                    .as_ref()
                    .filter(|p| p.timeout.is_some())
                    .map(|p| p.line));
            Evidence {
                server: src.server_name().into(),
                kind: src.kind,
                path: src.path.clone(),
                at: line.map(Location::Line),
                says: excerpt(&says),
            }
        }
        None => Evidence {
            server: String::new(),
            kind: SourceKind::Config,
            path: PathBuf::new(),
            at: None,
            says: format!("{says} (no configuration in the case: default)"),
        },
    }
}

/// The latest failed health check (status 400 or more on the check's path) in each enabled
/// member's IIS log.
fn failing_health_checks(
    case: &Case,
    farm: &crate::config::WebFarm,
    path: &str,
    out: &mut Vec<Evidence>,
) {
    for m in farm.members.iter().filter(|m| m.enabled) {
        let Some(server) = case.server_for(&m.address) else {
            continue;
        };
        let mut last: Option<(i64, RecordRef)> = None;
        for (i, src) in case.sources.iter().enumerate() {
            if src.kind != SourceKind::IisLog
                || !src.server_name().eq_ignore_ascii_case(&server.name)
            {
                continue;
            }
            for (j, r) in src.records.iter().enumerate() {
                let failed = r.get_i64("sc-status").is_some_and(|s| s >= 400);
                if failed
                    && crate::correlate::uri_path(r.get("cs-uri-stem").unwrap_or("")) == path
                    && last.is_none_or(|(t, _)| r.filetime >= t)
                {
                    last = Some((
                        r.filetime,
                        RecordRef {
                            source: i,
                            record: j,
                        },
                    ));
                }
            }
        }
        if let Some((_, r)) = last {
            out.push(record_evidence(
                case,
                r,
                &format!("health check of {} fails", m.address),
            ));
        }
    }
}

/// True when an IIS log of the member (or, when ARR's records do not name it, of every
/// non-ARR server) spans the request's start, give or take a minute.
fn member_logs_cover(case: &Case, req: &ArrRequest) -> bool {
    const MINUTE: i64 = 600_000_000;
    let arr = crate::correlate::arr_servers(case);
    let members: Vec<&str> = match &req.member {
        Some(m) => vec![m.as_str()],
        None if req.routed_to.is_some() => Vec::new(),
        None => case
            .servers
            .iter()
            .map(|s| s.name.as_str())
            .filter(|n| !arr.iter().any(|a| a.eq_ignore_ascii_case(n)))
            .collect(),
    };
    !members.is_empty()
        && members.iter().all(|m| {
            case.sources_of(m, SourceKind::IisLog).any(|src| {
                let lo = src.records.iter().map(|r| r.filetime).min();
                let hi = src.records.iter().map(|r| r.filetime).max();
                matches!((lo, hi), (Some(lo), Some(hi)) if lo - MINUTE <= req.start && req.start <= hi + MINUTE)
            })
        })
}

fn member_silence(case: &Case, req: &ArrRequest) -> Evidence {
    let who = req
        .member
        .clone()
        .or(req.routed_to.clone())
        .unwrap_or_else(|| "the member".into());
    let logs = req.member.as_deref().map_or(0, |m| {
        case.sources_of(m, SourceKind::IisLog).count()
            + case.sources_of(m, SourceKind::HttpErr).count()
            + case.sources_of(m, SourceKind::Freb).count()
    });
    Evidence {
        server: who.clone(),
        kind: SourceKind::IisLog,
        path: PathBuf::new(),
        at: None,
        says: format!(
            "{who}: no FREB, IIS log or HTTPERR record of {} in {logs} file(s) around the request",
            req.path
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(win32_code("12002"), Some(12002));
        assert_eq!(win32_code("2147954402 (0x80072ee2)"), Some(12002));
        assert_eq!(win32_code("0x80072EFE"), Some(12030));
        assert_eq!(
            win32_code("The server returned an invalid or unrecognized response (0x80072f78)"),
            Some(12152)
        );
        assert_eq!(win32_code("64"), Some(64));
        assert_eq!(win32_code(""), None);
        assert!(close_to(29_889, Duration::from_secs(30)));
        assert!(!close_to(15_000, Duration::from_secs(30)));
    }
}
