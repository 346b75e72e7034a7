//! Raw timestamps to UTC, for every clock type of the logfile header (§6 of the format doc).

use super::layout::LogfileHeader;

/// Seconds between 1601-01-01 (FILETIME epoch) and 1970-01-01 (Unix epoch).
const FILETIME_UNIX_DIFF_SECS: i64 = 11_644_473_600;

/// The session clock a file's raw timestamps are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// `ReservedFlags` 0 (`EVENT_TRACE_CLOCK_RAW`), or any other value with a non-zero
    /// `PerfFreq`: raw values are scaled like QPC ticks of `PerfFreq` Hz.
    Raw,
    /// `ReservedFlags` 1: QueryPerformanceCounter ticks of `PerfFreq` Hz (the default since Vista).
    Qpc,
    /// `ReservedFlags` 2: raw values are FILETIMEs already (about 10–15 ms resolution).
    SystemTime,
    /// `ReservedFlags` 3: CPU cycles at the nominal `CpuSpeedInMHz` (may drift).
    CpuCycles,
    /// No logfile header was found, or it gives no usable frequency (`PerfFreq` 0): raw values
    /// are shown as if they were FILETIMEs.
    Unknown,
}

impl ClockKind {
    /// Short name for output: `raw`, `QPC`, `system time`, `CPU cycle counter` or `unknown`.
    pub fn name(self) -> &'static str {
        match self {
            ClockKind::Raw => "raw",
            ClockKind::Qpc => "QPC",
            ClockKind::SystemTime => "system time",
            ClockKind::CpuCycles => "CPU cycle counter",
            ClockKind::Unknown => "unknown",
        }
    }
}

/// Converts raw timestamps to FILETIME (100 ns since 1601, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// Which clock the raw timestamps are in.
    pub kind: ClockKind,
    /// FILETIME of the anchor (session start).
    start_time: i64,
    /// Raw timestamp of the anchor (the first EventTrace/Header record).
    anchor_raw: i64,
    /// FILETIME ticks per raw tick = `numerator / denominator`.
    numerator: i128,
    denominator: i128,
}

impl Clock {
    /// The clock of a file with the given logfile header, anchored at `anchor_raw`.
    pub fn from_logfile(header: &LogfileHeader, anchor_raw: i64) -> Clock {
        let (kind, numerator, denominator) = match header.clock_type {
            2 => (ClockKind::SystemTime, 1, 1),
            3 if header.cpu_speed_mhz > 0 => {
                (ClockKind::CpuCycles, 10, i128::from(header.cpu_speed_mhz))
            }
            kind if header.perf_freq > 0 => (
                if kind == 1 {
                    ClockKind::Qpc
                } else {
                    ClockKind::Raw
                },
                10_000_000,
                i128::from(header.perf_freq),
            ),
            _ => (ClockKind::Unknown, 1, 1),
        };
        if kind == ClockKind::SystemTime {
            // raw values are FILETIMEs already
            return Clock {
                kind,
                start_time: 0,
                anchor_raw: 0,
                numerator,
                denominator,
            };
        }
        Clock {
            kind,
            start_time: header.start_time,
            anchor_raw,
            numerator,
            denominator,
        }
    }

    /// A clock for files without a logfile header: raw values taken as FILETIME.
    pub fn unknown() -> Clock {
        Clock {
            kind: ClockKind::Unknown,
            start_time: 0,
            anchor_raw: 0,
            numerator: 1,
            denominator: 1,
        }
    }

    /// FILETIME of a raw timestamp; exact integer arithmetic, negative deltas allowed.
    pub fn to_filetime(&self, raw: i64) -> i64 {
        let delta = i128::from(raw) - i128::from(self.anchor_raw);
        let ticks = if self.numerator == self.denominator {
            delta
        } else {
            delta * self.numerator / self.denominator
        };
        (i128::from(self.start_time) + ticks).clamp(i128::from(i64::MIN), i128::from(i64::MAX))
            as i64
    }
}

/// FILETIME as ISO-8601 UTC with 100 ns precision, e.g. `2020-02-17T12:48:30.4203130Z`.
pub fn format_filetime(filetime: i64) -> String {
    use chrono::{Datelike, Timelike};
    let secs = filetime.div_euclid(10_000_000) - FILETIME_UNIX_DIFF_SECS;
    let ticks = filetime.rem_euclid(10_000_000);
    match chrono::DateTime::from_timestamp(secs, (ticks * 100) as u32) {
        // Written field by field: this runs once per exported event.
        Some(t) if (0..=9999).contains(&t.year()) => {
            let mut s = String::with_capacity(28);
            let two = |s: &mut String, v: u32| {
                s.push(char::from(b'0' + (v / 10) as u8));
                s.push(char::from(b'0' + (v % 10) as u8));
            };
            let year = t.year() as u32;
            two(&mut s, year / 100);
            two(&mut s, year % 100);
            s.push('-');
            two(&mut s, t.month());
            s.push('-');
            two(&mut s, t.day());
            s.push('T');
            two(&mut s, t.hour());
            s.push(':');
            two(&mut s, t.minute());
            s.push(':');
            two(&mut s, t.second());
            s.push('.');
            let mut digits = [b'0'; 7];
            let mut rest = ticks as u32;
            for d in digits.iter_mut().rev() {
                *d = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
            s.extend(digits.iter().map(|&d| char::from(d)));
            s.push('Z');
            s
        }
        Some(t) => format!("{}.{ticks:07}Z", t.format("%Y-%m-%dT%H:%M:%S")),
        None => format!("filetime:{filetime}"),
    }
}

/// FILETIME as a chrono UTC time, when it is in chrono's range.
pub fn filetime_to_datetime(filetime: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    let secs = filetime.div_euclid(10_000_000) - FILETIME_UNIX_DIFF_SECS;
    let nanos = (filetime.rem_euclid(10_000_000) * 100) as u32;
    chrono::DateTime::from_timestamp(secs, nanos)
}

/// chrono UTC time as FILETIME.
pub fn datetime_to_filetime(t: chrono::DateTime<chrono::Utc>) -> i64 {
    (t.timestamp() + FILETIME_UNIX_DIFF_SECS) * 10_000_000
        + i64::from(t.timestamp_subsec_nanos() / 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(clock_type: u32, perf_freq: i64, start_time: i64) -> LogfileHeader {
        LogfileHeader {
            buffer_size: 65536,
            version: 0,
            provider_version: 0,
            number_of_processors: 1,
            end_time: 0,
            timer_resolution: 156250,
            maximum_file_size: 0,
            log_file_mode: 0,
            buffers_written: 1,
            pointer_size: 8,
            events_lost: 0,
            cpu_speed_mhz: 3000,
            timezone_bias_minutes: 0,
            boot_time: 0,
            perf_freq,
            start_time,
            clock_type,
            buffers_lost: 0,
            logger_name: String::new(),
            log_file_name: String::new(),
        }
    }

    #[test]
    fn qpc_scales_from_the_anchor() {
        let c = Clock::from_logfile(&header(1, 3_000_000, 1_000_000_000), 500);
        assert_eq!(c.kind, ClockKind::Qpc);
        assert_eq!(c.to_filetime(500), 1_000_000_000);
        assert_eq!(c.to_filetime(800), 1_000_001_000);
        assert_eq!(c.to_filetime(200), 999_999_000);
    }

    #[test]
    fn system_time_is_identity_and_cycles_use_mhz() {
        let c = Clock::from_logfile(&header(2, 0, 5), 5);
        assert_eq!(c.to_filetime(123_456), 123_456);
        let c = Clock::from_logfile(&header(3, 0, 1000), 0);
        assert_eq!(c.kind, ClockKind::CpuCycles);
        assert_eq!(c.to_filetime(3000), 1010);
    }

    #[test]
    fn formats_with_seven_digits() {
        // 2020-02-17T12:48:30.4203130Z
        let ft = (1_581_943_710 + FILETIME_UNIX_DIFF_SECS) * 10_000_000 + 4_203_130;
        assert_eq!(format_filetime(ft), "2020-02-17T12:48:30.4203130Z");
        let dt = filetime_to_datetime(ft).unwrap();
        assert_eq!(datetime_to_filetime(dt), ft);
    }

    #[test]
    fn extreme_values_do_not_panic() {
        let c = Clock::from_logfile(&header(1, 1, i64::MAX), i64::MIN);
        let _ = c.to_filetime(i64::MAX);
        assert!(!format_filetime(i64::MIN).is_empty());
        assert!(!format_filetime(i64::MAX).is_empty());
    }
}
