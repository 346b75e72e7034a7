//! pcapng export read back by a real consumer: `tshark -r` must list the same number of
//! frames, with the same timestamps (to the microsecond), and its Protocol column must agree
//! with `summarize().protocol` for TCP, UDP, DNS, HTTP and TLS frames.
//!
//! Traces: the pktmon sample in `../shared/samples` and `samples/arr-*.etl` when present.
//! Without tshark (or the shared sample) the test skips with a message, except under
//! `CI=true`, where it fails.
//!
//! tshark runs with TCP reassembly off (`tcp.desegment_tcp_streams:FALSE`): our summary
//! describes one frame, and with reassembly on tshark labels the first segments of a
//! multi-segment HTTP message `TCP` and only the last one `HTTP`.

use std::path::{Path, PathBuf};
use std::process::Command;

use etherparse::{PacketBuilder, TcpHeader};
use etlview::packet::{Direction, Frame, Media, Source, frames, summarize, write_pcapng};
use etlview::timeline::{Timeline, TimelineOptions};

/// 1601-01-01 to 1970-01-01 in 100 ns units.
const FILETIME_UNIX_EPOCH: i64 = 116_444_736_000_000_000;

fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

fn skip_or_fail(why: &str) {
    assert!(!in_ci(), "{why} (required when CI=true)");
    eprintln!("skipping: {why}");
}

fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn traces() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let pktmon = root.join("../shared/samples/pktmon-demikernel-compressed.etl");
    if pktmon.is_file() {
        out.push(pktmon);
    } else {
        skip_or_fail(&format!("{} is missing", pktmon.display()));
    }
    if let Ok(dir) = std::fs::read_dir(root.join("samples")) {
        let mut arr: Vec<PathBuf> = dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("arr-") && n.ends_with(".etl"))
            })
            .collect();
        arr.sort();
        out.extend(arr);
    }
    out
}

/// (seconds since 1970 in microseconds, protocol column) per frame, as tshark reads them.
fn tshark_frames(pcapng: &Path) -> Vec<(i64, String)> {
    let output = Command::new("tshark")
        .arg("-r")
        .arg(pcapng)
        .args(["-o", "tcp.desegment_tcp_streams:FALSE"])
        .args([
            "-T",
            "fields",
            "-e",
            "frame.time_epoch",
            "-e",
            "_ws.col.Protocol",
        ])
        .output()
        .expect("tshark runs");
    assert!(
        output.status.success(),
        "tshark failed on {}: {}",
        pcapng.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let (time, protocol) = line.split_once('\t').unwrap_or((line, ""));
            (epoch_micros(time), protocol.to_string())
        })
        .collect()
}

/// `1718050715.489172100` -> microseconds.
fn epoch_micros(text: &str) -> i64 {
    let (seconds, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let seconds: i64 = seconds.parse().expect("integer seconds");
    let mut digits: String = fraction.chars().take(6).collect();
    while digits.len() < 6 {
        digits.push('0');
    }
    seconds * 1_000_000 + digits.parse::<i64>().expect("fraction digits")
}

fn our_micros(f: &Frame) -> i64 {
    (f.filetime - FILETIME_UNIX_EPOCH).div_euclid(10)
}

/// Wireshark names TLS by version (`TLSv1.2`) and HTTP by body type (`HTTP/XML`).
fn normalise(tshark_protocol: &str) -> &str {
    if tshark_protocol.starts_with("TLS") || tshark_protocol.starts_with("SSL") {
        "TLS"
    } else if tshark_protocol.starts_with("HTTP") {
        "HTTP"
    } else {
        tshark_protocol
    }
}

#[derive(Default, Debug)]
struct Agreement {
    compared: usize,
    /// TCP/UDP frames whose payload tshark decodes further than we do (SMB2, QUIC, ...).
    beyond_us: usize,
    not_compared: usize,
}

fn check_trace(path: &Path, dir: &Path) -> Agreement {
    let session = Timeline::open(path, TimelineOptions::default()).expect("trace opens");
    let ours = frames(&session);
    assert!(!ours.is_empty(), "{} has no packet frames", path.display());
    let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("trace");
    check_frames(&ours, name, dir)
}

fn check_frames(ours: &[Frame], name: &str, dir: &Path) -> Agreement {
    let path = Path::new(name);
    let out = dir.join(format!("{name}.pcapng"));
    let mut file = std::fs::File::create(&out).expect("create pcapng");
    let stats = write_pcapng(ours, &mut file).expect("write pcapng");
    assert_eq!(stats.frames, ours.len());

    let theirs = tshark_frames(&out);
    assert_eq!(
        theirs.len(),
        ours.len(),
        "frame count of {}",
        path.display()
    );
    let mut agreement = Agreement::default();
    for (i, (frame, (micros, column))) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(
            *micros,
            our_micros(frame),
            "timestamp of frame {} in {}",
            i + 1,
            path.display()
        );
        let summary = summarize(frame);
        let mine = summary.protocol.as_str();
        let theirs = normalise(column);
        let where_ = || {
            format!(
                "frame {} of {} ({}: {})",
                i + 1,
                path.display(),
                mine,
                summary.text
            )
        };
        match mine {
            "DNS" | "HTTP" | "TLS" | "ICMP" | "ICMPv6" | "ARP" => {
                assert_eq!(theirs, mine, "{}", where_());
                agreement.compared += 1;
            }
            "TCP" | "UDP" => {
                assert!(
                    !matches!(theirs, "DNS" | "HTTP" | "TLS"),
                    "tshark says {column}: {}",
                    where_()
                );
                if matches!(theirs, "TCP" | "UDP") {
                    assert_eq!(theirs, mine, "{}", where_());
                    agreement.compared += 1;
                } else {
                    agreement.beyond_us += 1;
                }
            }
            _ => agreement.not_compared += 1,
        }
    }
    eprintln!("{}: {} frames, {agreement:?}", path.display(), ours.len());
    agreement
}

#[test]
fn tshark_reads_our_pcapng() {
    if !tshark_available() {
        skip_or_fail("tshark is not installed");
        return;
    }
    let traces = traces();
    if traces.is_empty() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    for path in &traces {
        check_trace(path, dir.path());
    }
}

/// A TCP segment in an Ethernet frame; `flags` holds any of `S`, `A`, `F`, `R`, `P`.
fn tcp(from: ([u8; 4], u16), to: ([u8; 4], u16), flags: &str, payload: &[u8]) -> Vec<u8> {
    let mut header = TcpHeader::new(from.1, to.1, 1000, 64240);
    header.syn = flags.contains('S');
    header.fin = flags.contains('F');
    header.rst = flags.contains('R');
    header.psh = flags.contains('P');
    header.ack = flags.contains('A');
    header.acknowledgment_number = if header.ack { 5000 } else { 0 };
    let mut data = Vec::new();
    PacketBuilder::ethernet2([0, 0x15, 0x5d, 1, 2, 3], [0, 0x15, 0x5d, 4, 5, 6])
        .ipv4(from.0, to.0, 128)
        .tcp_header(header)
        .write(&mut data, payload)
        .expect("write to Vec");
    data
}

fn udp(from: ([u8; 4], u16), to: ([u8; 4], u16), payload: &[u8]) -> Vec<u8> {
    let mut data = Vec::new();
    PacketBuilder::ethernet2([0, 0x15, 0x5d, 1, 2, 3], [0, 0x15, 0x5d, 4, 5, 6])
        .ipv4(from.0, to.0, 64)
        .udp(from.1, to.1)
        .write(&mut data, payload)
        .expect("write to Vec");
    data
}

fn dns_query(name: &str) -> Vec<u8> {
    let mut b = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        b.push(label.len() as u8);
        b.extend(label.as_bytes());
    }
    b.extend([0, 0, 1, 0, 1]);
    b
}

fn client_hello(server_name: &str) -> Vec<u8> {
    let name = server_name.as_bytes();
    let mut ext = vec![0, 0];
    ext.extend(((name.len() + 5) as u16).to_be_bytes());
    ext.extend(((name.len() + 3) as u16).to_be_bytes());
    ext.push(0);
    ext.extend((name.len() as u16).to_be_bytes());
    ext.extend(name);
    let mut body = vec![3, 3];
    body.extend([7; 32]);
    body.extend([0, 0, 2, 0x13, 0x01, 1, 0]);
    body.extend((ext.len() as u16).to_be_bytes());
    body.extend(ext);
    let mut hs = vec![1];
    hs.extend(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend(body);
    let mut record = vec![22, 3, 1];
    record.extend((hs.len() as u16).to_be_bytes());
    record.extend(hs);
    record
}

/// Hand-built frames covering every protocol the summary names, on standard and
/// non-standard ports.
fn synthetic_frames() -> Vec<Frame> {
    let c = [10, 1, 0, 5];
    let s = [10, 1, 0, 9];
    let datas = vec![
        tcp((c, 50100), (s, 80), "S", b""),
        tcp((s, 80), (c, 50100), "SA", b""),
        tcp(
            (c, 50100),
            (s, 80),
            "AP",
            b"GET /api/orders HTTP/1.1\r\nHost: backend\r\n\r\n",
        ),
        tcp(
            (s, 80),
            (c, 50100),
            "AP",
            b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n",
        ),
        tcp(
            (s, 80),
            (c, 50100),
            "A",
            b"<html><body>more of the body</body></html>",
        ),
        tcp((c, 50100), (s, 80), "FA", b""),
        tcp((s, 80), (c, 50100), "RA", b""),
        tcp(
            (c, 50101),
            (s, 8080),
            "AP",
            b"POST /submit HTTP/1.1\r\nHost: b:8080\r\n\r\n",
        ),
        tcp(
            (c, 50102),
            (s, 5000),
            "AP",
            b"GET /health HTTP/1.1\r\nHost: b:5000\r\n\r\n",
        ),
        tcp(
            (s, 5000),
            (c, 50102),
            "AP",
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        ),
        tcp(
            (c, 50103),
            (s, 443),
            "AP",
            &client_hello("backend.contoso.com"),
        ),
        tcp((s, 443), (c, 50103), "AP", &[23, 3, 3, 0, 4, 1, 2, 3, 4]),
        tcp(
            (c, 50104),
            (s, 8443),
            "AP",
            &client_hello("api.contoso.com"),
        ),
        tcp((c, 50105), (s, 9000), "AP", b"\x00\x01binary protocol"),
        udp((c, 53000), (s, 53), &dns_query("backend.contoso.com")),
        udp((c, 40000), (s, 9999), b"plain datagram"),
    ];
    datas
        .into_iter()
        .enumerate()
        .map(|(i, data)| Frame {
            frame_number: i + 1,
            filetime: 133_485_408_000_000_000 + i as i64 * 12_345,
            interface: 7,
            direction: if i % 2 == 0 {
                Direction::Send
            } else {
                Direction::Receive
            },
            media: Media::Ethernet,
            pid: Some(4),
            tid: None,
            original_len: data.len(),
            truncated: false,
            data,
            source: Source::Ndis,
        })
        .collect()
}

#[test]
fn tshark_agrees_on_hand_built_frames() {
    if !tshark_available() {
        skip_or_fail("tshark is not installed");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let frames = synthetic_frames();
    let agreement = check_frames(&frames, "synthetic", dir.path());
    assert_eq!(agreement.compared, frames.len());
}
