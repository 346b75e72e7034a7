//! Frames out of events: NDIS-PacketCapture 1001 fragments reassembled by their
//! PacketStart/PacketEnd keywords, and pktmon packet events (one event, one frame).

use std::collections::HashMap;

use uuid::{Uuid, uuid};

use super::{Direction, Frame, Media, Source};
use crate::timeline::Timeline;
use decode::value::Value;
use etl::{Event, ProviderId};

/// Microsoft-Windows-NDIS-PacketCapture.
pub const NDIS_PROVIDER: Uuid = uuid!("2ed6006e-4729-4609-b423-3ee7bcd678ef");
/// Microsoft-Windows-PktMon.
pub const PKTMON_PROVIDER: Uuid = uuid!("4d4f80d9-c8bd-4d73-bb5b-19c90402c5ac");

const NDIS_PACKET_FRAGMENT: u16 = 1001;
const PKTMON_PACKET: u16 = 160;
const PKTMON_DROPPED_PACKET: u16 = 170;

/// Per-event keyword bits of NDIS 1001 (winhttp-events.md §4.1, as etl2pcapng reads them).
mod keyword {
    pub const WIRELESS_WAN: u64 = 0x200;
    pub const NATIVE_802_11: u64 = 0x1_0000;
    pub const PACKET_START: u64 = 0x4000_0000;
    pub const PACKET_END: u64 = 0x8000_0000;
    pub const SEND: u64 = 0x1_0000_0000;
    pub const RECEIVE: u64 = 0x2_0000_0000;
}

/// Bytes of the fixed part of a 1001 payload: MiniportIfIndex, LowerIfIndex, FragmentSize.
const NDIS_FIXED_LEN: usize = 12;

/// Longest reassembled frame kept (64 KiB offload packets plus headers, with room to
/// spare); a frame growing past it is cut there and marked truncated.
const MAX_FRAME_LEN: usize = 256 * 1024;

/// ETW writes this process/thread id for events logged without a thread context.
const NO_CONTEXT_ID: u32 = u32::MAX;

/// All frames of a trace in time order (the order of their last fragment).
///
/// NDIS fragments are accumulated per (processor, LowerIfIndex) from a PacketStart event
/// to the next PacketEnd event; fragments without a preceding PacketStart and packets
/// still open at the end of the trace are dropped, because their bytes do not start at a
/// frame boundary.
pub fn frames(session: &Timeline) -> Vec<Frame> {
    let mut out = Vec::new();
    let mut open: HashMap<(u16, u32), Vec<u8>> = HashMap::new();
    for e in session.events() {
        match packet_event(&e) {
            Some(PacketEvent::NdisFragment) => {
                if let Some(frame) = add_ndis_fragment(&mut open, &e) {
                    out.push(frame);
                }
            }
            Some(PacketEvent::Pktmon) => out.extend(pktmon_frame(session, &e)),
            None => {}
        }
    }
    out
}

/// The frame held by one event, when that event carries a whole frame: an NDIS 1001
/// event with both PacketStart and PacketEnd, or a pktmon packet event.
pub fn frame_of(session: &Timeline, e: &Event) -> Option<Frame> {
    match packet_event(e)? {
        PacketEvent::NdisFragment => {
            let whole = keyword::PACKET_START | keyword::PACKET_END;
            if e.header.keyword & whole != whole {
                return None;
            }
            let fragment = NdisFragment::parse(e.payload())?;
            Some(ndis_frame(
                e,
                fragment.lower_if_index,
                fragment.bytes.to_vec(),
            ))
        }
        PacketEvent::Pktmon => pktmon_frame(session, e),
    }
}

enum PacketEvent {
    NdisFragment,
    Pktmon,
}

fn packet_event(e: &Event) -> Option<PacketEvent> {
    let ProviderId::Guid(provider) = e.header.provider else {
        return None;
    };
    if provider == NDIS_PROVIDER && e.header.id == NDIS_PACKET_FRAGMENT {
        Some(PacketEvent::NdisFragment)
    } else if provider == PKTMON_PROVIDER
        && matches!(e.header.id, PKTMON_PACKET | PKTMON_DROPPED_PACKET)
    {
        Some(PacketEvent::Pktmon)
    } else {
        None
    }
}

/// The payload of an NDIS 1001 event (manifest template `T_PacketFragment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NdisFragment<'a> {
    lower_if_index: u32,
    /// The fragment bytes, cut to what the event really holds when `FragmentSize` claims more.
    bytes: &'a [u8],
}

impl<'a> NdisFragment<'a> {
    fn parse(payload: &'a [u8]) -> Option<NdisFragment<'a>> {
        let lower_if_index = u32::from_le_bytes(payload.get(4..8)?.try_into().ok()?);
        let declared = u32::from_le_bytes(payload.get(8..NDIS_FIXED_LEN)?.try_into().ok()?);
        let rest = payload.get(NDIS_FIXED_LEN..)?;
        let len = usize::try_from(declared).map_or(rest.len(), |d| d.min(rest.len()));
        Some(NdisFragment {
            lower_if_index,
            bytes: rest.get(..len)?,
        })
    }
}

fn add_ndis_fragment(open: &mut HashMap<(u16, u32), Vec<u8>>, e: &Event) -> Option<Frame> {
    let fragment = NdisFragment::parse(e.payload())?;
    let key = (e.cpu, fragment.lower_if_index);
    let kw = e.header.keyword;
    if kw & keyword::PACKET_START != 0 {
        // A new start abandons whatever was open on this processor and interface.
        open.insert(key, Vec::new());
    }
    let data = open.get_mut(&key)?;
    let room = MAX_FRAME_LEN.saturating_sub(data.len());
    let cut = fragment.bytes.len() > room;
    data.extend_from_slice(fragment.bytes.get(..room.min(fragment.bytes.len()))?);
    if kw & keyword::PACKET_END == 0 {
        return None;
    }
    let data = open.remove(&key)?;
    let mut frame = ndis_frame(e, fragment.lower_if_index, data);
    frame.truncated |= cut;
    Some(frame)
}

fn ndis_frame(e: &Event, lower_if_index: u32, data: Vec<u8>) -> Frame {
    let kw = e.header.keyword;
    let media = if kw & keyword::NATIVE_802_11 != 0 {
        Media::Wifi
    } else if kw & keyword::WIRELESS_WAN != 0 {
        Media::Ip
    } else {
        // etl2pcapng's default as well: 802.3, with or without its keyword bit.
        Media::Ethernet
    };
    let direction = if kw & keyword::SEND != 0 {
        Direction::Send
    } else if kw & keyword::RECEIVE != 0 {
        Direction::Receive
    } else {
        Direction::Unknown
    };
    // NDIS events do not record the wire length; the IP header's length tells whether
    // `packettruncatebytes=` cut the frame.
    let original_len = wire_len(media, &data);
    Frame {
        frame_number: e.frame.saturating_add(1),
        filetime: e.filetime,
        interface: lower_if_index,
        direction,
        media,
        pid: context_id(e.header.process_id),
        tid: context_id(e.header.thread_id),
        original_len,
        truncated: original_len > data.len(),
        data,
        source: Source::Ndis,
    }
}

fn context_id(id: Option<u32>) -> Option<u32> {
    id.filter(|&v| v != NO_CONTEXT_ID)
}

/// A pktmon packet event as a frame (schema from the file's metadata or the builtin
/// manifest; fields `PacketType`, `DirTag`, `ComponentId`, `OriginalPayloadSize`, `Payload`).
fn pktmon_frame(session: &Timeline, e: &Event) -> Option<Frame> {
    let decoded = session.decode(e);
    let Some(Value::Binary(payload)) = decoded.get("Payload") else {
        return None;
    };
    let number = |name: &str| decoded.get(name).and_then(Value::as_u64);
    let media = match number("PacketType").or_else(|| {
        let text = decoded.get("PacketType").and_then(Value::as_str)?;
        pktmon_packet_type_code(text)
    }) {
        Some(1) => Media::Ethernet,
        Some(2) => Media::Wifi,
        Some(3) => Media::Ip,
        Some(other) => Media::Unknown(u32::try_from(other).unwrap_or(u32::MAX)),
        None => Media::Unknown(0),
    };
    let direction = number("DirTag")
        .map(pktmon_direction)
        .or_else(|| {
            let text = decoded.get("DirTag").and_then(Value::as_str)?;
            Some(pktmon_direction_name(text))
        })
        .unwrap_or(Direction::Unknown);
    let interface = number("ComponentId")
        .and_then(|c| u32::try_from(c).ok())
        .unwrap_or(0);
    let declared = number("OriginalPayloadSize")
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0);
    let original_len = declared.max(payload.len());
    Some(Frame {
        frame_number: e.frame.saturating_add(1),
        filetime: e.filetime,
        interface,
        direction,
        media,
        pid: context_id(e.header.process_id),
        tid: context_id(e.header.thread_id),
        original_len,
        truncated: original_len > payload.len(),
        data: payload.clone(),
        source: Source::Pktmon,
    })
}

/// pktmon `PacketDirectionTag`: 1 In, 2 Out, 3 Rx, 4 Tx, 5 Ingress, 6 Egress.
fn pktmon_direction(tag: u64) -> Direction {
    match tag {
        1 | 3 | 5 => Direction::Receive,
        2 | 4 | 6 => Direction::Send,
        _ => Direction::Unknown,
    }
}

fn pktmon_direction_name(name: &str) -> Direction {
    match name.to_ascii_lowercase().as_str() {
        "in" | "rx" | "ingress" => Direction::Receive,
        "out" | "tx" | "egress" => Direction::Send,
        _ => Direction::Unknown,
    }
}

/// pktmon `PacketType` names, for schemas that give only the mapped text.
fn pktmon_packet_type_code(name: &str) -> Option<u64> {
    match name.to_ascii_lowercase().as_str() {
        "unknown" => Some(0),
        "ethernet" => Some(1),
        "wifi" => Some(2),
        "ip" => Some(3),
        "http" => Some(4),
        _ => None,
    }
}

/// Length of the frame on the wire as its IP header declares it (never less than what was
/// captured): link header + IPv4 total length or IPv6 payload length + 40.
pub(crate) fn wire_len(media: Media, data: &[u8]) -> usize {
    let ip_start = match media {
        Media::Ip => Some(0),
        Media::Ethernet | Media::Unknown(_) => ethernet_ip_start(data),
        Media::Wifi => None,
    };
    let declared = ip_start.and_then(|start| {
        let ip = data.get(start..)?;
        let version = ip.first()? >> 4;
        let declared_ip_len = match version {
            4 => {
                let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
                // Offload engines may leave 0 here; only a plausible length counts.
                (total >= 20).then_some(total)?
            }
            6 => {
                let payload = usize::from(u16::from_be_bytes([*ip.get(4)?, *ip.get(5)?]));
                // 0 means a jumbogram (length in an extension header): not handled.
                (payload > 0).then_some(payload + 40)?
            }
            _ => return None,
        };
        Some(start + declared_ip_len)
    });
    declared.unwrap_or(0).max(data.len())
}

/// Offset of the IP header in an Ethernet frame (after up to two VLAN tags), if it has one.
fn ethernet_ip_start(data: &[u8]) -> Option<usize> {
    let mut at = 12;
    for _ in 0..3 {
        let ether_type = u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]);
        match ether_type {
            0x0800 | 0x86DD => return Some(at + 2),
            0x8100 | 0x88A8 | 0x9100 => at += 4,
            _ => return None,
        }
    }
    None
}

#[cfg(test)]
#[path = "frames_tests.rs"]
mod tests;
