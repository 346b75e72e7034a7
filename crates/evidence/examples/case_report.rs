//! `cargo run -p etlview-evidence --example case_report -- DIR...`: what a case folder holds,
//! the ARR requests linked across servers, and the log-side diagnosis (until the `etlview
//! case` command shows the same on the timeline).

use std::path::PathBuf;
use std::process::ExitCode;

use etlview_evidence::case::discover;
use etlview_evidence::correlate::{Tolerance, link};
use etlview_evidence::diagnose::diagnose;

fn main() -> ExitCode {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        eprintln!("usage: case_report DIR...");
        return ExitCode::from(2);
    }
    let case = match discover(&paths) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("case_report: error: {e}");
            return ExitCode::from(2);
        }
    };
    for s in &case.sources {
        let how = s
            .server
            .as_ref()
            .map_or("?".to_string(), |g| format!("{:?}", g.how));
        println!(
            "{:8} {:6} {:4} records {:2} damaged  {} ({how})",
            s.kind.name(),
            s.server_name(),
            s.records.len(),
            s.damage.len(),
            s.path.display()
        );
        for d in &s.damage {
            println!("    damage: {d}");
        }
    }
    for (p, why) in &case.skipped {
        eprintln!("skipped {}: {why}", p.display());
    }
    let requests = link(&case, Tolerance::default());
    println!("\n{} ARR request(s)", requests.len());
    for r in &requests {
        println!(
            "  {} {} -> {} (member FREB {}, log {}, HTTPERR {})",
            r.path,
            r.arr_log_id.as_deref().unwrap_or("-"),
            r.member.as_deref().unwrap_or("?"),
            r.member_freb.is_some(),
            r.member_log.is_some(),
            r.member_httperr.is_some()
        );
    }
    let findings = diagnose(&case, &requests);
    for f in &findings {
        println!(
            "\n{:?} ({} request(s)): {}",
            f.conclusion,
            f.requests,
            f.conclusion.title()
        );
        for e in &f.evidence {
            let at = e.at.as_ref().map_or(String::new(), |a| format!(" {a}"));
            println!(
                "  [{} {}] {}{at}: {}",
                e.server,
                e.kind.name(),
                e.path.display(),
                e.says
            );
        }
    }
    if findings.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
