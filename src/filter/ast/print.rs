//! Canonical printing of filter trees (see the module documentation of `ast`).

use std::fmt::{self, Display, Formatter, Write as _};

use super::{
    DurationUnit, Expr, FieldOperand, FieldPath, IntBase, Literal, LiteralValue, Operand,
    PathPrefix, Separator, StringLiteral, TextOp, TimeLiteral,
};

impl Expr {
    /// Binding strength for printing: OR < AND < everything else.
    fn precedence(&self) -> u8 {
        match self {
            Expr::Or(_) => 1,
            Expr::And(_) => 2,
            _ => 3,
        }
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Or(items) => write_joined(f, items, " OR ", 1),
            // Both AND and OR children need parentheses under AND: a nested AND only exists
            // because the text had them, and the printed form must keep the tree shape.
            Expr::And(items) => write_joined(f, items, " AND ", 2),
            Expr::Not(inner) => {
                f.write_str("NOT ")?;
                write_child(f, inner, 3)
            }
            Expr::Exists(path) => path.fmt(f),
            Expr::QuotedName(name) => name.fmt(f),
            Expr::Compare(cmp) => write!(f, "{} {} {}", cmp.left, cmp.op.symbol(), cmp.right),
            Expr::Text(text) => {
                let op = match text.op {
                    TextOp::Contains => "contains",
                    TextOp::Matches => "matches",
                };
                write!(f, "{} {op} {}", text.field, text.pattern)?;
                if text.case_sensitive {
                    f.write_str(" caseSensitive")?;
                }
                Ok(())
            }
            Expr::InSet(set) => {
                write!(f, "{} in {{", set.field)?;
                for (index, member) in set.members.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    member.fmt(f)?;
                }
                f.write_char('}')
            }
            Expr::HasBit(has) => write!(f, "{} has {}", has.field, has.bit.name),
            Expr::ContainsBin(call) => write!(
                f,
                "ContainsBin({}, {}, {})",
                call.field,
                call.encoding.keyword(),
                call.pattern
            ),
        }
    }
}

/// Children whose precedence is not above `parent` get parentheses; for equal precedence that
/// keeps explicit grouping such as `(a OR b) OR c`.
fn write_joined(f: &mut Formatter<'_>, items: &[Expr], joiner: &str, parent: u8) -> fmt::Result {
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            f.write_str(joiner)?;
        }
        write_child(f, item, parent)?;
    }
    Ok(())
}

fn write_child(f: &mut Formatter<'_>, child: &Expr, parent: u8) -> fmt::Result {
    if child.precedence() <= parent && child.precedence() < 3 {
        write!(f, "({child})")
    } else {
        child.fmt(f)
    }
}

impl Display for FieldPath {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.prefix {
            Some(PathPrefix::AnyProtocol) => f.write_char('*')?,
            Some(PathPrefix::Annotation) => f.write_char('#')?,
            None => {}
        }
        for segment in &self.segments {
            match segment.separator {
                Some(Separator::Dot) => f.write_char('.')?,
                Some(Separator::Colon) => f.write_char(':')?,
                Some(Separator::DoubleColon) => f.write_str("::")?,
                None => {}
            }
            f.write_str(&segment.name)?;
        }
        Ok(())
    }
}

impl Display for FieldOperand {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.mask {
            // Parenthesised so C readers do not take it as `Keyword & (0x10 != 0)`.
            Some(mask) => write!(
                f,
                "({} & {})",
                self.path,
                IntDisplay(mask.value.into(), mask.base)
            ),
            None => self.path.fmt(f),
        }
    }
}

impl Display for Operand {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Field(field) => field.fmt(f),
            Operand::Literal(literal) => literal.fmt(f),
        }
    }
}

impl Display for StringLiteral {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_quoted(f, &self.value)
    }
}

/// Inverse of the string rule in §3.1: only `\"`, `\\` are escapes, so a backslash is doubled
/// only where it would otherwise start one (before `"` or `\`, or at the end).
fn write_quoted(f: &mut Formatter<'_>, value: &str) -> fmt::Result {
    f.write_char('"')?;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' if matches!(chars.peek(), None | Some('"' | '\\')) => f.write_str("\\\\")?,
            _ => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl Display for LiteralValue {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            LiteralValue::Int { value, base } => IntDisplay(*value, *base).fmt(f),
            LiteralValue::Float(value) => {
                // Rust prints the shortest text that reads back to the same f64, never with an
                // exponent; keep a fraction so it does not read back as an integer.
                let text = value.to_string();
                f.write_str(&text)?;
                if !text.contains('.') {
                    f.write_str(".0")?;
                }
                Ok(())
            }
            LiteralValue::Str(value) => write_quoted(f, value),
            LiteralValue::Guid(guid) => write!(f, "{{{}}}", guid.hyphenated()),
            LiteralValue::Ip { addr, prefix_len } => {
                addr.fmt(f)?;
                match prefix_len {
                    Some(len) => write!(f, "/{len}"),
                    None => Ok(()),
                }
            }
            LiteralValue::Time(time) => time.fmt(f),
            LiteralValue::Duration(duration) => {
                let unit = match duration.unit {
                    DurationUnit::Seconds => "s",
                    DurationUnit::Milliseconds => "ms",
                    DurationUnit::Microseconds => "us",
                };
                write!(f, "{}{unit}", duration.amount)
            }
            LiteralValue::Symbol(name) => f.write_str(name),
        }
    }
}

struct IntDisplay(i128, IntBase);

impl Display for IntDisplay {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let IntDisplay(value, base) = *self;
        match base {
            IntBase::Decimal => write!(f, "{value}"),
            IntBase::Hex if value < 0 => write!(f, "-0x{:x}", value.unsigned_abs()),
            IntBase::Hex => write!(f, "0x{value:x}"),
        }
    }
}

impl Display for TimeLiteral {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if !self.time_of_day_only {
            write!(f, "{:04}-{:02}-{:02}T", self.year, self.month, self.day)?;
        }
        write!(f, "{:02}:{:02}:{:02}", self.hour, self.minute, self.second)?;
        if self.nanosecond != 0 {
            let fraction = format!("{:09}", self.nanosecond);
            write!(f, ".{}", fraction.trim_end_matches('0'))?;
        }
        match self.utc_offset_minutes {
            None if self.local => f.write_str(" local"),
            None => Ok(()),
            Some(0) => f.write_char('Z'),
            Some(offset) => {
                let sign = if offset < 0 { '-' } else { '+' };
                let magnitude = offset.unsigned_abs();
                write!(f, "{sign}{:02}:{:02}", magnitude / 60, magnitude % 60)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::filter::ast::*;

    fn path(names: &[(Option<Separator>, &str)], prefix: Option<PathPrefix>) -> FieldPath {
        let segments = names
            .iter()
            .map(|&(separator, name)| PathSegment {
                separator,
                name: name.into(),
                span: 0..0,
            })
            .collect();
        FieldPath {
            prefix,
            segments,
            span: 0..0,
        }
    }

    fn exists(name: &str) -> Expr {
        Expr::Exists(path(&[(None, name)], None))
    }

    fn value(value: LiteralValue) -> String {
        Literal { value, span: 0..0 }.to_string()
    }

    fn compare(left: &str, right: LiteralValue) -> Expr {
        Expr::Compare(Comparison {
            left: Operand::Field(FieldOperand {
                path: path(&[(None, left)], None),
                mask: None,
            }),
            op: CmpOp::Eq,
            right: Operand::Literal(Literal {
                value: right,
                span: 3..4,
            }),
            op_span: 1..2,
        })
    }

    #[test]
    fn boolean_printing_adds_parentheses_only_where_the_shape_needs_them() {
        let (a, b, c) = (exists("a"), exists("b"), exists("c"));
        let or = |items: Vec<Expr>| Expr::Or(items);
        let and = |items: Vec<Expr>| Expr::And(items);
        let not = |inner: Expr| Expr::Not(Box::new(inner));
        assert_eq!(
            or(vec![and(vec![a.clone(), b.clone()]), c.clone()]).to_string(),
            "a AND b OR c"
        );
        assert_eq!(
            and(vec![or(vec![a.clone(), b.clone()]), c.clone()]).to_string(),
            "(a OR b) AND c"
        );
        assert_eq!(
            or(vec![a.clone(), or(vec![b.clone(), c.clone()])]).to_string(),
            "a OR (b OR c)"
        );
        assert_eq!(
            and(vec![and(vec![a.clone(), b.clone()]), c.clone()]).to_string(),
            "(a AND b) AND c"
        );
        assert_eq!(
            not(and(vec![a.clone(), b.clone()])).to_string(),
            "NOT (a AND b)"
        );
        assert_eq!(not(not(a.clone())).to_string(), "NOT NOT a");
        let int = LiteralValue::Int {
            value: 1,
            base: IntBase::Decimal,
        };
        assert_eq!(not(compare("x", int)).to_string(), "NOT x == 1");
    }

    #[test]
    fn paths_print_prefixes_and_separators() {
        let mixed = path(
            &[
                (None, "HTTP"),
                (Some(Separator::Colon), "Request"),
                (Some(Separator::DoubleColon), "Method"),
            ],
            None,
        );
        assert_eq!(mixed.to_string(), "HTTP:Request::Method");
        assert_eq!(
            path(&[(None, "Port")], Some(PathPrefix::AnyProtocol)).to_string(),
            "*Port"
        );
        assert_eq!(
            path(&[(None, "N")], Some(PathPrefix::Annotation)).to_string(),
            "#N"
        );
        let masked = FieldOperand {
            path: path(&[(None, "Keyword")], None),
            mask: Some(Mask {
                value: 0x200000000,
                base: IntBase::Hex,
                span: 0..0,
            }),
        };
        assert_eq!(masked.to_string(), "(Keyword & 0x200000000)");
    }

    #[test]
    fn strings_escape_only_what_the_parser_would_read_as_an_escape() {
        let text = |raw: &str| value(LiteralValue::Str(raw.into()));
        assert_eq!(text(r"\d+ \("), r#""\d+ \(""#);
        assert_eq!(text(r#"say "hi""#), r#""say \"hi\"""#);
        assert_eq!(text(r"ends\"), r#""ends\\""#);
        assert_eq!(text(r"a\\b"), r#""a\\\b""#);
        assert_eq!(text(r#"\""#), r#""\\\"""#);
    }

    #[test]
    fn numbers_print_so_they_read_back_as_the_same_kind() {
        let int = |value, base| value_of_int(value, base);
        assert_eq!(int(12002, IntBase::Decimal), "12002");
        assert_eq!(int(-16, IntBase::Hex), "-0x10");
        assert_eq!(
            int(i128::from(u64::MAX), IntBase::Hex),
            "0xffffffffffffffff"
        );
        assert_eq!(value(LiteralValue::Float(32.0)), "32.0");
        assert_eq!(value(LiteralValue::Float(-0.5)), "-0.5");
        assert_eq!(value(LiteralValue::Float(1e21)), "1000000000000000000000.0");
        let duration = DurationLiteral {
            amount: 500.0,
            unit: DurationUnit::Milliseconds,
        };
        assert_eq!(value(LiteralValue::Duration(duration)), "500ms");
        assert_eq!(duration.as_seconds(), 0.5);
        let micro = DurationLiteral {
            amount: 2.5,
            unit: DurationUnit::Microseconds,
        };
        assert_eq!(
            (value(LiteralValue::Duration(micro)), micro.as_seconds()),
            ("2.5us".into(), 2.5e-6)
        );
    }

    fn value_of_int(value: i128, base: IntBase) -> String {
        self::value(LiteralValue::Int { value, base })
    }

    #[test]
    fn guids_addresses_times_and_symbols_print_in_canonical_form() {
        let guid = uuid::Uuid::from_u128(0x7D44233D_3055_4B9C_BA64_0D47CA40A232);
        assert_eq!(
            value(LiteralValue::Guid(guid)),
            "{7d44233d-3055-4b9c-ba64-0d47ca40a232}"
        );
        let addr = "10.10.249.1".parse().unwrap();
        assert_eq!(
            value(LiteralValue::Ip {
                addr,
                prefix_len: Some(21)
            }),
            "10.10.249.1/21"
        );
        let time = TimeLiteral {
            year: 2011,
            month: 7,
            day: 22,
            hour: 14,
            minute: 32,
            second: 2,
            nanosecond: 638_000_000,
            utc_offset_minutes: None,
            time_of_day_only: false,
            local: false,
        };
        assert_eq!(value(LiteralValue::Time(time)), "2011-07-22T14:32:02.638");
        let zoned = |minutes| TimeLiteral {
            nanosecond: 0,
            utc_offset_minutes: Some(minutes),
            ..time
        };
        assert_eq!(value(LiteralValue::Time(zoned(0))), "2011-07-22T14:32:02Z");
        assert_eq!(
            value(LiteralValue::Time(zoned(-330))),
            "2011-07-22T14:32:02-05:30"
        );
        assert_eq!(
            value(LiteralValue::Time(zoned(60))),
            "2011-07-22T14:32:02+01:00"
        );
        assert_eq!(
            value(LiteralValue::Symbol("ERROR_WINHTTP_TIMEOUT".into())),
            "ERROR_WINHTTP_TIMEOUT"
        );
    }
}
