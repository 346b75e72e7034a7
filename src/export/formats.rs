//! Writers for the text formats: JSONL, CSV and the one-line text summary.

use std::io::{self, Write};

use crate::fields::row::EventRow;
use etl::sanitize;

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
    /// Apache Parquet, one typed row per event (export only; many traces into a folder).
    Parquet,
}

/// CSV columns of one file's export, in order (the field registry's CSV columns).
pub fn csv_columns() -> Vec<&'static str> {
    crate::fields::registry::csv_columns(false)
}

/// Writes rows in one of the line formats.
pub struct RowWriter<W: Write> {
    format: Format,
    csv: Option<csv::Writer<W>>,
    out: Option<W>,
    /// Reused for the JSON of each CSV row's fields.
    scratch: Vec<u8>,
}

impl<W: Write> RowWriter<W> {
    pub fn new(format: Format, out: W) -> io::Result<RowWriter<W>> {
        Self::new_for(format, out, false)
    }

    /// A writer for rows of a timeline with one or several sources (CSV then has a `source`
    /// column; the rows carry their source).
    pub fn new_for(format: Format, out: W, several_sources: bool) -> io::Result<RowWriter<W>> {
        let mut writer = Self::headerless(format, out);
        if let Some(csv) = &mut writer.csv {
            csv.write_record(crate::fields::registry::csv_columns(several_sources))
                .map_err(io::Error::other)?;
        }
        Ok(writer)
    }

    /// A writer that continues another's output: no CSV header row.
    pub fn headerless(format: Format, out: W) -> RowWriter<W> {
        if format == Format::Csv {
            let csv = csv::Writer::from_writer(out);
            return RowWriter {
                format,
                csv: Some(csv),
                out: None,
                scratch: Vec::new(),
            };
        }
        RowWriter {
            format,
            csv: None,
            out: Some(out),
            scratch: Vec::new(),
        }
    }

    pub fn write(&mut self, row: &EventRow) -> io::Result<()> {
        match (self.format, &mut self.csv, &mut self.out) {
            (Format::Csv, Some(csv), _) => {
                write_csv_record(csv, row, &mut self.scratch).map_err(|e| match e.into_kind() {
                    csv::ErrorKind::Io(io) => io,
                    other => io::Error::other(format!("{other:?}")),
                })
            }
            (Format::Jsonl, _, Some(out)) => {
                super::json::to_writer(&mut *out, row).map_err(io::Error::other)?;
                out.write_all(b"\n")
            }
            (_, _, Some(out)) => writeln!(out, "{}", text_line(row)),
            _ => Ok(()),
        }
    }

    pub fn finish(self) -> io::Result<()> {
        self.into_inner().map(drop)
    }

    /// Flushes and returns the output.
    pub fn into_inner(self) -> io::Result<W> {
        match (self.csv, self.out) {
            (Some(csv), _) => csv.into_inner().map_err(|e| e.into_error()),
            (None, Some(mut out)) => {
                out.flush()?;
                Ok(out)
            }
            (None, None) => Err(io::Error::other("row writer without output")),
        }
    }
}

/// Optional text as a safe CSV cell.
fn cell<T: std::ops::Deref<Target = str>>(text: &Option<T>) -> std::borrow::Cow<'_, str> {
    sanitize::for_csv_cell(text.as_deref().unwrap_or(""))
}

/// Writes one CSV record field by field: numbers through a stack buffer, text borrowed
/// unless it needs escaping (no list of owned cells per row).
fn write_csv_record<W: Write>(
    csv: &mut csv::Writer<W>,
    r: &EventRow,
    json: &mut Vec<u8>,
) -> csv::Result<()> {
    let mut number = itoa::Buffer::new();
    let d = &r.decoded;
    csv.write_field(number.format(r.frame))?;
    csv.write_field(&r.time)?;
    csv.write_field(number.format(r.ts))?;
    csv.write_field(r.provider.as_deref().unwrap_or(""))?;
    csv.write_field(number.format(r.id))?;
    csv.write_field(number.format(r.version))?;
    csv.write_field(number.format(r.channel))?;
    csv.write_field(number.format(r.opcode))?;
    csv.write_field(number.format(r.level))?;
    csv.write_field(number.format(r.task))?;
    csv.write_field(&r.keyword)?;
    match r.pid {
        Some(pid) => csv.write_field(number.format(pid))?,
        None => csv.write_field("")?,
    }
    match r.tid {
        Some(tid) => csv.write_field(number.format(tid))?,
        None => csv.write_field("")?,
    }
    csv.write_field(number.format(r.cpu))?;
    csv.write_field(r.header)?;
    csv.write_field(r.hook.as_deref().unwrap_or(""))?;
    csv.write_field(cell(&d.provider_name).as_ref())?;
    csv.write_field(cell(&d.event_name).as_ref())?;
    csv.write_field(cell(&d.process).as_ref())?;
    csv.write_field(cell(&d.protocol).as_ref())?;
    csv.write_field(cell(&d.message).as_ref())?;
    csv.write_field(d.decoded_by.unwrap_or(""))?;
    json.clear();
    // C1 and bidi controls escaped as in JSONL (export::json).
    if let Some(f) = &d.fields
        && super::json::to_writer(&mut *json, f).is_err()
    {
        json.clear();
    }
    // serde_json writes UTF-8 only.
    let fields = std::str::from_utf8(json).unwrap_or_default();
    csv.write_field(sanitize::for_csv_cell(fields).as_ref())?;
    if let Some(source) = &r.source {
        csv.write_field(sanitize::for_csv_cell(source).as_ref())?;
    }
    csv.write_record(None::<&[u8]>)
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
