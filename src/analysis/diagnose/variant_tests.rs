//! Table-driven: each trace variant written unlike the bundled samples, with the kind, back
//! end, request, wait, configured time-out, evidence and request count it must give.

use super::*;
use crate::analysis::correlate::scenarios::Story;
use crate::analysis::correlate::{requests, variants};

struct Expect {
    name: &'static str,
    story: fn() -> Story,
    requests: usize,
    /// `None`: a healthy trace, no finding at all.
    kind: Option<FindingKind>,
    backend: Option<&'static str>,
    request_line: Option<(&'static str, &'static str)>,
    observed: Option<f64>,
    configured: Option<f64>,
    /// Marks whose frames must be among the evidence.
    evidence: &'static [&'static str],
}

const BASE: Expect = Expect {
    name: "",
    story: variants::article_slow,
    requests: 1,
    kind: None,
    backend: None,
    request_line: None,
    observed: None,
    configured: None,
    evidence: &[],
};

const WEB02: Option<&str> = Some("web02.contoso.local (10.0.0.22:80)");
const EXPORT: Option<(&str, &str)> = Some(("GET", "/reports/export.aspx"));

fn table() -> Vec<Expect> {
    vec![
        Expect {
            name: "article 1460 listing, completion on a pool thread",
            story: variants::article_slow,
            kind: Some(FindingKind::ReceiveTimeout),
            backend: WEB02,
            request_line: EXPORT,
            observed: Some(30.0),
            configured: Some(30.0),
            evidence: &["timeouts", "receive call", "decisive", "returning"],
            ..BASE
        },
        Expect {
            name: "article 1460 listing among lines of unknown shapes",
            story: variants::article_slow_with_noise,
            kind: Some(FindingKind::ReceiveTimeout),
            backend: WEB02,
            request_line: EXPORT,
            observed: Some(30.0),
            configured: Some(30.0),
            evidence: &["timeouts", "decisive"],
            ..BASE
        },
        Expect {
            name: "article offline listing",
            story: variants::article_offline,
            kind: Some(FindingKind::BackendNotAnswering),
            backend: Some("web03.contoso.local (10.0.0.23:80)"),
            request_line: Some(("GET", "/time/")),
            observed: Some(21.0),
            configured: Some(60.0),
            evidence: &["connect attempt", "decisive"],
            ..BASE
        },
        Expect {
            name: "text-log request ids with stream dumps",
            story: variants::text_log,
            requests: 2,
            kind: Some(FindingKind::ReceiveTimeout),
            backend: Some("web01.contoso.local (10.0.0.21:80)"),
            request_line: Some(("POST", "/orders/submit")),
            observed: Some(30.0),
            configured: Some(30.0),
            evidence: &["receive call", "decisive"],
        },
        Expect {
            name: "thread pool, first request times out",
            story: || variants::thread_pool(true),
            requests: 2,
            kind: Some(FindingKind::ReceiveTimeout),
            backend: Some("web01.contoso.local (10.0.0.21:80)"),
            request_line: Some(("GET", "/slow.aspx")),
            observed: Some(30.0),
            configured: Some(30.0),
            evidence: &["decisive"],
        },
        Expect {
            name: "thread pool, both answered",
            story: || variants::thread_pool(false),
            requests: 2,
            ..BASE
        },
        Expect {
            name: "refused",
            story: || variants::failing("refused"),
            kind: Some(FindingKind::ConnectionRefused),
            backend: WEB02,
            request_line: EXPORT,
            observed: Some(0.001),
            evidence: &["connect attempt", "decisive"],
            ..BASE
        },
        Expect {
            name: "name not resolved",
            story: || variants::failing("name"),
            kind: Some(FindingKind::NameNotResolved),
            backend: Some("web02.contoso.local:80"),
            request_line: EXPORT,
            evidence: &["decisive"],
            ..BASE
        },
        Expect {
            name: "reset before the response on a reused connection",
            story: || variants::failing("reset before"),
            kind: Some(FindingKind::ResetBeforeResponse),
            backend: WEB02,
            request_line: EXPORT,
            evidence: &["decisive"],
            ..BASE
        },
        Expect {
            name: "reset mid-body",
            story: || variants::failing("reset body"),
            kind: Some(FindingKind::ResetMidBody),
            backend: WEB02,
            request_line: EXPORT,
            evidence: &["decisive"],
            ..BASE
        },
        Expect {
            name: "invalid response",
            story: || variants::failing("invalid"),
            kind: Some(FindingKind::InvalidResponse),
            backend: WEB02,
            request_line: EXPORT,
            evidence: &["decisive"],
            ..BASE
        },
        Expect {
            name: "tls 12175",
            story: || variants::failing("12175"),
            kind: Some(FindingKind::TlsFailure),
            backend: Some("web02.contoso.local (10.0.0.22:443)"),
            request_line: EXPORT,
            evidence: &["decisive"],
            ..BASE
        },
        Expect {
            name: "tls 12044",
            story: || variants::failing("12044"),
            kind: Some(FindingKind::TlsFailure),
            backend: Some("web02.contoso.local (10.0.0.22:443)"),
            request_line: EXPORT,
            evidence: &["decisive"],
            ..BASE
        },
        Expect {
            name: "tls 12045",
            story: || variants::failing("12045"),
            kind: Some(FindingKind::TlsFailure),
            backend: Some("web02.contoso.local (10.0.0.22:443)"),
            request_line: EXPORT,
            evidence: &["decisive"],
            ..BASE
        },
        Expect {
            name: "tls 12057",
            story: || variants::failing("12057"),
            kind: Some(FindingKind::TlsFailure),
            backend: Some("web02.contoso.local (10.0.0.22:443)"),
            request_line: EXPORT,
            evidence: &["decisive"],
            ..BASE
        },
        Expect {
            name: "proxy autodetect 12180",
            story: || variants::failing("12180"),
            kind: Some(FindingKind::ProxyAutodetect),
            backend: Some("web02.contoso.local:80"),
            request_line: EXPORT,
            evidence: &["decisive"],
            ..BASE
        },
        Expect {
            name: "proxy script 12167",
            story: || variants::failing("12167"),
            kind: Some(FindingKind::ProxyAutodetect),
            backend: Some("web02.contoso.local:80"),
            request_line: EXPORT,
            evidence: &["decisive"],
            ..BASE
        },
        Expect {
            name: "opened before the trace",
            story: variants::opened_before_trace,
            kind: Some(FindingKind::ResetMidBody),
            evidence: &["decisive"],
            ..BASE
        },
        Expect {
            name: "packets only, SYNs never answered",
            story: || variants::packets_only("offline"),
            kind: Some(FindingKind::BackendNotAnswering),
            backend: Some("10.0.0.22:80"),
            observed: Some(9.0),
            evidence: &["connect attempt", "decisive"],
            ..BASE
        },
        Expect {
            name: "packets only, reset before the response",
            story: || variants::packets_only("reset"),
            kind: Some(FindingKind::ResetBeforeResponse),
            backend: Some("web02.contoso.local (10.0.0.22:80)"),
            request_line: EXPORT,
            evidence: &["decisive"],
            ..BASE
        },
        Expect {
            name: "packets only, answered",
            story: || variants::packets_only("healthy"),
            ..BASE
        },
        Expect {
            name: "WebIO only",
            story: variants::webio_only,
            kind: Some(FindingKind::ConnectionRefused),
            backend: Some("10.0.0.24:8080"),
            request_line: Some(("GET", "/catalog/items?page=2")),
            observed: Some(0.001),
            evidence: &["connect attempt", "decisive"],
            ..BASE
        },
    ]
}

#[test]
fn every_variant_gives_its_diagnosis() {
    let mut failures = Vec::new();
    for e in table() {
        let story = (e.story)();
        let list = requests(&story.session);
        let report = diagnose(&story.session);
        let text = render_text(&report);
        let mut check = |ok: bool, what: String| {
            if !ok {
                failures.push(format!("{}: {what}\n{text}", e.name));
            }
        };
        check(
            list.len() == e.requests,
            format!("{} requests, want {}", list.len(), e.requests),
        );
        check(
            report.requests_examined == e.requests,
            "requests examined".into(),
        );
        let Some(kind) = e.kind else {
            check(
                report.findings.is_empty(),
                "a finding in a healthy trace".into(),
            );
            continue;
        };
        check(
            report.findings.len() == 1,
            format!("{} findings", report.findings.len()),
        );
        let Some(f) = report.findings.first() else {
            continue;
        };
        check(f.kind == kind, format!("kind {:?}", f.kind));
        let request = list.iter().find(|r| r.id == f.request_id);
        check(
            request.is_some_and(|r| {
                r.backend.host == f.backend_host && r.backend.address == f.backend_address
            }),
            "finding and request disagree on the back end".into(),
        );
        let backend = request.and_then(|r| r.backend.display());
        check(
            backend.as_deref() == e.backend,
            format!("back end {backend:?}"),
        );
        let line = f.verb.as_deref().zip(f.url.as_deref());
        check(line == e.request_line, format!("request line {line:?}"));
        let near = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() < 0.01,
            (None, None) => true,
            _ => false,
        };
        check(
            near(f.observed_secs, e.observed),
            format!("observed {:?}", f.observed_secs),
        );
        if e.configured.is_some() {
            check(
                near(f.configured_timeout_secs, e.configured),
                format!("configured {:?}", f.configured_timeout_secs),
            );
        }
        let shown: Vec<usize> = f.evidence.iter().map(|x| x.frame).collect();
        for label in e.evidence {
            check(
                shown.contains(&story.frame(label)),
                format!(
                    "{label} (frame {}) not in evidence {shown:?}",
                    story.frame(label)
                ),
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn article_title_names_back_end_request_and_times() {
    let report = diagnose(&variants::article_slow().session);
    let f = report.findings.first().expect("a finding");
    assert_eq!(
        f.title,
        "Receive time-out after 30.0 s (configured 30 s): web02.contoso.local (10.0.0.22:80) GET /reports/export.aspx"
    );
    assert_eq!(f.configured_timeout_origin.as_deref(), Some("session"));
    assert_eq!(f.threads, [variants::WORKER.tid, variants::POOL_1.tid]);
    assert_eq!(f.connection, Some(ConnectionUse::New));
    assert_eq!(
        f.error_chain,
        ["ERROR_TIMEOUT (1460)", "ERROR_WINHTTP_TIMEOUT (12002)"]
    );
    let json = serde_json::to_value(&report).expect("serializes");
    assert_eq!(json["findings"][0]["backend_address"], "10.0.0.22:80");
    assert_eq!(json["findings"][0]["url"], "/reports/export.aspx");
    assert_eq!(json["requests_examined"], 1);
}

#[test]
fn text_log_request_carries_arr_headers() {
    let story = variants::text_log();
    let list = requests(&story.session);
    let slow = list
        .iter()
        .find(|r| r.path.as_deref() == Some("/orders/submit"));
    let slow = slow.expect("the POST");
    assert_eq!(
        slow.arr_log_id.as_deref(),
        Some("dbf06c50-adb0-4141-8c04-20bc2f193a61")
    );
    assert_eq!(slow.forwarded_for.as_deref(), Some("192.168.0.204:49247"));
    assert_eq!(slow.tag.as_deref(), Some("0000004"));
    let fast = list
        .iter()
        .find(|r| r.path.as_deref() == Some("/health"))
        .expect("the GET");
    assert_eq!(fast.status, Some(200));
    assert_eq!(fast.connection, Some(ConnectionUse::Reused));
}

#[test]
fn reset_mid_body_counts_bytes_of_content_length() {
    let report = diagnose(&variants::failing("reset body").session);
    let f = report.findings.first().expect("a finding");
    assert_eq!(
        (f.bytes_received, f.content_length),
        (Some(8192), Some(52000))
    );
    assert!(f.title.contains("after 8192 of 52000 bytes"), "{}", f.title);
}

#[test]
fn request_opened_before_the_trace_is_kept() {
    let list = requests(&variants::opened_before_trace().session);
    assert_eq!(list.len(), 1);
    assert!(list[0].started_before_trace);
    assert_eq!(list[0].bytes_received, Some(4096));
}

#[test]
fn every_member_failing_to_connect_is_502_4() {
    let report = diagnose(&variants::no_healthy_member().session);
    let kinds: Vec<_> = report.findings.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            FindingKind::ConnectionRefused,
            FindingKind::BackendNotAnswering,
            FindingKind::NoHealthyMember
        ]
    );
    assert_eq!(report.requests_examined, 2);
}

#[test]
fn a_trace_without_winhttp_says_so() {
    let mut fx = crate::analysis::correlate::fixture::Fixture::new();
    fx.other(
        crate::analysis::correlate::fixture::SYSTEM,
        uuid::uuid!("22fb2cd6-0e7b-422b-a0c7-2fad1fd0e716"),
        1,
        4,
        crate::analysis::correlate::fixture::Payload::new().u32(1),
    );
    let report = diagnose(&fx.session());
    assert!(!report.winhttp_events);
    assert!(render_text(&report).starts_with("No WinHTTP events in this trace"));
}
