//! Overlays: the help (generated from the key map) and the list views.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Row, Table, Wrap};

use super::Theme;
use crate::timeline::Timeline;
use crate::tui::action::help_sections;
use crate::tui::app::{App, ViewKind};
use crate::tui::columns::{TimeFormat, format_time, time_of_day};
use crate::tui::layout::list_offset;
use etl::sanitize::for_terminal;

pub fn render_help(frame: &mut Frame, area: Rect, scroll: usize, theme: &Theme) {
    let width = area.width.min(64);
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y,
        width,
        area.height,
    );
    let mut lines: Vec<Line> = Vec::new();
    for (mode, entries) in help_sections() {
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(mode.title(), theme.header));
        for (keys, description) in entries {
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<19}"), theme.key),
                Span::raw(description),
            ]));
        }
    }
    let visible = usize::from(popup.height.saturating_sub(2));
    let scroll = scroll.min(lines.len().saturating_sub(visible));
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(visible).collect();
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(shown).block(
            Block::bordered()
                .border_style(theme.focused_border)
                .title(" Keys ")
                .title_bottom(
                    Line::from(" j/k scroll · Esc or ? closes ").alignment(Alignment::Right),
                ),
        ),
        popup,
    );
}

pub fn render_view(
    app: &App,
    session: &Timeline,
    kind: ViewKind,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
) {
    let tab = |label: &'static str, key: &str, this: ViewKind| {
        let text = format!(" {label} ({key}) ");
        if this == kind {
            Span::styled(text, theme.selected)
        } else {
            Span::raw(text)
        }
    };
    let block = Block::bordered()
        .border_style(theme.focused_border)
        .title(Line::from(vec![
            tab("Processes", "p", ViewKind::Processes),
            tab("Providers", "P", ViewKind::Providers),
            tab("Requests", "r", ViewKind::Requests),
        ]))
        .title_bottom(Line::from(" Enter filters by it · Esc closes ").alignment(Alignment::Right));
    frame.render_widget(Clear, area);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let visible = usize::from(inner.height.saturating_sub(1));
    let offset = list_offset(app.views.cursor, visible);
    let pending = |what: &str| {
        Paragraph::new(Line::styled(format!("counting {what}…"), theme.dim))
            .alignment(Alignment::Center)
    };
    match kind {
        ViewKind::Processes => {
            let Some(processes) = &app.views.processes else {
                frame.render_widget(pending("events per process"), inner);
                return;
            };
            // Full UTC times need 28 columns each; narrower screens get the time of day.
            let short = inner.width < 150 && app.time_format == TimeFormat::Absolute;
            let time_width = if short { 16 } else { 28 };
            let time = |frame_number: u32| {
                let text = session
                    .filetime(frame_number as usize)
                    .map(|t| format_time(app.time_format, t, app.first_filetime))
                    .unwrap_or_default();
                if short {
                    time_of_day(&text).to_string()
                } else {
                    text
                }
            };
            let rows = processes
                .iter()
                .enumerate()
                .skip(offset)
                .take(visible)
                .map(|(i, p)| {
                    let style = if i == app.views.cursor {
                        theme.selected
                    } else if p.failures > 0 {
                        theme.failure
                    } else {
                        ratatui::style::Style::default()
                    };
                    Row::new(vec![
                        for_terminal(&p.ut_process_name).into_owned(),
                        p.events.to_string(),
                        p.failures.to_string(),
                        p.warnings.to_string(),
                        time(p.first_frame),
                        time(p.last_frame),
                    ])
                    .style(style)
                });
            let widths = [
                Constraint::Fill(1),
                Constraint::Length(10),
                Constraint::Length(8),
                Constraint::Length(8),
                Constraint::Length(time_width),
                Constraint::Length(time_width),
            ];
            let header = Row::new(["Process", "Events", "Failures", "Warnings", "First", "Last"])
                .style(theme.header);
            frame.render_widget(Table::new(rows, widths).header(header), inner);
        }
        ViewKind::Providers => {
            let Some(providers) = &app.views.providers else {
                frame.render_widget(pending("events per provider"), inner);
                return;
            };
            let rows = providers
                .iter()
                .enumerate()
                .skip(offset)
                .take(visible)
                .map(|(i, p)| {
                    let top: Vec<String> = p
                        .by_event
                        .iter()
                        .take(6)
                        .map(|(id, _, count)| format!("{id}×{count}"))
                        .collect();
                    let style = if i == app.views.cursor {
                        theme.selected
                    } else {
                        ratatui::style::Style::default()
                    };
                    Row::new(vec![
                        for_terminal(&p.name).into_owned(),
                        p.events.to_string(),
                        top.join(" "),
                        for_terminal(&p.key).into_owned(),
                    ])
                    .style(style)
                });
            let widths = [
                Constraint::Fill(2),
                Constraint::Length(10),
                Constraint::Fill(2),
                Constraint::Length(38),
            ];
            let header = Row::new(["Provider", "Events", "Events by id (id×count)", "Key"])
                .style(theme.header);
            frame.render_widget(Table::new(rows, widths).header(header), inner);
        }
        ViewKind::Requests => {
            let Some(requests) = &app.views.requests else {
                frame.render_widget(pending("WinHTTP requests"), inner);
                return;
            };
            if requests.is_empty() {
                let text = "No WinHTTP requests in this trace (WinHttp events from a netsh \
                            InternetClient trace are needed).";
                frame.render_widget(
                    Paragraph::new(Line::styled(text, theme.dim)).wrap(Wrap { trim: true }),
                    inner,
                );
                return;
            }
            let rows = requests
                .iter()
                .enumerate()
                .skip(offset)
                .take(visible)
                .map(|(i, r)| {
                    use crate::analysis::correlate::Outcome as RequestOutcome;
                    let (outcome, failed) = match &r.outcome {
                        RequestOutcome::Ok(Some(status)) => (format!("{status}"), false),
                        RequestOutcome::Ok(None) => ("ok".to_string(), false),
                        RequestOutcome::Failed { code, symbol } => (
                            format!("{} ({code})", symbol.as_deref().unwrap_or("error")),
                            true,
                        ),
                        RequestOutcome::Unknown => ("?".to_string(), false),
                    };
                    let style = if i == app.views.cursor {
                        theme.selected
                    } else if failed {
                        theme.failure
                    } else {
                        ratatui::style::Style::default()
                    };
                    Row::new(vec![
                        r.start_frame.to_string(),
                        for_terminal(&r.process).into_owned(),
                        for_terminal(&request_cell(r)).into_owned(),
                        format!("{:.3} s", r.duration_secs),
                        outcome,
                    ])
                    .style(style)
                });
            let widths = [
                Constraint::Length(7),
                Constraint::Fill(1),
                Constraint::Fill(3),
                Constraint::Length(11),
                Constraint::Fill(2),
            ];
            let header = Row::new(["Frame", "Process", "Request", "Duration", "Outcome"])
                .style(theme.header);
            frame.render_widget(Table::new(rows, widths).header(header), inner);
        }
    }
}

/// `GET /reports/export.aspx -> web02.contoso.local (10.0.0.22:80)`, as much as is known.
fn request_cell(r: &crate::analysis::correlate::Request) -> String {
    let line = match (&r.verb, &r.path) {
        (Some(verb), Some(path)) => Some(format!("{verb} {path}")),
        (None, Some(path)) => Some(path.clone()),
        _ => None,
    };
    match (line, r.backend.display()) {
        (Some(line), Some(backend)) => format!("{line} -> {backend}"),
        (Some(line), None) => line,
        (None, Some(backend)) => backend,
        (None, None) => r.target.clone().unwrap_or_else(|| "-".to_string()),
    }
}
