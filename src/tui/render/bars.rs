//! The status bar, the filter problem line and the bottom line (input bar, message or key
//! hints).

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use crate::timeline::Timeline;
use crate::tui::action::hints;
use crate::tui::app::{App, Bar, Message, Overlay};
use crate::tui::columns::{TimeFormat, format_time};
use crate::tui::update::key_mode;
use etl::sanitize::for_terminal;

const SEPARATOR: &str = " │ ";

pub fn render_status(app: &App, session: &Timeline, frame: &mut Frame, area: Rect, theme: &Theme) {
    let total = session.len();
    let mut parts: Vec<Span> = vec![Span::raw(format!(
        " {} of {} events",
        app.rows.len(),
        total
    ))];
    if let Some(frame_number) = app.selected_frame() {
        // The table shows one format; the status bar shows the other.
        let other = app.time_format.toggled();
        let time = session
            .filetime(frame_number)
            .map(|t| format_time(other, t, app.first_filetime))
            .unwrap_or_default();
        let suffix = if other == TimeFormat::Offset {
            " s"
        } else {
            ""
        };
        parts.push(Span::raw(format!(
            "{SEPARATOR}#{} {time}{suffix}",
            frame_number + 1
        )));
    }
    if session.is_preview() && app.preview_only {
        parts.push(Span::styled(
            format!("{SEPARATOR}start of file only: indexing failed"),
            theme.status.add_modifier(Modifier::BOLD),
        ));
    } else if session.is_preview() {
        let done = app.load.done.load(std::sync::atomic::Ordering::Relaxed);
        let total = app
            .load
            .total
            .load(std::sync::atomic::Ordering::Relaxed)
            .max(1);
        parts.push(Span::styled(
            format!(
                "{SEPARATOR}start of file, indexing {}%",
                done.saturating_mul(100) / total
            ),
            theme.status.add_modifier(Modifier::BOLD),
        ));
    }
    if let Some((job, expr)) = &app.filter.running {
        parts.push(Span::raw(format!(
            "{SEPARATOR}filtering {}% (Esc cancels): {}",
            job.percent(),
            for_terminal(expr)
        )));
    } else if !app.filter.applied.is_empty() {
        parts.push(Span::raw(format!(
            "{SEPARATOR}filter: {}",
            for_terminal(&app.filter.applied)
        )));
    }
    if let Some(job) = &app.search.running {
        parts.push(Span::raw(format!(
            "{SEPARATOR}searching {}%",
            job.percent()
        )));
    }
    let skipped = session.issue_count();
    if skipped > 0 {
        parts.push(Span::styled(
            format!("{SEPARATOR}{skipped} damaged regions skipped"),
            theme.status.add_modifier(Modifier::BOLD),
        ));
    }
    parts.push(Span::raw(format!("{SEPARATOR}{}", app.file_name)));
    frame.render_widget(Paragraph::new(Line::from(parts)).style(theme.status), area);
}

/// The filter error under the status bar: message, column, what was expected.
pub fn render_problem(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let Some(problem) = &app.filter.error else {
        return;
    };
    let text = app.filter.input.text();
    let column = text
        .get(..problem.span.start.min(text.len()))
        .map_or(0, |before| before.chars().count())
        + 1;
    let mut message = format!("✗ {} (column {column})", problem.message);
    match problem.expected.as_slice() {
        [] => {}
        [one] => message.push_str(&format!("; expected {one}")),
        many => message.push_str(&format!("; expected one of {}", many.join(", "))),
    }
    if let Some(suggestion) = &problem.suggestion {
        message.push_str(&format!("; did you mean `{suggestion}`?"));
    }
    frame.render_widget(
        Paragraph::new(Line::styled(
            for_terminal(&message).into_owned(),
            theme.invalid,
        )),
        area,
    );
}

pub fn render_bottom(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let (prompt, line, style) = match app.bar {
        Bar::Filter => {
            let (mark, style) = if !app.filter.ready {
                ("Filter … ", Style::default())
            } else if app.filter.error.is_some() {
                ("Filter ✗ ", theme.invalid)
            } else {
                ("Filter ✓ ", theme.valid)
            };
            (mark, &app.filter.input, style)
        }
        Bar::Search => ("/", &app.search.input, Style::default()),
        Bar::Goto => (":", &app.goto, Style::default()),
        Bar::None => {
            frame.render_widget(Paragraph::new(idle_line(app, theme)), area);
            return;
        }
    };
    // Shown sanitized; the cursor column counts the sanitized text before it.
    let before: String = line.text().chars().take(line.cursor()).collect();
    let shown = for_terminal(line.text()).into_owned();
    let cursor_x = Span::raw(prompt).width() + Span::raw(for_terminal(&before)).width();
    let mut spans = vec![Span::styled(prompt, theme.key), Span::styled(shown, style)];
    match &app.message {
        Some(Message::Info(text)) => {
            spans.push(Span::styled(
                format!("   {}", for_terminal(text)),
                theme.dim,
            ));
        }
        Some(Message::Error(text)) => {
            spans.push(Span::styled(
                format!("   {}", for_terminal(text)),
                theme.invalid,
            ));
        }
        None if app.bar == Bar::Goto => spans.push(Span::styled(
            "   frame number, +seconds, HH:MM:SS or YYYY-MM-DDTHH:MM:SS (UTC)",
            theme.dim,
        )),
        None => {}
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    let x = area
        .x
        .saturating_add(u16::try_from(cursor_x).unwrap_or(u16::MAX));
    if x < area.x.saturating_add(area.width) {
        frame.set_cursor_position(Position::new(x, area.y));
    }
}

/// A message when there is one, else the key hints of the current mode.
fn idle_line(app: &App, theme: &Theme) -> Line<'static> {
    match &app.message {
        Some(Message::Info(text)) => Line::styled(format!(" {}", for_terminal(text)), theme.dim),
        Some(Message::Error(text)) => {
            Line::styled(format!(" {}", for_terminal(text)), theme.invalid)
        }
        None => {
            let mut spans = Vec::new();
            let help_open = matches!(app.overlay, Overlay::Help { .. });
            for (key, label) in hints(key_mode(app)) {
                if help_open && label == "filter by it" {
                    continue;
                }
                spans.push(Span::styled(format!(" {key}"), theme.key));
                spans.push(Span::raw(format!(" {label} ")));
            }
            Line::from(spans)
        }
    }
}
