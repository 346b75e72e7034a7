//! The detail tree and the hex dump of the payload.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::Theme;
use crate::tui::app::{App, Pane};
use crate::tui::layout::{hex_bytes_per_line, list_offset};

fn pane_block<'a>(title: String, focused: bool, theme: &Theme) -> Block<'a> {
    let style = if focused {
        theme.focused_border
    } else {
        theme.border
    };
    let marker = if focused { "▶ " } else { "" };
    Block::bordered()
        .border_style(style)
        .title(format!(" {marker}{title} "))
}

pub fn render_tree(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let focused = app.focus == Pane::Detail;
    let title = match app.detail.frame {
        Some(f) => format!("Details · frame {}", f + 1),
        None => "Details".to_string(),
    };
    let block = pane_block(title, focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let visible = usize::from(inner.height);
    let offset = list_offset(app.detail.cursor, visible);
    let lines: Vec<Line> = app
        .detail
        .lines
        .iter()
        .enumerate()
        .skip(offset)
        .take(visible)
        .map(|(i, line)| {
            let indent = "  ".repeat(line.depth);
            let marker = match (line.expandable, line.expanded) {
                (true, true) => "▾ ",
                (true, false) => "▸ ",
                _ => "  ",
            };
            let base = if line.meaning.is_some() {
                theme.failure
            } else if line.depth == 0 {
                theme.header
            } else {
                Style::default()
            };
            let mut spans = vec![
                Span::raw(format!("{indent}{marker}")),
                Span::styled(line.name.clone(), base),
            ];
            if !line.value.is_empty() {
                spans.push(Span::styled(": ", base));
                spans.push(Span::styled(line.value.clone(), base));
            }
            if let Some(meaning) = &line.meaning {
                spans.push(Span::styled(format!("  ({meaning})"), theme.failure));
            }
            let mut rendered = Line::from(spans);
            if focused && i == app.detail.cursor {
                rendered = rendered.style(theme.selected);
            }
            rendered
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

pub fn render_hex(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let payload: &[u8] = app.detail.detail.as_ref().map_or(&[], |d| &d.payload);
    let block = pane_block(
        format!("Payload · {} bytes", payload.len()),
        app.focus == Pane::Hex,
        theme,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let per_line = hex_bytes_per_line(inner.width);
    let lines: Vec<Line> = payload
        .chunks(per_line)
        .enumerate()
        .skip(app.detail.hex_scroll)
        .take(usize::from(inner.height))
        .map(|(i, chunk)| Line::from(hex_line(i * per_line, chunk, per_line)))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// `0010  41 42 ...  AB..`: offset, bytes, printable ASCII (others as `.`).
pub fn hex_line(offset: usize, chunk: &[u8], per_line: usize) -> String {
    let mut out = format!("{offset:04x}  ");
    for i in 0..per_line {
        match chunk.get(i) {
            Some(b) => out.push_str(&format!("{b:02x} ")),
            None => out.push_str("   "),
        }
    }
    out.push(' ');
    out.extend(chunk.iter().map(|&b| {
        if b.is_ascii_graphic() || b == b' ' {
            char::from(b)
        } else {
            '.'
        }
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_lines_pad_short_chunks_and_hide_controls() {
        assert_eq!(
            hex_line(16, b"AB\x1b\n", 8),
            "0010  41 42 1b 0a              AB.."
        );
        assert_eq!(hex_line(0, b"", 4), "0000               ");
    }
}
