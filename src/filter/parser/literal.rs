//! Literal values: dispatch on the first character, numbers, durations, GUIDs, IP addresses.
//! Strings are in `string.rs`, times in `time.rs`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{PResult, Parser, fail};
use crate::filter::ast::{
    DurationLiteral, DurationUnit, IntBase, Literal, LiteralValue, Mask, Span,
};
use crate::filter::error::FilterError;

const NUMBER_FORMS: [&str; 4] = [
    "decimal (12002)",
    "hex (0x2EE2)",
    "fraction (32.6)",
    "duration (500ms)",
];

/// Characters that glue onto a number; a number followed by one is malformed (`12ab`).
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A character that may not directly follow a literal.
fn continues_token(rest: &str) -> bool {
    rest.starts_with(|c: char| is_word_char(c) || c == '.' || c == ':' || c == '-')
}

/// `8hex-`: the start of an unbraced GUID.
fn starts_like_guid(input: &str) -> bool {
    let bytes = input.as_bytes();
    bytes.len() > 8
        && bytes
            .get(..8)
            .is_some_and(|b| b.iter().all(u8::is_ascii_hexdigit))
        && bytes.get(8) == Some(&b'-')
}

/// Exactly 8-4-4-4-12 hex digits.
fn is_guid_text(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(index, c)| {
            if matches!(index, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

impl<'s> Parser<'s> {
    /// A literal other than a bare name. Backtracks when `input` does not start one (so the
    /// caller can try a name), fails on malformed ones.
    pub(super) fn literal(&self, input: &'s str) -> PResult<'s, Literal> {
        let Some(first) = input.chars().next() else {
            return self.backtrack(input);
        };
        match first {
            '"' => {
                let (rest, string) = self.string_literal(input)?;
                Ok((
                    rest,
                    Literal {
                        value: LiteralValue::Str(string.value),
                        span: string.span,
                    },
                ))
            }
            '\'' => {
                self.fatal(self.one_char_error(input, "strings use double quotes: write \"text\""))
            }
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2018}' | '\u{2019}' => self.fatal(
                self.one_char_error(input, "typographic quote: use the plain double quote `\"`"),
            ),
            '{' => self.braced_guid(input),
            '-' if input
                .get(1..)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit())) =>
            {
                self.number(input)
            }
            '-' => self.fatal(self.one_char_error(input, "expected a number after `-`")),
            '0'..='9' => self.digit_literal(input),
            'a'..='f' | 'A'..='F' | ':' => self.hex_letter_literal(input),
            _ => self.backtrack(input),
        }
    }

    fn one_char_error(&self, input: &str, message: &str) -> FilterError {
        let start = self.offset(input);
        let width = input.chars().next().map_or(0, char::len_utf8);
        FilterError::new(start..start + width, message)
    }

    /// Literals starting with a digit: GUID, time, IPv6, IPv4 or number.
    fn digit_literal(&self, input: &'s str) -> PResult<'s, Literal> {
        if starts_like_guid(input) {
            return match self.unbraced_guid(input) {
                Some(found) => Ok(found),
                None => self.fatal(self.bad_guid(input, input)),
            };
        }
        let bytes = input.as_bytes();
        if bytes.len() > 5
            && bytes.iter().take(4).all(u8::is_ascii_digit)
            && bytes.get(4) == Some(&b'-')
        {
            return self.time(input);
        }
        if super::time::looks_like_time_of_day(input) {
            return self.time(input);
        }
        if let Some(found) = self.ip(input)? {
            return Ok(found);
        }
        self.number(input)
    }

    /// Literals starting with a hex letter or `:` (unbraced GUID, IPv6); anything else is a
    /// name, so this backtracks instead of failing.
    fn hex_letter_literal(&self, input: &'s str) -> PResult<'s, Literal> {
        if starts_like_guid(input)
            && let Some(found) = self.unbraced_guid(input)
        {
            return Ok(found);
        }
        match self.ip(input) {
            Ok(Some(found)) => Ok(found),
            _ => self.backtrack(input),
        }
    }

    fn unbraced_guid(&self, input: &'s str) -> Option<(&'s str, Literal)> {
        let text = input.get(..36)?;
        let rest = input.get(36..)?;
        if !is_guid_text(text) || rest.starts_with(super::lexer::is_ident_char) {
            return None;
        }
        let guid = uuid::Uuid::try_parse(text).ok()?;
        Some((
            rest,
            Literal {
                value: LiteralValue::Guid(guid),
                span: self.span_between(input, rest),
            },
        ))
    }

    /// `{8-4-4-4-12}`.
    fn braced_guid(&self, input: &'s str) -> PResult<'s, Literal> {
        let body = input.get(1..).unwrap_or("");
        let text_len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(body.len());
        let text = body.get(..text_len).unwrap_or("");
        let after_text = body.get(text_len..).unwrap_or("");
        match after_text.strip_prefix('}') {
            Some(rest) if is_guid_text(text) => match uuid::Uuid::try_parse(text) {
                Ok(guid) => Ok((
                    rest,
                    Literal {
                        value: LiteralValue::Guid(guid),
                        span: self.span_between(input, rest),
                    },
                )),
                Err(_) => self.fatal(self.bad_guid(input, rest)),
            },
            Some(rest) => self.fatal(self.bad_guid(input, rest)),
            None if is_guid_text(text) => {
                let start = self.offset(input);
                self.fatal(
                    FilterError::new(
                        start..start + 1,
                        "unclosed `{`: the GUID has no closing `}`",
                    )
                    .with_expected(["}"]),
                )
            }
            None => self.fatal(self.bad_guid(input, after_text)),
        }
    }

    /// Error covering `input` up to `end`, or the whole glued token when `end` is `input`.
    fn bad_guid(&self, input: &str, end: &str) -> FilterError {
        let end_offset = if end.len() == input.len() {
            let glued = input
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .unwrap_or(input.len());
            self.offset(input) + glued
        } else {
            self.offset(end)
        };
        let span = self.offset(input)..end_offset;
        let text = self.src.get(span.clone()).unwrap_or("");
        FilterError::new(span, format!("bad GUID `{text}`: expected 8-4-4-4-12 hex digits, e.g. {{7d44233d-3055-4b9c-ba64-0d47ca40a232}}"))
            .with_expected(["a GUID"])
    }

    /// IPv6 (`fe80::1`), IPv4 (`192.168.0.216`), either with `/prefix`. `Ok(None)` when the
    /// text is not shaped like an address.
    fn ip(&self, input: &'s str) -> Result<Option<(&'s str, Literal)>, nom::Err<super::PErr>> {
        let v6_len = input
            .find(|c: char| !(c.is_ascii_hexdigit() || c == ':' || c == '.'))
            .unwrap_or(input.len());
        let v6_text = input.get(..v6_len).unwrap_or("");
        let v4_len = input
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(input.len());
        let v4_text = input.get(..v4_len).unwrap_or("");
        let (text, max_prefix, addr) = if v6_text.contains(':') {
            (
                v6_text,
                128,
                v6_text.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
            )
        } else if v4_text.matches('.').count() >= 2 {
            (
                v4_text,
                32,
                v4_text.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
            )
        } else {
            return Ok(None);
        };
        let mut rest = input.get(text.len()..).unwrap_or("");
        let mut prefix_len = None;
        let mut prefix_ok = true;
        if let Some(after_slash) = rest.strip_prefix('/') {
            let digits = after_slash
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after_slash.len());
            let value = after_slash.get(..digits).and_then(|d| d.parse::<u8>().ok());
            prefix_ok = value.is_some_and(|len| len <= max_prefix);
            prefix_len = value;
            rest = after_slash.get(digits..).unwrap_or("");
        }
        match addr {
            Some(addr) if prefix_ok && !continues_token(rest) => Ok(Some((
                rest,
                Literal {
                    value: LiteralValue::Ip { addr, prefix_len },
                    span: self.span_between(input, rest),
                },
            ))),
            // A hex-letter start may still be a name; only digit starts are definitely meant as
            // addresses.
            _ if !input.starts_with(|c: char| c.is_ascii_digit()) => Ok(None),
            _ => {
                let glued = rest
                    .find(|c: char| !(is_word_char(c) || ".:/".contains(c)))
                    .unwrap_or(rest.len());
                let end = self.offset(rest) + glued;
                let span = self.offset(input)..end;
                let shown = self.src.get(span.clone()).unwrap_or("");
                let kind = if max_prefix == 32 { "IPv4" } else { "IPv6" };
                let detail = if prefix_ok {
                    ""
                } else {
                    " (bad prefix length)"
                };
                Err(fail(
                    FilterError::new(span, format!("bad {kind} address `{shown}`{detail}"))
                        .with_expected(["an IP address"]),
                ))
            }
        }
    }

    /// `[-] (0x hex | digits [. digits] [s|ms|us])`.
    fn number(&self, input: &'s str) -> PResult<'s, Literal> {
        let negative = input.starts_with('-');
        let unsigned = if negative {
            input.get(1..).unwrap_or("")
        } else {
            input
        };
        let hex_digits = unsigned
            .strip_prefix("0x")
            .or_else(|| unsigned.strip_prefix("0X"));
        if let Some(digits_start) = hex_digits {
            let digits_len = digits_start
                .find(|c: char| !c.is_ascii_hexdigit())
                .unwrap_or(digits_start.len());
            let rest = digits_start.get(digits_len..).unwrap_or("");
            let digits = digits_start.get(..digits_len).unwrap_or("");
            if digits.is_empty() || continues_token(rest) {
                return self.fatal(self.bad_number(input));
            }
            let magnitude =
                u64::from_str_radix(digits, 16).map_err(|_| fail(self.too_large(input, rest)))?;
            let value = if negative {
                -i128::from(magnitude)
            } else {
                i128::from(magnitude)
            };
            let literal = Literal {
                value: LiteralValue::Int {
                    value,
                    base: IntBase::Hex,
                },
                span: self.span_between(input, rest),
            };
            return Ok((rest, literal));
        }
        let int_len = unsigned
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(unsigned.len());
        let mut rest = unsigned.get(int_len..).unwrap_or("");
        let mut is_float = false;
        if let Some(fraction) = rest.strip_prefix('.') {
            let fraction_len = fraction
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(fraction.len());
            if fraction_len > 0 {
                is_float = true;
                rest = fraction.get(fraction_len..).unwrap_or("");
            }
        }
        let number_text = input
            .get(..input.len().saturating_sub(rest.len()))
            .unwrap_or("");
        let mut unit = None;
        for (suffix, found) in [
            ("ms", DurationUnit::Milliseconds),
            ("us", DurationUnit::Microseconds),
            ("s", DurationUnit::Seconds),
        ] {
            if let Some(after_unit) = rest.strip_prefix(suffix)
                && !continues_token(after_unit)
            {
                unit = Some(found);
                rest = after_unit;
                break;
            }
        }
        if int_len == 0 || continues_token(rest) {
            return self.fatal(self.bad_number(input));
        }
        let span = self.span_between(input, rest);
        let value = if unit.is_some() || is_float {
            let amount = number_text
                .parse::<f64>()
                .ok()
                .filter(|value| value.is_finite());
            let amount = amount.ok_or_else(|| fail(self.too_large(input, rest)))?;
            match unit {
                Some(unit) => LiteralValue::Duration(DurationLiteral { amount, unit }),
                None => LiteralValue::Float(amount),
            }
        } else {
            let magnitude = number_text
                .trim_start_matches('-')
                .parse::<u64>()
                .map_err(|_| fail(self.too_large(input, rest)))?;
            let value = if negative {
                -i128::from(magnitude)
            } else {
                i128::from(magnitude)
            };
            LiteralValue::Int {
                value,
                base: IntBase::Decimal,
            }
        };
        Ok((rest, Literal { value, span }))
    }

    fn bad_number(&self, input: &str) -> FilterError {
        let body = input.get(1..).unwrap_or("");
        let glued = body
            .find(|c: char| !(is_word_char(c) || c == '.'))
            .map_or(input.len(), |len| len + 1);
        let span = self.offset(input)..self.offset(input) + glued;
        let text = self.src.get(span.clone()).unwrap_or("");
        FilterError::new(span, format!("bad number `{text}`")).with_expected(NUMBER_FORMS)
    }

    fn too_large(&self, input: &str, rest: &str) -> FilterError {
        let span = self.span_between(input, rest);
        FilterError::new(
            span,
            "number too large: integers must fit in 64 bits (at most 0xFFFFFFFFFFFFFFFF)",
        )
    }

    /// The non-negative integer after a bitmask `&`.
    pub(super) fn mask(&self, input: &'s str, amp_span: Span) -> PResult<'s, Mask> {
        let error = || {
            let (span, found) = self.token_at(input);
            let span = if input.is_empty() {
                amp_span.clone()
            } else {
                span
            };
            fail(
                FilterError::new(
                    span,
                    format!("bitmask `&` needs a non-negative integer, found {found}"),
                )
                .with_expected(["an integer such as 0x10"]),
            )
        };
        if !input.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(error());
        }
        let (rest, literal) = self.number(input)?;
        match literal.value {
            LiteralValue::Int { value, base } => {
                let value = u64::try_from(value).map_err(|_| error())?;
                Ok((
                    rest,
                    Mask {
                        value,
                        base,
                        span: literal.span,
                    },
                ))
            }
            _ => Err(error()),
        }
    }
}
