//! Packet fields for the filter language (filter-language.md §3.3) and TCP conversations.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use super::Frame;
use super::dissect::{Application, Dissection, LinkInfo, Transport, dissect};
use super::http::HttpLine;
use super::summary::mac;

/// One value of a packet field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldValue {
    Int(i128),
    Str(String),
}

/// The values of the packet field `path` (lower-case, dotted) in `frame`.
///
/// `None`: `path` is not a packet field at all (the caller can try other field kinds).
/// `Some(vec![])`: a packet field this frame does not have (a comparison on it is false).
/// Several values: fields such as `ipv4.address` or `tcp.port` that match either end, or
/// repeated ones (`dns.queryname`).
pub fn field_values(frame: &Frame, path: &str) -> Option<Vec<FieldValue>> {
    dissect(frame).field_values(path)
}

/// Whether `frame` contains the protocol named by a bare filter word (`tcp`, `dns`, ...).
/// Unknown words are false.
pub fn has_protocol(frame: &Frame, word: &str) -> bool {
    dissect(frame).has_protocol(word)
}

impl Dissection<'_> {
    /// See [`field_values`].
    pub fn field_values(&self, path: &str) -> Option<Vec<FieldValue>> {
        let (layer, rest) = path.split_once('.')?;
        match layer {
            "ipv4" | "ipv6" => self.ip_values(layer == "ipv4", rest),
            "ethernet" | "eth" => self.ethernet_values(rest),
            "tcp" => self.tcp_values(rest),
            "udp" => self.udp_values(rest),
            "dns" => self.dns_values(rest),
            "http" => self.http_values(rest),
            "tls" => self.tls_values(rest),
            _ => None,
        }
    }

    /// See [`has_protocol`].
    pub fn has_protocol(&self, word: &str) -> bool {
        let word = word.to_ascii_lowercase();
        let ip_version = |v4: bool| self.ip.is_some_and(|ip| ip.source.is_ipv4() == v4);
        match word.as_str() {
            "ethernet" | "eth" => matches!(self.link, Some(LinkInfo::Ethernet { .. })),
            "vlan" => !self.vlans.is_empty(),
            "wifi" | "wlan" => matches!(self.link, Some(LinkInfo::Wifi { .. })),
            "arp" => self.arp.is_some(),
            "ipv4" | "ip" => ip_version(true),
            "ipv6" => ip_version(false),
            "tcp" => matches!(self.transport, Some(Transport::Tcp { .. })),
            "udp" => matches!(self.transport, Some(Transport::Udp { .. })),
            "icmp" => matches!(self.transport, Some(Transport::Icmp { v6: false, .. })),
            "icmpv6" => matches!(self.transport, Some(Transport::Icmp { v6: true, .. })),
            "dns" => matches!(
                self.application,
                Some(Application::Dns {
                    protocol: "DNS",
                    ..
                })
            ),
            "mdns" => matches!(
                self.application,
                Some(Application::Dns {
                    protocol: "MDNS",
                    ..
                })
            ),
            "llmnr" => matches!(
                self.application,
                Some(Application::Dns {
                    protocol: "LLMNR",
                    ..
                })
            ),
            "http" => matches!(
                self.application,
                Some(Application::Http(_) | Application::HttpContinuation)
            ),
            "tls" | "ssl" => matches!(
                self.application,
                Some(Application::Tls(_) | Application::TlsContinuation)
            ),
            other => {
                matches!(&self.application, Some(Application::Named(n)) if n.eq_ignore_ascii_case(other))
            }
        }
    }

    fn ip_values(&self, v4: bool, rest: &str) -> Option<Vec<FieldValue>> {
        const NAMES: &[&str] = &[
            "address",
            "addr",
            "sourceaddress",
            "src",
            "destinationaddress",
            "dst",
            "ttl",
            "hoplimit",
            "protocol",
            "nextheader",
        ];
        let Some(ip) = self.ip.filter(|ip| ip.source.is_ipv4() == v4) else {
            return known(rest, NAMES);
        };
        let text = |a: IpAddr| FieldValue::Str(a.to_string());
        Some(match rest {
            "address" | "addr" => vec![text(ip.source), text(ip.destination)],
            "sourceaddress" | "src" => vec![text(ip.source)],
            "destinationaddress" | "dst" => vec![text(ip.destination)],
            "ttl" | "hoplimit" => vec![FieldValue::Int(ip.ttl.into())],
            "protocol" | "nextheader" => vec![FieldValue::Int(ip.protocol.into())],
            _ => return None,
        })
    }

    fn ethernet_values(&self, rest: &str) -> Option<Vec<FieldValue>> {
        let Some(LinkInfo::Ethernet {
            source,
            destination,
            ether_type,
        }) = self.link
        else {
            return known(
                rest,
                &[
                    "address",
                    "addr",
                    "sourceaddress",
                    "destinationaddress",
                    "src",
                    "dst",
                    "ethertype",
                    "type",
                ],
            );
        };
        Some(match rest {
            "address" | "addr" => vec![
                FieldValue::Str(mac(&source)),
                FieldValue::Str(mac(&destination)),
            ],
            "sourceaddress" | "src" => vec![FieldValue::Str(mac(&source))],
            "destinationaddress" | "dst" => vec![FieldValue::Str(mac(&destination))],
            "ethertype" | "type" => vec![FieldValue::Int(ether_type.into())],
            _ => return None,
        })
    }

    fn tcp_values(&self, rest: &str) -> Option<Vec<FieldValue>> {
        const NAMES: &[&str] = &[
            "port",
            "srcport",
            "dstport",
            "sourceport",
            "destinationport",
            "seqnumber",
            "acknumber",
            "window",
            "payloadlength",
            "flags.syn",
            "flags.ack",
            "flags.fin",
            "flags.reset",
            "flags.rst",
            "flags.push",
            "flags.psh",
            "flags.urgent",
            "flags.urg",
        ];
        let Some(Transport::Tcp {
            source_port,
            destination_port,
            seq,
            ack,
            window,
            flags,
            payload,
        }) = self.transport
        else {
            return known(rest, NAMES);
        };
        let int = |v: i128| vec![FieldValue::Int(v)];
        let bit = |b: bool| int(i128::from(b));
        Some(match rest {
            "port" => vec![
                FieldValue::Int(source_port.into()),
                FieldValue::Int(destination_port.into()),
            ],
            "srcport" | "sourceport" => int(source_port.into()),
            "dstport" | "destinationport" => int(destination_port.into()),
            "seqnumber" => int(seq.into()),
            "acknumber" => int(ack.into()),
            "window" => int(window.into()),
            "payloadlength" => int(payload.len() as i128),
            "flags.syn" => bit(flags.syn),
            "flags.ack" => bit(flags.ack),
            "flags.fin" => bit(flags.fin),
            "flags.reset" | "flags.rst" => bit(flags.rst),
            "flags.push" | "flags.psh" => bit(flags.psh),
            "flags.urgent" | "flags.urg" => bit(flags.urg),
            _ => return None,
        })
    }

    fn udp_values(&self, rest: &str) -> Option<Vec<FieldValue>> {
        const NAMES: &[&str] = &[
            "port",
            "srcport",
            "dstport",
            "sourceport",
            "destinationport",
            "payloadlength",
        ];
        let Some(Transport::Udp {
            source_port,
            destination_port,
            payload,
        }) = self.transport
        else {
            return known(rest, NAMES);
        };
        let int = |v: i128| vec![FieldValue::Int(v)];
        Some(match rest {
            "port" => vec![
                FieldValue::Int(source_port.into()),
                FieldValue::Int(destination_port.into()),
            ],
            "srcport" | "sourceport" => int(source_port.into()),
            "dstport" | "destinationport" => int(destination_port.into()),
            "payloadlength" => int(payload.len() as i128),
            _ => return None,
        })
    }

    fn dns_values(&self, rest: &str) -> Option<Vec<FieldValue>> {
        const NAMES: &[&str] = &["queryname", "qrecord.questionname", "id", "flags.response"];
        let Some(Application::Dns {
            message: Some(m), ..
        }) = &self.application
        else {
            return known(rest, NAMES);
        };
        Some(match rest {
            "queryname" | "qrecord.questionname" => m
                .questions
                .iter()
                .map(|q| FieldValue::Str(q.name.clone()))
                .collect(),
            "id" => vec![FieldValue::Int(m.id.into())],
            "flags.response" => vec![FieldValue::Int(i128::from(m.response))],
            _ => return None,
        })
    }

    fn http_values(&self, rest: &str) -> Option<Vec<FieldValue>> {
        const NAMES: &[&str] = &[
            "request.command",
            "request.method",
            "request.uri",
            "request.host",
            "request.version",
            "response.statuscode",
            "response.reason",
        ];
        let str1 = |s: &str| vec![FieldValue::Str(s.to_string())];
        match (&self.application, rest) {
            (
                Some(Application::Http(HttpLine::Request { method, .. })),
                "request.command" | "request.method",
            ) => Some(str1(method)),
            (Some(Application::Http(HttpLine::Request { uri, .. })), "request.uri") => {
                Some(str1(uri))
            }
            (Some(Application::Http(HttpLine::Request { version, .. })), "request.version") => {
                Some(str1(version))
            }
            (Some(Application::Http(HttpLine::Request { host, .. })), "request.host") => {
                Some(host.iter().map(|h| FieldValue::Str(h.clone())).collect())
            }
            (Some(Application::Http(HttpLine::Response { status, .. })), "response.statuscode") => {
                Some(vec![FieldValue::Int((*status).into())])
            }
            (Some(Application::Http(HttpLine::Response { reason, .. })), "response.reason") => {
                Some(str1(reason))
            }
            _ => known(rest, NAMES),
        }
    }

    fn tls_values(&self, rest: &str) -> Option<Vec<FieldValue>> {
        match (&self.application, rest) {
            (Some(Application::Tls(info)), "sni" | "servername") => Some(
                info.sni
                    .iter()
                    .map(|s| FieldValue::Str(s.clone()))
                    .collect(),
            ),
            _ => known(rest, &["sni", "servername"]),
        }
    }
}

/// `Some(empty)` for a field name of the layer (absent in this frame), `None` for a name
/// that is not a field at all.
fn known(rest: &str, names: &[&str]) -> Option<Vec<FieldValue>> {
    names.contains(&rest).then(Vec::new)
}

/// One TCP connection (4-tuple) seen in the frames.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Conversation {
    /// The endpoint that sent the first frame seen (the client when the SYN was captured).
    pub a: SocketAddr,
    pub b: SocketAddr,
    pub frames: usize,
    /// Bytes on the wire (original lengths) in both directions.
    pub bytes: usize,
    /// FILETIMEs of the first and last frame.
    pub first: i64,
    pub last: i64,
    /// A filter expression selecting exactly this conversation's frames.
    pub filter: String,
}

/// TCP conversations in order of their first frame.
pub fn conversations(frames: &[Frame]) -> Vec<Conversation> {
    let mut index: HashMap<(SocketAddr, SocketAddr), usize> = HashMap::new();
    let mut out: Vec<Conversation> = Vec::new();
    for frame in frames {
        let d = dissect(frame);
        let (
            Some(ip),
            Some(Transport::Tcp {
                source_port,
                destination_port,
                ..
            }),
        ) = (d.ip, d.transport)
        else {
            continue;
        };
        let from = SocketAddr::new(ip.source, source_port);
        let to = SocketAddr::new(ip.destination, destination_port);
        let key = if from <= to { (from, to) } else { (to, from) };
        let at = *index.entry(key).or_insert_with(|| {
            out.push(Conversation {
                a: from,
                b: to,
                frames: 0,
                bytes: 0,
                first: frame.filetime,
                last: frame.filetime,
                filter: conversation_filter(from, to),
            });
            out.len() - 1
        });
        if let Some(c) = out.get_mut(at) {
            c.frames += 1;
            c.bytes = c.bytes.saturating_add(frame.original_len);
            c.first = c.first.min(frame.filetime);
            c.last = c.last.max(frame.filetime);
        }
    }
    out
}

/// `(ipv4.src == A && tcp.srcport == 1 && ipv4.dst == B && tcp.dstport == 2) || (...)`:
/// both directions, and nothing else.
fn conversation_filter(a: SocketAddr, b: SocketAddr) -> String {
    let layer = if a.is_ipv4() { "ipv4" } else { "ipv6" };
    let one_way = |s: SocketAddr, d: SocketAddr| {
        format!(
            "({layer}.src == {} && tcp.srcport == {} && {layer}.dst == {} && tcp.dstport == {})",
            s.ip(),
            s.port(),
            d.ip(),
            d.port()
        )
    };
    format!("{} || {}", one_way(a, b), one_way(b, a))
}

#[cfg(test)]
#[path = "fields_tests.rs"]
mod tests;
