//! Throughput of what happens after reading, on ONE core, over the shared sample corpus:
//! decoding (header + payload), a header-only filter, a `Message contains` filter, and
//! CSV / JSONL export (one core, and on every core as `etlview export` runs). Prints events/s.
//!
//! Run: `cargo bench --bench pipeline` (needs ../shared/samples or ETLVIEW_SHARED).

use std::time::Instant;

use etlview::export::{Format, RowWriter};
use etlview::timeline::{Timeline, TimelineOptions};

mod common;

fn main() {
    let files = common::single_core_corpus();
    let sessions: Vec<Timeline> = files
        .iter()
        .map(|p| Timeline::open(p, TimelineOptions::default()).unwrap())
        .collect();
    let events: usize = sessions.iter().map(Timeline::len).sum();
    let report = |what: &str, secs: f64| {
        println!(
            "{what:<34} {:>8.2} M events/s  ({events} events in {secs:.3} s)",
            events as f64 / secs / 1e6
        );
    };

    // `ETLVIEW_BENCH_ONLY=decode` stops after decoding (for profiling).
    let only_decode = std::env::var("ETLVIEW_BENCH_ONLY").is_ok_and(|v| v == "decode");
    // Best of three rounds: this VM's timings vary by ±10 % from run to run.
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        let mut fields = 0usize;
        for s in &sessions {
            for e in s.events() {
                fields += s.decode(&e).fields().count();
            }
        }
        std::hint::black_box(fields);
        best = best.min(start.elapsed().as_secs_f64());
    }
    report("decode (header + payload), best of 3", best);
    if only_decode {
        return;
    }

    for (what, expr) in [
        (
            "filter, header only",
            "EventId == 10 AND Level <= 4 AND ProcessId != 4",
        ),
        ("filter, Message contains", "Message contains \"timeout\""),
    ] {
        // Compiling (which builds each trace's name catalogue once) is not per-event work.
        let compiled: Vec<_> = sessions
            .iter()
            .map(|s| s.compile_filter(expr).unwrap())
            .collect();
        let start = Instant::now();
        let mut hits = 0usize;
        for (s, compiled) in sessions.iter().zip(&compiled) {
            hits += s
                .run_filter(
                    compiled,
                    &std::sync::atomic::AtomicBool::new(false),
                    &|_| {},
                )
                .unwrap()
                .len();
        }
        std::hint::black_box(hits);
        report(what, start.elapsed().as_secs_f64());
    }

    for format in [Format::Csv, Format::Jsonl] {
        let start = Instant::now();
        let mut bytes = 0usize;
        for s in &sessions {
            let mut out = Vec::with_capacity(1 << 20);
            let mut w = RowWriter::new(format, &mut out).unwrap();
            for e in s.events() {
                w.write(&s.row_of(&e)).unwrap();
            }
            w.finish().unwrap();
            bytes += out.len();
        }
        std::hint::black_box(bytes);
        report(
            &format!("export {format:?}, one core"),
            start.elapsed().as_secs_f64(),
        );
    }

    // What `etlview export` does: formatting on every core (rayon's global pool), written in order.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cores)
        .build()
        .unwrap();
    for format in [Format::Csv, Format::Jsonl] {
        let start = Instant::now();
        let mut bytes = 0usize;
        for s in &sessions {
            let mut out = Vec::with_capacity(1 << 20);
            pool.install(|| etlview::export::write_rows(s, format, &mut out, &|_| true, &|_| {}))
                .unwrap();
            bytes += out.len();
        }
        std::hint::black_box(bytes);
        report(
            &format!("export {format:?}, {cores} cores"),
            start.elapsed().as_secs_f64(),
        );
    }
}
