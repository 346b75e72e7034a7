//! Shared helpers for tests that read the real traces in `../shared`.
#![allow(dead_code)]

use std::path::PathBuf;

/// The workspace root (the folder with `Cargo.lock`), wherever the test's crate lives.
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .unwrap_or(&manifest)
        .to_path_buf()
}

/// `../shared` next to the repository (or `$ETLVIEW_SHARED`).
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ETLVIEW_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared"));
    if dir.join("samples").is_dir() {
        Some(dir)
    } else if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "CI=true but the shared samples folder {} is missing: CI must provide ../shared",
            dir.join("samples").display()
        );
    } else {
        eprintln!(
            "skipping: {} not found (set ETLVIEW_SHARED or place ../shared beside the repo)",
            dir.join("samples").display()
        );
        None
    }
}

/// Every `*.etl` sample, sorted by name.
pub fn samples(shared: &std::path::Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(shared.join("samples"))
        .expect("read samples dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "etl"))
        .collect();
    v.sort();
    v
}

/// The dissect.etl reference dump of a sample, one JSON object per event.
pub fn reference(shared: &std::path::Path, sample: &std::path::Path) -> Vec<serde_json::Value> {
    use std::io::BufRead;
    let stem = sample.file_stem().unwrap().to_string_lossy();
    let path = shared
        .join("reference/dissect")
        .join(format!("{stem}.jsonl.gz"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    std::io::BufReader::new(flate2::read::GzDecoder::new(file))
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect()
}

/// A TraceLogging event metadata blob: size, no tags, name, then (name, in-type) fields.
pub fn tl_metadata(event: &str, fields: &[(&str, u8)]) -> Vec<u8> {
    let mut blob = vec![0, 0, 0];
    blob.extend(event.as_bytes());
    blob.push(0);
    for (name, in_type) in fields {
        blob.extend(name.as_bytes());
        blob.push(0);
        blob.push(*in_type);
    }
    let size = blob.len() as u16;
    blob[..2].copy_from_slice(&size.to_le_bytes());
    blob
}

/// TraceLogging provider traits: size, then the provider name.
pub fn tl_traits(provider: &str) -> Vec<u8> {
    let mut blob = vec![0, 0];
    blob.extend(provider.as_bytes());
    blob.push(0);
    let size = blob.len() as u16;
    blob[..2].copy_from_slice(&size.to_le_bytes());
    blob
}
