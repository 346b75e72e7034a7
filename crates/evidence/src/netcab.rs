//! `net.cab`, written by `netsh trace stop` beside `net.etl`: a Microsoft cabinet with the
//! trace report and what gatherNetworkInfo collects (`config/*.txt`, some in UTF-16LE,
//! `*.evtx` event logs, sometimes `NdfSession*.etl`). We list the members, read the machine
//! facts from the text files (computer name, OS, adapters, time zone) and turn the event logs
//! into records.
//!
//! The text files are command output (`set`, `systeminfo`-style `Key: Value` lists,
//! `ipconfig /all`), so the facts are read as `key = value` / `key : value` pairs and
//! `ipconfig` sections, whatever the exact command was.

use std::io::{Cursor, Read};
use std::path::PathBuf;

use crate::model::{
    Attribution, Damage, Details, Location, Record, RecordKind, ServerGuess, Source, SourceKind,
    excerpt, parse_iso_utc,
};

/// Members larger than this are listed but not read (an NDF .etl can be hundreds of MB).
const MAX_MEMBER_READ: u32 = 64 << 20;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CabMember {
    pub name: String,
    pub size: u32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Adapter {
    pub name: String,
    pub description: String,
    pub mac: String,
    pub addresses: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MachineFacts {
    pub computer_name: Option<String>,
    pub domain: Option<String>,
    pub os: Option<String>,
    pub os_version: Option<String>,
    pub time_zone: Option<String>,
    pub adapters: Vec<Adapter>,
    /// Which member told each fact (`computer_name` -> `config/envinfo.txt`).
    pub told_by: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetCab {
    pub members: Vec<CabMember>,
    pub facts: MachineFacts,
}

/// Decodes a member's text: UTF-16LE with BOM (the `.reg` exports and some command output),
/// UTF-8 with or without BOM otherwise.
pub fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        let units = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]));
        return etl::sanitize::utf16_escaping_surrogates(units);
    }
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8_lossy(b).into_owned()
}

/// Reads a cabinet in memory. A file that is not a cabinet, or a member that fails to
/// decompress, is reported in `damage`; every other member still loads.
pub fn parse(path: PathBuf, bytes: &[u8]) -> Source {
    let mut src = Source::new(path, SourceKind::NetCab);
    let mut cab = match cab::Cabinet::new(Cursor::new(bytes)) {
        Ok(c) => c,
        Err(e) => {
            src.damage.push(Damage {
                at: Location::Offset(0),
                expected: "a Microsoft cabinet (MSCF header)".into(),
                found: excerpt(&e.to_string()),
            });
            src.details = Details::NetCab(Box::default());
            return src;
        }
    };
    let mut info = NetCab::default();
    for folder in cab.folder_entries() {
        for f in folder.file_entries() {
            info.members.push(CabMember {
                name: f.name().to_string(),
                size: f.uncompressed_size(),
            });
        }
    }
    for m in info.members.clone() {
        let lower = m.name.to_ascii_lowercase().replace('\\', "/");
        let wanted = lower.ends_with(".evtx") || lower.ends_with(".txt");
        if !wanted {
            continue;
        }
        if m.size > MAX_MEMBER_READ {
            src.damage.push(Damage {
                at: Location::CabMember(m.name.clone()),
                expected: format!("a member under {MAX_MEMBER_READ} bytes to read"),
                found: format!("{} bytes (listed, not read)", m.size),
            });
            continue;
        }
        // Grown as read: the size is the cabinet's claim, not checked data.
        let mut data = Vec::new();
        if let Err(e) = cab
            .read_file(&m.name)
            .and_then(|mut r| r.read_to_end(&mut data))
        {
            src.damage.push(Damage {
                at: Location::CabMember(m.name.clone()),
                expected: "a member that decompresses".into(),
                found: excerpt(&e.to_string()),
            });
            continue;
        }
        if lower.ends_with(".evtx") {
            read_evtx(&m.name, data, &mut src);
        } else {
            read_facts(&m.name, &lower, &decode_text(&data), &mut info.facts);
        }
    }
    if let Some(name) = &info.facts.computer_name {
        src.server = Some(ServerGuess {
            name: name.clone(),
            how: Attribution::NetCabFacts,
        });
    }
    src.time_zone = info.facts.time_zone.clone();
    src.details = Details::NetCab(Box::new(info));
    src
}

/// `key=value` or `key : value` (with `ipconfig`'s ` . . .` leaders removed).
fn pair(line: &str) -> Option<(String, String)> {
    let (k, v) = if let Some((k, v)) = line.split_once('=').filter(|(k, _)| !k.contains(':')) {
        (k, v)
    } else {
        line.split_once(':')?
    };
    let k = k.trim().trim_end_matches(['.', ' ']).trim();
    if k.is_empty() {
        return None;
    }
    Some((k.to_string(), v.trim().to_string()))
}

fn set_fact(
    slot: &mut Option<String>,
    value: &str,
    fact: &str,
    member: &str,
    told: &mut Vec<(String, String)>,
) {
    if slot.is_none() && !value.is_empty() {
        *slot = Some(value.to_string());
        told.push((fact.to_string(), member.to_string()));
    }
}

fn read_facts(member: &str, lower: &str, text: &str, facts: &mut MachineFacts) {
    let file = lower.rsplit('/').next().unwrap_or(lower);
    if file.starts_with("adapterinfo") || text.contains("Windows IP Configuration") {
        read_ipconfig(member, text, facts);
    }
    for line in text.lines() {
        let Some((k, v)) = pair(line) else { continue };
        let told = &mut facts.told_by;
        match k.to_ascii_lowercase().as_str() {
            "computername" | "host name" | "csname" => {
                set_fact(&mut facts.computer_name, &v, "computer name", member, told)
            }
            "userdnsdomain" | "domain" => set_fact(&mut facts.domain, &v, "domain", member, told),
            "os name" | "caption" | "productname" => {
                set_fact(&mut facts.os, &v, "OS", member, told)
            }
            "os version" | "version" | "currentbuild" | "buildnumber" => {
                set_fact(&mut facts.os_version, &v, "OS version", member, told)
            }
            "time zone" | "timezone" | "standardname" | "timezonekeyname" => {
                set_fact(&mut facts.time_zone, &v, "time zone", member, told)
            }
            _ => {}
        }
    }
}

/// `ipconfig /all`: an unindented line ending in `:` starts an adapter section.
fn read_ipconfig(member: &str, text: &str, facts: &mut MachineFacts) {
    let mut current: Option<Adapter> = None;
    for line in text.lines() {
        let trimmed = line.trim_end();
        if !trimmed.starts_with(' ') && trimmed.ends_with(':') && trimmed.contains("adapter") {
            if let Some(a) = current.take() {
                facts.adapters.push(a);
            }
            let name = trimmed.trim_end_matches(':');
            let name = name.split_once("adapter ").map_or(name, |(_, n)| n);
            current = Some(Adapter {
                name: name.to_string(),
                ..Adapter::default()
            });
            continue;
        }
        let Some((k, v)) = pair(trimmed) else {
            continue;
        };
        let k = k.to_ascii_lowercase();
        match current.as_mut() {
            Some(a) => {
                if k == "description" {
                    a.description = v;
                } else if k == "physical address" {
                    a.mac = v;
                } else if k.starts_with("ipv4 address")
                    || k.starts_with("ipv6 address")
                    || k == "ip address"
                {
                    let addr = v.split('(').next().unwrap_or("").trim().to_string();
                    if !addr.is_empty() {
                        a.addresses.push(addr);
                    }
                }
            }
            None if k == "host name" => set_fact(
                &mut facts.computer_name,
                &v,
                "computer name",
                member,
                &mut facts.told_by,
            ),
            None => {}
        }
    }
    if let Some(a) = current {
        facts.adapters.push(a);
    }
}

fn read_evtx(member: &str, data: Vec<u8>, src: &mut Source) {
    let mut parser = match evtx::EvtxParser::from_buffer(data) {
        Ok(p) => p,
        Err(e) => {
            src.damage.push(Damage {
                at: Location::CabMember(member.to_string()),
                expected: "an event log file (ElfFile header)".into(),
                found: excerpt(&e.to_string()),
            });
            return;
        }
    };
    for item in parser.records() {
        match item {
            Ok(rec) => {
                let at = Location::EvtxRecord {
                    member: member.to_string(),
                    record_id: rec.event_record_id,
                };
                match event_xml_record(&rec.data, at.clone()) {
                    Some(r) => src.records.push(r),
                    None => src.damage.push(Damage {
                        at,
                        expected: "an event with System/TimeCreated".into(),
                        found: excerpt(&rec.data),
                    }),
                }
            }
            Err(e) => src.damage.push(Damage {
                at: Location::CabMember(member.to_string()),
                expected: "a readable event record".into(),
                found: excerpt(&e.to_string()),
            }),
        }
    }
}

fn el<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

/// One event rendered to XML (`<Event><System>...<EventData><Data Name=...>`) as a record.
pub fn event_xml_record(xml: &str, at: Location) -> Option<Record> {
    let doc = roxmltree::Document::parse(xml).ok()?;
    let ev = doc.root_element();
    let system = el(ev, "System")?;
    let filetime = el(system, "TimeCreated")
        .and_then(|t| t.attribute("SystemTime"))
        .and_then(parse_iso_utc)?;
    let mut fields = Vec::new();
    if let Some(p) = el(system, "Provider") {
        fields.push((
            "Provider".to_string(),
            p.attribute("Name").unwrap_or("").to_string(),
        ));
    }
    for name in [
        "EventID", "Level", "Task", "Opcode", "Keywords", "Channel", "Computer",
    ] {
        if let Some(v) = el(system, name).and_then(|n| n.text()) {
            fields.push((name.to_string(), v.trim().to_string()));
        }
    }
    for section in ["EventData", "UserData"] {
        if let Some(data) = el(ev, section) {
            for (i, d) in data
                .descendants()
                // Leaf elements only: the section itself and containers hold no value.
                .filter(|n| n.is_element() && *n != data && !n.children().any(|c| c.is_element()))
                .enumerate()
            {
                let name = d
                    .attribute("Name")
                    .map_or_else(|| format!("{}{}", d.tag_name().name(), i), str::to_string);
                fields.push((name, d.text().unwrap_or("").trim().to_string()));
            }
        }
    }
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map_or("", |(_, v)| v.as_str())
    };
    let summary = excerpt(&format!(
        "{} {} {}",
        get("Channel"),
        get("Provider"),
        get("EventID")
    ));
    Some(Record {
        filetime,
        kind: RecordKind::EventLog,
        fields: fields.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        summary,
        at,
    })
}

/// True for a Microsoft cabinet (`MSCF` signature).
pub fn sniff(head: &[u8]) -> bool {
    head.starts_with(b"MSCF")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_xml_to_record() {
        let xml = r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-WAS"/><EventID>5011</EventID><Level>3</Level><TimeCreated SystemTime="2026-02-10T22:40:01.5000000Z"/><Channel>System</Channel><Computer>WEB01</Computer></System><EventData><Data Name="AppPoolID">DefaultAppPool</Data></EventData></Event>"#;
        let r = event_xml_record(xml, Location::Line(1)).unwrap();
        assert_eq!(r.get("EventID"), Some("5011"));
        assert_eq!(r.get("AppPoolID"), Some("DefaultAppPool"));
        assert_eq!(r.get("Computer"), Some("WEB01"));
        assert_eq!(r.filetime, parse_iso_utc("2026-02-10T22:40:01.5Z").unwrap());
    }

    #[test]
    fn ipconfig_adapters() {
        let text = "Windows IP Configuration\r\n\r\n   Host Name . . . . . . . . . . . . : ARR01\r\n\r\nEthernet adapter Ethernet0:\r\n\r\n   Description . . . . . . . . . . . : vmxnet3 Ethernet Adapter\r\n   Physical Address. . . . . . . . . : 00-50-56-01-02-03\r\n   IPv4 Address. . . . . . . . . . . : 192.168.0.204(Preferred) \r\n";
        let mut f = MachineFacts::default();
        read_facts(
            "config/adapterinfo.txt",
            "config/adapterinfo.txt",
            text,
            &mut f,
        );
        assert_eq!(f.computer_name.as_deref(), Some("ARR01"));
        assert_eq!(f.adapters.len(), 1);
        assert_eq!(f.adapters[0].name, "Ethernet0");
        assert_eq!(f.adapters[0].addresses, vec!["192.168.0.204".to_string()]);
        assert_eq!(f.adapters[0].mac, "00-50-56-01-02-03");
    }
}
