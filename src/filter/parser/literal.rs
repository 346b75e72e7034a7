//! Literal values: numbers, durations, strings, GUIDs, IP addresses and ISO-8601 times, plus
//! the regex check for `matches`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{PResult, Parser, fail};
use crate::filter::ast::{
    DurationLiteral, DurationUnit, IntBase, Literal, LiteralValue, Mask, Span, StringLiteral,
    TimeLiteral,
};
use crate::filter::error::FilterError;

const NUMBER_FORMS: [&str; 4] = ["decimal (12002)", "hex (0x2EE2)", "fraction (32.6)", "duration (500ms)"];

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
    bytes.len() > 8 && bytes.get(..8).is_some_and(|b| b.iter().all(u8::is_ascii_hexdigit)) && bytes.get(8) == Some(&b'-')
}

/// Exactly 8-4-4-4-12 hex digits.
fn is_guid_text(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(index, c)| {
            if matches!(index, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() }
        })
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
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
                Ok((rest, Literal { value: LiteralValue::Str(string.value), span: string.span }))
            }
            '\'' => self.fatal(self.one_char_error(input, "strings use double quotes: write \"text\"")),
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2018}' | '\u{2019}' => {
                self.fatal(self.one_char_error(input, "typographic quote: use the plain double quote `\"`"))
            }
            '{' => self.braced_guid(input),
            '-' if input.get(1..).is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit())) => {
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
        if bytes.len() > 5 && bytes.iter().take(4).all(u8::is_ascii_digit) && bytes.get(4) == Some(&b'-') {
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
        if starts_like_guid(input) {
            if let Some(found) = self.unbraced_guid(input) {
                return Ok(found);
            }
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
        Some((rest, Literal { value: LiteralValue::Guid(guid), span: self.span_between(input, rest) }))
    }

    /// `{8-4-4-4-12}`.
    fn braced_guid(&self, input: &'s str) -> PResult<'s, Literal> {
        let body = input.get(1..).unwrap_or("");
        let text_len = body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(body.len());
        let text = body.get(..text_len).unwrap_or("");
        let after_text = body.get(text_len..).unwrap_or("");
        match after_text.strip_prefix('}') {
            Some(rest) if is_guid_text(text) => match uuid::Uuid::try_parse(text) {
                Ok(guid) => Ok((rest, Literal { value: LiteralValue::Guid(guid), span: self.span_between(input, rest) })),
                Err(_) => self.fatal(self.bad_guid(input, rest)),
            },
            Some(rest) => self.fatal(self.bad_guid(input, rest)),
            None if is_guid_text(text) => {
                let start = self.offset(input);
                self.fatal(FilterError::new(start..start + 1, "unclosed `{`: the GUID has no closing `}`").with_expected(["}"]))
            }
            None => self.fatal(self.bad_guid(input, after_text)),
        }
    }

    /// Error covering `input` up to `end`, or the whole glued token when `end` is `input`.
    fn bad_guid(&self, input: &str, end: &str) -> FilterError {
        let end_offset = if end.len() == input.len() {
            let glued = input.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(input.len());
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
        let v6_len = input.find(|c: char| !(c.is_ascii_hexdigit() || c == ':' || c == '.')).unwrap_or(input.len());
        let v6_text = input.get(..v6_len).unwrap_or("");
        let v4_len = input.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(input.len());
        let v4_text = input.get(..v4_len).unwrap_or("");
        let (text, max_prefix, addr) = if v6_text.contains(':') {
            (v6_text, 128, v6_text.parse::<Ipv6Addr>().ok().map(IpAddr::V6))
        } else if v4_text.matches('.').count() >= 2 {
            (v4_text, 32, v4_text.parse::<Ipv4Addr>().ok().map(IpAddr::V4))
        } else {
            return Ok(None);
        };
        let mut rest = input.get(text.len()..).unwrap_or("");
        let mut prefix_len = None;
        let mut prefix_ok = true;
        if let Some(after_slash) = rest.strip_prefix('/') {
            let digits = after_slash.find(|c: char| !c.is_ascii_digit()).unwrap_or(after_slash.len());
            let value = after_slash.get(..digits).and_then(|d| d.parse::<u8>().ok());
            prefix_ok = value.is_some_and(|len| len <= max_prefix);
            prefix_len = value;
            rest = after_slash.get(digits..).unwrap_or("");
        }
        match addr {
            Some(addr) if prefix_ok && !continues_token(rest) => {
                Ok(Some((rest, Literal { value: LiteralValue::Ip { addr, prefix_len }, span: self.span_between(input, rest) })))
            }
            // A hex-letter start may still be a name; only digit starts are definitely meant as
            // addresses.
            _ if !input.starts_with(|c: char| c.is_ascii_digit()) => Ok(None),
            _ => {
                let glued = rest.find(|c: char| !(is_word_char(c) || ".:/".contains(c))).unwrap_or(rest.len());
                let end = self.offset(rest) + glued;
                let span = self.offset(input)..end;
                let shown = self.src.get(span.clone()).unwrap_or("");
                let kind = if max_prefix == 32 { "IPv4" } else { "IPv6" };
                let detail = if prefix_ok { "" } else { " (bad prefix length)" };
                Err(fail(FilterError::new(span, format!("bad {kind} address `{shown}`{detail}")).with_expected(["an IP address"])))
            }
        }
    }

    /// `[-] (0x hex | digits [. digits] [s|ms|us])`.
    fn number(&self, input: &'s str) -> PResult<'s, Literal> {
        let negative = input.starts_with('-');
        let unsigned = if negative { input.get(1..).unwrap_or("") } else { input };
        let hex_digits = unsigned.strip_prefix("0x").or_else(|| unsigned.strip_prefix("0X"));
        if let Some(digits_start) = hex_digits {
            let digits_len = digits_start.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(digits_start.len());
            let rest = digits_start.get(digits_len..).unwrap_or("");
            let digits = digits_start.get(..digits_len).unwrap_or("");
            if digits.is_empty() || continues_token(rest) {
                return self.fatal(self.bad_number(input));
            }
            let magnitude = u64::from_str_radix(digits, 16).map_err(|_| fail(self.too_large(input, rest)))?;
            let value = if negative { -i128::from(magnitude) } else { i128::from(magnitude) };
            let literal = Literal { value: LiteralValue::Int { value, base: IntBase::Hex }, span: self.span_between(input, rest) };
            return Ok((rest, literal));
        }
        let int_len = unsigned.find(|c: char| !c.is_ascii_digit()).unwrap_or(unsigned.len());
        let mut rest = unsigned.get(int_len..).unwrap_or("");
        let mut is_float = false;
        if let Some(fraction) = rest.strip_prefix('.') {
            let fraction_len = fraction.find(|c: char| !c.is_ascii_digit()).unwrap_or(fraction.len());
            if fraction_len > 0 {
                is_float = true;
                rest = fraction.get(fraction_len..).unwrap_or("");
            }
        }
        let number_text = input.get(..input.len() - rest.len()).unwrap_or("");
        let mut unit = None;
        for (suffix, found) in [("ms", DurationUnit::Milliseconds), ("us", DurationUnit::Microseconds), ("s", DurationUnit::Seconds)] {
            if let Some(after_unit) = rest.strip_prefix(suffix) {
                if !continues_token(after_unit) {
                    unit = Some(found);
                    rest = after_unit;
                    break;
                }
            }
        }
        if int_len == 0 || continues_token(rest) {
            return self.fatal(self.bad_number(input));
        }
        let span = self.span_between(input, rest);
        let value = if unit.is_some() || is_float {
            let amount = number_text.parse::<f64>().ok().filter(|value| value.is_finite());
            let amount = amount.ok_or_else(|| fail(self.too_large(input, rest)))?;
            match unit {
                Some(unit) => LiteralValue::Duration(DurationLiteral { amount, unit }),
                None => LiteralValue::Float(amount),
            }
        } else {
            let magnitude = number_text.trim_start_matches('-').parse::<u64>().map_err(|_| fail(self.too_large(input, rest)))?;
            let value = if negative { -i128::from(magnitude) } else { i128::from(magnitude) };
            LiteralValue::Int { value, base: IntBase::Decimal }
        };
        Ok((rest, Literal { value, span }))
    }

    fn bad_number(&self, input: &str) -> FilterError {
        let body = input.get(1..).unwrap_or("");
        let glued = body.find(|c: char| !(is_word_char(c) || c == '.')).map_or(input.len(), |len| len + 1);
        let span = self.offset(input)..self.offset(input) + glued;
        let text = self.src.get(span.clone()).unwrap_or("");
        FilterError::new(span, format!("bad number `{text}`")).with_expected(NUMBER_FORMS)
    }

    fn too_large(&self, input: &str, rest: &str) -> FilterError {
        let span = self.span_between(input, rest);
        FilterError::new(span, "number too large: integers must fit in 64 bits (at most 0xFFFFFFFFFFFFFFFF)")
    }

    /// The non-negative integer after a bitmask `&`.
    pub(super) fn mask(&self, input: &'s str, amp_span: Span) -> PResult<'s, Mask> {
        let error = || {
            let (span, found) = self.token_at(input);
            let span = if input.is_empty() { amp_span.clone() } else { span };
            fail(FilterError::new(span, format!("bitmask `&` needs a non-negative integer, found {found}")).with_expected(["an integer such as 0x10"]))
        };
        if !input.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(error());
        }
        let (rest, literal) = self.number(input)?;
        match literal.value {
            LiteralValue::Int { value, base } => {
                let value = u64::try_from(value).map_err(|_| error())?;
                Ok((rest, Mask { value, base, span: literal.span }))
            }
            _ => Err(error()),
        }
    }

    /// `"..."`: `\"` and `\\` are escapes, any other backslash is kept (regexes need no doubling).
    pub(super) fn string_literal(&self, input: &'s str) -> PResult<'s, StringLiteral> {
        let start = self.offset(input);
        let body = input.get(1..).unwrap_or("");
        let mut value = String::new();
        let mut chars = body.char_indices().peekable();
        while let Some((index, c)) = chars.next() {
            match c {
                '"' => {
                    let rest = body.get(index + 1..).unwrap_or("");
                    return Ok((rest, StringLiteral { value, span: start..self.offset(rest) }));
                }
                '\\' => match chars.next_if(|&(_, next)| next == '"' || next == '\\') {
                    Some((_, escaped)) => value.push(escaped),
                    None => value.push('\\'),
                },
                _ => value.push(c),
            }
        }
        let hint = if body.ends_with("\\\"") { " (the last `\\\"` is an escaped quote)" } else { "" };
        self.fatal(FilterError::new(start..start + 1, format!("unclosed string: this `\"` has no closing quote{hint}")).with_expected(["\""]))
    }

    /// Validates a `matches` pattern the way the evaluator will compile it; errors point into
    /// the string literal.
    pub(super) fn check_regex(&self, pattern: &StringLiteral, case_sensitive: bool) -> Result<(), FilterError> {
        let mut syntax = regex_syntax::ParserBuilder::new();
        syntax.case_insensitive(!case_sensitive);
        if let Err(error) = syntax.build().parse(&pattern.value) {
            let (message, span) = match &error {
                regex_syntax::Error::Parse(error) => (error.kind().to_string(), Some(*error.span())),
                regex_syntax::Error::Translate(error) => (error.kind().to_string(), Some(*error.span())),
                _ => (error.to_string(), None),
            };
            let span = match span {
                Some(span) => self.pattern_offset(pattern, span.start.offset)..self.pattern_offset(pattern, span.end.offset),
                None => pattern.span.clone(),
            };
            return Err(FilterError::new(span, format!("bad regular expression: {message}")));
        }
        if let Err(error) = regex::RegexBuilder::new(&pattern.value).case_insensitive(!case_sensitive).build() {
            let reason = match error {
                regex::Error::CompiledTooBig(limit) => format!("it compiles to more than {limit} bytes"),
                other => other.to_string(),
            };
            return Err(FilterError::new(pattern.span.clone(), format!("bad regular expression: {reason}")));
        }
        Ok(())
    }

    /// Source offset of byte `value_offset` of a string literal's unescaped value.
    fn pattern_offset(&self, pattern: &StringLiteral, value_offset: usize) -> usize {
        let raw_start = pattern.span.start + 1;
        let raw = self.src.get(raw_start..pattern.span.end.saturating_sub(1)).unwrap_or("");
        let mut value_position = 0;
        let mut chars = raw.char_indices().peekable();
        while let Some((raw_position, c)) = chars.next() {
            if value_position >= value_offset {
                return raw_start + raw_position;
            }
            let escaped = if c == '\\' { chars.next_if(|&(_, next)| next == '"' || next == '\\') } else { None };
            value_position += escaped.map_or(c, |(_, e)| e).len_utf8();
        }
        raw_start + raw.len()
    }

    /// ISO-8601 `YYYY-MM-DD[THH:MM[:SS[.fraction]]][Z|±HH:MM]`.
    fn time(&self, input: &'s str) -> PResult<'s, Literal> {
        let token_len = input.find(|c: char| !(c.is_ascii_alphanumeric() || ":.+-".contains(c))).unwrap_or(input.len());
        let token = input.get(..token_len).unwrap_or("");
        let rest = input.get(token_len..).unwrap_or("");
        let span = self.span_between(input, rest);
        match parse_time(token) {
            Ok(time) => Ok((rest, Literal { value: LiteralValue::Time(time), span })),
            Err(reason) => self.fatal(
                FilterError::new(span, format!("bad time `{token}`: {reason}"))
                    .with_expected(["YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM]"]),
            ),
        }
    }
}

/// Reads fixed-width ASCII digit groups from a time token.
struct Cursor<'t> {
    text: &'t str,
}

impl Cursor<'_> {
    fn digits(&mut self, count: usize, what: &str) -> Result<u32, String> {
        let part = self.text.get(..count).filter(|p| p.bytes().all(|b| b.is_ascii_digit()));
        let value = part.and_then(|p| p.parse::<u32>().ok()).ok_or_else(|| format!("expected {count} digits for the {what}"))?;
        self.text = self.text.get(count..).unwrap_or("");
        Ok(value)
    }

    fn eat(&mut self, c: char) -> bool {
        match self.text.strip_prefix(c) {
            Some(rest) => {
                self.text = rest;
                true
            }
            None => false,
        }
    }

    fn expect(&mut self, c: char, after: &str) -> Result<(), String> {
        if self.eat(c) { Ok(()) } else { Err(format!("expected `{c}` after the {after}")) }
    }
}

fn in_range(value: u32, low: u32, high: u32, what: &str) -> Result<u8, String> {
    if (low..=high).contains(&value) {
        u8::try_from(value).map_err(|_| format!("{what} {value} is out of range"))
    } else {
        Err(format!("{what} {value} is out of range {low}..={high}"))
    }
}

fn parse_time(token: &str) -> Result<TimeLiteral, String> {
    let mut cursor = Cursor { text: token };
    let year = u16::try_from(cursor.digits(4, "year")?).map_err(|_| "year out of range".to_string())?;
    cursor.expect('-', "year")?;
    let month = in_range(cursor.digits(2, "month")?, 1, 12, "month")?;
    cursor.expect('-', "month")?;
    let day = in_range(cursor.digits(2, "day")?, 1, u32::from(days_in_month(year, month)), "day")?;
    let mut time = TimeLiteral { year, month, day, hour: 0, minute: 0, second: 0, nanosecond: 0, utc_offset_minutes: None };
    if cursor.eat('T') || cursor.eat('t') {
        time.hour = in_range(cursor.digits(2, "hour")?, 0, 23, "hour")?;
        cursor.expect(':', "hour")?;
        time.minute = in_range(cursor.digits(2, "minute")?, 0, 59, "minute")?;
        if cursor.eat(':') {
            time.second = in_range(cursor.digits(2, "second")?, 0, 59, "second")?;
            if cursor.eat('.') {
                let fraction_len = cursor.text.find(|c: char| !c.is_ascii_digit()).unwrap_or(cursor.text.len());
                if !(1..=9).contains(&fraction_len) {
                    return Err("the fraction of a second takes 1 to 9 digits".to_string());
                }
                let fraction = cursor.digits(fraction_len, "fraction")?;
                let scale = 10u32.pow(u32::try_from(9 - fraction_len).unwrap_or(0));
                time.nanosecond = fraction.saturating_mul(scale);
            }
        }
        time.utc_offset_minutes = parse_zone(&mut cursor)?;
    }
    if cursor.text.is_empty() {
        Ok(time)
    } else {
        Err(format!("unexpected `{}` at the end", cursor.text))
    }
}

fn parse_zone(cursor: &mut Cursor<'_>) -> Result<Option<i16>, String> {
    if cursor.eat('Z') || cursor.eat('z') {
        return Ok(Some(0));
    }
    let sign: i16 = if cursor.eat('+') {
        1
    } else if cursor.eat('-') {
        -1
    } else {
        return Ok(None);
    };
    let hours = in_range(cursor.digits(2, "zone hour")?, 0, 23, "zone hour")?;
    cursor.eat(':');
    let minutes = in_range(cursor.digits(2, "zone minute")?, 0, 59, "zone minute")?;
    Ok(Some(sign * (i16::from(hours) * 60 + i16::from(minutes))))
}
