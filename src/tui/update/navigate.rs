//! Moving around: cursor steps per pane, failure jumps, go-to targets, mouse wheel and
//! clicks.

use crate::tui::app::{App, Message, Pane};
use crate::tui::goto::{self, Target};
use crate::tui::layout::{self, contains, list_offset};

/// `index + step` clamped to `0..len`.
pub(super) fn step_index(index: usize, step: isize, len: usize) -> usize {
    let last = len.saturating_sub(1);
    if step < 0 {
        index.saturating_sub(step.unsigned_abs()).min(last)
    } else {
        index.saturating_add(step.unsigned_abs()).min(last)
    }
}

pub(super) fn page_of_focus(app: &App) -> isize {
    let l = app.layout();
    let height = match app.focus {
        Pane::Table => app.page_rows(),
        Pane::Detail => l
            .detail
            .map_or(1, |r| usize::from(r.height.saturating_sub(2))),
        Pane::Hex => l.hex.map_or(1, |r| usize::from(r.height.saturating_sub(2))),
    };
    height.max(1) as isize
}

pub(super) fn move_in_pane(app: &mut App, step: isize) {
    match app.focus {
        Pane::Table => {
            let row = step_index(app.selected, step, app.rows.len());
            app.select_row(row);
        }
        Pane::Detail => {
            app.detail.cursor = step_index(app.detail.cursor, step, app.detail.lines.len());
        }
        Pane::Hex => {
            let max = hex_max_scroll(app);
            app.detail.hex_scroll = step_index(app.detail.hex_scroll, step, max + 1);
        }
    }
}

/// Last useful hex scroll position: the payload's lines minus those that fit.
fn hex_max_scroll(app: &App) -> usize {
    let Some(area) = app.layout().hex else {
        return 0;
    };
    let per_line = layout::hex_bytes_per_line(area.width.saturating_sub(2));
    let payload = app.detail.detail.as_ref().map_or(0, |d| d.payload.len());
    let lines = payload.div_ceil(per_line);
    lines.saturating_sub(usize::from(area.height.saturating_sub(2)))
}

pub(super) fn jump_to_failure(app: &mut App, forward: bool) {
    let current = app.selected_frame().unwrap_or(0) as u32;
    let failures = &app.failures;
    let found = if forward {
        let start = failures.partition_point(|&f| f <= current);
        failures
            .get(start..)
            .unwrap_or_default()
            .iter()
            .find_map(|&f| app.rows.row_of(f as usize))
    } else {
        let end = failures.partition_point(|&f| f < current);
        failures
            .get(..end)
            .unwrap_or_default()
            .iter()
            .rev()
            .find_map(|&f| app.rows.row_of(f as usize))
    };
    match found {
        Some(row) => {
            app.focus = Pane::Table;
            app.select_row(row);
        }
        None => {
            let which = if forward { "after" } else { "before" };
            app.message = Some(Message::Info(format!("no failure {which} this row")));
        }
    }
}

/// The first row at or after `filetime` (rows are in time order).
fn row_at_time(app: &App, filetime: i64) -> usize {
    let (mut low, mut high) = (0, app.rows.len());
    while low < high {
        let mid = low + (high - low) / 2;
        if app.filetime_of_row(mid).is_some_and(|t| t < filetime) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    low
}

pub(super) fn go_to(app: &mut App, target: Target) {
    let last = app.rows.len().saturating_sub(1);
    let row = match target {
        Target::Frame(number) => {
            let frame = usize::try_from(number.saturating_sub(1)).unwrap_or(usize::MAX);
            let row = app.rows.row_at_or_after(frame);
            if app.rows.row_of(frame).is_none() {
                app.message = Some(Message::Info(format!(
                    "frame {number} is not listed; went to the nearest listed frame"
                )));
            }
            row.min(last)
        }
        time => match goto::resolve(time, app.first_filetime) {
            Some(filetime) => row_at_time(app, filetime).min(last),
            None => {
                app.message = Some(Message::Error("that time is out of range".to_string()));
                return;
            }
        },
    };
    app.focus = Pane::Table;
    app.select_row(row);
}

pub(super) fn scroll_at(app: &mut App, column: u16, row: u16, lines: i16) {
    let l = app.layout();
    let saved = app.focus;
    if contains(l.table, column, row) {
        app.focus = Pane::Table;
    } else if l.detail.is_some_and(|r| contains(r, column, row)) {
        app.focus = Pane::Detail;
    } else if l.hex.is_some_and(|r| contains(r, column, row)) {
        app.focus = Pane::Hex;
    } else {
        return;
    }
    move_in_pane(app, isize::from(lines));
    app.focus = saved;
}

pub(super) fn click_at(app: &mut App, column: u16, row: u16) {
    let l = app.layout();
    if contains(l.table, column, row) {
        app.focus = Pane::Table;
        if let Some(target) = l.table_row_at(row, app.offset)
            && target < app.rows.len()
        {
            app.select_row(target);
        }
    } else if let Some(area) = l.detail.filter(|r| contains(*r, column, row)) {
        app.focus = Pane::Detail;
        let visible = usize::from(area.height.saturating_sub(2));
        if row > area.y {
            let offset = list_offset(app.detail.cursor, visible);
            let target = offset + usize::from(row - area.y - 1);
            if target < app.detail.lines.len() {
                app.detail.cursor = target;
            }
        }
    } else if l.hex.is_some_and(|r| contains(r, column, row)) {
        app.focus = Pane::Hex;
    } else if contains(l.timeline, column, row) && l.timeline.width > 0 {
        // The strip spans first..last event time; jump to the time under the pointer.
        let span = i128::from(app.last_filetime) - i128::from(app.first_filetime);
        let at = i128::from(column - l.timeline.x) * span / i128::from(l.timeline.width);
        let filetime = i128::from(app.first_filetime) + at;
        let filetime = i64::try_from(filetime).unwrap_or(app.first_filetime);
        let target = row_at_time(app, filetime).min(app.rows.len().saturating_sub(1));
        app.focus = Pane::Table;
        app.select_row(target);
    }
}
