//! Tokens and names: whitespace, keywords, operators, field paths and the `ContainsBin` call.

use nom::Parser as _;
use nom::bytes::complete::{tag, tag_no_case, take_while, take_while1};
use nom::character::complete::satisfy;
use nom::combinator::{not, recognize};
use nom::sequence::pair;

use super::{AFTER_FIELD, OPERATOR_WORDS, PResult, Parser, fail};
use crate::filter::ast::{
    BinEncoding, CmpOp, ContainsBin, Expr, FieldPath, PathPrefix, PathSegment, Separator, Span,
    StringLiteral,
};
use crate::filter::error::{FilterError, suggest};

/// A field path and, for the `path.contains("x")` spelling, the `.contains` span and pattern.
pub(super) type PathWithMethod = (FieldPath, Option<(Span, StringLiteral)>);

pub(super) fn skip_ws(input: &str) -> &str {
    input.trim_start()
}

pub(super) fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

/// Hyphens are allowed inside names (`Microsoft-Windows-WebIO`).
pub(super) fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

pub(super) fn ident(input: &str) -> PResult<'_, &str> {
    recognize(pair(satisfy(is_ident_start), take_while(is_ident_char))).parse(input)
}

/// A case-insensitive keyword that is not the start of a longer name (`AND` but not `ANDROID`).
pub(super) fn keyword<'s>(word: &'static str) -> impl Fn(&'s str) -> PResult<'s, &'s str> {
    move |input| {
        let (rest, matched) = tag_no_case(word)(input)?;
        not(satisfy(is_ident_char)).parse(rest)?;
        Ok((rest, matched))
    }
}

/// Words that cannot begin a field name because they are boolean operators.
fn is_reserved(name: &str) -> bool {
    ["and", "or", "not"]
        .iter()
        .any(|word| name.eq_ignore_ascii_case(word))
}

/// `||` or `OR`: the rest and the token as typed.
pub(super) fn or_operator(input: &str) -> Option<(&str, &str)> {
    tag("||")(input)
        .or_else(|_: nom::Err<super::PErr>| keyword("or")(input))
        .ok()
}

pub(super) fn and_operator(input: &str) -> Option<(&str, &str)> {
    tag("&&")(input)
        .or_else(|_: nom::Err<super::PErr>| keyword("and")(input))
        .ok()
}

/// `NOT` or a `!` that does not start `!=`.
pub(super) fn not_operator(input: &str) -> Option<(&str, &str)> {
    if let Ok(found) = keyword("not")(input) {
        return Some(found);
    }
    let (rest, bang) = tag::<_, _, super::PErr>("!")(input).ok()?;
    (!rest.starts_with('=')).then_some((rest, bang))
}

/// A run of comparison-operator characters, checked as a whole so `=>` or `===` are reported as
/// one unknown operator instead of being split.
pub(super) fn operator_run(input: &str) -> Option<&str> {
    take_while1::<_, _, super::PErr>(|c| "=!<>~".contains(c))(input)
        .ok()
        .map(|(_, run)| run)
}

pub(super) fn comparison_operator(text: &str) -> Option<CmpOp> {
    Some(match text {
        "==" => CmpOp::Eq,
        "!=" => CmpOp::Ne,
        "~=" => CmpOp::ValueNe,
        "<" => CmpOp::Lt,
        ">" => CmpOp::Gt,
        "<=" => CmpOp::Le,
        ">=" => CmpOp::Ge,
        _ => return None,
    })
}

/// Whether a comparison, text, set or bit operator starts `input`.
pub(super) fn starts_condition_operator(input: &str) -> bool {
    let symbol =
        operator_run(input).is_some_and(|op| op == "~" || comparison_operator(op).is_some());
    symbol
        || ["contains", "matches", "in", "has"]
            .iter()
            .any(|word| keyword(word)(input).is_ok())
}

/// `&` as a bitmask operator, not the first half of `&&`.
pub(super) fn single_ampersand(input: &str) -> Option<&str> {
    input
        .strip_prefix('&')
        .filter(|rest| !rest.starts_with('&'))
}

/// An optional `caseSensitive` after a text pattern: the rest and whether it was present.
/// `after_ws` is `rest` with leading whitespace removed.
pub(super) fn case_sensitive_suffix<'s>(after_ws: &'s str, rest: &'s str) -> (&'s str, bool) {
    match keyword("casesensitive")(after_ws) {
        Ok((after_kw, _)) => (after_kw, true),
        Err(_) => (rest, false),
    }
}

/// `ContainsBin` followed by `(`: the input after the name.
pub(super) fn contains_bin_call(input: &str) -> Option<&str> {
    let (after_name, _) = keyword("containsbin")(input).ok()?;
    skip_ws(after_name).starts_with('(').then_some(after_name)
}

/// Error for an operator we do not know, with the likely intended one.
pub(super) fn unknown_operator(span: Span, text: &str) -> FilterError {
    let lower = text.to_ascii_lowercase();
    let fix = match lower.as_str() {
        "=" | "===" | "eq" | "equals" | "is" => Some("=="),
        "<>" | "!==" | "=!" | "ne" => Some("!="),
        "=<" | "le" => Some("<="),
        "=>" | "ge" => Some(">="),
        "lt" => Some("<"),
        "gt" => Some(">"),
        "=~" | "like" | "match" | "regex" => Some("matches"),
        "|" => Some("||"),
        "&" => Some("&&"),
        _ => suggest(text, &OPERATOR_WORDS),
    };
    let message = if text.len() == 1 && "+-*/%^".contains(text) {
        format!("unknown operator `{text}`: arithmetic is not supported")
    } else {
        format!("unknown operator `{text}`")
    };
    let error = FilterError::new(span, message).with_expected(AFTER_FIELD);
    match fix {
        Some(fix) => error.with_suggestion(fix),
        None => error,
    }
}

impl<'s> Parser<'s> {
    /// `[*|#] name { (.|:|::) name } [ .contains("text") ]`. Backtracks when `input` does not
    /// start with a name; the optional part is the `.contains` span and its pattern.
    pub(super) fn path(&self, input: &'s str) -> PResult<'s, PathWithMethod> {
        let (after_prefix, prefix) = match input.chars().next() {
            Some('*') => (input.get(1..).unwrap_or(""), Some(PathPrefix::AnyProtocol)),
            Some('#') => (input.get(1..).unwrap_or(""), Some(PathPrefix::Annotation)),
            _ => (input, None),
        };
        let (mut rest, first) = match ident(after_prefix) {
            Ok(found) => found,
            Err(_) if prefix.is_some() => {
                let span = self.span_between(input, after_prefix);
                let error = FilterError::new(span, "expected a field name after the prefix");
                return Err(fail(error.with_expected(["a field name"])));
            }
            Err(error) => return Err(error),
        };
        if prefix.is_none() && is_reserved(first) {
            return self.backtrack(input);
        }
        let mut segments = vec![PathSegment {
            separator: None,
            name: first.to_string(),
            span: self.span_between(after_prefix, rest),
        }];
        loop {
            let (after_sep, separator) = if let Some(after) = rest.strip_prefix("::") {
                (after, Separator::DoubleColon)
            } else if let Some(after) = rest.strip_prefix(':') {
                (after, Separator::Colon)
            } else if let Some(after) = rest.strip_prefix('.') {
                (after, Separator::Dot)
            } else {
                break;
            };
            if separator == Separator::Dot
                && let Some(method) =
                    self.contains_method(input, rest, after_sep, &prefix, &segments)?
            {
                return Ok(method);
            }
            let Ok((after_name, name)) = ident(after_sep) else {
                let span = self.span_between(rest, after_sep);
                let error = FilterError::new(span, "expected a field name after the separator");
                return Err(fail(error.with_expected(["a field name"])));
            };
            segments.push(PathSegment {
                separator: Some(separator),
                name: name.to_string(),
                span: self.span_between(after_sep, after_name),
            });
            rest = after_name;
        }
        let path = FieldPath {
            prefix,
            segments,
            span: self.span_between(input, rest),
        };
        Ok((rest, (path, None)))
    }

    /// The `.contains("x")` method spelling after the path read so far, if it is there.
    fn contains_method(
        &self,
        path_start: &'s str,
        dot: &'s str,
        after_dot: &'s str,
        prefix: &Option<PathPrefix>,
        segments: &[PathSegment],
    ) -> Result<Option<(&'s str, PathWithMethod)>, nom::Err<super::PErr>> {
        let Ok((after_word, _)) = keyword("contains")(after_dot) else {
            return Ok(None);
        };
        let open = skip_ws(after_word);
        if !open.starts_with('(') {
            return Ok(None);
        }
        let op_span = self.span_between(dot, after_word);
        let open_span = self.offset(open)..self.offset(open) + 1;
        let argument = skip_ws(open.get(1..).unwrap_or(""));
        if !argument.starts_with('"') {
            let (span, found) = self.token_at(argument);
            let error =
                FilterError::new(span, format!("`.contains(` needs a string, found {found}"));
            return Err(fail(error.with_expected(["a string"])));
        }
        let (after_string, pattern) = self.string_literal(argument)?;
        let close = skip_ws(after_string);
        let Some(after_close) = close.strip_prefix(')') else {
            let error = if close.is_empty() {
                FilterError::new(
                    open_span,
                    "unclosed parenthesis: this `(` has no matching `)`",
                )
            } else {
                let (span, found) = self.token_at(close);
                FilterError::new(
                    span,
                    format!("expected `)` after the string, found {found}"),
                )
            };
            return Err(fail(error.with_expected([")"])));
        };
        let path = FieldPath {
            prefix: *prefix,
            segments: segments.to_vec(),
            span: self.span_between(path_start, dot),
        };
        Ok(Some((after_close, (path, Some((op_span, pattern))))))
    }

    /// `ContainsBin(field, ASCII|HEX|UTF16, "pattern")`; `after_name` follows the function name.
    pub(super) fn contains_bin(&self, input: &'s str, after_name: &'s str) -> PResult<'s, Expr> {
        let open = skip_ws(after_name);
        let open_span = self.offset(open)..self.offset(open) + 1;
        let argument = skip_ws(open.get(1..).unwrap_or(""));
        let (rest, (field, method)) = match self.path(argument) {
            Ok(found) => found,
            Err(nom::Err::Error(_)) => {
                return self.fatal(self.expected_argument(
                    argument,
                    "a field such as `FrameData`",
                    "a field",
                ));
            }
            Err(error) => return Err(error),
        };
        if let Some((op_span, _)) = method {
            return self.fatal(FilterError::new(
                op_span,
                "`ContainsBin` takes a field, not a condition",
            ));
        }
        let rest = self.argument_comma(rest, &open_span)?;
        let encoding_start = rest;
        let (rest, word) = match ident(encoding_start) {
            Ok(found) => found,
            Err(_) => {
                return self.fatal(self.expected_argument(
                    encoding_start,
                    "an encoding",
                    "ASCII, HEX or UTF16",
                ));
            }
        };
        let encoding = match word.to_ascii_uppercase().as_str() {
            "ASCII" => BinEncoding::Ascii,
            "HEX" => BinEncoding::Hex,
            "UTF16" => BinEncoding::Utf16,
            _ => {
                let span = self.span_between(encoding_start, rest);
                let mut error = FilterError::new(span, format!("unknown encoding `{word}`"))
                    .with_expected(["ASCII", "HEX", "UTF16"]);
                if let Some(fix) = suggest(word, &["ASCII", "HEX", "UTF16"]) {
                    error = error.with_suggestion(fix);
                }
                return self.fatal(error);
            }
        };
        let rest = self.argument_comma(rest, &open_span)?;
        if !rest.starts_with('"') {
            return self.fatal(self.expected_argument(rest, "a string", "a string"));
        }
        let (after_pattern, pattern) = self.string_literal(rest)?;
        self.check_binary_pattern(encoding, &pattern)
            .map_err(fail)?;
        let close = skip_ws(after_pattern);
        let Some(after_close) = close.strip_prefix(')') else {
            return self.fatal(if close.is_empty() {
                FilterError::new(
                    open_span,
                    "unclosed parenthesis: this `(` has no matching `)`",
                )
                .with_expected([")"])
            } else {
                self.expected_argument(close, "`)`", ")")
            });
        };
        let span = self.span_between(input, after_close);
        Ok((
            after_close,
            Expr::ContainsBin(ContainsBin {
                field,
                encoding,
                pattern,
                span,
            }),
        ))
    }

    /// `,` between call arguments; returns the input after it with whitespace skipped.
    fn argument_comma(
        &self,
        rest: &'s str,
        open_span: &Span,
    ) -> Result<&'s str, nom::Err<super::PErr>> {
        let comma = skip_ws(rest);
        match comma.strip_prefix(',') {
            Some(after) => Ok(skip_ws(after)),
            None if comma.is_empty() => Err(fail(
                FilterError::new(
                    open_span.clone(),
                    "unclosed parenthesis: this `(` has no matching `)`",
                )
                .with_expected([","]),
            )),
            None => Err(fail(self.expected_argument(comma, "`,`", ","))),
        }
    }

    fn expected_argument(&self, at: &str, what: &str, expected: &str) -> FilterError {
        let (span, found) = self.token_at(at);
        FilterError::new(
            span,
            format!("`ContainsBin` expected {what}, found {found}"),
        )
        .with_expected([expected])
    }

    /// ASCII patterns must be ASCII; HEX patterns whole bytes of hex digits (`0x` prefix and
    /// spaces allowed).
    fn check_binary_pattern(
        &self,
        encoding: BinEncoding,
        pattern: &StringLiteral,
    ) -> Result<(), FilterError> {
        let text = pattern.value.as_str();
        match encoding {
            BinEncoding::Utf16 => Ok(()),
            BinEncoding::Ascii => match text.chars().find(|c| !c.is_ascii()) {
                Some(c) => Err(FilterError::new(
                    pattern.span.clone(),
                    format!("ASCII pattern contains the non-ASCII character `{c}`; use UTF16"),
                )),
                None => Ok(()),
            },
            BinEncoding::Hex => {
                let digits = text.trim();
                let digits = digits
                    .strip_prefix("0x")
                    .or_else(|| digits.strip_prefix("0X"))
                    .unwrap_or(digits);
                let digits: String = digits.chars().filter(|c| !c.is_whitespace()).collect();
                if !digits.is_empty()
                    && digits.len().is_multiple_of(2)
                    && digits.chars().all(|c| c.is_ascii_hexdigit())
                {
                    Ok(())
                } else {
                    Err(FilterError::new(
                        pattern.span.clone(),
                        "HEX pattern must be whole bytes of hex digits, e.g. \"0x6F6666\"",
                    ))
                }
            }
        }
    }
}
