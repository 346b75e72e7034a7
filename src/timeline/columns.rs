//! A compact copy of the header fields filters test most (16 bytes per event), built once in
//! parallel, so header-only filters never parse records and never allocate.

use std::collections::HashMap;

use rayon::prelude::*;

use etl::{ProviderId, Trace};

const HAS_PID: u8 = 1;
const HAS_TID: u8 = 2;

/// Header fields of one event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeaderRow {
    pub pid: u32,
    pub id: u16,
    pub task: u16,
    /// Index into [`Columns::providers`].
    pub provider: u16,
    pub level: u8,
    pub opcode: u8,
    pub version: u8,
    flags: u8,
    /// Index of the event's source in the timeline (0 in a single file's rows).
    pub source: u16,
}

impl HeaderRow {
    pub fn process_id(&self) -> Option<u32> {
        (self.flags & HAS_PID != 0).then_some(self.pid)
    }

    pub fn has_thread_id(&self) -> bool {
        self.flags & HAS_TID != 0
    }
}

/// The distinct providers of a trace and one event of each (for names).
#[derive(Debug, Clone)]
pub struct ProviderSlot {
    pub id: ProviderId,
    pub first_frame: u32,
    /// The source whose events use this slot (slots are per source: a provider's names can
    /// differ between files).
    pub source: u16,
}

/// Header rows for every event, in time order.
#[derive(Debug, Default)]
pub struct Columns {
    pub rows: Vec<HeaderRow>,
    pub providers: Vec<ProviderSlot>,
}

/// Providers beyond this many share the last slot (a filter then falls back to full parsing).
pub(super) const MAX_PROVIDERS: usize = u16::MAX as usize;

impl Columns {
    pub fn build(trace: &Trace) -> Columns {
        const CHUNK: usize = 1 << 16;
        let chunks: Vec<(Vec<HeaderRow>, Vec<ProviderSlot>)> = (0..trace.len().div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let start = c * CHUNK;
                let end = (start + CHUNK).min(trace.len());
                let mut local: HashMap<ProviderId, u16> = HashMap::new();
                let mut slots = Vec::new();
                let mut rows = Vec::with_capacity(end - start);
                for frame in start..end {
                    let Some(e) = trace.event(frame) else {
                        rows.push(HeaderRow::default());
                        continue;
                    };
                    let h = &e.header;
                    let provider = *local.entry(h.provider).or_insert_with(|| {
                        slots.push(ProviderSlot {
                            id: h.provider,
                            first_frame: frame as u32,
                            source: 0,
                        });
                        (slots.len() - 1) as u16
                    });
                    let mut flags = 0;
                    if h.process_id.is_some() {
                        flags |= HAS_PID;
                    }
                    if h.thread_id.is_some() {
                        flags |= HAS_TID;
                    }
                    rows.push(HeaderRow {
                        pid: h.process_id.unwrap_or(0),
                        id: h.id,
                        task: h.task,
                        provider,
                        level: h.level,
                        opcode: h.opcode,
                        version: h.version.min(255) as u8,
                        flags,
                        source: 0,
                    });
                }
                (rows, slots)
            })
            .collect();
        let mut columns = Columns {
            rows: Vec::with_capacity(trace.len()),
            providers: Vec::new(),
        };
        let mut global: HashMap<ProviderId, u16> = HashMap::new();
        for (mut rows, slots) in chunks {
            let remap: Vec<u16> = slots
                .iter()
                .map(|slot| {
                    *global.entry(slot.id).or_insert_with(|| {
                        if columns.providers.len() < MAX_PROVIDERS {
                            columns.providers.push(slot.clone());
                        }
                        (columns.providers.len() - 1) as u16
                    })
                })
                .collect();
            for r in &mut rows {
                r.provider = remap[usize::from(r.provider)];
            }
            columns.rows.extend(rows);
        }
        columns
    }

    /// Bytes used per event.
    pub const ROW_BYTES: usize = std::mem::size_of::<HeaderRow>();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_sixteen_bytes() {
        assert_eq!(Columns::ROW_BYTES, 16);
    }
}
