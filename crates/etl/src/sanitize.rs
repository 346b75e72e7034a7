//! Strings from traces are untrusted: nothing they contain may drive the terminal or a
//! spreadsheet. Control characters and bidi overrides are shown escaped.

use std::borrow::Cow;

/// True for characters that must not reach a terminal raw: C0/C1 controls, DEL, and the
/// bidirectional formatting characters that can reorder what a reader sees.
fn is_hostile(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Escapes hostile characters as `\n`, `\t`, `\r` or `\u{XXXX}` so the text stays on one line
/// and cannot emit escape sequences.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    // Printable ASCII (most text) needs no per-character decoding.
    if is_printable_ascii(s.as_bytes()) || !s.chars().any(is_hostile) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_hostile(c) => out.push_str(&format!("\\u{{{:04X}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// True when every byte is printable ASCII (0x20..0x7F). Checked 32 bytes at a time without
/// an early exit inside a block, which the compiler turns into vector compares (this runs on
/// every exported string).
fn is_printable_ascii(bytes: &[u8]) -> bool {
    let printable = |b: u8| b.wrapping_sub(0x20) < 0x5F;
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        if !block.iter().fold(true, |all, &b| all & printable(b)) {
            return false;
        }
    }
    blocks.remainder().iter().all(|&b| printable(b))
}

/// [`for_terminal`] for text of several lines (a report, an error with a caret line): line
/// breaks stay, everything else hostile is escaped.
pub fn for_terminal_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_hostile(c)) {
        return Cow::Borrowed(s);
    }
    let lines: Vec<Cow<'_, str>> = s.split('\n').map(for_terminal).collect();
    Cow::Owned(lines.join("\n"))
}

/// Makes a CSV cell safe to open in a spreadsheet: cells beginning with `= + - @` (or a tab or
/// carriage return) are prefixed with `'` so they are not evaluated as formulas; hostile
/// characters are escaped as for the terminal.
pub fn for_csv_cell(s: &str) -> Cow<'_, str> {
    let cleaned = for_terminal(s);
    match cleaned.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cleaned}")),
        _ => cleaned,
    }
}

/// UTF-16 code units as text. Invalid UTF-16 (a surrogate without its pair) is not replaced
/// silently: it is written as the visible escape `\u{D800}` (the same notation as
/// [`for_terminal`]), so a damaged or hostile string shows what it held.
pub fn utf16_escaping_surrogates(units: impl IntoIterator<Item = u16>) -> String {
    let mut out = String::new();
    for decoded in char::decode_utf16(units) {
        match decoded {
            Ok(c) => out.push(c),
            Err(lone) => out.push_str(&format!("\\u{{{:04X}}}", lone.unpaired_surrogate())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_ascii_by_blocks_is_the_byte_test() {
        let base = "x".repeat(70);
        for at in 0..70 {
            for bad in [0x1F_u8, 0x7F, 0x80, 0xFF, 0x00] {
                let mut bytes = base.clone().into_bytes();
                bytes[at] = bad;
                assert!(!is_printable_ascii(&bytes), "{at} {bad:#x}");
            }
        }
        assert!(is_printable_ascii(base.as_bytes()));
        assert!(is_printable_ascii(b" ~"));
        assert!(is_printable_ascii(b""));
    }

    #[test]
    fn escapes_terminal_controls_and_bidi() {
        assert_eq!(for_terminal("plain w3wp.exe"), "plain w3wp.exe");
        assert!(matches!(for_terminal("plain"), Cow::Borrowed(_)));
        assert_eq!(for_terminal("a\x1b[31mred"), "a\\u{001B}[31mred");
        assert_eq!(for_terminal("l1\nl2\t"), "l1\\nl2\\t");
        assert_eq!(for_terminal("x\u{202E}y"), "x\\u{202E}y");
        assert_eq!(for_terminal("c1\u{9b}"), "c1\\u{009B}");
    }

    #[test]
    fn lone_surrogates_stay_visible() {
        let units = [0x61, 0xD800, 0x62, 0xDC00, 0xD83D, 0xDE00, 0xDBFF];
        assert_eq!(
            utf16_escaping_surrogates(units),
            "a\\u{D800}b\\u{DC00}\u{1F600}\\u{DBFF}"
        );
        assert_eq!(utf16_escaping_surrogates([]), "");
    }

    #[test]
    fn neutralises_formulas() {
        assert_eq!(for_csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(for_csv_cell("-1+2"), "'-1+2");
        assert_eq!(for_csv_cell("@SUM"), "'@SUM");
        assert_eq!(for_csv_cell("w3wp.exe (1432)"), "w3wp.exe (1432)");
    }
}
