//! Time literals: ISO-8601 (`2011-07-22T14:32:22.638`, `T` or a space), a time of day alone,
//! an optional zone or ` local`.

use super::{PResult, Parser};
use crate::filter::ast::{Literal, LiteralValue, TIME_FORMS, TimeLiteral};
use crate::filter::error::FilterError;

impl<'s> Parser<'s> {
    /// A time literal (forms: [`TIME_FORMS`]).
    pub(super) fn time(&self, input: &'s str) -> PResult<'s, Literal> {
        let (result, consumed) = match parse_time_prefix(input) {
            Ok((time, consumed)) => (Ok(time), consumed),
            Err(reason) => (Err(reason), glued_len(input)),
        };
        let mut rest = input.get(consumed..).unwrap_or("");
        let result = match result {
            Ok(_) if rest.starts_with(|c: char| c.is_ascii_alphanumeric() || ":._".contains(c)) => {
                let extra = glued_len(rest);
                let text = rest.get(..extra).unwrap_or("");
                let reason = format!("unexpected `{text}` after the time");
                rest = rest.get(extra..).unwrap_or("");
                Err(reason)
            }
            other => other,
        };
        let span = self.span_between(input, rest);
        match result {
            Ok(time) => Ok((
                rest,
                Literal {
                    value: LiteralValue::Time(time),
                    span,
                },
            )),
            Err(reason) => {
                let token = self.src.get(span.clone()).unwrap_or("");
                self.fatal(time_error(span, token, &reason))
            }
        }
    }
}

/// The one message for a time that does not read, listing every accepted form.
pub(crate) fn time_error(span: crate::filter::ast::Span, token: &str, reason: &str) -> FilterError {
    FilterError::new(span, format!("bad time `{token}`: {reason}")).with_expected(TIME_FORMS)
}

/// Bytes of the word-like token starting `text` (what a bad time covers in the message).
fn glued_len(text: &str) -> usize {
    text.find(|c: char| !(c.is_ascii_alphanumeric() || ":.+-_".contains(c)))
        .unwrap_or(text.len())
}

/// `H:MM` or `HH:MM` at the start: a time of day rather than an IPv6 address (which has more
/// groups, `::` or hex letters).
pub(super) fn looks_like_time_of_day(text: &str) -> bool {
    let token_len = text
        .find(|c: char| !(c.is_ascii_hexdigit() || c == ':' || c == '.'))
        .unwrap_or(text.len());
    let token = text.get(..token_len).unwrap_or("");
    let hour_len = token.find(':').unwrap_or(0);
    (1..=2).contains(&hour_len)
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b':' || b == b'.')
        && !token.contains("::")
        && token.matches(':').count() <= 2
}

/// Reads a time literal at the start of `text` (quoted strings pass their contents): a date,
/// a date and time (`T` or a space between), or a time of day alone, then an optional zone
/// or ` local`. Returns the literal and the bytes it used.
pub(crate) fn parse_time_prefix(text: &str) -> Result<(TimeLiteral, usize), String> {
    let mut cursor = Cursor { text };
    let mut time = TimeLiteral {
        year: 0,
        month: 0,
        day: 0,
        hour: 0,
        minute: 0,
        second: 0,
        nanosecond: 0,
        utc_offset_minutes: None,
        time_of_day_only: false,
        local: false,
    };
    let date_like = text.len() > 4 && text.as_bytes().get(4) == Some(&b'-');
    if date_like {
        let year = u16::try_from(cursor.digits(4, "year")?)
            .map_err(|_| "year out of range".to_string())?;
        cursor.expect('-', "year")?;
        let month = in_range(cursor.digits(2, "month")?, 1, 12, "month")?;
        cursor.expect('-', "month")?;
        let day = in_range(
            cursor.digits(2, "day")?,
            1,
            u32::from(days_in_month(year, month)),
            "day",
        )?;
        (time.year, time.month, time.day) = (year, month, day);
        let spaced_clock = cursor.text.strip_prefix(' ').is_some_and(|after| {
            let b = after.as_bytes();
            b.len() >= 3 && b[0].is_ascii_digit() && b[1].is_ascii_digit() && b[2] == b':'
        });
        if cursor.eat('T') || cursor.eat('t') || (spaced_clock && cursor.eat(' ')) {
            clock(&mut cursor, &mut time, 2)?;
        }
    } else {
        time.time_of_day_only = true;
        clock(&mut cursor, &mut time, 1)?;
    }
    let mut consumed = text.len() - cursor.text.len();
    let after_spaces = cursor.text.trim_start_matches(' ');
    if after_spaces.len() < cursor.text.len()
        && after_spaces
            .get(..5)
            .is_some_and(|w| w.eq_ignore_ascii_case("local"))
        && !after_spaces
            .get(5..)
            .unwrap_or("")
            .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
    {
        if time.utc_offset_minutes.is_some() {
            return Err("a time with a zone cannot also be `local`".to_string());
        }
        time.local = true;
        consumed = text.len() - after_spaces.len() + 5;
    }
    Ok((time, consumed))
}

/// `HH:MM[:SS[.fraction]][zone]`; `min_hour_digits` 1 allows `9:05`.
fn clock(
    cursor: &mut Cursor<'_>,
    time: &mut TimeLiteral,
    min_hour_digits: usize,
) -> Result<(), String> {
    let hour_digits = if min_hour_digits == 1 && cursor.text.as_bytes().get(1) == Some(&b':') {
        1
    } else {
        2
    };
    time.hour = in_range(cursor.digits(hour_digits, "hour")?, 0, 23, "hour")?;
    cursor.expect(':', "hour")?;
    time.minute = in_range(cursor.digits(2, "minute")?, 0, 59, "minute")?;
    if cursor.eat(':') {
        time.second = in_range(cursor.digits(2, "second")?, 0, 59, "second")?;
        if cursor.eat('.') {
            let fraction_len = cursor
                .text
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(cursor.text.len());
            if !(1..=9).contains(&fraction_len) {
                return Err("the fraction of a second takes 1 to 9 digits".to_string());
            }
            let fraction = cursor.digits(fraction_len, "fraction")?;
            let scale = 10u32.pow(u32::try_from(9 - fraction_len).unwrap_or(0));
            time.nanosecond = fraction.saturating_mul(scale);
        }
    }
    time.utc_offset_minutes = parse_zone(cursor)?;
    Ok(())
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

/// Reads fixed-width ASCII digit groups from a time token.
struct Cursor<'t> {
    text: &'t str,
}

impl Cursor<'_> {
    fn digits(&mut self, count: usize, what: &str) -> Result<u32, String> {
        let part = self
            .text
            .get(..count)
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()));
        let value = part
            .and_then(|p| p.parse::<u32>().ok())
            .ok_or_else(|| format!("expected {count} digits for the {what}"))?;
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
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected `{c}` after the {after}"))
        }
    }
}

fn in_range(value: u32, low: u32, high: u32, what: &str) -> Result<u8, String> {
    if (low..=high).contains(&value) {
        u8::try_from(value).map_err(|_| format!("{what} {value} is out of range"))
    } else {
        Err(format!("{what} {value} is out of range {low}..={high}"))
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
