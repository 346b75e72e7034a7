//! Embeds the builtin definition files of `parsers/` into the binary.
//!
//! Writes `$OUT_DIR/builtin_parsers.rs` with `BUILTIN_PARSERS`, an array of
//! `(path relative to parsers/, include_str!(absolute path))` for every `*.man`/`*.xml` file
//! under `parsers/manifests/` and `parsers/classic/`, and the two name tables
//! `PROVIDERS_TSV` / `PROTOCOL_NAMES_TSV` (empty strings when the files are missing).
//! Used by `src/decode/manifest.rs`.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=../../parsers");
    let crate_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    // The decoders are data at the top of the workspace (`parsers/`), shared with users.
    let parsers = crate_dir.join("../../parsers");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));

    let mut files = Vec::new();
    for folder in ["manifests", "classic"] {
        collect(&parsers.join(folder), folder, &mut files);
    }
    files.sort();

    let mut code = String::from(
        "/// Builtin definition files: (path relative to `parsers/`, contents).\n\
         pub static BUILTIN_PARSERS: &[(&str, &str)] = &[\n",
    );
    for (relative, absolute) in &files {
        writeln!(
            code,
            "    ({relative:?}, include_str!({:?})),",
            absolute.display().to_string()
        )
        .expect("writing to a String cannot fail");
    }
    code.push_str("];\n");
    for (constant, file) in [
        ("PROVIDERS_TSV", "providers.tsv"),
        ("PROTOCOL_NAMES_TSV", "protocol-names.tsv"),
    ] {
        let path = parsers.join(file);
        let value = if path.is_file() {
            format!("include_str!({:?})", path.display().to_string())
        } else {
            "\"\"".to_string()
        };
        writeln!(
            code,
            "/// `parsers/{file}`.\npub static {constant}: &str = {value};"
        )
        .expect("writing to a String cannot fail");
    }
    fs::write(out_dir.join("builtin_parsers.rs"), code).expect("OUT_DIR is writable");
}

/// Adds the definition files below `dir` (recursively) as (relative path with `/`, path).
fn collect(dir: &Path, relative: &str, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let child = format!("{relative}/{name}");
        if path.is_dir() {
            collect(&path, &child, files);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("man") || e.eq_ignore_ascii_case("xml"))
        {
            files.push((child, path));
        }
    }
}
