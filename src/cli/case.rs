//! `etlview case PATH...`: a case folder as people collect it (per server: IIS logs, Failed
//! Request Tracing, HTTPERR, applicationHost.config, netsh traces and net.cab), read at once.
//! Every file is recognised by its content and given to a server; ARR requests are linked to
//! their member requests by X-ARR-LOG-ID, time and URI; the log-side conclusions of the ARR
//! article are drawn with evidence per file, and the traces found are opened on one timeline
//! and diagnosed too.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use super::{CliError, DecodeArgs, Outcome};
use crate::analysis::diagnose;
use crate::timeline::Timeline;
use etl::sanitize::for_terminal;
use evidence::case::{Case, discover};
use evidence::correlate::{ArrRequest, Tolerance, link};
use evidence::model::SourceKind;

/// One file of the case, for the report.
#[derive(Debug, Serialize)]
struct FileLine {
    kind: &'static str,
    server: String,
    path: String,
    records: usize,
    damage: Vec<String>,
}

/// One ARR request and what it was linked to.
#[derive(Debug, Serialize)]
struct ChainLine {
    arr_server: String,
    path: String,
    arr_log_id: Option<String>,
    routed_to: Option<String>,
    member: Option<String>,
    member_freb: bool,
    member_log: bool,
    member_httperr: bool,
}

#[derive(Debug, Serialize)]
struct EvidenceLine {
    server: String,
    kind: &'static str,
    path: String,
    at: Option<String>,
    says: String,
}

#[derive(Debug, Serialize)]
struct FindingLine {
    conclusion: String,
    title: &'static str,
    requests: usize,
    evidence: Vec<EvidenceLine>,
}

#[derive(Debug, Serialize)]
struct CaseReport {
    servers: Vec<String>,
    files: Vec<FileLine>,
    skipped: Vec<(String, String)>,
    requests: Vec<ChainLine>,
    findings: Vec<FindingLine>,
    /// The diagnosis of the traces of the case, opened on one timeline.
    traces: Option<diagnose::Report>,
}

pub(super) fn run_case(
    paths: &[PathBuf],
    json: bool,
    decode: &DecodeArgs,
) -> Result<Outcome, CliError> {
    let case = discover(paths).map_err(|e| CliError(format!("reading the case: {e}")))?;
    if case.sources.is_empty() {
        return Err(CliError(format!(
            "found no IIS log, HTTPERR log, Failed Request Tracing file, config, trace or net.cab under {}",
            paths
                .iter()
                .map(|p| for_terminal(&p.display().to_string()).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let requests = link(&case, Tolerance::default());
    let findings = evidence::diagnose::diagnose(&case, &requests);
    let traces: Vec<PathBuf> = case
        .sources
        .iter()
        .filter(|s| s.kind == SourceKind::Etl)
        .map(|s| s.path.clone())
        .collect();
    let trace_report = if traces.is_empty() {
        None
    } else {
        let timeline = Timeline::open_all(&traces, decode.options())?;
        Some(diagnose::diagnose(&timeline))
    };
    let report = CaseReport {
        servers: case.servers.iter().map(|s| s.name.clone()).collect(),
        files: files(&case),
        skipped: case
            .skipped
            .iter()
            .map(|(p, why)| (p.display().to_string(), why.clone()))
            .collect(),
        requests: requests.iter().map(chain).collect(),
        findings: findings
            .iter()
            .map(|f| FindingLine {
                conclusion: format!("{:?}", f.conclusion),
                title: f.conclusion.title(),
                requests: f.requests,
                evidence: f
                    .evidence
                    .iter()
                    .map(|e| EvidenceLine {
                        server: e.server.clone(),
                        kind: e.kind.name(),
                        path: e.path.display().to_string(),
                        at: e.at.as_ref().map(ToString::to_string),
                        says: e.says.clone(),
                    })
                    .collect(),
            })
            .collect(),
        traces: trace_report,
    };
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        out.write_all(render(&report).as_bytes())?;
    }
    let trace_findings = report
        .traces
        .as_ref()
        .is_some_and(|t| !t.findings.is_empty());
    Ok(if report.findings.is_empty() && !trace_findings {
        Outcome::NothingMatched
    } else {
        Outcome::Ok
    })
}

fn files(case: &Case) -> Vec<FileLine> {
    case.sources
        .iter()
        .map(|s| FileLine {
            kind: s.kind.name(),
            server: s.server_name().to_string(),
            path: s.path.display().to_string(),
            records: s.records.len(),
            damage: s.damage.iter().map(ToString::to_string).collect(),
        })
        .collect()
}

fn chain(r: &ArrRequest) -> ChainLine {
    ChainLine {
        arr_server: r.arr_server.clone(),
        path: r.path.clone(),
        arr_log_id: r.arr_log_id.clone(),
        routed_to: r.routed_to.clone(),
        member: r.member.clone(),
        member_freb: r.member_freb.is_some(),
        member_log: r.member_log.is_some(),
        member_httperr: r.member_httperr.is_some(),
    }
}

/// The text report; every string from the evidence goes through `for_terminal`.
fn render(r: &CaseReport) -> String {
    use std::fmt::Write as _;
    let t = |s: &str| for_terminal(s).into_owned();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Case: {} server(s): {}",
        r.servers.len(),
        t(&r.servers.join(", "))
    );
    for f in &r.files {
        let _ = writeln!(
            s,
            "  {:<8} {:<12} {:>6} records  {}",
            f.kind,
            t(&f.server),
            f.records,
            t(&f.path)
        );
        for d in &f.damage {
            let _ = writeln!(s, "           damaged: {}", t(d));
        }
    }
    for (path, why) in &r.skipped {
        let _ = writeln!(s, "  skipped  {}: {}", t(path), t(why));
    }
    let reached = r
        .requests
        .iter()
        .filter(|c| c.member_freb || c.member_log || c.member_httperr)
        .count();
    let _ = writeln!(
        s,
        "\nARR requests: {} ({reached} linked to their member request)",
        r.requests.len()
    );
    for c in r.requests.iter().take(20) {
        let found: Vec<&str> = [
            (c.member_freb, "FREB"),
            (c.member_log, "IIS log"),
            (c.member_httperr, "HTTPERR"),
        ]
        .iter()
        .filter(|(has, _)| *has)
        .map(|(_, name)| *name)
        .collect();
        let _ = writeln!(
            s,
            "  {} {} -> {} [{}]{}",
            t(&c.arr_server),
            t(&c.path),
            t(c.member
                .as_deref()
                .or(c.routed_to.as_deref())
                .unwrap_or("?")),
            if found.is_empty() {
                "nothing on the member".to_string()
            } else {
                found.join(", ")
            },
            c.arr_log_id
                .as_deref()
                .map(|id| format!(" X-ARR-LOG-ID {}", t(id)))
                .unwrap_or_default()
        );
    }
    if r.requests.len() > 20 {
        let _ = writeln!(
            s,
            "  ... {} more (--json lists them all)",
            r.requests.len() - 20
        );
    }
    if r.findings.is_empty() {
        let _ = writeln!(s, "\nLogs: no conclusion from the logs and configuration.");
    }
    for f in &r.findings {
        let _ = writeln!(s, "\nFinding ({} request(s)): {}", f.requests, t(f.title));
        for e in &f.evidence {
            let _ = writeln!(
                s,
                "  [{} {}] {}{}: {}",
                t(&e.server),
                e.kind,
                t(&e.path),
                e.at.as_deref().map(|a| format!(" {a}")).unwrap_or_default(),
                t(&e.says)
            );
        }
    }
    if let Some(traces) = &r.traces {
        let _ = writeln!(s, "\nTraces:");
        s.push_str(&diagnose::render_text(traces));
    }
    s
}
