//! The pieces found anywhere inside a trace-line body: `SYMBOL (n)` / `? (n)` error tokens,
//! `<MACRO> mapped (<sym>) <n> to (<sym>) <m>` and `returning <SYM> (<n>) [from <fn>()]`.

use std::sync::LazyLock;

use regex::Regex;

use super::{ErrorToken, Mapping, Returning, compile};

const NUMBER: &str = r"0[xX][0-9A-Fa-f]+|[0-9]+";

static MAPPING: LazyLock<Regex> = LazyLock::new(|| {
    let symbol = r"[A-Za-z_][A-Za-z0-9_]*|\?";
    compile(&format!(
        r"(?-u:\b)([A-Z][A-Z0-9_]*) mapped \(({symbol})?\) ({NUMBER}) to \(({symbol})?\) ({NUMBER})(?-u:\b)"
    ))
});
static RETURNING: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        r"(?-u:\b)returning ([A-Z][A-Z0-9_]*|\?) \(({NUMBER})\)(?: from ([A-Za-z_][A-Za-z0-9_:~]*)\(\))?"
    ))
});

/// A decimal or `0x` number as matched by [`NUMBER`]; `None` when it overflows 32 bits.
fn parse_code(text: &str) -> Option<u32> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// `?` stands for "no name"; an empty `()` in a mapping too.
fn symbol_or_none(text: Option<&str>) -> Option<&str> {
    text.filter(|s| !s.is_empty() && *s != "?")
}

/// Only names that look like error symbols count, so `HTTP (200)` or `GET (3)` do not.
fn looks_like_error_symbol(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && (name.contains('_') || name.starts_with("WSA"))
}

/// Length of the decimal or `0x` hex number starting `text` (0 when there is none).
fn number_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    if let (Some(b'0'), Some(b'x' | b'X')) = (bytes.first(), bytes.get(1)) {
        let hex_digits = text
            .bytes()
            .skip(2)
            .take_while(u8::is_ascii_hexdigit)
            .count();
        if hex_digits > 0 {
            return hex_digits.saturating_add(2);
        }
    }
    text.bytes().take_while(u8::is_ascii_digit).count()
}

/// Every `SYMBOL (n)` / `? (n)`: found from each ` (` by reading the number forward and the
/// name backward (hand-written: it runs on every line, and a capturing regex was slower).
pub(super) fn error_tokens(text: &str, text_start: usize) -> Vec<ErrorToken<'_>> {
    let mut tokens = Vec::new();
    for (open, _) in text.match_indices(" (") {
        let number_start = open.saturating_add(2);
        let Some(after_open) = text.get(number_start..) else {
            continue;
        };
        let digits = number_len(after_open);
        if digits == 0 || after_open.as_bytes().get(digits) != Some(&b')') {
            continue;
        }
        let Some(code) = after_open.get(..digits).and_then(parse_code) else {
            continue;
        };
        let Some(before) = text.get(..open) else {
            continue;
        };
        let name_len = before
            .bytes()
            .rev()
            .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
            .count();
        let name_start = open.saturating_sub(name_len);
        let (symbol, token_start) = if name_len > 0 {
            let name = before.get(name_start..).unwrap_or("");
            (Some(name), name_start)
        } else if before.ends_with('?') {
            (None, open.saturating_sub(1))
        } else {
            continue;
        };
        // The name (or `?`) must stand alone: `xERROR_X (5)` and `what? (1)` are prose.
        let glued = text
            .get(..token_start)
            .and_then(|s| s.chars().next_back())
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        if glued || symbol.is_some_and(|name| !looks_like_error_symbol(name)) {
            continue;
        }
        let token_end = number_start.saturating_add(digits).saturating_add(1);
        tokens.push(ErrorToken {
            symbol,
            code,
            span: text_start.saturating_add(token_start)..text_start.saturating_add(token_end),
        });
    }
    tokens
}

pub(super) fn parse_mapping(text: &str) -> Option<Mapping<'_>> {
    if !text.contains(" mapped (") {
        return None;
    }
    let caps = MAPPING.captures(text)?;
    Some(Mapping {
        via: caps.get(1)?.as_str(),
        from_symbol: symbol_or_none(caps.get(2).map(|m| m.as_str())),
        from_code: parse_code(caps.get(3)?.as_str())?,
        to_symbol: symbol_or_none(caps.get(4).map(|m| m.as_str())),
        to_code: parse_code(caps.get(5)?.as_str())?,
    })
}

pub(super) fn parse_returning(text: &str) -> Option<Returning<'_>> {
    if !text.contains("returning ") {
        return None;
    }
    let caps = RETURNING.captures(text)?;
    Some(Returning {
        symbol: symbol_or_none(caps.get(1).map(|m| m.as_str())),
        code: parse_code(caps.get(2)?.as_str())?,
        function: caps.get(3).map(|m| m.as_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::super::{TraceLine, error_code, parse_line};

    fn token_view<'a>(line: &TraceLine<'a>) -> Vec<(Option<&'a str>, u32)> {
        line.errors.iter().map(|t| (t.symbol, t.code)).collect()
    }

    #[test]
    fn parenthesised_prose_is_not_a_token() {
        for text in [
            "sys-req completes recv-headers inline (sync)",
            "HTTP (200) OK; GET (3) bytes",
            "Content-Length (1234)",
            "buffer is (0x20) bytes",
            "overlapped = 003728F0",
            "what? (1)",
            "ERROR_X(5) has no space",
            "xERROR_TIMEOUT (5) is glued to a word",
            "E_FAIL (\u{661}\u{662}) uses Arabic-Indic digits",
            "error = ERROR_TIMEOUT (99999999999) overflows",
        ] {
            let line = parse_line(text);
            assert!(line.errors.is_empty(), "{text:?} gave {:?}", line.errors);
            assert_eq!(error_code(&line), None, "{text:?}");
        }
    }

    #[test]
    fn spans_are_relative_to_the_input_line() {
        let text = "  10:00:00.000 :: error = ? (1460), then E_FAIL (0x80004005)";
        let line = parse_line(text);
        let pieces: Vec<_> = line
            .errors
            .iter()
            .map(|t| text.get(t.span.clone()))
            .collect();
        assert_eq!(pieces, [Some("? (1460)"), Some("E_FAIL (0x80004005)")]);
        assert_eq!(error_code(&line), Some(1460));
    }

    #[test]
    fn unnamed_hex_token() {
        let line = parse_line("sys-recver failed to receive headers; error = ? (0x5b4)");
        assert_eq!(line.time_of_day, None);
        assert_eq!(token_view(&line), [(None, 1460)]);
    }
}
