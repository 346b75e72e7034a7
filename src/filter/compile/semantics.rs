//! What a literal means for the field it is compared with (issue 19): error codes in every
//! spelling for error-valued fields, time literals (quoted, time of day, `local`), Network
//! Monitor's 100 ns tick units for its `FrameVariable.*` time names, and the names allowed
//! under a known prefix (`tcp.`, `http.`, `Property.`).

use super::{Catalog, FieldRef, Lit};
use crate::filter::ast::{Span, TimeLiteral};
use crate::filter::error::{FilterError, suggest};
use crate::filter::fields::Builtin;
use crate::filter::parser::time::{parse_time_prefix, time_error};
use decode::errors;

/// Payload field names that hold a Win32 error, HRESULT or NTSTATUS.
const ERROR_FIELD_NAMES: &[&str] = &[
    "error",
    "errorcode",
    "result",
    "status",
    "winerrorvalue",
    "hresult",
    "ntstatus",
    "win32error",
    "lasterror",
    "querystatus",
];

/// Network Monitor properties that are accepted names although etlview computes no value
/// for them (a comparison on them is false, as on a missing field).
const NETMON_PROPERTIES: &[&str] = &[
    "tcpretransmit",
    "tcpretransmits",
    "tcpsynretransmit",
    "tcpretranmit",
    "tcpretranmits",
];

/// Ticks (100 ns) per second: the unit of Network Monitor's `FrameVariable` times.
const TICKS_PER_SECOND: f64 = 1e7;

/// True for a field whose values are error codes.
pub(super) fn is_error_field(field: &FieldRef) -> bool {
    match field {
        FieldRef::Builtin(b) => matches!(
            b,
            Builtin::ErrorCode | Builtin::MappedFrom | Builtin::MappedTo
        ),
        FieldRef::Payload(name) => ERROR_FIELD_NAMES.contains(&name.as_str()),
        _ => false,
    }
}

/// Every spelling of the code `value` as a 32-bit number: itself, its Win32 number when it
/// is an HRESULT_FROM_WIN32 (`0x8007xxxx`), and that HRESULT when it is a Win32 number.
/// Negative decimals are the signed reading of the 32-bit value (`-2147012894`).
pub(super) fn error_equivalents(value: i128) -> Option<Vec<u64>> {
    let bits = if let Ok(signed) = i32::try_from(value) {
        signed as u32
    } else {
        u32::try_from(value).ok()?
    };
    let mut values = vec![u64::from(bits)];
    if bits & 0xFFFF_0000 == 0x8007_0000 {
        values.push(u64::from(bits & 0xFFFF));
    } else if bits != 0 && bits < 0x1_0000 {
        values.push(u64::from(0x8007_0000 | bits));
    }
    Some(values)
}

/// A numeric literal compared with an error field, as an error code matching every form.
pub(super) fn error_literal(lit: Lit) -> Lit {
    let Lit::Int(value) = lit else {
        return lit;
    };
    match error_equivalents(value) {
        Some(values) => {
            let symbol = values
                .iter()
                .find_map(|&v| errors::symbol_for(v as u32))
                .unwrap_or_default()
                .to_string();
            Lit::ErrorCode { symbol, values }
        }
        None => Lit::Int(value),
    }
}

/// A FILETIME for a parsed time literal: the trace's first day when only a time of day was
/// written, the capture's zone (header bias) when marked `local`, UTC otherwise.
pub(super) fn filetime_of(
    t: &TimeLiteral,
    catalog: &Catalog,
    span: &Span,
) -> Result<i64, FilterError> {
    let bias = chrono::Duration::minutes(i64::from(catalog.local_bias_minutes));
    let date = if t.time_of_day_only {
        let first = catalog.first_filetime.ok_or_else(|| {
            FilterError::new(
                span.clone(),
                "a time of day alone needs a trace with events: write the date too",
            )
        })?;
        let first = etl::clock::filetime_to_datetime(first).ok_or_else(|| {
            FilterError::new(span.clone(), "the trace's first time is out of range")
        })?;
        if t.local {
            (first - bias).date_naive()
        } else {
            first.date_naive()
        }
    } else {
        chrono::NaiveDate::from_ymd_opt(i32::from(t.year), u32::from(t.month), u32::from(t.day))
            .ok_or_else(|| FilterError::new(span.clone(), "this date does not exist"))?
    };
    let naive = date
        .and_hms_nano_opt(
            u32::from(t.hour),
            u32::from(t.minute),
            u32::from(t.second),
            t.nanosecond,
        )
        .ok_or_else(|| FilterError::new(span.clone(), "this date and time does not exist"))?;
    let mut utc =
        naive.and_utc() - chrono::Duration::minutes(i64::from(t.utc_offset_minutes.unwrap_or(0)));
    if t.local {
        // Windows: UTC = local time + Bias.
        utc += bias;
    }
    Ok(etl::clock::datetime_to_filetime(utc))
}

/// A quoted string compared with `Timestamp`: read as a time literal.
pub(super) fn quoted_time(text: &str, catalog: &Catalog, span: &Span) -> Result<Lit, FilterError> {
    let trimmed = text.trim();
    let parsed = parse_time_prefix(trimmed).and_then(|(t, used)| {
        if used == trimmed.len() {
            Ok(t)
        } else {
            Err(format!(
                "unexpected `{}` after the time",
                trimmed.get(used..).unwrap_or("")
            ))
        }
    });
    match parsed {
        Ok(t) => Ok(Lit::Time {
            filetime: filetime_of(&t, catalog, span)?,
            local: t.local,
        }),
        Err(reason) => Err(time_error(span.clone(), text, &reason)),
    }
}

/// Network Monitor's `FrameVariable.TimeDelta`/`TimeOffset` count 100 ns ticks: a plain
/// number compared with them is ticks. etlview's own `TimeDelta`/`TimeOffset` use seconds;
/// duration literals (`1s`, `500ms`) mean the same under either name.
pub(super) fn netmon_ticks(path: &str, field: &FieldRef, lit: Lit) -> Lit {
    let netmon_time = path.starts_with("framevariable.")
        && matches!(
            field,
            FieldRef::Builtin(Builtin::TimeDelta | Builtin::TimeOffset)
        );
    match lit {
        Lit::Int(ticks) if netmon_time => Lit::Duration(ticks as f64 / TICKS_PER_SECOND),
        Lit::Float(ticks) if netmon_time => Lit::Duration(ticks / TICKS_PER_SECOND),
        other => other,
    }
}

/// `http.response.code` → `http.response.statuscode`: a candidate sharing all but the last
/// segment whose last segment contains the typed one.
pub(super) fn closest_by_tail<'a>(path: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let (head, tail) = path.rsplit_once('.')?;
    candidates.iter().copied().find(|c| {
        c.rsplit_once('.').is_some_and(|(h, t)| {
            h.eq_ignore_ascii_case(head) && t.to_lowercase().contains(&tail.to_lowercase())
        })
    })
}

/// `Property.X`: a decoded payload field of that name, or one of Network Monitor's
/// properties; anything else is an error with the closest name.
pub(super) fn property(
    name: &str,
    shown: &str,
    catalog: &Catalog,
    span: &Span,
) -> Result<FieldRef, FilterError> {
    if catalog.payload_fields.contains(name) || NETMON_PROPERTIES.contains(&name) {
        return Ok(FieldRef::Payload(name.to_string()));
    }
    let mut candidates: Vec<&str> = catalog
        .display_names
        .iter()
        .map(String::as_str)
        .filter(|n| catalog.payload_fields.contains(&n.to_lowercase()))
        .collect();
    candidates.extend(["TCPRetransmit", "TCPSynRetransmit"]);
    let mut err = FilterError::new(
        span.clone(),
        format!(
            "unknown field `Property.{shown}`: no payload field or Network Monitor property has that name in this trace"
        ),
    );
    if let Some(s) = suggest(name, &candidates) {
        err = err.with_suggestion(format!("Property.{s}"));
    }
    Err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_have_their_hresult_and_win32_forms() {
        assert_eq!(error_equivalents(12002), Some(vec![12002, 0x8007_2EE2]));
        assert_eq!(
            error_equivalents(0x8007_2EE2),
            Some(vec![0x8007_2EE2, 12002])
        );
        assert_eq!(
            error_equivalents(-2_147_012_894),
            Some(vec![0x8007_2EE2, 12002])
        );
        assert_eq!(error_equivalents(0xC000_006D), Some(vec![0xC000_006D]));
        assert_eq!(error_equivalents(0), Some(vec![0]));
        assert_eq!(error_equivalents(1 << 40), None);
    }
}
