//! Parser tests for every construct, plus the tree-building helpers the other test files use.

use super::{MAX_NESTING, parse};
use crate::filter::ast::*;
use crate::filter::error::FilterError;

pub(super) fn ok(text: &str) -> Expr {
    match parse(text) {
        Ok(expr) => expr,
        Err(error) => panic!("{text:?} failed:\n{}", error.render(text)),
    }
}

pub(super) fn err(text: &str) -> FilterError {
    match parse(text) {
        Ok(expr) => panic!("{text:?} parsed as {expr:?}"),
        Err(error) => error,
    }
}

/// Asserts the tree, spans ignored.
pub(super) fn assert_tree(text: &str, expected: Expr) {
    assert_eq!(ok(text).without_spans(), expected.without_spans(), "{text}");
}

pub(super) fn path(dotted: &str) -> FieldPath {
    let segments = dotted
        .split('.')
        .enumerate()
        .map(|(index, name)| PathSegment {
            separator: (index > 0).then_some(Separator::Dot),
            name: name.to_string(),
            span: 0..0,
        })
        .collect();
    FieldPath {
        prefix: None,
        segments,
        span: 0..0,
    }
}

pub(super) fn field(dotted: &str) -> Operand {
    Operand::Field(FieldOperand {
        path: path(dotted),
        mask: None,
    })
}

pub(super) fn lit(value: LiteralValue) -> Literal {
    Literal { value, span: 0..0 }
}

pub(super) fn int(value: i128) -> Operand {
    Operand::Literal(lit(LiteralValue::Int {
        value,
        base: IntBase::Decimal,
    }))
}

pub(super) fn hex(value: i128) -> Operand {
    Operand::Literal(lit(LiteralValue::Int {
        value,
        base: IntBase::Hex,
    }))
}

pub(super) fn string(value: &str) -> Operand {
    Operand::Literal(lit(LiteralValue::Str(value.to_string())))
}

pub(super) fn symbol(name: &str) -> Operand {
    Operand::Literal(lit(LiteralValue::Symbol(name.to_string())))
}

pub(super) fn cmp(left: Operand, op: CmpOp, right: Operand) -> Expr {
    Expr::Compare(Comparison {
        left,
        op,
        right,
        op_span: 0..0,
    })
}

pub(super) fn eq(name: &str, right: Operand) -> Expr {
    cmp(field(name), CmpOp::Eq, right)
}

pub(super) fn text(name: &str, op: TextOp, pattern: &str, case_sensitive: bool) -> Expr {
    Expr::Text(TextMatch {
        field: path(name),
        op,
        pattern: StringLiteral {
            value: pattern.to_string(),
            span: 0..0,
        },
        case_sensitive,
        op_span: 0..0,
    })
}

pub(super) fn in_set(name: &str, members: Vec<LiteralValue>) -> Expr {
    Expr::InSet(SetMembership {
        field: FieldOperand {
            path: path(name),
            mask: None,
        },
        members: members.into_iter().map(lit).collect(),
        span: 0..0,
    })
}

pub(super) fn ints(values: &[i128]) -> Vec<LiteralValue> {
    values
        .iter()
        .map(|&value| LiteralValue::Int {
            value,
            base: IntBase::Decimal,
        })
        .collect()
}

pub(super) fn exists(name: &str) -> Expr {
    Expr::Exists(path(name))
}

pub(super) fn literal_of(text: &str) -> LiteralValue {
    match ok(text) {
        Expr::Compare(Comparison {
            right: Operand::Literal(literal),
            ..
        }) => literal.value,
        other => panic!("{text:?} is not a comparison with a literal: {other:?}"),
    }
}

#[test]
fn field_paths_keep_segments_separators_prefixes_and_spans() {
    let Expr::Compare(cmp) = ok("  NetEvent.Header.Descriptor.Id == 210") else {
        panic!()
    };
    let Operand::Field(FieldOperand { path, mask: None }) = cmp.left else {
        panic!()
    };
    assert_eq!(
        path.names().collect::<Vec<_>>(),
        ["NetEvent", "Header", "Descriptor", "Id"]
    );
    assert_eq!(path.span, 2..31);
    assert_eq!(path.segments[3].span, 29..31);
    assert_eq!(cmp.op_span, 32..34);

    let Expr::Compare(cmp) = ok("HTTP:Request::Method == \"GET\"") else {
        panic!()
    };
    let Operand::Field(FieldOperand { path, .. }) = cmp.left else {
        panic!()
    };
    let separators: Vec<_> = path.segments.iter().map(|s| s.separator).collect();
    assert_eq!(
        separators,
        [None, Some(Separator::Colon), Some(Separator::DoubleColon)]
    );

    let Expr::Exists(path) = ok("*Error") else {
        panic!()
    };
    assert_eq!(
        (path.prefix, path.span.clone()),
        (Some(PathPrefix::AnyProtocol), 0..6)
    );
    let Expr::Exists(path) = ok("#MessageNumber") else {
        panic!()
    };
    assert_eq!(path.prefix, Some(PathPrefix::Annotation));
    let Expr::Exists(path) = ok("Microsoft-Windows-WebIO") else {
        panic!()
    };
    assert_eq!(path.segments[0].name, "Microsoft-Windows-WebIO");
}

#[test]
fn boolean_operators_precedence_and_associativity() {
    let (a, b, c) = (exists("a"), exists("b"), exists("c"));
    assert_tree(
        "a OR b AND c",
        Expr::Or(vec![a.clone(), Expr::And(vec![b.clone(), c.clone()])]),
    );
    assert_tree(
        "a && b || c",
        Expr::Or(vec![Expr::And(vec![a.clone(), b.clone()]), c.clone()]),
    );
    assert_tree(
        "a and b and c",
        Expr::And(vec![a.clone(), b.clone(), c.clone()]),
    );
    assert_tree(
        "(a AND b) AND c",
        Expr::And(vec![Expr::And(vec![a.clone(), b.clone()]), c.clone()]),
    );
    assert_tree(
        "NOT a AND b",
        Expr::And(vec![Expr::Not(Box::new(a.clone())), b.clone()]),
    );
    assert_tree(
        "!a || not b",
        Expr::Or(vec![
            Expr::Not(Box::new(a.clone())),
            Expr::Not(Box::new(b.clone())),
        ]),
    );
    assert_tree(
        "NOT NOT a",
        Expr::Not(Box::new(Expr::Not(Box::new(a.clone())))),
    );
    assert_tree(
        "nOt(a)oR(b)",
        Expr::Or(vec![Expr::Not(Box::new(a.clone())), b.clone()]),
    );
    // Comparisons bind tighter than NOT (Message Analyzer): !F == 1 is !(F == 1).
    assert_tree("!F == 1", Expr::Not(Box::new(eq("F", int(1)))));
    // Keywords need a word boundary.
    assert_tree(
        "ANDROID OR NOTE",
        Expr::Or(vec![exists("ANDROID"), exists("NOTE")]),
    );
}

#[test]
fn comparison_operators() {
    for (text, op) in [
        ("==", CmpOp::Eq),
        ("!=", CmpOp::Ne),
        ("~=", CmpOp::ValueNe),
        ("<", CmpOp::Lt),
        (">", CmpOp::Gt),
        ("<=", CmpOp::Le),
        (">=", CmpOp::Ge),
    ] {
        assert_tree(&format!("Level{text}2"), cmp(field("Level"), op, int(2)));
    }
    // A literal may stand on the left; then a bare name on the right is a field.
    assert_tree("0x2 == Task", cmp(hex(2), CmpOp::Eq, field("Task")));
    assert_tree("Error == Result.Code", eq("Error", field("Result.Code")));
    assert_tree(
        "Level <= error",
        cmp(field("Level"), CmpOp::Le, symbol("error")),
    );
}

#[test]
fn text_operators_and_case_sensitivity() {
    assert_tree(
        r#"Message CONTAINS "x""#,
        text("Message", TextOp::Contains, "x", false),
    );
    assert_tree(
        r#"Message contains "x" caseSensitive"#,
        text("Message", TextOp::Contains, "x", true),
    );
    assert_tree(
        r#"Message matches "a+" CASESENSITIVE"#,
        text("Message", TextOp::Matches, "a+", true),
    );
    assert_tree(
        r#"Message ~ "a|b""#,
        text("Message", TextOp::Matches, "a|b", false),
    );
    assert_tree(
        r#"Description.contains("Timeout")"#,
        text("Description", TextOp::Contains, "Timeout", false),
    );
    assert_tree(
        r#"Description.contains( "T" ) caseSensitive"#,
        text("Description", TextOp::Contains, "T", true),
    );
    // `contains` as a plain path segment when no `(` follows.
    assert_tree("Foo.contains == 1", eq("Foo.contains", int(1)));
    let Expr::Text(method) = ok(r#"Http.Request.URI.contains("foo")"#) else {
        panic!()
    };
    assert_eq!(
        (method.field.span, method.op_span, method.pattern.span),
        (0..16, 16..25, 26..31)
    );
}

#[test]
fn sets_accept_braces_brackets_commas_spaces_and_any_literal() {
    assert_tree(
        "EventId in {201, 202}",
        in_set("EventId", ints(&[201, 202])),
    );
    assert_tree(
        "EventId IN [201 202,203,]",
        in_set("EventId", ints(&[201, 202, 203])),
    );
    let guid = uuid::Uuid::parse_str("7d44233d-3055-4b9c-ba64-0d47ca40a232").unwrap();
    assert_tree(
        r#"x in {ERROR_WINHTTP_TIMEOUT, "a", -1, {7d44233d-3055-4b9c-ba64-0d47ca40a232}}"#,
        in_set(
            "x",
            vec![
                LiteralValue::Symbol("ERROR_WINHTTP_TIMEOUT".into()),
                LiteralValue::Str("a".into()),
                LiteralValue::Int {
                    value: -1,
                    base: IntBase::Decimal,
                },
                LiteralValue::Guid(guid),
            ],
        ),
    );
    // A braced GUID after `in` is a one-member set.
    assert_tree(
        "ProviderId in {7d44233d-3055-4b9c-ba64-0d47ca40a232}",
        in_set("ProviderId", vec![LiteralValue::Guid(guid)]),
    );
    let Expr::InSet(set) = ok("Keyword & 0xF in {1}") else {
        panic!()
    };
    assert_eq!(set.field.mask.map(|m| m.value), Some(15));
    assert_eq!(set.span, 17..20);
}

#[test]
fn has_bits_masks_and_existence() {
    let Expr::HasBit(has) = ok("Keyword has RECEIVE") else {
        panic!()
    };
    assert_eq!((has.bit.name.as_str(), has.bit.span), ("RECEIVE", 12..19));
    let Expr::Compare(masked) = ok("Keyword & 0x10 != 0") else {
        panic!()
    };
    let Operand::Field(FieldOperand {
        mask: Some(mask), ..
    }) = masked.left
    else {
        panic!()
    };
    assert_eq!(
        (mask.value, mask.base, mask.span),
        (0x10, IntBase::Hex, 10..14)
    );
    assert_tree("((Keyword & 16)) == 16", {
        let masked = FieldOperand {
            path: path("Keyword"),
            mask: Some(Mask {
                value: 16,
                base: IntBase::Decimal,
                span: 0..0,
            }),
        };
        cmp(Operand::Field(masked), CmpOp::Eq, int(16))
    });
    assert_tree(
        "tcp && http || dns",
        Expr::Or(vec![
            Expr::And(vec![exists("tcp"), exists("http")]),
            exists("dns"),
        ]),
    );
    let Expr::QuotedName(name) = ok(r#""Microsoft-Windows-WebIO""#) else {
        panic!()
    };
    assert_eq!(name.value, "Microsoft-Windows-WebIO");
}

#[test]
fn number_literals() {
    let int_of = |text: &str| match literal_of(&format!("x == {text}")) {
        LiteralValue::Int { value, base } => (value, base),
        other => panic!("{other:?}"),
    };
    assert_eq!(int_of("12002"), (12002, IntBase::Decimal));
    assert_eq!(int_of("-5"), (-5, IntBase::Decimal));
    assert_eq!(int_of("0x3A"), (0x3a, IntBase::Hex));
    assert_eq!(int_of("-0x10"), (-16, IntBase::Hex));
    assert_eq!(
        int_of("0xFFFFFFFFFFFFFFFF"),
        (i128::from(u64::MAX), IntBase::Hex)
    );
    assert_eq!(
        int_of("-18446744073709551615"),
        (-i128::from(u64::MAX), IntBase::Decimal)
    );
    assert_eq!(literal_of("x == 32.6"), LiteralValue::Float(32.6));
    assert_eq!(literal_of("x == -0.5"), LiteralValue::Float(-0.5));
    let duration = |amount, unit| LiteralValue::Duration(DurationLiteral { amount, unit });
    assert_eq!(
        literal_of("x > 500ms"),
        duration(500.0, DurationUnit::Milliseconds)
    );
    assert_eq!(literal_of("x > 1.5s"), duration(1.5, DurationUnit::Seconds));
    assert_eq!(
        literal_of("x > 20us"),
        duration(20.0, DurationUnit::Microseconds)
    );
}

#[test]
fn string_guid_ip_and_symbol_literals() {
    assert_eq!(
        literal_of(r#"x == "a\"b\\c\d""#),
        LiteralValue::Str(r#"a"b\c\d"#.into())
    );
    assert_eq!(
        literal_of(r#"x == "日本""#),
        LiteralValue::Str("日本".into())
    );
    let guid = uuid::Uuid::parse_str("7d44233d-3055-4b9c-ba64-0d47ca40a232").unwrap();
    assert_eq!(
        literal_of("x == {7D44233D-3055-4B9C-BA64-0D47CA40A232}"),
        LiteralValue::Guid(guid)
    );
    assert_eq!(
        literal_of("x == 7d44233d-3055-4b9c-ba64-0d47ca40a232"),
        LiteralValue::Guid(guid)
    );
    let ip = |text: &str, prefix_len| LiteralValue::Ip {
        addr: text.parse().unwrap(),
        prefix_len,
    };
    assert_eq!(
        literal_of("x == 10.10.249.1/21"),
        ip("10.10.249.1", Some(21))
    );
    assert_eq!(literal_of("x == fe80::1"), ip("fe80::1", None));
    assert_eq!(literal_of("x == 2001:db8::/32"), ip("2001:db8::", Some(32)));
    assert_eq!(
        literal_of("x == ::ffff:10.0.0.1"),
        ip("::ffff:10.0.0.1", None)
    );
    assert_eq!(
        literal_of("x == WSAETIMEDOUT"),
        LiteralValue::Symbol("WSAETIMEDOUT".into())
    );
    assert_eq!(literal_of("x == true"), LiteralValue::Symbol("true".into()));
    // Starts like a GUID or address but is a name.
    assert_eq!(
        literal_of("x == deadbeef-thing"),
        LiteralValue::Symbol("deadbeef-thing".into())
    );
    assert_eq!(literal_of("x == face"), LiteralValue::Symbol("face".into()));
}

#[test]
fn time_literals() {
    let time = |text: &str| match literal_of(&format!("Timestamp >= {text}")) {
        LiteralValue::Time(time) => time,
        other => panic!("{other:?}"),
    };
    let base = TimeLiteral {
        year: 2011,
        month: 7,
        day: 22,
        hour: 14,
        minute: 32,
        second: 22,
        nanosecond: 638_000_000,
        utc_offset_minutes: None,
        time_of_day_only: false,
        local: false,
    };
    assert_eq!(time("2011-07-22T14:32:22.638"), base);
    assert_eq!(
        time("2011-07-22T14:32:22.638Z"),
        TimeLiteral {
            utc_offset_minutes: Some(0),
            ..base
        }
    );
    assert_eq!(
        time("2011-07-22T14:32:22.638-05:30"),
        TimeLiteral {
            utc_offset_minutes: Some(-330),
            ..base
        }
    );
    assert_eq!(
        time("2011-07-22T14:32:22.638+0100"),
        TimeLiteral {
            utc_offset_minutes: Some(60),
            ..base
        }
    );
    assert_eq!(
        time("2011-07-22T14:32"),
        TimeLiteral {
            second: 0,
            nanosecond: 0,
            ..base
        }
    );
    assert_eq!(
        time("2012-02-29"),
        TimeLiteral {
            year: 2012,
            month: 2,
            day: 29,
            hour: 0,
            minute: 0,
            second: 0,
            nanosecond: 0,
            ..base
        }
    );
    assert_eq!(
        time("2011-07-22T14:32:22.123456789").nanosecond,
        123_456_789
    );
}

#[test]
fn contains_bin_calls() {
    let Expr::ContainsBin(call) = ok(r#"containsbin ( FrameData , utf16 , "ofi" )"#) else {
        panic!()
    };
    assert_eq!((call.encoding, call.span), (BinEncoding::Utf16, 0..41));
    let Expr::ContainsBin(call) = ok(r#"ContainsBin(FrameData, HEX, "6f 66")"#) else {
        panic!()
    };
    assert_eq!(call.pattern.value, "6f 66");
    // Without `(` the name is an ordinary field.
    assert_tree("ContainsBin == 1", eq("ContainsBin", int(1)));
}

#[test]
fn nesting_limit_stops_deep_input_without_overflowing() {
    let deep_ok = format!("{}x{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    assert_tree(&deep_ok, exists("x"));
    let error = err(&format!(
        "{}x == 1{}",
        "(".repeat(MAX_NESTING + 1),
        ")".repeat(MAX_NESTING + 1)
    ));
    assert_eq!(error.span, MAX_NESTING..MAX_NESTING + 1);
    assert!(
        error.message.contains("deeper than 256"),
        "{}",
        error.message
    );

    let error = err(&"(".repeat(10_000));
    assert_eq!(error.span, 256..257);
    let error = err(&"NOT ".repeat(10_000));
    assert_eq!(error.span, 1024..1027);
    let error = err(&format!("x == {}", "(".repeat(10_000)));
    assert_eq!(error.span, 261..262);
    // Long flat chains are not nesting.
    let chain = vec!["a == 1"; 5_000].join(" OR ");
    let Expr::Or(terms) = ok(&chain) else {
        panic!()
    };
    assert_eq!(terms.len(), 5_000);
}
