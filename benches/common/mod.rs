//! Shared set-up of the benchmarks: one thread, the sample corpus.

use std::path::PathBuf;

/// Pins rayon to one thread (the targets are per core) and lists `../shared/samples/*.etl`.
pub fn single_core_corpus() -> Vec<PathBuf> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .expect("single-threaded pool");
    let shared = std::env::var_os("ETLVIEW_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(shared.join("samples"))
        .expect("../shared/samples (set ETLVIEW_SHARED)")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "etl"))
        .collect();
    files.sort();
    files
}
