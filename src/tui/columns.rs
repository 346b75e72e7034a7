//! The event table's columns as text: shared by the table renderer and the search worker, so
//! search matches exactly what is on screen.

use crate::export::EventRow;
use crate::timeline::Timeline;
use etl::format_filetime;
use etl::sanitize::for_terminal;

/// How the time column is shown (`t` toggles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    /// UTC, ISO-8601 with 100 ns digits.
    Absolute,
    /// Seconds since the first event, 7 decimals (Network Monitor's Time Offset).
    Offset,
}

impl TimeFormat {
    pub fn toggled(self) -> TimeFormat {
        match self {
            TimeFormat::Absolute => TimeFormat::Offset,
            TimeFormat::Offset => TimeFormat::Absolute,
        }
    }
}

/// FILETIME ticks (100 ns) per second.
pub const TICKS_PER_SECOND: i64 = 10_000_000;

/// Seconds since `first` with 7 decimals, computed in integers so no digit is invented.
pub fn format_offset(filetime: i64, first: i64) -> String {
    let delta = i128::from(filetime) - i128::from(first);
    let sign = if delta < 0 { "-" } else { "" };
    let magnitude = delta.unsigned_abs();
    let ticks = TICKS_PER_SECOND as u128;
    format!("{sign}{}.{:07}", magnitude / ticks, magnitude % ticks)
}

/// A time in the chosen format.
pub fn format_time(format: TimeFormat, filetime: i64, first: i64) -> String {
    match format {
        TimeFormat::Absolute => format_filetime(filetime),
        TimeFormat::Offset => format_offset(filetime, first),
    }
}

/// The time of day part (`HH:MM:SS.fffffff`) of an absolute time, for narrow screens.
pub fn time_of_day(absolute: &str) -> &str {
    absolute.get(11..27).unwrap_or(absolute)
}

/// Short name of an ETW level.
pub fn level_name(level: u8) -> String {
    match level {
        0 => "-".to_string(),
        1 => "crit".to_string(),
        2 => "error".to_string(),
        3 => "warn".to_string(),
        4 => "info".to_string(),
        5 => "verb".to_string(),
        n => n.to_string(),
    }
}

/// One table row, every cell already sanitized for the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowCells {
    /// 1-based frame number.
    pub frame: String,
    pub time: String,
    /// UTProcessName: `name (pid)`, `(pid)`, or `-`.
    pub process: String,
    pub pid_tid: String,
    /// ProtocolName, provider name, or provider GUID.
    pub protocol: String,
    pub event: String,
    pub level: String,
    pub description: String,
    /// The source's label (empty with one source).
    pub source: String,
}

impl RowCells {
    /// Builds the cells from an output row, with the fallbacks of the text export.
    pub fn from_row(row: &EventRow, time: String) -> RowCells {
        let process = row.process_label();
        let pid_tid = match (row.pid, row.tid) {
            (Some(p), Some(t)) => format!("{p}/{t}"),
            (Some(p), None) => format!("{p}/-"),
            (None, Some(t)) => format!("-/{t}"),
            (None, None) => "-".to_string(),
        };
        let protocol = row.protocol_label();
        let event = row.event_label();
        let description = row.description();
        let clean = |s: &str| for_terminal(s).into_owned();
        RowCells {
            frame: row.frame.to_string(),
            time: clean(&time),
            process: clean(&process),
            pid_tid,
            protocol: clean(&protocol),
            event: clean(&event),
            level: level_name(row.level),
            description: clean(&description),
            source: row.source.as_deref().map(clean).unwrap_or_default(),
        }
    }

    /// The cells of event `frame` (0-based) with its time in `format`.
    pub fn of(
        session: &Timeline,
        frame: usize,
        format: TimeFormat,
        first: i64,
    ) -> Option<RowCells> {
        let row = session.row(frame)?;
        let time = session
            .filetime(frame)
            .map(|ft| format_time(format, ft, first))
            .unwrap_or_else(|| row.time.clone());
        Some(RowCells::from_row(&row, time))
    }

    /// True when any cell contains `needle_lowercase` (already lower-cased), ignoring case.
    pub fn contains(&self, needle_lowercase: &str) -> bool {
        [
            &self.frame,
            &self.time,
            &self.process,
            &self.pid_tid,
            &self.protocol,
            &self.event,
            &self.level,
            &self.description,
        ]
        .iter()
        .any(|cell| cell.to_lowercase().contains(needle_lowercase))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::DecodedPart;

    fn row() -> EventRow {
        EventRow {
            frame: 7,
            time: "2024-01-01T00:00:00.0000000Z".to_string(),
            ts: 0,
            provider: Some("7d44233d-3055-4b9c-ba64-0d47ca40a232".to_string()),
            id: 1,
            version: 0,
            channel: 0,
            opcode: 0,
            level: 2,
            task: 0,
            keyword: "0x0".to_string(),
            pid: Some(1432),
            tid: Some(7),
            cpu: 0,
            header: "EVENT_HEADER64",
            hook: None,
            decoded: DecodedPart::default(),
            source: None,
        }
    }

    #[test]
    fn offsets_have_seven_decimals_without_rounding() {
        assert_eq!(
            format_offset(133_485_408_326_380_453, 133_485_408_000_000_000),
            "32.6380453"
        );
        assert_eq!(format_offset(5, 5), "0.0000000");
        assert_eq!(format_offset(0, 10_000_001), "-1.0000001");
        assert_eq!(format_offset(i64::MAX, i64::MIN), "1844674407370.9551615");
    }

    #[test]
    fn time_of_day_cuts_the_date_and_zone() {
        assert_eq!(
            time_of_day("2024-01-01T14:32:22.6380453Z"),
            "14:32:22.6380453"
        );
        assert_eq!(time_of_day("filetime:-1"), "filetime:-1");
    }

    #[test]
    fn cells_fall_back_like_the_text_export() {
        let cells = RowCells::from_row(&row(), "0.0000000".to_string());
        assert_eq!(cells.process, "(1432)");
        assert_eq!(cells.pid_tid, "1432/7");
        assert_eq!(cells.protocol, "7d44233d-3055-4b9c-ba64-0d47ca40a232");
        assert_eq!(cells.event, "id 1 op 0");
        assert_eq!(cells.level, "error");
        assert_eq!(cells.description, "");
        assert!(cells.contains("7d44233d"));
        assert!(!cells.contains("w3wp"));
    }

    #[test]
    fn decoded_parts_win_and_are_sanitized() {
        let mut r = row();
        r.decoded.process = Some("w3wp.exe (1432)".to_string());
        r.decoded.protocol = Some("WINHTTP_MicrosoftWindowsWinHttp".to_string());
        r.decoded.event_name = Some("Trace".into());
        r.decoded.message = Some("evil\x1b[2Jline\nnext".to_string());
        let cells = RowCells::from_row(&r, "t".to_string());
        assert_eq!(cells.process, "w3wp.exe (1432)");
        assert_eq!(cells.protocol, "WINHTTP_MicrosoftWindowsWinHttp");
        assert_eq!(cells.description, "evil\\u{001B}[2Jline\\nnext");
        assert!(cells.contains("winhttp_microsoft"));
        let fields = crate::export::RowFields(vec![
            (
                "Error".to_string(),
                decode::value::Value::UInt {
                    value: 12002,
                    width: 4,
                    format: decode::value::IntFormat::Win32Error,
                },
            ),
            (
                "Api".to_string(),
                decode::value::Value::String("Send".to_string()),
            ),
        ]);
        r.decoded.message = None;
        r.decoded.fields = Some(fields);
        assert_eq!(
            RowCells::from_row(&r, String::new()).description,
            "Error=12002 Api=Send"
        );
    }
}
