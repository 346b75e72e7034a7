//! What a user types for `etlview err` (number in any spelling, or a symbol name) and the
//! err.exe-style answer.

use std::fmt::Write as _;

use thiserror::Error;

use super::{ErrorCode, FACILITY_NT_BIT, SEVERITY_BIT, TABLE, by_symbol, by_value, fold_to_u32};

/// Bit 30: set together with bit 31 in NTSTATUS errors (0xCxxxxxxx), reserved in HRESULTs.
const NT_ERROR_BIT: u32 = 0x4000_0000;

/// Why a user's `etlview err` argument could not be read. Columns are 1-based characters.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ErrLookupError {
    #[error(
        "no error code given: type a number (1460, 0x5b4, 0x800705b4, -2147023436) or a symbol name (ERROR_TIMEOUT)"
    )]
    Empty,
    #[error("{input:?}: expected {radix_name} digits at column {column}, found none")]
    MissingDigits {
        input: String,
        column: usize,
        radix_name: &'static str,
    },
    #[error("{input:?}: {found:?} at column {column} is not a {radix_name} digit")]
    InvalidDigit {
        input: String,
        column: usize,
        found: char,
        radix_name: &'static str,
    },
    #[error(
        "{input:?}: {found:?} at column {column} cannot be part of a number or of a symbol name (letters, digits, '_')"
    )]
    InvalidCharacter {
        input: String,
        column: usize,
        found: char,
    },
    #[error("{input:?} does not fit in 32 bits: need -2147483648..=4294967295 (0x0..=0xFFFFFFFF)")]
    OutOfRange { input: String },
}

/// What a user typed for `etlview err`, once read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrQuery<'a> {
    /// A number, negative input already folded to its 32-bit two's complement.
    Value(u32),
    /// Something shaped like a symbol name (known or not).
    Symbol(&'a str),
}

/// Reads what a user types for `etlview err`: decimal (`1460`), `0x` hex (`0x5b4`,
/// `0x800705b4`), bare hex containing a letter (`80072efe`), negative decimal or hex
/// (`-2147023436`), or a symbol name (`ERROR_TIMEOUT`, any case). A known symbol wins over
/// bare hex (so `E_FAIL`-like names never read as numbers).
pub fn parse_err_arg(arg: &str) -> Result<ErrQuery<'_>, ErrLookupError> {
    let leading = arg.len().saturating_sub(arg.trim_start().len());
    let trimmed = arg.trim();
    if trimmed.is_empty() {
        return Err(ErrLookupError::Empty);
    }
    if by_symbol(trimmed).is_some() {
        return Ok(ErrQuery::Symbol(trimmed));
    }
    let column_of = |offset_in_trimmed: usize| {
        let end = leading.saturating_add(offset_in_trimmed);
        arg.get(..end)
            .map_or(1, |before| before.chars().count().saturating_add(1))
    };
    let (negative, unsigned, sign_len) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, trimmed.get(1..).unwrap_or(""), 1),
        Some(b'+') => (false, trimmed.get(1..).unwrap_or(""), 1),
        _ => (false, trimmed, 0),
    };
    let hex_digits = unsigned
        .strip_prefix("0x")
        .or_else(|| unsigned.strip_prefix("0X"));
    let (radix, digits, digits_at) = if let Some(digits) = hex_digits {
        (16, digits, sign_len + 2)
    } else if sign_len == 0
        && !unsigned.bytes().all(|b| b.is_ascii_digit())
        && unsigned.bytes().all(|b| b.is_ascii_hexdigit())
    {
        (16, unsigned, 0)
    } else if sign_len == 0 && !unsigned.starts_with(|c: char| c.is_ascii_digit()) {
        // Not a number: a symbol name (unknown, or it would have matched above) or junk.
        return match trimmed
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
        {
            None => Ok(ErrQuery::Symbol(trimmed)),
            Some((offset, found)) => Err(ErrLookupError::InvalidCharacter {
                input: arg.to_string(),
                column: column_of(offset),
                found,
            }),
        };
    } else {
        (10, unsigned, sign_len)
    };
    let radix_name = if radix == 16 { "hex" } else { "decimal" };
    if digits.is_empty() {
        return Err(ErrLookupError::MissingDigits {
            input: arg.to_string(),
            column: column_of(digits_at),
            radix_name,
        });
    }
    let out_of_range = || ErrLookupError::OutOfRange {
        input: arg.to_string(),
    };
    let mut magnitude: u64 = 0;
    for (offset, c) in digits.char_indices() {
        let digit = c
            .to_digit(radix)
            .ok_or_else(|| ErrLookupError::InvalidDigit {
                input: arg.to_string(),
                column: column_of(digits_at.saturating_add(offset)),
                found: c,
                radix_name,
            })?;
        magnitude = magnitude
            .checked_mul(u64::from(radix))
            .and_then(|m| m.checked_add(u64::from(digit)))
            .ok_or_else(out_of_range)?;
    }
    let signed = i64::try_from(magnitude).map_err(|_| out_of_range())?;
    let value = if negative { -signed } else { signed };
    match u32::try_from(value) {
        Ok(unsigned) => Ok(ErrQuery::Value(unsigned)),
        Err(_) if negative => fold_to_u32(value)
            .map(ErrQuery::Value)
            .ok_or_else(out_of_range),
        Err(_) => Err(out_of_range()),
    }
}

/// [`parse_err_arg`] followed by the lookup. A symbol that is no exact name finds the
/// symbols containing it (`WINHTTP_TIMEOUT`). An unknown symbol or number gives `Ok(vec![])`.
pub fn lookup_arg(arg: &str) -> Result<Vec<&'static ErrorCode>, ErrLookupError> {
    Ok(match parse_err_arg(arg)? {
        ErrQuery::Value(value) => by_value(value),
        ErrQuery::Symbol(name) => match by_symbol(name) {
            Some(code) => vec![code],
            None => symbols_containing(name),
        },
    })
}

/// Symbols containing `part` (case-insensitive, at least 3 characters), in table order.
pub fn symbols_containing(part: &str) -> Vec<&'static ErrorCode> {
    let part = part.trim().to_ascii_uppercase();
    if part.len() < 3 {
        return Vec::new();
    }
    TABLE
        .rows
        .iter()
        .filter(|row| row.symbol.to_ascii_uppercase().contains(&part))
        .collect()
}

/// The known symbol closest to a misspelt `name` (edit distance at most a third of its
/// length), for "did you mean".
pub fn closest_symbol(name: &str) -> Option<&'static str> {
    let name = name.trim().to_ascii_uppercase();
    let limit = (name.len() / 3).max(1);
    TABLE
        .rows
        .iter()
        .filter(|row| row.symbol.len().abs_diff(name.len()) <= limit)
        .map(|row| {
            (
                edit_distance(&name, &row.symbol.to_ascii_uppercase()),
                row.symbol,
            )
        })
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, symbol)| symbol)
}

/// Levenshtein distance over bytes (symbols are ASCII), with transpositions counted as one.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

/// err.exe-style text for `etlview err ARG`: the number in its forms, matches grouped by family
/// (table order), and a count line.
pub fn render_err(arg: &str, matches: &[&ErrorCode]) -> String {
    let shown_arg = arg.trim();
    let mut out = String::new();
    match parse_err_arg(arg) {
        Ok(ErrQuery::Value(value)) => {
            let _ = writeln!(out, "# for {shown_arg:?}: {}", describe_value(value));
            if let Some(layout) = describe_layout(value) {
                let _ = writeln!(out, "# {layout}");
            }
        }
        _ => {
            let _ = writeln!(out, "# for {shown_arg:?}");
        }
    }
    let width = matches.iter().map(|m| m.symbol.len()).max().unwrap_or(0);
    let family_order = |family: &str| {
        TABLE
            .families
            .iter()
            .position(|known| *known == family)
            .unwrap_or(usize::MAX)
    };
    let mut families: Vec<&str> = Vec::new();
    for row in matches {
        if !families.contains(&row.family) {
            families.push(row.family);
        }
    }
    families.sort_by_key(|family| family_order(family));
    for family in families {
        let _ = writeln!(out, "# {family}");
        for row in matches.iter().filter(|row| row.family == family) {
            let _ = writeln!(out, "  {:<width$}  {}", row.symbol, format_row_numbers(row));
            let _ = writeln!(out, "      {}", row.description);
        }
    }
    match matches.len() {
        0 => {
            let _ = writeln!(out, "# no match found for {shown_arg:?}");
        }
        1 => {
            let _ = writeln!(out, "# 1 match found for {shown_arg:?}");
        }
        n => {
            let _ = writeln!(out, "# {n} matches found for {shown_arg:?}");
        }
    }
    out
}

/// `0x80072EFE = 2147954430 = -2147012866`; small values stay `1460 = 0x5B4`.
fn describe_value(value: u32) -> String {
    // Reinterpreting the bits as signed is exactly what is being shown.
    let signed = value as i32;
    if signed < 0 {
        format!("0x{value:08X} = {value} = {signed}")
    } else {
        format!("{value} = 0x{value:X}")
    }
}

/// How the bits of a large value read as an HRESULT or NTSTATUS, like err.exe's extra line.
fn describe_layout(value: u32) -> Option<String> {
    if value & SEVERITY_BIT == 0 {
        return None;
    }
    let facility = (value >> 16) & 0x0FFF;
    let low = value & 0xFFFF;
    if value & FACILITY_NT_BIT != 0 {
        let status = value & !FACILITY_NT_BIT;
        return Some(format!("as an HRESULT: HRESULT_FROM_NT(0x{status:08X})"));
    }
    if value & NT_ERROR_BIT != 0 {
        return Some(format!(
            "as an NTSTATUS: error severity, facility 0x{facility:X}, code 0x{low:X}"
        ));
    }
    let facility_name = match facility {
        0 => " (NULL)",
        4 => " (ITF)",
        7 => " (WIN32)",
        9 => " (SECURITY)",
        11 => " (CERT)",
        _ => "",
    };
    let mut text = format!(
        "as an HRESULT: failure, facility {facility}{facility_name}, code {low} (0x{low:X})"
    );
    if facility == 7 {
        let _ = write!(text, " = HRESULT_FROM_WIN32({low})");
    }
    Some(text)
}

fn format_row_numbers(row: &ErrorCode) -> String {
    let mut text = if row.code > 0xFFFF {
        format!("0x{:08X}", row.code)
    } else {
        format!("{} (0x{:X})", row.code, row.code)
    };
    if let Some(hresult) = row.hresult.filter(|&h| h != row.code) {
        let _ = write!(text, "  HRESULT 0x{hresult:08X}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The TSV's own text columns, read independently of the table parser.
    fn raw_rows() -> Vec<[&'static str; 6]> {
        super::super::TABLE_TEXT
            .lines()
            .skip(1)
            .filter(|line| !line.trim().is_empty())
            .filter_map(|line| {
                let fields: Vec<&str> = line.split('\t').collect();
                <[&str; 6]>::try_from(fields.as_slice()).ok()
            })
            .collect()
    }

    fn found(arg: &str) -> Vec<&'static str> {
        match lookup_arg(arg) {
            Ok(rows) => rows.iter().map(|row| row.symbol).collect(),
            Err(err) => panic!("{arg:?} should parse: {err}"),
        }
    }

    #[test]
    fn every_row_is_found_by_decimal_hex_hresult_and_symbol() {
        let rows = raw_rows();
        assert_eq!(rows.len(), super::super::table().len());
        for [decimal, hex, hresult, symbol, _, _] in rows {
            assert!(
                found(decimal).contains(&symbol),
                "{symbol} by decimal {decimal}"
            );
            assert!(found(hex).contains(&symbol), "{symbol} by hex {hex}");
            if !hresult.is_empty() {
                assert!(
                    found(hresult).contains(&symbol),
                    "{symbol} by HRESULT {hresult}"
                );
            }
            assert_eq!(found(symbol), [symbol]);
            assert_eq!(found(&symbol.to_ascii_lowercase()), [symbol]);
        }
    }

    #[test]
    fn hresult_0x80072efe_lists_both_12030_names() {
        let rows = lookup_arg("0x80072efe").unwrap_or_default();
        let names: Vec<_> = rows.iter().map(|row| row.symbol).collect();
        let both = [
            "ERROR_WINHTTP_CONNECTION_ERROR",
            "ERROR_INTERNET_CONNECTION_ABORTED",
        ];
        assert_eq!(names, both);
        let text = render_err("0x80072efe", &rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "# for \"0x80072efe\": 0x80072EFE = 2147954430 = -2147012866",
                "# as an HRESULT: failure, facility 7 (WIN32), code 12030 (0x2EFE) = HRESULT_FROM_WIN32(12030)",
                "# winhttp",
                "  ERROR_WINHTTP_CONNECTION_ERROR     12030 (0x2EFE)  HRESULT 0x80072EFE",
                "      Established connection failed mid-exchange: reset, aborted or closed by the peer (same number as ERROR_INTERNET_CONNECTION_ABORTED, HRESULT 0x80072EFE)",
                "# wininet",
                "  ERROR_INTERNET_CONNECTION_ABORTED  12030 (0x2EFE)  HRESULT 0x80072EFE",
                "      Connection with the server was ended abnormally (HRESULT 0x80072EFE, ARR 502.3; same number as ERROR_WINHTTP_CONNECTION_ERROR)",
                "# 2 matches found for \"0x80072efe\"",
            ]
        );
    }

    #[test]
    fn decimal_1460_is_error_timeout_in_every_spelling() {
        let spellings = [
            "1460",
            "0x5b4",
            "0X5B4",
            "0x800705b4",
            "800705B4",
            "-2147023436",
            " 1460 ",
        ];
        for arg in spellings {
            assert_eq!(found(arg), ["ERROR_TIMEOUT"], "{arg}");
        }
        let text = render_err("1460", &lookup_arg("1460").unwrap_or_default());
        assert_eq!(
            text.lines().collect::<Vec<_>>(),
            [
                "# for \"1460\": 1460 = 0x5B4",
                "# win32",
                "  ERROR_TIMEOUT  1460 (0x5B4)  HRESULT 0x800705B4",
                "      Operation returned because the timeout expired; shows up as '? (1460)' / 0x5b4 in WinHTTP traces before being mapped to 12002",
                "# 1 match found for \"1460\"",
            ]
        );
    }

    #[test]
    fn negative_numbers_are_twos_complement() {
        assert_eq!(found("-1073741536"), ["STATUS_CANCELLED"]);
        assert_eq!(found("-0x3ffffee0"), ["STATUS_CANCELLED"]);
        assert_eq!(
            parse_err_arg("-2147483648"),
            Ok(ErrQuery::Value(0x8000_0000))
        );
        assert_eq!(parse_err_arg("-0"), Ok(ErrQuery::Value(0)));
        assert_eq!(parse_err_arg("+12"), Ok(ErrQuery::Value(12)));
    }

    #[test]
    fn ntstatus_and_hresult_from_nt_layouts() {
        let nt_hresult = render_err("0xD0000120", &by_value(0xD000_0120));
        assert!(nt_hresult.contains("# as an HRESULT: HRESULT_FROM_NT(0xC0000120)\n"));
        let status = render_err("0xC0000120", &by_value(0xC000_0120));
        assert!(status.contains("# as an NTSTATUS: error severity, facility 0x0, code 0x120\n"));
        assert!(status.contains("\n# ntstatus\n  STATUS_CANCELLED  0xC0000120\n"));
    }

    #[test]
    fn symbol_argument_renders_without_number_header() {
        let text = render_err(
            "wsaetimedout",
            &lookup_arg("wsaetimedout").unwrap_or_default(),
        );
        assert!(
            text.starts_with("# for \"wsaetimedout\"\n# winsock\n  WSAETIMEDOUT  10060 (0x274C)")
        );
    }

    #[test]
    fn unknown_values_give_empty_results() {
        for arg in ["4242", "0xDEADBEEF", "deadbeef", "ERROR_NOT_IN_THE_TABLE"] {
            assert_eq!(lookup_arg(arg), Ok(vec![]), "{arg}");
        }
        assert_eq!(
            parse_err_arg("error_timeout"),
            Ok(ErrQuery::Symbol("error_timeout"))
        );
        assert_eq!(parse_err_arg("deadbeef"), Ok(ErrQuery::Value(0xDEAD_BEEF)));
        let text = render_err("4242", &[]);
        assert_eq!(
            text,
            "# for \"4242\": 4242 = 0x1092\n# no match found for \"4242\"\n"
        );
    }

    #[test]
    fn bad_input_gives_a_clear_error() {
        assert_eq!(lookup_arg("   "), Err(ErrLookupError::Empty));
        let digit = lookup_arg("12x4");
        let want = ErrLookupError::InvalidDigit {
            input: "12x4".into(),
            column: 3,
            found: 'x',
            radix_name: "decimal",
        };
        assert_eq!(digit, Err(want));
        let message = lookup_arg("12x4").err().map(|err| err.to_string());
        let want_message = "\"12x4\": 'x' at column 3 is not a decimal digit";
        assert_eq!(message.as_deref(), Some(want_message));
        let hex = ErrLookupError::InvalidDigit {
            input: "0xZZ".into(),
            column: 3,
            found: 'Z',
            radix_name: "hex",
        };
        assert_eq!(lookup_arg("0xZZ"), Err(hex));
        let missing = ErrLookupError::MissingDigits {
            input: " -0x".into(),
            column: 5,
            radix_name: "hex",
        };
        assert_eq!(lookup_arg(" -0x"), Err(missing));
        let space = ErrLookupError::InvalidCharacter {
            input: "ERROR TIMEOUT".into(),
            column: 6,
            found: ' ',
        };
        assert_eq!(lookup_arg("ERROR TIMEOUT"), Err(space));
        let accent = ErrLookupError::InvalidCharacter {
            input: "é1".into(),
            column: 1,
            found: 'é',
        };
        assert_eq!(lookup_arg("é1"), Err(accent));
        for too_big in [
            "4294967296",
            "0x100000000",
            "-2147483649",
            "99999999999999999999999",
        ] {
            let want = ErrLookupError::OutOfRange {
                input: too_big.into(),
            };
            assert_eq!(lookup_arg(too_big), Err(want), "{too_big}");
        }
    }

    proptest! {
        #[test]
        fn decimal_hex_and_signed_spellings_agree(value in any::<u32>()) {
            let decimal = value.to_string();
            let hex = format!("{value:#x}");
            // The signed spelling of the same 32 bits.
            let signed = (value as i32).to_string();
            for arg in [&decimal, &hex, &signed] {
                prop_assert_eq!(parse_err_arg(arg), Ok(ErrQuery::Value(value)));
            }
        }

        #[test]
        fn arbitrary_input_never_panics(arg in "\\PC{0,40}") {
            let rendered = match lookup_arg(&arg) {
                Ok(rows) => render_err(&arg, &rows),
                Err(err) => err.to_string(),
            };
            prop_assert!(!rendered.is_empty());
        }
    }

    #[test]
    fn names_by_part_and_closest_misspelling() {
        let found: Vec<&str> = super::symbols_containing("winhttp_timeout")
            .iter()
            .map(|c| c.symbol)
            .collect();
        assert_eq!(found, ["ERROR_WINHTTP_TIMEOUT"]);
        assert!(super::symbols_containing("SEC_E_").len() > 30);
        assert!(
            super::symbols_containing("E").is_empty(),
            "too short to mean anything"
        );
        assert_eq!(
            super::closest_symbol("ERROR_WINHTTP_TIMEUOT"),
            Some("ERROR_WINHTTP_TIMEOUT")
        );
        assert_eq!(super::closest_symbol("NOTHING_LIKE_IT_AT_ALL_XYZ"), None);
        assert_eq!(
            super::lookup_arg("logon_failure").unwrap().len(),
            2,
            "ERROR_LOGON_FAILURE and STATUS_LOGON_FAILURE"
        );
    }
}
