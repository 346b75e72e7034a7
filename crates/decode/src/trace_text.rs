//! Grammar of the free-text WinHTTP trace lines (WinHttp events 1/2 `param1`, WinHttp Debug
//! 58999/59999 and WebIO 59999 `Message`), per winhttp-events.md §2.4:
//!
//! ```text
//! HH:MM:SS.mmm ::<body>            (the prefix is optional)
//! body = WinHttpXxx(args)          API echo
//!      | sys-xxx <words>           component line (sys-recver, sys-req, ...)
//!      | <words>                   anything else
//! inside any body: `SYMBOL (n)` / `? (n)` error tokens, n decimal or 0x hex;
//!   `<MACRO> mapped (<sym>) <n> to (<sym>) <m>`;  `returning <SYM> (<n>) [from <fn>()]`
//! ```
//!
//! [`parse_line`] never fails: text of an unknown shape just ends up in [`TraceLine::text`].

use std::ops::Range;

use regex::Regex;
use serde::Serialize;

use crate::errors::{self, ErrorCode};

// Failure/warning rules and the "main code" of a line.
#[path = "trace_text/severity.rs"]
mod severity;
pub use severity::{Severity, classify, error_code};

// `SYMBOL (n)` tokens, `mapped ... to ...` and `returning ...` inside a body.
#[path = "trace_text/tokens.rs"]
mod tokens;
use tokens::{error_tokens, parse_mapping, parse_returning};

/// One trace line split into its parts; every `&str` borrows from the input line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceLine<'a> {
    /// WinHTTP's own wall-clock stamp (`12:32:23.123`); informational, never the event time.
    pub time_of_day: Option<&'a str>,
    /// The request id of WinHTTP's text logs (`12:32:23.123 ::*0000004* ::body` -> `0000004`):
    /// every line of one request object carries the same id.
    pub request_tag: Option<&'a str>,
    /// `<<<<-------- HTTP stream follows below ---...>>>>` / `<<<<-------- End ---...>>>>`:
    /// the lines between are the HTTP bytes WinHTTP sent or received.
    pub stream_marker: Option<StreamMarker>,
    /// Internal object tag starting the body: `sys-recver`, `sys-req`, ...
    pub component: Option<&'a str>,
    /// The HINTERNET of an API echo (its first argument, when it is hex).
    pub handle: Option<u64>,
    pub api_call: Option<ApiCall<'a>>,
    /// Every `SYMBOL (n)` / `? (n)` token, in order.
    pub errors: Vec<ErrorToken<'a>>,
    pub mapping: Option<Mapping<'a>>,
    pub returning: Option<Returning<'a>>,
    /// The body: everything after the time prefix, trimmed.
    pub text: &'a str,
}

/// The edges of an HTTP stream dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StreamMarker {
    Begin,
    End,
}

/// `WinHttpReceiveResponse(0x11d23d0, 0x0)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiCall<'a> {
    pub name: &'a str,
    /// Text between the parentheses, as written.
    pub raw_args: &'a str,
    /// Top-level arguments, trimmed (commas inside quotes or nested parentheses do not split).
    pub args: Vec<&'a str>,
}

/// `WSAETIMEDOUT (10060)`, `? (0x5b4)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorToken<'a> {
    /// `None` for `?` ("WinHTTP knows no name for it").
    pub symbol: Option<&'a str>,
    pub code: u32,
    /// Byte range of the whole token in the line given to [`parse_line`].
    pub span: Range<usize>,
}

impl<'a> ErrorToken<'a> {
    /// The symbol as written, or the table's name for `?` tokens (`? (1460)` -> ERROR_TIMEOUT).
    pub fn display_symbol(&self) -> Option<&'a str> {
        self.symbol
            .or_else(|| describe_code(self.code).map(|row| row.symbol))
    }
}

/// `ERROR_WINHTTP_FROM_WIN32 mapped (WSAETIMEDOUT) 10060 to (ERROR_WINHTTP_TIMEOUT) 12002`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mapping<'a> {
    /// The mapping macro named at the start (`ERROR_WINHTTP_FROM_WIN32`).
    pub via: &'a str,
    /// `None` for `(?)`.
    pub from_symbol: Option<&'a str>,
    pub from_code: u32,
    pub to_symbol: Option<&'a str>,
    pub to_code: u32,
}

/// `returning ERROR_WINHTTP_TIMEOUT (12002) from RecvResponse()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Returning<'a> {
    pub symbol: Option<&'a str>,
    pub code: u32,
    /// The function after `from`, without `()`; absent when the line has no `from` part.
    pub function: Option<&'a str>,
}

fn compile(pattern: &str) -> Regex {
    // Patterns are constants checked by the tests; a failure here is a programming error.
    Regex::new(pattern).unwrap_or_else(|err| panic!("bad built-in pattern {pattern:?}: {err}"))
}

/// Splits one trace line. Never fails; unknown shapes leave only `text` (and maybe tokens).
pub fn parse_line(line: &str) -> TraceLine<'_> {
    let (time_of_day, body_start) = match split_time_prefix(line) {
        Some((stamp, body_start)) => (Some(stamp), body_start),
        None => (None, 0),
    };
    let body = line.get(body_start..).unwrap_or("");
    let (request_tag, body, body_start) = match split_request_tag(body) {
        Some((tag, rest)) => (
            Some(tag),
            body.get(rest..).unwrap_or(""),
            body_start.saturating_add(rest),
        ),
        None => (None, body, body_start),
    };
    // UTF-16 payloads may keep their terminator; line ends are not part of the message.
    let is_padding = |c: char| c.is_whitespace() || c == '\0';
    let text = body
        .trim_start_matches(is_padding)
        .trim_end_matches(is_padding);
    let text_start = body_start.saturating_add(
        body.len()
            .saturating_sub(body.trim_start_matches(is_padding).len()),
    );

    let component = component_tag(text);
    let api_call = parse_api_call(text);
    let handle = api_call
        .as_ref()
        .and_then(|call| call.args.first())
        .and_then(|first| parse_hex_u64(first));

    TraceLine {
        time_of_day,
        request_tag,
        stream_marker: stream_marker(text),
        component,
        handle,
        api_call,
        errors: error_tokens(text, text_start),
        mapping: parse_mapping(text),
        returning: parse_returning(text),
        text,
    }
}

/// `[ \t]*H?H:MM:SS.mmm ::` at the start of `line`: the stamp and where the body begins.
/// Hand-written because it runs on every line and a regex with captures costs more.
fn split_time_prefix(line: &str) -> Option<(&str, usize)> {
    let stamp_start = line
        .len()
        .saturating_sub(line.trim_start_matches([' ', '\t']).len());
    let rest = line.get(stamp_start..)?;
    let hour_digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=2).contains(&hour_digits) {
        return None;
    }
    // After the hour: ":MM:SS.mmm ::" with fixed positions ('9' = any digit).
    let shape = b":99:99.999 ::";
    let tail = rest
        .as_bytes()
        .get(hour_digits..hour_digits.saturating_add(shape.len()))?;
    let fits = tail.iter().zip(shape).all(|(&byte, &want)| match want {
        b'9' => byte.is_ascii_digit(),
        _ => byte == want,
    });
    if !fits {
        return None;
    }
    let stamp_len = hour_digits.saturating_add(shape.len() - 3);
    let stamp = rest.get(..stamp_len)?;
    Some((
        stamp,
        stamp_start
            .saturating_add(hour_digits)
            .saturating_add(shape.len()),
    ))
}

/// `*0000004* ::` (spaces allowed around it) at the start of a body: the id and where the
/// rest begins. The id is 1-16 characters without `*` or spaces.
fn split_request_tag(body: &str) -> Option<(&str, usize)> {
    let lead = body
        .len()
        .saturating_sub(body.trim_start_matches(' ').len());
    let rest = body.get(lead..)?.strip_prefix('*')?;
    let tag_len = rest.find('*')?;
    let tag = rest.get(..tag_len)?;
    if tag.is_empty() || tag.len() > 16 || tag.contains(char::is_whitespace) {
        return None;
    }
    let after = rest.get(tag_len.saturating_add(1)..)?;
    let spaces = after
        .len()
        .saturating_sub(after.trim_start_matches(' ').len());
    after.get(spaces..)?.strip_prefix("::")?;
    Some((
        tag,
        lead.saturating_add(1)
            .saturating_add(tag_len)
            .saturating_add(1)
            .saturating_add(spaces)
            .saturating_add(2),
    ))
}

/// `<<<<-------- HTTP stream follows below ---->>>>` and `<<<<-------- End ---->>>>`.
fn stream_marker(text: &str) -> Option<StreamMarker> {
    let inner = text
        .strip_prefix("<<<<")?
        .trim_start_matches('-')
        .trim_start();
    if inner.starts_with("HTTP stream follows") {
        Some(StreamMarker::Begin)
    } else if inner.starts_with("End") {
        Some(StreamMarker::End)
    } else {
        None
    }
}

/// `sys-recver ...` -> `sys-recver`: `sys-`, a lower-case word, then a separator or the end.
fn component_tag(text: &str) -> Option<&str> {
    let word = text.strip_prefix("sys-")?;
    if !word.starts_with(|c: char| c.is_ascii_lowercase()) {
        return None;
    }
    let word_len = word
        .bytes()
        .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        .count();
    let tag_len = "sys-".len().saturating_add(word_len);
    let ends_cleanly = text
        .get(tag_len..)?
        .chars()
        .next()
        .is_none_or(|c| c.is_whitespace() || matches!(c, ':' | ';' | ','));
    if ends_cleanly {
        text.get(..tag_len)
    } else {
        None
    }
}

/// `WinHttpXxx(args)` filling the whole text. `WinHttpFoo(x) failed (5)` also starts and ends
/// right, so only a balanced argument list counts as a call.
fn parse_api_call(text: &str) -> Option<ApiCall<'_>> {
    let after_prefix = text.strip_prefix("WinHttp")?;
    let name_len = "WinHttp".len().saturating_add(
        after_prefix
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count(),
    );
    let name = text.get(..name_len)?;
    let raw_args = text.get(name_len..)?.strip_prefix('(')?.strip_suffix(')')?;
    let args = split_args(raw_args)?;
    Some(ApiCall {
        name,
        raw_args,
        args,
    })
}

/// Top-level comma split; `None` when parentheses or quotes do not balance.
fn split_args(raw: &str) -> Option<Vec<&str>> {
    let mut args = Vec::new();
    let mut depth: usize = 0;
    let mut in_quotes = false;
    let mut start = 0;
    for (offset, c) in raw.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            '(' if !in_quotes => depth = depth.checked_add(1)?,
            ')' if !in_quotes => depth = depth.checked_sub(1)?,
            ',' if !in_quotes && depth == 0 => {
                args.push(raw.get(start..offset)?.trim());
                start = offset.saturating_add(c.len_utf8());
            }
            _ => {}
        }
    }
    if depth != 0 || in_quotes {
        return None;
    }
    let last = raw.get(start..)?.trim();
    if !(args.is_empty() && last.is_empty()) {
        args.push(last);
    }
    Some(args)
}

fn parse_hex_u64(text: &str) -> Option<u64> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

impl TraceLine<'_> {
    /// Milliseconds since midnight of [`TraceLine::time_of_day`], when it is a valid time.
    pub fn time_of_day_millis(&self) -> Option<u32> {
        let stamp = self.time_of_day?;
        let (clock, millis) = stamp.split_once('.')?;
        let mut parts = clock.split(':').map(|part| part.parse::<u32>().ok());
        let (hours, minutes, seconds) = (parts.next()??, parts.next()??, parts.next()??);
        let millis: u32 = millis.parse().ok()?;
        if hours > 23 || minutes > 59 || seconds > 59 || millis > 999 {
            return None;
        }
        Some(((hours * 60 + minutes) * 60 + seconds) * 1000 + millis)
    }
}

/// The table's preferred row for a number seen in trace text (WinHTTP names for 12xxx).
pub fn describe_code(code: u32) -> Option<&'static ErrorCode> {
    errors::best_match(code)
}

#[cfg(test)]
#[path = "trace_text/log_forms_tests.rs"]
mod log_forms_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn token_view<'a>(line: &TraceLine<'a>) -> Vec<(Option<&'a str>, u32)> {
        line.errors.iter().map(|t| (t.symbol, t.code)).collect()
    }

    // --- One test per line shape quoted in winhttp-events.md §2.4 ---

    #[test]
    fn api_echo() {
        let line = parse_line("12:32:23.123 ::WinHttpReceiveResponse(0x11d23d0, 0x0)");
        assert_eq!(line.time_of_day, Some("12:32:23.123"));
        assert_eq!(
            line.time_of_day_millis(),
            Some(((12 * 60 + 32) * 60 + 23) * 1000 + 123)
        );
        let call = line.api_call.as_ref().expect("API echo");
        assert_eq!(call.name, "WinHttpReceiveResponse");
        assert_eq!(call.raw_args, "0x11d23d0, 0x0");
        assert_eq!(call.args, ["0x11d23d0", "0x0"]);
        assert_eq!(line.handle, Some(0x11d_23d0));
        assert_eq!(line.component, None);
        assert!(line.errors.is_empty());
        assert_eq!(classify(&line), None);
        assert_eq!(error_code(&line), None);
    }

    #[test]
    fn component_state_line() {
        let line = parse_line("12:32:23.123 ::sys-recver starts in _INIT state");
        assert_eq!(line.component, Some("sys-recver"));
        assert_eq!(line.text, "sys-recver starts in _INIT state");
        assert!(line.errors.is_empty() && line.api_call.is_none() && line.handle.is_none());
        assert_eq!(classify(&line), None);
    }

    #[test]
    fn completion_with_hex_error_code() {
        let text = "12:32:23.123 ::sys-recver processing WebReceiveHttpResponse completion (error-cdoe = WSAETIMEDOUT (0x274c), overlapped = 003728F0)";
        let line = parse_line(text);
        assert_eq!(line.component, Some("sys-recver"));
        assert_eq!(token_view(&line), [(Some("WSAETIMEDOUT"), 10060)]);
        let span = line.errors.first().map(|t| t.span.clone()).expect("token");
        assert_eq!(text.get(span), Some("WSAETIMEDOUT (0x274c)"));
        assert_eq!(classify(&line), Some(Severity::Failure));
        assert_eq!(error_code(&line), Some(10060));
    }

    #[test]
    fn failed_to_receive_headers_with_symbol() {
        let line = parse_line(
            "12:32:23.123 ::sys-recver failed to receive headers; error = WSAETIMEDOUT (10060)",
        );
        assert_eq!(token_view(&line), [(Some("WSAETIMEDOUT"), 10060)]);
        assert_eq!(classify(&line), Some(Severity::Failure));
        assert_eq!(error_code(&line), Some(10060));
    }

    #[test]
    fn failed_with_unnamed_code_resolves_through_the_table() {
        let line =
            parse_line("12:34:56.789 ::sys-recver failed to receive headers; error = ? (1460)");
        assert_eq!(token_view(&line), [(None, 1460)]);
        let token = line.errors.first().expect("token");
        assert_eq!(token.display_symbol(), Some("ERROR_TIMEOUT"));
        assert_eq!(
            describe_code(1460).map(|row| row.symbol),
            Some("ERROR_TIMEOUT")
        );
        assert_eq!(classify(&line), Some(Severity::Failure));
    }

    #[test]
    fn component_returning_from_function() {
        let line = parse_line(
            "12:32:23.123 ::sys-recver returning ERROR_WINHTTP_TIMEOUT (12002) from RecvResponse()",
        );
        let returning = line.returning.as_ref().expect("returning");
        assert_eq!(returning.symbol, Some("ERROR_WINHTTP_TIMEOUT"));
        assert_eq!(returning.code, 12002);
        assert_eq!(returning.function, Some("RecvResponse"));
        assert_eq!(token_view(&line), [(Some("ERROR_WINHTTP_TIMEOUT"), 12002)]);
        assert_eq!(classify(&line), Some(Severity::Failure));
        assert_eq!(error_code(&line), Some(12002));
    }

    #[test]
    fn returning_without_prefix_or_component() {
        let line =
            parse_line("returning ERROR_WINHTTP_TIMEOUT (12002) from WinHttpReceiveResponse()");
        assert_eq!((line.time_of_day, line.component), (None, None));
        assert!(
            line.api_call.is_none(),
            "a returning line is not an API echo"
        );
        let returning = line.returning.as_ref().expect("returning");
        assert_eq!(returning.function, Some("WinHttpReceiveResponse"));
        assert_eq!(error_code(&line), Some(12002));
    }

    #[test]
    fn request_completes_inline_with_error() {
        let line = parse_line(
            "12:32:23.123 ::sys-req completes recv-headers inline (sync); error = ERROR_WINHTTP_TIMEOUT (12002)",
        );
        assert_eq!(line.component, Some("sys-req"));
        assert_eq!(token_view(&line), [(Some("ERROR_WINHTTP_TIMEOUT"), 12002)]);
        assert_eq!(classify(&line), Some(Severity::Failure));
    }

    #[test]
    fn context_line_without_tag() {
        let line = parse_line("12:32:23.123 ::current thread is not impersonating");
        assert_eq!(line.text, "current thread is not impersonating");
        assert_eq!(line.component, None);
        assert!(line.errors.is_empty() && line.mapping.is_none() && line.returning.is_none());
        assert_eq!(classify(&line), None);
    }

    #[test]
    fn mapping_with_names() {
        let line = parse_line(
            "12:32:23.123 ::ERROR_WINHTTP_FROM_WIN32 mapped (WSAETIMEDOUT) 10060 to (ERROR_WINHTTP_TIMEOUT) 12002",
        );
        let expected = Mapping {
            via: "ERROR_WINHTTP_FROM_WIN32",
            from_symbol: Some("WSAETIMEDOUT"),
            from_code: 10060,
            to_symbol: Some("ERROR_WINHTTP_TIMEOUT"),
            to_code: 12002,
        };
        assert_eq!(line.mapping, Some(expected));
        assert!(
            line.errors.is_empty(),
            "mapping operands are not `SYM (n)` tokens"
        );
        assert_eq!(classify(&line), Some(Severity::Failure));
        assert_eq!(error_code(&line), Some(12002));
    }

    #[test]
    fn mapping_from_unnamed_code() {
        let line = parse_line(
            "12:32:23.123 ::ERROR_WINHTTP_FROM_WIN32 mapped (?) 1460 to (ERROR_WINHTTP_TIMEOUT) 12002",
        );
        let mapping = line.mapping.as_ref().expect("mapping");
        assert_eq!((mapping.from_symbol, mapping.from_code), (None, 1460));
        assert_eq!(mapping.to_code, 12002);
        assert_eq!(error_code(&line), Some(12002));
    }

    // --- Shapes that must not be misread ---

    #[test]
    fn only_balanced_winhttp_calls_are_api_echoes() {
        let failed = parse_line("WinHttpFoo(x) failed (12002)");
        assert!(failed.api_call.is_none());
        assert_eq!(classify(&failed), Some(Severity::Failure));
        assert!(
            parse_line("WinHttpSendRequest() returning TRUE")
                .api_call
                .is_none()
        );
        assert!(parse_line("calling WinHttpOpen(\"x\")").api_call.is_none());
        assert!(parse_line("WinHttpOpen(\"a)\"").api_call.is_none());
        let quoted = parse_line(r#"WinHttpOpenRequest(0x1, "GET", "/a,b(c)", f(1, 2))"#);
        let call = quoted.api_call.expect("call");
        assert_eq!(call.args, ["0x1", "\"GET\"", "\"/a,b(c)\"", "f(1, 2)"]);
        assert_eq!(quoted.handle, Some(1));
        let empty = parse_line("WinHttpCloseAll()").api_call.expect("call");
        assert!(empty.args.is_empty());
        let named = parse_line(r#"WinHttpOpen("agent", 0x0)"#);
        assert_eq!(
            named.handle, None,
            "a string first argument is not a handle"
        );
    }

    #[test]
    fn malformed_prefixes_and_tags_stay_text() {
        let line = parse_line("12:3:45.678 ::sys-req x");
        assert_eq!(line.time_of_day, None);
        assert_eq!(line.text, "12:3:45.678 ::sys-req x");
        assert_eq!(line.component, None);
        let invalid = parse_line("99:99:99.999 ::x");
        assert_eq!(invalid.time_of_day, Some("99:99:99.999"));
        assert_eq!(invalid.time_of_day_millis(), None);
        for text in ["sys- x", "system-req x", "xsys-req x", "sys-Req x"] {
            assert_eq!(parse_line(text).component, None, "{text:?}");
        }
        let padded = parse_line("  01:02:03.004 ::  sys-conn closing\0\r\n");
        assert_eq!(padded.time_of_day_millis(), Some(3_723_004));
        assert_eq!(
            (padded.component, padded.text),
            (Some("sys-conn"), "sys-conn closing")
        );
        assert!(parse_line("returning TRUE").returning.is_none());
        assert!(parse_line("X mapped (A) 1 to B 2").mapping.is_none());
    }

    #[test]
    fn netmon_description_prefix_is_not_param1() {
        // Network Monitor's Description column prepends `<ProtocolName>:`; param1 never has it.
        let text = "WINHTTP_MicrosoftWindowsWinHttp:12:32:23.123 ::sys-req x; error = ? (1460)";
        let line = parse_line(text);
        assert_eq!((line.time_of_day, line.component), (None, None));
        assert_eq!(token_view(&line), [(None, 1460)]);
    }

    #[test]
    fn serializes_to_json() {
        let line = parse_line("12:34:56.789 ::sys-recver failed; error = ? (1460)");
        let json = serde_json::to_value(&line).expect("serializes");
        assert_eq!(json["component"], "sys-recver");
        assert_eq!(json["errors"][0]["code"], 1460);
        assert_eq!(json["errors"][0]["symbol"], serde_json::Value::Null);
        assert_eq!(
            serde_json::to_value(Severity::Failure).expect("ok"),
            "failure"
        );
    }

    fn grammar_fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("12:34:56.789 ::".to_string()),
            Just("sys-recver ".to_string()),
            Just("WinHttpX(".to_string()),
            Just(")".to_string()),
            Just("\"".to_string()),
            Just(", ".to_string()),
            Just("? (".to_string()),
            Just("ERROR_WINHTTP_FROM_WIN32 mapped (".to_string()),
            Just(") 10060 to (".to_string()),
            Just("returning ".to_string()),
            Just(" from F()".to_string()),
            "[A-Z_]{1,6} \\((0x)?[0-9a-fA-F]{0,12}\\)",
            "\\PC{0,6}",
        ]
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
            let line = parse_line(&text);
            let _ = (classify(&line), error_code(&line), line.time_of_day_millis());
            for token in &line.errors {
                prop_assert!(text.get(token.span.clone()).is_some());
            }
        }

        #[test]
        fn never_panics_on_grammar_soup(parts in proptest::collection::vec(grammar_fragment(), 0..12)) {
            let text = parts.concat();
            let line = parse_line(&text);
            let _ = (classify(&line), error_code(&line));
            for token in &line.errors {
                prop_assert!(text.get(token.span.clone()).is_some());
            }
        }

        #[test]
        fn generated_lines_round_trip(
            hours in 0u32..24, minutes in 0u32..60, seconds in 0u32..60, millis in 0u32..1000,
            symbol in "(ERROR|WSA|STATUS)_[A-Z]{1,10}", code in any::<u32>(), hex in any::<bool>(),
        ) {
            let number = if hex { format!("{code:#x}") } else { code.to_string() };
            let text = format!(
                "{hours:02}:{minutes:02}:{seconds:02}.{millis:03} ::sys-req failed; error = {symbol} ({number})"
            );
            let line = parse_line(&text);
            prop_assert_eq!(
                line.time_of_day_millis(),
                Some(((hours * 60 + minutes) * 60 + seconds) * 1000 + millis)
            );
            prop_assert_eq!(token_view(&line), vec![(Some(symbol.as_str()), code)]);
            prop_assert_eq!(classify(&line), Some(Severity::Failure));
        }
    }
}
