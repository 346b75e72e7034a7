//! Every shared sample parses with zero skipped records, and every event's header fields equal
//! the dissect.etl reference dump (matched by buffer and payload offset).

mod common;

use std::collections::BTreeMap;

use etlview::etl::{Event, ProviderId, Trace};
use serde_json::{Value, json};

/// The reference's view of one of our events.
fn our_fields(e: &Event) -> BTreeMap<&'static str, Value> {
    let h = &e.header;
    let mut m = BTreeMap::new();
    m.insert("htype", json!(h.kind.type_code()));
    m.insert("size", json!(h.size));
    m.insert("cpu", json!(e.cpu));
    m.insert("pkey", json!(h.provider.key()));
    if let Some(g) = h.provider_guid() {
        m.insert("provider", json!(g.to_string()));
    }
    m.insert("plen", json!(h.payload_len_with_extended()));
    if let Some(p) = h.process_id {
        m.insert("pid", json!(p));
    }
    if let Some(t) = h.thread_id {
        m.insert("tid", json!(t));
    }
    if h.kind.is_kernel() || h.kind.type_code() != 0x0F {
        m.insert("ts", json!(h.timestamp));
    }
    match h.provider {
        ProviderId::Kernel { group } => {
            m.insert("group", json!(group));
            m.insert("hook", json!(h.hook_id.unwrap_or_default()));
            m.insert("opcode", json!(h.opcode));
            m.insert("version", json!(h.version));
        }
        _ if h.kind.type_code() == 0x12 || h.kind.type_code() == 0x13 => {
            m.insert("id", json!(h.id));
            m.insert("version", json!(h.version));
            m.insert("channel", json!(h.channel));
            m.insert("level", json!(h.level));
            m.insert("opcode", json!(h.opcode));
            m.insert("task", json!(h.task));
            m.insert("keyword", json!(format!("{:#x}", h.keyword)));
            m.insert("flags", json!(h.flags));
        }
        _ if h.kind.type_code() == 0x0F => {
            m.insert("id", json!(h.id));
            m.insert("flags", json!(h.flags));
            m.insert("ts", json!(h.timestamp));
        }
        _ => {
            m.insert("opcode", json!(h.opcode));
            m.insert("level", json!(h.level));
            m.insert("version", json!(h.version));
        }
    }
    m
}

#[test]
fn every_sample_matches_the_reference_dump() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let mut failures = Vec::new();
    for sample in common::samples(&shared) {
        let name = sample.file_name().unwrap().to_string_lossy().to_string();
        let trace = Trace::open(&sample).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            trace.issues().is_empty(),
            "{name}: expected zero skipped records, got {:?}",
            trace.issues()
        );
        let reference = common::reference(&shared, &sample);
        assert_eq!(trace.len(), reference.len(), "{name}: event count");
        let ours: BTreeMap<(u64, u64), Event> = trace
            .events_in_file_order()
            .into_iter()
            .map(|e| ((u64::from(e.buffer), u64::from(e.offset)), e))
            .collect();
        let mut mismatches = 0usize;
        for r in &reference {
            let key = (r["buf"].as_u64().unwrap(), r["off"].as_u64().unwrap());
            let Some(e) = ours.get(&key) else {
                failures.push(format!(
                    "{name}: no event at buffer {} offset {}",
                    key.0, key.1
                ));
                mismatches += 1;
                continue;
            };
            let proc_index = trace.buffers()[e.buffer as usize].header.flags & 0x20 != 0;
            for (field, value) in our_fields(e) {
                if let Some(mut expected) = r.get(field).cloned() {
                    if field == "cpu" && !proc_index {
                        // Without PROC_INDEX the CPU is the 8-bit ProcessorNumber at 0x28;
                        // dissect.etl reads a u16 there, folding in the Alignment byte (0x29).
                        expected = json!(expected.as_u64().unwrap() & 0xFF);
                    }
                    if expected != value {
                        mismatches += 1;
                        if mismatches <= 5 {
                            failures.push(format!(
                                "{name}: buffer {} offset {}: {field} = {value}, reference {expected}",
                                key.0, key.1
                            ));
                        }
                    }
                }
            }
            if let Some(foff) = r.get("foff").and_then(Value::as_u64) {
                let b = &trace.buffers()[e.buffer as usize];
                assert_eq!(
                    b.file_offset_of(e.offset as usize) as u64,
                    foff,
                    "{name}: foff"
                );
            }
        }
        eprintln!("{name}: {} events, {mismatches} mismatches", trace.len());
    }
    assert!(failures.is_empty(), "mismatches:\n{}", failures.join("\n"));
}

/// Counts stated in `SOURCES.md`: total, per header kind and (where listed) per provider.
struct Stated {
    events: usize,
    kinds: BTreeMap<String, usize>,
    providers: BTreeMap<String, usize>,
}

fn stated_counts(sources: &str) -> BTreeMap<String, Stated> {
    let mut out = BTreeMap::new();
    for line in sources.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() > 5 && cells[1].ends_with(".etl") && cells[3].parse::<usize>().is_ok() {
            let name = cells[1].rsplit('/').next().unwrap().to_string();
            let kinds = cells[4]
                .split(", ")
                .map(|k| {
                    let (kind, n) = k.rsplit_once(' ').unwrap();
                    let kind = if kind == "WPP message" {
                        "WPP_MESSAGE"
                    } else {
                        kind
                    };
                    (kind.to_string(), n.parse().unwrap())
                })
                .collect();
            out.insert(
                name,
                Stated {
                    events: cells[3].parse().unwrap(),
                    kinds,
                    providers: BTreeMap::new(),
                },
            );
        }
    }
    let mut current = None;
    for line in sources.lines() {
        if let Some(name) = line.strip_prefix("### shared/samples/") {
            current = Some(name.trim().to_string());
        } else if let (Some(list), Some(name)) = (line.strip_prefix("- providers: "), &current) {
            let stated = out.get_mut(name).unwrap();
            for part in list.split("; ") {
                let key = part.split('`').nth(1).unwrap().to_string();
                let n = part.rsplit_once(" x").unwrap().1.parse().unwrap();
                stated.providers.insert(key, n);
            }
        }
    }
    out
}

#[test]
fn counts_equal_sources_md() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let sources = std::fs::read_to_string(shared.join("samples/SOURCES.md")).unwrap();
    let stated = stated_counts(&sources);
    assert_eq!(stated.len(), common::samples(&shared).len());
    for sample in common::samples(&shared) {
        let name = sample.file_name().unwrap().to_string_lossy().to_string();
        let want = &stated[&name];
        let trace = Trace::open(&sample).unwrap();
        assert_eq!(trace.len(), want.events, "{name}: events");
        let mut kinds = BTreeMap::new();
        let mut providers = BTreeMap::new();
        for e in trace.events() {
            *kinds.entry(e.header.kind.name().to_string()).or_insert(0) += 1;
            *providers.entry(e.header.provider.key()).or_insert(0) += 1;
        }
        assert_eq!(kinds, want.kinds, "{name}: header kinds");
        if !want.providers.is_empty() {
            assert_eq!(providers, want.providers, "{name}: providers");
        }
    }
}
