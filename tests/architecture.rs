//! Dependencies point down only. The rule, once:
//!
//! ```text
//!   cli, tui          the front ends
//!   export            output files
//!   analysis, filter  what the events mean; which events
//!   fields            what an event has (the registry, rows, details)
//!   packet            captured frames
//!   timeline          sources on one time axis
//!   ── crates ──
//!   decode (crates/decode)  schemas, payloads, error codes, trace text
//!   etl (crates/etl)        the container; depends on no workspace crate
//! ```
//!
//! A module may use modules of its own rank or below. The test reads every `crate::NAME`
//! path in each module's files (comments skipped) and fails on an edge that points up; and
//! it reads the crates' manifests so that `etl` depends on no workspace crate, and `decode`
//! and `evidence` (logs, FREB, config, net.cab) only on `etl`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Rank of each top-level module of the application crate: higher may use lower.
const RANKS: &[(&str, u8)] = &[
    ("cli", 6),
    ("tui", 6),
    ("export", 5),
    ("analysis", 4),
    ("filter", 4),
    ("fields", 3),
    ("packet", 2),
    ("timeline", 1),
];

/// Workspace crates each library crate may depend on.
const CRATE_RULES: &[(&str, &[&str])] = &[
    ("crates/etl", &[]),
    ("crates/decode", &["etl"]),
    ("crates/evidence", &["etl"]),
];

fn rank(module: &str) -> Option<u8> {
    RANKS.iter().find(|(m, _)| *m == module).map(|&(_, r)| r)
}

/// Edges that point up: (from, to, where).
fn upward(uses: &BTreeMap<String, Vec<(String, String)>>) -> Vec<String> {
    let mut bad = Vec::new();
    for (from, targets) in uses {
        let Some(from_rank) = rank(from) else {
            bad.push(format!(
                "module `{from}` has no rank in tests/architecture.rs"
            ));
            continue;
        };
        for (to, place) in targets {
            match rank(to) {
                Some(to_rank) if to_rank > from_rank => {
                    bad.push(format!("{from} -> {to} points up ({place})"))
                }
                _ => {}
            }
        }
    }
    bad
}

/// `crate::NAME` paths in Rust source, comments left out, with their line numbers.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `$crate::` and `some_crate::` are other crates' paths.
            let before = rest[..at].chars().last();
            if !name.is_empty()
                && !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
            {
                out.push((n + 1, name));
            }
            rest = after;
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The application crate's module graph: module -> (used module, file:line).
fn module_uses(src: &Path) -> BTreeMap<String, Vec<(String, String)>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut uses: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(src).unwrap();
        let first = relative.components().next().unwrap();
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let entry = uses.entry(module.clone()).or_default();
        for (line, target) in crate_paths(&text) {
            if target != module {
                entry.push((target, format!("{}:{line}", file.display())));
            }
        }
    }
    uses
}

#[test]
fn dependencies_point_down() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let uses = module_uses(&root.join("src"));
    assert!(uses.contains_key("timeline") && uses.contains_key("cli"));
    let bad = upward(&uses);
    assert!(bad.is_empty(), "upward dependencies:\n{}", bad.join("\n"));
}

#[test]
fn library_crates_depend_only_on_crates_below() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = ["etl", "decode", "etlview", "samplegen", "evidence"];
    for (krate, allowed) in CRATE_RULES {
        let manifest = std::fs::read_to_string(root.join(krate).join("Cargo.toml")).unwrap();
        let mut section = "";
        for line in manifest.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                section = line;
                continue;
            }
            if section != "[dependencies]" {
                continue;
            }
            let name = line.split(['.', '=', ' ']).next().unwrap_or("");
            let path_dep = line.contains("path =");
            if (workspace.contains(&name) || path_dep) && !allowed.contains(&name) {
                panic!("{krate} depends on {name}, which sits above it or beside it");
            }
        }
    }
}

#[test]
fn an_upward_edge_is_caught() {
    // A fake module map: the timeline using the filter (an edge that points up) and the
    // filter using the timeline (down, fine).
    let mut uses = BTreeMap::new();
    uses.insert(
        "timeline".to_string(),
        vec![("filter".to_string(), "timeline/mod.rs:3".to_string())],
    );
    uses.insert(
        "filter".to_string(),
        vec![("timeline".to_string(), "filter/run.rs:9".to_string())],
    );
    assert_eq!(
        upward(&uses),
        ["timeline -> filter points up (timeline/mod.rs:3)"]
    );
    // A new module must be given a rank.
    uses.insert("newthing".to_string(), Vec::new());
    assert!(upward(&uses).iter().any(|b| b.contains("newthing")));
}

#[test]
fn paths_are_read_from_code_not_comments() {
    let text = "use crate::timeline::Timeline;\n// see crate::cli\nlet x = $crate::y; let y = my_crate::z;\n    crate::fields::registry::lookup(p)";
    let found: Vec<(usize, String)> = crate_paths(text);
    assert_eq!(
        found,
        [(1, "timeline".to_string()), (4, "fields".to_string())]
    );
}
