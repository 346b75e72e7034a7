//! Process ids to image names over time, from kernel Process events (rundown, start, end) and
//! Microsoft-Windows-Kernel-Process events. Pids are reused, so names are kept per time range.

use std::collections::HashMap;

use uuid::{Uuid, uuid};

use decode::Decoder;
use etl::{Event, ProviderId, Trace};

const KERNEL_PROCESS_PROVIDER: Uuid = uuid!("22fb2cd6-0e7b-422b-a0c7-2fad1fd0e716");

/// One known name of a pid, valid from `since` (raw timestamp; `i64::MIN` for rundown at the
/// start of the trace).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sighting {
    since: i64,
    name: String,
}

/// pid -> names over time.
#[derive(Debug, Default)]
pub struct ProcessTable {
    /// From process events (authoritative).
    by_pid: HashMap<u32, Vec<Sighting>>,
    /// From loads of `.exe` images, for traces without process events.
    by_image: HashMap<u32, Vec<Sighting>>,
}

/// Last path component of an image path (`\Device\...\w3wp.exe` -> `w3wp.exe`).
fn file_name(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

impl ProcessTable {
    /// Builds the table from the process events of a trace.
    pub fn build(trace: &Trace, decoder: &Decoder) -> ProcessTable {
        Self::build_from(trace.events(), decoder)
    }

    /// Builds the table from the given events (time order); callers pass only the events of
    /// providers that can name processes.
    pub fn build_from<'t>(
        events: impl Iterator<Item = Event<'t>>,
        decoder: &Decoder,
    ) -> ProcessTable {
        let mut table = ProcessTable::default();
        for e in events {
            table.observe(&e, decoder);
        }
        for list in table.by_pid.values_mut().chain(table.by_image.values_mut()) {
            list.sort_by_key(|s| s.since);
            list.dedup_by(|b, a| a.name == b.name);
        }
        table
    }

    /// True for providers whose events can name a process.
    pub fn names_processes(provider: ProviderId) -> bool {
        matches!(provider, ProviderId::Kernel { group: 3 | 0x14 })
            || provider == ProviderId::Guid(KERNEL_PROCESS_PROVIDER)
    }

    fn observe(&mut self, e: &Event, decoder: &Decoder) {
        let h = &e.header;
        let mut from_image = false;
        let (name_field, pid_field, since) = match h.provider {
            // Start (1) and rundown at start (3) name a process from that moment; rundown at
            // the end (4) describes processes that existed before.
            ProviderId::Kernel { group: 3 } => match h.opcode {
                1 => ("ImageFileName", "ProcessId", h.timestamp),
                3 | 4 | 39 => ("ImageFileName", "ProcessId", i64::MIN),
                _ => return,
            },
            ProviderId::Guid(g) if g == KERNEL_PROCESS_PROVIDER => match h.id {
                1 => ("ImageName", "ProcessID", h.timestamp),
                15 => ("ImageName", "ProcessID", i64::MIN),
                5 => {
                    from_image = true;
                    ("ImageName", "ProcessID", i64::MIN)
                }
                _ => return,
            },
            // Kernel Image load (10) and rundown (3, 4).
            ProviderId::Kernel { group: 0x14 } if matches!(h.opcode, 3 | 4 | 10) => {
                from_image = true;
                ("FileName", "ProcessId", i64::MIN)
            }
            _ => return,
        };
        let decoded = decoder.decode(e);
        let Some(name) = decoded.get(name_field).and_then(|v| v.as_str()) else {
            return;
        };
        let Some(pid) = decoded.get(pid_field).and_then(|v| v.as_u64()) else {
            return;
        };
        let name = file_name(name.trim());
        if name.is_empty() || (from_image && !name.to_ascii_lowercase().ends_with(".exe")) {
            return;
        }
        let table = if from_image {
            &mut self.by_image
        } else {
            &mut self.by_pid
        };
        table.entry(pid as u32).or_default().push(Sighting {
            since,
            name: name.to_string(),
        });
    }

    /// The image name of `pid` at raw time `timestamp`.
    pub fn name(&self, pid: u32, timestamp: i64) -> Option<&str> {
        let list = self.by_pid.get(&pid).or_else(|| self.by_image.get(&pid))?;
        let at = list.partition_point(|s| s.since <= timestamp);
        // Before the first sighting, the first known name is the best there is.
        list.get(at.saturating_sub(1)).map(|s| s.name.as_str())
    }

    /// `name (pid)` as Network Monitor shows it, or `(pid)` when no name is known.
    pub fn ut_process_name(&self, pid: u32, timestamp: i64) -> String {
        // Built by hand: this runs for every exported event.
        let name = self.name(pid, timestamp);
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(pid);
        let mut s = String::with_capacity(name.map_or(0, |n| n.len() + 1) + digits.len() + 2);
        if let Some(n) = name {
            s.push_str(n);
            s.push(' ');
        }
        s.push('(');
        s.push_str(digits);
        s.push(')');
        s
    }

    /// Number of pids with a known name.
    pub fn len(&self) -> usize {
        self.by_pid.len()
            + self
                .by_image
                .keys()
                .filter(|p| !self.by_pid.contains_key(p))
                .count()
    }

    pub fn is_empty(&self) -> bool {
        self.by_pid.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_time_and_reuse() {
        let mut t = ProcessTable::default();
        t.by_pid.insert(
            1432,
            vec![
                Sighting {
                    since: i64::MIN,
                    name: "w3wp.exe".into(),
                },
                Sighting {
                    since: 500,
                    name: "notepad.exe".into(),
                },
            ],
        );
        assert_eq!(t.ut_process_name(1432, 10), "w3wp.exe (1432)");
        assert_eq!(t.ut_process_name(1432, 600), "notepad.exe (1432)");
        assert_eq!(t.ut_process_name(7, 600), "(7)");
        assert_eq!(
            file_name(r"\Device\HarddiskVolume3\Windows\System32\inetsrv\w3wp.exe"),
            "w3wp.exe"
        );
    }
}
