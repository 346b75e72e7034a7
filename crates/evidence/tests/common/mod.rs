//! Where the shared real files are: `../shared` beside the workspace (or `$ETLVIEW_SHARED`).
//! Missing: the test is skipped, except under CI=true where that is an error. Also the
//! builders several tests share.
#![allow(dead_code)]

use std::path::PathBuf;

pub fn shared_iis() -> Option<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = manifest
        .ancestors()
        .find(|d| d.join("Cargo.lock").is_file())
        .unwrap_or(&manifest)
        .to_path_buf();
    let dir = std::env::var_os("ETLVIEW_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared"));
    let iis = dir.join("samples/iis");
    if iis.is_dir() {
        Some(iis)
    } else if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "CI=true but {} is missing: CI must provide ../shared",
            iis.display()
        );
    } else {
        eprintln!("skipping: {} not found", iis.display());
        None
    }
}

/// A cabinet (MSZIP) holding `files`, as `netsh trace stop` writes net.cab.
pub fn build_cab(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = cab::CabinetBuilder::new();
    let folder = builder.add_folder(cab::CompressionType::MsZip);
    for (name, _) in files {
        folder.add_file(*name);
    }
    let mut writer = builder.build(std::io::Cursor::new(Vec::new())).unwrap();
    let mut i = 0;
    while let Some(mut w) = writer.next_file().unwrap() {
        std::io::Write::write_all(&mut w, files[i].1).unwrap();
        i += 1;
    }
    writer.finish().unwrap().into_inner()
}
