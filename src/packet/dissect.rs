//! One frame's bytes split into layers: link (Ethernet, VLAN, 802.11 data + LLC/SNAP, raw
//! IP), network (IPv4, IPv6, ARP) and transport (TCP, UDP, ICMP) by etherparse's lax slicer,
//! which keeps what it could read of a cut frame; then the application layer (DNS, HTTP/1.x,
//! TLS, or a name for well-known UDP ports) by this module's small parsers.

use std::net::{IpAddr, Ipv4Addr};

use etherparse::{
    EtherType, LaxLinkExtSlice, LaxNetSlice, LaxSlicedPacket, LinkSlice, TransportSlice,
};

use super::dns::DnsMessage;
use super::http::HttpLine;
use super::tls::TlsInfo;
use super::{Frame, Media};

/// TCP ports Wireshark hands to its HTTP dissector by default.
const HTTP_PORTS: &[u16] = &[80, 1900, 2710, 2869, 3128, 3132, 5985, 8080, 8088, 11371];
/// TCP ports where TLS is expected.
const TLS_PORTS: &[u16] = &[443, 636, 853, 989, 990, 993, 995, 5061, 8443];

/// The link layer of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkInfo {
    Ethernet {
        source: [u8; 6],
        destination: [u8; 6],
        /// EtherType, or the 802.3 length for LLC frames (values below 0x600).
        ether_type: u16,
    },
    /// An 802.11 frame: its type (0 management, 1 control, 2 data), subtype, and the
    /// EtherType of an unencrypted data frame's LLC/SNAP header.
    Wifi {
        frame_type: u8,
        subtype: u8,
        ether_type: Option<u16>,
    },
    /// The frame starts with the IP header.
    RawIp,
}

/// The IP header of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpInfo {
    pub source: IpAddr,
    pub destination: IpAddr,
    /// Protocol number of the payload (after IPv6 extension headers).
    pub protocol: u8,
    /// TTL (IPv4) or hop limit (IPv6).
    pub ttl: u8,
    /// IPv4 identification; `None` for IPv6.
    pub identification: Option<u16>,
    /// The payload is an IP fragment (transport headers are not read then).
    pub fragmented: bool,
}

/// An ARP packet (IPv4 over Ethernet ones give addresses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpInfo {
    /// 1 request, 2 reply.
    pub operation: u16,
    pub sender_mac: Option<[u8; 6]>,
    pub sender_ip: Option<Ipv4Addr>,
    pub target_ip: Option<Ipv4Addr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpFlags {
    pub fin: bool,
    pub syn: bool,
    pub rst: bool,
    pub psh: bool,
    pub ack: bool,
    pub urg: bool,
    pub ece: bool,
    pub cwr: bool,
}

impl TcpFlags {
    /// Set flags in Wireshark's order: `SYN, ACK`.
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.fin, "FIN"),
            (self.syn, "SYN"),
            (self.rst, "RST"),
            (self.psh, "PSH"),
            (self.ack, "ACK"),
            (self.urg, "URG"),
            (self.ece, "ECE"),
            (self.cwr, "CWR"),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect()
    }
}

/// The transport layer of a frame, borrowing its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport<'a> {
    Tcp {
        source_port: u16,
        destination_port: u16,
        seq: u32,
        ack: u32,
        window: u16,
        flags: TcpFlags,
        payload: &'a [u8],
    },
    Udp {
        source_port: u16,
        destination_port: u16,
        payload: &'a [u8],
    },
    Icmp {
        /// ICMPv6 rather than ICMP for IPv4.
        v6: bool,
        icmp_type: u8,
        code: u8,
        /// Header bytes 4..8 (identifier and sequence number of echo messages).
        rest: [u8; 4],
    },
}

impl Transport<'_> {
    /// (source, destination) ports of TCP and UDP.
    pub fn ports(&self) -> Option<(u16, u16)> {
        match *self {
            Transport::Tcp {
                source_port,
                destination_port,
                ..
            }
            | Transport::Udp {
                source_port,
                destination_port,
                ..
            } => Some((source_port, destination_port)),
            Transport::Icmp { .. } => None,
        }
    }
}

/// What the transport payload holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Application {
    /// A DNS-format message; `protocol` is `DNS`, `MDNS` or `LLMNR`; `message` is `None`
    /// when the bytes did not parse.
    Dns {
        protocol: &'static str,
        message: Option<DnsMessage>,
    },
    Http(HttpLine),
    /// Payload on an HTTP port that does not start a message (body, or a later segment).
    HttpContinuation,
    Tls(TlsInfo),
    /// Payload on a TLS port that does not start with a record header.
    TlsContinuation,
    /// A protocol recognised only by its well-known UDP port (`DHCP`, `NTP`, `SSDP`, ...).
    Named(&'static str),
}

/// All layers read from one frame.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dissection<'a> {
    pub link: Option<LinkInfo>,
    /// VLAN ids, outermost first.
    pub vlans: Vec<u16>,
    pub ip: Option<IpInfo>,
    pub arp: Option<ArpInfo>,
    pub transport: Option<Transport<'a>>,
    pub application: Option<Application>,
    /// Why reading stopped before the end, e.g. `TCP header cut short`.
    pub problem: Option<String>,
}

/// Reads every layer of `frame` that its bytes allow. Never fails: whatever could not be
/// read is missing, with [`Dissection::problem`] saying why.
pub fn dissect(frame: &Frame) -> Dissection<'_> {
    let data = frame.data.as_slice();
    let mut d = Dissection::default();
    let sliced = match frame.media {
        Media::Ethernet | Media::Unknown(_) => match LaxSlicedPacket::from_ethernet(data) {
            Ok(s) => s,
            Err(e) => {
                d.problem = Some(format!("Ethernet header: {e}"));
                return d;
            }
        },
        Media::Ip => {
            d.link = Some(LinkInfo::RawIp);
            match LaxSlicedPacket::from_ip(data) {
                Ok(s) => s,
                Err(e) => {
                    d.problem = Some(format!("IP header: {e}"));
                    return d;
                }
            }
        }
        Media::Wifi => {
            let Some((link, payload)) = wifi_header(data) else {
                d.problem = Some(format!("802.11 header cut short ({} bytes)", data.len()));
                return d;
            };
            d.link = Some(link);
            match (link, payload) {
                (
                    LinkInfo::Wifi {
                        ether_type: Some(t),
                        ..
                    },
                    Some(p),
                ) => LaxSlicedPacket::from_ether_type(EtherType(t), p),
                _ => return d,
            }
        }
    };
    fill_from_sliced(&mut d, sliced);
    d.application = d.transport.as_ref().and_then(application_of);
    d
}

fn fill_from_sliced<'a>(d: &mut Dissection<'a>, sliced: LaxSlicedPacket<'a>) {
    if let Some(LinkSlice::Ethernet2(eth)) = &sliced.link {
        d.link = Some(LinkInfo::Ethernet {
            source: eth.source(),
            destination: eth.destination(),
            ether_type: eth.ether_type().0,
        });
    }
    for ext in &sliced.link_exts {
        if let LaxLinkExtSlice::Vlan(vlan) = ext {
            d.vlans.push(vlan.vlan_identifier().value());
        }
    }
    match &sliced.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            d.ip = Some(IpInfo {
                source: IpAddr::V4(h.source_addr()),
                destination: IpAddr::V4(h.destination_addr()),
                protocol: v4.payload().ip_number.0,
                ttl: h.ttl(),
                identification: Some(h.identification()),
                fragmented: v4.payload().fragmented,
            });
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            d.ip = Some(IpInfo {
                source: IpAddr::V6(h.source_addr()),
                destination: IpAddr::V6(h.destination_addr()),
                protocol: v6.payload().ip_number.0,
                ttl: h.hop_limit(),
                identification: None,
                fragmented: v6.payload().fragmented,
            });
        }
        Some(LaxNetSlice::Arp(arp)) => {
            let ipv4 = |b: &[u8]| <[u8; 4]>::try_from(b).ok().map(Ipv4Addr::from);
            d.arp = Some(ArpInfo {
                operation: arp.operation().0,
                sender_mac: <[u8; 6]>::try_from(arp.sender_hw_addr()).ok(),
                sender_ip: ipv4(arp.sender_protocol_addr()),
                target_ip: ipv4(arp.target_protocol_addr()),
            });
        }
        None => {}
    }
    d.transport = match &sliced.transport {
        Some(TransportSlice::Tcp(tcp)) => Some(Transport::Tcp {
            source_port: tcp.source_port(),
            destination_port: tcp.destination_port(),
            seq: tcp.sequence_number(),
            ack: tcp.acknowledgment_number(),
            window: tcp.window_size(),
            flags: TcpFlags {
                fin: tcp.fin(),
                syn: tcp.syn(),
                rst: tcp.rst(),
                psh: tcp.psh(),
                ack: tcp.ack(),
                urg: tcp.urg(),
                ece: tcp.ece(),
                cwr: tcp.cwr(),
            },
            payload: tcp.payload(),
        }),
        Some(TransportSlice::Udp(udp)) => Some(Transport::Udp {
            source_port: udp.source_port(),
            destination_port: udp.destination_port(),
            payload: udp.payload(),
        }),
        Some(TransportSlice::Icmpv4(icmp)) => Some(Transport::Icmp {
            v6: false,
            icmp_type: icmp.type_u8(),
            code: icmp.code_u8(),
            rest: icmp.bytes5to8(),
        }),
        Some(TransportSlice::Icmpv6(icmp)) => Some(Transport::Icmp {
            v6: true,
            icmp_type: icmp.type_u8(),
            code: icmp.code_u8(),
            rest: icmp.bytes5to8(),
        }),
        _ => None,
    };
    if let Some((err, _layer)) = &sliced.stop_err {
        // The error text names the layer and the byte counts.
        d.problem = Some(err.to_string());
    }
}

/// Ports in the order Wireshark tries them: the lower one first.
fn ports_low_first(source: u16, destination: u16) -> [u16; 2] {
    [source.min(destination), source.max(destination)]
}

fn application_of(t: &Transport) -> Option<Application> {
    match *t {
        Transport::Tcp {
            source_port,
            destination_port,
            payload,
            ..
        } => {
            if payload.is_empty() {
                return None;
            }
            if let Some(line) = HttpLine::parse(payload) {
                return Some(Application::Http(line));
            }
            if let Some(tls) = TlsInfo::parse(payload) {
                return Some(Application::Tls(tls));
            }
            let ports = ports_low_first(source_port, destination_port);
            ports.iter().find_map(|p| match p {
                53 => Some(Application::Dns {
                    protocol: "DNS",
                    message: DnsMessage::parse_tcp(payload),
                }),
                p if HTTP_PORTS.contains(p) => Some(Application::HttpContinuation),
                p if TLS_PORTS.contains(p) => Some(Application::TlsContinuation),
                _ => None,
            })
        }
        Transport::Udp {
            source_port,
            destination_port,
            payload,
        } => {
            let ports = ports_low_first(source_port, destination_port);
            ports.iter().find_map(|&p| {
                let dns = |protocol| Application::Dns {
                    protocol,
                    message: DnsMessage::parse(payload),
                };
                Some(match p {
                    53 => dns("DNS"),
                    5353 => dns("MDNS"),
                    5355 => dns("LLMNR"),
                    67 | 68 => Application::Named("DHCP"),
                    123 => Application::Named("NTP"),
                    137 => Application::Named("NBNS"),
                    138 => Application::Named("BROWSER"),
                    546 | 547 => Application::Named("DHCPv6"),
                    1900 => Application::Named("SSDP"),
                    3702 => Application::Named("WS-Discovery"),
                    _ => return None,
                })
            })
        }
        Transport::Icmp { .. } => None,
    }
}

/// The 802.11 MAC header; for unprotected data frames with an LLC/SNAP header also the
/// EtherType and the bytes after it.
fn wifi_header(data: &[u8]) -> Option<(LinkInfo, Option<&[u8]>)> {
    let control = *data.first()?;
    let flags = *data.get(1)?;
    let frame_type = (control >> 2) & 0x03;
    let subtype = control >> 4;
    let not_data = LinkInfo::Wifi {
        frame_type,
        subtype,
        ether_type: None,
    };
    let protected = flags & 0x40 != 0;
    let null_data = subtype & 0x04 != 0;
    if frame_type != 2 || protected || null_data {
        // Enough bytes for the smallest header, else nothing was readable.
        data.get(..10)?;
        return Some((not_data, None));
    }
    let mut header_len = 24;
    if flags & 0x03 == 0x03 {
        header_len += 6; // fourth address (to-DS and from-DS)
    }
    if subtype & 0x08 != 0 {
        header_len += 2; // QoS control
        if flags & 0x80 != 0 {
            header_len += 4; // HT control
        }
    }
    let llc = data.get(header_len..header_len + 8)?;
    let snap = llc[..3] == [0xAA, 0xAA, 0x03];
    if !snap {
        return Some((not_data, None));
    }
    let ether_type = u16::from_be_bytes([llc[6], llc[7]]);
    Some((
        LinkInfo::Wifi {
            frame_type,
            subtype,
            ether_type: Some(ether_type),
        },
        data.get(header_len + 8..),
    ))
}

#[cfg(test)]
#[path = "dissect_tests.rs"]
mod tests;
