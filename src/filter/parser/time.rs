//! ISO-8601 time literals (`2011-07-22T14:32:22.638`, optional zone).

use super::{PResult, Parser};
use crate::filter::ast::{Literal, LiteralValue, TimeLiteral};
use crate::filter::error::FilterError;

impl<'s> Parser<'s> {
    /// ISO-8601 `YYYY-MM-DD[THH:MM[:SS[.fraction]]][Z|±HH:MM]`.
    pub(super) fn time(&self, input: &'s str) -> PResult<'s, Literal> {
        let token_len = input
            .find(|c: char| !(c.is_ascii_alphanumeric() || ":.+-".contains(c)))
            .unwrap_or(input.len());
        let token = input.get(..token_len).unwrap_or("");
        let rest = input.get(token_len..).unwrap_or("");
        let span = self.span_between(input, rest);
        match parse_time(token) {
            Ok(time) => Ok((
                rest,
                Literal {
                    value: LiteralValue::Time(time),
                    span,
                },
            )),
            Err(reason) => self.fatal(
                FilterError::new(span, format!("bad time `{token}`: {reason}"))
                    .with_expected(["YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM]"]),
            ),
        }
    }
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

fn parse_time(token: &str) -> Result<TimeLiteral, String> {
    let mut cursor = Cursor { text: token };
    let year =
        u16::try_from(cursor.digits(4, "year")?).map_err(|_| "year out of range".to_string())?;
    cursor.expect('-', "year")?;
    let month = in_range(cursor.digits(2, "month")?, 1, 12, "month")?;
    cursor.expect('-', "month")?;
    let day = in_range(
        cursor.digits(2, "day")?,
        1,
        u32::from(days_in_month(year, month)),
        "day",
    )?;
    let mut time = TimeLiteral {
        year,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
        nanosecond: 0,
        utc_offset_minutes: None,
    };
    if cursor.eat('T') || cursor.eat('t') {
        time.hour = in_range(cursor.digits(2, "hour")?, 0, 23, "hour")?;
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
