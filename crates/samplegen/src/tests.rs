//! Tests of the generated samples as a whole: committed files, read-back, embedded schemas,
//! captured frames, the key frames the descriptions cite, and consistency with
//! `parsers/manifests/`.

use super::events::{ALL_EVENTS, EventSpec, NDIS_PACKET_END, NDIS_PACKET_START};
use super::*;
use decode::event_info::{METADATA_PROVIDER, MetadataTable, OPCODE_EVENT_INFO};
use decode::manifest::SchemaRegistry;
use decode::schema::Length;
use decode::value::decode_payload;
use etherparse::{SlicedPacket, TransportSlice};
use etl::{Event, ProviderId, Trace};
use std::collections::BTreeMap;

const REGENERATE: &str =
    "run `cargo run -p etlview-samplegen -- samples --force` and commit the result";

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples")
}

/// Each scenario with its build result (bytes and marks).
fn built_all() -> Vec<(Scenario, netsh::Built)> {
    type Build = fn() -> Result<netsh::Built, etl::writer::RecordTooLarge>;
    let builders: [Build; 4] = [
        scenarios::arr_healthy,
        scenarios::arr_502_timeout,
        scenarios::arr_502_reset,
        scenarios::arr_502_offline,
    ];
    scenarios()
        .into_iter()
        .zip(builders)
        .map(|(s, build)| (s, build().expect("records fit")))
        .collect()
}

fn short_name(event: &Event) -> &'static str {
    match event.header.provider {
        ProviderId::Kernel { group: 0 } => "EventTrace",
        ProviderId::Kernel { .. } => "kernel",
        ProviderId::Guid(g) if g == METADATA_PROVIDER => "EventMetadata",
        ProviderId::Guid(g) => ALL_EVENTS
            .iter()
            .find(|s| s.provider.guid == g)
            .map_or("other", |s| {
                s.provider.name.trim_start_matches("Microsoft-Windows-")
            }),
        _ => "other",
    }
}

fn utf16_text(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

/// Captured frames reassembled from their 1001 fragments: (first fragment frame, bytes).
fn frames(trace: &Trace) -> Vec<(usize, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, Vec<u8>)> = None;
    for e in trace.events() {
        if e.header.provider != ProviderId::Guid(events::NDIS_FRAGMENT.provider.guid)
            || e.header.id != 1001
        {
            continue;
        }
        let payload = e.payload();
        let size = u32::from_le_bytes(payload[8..12].try_into().unwrap()) as usize;
        let fragment = &payload[12..12 + size];
        assert_eq!(payload.len(), 12 + size, "frame {}", e.frame + 1);
        if e.header.keyword & NDIS_PACKET_START != 0 {
            assert!(
                pending.is_none(),
                "PacketStart inside a packet at {}",
                e.frame + 1
            );
            pending = Some((e.frame + 1, Vec::new()));
        }
        let (_, bytes) = pending.as_mut().expect("fragment without PacketStart");
        bytes.extend(fragment);
        if e.header.keyword & NDIS_PACKET_END != 0 {
            out.extend(pending.take());
        }
    }
    assert!(pending.is_none(), "unterminated packet");
    out
}

#[test]
fn committed_samples_are_current() {
    for scenario in scenarios() {
        let path = samples_dir().join(scenario.file_name);
        let committed = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}; {REGENERATE}", path.display()));
        let fresh = (scenario.build)();
        assert!(
            committed == fresh,
            "{} ({} bytes) differs from the generator's output ({} bytes); {REGENERATE}",
            path.display(),
            committed.len(),
            fresh.len()
        );
    }
}

#[test]
fn generation_is_deterministic() {
    for scenario in scenarios() {
        assert_eq!(
            (scenario.build)(),
            (scenario.build)(),
            "{}",
            scenario.file_name
        );
    }
}

#[test]
fn samples_read_back_cleanly_with_the_expected_events_per_provider() {
    // EventMetadata: one record per kind of manifest event; kernel: 16 processes, 9 threads
    // and 6 images of the rundown.
    let expected: BTreeMap<&str, Vec<(&str, usize)>> = BTreeMap::from([
        (
            "arr-healthy.etl",
            vec![
                ("EventMetadata", 36),
                ("EventTrace", 1),
                ("HttpService", 13),
                ("NDIS-PacketCapture", 32),
                ("TCPIP", 2),
                ("WebIO", 39),
                ("WinHttp", 71),
                ("kernel", 31),
            ],
        ),
        (
            "arr-502-timeout.etl",
            vec![
                ("EventMetadata", 40),
                ("EventTrace", 1),
                ("HttpService", 13),
                ("NDIS-PacketCapture", 59),
                ("TCPIP", 3),
                ("WebIO", 37),
                ("WinHttp", 64),
                ("kernel", 31),
            ],
        ),
        (
            "arr-502-reset.etl",
            vec![
                ("EventMetadata", 38),
                ("EventTrace", 1),
                ("HttpService", 13),
                ("NDIS-PacketCapture", 34),
                ("TCPIP", 3),
                ("WebIO", 42),
                ("WinHttp", 74),
                ("kernel", 31),
            ],
        ),
        (
            "arr-502-offline.etl",
            vec![
                ("EventMetadata", 26),
                ("EventTrace", 1),
                ("HttpService", 8),
                ("NDIS-PacketCapture", 33),
                ("TCPIP", 3),
                ("WebIO", 9),
                ("WinHttp", 18),
                ("kernel", 31),
            ],
        ),
    ]);
    for (scenario, built) in built_all() {
        assert!(built.bytes.len() <= 300 * 1024, "{}", scenario.file_name);
        let trace = Trace::from_bytes(built.bytes).unwrap();
        assert!(trace.issues().is_empty(), "{:?}", trace.issues());
        assert_eq!(trace.len(), built.records, "{}", scenario.file_name);
        let header = trace.logfile().unwrap();
        assert_eq!(header.number_of_processors, 4);
        assert_eq!(header.perf_freq, 10_000_000);
        assert_eq!(header.provider_version, 17763);
        let cpus: std::collections::BTreeSet<u16> = trace.events().map(|e| e.cpu).collect();
        assert_eq!(cpus.len(), 4, "{}", scenario.file_name);
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for e in trace.events() {
            *counts.entry(short_name(&e)).or_default() += 1;
        }
        let counts: Vec<(&str, usize)> = counts.into_iter().collect();
        assert_eq!(Some(&counts), expected.get(scenario.file_name));
        assert!(
            !counts.iter().any(|(name, _)| *name == "other"),
            "{counts:?}"
        );
    }
}

#[test]
fn every_manifest_event_decodes_with_its_embedded_schema() {
    for (scenario, built) in built_all() {
        let trace = Trace::from_bytes(built.bytes).unwrap();
        let mut table = MetadataTable::new();
        let mut decoded = 0;
        for e in trace.events() {
            match e.header.provider {
                ProviderId::Guid(g) if g == METADATA_PROVIDER => {
                    assert_eq!(e.header.opcode, OPCODE_EVENT_INFO);
                    table.add_record(e.header.opcode, e.payload()).unwrap();
                }
                ProviderId::Guid(g) => {
                    let version = e.header.version as u8;
                    let schema = table.get(&g, e.header.id, version).unwrap_or_else(|| {
                        panic!(
                            "{}: frame {} has no metadata before it",
                            scenario.file_name,
                            e.frame + 1
                        )
                    });
                    let d = decode_payload(schema, e.payload(), e.header.pointer_size);
                    assert_eq!(d.error, None, "frame {}", e.frame + 1);
                    assert_eq!(d.consumed, e.payload().len(), "frame {}", e.frame + 1);
                    decoded += 1;
                }
                _ => {}
            }
        }
        // One metadata record per kind of manifest event used.
        assert!(table.len() >= 20, "{}", scenario.file_name);
        assert!(decoded >= 60, "{}: {decoded}", scenario.file_name);
    }
}

#[test]
fn captured_frames_are_ethernet_ipv4_and_one_is_split() {
    for (scenario, built) in built_all() {
        let trace = Trace::from_bytes(built.bytes).unwrap();
        let frames = frames(&trace);
        assert!(frames.len() > 15, "{}", scenario.file_name);
        let mut split = 0;
        for e in trace.events() {
            let start = e.header.keyword & NDIS_PACKET_START != 0;
            let end = e.header.keyword & NDIS_PACKET_END != 0;
            if e.header.id == 1001 && start && !end {
                split += 1;
            }
        }
        assert!(split >= 1, "{}", scenario.file_name);
        for (number, bytes) in &frames {
            let sliced = SlicedPacket::from_ethernet(bytes)
                .unwrap_or_else(|err| panic!("frame {number}: {err}"));
            assert!(
                matches!(
                    sliced.transport,
                    Some(TransportSlice::Tcp(_)) | Some(TransportSlice::Udp(_))
                ),
                "frame {number}"
            );
        }
    }
}

#[test]
fn trace_lines_carry_the_event_time() {
    for (_, built) in built_all() {
        let trace = Trace::from_bytes(built.bytes).unwrap();
        for e in trace.events() {
            if e.header.provider != ProviderId::Guid(events::WINHTTP.guid) || e.header.id != 1 {
                continue;
            }
            let text = utf16_text(e.payload());
            let time = e.time_string(); // 2024-03-12T14:32:09.5000000Z
            assert_eq!(&text[..12], &time[11..23], "frame {}", e.frame + 1);
            assert_eq!(&text[12..15], " ::");
        }
    }
}

/// What the event at a marked frame must be; `frame` is the captured frame that starts
/// there (reassembled from its fragments), if any.
fn mark_matches(label: &str, e: &Event, frame: Option<&[u8]>) -> bool {
    let provider = e.header.provider;
    let is = |spec: &EventSpec| {
        provider == ProviderId::Guid(spec.provider.guid) && e.header.id == spec.id
    };
    let payload = e.payload();
    if is(&events::NDIS_FRAGMENT) {
        let Some(Ok(sliced)) = frame.map(SlicedPacket::from_ethernet) else {
            return false;
        };
        let Some(TransportSlice::Tcp(tcp)) = sliced.transport else {
            return false;
        };
        let data = String::from_utf8_lossy(tcp.payload()).to_string();
        return match label {
            "browser request arrives" => tcp.destination_port() == 80 && data.starts_with("GET "),
            "request forwarded to the content server" => {
                tcp.source_port() != 80 && data.contains("X-ARR-LOG-ID")
            }
            "SYN to the content server (no answer)"
            | "SYN retransmission 1"
            | "SYN retransmission 2" => tcp.syn() && tcp.destination_port() == 80,
            "TCP RST from the content server" => tcp.rst() && tcp.source_port() == 80,
            "ARR answers the late data with TCP RST" => tcp.rst() && tcp.destination_port() == 80,
            l if l.contains("200 OK from the content server") => {
                tcp.source_port() == 80 && data.starts_with("HTTP/1.1 200 OK")
            }
            l if l.contains("200 OK to the browser") => data.starts_with("HTTP/1.1 200 OK"),
            l if l.contains("502 Bad Gateway") => data.starts_with("HTTP/1.1 502 Bad Gateway"),
            l if l.contains("split") => e.header.keyword & NDIS_PACKET_END == 0,
            _ => false,
        };
    }
    if let Some(text) = label.strip_prefix("WinHttp: ") {
        let line = utf16_text(payload);
        return is(&events::WINHTTP_TEXT)
            && match text {
                "WSAETIMEDOUT mapped to ERROR_WINHTTP_TIMEOUT" => {
                    line.contains("mapped (WSAETIMEDOUT) 10060 to (ERROR_WINHTTP_TIMEOUT) 12002")
                }
                "WSAETIMEDOUT mapped to ERROR_WINHTTP_CANNOT_CONNECT" => line.contains(
                    "mapped (WSAETIMEDOUT) 10060 to (ERROR_WINHTTP_CANNOT_CONNECT) 12029",
                ),
                "ERROR_NETNAME_DELETED mapped to ERROR_WINHTTP_CONNECTION_ERROR" => line.contains(
                    "mapped (ERROR_NETNAME_DELETED) 64 to (ERROR_WINHTTP_CONNECTION_ERROR) 12030",
                ),
                other => line.ends_with(other),
            };
    }
    let api_failure = |api: &str, code: u32| {
        is(&events::WINHTTP_API_STOP)
            && payload.ends_with(&code.to_le_bytes())
            && payload[8..].starts_with(api.as_bytes())
    };
    match label {
        "WinHttpReceiveResponse fails with 12002" => api_failure("WinHttpReceiveResponse", 12002),
        "WinHttpReadData fails with 12030" => api_failure("WinHttpReadData", 12030),
        "WinHttpSendRequest fails with 12029" => api_failure("WinHttpSendRequest", 12029),
        "TCPIP: TcpConnectTcbTimeout" => is(&events::TCP_CONNECT_TIMEOUT),
        "WebIO: connect failed with 10060" => {
            is(&events::WEBIO_CONNECT_FAILED) && payload.ends_with(&10060u32.to_le_bytes())
        }
        _ => false,
    }
}

#[test]
fn descriptions_cite_the_marked_frames_and_the_frames_match() {
    for (scenario, built) in built_all() {
        let trace = Trace::from_bytes(built.bytes).unwrap();
        let captured: BTreeMap<usize, Vec<u8>> = frames(&trace).into_iter().collect();
        assert!(!built.marks.is_empty());
        for (label, frame) in &built.marks {
            let cited = format!("{frame} {label}");
            assert!(
                scenario.description.contains(&cited),
                "{}: description lacks `{cited}`",
                scenario.file_name
            );
            let event = trace.event(frame - 1).unwrap();
            assert!(
                mark_matches(label, &event, captured.get(frame).map(Vec::as_slice)),
                "{}: frame {frame} is not `{label}`",
                scenario.file_name
            );
        }
    }
}

#[test]
fn write_all_refuses_to_overwrite_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("samples");
    let written = write_all(&target, false).unwrap();
    assert_eq!(written.len(), 4);
    assert!(written.iter().all(|p| p.is_file()));
    let err = write_all(&target, false).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    assert!(err.to_string().contains("--force"), "{err}");
    std::fs::write(&written[0], b"stale").unwrap();
    write_all(&target, true).unwrap();
    assert_eq!(
        std::fs::read(&written[0]).unwrap(),
        (scenarios()[0].build)()
    );
}

#[test]
fn large_trace_has_exactly_the_requested_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.etl");
    large_trace(&path, 20_000).unwrap();
    let trace = Trace::open(&path).unwrap();
    assert!(trace.issues().is_empty(), "{:?}", trace.issues());
    assert_eq!(trace.len(), 20_000);
    // Uncompressed 64 KiB buffers, frames and trace text present.
    assert!(trace.buffers().iter().all(|b| !b.is_compressed()));
    let text = trace
        .events()
        .filter(|e| e.header.provider == ProviderId::Guid(events::WINHTTP.guid))
        .count();
    assert!(text > 5000, "{text}");
}

#[test]
fn event_table_agrees_with_the_manifests_in_parsers() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../parsers/manifests");
    let mut registry = SchemaRegistry::new();
    registry.load_dir(&dir).unwrap();
    for spec in ALL_EVENTS {
        let Some((schema, exact)) =
            registry.manifest_event(&spec.provider.guid, spec.id, spec.version)
        else {
            panic!(
                "{} {} is not in parsers/manifests",
                spec.provider.name, spec.id
            );
        };
        assert!(exact, "{} {}", spec.provider.name, spec.symbol);
        assert_eq!(&*schema.event_name, spec.symbol, "{}", spec.provider.name);
        let names: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
        let want: Vec<&str> = spec.fields.iter().map(|f| f.name).collect();
        assert_eq!(names, want, "{}", spec.symbol);
        for (got, field) in schema.fields.iter().zip(spec.fields) {
            assert_eq!(got.in_type, field.in_type, "{}.{}", spec.symbol, field.name);
            if let Some(index) = field.length_field {
                assert_eq!(got.length, Length::Field(usize::from(index)));
            }
        }
    }
}

#[test]
fn large_trace_stops_at_tiny_limits_too() {
    for limit in [1, 5, 40] {
        let trace = Trace::from_bytes(large::build(limit).unwrap()).unwrap();
        assert_eq!(trace.len(), limit);
        assert!(trace.issues().is_empty());
    }
}

/// `generate-samples` never writes through a symlink (live or dangling), refuses to replace
/// without `force`, and keeps a replaced file's mode; new files get 0666 minus the umask.
#[cfg(unix)]
#[test]
fn writing_samples_never_follows_symlinks() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let outside = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<&str> = crate::scenarios().iter().map(|s| s.file_name).collect();
    let target = outside.path().join("victim");
    std::fs::write(&target, b"keep me").unwrap();
    let dangling = outside.path().join("created-outside");
    symlink(&target, dir.path().join(names[0])).unwrap();
    symlink(&dangling, dir.path().join(names[1])).unwrap();
    // Without force: both links count as existing files.
    let refused = crate::write_all(dir.path(), false).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::AlreadyExists);
    assert!(!dangling.exists());
    std::fs::write(dir.path().join(names[2]), b"old").unwrap();
    std::fs::set_permissions(
        dir.path().join(names[2]),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    crate::write_all(dir.path(), true).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    assert!(
        !dangling.exists(),
        "a file was created through a dangling link"
    );
    let replaced = dir.path().join(names[0]);
    assert!(
        !replaced
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let mode = |name: &str| {
        std::fs::metadata(dir.path().join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(names[2]), 0o640, "a replaced file keeps its mode");
    // New files: 0666 minus the umask (read it back from a file made the usual way).
    let probe = dir.path().join("probe");
    std::fs::write(&probe, b"").unwrap();
    let usual = std::fs::metadata(&probe).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(names[3]), usual);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty());
}
