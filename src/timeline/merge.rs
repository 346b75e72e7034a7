//! The global time order of several sources: a k-way merge of their (already time-sorted)
//! indexes by UTC time, ties broken by source order, then the header rows and failure marks
//! carried over to global frames.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::columns::{Columns, MAX_PROVIDERS};
use super::{Severity, Slot, Source};

/// What the timeline keeps of a merge.
pub(super) struct Merged {
    /// Empty for one source (global frame = local frame).
    pub order: Vec<Slot>,
    pub columns: Columns,
    pub marks: Vec<(u32, Severity)>,
}

/// Merges the sources' indexes; moves their header rows and marks out of them.
pub(super) fn merge(sources: &mut [Source]) -> Merged {
    if sources.len() <= 1 {
        let Some(only) = sources.first_mut() else {
            return Merged {
                order: Vec::new(),
                columns: Columns::default(),
                marks: Vec::new(),
            };
        };
        return Merged {
            order: Vec::new(),
            columns: std::mem::take(&mut only.columns),
            marks: std::mem::take(&mut only.marks),
        };
    }
    let order = global_order(sources);
    // Local -> global frame per source, only while carrying rows and marks over.
    let mut global_of: Vec<Vec<u32>> = sources.iter().map(|s| vec![0; s.len()]).collect();
    for (g, slot) in order.iter().enumerate() {
        global_of[usize::from(slot.source)][slot.local as usize] = g as u32;
    }
    let mut columns = Columns {
        rows: Vec::with_capacity(order.len()),
        providers: Vec::new(),
    };
    let mut slot_base = Vec::with_capacity(sources.len());
    for (index, source) in sources.iter().enumerate() {
        slot_base.push(columns.providers.len());
        for slot in &source.columns.providers {
            if columns.providers.len() < MAX_PROVIDERS {
                let mut slot = slot.clone();
                slot.first_frame = global_of[index][slot.first_frame as usize];
                slot.source = index as u16;
                columns.providers.push(slot);
            }
        }
    }
    let last_slot = columns.providers.len().saturating_sub(1);
    for slot in &order {
        let source = usize::from(slot.source);
        let mut row = sources[source].columns.rows[slot.local as usize];
        row.provider = (slot_base[source] + usize::from(row.provider)).min(last_slot) as u16;
        row.source = slot.source;
        columns.rows.push(row);
    }
    let mut marks: Vec<(u32, Severity)> = Vec::new();
    for (index, source) in sources.iter_mut().enumerate() {
        marks.extend(
            source
                .marks
                .iter()
                .map(|&(local, sev)| (global_of[index][local as usize], sev)),
        );
        source.marks = Vec::new();
        source.columns = Columns::default();
    }
    marks.sort_unstable_by_key(|&(frame, _)| frame);
    Merged {
        order,
        columns,
        marks,
    }
}

/// The k-way merge by UTC FILETIME; equal times keep source order, then local order.
fn global_order(sources: &[Source]) -> Vec<Slot> {
    let total: usize = sources.iter().map(Source::len).sum();
    let mut order = Vec::with_capacity(total);
    let mut heap = BinaryHeap::with_capacity(sources.len());
    let time = |source: usize, local: usize| sources[source].filetime(local).unwrap_or(i64::MIN);
    for (index, source) in sources.iter().enumerate() {
        if !source.is_empty() {
            heap.push(Reverse((time(index, 0), index, 0usize)));
        }
    }
    while let Some(Reverse((_, index, local))) = heap.pop() {
        order.push(Slot {
            source: index as u16,
            local: local as u32,
        });
        let next = local + 1;
        if next < sources[index].len() {
            heap.push(Reverse((time(index, next), index, next)));
        }
    }
    order
}
