//! `update(&mut App, Action)`: every state change the user can cause, plus
//! [`on_outcome`] for what background jobs send back. Jobs are queued in `app.outbox`; the
//! run loop (or a test) executes them.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::action::{Action, KeyMode};
use super::app::{App, Bar, Message, Overlay, Pane, Rows, ViewKind};
use super::goto;
use super::layout::list_offset;
use super::worker::{Job, Outcome};

mod navigate;
use navigate::{
    click_at, go_to, jump_to_failure, move_in_pane, page_of_focus, scroll_at, step_index,
};

/// Which key bindings apply now.
pub fn key_mode(app: &App) -> KeyMode {
    if app.bar != Bar::None {
        KeyMode::Input
    } else if app.overlay != Overlay::None {
        KeyMode::Overlay
    } else {
        KeyMode::Browse
    }
}

/// Applies one action.
pub fn update(app: &mut App, action: Action) {
    match action {
        Action::Quit => {
            cancel_jobs(app);
            app.quit = true;
            return;
        }
        Action::Resize { width, height } => {
            app.screen = ratatui::layout::Rect::new(0, 0, width, height);
            app.scroll_into_view();
            return;
        }
        _ => {}
    }
    if app.session.is_none() {
        return;
    }
    // A message stays until the next thing the user does.
    app.message = None;
    match key_mode(app) {
        KeyMode::Input => input_action(app, action),
        KeyMode::Overlay => overlay_action(app, action),
        KeyMode::Browse => browse_action(app, action),
    }
}

fn browse_action(app: &mut App, action: Action) {
    match action {
        Action::Down => move_in_pane(app, 1),
        Action::Up => move_in_pane(app, -1),
        Action::PageDown => move_in_pane(app, page_of_focus(app)),
        Action::PageUp => move_in_pane(app, -page_of_focus(app)),
        Action::Top => move_in_pane(app, isize::MIN),
        Action::Bottom => move_in_pane(app, isize::MAX),
        Action::NextFailure => jump_to_failure(app, true),
        Action::PrevFailure => jump_to_failure(app, false),
        Action::NextPane => app.focus = app.focus.next(),
        Action::Activate => match app.focus {
            Pane::Table => app.focus = Pane::Detail,
            Pane::Detail => toggle_tree_node(app),
            Pane::Hex => {}
        },
        Action::ToggleTimeFormat => app.time_format = app.time_format.toggled(),
        Action::OpenFilter => {
            let applied = app.filter.applied.clone();
            open_filter_bar(app, &applied);
        }
        Action::OpenSearch => {
            app.bar = Bar::Search;
            app.search.input.set("");
            app.search.origin = app.selected;
        }
        Action::OpenGoto => {
            app.bar = Bar::Goto;
            app.goto.set("");
        }
        Action::SearchNext | Action::SearchPrev => {
            let needle = app.search.last.clone();
            if needle.is_empty() {
                app.message = Some(Message::Info("nothing searched yet: press /".to_string()));
                return;
            }
            let backwards = action == Action::SearchPrev;
            let len = app.rows.len().max(1);
            let start = if backwards {
                (app.selected + len - 1) % len
            } else {
                (app.selected + 1) % len
            };
            start_search(app, &needle, start, backwards);
        }
        Action::AddToFilter => add_selected_field_to_filter(app),
        Action::ShowProcesses => open_view(app, ViewKind::Processes),
        Action::ShowProviders => open_view(app, ViewKind::Providers),
        Action::ShowRequests => open_view(app, ViewKind::Requests),
        Action::ToggleHelp => app.overlay = Overlay::Help { scroll: 0 },
        Action::Cancel if app.busy() => {
            cancel_jobs(app);
            app.message = Some(Message::Info("cancelled".to_string()));
        }
        Action::Cancel if !app.filter.applied.is_empty() => {
            apply_filter(app, "");
            app.filter.input.set("");
            app.message = Some(Message::Info("filter cleared".to_string()));
        }
        Action::Scroll { column, row, lines } => scroll_at(app, column, row, lines),
        Action::Click { column, row } => click_at(app, column, row),
        _ => {}
    }
}

fn input_action(app: &mut App, action: Action) {
    let bar = app.bar;
    let line = match bar {
        Bar::Filter => &mut app.filter.input,
        Bar::Search => &mut app.search.input,
        Bar::Goto => &mut app.goto,
        Bar::None => return,
    };
    let before = line.text().to_string();
    match action {
        Action::Insert(c) => line.insert(c),
        Action::DeleteBack => line.delete_back(),
        Action::DeleteForward => line.delete_forward(),
        Action::CursorLeft => line.left(),
        Action::CursorRight => line.right(),
        Action::CursorHome => line.home(),
        Action::CursorEnd => line.end(),
        Action::ClearInput => line.set(""),
        Action::Complete if bar == Bar::Filter => complete_filter_word(app),
        Action::HistoryOlder if bar == Bar::Filter => {
            if let Some(older) = app.filter.history.older(&before).map(str::to_string) {
                app.filter.input.set(&older);
            }
        }
        Action::HistoryNewer if bar == Bar::Filter => {
            if let Some(newer) = app.filter.history.newer().map(str::to_string) {
                app.filter.input.set(&newer);
            }
        }
        Action::Submit => return submit_bar(app),
        Action::Cancel => return cancel_bar(app),
        _ => return,
    }
    let changed = match bar {
        Bar::Filter => app.filter.input.text() != before,
        Bar::Search => app.search.input.text() != before,
        _ => false,
    };
    if !changed {
        return;
    }
    match bar {
        Bar::Filter => validate_filter_input(app),
        Bar::Search => {
            let needle = app.search.input.text().to_string();
            if needle.is_empty() {
                cancel_search(app);
                let origin = app.search.origin;
                app.select_row(origin);
            } else {
                let origin = app.search.origin;
                start_search(app, &needle, origin, false);
            }
        }
        _ => {}
    }
}

/// Tab in the filter bar: field names from the registry, then the names of this timeline's
/// providers and payload fields; several candidates are listed in the message line.
fn complete_filter_word(app: &mut App) {
    let mut names: Vec<String> = crate::fields::registry::canonical_names()
        .map(str::to_string)
        .collect();
    if let Some(session) = &app.session
        && app.filter.ready
    {
        names.extend(session.catalog().display_names.iter().cloned());
    }
    let shown = app.filter.input.complete(&names);
    if shown.len() > 1 {
        let mut list = shown
            .iter()
            .take(12)
            .cloned()
            .collect::<Vec<_>>()
            .join("  ");
        if shown.len() > 12 {
            list.push_str(&format!("  (+{} more)", shown.len() - 12));
        }
        app.message = Some(Message::Info(
            etl::sanitize::for_terminal(&list).into_owned(),
        ));
    }
}

fn submit_bar(app: &mut App) {
    match app.bar {
        Bar::Filter => {
            if app.filter.error.is_some() {
                // Keep the bar open on the error, as the red input and message show.
                return;
            }
            let expr = app.filter.input.text().to_string();
            app.bar = Bar::None;
            apply_filter(app, &expr);
        }
        Bar::Search => {
            app.bar = Bar::None;
            app.search.last = app.search.input.text().to_string();
        }
        Bar::Goto => {
            app.bar = Bar::None;
            let text = app.goto.text().to_string();
            match goto::parse(&text) {
                Ok(target) => go_to(app, target),
                Err(problem) => app.message = Some(Message::Error(problem)),
            }
        }
        Bar::None => {}
    }
}

fn cancel_bar(app: &mut App) {
    match app.bar {
        Bar::Filter => {
            app.filter.history.reset();
            app.filter.error = None;
            cancel_filter(app);
        }
        Bar::Search => {
            cancel_search(app);
            let origin = app.search.origin;
            app.select_row(origin);
        }
        Bar::Goto | Bar::None => {}
    }
    app.bar = Bar::None;
}

fn overlay_action(app: &mut App, action: Action) {
    let Overlay::View(kind) = app.overlay else {
        if let Overlay::Help { scroll } = app.overlay {
            let scroll = match action {
                Action::Down | Action::Scroll { lines: 1.., .. } => scroll.saturating_add(1),
                Action::Up | Action::Scroll { .. } => scroll.saturating_sub(1),
                Action::PageDown => scroll.saturating_add(10),
                Action::PageUp => scroll.saturating_sub(10),
                Action::Top => 0,
                Action::Cancel | Action::Activate => {
                    app.overlay = Overlay::None;
                    return;
                }
                _ => scroll,
            };
            app.overlay = Overlay::Help { scroll };
        }
        return;
    };
    let len = app.view_len(kind);
    let page = usize::from(app.layout().overlay.height.saturating_sub(3)).max(1) as isize;
    let step = match action {
        Action::Down => 1,
        Action::Up => -1,
        Action::PageDown => page,
        Action::PageUp => -page,
        Action::Top => isize::MIN,
        Action::Bottom => isize::MAX,
        Action::Scroll { lines, .. } => isize::from(lines),
        Action::Click { row, .. } => {
            let area = app.layout().overlay;
            // Lines start under the border and the column header.
            let first = area.y.saturating_add(2);
            let visible = usize::from(area.height.saturating_sub(3));
            if row >= first {
                let offset = list_offset(app.views.cursor, visible);
                let target = offset + usize::from(row - first);
                if target < len {
                    app.views.cursor = target;
                }
            }
            return;
        }
        Action::Activate => return filter_by_view_entry(app, kind),
        Action::ShowProcesses => return open_view(app, ViewKind::Processes),
        Action::ShowProviders => return open_view(app, ViewKind::Providers),
        Action::ShowRequests => return open_view(app, ViewKind::Requests),
        Action::Cancel => {
            app.overlay = Overlay::None;
            return;
        }
        _ => return,
    };
    app.views.cursor = step_index(app.views.cursor, step, len);
}

fn toggle_tree_node(app: &mut App) {
    let Some(line) = app.detail.lines.get(app.detail.cursor) else {
        return;
    };
    if !line.expandable {
        return;
    }
    let key = line.key.clone();
    if !app.detail.collapsed.remove(&key) {
        app.detail.collapsed.insert(key);
    }
    app.rebuild_tree();
}

fn open_filter_bar(app: &mut App, text: &str) {
    app.bar = Bar::Filter;
    app.filter.input.set(text);
    app.filter.history.reset();
    validate_filter_input(app);
}

fn validate_filter_input(app: &mut App) {
    let Some(session) = &app.session else {
        return;
    };
    if !app.filter.ready {
        app.filter.error = None;
        return;
    }
    app.filter.error = session.check_filter(app.filter.input.text()).err();
}

/// Starts filtering in the background (or shows everything for an empty filter).
pub fn apply_filter(app: &mut App, expr: &str) {
    let Some(session) = app.session.clone() else {
        return;
    };
    cancel_filter(app);
    app.filter.history.push(expr);
    if expr.trim().is_empty() {
        let frame = app.selected_frame();
        app.rows = Rows::All(session.len());
        app.filter.applied.clear();
        reselect(app, frame);
        return;
    }
    if app.filter.ready
        && let Err(problem) = session.check_filter(expr)
    {
        app.message = Some(Message::Error(problem.to_string()));
        return;
    }
    let job = app.new_job(session.len());
    app.filter.running = Some((job.clone(), expr.to_string()));
    app.outbox.push(Job::Filter {
        job,
        expr: expr.to_string(),
    });
}

/// The whole file replaces its preview: the cursor stays where it was, and a filter that was
/// applied or running is run again over every event (views are recomputed when next opened).
fn replace_preview(app: &mut App, session: Arc<crate::timeline::Timeline>) {
    let frame = app.selected_frame();
    let offset = app.offset;
    let filter = match app.filter.running.take() {
        Some((job, expr)) => {
            job.cancel.store(true, Ordering::Relaxed);
            expr
        }
        None => app.filter.applied.clone(),
    };
    app.set_session(session);
    app.views.processes = None;
    app.views.providers = None;
    app.views.requests = None;
    app.views.summaries_requested = false;
    if let Overlay::View(kind) = app.overlay {
        open_view(app, kind);
    }
    if let Some(frame) = frame {
        app.offset = offset;
        reselect(app, Some(frame));
    }
    if !filter.is_empty() {
        apply_filter(app, &filter);
    }
}

/// Selects the row of `frame`, or the next listed one, after the rows changed.
fn reselect(app: &mut App, frame: Option<usize>) {
    let row = frame.map_or(0, |f| app.rows.row_at_or_after(f));
    app.detail.frame = None;
    app.select_row(row);
}

fn start_search(app: &mut App, needle: &str, start: usize, backwards: bool) {
    cancel_search(app);
    let job = app.new_job(app.rows.len());
    app.search.running = Some(job.clone());
    app.outbox.push(Job::Search {
        job,
        needle: needle.to_lowercase(),
        rows: app.rows.clone(),
        start,
        backwards,
        time_format: app.time_format,
        first_filetime: app.first_filetime,
    });
}

fn cancel_filter(app: &mut App) {
    if let Some((job, _)) = app.filter.running.take() {
        job.cancel.store(true, Ordering::Relaxed);
    }
}

fn cancel_search(app: &mut App) {
    if let Some(job) = app.search.running.take() {
        job.cancel.store(true, Ordering::Relaxed);
    }
}

fn cancel_jobs(app: &mut App) {
    cancel_filter(app);
    cancel_search(app);
}

/// Quotes `text` as a filter string literal (`\` and `"` escaped).
pub fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `current AND term`, parenthesising `current` when it has an OR that AND would bind into.
pub fn and_term(current: &str, term: &str) -> String {
    let current = current.trim();
    if current.is_empty() {
        return term.to_string();
    }
    let upper = current.to_uppercase();
    if upper.contains(" OR ") || current.contains("||") {
        format!("({current}) AND {term}")
    } else {
        format!("{current} AND {term}")
    }
}

fn add_selected_field_to_filter(app: &mut App) {
    if app.focus != Pane::Detail {
        app.message = Some(Message::Info(
            "select a field in the details (Tab) to add it to the filter".to_string(),
        ));
        return;
    }
    let term = app
        .detail
        .lines
        .get(app.detail.cursor)
        .and_then(|l| l.filter_term.clone());
    match term {
        Some(term) => {
            let combined = and_term(&app.filter.applied, &term);
            open_filter_bar(app, &combined);
        }
        None => {
            app.message = Some(Message::Info(
                "this field cannot be filtered on".to_string(),
            ));
        }
    }
}

fn open_view(app: &mut App, kind: ViewKind) {
    app.overlay = Overlay::View(kind);
    app.views.cursor = 0;
    if !app.views.summaries_requested {
        app.views.summaries_requested = true;
        app.outbox.push(Job::Summaries);
    }
}

/// The filter that selects a process: by UTProcessName when its image name is known.
pub fn process_filter(ut_process_name: &str, process_id: u32) -> String {
    if ut_process_name.starts_with('(') {
        format!("ProcessId == {process_id}")
    } else {
        format!("UTProcessName == {}", quote(ut_process_name))
    }
}

fn filter_by_view_entry(app: &mut App, kind: ViewKind) {
    let cursor = app.views.cursor;
    let expr = match kind {
        ViewKind::Processes => app
            .views
            .processes
            .as_ref()
            .and_then(|v| v.get(cursor))
            .map(|p| process_filter(&p.ut_process_name, p.process_id)),
        ViewKind::Providers => app
            .views
            .providers
            .as_ref()
            .and_then(|v| v.get(cursor))
            .map(|p| p.filter.clone()),
        ViewKind::Requests => app
            .views
            .requests
            .as_ref()
            .and_then(|v| v.get(cursor))
            .filter(|r| !r.frames.is_empty())
            .map(|r| {
                let frames: Vec<String> = r.frames.iter().map(usize::to_string).collect();
                format!("FrameNumber in {{{}}}", frames.join(", "))
            }),
    };
    if let Some(expr) = expr {
        app.overlay = Overlay::None;
        apply_filter(app, &expr);
    }
}

/// The filter given on the command line (`etlview -f EXPR FILE`), applied once the first
/// events are there; the status bar and the filter bar show it, Esc clears it.
fn apply_initial_filter(app: &mut App) {
    if let Some(expr) = app.initial_filter.take() {
        app.filter.input.set(&expr);
        apply_filter(app, &expr);
    }
}

/// Applies a finished background job.
pub fn on_outcome(app: &mut App, outcome: Outcome) {
    match outcome {
        Outcome::Preview(session) => {
            app.set_session(session);
            apply_initial_filter(app);
        }
        Outcome::Loaded(Ok(session)) if app.session.is_some() => replace_preview(app, session),
        Outcome::Loaded(Ok(session)) => {
            app.set_session(session);
            apply_initial_filter(app);
        }
        Outcome::Loaded(Err(problem)) if app.session.is_some() => {
            // Keep what the preview shows rather than lose it.
            app.preview_only = true;
            app.message = Some(Message::Error(format!(
                "the whole file could not be indexed ({problem}); showing its start only"
            )));
        }
        Outcome::Loaded(Err(problem)) => {
            app.message = Some(Message::Error(problem));
            app.quit = true;
        }
        Outcome::Filtered { id, expr, result } => {
            if app.filter.running.as_ref().map(|(job, _)| job.id) != Some(id) {
                return;
            }
            app.filter.running = None;
            match result {
                Ok(Some(frames)) => {
                    let frame = app.selected_frame();
                    let total = app.session.as_ref().map_or(0, |s| s.len());
                    app.message = Some(Message::Info(format!(
                        "{} of {total} events match",
                        frames.len()
                    )));
                    // A filter that keeps everything needs no frame list.
                    app.rows = if frames.len() == total {
                        Rows::All(total)
                    } else {
                        Rows::Filtered(Arc::new(frames))
                    };
                    app.filter.applied = expr;
                    reselect(app, frame);
                }
                Ok(None) => app.message = Some(Message::Info("filter cancelled".to_string())),
                Err(problem) => app.message = Some(Message::Error(problem.to_string())),
            }
        }
        Outcome::Searched {
            id,
            found,
            cancelled,
        } => {
            if app.search.running.as_ref().map(|job| job.id) != Some(id) {
                return;
            }
            app.search.running = None;
            match found.and_then(|frame| app.rows.row_of(frame)) {
                Some(row) => {
                    app.focus = Pane::Table;
                    app.select_row(row);
                }
                None if !cancelled => {
                    let needle = match app.bar {
                        Bar::Search => app.search.input.text(),
                        _ => app.search.last.as_str(),
                    };
                    let shown = etl::sanitize::for_terminal(needle).into_owned();
                    app.message = Some(Message::Info(format!("no row contains \"{shown}\"")));
                }
                None => {}
            }
        }
        Outcome::Summaries {
            processes,
            providers,
            requests,
        } => {
            app.views.processes = Some(processes);
            app.views.providers = Some(providers);
            app.views.requests = Some(requests);
        }
        Outcome::FilterReady => {
            app.filter.ready = true;
            if app.bar == Bar::Filter {
                validate_filter_input(app);
            }
        }
    }
}

#[cfg(test)]
mod tests;
