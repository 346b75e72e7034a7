//! The one-line protocol summary of a frame (Wireshark's Protocol and Info columns) and
//! the labelled values the detail pane lists.

use std::fmt::Write as _;
use std::net::IpAddr;

use super::dissect::{Application, ArpInfo, Dissection, IpInfo, LinkInfo, Transport, dissect};
use super::dns;
use super::{Direction, Frame, Media};

/// What the event list and the detail pane show for a frame.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Top-most protocol recognised: `HTTP`, `TLS`, `DNS`, `TCP`, `UDP`, `ICMP`, `ARP`,
    /// `IPv4`, `Ethernet`, ...
    pub protocol: String,
    /// One line like Wireshark's Info column.
    pub text: String,
    /// Source and destination addresses (IP when there is an IP header, else MAC); empty
    /// when unknown.
    pub source: String,
    pub destination: String,
    /// Labelled values, outer layers first; names match the filter fields where one exists
    /// (`IPv4.SourceAddress`, `TCP.SrcPort`, `HTTP.Request.Command`, ...).
    pub fields: Vec<(String, String)>,
}

/// Summarises one frame. Never fails: unreadable layers are left out and the text says
/// where reading stopped.
pub fn summarize(frame: &Frame) -> Summary {
    let d = dissect(frame);
    let mut fields = Vec::new();
    let mut push = |name: &str, value: String| fields.push((name.to_string(), value));
    push("Frame.Interface", frame.interface.to_string());
    push(
        "Frame.Direction",
        direction_name(frame.direction).to_string(),
    );
    push("Frame.Media", media_name(frame.media));
    push("Frame.CapturedLength", frame.data.len().to_string());
    push("Frame.OriginalLength", frame.original_len.to_string());
    link_fields(&d, &mut push);
    if let Some(ip) = &d.ip {
        ip_fields(ip, &mut push);
    }
    if let Some(arp) = &d.arp {
        arp_fields(arp, &mut push);
    }
    if let Some(t) = &d.transport {
        transport_fields(t, &mut push);
    }
    if let Some(app) = &d.application {
        application_fields(app, &mut push);
    }
    if let Some(problem) = &d.problem {
        push("Problem", problem.clone());
    }

    let (protocol, mut text) = headline(&d);
    if frame.truncated {
        let _ = write!(
            text,
            " [captured {} of {} bytes]",
            frame.data.len(),
            frame.original_len
        );
    } else if let Some(problem) = &d.problem {
        let _ = write!(text, " [{problem}]");
    }
    let (source, destination) = addresses(&d);
    Summary {
        protocol,
        text,
        source,
        destination,
        fields,
    }
}

fn direction_name(d: Direction) -> &'static str {
    match d {
        Direction::Send => "Send",
        Direction::Receive => "Receive",
        Direction::Unknown => "Unknown",
    }
}

fn media_name(m: Media) -> String {
    match m {
        Media::Ethernet => "Ethernet".into(),
        Media::Wifi => "802.11".into(),
        Media::Ip => "Raw IP".into(),
        Media::Unknown(n) => format!("Unknown ({n})"),
    }
}

/// `aa:bb:cc:dd:ee:ff`.
pub(crate) fn mac(m: &[u8; 6]) -> String {
    let mut s = String::with_capacity(17);
    for (i, b) in m.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn addresses(d: &Dissection) -> (String, String) {
    if let Some(ip) = &d.ip {
        return (ip.source.to_string(), ip.destination.to_string());
    }
    if let Some(LinkInfo::Ethernet {
        source,
        destination,
        ..
    }) = &d.link
    {
        return (mac(source), mac(destination));
    }
    (String::new(), String::new())
}

/// (protocol, info text) of the top-most layer read.
fn headline(d: &Dissection) -> (String, String) {
    if let (Some(app), Some(t)) = (&d.application, &d.transport) {
        return application_headline(app, t);
    }
    if let Some(t) = &d.transport {
        return transport_headline(t);
    }
    if let Some(arp) = &d.arp {
        return ("ARP".into(), arp_text(arp));
    }
    if let Some(ip) = &d.ip {
        let version = if ip.source.is_ipv4() { "IPv4" } else { "IPv6" };
        let name = ip_protocol_name(ip.protocol);
        if ip.fragmented {
            let id = ip
                .identification
                .map(|i| format!(", ID=0x{i:04x}"))
                .unwrap_or_default();
            return (
                version.into(),
                format!("Fragmented IP protocol (proto={name} {}{id})", ip.protocol),
            );
        }
        // Protocols we do not dissect still get their name as the protocol.
        let protocol = match ip.protocol {
            2 => "IGMP",
            47 => "GRE",
            50 => "ESP",
            51 => "AH",
            132 => "SCTP",
            _ => version,
        };
        return (
            protocol.into(),
            format!("{} → {} {name}", ip.source, ip.destination),
        );
    }
    match &d.link {
        Some(LinkInfo::Ethernet {
            source,
            destination,
            ether_type,
        }) => {
            let kind = if *ether_type < 0x0600 {
                format!("802.3 length {ether_type}")
            } else {
                format!("type 0x{ether_type:04x}")
            };
            (
                "Ethernet".into(),
                format!("{} → {} {kind}", mac(source), mac(destination)),
            )
        }
        Some(LinkInfo::Wifi {
            frame_type,
            subtype,
            ..
        }) => {
            let kind = match frame_type {
                0 => "Management",
                1 => "Control",
                2 => "Data",
                _ => "Reserved",
            };
            ("802.11".into(), format!("{kind} frame, subtype {subtype}"))
        }
        Some(LinkInfo::RawIp) | None => ("Unknown".into(), String::new()),
    }
}

fn application_headline(app: &Application, t: &Transport) -> (String, String) {
    let ports = || match t.ports() {
        Some((s, d)) => format!("{s} → {d} Len={}", payload_len(t)),
        None => String::new(),
    };
    match app {
        Application::Dns { protocol, message } => (
            (*protocol).into(),
            message
                .as_ref()
                .map_or_else(|| format!("Malformed message, {}", ports()), |m| m.info()),
        ),
        Application::Http(line) => ("HTTP".into(), line.info()),
        Application::HttpContinuation => ("HTTP".into(), format!("Continuation, {}", ports())),
        Application::Tls(info) => ("TLS".into(), info.info()),
        Application::TlsContinuation => ("TLS".into(), format!("Continuation Data, {}", ports())),
        Application::Named(name) => ((*name).into(), ports()),
    }
}

fn payload_len(t: &Transport) -> usize {
    match t {
        Transport::Tcp { payload, .. } | Transport::Udp { payload, .. } => payload.len(),
        Transport::Icmp { .. } => 0,
    }
}

fn transport_headline(t: &Transport) -> (String, String) {
    match *t {
        Transport::Tcp {
            source_port,
            destination_port,
            seq,
            ack,
            window,
            flags,
            payload,
        } => {
            let mut text = format!(
                "{source_port} → {destination_port} [{}] Seq={seq}",
                flags.names().join(", ")
            );
            if flags.ack {
                let _ = write!(text, " Ack={ack}");
            }
            let _ = write!(text, " Win={window} Len={}", payload.len());
            ("TCP".into(), text)
        }
        Transport::Udp {
            source_port,
            destination_port,
            payload,
        } => (
            "UDP".into(),
            format!("{source_port} → {destination_port} Len={}", payload.len()),
        ),
        Transport::Icmp {
            v6,
            icmp_type,
            code,
            rest,
        } => {
            let protocol = if v6 { "ICMPv6" } else { "ICMP" };
            (protocol.into(), icmp_text(v6, icmp_type, code, rest))
        }
    }
}

fn icmp_text(v6: bool, icmp_type: u8, code: u8, rest: [u8; 4]) -> String {
    let echo = |name: &str| {
        let id = u16::from_be_bytes([rest[0], rest[1]]);
        let seq = u16::from_be_bytes([rest[2], rest[3]]);
        format!("{name} id=0x{id:04x}, seq={seq}")
    };
    match (v6, icmp_type) {
        (false, 0) | (true, 129) => echo("Echo (ping) reply"),
        (false, 8) | (true, 128) => echo("Echo (ping) request"),
        (false, 3) => format!("Destination unreachable ({})", unreachable_name(code)),
        (true, 1) => format!("Destination unreachable (code {code})"),
        (false, 11) | (true, 3) => "Time-to-live exceeded".into(),
        (false, 5) | (true, 137) => "Redirect".into(),
        (true, 2) => "Packet too big".into(),
        (true, 133) => "Router Solicitation".into(),
        (true, 134) => "Router Advertisement".into(),
        (true, 135) => "Neighbor Solicitation".into(),
        (true, 136) => "Neighbor Advertisement".into(),
        (true, 143) => "Multicast Listener Report Message v2".into(),
        _ => format!("Type {icmp_type}, code {code}"),
    }
}

fn unreachable_name(code: u8) -> String {
    match code {
        0 => "Network unreachable".into(),
        1 => "Host unreachable".into(),
        2 => "Protocol unreachable".into(),
        3 => "Port unreachable".into(),
        4 => "Fragmentation needed".into(),
        13 => "Communication administratively filtered".into(),
        _ => format!("code {code}"),
    }
}

fn arp_text(arp: &ArpInfo) -> String {
    let ip = |a: Option<std::net::Ipv4Addr>| a.map_or_else(|| "?".to_string(), |a| a.to_string());
    match arp.operation {
        1 => format!("Who has {}? Tell {}", ip(arp.target_ip), ip(arp.sender_ip)),
        2 => format!(
            "{} is at {}",
            ip(arp.sender_ip),
            arp.sender_mac.as_ref().map_or_else(|| "?".to_string(), mac)
        ),
        op => format!("Operation {op}"),
    }
}

fn ip_protocol_name(p: u8) -> String {
    match p {
        1 => "ICMP".into(),
        2 => "IGMP".into(),
        6 => "TCP".into(),
        17 => "UDP".into(),
        41 => "IPv6".into(),
        47 => "GRE".into(),
        50 => "ESP".into(),
        51 => "AH".into(),
        58 => "ICMPv6".into(),
        132 => "SCTP".into(),
        n => format!("protocol {n}"),
    }
}

fn link_fields(d: &Dissection, push: &mut impl FnMut(&str, String)) {
    match &d.link {
        Some(LinkInfo::Ethernet {
            source,
            destination,
            ether_type,
        }) => {
            push("Ethernet.SourceAddress", mac(source));
            push("Ethernet.DestinationAddress", mac(destination));
            push("Ethernet.EtherType", format!("0x{ether_type:04x}"));
        }
        Some(LinkInfo::Wifi {
            frame_type,
            subtype,
            ether_type,
        }) => {
            push("WiFi.FrameType", frame_type.to_string());
            push("WiFi.Subtype", subtype.to_string());
            if let Some(t) = ether_type {
                push("WiFi.EtherType", format!("0x{t:04x}"));
            }
        }
        Some(LinkInfo::RawIp) | None => {}
    }
    for vlan in &d.vlans {
        push("VLAN.Id", vlan.to_string());
    }
}

fn ip_fields(ip: &IpInfo, push: &mut impl FnMut(&str, String)) {
    let v = match ip.source {
        IpAddr::V4(_) => "IPv4",
        IpAddr::V6(_) => "IPv6",
    };
    push(&format!("{v}.SourceAddress"), ip.source.to_string());
    push(
        &format!("{v}.DestinationAddress"),
        ip.destination.to_string(),
    );
    let ttl = if v == "IPv4" { "TTL" } else { "HopLimit" };
    push(&format!("{v}.{ttl}"), ip.ttl.to_string());
    push(
        &format!("{v}.Protocol"),
        format!("{} ({})", ip_protocol_name(ip.protocol), ip.protocol),
    );
    if let Some(id) = ip.identification {
        push("IPv4.Identification", format!("0x{id:04x}"));
    }
    if ip.fragmented {
        push(&format!("{v}.Fragmented"), "true".into());
    }
}

fn arp_fields(arp: &ArpInfo, push: &mut impl FnMut(&str, String)) {
    push("ARP.Operation", arp.operation.to_string());
    if let Some(ip) = arp.sender_ip {
        push("ARP.SenderAddress", ip.to_string());
    }
    if let Some(ip) = arp.target_ip {
        push("ARP.TargetAddress", ip.to_string());
    }
}

fn transport_fields(t: &Transport, push: &mut impl FnMut(&str, String)) {
    match *t {
        Transport::Tcp {
            source_port,
            destination_port,
            seq,
            ack,
            window,
            flags,
            payload,
        } => {
            push("TCP.SrcPort", source_port.to_string());
            push("TCP.DstPort", destination_port.to_string());
            push("TCP.SeqNumber", seq.to_string());
            push("TCP.AckNumber", ack.to_string());
            push("TCP.Flags", flags.names().join(", "));
            push("TCP.Window", window.to_string());
            push("TCP.PayloadLength", payload.len().to_string());
        }
        Transport::Udp {
            source_port,
            destination_port,
            payload,
        } => {
            push("UDP.SrcPort", source_port.to_string());
            push("UDP.DstPort", destination_port.to_string());
            push("UDP.PayloadLength", payload.len().to_string());
        }
        Transport::Icmp {
            v6,
            icmp_type,
            code,
            ..
        } => {
            let p = if v6 { "ICMPv6" } else { "ICMP" };
            push(&format!("{p}.Type"), icmp_type.to_string());
            push(&format!("{p}.Code"), code.to_string());
        }
    }
}

fn application_fields(app: &Application, push: &mut impl FnMut(&str, String)) {
    match app {
        Application::Dns {
            message: Some(m), ..
        } => {
            push("DNS.Id", format!("0x{:04x}", m.id));
            push("DNS.Response", m.response.to_string());
            for q in &m.questions {
                push("DNS.QueryName", q.name.clone());
                push("DNS.QueryType", dns::type_name(q.qtype));
            }
            for a in &m.answers {
                let data = match &a.data {
                    dns::DnsData::Address(ip) => ip.to_string(),
                    dns::DnsData::Name(n) => n.clone(),
                    dns::DnsData::Other => String::new(),
                };
                push(
                    "DNS.Answer",
                    format!("{} {} {data}", a.name, dns::type_name(a.rtype))
                        .trim_end()
                        .to_string(),
                );
            }
        }
        Application::Http(super::http::HttpLine::Request {
            method,
            uri,
            version,
            host,
        }) => {
            push("HTTP.Request.Command", method.clone());
            push("HTTP.Request.URI", uri.clone());
            push("HTTP.Request.Version", version.clone());
            if let Some(h) = host {
                push("HTTP.Request.Host", h.clone());
            }
        }
        Application::Http(super::http::HttpLine::Response {
            version,
            status,
            reason,
        }) => {
            push("HTTP.Response.Version", version.clone());
            push("HTTP.Response.StatusCode", status.to_string());
            push("HTTP.Response.Reason", reason.clone());
        }
        Application::Tls(info) => {
            push("TLS.Records", info.records.join(", "));
            push(
                "TLS.RecordVersion",
                format!("0x{:04x}", info.record_version),
            );
            if let Some(sni) = &info.sni {
                push("TLS.SNI", sni.clone());
            }
            if !info.alpn.is_empty() {
                push("TLS.ALPN", info.alpn.join(", "));
            }
        }
        Application::Dns { message: None, .. }
        | Application::HttpContinuation
        | Application::TlsContinuation
        | Application::Named(_) => {}
    }
}

#[cfg(test)]
#[path = "summary_tests.rs"]
mod tests;
