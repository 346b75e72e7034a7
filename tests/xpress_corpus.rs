//! Decompresses every compressed buffer of the real sample traces with
//! `etlview::etl::xpress` and round-trips the results through `compress`.
//!
//! Samples come from `<manifest dir>/../shared/samples` or env `ETLVIEW_SAMPLES`.
//! Missing samples fail the test under CI=true and skip it otherwise.

use std::path::PathBuf;

use etlview::etl::xpress::{compress, decompress};

const BUFFER_HEADER_LEN: usize = 0x48;
const FLAG_COMPRESSED: u16 = 0x0040;

/// Sample file and the number of compressed buffers it holds.
const COMPRESSED_SAMPLES: [(&str, usize); 3] = [
    ("perfview-net452-x64-compressed.etl", 359),
    ("perfview-selfdescribing-compressed.etl", 2),
    ("pktmon-demikernel-compressed.etl", 2),
];

/// One compressed buffer: its file offset, compressed stream and decompressed length.
struct CompressedBuffer<'a> {
    file_offset: usize,
    stream: &'a [u8],
    expected_len: usize,
}

fn samples_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("ETLVIEW_SAMPLES").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/samples")),
    ];
    candidates.into_iter().flatten().find(|dir| {
        COMPRESSED_SAMPLES
            .iter()
            .all(|(name, _)| dir.join(name).is_file())
    })
}

/// The samples folder, or `None` (after a skip notice) outside CI; panics under CI.
fn require_samples() -> Option<PathBuf> {
    let found = samples_dir();
    if found.is_none() {
        let message = "xpress corpus samples not found in <manifest>/../shared/samples \
                       or $ETLVIEW_SAMPLES";
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{message} (required when CI=true)"
        );
        eprintln!("skipping: {message}");
    }
    found
}

fn read_u32(file: &[u8], offset: usize) -> u32 {
    let bytes = file
        .get(offset..offset + 4)
        .unwrap_or_else(|| panic!("u32 at file offset {offset:#x} is past the end"));
    u32::from_le_bytes(bytes.try_into().expect("4 bytes"))
}

fn read_u16(file: &[u8], offset: usize) -> u16 {
    let bytes = file
        .get(offset..offset + 2)
        .unwrap_or_else(|| panic!("u16 at file offset {offset:#x} is past the end"));
    u16::from_le_bytes(bytes.try_into().expect("2 bytes"))
}

/// Chains buffers by their `BufferSize` (+0x00) and keeps those flagged compressed (+0x34);
/// stops at a zero size (zero-filled tail) or the end of the file.
fn compressed_buffers(file: &[u8]) -> Vec<CompressedBuffer<'_>> {
    let mut found = Vec::new();
    let mut offset = 0;
    while offset + BUFFER_HEADER_LEN <= file.len() {
        let buffer_size = read_u32(file, offset) as usize;
        if buffer_size == 0 {
            break;
        }
        assert!(
            (BUFFER_HEADER_LEN..=file.len() - offset).contains(&buffer_size),
            "buffer at {offset:#x}: BufferSize {buffer_size} does not fit the file"
        );
        let filled = read_u32(file, offset + 0x30) as usize;
        if read_u16(file, offset + 0x34) & FLAG_COMPRESSED != 0 {
            found.push(CompressedBuffer {
                file_offset: offset,
                stream: &file[offset + BUFFER_HEADER_LEN..offset + buffer_size],
                expected_len: filled
                    .checked_sub(BUFFER_HEADER_LEN)
                    .unwrap_or_else(|| panic!("buffer at {offset:#x}: Offset {filled} < 0x48")),
            });
        }
        offset += buffer_size;
    }
    found
}

fn load(dir: &std::path::Path, name: &str) -> Vec<u8> {
    let path = dir.join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

#[test]
fn every_compressed_sample_buffer_decompresses_and_round_trips() {
    let Some(dir) = require_samples() else { return };
    for (name, expected_count) in COMPRESSED_SAMPLES {
        let file = load(&dir, name);
        let buffers = compressed_buffers(&file);
        assert_eq!(
            buffers.len(),
            expected_count,
            "{name}: compressed buffer count"
        );
        let mut decompressed = Vec::new();
        let mut round_trip = Vec::new();
        for buffer in &buffers {
            let at = buffer.file_offset;
            decompress(buffer.stream, buffer.expected_len, &mut decompressed)
                .unwrap_or_else(|e| panic!("{name} buffer at {at:#x}: {e}"));
            assert_eq!(decompressed.len(), buffer.expected_len);
            let marker = read_u32(&decompressed, 0);
            assert!(
                matches!(marker >> 24, 0xC0 | 0x90),
                "{name} buffer at {at:#x}: first record marker {marker:#010x}"
            );
            let recompressed = compress(&decompressed);
            decompress(&recompressed, decompressed.len(), &mut round_trip)
                .unwrap_or_else(|e| panic!("{name} buffer at {at:#x}, recompressed: {e}"));
            assert!(
                round_trip == decompressed,
                "{name} buffer at {at:#x}: round trip differs"
            );
        }
    }
}

/// Throughput report; run with
/// `cargo test --release --test xpress_corpus -- --ignored --nocapture`.
#[test]
#[ignore = "timing measurement, meaningful only in release mode"]
fn decompress_throughput() {
    let Some(dir) = require_samples() else { return };
    let file = load(&dir, COMPRESSED_SAMPLES[0].0);
    let buffers = compressed_buffers(&file);
    let input_bytes: usize = buffers.iter().map(|b| b.stream.len()).sum();
    let output_bytes: usize = buffers.iter().map(|b| b.expected_len).sum();
    let rounds = 20;
    let mut reused = Vec::new();
    for (label, reuse_output) in [("reused output Vec", true), ("fresh output Vec", false)] {
        let started = std::time::Instant::now();
        for _ in 0..rounds {
            for buffer in &buffers {
                let mut fresh = Vec::new();
                let out = if reuse_output {
                    &mut reused
                } else {
                    &mut fresh
                };
                decompress(buffer.stream, buffer.expected_len, out).expect("sample decodes");
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        let mb_per_s = |bytes: usize| (bytes * rounds) as f64 / 1e6 / seconds;
        eprintln!(
            "decompress ({label}): {:.0} MB/s input, {:.0} MB/s output ({input_bytes} -> {output_bytes} bytes)",
            mb_per_s(input_bytes),
            mb_per_s(output_bytes)
        );
    }
    let outputs: Vec<Vec<u8>> = buffers
        .iter()
        .map(|buffer| {
            let mut out = Vec::new();
            decompress(buffer.stream, buffer.expected_len, &mut out).expect("sample decodes");
            out
        })
        .collect();
    let started = std::time::Instant::now();
    let compressed_total: usize = outputs.iter().map(|out| compress(out).len()).sum();
    eprintln!(
        "compress: {:.0} MB/s, compressed/original size {:.3} ({compressed_total} bytes; \
         the file's own streams: {input_bytes} bytes, {:.3})",
        output_bytes as f64 / 1e6 / started.elapsed().as_secs_f64(),
        compressed_total as f64 / output_bytes as f64,
        input_bytes as f64 / output_bytes as f64
    );
    assert!(compressed_total < output_bytes);
}
