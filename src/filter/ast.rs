//! Syntax tree of an etlview display filter (grammar: shared/docs/filter-language.md §3).
//!
//! Spans are byte ranges into the filter text and take part in the derived `PartialEq`;
//! compare trees from different texts with [`Expr::eq_ignoring_spans`].
//!
//! `Display` prints the canonical form: upper-case `AND`/`OR`/`NOT`, lower-case operator words,
//! `{...}` sets, braced GUIDs and parentheses only where the tree shape needs them.
//! `parse(expr.to_string())` rebuilds the same tree (spans aside) for every tree the parser can
//! produce. Shapes the parser never builds have no spelling of their own: an `And`/`Or` with
//! fewer than two operands, a `Symbol` literal on the left of a comparison, a bare single-name
//! field on the right of a field (it reads back as a `Symbol`), two literals compared, path
//! names that are not identifiers, or a first name that is `AND`/`OR`/`NOT` or looks like a
//! GUID or IPv6 address.

use std::net::IpAddr;

mod print;

/// Byte range into the filter text.
pub type Span = std::ops::Range<usize>;

/// A filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Two or more alternatives, evaluated left to right.
    Or(Vec<Expr>),
    /// Two or more conditions, evaluated left to right.
    And(Vec<Expr>),
    Not(Box<Expr>),
    /// A field, property or protocol name alone (`tcp`, `Property.TCPRetransmit`): true when the
    /// event has it.
    Exists(FieldPath),
    /// A quoted provider/protocol name alone (`"Microsoft-Windows-WebIO"`), §3.2.
    QuotedName(StringLiteral),
    Compare(Comparison),
    /// `contains` / `matches` / `~`, and the `field.contains("x")` method spelling.
    Text(TextMatch),
    /// `field in {a, b}`.
    InSet(SetMembership),
    /// `Keyword has RECEIVE`.
    HasBit(HasBit),
    /// `ContainsBin(FrameData, ASCII, "office")`.
    ContainsBin(ContainsBin),
}

/// A dotted field reference such as `NetEvent.Header.Descriptor.Id` or `*Port`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldPath {
    pub prefix: Option<PathPrefix>,
    /// At least one segment; the first has no separator, every later one has.
    pub segments: Vec<PathSegment>,
    /// Whole path including the prefix.
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathPrefix {
    /// `*Port`: search every protocol (Message Analyzer).
    AnyProtocol,
    /// `#MessageNumber`: annotation (Message Analyzer).
    Annotation,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PathSegment {
    /// Separator written before this segment; `None` for the first one.
    pub separator: Option<Separator>,
    /// As typed; names are case-insensitive, so compare with `eq_ignore_ascii_case`.
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// `.`
    Dot,
    /// `:` (Message Analyzer: exactly one level down)
    Colon,
    /// `::` (Message Analyzer: `HTTP::Method`, `Etw::ProcessId`)
    DoubleColon,
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Field(FieldOperand),
    Literal(Literal),
}

/// A field, optionally masked: `Keyword & 0x200000000`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldOperand {
    pub path: FieldPath,
    pub mask: Option<Mask>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mask {
    pub value: u64,
    pub base: IntBase,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntBase {
    Decimal,
    Hex,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub value: LiteralValue,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LiteralValue {
    /// Magnitude at most `u64::MAX`, either sign; `base` only affects printing.
    Int {
        value: i128,
        base: IntBase,
    },
    /// Always finite.
    Float(f64),
    Str(String),
    Guid(uuid::Uuid),
    /// `192.168.0.216`, `10.10.249.1/21`, `fe80::1/64`.
    Ip {
        addr: IpAddr,
        prefix_len: Option<u8>,
    },
    Time(TimeLiteral),
    Duration(DurationLiteral),
    /// A bare name on the value side (`ERROR_WINHTTP_TIMEOUT`, `error`, `ResponseParser`,
    /// `true`): the compiler resolves it against the error table or the field's named values.
    Symbol(String),
}

/// ISO-8601 date-time as written; the date and clock fields are range-checked by the parser.
/// Accepted forms: [`TIME_FORMS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeLiteral {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub nanosecond: u32,
    /// `None`: no zone written (UTC, the zone etlview shows times in, unless `local`);
    /// `Some(0)` for `Z`.
    pub utc_offset_minutes: Option<i16>,
    /// Only a time of day was written (`14:32:40`): the date is the trace's first day (in UTC,
    /// or in the capture's zone when `local`); `year`/`month`/`day` are 0.
    pub time_of_day_only: bool,
    /// Marked ` local`: the capture's local time (the trace header's time-zone bias).
    /// Never set together with a zone.
    pub local: bool,
}

/// The time literal forms the parser accepts, for error messages.
pub const TIME_FORMS: [&str; 6] = [
    "2024-03-12T14:32:40[.fraction]",
    "2024-03-12 14:32:40 (space for T)",
    "14:32:40 (that day of the trace)",
    "a zone: ...Z or ...+01:00",
    "... local (the capture's local time)",
    "any of these in double quotes",
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DurationLiteral {
    /// Finite, as written in `unit`s.
    pub amount: f64,
    pub unit: DurationUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    Seconds,
    Milliseconds,
    Microseconds,
}

impl DurationLiteral {
    pub fn as_seconds(&self) -> f64 {
        match self.unit {
            DurationUnit::Seconds => self.amount,
            DurationUnit::Milliseconds => self.amount / 1e3,
            DurationUnit::Microseconds => self.amount / 1e6,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    /// `!=`: true when the field is missing.
    Ne,
    /// `~=`: value-only not-equal, false when the field is missing.
    ValueNe,
    Lt,
    Gt,
    Le,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::ValueNe => "~=",
            CmpOp::Lt => "<",
            CmpOp::Gt => ">",
            CmpOp::Le => "<=",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub left: Operand,
    pub op: CmpOp,
    pub right: Operand,
    pub op_span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextOp {
    /// Substring test.
    Contains,
    /// Unanchored regex search. The parser validated the pattern with
    /// `regex::RegexBuilder::new(pattern).case_insensitive(!case_sensitive)`; compile it the
    /// same way.
    Matches,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TextMatch {
    pub field: FieldPath,
    pub op: TextOp,
    pub pattern: StringLiteral,
    /// `caseSensitive` was written; otherwise both operators ignore case.
    pub case_sensitive: bool,
    pub op_span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StringLiteral {
    /// Unescaped value.
    pub value: String,
    /// Including the quotes.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SetMembership {
    pub field: FieldOperand,
    /// At least one member.
    pub members: Vec<Literal>,
    /// From the opening to the closing bracket.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HasBit {
    pub field: FieldPath,
    pub bit: Name,
}

/// An identifier used as a name (keyword bit names).
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContainsBin {
    pub field: FieldPath,
    pub encoding: BinEncoding,
    /// For `Hex` the parser checked it is an even number of hex digits (optional `0x`, spaces).
    pub pattern: StringLiteral,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinEncoding {
    Ascii,
    Hex,
    Utf16,
}

impl BinEncoding {
    pub fn keyword(self) -> &'static str {
        match self {
            BinEncoding::Ascii => "ASCII",
            BinEncoding::Hex => "HEX",
            BinEncoding::Utf16 => "UTF16",
        }
    }
}

impl FieldPath {
    /// Segment names in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().map(|segment| segment.name.as_str())
    }

    /// One name with no prefix (`Error`, `tcp`).
    pub fn is_bare_name(&self) -> bool {
        self.prefix.is_none() && self.segments.len() == 1
    }
}

impl Expr {
    /// Same tree with every span set to `0..0`.
    pub fn without_spans(&self) -> Expr {
        let mut copy = self.clone();
        copy.clear_spans();
        copy
    }

    /// Structural equality that ignores where things were written.
    pub fn eq_ignoring_spans(&self, other: &Expr) -> bool {
        self.without_spans() == other.without_spans()
    }

    fn clear_spans(&mut self) {
        match self {
            Expr::Or(items) | Expr::And(items) => items.iter_mut().for_each(Expr::clear_spans),
            Expr::Not(inner) => inner.clear_spans(),
            Expr::Exists(path) => path.clear_spans(),
            Expr::QuotedName(name) => name.span = 0..0,
            Expr::Compare(cmp) => {
                cmp.left.clear_spans();
                cmp.right.clear_spans();
                cmp.op_span = 0..0;
            }
            Expr::Text(text) => {
                text.field.clear_spans();
                text.pattern.span = 0..0;
                text.op_span = 0..0;
            }
            Expr::InSet(set) => {
                set.field.clear_spans();
                set.members.iter_mut().for_each(|member| member.span = 0..0);
                set.span = 0..0;
            }
            Expr::HasBit(has) => {
                has.field.clear_spans();
                has.bit.span = 0..0;
            }
            Expr::ContainsBin(call) => {
                call.field.clear_spans();
                call.pattern.span = 0..0;
                call.span = 0..0;
            }
        }
    }
}

impl FieldPath {
    fn clear_spans(&mut self) {
        self.span = 0..0;
        self.segments
            .iter_mut()
            .for_each(|segment| segment.span = 0..0);
    }
}

impl Operand {
    fn clear_spans(&mut self) {
        match self {
            Operand::Field(field) => field.clear_spans(),
            Operand::Literal(literal) => literal.span = 0..0,
        }
    }
}

impl FieldOperand {
    fn clear_spans(&mut self) {
        self.path.clear_spans();
        if let Some(mask) = &mut self.mask {
            mask.span = 0..0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compare(left: &str, right: LiteralValue) -> Expr {
        let path = FieldPath {
            prefix: None,
            segments: vec![PathSegment {
                separator: None,
                name: left.into(),
                span: 0..1,
            }],
            span: 0..1,
        };
        Expr::Compare(Comparison {
            left: Operand::Field(FieldOperand { path, mask: None }),
            op: CmpOp::Eq,
            right: Operand::Literal(Literal {
                value: right,
                span: 3..4,
            }),
            op_span: 1..2,
        })
    }

    #[test]
    fn span_free_comparison_ignores_positions_but_not_values() {
        let int = |value| LiteralValue::Int {
            value,
            base: IntBase::Decimal,
        };
        let original = compare("x", int(1));
        let mut moved = original.clone();
        if let Expr::Compare(cmp) = &mut moved {
            cmp.op_span = 10..12;
            if let Operand::Literal(literal) = &mut cmp.right {
                literal.span = 20..21;
            }
        }
        assert_ne!(original, moved);
        assert!(original.eq_ignoring_spans(&moved));
        assert!(!original.eq_ignoring_spans(&compare("x", int(2))));
        let Expr::Compare(stripped) = original.without_spans() else {
            panic!("shape changed")
        };
        assert_eq!(
            (stripped.op_span, stripped.right.to_string()),
            (0..0, "1".to_string())
        );
        let Operand::Literal(literal) = stripped.right else {
            panic!("shape changed")
        };
        assert_eq!(literal.span, 0..0);
    }
}
