//! Builds the seed corpora under `fuzz/corpus/<target>/` (run by the ignored test
//! `write_seed_corpora` in `fuzz_replay.rs`). Seeds are small: cuts of the shared samples'
//! first buffers, traces rebuilt from their first records with small buffers, writer-made
//! traces, definition snippets, filter expressions and trace-text lines.

use crate::common::{tl_metadata, tl_traits};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use etlview::decode::decoder::EVENT_METADATA_GUID;
use etlview::decode::event_info::parse_event_info;
use etlview::etl::event::ext_type;
use etlview::etl::walk::{BufferData, walk_buffers};
use etlview::etl::writer::{EtlWriter, EventRecord, WriterOptions};
use etlview::etl::{ProviderId, Trace, xpress};
use etlview::packet::{self, Direction, Media};
use etlview::timeline::trace_text_of;
use etlview::timeline::{Timeline, TimelineOptions};

/// Largest seed file written.
pub const MAX_SEED: usize = 64 * 1024;

/// Seeds per target, by file name.
#[derive(Default)]
pub struct Corpora(BTreeMap<&'static str, BTreeMap<String, Vec<u8>>>);

impl Corpora {
    fn add(&mut self, target: &'static str, name: impl Into<String>, bytes: Vec<u8>) {
        if bytes.is_empty() || bytes.len() > MAX_SEED {
            return;
        }
        self.0.entry(target).or_default().insert(name.into(), bytes);
    }

    /// Replaces `fuzz/corpus/<target>/` with the seeds.
    pub fn write(&self, root: &Path) -> usize {
        let mut total = 0;
        for (target, seeds) in &self.0 {
            let dir = root.join(target);
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            for (name, bytes) in seeds {
                std::fs::write(dir.join(name), bytes).unwrap();
                total += bytes.len();
            }
        }
        total
    }
}

/// Every seed, from the shared samples (when `shared` is given) and from scratch.
pub fn build(shared: Option<&Path>, repo: &Path) -> Corpora {
    let mut c = Corpora::default();
    let mut samples = etl_paths(&repo.join("samples"));
    if let Some(shared) = shared {
        samples.extend(etl_paths(&shared.join("samples")));
    }
    for sample in samples {
        from_sample(&mut c, &sample);
        packets_and_text(&mut c, &sample);
    }
    handmade_frames(&mut c);
    writer_traces(&mut c);
    definitions(&mut c, repo);
    walker_schemas(&mut c);
    text_lines(&mut c);
    filters(&mut c, shared);
    c
}

/// The `*.etl` files of `dir`, sorted; none when it does not exist.
fn etl_paths(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "etl"))
        .collect();
    v.sort();
    v
}

fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Seeds taken from one shared sample.
fn from_sample(c: &mut Corpora, path: &Path) {
    let name = stem(path);
    let bytes = std::fs::read(path).unwrap();
    let trace = Trace::from_bytes(bytes.clone()).unwrap();

    // The first buffers, cut where a buffer ends, never the whole file.
    let mut cut = 0;
    for b in walk_buffers(&bytes, 0).buffers {
        let end = b.file_offset + b.header.buffer_size as usize;
        if end > 16 * 1024 || end >= bytes.len() {
            break;
        }
        cut = end;
    }
    if cut > 0 {
        c.add("etl_file", format!("cut-{name}"), bytes[..cut].to_vec());
    }
    c.add(
        "etl_file",
        format!("relog-{name}"),
        relog(&trace, 48, false),
    );
    if name.contains("compressed") || name.starts_with("s4-") {
        c.add(
            "etl_file",
            format!("relogz-{name}"),
            relog(&trace, 48, true),
        );
    }

    // Records as they sit in a buffer: the start of the second buffer's payload.
    if let Some(buffer) = trace.buffers().get(1) {
        let payload = buffer.payload(trace.file_bytes());
        c.add(
            "record_headers",
            format!("payload-{name}"),
            payload[..payload.len().min(4096)].to_vec(),
        );
    }
    // The header buffer itself (buffer header + EventTrace header record).
    let first = bytes.len().min(1024);
    c.add(
        "record_headers",
        format!("head-{name}"),
        bytes[..first].to_vec(),
    );

    for (i, b) in walk_buffers(&bytes, 0).buffers.iter().enumerate().take(4) {
        if let BufferData::Compressed { start, end } = b.data {
            let expected = (b.header.filled as usize).saturating_sub(72) as u32;
            let mut seed = expected.to_le_bytes().to_vec();
            seed.extend(&bytes[start..end]);
            c.add("xpress", format!("{name}-{i}"), seed);
        }
    }

    let mut tl_seen = BTreeSet::new();
    let mut meta_seen = 0;
    for e in trace.events_in_file_order() {
        if let Some(meta) = e.extended_item(ext_type::EVENT_SCHEMA_TL)
            && tl_seen.len() < 6
            && tl_seen.insert(meta.to_vec())
        {
            let mut seed = meta.to_vec();
            seed.extend(e.payload());
            c.add("tracelogging", format!("{name}-{}", tl_seen.len()), seed);
        }
        if let Some(traits) = e.extended_item(ext_type::PROV_TRAITS) {
            c.add("tracelogging", format!("traits-{name}"), traits.to_vec());
        }
        if e.header.provider == ProviderId::Guid(EVENT_METADATA_GUID) && meta_seen < 6 {
            meta_seen += 1;
            let blob = e.payload();
            let mut seed = (blob.len() as u16).to_le_bytes().to_vec();
            seed.extend(blob);
            if let Ok(info) = parse_event_info(blob) {
                let described = trace.events().find(|d| {
                    d.header.provider == ProviderId::Guid(info.provider)
                        && d.header.id == info.descriptor.id
                });
                if let Some(d) = described {
                    seed.extend(d.payload());
                }
            }
            c.add("event_info", format!("{name}-{meta_seen}"), seed);
        }
    }
}

/// Network frames the sample carries (first byte: media and direction, as the `packet`
/// target reads it) and the WinHTTP trace-text lines of its events.
fn packets_and_text(c: &mut Corpora, path: &Path) {
    let name = stem(path);
    let Ok(session) = Timeline::open(path, TimelineOptions::default()) else {
        return;
    };
    let frames = packet::frames(&session);
    let mut seen_protocols = BTreeSet::new();
    for frame in &frames {
        // One frame per protocol summary, so the seeds differ in what they reach.
        if !seen_protocols.insert(packet::summarize(frame).protocol) && seen_protocols.len() > 1 {
            continue;
        }
        let media = match frame.media {
            Media::Ethernet => 0,
            Media::Wifi => 1,
            Media::Ip => 2,
            Media::Unknown(_) => 3,
        };
        let direction = match frame.direction {
            Direction::Send => 0,
            Direction::Receive => 1,
            Direction::Unknown => 2,
        };
        let mut seed = vec![media | direction << 2];
        seed.extend(&frame.data);
        c.add("packet", format!("{name}-{}", seen_protocols.len()), seed);
    }
    let mut lines = BTreeSet::new();
    for e in session.events() {
        let decoded = session.decode(&e);
        if let Some(text) = trace_text_of(&decoded)
            && lines.len() < 12
        {
            lines.insert(text.to_string());
        }
    }
    for (i, line) in lines.into_iter().enumerate() {
        c.add("trace_text", format!("{name}-{i:02}"), line.into_bytes());
    }
}

/// Frames of the shapes the packet decoder knows, built with etherparse.
fn handmade_frames(c: &mut Corpora) {
    use etherparse::PacketBuilder;
    let build = |builder: etherparse::PacketBuilderStep<etherparse::UdpHeader>, payload: &[u8]| {
        let mut out = Vec::new();
        builder.write(&mut out, payload).unwrap();
        out
    };
    let mac = |n: u8| [0x00, 0x15, 0x5d, 0, 0, n];
    let dns_query: Vec<u8> = [
        &[0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0][..],
        b"\x07example\x03com\x00",
        &[0, 1, 0, 1],
    ]
    .concat();
    let udp = PacketBuilder::ethernet2(mac(1), mac(2))
        .ipv4([10, 1, 0, 5], [10, 1, 0, 9], 64)
        .udp(53000, 53);
    let mut seed = vec![0];
    seed.extend(build(udp, &dns_query));
    c.add("packet", "dns-query", seed);

    let http = b"GET /orders/7 HTTP/1.1\r\nHost: shop\r\n\r\n";
    let tcp = PacketBuilder::ethernet2(mac(1), mac(2))
        .ipv6(
            [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
            64,
        )
        .tcp(50000, 80, 1, 65535)
        .psh()
        .ack(1);
    let mut out = vec![1 << 2];
    tcp.write(&mut out, http).unwrap();
    c.add("packet", "http-ipv6", out);

    let raw = PacketBuilder::ipv4([10, 1, 0, 5], [10, 1, 0, 9], 64)
        .tcp(443, 50001, 9, 1024)
        .syn();
    let mut out = vec![2];
    raw.write(&mut out, &[]).unwrap();
    c.add("packet", "raw-ip-syn", out);
}

/// The first `events` records of a trace rewritten with 4 KiB buffers.
fn relog(trace: &Trace, events: usize, compress: bool) -> Vec<u8> {
    let mut options = match trace.logfile() {
        Some(l) => WriterOptions::from_logfile(l, trace.anchor_raw(), compress),
        None => WriterOptions::default(),
    };
    options.buffer_size = 4096;
    options.processors = options.processors.min(4);
    let mut w = EtlWriter::new(options);
    for e in trace.events_in_file_order().iter().skip(1).take(events) {
        let _ = w.push_raw_record(e.cpu, e.record);
    }
    w.finish()
}

fn utf16z(text: &str) -> Vec<u8> {
    text.encode_utf16()
        .chain([0])
        .flat_map(u16::to_le_bytes)
        .collect()
}

/// Traces written from scratch: every record kind, compressed and not, hostile strings.
fn writer_traces(c: &mut Corpora) {
    let provider = uuid::uuid!("7d44233d-3055-4b9c-ba64-0d47ca40a232");
    for compress in [false, true] {
        let mut w = EtlWriter::new(WriterOptions {
            buffer_size: 2048,
            compress,
            ..WriterOptions::default()
        });
        let meta = tl_metadata("Hostile", &[("text", 1), ("ansi", 2), ("n", 8)]);
        let traits = tl_traits("Fuzz.Hostile");
        let mut payload = utf16z("esc \u{1b}[31m bidi \u{202e} c1 \u{9b}");
        payload.extend([0x00, 0xD8, b'x', 0, 0, 0]); // lone surrogate then "x"
        payload.extend(b"=cmd|' /C calc'!A0\0");
        payload.extend(7u32.to_le_bytes());
        for i in 0..6u16 {
            let _ = w.push_event(
                i % 2,
                &EventRecord {
                    provider,
                    id: i,
                    level: (i % 5) as u8,
                    process_id: 1432,
                    thread_id: 7,
                    timestamp: 1_000_100 + i64::from(i),
                    extended: vec![
                        (ext_type::PROV_TRAITS, &traits[..]),
                        (ext_type::EVENT_SCHEMA_TL, &meta[..]),
                    ],
                    payload: &payload,
                    header32: i == 3,
                    ..EventRecord::default()
                },
            );
        }
        let _ = w.push_system(0, 0x0301, 3, 4, 8, 1_000_200, &[0u8; 48]);
        let _ = w.push_perfinfo(1, 0x0F2E, 2, 1_000_300, &[1u8; 24]);
        let _ = w.push_classic(0, provider, 10, 2, 4, 8, 1_000_400, b"classic\0");
        let mut string_only = EventRecord {
            provider,
            id: 99,
            timestamp: 1_000_500,
            payload: &payload[..40],
            ..EventRecord::default()
        };
        string_only.level = 2;
        let _ = w.push_event(1, &string_only);
        let suffix = if compress { "-z" } else { "" };
        c.add("etl_file", format!("writer-kinds{suffix}"), w.finish());
    }
}

/// Definition files small enough to be seeds, and a hand-written one with every construct.
fn definitions(c: &mut Corpora, repo: &Path) {
    for dir in ["parsers/classic", "parsers/manifests"] {
        let Ok(entries) = std::fs::read_dir(repo.join(dir)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for path in files
            .into_iter()
            .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() <= 12 * 1024))
        {
            c.add("manifest_xml", stem(&path), std::fs::read(&path).unwrap());
        }
    }
    c.add(
        "manifest_xml",
        "constructs",
        MANIFEST_CONSTRUCTS.as_bytes().to_vec(),
    );
}

const MANIFEST_CONSTRUCTS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<instrumentationManifest xmlns="http://schemas.microsoft.com/win/2004/08/events">
 <instrumentation><events>
  <provider name="Fuzz-Provider" guid="{11111111-2222-3333-4444-555555555555}" symbol="FUZZ">
   <tasks><task name="Send" value="1"><opcodes><opcode name="Go" value="10"/></opcodes></task></tasks>
   <keywords><keyword name="Net" mask="0x10"/></keywords>
   <maps>
    <valueMap name="Codes"><map value="0" message="$(string.ok)"/><map value="5" message="$(string.denied)"/></valueMap>
    <bitMap name="Bits"><map value="0x1" message="$(string.ok)"/><map value="0x2" message="$(string.denied)"/></bitMap>
   </maps>
   <templates>
    <template tid="T1">
     <data name="Count" inType="win:UInt16"/>
     <data name="Items" inType="win:UInt32" count="Count" map="Codes"/>
     <data name="Name" inType="win:UnicodeString"/>
     <data name="Blob" inType="win:Binary" length="Count"/>
     <struct name="Pair" count="2"><data name="A" inType="win:Int8"/><data name="B" inType="win:AnsiString"/></struct>
     <data name="Flags" inType="win:UInt32" map="Bits"/>
     <data name="Rest" inType="win:UInt8" count="*"/>
    </template>
   </templates>
   <events>
    <event value="1" version="0" template="T1" task="Send" opcode="Go" level="win:Error" keywords="Net" message="$(string.msg)" symbol="E1"/>
   </events>
  </provider>
 </events></instrumentation>
 <localization><resources culture="en-US"><stringTable>
  <string id="ok" value="OK"/><string id="denied" value="Access denied"/>
  <string id="msg" value="Sent %1 items to %3 (%6)%n"/>
 </stringTable></resources></localization>
</instrumentationManifest>
"#;

/// Schemas for the payload walker target: one field of each in-type, then mixed ones.
fn walker_schemas(c: &mut Corpora) {
    let payload: Vec<u8> = (0..96u8)
        .map(|i| if i % 7 == 0 { 0 } else { i.wrapping_mul(37) })
        .collect();
    for in_type in 0..40u8 {
        let mut seed = vec![0x31, in_type, 1, 0, 0];
        seed.extend(&payload);
        c.add("payload_walker", format!("type-{in_type:02}"), seed);
    }
    let mixed: [&[u8]; 4] = [
        // count, array counted by field 0, string of length field 0, struct with 2 members
        &[
            0x34, 4, 0, 0, 0, 8, 0, 5, 0, 1, 0, 0, 3, 24, 0, 0x44, 0, 3, 0, 0, 0, 7, 0, 0, 0,
        ],
        // prefix-counted and remaining arrays
        &[0x22, 6, 0, 6, 0, 4, 0, 7, 0x80],
        // nested structs past the depth limit
        &[
            0x01, 24, 0, 0x20, 0, 24, 0, 0x20, 0, 24, 0, 0x20, 0, 24, 0, 0x20, 0, 24, 0, 0x20, 0,
            4, 0, 0, 0,
        ],
        // counted strings of every flavour
        &[
            0x05, 22, 0, 0, 0, 23, 0, 0, 0, 26, 0, 0, 0, 28, 0, 0, 0, 32, 0, 0, 0,
        ],
    ];
    for (i, head) in mixed.iter().enumerate() {
        let mut seed = head.to_vec();
        seed.extend(&payload);
        c.add("payload_walker", format!("mixed-{i}"), seed);
    }
}

fn text_lines(c: &mut Corpora) {
    let lines = [
        "12:32:23.123 ::WinHttpReceiveResponse(0x11d23d0, 0x0)",
        "12:32:23.123 ::sys-recver starts in _INIT state",
        "12:32:23.123 ::sys-recver processing WebReceiveHttpResponse completion (error-cdoe = WSAETIMEDOUT (0x274c), overlapped = 003728F0)",
        "12:32:23.123 ::sys-recver failed to receive headers; error = WSAETIMEDOUT (10060)",
        "12:32:23.123 ::sys-recver returning ERROR_WINHTTP_TIMEOUT (12002) from RecvResponse()",
        "12:32:23.123 ::sys-req completes recv-headers inline (sync); error = ERROR_WINHTTP_TIMEOUT (12002)",
        "12:32:23.123 ::ERROR_WINHTTP_FROM_WIN32 mapped (WSAETIMEDOUT) 10060 to (ERROR_WINHTTP_TIMEOUT) 12002",
        "12:34:56.789 ::sys-recver failed to receive headers; error = ? (1460)",
        "current thread is not impersonating",
        "  01:02:03.004 ::  sys-conn closing\0\r",
        "WinHttpSendRequest(0x0, \"\", 0, 0x0, 0, 0, 0)\u{1b}[2J",
    ];
    for (i, line) in lines.iter().enumerate() {
        c.add(
            "trace_text",
            format!("line-{i:02}"),
            line.as_bytes().to_vec(),
        );
    }
    c.add("trace_text", "all-lines", lines.join("\n").into_bytes());
}

fn filters(c: &mut Corpora, shared: Option<&Path>) {
    let mut exprs: Vec<String> = [
        "Tcp.SrcPort == 80",
        "tcp.flags.syn==1",
        "http.request.command == \"GET\"",
        "NetEvent.Header.Descriptor.Task == 0x2",
        "ipv4.address == 10.1.1.1",
        "Property.TCPRetransmit == 1",
        "FrameVariable.TimeDelta > 10000000",
        "#MessageNumber == 5",
        "Etw::ProcessId == 4",
        "HTTP:Request:Method == \"GET\"",
        "*Port == 443",
        "!F == true",
        "NOT (a OR b) AND c",
        "Keyword has RECEIVE",
        "Message matches \"\\d+ \\(\" caseSensitive",
        "ContainsBin(Payload, HEX, \"0d0a\")",
        "ipv6.address == fe80::1",
        "Duration > 1.5s",
        "(Keyword & 0x200000000) != 0 && Error != 0",
        "ActivityId == {1d4f3a2b-0000-0000-0000-000000000000}",
        "Timestamp >= 2011-07-22T14:32:00 && Timestamp < 2011-07-22T14:32:30",
        "EventId in {201, 202} || winhttp.error in {12157, 12175}",
        "Result == ERROR_WINHTTP_TIMEOUT",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Inline examples of the filter document: `...` spans that contain an operator.
    if let Some(shared) = shared
        && let Ok(doc) = std::fs::read_to_string(shared.join("docs/filter-language.md"))
    {
        for span in doc.split('`').skip(1).step_by(2) {
            if ["==", "!=", "&&", "||", " in ", " contains ", ">="]
                .iter()
                .any(|op| span.contains(op))
                && !exprs.iter().any(|e| e == span)
            {
                exprs.push(span.to_string());
            }
        }
    }
    for (i, e) in exprs.iter().enumerate() {
        c.add("filter", format!("expr-{i:03}"), e.as_bytes().to_vec());
    }
    let compressed = xpress::compress(exprs.join("\n").as_bytes());
    let mut seed = (exprs.join("\n").len() as u32).to_le_bytes().to_vec();
    seed.extend(compressed);
    c.add("xpress", "filters-text", seed);
}
