//! Where each part of the screen goes. Computed from the terminal size and the state, and
//! used both for drawing and for mouse hit tests, so a click lands where the row was drawn.

use ratatui::layout::Rect;

use super::app::{App, Bar, Pane};

/// Width from which details and hex dump sit side by side; below it they share one area
/// and Tab switches between them.
pub const SIDE_BY_SIDE_WIDTH: u16 = 120;

/// Lines of the timeline strip (density, then marks and the visible window).
pub const TIMELINE_LINES: u16 = 2;

/// Rectangles of the main screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScreenLayout {
    /// Event table, header line included.
    pub table: Rect,
    /// Detail tree (with border); `None` when the screen is too small or the hex dump has
    /// the shared area.
    pub detail: Option<Rect>,
    /// Hex dump (with border).
    pub hex: Option<Rect>,
    pub timeline: Rect,
    pub status: Rect,
    /// The filter error line, under the status bar while the filter bar is open.
    pub problem: Option<Rect>,
    /// Input bar, message or key hints.
    pub bottom: Rect,
    /// Where list views and help are drawn.
    pub overlay: Rect,
}

impl ScreenLayout {
    pub fn compute(area: Rect, app: &App) -> ScreenLayout {
        let shows_problem = app.bar == Bar::Filter && app.filter.error.is_some();
        let problem_lines = u16::from(shows_problem);
        let fixed = TIMELINE_LINES + 1 + problem_lines + 1;
        let main_height = area.height.saturating_sub(fixed);
        let mut y = area.y;
        let main = Rect::new(area.x, y, area.width, main_height);
        y = y.saturating_add(main_height);
        let timeline = Rect::new(area.x, y, area.width, TIMELINE_LINES.min(area.height));
        y = y.saturating_add(timeline.height);
        let status = Rect::new(area.x, y, area.width, 1);
        y = y.saturating_add(1);
        let problem = (problem_lines > 0).then(|| Rect::new(area.x, y, area.width, 1));
        y = y.saturating_add(problem_lines);
        let bottom = Rect::new(area.x, y, area.width, 1);

        // Panes get two fifths of the main area, at least 6 lines; tiny screens show the
        // table alone.
        let panes_height = if main.height >= 12 {
            (main.height * 2 / 5).max(6)
        } else {
            0
        };
        let table = Rect::new(main.x, main.y, main.width, main.height - panes_height);
        let panes = Rect::new(main.x, main.y + table.height, main.width, panes_height);
        let (detail, hex) = if panes.height == 0 {
            (None, None)
        } else if panes.width >= SIDE_BY_SIDE_WIDTH {
            // 16 bytes a line need 73 columns with the border; narrower screens get 8.
            let hex_width = if panes.width >= 150 {
                73
            } else {
                panes.width * 45 / 100
            };
            let detail = Rect::new(panes.x, panes.y, panes.width - hex_width, panes.height);
            let hex = Rect::new(panes.x + detail.width, panes.y, hex_width, panes.height);
            (Some(detail), Some(hex))
        } else if app.focus == Pane::Hex {
            (None, Some(panes))
        } else {
            (Some(panes), None)
        };
        ScreenLayout {
            table,
            detail,
            hex,
            timeline,
            status,
            problem,
            bottom,
            overlay: main,
        }
    }

    /// The table row (index into the app's rows) drawn at screen line `y`, if any.
    pub fn table_row_at(&self, y: u16, offset: usize) -> Option<usize> {
        let first = self.table.y.checked_add(1)?;
        let bottom = self.table.y.saturating_add(self.table.height);
        (y >= first && y < bottom).then(|| offset + usize::from(y - first))
    }
}

/// First line drawn of a list of `visible` lines so that `cursor` is on screen (the cursor
/// sits on the last line once it passes the first screen).
pub fn list_offset(cursor: usize, visible: usize) -> usize {
    cursor.saturating_sub(visible.saturating_sub(1))
}

/// Payload bytes per hex line that fit `inner_width` columns: offset (6), three columns per
/// byte, a gap, one column per byte of text; 4, 8 or 16.
pub fn hex_bytes_per_line(inner_width: u16) -> usize {
    let room = usize::from(inner_width).saturating_sub(7) / 4;
    match room {
        16.. => 16,
        8..=15 => 8,
        _ => 4,
    }
}

/// True when `(column, row)` is inside `rect`.
pub fn contains(rect: Rect, column: u16, row: u16) -> bool {
    column >= rect.x
        && row >= rect.y
        && column < rect.x.saturating_add(rect.width)
        && row < rect.y.saturating_add(rect.height)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(width: u16, height: u16) -> App {
        App::loading("t.etl", Rect::new(0, 0, width, height), false)
    }

    #[test]
    fn small_screen_shares_the_pane_area() {
        let mut a = app(80, 24);
        let l = a.layout();
        assert_eq!(l.table, Rect::new(0, 0, 80, 12));
        assert_eq!(l.detail, Some(Rect::new(0, 12, 80, 8)));
        assert_eq!(l.hex, None);
        assert_eq!(l.timeline, Rect::new(0, 20, 80, 2));
        assert_eq!(l.status.y, 22);
        assert_eq!(l.bottom.y, 23);
        a.focus = Pane::Hex;
        assert_eq!(a.layout().hex, Some(Rect::new(0, 12, 80, 8)));
        assert_eq!(a.layout().detail, None);
    }

    #[test]
    fn wide_screen_puts_details_and_hex_side_by_side() {
        let l = app(160, 48).layout();
        assert_eq!(l.detail.map(|r| r.width), Some(87));
        assert_eq!(l.hex.map(|r| (r.x, r.width)), Some((87, 73)));
        assert_eq!(hex_bytes_per_line(73 - 2), 16);
        assert_eq!(l.table.height + l.detail.map_or(0, |r| r.height), 44);
    }

    #[test]
    fn tiny_screens_do_not_underflow() {
        for (w, h) in [(0, 0), (1, 1), (10, 3), (80, 5)] {
            let l = app(w, h).layout();
            assert!(l.table.height <= h);
            assert_eq!(l.detail, None);
        }
    }

    #[test]
    fn hex_width_and_list_offsets() {
        assert_eq!(hex_bytes_per_line(71), 16);
        assert_eq!(hex_bytes_per_line(70), 8);
        assert_eq!(hex_bytes_per_line(39), 8);
        assert_eq!(hex_bytes_per_line(38), 4);
        assert_eq!(hex_bytes_per_line(0), 4);
        assert_eq!(list_offset(3, 10), 0);
        assert_eq!(list_offset(12, 10), 3);
        assert_eq!(list_offset(5, 0), 5);
    }

    #[test]
    fn table_rows_are_hit_below_the_header() {
        let l = app(80, 24).layout();
        assert_eq!(l.table_row_at(0, 5), None);
        assert_eq!(l.table_row_at(1, 5), Some(5));
        assert_eq!(l.table_row_at(11, 5), Some(15));
        assert_eq!(l.table_row_at(12, 5), None);
        assert!(contains(l.timeline, 3, 21));
        assert!(!contains(l.timeline, 80, 21));
    }
}
