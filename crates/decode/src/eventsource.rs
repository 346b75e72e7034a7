//! .NET EventSource providers that carry their own manifest in the trace: EventSource writes
//! its manifest as event 0xFFFE (opcode 254) when a session enables it, split into chunks
//! behind a small envelope (the layout PerfView's TraceEvent reads):
//!
//! ```text
//! u8 Format (1 = XML) | u8 MajorVersion | u8 MinorVersion | u8 Magic (0x5B)
//! u16 TotalChunks | u16 ChunkNumber | chunk of the UTF-8 manifest XML
//! ```
//!
//! The chunks of a provider are joined in order and the XML is loaded like any manifest.

use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;

/// Event id of EventSource's manifest event.
pub const MANIFEST_EVENT_ID: u16 = 0xFFFE;
/// Opcode EventSource gives its manifest event.
pub const MANIFEST_OPCODE: u8 = 254;
/// Bytes of the envelope before the chunk.
pub const ENVELOPE_LEN: usize = 8;
const MAGIC: u8 = 0x5B;
/// A manifest bigger than this is refused (real ones are tens of kilobytes).
const MAX_MANIFEST_BYTES: usize = 16 << 20;

/// The envelope of one manifest chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope {
    pub format: u8,
    pub major_version: u8,
    pub minor_version: u8,
    pub magic: u8,
    pub total_chunks: u16,
    pub chunk_number: u16,
}

/// Reads the envelope; `Err` says what is wrong with it.
pub fn envelope(payload: &[u8]) -> Result<(Envelope, &[u8]), String> {
    let (head, chunk) = payload.split_at_checked(ENVELOPE_LEN).ok_or_else(|| {
        format!(
            "manifest envelope needs {ENVELOPE_LEN} bytes, the payload has {}",
            payload.len()
        )
    })?;
    let e = Envelope {
        format: head[0],
        major_version: head[1],
        minor_version: head[2],
        magic: head[3],
        total_chunks: u16::from_le_bytes([head[4], head[5]]),
        chunk_number: u16::from_le_bytes([head[6], head[7]]),
    };
    if e.magic != MAGIC {
        return Err(format!(
            "manifest envelope magic is 0x{:02X}, expected 0x{MAGIC:02X}",
            e.magic
        ));
    }
    if e.format != 1 {
        return Err(format!("manifest format {} is not XML (1)", e.format));
    }
    if e.total_chunks == 0 || e.chunk_number >= e.total_chunks {
        return Err(format!(
            "manifest chunk {} of {} is out of range",
            e.chunk_number, e.total_chunks
        ));
    }
    Ok((e, chunk))
}

/// Chunks collected so far for one provider.
#[derive(Default)]
struct Pending {
    total: u16,
    chunks: BTreeMap<u16, Vec<u8>>,
    bytes: usize,
}

/// Joins manifest chunks per provider; a provider's first complete manifest wins (EventSource
/// sends the same one again at every enable and at rundown).
#[derive(Default)]
pub struct ManifestAssembler {
    pending: HashMap<Uuid, Pending>,
    done: HashMap<Uuid, ()>,
}

impl ManifestAssembler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the payload of one 0xFFFE event; returns the manifest XML when it completes one.
    pub fn add(&mut self, provider: Uuid, payload: &[u8]) -> Result<Option<String>, String> {
        if self.done.contains_key(&provider) {
            return Ok(None);
        }
        let (e, chunk) = envelope(payload)?;
        let pending = self.pending.entry(provider).or_default();
        if e.chunk_number == 0 || pending.total != e.total_chunks {
            // A new send starts (or the count changed): forget a partial earlier one.
            *pending = Pending {
                total: e.total_chunks,
                ..Pending::default()
            };
        }
        if pending.bytes + chunk.len() > MAX_MANIFEST_BYTES {
            self.pending.remove(&provider);
            return Err(format!(
                "manifest of provider {{{provider}}} exceeds {MAX_MANIFEST_BYTES} bytes"
            ));
        }
        pending.bytes += chunk.len();
        pending.chunks.insert(e.chunk_number, chunk.to_vec());
        if pending.chunks.len() < usize::from(pending.total) {
            return Ok(None);
        }
        let Some(pending) = self.pending.remove(&provider) else {
            return Ok(None);
        };
        self.done.insert(provider, ());
        let bytes: Vec<u8> = pending.chunks.into_values().flatten().collect();
        let text = String::from_utf8_lossy(&bytes);
        Ok(Some(text.trim_end_matches('\0').to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(total: u16, number: u16, data: &str) -> Vec<u8> {
        let mut v = vec![1, 1, 0, MAGIC];
        v.extend(total.to_le_bytes());
        v.extend(number.to_le_bytes());
        v.extend(data.as_bytes());
        v
    }

    #[test]
    fn chunks_join_in_order_once() {
        let g = Uuid::from_u128(7);
        let mut a = ManifestAssembler::new();
        assert_eq!(a.add(g, &chunk(2, 0, "<a>")).unwrap(), None);
        assert_eq!(
            a.add(g, &chunk(2, 1, "</a>")).unwrap().as_deref(),
            Some("<a></a>")
        );
        assert_eq!(a.add(g, &chunk(2, 0, "<b>")).unwrap(), None);
    }

    #[test]
    fn bad_envelopes_say_what_is_wrong() {
        assert!(envelope(&[1, 1, 0]).unwrap_err().contains("needs 8 bytes"));
        let mut bad = chunk(1, 0, "x");
        bad[3] = 0;
        assert!(envelope(&bad).unwrap_err().contains("magic"));
        assert!(
            envelope(&chunk(1, 1, "x"))
                .unwrap_err()
                .contains("out of range")
        );
        let g = Uuid::from_u128(1);
        let mut a = ManifestAssembler::new();
        assert!(a.add(g, &chunk(0, 0, "")).is_err());
    }
}
