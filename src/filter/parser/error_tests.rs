//! Error messages and positions for malformed filters.

use super::tests::err;

/// Asserts the span (given as the text it covers and its byte offset) and the message.
#[track_caller]
fn check(filter: &str, at: usize, covered: &str, message: &str) {
    let error = err(filter);
    assert_eq!(
        (error.span.clone(), error.message.as_str()),
        (at..at + covered.len(), message),
        "{filter}\n{}",
        error.render(filter)
    );
    assert_eq!(filter.get(error.span.clone()), Some(covered));
}

#[track_caller]
fn suggestion(filter: &str) -> Option<String> {
    err(filter).suggestion
}

#[test]
fn empty_filter() {
    check("", 0, "", "empty filter: write a condition");
    check(" \t\n", 0, "", "empty filter: write a condition");
    assert_eq!(err("").expected[0], "a field name");
}

#[test]
fn unclosed_and_unmatched_parentheses() {
    let unclosed = "unclosed parenthesis: this `(` has no matching `)`";
    check("(tcp AND udp", 0, "(", unclosed);
    check("tcp AND (udp OR (dns)", 8, "(", unclosed);
    check("((x == 1)", 0, "(", unclosed);
    check("Description.contains(\"x\"", 20, "(", unclosed);
    check("ContainsBin(FrameData, ASCII, \"x\"", 11, "(", unclosed);
    check("tcp)", 3, ")", "unmatched `)`: no `(` is open here");
    check("()", 0, "()", "empty parentheses: write a condition inside");
    check(
        "(tcp AND udp == 1 2)",
        18,
        "2",
        "expected `)` to close the `(` at column 1, found `2`",
    );
}

#[test]
fn unclosed_strings_point_at_the_opening_quote() {
    check(
        r#"Message contains "abc"#,
        17,
        "\"",
        "unclosed string: this `\"` has no closing quote",
    );
    check(
        r#"Message contains "abc\""#,
        17,
        "\"",
        "unclosed string: this `\"` has no closing quote (the last `\\\"` is an escaped quote)",
    );
    check(
        "Message contains 'abc'",
        17,
        "'",
        "strings use double quotes: write \"text\"",
    );
    check(
        "Message == \u{201C}abc\u{201D}",
        11,
        "\u{201C}",
        "typographic quote: use the plain double quote `\"`",
    );
}

#[test]
fn unclosed_and_malformed_sets() {
    check(
        "EventId in {201, 202",
        11,
        "{",
        "unclosed `{`: the set has no closing `}`",
    );
    check(
        "EventId in [201",
        11,
        "[",
        "unclosed `[`: the set has no closing `]`",
    );
    check(
        "EventId in {201, 202]",
        20,
        "]",
        "expected `,` or `}` in the set, found `]`",
    );
    check(
        "EventId in {}",
        11,
        "{}",
        "empty set: list at least one value",
    );
    check(
        "x in {1;2}",
        7,
        ";",
        "expected `,` or `}` in the set, found `;`",
    );
    check(
        "x in {a.b}",
        6,
        "a.b",
        "set members are values; a dotted path is a field",
    );
    check(
        "EventId in 201",
        11,
        "201",
        "`in` needs a set such as `{201, 202}`, found `201`",
    );
}

#[test]
fn missing_operands() {
    check("tcp AND", 4, "AND", "missing condition after `AND`");
    check("tcp ||", 4, "||", "missing condition after `||`");
    check(
        "tcp and )",
        8,
        ")",
        "expected a condition after `and`, found `)`",
    );
    check(
        "tcp AND OR udp",
        8,
        "OR",
        "expected a condition after `AND`, found `OR`",
    );
    check("NOT", 0, "NOT", "missing condition after `NOT`");
    check("AND tcp", 0, "AND", "`AND` needs a condition on its left");
    check("Tid ==", 4, "==", "missing value after `==`");
    check("Tid == )", 7, ")", "expected a value after `==`, found `)`");
    check(
        "Tid == NOT",
        7,
        "NOT",
        "expected a value after `==`, found `NOT`",
    );
    check(
        "Message contains",
        16,
        "",
        "missing string after `contains`",
    );
    check(
        "Message contains abc",
        17,
        "abc",
        "`contains` needs a string in double quotes, found `abc`",
    );
    check("x == -abc", 5, "-", "expected a number after `-`");
    check("tcp.", 3, ".", "expected a field name after the separator");
    check("*", 0, "*", "expected a field name after the prefix");
}

#[test]
fn trailing_garbage() {
    check(
        "tcp == 1 2",
        9,
        "2",
        "unexpected `2` after a complete condition",
    );
    check(
        "tcp == 1 adn udp == 2",
        9,
        "adn",
        "unexpected `adn` after a complete condition",
    );
    assert_eq!(suggestion("tcp == 1 adn udp == 2").as_deref(), Some("AND"));
    check(
        "Tid == 5 caseSensitive",
        9,
        "caseSensitive",
        "unexpected `caseSensitive` after a complete condition",
    );
}

#[test]
fn bad_numbers() {
    check("EventId == 12ab", 11, "12ab", "bad number `12ab`");
    check("EventId == 0x", 11, "0x", "bad number `0x`");
    check("EventId == 0xZZ", 11, "0xZZ", "bad number `0xZZ`");
    check("EventId == 5.", 11, "5.", "bad number `5.`");
    check("x > 5sec", 4, "5sec", "bad number `5sec`");
    let too_large = "number too large: integers must fit in 64 bits (at most 0xFFFFFFFFFFFFFFFF)";
    check(
        "EventId == 18446744073709551616",
        11,
        "18446744073709551616",
        too_large,
    );
    check(
        "EventId == 0x10000000000000000",
        11,
        "0x10000000000000000",
        too_large,
    );
    check("EventId == 1.2.3", 11, "1.2.3", "bad IPv4 address `1.2.3`");
    assert_eq!(err("EventId == 12ab").expected.len(), 4);
}

#[test]
fn bad_guids_times_and_addresses() {
    let bad = |text: &str| {
        format!(
            "bad GUID `{text}`: expected 8-4-4-4-12 hex digits, e.g. \
             {{7d44233d-3055-4b9c-ba64-0d47ca40a232}}"
        )
    };
    let short = "{1d4f3a2b-0000-0000-0000-00000000000}";
    check(&format!("ActivityId == {short}"), 14, short, &bad(short));
    check("ActivityId == {zzz}", 14, "{zzz}", &bad("{zzz}"));
    let unbraced = "1d4f3a2b-0000-0000-0000-00000000000";
    check(
        &format!("ActivityId == {unbraced}"),
        14,
        unbraced,
        &bad(unbraced),
    );
    check(
        "ActivityId == {1d4f3a2b-0000-0000-0000-000000000000",
        14,
        "{",
        "unclosed `{`: the GUID has no closing `}`",
    );
    check(
        "Timestamp >= 2011-13-22T14:32:00",
        13,
        "2011-13-22T14:32:00",
        "bad time `2011-13-22T14:32:00`: month 13 is out of range 1..=12",
    );
    check(
        "Timestamp >= 2011-02-29",
        13,
        "2011-02-29",
        "bad time `2011-02-29`: day 29 is out of range 1..=28",
    );
    check(
        "Timestamp < 2011-07-22T14:32:00+25:00",
        12,
        "2011-07-22T14:32:00+25:00",
        "bad time `2011-07-22T14:32:00+25:00`: zone hour 25 is out of range 0..=23",
    );
    check(
        "ip == 300.1.1.1",
        6,
        "300.1.1.1",
        "bad IPv4 address `300.1.1.1`",
    );
    check(
        "ip == 10.0.0.1/33",
        6,
        "10.0.0.1/33",
        "bad IPv4 address `10.0.0.1/33` (bad prefix length)",
    );
    check("ip == 1::2::3", 6, "1::2::3", "bad IPv6 address `1::2::3`");
}

#[test]
fn unknown_operators_suggest_the_intended_one() {
    for (filter, operator, fix) in [
        ("Tid = 5", "=", Some("==")),
        ("Tid => 5", "=>", Some(">=")),
        ("Tid <> 5", "<>", Some("!=")),
        ("Tid === 5", "===", Some("==")),
        ("Tid equals 5", "equals", Some("==")),
        ("Tid =~ \"x\"", "=~", Some("matches")),
        ("Tid | udp", "|", Some("||")),
        ("tcp adn udp", "adn", Some("AND")),
        ("Message contian \"x\"", "contian", Some("contains")),
        ("tcp http", "http", None),
    ] {
        // The operator is the first occurrence of its text in these filters.
        let at = filter.find(operator).unwrap_or(usize::MAX);
        check(
            filter,
            at,
            operator,
            &format!("unknown operator `{operator}`"),
        );
        assert_eq!(suggestion(filter).as_deref(), fix, "{filter}");
    }
    check(
        "Tid + 1 == 2",
        4,
        "+",
        "unknown operator `+`: arithmetic is not supported",
    );
    check("tcp 5", 4, "5", "expected an operator or AND/OR, found `5`");
    assert!(err("Tid = 5").expected.iter().any(|token| token == "=="));
}

#[test]
fn misplaced_values_masks_and_method_calls() {
    check(
        "5",
        0,
        "5",
        "a value alone is not a condition; compare it with a field, e.g. `EventId == 17`",
    );
    check(
        "\"a\" == \"b\"",
        0,
        "\"a\" == \"b\"",
        "a comparison needs a field on one side",
    );
    check(
        "Keyword & 0x10",
        0,
        "Keyword & 0x10",
        "a masked value must be compared, e.g. `(Keyword & 0x10) != 0`",
    );
    check(
        "Keyword & abc == 1",
        10,
        "abc",
        "bitmask `&` needs a non-negative integer, found `abc`",
    );
    check(
        "5 contains \"x\"",
        0,
        "5",
        "`contains` needs a field on its left",
    );
    check(
        "(K & 1) matches \"x\"",
        1,
        "K & 1",
        "`matches` cannot be applied to a masked value",
    );
    check(
        "Description.contains(\"x\") == 1",
        26,
        "==",
        "`.contains(...)` is already a condition and cannot be compared",
    );
    check(
        "Keyword has 0x10",
        12,
        "0x10",
        "`has` takes a keyword bit name such as `RECEIVE`, found `0x10`; for a number use \
         `(Keyword & 0x10) != 0`",
    );
}

#[test]
fn bad_regular_expressions_point_into_the_pattern() {
    check(
        "Message matches \"abc(def\"",
        20,
        "(",
        "bad regular expression: unclosed group",
    );
    // `\"` is two source bytes but one pattern byte; the caret must still land on `(`.
    check(
        "Message ~ \"a\\\"(b\"",
        14,
        "(",
        "bad regular expression: unclosed group",
    );
    check(
        "Message matches \"\\p{Foo}\"",
        17,
        "\\p{Foo}",
        "bad regular expression: Unicode property not found",
    );
    let huge = "Message matches \"x{99999}{99999}\"";
    let error = err(huge);
    assert_eq!(error.span, 16..huge.len());
    assert!(
        error
            .message
            .starts_with("bad regular expression: it compiles to more than")
    );
}

#[test]
fn contains_bin_arguments_are_checked() {
    check(
        "ContainsBin(FrameData, ASCI, \"x\")",
        23,
        "ASCI",
        "unknown encoding `ASCI`",
    );
    assert_eq!(
        suggestion("ContainsBin(FrameData, ASCI, \"x\")").as_deref(),
        Some("ASCII")
    );
    check(
        "ContainsBin(FrameData, ASCII, \"été\")",
        30,
        "\"été\"",
        "ASCII pattern contains the non-ASCII character `é`; use UTF16",
    );
    check(
        "ContainsBin(FrameData, HEX, \"0xABC\")",
        28,
        "\"0xABC\"",
        "HEX pattern must be whole bytes of hex digits, e.g. \"0x6F6666\"",
    );
    check(
        "ContainsBin(FrameData, ASCII \"x\")",
        29,
        "\"",
        "`ContainsBin` expected `,`, found `\"`",
    );
}

#[test]
fn render_shows_the_caret_under_multibyte_text() {
    // `é日本` is 1 + 3 + 3 bytes but three columns; `=` is the 37th character.
    let filter = "Message contains \"é日本\" AND Provider = \"x\"";
    let expected = [
        "unknown operator `=`".to_string(),
        format!("  {filter}"),
        format!("  {}^", " ".repeat(36)),
        "expected one of: ==, !=, ~=, <, <=, >, >=, contains, matches, in, has, AND, OR"
            .to_string(),
        "did you mean `==`?".to_string(),
    ];
    assert_eq!(err(filter).render(filter), expected.join("\n"));
}
