//! The printf conversion inside a `%N!spec!` insert (`d`, `08X`, `I64x`, `.4s`, `p`, ...),
//! applied the way the Microsoft C runtime would to the decoded argument value, plus the
//! default text of each value (what `!s!` and a bare `%N` show).

use super::args::{TmfValue, sid_text};
use crate::errors;

/// Widths and precisions above this are clamped, so a hostile TMF cannot make one insert
/// allocate without bound.
const MAX_FIELD: usize = 1024;

/// Length modifiers that change how many bytes of an integer a conversion looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Length {
    /// No modifier, or one that keeps the argument's own width (`ll`, `I64`, `I`, `z`, ...).
    #[default]
    Natural,
    /// `hh`: 1 byte.
    Byte,
    /// `h`: 2 bytes.
    Short,
    /// `l`/`w`: a wide character for `c`; the argument's own width for integers.
    Wide,
}

/// A parsed `[flags][width][.precision][length]conversion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub left: bool,
    pub plus: bool,
    pub space: bool,
    pub alt: bool,
    pub zero: bool,
    pub width: usize,
    pub precision: Option<usize>,
    pub length: Length,
    pub conversion: char,
}

impl Spec {
    /// The conversion used when an insert has no `!spec!`.
    pub const STRING: Spec = Spec {
        left: false,
        plus: false,
        space: false,
        alt: false,
        zero: false,
        width: 0,
        precision: None,
        length: Length::Natural,
        conversion: 's',
    };

    /// `None` when `text` is not one complete conversion.
    pub fn parse(text: &str) -> Option<Spec> {
        let mut spec = Spec::STRING;
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            match c {
                '-' => spec.left = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '#' => spec.alt = true,
                '0' => spec.zero = true,
                _ => break,
            }
            rest = rest.get(1..).unwrap_or_default();
        }
        let (width, after) = number(rest);
        spec.width = width.unwrap_or(0);
        rest = after.strip_prefix('*').unwrap_or(after);
        if let Some(after_dot) = rest.strip_prefix('.') {
            let (precision, after) = number(after_dot);
            spec.precision = Some(precision.unwrap_or(0));
            rest = after.strip_prefix('*').unwrap_or(after);
        }
        for (prefix, length) in [
            ("I64", Length::Natural),
            ("I32", Length::Natural),
            ("hh", Length::Byte),
            ("ll", Length::Natural),
            ("h", Length::Short),
            ("l", Length::Wide),
            ("w", Length::Wide),
            ("I", Length::Natural),
            ("z", Length::Natural),
            ("j", Length::Natural),
            ("t", Length::Natural),
            ("L", Length::Natural),
        ] {
            if let Some(after) = rest.strip_prefix(prefix) {
                spec.length = length;
                rest = after;
                break;
            }
        }
        let mut chars = rest.chars();
        let conversion = chars.next()?;
        if !"diouxXcCsSZpeEfFgGaAn".contains(conversion) || chars.next().is_some() {
            return None;
        }
        spec.conversion = conversion;
        Some(spec)
    }
}

/// Leading decimal digits (clamped to [`MAX_FIELD`]) and the text after them.
fn number(text: &str) -> (Option<usize>, &str) {
    let end = text
        .char_indices()
        .find(|(_, c)| !c.is_ascii_digit())
        .map_or(text.len(), |(i, _)| i);
    let (digits, rest) = text.split_at_checked(end).unwrap_or((text, ""));
    let value = digits
        .bytes()
        .fold(0usize, |acc, d| {
            acc.saturating_mul(10).saturating_add(usize::from(d - b'0'))
        })
        .min(MAX_FIELD);
    ((!digits.is_empty()).then_some(value), rest)
}

/// A value seen as a number: raw bits and width in bytes (the conversion decides the
/// signedness), or a float.
enum Number {
    Integer { bits: u64, width: u8 },
    Float(f64),
}

fn as_number(value: &TmfValue) -> Option<Number> {
    let integer = |bits: u64, width: u8| Some(Number::Integer { bits, width });
    match value {
        TmfValue::Int { value, width } => integer(*value as u64, *width),
        TmfValue::UInt { value, width } | TmfValue::Pointer { value, width } => {
            integer(*value, *width)
        }
        TmfValue::F64(v) => Some(Number::Float(*v)),
        TmfValue::NtStatus(v) | TmfValue::HResult(v) | TmfValue::Win32Error(v) => {
            integer(u64::from(*v), 4)
        }
        TmfValue::Port(p) => integer(u64::from(*p), 2),
        TmfValue::Ipv4(bytes) => integer(u64::from(u32::from_le_bytes(*bytes)), 4),
        TmfValue::FileTime(t) => integer(*t as u64, 8),
        TmfValue::Mapped { raw, .. } => integer(*raw, 8),
        TmfValue::String(_) | TmfValue::Guid(_) | TmfValue::Sid(_) | TmfValue::Binary(_) => None,
    }
}

fn mask(bits: u64, width: u8) -> u64 {
    match width {
        0 | 8.. => bits,
        w => bits & ((1u64 << (u32::from(w) * 8)) - 1),
    }
}

fn sign_extend(bits: u64, width: u8) -> i64 {
    let shift = 64 - u32::from(width.clamp(1, 8)) * 8;
    ((bits << shift) as i64) >> shift
}

/// Renders `value` through `spec`.
pub fn apply(spec: &Spec, value: &TmfValue) -> String {
    let number = as_number(value);
    let body = match (spec.conversion, number) {
        ('d' | 'i' | 'u' | 'o' | 'x' | 'X', Some(Number::Integer { bits, width })) => {
            return integer(spec, bits, width);
        }
        ('d' | 'i' | 'u' | 'o' | 'x' | 'X', Some(Number::Float(f))) => {
            return integer(spec, f as i64 as u64, 8);
        }
        ('e' | 'E' | 'f' | 'F' | 'g' | 'G' | 'a' | 'A', Some(number)) => {
            let f = match number {
                Number::Float(f) => f,
                Number::Integer { bits, width } => sign_extend(bits, width) as f64,
            };
            return float(spec, f);
        }
        ('p', Some(Number::Integer { bits, width })) => {
            let digits = usize::from(width.clamp(1, 8)) * 2;
            format!("{:0digits$X}", mask(bits, width))
        }
        ('c' | 'C', Some(Number::Integer { bits, .. })) => {
            let wide = spec.conversion == 'C' || spec.length == Length::Wide;
            let c = if wide {
                char::decode_utf16([(bits & 0xFFFF) as u16])
                    .next()
                    .and_then(Result::ok)
                    .unwrap_or(char::REPLACEMENT_CHARACTER)
            } else {
                char::from((bits & 0xFF) as u8)
            };
            c.to_string()
        }
        ('c' | 'C', _) => default_text(value).chars().take(1).collect(),
        ('n', _) => String::new(),
        _ => {
            let text = default_text(value);
            match spec.precision {
                Some(max) => text.chars().take(max).collect(),
                None => text,
            }
        }
    };
    pad(spec, "", &body)
}

fn integer(spec: &Spec, bits: u64, natural_width: u8) -> String {
    let width = match spec.length {
        Length::Byte => 1,
        Length::Short => 2,
        Length::Natural | Length::Wide => natural_width,
    };
    let unsigned = mask(bits, width);
    let mut sign = "";
    let mut digits = match spec.conversion {
        'd' | 'i' => {
            let signed = sign_extend(bits, width);
            if signed < 0 {
                sign = "-";
            } else if spec.plus {
                sign = "+";
            } else if spec.space {
                sign = " ";
            }
            signed.unsigned_abs().to_string()
        }
        'o' => format!("{unsigned:o}"),
        'x' => format!("{unsigned:x}"),
        'X' => format!("{unsigned:X}"),
        _ => unsigned.to_string(),
    };
    if let Some(precision) = spec.precision {
        if precision == 0 && unsigned == 0 {
            digits.clear();
        } else if digits.len() < precision {
            digits.insert_str(0, &"0".repeat(precision - digits.len()));
        }
    }
    let prefix = match spec.conversion {
        'x' if spec.alt && unsigned != 0 => "0x",
        'X' if spec.alt && unsigned != 0 => "0X",
        'o' if spec.alt && !digits.starts_with('0') => "0",
        _ => sign,
    };
    let zero_pad = spec.zero && !spec.left && spec.precision.is_none();
    if zero_pad {
        let used = prefix.len() + digits.len();
        if used < spec.width {
            digits.insert_str(0, &"0".repeat(spec.width - used));
        }
    }
    pad(spec, prefix, &digits)
}

fn float(spec: &Spec, value: f64) -> String {
    let upper = spec.conversion.is_ascii_uppercase();
    let sign = if value.is_sign_negative() && !value.is_nan() {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    let magnitude = value.abs();
    let precision = spec.precision.unwrap_or(6);
    let mut body = if !magnitude.is_finite() {
        let text = if magnitude.is_nan() { "nan" } else { "inf" };
        return pad(
            spec,
            sign,
            &if upper {
                text.to_uppercase()
            } else {
                text.to_string()
            },
        );
    } else {
        match spec.conversion.to_ascii_lowercase() {
            'f' => format!("{magnitude:.precision$}"),
            'g' => general(magnitude, precision, spec.alt),
            _ => exponent(magnitude, precision),
        }
    };
    if upper {
        body = body.to_uppercase();
    }
    if spec.zero && !spec.left {
        let used = sign.len() + body.len();
        if used < spec.width {
            body.insert_str(0, &"0".repeat(spec.width - used));
        }
    }
    pad(spec, sign, &body)
}

/// C `%e`: `d.dddddde+XX`, at least two exponent digits.
fn exponent(magnitude: f64, precision: usize) -> String {
    let rust = format!("{magnitude:.precision$e}");
    let (mantissa, exp) = rust.split_once('e').unwrap_or((&rust, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let exp_sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{exp_sign}{:02}", exp.unsigned_abs())
}

/// C `%g`: `%e` or `%f` by the decimal exponent, trailing zeros removed unless `#`.
fn general(magnitude: f64, precision: usize, alt: bool) -> String {
    let significant = precision.max(1);
    let probe = format!("{magnitude:.prec$e}", prec = significant - 1);
    let exp: i64 = probe
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    let text = if exp < -4 || exp >= significant as i64 {
        exponent(magnitude, significant - 1)
    } else {
        let decimals = (significant as i64 - 1 - exp).max(0) as usize;
        format!("{magnitude:.decimals$}")
    };
    if alt {
        return text;
    }
    let (mantissa, exp_part) = match text.find('e') {
        Some(at) => text.split_at_checked(at).unwrap_or((&text, "")),
        None => (text.as_str(), ""),
    };
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    format!("{mantissa}{exp_part}")
}

/// Pads `prefix + body` to the spec's width with spaces (left or right).
fn pad(spec: &Spec, prefix: &str, body: &str) -> String {
    let used = prefix.chars().count() + body.chars().count();
    let fill = " ".repeat(spec.width.saturating_sub(used));
    if spec.left {
        format!("{prefix}{body}{fill}")
    } else {
        format!("{fill}{prefix}{body}")
    }
}

/// What a value shows as by itself: `!s!`, a bare `%N`, or a conversion that does not fit it.
pub fn default_text(value: &TmfValue) -> String {
    match value {
        TmfValue::Int { value, .. } => value.to_string(),
        TmfValue::UInt { value, .. } => value.to_string(),
        TmfValue::Pointer { value, width } => {
            let digits = usize::from((*width).clamp(1, 8)) * 2;
            format!("0x{value:0digits$X}")
        }
        TmfValue::F64(v) => v.to_string(),
        TmfValue::String(text) => text.clone(),
        TmfValue::Guid(guid) => format!("{{{guid}}}"),
        TmfValue::NtStatus(v) => errors::lookup_in_family(*v, "ntstatus")
            .map_or_else(|| format!("0x{v:08X}"), |row| row.symbol.to_string()),
        TmfValue::HResult(v) => errors::lookup_in_family(*v, "hresult")
            .or_else(|| errors::best_match(*v))
            .map_or_else(|| format!("0x{v:08X}"), |row| row.symbol.to_string()),
        TmfValue::Win32Error(v) => errors::by_value(*v)
            .into_iter()
            .find(|row| row.code == *v && row.is_win32_number())
            .map_or_else(|| v.to_string(), |row| row.symbol.to_string()),
        TmfValue::Ipv4([a, b, c, d]) => format!("{a}.{b}.{c}.{d}"),
        TmfValue::Port(port) => port.to_string(),
        TmfValue::Sid(bytes) => sid_text(bytes).unwrap_or_else(|| hex_bytes(bytes)),
        TmfValue::Binary(bytes) => hex_bytes(bytes),
        TmfValue::FileTime(ticks) => filetime_text(*ticks),
        TmfValue::Mapped { text, .. } => text.clone(),
    }
}

fn hex_bytes(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(" ")
}

/// FILETIME as `YYYY-MM-DDTHH:MM:SS.fffffffZ`; out-of-range values as the raw number.
fn filetime_text(ticks: i64) -> String {
    const TICKS_PER_SECOND: i64 = 10_000_000;
    const UNIX_EPOCH_SECONDS: i64 = 11_644_473_600;
    let seconds = ticks.div_euclid(TICKS_PER_SECOND) - UNIX_EPOCH_SECONDS;
    let fraction = ticks.rem_euclid(TICKS_PER_SECOND);
    match chrono::DateTime::from_timestamp(seconds, 0) {
        Some(time) => format!("{}.{fraction:07}Z", time.format("%Y-%m-%dT%H:%M:%S")),
        None => ticks.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn render(spec: &str, value: TmfValue) -> String {
        apply(&Spec::parse(spec).expect("valid spec"), &value)
    }

    fn long(value: i64) -> TmfValue {
        TmfValue::Int { value, width: 4 }
    }

    #[test]
    fn parses_flags_width_precision_length_and_conversion() {
        let spec = Spec::parse("-08.3I64x").unwrap();
        assert!(spec.left && spec.zero && !spec.alt);
        assert_eq!((spec.width, spec.precision), (8, Some(3)));
        assert_eq!(spec.conversion, 'x');
        assert_eq!(Spec::parse("hd").unwrap().length, Length::Short);
        assert_eq!(Spec::parse("ls").unwrap().length, Length::Wide);
        assert_eq!(
            Spec::parse("99999999999999999999d").unwrap().width,
            MAX_FIELD
        );
        assert_eq!(Spec::parse(""), None);
        assert_eq!(Spec::parse("08"), None);
        assert_eq!(Spec::parse("dd"), None);
        assert_eq!(Spec::parse("y"), None);
    }

    #[test]
    fn formats_integers_like_the_c_runtime() {
        assert_eq!(render("d", long(-42)), "-42");
        assert_eq!(render("u", long(-1)), "4294967295");
        assert_eq!(render("x", long(0xBEEF)), "beef");
        assert_eq!(render("X", long(-1)), "FFFFFFFF");
        assert_eq!(render("08X", long(0x1F)), "0000001F");
        assert_eq!(render("08x", long(-2)), "fffffffe");
        assert_eq!(render("#x", long(255)), "0xff");
        assert_eq!(render("#x", long(0)), "0");
        assert_eq!(render("#o", long(8)), "010");
        assert_eq!(render("5d", long(42)), "   42");
        assert_eq!(render("-5d", long(42)), "42   ");
        assert_eq!(render("+d", long(7)), "+7");
        assert_eq!(render("05d", long(-7)), "-0007");
        assert_eq!(render(".4d", long(7)), "0007");
        assert_eq!(render(".0d", long(0)), "");
        assert_eq!(render("hd", long(0x1_FFFF)), "-1");
        assert_eq!(render("hhu", long(0x1FF)), "255");
        let big = TmfValue::UInt {
            value: u64::MAX,
            width: 8,
        };
        assert_eq!(render("I64d", big.clone()), "-1");
        assert_eq!(render("I64u", big.clone()), "18446744073709551615");
        assert_eq!(render("I64X", big), "FFFFFFFFFFFFFFFF");
        assert_eq!(
            render(
                "d",
                TmfValue::UInt {
                    value: 0xFF,
                    width: 1
                }
            ),
            "-1"
        );
        assert_eq!(render("x", TmfValue::NtStatus(0xC000_0001)), "c0000001");
    }

    #[test]
    fn formats_pointers_chars_and_strings() {
        let p64 = TmfValue::Pointer {
            value: 0xFFFF_BB88_B0AA_7010,
            width: 8,
        };
        assert_eq!(render("p", p64.clone()), "FFFFBB88B0AA7010");
        assert_eq!(render("Ix", p64), "ffffbb88b0aa7010");
        assert_eq!(
            render(
                "p",
                TmfValue::Pointer {
                    value: 0x1234,
                    width: 4
                }
            ),
            "00001234"
        );
        assert_eq!(render("c", long(0x41)), "A");
        assert_eq!(render("C", long(0x3A9)), "\u{3a9}");
        assert_eq!(render("lc", long(0xD800)), "\u{fffd}");
        let text = TmfValue::String("QEMU CFG".into());
        assert_eq!(render("s", text.clone()), "QEMU CFG");
        assert_eq!(render(".4s", text.clone()), "QEMU");
        assert_eq!(render("10.4s", text.clone()), "      QEMU");
        assert_eq!(render("-6.2ws", text.clone()), "QE    ");
        assert_eq!(render("d", text), "QEMU CFG");
    }

    #[test]
    fn formats_floats_like_the_c_runtime() {
        assert_eq!(render("f", TmfValue::F64(1.5)), "1.500000");
        assert_eq!(render(".2f", TmfValue::F64(-2.0 / 3.0)), "-0.67");
        assert_eq!(render("e", TmfValue::F64(1234.5)), "1.234500e+03");
        assert_eq!(render("E", TmfValue::F64(0.00012)), "1.200000E-04");
        assert_eq!(render("g", TmfValue::F64(0.0001)), "0.0001");
        assert_eq!(render("g", TmfValue::F64(0.00001)), "1e-05");
        assert_eq!(render("g", TmfValue::F64(123456.0)), "123456");
        assert_eq!(render("g", TmfValue::F64(1234567.0)), "1.23457e+06");
        assert_eq!(render("#g", TmfValue::F64(2.5)), "2.50000");
        assert_eq!(render("08.2f", TmfValue::F64(-1.23456)), "-0001.23");
        assert_eq!(render("f", TmfValue::F64(f64::INFINITY)), "inf");
        assert_eq!(render("F", TmfValue::F64(f64::NAN)), "NAN");
        assert_eq!(render("f", long(3)), "3.000000");
    }

    #[test]
    fn default_texts_name_codes_and_format_special_values() {
        assert_eq!(default_text(&TmfValue::NtStatus(0)), "STATUS_SUCCESS");
        assert_eq!(default_text(&TmfValue::NtStatus(0xC01C_000F)), "0xC01C000F");
        assert_eq!(
            default_text(&TmfValue::HResult(0x8007_0005)),
            "E_ACCESSDENIED"
        );
        assert_eq!(
            default_text(&TmfValue::Win32Error(5)),
            "ERROR_ACCESS_DENIED"
        );
        assert_eq!(default_text(&TmfValue::Win32Error(0xABCDE)), "703710");
        assert_eq!(
            default_text(&TmfValue::Ipv4([192, 168, 0, 1])),
            "192.168.0.1"
        );
        assert_eq!(default_text(&TmfValue::Binary(vec![0, 0xAB])), "00 ab");
        assert_eq!(
            default_text(&TmfValue::Pointer {
                value: 0xAB,
                width: 4
            }),
            "0x000000AB"
        );
        // The StartTime of s4-cldflt0-wpp.etl as etlview prints it.
        assert_eq!(
            default_text(&TmfValue::FileTime(134_105_812_840_355_567)),
            "2025-12-19T01:28:04.0355567Z"
        );
        assert_eq!(
            default_text(&TmfValue::FileTime(i64::MAX)),
            "+30828-09-14T02:48:05.4775807Z"
        );
        let guid = uuid::Uuid::parse_str("2818ef08-6a54-396f-2244-5a6ea4a98cf0").unwrap();
        assert_eq!(
            default_text(&TmfValue::Guid(guid)),
            "{2818ef08-6a54-396f-2244-5a6ea4a98cf0}"
        );
    }

    proptest! {
        #[test]
        fn any_spec_on_any_value_stays_bounded(
            spec in "[-+ #0-9.*hlLIwzjt]{0,12}[diouxXcCsSZpeEfFgGaAn]?",
            bits in any::<u64>(),
            width in 0u8..=9,
            float in any::<f64>(),
        ) {
            let spec = Spec::parse(&spec).unwrap_or(Spec::STRING);
            for value in [
                TmfValue::Int { value: bits as i64, width },
                TmfValue::Pointer { value: bits, width },
                TmfValue::F64(float),
                TmfValue::String("text".into()),
            ] {
                // Width and precision are clamped, so no insert can grow without bound.
                prop_assert!(apply(&spec, &value).len() <= 2 * MAX_FIELD + 400);
            }
        }
    }
}
