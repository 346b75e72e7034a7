//! Screen tests: the renderer on ratatui's `TestBackend` at 80×24 and 160×48, with insta
//! snapshots of the text and direct checks of the colours that snapshots do not show.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};

use super::action::Action;
use super::app::App;
use super::fixtures;
use super::render::render;
use super::update::{on_outcome, update};
use super::worker;

fn app(width: u16, height: u16, no_color: bool) -> App {
    let mut app = App::with_session(
        "winhttp-failures.etl",
        fixtures::session(fixtures::small_trace()),
        Rect::new(0, 0, width, height),
        no_color,
    );
    run_jobs(&mut app);
    app
}

fn run_jobs(app: &mut App) {
    let session = app.session.clone().expect("session");
    while !app.outbox.is_empty() {
        let jobs: Vec<_> = app.outbox.drain(..).collect();
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

fn draw(app: &App) -> Terminal<TestBackend> {
    let mut terminal =
        Terminal::new(TestBackend::new(app.screen.width, app.screen.height)).expect("test backend");
    terminal.draw(|frame| render(app, frame)).expect("draw");
    terminal
}

/// The text of screen line `y`.
fn line(terminal: &Terminal<TestBackend>, y: u16) -> String {
    let buffer = terminal.backend().buffer();
    (0..buffer.area.width)
        .filter_map(|x| buffer.cell((x, y)).map(|c| c.symbol().to_string()))
        .collect()
}

#[test]
fn first_screen_80x24() {
    let terminal = draw(&app(80, 24, false));
    insta::assert_snapshot!("first_screen_80x24", terminal.backend());
}

#[test]
fn first_screen_160x48() {
    let terminal = draw(&app(160, 48, false));
    insta::assert_snapshot!("first_screen_160x48", terminal.backend());
}

#[test]
fn failures_are_red_warnings_yellow_on_rows_and_timeline() {
    let mut app = app(80, 24, false);
    update(&mut app, Action::NextFailure);
    assert_eq!(app.selected_frame(), Some(10));
    let terminal = draw(&app);
    insta::assert_snapshot!("failure_selected_80x24", terminal.backend());
    let buffer = terminal.backend().buffer();
    // Frame 10 is the 11th data row: screen line 11, selected (reversed) and red.
    let failure = buffer.cell((10, 11)).expect("cell");
    assert_eq!(failure.fg, Color::Red);
    assert!(failure.modifier.contains(Modifier::REVERSED));
    assert_eq!(buffer.cell((0, 11)).map(|c| c.symbol()), Some("!"));
    // A normal row has no colour.
    assert_eq!(buffer.cell((10, 2)).map(|c| c.fg), Some(Color::Reset));
    // Timeline marks: red E for failures, yellow W for the warning.
    let marks = app.layout().timeline.y + 1;
    let cells: Vec<_> = (0..80).filter_map(|x| buffer.cell((x, marks))).collect();
    let red_e = cells
        .iter()
        .filter(|c| c.symbol() == "E" && c.fg == Color::Red)
        .count();
    let yellow_w = cells
        .iter()
        .filter(|c| c.symbol() == "W" && c.fg == Color::Yellow)
        .count();
    assert_eq!((red_e, yellow_w), (3, 1));
    // The warning row is yellow once scrolled into view.
    press(&mut app, &[Action::Down; 7]);
    let terminal = draw(&app);
    let y = 1 + (17 - app.offset) as u16;
    assert_eq!(
        terminal.backend().buffer().cell((10, y)).map(|c| c.fg),
        Some(Color::Yellow)
    );
}

#[test]
fn no_color_draws_without_colours_but_keeps_markers() {
    let mut app = app(80, 24, true);
    press(&mut app, &[Action::NextFailure, Action::OpenFilter]);
    for c in "Levl".chars() {
        update(&mut app, Action::Insert(c));
    }
    let terminal = draw(&app);
    let buffer = terminal.backend().buffer();
    for cell in buffer.content() {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
    }
    assert_eq!(buffer.cell((0, 11)).map(|c| c.symbol()), Some("!"));
    assert!(line(&terminal, 23).starts_with("Filter ✗ Levl"));
}

#[test]
fn filter_bar_shows_the_problem_and_its_column() {
    let mut app = app(80, 24, false);
    update(&mut app, Action::OpenFilter);
    for c in "Level == 2 AND".chars() {
        update(&mut app, Action::Insert(c));
    }
    let terminal = draw(&app);
    insta::assert_snapshot!("filter_error_80x24", terminal.backend());
    assert!(
        line(&terminal, 22).contains("(column 12)"),
        "{}",
        line(&terminal, 22)
    );
    assert_eq!(
        terminal.backend().buffer().cell((9, 23)).map(|c| c.fg),
        Some(Color::Red)
    );
}

#[test]
fn status_bar_counts_change_with_the_filter() {
    let mut app = app(120, 40, false);
    let status = app.layout().status.y;
    assert_eq!(status, 38);
    let before = line(&draw(&app), status);
    assert!(before.contains("41 of 41 events"), "{before}");
    update(&mut app, Action::OpenFilter);
    for c in "Level == 2".chars() {
        update(&mut app, Action::Insert(c));
    }
    update(&mut app, Action::Submit);
    let running = line(&draw(&app), status);
    assert!(running.contains("filtering"), "{running}");
    run_jobs(&mut app);
    let after = line(&draw(&app), status);
    assert!(after.contains("2 of 41 events"), "{after}");
    assert!(after.contains("filter: Level == 2"), "{after}");
    assert!(after.contains("#11 "), "{after}");
}

#[test]
fn details_and_hex_side_by_side_160x48() {
    let mut app = app(160, 48, false);
    press(
        &mut app,
        &[Action::NextFailure, Action::NextFailure, Action::NextPane],
    );
    let terminal = draw(&app);
    insta::assert_snapshot!("details_160x48", terminal.backend());
}

#[test]
fn hex_takes_the_shared_pane_on_narrow_screens() {
    let mut app = app(80, 24, false);
    press(&mut app, &[Action::NextPane, Action::NextPane]);
    let terminal = draw(&app);
    assert!(
        line(&terminal, 12).contains("Payload"),
        "{}",
        line(&terminal, 12)
    );
    assert!(
        line(&terminal, 13).starts_with("│0000  "),
        "{}",
        line(&terminal, 13)
    );
}

#[test]
fn help_overlay_lists_the_key_map() {
    let mut app = app(80, 24, false);
    update(&mut app, Action::ToggleHelp);
    let terminal = draw(&app);
    insta::assert_snapshot!("help_80x24", terminal.backend());
}

#[test]
fn processes_view_160x48() {
    let mut app = app(160, 48, false);
    update(&mut app, Action::ShowProcesses);
    let pending = draw(&app);
    assert!(
        line(&pending, 1).contains("counting"),
        "{}",
        line(&pending, 1)
    );
    run_jobs(&mut app);
    update(&mut app, Action::Down);
    let terminal = draw(&app);
    insta::assert_snapshot!("processes_160x48", terminal.backend());
}

#[test]
fn loading_screen_80x24() {
    let app = App::loading("big.etl", Rect::new(0, 0, 80, 24), false);
    app.load
        .total
        .store(300 << 20, std::sync::atomic::Ordering::Relaxed);
    app.load
        .done
        .store(100 << 20, std::sync::atomic::Ordering::Relaxed);
    let terminal = draw(&app);
    insta::assert_snapshot!("loading_80x24", terminal.backend());
}

#[test]
fn preview_of_a_large_file_80x24() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.etl");
    samplegen::large_trace(&path, 20_000).unwrap();
    let preview = crate::timeline::Timeline::open_preview(
        &path,
        crate::timeline::TimelineOptions::default(),
        256 << 10,
    )
    .unwrap()
    .expect("larger than the preview");
    let mut app = App::loading("big.etl", Rect::new(0, 0, 80, 24), false);
    on_outcome(
        &mut app,
        worker::Outcome::Preview(std::sync::Arc::new(preview)),
    );
    run_jobs(&mut app);
    app.load
        .total
        .store(1000, std::sync::atomic::Ordering::Relaxed);
    app.load
        .done
        .store(420, std::sync::atomic::Ordering::Relaxed);
    let terminal = draw(&app);
    assert!(
        line(&terminal, 22).contains("indexing 42%"),
        "{}",
        line(&terminal, 22)
    );
    insta::assert_snapshot!("preview_80x24", terminal.backend());
}

#[test]
fn escape_sequences_from_the_trace_never_reach_the_screen() {
    let mut app = app(160, 48, false);
    press(&mut app, &[Action::Down, Action::NextPane]);
    let terminal = draw(&app);
    let buffer = terminal.backend().buffer();
    assert!(
        buffer
            .content()
            .iter()
            .all(|c| !c.symbol().chars().any(char::is_control))
    );
    let text = terminal.backend().to_string();
    assert!(
        text.contains("request #1 \\u{001B}[31m"),
        "the ESC is shown escaped"
    );
}

#[test]
fn tiny_and_odd_sizes_do_not_panic() {
    for (width, height) in [(1, 1), (20, 5), (80, 3), (200, 10), (30, 60)] {
        let mut app = app(width, height, false);
        press(
            &mut app,
            &[Action::NextFailure, Action::NextPane, Action::ToggleHelp],
        );
        draw(&app);
        press(&mut app, &[Action::Cancel, Action::ShowProviders]);
        run_jobs(&mut app);
        draw(&app);
    }
}
