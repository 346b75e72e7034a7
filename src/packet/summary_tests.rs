use super::*;
use crate::packet::testdata::{self, CLIENT, SERVER};

fn field<'a>(s: &'a Summary, name: &str) -> Vec<&'a str> {
    s.fields
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

#[test]
fn tcp_syn() {
    let s = summarize(&testdata::tcp(
        (CLIENT, 50123),
        (SERVER, 80),
        "S",
        1000,
        0,
        b"",
    ));
    assert_eq!(s.protocol, "TCP");
    assert_eq!(s.text, "50123 → 80 [SYN] Seq=1000 Win=64240 Len=0");
    assert_eq!(
        (s.source.as_str(), s.destination.as_str()),
        ("10.1.0.5", "10.1.0.9")
    );
    assert_eq!(field(&s, "TCP.Flags"), vec!["SYN"]);
    assert_eq!(
        field(&s, "Ethernet.SourceAddress"),
        vec!["00:15:5d:01:02:03"]
    );
    assert_eq!(field(&s, "IPv4.TTL"), vec!["128"]);
}

#[test]
fn tcp_reset_with_ack() {
    let s = summarize(&testdata::tcp(
        (SERVER, 80),
        (CLIENT, 50123),
        "RA",
        5,
        1001,
        b"",
    ));
    assert_eq!(
        s.text,
        "80 → 50123 [RST, ACK] Seq=5 Ack=1001 Win=64240 Len=0"
    );
    assert_eq!(field(&s, "TCP.AckNumber"), vec!["1001"]);
}

#[test]
fn http_request_and_response() {
    let req = summarize(&testdata::tcp(
        (CLIENT, 50123),
        (SERVER, 80),
        "AP",
        1,
        1,
        b"POST /api/orders HTTP/1.1\r\nHost: backend\r\nContent-Length: 0\r\n\r\n",
    ));
    assert_eq!(req.protocol, "HTTP");
    assert_eq!(req.text, "POST /api/orders HTTP/1.1");
    assert_eq!(field(&req, "HTTP.Request.Command"), vec!["POST"]);
    assert_eq!(field(&req, "HTTP.Request.Host"), vec!["backend"]);
    assert_eq!(field(&req, "TCP.PayloadLength"), vec!["63"]);

    let resp = summarize(&testdata::tcp(
        (SERVER, 80),
        (CLIENT, 50123),
        "AP",
        1,
        63,
        b"HTTP/1.1 502 Bad Gateway\r\n\r\n",
    ));
    assert_eq!(resp.protocol, "HTTP");
    assert_eq!(resp.text, "HTTP/1.1 502 Bad Gateway");
    assert_eq!(field(&resp, "HTTP.Response.StatusCode"), vec!["502"]);

    let body = summarize(&testdata::tcp(
        (SERVER, 80),
        (CLIENT, 50123),
        "A",
        30,
        63,
        b"<html/>",
    ));
    assert_eq!(
        (body.protocol.as_str(), body.text.as_str()),
        ("HTTP", "Continuation, 80 → 50123 Len=7")
    );
}

#[test]
fn tls_client_hello_names_the_server() {
    let hello = crate::packet::tls::client_hello_record("www.contoso.com");
    let s = summarize(&testdata::tcp(
        (CLIENT, 50124),
        (SERVER, 443),
        "AP",
        1,
        1,
        &hello,
    ));
    assert_eq!(s.protocol, "TLS");
    assert_eq!(s.text, "Client Hello (SNI=www.contoso.com)");
    assert_eq!(field(&s, "TLS.SNI"), vec!["www.contoso.com"]);
    assert_eq!(field(&s, "TLS.ALPN"), vec!["h2, http/1.1"]);
}

#[test]
fn dns_query_and_response() {
    let q = summarize(&testdata::udp(
        (CLIENT, 53000),
        (SERVER, 53),
        &testdata::dns_query(0xbeef, "backend.contoso.com", 1),
    ));
    assert_eq!(q.protocol, "DNS");
    assert_eq!(q.text, "Standard query 0xbeef A backend.contoso.com");
    assert_eq!(field(&q, "DNS.QueryName"), vec!["backend.contoso.com"]);

    let r = summarize(&testdata::udp(
        (SERVER, 53),
        (CLIENT, 53000),
        &testdata::dns_response(0xbeef, "backend.contoso.com", [10, 1, 0, 9]),
    ));
    assert_eq!(
        r.text,
        "Standard query response 0xbeef A backend.contoso.com A 10.1.0.9"
    );
    assert_eq!(
        field(&r, "DNS.Answer"),
        vec!["backend.contoso.com A 10.1.0.9"]
    );

    let bad = summarize(&testdata::udp((SERVER, 53), (CLIENT, 53000), &[1, 2, 3]));
    assert_eq!(bad.protocol, "DNS");
    assert_eq!(bad.text, "Malformed message, 53 → 53000 Len=3");
}

#[test]
fn plain_udp_and_port_named_udp() {
    let s = summarize(&testdata::udp((CLIENT, 40000), (SERVER, 9999), &[0; 12]));
    assert_eq!(
        (s.protocol.as_str(), s.text.as_str()),
        ("UDP", "40000 → 9999 Len=12")
    );
    let ntp = summarize(&testdata::udp((CLIENT, 123), (SERVER, 123), &[0; 48]));
    assert_eq!(
        (ntp.protocol.as_str(), ntp.text.as_str()),
        ("NTP", "123 → 123 Len=48")
    );
}

#[test]
fn icmp_echo() {
    let s = summarize(&testdata::ping(true, 0x12, 3));
    assert_eq!(s.protocol, "ICMP");
    assert_eq!(s.text, "Echo (ping) request id=0x0012, seq=3");
    assert_eq!(
        summarize(&testdata::ping(false, 0x12, 3)).text,
        "Echo (ping) reply id=0x0012, seq=3"
    );
}

#[test]
fn ipv6_tcp_and_vlan() {
    let mut a = [0u8; 16];
    a[0] = 0xfe;
    a[1] = 0x80;
    a[15] = 1;
    let s = summarize(&testdata::tcp6(
        (a, 443),
        ([0x20; 16], 50000),
        &[0x17, 3, 3, 0, 2, 9, 9],
    ));
    assert_eq!(
        (s.protocol.as_str(), s.text.as_str()),
        ("TLS", "Application Data")
    );
    assert_eq!(s.source, "fe80::1");
    assert_eq!(field(&s, "IPv6.HopLimit"), vec!["64"]);

    let v = summarize(&testdata::udp_in_vlan(300, (CLIENT, 1), (SERVER, 2), b""));
    assert_eq!(field(&v, "VLAN.Id"), vec!["300"]);
    assert_eq!(v.protocol, "UDP");
}

#[test]
fn arp_and_bare_ethernet() {
    let s = summarize(&testdata::arp_request(CLIENT, SERVER));
    assert_eq!(
        (s.protocol.as_str(), s.text.as_str()),
        ("ARP", "Who has 10.1.0.9? Tell 10.1.0.5")
    );
    let mut lldp = testdata::arp_request(CLIENT, SERVER);
    lldp.data[12] = 0x88;
    lldp.data[13] = 0xcc;
    let s = summarize(&lldp);
    assert_eq!(s.protocol, "Ethernet");
    assert_eq!(s.text, "00:15:5d:01:02:03 → ff:ff:ff:ff:ff:ff type 0x88cc");
}

#[test]
fn truncated_frames_say_so() {
    let mut f = testdata::udp((CLIENT, 40000), (SERVER, 9999), &[0; 100]);
    f.original_len = f.data.len();
    f.data.truncate(50);
    f.truncated = true;
    let s = summarize(&f);
    assert_eq!(s.protocol, "UDP");
    assert!(s.text.ends_with("[captured 50 of 142 bytes]"), "{}", s.text);
    assert_eq!(field(&s, "Frame.OriginalLength"), vec!["142"]);
}

#[test]
fn empty_frame_is_unknown_with_a_reason() {
    let s = summarize(&testdata::frame(Media::Ethernet, vec![]));
    assert_eq!(s.protocol, "Unknown");
    assert!(field(&s, "Problem")[0].contains("Ethernet"));
}
