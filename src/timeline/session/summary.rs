//! Per-process and per-provider summaries of a [`Session`], for the processes and providers views.

use super::detail::quote;
use super::{ProcessSummary, ProviderSummary, Session, Severity};
use etl::{self, ProviderId};

impl Session {
    /// Per-process counts, most events first.
    pub fn processes(&self) -> Vec<ProcessSummary> {
        let mut by_pid: std::collections::BTreeMap<u32, ProcessSummary> = Default::default();
        for (frame, row) in self.columns.rows.iter().enumerate() {
            let Some(pid) = row.process_id() else {
                continue;
            };
            let frame = frame as u32;
            let p = by_pid.entry(pid).or_insert_with(|| ProcessSummary {
                process_id: pid,
                ut_process_name: String::new(),
                events: 0,
                first_frame: frame,
                last_frame: frame,
                failures: 0,
                warnings: 0,
            });
            p.events += 1;
            p.last_frame = frame;
        }
        for &(frame, sev) in &self.marks {
            let pid = self
                .columns
                .rows
                .get(frame as usize)
                .and_then(|r| r.process_id());
            if let Some(p) = pid.and_then(|pid| by_pid.get_mut(&pid)) {
                match sev {
                    Severity::Failure => p.failures += 1,
                    Severity::Warning => p.warnings += 1,
                }
            }
        }
        let mut v: Vec<ProcessSummary> = by_pid.into_values().collect();
        for p in &mut v {
            let ts = self
                .trace
                .index_entries()
                .get(p.first_frame as usize)
                .map_or(0, |e| e.timestamp);
            p.ut_process_name = self.processes.ut_process_name(p.process_id, ts);
        }
        v.sort_by_key(|p| std::cmp::Reverse(p.events));
        v
    }

    /// Per-provider counts with event names, most events first.
    pub fn providers(&self) -> Vec<ProviderSummary> {
        use std::collections::BTreeMap;
        let slots = &self.columns.providers;
        // (slot, id-or-type) -> (count, first frame)
        let mut counts: BTreeMap<(u16, u16), (usize, usize)> = BTreeMap::new();
        for (frame, row) in self.columns.rows.iter().enumerate() {
            let classic = matches!(
                slots.get(usize::from(row.provider)).map(|s| s.id),
                Some(ProviderId::Kernel { .. })
            ) || self.event_is_classic(frame);
            let id = if classic {
                u16::from(row.opcode)
            } else {
                row.id
            };
            let entry = counts.entry((row.provider, id)).or_insert((0, frame));
            entry.0 += 1;
        }
        let mut v: Vec<ProviderSummary> = Vec::new();
        for (slot_index, slot) in slots.iter().enumerate() {
            let slot_index = slot_index as u16;
            let first = self.event(slot.first_frame as usize);
            let guid = first.and_then(|e| e.header.provider_guid());
            let name = first
                .and_then(|e| self.decode(&e).provider_name.map(|n| n.to_string()))
                .or_else(|| crate::cli::builtin_provider_name(&slot.id.key()))
                .unwrap_or_else(|| slot.id.key());
            let mut by_event: Vec<(u16, String, usize)> = counts
                .range((slot_index, 0)..=(slot_index, u16::MAX))
                .map(|(&(_, id), &(n, frame))| {
                    let event_name = self
                        .event(frame)
                        .and_then(|e| self.decode(&e).event_name.map(|n| n.to_string()))
                        .unwrap_or_else(|| id.to_string());
                    (id, event_name, n)
                })
                .collect();
            by_event.sort_by_key(|e| std::cmp::Reverse(e.2));
            let events = by_event.iter().map(|e| e.2).sum();
            let filter = match guid {
                Some(g) => format!("ProviderGuid == {{{g}}}"),
                None => format!("ProviderName == {}", quote(&name)),
            };
            v.push(ProviderSummary {
                key: slot.id.key(),
                name,
                events,
                by_event,
                filter,
            });
        }
        v.sort_by_key(|p| std::cmp::Reverse(p.events));
        v
    }

    fn event_is_classic(&self, frame: usize) -> bool {
        self.event(frame).is_some_and(|e| {
            matches!(
                e.header.kind,
                etl::HeaderKind::FullHeader32
                    | etl::HeaderKind::FullHeader64
                    | etl::HeaderKind::Instance32
                    | etl::HeaderKind::Instance64
            )
        })
    }
}
