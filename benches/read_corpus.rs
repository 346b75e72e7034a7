//! Reading throughput over the shared sample corpus: every record indexed, all headers decoded,
//! timestamps converted, time-sorted. Prints MB/s and events/s on ONE core, separately for
//! uncompressed and compressed files, and the index memory per event.
//!
//! Run: `cargo bench --bench read_corpus` (needs ../shared/samples or ETLVIEW_SHARED).

use std::time::{Duration, Instant};

use etlview::etl::Trace;

mod common;

fn main() {
    let files = common::single_core_corpus();
    // Files stay in the page cache; measure parsing, not the disk.
    let data: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(p).unwrap(),
            )
        })
        .collect();
    for compressed in [false, true] {
        let set: Vec<&(String, Vec<u8>)> = data
            .iter()
            .filter(|(n, _)| n.contains("compressed") == compressed)
            .collect();
        let bytes: usize = set.iter().map(|(_, d)| d.len()).sum();
        let mut best = Duration::MAX;
        let mut events = 0usize;
        let mut index_bytes = 0usize;
        for _ in 0..5 {
            let start = Instant::now();
            events = 0;
            index_bytes = 0;
            for (_, d) in &set {
                let trace = Trace::from_bytes(d.clone()).unwrap();
                let mut checksum = 0i64;
                for e in trace.events() {
                    checksum = checksum.wrapping_add(e.filetime ^ i64::from(e.header.id));
                }
                std::hint::black_box(checksum);
                events += trace.len();
                index_bytes += trace.len() * std::mem::size_of::<etlview::etl::IndexEntry>()
                    + std::mem::size_of_val(trace.buffers());
            }
            best = best.min(start.elapsed());
        }
        let secs = best.as_secs_f64();
        println!(
            "{:<13} {:>3} files {:>9.1} MB {:>8} events  {:>7.0} MB/s  {:>6.2} M events/s  index {:.1} bytes/event (+ expanded buffers)",
            if compressed {
                "compressed"
            } else {
                "uncompressed"
            },
            set.len(),
            bytes as f64 / 1e6,
            events,
            bytes as f64 / 1e6 / secs,
            events as f64 / 1e6 / secs,
            index_bytes as f64 / events as f64,
        );
    }
}
