//! `diagnose` on the test stories, on the generated samples and on the shared corpus.

use std::path::{Path, PathBuf};

use super::*;
use crate::analysis::correlate::fixture::{Fixture, W3WP, W3WP_OTHER_THREAD};
use crate::analysis::correlate::scenarios::{self, CONNECT, REQUEST, REQUEST_2, Story};
use crate::analysis::correlate::{Outcome, requests};
use crate::timeline::TimelineOptions;

fn frames(finding: &Finding) -> Vec<usize> {
    finding.evidence.iter().map(|e| e.frame).collect()
}

fn only_finding(story: &Story) -> Finding {
    let report = diagnose(&story.session);
    assert_eq!(report.findings.len(), 1, "{}", render_text(&report));
    report.findings.into_iter().next().expect("one finding")
}

fn close_to(actual: Option<f64>, expected: f64) -> bool {
    actual.is_some_and(|a| (a - expected).abs() < 0.01)
}

#[test]
fn healthy_trace_has_no_finding() {
    let story = scenarios::healthy();
    let report = diagnose(&story.session);
    assert!(report.findings.is_empty());
    assert_eq!(report.requests_examined, 2);
    assert_eq!(
        render_text(&report),
        "No WinHTTP failure found (2 WinHTTP requests examined).\n"
    );
}

#[test]
fn receive_timeout_is_one_finding_with_its_frames() {
    let story = scenarios::receive_timeout();
    let f = only_finding(&story);
    assert_eq!(f.kind, FindingKind::ReceiveTimeout);
    assert!(close_to(f.observed_secs, 30.0), "{:?}", f.observed_secs);
    assert_eq!(f.configured_timeout_secs, Some(30.0));
    assert_eq!(
        (f.code, f.symbol.as_deref()),
        (Some(12002), Some("ERROR_WINHTTP_TIMEOUT"))
    );
    assert_eq!(f.process, "(1432)");
    assert_eq!(
        f.target.as_deref(),
        Some("web01.contoso.local:80/api/reports/monthly")
    );
    assert_eq!(f.client_status, Some(502));
    assert_eq!(
        frames(&f),
        [
            story.frame("timeouts"),
            story.frame("receive call"),
            story.frame("failed to receive headers"),
            story.frame("mapped"),
            story.frame("socket receive stop"),
            story.frame("returning"),
            story.frame("api stop"),
            story.frame("502"),
        ]
    );
    let failed = &f.evidence[2];
    assert!(
        failed
            .line
            .ends_with("sys-recver failed to receive headers; error = ? (1460)")
    );
    assert!(
        failed.time.starts_with("2024-01-01T00:00:3"),
        "{}",
        failed.time
    );
    assert!(
        f.title
            .starts_with("Receive time-out after 30.0 s (configured 30 s): "),
        "{}",
        f.title
    );
    assert!(f.explanation.contains("502"), "{}", f.explanation);
    assert!(f.explanation.contains("30.0 s"), "{}", f.explanation);
    let text = render_text(&diagnose(&story.session));
    assert!(
        text.starts_with("1 finding (1 WinHTTP request examined)."),
        "{text}"
    );
    assert!(
        text.contains(&format!("frame {}", story.frame("mapped"))),
        "{text}"
    );
    assert!(
        text.contains("Observed: 30.0 s (time-out set to 30.0 s on the request)"),
        "{text}"
    );
}

#[test]
fn offline_server_is_unreachable_not_a_timeout() {
    let story = scenarios::offline();
    let f = only_finding(&story);
    assert_eq!(f.kind, FindingKind::BackendNotAnswering);
    assert!(close_to(f.observed_secs, 21.0), "{:?}", f.observed_secs);
    assert_eq!(f.code, Some(12029));
    let shown = frames(&f);
    for label in [
        "tcp timeout",
        "webio connect failed",
        "mapped",
        "returning",
        "502",
    ] {
        assert!(
            shown.contains(&story.frame(label)),
            "{label} missing from {shown:?}"
        );
    }
    assert!(f.explanation.contains("SYN"), "{}", f.explanation);
}

#[test]
fn reset_mid_body_is_a_connection_abort() {
    let story = scenarios::reset();
    let f = only_finding(&story);
    assert_eq!(f.kind, FindingKind::ResetMidBody);
    assert_eq!(f.observed_secs, None);
    assert_eq!(f.code, Some(12030));
    let shown = frames(&f);
    assert_eq!(shown.first(), Some(&story.frame("read call")));
    for label in ["socket error 64", "mapped", "returning"] {
        assert!(
            shown.contains(&story.frame(label)),
            "{label} missing from {shown:?}"
        );
    }
    assert!(
        f.explanation
            .contains("ERROR_NETNAME_DELETED (64) -> ERROR_WINHTTP_CONNECTION_ERROR (12030)"),
        "{}",
        f.explanation
    );
}

#[test]
fn send_step_failures_by_kind() {
    for (story, kind, observed) in [
        ("tls", FindingKind::TlsFailure, None),
        ("dns", FindingKind::NameNotResolved, None),
        ("resolve timeout", FindingKind::ResolveTimeout, Some(10.0)),
        ("connect timeout", FindingKind::ConnectTimeout, Some(20.0)),
        ("send timeout", FindingKind::SendTimeout, Some(30.0)),
    ] {
        let s = scenarios::send_failure(story);
        let f = only_finding(&s);
        assert_eq!(f.kind, kind, "{story}");
        match observed {
            Some(secs) => assert!(
                close_to(f.observed_secs, secs),
                "{story}: {:?}",
                f.observed_secs
            ),
            None => assert_eq!(f.observed_secs, None, "{story}"),
        }
        let shown = frames(&f);
        assert!(shown.contains(&s.frame("decisive")), "{story}: {shown:?}");
        assert!(shown.contains(&s.frame("returning")), "{story}: {shown:?}");
    }
}

#[test]
fn article_offline_listing_is_a_back_end_not_answering() {
    // 10060 -> 12002 while receiving headers: TCP gave up, the back end is offline.
    let story = scenarios::article_lines();
    let f = only_finding(&story);
    assert_eq!(f.kind, FindingKind::BackendNotAnswering);
    assert!(close_to(f.observed_secs, 30.0), "{:?}", f.observed_secs);
    assert_eq!(f.configured_timeout_secs, Some(30.0));
    assert_eq!(f.configured_timeout_origin.as_deref(), Some("arr_default"));
    assert_eq!(frames(&f).first(), Some(&story.frame("echo")));
}

#[test]
fn handleless_lines_still_give_a_finding() {
    let story = scenarios::handleless_lines();
    let f = only_finding(&story);
    assert_eq!(f.kind, FindingKind::BackendNotAnswering);
    assert_eq!(f.target, None);
    assert_eq!(f.observed_secs, None);
    assert_eq!(frames(&f).first(), Some(&story.frame("first")));
}

#[test]
fn one_finding_per_failing_request() {
    let mut fx = Fixture::new();
    for (at, handle) in [(W3WP, REQUEST), (W3WP_OTHER_THREAD, REQUEST_2)] {
        fx.open_request(at, CONNECT, handle, "GET", "/slow");
        fx.call(at, handle, "WinHttpReceiveResponse", ", 0x0");
    }
    fx.wait_ms(30_000.0);
    for (at, handle) in [(W3WP, REQUEST), (W3WP_OTHER_THREAD, REQUEST_2)] {
        for _ in 0..3 {
            fx.text(at, "sys-recver failed to receive headers; error = ? (1460)");
        }
        fx.fail(
            at,
            handle,
            "WinHttpReceiveResponse",
            "ERROR_WINHTTP_TIMEOUT",
            12002,
        );
    }
    let report = diagnose(&fx.session());
    let kinds: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.kind, f.request_id))
        .collect();
    assert_eq!(
        kinds,
        [
            (FindingKind::ReceiveTimeout, 1),
            (FindingKind::ReceiveTimeout, 2)
        ]
    );
}

#[test]
fn trace_text_in_the_report_cannot_drive_the_terminal() {
    let story = scenarios::receive_timeout();
    let mut report = diagnose(&story.session);
    let hostile =
        "\u{1b}[2J\u{1b}]52;c;cGF5bG9hZA==\u{7}\u{1b}]0;title\u{7}\u{202e}exe.txt\u{9b}2J\u{1b}c";
    let finding = &mut report.findings[0];
    finding.title.push_str(hostile);
    finding.process.push_str(hostile);
    finding.target = Some(format!("web01{hostile}\nsecond line"));
    finding.url = Some(format!("http://web01{hostile}\nsecond line"));
    finding.backend_host = Some(format!("host{hostile}"));
    finding.arr_log_id = Some(hostile.to_string());
    finding.explanation.push_str(hostile);
    for e in &mut finding.evidence {
        e.line.push_str(hostile);
    }
    let text = render_text(&report);
    let raw: Vec<char> = text
        .chars()
        .filter(|&c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c))
        .collect();
    assert!(raw.is_empty(), "raw controls {raw:?} in:\n{text}");
    assert!(text.contains("\\u{001B}]52;c;"), "{text}");
    assert!(text.contains("web01\\u{001B}[2J"), "{text}");
    assert!(
        !text.contains("\nsecond line"),
        "a trace newline started a line"
    );
}

#[test]
fn report_serializes() {
    let story = scenarios::receive_timeout();
    let json = serde_json::to_value(diagnose(&story.session)).expect("serializes");
    assert_eq!(json["findings"][0]["kind"], "receive_timeout");
    assert_eq!(json["findings"][0]["code"], 12002);
    assert_eq!(json["requests_examined"], 1);
    assert!(json["findings"][0]["evidence"][0]["frame"].is_u64());
}

/// Directory of the shared sample corpus, or `None` (test skipped) when it is absent and
/// CI is not set.
fn shared_samples() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "CI=true but {} is missing",
        dir.display()
    );
    eprintln!("skipped: {} is missing", dir.display());
    None
}

#[test]
fn shared_samples_have_no_winhttp_findings() {
    let Some(dir) = shared_samples() else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("readable samples directory")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "etl"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .etl files in {}", dir.display());
    let mut opened = 0;
    for path in files {
        let Ok(session) = crate::timeline::Timeline::open(&path, TimelineOptions::default()) else {
            continue;
        };
        opened += 1;
        let report = diagnose(&session);
        eprintln!(
            "{}: {} events, {} WinHTTP requests",
            path.display(),
            session.len(),
            report.requests_examined
        );
        assert!(
            report.findings.is_empty(),
            "{}: {}",
            path.display(),
            render_text(&report)
        );
    }
    assert!(opened > 0, "no shared sample could be opened");
}

/// A generated sample: the committed file in `samples/`, else the generator's fresh output
/// (the two are equal; a samplegen test checks it).
fn generated_sample(name: &str) -> Option<crate::timeline::Timeline> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    if path.is_file() {
        let session = crate::timeline::Timeline::open(&path, TimelineOptions::default());
        return Some(session.unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    }
    let scenario = samplegen::scenarios()
        .into_iter()
        .find(|s| s.file_name == name)?;
    let trace = etl::Trace::from_bytes((scenario.build)())
        .unwrap_or_else(|e| panic!("generated {name}: {e}"));
    Some(crate::timeline::Timeline::from_trace(
        trace,
        TimelineOptions::default(),
    ))
}

fn assert_shows(finding: &Finding, wanted: &[usize]) {
    let shown = frames(finding);
    for frame in wanted {
        assert!(
            shown.contains(frame),
            "frame {frame} missing from {shown:?}"
        );
    }
}

#[test]
fn sample_healthy_has_two_good_requests_and_no_finding() {
    let session = generated_sample("arr-healthy.etl").expect("a sample of that name");
    let list = requests(&session);
    let summary: Vec<_> = list
        .iter()
        .map(|r| (r.target.as_deref(), r.outcome.clone(), r.errors.len()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                Some("web01.contoso.local:80/api/orders/1234"),
                Outcome::Ok(Some(200)),
                0
            ),
            (
                Some("web01.contoso.local:80/css/site.css"),
                Outcome::Ok(Some(200)),
                0
            ),
        ]
    );
    assert!(list.iter().all(|r| r.process == "w3wp.exe (1432)"));
    assert!(
        list.iter()
            .all(|r| r.client.as_ref().and_then(|c| c.status) == Some(200))
    );
    // The content server answers after 38 ms and 6 ms.
    assert!(
        (0.038..0.045).contains(&list[0].duration_secs),
        "{}",
        list[0].duration_secs
    );
    assert!(
        (0.006..0.010).contains(&list[1].duration_secs),
        "{}",
        list[1].duration_secs
    );
    let report = diagnose(&session);
    assert!(report.findings.is_empty(), "{}", render_text(&report));
    assert_eq!(report.requests_examined, 2);
}

#[test]
fn sample_timeout_reports_the_receive_timeout() {
    let session = generated_sample("arr-502-timeout.etl").expect("a sample of that name");
    let list = requests(&session);
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].outcome, Outcome::Ok(Some(200)));
    let failed = &list[1];
    assert_eq!(
        failed.target.as_deref(),
        Some("web01.contoso.local:80/api/reports/monthly?year=2024")
    );
    assert!(
        (30.0..30.1).contains(&failed.duration_secs),
        "{}",
        failed.duration_secs
    );
    let f = only_finding(&Story {
        session,
        marks: Vec::new(),
    });
    assert_eq!(f.kind, FindingKind::ReceiveTimeout);
    assert!(close_to(f.observed_secs, 30.0), "{:?}", f.observed_secs);
    assert_eq!(f.configured_timeout_secs, Some(30.0));
    assert_eq!(f.code, Some(12002));
    assert_eq!(f.process, "w3wp.exe (1432)");
    assert_eq!(f.client_status, Some(502));
    // failed to receive headers; mapped to ERROR_WINHTTP_TIMEOUT; returning 12002; the API
    // stop; the 502 handed to HTTP.sys.
    assert_shows(&f, &[195, 202, 209, 210, 223]);
}

#[test]
fn sample_reset_reports_the_aborted_connection() {
    let session = generated_sample("arr-502-reset.etl").expect("a sample of that name");
    let f = only_finding(&Story {
        session,
        marks: Vec::new(),
    });
    assert_eq!(f.kind, FindingKind::ResetMidBody);
    assert_eq!(
        f.target.as_deref(),
        Some("web01.contoso.local:80/api/export/orders.csv")
    );
    assert_eq!(f.code, Some(12030));
    assert_eq!(f.client_status, Some(502));
    // ERROR_NETNAME_DELETED mapped to 12030; WinHttpReadData fails with 12030.
    assert_shows(&f, &[209, 212]);
}

#[test]
fn sample_offline_reports_the_unreachable_server() {
    let session = generated_sample("arr-502-offline.etl").expect("a sample of that name");
    let f = only_finding(&Story {
        session,
        marks: Vec::new(),
    });
    assert_eq!(f.kind, FindingKind::BackendNotAnswering);
    assert!(close_to(f.observed_secs, 21.0), "{:?}", f.observed_secs);
    assert_eq!(f.code, Some(12029));
    assert_eq!(f.client_status, Some(502));
    // TcpConnectTcbTimeout; WebIO connect failed with 10060; mapped to 12029;
    // WinHttpSendRequest fails with 12029.
    assert_shows(&f, &[95, 99, 101, 103]);
}

/// Timing on a large generated trace: `ETLVIEW_LARGE_TRACE=path cargo test --lib
/// diagnose::tests::large_trace_timing -- --ignored --nocapture`.
#[test]
#[ignore = "measurement; needs ETLVIEW_LARGE_TRACE"]
fn large_trace_timing() {
    let Some(path) = std::env::var_os("ETLVIEW_LARGE_TRACE") else {
        return;
    };
    let started = std::time::Instant::now();
    let session = crate::timeline::Timeline::open(&path, TimelineOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let opened = started.elapsed();
    let started = std::time::Instant::now();
    let list = requests(&session);
    let grouped = started.elapsed();
    let started = std::time::Instant::now();
    let report = diagnose_requests(&session, &list);
    let diagnosed = started.elapsed();
    eprintln!(
        "{} events: open {opened:?}, requests {grouped:?} ({} requests), diagnose {diagnosed:?} \
         ({} findings)",
        session.len(),
        list.len(),
        report.findings.len()
    );
    let mut kinds: Vec<FindingKind> = report.findings.iter().map(|f| f.kind).collect();
    kinds.dedup();
    eprintln!("finding kinds: {kinds:?}");
    assert!(!list.is_empty());
}

mod properties {
    use super::*;
    use crate::analysis::correlate::fixture::{At, Payload};
    use proptest::prelude::*;

    /// One step of a random WinHTTP story.
    #[derive(Debug, Clone)]
    enum Step {
        Line(usize, usize),
        Start(usize, usize, usize),
        Stop(usize, usize, usize, u32),
        Create(usize, usize),
        Wait(u16),
    }

    const THREADS: [At; 3] = [
        W3WP,
        W3WP_OTHER_THREAD,
        At {
            pid: 1432,
            tid: 5124,
        },
    ];
    const HANDLES: [u64; 3] = [REQUEST, REQUEST_2, CONNECT];
    const APIS: [&str; 5] = [
        "WinHttpOpenRequest",
        "WinHttpSendRequest",
        "WinHttpReceiveResponse",
        "WinHttpReadData",
        "WinHttpCloseHandle",
    ];
    const LINES: [&str; 8] = [
        "sys-recver failed to receive headers; error = ? (1460)",
        "ERROR_WINHTTP_FROM_WIN32 mapped (WSAETIMEDOUT) 10060 to (ERROR_WINHTTP_TIMEOUT) 12002",
        "returning ERROR_WINHTTP_CANNOT_CONNECT (12029) from WinHttpSendRequest()",
        "WinHttpOpenRequest() returning handle 0x1e0c3f0",
        "WinHttpCloseHandle() returning TRUE",
        "sys-req opening a connection to web01:80 (10.0.0.21:80)",
        "WinHttpReceiveResponse(0x1e0de40, 0x0)",
        "sys-req failed to connect; error = WSAECONNREFUSED (10061)",
    ];

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (0..3usize, 0..8usize).prop_map(|(t, l)| Step::Line(t, l)),
            (0..3usize, 0..3usize, 0..5usize).prop_map(|(t, h, a)| Step::Start(t, h, a)),
            (
                0..3usize,
                0..3usize,
                0..5usize,
                prop_oneof![Just(0u32), Just(12002), Just(12030)]
            )
                .prop_map(|(t, h, a, r)| Step::Stop(t, h, a, r)),
            (0..3usize, 0..2usize).prop_map(|(t, h)| Step::Create(t, h)),
            (0..40_000u16).prop_map(Step::Wait),
        ]
    }

    fn write(steps: &[Step]) -> crate::timeline::Timeline {
        let mut fx = Fixture::new();
        for s in steps {
            match *s {
                Step::Line(t, l) => {
                    fx.text(THREADS[t], LINES[l]);
                }
                Step::Start(t, h, a) => {
                    fx.api_start(THREADS[t], HANDLES[h], APIS[a]);
                }
                Step::Stop(t, h, a, r) => {
                    fx.api_stop(THREADS[t], HANDLES[h], APIS[a], r);
                }
                Step::Create(t, h) => {
                    let payload = Payload::new()
                        .u64(HANDLES[h] << 4)
                        .u64(HANDLES[h])
                        .u64(1)
                        .u64(2)
                        .ansi("GET")
                        .utf16("/x")
                        .u16(1)
                        .u16(1)
                        .u32(0);
                    fx.webio(THREADS[t], 17, payload);
                }
                Step::Wait(ms) => fx.wait_ms(f64::from(ms)),
            }
        }
        fx.session()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn random_stories_keep_the_invariants(steps in proptest::collection::vec(step(), 0..40)) {
            let session = write(&steps);
            let list = requests(&session);
            for (i, r) in list.iter().enumerate() {
                prop_assert_eq!(r.id, i + 1);
                prop_assert!(r.start_frame <= r.end_frame);
                prop_assert!(r.start <= r.end && r.duration_secs >= 0.0);
                prop_assert!(r.frames.windows(2).all(|w| w[0] < w[1]));
                prop_assert!(r.frames.iter().all(|&f| f >= 2 && f <= session.len()));
                for e in &r.errors {
                    prop_assert!(r.frames.contains(&e.frame));
                }
            }
            prop_assert!(list.windows(2).all(|w| w[0].start <= w[1].start));
            let report = diagnose_requests(&session, &list);
            // One finding per failed request, plus at most the 502.4 summary.
            let per_request = report
                .findings
                .iter()
                .filter(|f| f.kind != FindingKind::NoHealthyMember)
                .count();
            prop_assert!(per_request <= list.len());
            prop_assert!(report.findings.len() <= list.len() + 1);
            for f in &report.findings {
                prop_assert!(list.iter().any(|r| r.id == f.request_id));
                prop_assert!(!f.evidence.is_empty());
                prop_assert!(f.evidence.windows(2).all(|w| w[0].frame < w[1].frame));
            }
            let _ = render_text(&report);
        }
    }
}

#[test]
fn unrelated_background_failures_are_not_findings() {
    let mut fx = Fixture::new();
    fx.text(
        W3WP,
        "sys-autoproxy detection failed; error = ERROR_WINHTTP_AUTODETECTION_FAILED (12180)",
    );
    let report = diagnose(&fx.session());
    assert_eq!(report.requests_examined, 1);
    assert!(report.findings.is_empty(), "{}", render_text(&report));
}
