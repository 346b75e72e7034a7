//! Tests of TraceLogging metadata parsing (kept beside tracelogging.rs to keep it short).

use super::*;
use crate::value::{Value, decode_payload};

/// Builds an event metadata blob: size prefix, one tag byte, name, then raw field entries.
fn event_blob(name: &str, fields: &[u8]) -> Vec<u8> {
    let mut body = vec![0x00];
    body.extend_from_slice(name.as_bytes());
    body.push(0);
    body.extend_from_slice(fields);
    let mut blob = u16::try_from(body.len() + 2)
        .unwrap()
        .to_le_bytes()
        .to_vec();
    blob.extend(body);
    blob
}

fn entry(name: &str, meta: &[u8]) -> Vec<u8> {
    let mut v = name.as_bytes().to_vec();
    v.push(0);
    v.extend_from_slice(meta);
    v
}

fn utf16z(s: &str) -> Vec<u8> {
    let mut v: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
    v.extend_from_slice(&[0, 0]);
    v
}

#[test]
fn provider_traits_with_group() {
    let group = Uuid::parse_str("4f50731a-89cf-4782-b3e0-dce8c90476ba").unwrap();
    let mut blob = vec![0, 0];
    blob.extend_from_slice(b"Microsoft.Windows.Subsystem.LxCore\0");
    blob.extend_from_slice(&19u16.to_le_bytes());
    blob.push(TRAIT_PROVIDER_GROUP);
    blob.extend_from_slice(&group.to_bytes_le());
    let size = u16::try_from(blob.len()).unwrap().to_le_bytes();
    blob[..2].copy_from_slice(&size);
    blob.extend_from_slice(&[0, 0, 0]); // item padding after the blob is ignored
    let traits = parse_provider_traits(&blob).unwrap();
    assert_eq!(traits.name, "Microsoft.Windows.Subsystem.LxCore");
    assert_eq!(traits.group_guid, Some(group));
    assert_eq!(traits.decode_guid, None);
    assert_eq!(traits.traits.len(), 1);
    assert_eq!(traits.traits[0].trait_type, 1);
}

#[test]
fn provider_traits_errors_and_leniency() {
    // Name only.
    let traits = parse_provider_traits(b"\x09\x00MyProv\0").unwrap();
    assert_eq!(traits.name, "MyProv");
    assert!(traits.traits.is_empty());
    // A trait claiming more bytes than remain is dropped, the name kept.
    let traits = parse_provider_traits(b"\x0b\x00Ab\0\x40\x00\x01xyz").unwrap();
    assert_eq!(traits.name, "Ab");
    assert!(traits.traits.is_empty());
    assert_eq!(
        parse_provider_traits(b"\x20\x00abc\0"),
        Err(TlError::BadSize {
            what: "provider traits",
            declared: 32,
            available: 6,
            minimum: 3
        })
    );
    assert_eq!(
        parse_provider_traits(b"\x05\x00abc"),
        Err(TlError::Unterminated {
            what: "provider name",
            offset: 2
        })
    );
    assert!(matches!(
        parse_provider_traits(&[7]),
        Err(TlError::Truncated {
            need: 2,
            have: 1,
            ..
        })
    ));
}

#[test]
fn scalar_fields_and_type_mapping() {
    let mut fields = entry("s", &[1]);
    fields.extend(entry("flag", &[0x84, 3])); // UINT8 + BOOLEAN
    fields.extend(entry("hex", &[0x88, 4])); // UINT32 + HEX
    fields.extend(entry("bin", &[14])); // BINARY -> counted binary
    fields.extend(entry("cs", &[22])); // COUNTEDSTRING
    fields.extend(entry("ca", &[0x97, 35])); // COUNTEDANSISTRING + UTF8
    fields.extend(entry("port", &[0x86, 7])); // UINT16 + PORT
    fields.extend(entry("err", &[0x88, 13])); // UINT32 + WIN32ERROR
    fields.extend(entry("sgn", &[0x8a, 17])); // UINT64 + SIGNED
    fields.extend(entry("ft", &[0x8a, 16])); // UINT64 + FILETIME
    let schema = parse_event_metadata(&event_blob("Ev", &fields), "Prov").unwrap();
    assert_eq!(schema.source, SchemaSource::Tracelogging);
    assert_eq!(&*schema.provider_name, "Prov");
    assert_eq!(&*schema.event_name, "Ev");
    let types: Vec<(&str, u16, u16)> = schema
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.in_type, f.out_type))
        .collect();
    assert_eq!(
        types,
        vec![
            ("s", in_type::UNICODE_STRING, out_type::NULL),
            ("flag", in_type::UINT8, out_type::BOOLEAN),
            ("hex", in_type::UINT32, out_type::HEXINT32),
            ("bin", in_type::COUNTED_BINARY, out_type::NULL),
            ("cs", in_type::COUNTED_STRING, out_type::NULL),
            ("ca", in_type::COUNTED_ANSI_STRING, out_type::UTF8),
            ("port", in_type::UINT16, out_type::PORT),
            ("err", in_type::UINT32, out_type::WIN32ERROR),
            ("sgn", in_type::UINT64, out_type_ext::LONG),
            ("ft", in_type::UINT64, out_type::DATETIME),
        ]
    );

    let mut payload = utf16z("hi");
    payload.push(1);
    payload.extend_from_slice(&0xbeefu32.to_le_bytes());
    payload.extend_from_slice(&[2, 0, 0xca, 0xfe]);
    payload.extend_from_slice(&[4, 0, b'o', 0, b'k', 0]);
    payload.extend_from_slice(&[3, 0, b'u', b't', b'f']);
    payload.extend_from_slice(&[0x1f, 0x90]);
    payload.extend_from_slice(&5u32.to_le_bytes());
    payload.extend_from_slice(&u64::MAX.to_le_bytes());
    payload.extend_from_slice(&0u64.to_le_bytes());
    let d = decode_payload(&schema, &payload, 8);
    assert_eq!(d.error, None);
    assert_eq!(d.consumed, payload.len());
    let shown: Vec<String> = d.fields.iter().map(|(_, v)| v.display()).collect();
    assert_eq!(
        shown,
        [
            "hi",
            "true",
            "0xBEEF",
            "cafe",
            "ok",
            "utf",
            "8080",
            "5",
            "-1",
            "1601-01-01T00:00:00.0000000Z"
        ]
    );
}

#[test]
fn tags_arrays_and_the_struct_example() {
    // Event tags over two bytes, a field with tags, const and variable arrays, and the doc's
    // EventSource example TestEvent{ a: { b: "Hello", c: "World!" } }.
    let mut fields = entry("fixed", &[0x28, 3, 0]); // UINT32 x3 (const count, no out-type)
    fields.extend(entry("tagged", &[0x84, 0x84, 0x81, 0x00])); // UINT8 HEX, 2 tag bytes
    fields.extend(entry("var", &[0x46])); // UINT16 variable array
    fields.extend(entry("a", &[0x98, 2])); // struct with 2 members
    fields.extend(entry("b", &[1]));
    fields.extend(entry("c", &[1]));
    let mut blob = event_blob("TestEvent", &fields);
    blob[2] = 0x81; // tag byte with continuation...
    blob.insert(3, 0x05); // ...and the last tag byte
    let size = u16::try_from(blob.len()).unwrap().to_le_bytes();
    blob[..2].copy_from_slice(&size);
    let schema = parse_event_metadata(&blob, "MySource").unwrap();
    assert_eq!(&*schema.event_name, "TestEvent");
    let names: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["fixed", "tagged", "var", "a"]);
    assert_eq!(schema.fields[0].count, Count::Fixed(3));
    assert_eq!(schema.fields[1].out_type, out_type::HEXINT8);
    assert_eq!(schema.fields[2].count, Count::PrefixU16);
    let a = &schema.fields[3];
    assert_eq!(a.in_type, in_type::STRUCT);
    assert_eq!(
        a.members
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>(),
        ["b", "c"]
    );

    let mut payload: Vec<u8> = [1u32, 2, 3].iter().flat_map(|v| v.to_le_bytes()).collect();
    payload.push(0xab);
    payload.extend_from_slice(&[2, 0, 7, 0, 8, 0]);
    payload.extend(utf16z("Hello"));
    payload.extend(utf16z("World!"));
    let d = decode_payload(&schema, &payload, 8);
    assert_eq!(d.error, None);
    assert_eq!(d.consumed, payload.len());
    assert_eq!(
        d.get("fixed").map(Value::display).as_deref(),
        Some("[1, 2, 3]")
    );
    assert_eq!(d.get("tagged").map(Value::display).as_deref(), Some("0xAB"));
    assert_eq!(d.get("var").map(Value::display).as_deref(), Some("[7, 8]"));
    assert_eq!(
        d.get("a").map(Value::display).as_deref(),
        Some("{b: Hello, c: World!}")
    );
}

#[test]
fn nested_struct_arrays() {
    // Arguments: array of struct {Key, Value}, as EventSource DiagnosticSource events use.
    let mut fields = entry("Args", &[0xd8, 2]); // STRUCT | variable array | out-meta: 2 members
    fields.extend(entry("Key", &[1]));
    fields.extend(entry("Value", &[1]));
    fields.extend(entry("After", &[4]));
    let schema = parse_event_metadata(&event_blob("Activity", &fields), "P").unwrap();
    assert_eq!(schema.fields.len(), 2);
    assert_eq!(schema.fields[0].count, Count::PrefixU16);
    let mut payload = vec![2, 0];
    for s in ["k1", "v1", "k2", "v2"] {
        payload.extend(utf16z(s));
    }
    payload.push(9);
    let d = decode_payload(&schema, &payload, 8);
    assert_eq!(d.error, None);
    assert_eq!(
        d.fields[0].1.display(),
        "[{Key: k1, Value: v1}, {Key: k2, Value: v2}]"
    );
    assert_eq!(d.fields[1].1.display(), "9");
}

#[test]
fn struct_missing_members_keeps_what_is_there() {
    let mut fields = entry("s", &[0x98, 3]);
    fields.extend(entry("only", &[4]));
    let schema = parse_event_metadata(&event_blob("E", &fields), "P").unwrap();
    assert_eq!(schema.fields.len(), 1);
    assert_eq!(schema.fields[0].members.len(), 1);
}

#[test]
fn custom_serialized_field_takes_the_rest() {
    let mut fields = entry("n", &[4]);
    fields.extend(entry("custom", &[0x6e, 3, 0, 9, 9, 9])); // custom, 3 schema bytes
    fields.extend(entry("ignored", &[4]));
    let schema = parse_event_metadata(&event_blob("E", &fields), "P").unwrap();
    assert_eq!(schema.fields.len(), 2);
    assert_eq!(schema.fields[1].in_type, in_type::BINARY);
    assert_eq!(schema.fields[1].length, Length::Natural);
    let d = decode_payload(&schema, &[1, 2, 0, 0xaa, 0xbb], 8);
    assert_eq!(d.error, None);
    assert_eq!(d.fields[1].1, Value::Binary(vec![2, 0, 0xaa, 0xbb]));
}

#[test]
fn metadata_errors() {
    let bad_type = event_blob("E", &entry("x", &[0x1f]));
    assert_eq!(
        parse_event_metadata(&bad_type, "P"),
        Err(TlError::InvalidInType {
            field: "x".into(),
            offset: 5,
            in_type: 31
        })
    );
    let null_type = event_blob("E", &entry("x", &[0]));
    assert!(matches!(
        parse_event_metadata(&null_type, "P"),
        Err(TlError::InvalidInType { in_type: 0, .. })
    ));
    let missing_count = event_blob("E", &entry("x", &[0x24, 1]));
    assert!(matches!(
        parse_event_metadata(&missing_count, "P"),
        Err(TlError::Truncated {
            what: "array element count",
            offset: 8,
            need: 2,
            have: 1
        })
    ));
    let unterminated = event_blob("E", b"abc");
    assert_eq!(
        parse_event_metadata(&unterminated, "P"),
        Err(TlError::Unterminated {
            what: "field name",
            offset: 5
        })
    );
    let blob = event_blob("E", &entry("x", &[4]));
    assert!(matches!(
        parse_event_metadata(&blob[..blob.len() - 1], "P"),
        Err(TlError::BadSize { .. })
    ));
    let mut deep = Vec::new();
    for _ in 0..20 {
        deep.extend(entry("s", &[0x98, 1]));
    }
    assert!(matches!(
        parse_event_metadata(&event_blob("E", &deep), "P"),
        Err(TlError::TooDeep { max: 16, .. })
    ));
}

#[test]
fn cache_parses_each_layout_once() {
    let blob = event_blob("E", &entry("x", &[4]));
    let mut cache = TlCache::new();
    let first = cache.get_or_parse("P", &blob).unwrap();
    let again = cache.get_or_parse("P", &blob).unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    let other_provider = cache.get_or_parse("Q", &blob).unwrap();
    assert_eq!(&*other_provider.provider_name, "Q");
    assert_eq!(cache.len(), 2);
    assert!(cache.get_or_parse("P", &[1]).is_err());
    assert!(cache.get_or_parse("P", &[1]).is_err());
    assert_eq!(cache.len(), 3);
}

#[test]
fn provider_guids_from_names() {
    // Both GUIDs are the provider ids stored in the sample traces.
    let cases = [
        (
            "Microsoft.Windows.WaaSMedic.Local",
            "30d25124-a468-505c-de82-8411646eb8b5",
        ),
        ("MySource", "a61ea624-4944-55fc-c2a8-37838829438d"),
        ("sonde-gateway", "559e1292-fdb4-551e-6ee3-4e8c6d9da223"),
        (
            "Microsoft-Diagnostics-DiagnosticSource",
            "adb401e1-5296-51f8-c125-5fda75826144",
        ),
    ];
    for (name, guid) in cases {
        assert_eq!(provider_guid_from_name(name).to_string(), guid, "{name}");
    }
    // Case-insensitive, as EventSource upper-cases the name first.
    assert_eq!(
        provider_guid_from_name("mysource"),
        provider_guid_from_name("MySource")
    );
}

/// Every TraceLogging event of the uncompressed sample traces, located through the reference
/// dumps, must decode without error and consume its payload exactly.
mod samples {
    use super::*;
    use std::io::BufRead;
    use std::path::PathBuf;

    fn shared_dir() -> Option<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
        if dir.join("samples").is_dir() && dir.join("reference/dissect").is_dir() {
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

    /// (extended items by type, user data) of an EVENT_HEADER record.
    fn split_record(record: &[u8]) -> (HashMap<u16, &[u8]>, &[u8]) {
        let mut items = HashMap::default();
        let flags = u16::from_le_bytes([record[4], record[5]]);
        let mut pos = 0x50;
        if flags & 1 != 0 {
            loop {
                let h = &record[pos..pos + 8];
                let item_size = usize::from(u16::from_le_bytes([h[0], h[1]]));
                let ext_type = u16::from_le_bytes([h[2], h[3]]);
                let data_size = usize::from(u16::from_le_bytes([h[6], h[7]]));
                items.insert(ext_type, &record[pos + 8..pos + 8 + data_size]);
                pos += item_size;
                if h[4] & 1 == 0 {
                    break;
                }
            }
        }
        (items, &record[pos..])
    }

    #[test]
    fn sample_tracelogging_events_decode_exactly() {
        let Some(shared) = shared_dir() else { return };
        let expected = [
            ("airbus-amsi-trace", "AmsiTrace", 19),
            (
                "airbus-lxcore-kernel",
                "Microsoft.Windows.Subsystem.LxCore",
                2,
            ),
            ("hw3d-tracelogging", "Atum-Hw3d", 1),
            (
                "perfview-diaghub-user-paged",
                "Microsoft-Diagnostics-DiagnosticSource",
                256,
            ),
            ("perfview-primitive-types", "solar_system", 5),
            ("s4-sih-win11", "SIHTraceLogging", 10),
            ("s4-waasmedic", "Microsoft.Windows.WaaSMedic.Local", 17),
            ("s4-windowsupdate", "WUTraceLogging", 80),
            ("sonde-wpr-relogged", "sonde-gateway", 9),
        ];
        let mut cache = TlCache::new();
        for (sample, provider, count) in expected {
            let etl = std::fs::read(shared.join(format!("samples/{sample}.etl"))).unwrap();
            let dump =
                std::fs::File::open(shared.join(format!("reference/dissect/{sample}.jsonl.gz")))
                    .unwrap();
            let mut decoded = 0;
            for line in std::io::BufReader::new(flate2::read::GzDecoder::new(dump)).lines() {
                let rec: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
                let htype = rec["htype"].as_u64().unwrap_or(0);
                let (Some(foff), true) = (rec["foff"].as_u64(), htype == 0x12 || htype == 0x13)
                else {
                    continue;
                };
                let start = usize::try_from(foff).unwrap();
                let size = usize::try_from(rec["size"].as_u64().unwrap()).unwrap();
                let (items, user_data) = split_record(&etl[start..start + size]);
                let Some(meta) = items.get(&0x0b) else {
                    continue;
                };
                let traits = parse_provider_traits(items[&0x0c]).unwrap();
                assert_eq!(traits.name, provider);
                let schema = cache.get_or_parse(&traits.name, meta).unwrap();
                let d = decode_payload(&schema, user_data, if htype == 0x12 { 4 } else { 8 });
                assert_eq!(d.error, None, "{sample} @{foff} {}", schema.event_name);
                assert_eq!(
                    d.consumed,
                    user_data.len(),
                    "{sample} @{foff} {}",
                    schema.event_name
                );
                decoded += 1;
            }
            assert_eq!(decoded, count, "{sample}");
        }
        assert_eq!(cache.len(), 24);
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn metadata_parsing_never_panics(data in proptest::collection::vec(any::<u8>(), 0..128)) {
            if let Ok(schema) = parse_event_metadata(&data, "P") {
                let d = decode_payload(&schema, &data, 8);
                prop_assert!(d.consumed <= data.len());
            }
            let _ = parse_provider_traits(&data);
        }

        #[test]
        fn well_formed_entries_parse(
            entries in proptest::collection::vec(("[a-z]{1,6}", 1u8..26, any::<u8>(), 0u8..3), 0..10),
        ) {
            let mut fields = Vec::new();
            for (name, tl_in, out, kind) in &entries {
                let meta = match kind {
                    1 => vec![0xa0 | tl_in, out & 0x7f, 2, 0],
                    2 => vec![0xc0 | tl_in, out & 0x7f],
                    _ => vec![0x80 | tl_in, out & 0x7f],
                };
                fields.extend(entry(name, &meta));
            }
            let blob = event_blob("E", &fields);
            let schema = parse_event_metadata(&blob, "P");
            let tops = schema.as_ref().map(|s| s.fields.len()).unwrap_or(0);
            prop_assert!(tops <= entries.len());
            if entries.iter().all(|(_, tl_in, _, _)| *tl_in != 24) {
                prop_assert_eq!(tops, entries.len());
            }
        }
    }
}
