//! Entry points for the cargo-fuzz targets in `fuzz/` and for `tests/fuzz_replay.rs`.
//!
//! Each function takes arbitrary bytes, drives one part of etlview the way the program does
//! and checks the promises that hold for every input (no panic, escaped text output, valid
//! JSON, events that were indexed can be read back). A broken promise panics, which is what
//! the fuzzer and the replay test look for. Work per call is bounded by the input size.

use decode::event_info::{MetadataTable, parse_event_info, parse_map_info};
use decode::manifest::{DefinitionKind, LoadReport, SchemaRegistry};
use decode::schema::EventSchema;
use decode::trace_text;
use decode::tracelogging::{parse_event_metadata, parse_provider_traits};
use decode::value::{Decoded, decode_payload, map_lookup, render_message};
use etl::{self, Header, Trace, xpress};
use etlview::export::{EventRow, Format, RowWriter};
use etlview::filter;
use etlview::packet::{self, Direction, Frame, Media, Source};
use etlview::timeline::{Timeline, TimelineOptions};

mod etl_damage;
mod schema_gen;
pub use etl_damage::etl_damage;
use schema_gen::{ByteCursor, schema_from_bytes};

/// Largest output length the XPRESS target asks for, so one input cannot demand gigabytes.
const MAX_XPRESS_OUTPUT: usize = 1 << 20;
/// Events whose detail view is built per input (the detail view is the most expensive path).
const MAX_DETAILS: usize = 64;

/// The buffer walk, record decoding and every output format over one whole file.
pub fn etl_file(data: &[u8]) {
    let Ok(trace) = Trace::from_bytes(data.to_vec()) else {
        return;
    };
    check_trace_invariants(&trace);
    let in_file_order = trace.events_in_file_order().len();
    assert_eq!(in_file_order, trace.len(), "file-order listing lost events");

    let session = Timeline::from_trace(trace, TimelineOptions::default());
    let (mut text_out, mut jsonl_out, mut csv_out) = (Vec::new(), Vec::new(), Vec::new());
    {
        let mut text = RowWriter::new(Format::Text, &mut text_out).expect("writing to memory");
        let mut jsonl = RowWriter::new(Format::Jsonl, &mut jsonl_out).expect("writing to memory");
        let mut csv = RowWriter::new(Format::Csv, &mut csv_out).expect("writing to memory");
        for e in session.events() {
            let decoded = session.decode(&e);
            let row = session.row_with(&e, &decoded);
            text.write(&row).expect("writing to memory");
            jsonl.write(&row).expect("writing to memory");
            csv.write(&row).expect("writing to memory");
        }
        text.finish().expect("writing to memory");
        jsonl.finish().expect("writing to memory");
        csv.finish().expect("writing to memory");
    }
    check_text_output(&text_out);
    check_jsonl_output(&jsonl_out);
    assert!(
        std::str::from_utf8(&csv_out).is_ok(),
        "CSV output is not UTF-8"
    );

    for frame in 0..session.len().min(MAX_DETAILS) {
        let _ = session.detail(frame);
        let _ = session.severity(frame);
    }
    let _ = session.processes();
    let _ = session.providers();

    // Network frames carried in the events: reassembly, summaries and pcapng export.
    let frames = packet::frames(&session);
    for frame in frames.iter().take(MAX_DETAILS) {
        let _ = packet::summarize(frame);
    }
    let _ = packet::conversations(&frames);
    packet::write_pcapng(&frames, &mut Vec::new()).expect("writing to memory");

    // A filtered export of every other event must be readable again.
    let mut toggle = false;
    if let Ok((bytes, summary)) =
        etlview::export::etl::filtered_etl(session.sources()[0].trace(), |_| {
            toggle = !toggle;
            toggle
        })
    {
        let reread = Trace::from_bytes(bytes).expect("an exported trace opens");
        // The writer adds the session header record; schemas, kernel process events and
        // kept events are copies.
        assert_eq!(
            reread.len(),
            1 + summary.schema_records + summary.context_records + summary.kept_events,
            "an exported trace reads back a different number of records"
        );
    }
}

/// Every index entry names a record that can be read back, and every issue lies in the file.
fn check_trace_invariants(trace: &Trace) {
    assert_eq!(trace.events().count(), trace.len(), "indexed events lost");
    let file_len = trace.file_bytes().len();
    for issue in trace.issues() {
        assert!(
            issue.file_offset <= file_len,
            "issue beyond the file: {issue}"
        );
        // Inside an expanded compressed buffer the skipped bytes are decompressed bytes.
        let expanded = issue
            .buffer
            .and_then(|b| trace.buffers().get(b as usize))
            .filter(|b| b.is_compressed() && issue.payload_offset.is_some())
            .map(|b| b.payload(trace.file_bytes()).len());
        let limit = expanded.unwrap_or(file_len);
        assert!(
            issue.skipped_bytes <= limit,
            "issue skips more than its {limit} bytes: {issue}"
        );
        let _ = issue.to_string();
    }
    for e in trace.events() {
        assert_eq!(e.record.len(), usize::from(e.header.size));
        let _ = e.extended_items().count();
        let _ = e.payload();
    }
}

/// Text output stays on one line per event and carries no terminal controls or bidi marks.
fn check_text_output(bytes: &[u8]) {
    let text = std::str::from_utf8(bytes).expect("text output is UTF-8");
    for c in text.chars() {
        assert!(
            c == '\n' || !is_terminal_hostile(c),
            "raw U+{:04X} in text output",
            c as u32
        );
    }
}

/// Every JSONL line is one JSON object.
fn check_jsonl_output(bytes: &[u8]) {
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        match serde_json::from_slice::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(_)) => {}
            other => panic!("JSONL line is not a JSON object: {other:?}"),
        }
    }
}

/// Characters that must never reach a terminal raw. Written out again rather than taken
/// from `etl::sanitize`, so that this check does not share a mistake made there.
fn is_terminal_hostile(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The XPRESS decoder on arbitrary streams, and the compressor's round trip.
/// The first 4 bytes choose the expected output length; the rest is the stream.
pub fn xpress(data: &[u8]) {
    let Some((length_bytes, stream)) = data.split_first_chunk::<4>() else {
        return;
    };
    let expected_len = u32::from_le_bytes(*length_bytes) as usize % (MAX_XPRESS_OUTPUT + 1);
    let mut out = Vec::new();
    match xpress::decompress(stream, expected_len, &mut out) {
        Ok(()) => assert_eq!(out.len(), expected_len, "decoded length differs"),
        Err(_) => assert!(out.len() <= expected_len, "decoder wrote past the length"),
    }
    let packed = xpress::compress(stream);
    let mut round_trip = Vec::new();
    if let Err(error) = xpress::decompress(&packed, stream.len(), &mut round_trip) {
        panic!("compress output failed to decode: {error}");
    }
    assert!(round_trip == stream, "round trip changed the data");
}

/// Every record header kind: [`Header::parse`] at every 8-aligned offset, with both default
/// pointer sizes, plus the buffer, logfile and record walks over the same bytes.
pub fn record_headers(data: &[u8]) {
    for start in (0..data.len()).step_by(8) {
        let Some(rest) = data.get(start..) else {
            break;
        };
        for pointer_size in [4, 8] {
            let Ok(header) = Header::parse(rest, pointer_size) else {
                continue;
            };
            assert!(
                usize::from(header.size) <= rest.len(),
                "record larger than its bytes"
            );
            assert!(
                header.payload_offset <= header.size,
                "payload starts past the record"
            );
            let Some(record) = rest.get(..usize::from(header.size)) else {
                continue;
            };
            let e = etl::Event {
                frame: 0,
                buffer: 0,
                offset: 0,
                cpu: 0,
                header,
                record,
                filetime: 0,
            };
            for item in e.extended_items() {
                assert!(item.data.len() <= record.len());
            }
            let _ = e.payload();
            let _ = header.provider_guid();
            let _ = header.provider.key();
            let _ = EventRow::from_event(&e);
        }
    }
    let _ = etl::layout::buffer_header(data);
    for pointer_size in [4, 8] {
        let _ = etl::layout::logfile_header(data, pointer_size);
    }
    let _ = etl::layout::utf16z(data);
    let _ = etl::walk::walk_records(data, |spot| {
        assert!((spot.offset as usize) < data.len());
    });
    let walked = etl::walk::walk_buffers(data, 0);
    for mut buffer in walked.buffers {
        let _ = buffer.expand(data, 0);
        let _ = buffer.payload(data).len();
    }
}

/// TraceLogging: provider traits, event metadata, and the payload the metadata describes
/// (the bytes after the metadata blob's declared size).
pub fn tracelogging(data: &[u8]) {
    let provider_name = match parse_provider_traits(data) {
        Ok(traits) => {
            let _ = traits.traits.len();
            traits.name.into_owned()
        }
        Err(e) => {
            let _ = e.to_string();
            "Fuzz.Provider".to_string()
        }
    };
    let schema = match parse_event_metadata(data, &provider_name) {
        Ok(schema) => schema,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let declared = data
        .first_chunk::<2>()
        .map_or(0, |size| usize::from(u16::from_le_bytes(*size)));
    let payload = data.get(declared..).unwrap_or_default();
    decode_and_render(&schema, payload);
}

/// Embedded TDH metadata: `TRACE_EVENT_INFO` and `EVENT_MAP_INFO` blobs. The first two bytes
/// split the input into the blob and a payload to decode with the parsed schema.
pub fn event_info(data: &[u8]) {
    let Some((split, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let split = usize::from(u16::from_le_bytes(*split)).min(rest.len());
    let (blob, payload) = rest.split_at(split);
    let mut table = MetadataTable::new();
    if let Ok(map) = parse_map_info(blob) {
        for raw in [0, 1, 2, 3, 0x10, u64::MAX] {
            let _ = map_lookup(&map.map, raw);
        }
        table.insert_map(map);
    }
    match parse_event_info(blob) {
        Ok(info) => {
            decode_and_render(&info.schema, payload);
            table.insert_event(info);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    for opcode in [32, 33, 34] {
        let _ = table.add_record(opcode, blob);
    }
}

/// Manifest and classic definition XML. Schemas it defines are looked up by the GUIDs and
/// event values written in the text and decoded over the input bytes.
pub fn manifest_xml(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for kind in [DefinitionKind::Manifest, DefinitionKind::Classic] {
        let mut registry = SchemaRegistry::new();
        let mut report = LoadReport::default();
        registry.add_text("fuzz.man", &text, kind, &mut report);
        for error in &report.skipped_files {
            let _ = error.to_string();
        }
        for warning in &report.warnings {
            let _ = warning.to_string();
        }
        let guids = attribute_values(&text, "guid=\"")
            .filter_map(|v| uuid::Uuid::parse_str(v.trim_matches(['{', '}'])).ok())
            .take(8)
            .collect::<Vec<_>>();
        let values = attribute_values(&text, "value=\"")
            .filter_map(decode::manifest::types::parse_number)
            .take(8)
            .collect::<Vec<_>>();
        for guid in &guids {
            let _ = registry.provider_name(guid);
            for &value in &values {
                let id = u16::try_from(value).unwrap_or(u16::MAX);
                let opcode = u8::try_from(value).unwrap_or(u8::MAX);
                let found = match kind {
                    DefinitionKind::Manifest => registry.manifest_event(guid, id, 0),
                    DefinitionKind::Classic => registry.classic_event(guid, opcode, 0),
                };
                if let Some((schema, _)) = found {
                    decode_and_render(&schema, data);
                }
            }
        }
    }
}

/// Texts of `prefix...\"` attributes, found lexically (the XML may be malformed).
fn attribute_values<'t>(text: &'t str, prefix: &'static str) -> impl Iterator<Item = &'t str> {
    text.match_indices(prefix).filter_map(move |(at, _)| {
        let start = at + prefix.len();
        let rest = text.get(start..)?;
        rest.find('"').and_then(|end| rest.get(..end))
    })
}

/// The payload walker over a schema built from the first bytes of the input (see
/// [`schema_from_bytes`]); the remaining bytes are the payload.
pub fn payload_walker(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mut cursor = ByteCursor {
        bytes: rest,
        pos: 0,
    };
    let schema = schema_from_bytes(&mut cursor, selector);
    let payload = rest.get(cursor.pos..).unwrap_or_default();
    decode_and_render(&schema, payload);
}

/// Decodes `payload` with `schema` at both pointer sizes and renders every value the ways
/// the program shows them.
fn decode_and_render(schema: &EventSchema, payload: &[u8]) {
    for pointer_size in [4, 8] {
        let decoded = decode_payload(schema, payload, pointer_size);
        assert!(
            decoded.consumed <= payload.len(),
            "walker read past the payload"
        );
        render(&decoded);
        if let Some(template) = &schema.message {
            let _ = render_message(template, &decoded);
        }
        let _ = render_message("%1 %2!x! %3!X! %4 %10 %99 %n%t%%%0", &decoded);
    }
}

fn render(decoded: &Decoded<'_>) {
    for (_, value) in &decoded.fields {
        let _ = value.display();
        let json = value.to_json();
        let bytes = serde_json::to_vec(&json).expect("a JSON value serializes");
        assert!(std::str::from_utf8(&bytes).is_ok());
        let _ = (value.as_u64(), value.as_i64(), value.as_str());
    }
    if let Some(error) = &decoded.error {
        let _ = error.to_string();
    }
}

/// WinHTTP trace-text lines: every line of the input (lossy UTF-8) parsed and classified.
pub fn trace_text(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for line in text.lines().chain(std::iter::once(text.as_ref())) {
        let parsed = trace_text::parse_line(line);
        let _ = trace_text::classify(&parsed);
        if let Some(code) = trace_text::error_code(&parsed) {
            let _ = trace_text::describe_code(code);
        }
        let _ = parsed.time_of_day_millis();
        for token in &parsed.errors {
            let _ = token.display_symbol();
        }
        let json = serde_json::to_string(&parsed).expect("a parsed line serializes");
        assert!(!json.is_empty());
    }
}

/// The filter language: parse, print canonically, parse the printed text back to the same
/// tree, render errors, and compile against an empty catalog.
pub fn filter(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let expr = match filter::parse(&text) {
        Ok(expr) => expr,
        Err(error) => {
            assert!(error.span.start <= text.len(), "error span past the text");
            let _ = error.render(&text);
            return;
        }
    };
    let printed = expr.to_string();
    match filter::parse(&printed) {
        Ok(again) => assert!(
            again.eq_ignoring_spans(&expr),
            "printing changed the filter:\n  input:   {text:?}\n  printed: {printed:?}\n  first:   {expr:?}\n  again:   {again:?}"
        ),
        Err(error) => panic!(
            "printed filter does not parse:\n  input:   {text:?}\n  printed: {printed:?}\n  error:   {}",
            error.render(&printed)
        ),
    }
    match filter::compile(&expr, &filter::Catalog::default()) {
        Ok(compiled) => assert!(!compiled.canonical.is_empty()),
        Err(error) => {
            let _ = error.render(&text);
        }
    }
}

/// Filter paths the packet fields answer (see `packet::field_values`).
const PACKET_PATHS: [&str; 20] = [
    "ethernet.type",
    "ipv4.address",
    "ipv6.src",
    "ipv4.ttl",
    "tcp.port",
    "tcp.srcport",
    "tcp.flags.syn",
    "tcp.seqnumber",
    "tcp.window",
    "udp.dstport",
    "dns.queryname",
    "dns.id",
    "dns.flags.response",
    "http.request.method",
    "http.request.uri",
    "http.request.host",
    "http.response.statuscode",
    "tls.sni",
    "tls.servername",
    "frame.unknown",
];

/// Words a filter may test a frame for.
const PACKET_WORDS: [&str; 16] = [
    "ethernet", "vlan", "wifi", "arp", "ipv4", "ipv6", "tcp", "udp", "icmp", "icmpv6", "dns",
    "mdns", "llmnr", "http", "tls", "netevent",
];

/// One captured frame from raw bytes: the first byte picks the media and direction, the
/// rest is the frame. Dissection, summary, filter fields, conversations and pcapng export.
pub fn packet(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let media = match selector & 0x03 {
        0 => Media::Ethernet,
        1 => Media::Wifi,
        2 => Media::Ip,
        _ => Media::Unknown(u32::from(selector >> 4)),
    };
    let direction = match (selector >> 2) & 0x03 {
        0 => Direction::Send,
        1 => Direction::Receive,
        _ => Direction::Unknown,
    };
    let truncated = selector & 0x80 != 0;
    let frame = Frame {
        frame_number: 1,
        filetime: 133_485_408_000_000_000,
        interface: 7,
        direction,
        media,
        pid: Some(4),
        tid: None,
        original_len: if truncated {
            bytes.len() + 100
        } else {
            bytes.len()
        },
        truncated,
        data: bytes.to_vec(),
        source: if selector & 0x40 != 0 {
            Source::Pktmon
        } else {
            Source::Ndis
        },
    };
    let summary = packet::summarize(&frame);
    let json = serde_json::to_vec(&summary).expect("a summary serializes");
    assert!(std::str::from_utf8(&json).is_ok());
    for path in PACKET_PATHS {
        let _ = packet::field_values(&frame, path);
    }
    for word in PACKET_WORDS {
        let _ = packet::has_protocol(&frame, word);
    }
    let frames = [frame.clone(), frame];
    let _ = packet::conversations(&frames);
    let mut pcap = Vec::new();
    packet::write_pcapng(&frames, &mut pcap).expect("writing to memory");
    assert!(pcap.len() >= bytes.len(), "pcapng lost frame bytes");
}
