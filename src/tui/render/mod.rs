//! `render(&App, &mut Frame)`: draws the state, nothing else. Only the rows on screen are
//! read from the session.

mod bars;
mod detail;
mod overlay;
mod table;
mod timeline;

use std::sync::atomic::Ordering;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Gauge, Paragraph};

use super::app::{App, Message, Overlay};

/// Styles, with a monochrome variant for `NO_COLOR` that relies on bold, reverse and
/// underline plus the text markers every row and bar carries anyway.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub failure: Style,
    pub warning: Style,
    pub selected: Style,
    pub header: Style,
    pub border: Style,
    pub focused_border: Style,
    pub valid: Style,
    pub invalid: Style,
    pub dim: Style,
    pub status: Style,
    pub window: Style,
    pub key: Style,
}

impl Theme {
    pub fn new(no_color: bool) -> Theme {
        let plain = Style::default();
        let bold = plain.add_modifier(Modifier::BOLD);
        let reversed = plain.add_modifier(Modifier::REVERSED);
        if no_color {
            return Theme {
                failure: bold,
                warning: plain.add_modifier(Modifier::UNDERLINED),
                selected: reversed,
                header: bold,
                border: plain,
                focused_border: bold,
                valid: plain,
                invalid: plain.add_modifier(Modifier::UNDERLINED),
                dim: plain,
                status: reversed,
                window: reversed,
                key: bold,
            };
        }
        Theme {
            failure: plain.fg(Color::Red),
            warning: plain.fg(Color::Yellow),
            selected: reversed,
            header: bold.fg(Color::Cyan),
            border: plain.fg(Color::DarkGray),
            focused_border: plain.fg(Color::Cyan),
            valid: plain.fg(Color::Green),
            invalid: plain.fg(Color::Red),
            dim: plain.fg(Color::DarkGray),
            status: plain.fg(Color::Black).bg(Color::Cyan),
            window: plain.bg(Color::DarkGray),
            key: bold.fg(Color::Cyan),
        }
    }
}

/// Draws the whole screen.
pub fn render(app: &App, frame: &mut Frame) {
    let theme = Theme::new(app.no_color);
    let Some(session) = app.session.as_deref() else {
        render_loading(app, frame, &theme);
        return;
    };
    let layout = app.layout();
    table::render(app, session, frame, layout.table, &theme);
    if let Some(area) = layout.detail {
        detail::render_tree(app, frame, area, &theme);
    }
    if let Some(area) = layout.hex {
        detail::render_hex(app, frame, area, &theme);
    }
    timeline::render(app, session, frame, layout.timeline, &theme);
    bars::render_status(app, session, frame, layout.status, &theme);
    if let Some(area) = layout.problem {
        bars::render_problem(app, frame, area, &theme);
    }
    bars::render_bottom(app, frame, layout.bottom, &theme);
    match app.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => overlay::render_help(frame, layout.overlay, scroll, &theme),
        Overlay::View(kind) => {
            overlay::render_view(app, session, kind, frame, layout.overlay, &theme)
        }
    }
}

fn render_loading(app: &App, frame: &mut Frame, theme: &Theme) {
    let area = frame.area();
    let done = app.load.done.load(Ordering::Relaxed);
    let total = app.load.total.load(Ordering::Relaxed);
    let ratio = if total == 0 {
        0.0
    } else {
        (done as f64 / total as f64).clamp(0.0, 1.0)
    };
    let [_, title, gauge, note, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(area);
    let width = area.width.saturating_sub(8).min(60);
    let centered = |r: Rect| {
        Rect::new(
            r.x + r.width.saturating_sub(width) / 2,
            r.y,
            width.min(r.width),
            r.height,
        )
    };
    frame.render_widget(
        Paragraph::new(Line::from(format!("Opening {}", app.file_name)))
            .alignment(Alignment::Center),
        title,
    );
    frame.render_widget(
        Gauge::default()
            .ratio(ratio)
            .label(format!("{} of {} MiB", done >> 20, total >> 20))
            .gauge_style(theme.header),
        centered(gauge),
    );
    let text = match &app.message {
        Some(Message::Error(problem)) => problem.clone(),
        _ => "indexing the trace; q quits".to_string(),
    };
    frame.render_widget(
        Paragraph::new(Line::styled(text, theme.dim)).alignment(Alignment::Center),
        note,
    );
}
