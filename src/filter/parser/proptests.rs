//! Property tests: printing then parsing any generated tree gives the tree back, and `parse`
//! never panics.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

use super::parse;
use crate::filter::ast::*;

/// A name that cannot be read as a keyword, GUID or IPv6 address (first letter past `f`).
fn first_name() -> impl Strategy<Value = String> {
    "[g-zG-Z_][A-Za-z0-9_-]{0,6}".prop_filter("reserved word", |name| {
        !["and", "or", "not"]
            .iter()
            .any(|word| name.eq_ignore_ascii_case(word))
    })
}

fn later_name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_-]{0,6}"
}

fn separator() -> impl Strategy<Value = Separator> {
    prop_oneof![
        Just(Separator::Dot),
        Just(Separator::Colon),
        Just(Separator::DoubleColon)
    ]
}

fn field_path() -> impl Strategy<Value = FieldPath> {
    let prefix = prop_oneof![
        3 => Just(None),
        1 => Just(Some(PathPrefix::AnyProtocol)),
        1 => Just(Some(PathPrefix::Annotation)),
    ];
    (
        prefix,
        first_name(),
        prop::collection::vec((separator(), later_name()), 0..3),
    )
        .prop_map(|(prefix, first, rest)| {
            let first = PathSegment {
                separator: None,
                name: first,
                span: 0..0,
            };
            let rest = rest.into_iter().map(|(separator, name)| PathSegment {
                separator: Some(separator),
                name,
                span: 0..0,
            });
            FieldPath {
                prefix,
                segments: std::iter::once(first).chain(rest).collect(),
                span: 0..0,
            }
        })
}

fn int_base() -> impl Strategy<Value = IntBase> {
    prop_oneof![Just(IntBase::Decimal), Just(IntBase::Hex)]
}

fn field_operand() -> impl Strategy<Value = FieldOperand> {
    let mask = prop::option::of((any::<u64>(), int_base()).prop_map(|(value, base)| Mask {
        value,
        base,
        span: 0..0,
    }));
    (field_path(), mask).prop_map(|(path, mask)| FieldOperand { path, mask })
}

fn finite_f64() -> impl Strategy<Value = f64> {
    use proptest::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    (NORMAL | SUBNORMAL | ZERO | POSITIVE | NEGATIVE)
        .prop_filter("finite", |value| value.is_finite())
}

fn time() -> impl Strategy<Value = TimeLiteral> {
    let zone = prop::option::of(-1439i16..=1439);
    (
        0u16..=9999,
        1u8..=12,
        1u8..=28,
        0u8..=23,
        0u8..=59,
        0u8..=59,
        0u32..1_000_000_000,
        zone,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(
                year,
                month,
                day,
                hour,
                minute,
                second,
                nanosecond,
                utc_offset_minutes,
                time_of_day_only,
                local,
            )| {
                let (year, month, day) = if time_of_day_only {
                    (0, 0, 0)
                } else {
                    (year, month, day)
                };
                TimeLiteral {
                    year,
                    month,
                    day,
                    hour,
                    minute,
                    second,
                    nanosecond,
                    utc_offset_minutes,
                    time_of_day_only,
                    local: local && utc_offset_minutes.is_none(),
                }
            },
        )
}

fn ip() -> impl Strategy<Value = LiteralValue> {
    prop_oneof![
        (any::<u32>(), prop::option::of(0u8..=32)).prop_map(|(bits, prefix_len)| {
            LiteralValue::Ip {
                addr: IpAddr::V4(Ipv4Addr::from(bits)),
                prefix_len,
            }
        }),
        (any::<u128>(), prop::option::of(0u8..=128)).prop_map(|(bits, prefix_len)| {
            LiteralValue::Ip {
                addr: IpAddr::V6(Ipv6Addr::from(bits)),
                prefix_len,
            }
        }),
    ]
}

/// Literal values other than symbols.
fn plain_value() -> impl Strategy<Value = LiteralValue> {
    let magnitude = i128::from(u64::MAX);
    let unit = prop_oneof![
        Just(DurationUnit::Seconds),
        Just(DurationUnit::Milliseconds),
        Just(DurationUnit::Microseconds)
    ];
    prop_oneof![
        (-magnitude..=magnitude, int_base())
            .prop_map(|(value, base)| LiteralValue::Int { value, base }),
        finite_f64().prop_map(LiteralValue::Float),
        any::<String>().prop_map(LiteralValue::Str),
        any::<u128>().prop_map(|bits| LiteralValue::Guid(uuid::Uuid::from_u128(bits))),
        ip(),
        time().prop_map(LiteralValue::Time),
        (finite_f64(), unit)
            .prop_map(|(amount, unit)| LiteralValue::Duration(DurationLiteral { amount, unit })),
    ]
}

fn value() -> impl Strategy<Value = LiteralValue> {
    prop_oneof![4 => plain_value(), 1 => first_name().prop_map(LiteralValue::Symbol)]
}

fn literal(value: impl Strategy<Value = LiteralValue>) -> impl Strategy<Value = Literal> {
    value.prop_map(|value| Literal { value, span: 0..0 })
}

fn cmp_op() -> impl Strategy<Value = CmpOp> {
    prop_oneof![
        Just(CmpOp::Eq),
        Just(CmpOp::Ne),
        Just(CmpOp::ValueNe),
        Just(CmpOp::Lt),
        Just(CmpOp::Gt),
        Just(CmpOp::Le),
        Just(CmpOp::Ge),
    ]
}

fn string_literal(text: impl Strategy<Value = String>) -> impl Strategy<Value = StringLiteral> {
    text.prop_map(|value| StringLiteral { value, span: 0..0 })
}

/// Comparisons the parser can produce: field against value or against a field that does not
/// read as a symbol, or a non-symbol literal against any field.
fn comparison() -> impl Strategy<Value = Expr> {
    let value_field = field_operand().prop_filter("reads as a symbol", |field| {
        !(field.path.is_bare_name() && field.mask.is_none())
    });
    let sides = prop_oneof![
        (field_operand(), literal(value()).prop_map(Operand::Literal))
            .prop_map(|(l, r)| (Operand::Field(l), r)),
        (field_operand(), value_field).prop_map(|(l, r)| (Operand::Field(l), Operand::Field(r))),
        (literal(plain_value()), field_operand())
            .prop_map(|(l, r)| (Operand::Literal(l), Operand::Field(r))),
    ];
    (sides, cmp_op()).prop_map(|((left, right), op)| {
        Expr::Compare(Comparison {
            left,
            op,
            right,
            op_span: 0..0,
        })
    })
}

fn text_match() -> impl Strategy<Value = Expr> {
    let regex = prop_oneof![
        any::<String>().prop_map(|text| regex::escape(&text)),
        Just(r"mapped \(.*\) \d+".to_string()),
        Just(r#"(?i)a|"b"|\\"#.to_string()),
    ];
    let contains = (field_path(), string_literal(any::<String>()), any::<bool>()).prop_map(
        |(field, pattern, case_sensitive)| {
            Expr::Text(TextMatch {
                field,
                op: TextOp::Contains,
                pattern,
                case_sensitive,
                op_span: 0..0,
            })
        },
    );
    let matches = (field_path(), string_literal(regex), any::<bool>()).prop_map(
        |(field, pattern, case_sensitive)| {
            Expr::Text(TextMatch {
                field,
                op: TextOp::Matches,
                pattern,
                case_sensitive,
                op_span: 0..0,
            })
        },
    );
    prop_oneof![contains, matches]
}

fn contains_bin() -> impl Strategy<Value = Expr> {
    let call = |encoding, text: BoxedStrategy<String>| {
        (field_path(), string_literal(text)).prop_map(move |(field, pattern)| {
            Expr::ContainsBin(ContainsBin {
                field,
                encoding,
                pattern,
                span: 0..0,
            })
        })
    };
    prop_oneof![
        call(BinEncoding::Ascii, "[ -~]{0,8}".boxed()),
        call(BinEncoding::Hex, "(0x)?([0-9a-fA-F]{2} ?){1,4}".boxed()),
        call(BinEncoding::Utf16, any::<String>().boxed()),
    ]
}

fn leaf() -> impl Strategy<Value = Expr> {
    let set = (
        field_operand(),
        prop::collection::vec(literal(value()), 1..4),
    )
        .prop_map(|(field, members)| {
            Expr::InSet(SetMembership {
                field,
                members,
                span: 0..0,
            })
        });
    let has = (field_path(), "[A-Za-z_][A-Za-z0-9_]{0,8}").prop_map(|(field, name)| {
        Expr::HasBit(HasBit {
            field,
            bit: Name { name, span: 0..0 },
        })
    });
    prop_oneof![
        field_path().prop_map(Expr::Exists),
        string_literal(any::<String>()).prop_map(Expr::QuotedName),
        comparison(),
        text_match(),
        set,
        has,
        contains_bin(),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            inner.prop_map(|child| Expr::Not(Box::new(child))),
        ]
    })
}

/// Printable ASCII weighted towards the language's punctuation, to reach deep error paths.
fn filter_like_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("AND ".to_string()),
            Just("OR ".to_string()),
            Just("NOT ".to_string()),
            Just(" == ".to_string()),
            Just(" in ".to_string()),
            Just(" contains ".to_string()),
            Just(" matches ".to_string()),
            Just(" has ".to_string()),
            Just("ContainsBin(".to_string()),
            "[ (){}\\[\\]!&|=<>~,.:*#\"'\\\\/+-]".prop_map(String::from),
            "[A-Za-z_][A-Za-z0-9_.-]{0,6}",
            "-?[0-9]{1,4}(\\.[0-9]{1,3})?(ms|s|us)?",
            "0x[0-9a-fA-F]{0,17}",
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}",
            "20[0-9]{2}-[0-9]{2}-[0-9]{2}(T[0-9:.]{0,12})?",
            "\"[^\"]{0,6}\"?",
            any::<char>().prop_map(String::from),
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn printing_then_parsing_gives_the_same_tree(tree in expr()) {
        let printed = tree.to_string();
        let reparsed = parse(&printed).map_err(|error| TestCaseError::fail(error.render(&printed)))?;
        prop_assert!(reparsed.eq_ignoring_spans(&tree), "printed: {}\nreparsed: {:?}", printed, reparsed);
        // Printing is canonical: the reparsed tree prints the same text.
        prop_assert_eq!(reparsed.to_string(), printed);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(text in any::<String>()) {
        check_error_is_well_formed(&text);
    }

    #[test]
    fn parse_never_panics_on_filter_like_text(text in filter_like_text()) {
        check_error_is_well_formed(&text);
    }
}

/// Parse; on error the span must lie inside the text on character boundaries and rendering
/// must work.
fn check_error_is_well_formed(text: &str) {
    if let Err(error) = parse(text) {
        assert!(
            error.span.start <= error.span.end && error.span.end <= text.len(),
            "{error:?} for {text:?}"
        );
        assert!(
            text.is_char_boundary(error.span.start) && text.is_char_boundary(error.span.end),
            "{error:?}"
        );
        assert!(!error.message.is_empty());
        assert!(error.render(text).contains('^'));
    }
}
