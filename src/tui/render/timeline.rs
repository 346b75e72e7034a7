//! The timeline strip: event density over the whole trace (first line), failure and warning
//! marks plus the window the table shows (second line). Each column is a slice of time; its
//! events are found by binary search over the time-ordered index, so drawing costs
//! O(width · log events) whatever the trace size.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::Theme;
use crate::timeline::Timeline;
use crate::tui::app::App;

const BARS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// What one column of the strip covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// Frames `first_frame..end_frame` fall in this column's time slice.
    pub first_frame: usize,
    pub end_frame: usize,
    pub failure: bool,
    pub warning: bool,
}

/// First frame whose time is at or after `filetime`.
fn frame_at(session: &Timeline, filetime: i64) -> usize {
    let (mut low, mut high) = (0, session.len());
    while low < high {
        let mid = low + (high - low) / 2;
        if session.filetime(mid).is_some_and(|t| t < filetime) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    low
}

fn any_in(frames: &[u32], first: usize, end: usize) -> bool {
    let at = frames.partition_point(|&f| (f as usize) < first);
    frames.get(at).is_some_and(|&f| (f as usize) < end)
}

/// Splits `first..=last` (FILETIME) into `columns` equal slices.
pub fn buckets(app: &App, session: &Timeline, columns: u16) -> Vec<Bucket> {
    let columns = i128::from(columns);
    let first = i128::from(app.first_filetime);
    let span = (i128::from(app.last_filetime) - first).max(0);
    let boundary = |column: i128| -> usize {
        if column >= columns {
            return session.len();
        }
        let time = first + span * column / columns.max(1);
        frame_at(session, i64::try_from(time).unwrap_or(i64::MAX))
    };
    let mut out = Vec::new();
    let mut start = 0;
    for column in 0..columns {
        let end = boundary(column + 1);
        out.push(Bucket {
            first_frame: start,
            end_frame: end,
            failure: any_in(&app.failures, start, end),
            warning: any_in(&app.warnings, start, end),
        });
        start = end;
    }
    out
}

pub fn render(app: &App, session: &Timeline, frame: &mut Frame, area: Rect, theme: &Theme) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let buckets = buckets(app, session, area.width);
    let busiest = buckets
        .iter()
        .map(|b| b.end_frame.saturating_sub(b.first_frame))
        .max()
        .unwrap_or(0)
        .max(1);
    // Frames the table shows, to mark the window.
    let first_shown = app.rows.frame(app.offset);
    let last_row = app.offset + app.page_rows().saturating_sub(1);
    let last_shown = app
        .rows
        .frame(last_row.min(app.rows.len().saturating_sub(1)));
    let buf = frame.buffer_mut();
    for (column, bucket) in buckets.iter().enumerate() {
        let x = area.x + column as u16;
        let count = bucket.end_frame.saturating_sub(bucket.first_frame);
        let level = if count == 0 {
            0
        } else {
            (count * 8).div_ceil(busiest).clamp(1, 8)
        };
        let mark_style = if bucket.failure {
            theme.failure
        } else if bucket.warning {
            theme.warning
        } else {
            theme.dim
        };
        if let Some(cell) = buf.cell_mut((x, area.y)) {
            cell.set_char(BARS[level]).set_style(mark_style);
        }
        if area.height < 2 {
            continue;
        }
        let in_window = match (first_shown, last_shown) {
            (Some(a), Some(b)) => {
                bucket.first_frame <= b && a < bucket.end_frame.max(bucket.first_frame + 1)
            }
            _ => false,
        };
        let (symbol, mut style) = if bucket.failure {
            ('E', theme.failure)
        } else if bucket.warning {
            ('W', theme.warning)
        } else if in_window {
            ('─', Style::default())
        } else {
            (' ', Style::default())
        };
        if in_window {
            style = style.patch(theme.window);
        }
        if let Some(cell) = buf.cell_mut((x, area.y + 1)) {
            cell.set_char(symbol).set_style(style);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures;
    use std::sync::Arc;

    #[test]
    fn buckets_cover_every_frame_once_and_carry_marks() {
        let session = fixtures::session(fixtures::small_trace());
        let app = App::with_session(
            "t.etl",
            Arc::clone(&session),
            Rect::new(0, 0, 80, 24),
            false,
        );
        let buckets = buckets(&app, &session, 41);
        assert_eq!(buckets.len(), 41);
        assert_eq!(buckets.first().map(|b| b.first_frame), Some(0));
        assert_eq!(buckets.last().map(|b| b.end_frame), Some(session.len()));
        assert!(
            buckets
                .windows(2)
                .all(|w| w[0].end_frame == w[1].first_frame)
        );
        let failing: Vec<usize> = buckets
            .iter()
            .filter(|b| b.failure)
            .flat_map(|b| b.first_frame..b.end_frame)
            .collect();
        assert!(failing.contains(&10) && failing.contains(&25) && failing.contains(&33));
        assert!(
            buckets
                .iter()
                .any(|b| b.warning && (b.first_frame..b.end_frame).contains(&17))
        );
        assert!(super::buckets(&app, &session, 0).is_empty());
    }
}
