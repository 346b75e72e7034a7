//! Walker tests of arrays, structs, maps, errors and arbitrary input.

use super::*;

#[test]
fn arrays_fixed_field_and_prefix() {
    let f = with_count(field("a", it::UINT16, 0), Count::Fixed(2));
    assert_eq!(one(f, &[1, 0, 2, 0], 8).display(), "[1, 2]");

    let mut payload = 2u32.to_le_bytes().to_vec();
    payload.extend_from_slice(&[5, 0, 0, 0, 6, 0, 0, 0]);
    let s = schema(vec![
        field("n", it::UINT32, 0),
        with_count(field("v", it::UINT32, 0), Count::Field(0)),
    ]);
    let d = decode_payload(&s, &payload, 8);
    assert_eq!(d.error, None);
    assert_eq!(d.get("v").map(Value::display).as_deref(), Some("[5, 6]"));

    let f = with_count(field("s", it::UNICODE_STRING, 0), Count::PrefixU16);
    let mut payload = 2u16.to_le_bytes().to_vec();
    payload.extend(utf16z("a"));
    payload.extend(utf16z("bc"));
    assert_eq!(one(f, &payload, 8).display(), "[a, bc]");

    // A variable array of UTF-16 units shown as STRING is one string (TraceLogging).
    let f = with_count(field("raw", it::UINT16, ot::STRING), Count::PrefixU16);
    assert_eq!(
        one(f, &[2, 0, b'o', 0, b'k', 0], 8),
        Value::String("ok".into())
    );
    let f = with_count(field("raw", it::UINT8, ot::STRING), Count::Fixed(3));
    assert_eq!(one(f, b"ab\0", 8), Value::String("ab".into()));
}

#[test]
fn nested_structs_and_struct_arrays() {
    let mut inner = field("inner", it::STRUCT, 0);
    inner.members = vec![field("x", it::UINT8, 0), field("y", it::UINT8, 0)];
    let mut outer = field("outer", it::STRUCT, 0);
    outer.members = vec![
        field("tag", it::ANSI_STRING, 0),
        with_count(inner, Count::PrefixU16),
    ];
    let mut payload = b"t\0".to_vec();
    payload.extend_from_slice(&[2, 0, 1, 2, 3, 4]);
    let v = one(outer.clone(), &payload, 8);
    assert_eq!(v.display(), "{tag: t, inner: [{x: 1, y: 2}, {x: 3, y: 4}]}");
    // Errors inside structs name the path.
    let s = schema(vec![outer]);
    let d = decode_payload(&s, &payload[..7], 8);
    assert_eq!(d.fields.len(), 0);
    assert_eq!(d.consumed, 0);
    match d.error {
        Some(DecodeError::Truncated {
            field,
            offset,
            need,
            have,
        }) => {
            assert_eq!(
                (field.as_str(), offset, need, have),
                ("outer.inner.y", 7, 1, 0)
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn struct_nesting_is_capped() {
    let mut f = field("leaf", it::UINT8, 0);
    for level in 0..20 {
        let mut parent = field(&format!("s{level}"), it::STRUCT, 0);
        parent.members = vec![f];
        f = parent;
    }
    let s = schema(vec![f]);
    let d = decode_payload(&s, &[1], 8);
    assert!(
        matches!(d.error, Some(DecodeError::TooDeep { max: MAX_DEPTH, .. })),
        "{:?}",
        d.error
    );
}

fn map(is_bitmap: bool, entries: &[(u64, &str)]) -> ValueMap {
    ValueMap {
        is_bitmap,
        entries: entries.iter().map(|(k, v)| (*k, v.to_string())).collect(),
    }
}

#[test]
fn value_and_bit_maps() {
    let values = map(false, &[(0, "static "), (1, "dynamic ")]);
    assert_eq!(map_lookup(&values, 1).as_deref(), Some("dynamic"));
    assert_eq!(map_lookup(&values, 7), None);
    let bits = map(
        true,
        &[
            (1, "DomainNeutral "),
            (2, "Dynamic"),
            (4, "Native"),
            (8, "Collectible"),
        ],
    );
    assert_eq!(
        map_lookup(&bits, 5).as_deref(),
        Some("DomainNeutral|Native")
    );
    assert_eq!(map_lookup(&bits, 0x32).as_deref(), Some("Dynamic|0x30"));
    assert_eq!(map_lookup(&bits, 0x40), None);
    assert_eq!(map_lookup(&bits, 0), None);

    let mut s = schema(vec![
        FieldDef {
            map: Some("Kind".into()),
            ..field("k", it::UINT8, 0)
        },
        FieldDef {
            map: Some("Flags".into()),
            ..field("f", it::UINT32, 0)
        },
        FieldDef {
            map: Some("Kind".into()),
            ..field("unmapped", it::UINT8, 0)
        },
        FieldDef {
            map: Some("Missing".into()),
            ..field("m", it::UINT8, 0)
        },
    ]);
    s.maps.insert("Kind".into(), Arc::new(values));
    s.maps.insert("Flags".into(), Arc::new(bits));
    let d = decode_payload(&s, &[1, 3, 0, 0, 0, 9, 2], 8);
    assert_eq!(d.error, None);
    assert_eq!(
        d.fields[0].1,
        Value::Mapped {
            raw: 1,
            text: "dynamic".into()
        }
    );
    assert_eq!(
        d.fields[1].1,
        Value::Mapped {
            raw: 3,
            text: "DomainNeutral|Dynamic".into()
        }
    );
    assert_eq!(d.fields[2].1, uint(9, 1, IntFormat::Decimal));
    assert_eq!(d.fields[3].1, uint(2, 1, IntFormat::Decimal));
}

#[test]
fn truncation_keeps_earlier_fields() {
    let s = schema(vec![
        field("a", it::UINT32, 0),
        field("b", it::UINT64, 0),
        field("c", it::UINT8, 0),
    ]);
    let d = decode_payload(&s, &[1, 0, 0, 0, 2, 0, 0], 8);
    assert_eq!(d.fields, vec![("a", uint(1, 4, IntFormat::Decimal))]);
    assert_eq!(d.consumed, 4);
    let err = d.error.expect("error");
    assert_eq!(
        err,
        DecodeError::Truncated {
            field: "b".into(),
            offset: 4,
            need: 8,
            have: 3
        }
    );
    assert_eq!(
        err.to_string(),
        "field `b` at payload offset 4: need 8 bytes, have 3"
    );
}

#[test]
fn bad_counts_and_references() {
    // A count far beyond the payload is rejected before allocating.
    let s = schema(vec![
        field("n", it::UINT32, 0),
        with_count(field("v", it::UINT8, 0), Count::Field(0)),
    ]);
    let d = decode_payload(&s, &[0xff, 0xff, 0xff, 0xff, 1], 8);
    assert!(
        matches!(
            d.error,
            Some(DecodeError::Truncated {
                offset: 4,
                have: 1,
                ..
            })
        ),
        "{:?}",
        d.error
    );
    // Forward or non-numeric references.
    let s = schema(vec![
        with_count(field("v", it::UINT8, 0), Count::Field(1)),
        field("n", it::UINT8, 0),
    ]);
    let d = decode_payload(&s, &[1, 1], 8);
    assert_eq!(
        d.error,
        Some(DecodeError::BadReference {
            field: "v".into(),
            offset: 0,
            index: 1
        })
    );
    let s = schema(vec![
        field("s", it::ANSI_STRING, 0),
        with_length(field("b", it::BINARY, 0), Length::Field(0)),
    ]);
    let d = decode_payload(&s, b"x\0", 8);
    assert!(matches!(
        d.error,
        Some(DecodeError::BadReference { index: 0, .. })
    ));
    // Unknown in-types stop decoding.
    let s = schema(vec![field("q", 999, 0)]);
    let d = decode_payload(&s, &[1], 8);
    assert_eq!(
        d.error,
        Some(DecodeError::UnsupportedType {
            field: "q".into(),
            offset: 0,
            in_type: 999
        })
    );
    // Counted types with short data.
    let s = schema(vec![field("c", it::COUNTED_STRING, 0)]);
    let d = decode_payload(&s, &[10, 0, 1], 8);
    assert!(matches!(
        d.error,
        Some(DecodeError::Truncated {
            need: 10,
            have: 1,
            ..
        })
    ));
}

/// `{Count; Items[Count]; Len; Text[Len]; Blob[Len]}` repeated `n` times.
fn counted_struct_array() -> EventSchema {
    let mut entry = with_count(field("entry", it::STRUCT, 0), Count::Field(0));
    entry.members = vec![
        field("count", it::UINT8, 0),
        with_count(field("items", it::UINT16, 0), Count::Field(0)),
        field("len", it::UINT8, 0),
        with_length(field("text", it::ANSI_STRING, 0), Length::Field(2)),
        with_length(field("blob", it::BINARY, 0), Length::Field(2)),
    ];
    schema(vec![field("n", it::UINT8, 0), entry])
}

#[test]
fn struct_members_use_siblings_of_their_own_instance() {
    let s = counted_struct_array();
    let payload = [
        2, // n
        2, 1, 0, 2, 0, 1, b'a', 0xAA, // count 2, items [1, 2], len 1
        0, 3, b'x', b'y', b'z', 1, 2, 3, // count 0, no items, len 3
    ];
    let d = decode_payload(&s, &payload, 8);
    assert_eq!(d.error, None);
    assert_eq!(d.consumed, payload.len());
    assert_eq!(
        d.get("entry").map(Value::display).as_deref(),
        Some(
            "[{count: 2, items: [1, 2], len: 1, text: a, blob: aa}, \
             {count: 0, items: [], len: 3, text: xyz, blob: 010203}]"
        )
    );
}

#[test]
fn struct_member_references_out_of_reach_are_errors() {
    let bad = |s: &EventSchema, payload: &[u8]| decode_payload(s, payload, 8).error;
    // A member counted by a later sibling (or itself): not decoded yet.
    let mut forward = counted_struct_array();
    forward.fields[1].members[1].count = Count::Field(2);
    assert_eq!(
        bad(&forward, &[1, 1, 0, 0]),
        Some(DecodeError::BadReference {
            field: "entry.items".into(),
            offset: 2,
            index: 2
        })
    );
    // Member indexes never reach the top-level fields: index 1 here is `items` itself.
    let mut outside = counted_struct_array();
    outside.fields[1].members[1].count = Count::Field(1);
    assert!(matches!(
        bad(&outside, &[1, 5, 0, 0]),
        Some(DecodeError::BadReference { index: 1, .. })
    ));
    // A sibling struct or string is not a number.
    let mut inner = field("inner", it::STRUCT, 0);
    inner.members = vec![field("x", it::UINT8, 0)];
    let mut holder = field("holder", it::STRUCT, 0);
    holder.members = vec![inner, with_count(field("v", it::UINT8, 0), Count::Field(0))];
    let s = schema(vec![holder.clone()]);
    assert_eq!(
        bad(&s, &[1, 1]),
        Some(DecodeError::BadReference {
            field: "holder.v".into(),
            offset: 1,
            index: 0
        })
    );
    holder.members[0] = field("name", it::ANSI_STRING, 0);
    let s = schema(vec![holder]);
    assert!(matches!(
        bad(&s, b"a\0\x01"),
        Some(DecodeError::BadReference { index: 0, .. })
    ));
}

#[test]
fn zero_size_elements_are_bounded() {
    // Arrays of empty structs inside arrays of empty structs: the value budget stops it.
    let empty = with_count(field("e", it::STRUCT, 0), Count::Field(0));
    let mut outer = with_count(field("o", it::STRUCT, 0), Count::Field(0));
    outer.members = vec![empty];
    let s = schema(vec![field("n", it::UINT16, 0), outer]);
    let mut payload = 0xffffu16.to_le_bytes().to_vec();
    payload.resize(0xffff + 2, 0);
    let d = decode_payload(&s, &payload, 8);
    assert!(d.error.is_some());
}

mod props {
    use super::*;
    use proptest::prelude::*;

    const IN_TYPES: &[u16] = &[
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
        25, 300, 301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 1000,
    ];

    fn arb_field(depth: u32) -> BoxedStrategy<FieldDef> {
        let leaf = (
            proptest::sample::select(IN_TYPES),
            0u16..40,
            prop_oneof![
                Just(Count::One),
                (0u16..5).prop_map(Count::Fixed),
                (0usize..4).prop_map(Count::Field),
                Just(Count::PrefixU16)
            ],
            prop_oneof![
                Just(Length::Natural),
                (0u16..9).prop_map(Length::Fixed),
                (0usize..4).prop_map(Length::Field)
            ],
        )
            .prop_map(|(in_type, out_type, count, length)| FieldDef {
                count,
                length,
                ..FieldDef::scalar("f", in_type, out_type)
            });
        if depth == 0 {
            return leaf.boxed();
        }
        (leaf, proptest::collection::vec(arb_field(depth - 1), 0..3))
            .prop_map(|(mut f, members)| {
                if !members.is_empty() {
                    f.in_type = it::STRUCT;
                    f.members = members;
                }
                f
            })
            .boxed()
    }

    proptest! {
        #[test]
        fn decode_never_panics(
            fields in proptest::collection::vec(arb_field(2), 0..6),
            payload in proptest::collection::vec(any::<u8>(), 0..96),
            pointer_size in prop_oneof![Just(4u8), Just(8u8)],
        ) {
            let s = schema(fields);
            let d = decode_payload(&s, &payload, pointer_size);
            prop_assert!(d.consumed <= payload.len());
            prop_assert!(d.fields.len() <= s.fields.len());
            for (_, v) in &d.fields {
                let _ = v.display();
                let _ = v.to_json();
            }
        }
    }
}
