use std::sync::atomic::{AtomicU64, Ordering};

use ::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMicrosecondType};

use super::*;
use crate::timeline::{Timeline, TimelineOptions};

fn session(events: usize) -> (tempfile::TempDir, Timeline) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.etl");
    samplegen::large_trace(&path, events).unwrap();
    let session = Timeline::open(&path, TimelineOptions::default()).unwrap();
    (dir, session)
}

fn read_back(bytes: Vec<u8>) -> (Vec<arrow_array::RecordBatch>, Vec<(String, String)>, usize) {
    let mut file = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut file, &bytes).unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let meta = builder.metadata().clone();
    let kv = meta
        .file_metadata()
        .key_value_metadata()
        .map(|kv| {
            kv.iter()
                .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let batches = builder
        .build()
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    (batches, kv, meta.num_row_groups())
}

#[test]
fn every_kept_event_is_one_row_with_its_header_and_metadata() {
    let (_dir, session) = session(3_000);
    let info = source_info(&session, "WEB01");
    let keep = |frame: usize| frame % 3 != 1;
    let examined = AtomicU64::new(0);
    let mut out = Vec::new();
    let progress = |k| {
        examined.fetch_add(k, Ordering::Relaxed);
    };
    // Small tasks and rounds, so that the test crosses many of both.
    let summary = write_parquet_in(&session, &info, &mut out, &keep, &progress, (37, 500)).unwrap();
    let expected: Vec<usize> = (0..session.len()).filter(|&f| keep(f)).collect();
    assert_eq!(summary.rows, expected.len());
    assert_eq!(examined.into_inner(), session.len() as u64);

    let (batches, kv, _) = read_back(out);
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, expected.len());
    let value = |key: &str| kv.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    assert!(value("etlview.source_file").is_some_and(|f| f.ends_with("t.etl")));
    assert_eq!(value("etlview.computer"), Some("WEB01"));
    assert_eq!(value("etlview.version"), Some(env!("CARGO_PKG_VERSION")));
    assert_eq!(value("etlview.damage"), Some("none"));
    assert!(value("etlview.clock").is_some());

    let mut at = 0;
    for batch in &batches {
        assert_eq!(batch.schema(), *SCHEMA);
        let frames = batch
            .column_by_name("frame")
            .unwrap()
            .as_primitive::<Int64Type>();
        let times = batch
            .column_by_name("time")
            .unwrap()
            .as_primitive::<TimestampMicrosecondType>();
        let filetimes = batch
            .column_by_name("filetime")
            .unwrap()
            .as_primitive::<Int64Type>();
        let computers = batch.column_by_name("computer").unwrap().as_string::<i32>();
        for i in 0..batch.num_rows() {
            let frame = expected[at];
            let e = session.event(frame).unwrap();
            assert_eq!(frames.value(i), frame as i64 + 1);
            assert_eq!(filetimes.value(i), e.filetime);
            assert_eq!(times.value(i), filetime_to_unix_micros(e.filetime));
            assert_eq!(computers.value(i), "WEB01");
            at += 1;
        }
    }
}

#[test]
fn row_groups_are_bounded() {
    let (_dir, session) = session(ROW_GROUP_ROWS + 1_000);
    let info = source_info(&session, "unknown");
    let mut out = Vec::new();
    let summary = write_parquet(&session, &info, &mut out, &|_| true, &|_| {}).unwrap();
    assert_eq!(summary.rows, session.len());
    assert!(summary.row_groups >= 2, "{summary:?}");
    let (_, _, groups) = read_back(out);
    assert_eq!(groups, summary.row_groups);
}
