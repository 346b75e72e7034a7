use super::*;
use crate::packet::testdata;
use crate::timeline::TimelineOptions;
use etl::Trace;
use etl::writer::{EtlWriter, EventRecord, WriterOptions};

const ETHERNET: u64 = 0x1;
const START: u64 = keyword::PACKET_START;
const END: u64 = keyword::PACKET_END;
const SEND: u64 = keyword::SEND;
const RECEIVE: u64 = keyword::RECEIVE;

/// One NDIS 1001 event to write: cpu, raw QPC timestamp, keyword, LowerIfIndex, fragment.
struct Fragment<'a> {
    cpu: u16,
    at: i64,
    keyword: u64,
    interface: u32,
    bytes: &'a [u8],
}

/// The 1001 payload as the manifest lays it out: MiniportIfIndex, LowerIfIndex,
/// FragmentSize, Fragment.
fn ndis_payload(interface: u32, bytes: &[u8], declared: u32) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend(interface.to_le_bytes());
    p.extend(interface.to_le_bytes());
    p.extend(declared.to_le_bytes());
    p.extend(bytes);
    p
}

fn session_with(fragments: &[Fragment]) -> Timeline {
    let mut w = EtlWriter::new(WriterOptions::default());
    for f in fragments {
        let payload = ndis_payload(f.interface, f.bytes, f.bytes.len() as u32);
        w.push_event(
            f.cpu,
            &EventRecord {
                provider: NDIS_PROVIDER,
                id: NDIS_PACKET_FRAGMENT,
                level: 4,
                keyword: f.keyword | ETHERNET | 0x600_0000_0000,
                process_id: 4,
                thread_id: 120,
                timestamp: f.at,
                payload: &payload,
                ..Default::default()
            },
        )
        .expect("fits the buffer");
    }
    let trace = Trace::from_bytes(w.finish()).expect("written trace opens");
    Timeline::from_trace(trace, TimelineOptions::default())
}

fn http_get() -> Vec<u8> {
    testdata::tcp(
        (testdata::CLIENT, 50123),
        (testdata::SERVER, 80),
        "AP",
        1,
        1,
        b"GET /index.html HTTP/1.1\r\nHost: backend\r\n\r\n",
    )
    .data
}

#[test]
fn whole_frame_event_is_one_frame() {
    let bytes = http_get();
    let session = session_with(&[Fragment {
        cpu: 0,
        at: 2_000_000,
        keyword: START | END | SEND,
        interface: 7,
        bytes: &bytes,
    }]);
    let all = frames(&session);
    assert_eq!(all.len(), 1);
    let f = &all[0];
    assert_eq!(f.data, bytes);
    assert_eq!(f.interface, 7);
    assert_eq!(f.direction, Direction::Send);
    assert_eq!(f.media, Media::Ethernet);
    assert_eq!((f.pid, f.tid), (Some(4), Some(120)));
    assert_eq!(f.original_len, bytes.len());
    assert!(!f.truncated);
    assert_eq!(f.source, Source::Ndis);
    let event = session.event(f.frame_number - 1).unwrap();
    assert_eq!(f.filetime, event.filetime);
    assert_eq!(frame_of(&session, &event).as_ref(), Some(f));
}

#[test]
fn fragments_are_joined_per_processor_and_interface() {
    let a = http_get();
    let b = testdata::udp(
        (testdata::CLIENT, 5000),
        (testdata::SERVER, 53),
        &[0x42; 200],
    )
    .data;
    // Frame a in three pieces on cpu 0, frame b in two pieces on cpu 1, interleaved in time.
    let session = session_with(&[
        Fragment {
            cpu: 0,
            at: 2_000_000,
            keyword: START | RECEIVE,
            interface: 7,
            bytes: &a[..20],
        },
        Fragment {
            cpu: 1,
            at: 2_000_001,
            keyword: START | RECEIVE,
            interface: 9,
            bytes: &b[..100],
        },
        Fragment {
            cpu: 0,
            at: 2_000_002,
            keyword: RECEIVE,
            interface: 7,
            bytes: &a[20..40],
        },
        Fragment {
            cpu: 1,
            at: 2_000_003,
            keyword: END | RECEIVE,
            interface: 9,
            bytes: &b[100..],
        },
        Fragment {
            cpu: 0,
            at: 2_000_004,
            keyword: END | RECEIVE,
            interface: 7,
            bytes: &a[40..],
        },
    ]);
    let all = frames(&session);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].data, b);
    assert_eq!(all[0].interface, 9);
    // Frame 1 is the trace's header record.
    assert_eq!(all[0].frame_number, 5);
    assert_eq!(all[1].data, a);
    assert_eq!(all[1].frame_number, 6);
    assert_eq!(all[1].direction, Direction::Receive);
    // A fragment of a multi-event packet is not a whole frame by itself.
    let last = session.event(5).unwrap();
    assert_eq!(frame_of(&session, &last), None);
}

#[test]
fn orphans_restarts_and_unfinished_packets_are_dropped() {
    let a = http_get();
    let session = session_with(&[
        // A tail without its start.
        Fragment {
            cpu: 0,
            at: 2_000_000,
            keyword: END,
            interface: 7,
            bytes: &a[30..],
        },
        // A start abandoned by a new start on the same processor and interface.
        Fragment {
            cpu: 0,
            at: 2_000_001,
            keyword: START,
            interface: 7,
            bytes: &a[..30],
        },
        Fragment {
            cpu: 0,
            at: 2_000_002,
            keyword: START,
            interface: 7,
            bytes: &a[..10],
        },
        Fragment {
            cpu: 0,
            at: 2_000_003,
            keyword: END,
            interface: 7,
            bytes: &a[10..],
        },
        // Still open when the trace ends.
        Fragment {
            cpu: 1,
            at: 2_000_004,
            keyword: START,
            interface: 7,
            bytes: &a[..10],
        },
    ]);
    let all = frames(&session);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].data, a);
    assert_eq!(all[0].direction, Direction::Unknown);
}

#[test]
fn media_keywords_choose_the_link_layer() {
    let ip_packet = testdata::raw_ip_udp(b"x").data;
    let session = session_with(&[
        Fragment {
            cpu: 0,
            at: 2_000_000,
            keyword: START | END | keyword::WIRELESS_WAN,
            interface: 3,
            bytes: &ip_packet,
        },
        Fragment {
            cpu: 0,
            at: 2_000_001,
            keyword: START | END | keyword::NATIVE_802_11,
            interface: 4,
            bytes: &[0x08, 0x02, 0, 0],
        },
    ]);
    let media: Vec<Media> = frames(&session).iter().map(|f| f.media).collect();
    // ETHERNET is set on every test event too: the specific media bits win over it.
    assert_eq!(media, vec![Media::Ip, Media::Wifi]);
}

#[test]
fn a_frame_cut_at_capture_keeps_its_wire_length() {
    let full = testdata::udp(
        (testdata::CLIENT, 5000),
        (testdata::SERVER, 9999),
        &[7; 1000],
    )
    .data;
    let session = session_with(&[Fragment {
        cpu: 0,
        at: 2_000_000,
        keyword: START | END,
        interface: 7,
        bytes: &full[..128],
    }]);
    let f = &frames(&session)[0];
    assert_eq!(f.data.len(), 128);
    assert_eq!(f.original_len, full.len());
    assert!(f.truncated);
}

#[test]
fn fragment_size_larger_than_the_event_is_cut_to_the_event() {
    let payload = ndis_payload(5, &[1, 2, 3], 1_000_000);
    let fragment = NdisFragment::parse(&payload).unwrap();
    assert_eq!(fragment.bytes, &[1, 2, 3]);
    assert_eq!(fragment.lower_if_index, 5);
    assert_eq!(NdisFragment::parse(&payload[..11]), None);
}

#[test]
fn wire_length_reads_ipv4_ipv6_and_vlan_headers() {
    let v4 =
        testdata::udp_in_vlan(12, (testdata::CLIENT, 1), (testdata::SERVER, 2), &[0; 100]).data;
    assert_eq!(wire_len(Media::Ethernet, &v4[..60]), v4.len());
    let v6 = testdata::tcp6(([1; 16], 443), ([2; 16], 50000), &[0; 300]).data;
    assert_eq!(wire_len(Media::Ethernet, &v6[..80]), v6.len());
    // Minimum-size padding is longer than the IP packet: the captured length stands.
    let mut padded =
        testdata::tcp((testdata::CLIENT, 1), (testdata::SERVER, 2), "A", 1, 1, b"").data;
    padded.resize(60, 0);
    assert_eq!(wire_len(Media::Ethernet, &padded), 60);
    assert_eq!(wire_len(Media::Wifi, &padded), 60);
    assert_eq!(wire_len(Media::Ethernet, &[0x45; 5]), 5);
}

#[test]
fn pktmon_direction_tags() {
    assert_eq!(pktmon_direction(3), Direction::Receive);
    assert_eq!(pktmon_direction(4), Direction::Send);
    assert_eq!(pktmon_direction(0), Direction::Unknown);
    assert_eq!(pktmon_direction_name("Egress"), Direction::Send);
    assert_eq!(pktmon_packet_type_code("IP"), Some(3));
}

fn shared_sample(name: &str) -> Option<std::path::PathBuf> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/samples")
        .join(name);
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} is missing in CI",
        path.display()
    );
    eprintln!("skipping: {} not found", path.display());
    None
}

#[test]
fn pktmon_sample_has_one_frame_per_packet_event() {
    let Some(path) = shared_sample("pktmon-demikernel-compressed.etl") else {
        return;
    };
    let session = Timeline::open(&path, TimelineOptions::default()).unwrap();
    let packet_events = session
        .events()
        .filter(|e| {
            e.header.provider == ProviderId::Guid(PKTMON_PROVIDER) && e.header.id == PKTMON_PACKET
        })
        .count();
    assert_eq!(packet_events, 114);
    let all = frames(&session);
    assert_eq!(all.len(), packet_events);
    let first = &all[0];
    assert_eq!(first.frame_number, 21);
    assert_eq!(first.source, Source::Pktmon);
    assert_eq!(first.media, Media::Ethernet);
    assert_eq!(first.direction, Direction::Receive);
    assert_eq!(first.interface, 59);
    assert_eq!(first.data.len(), 98);
    assert_eq!(&first.data[12..14], &[0x08, 0x00]);
    assert!(
        all.iter()
            .all(|f| !f.truncated && f.original_len == f.data.len())
    );
    assert!(all.iter().any(|f| f.direction == Direction::Send));
    assert!(all.windows(2).all(|w| w[0].filetime <= w[1].filetime));
}

#[test]
fn netsh_samples_give_one_frame_per_packet_end() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipping: {} not found", dir.display());
        return;
    };
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !(name.starts_with("arr-") && name.ends_with(".etl")) {
            continue;
        }
        let session = Timeline::open(&path, TimelineOptions::default()).unwrap();
        let ends = session
            .events()
            .filter(|e| {
                e.header.provider == ProviderId::Guid(NDIS_PROVIDER)
                    && e.header.id == NDIS_PACKET_FRAGMENT
                    && e.header.keyword & END != 0
            })
            .count();
        let all = frames(&session);
        assert_eq!(all.len(), ends, "{name}");
        for f in &all {
            let s = crate::packet::summarize(f);
            assert!(
                matches!(s.protocol.as_str(), "TCP" | "UDP" | "DNS" | "HTTP" | "TLS"),
                "{name} frame {}: {} {}",
                f.frame_number,
                s.protocol,
                s.text
            );
            assert_ne!(f.direction, Direction::Unknown);
        }
    }
}
