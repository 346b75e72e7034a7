//! Windows error codes (WinHTTP, WinINet, Winsock, Win32, NTSTATUS, HRESULT) and the lookups
//! behind `etlview err` and the decoding of numbers found in trace text.
//!
//! The codes are data, not code: `parsers/error-codes.tsv` is embedded with `include_str!` and
//! parsed once on first use. One number can mean several things (12030 is both
//! ERROR_WINHTTP_CONNECTION_ERROR and ERROR_INTERNET_CONNECTION_ABORTED, 258 is both WAIT_TIMEOUT
//! and STATUS_TIMEOUT), so lookups by number return every row that fits and [`best_match`]
//! picks one for compact display.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Serialize;
use thiserror::Error;

// Reading and answering what a user types for `etlview err`.
#[path = "errors/query.rs"]
mod query;
pub use query::{
    ErrLookupError, ErrQuery, closest_symbol, lookup_arg, parse_err_arg, render_err,
    symbols_containing,
};

/// The shipped table; columns: code_decimal, code_hex, hresult_hex, symbol, family, description.
const TABLE_TEXT: &str = include_str!("../../../parsers/error-codes.tsv");
const COLUMNS: [&str; 6] = [
    "code_decimal",
    "code_hex",
    "hresult_hex",
    "symbol",
    "family",
    "description",
];

/// `0x8007xxxx` is HRESULT_FROM_WIN32(xxxx) (severity 1, facility 7).
const HRESULT_WIN32_PREFIX: u32 = 0x8007_0000;
/// HRESULT_FROM_NT sets this "N" bit on an NTSTATUS.
const FACILITY_NT_BIT: u32 = 0x1000_0000;
const SEVERITY_BIT: u32 = 0x8000_0000;

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ErrorCode {
    /// The value as stored (Win32/Winsock/WinINet/WinHTTP number, NTSTATUS or HRESULT).
    pub code: u32,
    /// The HRESULT form when the table gives one (absent for NTSTATUS rows).
    pub hresult: Option<u32>,
    pub symbol: &'static str,
    /// `winhttp`, `wininet`, `winsock`, `win32`, `ntstatus` or `hresult`.
    pub family: &'static str,
    pub description: &'static str,
}

impl ErrorCode {
    /// True when `code` is a Win32-style error number, i.e. what `0x8007xxxx` wraps.
    pub fn is_win32_number(&self) -> bool {
        matches!(self.family, "winhttp" | "wininet" | "winsock" | "win32")
    }
}

/// A row of the shipped TSV that could not be used (reported by [`table_problems`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TableError {
    #[error(
        "error-codes.tsv line 1: header is {found:?}, need code_decimal, code_hex, hresult_hex, symbol, family, description"
    )]
    Header { found: String },
    #[error("error-codes.tsv line {line}: need {need} tab-separated fields, have {have}")]
    FieldCount {
        line: usize,
        need: usize,
        have: usize,
    },
    #[error("error-codes.tsv line {line}, column {column}: {value:?} is not {expected}")]
    BadValue {
        line: usize,
        column: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("error-codes.tsv line {line}: code_decimal {decimal} and code_hex {hex:#X} disagree")]
    CodeMismatch { line: usize, decimal: u32, hex: u32 },
    #[error("error-codes.tsv line {line}: symbol {symbol} is already defined on line {first_line}")]
    DuplicateSymbol {
        line: usize,
        symbol: String,
        first_line: usize,
    },
}

struct Table {
    rows: Vec<ErrorCode>,
    problems: Vec<TableError>,
    /// Families in order of first appearance; also the display order.
    families: Vec<&'static str>,
    by_code: HashMap<u32, Vec<usize>>,
    by_hresult: HashMap<u32, Vec<usize>>,
    /// Upper-cased symbol -> row index.
    by_symbol: HashMap<String, usize>,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| Table::parse(TABLE_TEXT));

impl Table {
    fn parse(text: &'static str) -> Table {
        let mut table = Table {
            rows: Vec::new(),
            problems: Vec::new(),
            families: Vec::new(),
            by_code: HashMap::new(),
            by_hresult: HashMap::new(),
            by_symbol: HashMap::new(),
        };
        let mut symbol_lines: HashMap<String, usize> = HashMap::new();
        let mut lines = text.lines().enumerate();
        if let Some((_, header)) = lines.next()
            && !header.split('\t').eq(COLUMNS)
        {
            table.problems.push(TableError::Header {
                found: header.to_string(),
            });
        }
        for (index, raw) in lines {
            let line = index + 1;
            if raw.trim().is_empty() {
                continue;
            }
            let row = match parse_row(line, raw) {
                Ok(row) => row,
                Err(problem) => {
                    table.problems.push(problem);
                    continue;
                }
            };
            let key = row.symbol.to_ascii_uppercase();
            if let Some(&first_line) = symbol_lines.get(&key) {
                table.problems.push(TableError::DuplicateSymbol {
                    line,
                    symbol: row.symbol.to_string(),
                    first_line,
                });
                continue;
            }
            let position = table.rows.len();
            symbol_lines.insert(key.clone(), line);
            table.by_symbol.insert(key, position);
            table.by_code.entry(row.code).or_default().push(position);
            if let Some(hresult) = row.hresult {
                table.by_hresult.entry(hresult).or_default().push(position);
            }
            if !table.families.contains(&row.family) {
                table.families.push(row.family);
            }
            table.rows.push(row);
        }
        table
    }

    fn positions(&self, map: &HashMap<u32, Vec<usize>>, key: u32) -> impl Iterator<Item = usize> {
        map.get(&key).into_iter().flatten().copied()
    }

    fn row(&self, position: usize) -> Option<&ErrorCode> {
        self.rows.get(position)
    }

    /// Row positions matching `value` read as any of the number kinds, in table order.
    fn matching_positions(&self, value: u32) -> Vec<usize> {
        let mut found: Vec<usize> = self.positions(&self.by_code, value).collect();
        found.extend(self.positions(&self.by_hresult, value));
        if value & 0xFFFF_0000 == HRESULT_WIN32_PREFIX {
            // Covers rows whose HRESULT column is blank.
            let win32 = value & 0xFFFF;
            found.extend(
                self.positions(&self.by_code, win32)
                    .filter(|&p| self.row(p).is_some_and(ErrorCode::is_win32_number)),
            );
        }
        if value & (SEVERITY_BIT | FACILITY_NT_BIT) == SEVERITY_BIT | FACILITY_NT_BIT {
            let status = value & !FACILITY_NT_BIT;
            found.extend(
                self.positions(&self.by_code, status)
                    .filter(|&p| self.row(p).is_some_and(|r| r.family == "ntstatus")),
            );
        }
        found.sort_unstable();
        found.dedup();
        found
    }
}

fn parse_row(line: usize, raw: &'static str) -> Result<ErrorCode, TableError> {
    let fields: Vec<&'static str> = raw.split('\t').collect();
    let [decimal, hex, hresult, symbol, family, description] = fields.as_slice() else {
        return Err(TableError::FieldCount {
            line,
            need: COLUMNS.len(),
            have: fields.len(),
        });
    };
    let bad = |column: &'static str, value: &str, expected: &'static str| TableError::BadValue {
        line,
        column,
        value: value.to_string(),
        expected,
    };
    let code = parse_table_decimal(decimal)
        .ok_or_else(|| bad("code_decimal", decimal, "a decimal number up to 4294967295"))?;
    let code_hex = parse_table_hex(hex)
        .ok_or_else(|| bad("code_hex", hex, "a 0x-prefixed 32-bit hex number"))?;
    if code != code_hex {
        return Err(TableError::CodeMismatch {
            line,
            decimal: code,
            hex: code_hex,
        });
    }
    let hresult = if hresult.is_empty() {
        None
    } else {
        Some(parse_table_hex(hresult).ok_or_else(|| {
            bad(
                "hresult_hex",
                hresult,
                "empty or a 0x-prefixed 32-bit hex number",
            )
        })?)
    };
    if !is_identifier(symbol) {
        return Err(bad(
            "symbol",
            symbol,
            "a name made of letters, digits and '_'",
        ));
    }
    if family.is_empty()
        || !family
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(bad("family", family, "a lower-case family name"));
    }
    Ok(ErrorCode {
        code,
        hresult,
        symbol,
        family,
        description,
    })
}

fn parse_table_decimal(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn parse_table_hex(text: &str) -> Option<u32> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Preference when one number has several names: WinHTTP first (this is a WinHTTP tool), then
/// plain Win32 over its Winsock alias, then the rest.
fn family_rank(family: &str) -> u8 {
    match family {
        "winhttp" => 0,
        "win32" => 1,
        "winsock" => 2,
        "wininet" => 3,
        "ntstatus" => 4,
        "hresult" => 5,
        _ => 6,
    }
}

/// Every row of the table, in file order.
pub fn table() -> &'static [ErrorCode] {
    &TABLE.rows
}

/// Rows of the shipped TSV that were skipped; empty for a healthy build.
pub fn table_problems() -> &'static [TableError] {
    &TABLE.problems
}

/// Rows matching `value` read as a stored code, an HRESULT, the Win32 code inside a
/// `0x8007xxxx` HRESULT, or the NTSTATUS inside an HRESULT_FROM_NT value. Negative numbers are
/// taken as their 32-bit two's complement; values outside 32 bits match nothing.
pub fn by_code(value: i64) -> Vec<&'static ErrorCode> {
    fold_to_u32(value).map(by_value).unwrap_or_default()
}

/// [`by_code`] for a value that is already 32-bit.
pub fn by_value(value: u32) -> Vec<&'static ErrorCode> {
    let table = &*TABLE;
    table
        .matching_positions(value)
        .into_iter()
        .filter_map(|p| table.row(p))
        .collect()
}

/// The single best name for `value`: an exact code match beats one found through an HRESULT,
/// then [`family_rank`] decides (WinHTTP for 12xxx, Win32 over Winsock aliases).
pub fn best_match(value: u32) -> Option<&'static ErrorCode> {
    by_value(value)
        .into_iter()
        .min_by_key(|row| (row.code != value, family_rank(row.family)))
}

/// Symbol for quick display, e.g. `symbol_for(12002) == Some("ERROR_WINHTTP_TIMEOUT")`.
pub fn symbol_for(value: u32) -> Option<&'static str> {
    best_match(value).map(|row| row.symbol)
}

/// The best row for `value` within one family (case-insensitive), e.g. NTSTATUS for TCPIP
/// `Status` fields, where 258 must read STATUS_TIMEOUT rather than WAIT_TIMEOUT.
pub fn lookup_in_family(value: u32, family: &str) -> Option<&'static ErrorCode> {
    by_value(value)
        .into_iter()
        .filter(|row| row.family.eq_ignore_ascii_case(family))
        .min_by_key(|row| row.code != value)
}

/// Case-insensitive lookup by symbol name.
pub fn by_symbol(name: &str) -> Option<&'static ErrorCode> {
    let table = &*TABLE;
    let position = *table.by_symbol.get(&name.trim().to_ascii_uppercase())?;
    table.row(position)
}

fn fold_to_u32(value: i64) -> Option<u32> {
    match u32::try_from(value) {
        Ok(unsigned) => Some(unsigned),
        // Two's complement reinterpretation of a negative 32-bit value is the intent here.
        Err(_) => i32::try_from(value).ok().map(|signed| signed as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symbols(rows: &[&ErrorCode]) -> Vec<&'static str> {
        rows.iter().map(|row| row.symbol).collect()
    }

    #[test]
    fn shipped_table_parses_without_problems() {
        assert_eq!(table_problems(), &[] as &[TableError]);
        let data_lines = TABLE_TEXT.lines().skip(1).filter(|l| !l.trim().is_empty());
        assert_eq!(table().len(), data_lines.count());
        assert_eq!(table().len(), 499);
        let expected = [
            "winhttp", "wininet", "winsock", "win32", "ntstatus", "hresult",
        ];
        assert_eq!(TABLE.families, expected);
        let first = table().first().copied();
        assert_eq!(
            first.map(|row| (row.code, row.hresult)),
            Some((12001, Some(0x8007_2EE1)))
        );
        let cancelled = by_symbol("STATUS_CANCELLED").expect("known");
        assert_eq!((cancelled.code, cancelled.hresult), (0xC000_0120, None));
    }

    #[test]
    fn shared_numbers_return_every_family() {
        let timeouts = symbols(&by_code(12002));
        assert_eq!(
            timeouts,
            ["ERROR_WINHTTP_TIMEOUT", "ERROR_INTERNET_TIMEOUT"]
        );
        assert_eq!(symbols(&by_code(258)), ["WAIT_TIMEOUT", "STATUS_TIMEOUT"]);
        let zero = symbols(&by_code(0));
        assert_eq!(zero, ["ERROR_SUCCESS", "STATUS_SUCCESS", "S_OK"]);
        // The stored HRESULT row and the Win32 row it wraps.
        let denied = symbols(&by_code(0x8007_0005));
        assert_eq!(denied, ["ERROR_ACCESS_DENIED", "E_ACCESSDENIED"]);
        let aborted = symbols(&by_code(0x8007_2EFE));
        let both = [
            "ERROR_WINHTTP_CONNECTION_ERROR",
            "ERROR_INTERNET_CONNECTION_ABORTED",
        ];
        assert_eq!(aborted, both);
        // A Win32 number never pulls in an NTSTATUS through the HRESULT rule.
        assert_eq!(symbols(&by_code(0x8007_0102)), ["WAIT_TIMEOUT"]);
    }

    #[test]
    fn negative_and_oversized_numbers() {
        let signed = by_code(-2_147_012_866);
        assert_eq!(symbols(&signed), symbols(&by_code(0x8007_2EFE)));
        assert_eq!(symbols(&by_code(-1_073_741_536)), ["STATUS_CANCELLED"]);
        assert!(by_code(i64::from(i32::MIN) - 1).is_empty());
        assert!(by_code(i64::from(u32::MAX) + 1).is_empty());
        assert!(by_code(i64::MIN).is_empty());
    }

    #[test]
    fn hresult_from_nt_finds_the_ntstatus() {
        assert_eq!(symbols(&by_value(0xD000_0120)), ["STATUS_CANCELLED"]);
        // The N bit on a non-error value is not HRESULT_FROM_NT.
        assert!(by_value(0x1000_0000).is_empty());
    }

    #[test]
    fn best_match_prefers_exact_winhttp_and_win32() {
        assert_eq!(symbol_for(12002), Some("ERROR_WINHTTP_TIMEOUT"));
        assert_eq!(symbol_for(12030), Some("ERROR_WINHTTP_CONNECTION_ERROR"));
        assert_eq!(symbol_for(12003), Some("ERROR_INTERNET_EXTENDED_ERROR"));
        assert_eq!(symbol_for(995), Some("ERROR_OPERATION_ABORTED"));
        assert_eq!(symbol_for(10060), Some("WSAETIMEDOUT"));
        assert_eq!(symbol_for(258), Some("WAIT_TIMEOUT"));
        assert_eq!(symbol_for(0x8007_0005), Some("E_ACCESSDENIED"));
        assert_eq!(symbol_for(0x8007_2EE2), Some("ERROR_WINHTTP_TIMEOUT"));
        assert_eq!(symbol_for(0x1234_5678), None);
        let status = lookup_in_family(258, "NTSTATUS").map(|row| row.symbol);
        assert_eq!(status, Some("STATUS_TIMEOUT"));
        assert_eq!(lookup_in_family(1460, "winsock"), None);
    }

    #[test]
    fn symbols_are_case_insensitive_and_exact() {
        let row = by_symbol(" error_winhttp_timeout ").expect("known");
        assert_eq!(row.symbol, "ERROR_WINHTTP_TIMEOUT");
        assert_eq!(by_symbol("ERROR_WINHTTP"), None);
        assert_eq!(by_symbol(""), None);
    }

    #[test]
    fn table_parser_reports_bad_rows() {
        let text = "code_decimal\tcode_hex\thresult_hex\tsymbol\tfamily\tdescription\n\
                    1\t0x2\t\tBAD_MISMATCH\twin32\tx\n\
                    1\t0x1\t\tONLY_FIVE\twin32\n\
                    abc\t0x1\t\tBAD_DECIMAL\twin32\tx\n\
                    7\t0x7\t0x80070007\tGOOD_ROW\twin32\tok\n\
                    7\t0x7\t\tgood_row\twin32\tdup\n\
                    \n\
                    8\t0x8\t0xZZ\tBAD_HRESULT\twin32\tx\n\
                    9\t0x9\t\t9BAD\twin32\tx\n";
        let table = Table::parse(text);
        let good: Vec<_> = table.rows.iter().map(|r| (r.symbol, r.hresult)).collect();
        assert_eq!(good, [("GOOD_ROW", Some(0x8007_0007))]);
        let bad = |line, column, value: &str, expected| TableError::BadValue {
            line,
            column,
            value: value.into(),
            expected,
        };
        let expected = [
            TableError::CodeMismatch {
                line: 2,
                decimal: 1,
                hex: 2,
            },
            TableError::FieldCount {
                line: 3,
                need: 6,
                have: 5,
            },
            bad(
                4,
                "code_decimal",
                "abc",
                "a decimal number up to 4294967295",
            ),
            TableError::DuplicateSymbol {
                line: 6,
                symbol: "good_row".into(),
                first_line: 5,
            },
            bad(
                8,
                "hresult_hex",
                "0xZZ",
                "empty or a 0x-prefixed 32-bit hex number",
            ),
            bad(
                9,
                "symbol",
                "9BAD",
                "a name made of letters, digits and '_'",
            ),
        ];
        assert_eq!(table.problems, expected);
        let message = expected.first().map(ToString::to_string);
        let want = "error-codes.tsv line 2: code_decimal 1 and code_hex 0x2 disagree";
        assert_eq!(message.as_deref(), Some(want));
        let header = Table::parse("code\tsymbol\n");
        assert!(matches!(
            header.problems.as_slice(),
            [TableError::Header { .. }]
        ));
    }

    #[test]
    fn crlf_text_parses_like_lf() {
        let text = TABLE_TEXT.replace('\n', "\r\n");
        let table = Table::parse(Box::leak(text.into_boxed_str()));
        assert!(table.problems.is_empty());
        assert_eq!(table.rows, TABLE.rows);
    }

    #[test]
    fn rows_serialize_to_json() {
        let row = by_symbol("ERROR_WINHTTP_TIMEOUT").expect("known");
        let json = serde_json::to_value(row).expect("serializes");
        assert_eq!(json["code"], 12002);
        assert_eq!(json["hresult"], 0x8007_2EE2_u32);
        assert_eq!(json["family"], "winhttp");
        assert_eq!(json["symbol"], "ERROR_WINHTTP_TIMEOUT");
    }
}
