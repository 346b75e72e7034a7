//! Several sources on one timeline: merged counts, global time order, frame numbers, the
//! `Source` field and column, per-source process tables, and the command line over them.

mod common;

use std::path::PathBuf;
use std::process::Command;

use etlview::timeline::{Timeline, TimelineOptions};

const A: &str = "tx-http-server.etl";
const B: &str = "tx-process.etl";

fn two_samples() -> Option<(Timeline, Vec<PathBuf>, [usize; 2])> {
    let shared = common::shared_dir()?;
    let paths = vec![
        shared.join("samples").join(A),
        shared.join("samples").join(B),
    ];
    let alone = [
        Timeline::open(&paths[0], TimelineOptions::default())
            .unwrap()
            .len(),
        Timeline::open(&paths[1], TimelineOptions::default())
            .unwrap()
            .len(),
    ];
    let timeline = Timeline::open_all(&paths, TimelineOptions::default()).unwrap();
    Some((timeline, paths, alone))
}

#[test]
fn two_traces_merge_into_one_time_order() {
    let Some((timeline, _, alone)) = two_samples() else {
        return;
    };
    // SOURCES.md counts.
    assert_eq!(alone, [2_042, 10_344]);
    assert_eq!(timeline.len(), alone[0] + alone[1]);
    assert_eq!(timeline.sources().len(), 2);
    let per_source: Vec<usize> = timeline.sources().iter().map(|s| s.len()).collect();
    assert_eq!(per_source, alone);

    let mut seen = [0usize; 2];
    let mut previous = i64::MIN;
    for frame in 0..timeline.len() {
        let e = timeline.event(frame).unwrap();
        assert_eq!(e.frame, frame, "frames are numbered 1..N across sources");
        let time = timeline.filetime(frame).unwrap();
        assert!(time >= previous, "frame {frame} goes back in time");
        previous = time;
        let slot = timeline.slot(frame).unwrap();
        // Each source's events keep their own order.
        assert_eq!(slot.local as usize, seen[usize::from(slot.source)]);
        seen[usize::from(slot.source)] += 1;
    }
    assert_eq!(seen, alone);
}

#[test]
fn the_source_field_selects_one_file() {
    let Some((timeline, _, alone)) = two_samples() else {
        return;
    };
    let never = std::sync::atomic::AtomicBool::new(false);
    let count = |expr: &str| {
        timeline
            .filter(expr, &never, &|_| {})
            .unwrap()
            .unwrap()
            .len()
    };
    assert_eq!(count(&format!("Source == \"{A}\"")), alone[0]);
    assert_eq!(count(&format!("Source == \"{B}\"")), alone[1]);
    assert_eq!(count(&format!("Source != \"{A}\"")), alone[1]);
    // The slow path (a decoded field next to Source) agrees with the header-row path.
    let slow = count(&format!("Source == \"{B}\" AND Message contains \"\""));
    assert!(slow <= alone[1]);
    // Every row names its source.
    let row = timeline.row(0).unwrap();
    assert!(row.source.as_deref().is_some_and(|s| s == A || s == B));
}

#[test]
fn the_same_pid_on_two_machines_keeps_two_names() {
    let dir = tempfile::tempdir().unwrap();
    let arr = dir.path().join("arr").join("NetTrace.etl");
    let member = dir.path().join("web01").join("NetTrace.etl");
    for (path, image, offset) in [(&arr, "w3wp.exe", 0), (&member, "sqlservr.exe", 3)] {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, samplegen::process_trace(1432, image, 5, offset)).unwrap();
    }
    let timeline =
        Timeline::open_all(&[arr.clone(), member.clone()], TimelineOptions::default()).unwrap();
    let labels: Vec<&str> = timeline
        .sources()
        .iter()
        .map(|s| s.meta.label.as_str())
        .collect();
    assert_eq!(labels, ["arr/NetTrace.etl", "web01/NetTrace.etl"]);
    let mut names = std::collections::BTreeSet::new();
    for frame in 0..timeline.len() {
        let e = timeline.event(frame).unwrap();
        if let (Some(1432), Some(name)) = (e.header.process_id, timeline.ut_process_name(&e)) {
            names.insert((timeline.source_label(&e).to_string(), name));
        }
    }
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        [
            (
                "arr/NetTrace.etl".to_string(),
                "w3wp.exe (1432)".to_string()
            ),
            (
                "web01/NetTrace.etl".to_string(),
                "sqlservr.exe (1432)".to_string()
            ),
        ]
    );
    let processes = timeline.processes();
    let w3wp: Vec<_> = processes.iter().filter(|p| p.process_id == 1432).collect();
    assert_eq!(w3wp.len(), 2, "{processes:?}");
}

fn etlview(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_etlview"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_command_line_takes_several_files_and_folders() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.etl");
    let b = dir.path().join("b.etl");
    std::fs::write(&a, samplegen::process_trace(100, "one.exe", 4, 0)).unwrap();
    std::fs::write(&b, samplegen::process_trace(200, "two.exe", 6, 1)).unwrap();
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());

    // Printing two files, then the folder: the same 12 events (two rundown records, two
    // header records, 10 events), in time order, each with its source.
    let files = etlview(&[a, b, "--print", "--format", "jsonl"]);
    assert!(files.status.success(), "{files:?}");
    let folder = etlview(&[dir.path().to_str().unwrap(), "--print", "--format", "jsonl"]);
    assert_eq!(files.stdout, folder.stdout);
    let rows: Vec<serde_json::Value> = String::from_utf8(files.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 14);
    let frames: Vec<u64> = rows.iter().map(|r| r["frame"].as_u64().unwrap()).collect();
    assert_eq!(frames, (1..=14).collect::<Vec<u64>>());
    let from_b = rows.iter().filter(|r| r["source"] == "b.etl").count();
    assert_eq!(from_b, 8);

    // The filter field, and exit code 1 when nothing matches.
    let filtered = etlview(&[a, b, "--print", "-f", "Source == \"a.etl\""]);
    assert!(filtered.status.success());
    assert_eq!(String::from_utf8_lossy(&filtered.stdout).lines().count(), 6);
    let none = etlview(&[a, b, "--print", "-f", "Source == \"c.etl\""]);
    assert_eq!(none.status.code(), Some(1));

    // info: a section per source and the totals.
    let info = etlview(&["info", a, b]);
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(text.contains("== Source 1 of 2: a.etl =="), "{text}");
    assert!(text.contains("== Source 2 of 2: b.etl =="), "{text}");
    assert!(text.contains("== All 2 sources =="), "{text}");
    let json = etlview(&["info", "--json", a, b]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["events"], 14);
    assert_eq!(json["sources"].as_array().unwrap().len(), 2);

    // CSV has a source column with several sources.
    let out = dir.path().join("out.csv");
    let export = etlview(&["export", a, b, "-o", out.to_str().unwrap()]);
    assert!(export.status.success(), "{export:?}");
    let csv = std::fs::read_to_string(&out).unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",fields,source"));
    assert_eq!(csv.lines().filter(|l| l.ends_with(",a.etl")).count(), 6);

    // An .etl export takes one trace.
    let etl_out = dir.path().join("out.etl");
    let refused = etlview(&["export", a, b, "-o", etl_out.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(!etl_out.exists());

    // An empty folder says so.
    let empty = tempfile::tempdir().unwrap();
    let nothing = etlview(&[empty.path().to_str().unwrap(), "--print"]);
    assert_eq!(nothing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("holds no .etl file"));
}
