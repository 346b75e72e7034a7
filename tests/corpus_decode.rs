//! Decoding over the shared samples: coverage, exact TraceLogging consumption, embedded schemas,
//! manifests, process names; insta snapshots of a few decoded events per sample.

mod common;

use std::collections::BTreeMap;

use etlview::decode::DecodedBy;
use etlview::timeline::{Timeline, TimelineOptions};

fn open(shared: &std::path::Path, name: &str) -> Timeline {
    Timeline::open(
        shared.join("samples").join(name),
        TimelineOptions::default(),
    )
    .unwrap()
}

#[test]
fn at_least_95_percent_of_corpus_events_decode() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let (mut total, mut decoded) = (0usize, 0usize);
    let mut per_file = Vec::new();
    for sample in common::samples(&shared) {
        let session = Timeline::open(&sample, TimelineOptions::default()).unwrap();
        let mut n = 0;
        for e in session.events() {
            if session.decode(&e).decoded_by != DecodedBy::None {
                n += 1;
            }
        }
        per_file.push(format!(
            "{}: {n}/{}",
            sample.file_name().unwrap().to_string_lossy(),
            session.len()
        ));
        total += session.len();
        decoded += n;
    }
    let share = decoded as f64 / total as f64;
    eprintln!(
        "decoded {decoded} of {total} events ({:.2}%)\n{}",
        share * 100.0,
        per_file.join("\n")
    );
    assert!(
        share >= 0.95,
        "only {:.2}% decoded:\n{}",
        share * 100.0,
        per_file.join("\n")
    );
}

#[test]
fn schemas_in_the_file_decode_exactly() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let mut tracelogging = 0;
    let mut embedded = 0;
    for sample in common::samples(&shared) {
        let name = sample.file_name().unwrap().to_string_lossy().to_string();
        let session = Timeline::open(&sample, TimelineOptions::default()).unwrap();
        for e in session.events() {
            let d = session.decode(&e);
            match d.decoded_by {
                DecodedBy::Tracelogging => {
                    tracelogging += 1;
                    assert!(
                        d.error.is_none(),
                        "{name} frame {}: {:?}",
                        e.frame + 1,
                        d.error
                    );
                }
                DecodedBy::Metadata => {
                    embedded += 1;
                    assert!(
                        d.error.is_none(),
                        "{name} frame {}: {:?}",
                        e.frame + 1,
                        d.error
                    );
                }
                _ => {}
            }
        }
    }
    assert!(
        tracelogging >= 134,
        "TraceLogging events decoded: {tracelogging}"
    );
    assert!(
        embedded > 1000,
        "events decoded by embedded schemas: {embedded}"
    );
}

#[test]
fn pktmon_decodes_through_embedded_schemas() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let session = open(&shared, "pktmon-demikernel-compressed.etl");
    let mut by: BTreeMap<DecodedBy, usize> = BTreeMap::new();
    for e in session.events() {
        if e.header.provider.key().starts_with("4d4f80d9") {
            let d = session.decode(&e);
            assert!(d.error.is_none(), "frame {}: {:?}", e.frame + 1, d.error);
            *by.entry(d.decoded_by).or_default() += 1;
        }
    }
    assert_eq!(
        by.get(&DecodedBy::Metadata).copied().unwrap_or(0),
        403,
        "{by:?}"
    );
}

#[test]
fn http_sys_events_decode_through_the_manifest() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let session = open(&shared, "tx-http-server.etl");
    let mut decoded = 0;
    for e in session.events().skip(1) {
        let d = session.decode(&e);
        assert_eq!(d.decoded_by, DecodedBy::Manifest, "frame {}", e.frame + 1);
        assert_eq!(
            d.provider_name.as_deref(),
            Some("Microsoft-Windows-HttpService")
        );
        assert!(d.error.is_none(), "frame {}: {:?}", e.frame + 1, d.error);
        decoded += 1;
    }
    assert_eq!(decoded, 2041);
    let urls = session
        .events()
        .filter_map(|e| {
            session
                .decode(&e)
                .get("Url")
                .and_then(|v| v.as_str().map(str::to_string))
        })
        .count();
    assert!(urls > 100, "only {urls} events carry a Url");
}

#[test]
fn kernel_process_events_name_processes() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    for (name, expected) in [
        ("airbus-shutdown-perfdiag-kernel.etl", "smss.exe"),
        ("tx-process.etl", ".exe ("),
        ("perfview-net45-x86-kernel-clr.etl", ".exe ("),
    ] {
        let session = open(&shared, name);
        let named = session
            .events()
            .filter_map(|e| session.ut_process_name(&e))
            .filter(|p| p.contains(expected))
            .count();
        assert!(
            named > 0,
            "{name}: no event names a process like `{expected}`"
        );
        assert!(
            session.sources()[0].process_table().len() > 3,
            "{name}: {} processes named",
            session.sources()[0].process_table().len()
        );
    }
}

/// Insta snapshots: the first three decoded events of each provider/event kind, per sample.
#[test]
fn decoded_jsonl_snapshots() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    for sample in common::samples(&shared) {
        let name = sample.file_stem().unwrap().to_string_lossy().to_string();
        let session = Timeline::open(&sample, TimelineOptions::default()).unwrap();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut rows = Vec::new();
        for e in session.events() {
            let key = format!(
                "{}/{}/{}",
                e.header.provider.key(),
                e.header.id,
                e.header.opcode
            );
            let n = seen.entry(key).or_default();
            *n += 1;
            if *n == 1 && rows.len() < 6 {
                rows.push(serde_json::to_value(session.row_of(&e)).unwrap());
            }
        }
        insta::assert_json_snapshot!(format!("decoded_{name}"), rows);
    }
}
