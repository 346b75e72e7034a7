//! FormatMessage-style message templates filled from decoded fields.

use super::{Decoded, Value};
use std::fmt::Write;

/// Fills `template` with the decoded fields, following FormatMessage conventions:
/// `%1`..`%99` insert top-level field N (1-based; a missing field inserts nothing),
/// optionally with a printf spec `%1!x!` (`x`/`X` print the number in bare lower/upper-case
/// hex, any other spec prints the normal display); `%n` newline, `%t` tab, `%r` carriage
/// return, `%%` `%`, `%.` `.`, `%!` `!`, `% ` and `%b` a space; `%0` ends the message.
/// Anything else after `%` is kept literally.
pub fn render_message(template: &str, decoded: &Decoded<'_>) -> String {
    render_message_with(template, |index| decoded.fields.get(index).map(|(_, v)| v))
}

/// [`render_message`] over any list of top-level values: `field(i)` is field `i` (0-based).
pub fn render_message_with<'v>(
    template: &str,
    field: impl Fn(usize) -> Option<&'v Value>,
) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some((before, after)) = rest.split_once('%') {
        out.push_str(before);
        let mut chars = after.chars();
        let Some(next) = chars.next() else {
            out.push('%');
            return out;
        };
        rest = chars.as_str();
        match next {
            '0' => return out,
            '1'..='9' => rest = insert_field(&mut out, after, &field),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '%' | '.' | '!' | ' ' => out.push(next),
            'b' => out.push(' '),
            other => {
                out.push('%');
                out.push(other);
            }
        }
    }
    out.push_str(rest);
    out
}

/// Writes the field named by the digits at the start of `spec_start` and returns the text
/// after the placeholder (digits and optional `!spec!`).
fn insert_field<'t, 'v>(
    out: &mut String,
    spec_start: &'t str,
    field: &impl Fn(usize) -> Option<&'v Value>,
) -> &'t str {
    let digits = spec_start
        .bytes()
        .take(2)
        .take_while(u8::is_ascii_digit)
        .count();
    let (number, mut rest) = spec_start
        .split_at_checked(digits)
        .unwrap_or((spec_start, ""));
    let index = number.parse::<usize>().unwrap_or(0);
    let mut spec = "";
    if let Some((inside, after)) = rest.strip_prefix('!').and_then(|s| s.split_once('!')) {
        spec = inside;
        rest = after;
    }
    if let Some(value) = index.checked_sub(1).and_then(field) {
        write_with_spec(out, value, spec);
    }
    rest
}

fn write_with_spec(out: &mut String, value: &Value, spec: &str) {
    let hex_digits = if spec.contains('X') {
        Some(true)
    } else if spec.contains('x') {
        Some(false)
    } else {
        None
    };
    // Writing to a String cannot fail.
    let _ = match (hex_digits, hex_bits(value)) {
        (Some(true), Some(bits)) => write!(out, "{bits:X}"),
        (Some(false), Some(bits)) => write!(out, "{bits:x}"),
        _ => write!(out, "{value}"),
    };
}

/// The bits a printf `%x` would print: negative numbers as two's complement of their width.
fn hex_bits(value: &Value) -> Option<u64> {
    match *value {
        Value::Int { value, width, .. } => Some((value as u64) & super::format::width_mask(width)),
        _ => value.as_u64(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{IntFormat, Value};
    use super::*;

    fn decoded() -> Decoded<'static> {
        Decoded {
            fields: vec![
                (
                    "Id",
                    Value::UInt {
                        value: 255,
                        width: 4,
                        format: IntFormat::Decimal,
                    },
                ),
                ("Name", Value::String("svc".into())),
                (
                    "Delta",
                    Value::Int {
                        value: -1,
                        width: 2,
                        format: IntFormat::Decimal,
                    },
                ),
            ],
            consumed: 0,
            error: None,
        }
    }

    #[test]
    fn placeholders_and_specs() {
        let d = decoded();
        assert_eq!(render_message("Id=%1 Name=%2", &d), "Id=255 Name=svc");
        assert_eq!(render_message("0x%1!x! 0x%1!X! %2!S!", &d), "0xff 0xFF svc");
        assert_eq!(render_message("%3!x!", &d), "ffff");
        assert_eq!(render_message("%3", &d), "-1");
        assert_eq!(render_message("[%9][%42]", &d), "[][]");
        assert_eq!(render_message("%1%2", &d), "255svc");
        // Only two digits belong to the placeholder.
        assert_eq!(render_message("%123", &d), "3");
        // An unclosed spec is literal text.
        assert_eq!(render_message("%1!x", &d), "255!x");
    }

    #[test]
    fn escapes() {
        let d = decoded();
        assert_eq!(render_message("a%nb%tc%rd", &d), "a\nb\tc\rd");
        assert_eq!(render_message("100%% done%. %!", &d), "100% done. !");
        assert_eq!(render_message("x% y%by", &d), "x y y");
        assert_eq!(render_message("keep%0 this is cut", &d), "keep");
        assert_eq!(render_message("odd %q and end %", &d), "odd %q and end %");
        assert_eq!(render_message("ünï %1 ✓", &d), "ünï 255 ✓");
    }
}
