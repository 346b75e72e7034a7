//! The go-to bar (`:`): a frame number, an offset in seconds, a time of day, or a full UTC
//! time.

use super::columns::TICKS_PER_SECOND;
use etl::clock::{datetime_to_filetime, filetime_to_datetime};

/// Where `:` should go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// 1-based frame number, as the table shows it (`1234`, `#1234`).
    Frame(u64),
    /// Seconds since the first event, in 100 ns ticks (`+32.6`, `32.6s`, `32.6380453`).
    Offset(i64),
    /// Time of day on the first event's (UTC) date, in ticks since midnight (`14:32:22.5`).
    TimeOfDay(i64),
    /// UTC FILETIME (`2011-07-22T14:32:22.638Z`, `2011-07-22 14:32:22`).
    Absolute(i64),
}

/// Reads what was typed into the go-to bar.
pub fn parse(text: &str) -> Result<Target, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("type a frame number, +seconds, HH:MM:SS or a UTC time".to_string());
    }
    let frame_digits = text.strip_prefix('#').unwrap_or(text);
    if frame_digits.bytes().all(|b| b.is_ascii_digit()) {
        return frame_digits
            .parse()
            .map(Target::Frame)
            .map_err(|_| format!("frame number {frame_digits} is too large"));
    }
    if text.contains('-') && text.len() >= 10 && !text.starts_with(['-', '+']) {
        return parse_absolute(text).map(Target::Absolute);
    }
    if text.contains(':') {
        return parse_clock(text).map(Target::TimeOfDay);
    }
    let seconds = text.strip_prefix('+').unwrap_or(text);
    let seconds = seconds.strip_suffix('s').unwrap_or(seconds);
    parse_seconds(seconds)
        .map(Target::Offset)
        .ok_or_else(|| format!("cannot read `{text}` as a frame, offset or time"))
}

/// `S[.fffffff]` as ticks; at most 7 decimals (100 ns), non-negative.
fn parse_seconds(text: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || fraction.len() > 7 {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut ticks: i64 = 0;
    for (i, b) in fraction.bytes().enumerate() {
        let place = 10_i64.pow(6 - i as u32);
        ticks += i64::from(b - b'0') * place;
    }
    whole.checked_mul(TICKS_PER_SECOND)?.checked_add(ticks)
}

/// `HH:MM[:SS[.fffffff]]` as ticks since midnight.
fn parse_clock(text: &str) -> Result<i64, String> {
    let bad = || format!("cannot read `{text}` as HH:MM:SS[.fffffff]");
    let mut parts = text.split(':');
    let hours: i64 = parts.next().and_then(|h| h.parse().ok()).ok_or_else(bad)?;
    let minutes: i64 = parts.next().and_then(|m| m.parse().ok()).ok_or_else(bad)?;
    let seconds = match parts.next() {
        Some(s) => parse_seconds(s).ok_or_else(bad)?,
        None => 0,
    };
    if parts.next().is_some() || !(0..24).contains(&hours) || !(0..60).contains(&minutes) {
        return Err(bad());
    }
    if seconds >= 60 * TICKS_PER_SECOND {
        return Err(bad());
    }
    Ok((hours * 3600 + minutes * 60) * TICKS_PER_SECOND + seconds)
}

/// `YYYY-MM-DD[T ]HH:MM[:SS[.f]][Z]` (UTC) as FILETIME.
fn parse_absolute(text: &str) -> Result<i64, String> {
    let bad = || format!("cannot read `{text}` as YYYY-MM-DDTHH:MM:SS[.fffffff]Z (UTC)");
    let text = text.strip_suffix(['Z', 'z']).unwrap_or(text);
    let (date, clock) = text.split_once(['T', 't', ' ']).unwrap_or((text, "00:00"));
    let mut parts = date.split('-');
    let mut number = || -> Option<u32> { parts.next()?.parse().ok() };
    let (year, month, day) = (
        number().ok_or_else(bad)?,
        number().ok_or_else(bad)?,
        number().ok_or_else(bad)?,
    );
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(year).map_err(|_| bad())?, month, day)
        .ok_or_else(bad)?;
    let since_midnight = parse_clock(clock)?;
    let midnight = date.and_hms_opt(0, 0, 0).ok_or_else(bad)?.and_utc();
    datetime_to_filetime(midnight)
        .checked_add(since_midnight)
        .ok_or_else(bad)
}

/// The FILETIME `target` means in a trace whose first event is at `first` (FILETIME).
pub fn resolve(target: Target, first: i64) -> Option<i64> {
    match target {
        Target::Frame(_) => None,
        Target::Offset(ticks) => first.checked_add(ticks),
        Target::Absolute(filetime) => Some(filetime),
        Target::TimeOfDay(ticks) => {
            let day = filetime_to_datetime(first)?.date_naive();
            let midnight = day.and_hms_opt(0, 0, 0)?.and_utc();
            datetime_to_filetime(midnight).checked_add(ticks)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-01-01T00:00:00Z
    const NEW_YEAR: i64 = 133_485_408_000_000_000;

    #[test]
    fn numbers_are_frames_and_decimals_are_offsets() {
        assert_eq!(parse("1234"), Ok(Target::Frame(1234)));
        assert_eq!(parse(" #7 "), Ok(Target::Frame(7)));
        assert_eq!(parse("32.6380453"), Ok(Target::Offset(326_380_453)));
        assert_eq!(parse("+2"), Ok(Target::Offset(20_000_000)));
        assert_eq!(parse("1.5s"), Ok(Target::Offset(15_000_000)));
        assert_eq!(parse(".5"), Ok(Target::Offset(5_000_000)));
        assert!(parse("99999999999999999999999").is_err());
        assert!(parse("1.12345678").is_err());
        assert!(parse("abc").is_err());
        assert!(parse("").is_err());
        assert!(parse("+").is_err());
        assert!(parse("-5").is_err());
    }

    #[test]
    fn clock_times_are_on_the_first_events_day() {
        let target = parse("14:32:22.5").unwrap();
        assert_eq!(
            target,
            Target::TimeOfDay((14 * 3600 + 32 * 60 + 22) * TICKS_PER_SECOND + 5_000_000)
        );
        assert_eq!(
            resolve(target, NEW_YEAR + 5),
            Some(NEW_YEAR + (14 * 3600 + 32 * 60) * TICKS_PER_SECOND + 225_000_000)
        );
        assert_eq!(parse("00:01"), Ok(Target::TimeOfDay(60 * TICKS_PER_SECOND)));
        assert!(parse("24:00").is_err());
        assert!(parse("10:61").is_err());
        assert!(parse("10:00:60").is_err());
        assert!(parse("1:2:3:4").is_err());
    }

    #[test]
    fn full_times_are_utc() {
        assert_eq!(
            parse("2024-01-01T00:00:01Z"),
            Ok(Target::Absolute(NEW_YEAR + TICKS_PER_SECOND))
        );
        assert_eq!(
            parse("2024-01-01 00:00:00.0000001"),
            Ok(Target::Absolute(NEW_YEAR + 1))
        );
        assert_eq!(parse("2024-01-01"), Ok(Target::Absolute(NEW_YEAR)));
        assert!(parse("2024-02-30T00:00:00").is_err());
        assert!(parse("2024-01-01T99:00").is_err());
        assert_eq!(resolve(Target::Absolute(5), NEW_YEAR), Some(5));
        assert_eq!(resolve(Target::Offset(10), NEW_YEAR), Some(NEW_YEAR + 10));
        assert_eq!(resolve(Target::Offset(i64::MAX), NEW_YEAR), None);
        assert_eq!(resolve(Target::Frame(3), NEW_YEAR), None);
    }
}
