//! Presentation helpers for [`super::Value`]: times, SIDs, socket addresses, hex.

use super::IntFormat;
use std::fmt::{self, Write};

/// Seconds from 1601-01-01 (FILETIME epoch) to 1970-01-01 (Unix epoch).
const FILETIME_UNIX_OFFSET_SECS: i64 = 11_644_473_600;
const TICKS_PER_SEC: i64 = 10_000_000;

/// All-ones mask for an integer of `width` bytes (8 or more: all 64 bits).
pub(super) fn width_mask(width: u8) -> u64 {
    match width {
        1..=7 => (1u64 << (u32::from(width) * 8)) - 1,
        _ => u64::MAX,
    }
}

pub(super) fn write_hex_int(
    f: &mut fmt::Formatter<'_>,
    value: u64,
    format: IntFormat,
) -> fmt::Result {
    match format {
        // Status codes are conventionally read as 8 hex digits (0xC0000005).
        IntFormat::NtStatus | IntFormat::HResult => write!(f, "0x{value:08X}"),
        _ => write!(f, "0x{value:X}"),
    }
}

/// FILETIME as ISO-8601 UTC with 100-ns precision; out-of-range values as the raw number.
pub(super) fn write_filetime(f: &mut fmt::Formatter<'_>, filetime: i64) -> fmt::Result {
    if filetime < 0 {
        return write!(f, "{filetime}");
    }
    let secs = filetime / TICKS_PER_SEC - FILETIME_UNIX_OFFSET_SECS;
    let ticks = filetime % TICKS_PER_SEC;
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(dt) => write!(f, "{}.{ticks:07}Z", dt.format("%Y-%m-%dT%H:%M:%S")),
        None => write!(f, "{filetime}"),
    }
}

/// SYSTEMTIME parts: year, month, weekday, day, hour, minute, second, millisecond.
pub(super) fn write_systemtime(
    f: &mut fmt::Formatter<'_>,
    parts: &[u16; 8],
    utc: bool,
) -> fmt::Result {
    let [year, month, _weekday, day, hour, minute, second, millis] = *parts;
    write!(
        f,
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}"
    )?;
    if utc {
        f.write_char('Z')?;
    }
    Ok(())
}

/// `S-1-5-21-…`; an empty SID prints nothing, a malformed one as hex.
pub(super) fn write_sid(f: &mut fmt::Formatter<'_>, sid: &[u8]) -> fmt::Result {
    let Some((&[revision, sub_count], rest)) = sid.split_first_chunk::<2>() else {
        return write_hex_bytes(f, sid);
    };
    let Some((authority, subs)) = rest.split_first_chunk::<6>() else {
        return write_hex_bytes(f, sid);
    };
    if subs.len() < usize::from(sub_count) * 4 {
        return write_hex_bytes(f, sid);
    }
    let mut auth_bytes = [0u8; 8];
    auth_bytes[2..].copy_from_slice(authority);
    let authority = u64::from_be_bytes(auth_bytes);
    write!(f, "S-{revision}-")?;
    // Authorities that do not fit 32 bits are written in hex (ConvertSidToStringSid rule).
    if authority >> 32 == 0 {
        write!(f, "{authority}")?;
    } else {
        write!(f, "0x{authority:012X}")?;
    }
    for sub in subs.chunks_exact(4).take(usize::from(sub_count)) {
        if let [a, b, c, d] = *sub {
            write!(f, "-{}", u32::from_le_bytes([a, b, c, d]))?;
        }
    }
    Ok(())
}

/// Lower-case hex pairs without separators.
pub(super) fn write_hex_bytes(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
}

const AF_INET: u16 = 2;
const AF_INET6: u16 = 23;

/// `1.2.3.4:80` / `[::1]:443` (with `%scope` when set) for SOCKADDR_IN/IN6; hex otherwise.
pub(super) fn write_socket_address(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    let Some((&[f0, f1, p0, p1], rest)) = bytes.split_first_chunk::<4>() else {
        return write_hex_bytes(f, bytes);
    };
    let port = u16::from_be_bytes([p0, p1]);
    match u16::from_le_bytes([f0, f1]) {
        AF_INET => match rest.first_chunk::<4>() {
            Some(addr) => write!(f, "{}:{port}", std::net::Ipv4Addr::from(*addr)),
            None => write_hex_bytes(f, bytes),
        },
        AF_INET6 => {
            let Some((_flow_info, after_flow)) = rest.split_first_chunk::<4>() else {
                return write_hex_bytes(f, bytes);
            };
            let Some((addr, after_addr)) = after_flow.split_first_chunk::<16>() else {
                return write_hex_bytes(f, bytes);
            };
            write!(f, "[{}", std::net::Ipv6Addr::from(*addr))?;
            let scope = after_addr
                .first_chunk::<4>()
                .map(|s| u32::from_le_bytes(*s));
            if let Some(scope) = scope.filter(|s| *s != 0) {
                write!(f, "%{scope}")?;
            }
            write!(f, "]:{port}")
        }
        _ => write_hex_bytes(f, bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Value;

    #[test]
    fn filetime_is_iso_utc_with_ticks() {
        // 2020-02-17T12:48:30.4203137Z
        let unix = 1_581_943_710i64;
        let ft = (unix + 11_644_473_600) * 10_000_000 + 4_203_137;
        assert_eq!(
            Value::FileTime(ft).display(),
            "2020-02-17T12:48:30.4203137Z"
        );
        assert_eq!(Value::FileTime(-5).display(), "-5");
        assert_eq!(
            Value::FileTime(i64::MAX).display(),
            "+30828-09-14T02:48:05.4775807Z"
        );
    }

    #[test]
    fn systemtime_display() {
        let parts = [2024, 3, 0, 9, 14, 5, 7, 42];
        assert_eq!(
            Value::SystemTime { parts, utc: false }.display(),
            "2024-03-09T14:05:07.042"
        );
        assert_eq!(
            Value::SystemTime { parts, utc: true }.display(),
            "2024-03-09T14:05:07.042Z"
        );
    }

    #[test]
    fn sid_display() {
        // S-1-5-21-1-2-3-1001
        let mut sid = vec![1, 5, 0, 0, 0, 0, 0, 5];
        for sub in [21u32, 1, 2, 3, 1001] {
            sid.extend_from_slice(&sub.to_le_bytes());
        }
        assert_eq!(Value::Sid(sid).display(), "S-1-5-21-1-2-3-1001");
        assert_eq!(
            Value::Sid(vec![1, 1, 0, 0, 0, 0, 0, 18, 0, 0, 0, 0]).display(),
            "S-1-18-0"
        );
        let big_authority = vec![1, 0, 1, 0, 0, 0, 0, 0];
        assert_eq!(Value::Sid(big_authority).display(), "S-1-0x010000000000");
        assert_eq!(Value::Sid(vec![1, 2, 0]).display(), "010200");
        assert_eq!(Value::Sid(Vec::new()).display(), "");
    }

    #[test]
    fn socket_address_display() {
        let v4 = vec![2, 0, 0x01, 0xbb, 192, 168, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(Value::SocketAddress(v4).display(), "192.168.1.2:443");
        let mut v6 = vec![23, 0, 0x00, 0x50, 0, 0, 0, 0];
        v6.extend_from_slice(&[0; 15]);
        v6.push(1);
        v6.extend_from_slice(&3u32.to_le_bytes());
        assert_eq!(Value::SocketAddress(v6).display(), "[::1%3]:80");
        assert_eq!(Value::SocketAddress(vec![9, 9]).display(), "0909");
    }
}
