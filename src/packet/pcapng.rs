//! A pcapng writer (draft-ietf-opsawg-pcapng): one Section Header Block, one Interface
//! Description Block per (source, interface, media), and one Enhanced Packet Block per
//! frame with a 100 ns UTC timestamp, the wire length, the direction in `epb_flags` and the
//! process id in a comment (`PID=1432`, as Microsoft's etl2pcapng writes it).
//! Written by hand: the format is small and this keeps every byte under our control.

use std::collections::HashMap;
use std::io::{self, BufWriter, Write};

use super::{Direction, Frame, Media, Source};

const SECTION_HEADER: u32 = 0x0A0D_0D0A;
const INTERFACE_DESCRIPTION: u32 = 0x0000_0001;
const ENHANCED_PACKET: u32 = 0x0000_0006;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

const OPT_END: u16 = 0;
const OPT_COMMENT: u16 = 1;
const SHB_USERAPPL: u16 = 4;
const IF_NAME: u16 = 2;
const IF_TSRESOL: u16 = 9;
const EPB_FLAGS: u16 = 2;

/// `if_tsresol` 7: timestamps count 10^-7 s, the FILETIME unit, so nothing is rounded.
const TS_RESOLUTION_100NS: u8 = 7;
/// 1601-01-01 to 1970-01-01 in 100 ns units.
const FILETIME_UNIX_EPOCH: i64 = 116_444_736_000_000_000;
/// Snap length announced per interface (no frame we build is longer).
const SNAP_LEN: u32 = 262_144;

/// pcapng link types.
const LINKTYPE_ETHERNET: u16 = 1;
const LINKTYPE_RAW_IP: u16 = 101;
const LINKTYPE_IEEE802_11: u16 = 105;

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct PcapStats {
    pub frames: usize,
    pub interfaces: usize,
    /// Captured packet bytes written (without block overhead).
    pub payload_bytes: u64,
    /// Frames whose captured length is below their wire length.
    pub truncated: usize,
}

/// Writes `frames` as a pcapng file to `out` (buffered internally; flushed at the end).
pub fn write_pcapng(frames: &[Frame], out: &mut impl Write) -> io::Result<PcapStats> {
    write_pcapng_with_notes(frames, &[], out)
}

/// [`write_pcapng`] with `notes` (the damage of the input, say) as comments of the section
/// header, where Wireshark shows them (Statistics > Capture File Properties).
pub fn write_pcapng_with_notes(
    frames: &[Frame],
    notes: &[String],
    out: &mut impl Write,
) -> io::Result<PcapStats> {
    let mut w = BufWriter::with_capacity(256 * 1024, out);
    write_section_header(&mut w, notes)?;
    let mut interfaces: HashMap<(Source, u32, Media), u32> = HashMap::new();
    let mut stats = PcapStats::default();
    let mut block = Vec::with_capacity(128);
    for frame in frames {
        let key = (frame.source, frame.interface, frame.media);
        let next_id = u32::try_from(interfaces.len()).unwrap_or(u32::MAX);
        let id = match interfaces.get(&key) {
            Some(&id) => id,
            None => {
                write_interface(&mut w, &mut block, frame)?;
                interfaces.insert(key, next_id);
                next_id
            }
        };
        write_packet(&mut w, &mut block, frame, id)?;
        stats.frames += 1;
        stats.payload_bytes += frame.data.len() as u64;
        stats.truncated += usize::from(frame.original_len > frame.data.len());
    }
    stats.interfaces = interfaces.len();
    w.flush()?;
    Ok(stats)
}

fn link_type(media: Media) -> u16 {
    match media {
        Media::Ethernet => LINKTYPE_ETHERNET,
        Media::Ip => LINKTYPE_RAW_IP,
        Media::Wifi => LINKTYPE_IEEE802_11,
        // etl2pcapng's choice for media it does not know.
        Media::Unknown(_) => LINKTYPE_ETHERNET,
    }
}

fn interface_name(frame: &Frame) -> String {
    match frame.source {
        Source::Ndis => format!("NDIS LowerIfIndex {}", frame.interface),
        Source::Pktmon => format!("pktmon component {}", frame.interface),
    }
}

/// Length of an option with its value padded to 4 bytes.
fn option_len(value_len: usize) -> usize {
    4 + value_len.next_multiple_of(4)
}

fn push_option(block: &mut Vec<u8>, code: u16, value: &[u8]) {
    // Option values here are short texts or numbers; longer ones cannot occur.
    let len = u16::try_from(value.len()).unwrap_or(u16::MAX);
    block.extend_from_slice(&code.to_le_bytes());
    block.extend_from_slice(&len.to_le_bytes());
    block.extend_from_slice(value.get(..usize::from(len)).unwrap_or(value));
    block.resize(block.len() + (4 - usize::from(len) % 4) % 4, 0);
}

/// Sets the total length (at offset 4 and at the end) of the block assembled in `block`.
fn close_block(block: &mut Vec<u8>) -> io::Result<()> {
    let total = u32::try_from(block.len() + 4)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "pcapng block over 4 GiB"))?;
    block[4..8].copy_from_slice(&total.to_le_bytes());
    block.extend_from_slice(&total.to_le_bytes());
    Ok(())
}

/// Comments kept in one section header (an option holds at most 64 KiB).
const MAX_NOTES: usize = 100;

fn write_section_header(w: &mut impl Write, notes: &[String]) -> io::Result<()> {
    let mut block = Vec::with_capacity(64);
    block.extend_from_slice(&SECTION_HEADER.to_le_bytes());
    block.extend_from_slice(&[0; 4]);
    block.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
    block.extend_from_slice(&1u16.to_le_bytes());
    block.extend_from_slice(&0u16.to_le_bytes());
    block.extend_from_slice(&(-1i64).to_le_bytes()); // section length not given
    let app = format!("etlview {}", env!("CARGO_PKG_VERSION"));
    push_option(&mut block, SHB_USERAPPL, app.as_bytes());
    for note in notes.iter().take(MAX_NOTES) {
        let bytes = note.as_bytes();
        push_option(&mut block, OPT_COMMENT, &bytes[..bytes.len().min(4096)]);
    }
    if notes.len() > MAX_NOTES {
        let more = format!(
            "etlview: {} more damage note(s) not shown",
            notes.len() - MAX_NOTES
        );
        push_option(&mut block, OPT_COMMENT, more.as_bytes());
    }
    push_option(&mut block, OPT_END, &[]);
    close_block(&mut block)?;
    w.write_all(&block)
}

fn write_interface(w: &mut impl Write, block: &mut Vec<u8>, frame: &Frame) -> io::Result<()> {
    block.clear();
    block.extend_from_slice(&INTERFACE_DESCRIPTION.to_le_bytes());
    block.extend_from_slice(&[0; 4]);
    block.extend_from_slice(&link_type(frame.media).to_le_bytes());
    block.extend_from_slice(&0u16.to_le_bytes());
    block.extend_from_slice(&SNAP_LEN.to_le_bytes());
    push_option(block, IF_NAME, interface_name(frame).as_bytes());
    push_option(block, IF_TSRESOL, &[TS_RESOLUTION_100NS]);
    push_option(block, OPT_END, &[]);
    close_block(block)?;
    w.write_all(block)
}

/// Writes the EPB in three parts (head, packet bytes, tail) so the packet is not copied.
fn write_packet(
    w: &mut impl Write,
    block: &mut Vec<u8>,
    frame: &Frame,
    interface: u32,
) -> io::Result<()> {
    let captured = u32::try_from(frame.data.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame over 4 GiB"))?;
    let original = u32::try_from(frame.original_len.max(frame.data.len())).unwrap_or(u32::MAX);
    let padding = (4 - frame.data.len() % 4) % 4;
    let comment = frame.pid.map(|pid| match frame.tid {
        Some(tid) => format!("PID={pid} TID={tid}"),
        None => format!("PID={pid}"),
    });
    let flags = match frame.direction {
        Direction::Receive => Some(1u32),
        Direction::Send => Some(2u32),
        Direction::Unknown => None,
    };
    let options_len = comment.as_ref().map_or(0, |c| option_len(c.len()))
        + flags.map_or(0, |_| option_len(4))
        + 4; // end of options
    let total = 28 + frame.data.len() + padding + options_len + 4;
    let total = u32::try_from(total)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame over 4 GiB"))?;
    let timestamp = u64::try_from(frame.filetime.saturating_sub(FILETIME_UNIX_EPOCH)).unwrap_or(0);

    block.clear();
    block.extend_from_slice(&ENHANCED_PACKET.to_le_bytes());
    block.extend_from_slice(&total.to_le_bytes());
    block.extend_from_slice(&interface.to_le_bytes());
    block.extend_from_slice(&((timestamp >> 32) as u32).to_le_bytes());
    block.extend_from_slice(&(timestamp as u32).to_le_bytes());
    block.extend_from_slice(&captured.to_le_bytes());
    block.extend_from_slice(&original.to_le_bytes());
    w.write_all(block)?;
    w.write_all(&frame.data)?;

    block.clear();
    block.resize(padding, 0);
    if let Some(comment) = &comment {
        push_option(block, OPT_COMMENT, comment.as_bytes());
    }
    if let Some(flags) = flags {
        push_option(block, EPB_FLAGS, &flags.to_le_bytes());
    }
    push_option(block, OPT_END, &[]);
    block.extend_from_slice(&total.to_le_bytes());
    w.write_all(block)
}

#[cfg(test)]
#[path = "pcapng_tests.rs"]
mod tests;
