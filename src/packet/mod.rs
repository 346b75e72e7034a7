//! Network frames carried inside ETW events: NDIS-PacketCapture 1001 fragments
//! (`netsh trace ... capture=yes`) and pktmon packet events, reassembled into [`Frame`]s,
//! summarised per protocol ([`summarize`]), exposed to filters ([`field_values`],
//! [`has_protocol`]), grouped into TCP [`conversations`], and exported as pcapng
//! ([`write_pcapng`]).
//!
//! Layering: [`frames`] turns events into frames; [`dissect`] turns one frame's bytes into a
//! [`Dissection`] (headers by etherparse, DNS / TLS / HTTP by small bounded parsers in
//! `dns`, `tls`, `http`); `summary` and `fields` read a dissection; `pcapng` only needs frames.

mod dissect;
mod dns;
mod fields;
mod frames;
mod http;
mod pcapng;
mod summary;
#[cfg(test)]
mod testdata;
mod tls;

pub use dissect::{
    Application, ArpInfo, Dissection, IpInfo, LinkInfo, TcpFlags, Transport, dissect,
};
pub use dns::{DnsAnswer, DnsData, DnsMessage, DnsQuestion};
pub use fields::{Conversation, FieldValue, conversations, field_values, has_protocol};
pub use frames::{NDIS_PROVIDER, PKTMON_PROVIDER, frame_of, frames};
pub use http::HttpLine;
pub use pcapng::{PcapStats, write_pcapng, write_pcapng_with_notes};
pub use summary::{Summary, summarize};
pub use tls::TlsInfo;

/// Which way a frame went, seen from the capturing machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Send,
    Receive,
    /// The event did not say (pktmon `None` tag, NDIS events without a path keyword).
    Unknown,
}

/// What the first byte of [`Frame::data`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Media {
    /// Ethernet II / 802.3 frame.
    Ethernet,
    /// Native 802.11 frame (no radiotap header).
    Wifi,
    /// A raw IPv4 or IPv6 packet (mobile broadband, pktmon IP components).
    Ip,
    /// A media code we do not know (pktmon `PacketType`); treated as Ethernet on export.
    Unknown(u32),
}

/// Which provider a frame came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Source {
    /// Microsoft-Windows-NDIS-PacketCapture event 1001.
    Ndis,
    /// Microsoft-Windows-PktMon event 160 (or 170 for a dropped packet).
    Pktmon,
}

/// One captured network frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// 1-based frame number (event list position) of the event holding the last fragment.
    pub frame_number: usize,
    /// UTC FILETIME of that event.
    pub filetime: i64,
    /// NDIS `LowerIfIndex`, or the pktmon `ComponentId`.
    pub interface: u32,
    pub direction: Direction,
    pub media: Media,
    /// ETW header process id: the context the capture driver ran in, often not the owner.
    pub pid: Option<u32>,
    pub tid: Option<u32>,
    /// Length on the wire; larger than `data.len()` when the capture cut the frame.
    pub original_len: usize,
    pub truncated: bool,
    pub data: Vec<u8>,
    pub source: Source,
}
