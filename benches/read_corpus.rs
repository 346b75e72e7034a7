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
    // `ETLVIEW_BENCH_SET=compressed|uncompressed` measures one set (for profiling).
    let only = std::env::var("ETLVIEW_BENCH_SET").ok();
    for compressed in [false, true] {
        let name = if compressed {
            "compressed"
        } else {
            "uncompressed"
        };
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let set: Vec<&std::path::PathBuf> = files
            .iter()
            .filter(|p| p.to_string_lossy().contains("compressed") == compressed)
            .collect();
        // Files are memory-mapped as the tool does; after the first round they are in the
        // page cache, so this measures parsing, not the disk.
        let bytes: usize = set
            .iter()
            .map(|p| std::fs::metadata(p).unwrap().len() as usize)
            .sum();
        let mut best = Duration::MAX;
        let mut events = 0usize;
        let mut index_bytes = 0usize;
        for _ in 0..5 {
            let start = Instant::now();
            events = 0;
            index_bytes = 0;
            for path in &set {
                let trace = Trace::open(path).unwrap();
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
            name,
            set.len(),
            bytes as f64 / 1e6,
            events,
            bytes as f64 / 1e6 / secs,
            events as f64 / 1e6 / secs,
            index_bytes as f64 / events as f64,
        );
    }
}
