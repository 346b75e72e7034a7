//! Writers for the text formats: JSONL, CSV and the one-line text summary.

use std::io::{self, Write};

use super::row::EventRow;
use crate::sanitize;

/// Output formats for printed and exported events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One line per event: frame, time, process, protocol, event, description.
    Text,
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// A filtered ETW trace (export only).
    Etl,
    /// pcapng of the packet frames (export only).
    Pcapng,
}

/// CSV columns, in order.
pub const CSV_COLUMNS: [&str; 23] = [
    "frame",
    "time",
    "ts",
    "provider",
    "id",
    "version",
    "channel",
    "opcode",
    "level",
    "task",
    "keyword",
    "pid",
    "tid",
    "cpu",
    "header",
    "hook",
    "provider_name",
    "event_name",
    "process",
    "protocol",
    "message",
    "decoded_by",
    "fields",
];

/// Writes rows in one of the line formats.
pub struct RowWriter<W: Write> {
    format: Format,
    csv: Option<csv::Writer<W>>,
    out: Option<W>,
}

impl<W: Write> RowWriter<W> {
    pub fn new(format: Format, out: W) -> io::Result<RowWriter<W>> {
        if format == Format::Csv {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record(CSV_COLUMNS).map_err(io::Error::other)?;
            return Ok(RowWriter {
                format,
                csv: Some(csv),
                out: None,
            });
        }
        Ok(RowWriter {
            format,
            csv: None,
            out: Some(out),
        })
    }

    pub fn write(&mut self, row: &EventRow) -> io::Result<()> {
        match (self.format, &mut self.csv, &mut self.out) {
            (Format::Csv, Some(csv), _) => {
                csv.write_record(csv_record(row))
                    .map_err(|e| match e.into_kind() {
                        csv::ErrorKind::Io(io) => io,
                        other => io::Error::other(format!("{other:?}")),
                    })
            }
            (Format::Jsonl, _, Some(out)) => {
                serde_json::to_writer(&mut *out, row).map_err(io::Error::other)?;
                out.write_all(b"\n")
            }
            (_, _, Some(out)) => writeln!(out, "{}", text_line(row)),
            _ => Ok(()),
        }
    }

    pub fn finish(self) -> io::Result<()> {
        if let Some(mut csv) = self.csv {
            csv.flush()?;
        }
        if let Some(mut out) = self.out {
            out.flush()?;
        }
        Ok(())
    }
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn csv_record(r: &EventRow) -> Vec<String> {
    let d = &r.decoded;
    let text = |s: &Option<String>| sanitize::for_csv_cell(s.as_deref().unwrap_or("")).into_owned();
    vec![
        r.frame.to_string(),
        r.time.clone(),
        r.ts.to_string(),
        opt(&r.provider),
        r.id.to_string(),
        r.version.to_string(),
        r.channel.to_string(),
        r.opcode.to_string(),
        r.level.to_string(),
        r.task.to_string(),
        r.keyword.clone(),
        opt(&r.pid),
        opt(&r.tid),
        r.cpu.to_string(),
        r.header.to_string(),
        opt(&r.hook),
        text(&d.provider_name),
        text(&d.event_name),
        text(&d.process),
        text(&d.protocol),
        text(&d.message),
        d.decoded_by.unwrap_or("").to_string(),
        d.fields
            .as_ref()
            .map(|f| {
                sanitize::for_csv_cell(&serde_json::Value::Object(f.clone()).to_string())
                    .into_owned()
            })
            .unwrap_or_default(),
    ]
}

/// The Network Monitor-like summary line.
pub fn text_line(r: &EventRow) -> String {
    let line = format!(
        "{:>7} {} {:<22} {:<40} {:<28} {}",
        r.frame,
        r.time,
        r.process_label(),
        r.protocol_label(),
        r.event_label(),
        r.description()
    );
    sanitize::for_terminal(line.trim_end()).into_owned()
}
