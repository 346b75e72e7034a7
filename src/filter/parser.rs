//! Parser for the etlview filter language (shared/docs/filter-language.md §3.1).
//!
//! Recursive descent over nom 8 token parsers. nom's error type stays private: `Backtrack`
//! lets an alternative be tried, `Fatal` carries the final [`FilterError`]; both are converted
//! in [`parse`].
//!
//! Choices the grammar leaves open:
//! * `AND`/`OR` chains are flat lists (`a AND b AND c` is one `And` of three), so long chains do
//!   not build deep trees; explicit parentheses keep their nesting.
//! * On the value side of a comparison whose other side is a field, a single bare name is a
//!   [`LiteralValue::Symbol`] (`Result == ERROR_WINHTTP_TIMEOUT`, `Level <= error`); dotted,
//!   prefixed or masked paths are fields. If the left side is a literal, the right side's bare
//!   name is a field (`0x2 == Task`).
//! * `(operand)` is accepted where the grammar has an operand, for `(Keyword & 0x10) != 0`.
//! * `field in {guid}` is a one-member set (a GUID literal is `{guid}` only outside sets).
//! * Parentheses and `NOT` together may nest [`MAX_NESTING`] deep, which bounds recursion.

mod condition;
mod lexer;
mod literal;
mod string;
pub(crate) mod time;

use nom::IResult;
use nom::error::{ErrorKind, ParseError};

use super::ast::{
    Expr, FieldOperand, FieldPath, Literal, LiteralValue, Operand, Span, StringLiteral,
};
use super::error::{FilterError, suggest};
use lexer::{and_operator, is_ident_start, not_operator, operator_run, or_operator, skip_ws};

/// Deepest nesting of parentheses and `NOT` accepted.
pub const MAX_NESTING: usize = 256;

/// Parse a display filter.
pub fn parse(expr: &str) -> Result<Expr, FilterError> {
    Parser { src: expr }.filter()
}

const CONDITION_START: [&str; 4] = ["a field name", "(", "NOT", "ContainsBin(...)"];
const AFTER_FIELD: [&str; 13] = [
    "==", "!=", "~=", "<", "<=", ">", ">=", "contains", "matches", "in", "has", "AND", "OR",
];
const AFTER_CONDITION: [&str; 3] = ["AND", "OR", "end of filter"];
const VALUE_START: [&str; 7] = [
    "a number",
    "a string",
    "a GUID",
    "an IP address",
    "a time",
    "a duration",
    "a name",
];
/// Operator words a misspelt word after a field is compared against.
const OPERATOR_WORDS: [&str; 6] = ["AND", "OR", "contains", "matches", "in", "has"];

/// nom error used inside the parser.
#[derive(Debug)]
enum PErr {
    /// The input does not start this construct; another alternative may apply.
    Backtrack { remaining: usize },
    /// A definite error; stop parsing. Boxed to keep parse results small on the stack.
    Fatal(Box<FilterError>),
}

impl<'s> ParseError<&'s str> for PErr {
    fn from_error_kind(input: &'s str, _kind: ErrorKind) -> Self {
        PErr::Backtrack {
            remaining: input.len(),
        }
    }

    fn append(_input: &'s str, _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

type PResult<'s, T> = IResult<&'s str, T, PErr>;

/// Moves a finished condition to the heap; out of line so the recursive frames that call it
/// hold only a pointer.
#[inline(never)]
fn boxed(result: PResult<'_, Expr>) -> PResult<'_, Box<Expr>> {
    result.map(|(rest, expr)| (rest, Box::new(expr)))
}

/// One operand as itself, several as a `build` node.
fn flatten(mut items: Vec<Expr>, build: fn(Vec<Expr>) -> Expr) -> Expr {
    if items.len() == 1
        && let Some(only) = items.pop()
    {
        return only;
    }
    build(items)
}

fn fail(error: FilterError) -> nom::Err<PErr> {
    nom::Err::Failure(PErr::Fatal(Box::new(error)))
}

/// What sits on the left of the current comparison operator, deciding how a bare name on the
/// right is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Left,
    RightOfField,
    RightOfLiteral,
}

/// An operand, or the `field.contains("x")` method form which is a condition by itself.
enum Term {
    Operand(Operand),
    Method {
        path: FieldPath,
        pattern: StringLiteral,
        op_span: Span,
    },
}

struct Parser<'s> {
    src: &'s str,
}

impl<'s> Parser<'s> {
    /// Byte offset of `rest`, which is always a suffix of the source.
    fn offset(&self, rest: &str) -> usize {
        self.src.len().saturating_sub(rest.len())
    }

    fn span_between(&self, from: &str, to: &str) -> Span {
        self.offset(from)..self.offset(to)
    }

    fn fatal<T>(&self, error: FilterError) -> PResult<'s, T> {
        Err(fail(error))
    }

    fn backtrack<T>(&self, at: &str) -> PResult<'s, T> {
        Err(nom::Err::Error(PErr::Backtrack {
            remaining: at.len(),
        }))
    }

    /// The token starting `rest` for messages: its span and how to show it.
    fn token_at(&self, rest: &str) -> (Span, String) {
        let start = self.offset(rest);
        let Some(first) = rest.chars().next() else {
            return (start..start, "end of filter".to_string());
        };
        let length = if is_ident_start(first) || first.is_ascii_digit() {
            rest.find(|c: char| !lexer::is_ident_char(c) && c != '.')
                .unwrap_or(rest.len())
        } else if let Some(run) = operator_run(rest) {
            run.len()
        } else {
            first.len_utf8()
        };
        let text = rest.get(..length).unwrap_or(rest);
        (start..start + length, format!("`{text}`"))
    }

    fn filter(&self) -> Result<Expr, FilterError> {
        let start = skip_ws(self.src);
        if start.is_empty() {
            return Err(FilterError::new(0..0, "empty filter: write a condition")
                .with_expected(CONDITION_START));
        }
        let parsed = self.or_expr(start, 0).map_err(|error| match error {
            nom::Err::Failure(PErr::Fatal(error)) | nom::Err::Error(PErr::Fatal(error)) => *error,
            nom::Err::Failure(PErr::Backtrack { remaining })
            | nom::Err::Error(PErr::Backtrack { remaining }) => {
                let at = self.src.len().saturating_sub(remaining);
                let (span, found) = self.token_at(self.src.get(at..).unwrap_or(""));
                FilterError::new(span, format!("unexpected {found}"))
            }
            nom::Err::Incomplete(_) => {
                FilterError::new(self.src.len()..self.src.len(), "filter ended unexpectedly")
            }
        })?;
        let (rest, expr) = parsed;
        let rest = skip_ws(rest);
        if rest.is_empty() {
            Ok(*expr)
        } else {
            Err(self.trailing_error(rest))
        }
    }

    fn trailing_error(&self, rest: &str) -> FilterError {
        let (span, found) = self.token_at(rest);
        if rest.starts_with(')') {
            return FilterError::new(span, "unmatched `)`: no `(` is open here");
        }
        let error = FilterError::new(
            span.clone(),
            format!("unexpected {found} after a complete condition"),
        )
        .with_expected(AFTER_CONDITION);
        match self
            .src
            .get(span)
            .and_then(|word| suggest(word, &["AND", "OR"]))
        {
            Some(fix) => error.with_suggestion(fix),
            None => error,
        }
    }

    /// The start of the condition that must follow the operator `op` (`AND`, `||`, `NOT`, ...)
    /// which ends where `after_op` starts.
    fn require_condition(&self, op: &'s str, after_op: &'s str) -> Result<&'s str, nom::Err<PErr>> {
        let rest = skip_ws(after_op);
        let missing = rest.is_empty()
            || rest.starts_with(')')
            || and_operator(rest).is_some()
            || or_operator(rest).is_some();
        if missing {
            Err(self.missing_condition(op, after_op))
        } else {
            Ok(rest)
        }
    }

    #[cold]
    #[inline(never)]
    fn missing_condition(&self, op: &'s str, after_op: &'s str) -> nom::Err<PErr> {
        let op_span = self.span_between(op, after_op);
        let op_token = self.src.get(op_span.clone()).unwrap_or("");
        let rest = skip_ws(after_op);
        let error = if rest.is_empty() {
            FilterError::new(op_span, format!("missing condition after `{op_token}`"))
        } else {
            let (span, found) = self.token_at(rest);
            FilterError::new(
                span,
                format!("expected a condition after `{op_token}`, found {found}"),
            )
        };
        fail(error.with_expected(CONDITION_START))
    }

    /// `or_expr = and_expr { OR and_expr }`, `and_expr = not_expr { AND not_expr }`, read in
    /// one loop so a nesting level costs one stack frame here. Chains become flat lists.
    ///
    /// `or_expr`, `not_expr`, `primary` and `group` recurse into each other once per
    /// parenthesis level; they return boxed trees and leave error construction to cold
    /// functions because unoptimised builds give every temporary its own stack slot.
    fn or_expr(&self, input: &'s str, depth: usize) -> PResult<'s, Box<Expr>> {
        let mut alternatives = Vec::new();
        let mut conjuncts = Vec::new();
        let mut rest = input;
        loop {
            let (after_term, term) = self.not_expr(rest, depth)?;
            conjuncts.push(*term);
            let before_op = skip_ws(after_term);
            if let Some((after_op, _)) = and_operator(before_op) {
                rest = self.require_condition(before_op, after_op)?;
                continue;
            }
            alternatives.push(flatten(std::mem::take(&mut conjuncts), Expr::And));
            match or_operator(before_op) {
                Some((after_op, _)) => rest = self.require_condition(before_op, after_op)?,
                None => return Ok((after_term, Box::new(flatten(alternatives, Expr::Or)))),
            }
        }
    }

    /// `{ NOT } primary`, counting the NOTs in a loop instead of recursing.
    fn not_expr(&self, input: &'s str, depth: usize) -> PResult<'s, Box<Expr>> {
        let mut rest = skip_ws(input);
        let mut negations = 0;
        while let Some((after_not, _)) = not_operator(rest) {
            self.check_depth(depth + negations, rest)?;
            rest = self.require_condition(rest, after_not)?;
            negations += 1;
        }
        let (rest, mut expr) = self.primary(rest, depth + negations)?;
        for _ in 0..negations {
            expr = Box::new(Expr::Not(expr));
        }
        Ok((rest, expr))
    }

    /// Refuses to open another level at `token` (`(` or `NOT`) once MAX_NESTING are open.
    fn check_depth(&self, depth: usize, token: &str) -> Result<(), nom::Err<PErr>> {
        if depth >= MAX_NESTING {
            Err(self.too_deep(token))
        } else {
            Ok(())
        }
    }

    #[cold]
    #[inline(never)]
    fn too_deep(&self, token: &str) -> nom::Err<PErr> {
        let (span, _) = self.token_at(token);
        fail(FilterError::new(
            span,
            format!("filter nests deeper than {MAX_NESTING} levels of parentheses and NOT"),
        ))
    }

    fn primary(&self, input: &'s str, depth: usize) -> PResult<'s, Box<Expr>> {
        if input.starts_with('(') {
            return self.group(input, depth);
        }
        boxed(self.simple_condition(input, depth))
    }

    /// A condition that does not start with `(`.
    #[inline(never)]
    fn simple_condition(&self, input: &'s str, depth: usize) -> PResult<'s, Expr> {
        if let Some(after_name) = lexer::contains_bin_call(input) {
            return self.contains_bin(input, after_name);
        }
        match self.operand(input, depth, Side::Left) {
            Ok((rest, term)) => self.condition(term, rest, depth),
            Err(nom::Err::Error(_)) => self.fatal(self.not_a_condition(input)),
            Err(error) => Err(error),
        }
    }

    fn not_a_condition(&self, input: &str) -> FilterError {
        let (span, found) = self.token_at(input);
        if let Some((_, token)) = and_operator(input).or_else(|| or_operator(input)) {
            return FilterError::new(span, format!("`{token}` needs a condition on its left"))
                .with_expected(CONDITION_START);
        }
        FilterError::new(span, format!("expected a condition, found {found}"))
            .with_expected(CONDITION_START)
    }

    /// `( or_expr )`, or a parenthesised operand starting a comparison.
    fn group(&self, input: &'s str, depth: usize) -> PResult<'s, Box<Expr>> {
        self.check_depth(depth, input)?;
        if let Some(comparison) = self.parenthesised_operand_comparison(input, depth) {
            return comparison;
        }
        let inner = skip_ws(input.get(1..).unwrap_or(""));
        if inner.is_empty() || inner.starts_with(')') {
            return Err(self.group_error(input, inner));
        }
        let (rest, expr) = self.or_expr(inner, depth + 1)?;
        let rest = skip_ws(rest);
        match rest.strip_prefix(')') {
            Some(after_close) => Ok((after_close, expr)),
            None => Err(self.group_error(input, rest)),
        }
    }

    /// `(Keyword & 0x10) != 0`: the operand reading of a `(`, tried before the grouping
    /// reading. Any failure means "not this reading"; the grouping reading then reports errors
    /// in its own terms. Both are bounded by the nesting limit, so the retry costs at most
    /// MAX_NESTING² steps.
    #[inline(never)]
    fn parenthesised_operand_comparison(
        &self,
        input: &'s str,
        depth: usize,
    ) -> Option<PResult<'s, Box<Expr>>> {
        match self.operand(input, depth, Side::Left) {
            Ok((rest, term @ Term::Operand(_)))
                if lexer::starts_condition_operator(skip_ws(rest)) =>
            {
                Some(boxed(self.condition(term, rest, depth)))
            }
            _ => None,
        }
    }

    /// Error for the group opened at `open` when `at` is not a condition or `)`.
    #[cold]
    #[inline(never)]
    fn group_error(&self, open: &str, at: &str) -> nom::Err<PErr> {
        let open_span = self.offset(open)..self.offset(open) + 1;
        if at.is_empty() {
            return fail(
                FilterError::new(
                    open_span,
                    "unclosed parenthesis: this `(` has no matching `)`",
                )
                .with_expected([")"]),
            );
        }
        if let Some(after_close) = at.strip_prefix(')')
            && skip_ws(open.get(1..).unwrap_or("")).len() == at.len()
        {
            let span = open_span.start..self.offset(after_close);
            return fail(FilterError::new(
                span,
                "empty parentheses: write a condition inside",
            ));
        }
        let (span, found) = self.token_at(at);
        let column = self
            .src
            .get(..open_span.start)
            .map_or(0, |before| before.chars().count())
            + 1;
        fail(
            FilterError::new(
                span,
                format!("expected `)` to close the `(` at column {column}, found {found}"),
            )
            .with_expected([")", "AND", "OR"]),
        )
    }

    /// An operand: literal, field path (optionally masked) or `( operand )`.
    fn operand(&self, input: &'s str, depth: usize, side: Side) -> PResult<'s, Term> {
        if !input.starts_with('(') {
            return self.simple_operand(input, side);
        }
        self.check_depth(depth, input)?;
        let inner = skip_ws(input.get(1..).unwrap_or(""));
        let (rest, term) = self.operand(inner, depth + 1, side)?;
        let rest = skip_ws(rest);
        match rest.strip_prefix(')') {
            Some(after_close) => Ok((after_close, term)),
            None if rest.is_empty() => Err(self.group_error(input, rest)),
            None => self.backtrack(rest),
        }
    }

    /// An operand without parentheses; kept out of [`Self::operand`]'s recursive frame.
    #[inline(never)]
    fn simple_operand(&self, input: &'s str, side: Side) -> PResult<'s, Term> {
        match self.literal(input) {
            Ok((rest, literal)) => return Ok((rest, Term::Operand(Operand::Literal(literal)))),
            Err(nom::Err::Error(_)) => {}
            Err(error) => return Err(error),
        }
        let (rest, (path, method)) = self.path(input)?;
        if let Some((op_span, pattern)) = method {
            return Ok((
                rest,
                Term::Method {
                    path,
                    pattern,
                    op_span,
                },
            ));
        }
        let after_ws = skip_ws(rest);
        if let Some(after_amp) = lexer::single_ampersand(after_ws) {
            let amp_span = self.span_between(after_ws, after_amp);
            let (rest, mask) = self.mask(skip_ws(after_amp), amp_span)?;
            let field = FieldOperand {
                path,
                mask: Some(mask),
            };
            return Ok((rest, Term::Operand(Operand::Field(field))));
        }
        let operand = match (side, path.segments.first()) {
            (Side::RightOfField, Some(only)) if path.is_bare_name() => Operand::Literal(Literal {
                value: LiteralValue::Symbol(only.name.clone()),
                span: path.span,
            }),
            _ => Operand::Field(FieldOperand { path, mask: None }),
        };
        Ok((rest, Term::Operand(operand)))
    }
}

#[cfg(test)]
mod error_tests;
#[cfg(test)]
mod example_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
