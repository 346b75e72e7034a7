use super::*;
use crate::packet::testdata::{self, CLIENT, SERVER};

fn s(v: &str) -> FieldValue {
    FieldValue::Str(v.to_string())
}

fn int(v: i128) -> FieldValue {
    FieldValue::Int(v)
}

#[test]
fn ipv4_addresses_and_aliases() {
    let f = testdata::tcp((CLIENT, 50123), (SERVER, 80), "S", 1, 0, b"");
    assert_eq!(
        field_values(&f, "ipv4.address"),
        Some(vec![s("10.1.0.5"), s("10.1.0.9")])
    );
    for (path, want) in [
        ("ipv4.sourceaddress", "10.1.0.5"),
        ("ipv4.src", "10.1.0.5"),
        ("ipv4.destinationaddress", "10.1.0.9"),
        ("ipv4.dst", "10.1.0.9"),
    ] {
        assert_eq!(field_values(&f, path), Some(vec![s(want)]), "{path}");
    }
    // An IPv4 frame has no IPv6 fields: known but empty.
    assert_eq!(field_values(&f, "ipv6.address"), Some(vec![]));
    assert_eq!(field_values(&f, "ipv4.nosuchfield"), None);
    assert_eq!(field_values(&f, "nosuchlayer.port"), None);
    assert_eq!(field_values(&f, "tcp"), None);
}

#[test]
fn ipv6_addresses() {
    let f = testdata::tcp6(([0x20; 16], 50000), ([0x30; 16], 443), b"");
    assert_eq!(
        field_values(&f, "ipv6.src"),
        Some(vec![s("2020:2020:2020:2020:2020:2020:2020:2020")])
    );
    assert_eq!(field_values(&f, "ipv6.address").unwrap().len(), 2);
    assert_eq!(field_values(&f, "ipv4.address"), Some(vec![]));
}

#[test]
fn tcp_ports_and_flags() {
    let f = testdata::tcp((SERVER, 80), (CLIENT, 50123), "RA", 9, 10, b"");
    assert_eq!(
        field_values(&f, "tcp.port"),
        Some(vec![int(80), int(50123)])
    );
    assert_eq!(field_values(&f, "tcp.srcport"), Some(vec![int(80)]));
    assert_eq!(field_values(&f, "tcp.dstport"), Some(vec![int(50123)]));
    for (flag, want) in [
        ("syn", 0),
        ("ack", 1),
        ("fin", 0),
        ("reset", 1),
        ("push", 0),
    ] {
        assert_eq!(
            field_values(&f, &format!("tcp.flags.{flag}")),
            Some(vec![int(want)]),
            "{flag}"
        );
    }
    assert_eq!(field_values(&f, "udp.port"), Some(vec![]));
    assert_eq!(field_values(&f, "tcp.flags.bogus"), None);
}

#[test]
fn udp_and_dns() {
    let f = testdata::udp(
        (CLIENT, 53000),
        (SERVER, 53),
        &testdata::dns_query(1, "backend.contoso.com", 28),
    );
    assert_eq!(
        field_values(&f, "udp.port"),
        Some(vec![int(53000), int(53)])
    );
    assert_eq!(
        field_values(&f, "dns.queryname"),
        Some(vec![s("backend.contoso.com")])
    );
    assert_eq!(field_values(&f, "tcp.port"), Some(vec![]));
    assert!(has_protocol(&f, "dns") && has_protocol(&f, "UDP") && has_protocol(&f, "ipv4"));
    assert!(!has_protocol(&f, "tcp") && !has_protocol(&f, "http"));
}

#[test]
fn http_fields() {
    let req = testdata::tcp(
        (CLIENT, 50123),
        (SERVER, 80),
        "AP",
        1,
        1,
        b"GET /health HTTP/1.1\r\nHost: b\r\n\r\n",
    );
    assert_eq!(
        field_values(&req, "http.request.command"),
        Some(vec![s("GET")])
    );
    assert_eq!(
        field_values(&req, "http.request.uri"),
        Some(vec![s("/health")])
    );
    assert_eq!(field_values(&req, "http.response.statuscode"), Some(vec![]));
    let resp = testdata::tcp(
        (SERVER, 80),
        (CLIENT, 50123),
        "AP",
        1,
        1,
        b"HTTP/1.1 404 Not Found\r\n\r\n",
    );
    assert_eq!(
        field_values(&resp, "http.response.statuscode"),
        Some(vec![int(404)])
    );
    assert_eq!(field_values(&resp, "http.request.command"), Some(vec![]));
    assert!(has_protocol(&resp, "http") && has_protocol(&resp, "tcp"));
    assert_eq!(field_values(&resp, "http.nosuch"), None);
}

#[test]
fn tls_sni() {
    let hello = crate::packet::tls::client_hello_record("api.contoso.com");
    let f = testdata::tcp((CLIENT, 50123), (SERVER, 443), "AP", 1, 1, &hello);
    assert_eq!(
        field_values(&f, "tls.sni"),
        Some(vec![s("api.contoso.com")])
    );
    assert!(has_protocol(&f, "tls"));
    let plain = testdata::tcp((CLIENT, 50123), (SERVER, 9000), "A", 1, 1, b"");
    assert_eq!(field_values(&plain, "tls.sni"), Some(vec![]));
}

#[test]
fn bare_protocol_words() {
    let ping = testdata::ping(true, 1, 1);
    assert!(
        has_protocol(&ping, "icmp")
            && has_protocol(&ping, "ethernet")
            && has_protocol(&ping, "ipv4")
    );
    assert!(!has_protocol(&ping, "ipv6") && !has_protocol(&ping, "udp"));
    let v6 = testdata::tcp6(([1; 16], 1), ([2; 16], 2), b"");
    assert!(has_protocol(&v6, "ipv6") && !has_protocol(&v6, "ipv4"));
    assert!(has_protocol(&testdata::arp_request(CLIENT, SERVER), "arp"));
    assert!(has_protocol(
        &testdata::udp((CLIENT, 123), (SERVER, 123), b""),
        "ntp"
    ));
    assert!(!has_protocol(&ping, "nosuchprotocol"));
}

#[test]
fn conversations_group_both_directions() {
    let mut frames = vec![
        testdata::tcp((CLIENT, 50123), (SERVER, 80), "S", 1, 0, b""),
        testdata::tcp((SERVER, 80), (CLIENT, 50123), "SA", 9, 2, b""),
        testdata::tcp((CLIENT, 50124), (SERVER, 80), "S", 1, 0, b""),
        testdata::udp((CLIENT, 53000), (SERVER, 53), b"x"),
        testdata::tcp((CLIENT, 50123), (SERVER, 80), "A", 2, 10, b""),
    ];
    for (i, f) in frames.iter_mut().enumerate() {
        f.filetime = testdata::T0 + i as i64 * 10;
    }
    let conv = conversations(&frames);
    assert_eq!(conv.len(), 2);
    let first = &conv[0];
    assert_eq!(first.a, "10.1.0.5:50123".parse().unwrap());
    assert_eq!(first.b, "10.1.0.9:80".parse().unwrap());
    assert_eq!(first.frames, 3);
    assert_eq!(first.bytes, frames[0].data.len() * 3);
    assert_eq!((first.first, first.last), (testdata::T0, testdata::T0 + 40));
    assert_eq!(
        first.filter,
        "(ipv4.src == 10.1.0.5 && tcp.srcport == 50123 && ipv4.dst == 10.1.0.9 && tcp.dstport == 80) || \
         (ipv4.src == 10.1.0.9 && tcp.srcport == 80 && ipv4.dst == 10.1.0.5 && tcp.dstport == 50123)"
    );
    assert_eq!(conv[1].frames, 1);
    // The filter expression selects exactly the conversation's frames.
    let selected = frames.iter().filter(|f| matches_filter(f, first)).count();
    assert_eq!(selected, 3);
}

/// Evaluates a conversation filter with `field_values` the way the filter engine will.
fn matches_filter(f: &Frame, c: &Conversation) -> bool {
    let one =
        |path: &str, want: FieldValue| field_values(f, path).unwrap_or_default().contains(&want);
    let dir = |a: SocketAddr, b: SocketAddr| {
        one("ipv4.src", s(&a.ip().to_string()))
            && one("tcp.srcport", int(a.port().into()))
            && one("ipv4.dst", s(&b.ip().to_string()))
            && one("tcp.dstport", int(b.port().into()))
    };
    dir(c.a, c.b) || dir(c.b, c.a)
}
