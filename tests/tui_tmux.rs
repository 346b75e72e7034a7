//! End to end: the viewer in a detached tmux session at 120×40, driven with `send-keys` and
//! read with `capture-pane`. Checks the first screen, a failure jump, a filter changing the
//! count in the status bar, and a clean quit (pane gone, exit status 0).
//!
//! Skipped with a message when tmux is missing, unless `CI=true` (then it fails).

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use etlview::etl::writer::{EtlWriter, EventRecord, WriterOptions};
use uuid::Uuid;

const WINHTTP: Uuid = Uuid::from_u128(0x7d44233d_3055_4b9c_ba64_0d47ca40a232);
/// How long to wait for the screen to show something.
const PATIENCE: Duration = Duration::from_secs(20);

/// The header record plus 40 WinHTTP events 1 µs apart; level 2 at frames 10 and 25,
/// level 1 at 33 (0-based, the header record being frame 0).
fn trace_bytes() -> Vec<u8> {
    let mut writer = EtlWriter::new(WriterOptions {
        buffer_size: 4096,
        ..WriterOptions::default()
    });
    let start = WriterOptions::default().start_qpc;
    for frame in 1..=40u32 {
        let level = match frame {
            10 | 25 => 2,
            33 => 1,
            _ => 4,
        };
        let text = format!("request #{frame}");
        let payload: Vec<u8> = text
            .encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect();
        writer
            .push_event(
                (frame % 2) as u16,
                &EventRecord {
                    provider: WINHTTP,
                    id: 1,
                    level,
                    process_id: 1432,
                    thread_id: 7,
                    timestamp: start + i64::from(frame) * 10,
                    payload: &payload,
                    ..EventRecord::default()
                },
            )
            .expect("small records fit");
    }
    writer.finish()
}

/// A private tmux server (its own socket), killed when the test ends however it ends.
struct Tmux {
    socket: String,
    /// Learnt once the server runs, to delete the socket file at the end.
    socket_path: Option<String>,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "viewer"]).stdout)
            .into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "viewer"];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success(), "send-keys {keys:?}");
    }

    fn type_text(&self, text: &str) {
        assert!(
            self.run(&["send-keys", "-t", "viewer", "-l", text])
                .status
                .success()
        );
    }

    fn session_alive(&self) -> bool {
        self.run(&["has-session", "-t", "viewer"]).status.success()
    }

    /// Waits until the screen satisfies `check`; panics with the last screen otherwise.
    fn wait_for(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen was:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
        // The server leaves its socket file behind once its last session ends.
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The status bar is the second line from the bottom.
fn status_line(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    lines
        .len()
        .checked_sub(2)
        .and_then(|i| lines.get(i))
        .map(|l| l.to_string())
        .unwrap_or_default()
}

#[test]
fn viewer_filters_jumps_and_quits_under_tmux() {
    if !tmux_available() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but tmux is not installed: the TUI end-to-end test needs it");
        }
        eprintln!("skipping: tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let trace = dir.path().join("winhttp.etl");
    std::fs::write(&trace, trace_bytes()).expect("write trace");
    let exit_file = dir.path().join("exit-status");
    let mut tmux = Tmux {
        socket: format!("etlview-tui-test-{}", std::process::id()),
        socket_path: None,
    };
    let command = viewer_command(&trace, &exit_file);
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "viewer",
        "-x",
        "120",
        "-y",
        "40",
        &command,
    ]);
    assert!(
        started.status.success(),
        "tmux new-session failed: {}",
        String::from_utf8_lossy(&started.stderr)
    );
    let socket_path = tmux.run(&["display-message", "-p", "#{socket_path}"]);
    let socket_path = String::from_utf8_lossy(&socket_path.stdout)
        .trim()
        .to_string();
    tmux.socket_path = socket_path.ends_with(&tmux.socket).then_some(socket_path);

    // First screen: the table header, all events counted, the hint line.
    let first = tmux.wait_for("the first screen", |s| s.contains("41 of 41 events"));
    assert!(first.contains("Frame"), "{first}");
    assert!(first.contains("Description"), "{first}");
    assert!(first.contains("? help"), "{first}");

    // n jumps to the first failure: frame 11 (1-based).
    tmux.keys(&["n"]);
    tmux.wait_for("the jump to frame 11", |s| status_line(s).contains("#11 "));

    // A filter typed into the bar changes the count in the status bar.
    tmux.keys(&["f"]);
    tmux.wait_for("the filter bar", |s| s.contains("Filter ✓"));
    tmux.type_text("Level == 2");
    tmux.keys(&["Enter"]);
    let filtered = tmux.wait_for("the filtered count", |s| {
        status_line(s).contains("2 of 41 events")
    });
    assert!(
        status_line(&filtered).contains("filter: Level == 2"),
        "{filtered}"
    );

    // n again: the next failure the filter keeps is frame 26.
    tmux.keys(&["n"]);
    tmux.wait_for("the jump to frame 26", |s| status_line(s).contains("#26 "));

    // q quits: the pane closes and the exit status is 0.
    tmux.keys(&["q"]);
    let deadline = Instant::now() + PATIENCE;
    while tmux.session_alive() {
        assert!(
            Instant::now() < deadline,
            "the viewer did not quit:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = std::fs::read_to_string(&exit_file).expect("exit status written");
    assert_eq!(status.trim(), "0");
}

/// `sh -c` line that runs the viewer and records its exit status.
fn viewer_command(trace: &Path, exit_file: &Path) -> String {
    let quote = |p: &str| format!("'{}'", p.replace('\'', "'\\''"));
    format!(
        "{} {}; echo $? > {}",
        quote(env!("CARGO_BIN_EXE_etlview")),
        quote(&trace.display().to_string()),
        quote(&exit_file.display().to_string())
    )
}
