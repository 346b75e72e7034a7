//! Tests of EventMetadata parsing (kept beside event_info.rs to keep it short).

use super::*;
use crate::value::{Value, decode_payload, render_message};

/// One EVENT_PROPERTY_INFO to build: flags, name, in/out (or struct start/count), map,
/// count and length (or their property indexes).
struct Prop {
    flags: u32,
    name: &'static str,
    first: u16,
    second: u16,
    map: Option<&'static str>,
    count: u16,
    length: u16,
}

fn prop(name: &'static str, first: u16, second: u16) -> Prop {
    Prop {
        flags: 0,
        name,
        first,
        second,
        map: None,
        count: 1,
        length: 0,
    }
}

fn utf16z(s: &str) -> Vec<u8> {
    let mut v: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
    v.extend_from_slice(&[0, 0]);
    v
}

const PROVIDER: Uuid = Uuid::from_u128(0x1c95126e_7eea_49a9_a3fe_a378b03ddb4d);

/// Builds a TRACE_EVENT_INFO blob with `top_level` top-level properties.
fn event_info_blob(
    props: &[Prop],
    top_level: u32,
    message: Option<&str>,
    event_name: Option<&str>,
) -> Vec<u8> {
    let mut blob = vec![0u8; EVENT_INFO_FIXED + props.len() * PROPERTY_INFO_SIZE];
    let add_string = |blob: &mut Vec<u8>, at: usize, text: &str| {
        let offset = u32::try_from(blob.len()).unwrap();
        blob[at..at + 4].copy_from_slice(&offset.to_le_bytes());
        blob.extend(utf16z(text));
    };
    blob[..16].copy_from_slice(&PROVIDER.to_bytes_le());
    blob[0x20..0x22].copy_from_slice(&1001u16.to_le_bytes());
    blob[0x22] = 2; // version
    blob[0x24] = 4; // level
    blob[0x25] = 1; // opcode
    blob[0x26..0x28].copy_from_slice(&7u16.to_le_bytes());
    blob[0x28..0x30].copy_from_slice(&0x8000_0000_0000_0010u64.to_le_bytes());
    add_string(&mut blob, 0x34, "Test-Provider");
    add_string(&mut blob, 0x38, "win:Informational");
    add_string(&mut blob, 0x40, "KwA");
    blob.extend(utf16z("KwB"));
    blob.extend_from_slice(&[0, 0]);
    add_string(&mut blob, 0x44, "Connect");
    add_string(&mut blob, 0x48, "win:Start");
    if let Some(message) = message {
        add_string(&mut blob, 0x4C, message);
    }
    if let Some(name) = event_name {
        add_string(&mut blob, 0x5C, name);
    }
    blob[0x64..0x68].copy_from_slice(&u32::try_from(props.len()).unwrap().to_le_bytes());
    blob[0x68..0x6C].copy_from_slice(&top_level.to_le_bytes());
    for (i, p) in props.iter().enumerate() {
        let at = EVENT_INFO_FIXED + i * PROPERTY_INFO_SIZE;
        blob[at..at + 4].copy_from_slice(&p.flags.to_le_bytes());
        add_string(&mut blob, at + 4, p.name);
        blob[at + 8..at + 10].copy_from_slice(&p.first.to_le_bytes());
        blob[at + 10..at + 12].copy_from_slice(&p.second.to_le_bytes());
        if let Some(map) = p.map {
            add_string(&mut blob, at + 12, map);
        }
        blob[at + 16..at + 18].copy_from_slice(&p.count.to_le_bytes());
        blob[at + 18..at + 20].copy_from_slice(&p.length.to_le_bytes());
    }
    blob
}

#[test]
fn event_info_names_and_descriptor() {
    let blob = event_info_blob(&[prop("Status", 8, 18)], 1, Some("Status %1 "), None);
    let info = parse_event_info(&blob).unwrap();
    assert_eq!(info.provider, PROVIDER);
    assert_eq!(
        info.descriptor,
        EventDescriptor {
            id: 1001,
            version: 2,
            channel: 0,
            level: 4,
            opcode: 1,
            task: 7,
            keyword: 0x8000_0000_0000_0010
        }
    );
    let s = &info.schema;
    assert_eq!(s.source, SchemaSource::Metadata);
    assert_eq!(&*s.provider_name, "Test-Provider");
    assert_eq!(s.level_name.as_deref(), Some("win:Informational"));
    assert_eq!(s.keyword_names, ["KwA", "KwB"]);
    assert_eq!(s.task_name.as_deref(), Some("Connect"));
    assert_eq!(s.opcode_name.as_deref(), Some("win:Start"));
    assert_eq!(s.message.as_deref(), Some("Status %1"));
    assert_eq!(&*s.event_name, "Connect/Start");
    assert_eq!(
        s.fields,
        vec![FieldDef::scalar(
            "Status",
            in_type::UINT32,
            out_type::HEXINT32
        )]
    );
    let named = event_info_blob(&[], 0, None, Some("ConnectStart"));
    assert_eq!(
        &*parse_event_info(&named).unwrap().schema.event_name,
        "ConnectStart"
    );
}

#[test]
fn counts_lengths_structs_and_maps() {
    let props = [
        prop("Len", 8, 0),
        Prop {
            flags: PROPERTY_PARAM_LENGTH,
            length: 0,
            ..prop("Addr", 14, 25)
        },
        Prop {
            count: 3,
            ..prop("Triple", 6, 0)
        },
        Prop {
            flags: PROPERTY_PARAM_COUNT,
            count: 0,
            ..prop("Items", 4, 0)
        },
        Prop {
            length: 4,
            ..prop("Fixed", 1, 0)
        },
        Prop {
            map: Some("KindMap "),
            ..prop("Kind", 4, 0)
        },
        Prop {
            flags: PROPERTY_STRUCT | PROPERTY_PARAM_COUNT,
            count: 0,
            ..prop("Pairs", 7, 2)
        },
        prop("A", 4, 0),
        prop("B", 2, 0),
    ];
    let info = parse_event_info(&event_info_blob(&props, 7, None, None)).unwrap();
    let f = &info.schema.fields;
    assert_eq!(f.len(), 7);
    assert_eq!(f[1].length, Length::Field(0));
    assert_eq!(f[1].out_type, out_type::SOCKETADDRESS);
    assert_eq!(f[2].count, Count::Fixed(3));
    assert_eq!(f[3].count, Count::Field(0));
    assert_eq!(f[4].length, Length::Fixed(4));
    assert_eq!(f[5].map.as_deref(), Some("KindMap"));
    assert_eq!(f[6].in_type, in_type::STRUCT);
    assert_eq!(f[6].count, Count::Field(0));
    assert_eq!(
        f[6].members
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>(),
        ["A", "B"]
    );

    // The schema decodes a matching payload.
    let mut payload = 2u32.to_le_bytes().to_vec();
    payload.extend_from_slice(&[2, 0]); // Addr: too short for a SOCKADDR, shown as hex
    payload.extend_from_slice(&[1, 0, 2, 0, 3, 0]); // Triple
    payload.extend_from_slice(&[7, 8]); // Items
    payload.extend_from_slice(&[b'a', 0, b'b', 0, 0, 0, 0, 0]); // Fixed: 4 UTF-16 units
    payload.push(5); // Kind (no map attached: plain number)
    payload.extend_from_slice(b"\x01x\0\x02yz\0"); // Pairs: {A: 1, B: "x"}, {A: 2, B: "yz"}
    let d = decode_payload(&info.schema, &payload, 8);
    assert_eq!(d.error, None);
    assert_eq!(d.consumed, payload.len());
    let shown: Vec<String> = d.fields.iter().map(|(_, v)| v.display()).collect();
    assert_eq!(
        shown,
        [
            "2",
            "0200",
            "[1, 2, 3]",
            "[7, 8]",
            "ab",
            "5",
            "[{A: 1, B: x}, {A: 2, B: yz}]"
        ]
    );
}

#[test]
fn map_info_value_and_bit_maps() {
    let mut payload = PROVIDER.to_bytes_le().to_vec();
    let mut map = vec![0u8; MAP_INFO_FIXED + 2 * MAP_ENTRY_SIZE];
    map[4..8].copy_from_slice(&MAP_MANIFEST_BITMAP.to_le_bytes());
    map[8..12].copy_from_slice(&2u32.to_le_bytes());
    let add = |map: &mut Vec<u8>, at: usize, text: &str| {
        let offset = u32::try_from(map.len()).unwrap();
        map[at..at + 4].copy_from_slice(&offset.to_le_bytes());
        map.extend(utf16z(text));
    };
    add(&mut map, 0, "FlagsMap");
    add(&mut map, 16, "Dynamic ");
    map[20..24].copy_from_slice(&1u32.to_le_bytes());
    add(&mut map, 24, "Native ");
    map[28..32].copy_from_slice(&4u32.to_le_bytes());
    payload.extend(map);
    let info = parse_map_info(&payload).unwrap();
    assert_eq!(info.provider, PROVIDER);
    assert_eq!(info.name, "FlagsMap");
    assert!(info.map.is_bitmap);
    assert_eq!(
        info.map.entries.into_iter().collect::<Vec<_>>(),
        [(1, "Dynamic".into()), (4, "Native".into())]
    );

    let mut pattern = payload.clone();
    pattern[20..24].copy_from_slice(&MAP_MANIFEST_PATTERNMAP.to_le_bytes());
    assert!(matches!(
        parse_map_info(&pattern),
        Err(EventInfoError::UnsupportedMap { .. })
    ));
    let mut too_many = payload.clone();
    too_many[24..28].copy_from_slice(&1000u32.to_le_bytes());
    assert_eq!(
        parse_map_info(&too_many),
        Err(EventInfoError::Truncated {
            what: "EVENT_MAP_ENTRY array",
            offset: 32,
            need: 8000,
            have: payload.len() - 32
        })
    );
}

#[test]
fn table_attaches_maps_in_either_order() {
    let props = [Prop {
        map: Some("KindMap"),
        ..prop("Kind", 4, 0)
    }];
    let blob = event_info_blob(&props, 1, Some("Kind=%1"), None);
    let map = MapInfo {
        provider: PROVIDER,
        name: "KindMap".into(),
        map: ValueMap {
            is_bitmap: false,
            entries: [(1, "One".to_string())].into_iter().collect(),
        },
    };
    for map_first in [false, true] {
        let mut table = MetadataTable::new();
        if map_first {
            table.insert_map(map.clone());
        }
        table.add_record(OPCODE_EVENT_INFO, &blob).unwrap();
        if !map_first {
            table.insert_map(map.clone());
        }
        let schema = table.get(&PROVIDER, 1001, 2).expect("schema");
        let d = decode_payload(schema, &[1], 8);
        assert_eq!(
            d.fields[0].1,
            Value::Mapped {
                raw: 1,
                text: "One".into()
            }
        );
        assert_eq!(
            render_message(schema.message.as_deref().unwrap_or(""), &d),
            "Kind=One"
        );
    }
    assert_eq!(parse_metadata_record(7, &blob), Ok(None));
}

#[test]
fn malformed_blobs_are_errors() {
    assert!(matches!(
        parse_event_info(&[0; 0x6f]),
        Err(EventInfoError::Truncated {
            need: 0x70,
            have: 0x6f,
            ..
        })
    ));
    let mut blob = event_info_blob(&[prop("A", 4, 0)], 1, None, None);
    blob[0x64..0x68].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        parse_event_info(&blob),
        Err(EventInfoError::Truncated {
            what: "EVENT_PROPERTY_INFO array",
            ..
        })
    ));
    // A struct listing itself, and two structs listing each other.
    let selfish = [Prop {
        flags: PROPERTY_STRUCT,
        ..prop("S", 0, 1)
    }];
    assert!(matches!(
        parse_event_info(&event_info_blob(&selfish, 1, None, None)),
        Err(EventInfoError::BadProperty { .. })
    ));
    let cyclic = [
        Prop {
            flags: PROPERTY_STRUCT,
            ..prop("S", 1, 1)
        },
        Prop {
            flags: PROPERTY_STRUCT,
            ..prop("T", 0, 1)
        },
    ];
    assert!(matches!(
        parse_event_info(&event_info_blob(&cyclic, 1, None, None)),
        Err(EventInfoError::BadProperty { .. })
    ));
    // A top-level count cannot come from a struct member.
    let nested_ref = [
        Prop {
            flags: PROPERTY_STRUCT,
            ..prop("S", 2, 1)
        },
        Prop {
            flags: PROPERTY_PARAM_COUNT,
            count: 2,
            ..prop("V", 4, 0)
        },
        prop("N", 4, 0),
    ];
    assert_eq!(
        parse_event_info(&event_info_blob(&nested_ref, 2, None, None)),
        Err(EventInfoError::BadReference {
            index: 1,
            target: 2,
            reason: "which is not a top-level property"
        })
    );
}

/// The shape of CLR BulkType (perfview-net452-x64-compressed.etl frame 65560): an array of
/// structs whose members take counts and lengths from earlier siblings.
fn bulk_type_props() -> [Prop; 10] {
    [
        prop("Count", 8, 0),
        prop("ClrInstanceID", 6, 0),
        Prop {
            flags: PROPERTY_STRUCT | PROPERTY_PARAM_COUNT,
            count: 0,
            ..prop("Values", 3, 7)
        },
        prop("TypeID", 10, out_type::HEXINT64),
        prop("NameLength", 6, 0),
        Prop {
            flags: PROPERTY_PARAM_LENGTH,
            length: 4,
            ..prop("Name", 1, 0)
        },
        prop("TypeParameterCount", 8, 0),
        Prop {
            flags: PROPERTY_PARAM_COUNT,
            count: 6,
            ..prop("TypeParameters", 10, out_type::HEXINT64)
        },
        prop("BlobSize", 4, 0),
        Prop {
            flags: PROPERTY_PARAM_LENGTH,
            length: 8,
            ..prop("Blob", 14, 0)
        },
    ]
}

#[test]
fn struct_members_take_counts_and_lengths_from_earlier_siblings() {
    let info = parse_event_info(&event_info_blob(&bulk_type_props(), 3, None, None)).unwrap();
    let values = &info.schema.fields[2];
    assert_eq!(values.count, Count::Field(0));
    let members: Vec<(&str, &Count, &Length)> = values
        .members
        .iter()
        .map(|m| (m.name.as_str(), &m.count, &m.length))
        .collect();
    // Member references are positions among the members, not flat property indexes.
    assert_eq!(
        members,
        [
            ("TypeID", &Count::One, &Length::Natural),
            ("NameLength", &Count::One, &Length::Natural),
            ("Name", &Count::One, &Length::Field(1)),
            ("TypeParameterCount", &Count::One, &Length::Natural),
            ("TypeParameters", &Count::Field(3), &Length::Natural),
            ("BlobSize", &Count::One, &Length::Natural),
            ("Blob", &Count::One, &Length::Field(5)),
        ]
    );

    // Two instances with different counts and lengths: each uses its own siblings.
    let mut payload = 2u32.to_le_bytes().to_vec();
    payload.extend_from_slice(&9u16.to_le_bytes());
    payload.extend_from_slice(&0x10u64.to_le_bytes());
    payload.extend_from_slice(&[1, 0, b'A', 0]); // NameLength 1, "A"
    payload.extend_from_slice(&2u32.to_le_bytes());
    payload.extend_from_slice(&0x1u64.to_le_bytes());
    payload.extend_from_slice(&0x2u64.to_le_bytes());
    payload.extend_from_slice(&[1, 0xAA]); // BlobSize 1
    payload.extend_from_slice(&0x20u64.to_le_bytes());
    payload.extend_from_slice(&[2, 0, b'B', 0, b'c', 0]);
    payload.extend_from_slice(&0u32.to_le_bytes());
    payload.extend_from_slice(&[3, 1, 2, 3]);
    let d = decode_payload(&info.schema, &payload, 8);
    assert_eq!(d.error, None);
    assert_eq!(d.consumed, payload.len());
    assert_eq!(
        d.get("Values").map(Value::display).as_deref(),
        Some(
            "[{TypeID: 0x10, NameLength: 1, Name: A, TypeParameterCount: 2, \
             TypeParameters: [0x1, 0x2], BlobSize: 1, Blob: aa}, \
             {TypeID: 0x20, NameLength: 2, Name: Bc, TypeParameterCount: 0, \
             TypeParameters: [], BlobSize: 3, Blob: 010203}]"
        )
    );
}

#[test]
fn references_out_of_reach_are_errors() {
    let parse = |props: &[Prop], top_level| {
        parse_event_info(&event_info_blob(props, top_level, None, None))
    };
    let bad = |index, target, reason| {
        Err(EventInfoError::BadReference {
            index,
            target,
            reason,
        })
    };
    // A member counted by a later sibling, or by itself.
    let mut forward = bulk_type_props();
    forward[7].count = 8;
    assert_eq!(
        parse(&forward, 3),
        bad(7, 8, "which is not an earlier property")
    );
    let mut itself = bulk_type_props();
    itself[5].length = 5;
    assert_eq!(
        parse(&itself, 3),
        bad(5, 5, "which is not an earlier property")
    );
    // A member sized by a top-level property: outside its struct.
    let mut outside = bulk_type_props();
    outside[7].count = 0;
    assert_eq!(
        parse(&outside, 3),
        bad(7, 0, "which is outside the enclosing struct")
    );
    assert_eq!(
        parse(&outside, 3).map(|_| ()).unwrap_err().to_string(),
        "property #7: count/length refers to property #0, which is outside the enclosing struct"
    );
    // A count taken from a sibling struct.
    let struct_ref = [
        Prop {
            flags: PROPERTY_STRUCT,
            ..prop("Outer", 1, 2)
        },
        Prop {
            flags: PROPERTY_STRUCT,
            ..prop("Inner", 3, 1)
        },
        Prop {
            flags: PROPERTY_PARAM_COUNT,
            count: 1,
            ..prop("Items", 4, 0)
        },
        prop("X", 4, 0),
    ];
    assert_eq!(
        parse(&struct_ref, 1),
        bad(2, 1, "which is a struct, not a number")
    );
    // Top-level properties follow the same rules.
    let top_forward = [
        Prop {
            flags: PROPERTY_PARAM_LENGTH,
            length: 1,
            ..prop("S", 2, 0)
        },
        prop("N", 4, 0),
    ];
    assert_eq!(
        parse(&top_forward, 2),
        bad(0, 1, "which is not an earlier property")
    );
}

#[path = "event_info_samples.rs"]
mod samples;

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parsing_never_panics(data in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse_map_info(&data);
            if let Ok(info) = parse_event_info(&data) {
                let d = decode_payload(&info.schema, &data, 8);
                prop_assert!(d.consumed <= data.len());
            }
        }

        #[test]
        fn mutated_real_shapes_never_panic(
            flags in proptest::collection::vec(0u32..256, 3),
            numbers in proptest::collection::vec(any::<u16>(), 12),
            top_level in 0u32..5,
        ) {
            let props: Vec<Prop> = (0..3)
                .map(|i| Prop {
                    flags: flags[i],
                    name: "P",
                    first: numbers[i * 4] % 8,
                    second: numbers[i * 4 + 1] % 8,
                    map: None,
                    count: numbers[i * 4 + 2] % 6,
                    length: numbers[i * 4 + 3] % 6,
                })
                .collect();
            let blob = event_info_blob(&props, top_level, None, None);
            if let Ok(info) = parse_event_info(&blob) {
                let d = decode_payload(&info.schema, &blob, 4);
                prop_assert!(d.consumed <= blob.len());
            }
        }
    }
}
