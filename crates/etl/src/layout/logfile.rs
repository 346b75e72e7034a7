//! `TRACE_LOGFILE_HEADER`, the payload of the EventTrace/Header record that opens a trace.

use nom::number::complete::{le_i32, le_i64, le_u32};

use super::{LayoutError, run, utf16z};

/// `TRACE_LOGFILE_HEADER` (payload of the EventTrace/Header record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogfileHeader {
    /// `BufferSize`: the session's buffer size in bytes (not kilobytes); not necessarily the
    /// size of the buffers in this file.
    pub buffer_size: u32,
    /// `Version`: byte 0 `MajorVersion` and byte 1 `MinorVersion` of the OS, byte 2 `SubVersion`
    /// and byte 3 `SubMinorVersion` of the log-file layout (0x0501000A = Windows 10.0, layout 1.5).
    pub version: u32,
    /// `ProviderVersion`: OS build number (e.g. 19041); in merged files that of the merging tool.
    pub provider_version: u32,
    /// `NumberOfProcessors` of the logging machine.
    pub number_of_processors: u32,
    /// `EndTime`: FILETIME of the session end; 0 when the session was not stopped cleanly, and
    /// events may lie after it in merged files.
    pub end_time: i64,
    /// `TimerResolution`: system clock tick in 100 ns units (156250 = 15.625 ms).
    pub timer_resolution: u32,
    /// `MaximumFileSize`: in MB, or in KB when `LogFileMode` has USE_KBYTES_FOR_SIZE (0x2000).
    pub maximum_file_size: u32,
    /// `LogFileMode`: `EVENT_TRACE_*` mode bits (0x2 circular, 0x04000000 compressed, …).
    pub log_file_mode: u32,
    /// `BuffersWritten`: buffers the session wrote, header buffer included; a hint, not a bound
    /// for the walk.
    pub buffers_written: u32,
    /// `PointerSize`: pointer size of the logging OS (4 or 8); records use the width of their
    /// own header type.
    pub pointer_size: u32,
    /// `EventsLost`: events the session dropped.
    pub events_lost: u32,
    /// `CpuSpeedInMHz`: nominal CPU speed, needed only for clock type 3 (CPU cycles).
    pub cpu_speed_mhz: u32,
    /// `TimeZone.Bias`: minutes, UTC = local time + bias.
    pub timezone_bias_minutes: i32,
    /// `BootTime`: FILETIME of the logging machine's boot.
    pub boot_time: i64,
    /// `PerfFreq`: QPC frequency in Hz (raw ticks per second for clock types 0 and 1).
    pub perf_freq: i64,
    /// `StartTime`: FILETIME of the session start, the anchor of the timestamp conversion.
    pub start_time: i64,
    /// `ReservedFlags`: clock type of the raw timestamps, 0 raw, 1 QPC, 2 system time, 3 CPU
    /// cycles.
    pub clock_type: u32,
    /// `BuffersLost`: buffers the session dropped.
    pub buffers_lost: u32,
    /// `LoggerName` string: the session name (e.g. `AMSITraceSession`, `Relogger` in merged
    /// files); empty when missing.
    pub logger_name: String,
    /// `LogFileName` string: the path the session wrote (e.g. `C:\work\AMSITrace.etl`); empty
    /// when missing.
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
