//! Ethernet/IPv4/TCP/UDP frames as the capture on the ARR server sees them, built with
//! etherparse. A [`TcpFlow`] keeps sequence numbers, IP identifications and windows coherent
//! across the segments of one connection.

use etherparse::{IpHeaders, IpNumber, Ipv4Header, PacketBuilder, TcpHeader, TcpOptionElement};
use std::net::{Ipv4Addr, SocketAddrV4};

/// Whether the capturing machine sent or received a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Send,
    Receive,
}

/// One captured frame.
#[derive(Debug, Clone)]
pub struct Frame {
    pub bytes: Vec<u8>,
    pub direction: Direction,
}

/// A network interface seen from the capture: its MAC, IPv4 address and initial TTL.
#[derive(Debug, Clone, Copy)]
pub struct Host {
    pub mac: [u8; 6],
    pub ip: Ipv4Addr,
    /// TTL of this host's packets as they arrive at the capture point.
    pub ttl: u8,
}

/// TCP control bits of one segment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags {
    pub syn: bool,
    pub ack: bool,
    pub psh: bool,
    pub fin: bool,
    pub rst: bool,
}

pub const SYN: Flags = Flags {
    syn: true,
    ack: false,
    psh: false,
    fin: false,
    rst: false,
};
pub const SYN_ACK: Flags = Flags { ack: true, ..SYN };
pub const ACK: Flags = Flags {
    syn: false,
    ack: true,
    psh: false,
    fin: false,
    rst: false,
};
pub const PSH_ACK: Flags = Flags { psh: true, ..ACK };
pub const FIN_ACK: Flags = Flags { fin: true, ..ACK };
pub const RST_ACK: Flags = Flags { rst: true, ..ACK };
pub const RST: Flags = Flags {
    syn: false,
    ack: false,
    psh: false,
    fin: false,
    rst: true,
};

/// The largest TCP payload of one Ethernet frame (MSS 1460).
pub const MSS: usize = 1460;

/// Frames shorter than this get zero padding on the receive path, as the wire delivers them.
const MIN_ETHERNET_FRAME: usize = 60;

/// One side of a TCP connection.
#[derive(Debug, Clone)]
struct Side {
    host: Host,
    port: u16,
    next_seq: u32,
    ip_id: u16,
    window: u16,
}

/// A TCP connection between the capturing machine (`local`) and a peer. `gateway` is the MAC
/// the local side addresses and the peer's frames come from (the router for off-link peers).
#[derive(Debug, Clone)]
pub struct TcpFlow {
    local: Side,
    remote: Side,
    gateway: [u8; 6],
}

impl TcpFlow {
    /// A connection with the given endpoints, initial sequence numbers and IP ids.
    pub fn new(
        local: (Host, u16),
        remote: (Host, u16),
        gateway: [u8; 6],
        isn: (u32, u32),
        ip_id: (u16, u16),
    ) -> TcpFlow {
        TcpFlow {
            local: Side {
                host: local.0,
                port: local.1,
                next_seq: isn.0,
                ip_id: ip_id.0,
                window: 0xFAF0,
            },
            remote: Side {
                host: remote.0,
                port: remote.1,
                next_seq: isn.1,
                ip_id: ip_id.1,
                window: 0xFAF0,
            },
            gateway,
        }
    }

    pub fn local_addr(&self) -> SocketAddrV4 {
        SocketAddrV4::new(self.local.host.ip, self.local.port)
    }

    pub fn remote_addr(&self) -> SocketAddrV4 {
        SocketAddrV4::new(self.remote.host.ip, self.remote.port)
    }

    /// A segment sent by the capturing machine.
    pub fn send(&mut self, flags: Flags, payload: &[u8]) -> Frame {
        self.segment(true, flags, payload)
    }

    /// A segment received from the peer.
    pub fn receive(&mut self, flags: Flags, payload: &[u8]) -> Frame {
        self.segment(false, flags, payload)
    }

    /// Sends the same SYN again (a retransmission: same sequence number, new IP id).
    pub fn retransmit_syn(&mut self) -> Frame {
        self.local.next_seq = self.local.next_seq.wrapping_sub(1);
        self.send(SYN, &[])
    }

    /// Splits `data` into MSS-sized segments from the given side; the last one has PSH.
    pub fn send_data(&mut self, data: &[u8]) -> Vec<Frame> {
        self.data_segments(true, data)
    }

    pub fn receive_data(&mut self, data: &[u8]) -> Vec<Frame> {
        self.data_segments(false, data)
    }

    fn data_segments(&mut self, from_local: bool, data: &[u8]) -> Vec<Frame> {
        let chunks: Vec<&[u8]> = data.chunks(MSS).collect();
        let last = chunks.len().saturating_sub(1);
        chunks
            .into_iter()
            .enumerate()
            .map(|(i, chunk)| {
                let flags = if i == last { PSH_ACK } else { ACK };
                self.segment(from_local, flags, chunk)
            })
            .collect()
    }

    fn segment(&mut self, from_local: bool, flags: Flags, payload: &[u8]) -> Frame {
        let (sender, receiver) = if from_local {
            (&mut self.local, &self.remote)
        } else {
            (&mut self.remote, &self.local)
        };
        let mut tcp = TcpHeader::new(sender.port, receiver.port, sender.next_seq, sender.window);
        tcp.syn = flags.syn;
        tcp.fin = flags.fin;
        tcp.rst = flags.rst;
        tcp.psh = flags.psh;
        tcp.ack = flags.ack;
        if flags.ack {
            tcp.acknowledgment_number = receiver.next_seq;
        }
        if flags.syn {
            // Windows' SYN options: MSS, window scale 8, SACK permitted.
            let options = [
                TcpOptionElement::MaximumSegmentSize(MSS as u16),
                TcpOptionElement::Noop,
                TcpOptionElement::WindowScale(8),
                TcpOptionElement::Noop,
                TcpOptionElement::Noop,
                TcpOptionElement::SelectiveAcknowledgementPermitted,
            ];
            // 12 option bytes always fit the 40-byte option space.
            let _ = tcp.set_options(&options);
        }
        let consumed = payload.len() as u32 + u32::from(flags.syn) + u32::from(flags.fin);
        sender.next_seq = sender.next_seq.wrapping_add(consumed);
        let ip = ipv4_header(sender.host, receiver.host.ip, sender.ip_id, IpNumber::TCP);
        sender.ip_id = sender.ip_id.wrapping_add(1);
        let (source_mac, destination_mac) = if from_local {
            (self.local.host.mac, self.gateway)
        } else {
            (self.gateway, self.local.host.mac)
        };
        let builder = PacketBuilder::ethernet2(source_mac, destination_mac)
            .ip(IpHeaders::Ipv4(ip, Default::default()))
            .tcp_header(tcp);
        let mut bytes = Vec::with_capacity(builder.size(payload.len()));
        // Writing to a Vec cannot fail for a payload below the IPv4 maximum.
        let _ = builder.write(&mut bytes, payload);
        finish(bytes, from_local)
    }
}

fn ipv4_header(sender: Host, destination: Ipv4Addr, id: u16, protocol: IpNumber) -> Ipv4Header {
    Ipv4Header {
        identification: id,
        dont_fragment: true,
        time_to_live: sender.ttl,
        protocol,
        source: sender.ip.octets(),
        destination: destination.octets(),
        ..Default::default()
    }
}

fn finish(mut bytes: Vec<u8>, sent: bool) -> Frame {
    if !sent && bytes.len() < MIN_ETHERNET_FRAME {
        bytes.resize(MIN_ETHERNET_FRAME, 0);
    }
    Frame {
        bytes,
        direction: if sent {
            Direction::Send
        } else {
            Direction::Receive
        },
    }
}

/// A UDP datagram between the capturing machine and a peer.
pub fn udp(
    local: (Host, u16),
    remote: (Host, u16),
    gateway: [u8; 6],
    ip_id: u16,
    sent: bool,
    payload: &[u8],
) -> Frame {
    let (from, to) = if sent {
        (local, remote)
    } else {
        (remote, local)
    };
    let (source_mac, destination_mac) = if sent {
        (local.0.mac, gateway)
    } else {
        (gateway, local.0.mac)
    };
    let ip = ipv4_header(from.0, to.0.ip, ip_id, IpNumber::UDP);
    let builder = PacketBuilder::ethernet2(source_mac, destination_mac)
        .ip(IpHeaders::Ipv4(ip, Default::default()))
        .udp(from.1, to.1);
    let mut bytes = Vec::with_capacity(builder.size(payload.len()));
    let _ = builder.write(&mut bytes, payload);
    finish(bytes, sent)
}

/// A DNS query for an A record (`response = None`) or its answer with one address.
pub fn dns_message(id: u16, name: &str, response: Option<(Ipv4Addr, u32)>) -> Vec<u8> {
    let mut m = Vec::with_capacity(64);
    m.extend(id.to_be_bytes());
    let flags: u16 = if response.is_some() { 0x8580 } else { 0x0100 };
    m.extend(flags.to_be_bytes());
    m.extend(1u16.to_be_bytes()); // questions
    m.extend(u16::from(response.is_some()).to_be_bytes()); // answers
    m.extend([0, 0, 0, 0]); // authority, additional
    for label in name.split('.') {
        m.push(label.len() as u8);
        m.extend(label.bytes());
    }
    m.push(0);
    m.extend(1u16.to_be_bytes()); // type A
    m.extend(1u16.to_be_bytes()); // class IN
    if let Some((address, ttl)) = response {
        m.extend(0xC00Cu16.to_be_bytes()); // pointer to the question name
        m.extend(1u16.to_be_bytes());
        m.extend(1u16.to_be_bytes());
        m.extend(ttl.to_be_bytes());
        m.extend(4u16.to_be_bytes());
        m.extend(address.octets());
    }
    m
}

/// Deterministic filler bytes (xorshift), e.g. for encrypted RDP records.
pub fn noise(seed: u32, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};

    fn hosts() -> (Host, Host) {
        let arr = Host {
            mac: [0, 0x15, 0x5d, 0x0a, 0, 5],
            ip: Ipv4Addr::new(10, 0, 0, 5),
            ttl: 128,
        };
        let backend = Host {
            mac: [0, 0x15, 0x5d, 0x0a, 0, 0x15],
            ip: Ipv4Addr::new(10, 0, 0, 21),
            ttl: 128,
        };
        (arr, backend)
    }

    fn tcp_of(frame: &Frame) -> (u32, u32, bool, bool, usize) {
        let sliced = SlicedPacket::from_ethernet(&frame.bytes).unwrap();
        let Some(TransportSlice::Tcp(tcp)) = sliced.transport else {
            panic!("not TCP")
        };
        let payload_len = tcp.payload().len();
        (
            tcp.sequence_number(),
            tcp.acknowledgment_number(),
            tcp.syn(),
            tcp.rst(),
            payload_len,
        )
    }

    #[test]
    fn handshake_and_data_keep_sequence_numbers_coherent() {
        let (arr, backend) = hosts();
        let mut flow = TcpFlow::new(
            (arr, 49832),
            (backend, 80),
            backend.mac,
            (1000, 5000),
            (7, 9),
        );
        let syn = flow.send(SYN, &[]);
        let syn_ack = flow.receive(SYN_ACK, &[]);
        let ack = flow.send(ACK, &[]);
        assert_eq!(tcp_of(&syn), (1000, 0, true, false, 0));
        assert_eq!(tcp_of(&syn_ack), (5000, 1001, true, false, 0));
        assert_eq!(tcp_of(&ack), (1001, 5001, false, false, 0));
        let data = flow.receive_data(&[b'x'; 2000]);
        assert_eq!(data.len(), 2);
        assert_eq!(tcp_of(&data[0]), (5001, 1001, false, false, MSS));
        assert_eq!(
            tcp_of(&data[1]),
            (5001 + MSS as u32, 1001, false, false, 540)
        );
        // Short received frames are padded to the Ethernet minimum.
        assert_eq!(syn_ack.bytes.len(), 66);
        assert_eq!(ack.bytes.len(), 54);
        assert_eq!(ack.direction, Direction::Send);
    }

    #[test]
    fn syn_retransmission_repeats_the_sequence_number() {
        let (arr, backend) = hosts();
        let mut flow = TcpFlow::new(
            (arr, 49832),
            (backend, 80),
            backend.mac,
            (1000, 5000),
            (7, 9),
        );
        let first = flow.send(SYN, &[]);
        let again = flow.retransmit_syn();
        assert_eq!(tcp_of(&first).0, 1000);
        assert_eq!(tcp_of(&again).0, 1000);
        assert_ne!(first.bytes, again.bytes, "a new IP id");
    }

    #[test]
    fn ip_header_carries_ttl_id_and_df() {
        let (arr, backend) = hosts();
        let mut flow = TcpFlow::new((arr, 49832), (backend, 80), backend.mac, (1, 2), (300, 9));
        let frame = flow.send(SYN, &[]);
        let sliced = SlicedPacket::from_ethernet(&frame.bytes).unwrap();
        let Some(NetSlice::Ipv4(ip)) = sliced.net else {
            panic!("not IPv4")
        };
        assert_eq!(ip.header().identification(), 300);
        assert!(ip.header().dont_fragment());
        assert_eq!(ip.header().ttl(), 128);
        assert_eq!(ip.header().source_addr(), arr.ip);
    }

    #[test]
    fn dns_answer_parses_as_udp_payload() {
        let (arr, dc) = hosts();
        let answer = dns_message(
            0x1a2b,
            "web01.contoso.local",
            Some((Ipv4Addr::new(10, 0, 0, 21), 1200)),
        );
        let frame = udp((arr, 55000), (dc, 53), dc.mac, 1, false, &answer);
        let sliced = SlicedPacket::from_ethernet(&frame.bytes).unwrap();
        let Some(TransportSlice::Udp(udp)) = sliced.transport else {
            panic!("not UDP")
        };
        assert_eq!(udp.source_port(), 53);
        assert_eq!(udp.payload(), &answer[..]);
        assert_eq!(&answer[2..4], &[0x85, 0x80]);
        assert_eq!(&answer[answer.len() - 4..], &[10, 0, 0, 21]);
    }

    #[test]
    fn noise_is_deterministic() {
        assert_eq!(noise(7, 16), noise(7, 16));
        assert_ne!(noise(7, 16), noise(8, 16));
    }
}
