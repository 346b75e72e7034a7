use super::*;
use crate::packet::testdata::{self, CLIENT, SERVER};

#[test]
fn tcp_over_ipv4_over_ethernet() {
    let f = testdata::tcp((CLIENT, 50123), (SERVER, 8000), "SA", 100, 7, b"");
    let d = dissect(&f);
    assert_eq!(
        d.link,
        Some(LinkInfo::Ethernet {
            source: testdata::CLIENT_MAC,
            destination: testdata::SERVER_MAC,
            ether_type: 0x0800
        })
    );
    let ip = d.ip.unwrap();
    assert_eq!(ip.source, IpAddr::V4(Ipv4Addr::from(CLIENT)));
    assert_eq!((ip.protocol, ip.ttl, ip.fragmented), (6, 128, false));
    let Some(Transport::Tcp {
        source_port,
        destination_port,
        seq,
        ack,
        flags,
        payload,
        ..
    }) = d.transport
    else {
        panic!("no TCP: {d:?}");
    };
    assert_eq!(
        (source_port, destination_port, seq, ack),
        (50123, 8000, 100, 7)
    );
    assert!(flags.syn && flags.ack && !flags.fin);
    assert!(payload.is_empty());
    assert_eq!(d.application, None);
    assert_eq!(d.problem, None);
}

#[test]
fn vlan_tags_are_listed() {
    let f = testdata::udp_in_vlan(42, (CLIENT, 1234), (SERVER, 9), b"x");
    let d = dissect(&f);
    assert_eq!(d.vlans, vec![42]);
    assert!(matches!(
        d.transport,
        Some(Transport::Udp {
            destination_port: 9,
            ..
        })
    ));
}

#[test]
fn raw_ip_media_starts_at_the_ip_header() {
    let f = testdata::raw_ip_udp(&testdata::dns_query(5, "example.com", 1));
    let d = dissect(&f);
    assert_eq!(d.link, Some(LinkInfo::RawIp));
    assert!(matches!(
        d.application,
        Some(Application::Dns {
            protocol: "DNS",
            message: Some(_)
        })
    ));
}

#[test]
fn wifi_data_frame_with_snap_reaches_ip() {
    let ip = testdata::raw_ip_udp(b"hello").data;
    let mut data = vec![0x88, 0x01, 0, 0]; // QoS data, to-DS
    data.extend([0x11; 18]); // three addresses
    data.extend([0, 0]); // sequence control
    data.extend([0, 0]); // QoS control
    data.extend([0xAA, 0xAA, 0x03, 0, 0, 0, 0x08, 0x00]);
    data.extend(&ip);
    let f = testdata::frame(Media::Wifi, data);
    let d = dissect(&f);
    assert_eq!(
        d.link,
        Some(LinkInfo::Wifi {
            frame_type: 2,
            subtype: 8,
            ether_type: Some(0x0800)
        })
    );
    assert!(matches!(
        d.transport,
        Some(Transport::Udp {
            source_port: 50000,
            ..
        })
    ));
}

#[test]
fn wifi_management_and_protected_frames_stop_at_the_mac_header() {
    let beacon = testdata::frame(Media::Wifi, [&[0x80, 0x00][..], &[0; 30]].concat());
    let d = dissect(&beacon);
    assert_eq!(
        d.link,
        Some(LinkInfo::Wifi {
            frame_type: 0,
            subtype: 8,
            ether_type: None
        })
    );
    assert_eq!(d.ip, None);
    let protected = testdata::frame(Media::Wifi, [&[0x08, 0x41][..], &[0; 40]].concat());
    assert_eq!(dissect(&protected).ip, None);
    let short = testdata::frame(Media::Wifi, vec![0x08]);
    assert!(dissect(&short).problem.is_some());
}

#[test]
fn arp_request_addresses() {
    let f = testdata::arp_request(CLIENT, SERVER);
    let d = dissect(&f);
    let arp = d.arp.unwrap();
    assert_eq!(arp.operation, 1);
    assert_eq!(arp.sender_ip, Some(Ipv4Addr::from(CLIENT)));
    assert_eq!(arp.target_ip, Some(Ipv4Addr::from(SERVER)));
    assert_eq!(arp.sender_mac, Some(testdata::CLIENT_MAC));
}

#[test]
fn a_cut_tcp_header_keeps_the_ip_layer_and_says_why() {
    let mut f = testdata::tcp((CLIENT, 1), (SERVER, 2), "A", 1, 1, b"abc");
    f.data.truncate(14 + 20 + 8);
    let d = dissect(&f);
    assert!(d.ip.is_some());
    assert_eq!(d.transport, None);
    assert!(
        d.problem.unwrap().contains("TCP"),
        "problem names the layer"
    );
}

#[test]
fn a_cut_payload_is_dissected_as_far_as_it_goes() {
    let mut f = testdata::tcp(
        (CLIENT, 50000),
        (SERVER, 80),
        "AP",
        1,
        1,
        b"GET /a/very/long/path HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    f.data.truncate(14 + 20 + 20 + 10);
    let d = dissect(&f);
    let Some(Application::Http(line)) = d.application else {
        panic!("{d:?}")
    };
    assert_eq!(line.info(), "GET /a/ver");
}

#[test]
fn ports_pick_the_application_when_content_does_not() {
    let body = testdata::tcp(
        (SERVER, 80),
        (CLIENT, 50000),
        "A",
        1,
        1,
        b"<html>body</html>",
    );
    assert_eq!(
        dissect(&body).application,
        Some(Application::HttpContinuation)
    );
    let tls = testdata::tcp((SERVER, 443), (CLIENT, 50000), "A", 1, 1, &[0x99; 40]);
    assert_eq!(
        dissect(&tls).application,
        Some(Application::TlsContinuation)
    );
    let other = testdata::tcp((SERVER, 9000), (CLIENT, 50000), "A", 1, 1, &[0x99; 40]);
    assert_eq!(dissect(&other).application, None);
    let ssdp = testdata::udp(
        (CLIENT, 50000),
        ([239, 255, 255, 250], 1900),
        b"M-SEARCH * HTTP/1.1\r\n",
    );
    assert_eq!(dissect(&ssdp).application, Some(Application::Named("SSDP")));
    let mdns = testdata::udp((CLIENT, 5353), ([224, 0, 0, 251], 5353), b"\0");
    assert_eq!(
        dissect(&mdns).application,
        Some(Application::Dns {
            protocol: "MDNS",
            message: None
        })
    );
}

#[test]
fn tls_is_recognised_on_any_port() {
    let hello = crate::packet::tls::client_hello_record("api.contoso.com");
    let f = testdata::tcp((CLIENT, 50000), (SERVER, 8443), "AP", 1, 1, &hello);
    let Some(Application::Tls(info)) = dissect(&f).application else {
        panic!("no TLS")
    };
    assert_eq!(info.sni.as_deref(), Some("api.contoso.com"));
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
        media in 0u8..4,
    ) {
        let media = match media {
            0 => Media::Ethernet,
            1 => Media::Wifi,
            2 => Media::Ip,
            _ => Media::Unknown(9),
        };
        let f = testdata::frame(media, bytes);
        let _ = dissect(&f);
        let _ = crate::packet::summarize(&f);
    }

    #[test]
    fn every_cut_of_real_frames_is_safe(cut in 0usize..120, which in 0usize..4) {
        let hello = crate::packet::tls::client_hello_record("a.example");
        let mut f = match which {
            0 => testdata::tcp((CLIENT, 1), (SERVER, 443), "AP", 1, 1, &hello),
            1 => testdata::udp((CLIENT, 1), (SERVER, 53), &testdata::dns_response(1, "a.example", [1, 2, 3, 4])),
            2 => testdata::tcp6(([1; 16], 80), ([2; 16], 2), b"HTTP/1.1 200 OK\r\n\r\n"),
            _ => testdata::arp_request(CLIENT, SERVER),
        };
        f.data.truncate(cut);
        let s = crate::packet::summarize(&f);
        proptest::prop_assert!(!s.protocol.is_empty());
    }
}
