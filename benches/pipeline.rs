//! Throughput of what happens after reading, on ONE core, over the shared sample corpus:
//! decoding (header + payload), a header-only filter, a `Message contains` filter, and
//! CSV / JSONL export (one core); then CSV / JSONL / Parquet export on one and two threads as
//! `etlview export` runs, and `etlview --print --format jsonl` beside dissect.etl decoding the
//! same files. Prints events/s. `ETLVIEW_BENCH_ONLY=export` stops before the dissect.etl part.
//!
//! Run: `cargo bench --bench pipeline` (needs ../shared/samples or ETLVIEW_SHARED).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use etlview::export::{Format, RowWriter, parquet};
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
    // Wall time and the CPU time of every thread: on a shared machine the wall figure moves
    // with the neighbours' load, events per CPU-second much less.
    let report_cpu = |what: &str, secs: f64, cpu: f64| {
        println!(
            "{what:<40} {:>6.2} M events/s wall, {:>6.2} M events/CPU-s  ({events} events, {secs:.3} s wall, {cpu:.2} s CPU)",
            events as f64 / secs / 1e6,
            events as f64 / cpu.max(1e-9) / 1e6
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

    // What `etlview export` does: rows built on every core (rayon), written in time order;
    // one and two threads, each format, best of three.
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        for format in [Format::Csv, Format::Jsonl, Format::Parquet] {
            let (mut best, mut best_cpu) = (f64::MAX, f64::MAX);
            for _ in 0..3 {
                let start = Instant::now();
                let cpu = cpu_seconds();
                let mut bytes = 0usize;
                for s in &sessions {
                    let mut out = Vec::with_capacity(1 << 20);
                    pool.install(|| export_to(s, format, &mut out));
                    bytes += out.len();
                }
                std::hint::black_box(bytes);
                best = best.min(start.elapsed().as_secs_f64());
                best_cpu = best_cpu.min(cpu_seconds() - cpu);
            }
            report_cpu(
                &format!("export {format:?}, {threads} thread(s), best of 3"),
                best,
                best_cpu,
            );
        }
    }
    if std::env::var("ETLVIEW_BENCH_ONLY").is_ok_and(|v| v == "export") {
        return;
    }
    dissect_side_by_side(&files, events);
}

/// User + system CPU time of this process (all threads), from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the `(comm)`; utime and stime are the 14th and 15th of the line.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: Vec<f64> = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse().ok())
        .collect();
    // USER_HZ is 100 on Linux.
    ticks.iter().sum::<f64>() / 100.0
}

fn export_to(session: &Timeline, format: Format, out: &mut Vec<u8>) {
    if format == Format::Parquet {
        let info = parquet::source_info(session, "bench");
        parquet::write_parquet(session, &info, out, &|_| true, &|_| {}).unwrap();
    } else {
        etlview::export::write_rows(session, format, out, &|_| true, &|_| {}).unwrap();
    }
}

/// `etlview FILE --print --format jsonl` (the binary, as a user runs it, output to /dev/null)
/// against dissect.etl decoding every event of the same files (`benches/dissect_decode.py`).
fn dissect_side_by_side(files: &[PathBuf], events: usize) {
    let start = Instant::now();
    for file in files {
        let status = Command::new(env!("CARGO_BIN_EXE_etlview"))
            .arg(file)
            .args(["--print", "--format", "jsonl"])
            .stdout(Stdio::null())
            .status()
            .expect("run etlview");
        assert!(status.success(), "etlview failed on {}", file.display());
    }
    let ours = start.elapsed().as_secs_f64();
    println!(
        "etlview --print --format jsonl, whole corpus: {ours:.2} s ({:.2} M events/s)",
        events as f64 / ours / 1e6
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/dissect_decode.py");
    let start = Instant::now();
    let out = Command::new("python3").arg(script).args(files).output();
    let theirs = start.elapsed().as_secs_f64();
    match out {
        Ok(out) if out.status.success() => println!(
            "dissect.etl decode, same files: {theirs:.2} s ({} records) -> etlview is {:.0}x faster",
            String::from_utf8_lossy(&out.stdout).trim(),
            theirs / ours
        ),
        Ok(out) => println!(
            "dissect.etl side by side skipped: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => println!("dissect.etl side by side skipped: {e}"),
    }
}
