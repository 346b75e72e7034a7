//! Links each request that ARR proxied to what the member server recorded of it.
//!
//! On the ARR server, Failed Request Tracing names the member (`ARR_SERVER_ROUTED Server=`)
//! and the `X-ARR-LOG-ID` ARR added to the forwarded request; the member's FREB shows the same
//! ID among the received headers. IIS and HTTPERR logs carry no ID (unless a custom field
//! logs it), so their lines are matched by URI path and time, allowing for the clocks of the
//! two machines to differ by `skew`, and for W3C times being whole seconds written when the
//! request ends.

use std::collections::HashSet;
use std::time::Duration;

use crate::case::Case;
use crate::model::{Record, SourceKind};

const TICKS_PER_MS: i64 = 10_000;

/// A record of the case: `case.sources[source].records[record]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordRef {
    pub source: usize,
    pub record: usize,
}

/// One request through ARR and what each server recorded of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArrRequest {
    pub arr_server: String,
    /// The ARR server's FREB file (index into `case.sources`).
    pub arr_freb: Option<usize>,
    /// The ARR server's IIS log line.
    pub arr_log: Option<RecordRef>,
    pub arr_log_id: Option<String>,
    /// `ARR_SERVER_ROUTED Server` as ARR wrote it.
    pub routed_to: Option<String>,
    /// The member server of the case it resolved to.
    pub member: Option<String>,
    pub member_freb: Option<usize>,
    pub member_log: Option<RecordRef>,
    pub member_httperr: Option<RecordRef>,
    /// URI path (no scheme, host or query).
    pub path: String,
    /// FILETIMEs of ARR's view of the request.
    pub start: i64,
    pub end: i64,
}

impl ArrRequest {
    /// True when some record of the member was linked.
    pub fn reached_member(&self) -> bool {
        self.member_freb.is_some() || self.member_log.is_some() || self.member_httperr.is_some()
    }
}

/// How far apart two machines' records of one request may be.
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    pub skew: Duration,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            skew: Duration::from_secs(2),
        }
    }
}

/// The path of a URL or URI (`http://h:80/time/?x` -> `/time/`), lower-cased.
pub fn uri_path(url: &str) -> String {
    let rest = match url.split_once("://") {
        Some((_, after)) => after.find('/').map_or("/", |i| &after[i..]),
        None => url,
    };
    rest.split(['?', '#'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// End time of a W3C line (its `date time`) and its start (minus `time-taken`).
fn line_span(r: &Record) -> (i64, i64) {
    let taken = r.get_i64("time-taken").unwrap_or(0).clamp(0, 86_400_000) * TICKS_PER_MS;
    (r.filetime - taken, r.filetime)
}

/// The servers that run ARR: those with a configured farm or an ARR FREB.
pub fn arr_servers(case: &Case) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in &case.sources {
        let is_arr = s.config().is_some_and(|c| !c.farms.is_empty())
            || s.freb()
                .is_some_and(|f| f.arr_log_id_set_here || f.routed_to.is_some());
        if is_arr && !out.iter().any(|n| n.eq_ignore_ascii_case(s.server_name())) {
            out.push(s.server_name().to_string());
        }
    }
    out
}

/// Finds every ARR request of the case and links it to the member's records.
pub fn link(case: &Case, tol: Tolerance) -> Vec<ArrRequest> {
    let skew = tol.skew.as_millis() as i64 * TICKS_PER_MS;
    let second = 1000 * TICKS_PER_MS;
    let arr = arr_servers(case);
    let is_arr = |name: &str| arr.iter().any(|a| a.eq_ignore_ascii_case(name));
    let mut used: HashSet<RecordRef> = HashSet::new();
    let mut out = Vec::new();

    // 1. Requests ARR traced.
    for (i, src) in case.sources.iter().enumerate() {
        let Some(f) = src.freb() else { continue };
        if !is_arr(src.server_name())
            || !(f.arr_log_id_set_here || f.routed_to.is_some() || f.status == Some(502))
        {
            continue;
        }
        let start = f.start.unwrap_or(0);
        let taken = f
            .time_taken_ms
            .map_or(0, |t| t.min(86_400_000) as i64 * TICKS_PER_MS);
        let end = f.end.unwrap_or(start).max(start + taken);
        let mut req = ArrRequest {
            arr_server: src.server_name().to_string(),
            arr_freb: Some(i),
            arr_log_id: f.arr_log_id.clone(),
            routed_to: f.routed_to.clone(),
            path: uri_path(&f.url),
            start,
            end,
            ..ArrRequest::default()
        };
        // The ARR log line is written when the request ends, in whole seconds.
        req.arr_log = closest_line(
            case,
            &req.arr_server,
            SourceKind::IisLog,
            &req.path,
            &used,
            |r| {
                let (_, t) = line_span(r);
                (t >= end - skew - second && t <= end + skew + second).then(|| (t - end).abs())
            },
        );
        if let Some(r) = req.arr_log {
            used.insert(r);
        }
        out.push(req);
    }
    // 2. ARR log lines with a 502 that no FREB explained.
    for name in &arr {
        for (i, src) in case.sources.iter().enumerate() {
            if src.kind != SourceKind::IisLog || !src.server_name().eq_ignore_ascii_case(name) {
                continue;
            }
            for (j, r) in src.records.iter().enumerate() {
                let rr = RecordRef {
                    source: i,
                    record: j,
                };
                if r.get_i64("sc-status") != Some(502) || used.contains(&rr) {
                    continue;
                }
                let (start, end) = line_span(r);
                used.insert(rr);
                out.push(ArrRequest {
                    arr_server: name.clone(),
                    arr_log: Some(rr),
                    path: uri_path(r.get("cs-uri-stem").unwrap_or("")),
                    start,
                    end,
                    ..ArrRequest::default()
                });
            }
        }
    }
    out.sort_by_key(|r| r.start);

    // 3. The member's side: the named member, else (no ARR FREB, or an address no folder
    // answers to) whichever non-ARR server recorded the request.
    let others: Vec<String> = case
        .servers
        .iter()
        .map(|s| s.name.clone())
        .filter(|n| !is_arr(n))
        .collect();
    for req in &mut out {
        req.member = req
            .routed_to
            .as_deref()
            .and_then(|w| case.server_for(w))
            .map(|s| s.name.clone());
        if let Some(id) = req.arr_log_id.clone() {
            for (i, src) in case.sources.iter().enumerate() {
                let Some(f) = src.freb() else { continue };
                if !f.arr_log_id_set_here
                    && f.arr_log_id
                        .as_deref()
                        .is_some_and(|x| x.eq_ignore_ascii_case(&id))
                {
                    req.member_freb = Some(i);
                    if req.member.is_none() {
                        req.member = Some(src.server_name().to_string());
                    }
                    break;
                }
            }
        }
        let candidates: Vec<String> = match &req.member {
            Some(m) => vec![m.clone()],
            None if req.routed_to.is_none() => others.clone(),
            None => Vec::new(),
        };
        let mut best: Option<(i64, MemberSide)> = None;
        for member in &candidates {
            let side = member_side(case, req, member, skew, &used);
            if let Some(score) = side.score
                && best.as_ref().is_none_or(|(b, _)| score < *b)
            {
                best = Some((score, side));
            }
        }
        if let Some((_, side)) = best {
            req.member = Some(side.server);
            req.member_freb = req.member_freb.or(side.freb);
            req.member_log = side.log;
            req.member_httperr = side.httperr;
            for r in [req.member_log, req.member_httperr].into_iter().flatten() {
                used.insert(r);
            }
        }
    }
    out
}

/// What one server recorded of a request, and how close the best match is (`None`: nothing).
struct MemberSide {
    server: String,
    freb: Option<usize>,
    log: Option<RecordRef>,
    httperr: Option<RecordRef>,
    score: Option<i64>,
}

fn member_side(
    case: &Case,
    req: &ArrRequest,
    member: &str,
    skew: i64,
    used: &HashSet<RecordRef>,
) -> MemberSide {
    let second = 1000 * TICKS_PER_MS;
    let (lo, hi) = (req.start - skew - second, req.end + skew + second);
    // The member's FREB: by X-ARR-LOG-ID (already found), else by path and start time.
    let freb = req.member_freb.or_else(|| {
        case.sources
            .iter()
            .enumerate()
            .filter_map(|(i, src)| {
                let f = src.freb()?;
                let start = f.start.filter(|&s| s >= lo && s <= hi)?;
                (src.server_name().eq_ignore_ascii_case(member)
                    && !f.arr_log_id_set_here
                    && uri_path(&f.url) == req.path)
                    .then_some(((start - req.start).abs(), i))
            })
            .min()
            .map(|(_, i)| i)
    });
    let member_end = freb.and_then(|i| case.sources[i].freb()).and_then(|f| {
        let taken = f
            .time_taken_ms
            .map_or(0, |t| t.min(86_400_000) as i64 * TICKS_PER_MS);
        f.end.map(|e| e.max(f.start.unwrap_or(e) + taken))
    });
    let hi = hi.max(member_end.map_or(hi, |m| m + skew + second));
    let id = req.arr_log_id.clone();
    let log = closest_line(case, member, SourceKind::IisLog, &req.path, used, |r| {
        if let (Some(id), Some(v)) = (&id, logged_arr_id(r)) {
            return v.eq_ignore_ascii_case(id).then_some(0);
        }
        let (s, e) = line_span(r);
        match member_end {
            Some(m) => (e >= m - skew - second && e <= m + skew + second).then(|| (e - m).abs()),
            None => (s >= lo - second && s <= hi).then(|| (s - req.start).abs()),
        }
    });
    let httperr = closest_line(case, member, SourceKind::HttpErr, &req.path, used, |r| {
        (r.filetime >= lo && r.filetime <= hi)
            .then(|| (r.filetime - member_end.unwrap_or(req.end)).abs())
    });
    let at = |r: RecordRef| case.sources[r.source].records[r.record].filetime;
    let score = if freb.is_some() {
        Some(0)
    } else {
        [log, httperr]
            .into_iter()
            .flatten()
            .map(|r| {
                (line_span(&case.sources[r.source].records[r.record]).0 - req.start)
                    .abs()
                    .min((at(r) - req.end).abs())
            })
            .min()
    };
    MemberSide {
        server: member.to_string(),
        freb,
        log,
        httperr,
        score,
    }
}

/// `X-ARR-LOG-ID` logged as a custom field (`X-ARR-LOG-ID` or `cs(X-ARR-LOG-ID)`).
fn logged_arr_id(r: &Record) -> Option<&str> {
    r.get("X-ARR-LOG-ID")
        .or_else(|| r.get("cs(X-ARR-LOG-ID)"))
        .filter(|v| !v.is_empty())
}

/// The unused line of `server`'s logs of `kind` for `path` with the smallest distance.
fn closest_line(
    case: &Case,
    server: &str,
    kind: SourceKind,
    path: &str,
    used: &HashSet<RecordRef>,
    distance: impl Fn(&Record) -> Option<i64>,
) -> Option<RecordRef> {
    let mut best: Option<(i64, RecordRef)> = None;
    for (i, src) in case.sources.iter().enumerate() {
        if src.kind != kind || !src.server_name().eq_ignore_ascii_case(server) {
            continue;
        }
        for (j, r) in src.records.iter().enumerate() {
            let rr = RecordRef {
                source: i,
                record: j,
            };
            let uri = r
                .get("cs-uri-stem")
                .or_else(|| r.get("cs-uri"))
                .unwrap_or("");
            if used.contains(&rr) || uri_path(uri) != path {
                continue;
            }
            if let Some(d) = distance(r)
                && best.is_none_or(|(b, _)| d < b)
            {
                best = Some((d, rr));
            }
        }
    }
    best.map(|(_, r)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(uri_path("http://web01:80/Time/?a=1"), "/time/");
        assert_eq!(uri_path("/time/"), "/time/");
        assert_eq!(uri_path("http://host"), "/");
    }
}
