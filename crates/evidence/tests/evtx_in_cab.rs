//! Event logs inside net.cab become records. No real `.evtx` is available to the tests, so a
//! minimal one is written here from MS-EVEN6: a file header, one 64 KiB chunk with CRC32s,
//! and records of plain BinXML (elements, attributes, text; no templates).

mod common;
use common::build_cab;

use std::path::PathBuf;

use etlview_evidence::{Location, RecordKind, SourceKind, model::parse_iso_utc, parse_as};

const FILE_HEADER: usize = 4096;
const CHUNK: usize = 65536;
const CHUNK_HEADER: usize = 512;
const RECORD_HEADER: usize = 24;

/// BinXML written at a known offset in the chunk (names are stored inline and point at
/// themselves).
struct BinXml {
    bytes: Vec<u8>,
    base: u32,
}

impl BinXml {
    fn pos(&self) -> u32 {
        self.base + self.bytes.len() as u32
    }
    fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(b);
        self
    }
    fn u16(&mut self, v: u16) -> &mut Self {
        self.raw(&v.to_le_bytes())
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        self.raw(&v.to_le_bytes())
    }
    fn utf16(&mut self, s: &str) -> &mut Self {
        for u in s.encode_utf16() {
            self.u16(u);
        }
        self
    }
    /// Name reference to the string that follows: next string, hash, length, UTF-16, NUL.
    fn name(&mut self, name: &str) -> &mut Self {
        let at = self.pos() + 4;
        self.u32(at)
            .u32(0)
            .u16(0)
            .u16(name.encode_utf16().count() as u16)
            .utf16(name)
            .u16(0)
    }
    fn text(&mut self, text: &str) -> &mut Self {
        self.raw(&[0x05, 0x01])
            .u16(text.encode_utf16().count() as u16)
            .utf16(text)
    }
    /// `<name a="v"...>` (empty when `inner` is None) or `<name>inner</name>`.
    fn element(
        &mut self,
        name: &str,
        attrs: &[(&str, &str)],
        inner: Option<&dyn Fn(&mut BinXml)>,
    ) -> &mut Self {
        self.raw(&[if attrs.is_empty() { 0x01 } else { 0x41 }])
            .u32(0)
            .name(name);
        if !attrs.is_empty() {
            self.u32(0);
            for (k, v) in attrs {
                self.raw(&[0x06]).name(k).text(v);
            }
        }
        match inner {
            None => self.raw(&[0x03]),
            Some(write) => {
                self.raw(&[0x02]);
                write(self);
                self.raw(&[0x04])
            }
        }
    }
}

fn evtx(records: &[(&str, &str, &str)]) -> Vec<u8> {
    fn put(buf: &mut [u8], at: usize, b: &[u8]) {
        buf[at..at + b.len()].copy_from_slice(b);
    }
    let count = records.len();
    let mut file = vec![0u8; FILE_HEADER + CHUNK];
    put(&mut file, 0, b"ElfFile\0");
    put(&mut file, 24, &(count as u64 + 1).to_le_bytes());
    put(&mut file, 32, &128u32.to_le_bytes());
    put(&mut file, 36, &1u16.to_le_bytes());
    put(&mut file, 38, &3u16.to_le_bytes());
    put(&mut file, 40, &(FILE_HEADER as u16).to_le_bytes());
    put(&mut file, 42, &1u16.to_le_bytes());
    let crc = evtx::checksum_ieee(&file[..120]);
    put(&mut file, 124, &crc.to_le_bytes());
    let chunk = &mut file[FILE_HEADER..];
    let (mut start, mut last) = (CHUNK_HEADER, CHUNK_HEADER);
    for (i, (time, event_id, pool)) in records.iter().enumerate() {
        let mut x = BinXml {
            bytes: Vec::new(),
            base: (start + RECORD_HEADER) as u32,
        };
        x.raw(&[0x0f, 1, 1, 0]);
        x.element(
            "Event",
            &[],
            Some(&|x: &mut BinXml| {
                x.element(
                    "System",
                    &[],
                    Some(&|x: &mut BinXml| {
                        x.element("Provider", &[("Name", "Microsoft-Windows-WAS")], None);
                        x.element(
                            "EventID",
                            &[],
                            Some(&|x: &mut BinXml| {
                                x.text(event_id);
                            }),
                        );
                        x.element("TimeCreated", &[("SystemTime", time)], None);
                        x.element(
                            "Channel",
                            &[],
                            Some(&|x: &mut BinXml| {
                                x.text("System");
                            }),
                        );
                        x.element(
                            "Computer",
                            &[],
                            Some(&|x: &mut BinXml| {
                                x.text("WEB01.contoso.local");
                            }),
                        );
                    }),
                );
                x.element(
                    "EventData",
                    &[],
                    Some(&|x: &mut BinXml| {
                        x.element(
                            "Data",
                            &[("Name", "AppPoolID")],
                            Some(&|x: &mut BinXml| {
                                x.text(pool);
                            }),
                        );
                    }),
                );
            }),
        );
        x.raw(&[0x00]);
        let size = RECORD_HEADER + x.bytes.len() + 4;
        let rec = &mut chunk[start..start + size];
        put(rec, 0, b"**\0\0");
        put(rec, 4, &(size as u32).to_le_bytes());
        put(rec, 8, &(i as u64 + 1).to_le_bytes());
        put(rec, 16, &134_149_000_000_000_000u64.to_le_bytes());
        put(rec, RECORD_HEADER, &x.bytes);
        put(rec, size - 4, &(size as u32).to_le_bytes());
        last = start;
        start += size;
    }
    put(chunk, 0, b"ElfChnk\0");
    for (at, id) in [(8, 1), (16, count), (24, 1), (32, count)] {
        put(chunk, at, &(id as u64).to_le_bytes());
    }
    put(chunk, 40, &128u32.to_le_bytes());
    put(chunk, 44, &(last as u32).to_le_bytes());
    put(chunk, 48, &(start as u32).to_le_bytes());
    let crc = evtx::checksum_ieee(&chunk[CHUNK_HEADER..start]);
    put(chunk, 52, &crc.to_le_bytes());
    let crc = evtx::checksum_ieee(&[&chunk[..120], &chunk[128..CHUNK_HEADER]].concat());
    put(chunk, 124, &crc.to_le_bytes());
    file
}

#[test]
fn event_log_records_in_net_cab() {
    let log = evtx(&[
        ("2026-02-10T22:40:01.5000000Z", "5011", "DefaultAppPool"),
        ("2026-02-10T22:40:44.0000000Z", "5117", "ArrPool"),
    ]);
    let mut cut = log.clone();
    // A second copy whose second record lost its signature.
    let second = FILE_HEADER
        + CHUNK_HEADER
        + 4
        + cut[FILE_HEADER + CHUNK_HEADER + 4..]
            .windows(4)
            .position(|w| w == b"**\0\0")
            .unwrap();
    cut[second] = b'#';
    let bytes = build_cab(&[
        ("System.evtx", &log),
        ("config/envinfo.txt", b"COMPUTERNAME=WEB01\r\n"),
        ("Damaged.evtx", &cut),
    ]);
    let src = parse_as(SourceKind::NetCab, PathBuf::from("net.cab"), &bytes);
    let from_system: Vec<_> = src
        .records
        .iter()
        .filter(|r| matches!(&r.at, Location::EvtxRecord { member, .. } if member == "System.evtx"))
        .collect();
    assert_eq!(from_system.len(), 2, "{:?} {:?}", src.records, src.damage);
    let r = from_system[0];
    assert_eq!(r.kind, RecordKind::EventLog);
    assert_eq!(r.filetime, parse_iso_utc("2026-02-10T22:40:01.5Z").unwrap());
    assert_eq!(r.get("EventID"), Some("5011"));
    assert_eq!(r.get("Provider"), Some("Microsoft-Windows-WAS"));
    assert_eq!(r.get("AppPoolID"), Some("DefaultAppPool"));
    assert_eq!(r.get("Computer"), Some("WEB01.contoso.local"));
    assert_eq!(
        r.at,
        Location::EvtxRecord {
            member: "System.evtx".into(),
            record_id: 1
        }
    );
    assert_eq!(from_system[1].get("AppPoolID"), Some("ArrPool"));
    let damaged = src.records.iter().filter(
        |r| matches!(&r.at, Location::EvtxRecord { member, .. } if member == "Damaged.evtx"),
    );
    assert_eq!(damaged.count(), 1);
    // The damaged log is reported, not silently dropped.
    assert!(
        src.damage
            .iter()
            .any(|d| matches!(&d.at, Location::CabMember(m) if m == "Damaged.evtx")),
        "{:?}",
        src.damage
    );
    assert_eq!(src.server.as_ref().unwrap().name, "WEB01");
}
