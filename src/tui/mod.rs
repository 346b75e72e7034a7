//! The terminal viewer: event table, detail tree, hex dump, timeline strip with failure marks,
//! live-validated filter bar, search, go-to, and process/provider views.
//!
//! Architecture: terminal events become [`action::Action`]s; [`update::update`] applies them
//! to the [`app::App`] state; [`render::render`] draws the state. Opening, filtering, searching
//! and the list summaries run on worker threads ([`worker`]) that answer over a channel, so the
//! UI thread never waits on the trace.

pub mod action;
pub mod app;
pub mod columns;
pub mod goto;
pub mod input;
pub mod layout;
pub mod render;
pub mod tree;
pub mod update;
pub mod worker;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod measure;
#[cfg(test)]
mod screen_tests;

use std::io::{self, Stdout};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use anyhow::Context;
use crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, MouseButton, MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;

use crate::timeline::TimelineOptions;
use action::{Action, action_for_key};
use app::{App, Message};
use worker::Outcome;

/// Lines one mouse wheel notch scrolls.
const WHEEL_LINES: i16 = 3;
/// How often the screen refreshes while something runs in the background (progress).
const BUSY_REFRESH: Duration = Duration::from_millis(100);
/// How long to wait for input when idle.
const IDLE_POLL: Duration = Duration::from_millis(500);

/// Opens `path` in the viewer and returns when the user quits. The terminal is restored on
/// return, on error, on panic (hook) and on Ctrl-C (raw mode delivers it as a key, which
/// quits). `NO_COLOR` switches to a monochrome theme.
pub fn run(
    paths: &[PathBuf],
    options: TimelineOptions,
    filter: Option<&str>,
) -> anyhow::Result<()> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let mut screen = Screen::enter().context("cannot set up the terminal")?;
    let size = screen
        .terminal
        .size()
        .context("cannot read the terminal size")?;
    let file_name = |path: &Path| {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string())
    };
    let name = match paths {
        [one] => file_name(one),
        [first, ..] => format!("{} (+{} more)", file_name(first), paths.len() - 1),
        [] => String::new(),
    };
    let mut app = App::loading(&name, Rect::new(0, 0, size.width, size.height), no_color);
    app.initial_filter = filter.filter(|f| !f.trim().is_empty()).map(str::to_string);
    let (sender, receiver) = mpsc::channel();
    worker::spawn_loader(
        paths.to_vec(),
        options,
        Arc::clone(&app.load),
        sender.clone(),
    );
    let outcome = event_loop(&mut screen.terminal, &mut app, &sender, &receiver);
    drop(screen);
    outcome?;
    match (&app.session, &app.message) {
        (None, Some(Message::Error(problem))) => anyhow::bail!("{problem}"),
        _ => Ok(()),
    }
}

type Term = Terminal<CrosstermBackend<Stdout>>;

fn event_loop(
    terminal: &mut Term,
    app: &mut App,
    sender: &Sender<Outcome>,
    receiver: &Receiver<Outcome>,
) -> anyhow::Result<()> {
    let mut dirty = true;
    let mut last_draw = Instant::now();
    loop {
        let busy = app.session.is_none() || app.busy();
        if dirty || (busy && last_draw.elapsed() >= BUSY_REFRESH) {
            terminal.draw(|frame| render::render(app, frame))?;
            last_draw = Instant::now();
            dirty = false;
        }
        if app.quit {
            return Ok(());
        }
        // The file shrank under the viewer: what it shows is no longer the file. Leave (the
        // terminal is restored on return) and say so.
        if let Some(session) = &app.session {
            for source in session.sources() {
                source.trace().check_intact()?;
            }
        }
        let wait = if busy { BUSY_REFRESH } else { IDLE_POLL };
        if event::poll(wait)? {
            // Handle everything queued before drawing again (fast typing, wheel bursts).
            loop {
                if let Some(action) = action_of(app, event::read()?) {
                    update::update(app, action);
                    dirty = true;
                }
                if !event::poll(Duration::ZERO)? {
                    break;
                }
            }
        }
        while let Ok(outcome) = receiver.try_recv() {
            update::on_outcome(app, outcome);
            dirty = true;
        }
        if let Some(session) = &app.session {
            for job in app.outbox.drain(..) {
                worker::spawn(job, Arc::clone(session), sender.clone());
            }
        }
    }
}

/// The action a terminal event asks for in the app's current mode.
fn action_of(app: &App, event: Event) -> Option<Action> {
    match event {
        Event::Key(key) => action_for_key(update::key_mode(app), &key),
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::ScrollDown => Some(Action::Scroll {
                column: mouse.column,
                row: mouse.row,
                lines: WHEEL_LINES,
            }),
            MouseEventKind::ScrollUp => Some(Action::Scroll {
                column: mouse.column,
                row: mouse.row,
                lines: -WHEEL_LINES,
            }),
            MouseEventKind::Down(MouseButton::Left) => Some(Action::Click {
                column: mouse.column,
                row: mouse.row,
            }),
            _ => None,
        },
        Event::Resize(width, height) => Some(Action::Resize { width, height }),
        _ => None,
    }
}

/// The terminal in viewer mode (raw, alternate screen, mouse capture) for as long as it
/// lives, with a panic hook that puts it back before the panic message prints.
struct Screen {
    terminal: Term,
    previous_hook: Arc<PanicHook>,
}

type PanicHook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

impl Screen {
    fn enter() -> io::Result<Screen> {
        let previous_hook: Arc<PanicHook> = Arc::new(std::panic::take_hook());
        let chained = Arc::clone(&previous_hook);
        std::panic::set_hook(Box::new(move |info| {
            leave_terminal();
            chained(info);
        }));
        let entered = enable_raw_mode()
            .and_then(|()| execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture))
            .and_then(|()| Terminal::new(CrosstermBackend::new(io::stdout())));
        match entered {
            Ok(terminal) => Ok(Screen {
                terminal,
                previous_hook,
            }),
            Err(e) => {
                leave_terminal();
                restore_hook(previous_hook);
                Err(e)
            }
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = self.terminal.show_cursor();
        leave_terminal();
        restore_hook(Arc::clone(&self.previous_hook));
    }
}

/// Undoes what [`Screen::enter`] did; safe to call more than once. Failures are ignored:
/// this runs while exiting or panicking, when there is no one left to tell.
fn leave_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

fn restore_hook(previous: Arc<PanicHook>) {
    // Only while not panicking: replacing the hook from inside a panic aborts.
    if !std::thread::panicking() {
        let _ = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| previous(info)));
    }
}
