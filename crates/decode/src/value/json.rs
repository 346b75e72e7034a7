//! JSON of decoded values written straight to a serializer, with exactly the output of
//! [`Value::to_json`] but without building a `serde_json::Value` tree per event (the export
//! hot path).

use std::collections::{HashMap, HashSet};

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::{IntFormat, Value};

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int {
                value,
                format: IntFormat::Decimal | IntFormat::Win32Error,
                ..
            } => serializer.serialize_i64(*value),
            Value::UInt {
                value,
                format: IntFormat::Decimal | IntFormat::Win32Error,
                ..
            } => serializer.serialize_u64(*value),
            Value::F32(v) => float(f64::from(*v), serializer),
            Value::F64(v) => float(*v, serializer),
            Value::String(s) => serializer.serialize_str(s),
            Value::Port(p) => serializer.serialize_u16(*p),
            Value::Sid(bytes) if bytes.is_empty() => serializer.serialize_unit(),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Struct(members) => Fields(members.iter().map(|(n, v)| (n.as_str(), v)))
                .serialize_with_len(members.len(), serializer),
            Value::Mapped { text, .. } => serializer.serialize_str(text),
            // The common hex forms are written from a stack buffer: `collect_str` goes through
            // the formatting machinery, per value of every exported event.
            Value::Pointer { value, .. } => {
                serializer.serialize_str(UpperHex::new(*value, 1).as_str())
            }
            Value::Int {
                value,
                width,
                format,
            } => serializer.serialize_str(
                UpperHex::of_int((*value as u64) & super::format::width_mask(*width), *format)
                    .as_str(),
            ),
            Value::UInt { value, format, .. } => {
                serializer.serialize_str(UpperHex::of_int(*value, *format).as_str())
            }
            Value::FileTime(ft) if *ft >= 0 => serializer.serialize_str(&etl::format_filetime(*ft)),
            other => serializer.collect_str(other),
        }
    }
}

/// `0x` and uppercase hex digits in a stack buffer: what `Display` writes for hex integers
/// and pointers (`0x{v:X}`, status codes `0x{v:08X}`).
struct UpperHex {
    buf: [u8; 18],
    start: usize,
}

impl UpperHex {
    fn new(value: u64, min_digits: usize) -> UpperHex {
        const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
        let mut buf = [0u8; 18];
        let mut at = buf.len();
        let mut rest = value;
        while rest != 0 || buf.len() - at < min_digits.clamp(1, 16) {
            at -= 1;
            buf[at] = DIGITS[(rest & 0xF) as usize];
            rest >>= 4;
        }
        buf[at - 2] = b'0';
        buf[at - 1] = b'x';
        UpperHex { buf, start: at - 2 }
    }

    fn of_int(value: u64, format: IntFormat) -> UpperHex {
        match format {
            IntFormat::NtStatus | IntFormat::HResult => UpperHex::new(value, 8),
            _ => UpperHex::new(value, 1),
        }
    }

    fn as_str(&self) -> &str {
        // Only ASCII digits and `0x` were written.
        std::str::from_utf8(&self.buf[self.start..]).unwrap_or_default()
    }
}

/// JSON has no NaN or infinity: those are written as text, as `to_json` does.
fn float<S: Serializer>(v: f64, serializer: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        serializer.serialize_f64(v)
    } else {
        serializer.collect_str(&v)
    }
}

/// Named values written as one JSON object. A repeated name keeps its first place and its
/// last value, as a JSON object built key by key would.
pub struct Fields<I>(pub I);

impl<'a, I> Fields<I>
where
    I: Iterator<Item = (&'a str, &'a Value)> + Clone,
{
    pub fn serialize_with_len<S: Serializer>(
        &self,
        len: usize,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(len))?;
        if !has_repeated_names(self.0.clone(), len) {
            for (name, value) in self.0.clone() {
                map.serialize_entry(name, value)?;
            }
            return map.end();
        }
        let pairs: Vec<(&str, &Value)> = self.0.clone().collect();
        let mut last: HashMap<&str, usize> = HashMap::with_capacity(pairs.len());
        for (index, (name, _)) in pairs.iter().enumerate() {
            last.insert(name, index);
        }
        let mut written: HashSet<&str> = HashSet::with_capacity(last.len());
        for (name, _) in &pairs {
            if written.insert(name) {
                let value = last.get(name).and_then(|&i| pairs.get(i)).map(|p| p.1);
                if let Some(value) = value {
                    map.serialize_entry(name, value)?;
                }
            }
        }
        map.end()
    }
}

/// Names repeat rarely: a quadratic look for few fields, a set for many.
fn has_repeated_names<'a>(
    pairs: impl Iterator<Item = (&'a str, &'a Value)> + Clone,
    len: usize,
) -> bool {
    if len <= 16 {
        let names = pairs.map(|(n, _)| n);
        names
            .clone()
            .enumerate()
            .any(|(i, name)| names.clone().skip(i + 1).any(|other| other == name))
    } else {
        let mut seen = HashSet::with_capacity(len);
        pairs.into_iter().any(|(name, _)| !seen.insert(name))
    }
}

impl<'a, I> Serialize for Fields<I>
where
    I: Iterator<Item = (&'a str, &'a Value)> + Clone,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len = self.0.clone().count();
        self.serialize_with_len(len, serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn samples() -> Vec<Value> {
        let int = |value, format| Value::Int {
            value,
            width: 4,
            format,
        };
        let uint = |value, format| Value::UInt {
            value,
            width: 2,
            format,
        };
        vec![
            Value::Bool(true),
            int(-5, IntFormat::Decimal),
            int(-5, IntFormat::Hex),
            int(10060, IntFormat::Win32Error),
            uint(0xC000_0022, IntFormat::NtStatus),
            uint(0x8007_0005, IntFormat::HResult),
            uint(u64::MAX, IntFormat::Decimal),
            Value::F32(1.5),
            Value::F64(f64::NAN),
            Value::F64(-0.1),
            Value::F64(f64::INFINITY),
            Value::String("quote \" and \u{1b} and \u{2028}".into()),
            Value::Guid(Uuid::from_u128(0x1234)),
            Value::FileTime(133_000_000_000_000_000),
            Value::SystemTime {
                parts: [2024, 3, 2, 12, 14, 32, 8, 5],
                utc: true,
            },
            Value::Sid(vec![]),
            Value::Sid(vec![1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]),
            Value::Binary(vec![0xde, 0xad]),
            Value::Ipv4([10, 0, 0, 1]),
            Value::Ipv6([0; 16]),
            Value::Port(443),
            Value::SocketAddress(vec![2, 0, 1, 187, 10, 0, 0, 1]),
            Value::Pointer {
                value: 0xffff_0000,
                width: 8,
            },
            Value::Mapped {
                raw: 3,
                text: "Three".into(),
            },
            // Edges of the hand-written hex and time paths.
            Value::Pointer { value: 0, width: 4 },
            Value::Pointer {
                value: u64::MAX,
                width: 8,
            },
            Value::Int {
                value: -1,
                width: 1,
                format: IntFormat::Hex,
            },
            uint(0, IntFormat::Hex),
            uint(0, IntFormat::NtStatus),
            uint(u64::MAX, IntFormat::Hex),
            Value::FileTime(0),
            Value::FileTime(-1),
            Value::FileTime(i64::MAX),
        ]
    }

    #[test]
    fn every_value_writes_what_to_json_builds() {
        let mut all = samples();
        all.push(Value::Array(samples()));
        all.push(Value::Struct(
            samples()
                .into_iter()
                .enumerate()
                .map(|(i, v)| (format!("m{i}"), v))
                .collect(),
        ));
        for value in &all {
            let streamed = serde_json::to_string(value).unwrap();
            assert_eq!(streamed, value.to_json().to_string(), "{value:?}");
        }
    }

    #[test]
    fn repeated_names_keep_the_first_place_and_the_last_value() {
        let values = samples();
        let pairs = [
            ("a", &values[0]),
            ("b", &values[1]),
            ("a", &values[2]),
            ("c", &values[3]),
        ];
        let streamed = serde_json::to_string(&Fields(pairs.iter().copied())).unwrap();
        let built: serde_json::Map<String, serde_json::Value> = pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_json()))
            .collect();
        assert_eq!(streamed, serde_json::Value::Object(built).to_string());
    }
}
