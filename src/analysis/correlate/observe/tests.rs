//! Tests of reading WinHTTP / WebIO / TCPIP / HTTP.sys events into facts.

use super::*;

fn text_facts(text: &str) -> Facts {
    let mut facts = Facts::blank(Source::WinHttp, 0, 0, 1, 2);
    facts.is_text = true;
    read_text(&mut facts, &trace_text::parse_line(text));
    facts
}

#[test]
fn api_echo_lines() {
    let f = text_facts("12:32:23.123 ::WinHttpReceiveResponse(0x11d23d0, 0x0)");
    assert_eq!(f.api, Some(ApiEdge::Start("WinHttpReceiveResponse".into())));
    assert_eq!(f.handle, Some(0x11d_23d0));

    let f = text_facts(
        "WinHttpOpenRequest(0x1d8b2a0, \"GET\", \"/api/orders/1234\", \"HTTP/1.1\", \"\", 0x0, 0x00000000)",
    );
    assert_eq!(f.handle, Some(0x1d8_b2a0));
    assert_eq!(f.verb.as_deref(), Some("GET"));
    assert_eq!(f.path.as_deref(), Some("/api/orders/1234"));

    let f = text_facts("WinHttpConnect(0x1d8a0d0, \"web01.contoso.local\", 8080, 0x0)");
    assert_eq!(
        f.endpoint,
        Some(Endpoint {
            host: Some("web01.contoso.local".into()),
            port: Some(8080)
        })
    );

    let f = text_facts("WinHttpSetTimeouts(0x1e0c3f0, 0, 60000, 30000, 30000)");
    assert_eq!(f.timeouts, Some([0, 60000, 30000, 30000]));
    assert_eq!(f.handle, Some(0x1e0_c3f0));
}

#[test]
fn returning_lines() {
    let f = text_facts("WinHttpOpenRequest() returning handle 0x1e0c3f0");
    assert_eq!(f.created, Some(("WinHttpOpenRequest".into(), 0x1e0_c3f0)));
    assert_eq!(
        f.api,
        Some(ApiEdge::Stop {
            api: "WinHttpOpenRequest".into(),
            result: Some(0)
        })
    );
    let f = text_facts("WinHttpReadData() returning TRUE; 3900 bytes read");
    assert_eq!(
        f.api,
        Some(ApiEdge::Stop {
            api: "WinHttpReadData".into(),
            result: Some(0)
        })
    );
    let f = text_facts("returning ERROR_WINHTTP_TIMEOUT (12002) from WinHttpReceiveResponse()");
    assert_eq!(
        f.api,
        Some(ApiEdge::Stop {
            api: "WinHttpReceiveResponse".into(),
            result: Some(12002)
        })
    );
    // An internal function is not a WinHTTP call.
    let f = text_facts("sys-recver returning ERROR_WINHTTP_TIMEOUT (12002) from RecvResponse()");
    assert_eq!(f.api, None);
    let f = text_facts("WinHttpSendRequest() returning FALSE");
    assert_eq!(
        f.api,
        Some(ApiEdge::Stop {
            api: "WinHttpSendRequest".into(),
            result: None
        })
    );
}

#[test]
fn connection_and_status_lines() {
    let f = text_facts("sys-req opening a connection to web01.contoso.local:80 (10.0.0.21:80)");
    assert_eq!(f.phase, Some(PhaseEdge::ConnectStart));
    assert_eq!(
        f.endpoint,
        Some(Endpoint {
            host: Some("web01.contoso.local".into()),
            port: Some(80)
        })
    );
    assert_eq!(f.remote_address.as_deref(), Some("10.0.0.21:80"));
    let f =
        text_facts("sys-recver processing WebReceiveHttpResponse completion; status-code = 200");
    assert_eq!(f.status, Some(200));
    let f = text_facts("sys-recver starts in _INIT state");
    assert!(f.api.is_none() && f.phase.is_none() && f.endpoint.is_none());
}

#[test]
fn host_port_split() {
    assert_eq!(
        split_host_port("10.0.0.21:80"),
        Endpoint {
            host: Some("10.0.0.21".into()),
            port: Some(80)
        }
    );
    assert_eq!(
        split_host_port("[fe80::1]:443"),
        Endpoint {
            host: Some("[fe80::1]".into()),
            port: Some(443)
        }
    );
    assert_eq!(
        split_host_port("fe80::1"),
        Endpoint {
            host: Some("fe80::1".into()),
            port: None
        }
    );
    assert_eq!(split_host_port(""), Endpoint::default());
}

#[test]
fn long_summaries_are_cut_on_a_char_boundary() {
    let long = "é".repeat(SUMMARY_MAX_CHARS + 10);
    let cut = truncate(&long);
    assert_eq!(cut.chars().count(), SUMMARY_MAX_CHARS + 3);
    assert!(cut.ends_with("..."));
    assert_eq!(truncate("short"), "short");
}
