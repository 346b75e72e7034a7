//! Big-file figures for the viewer: generates a synthetic netsh-style trace of N events
//! (`ETLVIEW_BIG_EVENTS`, default 10 million), then measures opening it (index + header rows +
//! process table + failure marks: what the first screen waits for), a header filter, and the
//! peak resident memory against the file size.
//!
//! Run: `cargo bench --bench big_trace` (writes the trace to a temporary directory).
//! `ETLVIEW_BIG_KEEP=PATH` keeps the trace; `ETLVIEW_BIG_FILE=PATH` measures an existing one.

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use etlview::timeline::{Timeline, TimelineOptions};

fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

fn main() {
    // The measuring half runs in a fresh process, so its peak memory is its own.
    if let Some(path) = std::env::var_os("ETLVIEW_BIG_FILE") {
        measure(std::path::Path::new(&path));
        return;
    }
    let events: usize = std::env::var("ETLVIEW_BIG_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    // `ETLVIEW_BIG_KEEP=PATH` keeps the generated trace there (for profiling with
    // `ETLVIEW_BIG_FILE=PATH`).
    let dir = tempfile::tempdir().expect("temp dir");
    let path = std::env::var_os("ETLVIEW_BIG_KEEP")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("big.etl"));
    let start = Instant::now();
    samplegen::large_trace(&path, events).expect("generate");
    let size = std::fs::metadata(&path).unwrap().len();
    println!(
        "generated {events} events, {:.0} MiB in {:.1} s",
        size as f64 / 1048576.0,
        start.elapsed().as_secs_f64()
    );
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .env("ETLVIEW_BIG_FILE", &path)
        .status()
        .expect("run the measuring process");
    assert!(status.success());
}

fn measure(path: &std::path::Path) {
    let size = std::fs::metadata(path).unwrap().len();
    let start = Instant::now();
    let session = Timeline::open(path, TimelineOptions::default()).expect("open");
    let events = session.len();
    let open = start.elapsed().as_secs_f64();
    println!("open (index, header rows, process names, failure marks): {open:.2} s");
    let timed_filter = |expr: &str, what: &str| {
        let start = Instant::now();
        let hits = session
            .filter(expr, &AtomicBool::new(false), &|_| {})
            .unwrap()
            .unwrap()
            .len();
        println!(
            "{what}: {hits} hits in {:.3} s",
            start.elapsed().as_secs_f64()
        );
    };
    timed_filter(
        "Level == 2 AND ProcessId != 4",
        "header filter (first use includes the name catalogue)",
    );
    timed_filter("EventId == 1 AND Level <= 4", "header filter again");
    let rss = status_kib("VmHWM:") * 1024;
    println!(
        "peak resident {:.0} MiB = file {:.0} MiB + {:.1} bytes/event (budget: file + 40 bytes/event)",
        rss as f64 / 1048576.0,
        size as f64 / 1048576.0,
        (rss as f64 - size as f64) / events as f64
    );
    // After the memory figure: the index alone, as the viewer's progress bar counts it.
    drop(session);
    let start = Instant::now();
    let trace = etlview::etl::Trace::open(path).expect("index");
    println!(
        "index alone (every record, time-sorted): {} events in {:.2} s",
        trace.len(),
        start.elapsed().as_secs_f64()
    );
}
