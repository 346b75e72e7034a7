//! WPP messages formatted with TMF files (`--tmf DIR`), on the real cldflt WPP sample.

use std::path::PathBuf;
use std::process::Command;

mod common;

fn etlview(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_etlview"))
        .args(args)
        .output()
        .expect("run etlview")
}

fn tmf_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/tmf")
}

#[test]
fn wpp_messages_are_formatted_with_their_tmf() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let file = shared.join("samples/s4-cldflt0-wpp.etl");
    let tmf = tmf_dir();
    let out = etlview(&[
        "--print",
        "--format",
        "jsonl",
        "--tmf",
        tmf.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|r: &serde_json::Value| r["header"] == "WPP_MESSAGE")
        .collect();
    assert_eq!(rows.len(), 13);
    for row in &rows {
        assert_eq!(row["decoded_by"], "wpp");
        assert_eq!(row["provider_name"], "cldflt");
        assert_eq!(row["event_name"], "HsmHydrate");
        assert!(row.get("decode_error").is_none(), "{row}");
        let message = row["message"].as_str().unwrap();
        assert!(
            message.starts_with("Hydration of FFFFBB88") && message.ends_with("failed: 0xC01C000F"),
            "{message}"
        );
        assert!(row["fields"]["FileObject"].is_string(), "{row}");
        assert!(row["fields"]["Status"].is_string(), "{row}");
    }
    let first = rows
        .iter()
        .find(|r| r["frame"] == 5)
        .expect("frame 5 is a WPP message");
    assert_eq!(
        first["message"],
        "Hydration of FFFFBB88B0AA7010 (stream FFFFBB88AE321010) failed: 0xC01C000F"
    );
}

#[test]
fn without_tmf_files_the_raw_arguments_are_kept_and_a_bad_folder_is_reported() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let file = shared.join("samples/s4-cldflt0-wpp.etl");
    let out = etlview(&[
        "--print",
        "--format",
        "jsonl",
        "--tmf",
        "/nonexistent/tmf",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/tmf"), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let wpp: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("WPP_MESSAGE"))
        .collect();
    assert_eq!(wpp.len(), 13);
    assert!(wpp.iter().all(|l| l.contains("\"Arguments\":\"")));
}
