//! Request correlation on the test stories of `scenarios`.

use super::fixture::{Fixture, Payload, W3WP, W3WP_OTHER_THREAD};
use super::scenarios::{self, CONNECT, REQUEST, REQUEST_2};
use super::*;

fn close_to(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() < 0.01
}

#[test]
fn healthy_requests_are_listed_with_targets_and_status() {
    let story = scenarios::healthy();
    let list = requests(&story.session);
    assert_eq!(list.len(), 2, "{list:#?}");
    let (first, second) = (&list[0], &list[1]);
    assert_eq!((first.id, second.id), (1, 2));
    assert_eq!(first.handle, Some(REQUEST));
    assert_eq!(second.handle, Some(REQUEST_2));
    assert_eq!(first.verb.as_deref(), Some("GET"));
    assert_eq!(
        first.target.as_deref(),
        Some("web01.contoso.local:80/api/orders/1234")
    );
    // The second request reuses the connection: the server comes from the first.
    assert_eq!(
        second.target.as_deref(),
        Some("web01.contoso.local:80/css/site.css")
    );
    assert_eq!(first.remote_address.as_deref(), Some("10.0.0.21:80"));
    assert_eq!(first.outcome, Outcome::Ok(Some(200)));
    assert_eq!(second.outcome, Outcome::Ok(Some(200)));
    assert!(first.errors.is_empty() && second.errors.is_empty());
    assert_eq!(first.start_frame, story.frame("first start"));
    assert_eq!(second.start_frame, story.frame("second start"));
    assert_eq!((first.thread, second.thread), (2216, 3308));
    assert_eq!(first.process, "(1432)");
    assert!(first.duration_secs > 0.038 && first.duration_secs < 0.05);
    assert!(first.end_frame < second.start_frame);
    let client = first.client.as_ref().expect("browser request matched");
    assert_eq!(client.status, Some(200));
    assert_eq!(
        client.url.as_deref(),
        Some("http://www.contoso.com:80/api/orders/1234")
    );
    assert_eq!(client.response_frame, Some(story.frame("first response")));
    assert!(first.frames.contains(&story.frame("first response")));
    assert_eq!(
        second.client.as_ref().and_then(|c| c.response_frame),
        Some(story.frame("second response"))
    );
    assert!(first.frames.windows(2).all(|w| w[0] < w[1]));
    let calls: Vec<&str> = first.calls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        calls,
        [
            "WinHttpOpenRequest",
            "WinHttpSetTimeouts",
            "WinHttpSendRequest",
            "WinHttpReceiveResponse",
            "WinHttpReadData",
            "WinHttpCloseHandle"
        ]
    );
    assert!(first.calls.iter().all(|c| c.result == Some(0)));
}

#[test]
fn receive_timeout_request_has_its_error_chain() {
    let story = scenarios::receive_timeout();
    let list = requests(&story.session);
    assert_eq!(list.len(), 1, "{list:#?}");
    let r = &list[0];
    assert_eq!(
        r.outcome,
        Outcome::Failed {
            code: 12002,
            symbol: Some("ERROR_WINHTTP_TIMEOUT".into())
        }
    );
    assert_eq!(r.outcome.to_string(), "ERROR_WINHTTP_TIMEOUT (12002)");
    let frames: Vec<usize> = r.errors.iter().map(|e| e.frame).collect();
    assert_eq!(
        frames,
        [
            story.frame("failed to receive headers"),
            story.frame("mapped"),
            story.frame("socket receive stop"),
            story.frame("returning"),
            story.frame("api stop"),
        ]
    );
    let first = &r.errors[0];
    assert_eq!(
        (first.code, first.symbol.as_deref()),
        (1460, Some("ERROR_TIMEOUT"))
    );
    assert_eq!(first.kind, FailureKind::Timeout);
    assert_eq!(first.phase, Phase::ReceiveHeaders);
    assert!(close_to(first.phase_elapsed_secs, 30.0), "{first:?}");
    assert!(close_to(r.duration_secs, 30.0), "{}", r.duration_secs);
    assert_eq!(
        r.timeouts.map(|t| (t.receive_ms, t.frame)),
        Some((30_000, story.frame("timeouts")))
    );
    assert_eq!(r.client.as_ref().and_then(|c| c.status), Some(502));
    assert!(r.frames.contains(&story.frame("502")));
}

#[test]
fn tcp_events_from_a_dpc_join_by_tcb() {
    let story = scenarios::offline();
    let list = requests(&story.session);
    assert_eq!(list.len(), 1);
    let r = &list[0];
    let first = &r.errors[0];
    assert_eq!(first.frame, story.frame("tcp timeout"));
    assert_eq!(first.kind, FailureKind::Unreachable);
    assert_eq!(first.symbol.as_deref(), Some("STATUS_IO_TIMEOUT"));
    assert_eq!(first.phase, Phase::Connect);
    assert!(close_to(first.phase_elapsed_secs, 21.0), "{first:?}");
    let webio = r
        .errors
        .iter()
        .find(|e| e.frame == story.frame("webio connect failed"));
    assert_eq!(
        webio.map(|e| (e.code, e.kind, e.phase)),
        Some((10060, FailureKind::Unreachable, Phase::Connect))
    );
    assert_eq!(
        r.outcome,
        Outcome::Failed {
            code: 12029,
            symbol: Some("ERROR_WINHTTP_CANNOT_CONNECT".into())
        }
    );
}

#[test]
fn echo_lines_alone_make_a_request() {
    let story = scenarios::article_lines();
    let list = requests(&story.session);
    assert_eq!(list.len(), 1);
    let r = &list[0];
    assert_eq!(r.handle, Some(0x11d_23d0));
    assert_eq!(r.start_frame, story.frame("echo"));
    assert_eq!(r.errors.len(), 5);
    assert_eq!(r.errors[0].frame, story.frame("first error"));
    assert_eq!(r.errors[0].phase, Phase::ReceiveHeaders);
    assert_eq!(
        r.outcome,
        Outcome::Failed {
            code: 12002,
            symbol: Some("ERROR_WINHTTP_TIMEOUT".into())
        }
    );
}

#[test]
fn handleless_failure_lines_are_grouped_by_thread() {
    let story = scenarios::handleless_lines();
    let list = requests(&story.session);
    assert_eq!(list.len(), 1, "{list:#?}");
    assert_eq!(list[0].handle, None);
    assert_eq!(list[0].thread, 2216);
    assert_eq!(list[0].start_frame, story.frame("first"));
    assert_eq!(list[0].errors.len(), 2);
}

#[test]
fn a_reused_handle_starts_a_new_request() {
    let mut fx = Fixture::new();
    for path in ["/a", "/b"] {
        fx.open_request(W3WP, CONNECT, REQUEST, "GET", path);
        fx.call(W3WP, REQUEST, "WinHttpSendRequest", "");
        fx.succeed(W3WP, REQUEST, "WinHttpSendRequest");
        fx.close(W3WP, REQUEST);
        fx.wait_ms(5000.0);
    }
    let list = requests(&fx.session());
    let paths: Vec<_> = list.iter().map(|r| r.target.clone()).collect();
    assert_eq!(paths, [Some("/a".to_string()), Some("/b".to_string())]);
    assert!(list.iter().all(|r| r.handle == Some(REQUEST)));
    assert!(list.iter().all(|r| r.outcome == Outcome::Unknown));
}

#[test]
fn concurrent_requests_on_two_threads_stay_apart() {
    let mut fx = Fixture::new();
    fx.open_request(W3WP, CONNECT, REQUEST, "GET", "/slow");
    fx.open_request(W3WP_OTHER_THREAD, CONNECT, REQUEST_2, "GET", "/fast");
    fx.call(W3WP, REQUEST, "WinHttpReceiveResponse", ", 0x0");
    fx.call(
        W3WP_OTHER_THREAD,
        REQUEST_2,
        "WinHttpReceiveResponse",
        ", 0x0",
    );
    let fast_line = fx.text(
        W3WP_OTHER_THREAD,
        "sys-recver failed; error = WSAECONNRESET (10054)",
    );
    let slow_line = fx.text(
        W3WP,
        "sys-recver failed to receive headers; error = ? (1460)",
    );
    let list = requests(&fx.session());
    assert_eq!(list.len(), 2);
    let by_handle = |h| list.iter().find(|r| r.handle == Some(h)).expect("request");
    let frames = |h| -> Vec<usize> { by_handle(h).errors.iter().map(|e| e.frame).collect() };
    assert_eq!(frames(REQUEST), [slow_line]);
    assert_eq!(frames(REQUEST_2), [fast_line]);
}

#[test]
fn other_providers_make_no_requests() {
    let mut fx = Fixture::new();
    let provider = uuid::uuid!("22fb2cd6-0e7b-422b-a0c7-2fad1fd0e716");
    fx.other(W3WP, provider, 1, 2, Payload::new().u32(5));
    fx.other(
        W3WP,
        provider,
        2,
        2,
        Payload::new().utf16("12:00:00.000 ::failed (12002)"),
    );
    fx.browser_response(W3WP, 7, 502);
    let session = fx.session();
    assert!(requests(&session).is_empty());
}

#[test]
fn classify_event_on_key_lines() {
    let story = scenarios::receive_timeout();
    let s = &story.session;
    let class = |label: &str| {
        let e = s.event(story.frame(label) - 1).expect("event");
        classify_event(s, &e)
    };
    assert_eq!(
        class("failed to receive headers"),
        Some(Failure {
            kind: FailureKind::Timeout,
            code: Some(1460),
            symbol: Some("ERROR_TIMEOUT".into())
        })
    );
    assert_eq!(
        class("mapped").map(|f| (f.kind, f.code)),
        Some((FailureKind::Timeout, Some(12002)))
    );
    assert_eq!(
        class("api stop"),
        Some(Failure {
            kind: FailureKind::Timeout,
            code: Some(12002),
            symbol: Some("ERROR_WINHTTP_TIMEOUT".into())
        })
    );
    assert_eq!(
        class("socket receive stop").map(|f| (f.kind, f.symbol)),
        Some((FailureKind::Timeout, Some("WSAETIMEDOUT".into())))
    );
    assert_eq!(
        class("502"),
        Some(Failure {
            kind: FailureKind::HttpStatus,
            code: Some(502),
            symbol: Some("HTTP 502".into())
        })
    );
    assert_eq!(class("receive call"), None);
    assert_eq!(class("timeouts"), None);
    let header = s.event(0).expect("header");
    assert_eq!(classify_event(s, &header), None);

    let offline = scenarios::offline();
    let s = &offline.session;
    let class = |label: &str| {
        let e = s.event(offline.frame(label) - 1).expect("event");
        classify_event(s, &e)
    };
    assert_eq!(
        class("tcp timeout"),
        Some(Failure {
            kind: FailureKind::Unreachable,
            code: Some(0xC000_00B5),
            symbol: Some("STATUS_IO_TIMEOUT".into())
        })
    );
    assert_eq!(
        class("webio connect failed").map(|f| (f.kind, f.code)),
        Some((FailureKind::Unreachable, Some(10060)))
    );
    assert_eq!(
        class("mapped").map(|f| (f.kind, f.code)),
        Some((FailureKind::Unreachable, Some(12029)))
    );
}

#[test]
fn requests_serialize() {
    let story = scenarios::receive_timeout();
    let list = requests(&story.session);
    let json = serde_json::to_value(&list).expect("serializes");
    assert_eq!(json[0]["outcome"]["Failed"]["code"], 12002);
    assert_eq!(json[0]["errors"][0]["phase"], "receive_headers");
    assert_eq!(json[0]["errors"][0]["kind"], "timeout");
}

#[test]
fn classify_event_on_dns_and_schannel_events() {
    use super::failure::{DNS_CLIENT_PROVIDER, SCHANNEL_EVENTS_PROVIDER};
    let mut fx = Fixture::new();
    let dns = |status: u32| {
        Payload::new()
            .utf16("web02.contoso.local")
            .u32(1)
            .u64(0)
            .u32(status)
            .utf16("")
    };
    let not_found = fx.other(W3WP, DNS_CLIENT_PROVIDER, 3008, 4, dns(9003));
    let no_records = fx.other(W3WP, DNS_CLIENT_PROVIDER, 3008, 4, dns(9501));
    let resolved = fx.other(W3WP, DNS_CLIENT_PROVIDER, 3008, 4, dns(0));
    let untrusted = fx.other(
        W3WP,
        SCHANNEL_EVENTS_PROVIDER,
        514,
        4,
        Payload::new().u64(0x1234).u32(0x8009_0325),
    );
    let continuing = fx.other(
        W3WP,
        SCHANNEL_EVENTS_PROVIDER,
        514,
        4,
        Payload::new().u64(0x1234).u32(0x0009_0312),
    );
    let session = fx.session();
    let class = |frame: usize| {
        let e = session.event(frame - 1).expect("event");
        classify_event(&session, &e)
    };
    assert_eq!(
        class(not_found),
        Some(Failure {
            kind: FailureKind::Dns,
            code: Some(9003),
            symbol: Some("DNS_ERROR_RCODE_NAME_ERROR".into())
        })
    );
    assert_eq!(class(no_records), None);
    assert_eq!(class(resolved), None);
    assert_eq!(
        class(untrusted).map(|f| (f.kind, f.code)),
        Some((FailureKind::Tls, Some(0x8009_0325)))
    );
    assert_eq!(class(continuing), None);
    // No WinHTTP request: these alone are not requests.
    assert!(requests(&session).is_empty());
}

#[test]
fn thread_groups_split_after_a_long_silence() {
    let mut fx = Fixture::new();
    fx.text(
        W3WP,
        "sys-recver failed to receive headers; error = WSAETIMEDOUT (10060)",
    );
    fx.wait_ms(301_000.0);
    fx.text(
        W3WP,
        "sys-req failed to connect; error = WSAECONNREFUSED (10061)",
    );
    let list = requests(&fx.session());
    let codes: Vec<Vec<u32>> = list
        .iter()
        .map(|r| r.errors.iter().map(|e| e.code).collect())
        .collect();
    assert_eq!(codes, [vec![10060], vec![10061]]);
}

#[test]
fn an_asynchronous_failure_after_true_is_a_failure() {
    let mut fx = Fixture::new();
    fx.open_request(W3WP, CONNECT, REQUEST, "GET", "/async");
    fx.call(W3WP, REQUEST, "WinHttpReceiveResponse", ", 0x0");
    fx.succeed(W3WP, REQUEST, "WinHttpReceiveResponse");
    fx.wait_ms(30_000.0);
    fx.text(
        W3WP,
        "ERROR_WINHTTP_FROM_WIN32 mapped (WSAETIMEDOUT) 10060 to (ERROR_WINHTTP_TIMEOUT) 12002",
    );
    let list = requests(&fx.session());
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0].outcome,
        Outcome::Failed {
            code: 12002,
            symbol: Some("ERROR_WINHTTP_TIMEOUT".into())
        }
    );
}

#[test]
fn tcp_events_of_a_reused_connection_go_to_its_latest_request() {
    const CONNECTION: u64 = 0x1F6_C2B0_9470;
    const TCB: u64 = 0xFFFF_B30C_5C2D_4B60;
    let socket_event = || Payload::new().u64(CONNECTION).u64(0x6F8).u32(0);
    let mut fx = Fixture::new();
    fx.open_request(W3WP, CONNECT, REQUEST, "GET", "/a");
    fx.webio(W3WP, 203, socket_event());
    let connect = fx.tcp_connect(W3WP, TCB);
    fx.tcp(W3WP, 1033, TCB, 0);
    fx.close(W3WP, REQUEST);
    fx.wait_ms(5000.0);
    fx.open_request(W3WP_OTHER_THREAD, CONNECT, REQUEST_2, "GET", "/b");
    let send = Payload::new()
        .u64(CONNECTION)
        .u64(1)
        .u64(0x6F8)
        .u64(2)
        .u64(3)
        .u32(0)
        .u64(0);
    fx.webio(W3WP_OTHER_THREAD, 213, send);
    fx.wait_ms(9000.0);
    // A retransmission timeout reported from a DPC names only the TCB.
    let timeout = fx.tcp(super::fixture::DPC, 1046, TCB, 0xC000_00B5);
    let list = requests(&fx.session());
    assert_eq!(list.len(), 2);
    assert!(list[0].frames.contains(&connect));
    assert!(!list[0].frames.contains(&timeout));
    assert_eq!(
        list[1]
            .errors
            .iter()
            .map(|e| (e.frame, e.kind))
            .collect::<Vec<_>>(),
        [(timeout, FailureKind::ConnectionAborted)]
    );
}

#[test]
fn a_trace_started_during_the_call_still_names_the_request() {
    let mut fx = Fixture::new();
    let failed = fx.text(
        W3WP,
        "sys-recver failed to receive headers; error = ? (1460)",
    );
    let stop = fx.api_stop(W3WP, REQUEST, "WinHttpReceiveResponse", 12002);
    let list = requests(&fx.session());
    assert_eq!(list.len(), 1, "{list:#?}");
    // The handle-less line before the first handle was this request's.
    assert_eq!(list[0].handle, Some(REQUEST));
    assert_eq!((list[0].start_frame, list[0].end_frame), (failed, stop));
    assert_eq!(
        list[0].outcome,
        Outcome::Failed {
            code: 12002,
            symbol: Some("ERROR_WINHTTP_TIMEOUT".into())
        }
    );
}
