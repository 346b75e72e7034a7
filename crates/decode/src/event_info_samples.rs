//! EventMetadata records of the real sample traces (read from ../shared/samples).

use super::*;
use std::io::BufRead;
use std::path::PathBuf;

/// Size of the classic EVENT_TRACE_HEADER before an EventMetadata payload.
const CLASSIC_HEADER: usize = 0x30;

fn shared_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if dir.join("samples").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} is missing on CI",
        dir.display()
    );
    eprintln!("skipping: {} not found", dir.display());
    None
}

/// (opcode, payload) of the EventMetadata record at `file_offset`, checking its header.
fn metadata_record(etl: &[u8], file_offset: usize) -> (u8, &[u8]) {
    let record = &etl[file_offset..];
    let size = usize::from(u16::from_le_bytes([record[0], record[1]]));
    assert_eq!(record[2], 0x14, "FULL_HEADER64 at {file_offset}");
    assert_eq!(
        Uuid::from_slice_le(&record[0x18..0x28]).unwrap(),
        METADATA_PROVIDER
    );
    (record[4], &record[CLASSIC_HEADER..size])
}

const DOTNET: &str = "Microsoft-Windows-DotNETRuntime";
const TPL: &str = "System.Threading.Tasks.TplEventSource";
const KERNEL_ET: &str = "Microsoft-Windows-Kernel-EventTracing";
const DNS: &str = "Microsoft-Windows-DNS-Client";

/// Event records: file offset, provider, event name, id, version, top-level field count.
const EVENTS: &[(&str, usize, &str, &str, u16, u8, usize)] = &[
    (
        "perfview-diaghub",
        198488,
        DOTNET,
        "CLRLoader/AssemblyLoad",
        154,
        1,
        6,
    ),
    (
        "perfview-diaghub",
        200336,
        DOTNET,
        "CLRLoader/ModuleLoad",
        152,
        2,
        13,
    ),
    (
        "perfview-diaghub",
        203520,
        DOTNET,
        "CLRLoader/DomainModuleLoad",
        151,
        1,
        8,
    ),
    (
        "perfview-diaghub",
        205320,
        DOTNET,
        "CLRLoader/AppDomainLoad",
        156,
        1,
        5,
    ),
    (
        "perfview-diaghub",
        206944,
        DOTNET,
        "CLRMethod/MethodLoadVerbose",
        143,
        1,
        10,
    ),
    (
        "perfview-diaghub",
        209488,
        DOTNET,
        "CLRMethod/MethodILToNativeMap",
        190,
        0,
        7,
    ),
    ("perfview-diaghub", 219736, TPL, "TaskStarted", 8, 0, 3),
    ("perfview-diaghub", 220624, TPL, "TaskCompleted", 9, 1, 4),
    (
        "perfview-diaghub",
        224520,
        DOTNET,
        "CLRLoader/ModuleUnload",
        153,
        2,
        13,
    ),
    (
        "perfview-diaghub",
        227472,
        DOTNET,
        "CLRLoader/AssemblyUnload",
        155,
        1,
        6,
    ),
    (
        "perfview-diaghub",
        229072,
        DOTNET,
        "CLRLoader/AppDomainUnload",
        157,
        1,
        5,
    ),
    (
        "perfview-diaghub",
        472984,
        DOTNET,
        "CLRMethod/MethodUnloadVerbose",
        144,
        1,
        10,
    ),
    (
        "perfview-diaghub",
        475288,
        DOTNET,
        "CLRMethod/MethodUnloadVerbose",
        144,
        2,
        11,
    ),
    (
        "perfview-diaghub",
        667632,
        DOTNET,
        "CLRRuntimeInformation/Start",
        187,
        0,
        15,
    ),
    (
        "perfview-diaghub",
        1056408,
        DOTNET,
        "CLRMethod/MethodJittingStarted",
        145,
        1,
        8,
    ),
    (
        "perfview-diaghub",
        1066088,
        TPL,
        "TaskScheduled/Send",
        7,
        1,
        6,
    ),
    (
        "perfview-diaghub",
        1072568,
        DOTNET,
        "CLRMethod/MethodLoadVerbose",
        143,
        2,
        11,
    ),
    (
        "perfview-net45-x86-kernel-clr",
        1583064,
        KERNEL_ET,
        "ETW_TASK_PROVIDER/ETW_OPCODE_ENABLE",
        14,
        0,
        2,
    ),
    (
        "perfview-net45-x86-kernel-clr",
        1591960,
        DNS,
        "EventID(1001)",
        1001,
        0,
        6,
    ),
    (
        "perfview-net45-x86-kernel-clr",
        1594240,
        DNS,
        "EventID(1019)",
        1019,
        0,
        2,
    ),
    (
        "perfview-net45-x86-kernel-clr",
        1607648,
        KERNEL_ET,
        "ETW_TASK_PROVIDER/ETW_OPCODE_UNREGISTER",
        9,
        0,
        1,
    ),
    (
        "perfview-net45-x86-kernel-clr",
        1765512,
        KERNEL_ET,
        "ETW_TASK_PROVIDER/ETW_OPCODE_REGISTER",
        8,
        0,
        1,
    ),
    (
        "perfview-net45-x86-kernel-clr",
        26302120,
        KERNEL_ET,
        "ETW_TASK_SESSION/ETW_OPCODE_STOP",
        11,
        0,
        4,
    ),
];

/// Map records: file offset, map name, is bitmap, entry count.
const MAPS: &[(&str, usize, &str, bool, usize)] = &[
    ("perfview-diaghub", 200088, "AssemblyFlagsMap", true, 4),
    ("perfview-diaghub", 203280, "ModuleFlagsMap", true, 4),
    ("perfview-diaghub", 206736, "AppDomainFlagsMap", true, 3),
    ("perfview-diaghub", 209240, "MethodFlagsMap", true, 4),
    ("perfview-diaghub", 670888, "RuntimeSkuMap", true, 2),
    ("perfview-diaghub", 671064, "StartupFlagsMap", true, 15),
    ("perfview-diaghub", 671896, "StartupModeMap", true, 5),
    (
        "perfview-net45-x86-kernel-clr",
        1593592,
        "DnsIpTypeMap",
        false,
        2,
    ),
];

fn read_sample(shared: &std::path::Path, name: &str) -> Vec<u8> {
    std::fs::read(shared.join(format!("samples/{name}.etl"))).unwrap()
}

#[test]
fn every_sample_metadata_record_parses() {
    let Some(shared) = shared_dir() else { return };
    let files = [
        read_sample(&shared, "perfview-diaghub"),
        read_sample(&shared, "perfview-net45-x86-kernel-clr"),
    ];
    let file = |name: &str| {
        if name == "perfview-diaghub" {
            &files[0]
        } else {
            &files[1]
        }
    };
    for &(sample, offset, provider, event_name, id, version, fields) in EVENTS {
        let (opcode, payload) = metadata_record(file(sample), offset);
        assert_eq!(opcode, OPCODE_EVENT_INFO);
        let info = parse_event_info(payload).unwrap_or_else(|e| panic!("{sample} @{offset}: {e}"));
        let key = (&*info.schema.provider_name, &*info.schema.event_name);
        assert_eq!(key, (provider, event_name), "{sample} @{offset}");
        assert_eq!(
            (info.descriptor.id, info.descriptor.version),
            (id, version),
            "{sample} @{offset}"
        );
        assert_eq!(info.schema.fields.len(), fields, "{sample} @{offset}");
    }
    for &(sample, offset, name, is_bitmap, entries) in MAPS {
        let (opcode, payload) = metadata_record(file(sample), offset);
        assert_eq!(opcode, OPCODE_MAP_INFO);
        let map = parse_map_info(payload).unwrap_or_else(|e| panic!("{sample} @{offset}: {e}"));
        assert_eq!(
            (map.name.as_str(), map.map.is_bitmap, map.map.entries.len()),
            (name, is_bitmap, entries)
        );
    }

    // Details seen in the dumps.
    let info = |sample, offset| parse_event_info(metadata_record(file(sample), offset).1).unwrap();
    let il_map = info("perfview-diaghub", 209488);
    assert_eq!(il_map.schema.fields[4].name, "ILOffsets");
    assert_eq!(il_map.schema.fields[4].count, Count::Field(3));
    assert_eq!(il_map.schema.level_name.as_deref(), Some("win:Verbose"));
    let method_load = info("perfview-diaghub", 206944);
    assert_eq!(
        method_load.schema.keyword_names,
        ["JitKeyword", "NGenKeyword"]
    );
    assert_eq!(
        method_load.schema.fields[5].map.as_deref(),
        Some("MethodFlagsMap")
    );
    assert!(
        method_load
            .schema
            .message
            .as_deref()
            .unwrap_or("")
            .starts_with("MethodID=%1;\r\nModuleID=%2;")
    );
    let dns = info("perfview-net45-x86-kernel-clr", 1591960);
    assert_eq!(dns.schema.fields[5].name, "Address");
    assert_eq!(dns.schema.fields[5].length, Length::Field(4));
    assert_eq!(dns.schema.fields[5].out_type, out_type::SOCKETADDRESS);
    assert_eq!(dns.descriptor.channel, 16);
}

/// (extended items skipped) user data of an EVENT_HEADER record.
fn user_data(record: &[u8]) -> &[u8] {
    let mut pos = 0x50;
    if u16::from_le_bytes([record[4], record[5]]) & 1 != 0 {
        loop {
            let item = &record[pos..pos + 8];
            pos += usize::from(u16::from_le_bytes([item[0], item[1]]));
            if item[4] & 1 == 0 {
                break;
            }
        }
    }
    &record[pos..]
}

/// The CLR and TPL events of perfview-diaghub-user-paged.etl decode exactly with the schemas
/// embedded in perfview-diaghub.etl (same session, merged separately).
#[test]
fn embedded_schemas_decode_the_sessions_events() {
    let Some(shared) = shared_dir() else { return };
    let merged = read_sample(&shared, "perfview-diaghub");
    let mut table = MetadataTable::new();
    for &(_, offset, ..) in EVENTS.iter().filter(|e| e.0 == "perfview-diaghub") {
        let (opcode, payload) = metadata_record(&merged, offset);
        table.add_record(opcode, payload).unwrap();
    }
    for &(_, offset, ..) in MAPS.iter().filter(|m| m.0 == "perfview-diaghub") {
        let (opcode, payload) = metadata_record(&merged, offset);
        table.add_record(opcode, payload).unwrap();
    }
    assert_eq!(table.len(), 17);

    let etl = read_sample(&shared, "perfview-diaghub-user-paged");
    let dump =
        std::fs::File::open(shared.join("reference/dissect/perfview-diaghub-user-paged.jsonl.gz"))
            .unwrap();
    let mut decoded = 0;
    let mut first_jit_message = None;
    for line in std::io::BufReader::new(flate2::read::GzDecoder::new(dump)).lines() {
        let rec: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        let (Some(foff), Some(provider)) = (rec["foff"].as_u64(), rec["provider"].as_str()) else {
            continue;
        };
        let (Ok(provider), Some(id), Some(version)) = (
            Uuid::parse_str(provider),
            rec["id"].as_u64(),
            rec["version"].as_u64(),
        ) else {
            continue;
        };
        let (Ok(id), Ok(version)) = (u16::try_from(id), u8::try_from(version)) else {
            continue;
        };
        let Some(schema) = table.get(&provider, id, version) else {
            continue;
        };
        let start = usize::try_from(foff).unwrap();
        let size = usize::try_from(rec["size"].as_u64().unwrap()).unwrap();
        let payload = user_data(&etl[start..start + size]);
        let d = decode_payload(schema, payload, 8);
        assert_eq!(d.error, None, "@{foff} {}", schema.event_name);
        assert_eq!(d.consumed, payload.len(), "@{foff} {}", schema.event_name);
        if first_jit_message.is_none() && id == 145 {
            first_jit_message = Some(render_message(schema.message.as_deref().unwrap_or(""), &d));
        }
        if id == 143 {
            assert!(matches!(
                d.get("MethodFlags"),
                Some(Value::Mapped { .. } | Value::UInt { value: 0, .. })
            ));
        }
        decoded += 1;
    }
    assert_eq!(decoded, 21775);
    let message = first_jit_message.expect("a MethodJittingStarted event");
    assert!(message.starts_with("MethodID=0x"), "{message}");
    assert!(message.contains("\r\nMethodName="), "{message}");
}
