//! Command-line edges a new user meets (issue 19): `err` arguments, output to stdout, reading
//! a pipe, format and extension messages, `diagnose` on a trace without WinHTTP.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn etlview(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_etlview"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn sample(name: &str) -> String {
    common::workspace_root()
        .join("samples")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn err_takes_negative_numbers_without_double_dash() {
    let out = etlview(&["err", "12002", "-2147012866"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("ERROR_WINHTTP_TIMEOUT"), "{stdout}");
    assert!(
        stdout.contains("ERROR_WINHTTP_CONNECTION_ERROR"),
        "{stdout}"
    );
}

#[test]
fn err_finds_names_by_part_and_suggests_misspellings() {
    let out = etlview(&["err", "WINHTTP_TIMEOUT"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("ERROR_WINHTTP_TIMEOUT"));
    assert!(text(&out.stdout).contains("12002"));
    let out = etlview(&["err", "ERROR_WINHTTP_TIMEUOT"]);
    assert_eq!(out.status.code(), Some(1));
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(all.contains("did you mean ERROR_WINHTTP_TIMEOUT"), "{all}");
}

#[test]
fn err_knows_logon_failure_and_the_schannel_family() {
    for (arg, symbol) in [
        ("0xC000006D", "STATUS_LOGON_FAILURE"),
        ("0x80090324", "SEC_E_TIME_SKEW"),
        ("0x80090320", "SEC_E_INCOMPLETE_CREDENTIALS"),
        ("SEC_I_INCOMPLETE_CREDENTIALS", "0x00090320"),
    ] {
        let out = etlview(&["err", arg]);
        assert_eq!(out.status.code(), Some(0), "{arg}");
        assert!(
            text(&out.stdout).contains(symbol),
            "{arg}: {}",
            text(&out.stdout)
        );
    }
}

#[test]
fn err_help_lists_no_decode_options() {
    let help = text(&etlview(&["err", "--help"]).stdout);
    assert!(
        !help.contains("--parsers") && !help.contains("--tmf"),
        "{help}"
    );
    let help = text(&etlview(&["export", "--help"]).stdout);
    assert!(
        help.contains("--parsers") && help.contains("--tmf"),
        "{help}"
    );
}

#[test]
fn print_with_a_binary_format_points_to_export() {
    let out = etlview(&["--print", "--format", "etl", &sample("arr-healthy.etl")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("`--format etl` writes a binary file: use `export -o FILE.etl`"),
        "{stderr}"
    );
}

#[test]
fn extension_list_names_pcapng_and_pcap_is_understood() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out.bin");
    let out = etlview(&[
        "export",
        &sample("arr-healthy.etl"),
        "-o",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(".pcapng"),
        "{}",
        text(&out.stderr)
    );
    let pcap = dir.path().join("out.pcap");
    let out = etlview(&[
        "export",
        &sample("arr-502-timeout.etl"),
        "-o",
        pcap.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let bytes = std::fs::read(&pcap).unwrap();
    assert_eq!(bytes.get(..4), Some(&[0x0A, 0x0D, 0x0D, 0x0A][..]));
}

#[test]
fn export_to_stdout_needs_a_format() {
    let out = etlview(&[
        "export",
        &sample("arr-healthy.etl"),
        "-o",
        "-",
        "--format",
        "jsonl",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 225);
    assert!(stdout.lines().all(|l| l.starts_with('{')));
    let out = etlview(&["export", &sample("arr-healthy.etl"), "-o", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--format"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn export_to_a_directory_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = etlview(&[
        "export",
        &sample("arr-healthy.etl"),
        "-o",
        dir.path().to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("is a directory"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn dash_reads_the_trace_from_a_pipe() {
    let bytes = std::fs::read(sample("arr-healthy.etl")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_etlview"))
        .args(["-", "--print", "--format", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 225);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("{} bytes", bytes.len())),
        "{stderr}"
    );
}

#[test]
fn diagnose_without_winhttp_events_says_so() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let trace = shared.join("samples/tx-process.etl");
    let out = etlview(&["diagnose", trace.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(
        all.contains("no WinHTTP or WebIO events in this trace"),
        "{all}"
    );
}
