//! Reading argument values from a WPP message payload, one [`ItemType`] at a time.
//!
//! Layouts follow the WPP marshalling macros (tracewpp's `defaultwpp.ini` and its templates):
//! integers little-endian at their C size, pointers at the record's pointer size, ANSI/wide
//! strings NUL-terminated, counted strings (`ANSI_STRING`/`UNICODE_STRING`) as a u16 byte count
//! followed by that many bytes, SIDs at their own length, GUIDs as 16 bytes in memory order.
//! Every read is bounds-checked; a short payload yields an [`ArgProblem`], never a panic.

use uuid::Uuid;

use super::item::ItemType;
use crate::value::{IntFormat, Value};

/// One decoded argument value.
#[derive(Debug, Clone, PartialEq)]
pub enum TmfValue {
    Int {
        value: i64,
        width: u8,
    },
    UInt {
        value: u64,
        width: u8,
    },
    Pointer {
        value: u64,
        width: u8,
    },
    F64(f64),
    String(String),
    Guid(Uuid),
    NtStatus(u32),
    HResult(u32),
    Win32Error(u32),
    /// Address bytes in network order.
    Ipv4([u8; 4]),
    /// Already converted from network order.
    Port(u16),
    /// Raw SID bytes.
    Sid(Vec<u8>),
    Binary(Vec<u8>),
    /// 100-ns intervals since 1601-01-01 UTC.
    FileTime(i64),
    /// A list/set/char4 value: the raw number and the text it names.
    Mapped {
        raw: u64,
        text: String,
    },
}

impl TmfValue {
    /// The same value in the decoder's model, so WPP fields show, filter and export like any
    /// other event's.
    pub fn into_value(self) -> Value {
        match self {
            TmfValue::Int { value, width } => Value::Int {
                value,
                width,
                format: IntFormat::Decimal,
            },
            TmfValue::UInt { value, width } => Value::UInt {
                value,
                width,
                format: IntFormat::Decimal,
            },
            TmfValue::Pointer { value, width } => Value::Pointer { value, width },
            TmfValue::F64(v) => Value::F64(v),
            TmfValue::String(s) => Value::String(s),
            TmfValue::Guid(g) => Value::Guid(g),
            TmfValue::NtStatus(code) => status(code, IntFormat::NtStatus),
            TmfValue::HResult(code) => status(code, IntFormat::HResult),
            TmfValue::Win32Error(code) => status(code, IntFormat::Win32Error),
            TmfValue::Ipv4(a) => Value::Ipv4(a),
            TmfValue::Port(p) => Value::Port(p),
            TmfValue::Sid(s) => Value::Sid(s),
            TmfValue::Binary(b) => Value::Binary(b),
            TmfValue::FileTime(t) => Value::FileTime(t),
            TmfValue::Mapped { raw, text } => Value::Mapped { raw, text },
        }
    }
}

fn status(code: u32, format: IntFormat) -> Value {
    Value::UInt {
        value: u64::from(code),
        width: 4,
        format,
    }
}

/// Why an argument could not be read completely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgProblem {
    #[error("needs {need} bytes, {have} left")]
    Truncated { need: usize, have: usize },
    #[error("no NUL terminator in the {have} bytes left")]
    Unterminated { have: usize },
    #[error("unknown item type, cannot tell its size")]
    UnknownType,
}

/// A failed read: what was wrong and, for unterminated strings, the text found so far.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadFailure {
    pub problem: ArgProblem,
    pub partial: Option<TmfValue>,
}

/// A read position in the argument bytes.
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Cursor { data, pos: 0 }
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }

    fn take(&mut self, need: usize) -> Result<&'a [u8], ReadFailure> {
        let rest = self.remaining();
        match rest.get(..need) {
            Some(bytes) => {
                self.pos = self.pos.saturating_add(need);
                Ok(bytes)
            }
            None => Err(ReadFailure {
                problem: ArgProblem::Truncated {
                    need,
                    have: rest.len(),
                },
                partial: None,
            }),
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ReadFailure> {
        let bytes = self.take(N)?;
        <[u8; N]>::try_from(bytes).map_err(|_| ReadFailure {
            problem: ArgProblem::Truncated {
                need: N,
                have: bytes.len(),
            },
            partial: None,
        })
    }

    fn uint(&mut self, width: u8) -> Result<u64, ReadFailure> {
        let bytes = self.take(usize::from(width))?;
        Ok(bytes
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    fn u32(&mut self) -> Result<u32, ReadFailure> {
        // A 4-byte read always fits in u32.
        self.uint(4).map(|v| v as u32)
    }

    fn counted(&mut self) -> Result<&'a [u8], ReadFailure> {
        let len = self.uint(2)?;
        self.take(len as usize)
    }
}

fn sign_extend(value: u64, width: u8) -> i64 {
    let bits = u32::from(width.clamp(1, 8)) * 8;
    let shift = 64 - bits;
    ((value << shift) as i64) >> shift
}

/// ANSI text: UTF-8 when it is valid, otherwise each byte as Latin-1 (close to code page 1252).
pub fn ansi_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

pub fn utf16_text(bytes: &[u8]) -> String {
    let units = bytes
        .as_chunks::<2>()
        .0
        .iter()
        .map(|unit| u16::from_le_bytes(*unit));
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Reads one argument of type `item`; `pointer_size` is 4 or 8.
pub fn read(
    item: &ItemType,
    cursor: &mut Cursor<'_>,
    pointer_size: u8,
) -> Result<TmfValue, ReadFailure> {
    Ok(match item {
        ItemType::Signed { width } => TmfValue::Int {
            value: sign_extend(cursor.uint(*width)?, *width),
            width: *width,
        },
        ItemType::Unsigned { width } => TmfValue::UInt {
            value: cursor.uint(*width)?,
            width: *width,
        },
        ItemType::Ptr => TmfValue::Pointer {
            value: cursor.uint(pointer_size)?,
            width: pointer_size,
        },
        ItemType::Double => TmfValue::F64(f64::from_bits(cursor.uint(8)?)),
        ItemType::String => {
            let rest = cursor.remaining();
            match rest.iter().position(|&b| b == 0) {
                Some(end) => {
                    let text = ansi_text(cursor.take(end)?);
                    cursor.take(1)?;
                    TmfValue::String(text)
                }
                None => {
                    cursor.take(rest.len())?;
                    return Err(unterminated(rest.len(), ansi_text(rest)));
                }
            }
        }
        ItemType::WString => {
            let rest = cursor.remaining();
            let end = rest
                .as_chunks::<2>()
                .0
                .iter()
                .position(|unit| *unit == [0, 0]);
            match end {
                Some(units) => {
                    let text = utf16_text(cursor.take(units.saturating_mul(2))?);
                    cursor.take(2)?;
                    TmfValue::String(text)
                }
                None => {
                    cursor.take(rest.len())?;
                    return Err(unterminated(rest.len(), utf16_text(rest)));
                }
            }
        }
        ItemType::PString => TmfValue::String(ansi_text(cursor.counted()?)),
        ItemType::PWString => TmfValue::String(utf16_text(cursor.counted()?)),
        ItemType::HexDump => TmfValue::Binary(cursor.counted()?.to_vec()),
        ItemType::Guid => TmfValue::Guid(Uuid::from_bytes_le(cursor.array::<16>()?)),
        ItemType::NtStatus => TmfValue::NtStatus(cursor.u32()?),
        ItemType::HResult => TmfValue::HResult(cursor.u32()?),
        ItemType::WinError => TmfValue::Win32Error(cursor.u32()?),
        ItemType::IpAddr => TmfValue::Ipv4(cursor.array::<4>()?),
        ItemType::Port => TmfValue::Port(u16::from_be_bytes(cursor.array::<2>()?)),
        ItemType::Char4 => {
            let bytes = cursor.array::<4>()?;
            TmfValue::Mapped {
                raw: u64::from(u32::from_le_bytes(bytes)),
                text: bytes.iter().map(|&b| char::from(b)).collect(),
            }
        }
        ItemType::Timestamp => TmfValue::FileTime(sign_extend(cursor.uint(8)?, 8)),
        ItemType::TimeDelta => TmfValue::Int {
            value: sign_extend(cursor.uint(8)?, 8),
            width: 8,
        },
        ItemType::Sid => read_sid(cursor)?,
        ItemType::List { width, names } => {
            let raw = cursor.uint(*width)?;
            let text = names
                .iter()
                .find(|(value, _)| *value == raw)
                .map_or_else(|| raw.to_string(), |(_, name)| name.clone());
            TmfValue::Mapped { raw, text }
        }
        ItemType::Set { width, names } => {
            let raw = cursor.uint(*width)?;
            TmfValue::Mapped {
                raw,
                text: set_text(raw, names),
            }
        }
        ItemType::Enum(_) => TmfValue::UInt {
            value: cursor.uint(4)?,
            width: 4,
        },
        ItemType::Unknown(_) => {
            return Err(ReadFailure {
                problem: ArgProblem::UnknownType,
                partial: None,
            });
        }
    })
}

fn unterminated(have: usize, text: String) -> ReadFailure {
    ReadFailure {
        problem: ArgProblem::Unterminated { have },
        partial: Some(TmfValue::String(text)),
    }
}

/// Names of the set bits joined by `|`; bits without a name are added as one hex number.
fn set_text(raw: u64, names: &[String]) -> String {
    let mut parts = Vec::new();
    let mut unnamed = 0u64;
    for bit in 0..64u32 {
        let mask = 1u64 << bit;
        if raw & mask == 0 {
            continue;
        }
        match names.get(bit as usize) {
            Some(name) if !name.is_empty() => parts.push(name.clone()),
            _ => unnamed |= mask,
        }
    }
    if unnamed != 0 {
        parts.push(format!("0x{unnamed:X}"));
    }
    if parts.is_empty() {
        "0".to_string()
    } else {
        parts.join("|")
    }
}

/// SID: revision, sub-authority count, 6-byte authority, then 4 bytes per sub-authority.
fn read_sid(cursor: &mut Cursor<'_>) -> Result<TmfValue, ReadFailure> {
    if cursor.remaining().starts_with(b"NULL\0") {
        cursor.take(5)?;
        return Ok(TmfValue::String("NULL".to_string()));
    }
    let count = cursor.remaining().get(1).copied().unwrap_or(0);
    let need = 8 + 4 * usize::from(count);
    Ok(TmfValue::Sid(cursor.take(need.max(2))?.to_vec()))
}

/// `S-1-5-21-...` for SID bytes; `None` when they are too short for their own count.
pub fn sid_text(bytes: &[u8]) -> Option<String> {
    let revision = *bytes.first()?;
    let count = usize::from(*bytes.get(1)?);
    let authority = bytes
        .get(2..8)?
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    let mut text = if authority >> 32 == 0 {
        format!("S-{revision}-{authority}")
    } else {
        format!("S-{revision}-0x{authority:012X}")
    };
    for i in 0..count {
        let start = 8 + 4 * i;
        let sub: [u8; 4] = bytes.get(start..start + 4)?.try_into().ok()?;
        let value = u32::from_le_bytes(sub);
        text.push('-');
        text.push_str(&value.to_string());
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_one(item: &str, payload: &[u8], pointer_size: u8) -> Result<TmfValue, ReadFailure> {
        read(
            &ItemType::parse(item),
            &mut Cursor::new(payload),
            pointer_size,
        )
    }

    #[test]
    fn reads_integers_with_sign_and_width() {
        assert_eq!(
            read_one("ItemChar", &[0xFF], 8),
            Ok(TmfValue::Int {
                value: -1,
                width: 1
            })
        );
        assert_eq!(
            read_one("ItemUChar", &[0xFF], 8),
            Ok(TmfValue::UInt {
                value: 255,
                width: 1
            })
        );
        assert_eq!(
            read_one("ItemShort", &[0x00, 0x80], 8),
            Ok(TmfValue::Int {
                value: -32768,
                width: 2
            })
        );
        assert_eq!(
            read_one("ItemLong", &(-5i32).to_le_bytes(), 8),
            Ok(TmfValue::Int {
                value: -5,
                width: 4
            })
        );
        assert_eq!(
            read_one("ItemULongLong", &u64::MAX.to_le_bytes(), 8),
            Ok(TmfValue::UInt {
                value: u64::MAX,
                width: 8
            })
        );
        assert_eq!(
            read_one("ItemPtr", &[1, 2, 3, 4, 5, 6, 7, 8], 4),
            Ok(TmfValue::Pointer {
                value: 0x0403_0201,
                width: 4
            })
        );
        assert_eq!(
            read_one("ItemDouble", &1.5f64.to_le_bytes(), 8),
            Ok(TmfValue::F64(1.5))
        );
    }

    #[test]
    fn reads_strings_of_every_layout() {
        assert_eq!(
            read_one("ItemString", b"abc\0rest", 8),
            Ok(TmfValue::String("abc".into()))
        );
        assert_eq!(
            read_one("ItemString", &[0x63, 0x61, 0x66, 0xE9, 0], 8),
            Ok(TmfValue::String("caf\u{e9}".into()))
        );
        let wide: Vec<u8> = "h\u{e9}!\0"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(
            read_one("ItemWString", &wide, 8),
            Ok(TmfValue::String("h\u{e9}!".into()))
        );
        // A NUL pair that straddles two characters is not a terminator.
        assert_eq!(
            read_one("ItemWString", &[0x00, 0x41, 0x00, 0x00, 0x00], 8),
            Ok(TmfValue::String("\u{4100}".into()))
        );
        assert_eq!(
            read_one("ItemPString", &[3, 0, b'x', b'y', b'z', b'!'], 8),
            Ok(TmfValue::String("xyz".into()))
        );
        assert_eq!(
            read_one("ItemPWString", &[4, 0, b'o', 0, b'k', 0], 8),
            Ok(TmfValue::String("ok".into()))
        );
    }

    #[test]
    fn reports_truncation_and_partial_strings() {
        let failure = read_one("ItemLongLong", &[1, 2, 3], 8).unwrap_err();
        assert_eq!(failure.problem, ArgProblem::Truncated { need: 8, have: 3 });
        let failure = read_one("ItemPWString", &[200, 0, b'a', 0], 8).unwrap_err();
        assert_eq!(
            failure.problem,
            ArgProblem::Truncated { need: 200, have: 2 }
        );
        let failure = read_one("ItemString", b"abc", 8).unwrap_err();
        assert_eq!(failure.problem, ArgProblem::Unterminated { have: 3 });
        assert_eq!(failure.partial, Some(TmfValue::String("abc".into())));
        let failure = read_one("ItemMystery", &[0; 8], 8).unwrap_err();
        assert_eq!(failure.problem, ArgProblem::UnknownType);
    }

    #[test]
    fn reads_special_types() {
        let guid_bytes: Vec<u8> = (1..=16).collect();
        assert_eq!(
            read_one("ItemGuid", &guid_bytes, 8),
            Ok(TmfValue::Guid(
                Uuid::parse_str("04030201-0605-0807-090a-0b0c0d0e0f10").unwrap()
            ))
        );
        assert_eq!(
            read_one("ItemNTSTATUS", &0xC000_0034u32.to_le_bytes(), 8),
            Ok(TmfValue::NtStatus(0xC000_0034))
        );
        assert_eq!(
            read_one("ItemIPAddr", &[10, 1, 2, 3], 8),
            Ok(TmfValue::Ipv4([10, 1, 2, 3]))
        );
        assert_eq!(
            read_one("ItemPort", &[0x01, 0xBB], 8),
            Ok(TmfValue::Port(443))
        );
        assert_eq!(
            read_one("ItemChar4", b"RIFF", 8),
            Ok(TmfValue::Mapped {
                raw: 0x4646_4952,
                text: "RIFF".into()
            })
        );
        assert_eq!(
            read_one("ItemListByte(Low,APC,DPC)", &[2], 8),
            Ok(TmfValue::Mapped {
                raw: 2,
                text: "DPC".into()
            })
        );
        assert_eq!(
            read_one("ItemListByte(Low,APC,DPC)", &[9], 8),
            Ok(TmfValue::Mapped {
                raw: 9,
                text: "9".into()
            })
        );
        assert_eq!(
            read_one("ItemSetShort(R,W,X)", &[0x15, 0x00], 8),
            Ok(TmfValue::Mapped {
                raw: 0x15,
                text: "R|X|0x10".into()
            })
        );
        assert_eq!(
            read_one("ItemEnum(MODE)", &7u32.to_le_bytes(), 8),
            Ok(TmfValue::UInt { value: 7, width: 4 })
        );
        assert_eq!(
            read_one("ItemHEXDump", &[2, 0, 0xAB, 0xCD], 8),
            Ok(TmfValue::Binary(vec![0xAB, 0xCD]))
        );
    }

    #[test]
    fn reads_sids_and_their_null_marker() {
        // S-1-5-21-1-2 : revision 1, two sub-authorities, authority 5.
        let sid = [1u8, 2, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0];
        let mut payload = sid.to_vec();
        payload.extend_from_slice(&[0xAA; 4]);
        let value = read_one("ItemSid", &payload, 8).unwrap();
        assert_eq!(value, TmfValue::Sid(sid.to_vec()));
        assert_eq!(sid_text(&sid).as_deref(), Some("S-1-5-21-1"));
        assert_eq!(
            read_one("ItemSid", b"NULL\0", 8),
            Ok(TmfValue::String("NULL".into()))
        );
        assert_eq!(sid_text(&[1, 3, 0, 0, 0, 0, 0, 5]), None);
    }
}
