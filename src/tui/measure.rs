//! Figures on a large generated trace (ignored by default; run with
//! `cargo test --release --lib tui::measure -- --ignored --nocapture`, size with
//! `ETLVIEW_TUI_EVENTS`, default 2 million).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

use super::action::Action;
use super::app::App;
use super::fixtures;
use super::render::render;
use super::update::{on_outcome, update};
use super::worker::{self, Outcome};
use crate::timeline::TimelineOptions;

/// `(RssAnon, RssFile)` of this process in bytes (Linux only; zeros elsewhere).
fn rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0, |kib| kib * 1024)
    };
    (field("RssAnon:"), field("RssFile:"))
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

#[test]
#[ignore = "slow: generates a large trace; run explicitly for figures"]
fn large_trace_figures() {
    let events: u32 = std::env::var("ETLVIEW_TUI_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("large.etl");
    let generated = Instant::now();
    std::fs::write(&path, fixtures::large_trace(events)).expect("write trace");
    let file_size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "generated {events} events, {:.1} MiB, in {:?}",
        mib(file_size),
        generated.elapsed()
    );
    let (anon_before, _) = rss();

    let screen = Rect::new(0, 0, 160, 48);
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("backend");
    let start = Instant::now();
    let mut app = App::loading("large.etl", screen, false);
    let (sender, receiver) = std::sync::mpsc::channel();
    worker::spawn_loader(
        vec![path.clone()],
        TimelineOptions::default(),
        Arc::clone(&app.load),
        sender,
    );
    terminal.draw(|f| render(&app, f)).expect("draw");
    let progress_screen = start.elapsed();
    let outcome = receiver
        .recv_timeout(Duration::from_secs(600))
        .expect("loader answers");
    on_outcome(&mut app, outcome);
    terminal.draw(|f| render(&app, f)).expect("draw");
    let table_screen = start.elapsed();
    let (anon_after, file_after) = rss();
    println!(
        "progress screen after {progress_screen:?}; first table screen after {table_screen:?}"
    );
    let heap = anon_after.saturating_sub(anon_before);
    println!(
        "memory: heap +{:.1} MiB ({:.1} bytes/event), mapped file pages resident {:.1} MiB; budget file + 40 B/event = {:.1} MiB",
        mib(heap),
        heap as f64 / f64::from(events),
        mib(file_after),
        mib(file_size + 40 * u64::from(events))
    );

    let session = app.session.clone().expect("loaded");
    let timed = Instant::now();
    let check = session.check_filter("Level == 2");
    println!(
        "first filter validation (builds the field catalog): {:?} ({check:?})",
        timed.elapsed()
    );
    let timed = Instant::now();
    let _ = session.check_filter("Level == 3");
    println!("next validation: {:?}", timed.elapsed());

    let timed = Instant::now();
    let cancel = AtomicBool::new(false);
    let matched = session
        .filter("Level == 2", &cancel, &|_| {})
        .expect("valid filter")
        .map_or(0, |frames| frames.len());
    println!(
        "header filter Level == 2: {matched} rows in {:?}",
        timed.elapsed()
    );

    let timed = Instant::now();
    for _ in 0..100 {
        update(&mut app, Action::PageDown);
        terminal.draw(|f| render(&app, f)).expect("draw");
    }
    println!("100 page-downs with redraw: {:?}", timed.elapsed());
    let timed = Instant::now();
    update(&mut app, Action::Bottom);
    update(&mut app, Action::PrevFailure);
    terminal.draw(|f| render(&app, f)).expect("draw");
    println!(
        "jump to end + previous failure + redraw: {:?}",
        timed.elapsed()
    );

    // A search that has to look at many rows: text that is not there.
    let timed = Instant::now();
    let job = app.new_job(app.rows.len());
    let search = worker::Job::Search {
        job: job.clone(),
        needle: "no such text".to_string(),
        rows: app.rows.clone(),
        start: 0,
        backwards: false,
        time_format: app.time_format,
        first_filetime: app.first_filetime,
    };
    let (sender, receiver) = std::sync::mpsc::channel();
    worker::spawn(search, Arc::clone(&session), sender);
    std::thread::sleep(Duration::from_millis(500));
    job.cancel.store(true, Ordering::Relaxed);
    let searched = job.progress.load(Ordering::Relaxed);
    match receiver.recv_timeout(Duration::from_secs(60)) {
        Ok(Outcome::Searched { cancelled, .. }) => println!(
            "search examined ~{searched} rows in 0.5 s, cancelled: {cancelled}, answered {:?} after start",
            timed.elapsed()
        ),
        other => panic!("unexpected {other:?}"),
    }
    assert!(app.rows.len() > events as usize);
}
