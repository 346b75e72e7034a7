//! The event table: only the rows on screen are read and formatted.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::Theme;
use crate::fields::registry::{self, Builtin};
use crate::timeline::{Severity, Timeline};
use crate::tui::app::{App, Pane};
use crate::tui::columns::{RowCells, TimeFormat, format_offset, time_of_day};

/// Which columns fit: everything from 150 columns, the event name from 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Width {
    Narrow,
    Medium,
    Wide,
}

impl Width {
    fn of(columns: u16) -> Width {
        match columns {
            150.. => Width::Wide,
            100..150 => Width::Medium,
            _ => Width::Narrow,
        }
    }
}

pub fn render(app: &App, session: &Timeline, frame: &mut Frame, area: Rect, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let width = Width::of(area.width);
    let time_width = time_column_width(app, width);
    let frame_width = session.len().to_string().len().max(5) as u16;
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(frame_width),
        Constraint::Length(time_width),
    ];
    // Column titles are the field registry's labels.
    let title = |field: Builtin| registry::by_builtin(field).label;
    let mut titles = vec!["", title(Builtin::FrameNumber), title(Builtin::Timestamp)];
    let several = session.sources().len() > 1;
    if several {
        widths.push(Constraint::Length(source_column_width(session)));
        titles.push(title(Builtin::Source));
    }
    // Network Monitor's frame summary (frame, time, process, protocol, description) first;
    // event name, pid/tid and level when there is room.
    let (process, protocol, event) = match width {
        Width::Wide => (18, 31, 18),
        Width::Medium => (16, 24, 16),
        Width::Narrow => (14, 16, 0),
    };
    widths.push(Constraint::Length(process));
    titles.push(title(Builtin::UTProcessName));
    if width == Width::Wide {
        widths.push(Constraint::Length(11));
        titles.push("Pid/Tid");
    }
    widths.push(Constraint::Length(protocol));
    titles.push(title(Builtin::ProtocolName));
    if width != Width::Narrow {
        widths.push(Constraint::Length(event));
        titles.push(title(Builtin::EventName));
    }
    if width == Width::Wide {
        widths.push(Constraint::Length(5));
        titles.push(title(Builtin::Level));
    }
    widths.push(Constraint::Fill(1));
    titles.push(title(Builtin::Description));

    let header_style = if app.focus == Pane::Table {
        theme.header.add_modifier(Modifier::UNDERLINED)
    } else {
        theme.header
    };
    let header = Row::new(titles).style(header_style);

    let visible = usize::from(area.height.saturating_sub(1));
    let last = app.rows.len().min(app.offset.saturating_add(visible));
    let rows: Vec<Row> = (app.offset..last)
        .filter_map(|row| {
            let frame_number = app.rows.frame(row)?;
            let cells = RowCells::of(session, frame_number, app.time_format, app.first_filetime)?;
            let (marker, mut style) = match session.severity(frame_number) {
                Some(Severity::Failure) => ("!", theme.failure),
                Some(Severity::Warning) => ("~", theme.warning),
                None => (" ", Style::default()),
            };
            if row == app.selected {
                style = style.patch(theme.selected);
            }
            let short_time = width != Width::Wide && app.time_format == TimeFormat::Absolute;
            Some(Row::new(table_cells(cells, marker, width, short_time, several)).style(style))
        })
        .collect();
    let empty = rows.is_empty();
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        area,
    );
    if empty && area.height > 2 {
        let note = Rect::new(area.x, area.y + 2, area.width, 1);
        let text = if app.filter.applied.is_empty() {
            "no events".to_string()
        } else {
            "no events match the filter (f edits it)".to_string()
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme.dim)).alignment(Alignment::Center),
            note,
        );
    }
}

fn table_cells(
    cells: RowCells,
    marker: &'static str,
    width: Width,
    short_time: bool,
    several_sources: bool,
) -> Vec<Cell<'static>> {
    let time = if short_time {
        time_of_day(&cells.time).to_string()
    } else {
        cells.time
    };
    let mut out = vec![
        Cell::from(marker),
        Cell::from(Line::from(cells.frame).alignment(Alignment::Right)),
        Cell::from(time),
    ];
    if several_sources {
        out.push(Cell::from(cells.source));
    }
    out.push(Cell::from(cells.process));
    if width == Width::Wide {
        out.push(Cell::from(cells.pid_tid));
    }
    out.push(Cell::from(cells.protocol));
    if width != Width::Narrow {
        out.push(Cell::from(cells.event));
    }
    if width == Width::Wide {
        out.push(Cell::from(cells.level));
    }
    out.push(Cell::from(cells.description));
    out
}

/// The longest source label, within 8 to 24 columns.
fn source_column_width(session: &Timeline) -> u16 {
    let longest = session
        .sources()
        .iter()
        .map(|s| s.meta.label.chars().count())
        .max()
        .unwrap_or(0);
    longest.clamp(8, 24) as u16
}

/// Absolute times take 28 columns (16 for the time of day on narrower screens); offsets as
/// many as the last offset needs.
fn time_column_width(app: &App, width: Width) -> u16 {
    match (app.time_format, width) {
        (TimeFormat::Absolute, Width::Wide) => 28,
        (TimeFormat::Absolute, _) => 16,
        (TimeFormat::Offset, _) => {
            let longest = format_offset(app.last_filetime, app.first_filetime);
            longest.len().max(9) as u16
        }
    }
}
