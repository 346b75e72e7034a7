//! Conditions: what follows the first operand (comparison, text, set and bit operators), or
//! an existence test when nothing does.

use super::lexer::{self, comparison_operator, is_ident_start, keyword, operator_run, skip_ws};
use super::{
    AFTER_FIELD, PResult, Parser, Side, Term, VALUE_START, and_operator, fail, or_operator,
};
use crate::filter::ast::{
    CmpOp, Comparison, Expr, FieldOperand, FieldPath, HasBit, Literal, LiteralValue, Name, Operand,
    SetMembership, Span, StringLiteral, TextMatch, TextOp,
};
use crate::filter::error::FilterError;

impl<'s> Parser<'s> {
    /// What follows an operand at the start of a condition.
    pub(super) fn condition(&self, term: Term, rest: &'s str, depth: usize) -> PResult<'s, Expr> {
        let after = skip_ws(rest);
        let left = match term {
            Term::Method {
                path,
                pattern,
                op_span,
            } => {
                let (rest, case_sensitive) = lexer::case_sensitive_suffix(after, rest);
                if let Some(op) =
                    operator_run(skip_ws(rest)).filter(|op| comparison_operator(op).is_some())
                {
                    let start = self.offset(skip_ws(rest));
                    return self.fatal(FilterError::new(
                        start..start + op.len(),
                        "`.contains(...)` is already a condition and cannot be compared",
                    ));
                }
                let text = TextMatch {
                    field: path,
                    op: TextOp::Contains,
                    pattern,
                    case_sensitive,
                    op_span,
                };
                return Ok((rest, Expr::Text(text)));
            }
            Term::Operand(left) => left,
        };
        if let Some(op_text) = operator_run(after) {
            let after_op = after.get(op_text.len()..).unwrap_or("");
            let op_span = self.span_between(after, after_op);
            if op_text == "~" {
                return self.text_match(left, TextOp::Matches, after_op, op_span);
            }
            return match comparison_operator(op_text) {
                Some(op) => self.comparison(left, op, op_span, after_op, depth),
                None => self.fatal(lexer::unknown_operator(op_span, op_text)),
            };
        }
        for (word, text_op) in [("contains", TextOp::Contains), ("matches", TextOp::Matches)] {
            if let Ok((after_kw, _)) = keyword(word)(after) {
                let op_span = self.span_between(after, after_kw);
                return self.text_match(left, text_op, after_kw, op_span);
            }
        }
        if let Ok((after_kw, _)) = keyword("in")(after) {
            return self.set_membership(left, after_kw, self.span_between(after, after_kw));
        }
        if let Ok((after_kw, _)) = keyword("has")(after) {
            return self.has_bit(left, after_kw, self.span_between(after, after_kw));
        }
        self.lone_operand(left, rest, after)
    }

    /// An operand with no operator after it: an existence test, or an error.
    fn lone_operand(&self, left: Operand, rest: &'s str, after: &'s str) -> PResult<'s, Expr> {
        let ends_condition = after.is_empty()
            || after.starts_with(')')
            || and_operator(after).is_some()
            || or_operator(after).is_some();
        if !ends_condition {
            let (span, found) = self.token_at(after);
            let word = self.src.get(span.clone()).unwrap_or("");
            let starts_word = after.starts_with(is_ident_start);
            if starts_word || after.starts_with(['|', '&', '^', '+', '-', '*', '/', '%']) {
                return self.fatal(lexer::unknown_operator(span, word));
            }
            return self.fatal(
                FilterError::new(
                    span,
                    format!("expected an operator or AND/OR, found {found}"),
                )
                .with_expected(AFTER_FIELD),
            );
        }
        match left {
            Operand::Field(FieldOperand { path, mask: None }) => Ok((rest, Expr::Exists(path))),
            Operand::Field(FieldOperand {
                path,
                mask: Some(mask),
            }) => self.fatal(FilterError::new(
                path.span.start..mask.span.end,
                format!(
                    "a masked value must be compared, e.g. `({path} & 0x{:x}) != 0`",
                    mask.value
                ),
            )),
            Operand::Literal(Literal {
                value: LiteralValue::Str(value),
                span,
            }) => Ok((rest, Expr::QuotedName(StringLiteral { value, span }))),
            Operand::Literal(literal) => self.fatal(FilterError::new(
                literal.span,
                "a value alone is not a condition; compare it with a field, e.g. `EventId == 17`",
            )),
        }
    }

    fn comparison(
        &self,
        left: Operand,
        op: CmpOp,
        op_span: Span,
        after_op: &'s str,
        depth: usize,
    ) -> PResult<'s, Expr> {
        let input = skip_ws(after_op);
        let symbol = op.symbol();
        if input.is_empty() {
            return self.fatal(
                FilterError::new(op_span, format!("missing value after `{symbol}`"))
                    .with_expected(VALUE_START),
            );
        }
        let side = match left {
            Operand::Field(_) => Side::RightOfField,
            Operand::Literal(_) => Side::RightOfLiteral,
        };
        let (rest, right) = match self.operand(input, depth, side) {
            Ok((rest, Term::Operand(right))) => (rest, right),
            Ok((_, Term::Method { op_span, .. })) => {
                return self.fatal(FilterError::new(
                    op_span,
                    "`.contains(...)` is a condition, not a value",
                ));
            }
            Err(nom::Err::Error(_)) => {
                let (span, found) = self.token_at(input);
                return self.fatal(
                    FilterError::new(
                        span,
                        format!("expected a value after `{symbol}`, found {found}"),
                    )
                    .with_expected(VALUE_START),
                );
            }
            Err(error) => return Err(error),
        };
        if let (Operand::Literal(first), Operand::Literal(second)) = (&left, &right) {
            return self.fatal(FilterError::new(
                first.span.start..second.span.end,
                "a comparison needs a field on one side",
            ));
        }
        Ok((
            rest,
            Expr::Compare(Comparison {
                left,
                op,
                right,
                op_span,
            }),
        ))
    }

    /// The field on the left of an operator that does not take literals or masks.
    fn plain_field(&self, left: Operand, op_word: &str) -> Result<FieldPath, FilterError> {
        match left {
            Operand::Field(FieldOperand { path, mask: None }) => Ok(path),
            Operand::Field(FieldOperand {
                path,
                mask: Some(mask),
            }) => Err(FilterError::new(
                path.span.start..mask.span.end,
                format!("`{op_word}` cannot be applied to a masked value"),
            )),
            Operand::Literal(literal) => Err(FilterError::new(
                literal.span,
                format!("`{op_word}` needs a field on its left"),
            )),
        }
    }

    fn text_match(
        &self,
        left: Operand,
        op: TextOp,
        after_op: &'s str,
        op_span: Span,
    ) -> PResult<'s, Expr> {
        let op_word = self
            .src
            .get(op_span.clone())
            .unwrap_or("contains")
            .to_string();
        let field = self.plain_field(left, &op_word).map_err(fail)?;
        let input = skip_ws(after_op);
        if !input.starts_with('"') {
            // Single or typographic quotes get the literal reader's specific message.
            if let Err(error @ nom::Err::Failure(_)) = self.literal(input) {
                return Err(error);
            }
            let (span, found) = self.token_at(input);
            let message = if input.is_empty() {
                format!("missing string after `{op_word}`")
            } else {
                format!("`{op_word}` needs a string in double quotes, found {found}")
            };
            return self.fatal(FilterError::new(span, message).with_expected(["a string"]));
        }
        let (rest, pattern) = self.string_literal(input)?;
        let (rest, case_sensitive) = lexer::case_sensitive_suffix(skip_ws(rest), rest);
        if op == TextOp::Matches {
            self.check_regex(&pattern, case_sensitive).map_err(fail)?;
        }
        Ok((
            rest,
            Expr::Text(TextMatch {
                field,
                op,
                pattern,
                case_sensitive,
                op_span,
            }),
        ))
    }

    fn set_membership(&self, left: Operand, after_in: &'s str, in_span: Span) -> PResult<'s, Expr> {
        let field = match left {
            Operand::Field(field) => field,
            Operand::Literal(literal) => {
                return self.fatal(FilterError::new(
                    literal.span,
                    "`in` needs a field on its left",
                ));
            }
        };
        let open = skip_ws(after_in);
        let (open_char, close) = match open.chars().next() {
            Some('{') => ('{', '}'),
            Some('[') => ('[', ']'),
            _ => {
                let (span, found) = self.token_at(open);
                let span = if open.is_empty() { in_span } else { span };
                return self.fatal(
                    FilterError::new(
                        span,
                        format!("`in` needs a set such as `{{201, 202}}`, found {found}"),
                    )
                    .with_expected(["{", "["]),
                );
            }
        };
        let open_span = self.offset(open)..self.offset(open) + 1;
        let mut members = Vec::new();
        let mut rest = open.get(1..).unwrap_or("");
        // Members are separated by a comma, whitespace or both.
        let mut separated = true;
        loop {
            let item = skip_ws(rest);
            if let Some(after_close) = item.strip_prefix(close) {
                if members.is_empty() {
                    return self.fatal(FilterError::new(
                        open_span.start..self.offset(after_close),
                        "empty set: list at least one value",
                    ));
                }
                let span = open_span.start..self.offset(after_close);
                return Ok((
                    after_close,
                    Expr::InSet(SetMembership {
                        field,
                        members,
                        span,
                    }),
                ));
            }
            if item.is_empty() {
                return self.fatal(
                    FilterError::new(
                        open_span,
                        format!("unclosed `{open_char}`: the set has no closing `{close}`"),
                    )
                    .with_expected([",", &close.to_string()]),
                );
            }
            if !separated && rest.len() == item.len() {
                let (span, found) = self.token_at(item);
                return self.fatal(
                    FilterError::new(
                        span,
                        format!("expected `,` or `{close}` in the set, found {found}"),
                    )
                    .with_expected([",".to_string(), close.to_string()]),
                );
            }
            let (after_member, member) = self.set_member(item)?;
            members.push(member);
            let after_member_ws = skip_ws(after_member);
            match after_member_ws.strip_prefix(',') {
                Some(after_comma) => (rest, separated) = (after_comma, true),
                None => (rest, separated) = (after_member, false),
            }
        }
    }

    fn set_member(&self, input: &'s str) -> PResult<'s, Literal> {
        match self.literal(input) {
            Ok(found) => return Ok(found),
            Err(nom::Err::Error(_)) => {}
            Err(error) => return Err(error),
        }
        let (span, found) = self.token_at(input);
        let error = FilterError::new(span, format!("expected a value in the set, found {found}"))
            .with_expected(VALUE_START);
        match self.path(input) {
            Ok((rest, (path, None))) if path.is_bare_name() => {
                let name = path
                    .segments
                    .first()
                    .map(|s| s.name.clone())
                    .unwrap_or_default();
                Ok((
                    rest,
                    Literal {
                        value: LiteralValue::Symbol(name),
                        span: path.span,
                    },
                ))
            }
            Ok((_, (path, _))) => self.fatal(FilterError::new(
                path.span,
                "set members are values; a dotted path is a field",
            )),
            Err(nom::Err::Error(_)) => self.fatal(error),
            Err(other) => Err(other),
        }
    }

    fn has_bit(&self, left: Operand, after_has: &'s str, has_span: Span) -> PResult<'s, Expr> {
        let field = self.plain_field(left, "has").map_err(fail)?;
        let input = skip_ws(after_has);
        match lexer::ident(input) {
            Ok((rest, name)) => {
                let bit = Name {
                    name: name.to_string(),
                    span: self.span_between(input, rest),
                };
                Ok((rest, Expr::HasBit(HasBit { field, bit })))
            }
            Err(_) => {
                let (span, found) = self.token_at(input);
                let span = if input.is_empty() { has_span } else { span };
                self.fatal(
                    FilterError::new(
                        span,
                        format!("`has` takes a keyword bit name such as `RECEIVE`, found {found}; for a number use `(Keyword & 0x10) != 0`"),
                    )
                    .with_expected(["a keyword bit name"]),
                )
            }
        }
    }
}
