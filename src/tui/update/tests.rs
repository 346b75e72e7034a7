//! State-machine tests: actions driven against the app over an in-memory trace, background
//! jobs executed synchronously in between.

use std::sync::atomic::Ordering;

use ratatui::layout::Rect;

use super::*;
use crate::timeline::Timeline;
use crate::tui::app::Pane;
use crate::tui::columns::TimeFormat;
use crate::tui::fixtures::{self, FAILURE_FRAMES};
use crate::tui::worker;

/// A viewer over the small trace, with the filter catalog prepared.
fn app() -> App {
    let mut app = App::with_session(
        "t.etl",
        fixtures::session(fixtures::small_trace()),
        Rect::new(0, 0, 80, 24),
        true,
    );
    run_jobs(&mut app);
    app
}

/// Runs queued jobs (in order, as the run loop would) and applies their outcomes.
fn run_jobs(app: &mut App) {
    while !app.outbox.is_empty() {
        let jobs: Vec<Job> = app.outbox.drain(..).collect();
        let session = app.session.clone().expect("session");
        for job in jobs {
            on_outcome(app, worker::execute(job, &session));
        }
    }
}

fn press(app: &mut App, actions: &[Action]) {
    for &action in actions {
        update(app, action);
    }
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        update(app, Action::Insert(c));
    }
}

fn apply_filter_via_bar(app: &mut App, expr: &str) {
    press(app, &[Action::OpenFilter, Action::ClearInput]);
    assert_eq!(app.filter.input.text(), "");
    type_text(app, expr);
    update(app, Action::Submit);
    run_jobs(app);
}

#[test]
fn navigation_stays_in_bounds_and_scrolls() {
    let mut app = app();
    let last = app.rows.len() - 1;
    press(&mut app, &[Action::Up, Action::PageUp, Action::Top]);
    assert_eq!((app.selected, app.offset), (0, 0));
    press(&mut app, &[Action::Down, Action::Down]);
    assert_eq!(app.selected, 2);
    let page = app.page_rows();
    assert_eq!(page, 11);
    update(&mut app, Action::PageDown);
    assert_eq!(app.selected, 2 + page);
    assert_eq!(app.offset, app.selected + 1 - page);
    press(&mut app, &[Action::Bottom, Action::Down, Action::PageDown]);
    assert_eq!(app.selected, last);
    assert_eq!(app.offset, app.rows.len() - page);
    assert_eq!(app.detail.frame, Some(last));
    update(&mut app, Action::Top);
    assert_eq!((app.selected, app.offset), (0, 0));
}

#[test]
fn failure_jumps_walk_the_marks_and_stop_at_the_ends() {
    let mut app = app();
    let mut visited = Vec::new();
    for _ in 0..FAILURE_FRAMES.len() {
        update(&mut app, Action::NextFailure);
        visited.push(app.selected_frame().unwrap() as u32);
    }
    assert_eq!(visited, FAILURE_FRAMES);
    update(&mut app, Action::NextFailure);
    assert_eq!(app.selected_frame(), Some(33));
    assert_eq!(
        app.message,
        Some(Message::Info("no failure after this row".to_string()))
    );
    press(&mut app, &[Action::PrevFailure, Action::PrevFailure]);
    assert_eq!(app.selected_frame(), Some(10));
    update(&mut app, Action::PrevFailure);
    assert_eq!(app.selected_frame(), Some(10));
    assert!(app.message.is_some());
}

#[test]
fn failure_jumps_skip_rows_the_filter_hides() {
    let mut app = app();
    app.rows = Rows::Filtered(Arc::new(vec![1, 10, 20, 33]));
    app.select_row(0);
    press(&mut app, &[Action::NextFailure, Action::NextFailure]);
    assert_eq!(app.selected_frame(), Some(33));
    assert_eq!(app.selected, 3);
}

#[test]
fn filter_bar_validates_as_you_type_and_applies_on_enter() {
    let mut app = app();
    update(&mut app, Action::OpenFilter);
    assert_eq!(key_mode(&app), KeyMode::Input);
    type_text(&mut app, "Level ==");
    let problem = app
        .filter
        .error
        .clone()
        .expect("incomplete filter is invalid");
    assert_eq!(problem.span.start, 6, "{problem:?}");
    // Enter on an invalid filter keeps the bar open.
    update(&mut app, Action::Submit);
    assert_eq!(app.bar, Bar::Filter);
    assert!(app.outbox.is_empty());
    type_text(&mut app, " 2");
    assert_eq!(app.filter.error, None);
    update(&mut app, Action::Submit);
    assert_eq!(app.bar, Bar::None);
    assert!(app.filter.running.is_some());
    run_jobs(&mut app);
    assert!(app.filter.running.is_none());
    assert_eq!(app.filter.applied, "Level == 2");
    let frames: Vec<usize> = (0..app.rows.len())
        .filter_map(|r| app.rows.frame(r))
        .collect();
    assert_eq!(frames, [10, 25]);
    assert_eq!(
        app.message,
        Some(Message::Info("2 of 41 events match".to_string()))
    );
    // Clearing the filter shows everything again at once, keeping the selected frame.
    update(&mut app, Action::Down);
    apply_filter_via_bar(&mut app, "");
    assert!(matches!(app.rows, Rows::All(41)));
    assert_eq!(app.selected_frame(), Some(25));
    assert!(app.filter.applied.is_empty());
}

#[test]
fn typing_is_validated_once_the_filter_catalog_is_ready() {
    let mut app = App::with_session(
        "t.etl",
        fixtures::session(fixtures::small_trace()),
        Rect::new(0, 0, 80, 24),
        true,
    );
    assert!(!app.filter.ready);
    update(&mut app, Action::OpenFilter);
    type_text(&mut app, "Level ==");
    assert_eq!(
        app.filter.error, None,
        "not validated before the catalog is ready"
    );
    // The preparation job finishes: the open bar is validated at once.
    run_jobs(&mut app);
    assert!(app.filter.ready);
    assert!(app.filter.error.is_some());
}

#[test]
fn a_filter_sent_before_validation_is_ready_reports_its_error() {
    let mut app = App::with_session(
        "t.etl",
        fixtures::session(fixtures::small_trace()),
        Rect::new(0, 0, 80, 24),
        true,
    );
    app.outbox.clear();
    update(&mut app, Action::OpenFilter);
    type_text(&mut app, "Level ==");
    update(&mut app, Action::Submit);
    assert_eq!(app.bar, Bar::None);
    run_jobs(&mut app);
    assert!(
        matches!(app.message, Some(Message::Error(_))),
        "{:?}",
        app.message
    );
    assert!(matches!(app.rows, Rows::All(41)));
}

#[test]
fn filter_history_walks_with_up_and_down() {
    let mut app = app();
    apply_filter_via_bar(&mut app, "Level == 2");
    apply_filter_via_bar(&mut app, "ProcessId == 900");
    assert_eq!(app.rows.len(), 10);
    update(&mut app, Action::OpenFilter);
    assert_eq!(app.filter.input.text(), "ProcessId == 900");
    update(&mut app, Action::HistoryOlder);
    assert_eq!(app.filter.input.text(), "Level == 2");
    update(&mut app, Action::HistoryOlder);
    assert_eq!(app.filter.input.text(), "Level == 2");
    update(&mut app, Action::HistoryNewer);
    assert_eq!(app.filter.input.text(), "ProcessId == 900");
    update(&mut app, Action::Cancel);
    assert_eq!(app.bar, Bar::None);
    assert_eq!(app.filter.applied, "ProcessId == 900");
}

#[test]
fn esc_cancels_a_running_filter_and_its_late_result_is_dropped() {
    let mut app = app();
    press(&mut app, &[Action::OpenFilter]);
    type_text(&mut app, "Level == 2");
    update(&mut app, Action::Submit);
    let Some((job, _)) = app.filter.running.clone() else {
        panic!("filter should be running");
    };
    update(&mut app, Action::Cancel);
    assert!(job.cancel.load(Ordering::Relaxed));
    assert!(app.filter.running.is_none());
    assert_eq!(app.message, Some(Message::Info("cancelled".to_string())));
    // The worker answers anyway (it may have finished first); the answer is stale.
    run_jobs(&mut app);
    assert!(matches!(app.rows, Rows::All(41)));
    assert!(app.filter.applied.is_empty());
}

#[test]
fn processes_view_filters_by_the_selected_process() {
    let mut app = app();
    update(&mut app, Action::ShowProcesses);
    assert_eq!(key_mode(&app), KeyMode::Overlay);
    run_jobs(&mut app);
    let processes = app.views.processes.clone().expect("summaries computed");
    let second = processes.get(1).expect("two processes at least");
    assert_eq!(processes[0].process_id, 1432);
    assert_eq!(second.process_id, 900);
    press(&mut app, &[Action::Down, Action::Activate]);
    assert_eq!(app.overlay, Overlay::None);
    let expected = process_filter(&second.ut_process_name, 900);
    assert_eq!(
        app.filter.running.as_ref().map(|(_, e)| e.clone()),
        Some(expected.clone())
    );
    run_jobs(&mut app);
    assert_eq!(app.filter.applied, expected);
    assert_eq!(app.rows.len(), 10);
}

#[test]
fn providers_view_filters_by_the_selected_provider() {
    let mut app = app();
    press(&mut app, &[Action::ShowProviders]);
    run_jobs(&mut app);
    let providers = app.views.providers.clone().expect("summaries computed");
    assert_eq!(providers[0].events, 30);
    assert_eq!(app.view_len(ViewKind::Providers), providers.len());
    press(&mut app, &[Action::Bottom, Action::Top, Action::Activate]);
    run_jobs(&mut app);
    assert_eq!(app.filter.applied, providers[0].filter);
    assert_eq!(app.rows.len(), 30);
    // Switching views from inside a view; Enter on a request filters to its frames.
    press(&mut app, &[Action::ShowProcesses, Action::ShowRequests]);
    assert_eq!(app.overlay, Overlay::View(ViewKind::Requests));
    let requests = app.views.requests.clone().expect("requests computed");
    update(&mut app, Action::Activate);
    match requests.first().filter(|r| !r.frames.is_empty()) {
        Some(r) => {
            assert_eq!(app.overlay, Overlay::None);
            run_jobs(&mut app);
            assert_eq!(app.rows.len(), r.frames.len());
        }
        None => {
            assert_eq!(app.overlay, Overlay::View(ViewKind::Requests));
            update(&mut app, Action::Cancel);
            assert_eq!(app.overlay, Overlay::None);
        }
    }
}

#[test]
fn filter_terms_are_quoted_and_combined_with_and() {
    assert_eq!(process_filter("(1432)", 1432), "ProcessId == 1432");
    assert_eq!(
        process_filter("w3wp.exe (1432)", 1432),
        "UTProcessName == \"w3wp.exe (1432)\""
    );
    assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    assert_eq!(and_term("", "Pid == 1"), "Pid == 1");
    assert_eq!(
        and_term("Level == 2", "Pid == 1"),
        "Level == 2 AND Pid == 1"
    );
    assert_eq!(
        and_term("A == 1 or B == 2", "Pid == 1"),
        "(A == 1 or B == 2) AND Pid == 1"
    );
    assert_eq!(
        and_term("A == 1 || B == 2", "C == 3"),
        "(A == 1 || B == 2) AND C == 3"
    );
}

#[test]
fn add_to_filter_takes_the_selected_detail_field() {
    let mut app = app();
    apply_filter_via_bar(&mut app, "Level == 2");
    update(&mut app, Action::AddToFilter);
    assert_eq!(app.bar, Bar::None, "only from the detail pane");
    press(&mut app, &[Action::NextPane, Action::Activate]);
    assert_eq!(app.focus, Pane::Detail);
    let at = app
        .detail
        .lines
        .iter()
        .position(|l| l.name == "ProcessId")
        .expect("header has ProcessId");
    for _ in 0..at {
        update(&mut app, Action::Down);
    }
    assert_eq!(app.detail.cursor, at);
    update(&mut app, Action::AddToFilter);
    assert_eq!(app.bar, Bar::Filter);
    assert_eq!(app.filter.input.text(), "Level == 2 AND ProcessId == 1432");
    assert_eq!(app.filter.error, None);
    update(&mut app, Action::Submit);
    run_jobs(&mut app);
    assert_eq!(app.rows.len(), 2);
}

#[test]
fn detail_nodes_expand_and_collapse() {
    let mut app = app();
    update(&mut app, Action::NextPane);
    assert_eq!(app.detail.lines[0].name, "Header");
    assert!(!app.detail.lines[0].expanded, "the header starts collapsed");
    let collapsed = app.detail.lines.len();
    update(&mut app, Action::Activate);
    assert!(app.detail.lines[0].expanded);
    assert!(app.detail.lines.len() > collapsed);
    assert_eq!(app.detail.lines[1].name, "Frame");
    // Expansion sticks when another event is shown.
    press(
        &mut app,
        &[Action::NextPane, Action::NextPane, Action::Down],
    );
    assert_eq!(app.focus, Pane::Table);
    assert_eq!(app.detail.frame, Some(1));
    assert!(app.detail.lines[0].expanded);
    press(&mut app, &[Action::Activate, Action::Activate]);
    assert_eq!(app.focus, Pane::Detail);
    assert!(!app.detail.lines[0].expanded);
    // Enter on a leaf does nothing.
    press(
        &mut app,
        &[Action::Activate, Action::Down, Action::Activate],
    );
    assert!(app.detail.lines[0].expanded);
}

#[test]
fn goto_accepts_frames_offsets_and_times() {
    let mut app = app();
    let go = |app: &mut App, text: &str| {
        update(app, Action::OpenGoto);
        type_text(app, text);
        update(app, Action::Submit);
    };
    go(&mut app, "15");
    assert_eq!(app.selected_frame(), Some(14));
    go(&mut app, "+0.00002");
    assert_eq!(app.selected_frame(), Some(20));
    go(&mut app, "00:00:00.0000305");
    assert_eq!(app.selected_frame(), Some(31));
    go(&mut app, "2024-01-01T00:00:00.0000070Z");
    assert_eq!(app.selected_frame(), Some(7));
    go(&mut app, "999");
    assert_eq!(app.selected_frame(), Some(40));
    go(&mut app, "nonsense");
    assert!(matches!(app.message, Some(Message::Error(_))));
    assert_eq!(app.selected_frame(), Some(40));
    app.rows = Rows::Filtered(Arc::new(vec![2, 20, 30]));
    go(&mut app, "5");
    assert_eq!(app.selected_frame(), Some(20));
    assert!(matches!(app.message, Some(Message::Info(_))));
}

#[test]
fn incremental_search_moves_as_you_type_and_esc_returns() {
    let mut app = app();
    press(&mut app, &[Action::Down, Action::OpenSearch]);
    type_text(&mut app, "(12002");
    run_jobs(&mut app);
    assert_eq!(app.selected_frame(), Some(10));
    update(&mut app, Action::Submit);
    assert_eq!(app.search.last, "(12002");
    update(&mut app, Action::SearchNext);
    run_jobs(&mut app);
    assert_eq!(app.selected_frame(), Some(25));
    update(&mut app, Action::SearchPrev);
    run_jobs(&mut app);
    assert_eq!(app.selected_frame(), Some(10));
    press(&mut app, &[Action::OpenSearch]);
    type_text(&mut app, "zzz not there");
    run_jobs(&mut app);
    assert_eq!(app.selected_frame(), Some(10));
    assert!(matches!(app.message, Some(Message::Info(ref m)) if m.contains("zzz")));
    update(&mut app, Action::Cancel);
    assert_eq!(app.selected_frame(), Some(10));
    assert_eq!(app.search.last, "(12002");
}

#[test]
fn mouse_clicks_and_wheel_select_rows() {
    let mut app = app();
    update(&mut app, Action::Click { column: 10, row: 4 });
    assert_eq!(app.selected, 3);
    update(
        &mut app,
        Action::Scroll {
            column: 10,
            row: 4,
            lines: 3,
        },
    );
    assert_eq!(app.selected, 6);
    update(
        &mut app,
        Action::Scroll {
            column: 10,
            row: 4,
            lines: -9,
        },
    );
    assert_eq!(app.selected, 0);
    // A click in the detail pane focuses it and picks the line.
    let detail = app.layout().detail.unwrap();
    update(
        &mut app,
        Action::Click {
            column: 5,
            row: detail.y + 2,
        },
    );
    assert_eq!((app.focus, app.detail.cursor), (Pane::Detail, 1));
    // A click on the timeline's right end goes to the end of the trace.
    let timeline = app.layout().timeline;
    update(
        &mut app,
        Action::Click {
            column: timeline.width - 1,
            row: timeline.y,
        },
    );
    assert!(app.selected_frame().unwrap() >= 39);
}

#[test]
fn hex_scroll_and_pane_cycle_are_bounded() {
    let mut app = app();
    press(&mut app, &[Action::NextPane, Action::NextPane]);
    assert_eq!(app.focus, Pane::Hex);
    press(
        &mut app,
        &[Action::PageDown, Action::PageDown, Action::Bottom],
    );
    let payload = app.detail.detail.as_ref().unwrap().payload.len();
    let per_line = crate::tui::layout::hex_bytes_per_line(78);
    assert!(app.detail.hex_scroll <= payload.div_ceil(per_line));
    update(&mut app, Action::NextPane);
    assert_eq!(app.focus, Pane::Table);
}

#[test]
fn time_format_help_and_quit() {
    let mut app = app();
    update(&mut app, Action::ToggleTimeFormat);
    assert_eq!(app.time_format, TimeFormat::Offset);
    update(&mut app, Action::ToggleHelp);
    assert_eq!(app.overlay, Overlay::Help { scroll: 0 });
    press(&mut app, &[Action::Down, Action::Down]);
    assert_eq!(app.overlay, Overlay::Help { scroll: 2 });
    update(&mut app, Action::Cancel);
    assert_eq!(app.overlay, Overlay::None);
    update(&mut app, Action::OpenFilter);
    update(&mut app, Action::Quit);
    assert!(app.quit);
}

#[test]
fn while_loading_only_quit_and_resize_act() {
    let mut app = App::loading("big.etl", Rect::new(0, 0, 80, 24), false);
    press(
        &mut app,
        &[Action::Down, Action::OpenFilter, Action::ShowProcesses],
    );
    assert_eq!(app.bar, Bar::None);
    assert!(app.outbox.is_empty());
    update(
        &mut app,
        Action::Resize {
            width: 100,
            height: 30,
        },
    );
    assert_eq!(app.screen, Rect::new(0, 0, 100, 30));
    on_outcome(
        &mut app,
        Outcome::Loaded(Err("cannot read big.etl".to_string())),
    );
    assert!(app.quit);
    let mut app = App::loading("t.etl", Rect::new(0, 0, 80, 24), false);
    on_outcome(
        &mut app,
        Outcome::Loaded(Ok(fixtures::session(fixtures::small_trace()))),
    );
    assert_eq!(app.rows.len(), 41);
    assert_eq!(app.failures, FAILURE_FRAMES);
}

/// A generated trace of several MB on disk, opened as a preview of its first 1 MiB and whole.
fn preview_and_full() -> (tempfile::TempDir, Arc<Timeline>, Arc<Timeline>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.etl");
    samplegen::large_trace(&path, 40_000).unwrap();
    let options = crate::timeline::TimelineOptions::default();
    let preview = Timeline::open_preview(&path, options.clone(), 1 << 20)
        .unwrap()
        .expect("the file is larger than the preview");
    let full = Timeline::open(&path, options).unwrap();
    (dir, Arc::new(preview), Arc::new(full))
}

#[test]
fn the_whole_file_replaces_its_preview_in_place() {
    let (_dir, preview, full) = preview_and_full();
    assert!(preview.is_preview() && !full.is_preview());
    assert!(
        preview.len() < full.len(),
        "{} vs {}",
        preview.len(),
        full.len()
    );

    let mut app = App::loading("big.etl", Rect::new(0, 0, 80, 24), true);
    on_outcome(&mut app, Outcome::Preview(Arc::clone(&preview)));
    run_jobs(&mut app);
    assert_eq!(app.rows.len(), preview.len());
    assert!(app.busy(), "indexing goes on: the screen keeps refreshing");
    apply_filter_via_bar(&mut app, "EventId == 1");
    let preview_hits = app.rows.len();
    assert!(preview_hits > 1 && preview_hits < preview.len());
    press(&mut app, &[Action::Down]);
    let selected_time = app.selected_frame().and_then(|f| preview.filetime(f));

    on_outcome(&mut app, Outcome::Loaded(Ok(Arc::clone(&full))));
    // The filter runs again over the whole file; the cursor stays on the same event.
    assert!(app.filter.running.is_some());
    run_jobs(&mut app);
    assert_eq!(app.filter.applied, "EventId == 1");
    assert!(app.rows.len() > preview_hits);
    let now_time = app.selected_frame().and_then(|f| full.filetime(f));
    assert_eq!(now_time, selected_time);
    assert!(!app.busy());
}

#[test]
fn a_failed_full_index_keeps_the_preview() {
    let (_dir, preview, _full) = preview_and_full();
    let mut app = App::loading("big.etl", Rect::new(0, 0, 80, 24), true);
    on_outcome(&mut app, Outcome::Preview(Arc::clone(&preview)));
    run_jobs(&mut app);
    on_outcome(&mut app, Outcome::Loaded(Err("read error".to_string())));
    assert!(!app.quit);
    assert_eq!(app.rows.len(), preview.len());
    assert!(app.preview_only && !app.busy());
    assert!(matches!(&app.message, Some(Message::Error(m)) if m.contains("read error")));
}

#[test]
fn a_command_line_filter_applies_on_load_and_esc_clears_it() {
    let mut app = App::loading("t.etl", Rect::new(0, 0, 80, 24), true);
    app.initial_filter = Some("Level == 2".to_string());
    let session = fixtures::session(fixtures::small_trace());
    on_outcome(&mut app, Outcome::Loaded(Ok(session)));
    run_jobs(&mut app);
    assert_eq!(app.filter.applied, "Level == 2");
    assert_eq!(app.filter.input.text(), "Level == 2");
    let filtered = app.rows.len();
    assert!(filtered > 0);
    update(&mut app, Action::Cancel);
    assert!(app.filter.applied.is_empty());
    assert!(app.rows.len() > filtered);
}
