//! Damaged copies of the shared samples (truncations, bit flips, random buffer headers,
//! swapped buffers, zeroed 4 KiB pages): the `etlview` binary must end with exit code 0 or 2
//! (never a panic's 101 or a signal) in bounded time and memory, and every buffer the damage
//! did not touch must still yield exactly the events it held before.

// A damage is a list of byte ranges; one range is a list too, not a typo for a range.
#![allow(clippy::single_range_in_vec_init)]

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::ops::Range;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use etlview::etl::Trace;
use etlview::etl::layout::BUFFER_HEADER_LEN;

/// Small samples of different shapes: 64 KiB and 8 KiB buffers, compressed buffers, WPP.
const SAMPLES: [&str; 7] = [
    "airbus-amsi-trace.etl",
    "krabsetw-powershell.etl",
    "pktmon-demikernel-compressed.etl",
    "perfview-selfdescribing-compressed.etl",
    "s4-windowsupdate.etl",
    "tx-http-server.etl",
    "tx-process.etl",
];

/// Rounds of every kind of damage per sample, each placed differently.
const ROUNDS: u64 = 3;

/// Longest one run of the binary may take.
const TIMEOUT: Duration = Duration::from_secs(20);
/// Peak resident memory allowed for one run on these files (a few hundred KiB each).
const MAX_RSS_KIB: u64 = 300 * 1024;

/// Deterministic xorshift, so every failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A damaged copy and the byte ranges that were changed.
struct Damage {
    what: String,
    bytes: Vec<u8>,
    touched: Vec<Range<usize>>,
}

/// (file offset, declared size) of every buffer of the undamaged file.
fn buffer_spans(trace: &Trace) -> Vec<Range<usize>> {
    trace
        .buffers()
        .iter()
        .map(|b| b.file_offset..b.file_offset + b.header.buffer_size as usize)
        .collect()
}

/// Events per buffer, keyed by the buffer's file offset.
fn events_per_buffer(trace: &Trace) -> BTreeMap<usize, usize> {
    let mut counts = BTreeMap::new();
    for entry in trace.index_entries() {
        let offset = trace.buffers()[entry.buffer as usize].file_offset;
        *counts.entry(offset).or_insert(0) += 1;
    }
    counts
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// Every kind of damage, a few times each, placed by `rng`.
fn damages(original: &[u8], spans: &[Range<usize>], rng: &mut Rng) -> Vec<Damage> {
    let mut out = Vec::new();
    let len = original.len();

    for _ in 0..2 {
        let cut = BUFFER_HEADER_LEN + rng.below(len - BUFFER_HEADER_LEN);
        out.push(Damage {
            what: format!("truncated at {cut:#x}"),
            bytes: original[..cut].to_vec(),
            touched: vec![cut..len],
        });
    }

    for _ in 0..2 {
        let mut bytes = original.to_vec();
        let mut touched = Vec::new();
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(len);
            bytes[at] ^= 1 << rng.below(8);
            touched.push(at..at + 1);
        }
        out.push(Damage {
            what: format!("bit flips at {touched:x?}"),
            bytes,
            touched,
        });
    }

    // A header of random bytes, and one whose fields look valid but whose sizes are wrong.
    if spans.len() > 1 {
        for plausible in [false, true] {
            let victim = spans[1 + rng.below(spans.len() - 1)].start;
            let mut bytes = original.to_vec();
            let header = &mut bytes[victim..victim + BUFFER_HEADER_LEN];
            if plausible {
                let size = (rng.next() as u32 % (4 * spans[0].len() as u32)).max(72) & !7;
                header[..4].copy_from_slice(&size.to_le_bytes());
                let filled = (rng.next() as u32 % size).max(72);
                header[4..8].copy_from_slice(&filled.to_le_bytes());
                header[0x30..0x34].copy_from_slice(&filled.to_le_bytes());
            } else {
                header.iter_mut().for_each(|b| *b = rng.next() as u8);
            }
            out.push(Damage {
                what: format!(
                    "{} buffer header at {victim:#x}",
                    if plausible { "plausible" } else { "random" }
                ),
                bytes,
                touched: vec![victim..victim + BUFFER_HEADER_LEN],
            });
        }
    }

    // Two buffers of the same size swap places.
    let same_size: Vec<&Range<usize>> = spans
        .iter()
        .skip(1)
        .filter(|s| s.len() == spans[1].len() && s.end <= len)
        .collect();
    if same_size.len() >= 2 {
        let a = same_size[rng.below(same_size.len())].clone();
        let b = same_size[rng.below(same_size.len())].clone();
        if a != b {
            let mut bytes = original.to_vec();
            bytes[a.clone()].copy_from_slice(&original[b.clone()]);
            bytes[b.clone()].copy_from_slice(&original[a.clone()]);
            out.push(Damage {
                what: format!("buffers at {:#x} and {:#x} swapped", a.start, b.start),
                bytes,
                touched: vec![a, b],
            });
        }
    }

    // Zeroed 4 KiB pages: the first (the session header) and a random one.
    for page in [0, rng.below(len.div_ceil(4096))] {
        let start = page * 4096;
        let end = (start + 4096).min(len);
        let mut bytes = original.to_vec();
        bytes[start..end].fill(0);
        out.push(Damage {
            what: format!("zeroed page {start:#x}..{end:#x}"),
            bytes,
            touched: vec![start..end],
        });
    }
    out
}

/// What one run of the binary did.
struct Run {
    code: Option<i32>,
    took: Duration,
    max_rss_kib: Option<u64>,
    stdout: Vec<u8>,
    stderr: String,
}

/// Runs the binary with `args`, under `/usr/bin/time` when it exists (for the peak memory),
/// killing its process group after [`TIMEOUT`].
fn run(args: &[&str], scratch: &Path) -> Run {
    let bin = env!("CARGO_BIN_EXE_etlview");
    let rss_file = scratch.join("rss.txt");
    let _ = std::fs::remove_file(&rss_file);
    let timed = Path::new("/usr/bin/time").exists();
    let mut command = if timed {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let started = Instant::now();
    let mut child = command.spawn().expect("start etlview");
    let mut stdout_pipe = child.stdout.take().unwrap();
    let mut stderr_pipe = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout_pipe.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr_pipe.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > TIMEOUT {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = started.elapsed();
    let max_rss_kib = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|text| text.lines().last()?.trim().parse().ok());
    Run {
        code: status.and_then(|s| s.code()),
        took,
        max_rss_kib,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

fn check_run(label: &str, run: &Run) {
    assert!(
        run.took < TIMEOUT,
        "{label}: still running after {:?}",
        run.took
    );
    assert!(
        matches!(run.code, Some(0 | 2)),
        "{label}: exit code {:?} (0 or 2 expected; 101 is a panic, none a signal)\n{}",
        run.code,
        run.stderr
    );
    if let Some(rss) = run.max_rss_kib {
        assert!(rss < MAX_RSS_KIB, "{label}: peak memory {rss} KiB");
    }
}

#[test]
fn damaged_samples_never_crash_and_lose_nothing_undamaged() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (mut runs, mut peak_rss) = (0, 0);
    if !Path::new("/usr/bin/time").exists() {
        eprintln!("note: /usr/bin/time not found, peak memory is not measured");
    }
    for (index, name) in SAMPLES.iter().enumerate() {
        let original = std::fs::read(shared.join("samples").join(name)).unwrap();
        let trace = Trace::from_bytes(original.clone()).unwrap();
        let spans = buffer_spans(&trace);
        let before = events_per_buffer(&trace);
        let all = (0..ROUNDS).flat_map(|round| {
            let seed = (index as u64 + 1) * 0x1234_5678 + round;
            damages(&original, &spans, &mut Rng(0x9E37_79B9_7F4A_7C15 ^ seed))
        });
        for damage in all {
            let label = format!("{name}, {}", damage.what);

            // The library: untouched buffers keep their events.
            let damaged = Trace::from_bytes(damage.bytes.clone()).ok();
            let after = damaged.as_ref().map(events_per_buffer).unwrap_or_default();
            let mut expected = 0;
            for span in spans.iter().filter(|s| s.end <= damage.bytes.len()) {
                expected += before.get(&span.start).unwrap_or(&0);
                if damage.touched.iter().any(|t| overlaps(t, span)) {
                    continue;
                }
                assert_eq!(
                    after.get(&span.start),
                    before.get(&span.start),
                    "{label}: untouched buffer {:#x}..{:#x} changed its event count",
                    span.start,
                    span.end
                );
            }

            // Nothing is lost silently: events missing from the buffers still in the file
            // come with at least one reported issue.
            if let Some(damaged) = &damaged {
                let lost = expected.saturating_sub(damaged.len());
                assert!(
                    lost == 0 || !damaged.issues().is_empty(),
                    "{label}: {lost} events lost without any issue reported"
                );
            }

            // The binary: clean exit codes, bounded time and memory, valid JSON.
            let path: PathBuf = scratch.path().join("damaged.etl");
            std::fs::write(&path, &damage.bytes).unwrap();
            let file = path.to_str().unwrap();
            let info = run(&["info", file, "--json"], scratch.path());
            check_run(&format!("{label}: info --json"), &info);
            if info.code == Some(0) {
                let report: serde_json::Value = serde_json::from_slice(&info.stdout)
                    .unwrap_or_else(|e| panic!("{label}: info --json is not JSON: {e}"));
                assert_eq!(
                    report["events"].as_u64(),
                    Some(after.values().sum::<usize>() as u64),
                    "{label}: info and the library disagree on the event count"
                );
            }
            let print = run(&[file, "--print", "--format", "jsonl"], scratch.path());
            check_run(&format!("{label}: --print --format jsonl"), &print);
            for line in print
                .stdout
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
            {
                assert!(
                    serde_json::from_slice::<serde_json::Value>(line).is_ok(),
                    "{label}: a JSONL line is not JSON"
                );
            }
            runs += 2;
            peak_rss = peak_rss.max(info.max_rss_kib.unwrap_or(0));
            peak_rss = peak_rss.max(print.max_rss_kib.unwrap_or(0));
        }
    }
    eprintln!(
        "{runs} runs of the binary in {:?}; peak memory {peak_rss} KiB",
        started.elapsed()
    );
}
