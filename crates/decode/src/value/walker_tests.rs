//! Tests of the payload walker (kept beside walker.rs to keep that file short).

use super::*;
use crate::schema::SchemaSource;

fn schema(fields: Vec<FieldDef>) -> EventSchema {
    let mut s = EventSchema::new(SchemaSource::Manifest, "Test-Provider");
    s.fields = fields;
    s
}

fn field(name: &str, in_type: u16, out_type: u16) -> FieldDef {
    FieldDef::scalar(name, in_type, out_type)
}

fn with_count(mut f: FieldDef, count: Count) -> FieldDef {
    f.count = count;
    f
}

fn with_length(mut f: FieldDef, length: Length) -> FieldDef {
    f.length = length;
    f
}

fn utf16z(s: &str) -> Vec<u8> {
    let mut v: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
    v.extend_from_slice(&[0, 0]);
    v
}

/// Decodes one field and returns its value, asserting the payload was consumed exactly.
fn one(f: FieldDef, payload: &[u8], pointer_size: u8) -> Value {
    let s = schema(vec![f]);
    let d = decode_payload(&s, payload, pointer_size);
    assert_eq!(d.error, None);
    assert_eq!(d.consumed, payload.len(), "consumed");
    d.fields
        .into_iter()
        .next()
        .map(|(_, v)| v)
        .expect("one field")
}

fn uint(value: u64, width: u8, format: IntFormat) -> Value {
    Value::UInt {
        value,
        width,
        format,
    }
}

fn int(value: i64, width: u8) -> Value {
    Value::Int {
        value,
        width,
        format: IntFormat::Decimal,
    }
}

#[test]
fn integers_of_every_width() {
    assert_eq!(one(field("a", it::INT8, 0), &[0xff], 8), int(-1, 1));
    assert_eq!(
        one(field("a", it::UINT8, 0), &[0xff], 8),
        uint(255, 1, IntFormat::Decimal)
    );
    assert_eq!(one(field("a", it::INT16, 0), &[0xfe, 0xff], 8), int(-2, 2));
    assert_eq!(
        one(field("a", it::UINT16, 0), &[0x34, 0x12], 8),
        uint(0x1234, 2, IntFormat::Decimal)
    );
    assert_eq!(
        one(field("a", it::INT32, 0), &(-5i32).to_le_bytes(), 8),
        int(-5, 4)
    );
    assert_eq!(
        one(field("a", it::UINT32, 0), &7u32.to_le_bytes(), 8),
        uint(7, 4, IntFormat::Decimal)
    );
    assert_eq!(
        one(field("a", it::INT64, 0), &i64::MIN.to_le_bytes(), 8),
        int(i64::MIN, 8)
    );
    assert_eq!(
        one(field("a", it::UINT64, 0), &u64::MAX.to_le_bytes(), 8),
        uint(u64::MAX, 8, IntFormat::Decimal)
    );
}

#[test]
fn hex_presentation_from_in_or_out_type() {
    assert_eq!(
        one(field("a", it::HEXINT32, 0), &0xabu32.to_le_bytes(), 8),
        uint(0xab, 4, IntFormat::Hex)
    );
    assert_eq!(
        one(field("a", it::HEXINT64, 0), &1u64.to_le_bytes(), 8).display(),
        "0x1"
    );
    assert_eq!(
        one(
            field("a", it::UINT64, ot::HEXINT64),
            &0x7ffu64.to_le_bytes(),
            8
        )
        .display(),
        "0x7FF"
    );
    assert_eq!(
        one(field("a", it::UINT8, ot::HEXINT8), &[0x0c], 8).display(),
        "0xC"
    );
    assert_eq!(
        one(
            field("a", it::HEXINT32, ext::UNSIGNEDINT),
            &10u32.to_le_bytes(),
            8
        )
        .display(),
        "10"
    );
    assert_eq!(
        one(
            field("a", it::UINT32, ot::NTSTATUS),
            &0xC000_0022u32.to_le_bytes(),
            8
        )
        .display(),
        "0xC0000022"
    );
    assert_eq!(
        one(
            field("a", it::INT32, ot::HRESULT),
            &0x8007_0005u32.to_le_bytes(),
            8
        )
        .display(),
        "0x80070005"
    );
    assert_eq!(
        one(
            field("a", it::UINT32, ot::WIN32ERROR),
            &5u32.to_le_bytes(),
            8
        ),
        uint(5, 4, IntFormat::Win32Error)
    );
    assert_eq!(
        one(field("a", it::UINT32, ext::INT), &u32::MAX.to_le_bytes(), 8),
        int(-1, 4)
    );
}

#[test]
fn out_types_change_presentation() {
    assert_eq!(
        one(field("a", it::UINT8, ot::BOOLEAN), &[1], 8),
        Value::Bool(true)
    );
    assert_eq!(
        one(field("a", it::UINT8, ot::STRING), b"A", 8),
        Value::String("A".into())
    );
    assert_eq!(
        one(field("a", it::UINT16, ot::STRING), &[0xe9, 0], 8),
        Value::String("é".into())
    );
    assert_eq!(
        one(field("a", it::UINT16, ot::PORT), &[0x01, 0xbb], 8),
        Value::Port(443)
    );
    assert_eq!(
        one(field("a", it::UINT32, ot::IPV4), &[127, 0, 0, 1], 8).display(),
        "127.0.0.1"
    );
    let ft = 132_265_000_000_000_000u64;
    assert_eq!(
        one(field("a", it::UINT64, ot::DATETIME), &ft.to_le_bytes(), 8),
        Value::FileTime(ft as i64)
    );
    assert_eq!(
        one(field("a", it::UINT32, ot::PID), &4u32.to_le_bytes(), 8).display(),
        "4"
    );
}

#[test]
fn floats_bools_guid_times() {
    assert_eq!(
        one(field("a", it::FLOAT, 0), &1.5f32.to_le_bytes(), 8),
        Value::F32(1.5)
    );
    assert_eq!(
        one(field("a", it::DOUBLE, 0), &(-2.25f64).to_le_bytes(), 8),
        Value::F64(-2.25)
    );
    assert_eq!(
        one(field("a", it::BOOLEAN, 0), &2u32.to_le_bytes(), 8),
        Value::Bool(true)
    );
    assert_eq!(
        one(field("a", it::BOOLEAN, 0), &0u32.to_le_bytes(), 8),
        Value::Bool(false)
    );
    let guid_bytes = [
        0x23, 0x0d, 0x3c, 0xe1, 0xbc, 0xcc, 0x12, 0x4e, 0x93, 0x1b, 0xd9, 0xcc, 0x2e, 0xee, 0x27,
        0xe4,
    ];
    assert_eq!(
        one(field("a", it::GUID, 0), &guid_bytes, 8).display(),
        "{e13c0d23-ccbc-4e12-931b-d9cc2eee27e4}"
    );
    let ft = 132_264_000_000_000_000i64;
    assert_eq!(
        one(field("a", it::FILETIME, 0), &ft.to_le_bytes(), 8),
        Value::FileTime(ft)
    );
    let st: Vec<u8> = [2021u16, 7, 3, 14, 9, 30, 15, 250]
        .iter()
        .flat_map(|p| p.to_le_bytes())
        .collect();
    let v = one(field("a", it::SYSTEMTIME, ot::DATETIME_UTC), &st, 8);
    assert_eq!(
        v,
        Value::SystemTime {
            parts: [2021, 7, 3, 14, 9, 30, 15, 250],
            utc: true
        }
    );
    assert_eq!(v.display(), "2021-07-14T09:30:15.250Z");
}

#[test]
fn pointers_follow_pointer_size() {
    let bytes8 = 0x7ff6_1234_5678u64.to_le_bytes();
    assert_eq!(
        one(field("p", it::POINTER, 0), &bytes8, 8),
        Value::Pointer {
            value: 0x7ff6_1234_5678,
            width: 8
        }
    );
    assert_eq!(
        one(field("p", it::POINTER, 0), &0x1000u32.to_le_bytes(), 4),
        Value::Pointer {
            value: 0x1000,
            width: 4
        }
    );
    assert_eq!(
        one(field("s", it::SIZE_T, 0), &77u32.to_le_bytes(), 4),
        uint(77, 4, IntFormat::Decimal)
    );
    assert_eq!(
        one(
            field("s", it::SIZE_T, ot::HEXINT64),
            &77u64.to_le_bytes(),
            8
        )
        .display(),
        "0x4D"
    );
    // Unknown pointer sizes fall back to 8.
    assert_eq!(
        one(field("p", it::POINTER, 0), &bytes8, 0),
        Value::Pointer {
            value: 0x7ff6_1234_5678,
            width: 8
        }
    );
}

#[test]
fn terminated_and_counted_strings() {
    let mut payload = utf16z("héllo");
    payload.extend_from_slice(b"ansi\0");
    let s = schema(vec![
        field("w", it::UNICODE_STRING, 0),
        field("a", it::ANSI_STRING, 0),
    ]);
    let d = decode_payload(&s, &payload, 8);
    assert_eq!(d.error, None);
    assert_eq!(
        d.fields,
        vec![
            ("w", Value::String("héllo".into())),
            ("a", Value::String("ansi".into()))
        ]
    );
    assert_eq!(d.consumed, payload.len());

    let mut counted = 6u16.to_le_bytes().to_vec();
    counted.extend("abc".encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(
        one(field("c", it::COUNTED_STRING, 0), &counted, 8),
        Value::String("abc".into())
    );
    assert_eq!(
        one(field("c", it::WBEM_COUNTED_STRING, 0), &counted, 8),
        Value::String("abc".into())
    );
    assert_eq!(
        one(
            field("c", it::COUNTED_ANSI_STRING, 0),
            &[2, 0, b'h', b'i'],
            8
        ),
        Value::String("hi".into())
    );
    assert_eq!(
        one(
            field("c", it::WBEM_COUNTED_ANSI_STRING, 0),
            &[1, 0, b'x'],
            8
        ),
        Value::String("x".into())
    );
    assert_eq!(
        one(
            field("c", it::REVERSED_COUNTED_ANSI_STRING, 0),
            &[0, 2, b'o', b'k'],
            8
        ),
        Value::String("ok".into())
    );
    assert_eq!(
        one(
            field("c", it::REVERSED_COUNTED_STRING, 0),
            &[0, 2, b'Z', 0],
            8
        ),
        Value::String("Z".into())
    );
    assert_eq!(
        one(
            field("c", it::NON_NULL_TERMINATED_STRING, 0),
            &[b'r', 0, b's', 0],
            8
        ),
        Value::String("rs".into())
    );
    assert_eq!(
        one(
            field("c", it::NON_NULL_TERMINATED_ANSI_STRING, 0),
            b"rest",
            8
        ),
        Value::String("rest".into())
    );
    assert_eq!(
        one(field("c", it::UNICODE_CHAR, 0), &[0x41, 0], 8),
        Value::String("A".into())
    );
    assert_eq!(
        one(field("c", it::ANSI_CHAR, 0), &[0xe9], 8),
        Value::String("é".into())
    );
}

#[test]
fn string_lengths_fixed_and_from_fields() {
    // Fixed length in characters for UTF-16, with NUL padding cut off.
    let payload = [b'a', 0, b'b', 0, 0, 0];
    let f = with_length(field("w", it::UNICODE_STRING, 0), Length::Fixed(3));
    assert_eq!(one(f, &payload, 8), Value::String("ab".into()));
    // Length from an earlier field.
    let mut payload = 3u16.to_le_bytes().to_vec();
    payload.extend_from_slice(b"xyz");
    let s = schema(vec![
        field("len", it::UINT16, 0),
        with_length(field("s", it::ANSI_STRING, 0), Length::Field(0)),
    ]);
    let d = decode_payload(&s, &payload, 8);
    assert_eq!(d.error, None);
    assert_eq!(d.get("s"), Some(&Value::String("xyz".into())));
}

#[test]
fn unterminated_final_string_is_accepted() {
    let payload = [b'e', 0, b'n', 0, b'd', 0];
    assert_eq!(
        one(field("w", it::UNICODE_STRING, 0), &payload, 8),
        Value::String("end".into())
    );
    assert_eq!(
        one(field("a", it::ANSI_STRING, 0), b"tail", 8),
        Value::String("tail".into())
    );
    // An odd trailing byte is consumed but not shown.
    assert_eq!(
        one(field("w", it::UNICODE_STRING, 0), &[b'x', 0, b'y'], 8),
        Value::String("x".into())
    );
}

#[test]
fn text_encodings() {
    assert_eq!(utf16le_to_string(&[0x00, 0xd8, 0x41, 0x00]), "\\u{D800}A");
    assert_eq!(utf16le_to_string(&[0x3d, 0xd8, 0x00, 0xde]), "😀");
    assert_eq!(ansi_to_string("ümlaut".as_bytes()), "ümlaut");
    assert_eq!(ansi_to_string(&[0x66, 0xfc, 0x72]), "für");
    assert_eq!(
        one(field("u", it::ANSI_STRING, ot::UTF8), &[0x66, 0xff, 0], 8),
        Value::String("f\u{fffd}".into())
    );
}

fn sid_bytes() -> Vec<u8> {
    let mut sid = vec![1, 2, 0, 0, 0, 0, 0, 5];
    sid.extend_from_slice(&32u32.to_le_bytes());
    sid.extend_from_slice(&544u32.to_le_bytes());
    sid
}

#[test]
fn sids() {
    assert_eq!(
        one(field("s", it::SID, 0), &sid_bytes(), 8).display(),
        "S-1-5-32-544"
    );
    // WBEM_SID: a zero prefix means "no SID" and takes 4 bytes.
    assert_eq!(
        one(field("s", it::WBEM_SID, 0), &[0, 0, 0, 0], 8),
        Value::Sid(Vec::new())
    );
    // Otherwise two pointers (TOKEN_USER) come before the SID.
    for pointer_size in [4u8, 8] {
        let mut payload = vec![0xaa; usize::from(pointer_size) * 2];
        payload.extend_from_slice(&sid_bytes());
        assert_eq!(
            one(field("s", it::WBEM_SID, 0), &payload, pointer_size).display(),
            "S-1-5-32-544"
        );
    }
    let s = schema(vec![field("s", it::SID, 0)]);
    let d = decode_payload(&s, &[1, 16, 0, 0, 0, 0, 0, 5], 8);
    assert!(
        matches!(d.error, Some(DecodeError::Invalid { offset: 0, .. })),
        "{:?}",
        d.error
    );
}

#[test]
fn binary_forms() {
    let f = with_length(field("b", it::BINARY, 0), Length::Fixed(3));
    assert_eq!(one(f, &[1, 2, 3], 8), Value::Binary(vec![1, 2, 3]));
    let mut v6 = [0u8; 16];
    v6[0] = 0xfe;
    v6[1] = 0x80;
    v6[15] = 1;
    assert_eq!(
        one(field("b", it::BINARY, ot::IPV6), &v6, 8).display(),
        "fe80::1"
    );
    assert_eq!(
        one(field("b", it::BINARY, 0), &[9, 8], 8),
        Value::Binary(vec![9, 8])
    );
    assert_eq!(
        one(field("b", it::COUNTED_BINARY, 0), &[2, 0, 0xde, 0xad], 8).display(),
        "dead"
    );
    assert_eq!(
        one(field("b", it::HEXDUMP, 0), &[1, 0, 0, 0, 0x7f], 8),
        Value::Binary(vec![0x7f])
    );
    let sockaddr = [2, 0, 0, 80, 10, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0];
    let f = with_length(field("b", it::BINARY, ot::SOCKETADDRESS), Length::Fixed(16));
    assert_eq!(one(f, &sockaddr, 8).display(), "10.1.2.3:80");
}

#[path = "walker_structure_tests.rs"]
mod structure;
