//! Failure and warning classification: the marks computed at open and the tests behind them.

use uuid::{Uuid, uuid};

use super::{Severity, Source, Timeline};
use decode::trace_text;
use decode::value::{IntFormat, Value};
use decode::{DecodedBy, DecodedEvent};
use etl::ProviderId;

pub const WINHTTP_PROVIDER: Uuid = uuid!("7d44233d-3055-4b9c-ba64-0d47ca40a232");
pub const WEBIO_PROVIDER: Uuid = uuid!("50b3e73c-9370-461d-bb9f-26f32d68887d");

/// Providers whose events carry WinHTTP/WebIO trace text.
pub(super) fn is_text_provider(p: ProviderId) -> bool {
    matches!(p, ProviderId::Guid(g) if g == WINHTTP_PROVIDER || g == WEBIO_PROVIDER)
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
        .filter_map(|(_, v)| error_value(v))
        .any(|c| c != 0 && c != 997 && c != 259)
        .then_some(Severity::Failure);
    from_text.max(from_fields)
}
