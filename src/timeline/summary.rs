//! Per-source, per-process and per-provider summaries of a [`Timeline`], for `info` and the
//! sources, processes and providers views.

use std::collections::BTreeMap;

use super::{Severity, Timeline};
use etl::{self, ProviderId};

/// Events per process (per source: pids of two machines never mix), for the processes view.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProcessSummary {
    pub process_id: u32,
    /// `name (pid)` as Network Monitor shows it, or `(pid)`.
    pub ut_process_name: String,
    /// Label of the source the process ran on.
    pub source: String,
    pub events: usize,
    pub first_frame: u32,
    pub last_frame: u32,
    pub failures: usize,
    pub warnings: usize,
}

/// Events per provider and event id, for the providers view.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProviderSummary {
    /// Provider key (GUID or `group:0xNN`).
    pub key: String,
    pub name: String,
    pub events: usize,
    /// (event id or kernel opcode, event name, count), most frequent first.
    pub by_event: Vec<(u16, String, usize)>,
    /// A filter expression selecting this provider's events.
    pub filter: String,
}

/// One source of the timeline, for the sources view and `info`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SourceSummary {
    pub label: String,
    pub path: String,
    pub computer: Option<String>,
    pub events: usize,
    /// UTC FILETIME of the first and last timed events.
    pub first_time: Option<i64>,
    pub last_time: Option<i64>,
    /// Damaged regions skipped while reading.
    pub issues: usize,
    pub failures: usize,
    pub warnings: usize,
    /// A filter expression selecting this source's events.
    pub filter: String,
}

/// A string literal of the filter language.
pub fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Timeline {
    /// Per-source counts, in the order the sources were given.
    pub fn source_summaries(&self) -> Vec<SourceSummary> {
        let mut failures = vec![0usize; self.sources.len()];
        let mut warnings = vec![0usize; self.sources.len()];
        for &(frame, sev) in &self.marks {
            if let Some(slot) = self.slot(frame as usize) {
                let s = usize::from(slot.source);
                match sev {
                    Severity::Failure => failures[s] += 1,
                    Severity::Warning => warnings[s] += 1,
                }
            }
        }
        self.sources
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let timed = |local: usize| {
                    let entry = s.trace.index_entries().get(local)?;
                    (entry.timestamp != 0).then(|| s.trace.clock().to_filetime(entry.timestamp))
                };
                SourceSummary {
                    label: s.meta.label.clone(),
                    path: s.meta.path.display().to_string(),
                    computer: s.meta.computer.clone(),
                    events: s.len(),
                    first_time: (0..s.len()).find_map(timed),
                    last_time: (0..s.len()).rev().find_map(timed),
                    issues: s.trace.issues().len(),
                    failures: failures[i],
                    warnings: warnings[i],
                    filter: format!("Source == {}", quote(&s.meta.label)),
                }
            })
            .collect()
    }

    /// Per-process counts, most events first.
    pub fn processes(&self) -> Vec<ProcessSummary> {
        let mut by_pid: BTreeMap<(u16, u32), ProcessSummary> = Default::default();
        for (frame, row) in self.columns.rows.iter().enumerate() {
            let Some(pid) = row.process_id() else {
                continue;
            };
            let frame = frame as u32;
            let p = by_pid
                .entry((row.source, pid))
                .or_insert_with(|| ProcessSummary {
                    process_id: pid,
                    ut_process_name: String::new(),
                    source: String::new(),
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
            let key = self
                .columns
                .rows
                .get(frame as usize)
                .and_then(|r| Some((r.source, r.process_id()?)));
            if let Some(p) = key.and_then(|key| by_pid.get_mut(&key)) {
                match sev {
                    Severity::Failure => p.failures += 1,
                    Severity::Warning => p.warnings += 1,
                }
            }
        }
        let mut v: Vec<ProcessSummary> = by_pid.into_values().collect();
        for p in &mut v {
            let first = p.first_frame as usize;
            let (Some(slot), Some(source)) = (self.slot(first), self.source_of(first)) else {
                continue;
            };
            let ts = source
                .trace
                .index_entries()
                .get(slot.local as usize)
                .map_or(0, |e| e.timestamp);
            p.ut_process_name = source.processes.ut_process_name(p.process_id, ts);
            p.source = source.meta.label.clone();
        }
        v.sort_by_key(|p| std::cmp::Reverse(p.events));
        v
    }

    /// Per-provider counts with event names, most events first (a provider seen in several
    /// sources is one entry).
    pub fn providers(&self) -> Vec<ProviderSummary> {
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
        // In slot order (first appearance), so ties keep the order of a single file's view.
        let mut v: Vec<ProviderSummary> = Vec::new();
        let mut index_of: std::collections::HashMap<String, usize> = Default::default();
        for (slot_index, slot) in slots.iter().enumerate() {
            let slot_index = slot_index as u16;
            let first = self.event(slot.first_frame as usize);
            let guid = first.and_then(|e| e.header.provider_guid());
            let name = first
                .and_then(|e| self.decode(&e).provider_name.map(|n| n.to_string()))
                .or_else(|| etl::kernel_groups::provider_name_of_key(&slot.id.key()))
                .unwrap_or_else(|| slot.id.key());
            let at = *index_of.entry(slot.id.key()).or_insert_with(|| {
                v.push(ProviderSummary {
                    key: slot.id.key(),
                    filter: match guid {
                        Some(g) => format!("ProviderGuid == {{{g}}}"),
                        None => format!("ProviderName == {}", quote(&name)),
                    },
                    name,
                    events: 0,
                    by_event: Vec::new(),
                });
                v.len() - 1
            });
            let entry = &mut v[at];
            for (&(_, id), &(n, frame)) in counts.range((slot_index, 0)..=(slot_index, u16::MAX)) {
                entry.events += n;
                match entry.by_event.iter_mut().find(|e| e.0 == id) {
                    Some(known) => known.2 += n,
                    None => {
                        let event_name = self
                            .event(frame)
                            .and_then(|e| self.decode(&e).event_name.map(|n| n.to_string()))
                            .unwrap_or_else(|| id.to_string());
                        entry.by_event.push((id, event_name, n));
                    }
                }
            }
        }
        for p in &mut v {
            p.by_event.sort_by_key(|e| std::cmp::Reverse(e.2));
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
