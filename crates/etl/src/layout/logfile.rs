//! `TRACE_LOGFILE_HEADER`, the payload of the EventTrace/Header record that opens a trace.

use nom::number::complete::{le_i32, le_i64, le_u32};

use super::{LayoutError, run, utf16z};

/// `TRACE_LOGFILE_HEADER` (payload of the EventTrace/Header record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogfileHeader {
    pub buffer_size: u32,
    pub version: u32,
    pub provider_version: u32,
    pub number_of_processors: u32,
    pub end_time: i64,
    pub timer_resolution: u32,
    pub maximum_file_size: u32,
    pub log_file_mode: u32,
    pub buffers_written: u32,
    pub pointer_size: u32,
    pub events_lost: u32,
    pub cpu_speed_mhz: u32,
    pub timezone_bias_minutes: i32,
    pub boot_time: i64,
    pub perf_freq: i64,
    pub start_time: i64,
    pub clock_type: u32,
    pub buffers_lost: u32,
    pub logger_name: String,
    pub log_file_name: String,
}

/// Parses the logfile header; `pointer_size` is that of the carrying record (4 or 8).
pub fn logfile_header(input: &[u8], pointer_size: u8) -> Result<LogfileHeader, LayoutError> {
    let p = usize::from(pointer_size);
    let fixed = 0x38 + 2 * p + 0xB0 + 0x20;
    let (
        buffer_size,
        version,
        provider_version,
        number_of_processors,
        end_time,
        timer_resolution,
        maximum_file_size,
        log_file_mode,
        buffers_written,
        _start_buffers,
        pointer_size_field,
        events_lost,
        cpu_speed_mhz,
    ) = run(
        "logfile header",
        fixed,
        input,
        (
            le_u32, le_u32, le_u32, le_u32, le_i64, le_u32, le_u32, le_u32, le_u32, le_u32, le_u32,
            le_u32, le_u32,
        ),
    )?;
    let tz_at = 0x38 + 2 * p;
    let timezone_bias_minutes = run(
        "logfile header time zone",
        fixed,
        input.get(tz_at..).unwrap_or_default(),
        le_i32,
    )?;
    let times_at = tz_at + 0xB0;
    let (boot_time, perf_freq, start_time, clock_type, buffers_lost) = run(
        "logfile header clock fields",
        fixed,
        input.get(times_at..).unwrap_or_default(),
        (le_i64, le_i64, le_i64, le_u32, le_u32),
    )?;
    let strings = input.get(fixed..).unwrap_or_default();
    let (logger_name, used) = utf16z(strings);
    let (log_file_name, _) = utf16z(strings.get(used..).unwrap_or_default());
    Ok(LogfileHeader {
        buffer_size,
        version,
        provider_version,
        number_of_processors,
        end_time,
        timer_resolution,
        maximum_file_size,
        log_file_mode,
        buffers_written,
        pointer_size: pointer_size_field,
        events_lost,
        cpu_speed_mhz,
        timezone_bias_minutes,
        boot_time,
        perf_freq,
        start_time,
        clock_type,
        buffers_lost,
        logger_name,
        log_file_name,
    })
}
