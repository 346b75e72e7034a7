//! Raw payload bytes to [`Value`]s: integers presented by out-type, text decoding.

use super::out_type_ext as ext;
use super::{IntFormat, Value};
use crate::schema::out_type as ot;

pub(super) fn le16(pair: &[u8]) -> u16 {
    match *pair {
        [a, b] => u16::from_le_bytes([a, b]),
        _ => 0,
    }
}

/// Presents a raw integer of `width` bytes according to the out-type.
pub(super) fn int_value(raw: u64, width: u8, signed: bool, out: u16) -> Value {
    let bits = (u32::from(width) * 8).clamp(8, 64);
    let as_signed = || ((raw << (64 - bits)) as i64) >> (64 - bits);
    let int = |format| Value::Int {
        value: as_signed(),
        width,
        format,
    };
    let uint = |format| Value::UInt {
        value: raw,
        width,
        format,
    };
    let default = |format| if signed { int(format) } else { uint(format) };
    match out {
        ot::BOOLEAN => Value::Bool(raw != 0),
        ot::STRING if width == 1 => Value::String(ansi_to_string(&[raw as u8])),
        ot::STRING if width == 2 => Value::String(utf16le_to_string(&(raw as u16).to_le_bytes())),
        ot::HEXINT8 | ot::HEXINT16 | ot::HEXINT32 | ot::HEXINT64 | ot::ERRORCODE => {
            uint(IntFormat::Hex)
        }
        ot::PORT if width == 2 => Value::Port((raw as u16).swap_bytes()),
        ot::IPV4 if width == 4 => Value::Ipv4((raw as u32).to_le_bytes()),
        ot::WIN32ERROR => uint(IntFormat::Win32Error),
        ot::NTSTATUS => uint(IntFormat::NtStatus),
        ot::HRESULT => default(IntFormat::HResult),
        ot::DATETIME | ot::DATETIME_UTC if width == 8 => Value::FileTime(raw as i64),
        ot::CODE_POINTER => Value::Pointer { value: raw, width },
        ext::BYTE | ext::SHORT | ext::INT | ext::LONG => int(IntFormat::Decimal),
        ext::UNSIGNEDBYTE | ext::UNSIGNEDSHORT | ext::UNSIGNEDINT | ext::UNSIGNEDLONG => {
            uint(IntFormat::Decimal)
        }
        _ => default(IntFormat::Decimal),
    }
}

/// HEXINT32/64: hex unless the out-type asks for something else explicitly.
pub(super) fn hex_int_value(raw: u64, width: u8, out: u16) -> Value {
    match out {
        ot::NULL => Value::UInt {
            value: raw,
            width,
            format: IntFormat::Hex,
        },
        _ => match int_value(raw, width, false, out) {
            Value::UInt {
                format: IntFormat::Decimal,
                ..
            } if !is_decimal_out(out) => Value::UInt {
                value: raw,
                width,
                format: IntFormat::Hex,
            },
            other => other,
        },
    }
}

pub(super) fn is_decimal_out(out: u16) -> bool {
    matches!(
        out,
        ext::BYTE
            | ext::SHORT
            | ext::INT
            | ext::LONG
            | ext::UNSIGNEDBYTE
            | ext::UNSIGNEDSHORT
            | ext::UNSIGNEDINT
            | ext::UNSIGNEDLONG
            | ot::PID
            | ot::TID
    )
}

pub(super) fn binary_value(bytes: &[u8], out: u16) -> Value {
    match (out, bytes.len()) {
        (ot::IPV6, 16) => Value::Ipv6(bytes.first_chunk::<16>().copied().unwrap_or_default()),
        (ot::IPV4, 4) => Value::Ipv4(bytes.first_chunk::<4>().copied().unwrap_or_default()),
        (ot::SOCKETADDRESS, _) => Value::SocketAddress(bytes.to_vec()),
        _ => Value::Binary(bytes.to_vec()),
    }
}

/// UTF-16LE to a String; a lone surrogate is shown as the text `\u{D800}` (escaped, not
/// silently replaced), an odd trailing byte is dropped.
pub(super) fn utf16le_to_string(bytes: &[u8]) -> String {
    // Fast path for plain ASCII text, the common case: one pass, no per-char encoding.
    let mut ascii = Vec::with_capacity(bytes.len() / 2);
    for unit in bytes.chunks_exact(2) {
        match *unit {
            [b, 0] if b.is_ascii() => ascii.push(b),
            _ => {
                return etl::sanitize::utf16_escaping_surrogates(bytes.chunks_exact(2).map(le16));
            }
        }
    }
    String::from_utf8(ascii).unwrap_or_default()
}

/// 8-bit text: UTF-8 when it is valid UTF-8, otherwise Latin-1 (never fails).
pub(super) fn ansi_to_string(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

pub(super) fn ansi_with_out_type(bytes: &[u8], out: u16) -> String {
    if out == ot::UTF8 {
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        ansi_to_string(bytes)
    }
}

/// Fixed-length and counted strings may carry NUL padding: cut UTF-16 at the first NUL unit.
pub(super) fn utf16_until_nul(bytes: &[u8]) -> &[u8] {
    match bytes.chunks_exact(2).position(|unit| unit == [0, 0]) {
        Some(units) => bytes.get(..units * 2).unwrap_or(bytes),
        None => bytes,
    }
}

/// The 8-bit counterpart of [`utf16_until_nul`].
pub(super) fn ansi_until_nul(bytes: &[u8]) -> &[u8] {
    match bytes.iter().position(|&b| b == 0) {
        Some(len) => bytes.get(..len).unwrap_or(bytes),
        None => bytes,
    }
}
