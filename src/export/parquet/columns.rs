//! The Parquet schema of an event row and the Arrow builders that collect rows into a
//! [`RecordBatch`].
//!
//! Types are chosen for every engine that reads the files: times are microsecond UTC
//! timestamps (Spark and Trino read those; nanoseconds they do not), with the exact 100 ns
//! FILETIME beside them; identifiers that can exceed `i32` are `Int64`; the keyword mask and
//! handles are `UInt64` (DuckDB `UBIGINT`, Spark `DECIMAL(20,0)`).

use std::sync::{Arc, LazyLock};

use arrow_array::builder::{
    Int32Builder, Int64Builder, StringBuilder, TimestampMicrosecondBuilder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};

use super::SourceRow;
use decode::trace_text;
use etl::ProviderId;

/// FILETIME (100 ns since 1601) of the Unix epoch.
const UNIX_EPOCH_FILETIME: i64 = 116_444_736_000_000_000;

/// Microseconds since the Unix epoch of a FILETIME, rounded down (so the microsecond shown
/// is the one the event happened in, as the ISO text `...123456 7Z` truncates to `...123456Z`).
pub fn filetime_to_unix_micros(filetime: i64) -> i64 {
    (filetime - UNIX_EPOCH_FILETIME).div_euclid(10)
}

fn utc() -> Arc<str> {
    Arc::from("UTC")
}

/// The columns, in file order.
pub static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    use DataType::{Int32, Int64, UInt64, Utf8};
    let f = |name: &str, ty: DataType, nullable: bool| Field::new(name, ty, nullable);
    Arc::new(Schema::new(vec![
        f(
            "time",
            DataType::Timestamp(TimeUnit::Microsecond, Some(utc())),
            false,
        ),
        f("filetime", Int64, false),
        f("frame", Int64, false),
        f("source_file", Utf8, false),
        f("computer", Utf8, false),
        f("provider_key", Utf8, false),
        f("provider_guid", Utf8, true),
        f("provider_name", Utf8, true),
        f("event_id", Int32, false),
        f("version", Int32, false),
        f("channel", Int32, false),
        f("opcode", Int32, false),
        f("level", Int32, false),
        f("task", Int32, false),
        f("keyword", UInt64, false),
        f("pid", Int64, true),
        f("tid", Int64, true),
        f("cpu", Int32, false),
        f("header", Utf8, false),
        f("hook", Int32, true),
        f("process", Utf8, true),
        f("protocol", Utf8, true),
        f("event_name", Utf8, true),
        f("message", Utf8, true),
        f("decoded_by", Utf8, true),
        f("decode_error", Utf8, true),
        f("component", Utf8, true),
        f("handle", UInt64, true),
        f("error_code", Int64, true),
        f("error_symbol", Utf8, true),
        f("mapped_from", Int64, true),
        f("mapped_to", Int64, true),
        f("src", Utf8, true),
        f("dst", Utf8, true),
        f("src_port", Int32, true),
        f("dst_port", Int32, true),
        f("ip_proto", Utf8, true),
        f("fields", Utf8, true),
    ]))
});

/// WinHTTP/WebIO trace-text columns read from an event's message.
#[derive(Debug, Default, PartialEq)]
struct TraceTextColumns<'a> {
    component: Option<&'a str>,
    handle: Option<u64>,
    error_code: Option<u32>,
    error_symbol: Option<&'a str>,
    mapped_from: Option<u32>,
    mapped_to: Option<u32>,
}

fn trace_text_columns(message: &str) -> TraceTextColumns<'_> {
    // Only trace text has `::` (`12:32:23.123 ::*0000001* :: ...`); skip the parse otherwise.
    if !message.contains("::") {
        return TraceTextColumns::default();
    }
    let line = trace_text::parse_line(message);
    let error_code = trace_text::error_code(&line);
    let written_symbol = match (&line.mapping, &line.returning) {
        (Some(m), _) => m.to_symbol,
        (None, Some(r)) => r.symbol,
        (None, None) => line
            .errors
            .iter()
            .find(|t| Some(t.code) == error_code)
            .and_then(|t| t.display_symbol()),
    };
    let error_symbol = written_symbol.or_else(|| {
        error_code
            .and_then(trace_text::describe_code)
            .map(|row| row.symbol)
    });
    TraceTextColumns {
        component: line.component,
        handle: line.handle,
        error_code,
        error_symbol,
        mapped_from: line.mapping.as_ref().map(|m| m.from_code),
        mapped_to: line.mapping.as_ref().map(|m| m.to_code),
    }
}

/// Column builders for one batch of rows.
pub struct BatchBuilder<'s> {
    /// `(source_file, computer)` by source index.
    sources: &'s [(String, String)],
    time: TimestampMicrosecondBuilder,
    filetime: Int64Builder,
    frame: Int64Builder,
    source_files: StringBuilder,
    computers: StringBuilder,
    provider_key: StringBuilder,
    provider_guid: StringBuilder,
    provider_name: StringBuilder,
    event_id: Int32Builder,
    version: Int32Builder,
    channel: Int32Builder,
    opcode: Int32Builder,
    level: Int32Builder,
    task: Int32Builder,
    keyword: UInt64Builder,
    pid: Int64Builder,
    tid: Int64Builder,
    cpu: Int32Builder,
    header: StringBuilder,
    hook: Int32Builder,
    process: StringBuilder,
    protocol: StringBuilder,
    event_name: StringBuilder,
    message: StringBuilder,
    decoded_by: StringBuilder,
    decode_error: StringBuilder,
    component: StringBuilder,
    handle: UInt64Builder,
    error_code: Int64Builder,
    error_symbol: StringBuilder,
    mapped_from: Int64Builder,
    mapped_to: Int64Builder,
    src: StringBuilder,
    dst: StringBuilder,
    src_port: Int32Builder,
    dst_port: Int32Builder,
    ip_proto: StringBuilder,
    fields: StringBuilder,
    /// Reused buffer for the JSON of the decoded fields.
    json: Vec<u8>,
    rows: usize,
}

impl<'s> BatchBuilder<'s> {
    pub fn new(sources: &'s [(String, String)], capacity: usize) -> BatchBuilder<'s> {
        let text = || StringBuilder::with_capacity(capacity, capacity * 16);
        let i32s = || Int32Builder::with_capacity(capacity);
        let i64s = || Int64Builder::with_capacity(capacity);
        let u64s = || UInt64Builder::with_capacity(capacity);
        BatchBuilder {
            sources,
            time: TimestampMicrosecondBuilder::with_capacity(capacity).with_timezone(utc()),
            filetime: i64s(),
            frame: i64s(),
            source_files: text(),
            computers: text(),
            provider_key: StringBuilder::with_capacity(capacity, capacity * 36),
            provider_guid: StringBuilder::with_capacity(capacity, capacity * 36),
            provider_name: text(),
            event_id: i32s(),
            version: i32s(),
            channel: i32s(),
            opcode: i32s(),
            level: i32s(),
            task: i32s(),
            keyword: u64s(),
            pid: i64s(),
            tid: i64s(),
            cpu: i32s(),
            header: text(),
            hook: i32s(),
            process: text(),
            protocol: text(),
            event_name: text(),
            message: StringBuilder::with_capacity(capacity, capacity * 64),
            decoded_by: text(),
            decode_error: text(),
            component: text(),
            handle: u64s(),
            error_code: i64s(),
            error_symbol: text(),
            mapped_from: i64s(),
            mapped_to: i64s(),
            src: text(),
            dst: text(),
            src_port: i32s(),
            dst_port: i32s(),
            ip_proto: text(),
            fields: StringBuilder::with_capacity(capacity, capacity * 256),
            json: Vec::with_capacity(256),
            rows: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends one row.
    pub fn push(&mut self, r: &SourceRow) {
        let row = &r.row;
        let d = &row.decoded;
        self.time.append_value(filetime_to_unix_micros(r.filetime));
        self.filetime.append_value(r.filetime);
        self.frame.append_value(row.frame as i64);
        let (file, computer) = self
            .sources
            .get(r.source)
            .map_or(("", ""), |(f, c)| (f.as_str(), c.as_str()));
        self.source_files.append_value(file);
        self.computers.append_value(computer);
        match (r.provider, row.provider.as_deref()) {
            // The key of a GUID provider is its GUID, already formatted for the row.
            (ProviderId::Guid(_) | ProviderId::WppMessage(_), Some(guid)) => {
                self.provider_key.append_value(guid)
            }
            (other, _) => self.provider_key.append_value(other.key()),
        }
        self.provider_guid.append_option(row.provider.as_deref());
        self.provider_name.append_option(d.provider_name.as_deref());
        self.event_id.append_value(i32::from(row.id));
        self.version.append_value(i32::from(row.version));
        self.channel.append_value(i32::from(row.channel));
        self.opcode.append_value(i32::from(row.opcode));
        self.level.append_value(i32::from(row.level));
        self.task.append_value(i32::from(row.task));
        self.keyword.append_value(r.keyword);
        self.pid.append_option(row.pid.map(i64::from));
        self.tid.append_option(row.tid.map(i64::from));
        self.cpu.append_value(i32::from(row.cpu));
        self.header.append_value(row.header);
        self.hook.append_option(r.hook.map(i32::from));
        self.process.append_option(d.process.as_deref());
        self.protocol.append_option(d.protocol.as_deref());
        self.event_name.append_option(d.event_name.as_deref());
        self.message.append_option(d.message.as_deref());
        self.decoded_by.append_option(d.decoded_by);
        self.decode_error.append_option(d.decode_error.as_deref());

        let text = d
            .message
            .as_deref()
            .map(trace_text_columns)
            .unwrap_or_default();
        self.component.append_option(text.component);
        self.handle.append_option(text.handle);
        self.error_code
            .append_option(text.error_code.map(i64::from));
        self.error_symbol.append_option(text.error_symbol);
        self.mapped_from
            .append_option(text.mapped_from.map(i64::from));
        self.mapped_to.append_option(text.mapped_to.map(i64::from));

        let packet = r.packet.as_ref();
        self.src.append_option(packet.map(|p| p.src.as_str()));
        self.dst.append_option(packet.map(|p| p.dst.as_str()));
        self.src_port
            .append_option(packet.and_then(|p| p.src_port).map(i32::from));
        self.dst_port
            .append_option(packet.and_then(|p| p.dst_port).map(i32::from));
        self.ip_proto
            .append_option(packet.map(|p| p.ip_proto.as_str()));

        match &d.fields {
            Some(fields) => {
                self.json.clear();
                match serde_json::to_writer(&mut self.json, fields) {
                    // serde_json writes UTF-8 only.
                    Ok(()) => self
                        .fields
                        .append_option(std::str::from_utf8(&self.json).ok()),
                    Err(_) => self.fields.append_null(),
                }
            }
            None => self.fields.append_null(),
        }
        self.rows += 1;
    }

    /// The rows so far as one batch; the builders start empty again.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        self.rows = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.time.finish()),
            Arc::new(self.filetime.finish()),
            Arc::new(self.frame.finish()),
            Arc::new(self.source_files.finish()),
            Arc::new(self.computers.finish()),
            Arc::new(self.provider_key.finish()),
            Arc::new(self.provider_guid.finish()),
            Arc::new(self.provider_name.finish()),
            Arc::new(self.event_id.finish()),
            Arc::new(self.version.finish()),
            Arc::new(self.channel.finish()),
            Arc::new(self.opcode.finish()),
            Arc::new(self.level.finish()),
            Arc::new(self.task.finish()),
            Arc::new(self.keyword.finish()),
            Arc::new(self.pid.finish()),
            Arc::new(self.tid.finish()),
            Arc::new(self.cpu.finish()),
            Arc::new(self.header.finish()),
            Arc::new(self.hook.finish()),
            Arc::new(self.process.finish()),
            Arc::new(self.protocol.finish()),
            Arc::new(self.event_name.finish()),
            Arc::new(self.message.finish()),
            Arc::new(self.decoded_by.finish()),
            Arc::new(self.decode_error.finish()),
            Arc::new(self.component.finish()),
            Arc::new(self.handle.finish()),
            Arc::new(self.error_code.finish()),
            Arc::new(self.error_symbol.finish()),
            Arc::new(self.mapped_from.finish()),
            Arc::new(self.mapped_to.finish()),
            Arc::new(self.src.finish()),
            Arc::new(self.dst.finish()),
            Arc::new(self.src_port.finish()),
            Arc::new(self.dst_port.finish()),
            Arc::new(self.ip_proto.finish()),
            Arc::new(self.fields.finish()),
        ];
        RecordBatch::try_new(SCHEMA.clone(), columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetimes_become_unix_microseconds_rounded_down() {
        assert_eq!(filetime_to_unix_micros(UNIX_EPOCH_FILETIME), 0);
        assert_eq!(filetime_to_unix_micros(UNIX_EPOCH_FILETIME + 19), 1);
        // Before 1970 the 100 ns remainder still rounds towards the earlier microsecond.
        assert_eq!(filetime_to_unix_micros(UNIX_EPOCH_FILETIME - 1), -1);
        assert_eq!(filetime_to_unix_micros(0), -11_644_473_600_000_000);
    }

    #[test]
    fn trace_text_columns_of_a_mapping_line() {
        let line = "12:32:43.456 ::*0000001* :: ERROR_WINHTTP_FROM_WIN32 mapped (WSAETIMEDOUT) 10060 to (ERROR_WINHTTP_TIMEOUT) 12002";
        let c = trace_text_columns(line);
        assert_eq!(c.error_code, Some(12002));
        assert_eq!(c.error_symbol, Some("ERROR_WINHTTP_TIMEOUT"));
        assert_eq!((c.mapped_from, c.mapped_to), (Some(10060), Some(12002)));
        assert_eq!(trace_text_columns("no trace text here"), Default::default());
    }

    #[test]
    fn an_unnamed_error_token_gets_the_table_symbol() {
        let c = trace_text_columns("12:32:43.456 ::*Session* :: send error = ? (10054)");
        assert_eq!(c.error_code, Some(10054));
        assert_eq!(c.error_symbol, Some("WSAECONNRESET"));
    }
}
