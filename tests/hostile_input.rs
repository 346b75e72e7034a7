//! Hostile and damaged input through the command line: non-regular inputs, standard input,
//! exit codes decided on the error kind, damage carried into exports, no-clobber output with
//! the usual modes, signals during an export, and duplicate field names. Every reproducer is
//! built here with the etl writer.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use etlview::etl::event::ext_type;
use etlview::etl::writer::{EtlWriter, EventRecord, WriterOptions};
use etlview::etl::{IssueKind, Trace};

const PROVIDER: uuid::Uuid = uuid::uuid!("3f5b2c1a-0000-4000-8000-00000000cafe");

fn etlview() -> Command {
    Command::new(env!("CARGO_BIN_EXE_etlview"))
}

/// Runs `command` to its end. A run that has not ended after a minute is a hang: it is killed
/// and the test fails (a guard against blocking forever, not a timing check).
fn finish(command: &mut Command) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("{command:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A trace of `events` string events over `processors` processors (4 KiB buffers).
fn trace(events: usize, processors: u16) -> Vec<u8> {
    let mut w = EtlWriter::new(WriterOptions {
        buffer_size: 4096,
        processors,
        ..WriterOptions::default()
    });
    for i in 0..events {
        let text: Vec<u8> = format!("event {i}\0")
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        w.push_event(
            (i % usize::from(processors)) as u16,
            &EventRecord {
                provider: PROVIDER,
                id: 1,
                level: 4,
                process_id: 1432,
                thread_id: 7,
                timestamp: 1_000_000 + i as i64,
                payload: &text,
                ..EventRecord::default()
            },
        )
        .unwrap();
    }
    w.finish()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

#[cfg(unix)]
#[test]
fn non_regular_inputs_say_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.etl");
    mkfifo(&fifo);
    let cases: Vec<(PathBuf, &str)> = vec![
        (fifo, "is a FIFO (named pipe)"),
        (PathBuf::from("/dev/zero"), "is a character device"),
        (dir.path().to_path_buf(), "holds no .etl file"),
        (PathBuf::from("/proc/self/maps"), "reports a size of 0"),
    ];
    for (path, says) in cases {
        if !path.exists() {
            continue;
        }
        let out = finish(etlview().arg("info").arg(&path));
        assert_eq!(out.status.code(), Some(2), "{path:?}");
        assert!(stderr(&out).contains(says), "{path:?}: {}", stderr(&out));
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_among_the_parsers_is_skipped_not_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "t.etl", &trace(10, 1));
    let parsers = dir.path().join("parsers");
    std::fs::create_dir(&parsers).unwrap();
    mkfifo(&parsers.join("blocking.man"));
    let out = finish(
        etlview()
            .arg("info")
            .arg(&path)
            .arg("--parsers")
            .arg(&parsers),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_dash_reads_the_trace_from_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "t.etl", &trace(10, 1));
    let out = etlview()
        .args(["info", "--json", "-"])
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["events"], 11);
}

#[test]
fn exit_codes_follow_the_error_kind_not_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("Broken pipe.etl");
    let out = finish(etlview().arg("info").arg(&missing));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("Broken pipe.etl"));
    let path = write(dir.path(), "t.etl", &trace(10, 1));
    let out = finish(
        etlview()
            .arg(&path)
            .args(["--print", "--filter", "Broken pipe =="]),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn a_closed_stdout_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "t.etl", &trace(10, 1));
    let out = finish(
        Command::new("sh")
            .arg("-c")
            .arg("exec \"$0\" info \"$1\" >&-")
            .arg(env!("CARGO_BIN_EXE_etlview"))
            .arg(&path),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("standard output"), "{}", stderr(&out));
    // `>/dev/null` is not closed.
    let out = finish(
        Command::new("sh")
            .arg("-c")
            .arg("exec \"$0\" info \"$1\" >/dev/null")
            .arg(env!("CARGO_BIN_EXE_etlview"))
            .arg(&path),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_reader_that_goes_away_ends_the_print_quietly() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "t.etl", &trace(20_000, 1));
    let mut child = etlview()
        .arg(&path)
        .arg("--print")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe's read end is closed here.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

/// A trace whose first data buffer's end-of-data field was lowered to its third record;
/// returns the bytes and the file offset of that record.
fn damaged_trace(processors: u16) -> (Vec<u8>, usize) {
    let mut bytes = trace(300, processors);
    let at = 4096; // the first data buffer (4 KiB buffers, the header buffer first)
    let filled = u32::from_le_bytes(bytes[at + 0x30..at + 0x34].try_into().unwrap()) as usize;
    let mut records = Vec::new();
    etlview::etl::walk::walk_records(&bytes[at + 0x48..at + filled], |s| {
        records.push(s.offset as usize)
    });
    let lowered = 0x48 + records[2];
    bytes[at + 0x30..at + 0x34].copy_from_slice(&(lowered as u32).to_le_bytes());
    (bytes, at + lowered)
}

#[test]
fn exports_carry_the_damage_of_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, offset) = damaged_trace(1);
    let issues = Trace::from_bytes(bytes.clone()).unwrap().issues().to_vec();
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert_eq!(issues[0].kind, IssueKind::RecordsPastEndOfData);
    assert_eq!(issues[0].file_offset, offset);
    let path = write(dir.path(), "damaged.etl", &bytes);
    for name in ["out.jsonl", "out.csv", "out.etl"] {
        let out = finish(
            etlview()
                .arg("export")
                .arg(&path)
                .arg("-o")
                .arg(dir.path().join(name)),
        );
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        let text = stderr(&out);
        assert!(
            text.contains(&format!(
                "records_past_end_of_data at file offset {offset:#x}"
            )),
            "{name}: {text}"
        );
    }
    // The .etl copy counts the skipped region in its header's BuffersLost.
    let copy = Trace::open(dir.path().join("out.etl")).unwrap();
    assert_eq!(copy.logfile().unwrap().buffers_lost, 1);
}

#[test]
fn a_filtered_etl_of_a_headerless_trace_invents_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = trace(400, 4);
    bytes[0x48..0x50].copy_from_slice(&[0x5A; 8]); // the header record destroyed
    let input = Trace::from_bytes(bytes.clone()).unwrap();
    assert!(
        input
            .issues()
            .iter()
            .any(|i| i.kind == IssueKind::MissingHeaderRecord)
    );
    let cpus = |t: &Trace| {
        let mut seen: Vec<u16> = t.events().map(|e| e.cpu).collect();
        seen.sort_unstable();
        seen.dedup();
        seen
    };
    let path = write(dir.path(), "headless.etl", &bytes);
    let output = dir.path().join("out.etl");
    let out = finish(etlview().arg("export").arg(&path).arg("-o").arg(&output));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let copy = Trace::open(&output).unwrap();
    let l = copy.logfile().unwrap();
    assert_eq!(l.logger_name, "");
    assert_eq!(l.start_time, 0);
    assert_eq!(l.number_of_processors, 4);
    assert_eq!(cpus(&copy), cpus(&input));
    assert_eq!(cpus(&input), vec![0, 1, 2, 3]);
}

#[test]
fn export_never_replaces_a_file_created_meanwhile() {
    use etlview::export::output::{OutputError, PendingOutput};
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.etl", b"x");
    let target = dir.path().join("out.csv");
    let mut pending = PendingOutput::create(&target, std::slice::from_ref(&input), false).unwrap();
    pending.writer().write_all(b"new").unwrap();
    // Someone creates the file while the export runs.
    std::fs::write(&target, b"theirs").unwrap();
    assert!(matches!(pending.commit(), Err(OutputError::Exists(_))));
    assert_eq!(std::fs::read(&target).unwrap(), b"theirs");
    let leftovers = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".partial")
        })
        .count();
    assert_eq!(leftovers, 0);
}

#[cfg(unix)]
#[test]
fn exported_files_get_the_usual_mode_and_keep_a_replaced_one() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "t.etl", &trace(10, 1));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let usual = mode(&path); // made by std::fs::write: 0666 minus the umask
    let output = dir.path().join("out.jsonl");
    let export = |force: bool| {
        let mut c = etlview();
        c.arg("export").arg(&path).arg("-o").arg(&output);
        if force {
            c.arg("--force");
        }
        finish(&mut c)
    };
    assert_eq!(export(false).status.code(), Some(0));
    assert_eq!(mode(&output), usual);
    std::fs::set_permissions(&output, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(export(false).status.code(), Some(2), "no --force");
    assert_eq!(export(true).status.code(), Some(0));
    assert_eq!(mode(&output), 0o640);
}

#[cfg(unix)]
#[test]
fn a_signal_during_export_leaves_no_partial_file() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "big.etl", &trace(400_000, 2));
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let partials = || {
        std::fs::read_dir(&out_dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
            .count()
    };
    let mut signalled = 0;
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let mut child = etlview()
            .arg("export")
            .arg(&path)
            .arg("-o")
            .arg(out_dir.join("out.jsonl"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the export writes its temporary file (or ends first).
        let ended = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if partials() > 0 {
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        if ended.is_some() {
            // Finished before the signal could be sent: nothing to check this round.
            std::fs::remove_file(out_dir.join("out.jsonl")).unwrap();
            continue;
        }
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, signal) };
        let status = child.wait().unwrap();
        if status.success() {
            std::fs::remove_file(out_dir.join("out.jsonl")).unwrap();
            continue;
        }
        assert_eq!(status.signal(), Some(signal));
        assert_eq!(partials(), 0, "a .partial file was left behind");
        assert!(!out_dir.join("out.jsonl").exists());
        signalled += 1;
    }
    assert!(
        signalled > 0,
        "every export ended before it could be signalled"
    );
}

#[test]
fn repeated_tracelogging_field_names_keep_every_value() {
    let mut w = EtlWriter::new(WriterOptions {
        buffer_size: 4096,
        processors: 1,
        ..WriterOptions::default()
    });
    let traits = common::tl_traits("Dup-Provider");
    let meta = common::tl_metadata("Twice", &[("value", 2), ("value", 2), ("value#2", 2)]);
    w.push_event(
        0,
        &EventRecord {
            provider: PROVIDER,
            id: 1,
            level: 4,
            process_id: 1,
            thread_id: 2,
            timestamp: 1_000_100,
            extended: vec![
                (ext_type::PROV_TRAITS, &traits[..]),
                (ext_type::EVENT_SCHEMA_TL, &meta[..]),
            ],
            payload: b"first\0second\0third\0",
            ..EventRecord::default()
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "dup.etl", &w.finish());
    let out = finish(etlview().arg(&path).args(["--print", "--format", "jsonl"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let line = String::from_utf8(out.stdout).unwrap();
    let event: serde_json::Value = serde_json::from_str(line.lines().nth(1).unwrap()).unwrap();
    assert_eq!(
        event["fields"],
        serde_json::json!({"value": "first", "value#3": "second", "value#2": "third"})
    );
    let out = finish(etlview().arg(&path).args(["--print", "--format", "csv"]));
    let csv = String::from_utf8(out.stdout).unwrap();
    for value in ["first", "second", "third"] {
        assert!(csv.contains(value), "{value} missing from CSV:\n{csv}");
    }
}

/// The input shrinks while `export` reads it: no death by SIGBUS, exit 2 with "the file was
/// truncated while being read", and no output file.
#[cfg(unix)]
#[test]
fn an_input_truncated_during_export_fails_cleanly() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let bytes = trace(400_000, 2);
    let path = dir.path().join("shrinking.etl");
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let output = out_dir.join("out.jsonl");
    let mut checked = 0;
    for _ in 0..3 {
        std::fs::write(&path, &bytes).unwrap();
        let _ = std::fs::remove_file(&output);
        let child = etlview()
            .arg("export")
            .arg(&path)
            .arg("-o")
            .arg(&output)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut child = child;
        let writing = loop {
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            let partial = std::fs::read_dir(&out_dir)
                .unwrap()
                .filter_map(|e| e.ok())
                .any(|e| e.file_name().to_string_lossy().ends_with(".partial"));
            if partial {
                break true;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        if writing {
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .unwrap()
                .set_len(8192)
                .unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.signal(), None, "killed by a signal");
        if !writing || out.status.success() {
            continue; // ended before the cut: nothing to check this round
        }
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains("the file was truncated while being read"),
            "{}",
            stderr(&out)
        );
        assert!(!output.exists());
        checked += 1;
    }
    assert!(
        checked > 0,
        "every export ended before the file could be cut"
    );
}
