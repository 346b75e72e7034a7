//! Hand-built frames for the unit tests of this module (built with etherparse's writer).

use etherparse::{PacketBuilder, TcpHeader, VlanId};

use super::{Direction, Frame, Media, Source};

pub const CLIENT_MAC: [u8; 6] = [0x00, 0x15, 0x5d, 0x01, 0x02, 0x03];
pub const SERVER_MAC: [u8; 6] = [0x00, 0x15, 0x5d, 0x0a, 0x0b, 0x0c];
pub const CLIENT: [u8; 4] = [10, 1, 0, 5];
pub const SERVER: [u8; 4] = [10, 1, 0, 9];
/// 2024-01-01T00:00:00Z.
pub const T0: i64 = 133_485_408_000_000_000;

/// A received frame of `media` holding `data`.
pub fn frame(media: Media, data: Vec<u8>) -> Frame {
    Frame {
        frame_number: 1,
        filetime: T0,
        interface: 7,
        direction: Direction::Receive,
        media,
        pid: Some(1432),
        tid: Some(88),
        original_len: data.len(),
        truncated: false,
        data,
        source: Source::Ndis,
    }
}

/// TCP flags for [`tcp`]: any of `S`, `A`, `F`, `R`, `P`.
pub fn tcp(
    from: ([u8; 4], u16),
    to: ([u8; 4], u16),
    flags: &str,
    seq: u32,
    ack: u32,
    payload: &[u8],
) -> Frame {
    let mut header = TcpHeader::new(from.1, to.1, seq, 64240);
    header.syn = flags.contains('S');
    header.fin = flags.contains('F');
    header.rst = flags.contains('R');
    header.psh = flags.contains('P');
    if flags.contains('A') {
        header.ack = true;
        header.acknowledgment_number = ack;
    }
    let mut data = Vec::new();
    PacketBuilder::ethernet2(CLIENT_MAC, SERVER_MAC)
        .ipv4(from.0, to.0, 128)
        .tcp_header(header)
        .write(&mut data, payload)
        .expect("writing to a Vec");
    frame(Media::Ethernet, data)
}

pub fn udp(from: ([u8; 4], u16), to: ([u8; 4], u16), payload: &[u8]) -> Frame {
    let mut data = Vec::new();
    PacketBuilder::ethernet2(CLIENT_MAC, SERVER_MAC)
        .ipv4(from.0, to.0, 64)
        .udp(from.1, to.1)
        .write(&mut data, payload)
        .expect("writing to a Vec");
    frame(Media::Ethernet, data)
}

pub fn udp_in_vlan(vlan: u16, from: ([u8; 4], u16), to: ([u8; 4], u16), payload: &[u8]) -> Frame {
    let mut data = Vec::new();
    PacketBuilder::ethernet2(CLIENT_MAC, SERVER_MAC)
        .single_vlan(VlanId::try_new(vlan).expect("valid VLAN id"))
        .ipv4(from.0, to.0, 64)
        .udp(from.1, to.1)
        .write(&mut data, payload)
        .expect("writing to a Vec");
    frame(Media::Ethernet, data)
}

pub fn tcp6(from: ([u8; 16], u16), to: ([u8; 16], u16), payload: &[u8]) -> Frame {
    let mut data = Vec::new();
    PacketBuilder::ethernet2(CLIENT_MAC, SERVER_MAC)
        .ipv6(from.0, to.0, 64)
        .tcp(from.1, to.1, 1000, 512)
        .ack(2000)
        .psh()
        .write(&mut data, payload)
        .expect("writing to a Vec");
    frame(Media::Ethernet, data)
}

pub fn ping(request: bool, id: u16, seq: u16) -> Frame {
    let mut data = Vec::new();
    let builder = PacketBuilder::ethernet2(CLIENT_MAC, SERVER_MAC).ipv4(CLIENT, SERVER, 64);
    let step = if request {
        builder.icmpv4_echo_request(id, seq)
    } else {
        builder.icmpv4_echo_reply(id, seq)
    };
    step.write(&mut data, &[0xAB; 32])
        .expect("writing to a Vec");
    frame(Media::Ethernet, data)
}

/// An IPv4 UDP packet without a link header (mobile broadband media).
pub fn raw_ip_udp(payload: &[u8]) -> Frame {
    let mut data = Vec::new();
    PacketBuilder::ipv4(CLIENT, SERVER, 64)
        .udp(50000, 53)
        .write(&mut data, payload)
        .expect("writing to a Vec");
    frame(Media::Ip, data)
}

/// An ARP request `who has target? tell sender` over Ethernet.
pub fn arp_request(sender: [u8; 4], target: [u8; 4]) -> Frame {
    let mut data = Vec::new();
    data.extend([0xFF; 6]);
    data.extend(CLIENT_MAC);
    data.extend([0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1]);
    data.extend(CLIENT_MAC);
    data.extend(sender);
    data.extend([0; 6]);
    data.extend(target);
    frame(Media::Ethernet, data)
}

/// A DNS query for `name` (type `qtype`), as the UDP payload.
pub fn dns_query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(id.to_be_bytes());
    b.extend([0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        b.push(label.len() as u8);
        b.extend(label.as_bytes());
    }
    b.push(0);
    b.extend(qtype.to_be_bytes());
    b.extend([0, 1]);
    b
}

/// The response to [`dns_query`] with one A record (name by compression pointer).
pub fn dns_response(id: u16, name: &str, address: [u8; 4]) -> Vec<u8> {
    let mut b = dns_query(id, name, 1);
    b[2] = 0x81;
    b[3] = 0x80;
    b[7] = 1;
    b.extend([0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
    b.extend(address);
    b
}
