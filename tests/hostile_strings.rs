//! Event strings are untrusted. A trace whose names and values carry terminal escape
//! sequences, C1 controls, bidi overrides, invalid UTF-16 and spreadsheet formulas must print
//! as inert text: no raw ESC or C1 byte and no bidi override in text output, CSV cells that a
//! spreadsheet will not evaluate, JSONL that is valid UTF-8 JSON, and the invalid UTF-16
//! shown escaped (`\u{D800}`) rather than silently replaced.

use std::process::Command;

mod common;

use common::{tl_metadata, tl_traits};

use etlview::etl::event::ext_type;
use etlview::etl::writer::{EtlWriter, EventRecord, WriterOptions};
use uuid::Uuid;

const PROVIDER: Uuid = uuid::uuid!("3f5b2c1a-0000-4000-8000-00000000beef");

/// UTF-16LE units, then a NUL.
fn utf16z(units: &[u16]) -> Vec<u8> {
    units
        .iter()
        .chain([&0])
        .flat_map(|u| u.to_le_bytes())
        .collect()
}

fn units(text: &str) -> Vec<u16> {
    text.encode_utf16().collect()
}

/// An EVENT_HEADER64 record flagged STRING_ONLY: its payload is one UTF-16 string.
fn string_only_record(timestamp: i64, text: &[u16]) -> Vec<u8> {
    let payload = utf16z(text);
    let size = 0x50 + payload.len();
    let mut r = Vec::with_capacity(size);
    r.extend((size as u16).to_le_bytes());
    r.extend([0x13, 0xC0]);
    r.extend(0x0004u16.to_le_bytes()); // EVENT_HEADER_FLAG_STRING_ONLY
    r.extend(0u16.to_le_bytes());
    r.extend(7u32.to_le_bytes()); // thread
    r.extend(1432u32.to_le_bytes()); // process
    r.extend(timestamp.to_le_bytes());
    r.extend(PROVIDER.to_bytes_le());
    r.extend(5u16.to_le_bytes()); // id
    r.extend([0, 0, 4, 0]); // version, channel, level, opcode
    r.extend(0u16.to_le_bytes()); // task
    r.extend(0u64.to_le_bytes()); // keyword
    r.extend(0u64.to_le_bytes()); // kernel/user time
    r.extend([0u8; 16]); // activity id
    r.extend(payload);
    r
}

/// A trace whose provider name, event name, field name and values are hostile.
fn hostile_trace() -> Vec<u8> {
    let mut w = EtlWriter::new(WriterOptions {
        buffer_size: 4096,
        processors: 1,
        ..WriterOptions::default()
    });
    let traits = tl_traits("+Evil\u{1b}]0;owned\u{7}Provider");
    let meta = tl_metadata(
        "=HYPERLINK(\"http://x\")",
        &[("text", 1), ("ansi", 2), ("@name\u{1b}[2J", 2)],
    );
    let mut text = units("esc \u{1b}[31mred c1 \u{9b}2J bidi \u{202e}txt.exe lone ");
    text.push(0xD800);
    text.extend(units(" end"));
    let mut payload = utf16z(&text);
    payload.extend(b"-2+3 \x1b[1m\x9b\0");
    payload.extend(b"@SUM(A1)\0");
    w.push_event(
        0,
        &EventRecord {
            provider: PROVIDER,
            id: 1,
            level: 4,
            process_id: 1432,
            thread_id: 7,
            timestamp: 1_000_100,
            extended: vec![
                (ext_type::PROV_TRAITS, &traits[..]),
                (ext_type::EVENT_SCHEMA_TL, &meta[..]),
            ],
            payload: &payload,
            ..EventRecord::default()
        },
    )
    .unwrap();
    let mut message = units("=1+1 \u{1b}[5m\u{2066}hidden\u{2069} ");
    message.extend([0xDC00, u16::from(b'x')]);
    w.push_raw_record(0, &string_only_record(1_000_200, &message))
        .unwrap();
    w.finish()
}

fn print(path: &std::path::Path, format: &str) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_etlview"))
        .arg(path)
        .args(["--print", "--format", format])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{format}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn written_trace() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.etl");
    std::fs::write(&path, hostile_trace()).unwrap();
    (dir, path)
}

/// Characters that must not reach a terminal raw.
fn is_hostile(c: char) -> bool {
    c.is_control() && c != '\n'
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[test]
fn text_output_escapes_controls_bidi_and_lone_surrogates() {
    let (_dir, path) = written_trace();
    let out = print(&path, "text");
    assert!(!out.contains(&0x1b), "raw ESC in text output");
    let text = String::from_utf8(out).expect("text output is UTF-8");
    let bad: Vec<char> = text.chars().filter(|&c| is_hostile(c)).collect();
    assert!(
        bad.is_empty(),
        "raw controls or bidi marks: {bad:?}\n{text}"
    );
    for shown in [
        "\\u{001B}[31mred",
        "\\u{009B}2J",
        "\\u{202E}txt.exe",
        "lone \\u{D800} end",
        "\\u{2066}hidden\\u{2069}",
        "\\u{DC00}x",
    ] {
        assert!(text.contains(shown), "`{shown}` missing from:\n{text}");
    }
    assert!(
        !text.contains('\u{FFFD}'),
        "invalid UTF-16 replaced silently"
    );
}

#[test]
fn csv_cells_cannot_start_a_formula() {
    let (_dir, path) = written_trace();
    let out = print(&path, "csv");
    assert!(!out.contains(&0x1b), "raw ESC in CSV output");
    let mut reader = csv::Reader::from_reader(&out[..]);
    let headers = reader.headers().unwrap().clone();
    let mut rows = 0;
    for record in reader.records() {
        let record = record.unwrap();
        rows += 1;
        for (column, cell) in headers.iter().zip(record.iter()) {
            // Numbers (a negative timestamp or id) are data, not formulas.
            if cell.parse::<f64>().is_ok() {
                continue;
            }
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "column {column} starts a formula: {cell:?}"
            );
        }
        let event = &record[headers.iter().position(|h| h == "event_name").unwrap()];
        let provider = &record[headers.iter().position(|h| h == "provider_name").unwrap()];
        if rows == 2 {
            assert_eq!(event, "'=HYPERLINK(\"http://x\")");
            assert!(provider.starts_with("'+Evil"), "{provider}");
        }
    }
    assert_eq!(rows, 3, "header record plus two events");
}

#[test]
fn jsonl_is_valid_utf8_json_with_surrogates_escaped() {
    let (_dir, path) = written_trace();
    let out = print(&path, "jsonl");
    let text = String::from_utf8(out).expect("JSONL output is UTF-8");
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(events.len(), 3);
    let tl = &events[1];
    let field = tl["fields"]["text"].as_str().unwrap();
    assert!(field.contains("lone \\u{D800} end"), "{field}");
    assert!(!field.contains('\u{FFFD}'));
    let message = events[2]["message"].as_str().unwrap();
    assert!(message.ends_with("\\u{DC00}x"), "{message}");
}

/// Text in C1 or a bidi override, which a terminal acts on: JSON allows them raw.
fn is_c1_or_bidi(c: char) -> bool {
    matches!(c, '\u{80}'..='\u{9F}' | '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[test]
fn jsonl_escapes_c1_and_bidi_controls_too() {
    let (_dir, path) = written_trace();
    let text = String::from_utf8(print(&path, "jsonl")).unwrap();
    let raw: Vec<char> = text.chars().filter(|&c| is_c1_or_bidi(c)).collect();
    assert!(raw.is_empty(), "raw C1/bidi in JSONL: {raw:?}");
    assert!(
        text.contains("\\u009b2J") && text.contains("\\u202etxt.exe"),
        "{text}"
    );
    // Escaped, not removed: the values decode to what the trace holds.
    let tl: serde_json::Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    let field = tl["fields"]["text"].as_str().unwrap();
    assert!(
        field.contains("c1 \u{9b}2J bidi \u{202e}txt.exe"),
        "{field}"
    );
}

/// stderr: no raw control from a trace (via a "did you mean" suggestion) or a file name.
fn assert_inert(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr).into_owned();
    let raw: Vec<char> = text.chars().filter(|&c| is_hostile(c)).collect();
    assert!(raw.is_empty(), "raw controls {raw:?} on stderr:\n{text}");
    text
}

#[test]
fn suggestions_and_file_names_on_stderr_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = EtlWriter::new(WriterOptions {
        buffer_size: 4096,
        processors: 1,
        ..WriterOptions::default()
    });
    // A field whose name resets the terminal (ESC c), offered as a "did you mean".
    let traits = tl_traits("Evil\u{1b}cProv\u{202e}");
    let meta = tl_metadata("E", &[("colour\u{1b}c", 2)]);
    w.push_event(
        0,
        &EventRecord {
            provider: PROVIDER,
            id: 1,
            level: 4,
            timestamp: 1_000_100,
            extended: vec![
                (ext_type::PROV_TRAITS, &traits[..]),
                (ext_type::EVENT_SCHEMA_TL, &meta[..]),
            ],
            payload: b"x\0",
            ..EventRecord::default()
        },
    )
    .unwrap();
    let name = "evil\u{1b}]0;owned\u{7}\u{9b}2J.etl";
    let path = dir.path().join(name);
    std::fs::write(&path, w.finish()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_etlview"))
        .arg(&path)
        .args(["--print", "--filter", "colourc == 1"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = assert_inert(&out.stderr);
    assert!(text.contains("did you mean `colour\\u{001B}c`?"), "{text}");
    // The file name in an error and in a damage warning.
    let missing = dir.path().join(format!("missing-{name}"));
    let out = Command::new(env!("CARGO_BIN_EXE_etlview"))
        .arg("info")
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = assert_inert(&out.stderr);
    assert!(
        text.contains("missing-evil\\u{001B}]0;owned\\u{0007}\\u{009B}2J.etl"),
        "{text}"
    );
    // The data buffer (after the 4 KiB header buffer) disowns its record: a damage warning.
    let mut damaged = std::fs::read(&path).unwrap();
    damaged[4096 + 0x30..4096 + 0x34].copy_from_slice(&0x48u32.to_le_bytes());
    std::fs::write(&path, damaged).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_etlview"))
        .arg("info")
        .arg(&path)
        .output()
        .unwrap();
    let text = assert_inert(&out.stderr);
    assert!(
        text.contains("evil\\u{001B}]0;owned\\u{0007}\\u{009B}2J.etl: records_past_end_of_data"),
        "{text}"
    );
}
