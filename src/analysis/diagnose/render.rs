//! The human-readable report: one block per finding with its frame numbers.

use std::fmt::Write;

use super::explain::code_text;
use super::{ARR_DEFAULT_TIMEOUT_SECS, Report};

/// Width the explanation is wrapped to.
const WRAP: usize = 92;

/// Greedy word wrap; every line gets `indent`.
fn wrap(text: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len().saturating_add(word.len()).saturating_add(1) > WRAP {
            let _ = writeln!(out, "{indent}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}{line}");
    }
    out
}

/// The report as a support engineer's note. Every text taken from the trace (title, process,
/// target, explanation, evidence) is shown with its control characters and bidi overrides
/// escaped, one line each: trace text never drives the terminal.
pub fn render_text(report: &Report) -> String {
    use etl::sanitize::for_terminal as t;
    let mut out = String::new();
    let examined = match report.requests_examined {
        1 => "1 WinHTTP request examined".to_string(),
        n => format!("{n} WinHTTP requests examined"),
    };
    if !report.winhttp_events {
        let _ = writeln!(
            out,
            "No WinHTTP events in this trace: nothing to diagnose (record with `netsh trace \
             start scenario=InternetClient capture=yes level=verbose` on the ARR server)."
        );
        return out;
    }
    if report.findings.is_empty() {
        let _ = writeln!(out, "No WinHTTP failure found ({examined}).");
        return out;
    }
    let count = match report.findings.len() {
        1 => "1 finding".to_string(),
        n => format!("{n} findings"),
    };
    let _ = writeln!(out, "{count} ({examined}).");
    for (number, finding) in report.findings.iter().enumerate() {
        let _ = writeln!(out);
        let _ = writeln!(out, "[{}] {}", number.saturating_add(1), t(&finding.title));
        let _ = writeln!(out, "    Process:  {}", t(&finding.process));
        let backend = crate::analysis::correlate::Backend {
            host: finding.backend_host.clone(),
            address: finding.backend_address.clone(),
            port: None,
        }
        .display();
        if let Some(backend) = backend {
            let connection = match finding.connection {
                Some(crate::analysis::correlate::ConnectionUse::New) => ", new connection",
                Some(crate::analysis::correlate::ConnectionUse::Reused) => ", reused connection",
                None => "",
            };
            let _ = writeln!(out, "    Back end: {}{connection}", t(&backend));
        }
        if let Some(url) = &finding.url {
            let verb = finding.verb.as_deref().unwrap_or("?");
            let _ = writeln!(out, "    Request:  {} {}", t(verb), t(url));
        } else if let Some(target) = &finding.target {
            let _ = writeln!(out, "    Target:   {}", t(target));
        }
        for (name, value) in [
            ("X-ARR-LOG-ID", &finding.arr_log_id),
            ("X-Forwarded-For", &finding.forwarded_for),
        ] {
            if let Some(value) = value {
                let _ = writeln!(out, "    {name}: {}", t(value));
            }
        }
        if let Some(observed) = finding.observed_secs {
            let limit = match (
                finding.configured_timeout_secs,
                finding.configured_timeout_origin.as_deref(),
            ) {
                (Some(_), Some("arr_default")) | (None, _) => {
                    format!("ARR default time-out {ARR_DEFAULT_TIMEOUT_SECS:.0} s")
                }
                (Some(configured), Some(origin)) => {
                    format!("time-out set to {configured:.1} s on the {origin}")
                }
                (Some(configured), None) => format!("time-out set to {configured:.1} s"),
            };
            let _ = writeln!(out, "    Observed: {observed:.1} s ({limit})");
        }
        if let Some(code) = finding.code {
            let _ = writeln!(
                out,
                "    Error:    {}",
                code_text(code, finding.symbol.as_deref())
            );
        }
        if let Some(status) = finding.client_status {
            let _ = writeln!(out, "    Browser:  got {status}");
        }
        let _ = writeln!(out);
        out.push_str(&wrap(&t(&finding.explanation), "    "));
        let _ = writeln!(out);
        let _ = writeln!(out, "    Evidence:");
        let width = finding
            .evidence
            .iter()
            .map(|e| e.frame.to_string().len())
            .max()
            .unwrap_or(1);
        for e in &finding.evidence {
            let _ = writeln!(
                out,
                "      frame {:>width$}  {}  {}",
                e.frame,
                t(&e.time),
                t(&e.line)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_words_and_indent() {
        let text = "word ".repeat(40);
        let wrapped = wrap(&text, "  ");
        assert!(wrapped.lines().count() > 1);
        for line in wrapped.lines() {
            assert!(line.starts_with("  word"));
            assert!(line.len() <= WRAP + 2);
        }
        assert_eq!(wrapped.split_whitespace().count(), 40);
        assert_eq!(wrap("", "  "), "");
    }

    #[test]
    fn empty_report_says_so() {
        let report = Report {
            findings: Vec::new(),
            requests_examined: 2,
            winhttp_events: true,
        };
        assert_eq!(
            render_text(&report),
            "No WinHTTP failure found (2 WinHTTP requests examined).\n"
        );
        let none = Report {
            findings: Vec::new(),
            requests_examined: 0,
            winhttp_events: false,
        };
        assert!(render_text(&none).starts_with("No WinHTTP events in this trace"));
    }
}
