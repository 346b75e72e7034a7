//! The packets-only variant: a capture with no WinHTTP or WebIO events.

use super::{W, WORKER};
use crate::analysis::correlate::scenarios::Story;

/// Packets only (no WinHTTP, no WebIO): `"offline"` SYNs nobody answers, `"reset"` a reset
/// after the request line, `"healthy"` a request answered 200.
pub fn packets_only(kind: &str) -> Story {
    use samplegen::packets::{ACK, Host, RST_ACK, SYN, SYN_ACK, TcpFlow};
    let mut w = W::new();
    let arr = Host {
        mac: [0x00, 0x15, 0x5d, 0x0a, 0x00, 0x05],
        ip: std::net::Ipv4Addr::new(10, 0, 0, 5),
        ttl: 128,
    };
    let web = Host {
        mac: [0x00, 0x15, 0x5d, 0x0a, 0x00, 0x22],
        ip: std::net::Ipv4Addr::new(10, 0, 0, 22),
        ttl: 128,
    };
    let mut flow = TcpFlow::new((arr, 50_312), (web, 80), web.mac, (1000, 9000), (1, 1));
    let syn = w.fx.packet(WORKER, &flow.send(SYN, &[]));
    w.mark("connect attempt", syn);
    if kind == "offline" {
        let mut last = syn;
        for wait in [3000.0, 6000.0] {
            w.wait(wait);
            last = w.fx.packet(WORKER, &flow.retransmit_syn());
        }
        w.mark("decisive", last);
        return w.done();
    }
    w.wait(0.4);
    w.fx.packet(WORKER, &flow.receive(SYN_ACK, &[]));
    w.fx.packet(WORKER, &flow.send(ACK, &[]));
    let head = "GET /reports/export.aspx HTTP/1.1\r\nHost: web02.contoso.local\r\n\r\n";
    for frame in flow.send_data(head.as_bytes()) {
        let f = w.fx.packet(WORKER, &frame);
        w.mark("request line", f);
    }
    w.wait(25.0);
    if kind == "reset" {
        let rst = w.fx.packet(WORKER, &flow.receive(RST_ACK, &[]));
        w.mark("decisive", rst);
    } else {
        let answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        for frame in flow.receive_data(answer.as_bytes()) {
            w.fx.packet(WORKER, &frame);
        }
    }
    w.done()
}
