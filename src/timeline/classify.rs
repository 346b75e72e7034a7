//! Failure and warning classification: the marks computed at open and the tests behind them.

use uuid::{Uuid, uuid};

use super::{Severity, Source, Timeline};
use decode::trace_text;
use decode::value::{IntFormat, Value};
use decode::{DecodedBy, DecodedEvent};
use etl::ProviderId;

pub const WINHTTP_PROVIDER: Uuid = uuid!("7d44233d-3055-4b9c-ba64-0d47ca40a232");
pub const WEBIO_PROVIDER: Uuid = uuid!("50b3e73c-9370-461d-bb9f-26f32d68887d");

/// Microsoft-Windows-TCPIP: its connect/timeout events carry an NTSTATUS `Status`.
const TCPIP_PROVIDER: Uuid = uuid!("2f07e2ee-15db-40f1-90ef-9d7ba282188a");

/// Providers whose events are decoded when marks are computed: WinHTTP/WebIO trace text and
/// error fields (WebIO `Error`, WinHTTP `Result`, TCPIP `Status`).
pub(super) fn is_text_provider(p: ProviderId) -> bool {
    matches!(p, ProviderId::Guid(g) if g == WINHTTP_PROVIDER || g == WEBIO_PROVIDER || g == TCPIP_PROVIDER)
}

impl Timeline {
    /// Failure and warning events, in time order.
    pub fn severity_marks(&self) -> &[(u32, Severity)] {
        &self.marks
    }

    /// Failure/warning classification of one event (error levels, WinHTTP failure lines,
    /// error mappings, fields holding known error codes).
    pub fn severity(&self, frame: usize) -> Option<Severity> {
        let at = self.marks.partition_point(|&(f, _)| (f as usize) < frame);
        match self.marks.get(at) {
            Some(&(f, s)) if f as usize == frame => Some(s),
            _ => None,
        }
    }
}

impl Source {
    /// Severity of one of this file's events (local frame).
    pub(super) fn classify(&self, frame: usize) -> Option<Severity> {
        let e = self.trace.event(frame)?;
        let by_level = match e.header.level {
            1 | 2 if !e.header.kind.is_kernel() => Some(Severity::Failure),
            3 if !e.header.kind.is_kernel() => Some(Severity::Warning),
            _ => None,
        };
        if !is_text_provider(e.header.provider) {
            return by_level;
        }
        let decoded = self.decode(&e);
        by_level.max(classify_decoded(&decoded))
    }
}

/// The numeric error code held by a value typed as one (Win32 error, NTSTATUS, HRESULT).
pub fn error_value(value: &Value) -> Option<u32> {
    match value {
        Value::UInt {
            value,
            format: IntFormat::Win32Error | IntFormat::NtStatus | IntFormat::HResult,
            ..
        } => Some(*value as u32),
        Value::Int {
            value,
            format: IntFormat::Win32Error | IntFormat::NtStatus | IntFormat::HResult,
            ..
        } => Some(*value as u32),
        _ => None,
    }
}

/// Field names that hold an error code even when the schema types them as plain integers
/// (WebIO's `Error`, WinHTTP's `Result`, TCPIP's `Status`).
const ERROR_FIELD_NAMES: &[&str] = &[
    "error",
    "status",
    "result",
    "errorcode",
    "winerrorvalue",
    "hresult",
    "ntstatus",
];

/// Codes that mean "not finished yet" rather than failure: ERROR_IO_PENDING, STATUS_PENDING.
const PENDING_CODES: &[u32] = &[997, 259];

/// The error code a field holds: typed as one, or a plain integer in a field named like one
/// whose value the error table knows (so counters and flags are not read as codes).
pub fn named_error_value(name: &str, value: &Value) -> Option<u32> {
    if let Some(code) = error_value(value) {
        return Some(code);
    }
    if !ERROR_FIELD_NAMES
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n))
    {
        return None;
    }
    let code = match value {
        Value::UInt { value, .. } => u32::try_from(*value).ok()?,
        Value::Int { value, .. } => *value as u32,
        _ => return None,
    };
    (code == 0 || decode::errors::best_match(code).is_some()).then_some(code)
}

/// The free text of a WinHTTP/WebIO trace event (its message, else its first string field).
pub fn trace_text_of(d: &DecodedEvent) -> Option<&str> {
    if d.decoded_by == DecodedBy::None {
        return None;
    }
    d.message().filter(|m| m.contains("::")).or_else(|| {
        d.fields()
            .find_map(|(_, v)| v.as_str().filter(|s| s.contains("::")))
    })
}

/// Severity from decoded content: WinHTTP trace-text failures and error-typed fields.
pub fn classify_decoded(d: &DecodedEvent) -> Option<Severity> {
    let from_text =
        trace_text_of(d).and_then(
            |t| match trace_text::classify(&trace_text::parse_line(t))? {
                trace_text::Severity::Failure => Some(Severity::Failure),
                trace_text::Severity::Warning => Some(Severity::Warning),
            },
        );
    let from_fields = d
        .fields()
        .filter_map(|(name, v)| named_error_value(name, v))
        .any(|c| c != 0 && !PENDING_CODES.contains(&c))
        .then_some(Severity::Failure);
    from_text.max(from_fields)
}
