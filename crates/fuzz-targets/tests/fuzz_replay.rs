//! Runs every fuzz entry point (`fuzz_targets`) over its seed corpus
//! (`fuzz/corpus/<target>/`) and over every input the fuzzers ever found a problem with
//! (`tests/fuzz_regressions/<target>/`). This is the CI side of fuzzing: no long sessions,
//! just proof that nothing once found comes back and that every target still runs.
//!
//! `cargo test --release --test fuzz_replay -- --ignored write_seed_corpora` rebuilds the seed
//! corpora (from `../shared/samples` when present).

#[path = "../../../tests/common/mod.rs"]
mod common;
mod fuzz_seeds;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fuzz_targets as fuzzing;

/// A fuzz entry point.
type Entry = fn(&[u8]);

/// Every target, by the name of its `fuzz/fuzz_targets/<name>.rs`.
const TARGETS: [(&str, Entry); 11] = [
    ("etl_file", fuzzing::etl_file),
    ("etl_damage", fuzzing::etl_damage),
    ("xpress", fuzzing::xpress),
    ("record_headers", fuzzing::record_headers),
    ("tracelogging", fuzzing::tracelogging),
    ("event_info", fuzzing::event_info),
    ("manifest_xml", fuzzing::manifest_xml),
    ("payload_walker", fuzzing::payload_walker),
    ("trace_text", fuzzing::trace_text),
    ("filter", fuzzing::filter),
    ("packet", fuzzing::packet),
];

/// One input may take this long at most: the fuzzers kept slow inputs as regressions too.
const SLOW_INPUT: Duration = Duration::from_secs(5);

fn repo() -> PathBuf {
    // The workspace root: the corpora live in `fuzz/`, the regressions in `tests/`.
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Regular files of `dir`, sorted; none when the directory does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

/// Runs `entry` on every file of `dir`; returns (inputs run, failures as text).
fn replay(name: &str, entry: Entry, dir: &Path) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let inputs = files(dir);
    for path in &inputs {
        let bytes = std::fs::read(path).unwrap();
        let started = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| entry(&bytes)));
        let took = started.elapsed();
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{name}: {} panicked: {message}", path.display()));
        } else if took > SLOW_INPUT && !cfg!(debug_assertions) {
            failures.push(format!("{name}: {} took {took:?}", path.display()));
        }
    }
    (inputs.len(), failures)
}

#[test]
fn every_target_runs_over_its_corpus_and_regressions() {
    let started = Instant::now();
    let mut failures = Vec::new();
    for (name, entry) in TARGETS {
        let target_started = Instant::now();
        let corpus = repo().join("fuzz/corpus").join(name);
        let regressions = repo().join("tests/fuzz_regressions").join(name);
        let (seeds, mut seed_failures) = replay(name, entry, &corpus);
        let (found, mut found_failures) = replay(name, entry, &regressions);
        assert!(
            seeds > 0,
            "no seed corpus for fuzz target `{name}` in {}",
            corpus.display()
        );
        eprintln!(
            "{name}: {seeds} seeds, {found} regressions in {:?}",
            target_started.elapsed()
        );
        failures.append(&mut seed_failures);
        failures.append(&mut found_failures);
    }
    eprintln!("all targets in {:?}", started.elapsed());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_target_has_a_fuzz_target_file() {
    for (name, _) in TARGETS {
        let path = repo().join("fuzz/fuzz_targets").join(format!("{name}.rs"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            text.contains(&format!("fuzz_targets::{name}(data)")),
            "{} does not call fuzz_targets::{name}",
            path.display()
        );
    }
}

#[test]
fn seed_corpora_stay_small() {
    let mut total = 0u64;
    for (name, _) in TARGETS {
        for path in files(&repo().join("fuzz/corpus").join(name)) {
            let len = std::fs::metadata(&path).unwrap().len();
            assert!(
                len <= fuzz_seeds::MAX_SEED as u64,
                "{} is {len} bytes",
                path.display()
            );
            total += len;
        }
    }
    assert!(total <= 2 << 20, "seed corpora total {total} bytes");
}

/// Rebuilds `fuzz/corpus/` (run by hand after changing the generator).
#[test]
#[ignore = "rewrites fuzz/corpus; run by hand"]
fn write_seed_corpora() {
    let shared = common::shared_dir();
    let corpora = fuzz_seeds::build(shared.as_deref(), &repo());
    let total = corpora.write(&repo().join("fuzz/corpus"));
    eprintln!("wrote {total} bytes of seeds");
}
