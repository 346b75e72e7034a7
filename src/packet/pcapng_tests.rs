use super::*;
use crate::packet::testdata;

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// Splits a file into (type, body without the length words) and checks each block's
/// leading and trailing lengths agree and are multiples of 4.
fn blocks(file: &[u8]) -> Vec<(u32, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < file.len() {
        let kind = u32_at(file, at);
        let len = u32_at(file, at + 4) as usize;
        assert_eq!(len % 4, 0, "block at {at} not 32-bit aligned");
        assert_eq!(
            u32_at(file, at + len - 4) as usize,
            len,
            "trailing length at {at}"
        );
        out.push((kind, &file[at + 8..at + len - 4]));
        at += len;
    }
    out
}

fn write(frames: &[Frame]) -> (Vec<u8>, PcapStats) {
    let mut out = Vec::new();
    let stats = write_pcapng(frames, &mut out).unwrap();
    (out, stats)
}

#[test]
fn section_header_bytes() {
    let (file, stats) = write(&[]);
    assert_eq!(stats, PcapStats::default());
    let app = format!("etlview {}", env!("CARGO_PKG_VERSION"));
    let mut want = Vec::new();
    want.extend(0x0A0D_0D0Au32.to_le_bytes());
    let total = 28 + 4 + app.len().next_multiple_of(4) + 4;
    want.extend((total as u32).to_le_bytes());
    want.extend([0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0]);
    want.extend([0xFF; 8]);
    want.extend(4u16.to_le_bytes());
    want.extend((app.len() as u16).to_le_bytes());
    want.extend(app.as_bytes());
    want.resize(want.len() + (4 - app.len() % 4) % 4, 0);
    want.extend([0, 0, 0, 0]);
    want.extend((total as u32).to_le_bytes());
    assert_eq!(file, want);
}

#[test]
fn interface_and_packet_blocks_byte_for_byte() {
    let mut f = testdata::frame(Media::Ethernet, vec![0xAB; 5]);
    // 2024-01-01T00:00:00.1234567Z
    f.filetime = testdata::T0 + 1_234_567;
    f.original_len = 9;
    f.direction = Direction::Send;
    let (file, stats) = write(&[f]);
    assert_eq!(
        stats,
        PcapStats {
            frames: 1,
            interfaces: 1,
            payload_bytes: 5,
            truncated: 1
        }
    );
    let blocks = blocks(&file);
    assert_eq!(blocks.len(), 3);

    let (kind, idb) = blocks[1];
    assert_eq!(kind, 1);
    let mut want = vec![1, 0, 0, 0]; // link type Ethernet, reserved
    want.extend(262_144u32.to_le_bytes());
    let name = b"NDIS LowerIfIndex 7";
    want.extend([2, 0, name.len() as u8, 0]);
    want.extend(name);
    want.push(0); // pad 19 -> 20
    want.extend([9, 0, 1, 0, 7, 0, 0, 0]); // if_tsresol = 10^-7
    want.extend([0, 0, 0, 0]);
    assert_eq!(idb, &want[..]);

    let (kind, epb) = blocks[2];
    assert_eq!(kind, 6);
    let ticks: u64 = 1_704_067_200 * 10_000_000 + 1_234_567;
    let mut want = vec![0, 0, 0, 0]; // interface 0
    want.extend(((ticks >> 32) as u32).to_le_bytes());
    want.extend((ticks as u32).to_le_bytes());
    want.extend(5u32.to_le_bytes()); // captured
    want.extend(9u32.to_le_bytes()); // on the wire
    want.extend([0xAB; 5]);
    want.extend([0, 0, 0]); // pad to 8
    let comment = b"PID=1432 TID=88";
    want.extend([1, 0, comment.len() as u8, 0]);
    want.extend(comment);
    want.push(0);
    want.extend([2, 0, 4, 0, 2, 0, 0, 0]); // epb_flags: outbound
    want.extend([0, 0, 0, 0]);
    assert_eq!(epb, &want[..]);
}

#[test]
fn one_interface_block_per_source_interface_and_media() {
    let mut frames = vec![
        testdata::frame(Media::Ethernet, vec![1; 60]),
        testdata::frame(Media::Ip, vec![0x45; 20]),
        testdata::frame(Media::Ethernet, vec![2; 60]),
        testdata::frame(Media::Wifi, vec![3; 30]),
        testdata::frame(Media::Ethernet, vec![4; 60]),
    ];
    frames[2].interface = 8;
    frames[4].source = Source::Pktmon;
    frames[1].direction = Direction::Unknown;
    frames[1].pid = None;
    let (file, stats) = write(&frames);
    assert_eq!(stats.interfaces, 5);
    let blocks = blocks(&file);
    let link_types: Vec<u16> = blocks
        .iter()
        .filter(|b| b.0 == 1)
        .map(|b| u16_at(b.1, 0))
        .collect();
    assert_eq!(link_types, vec![1, 101, 1, 105, 1]);
    let packet_interfaces: Vec<u32> = blocks
        .iter()
        .filter(|b| b.0 == 6)
        .map(|b| u32_at(b.1, 0))
        .collect();
    assert_eq!(packet_interfaces, vec![0, 1, 2, 3, 4]);
    // Each interface block comes before its first packet.
    let kinds: Vec<u32> = blocks.iter().map(|b| b.0).collect();
    assert_eq!(kinds, vec![0x0A0D0D0A, 1, 6, 1, 6, 1, 6, 1, 6, 1, 6]);
    // No direction and no process: only the end-of-options marker follows the packet.
    let (_, raw_ip) = blocks[4];
    assert_eq!(&raw_ip[20 + 20..], &[0, 0, 0, 0]);
    // The pktmon interface is named as such.
    let pktmon_idb = blocks[9].1;
    assert_eq!(&pktmon_idb[12..12 + 18], b"pktmon component 7");
}

#[test]
fn repeated_interfaces_reuse_their_block() {
    let frames = vec![testdata::frame(Media::Ethernet, vec![0; 64]); 3];
    let (file, stats) = write(&frames);
    assert_eq!(
        (stats.frames, stats.interfaces, stats.payload_bytes),
        (3, 1, 192)
    );
    assert_eq!(blocks(&file).iter().filter(|b| b.0 == 1).count(), 1);
}

#[test]
fn times_before_1970_clamp_to_zero() {
    let mut f = testdata::frame(Media::Ethernet, vec![0; 4]);
    f.filetime = 0;
    let (file, _) = write(&[f]);
    let epb = blocks(&file)[2].1;
    assert_eq!(&epb[4..12], &[0; 8]);
}

proptest::proptest! {
    #[test]
    fn any_frames_give_well_formed_blocks(
        lens in proptest::collection::vec(0usize..70, 0..20),
        filetime in proptest::num::i64::ANY,
    ) {
        let frames: Vec<Frame> = lens
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let mut f = testdata::frame(Media::Ethernet, vec![i as u8; n]);
                f.interface = (i % 3) as u32;
                f.filetime = filetime;
                f
            })
            .collect();
        let (file, stats) = write(&frames);
        let blocks = blocks(&file);
        proptest::prop_assert_eq!(blocks.iter().filter(|b| b.0 == 6).count(), lens.len());
        proptest::prop_assert_eq!(stats.payload_bytes, lens.iter().sum::<usize>() as u64);
    }
}

/// The options of a section header body (after its 16 fixed bytes): (code, value).
fn options(body: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 16;
    while at + 4 <= body.len() {
        let code = u16_at(body, at);
        let len = usize::from(u16_at(body, at + 2));
        out.push((code, body[at + 4..at + 4 + len].to_vec()));
        at += 4 + len.div_ceil(4) * 4;
        if code == OPT_END {
            break;
        }
    }
    out
}

#[test]
fn damage_notes_become_section_comments() {
    let notes = vec![
        "etlview: input damage: bad_record at file offset 0x1048".to_string(),
        "etlview: input damage: missing_buffers at file offset 0x9000".to_string(),
    ];
    let mut file = Vec::new();
    write_pcapng_with_notes(&[], &notes, &mut file).unwrap();
    let all = blocks(&file);
    let comments: Vec<String> = options(all[0].1)
        .into_iter()
        .filter(|(code, _)| *code == OPT_COMMENT)
        .map(|(_, v)| String::from_utf8(v).unwrap())
        .collect();
    assert_eq!(comments, notes);
    // Without notes the header is as before.
    assert!(
        options(write(&[]).0.as_slice().get(8..).unwrap())
            .iter()
            .all(|(code, _)| *code != OPT_COMMENT)
    );
}
