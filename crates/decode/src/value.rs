//! Decoded field values and the one payload walker that reads any [`EventSchema`].
//!
//! [`decode_payload`] walks the payload bytes field by field as the schema says and produces
//! [`Value`]s; the out-type decides how a value is presented ([`Value::display`],
//! [`Value::to_json`]). [`render_message`] fills a FormatMessage-style template.
//!
//! [`EventSchema`]: crate::schema::EventSchema

#[path = "value/convert.rs"]
mod convert;
#[path = "value/format.rs"]
mod format;
#[path = "value/json.rs"]
mod json;
#[path = "value/message.rs"]
mod message;
#[path = "value/walker.rs"]
mod walker;

pub use json::Fields;
pub use message::{render_message, render_message_with};
pub use walker::{decode_payload, map_lookup};

use std::fmt;
use uuid::Uuid;

/// TDH out-types that `schema::out_type` does not name yet (tdh.h `_TDH_OUT_TYPE`).
pub mod out_type_ext {
    pub const BYTE: u16 = 3;
    pub const UNSIGNEDBYTE: u16 = 4;
    pub const SHORT: u16 = 5;
    pub const UNSIGNEDSHORT: u16 = 6;
    pub const INT: u16 = 7;
    pub const UNSIGNEDINT: u16 = 8;
    pub const LONG: u16 = 9;
    pub const UNSIGNEDLONG: u16 = 10;
    pub const FLOAT: u16 = 11;
    pub const DOUBLE: u16 = 12;
    pub const CIMDATETIME: u16 = 26;
    pub const ETWTIME: u16 = 27;
    pub const CULTURE_INSENSITIVE_DATETIME: u16 = 33;
    pub const PKCS7_WITH_TYPE_INFO: u16 = 36;
    pub const REDUCEDSTRING: u16 = 300;
    pub const NOPRINT: u16 = 301;
}

/// How an integer is shown to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntFormat {
    Decimal,
    /// `0x` + upper-case hex digits.
    Hex,
    /// Win32 error code: decimal (a name can be looked up from it).
    Win32Error,
    /// NTSTATUS: `0x` + 8 hex digits.
    NtStatus,
    /// HRESULT: `0x` + 8 hex digits.
    HResult,
}

/// One decoded field value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    /// A signed integer of `width` bytes.
    Int {
        value: i64,
        width: u8,
        format: IntFormat,
    },
    /// An unsigned integer of `width` bytes.
    UInt {
        value: u64,
        width: u8,
        format: IntFormat,
    },
    F32(f32),
    F64(f64),
    String(String),
    Guid(Uuid),
    /// 100-ns intervals since 1601-01-01 UTC.
    FileTime(i64),
    /// year, month, weekday, day, hour, minute, second, millisecond; `utc` when the
    /// out-type says so (DATETIME_UTC).
    SystemTime {
        parts: [u16; 8],
        utc: bool,
    },
    /// Raw SID bytes; empty when the event carried no SID (WBEM_SID with a 0 prefix).
    Sid(Vec<u8>),
    Binary(Vec<u8>),
    /// Address bytes in network order.
    Ipv4([u8; 4]),
    Ipv6([u8; 16]),
    /// Port number (already converted from network byte order).
    Port(u16),
    /// A raw `SOCKADDR` (family u16, then family-specific bytes).
    SocketAddress(Vec<u8>),
    Pointer {
        value: u64,
        width: u8,
    },
    Array(Vec<Value>),
    Struct(Vec<(String, Value)>),
    /// A value-map or bit-map hit: the raw number and the text shown for it.
    Mapped {
        raw: u64,
        text: String,
    },
}

/// Why decoding stopped early. `field` is the field's name (`outer.inner` inside structs),
/// `offset` the payload offset where reading it began.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("field `{field}` at payload offset {offset}: need {need} bytes, have {have}")]
    Truncated {
        field: String,
        offset: usize,
        need: usize,
        have: usize,
    },
    #[error("field `{field}` at payload offset {offset}: {reason}")]
    Invalid {
        field: String,
        offset: usize,
        reason: &'static str,
    },
    #[error(
        "field `{field}` at payload offset {offset}: count/length refers to field #{index}, \
         which is not an earlier numeric field of the same struct (or of the event, at top level)"
    )]
    BadReference {
        field: String,
        offset: usize,
        index: usize,
    },
    #[error("field `{field}` at payload offset {offset}: unsupported in-type {in_type}")]
    UnsupportedType {
        field: String,
        offset: usize,
        in_type: u16,
    },
    #[error("field `{field}` at payload offset {offset}: structs nested deeper than {max} levels")]
    TooDeep {
        field: String,
        offset: usize,
        max: usize,
    },
}

impl DecodeError {
    /// Prefixes the field name with the enclosing struct's name.
    pub(crate) fn within(mut self, parent: &str) -> Self {
        let field = match &mut self {
            DecodeError::Truncated { field, .. }
            | DecodeError::Invalid { field, .. }
            | DecodeError::BadReference { field, .. }
            | DecodeError::UnsupportedType { field, .. }
            | DecodeError::TooDeep { field, .. } => field,
        };
        *field = format!("{parent}.{field}");
        self
    }
}

/// The result of walking one payload: the fields decoded (names borrowed from the schema),
/// how many payload bytes they used, and why decoding stopped early, if it did.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded<'s> {
    pub fields: Vec<(&'s str, Value)>,
    pub consumed: usize,
    pub error: Option<DecodeError>,
}

impl Decoded<'_> {
    /// The first top-level field with this name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

impl Value {
    /// The value as an unsigned number, where that makes sense (negative numbers: `None`).
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::UInt { value, .. } | Value::Pointer { value, .. } => Some(value),
            Value::Mapped { raw, .. } => Some(raw),
            Value::Int { value, .. } => u64::try_from(value).ok(),
            Value::Bool(b) => Some(u64::from(b)),
            Value::Port(p) => Some(u64::from(p)),
            _ => None,
        }
    }

    /// The value as a signed number, where that makes sense.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int { value, .. } | Value::FileTime(value) => Some(value),
            Value::UInt { value, .. } | Value::Pointer { value, .. } => i64::try_from(value).ok(),
            Value::Mapped { raw, .. } => i64::try_from(raw).ok(),
            Value::Bool(b) => Some(i64::from(b)),
            Value::Port(p) => Some(i64::from(p)),
            _ => None,
        }
    }

    /// The text of a string value or of a map hit.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            Value::Mapped { text, .. } => Some(text),
            _ => None,
        }
    }

    /// What a person reads (same as the `Display` output).
    pub fn display(&self) -> String {
        self.to_string()
    }

    /// JSON form: numbers stay numbers unless their presentation is hex; GUIDs, times,
    /// addresses, SIDs and pointers become strings; binary becomes a hex string.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Bool(b) => J::Bool(*b),
            Value::Int {
                value,
                format: IntFormat::Decimal | IntFormat::Win32Error,
                ..
            } => J::from(*value),
            Value::UInt {
                value,
                format: IntFormat::Decimal | IntFormat::Win32Error,
                ..
            } => J::from(*value),
            Value::F32(v) => float_json(f64::from(*v)),
            Value::F64(v) => float_json(*v),
            Value::String(s) => J::String(s.clone()),
            Value::Port(p) => J::from(*p),
            Value::Sid(bytes) if bytes.is_empty() => J::Null,
            Value::Array(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::Struct(members) => J::Object(
                members
                    .iter()
                    .map(|(name, value)| (name.clone(), value.to_json()))
                    .collect(),
            ),
            Value::Mapped { text, .. } => J::String(text.clone()),
            other => J::String(other.to_string()),
        }
    }
}

fn float_json(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(v)
        .map(serde_json::Value::Number)
        .unwrap_or_else(|| serde_json::Value::String(v.to_string()))
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
            Value::Int {
                value,
                width,
                format,
            } => match format {
                IntFormat::Decimal | IntFormat::Win32Error => write!(f, "{value}"),
                // Hex shows the two's-complement bits of the field's own width.
                _ => {
                    format::write_hex_int(f, (*value as u64) & format::width_mask(*width), *format)
                }
            },
            Value::UInt { value, format, .. } => match format {
                IntFormat::Decimal | IntFormat::Win32Error => write!(f, "{value}"),
                _ => format::write_hex_int(f, *value, *format),
            },
            Value::F32(v) => write!(f, "{v}"),
            Value::F64(v) => write!(f, "{v}"),
            Value::String(s) => f.write_str(s),
            Value::Guid(g) => write!(f, "{{{}}}", g.hyphenated()),
            Value::FileTime(ft) => format::write_filetime(f, *ft),
            Value::SystemTime { parts, utc } => format::write_systemtime(f, parts, *utc),
            Value::Sid(bytes) => format::write_sid(f, bytes),
            Value::Binary(bytes) => format::write_hex_bytes(f, bytes),
            Value::Ipv4(b) => write!(f, "{}", std::net::Ipv4Addr::from(*b)),
            Value::Ipv6(b) => write!(f, "{}", std::net::Ipv6Addr::from(*b)),
            Value::Port(p) => write!(f, "{p}"),
            Value::SocketAddress(bytes) => format::write_socket_address(f, bytes),
            Value::Pointer { value, .. } => write!(f, "0x{value:X}"),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Struct(members) => {
                f.write_str("{")?;
                for (i, (name, value)) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}: {value}")?;
                }
                f.write_str("}")
            }
            Value::Mapped { text, .. } => f.write_str(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uint(value: u64, width: u8, format: IntFormat) -> Value {
        Value::UInt {
            value,
            width,
            format,
        }
    }

    #[test]
    fn integers_display_by_format() {
        assert_eq!(uint(42, 4, IntFormat::Decimal).display(), "42");
        assert_eq!(uint(0x1f, 4, IntFormat::Hex).display(), "0x1F");
        assert_eq!(uint(5, 4, IntFormat::Win32Error).display(), "5");
        assert_eq!(
            uint(0xC000_0005, 4, IntFormat::NtStatus).display(),
            "0xC0000005"
        );
        assert_eq!(uint(5, 4, IntFormat::HResult).display(), "0x00000005");
        let neg = Value::Int {
            value: -1,
            width: 2,
            format: IntFormat::Hex,
        };
        assert_eq!(neg.display(), "0xFFFF");
        let hr = Value::Int {
            value: -2147024891,
            width: 4,
            format: IntFormat::HResult,
        };
        assert_eq!(hr.display(), "0x80070005");
        assert_eq!(
            Value::Int {
                value: -7,
                width: 4,
                format: IntFormat::Decimal
            }
            .display(),
            "-7"
        );
    }

    #[test]
    fn other_scalars_display() {
        assert_eq!(Value::Bool(true).display(), "true");
        let guid = Uuid::parse_str("e13c0d23-ccbc-4e12-931b-d9cc2eee27e4").unwrap();
        assert_eq!(
            Value::Guid(guid).display(),
            "{e13c0d23-ccbc-4e12-931b-d9cc2eee27e4}"
        );
        assert_eq!(Value::Ipv4([10, 0, 0, 1]).display(), "10.0.0.1");
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        assert_eq!(Value::Ipv6(v6).display(), "::1");
        assert_eq!(
            Value::Pointer {
                value: 0x7ff6_0000_1000,
                width: 8
            }
            .display(),
            "0x7FF600001000"
        );
        assert_eq!(Value::Binary(vec![0x0a, 0xff]).display(), "0aff");
        assert_eq!(Value::F64(1.5).display(), "1.5");
        assert_eq!(
            Value::Mapped {
                raw: 3,
                text: "Three".into()
            }
            .display(),
            "Three"
        );
    }

    #[test]
    fn arrays_and_structs_display() {
        let arr = Value::Array(vec![
            uint(1, 4, IntFormat::Decimal),
            uint(2, 4, IntFormat::Decimal),
        ]);
        assert_eq!(arr.display(), "[1, 2]");
        let st = Value::Struct(vec![
            ("a".into(), uint(1, 4, IntFormat::Decimal)),
            ("b".into(), Value::String("x".into())),
        ]);
        assert_eq!(st.display(), "{a: 1, b: x}");
    }

    #[test]
    fn accessors() {
        assert_eq!(uint(7, 4, IntFormat::Hex).as_u64(), Some(7));
        assert_eq!(
            Value::Int {
                value: -1,
                width: 4,
                format: IntFormat::Decimal
            }
            .as_u64(),
            None
        );
        assert_eq!(
            Value::Int {
                value: -1,
                width: 4,
                format: IntFormat::Decimal
            }
            .as_i64(),
            Some(-1)
        );
        assert_eq!(uint(u64::MAX, 8, IntFormat::Decimal).as_i64(), None);
        assert_eq!(
            Value::Mapped {
                raw: 9,
                text: "N".into()
            }
            .as_u64(),
            Some(9)
        );
        assert_eq!(
            Value::Mapped {
                raw: 9,
                text: "N".into()
            }
            .as_str(),
            Some("N")
        );
        assert_eq!(Value::String("s".into()).as_str(), Some("s"));
        assert_eq!(Value::Bool(true).as_u64(), Some(1));
        assert_eq!(Value::F32(1.0).as_u64(), None);
    }

    #[test]
    fn json_forms() {
        use serde_json::json;
        assert_eq!(
            uint(u64::MAX, 8, IntFormat::Decimal).to_json(),
            json!(u64::MAX)
        );
        assert_eq!(uint(255, 4, IntFormat::Hex).to_json(), json!("0xFF"));
        assert_eq!(
            Value::Int {
                value: -3,
                width: 4,
                format: IntFormat::Decimal
            }
            .to_json(),
            json!(-3)
        );
        assert_eq!(Value::Binary(vec![1, 2]).to_json(), json!("0102"));
        assert_eq!(
            Value::FileTime(0).to_json(),
            json!("1601-01-01T00:00:00.0000000Z")
        );
        assert_eq!(Value::F64(f64::NAN).to_json(), json!("NaN"));
        assert_eq!(Value::Sid(Vec::new()).to_json(), serde_json::Value::Null);
        assert_eq!(Value::Port(443).to_json(), json!(443));
        let st = Value::Struct(vec![("k".into(), Value::Array(vec![Value::Bool(false)]))]);
        assert_eq!(st.to_json(), json!({"k": [false]}));
        assert_eq!(
            Value::Mapped {
                raw: 1,
                text: "One".into()
            }
            .to_json(),
            json!("One")
        );
    }

    #[test]
    fn error_prefix_names_the_struct_path() {
        let e = DecodeError::Truncated {
            field: "b".into(),
            offset: 3,
            need: 4,
            have: 1,
        };
        let e = e.within("a");
        assert_eq!(
            e.to_string(),
            "field `a.b` at payload offset 3: need 4 bytes, have 1"
        );
    }
}
