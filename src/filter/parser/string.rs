//! String literals and the regex check for `matches`.

use super::{PResult, Parser};
use crate::filter::ast::StringLiteral;
use crate::filter::error::FilterError;

impl<'s> Parser<'s> {
    /// `"..."`: `\"` and `\\` are escapes, any other backslash is kept (regexes need no doubling).
    pub(super) fn string_literal(&self, input: &'s str) -> PResult<'s, StringLiteral> {
        let start = self.offset(input);
        let body = input.get(1..).unwrap_or("");
        let mut value = String::new();
        let mut chars = body.char_indices().peekable();
        while let Some((index, c)) = chars.next() {
            match c {
                '"' => {
                    let rest = body.get(index + 1..).unwrap_or("");
                    return Ok((
                        rest,
                        StringLiteral {
                            value,
                            span: start..self.offset(rest),
                        },
                    ));
                }
                '\\' => match chars.next_if(|&(_, next)| next == '"' || next == '\\') {
                    Some((_, escaped)) => value.push(escaped),
                    None => value.push('\\'),
                },
                _ => value.push(c),
            }
        }
        let hint = if body.ends_with("\\\"") {
            " (the last `\\\"` is an escaped quote)"
        } else {
            ""
        };
        self.fatal(
            FilterError::new(
                start..start + 1,
                format!("unclosed string: this `\"` has no closing quote{hint}"),
            )
            .with_expected(["\""]),
        )
    }

    /// Validates a `matches` pattern the way the evaluator will compile it; errors point into
    /// the string literal.
    pub(super) fn check_regex(
        &self,
        pattern: &StringLiteral,
        case_sensitive: bool,
    ) -> Result<(), FilterError> {
        let mut syntax = regex_syntax::ParserBuilder::new();
        syntax.case_insensitive(!case_sensitive);
        if let Err(error) = syntax.build().parse(&pattern.value) {
            let (message, span) = match &error {
                regex_syntax::Error::Parse(error) => {
                    (error.kind().to_string(), Some(*error.span()))
                }
                regex_syntax::Error::Translate(error) => {
                    (error.kind().to_string(), Some(*error.span()))
                }
                _ => (error.to_string(), None),
            };
            let span = match span {
                Some(span) => {
                    self.pattern_offset(pattern, span.start.offset)
                        ..self.pattern_offset(pattern, span.end.offset)
                }
                None => pattern.span.clone(),
            };
            return Err(FilterError::new(
                span,
                format!("bad regular expression: {message}"),
            ));
        }
        if let Err(error) = regex::RegexBuilder::new(&pattern.value)
            .case_insensitive(!case_sensitive)
            .build()
        {
            let reason = match error {
                regex::Error::CompiledTooBig(limit) => {
                    format!("it compiles to more than {limit} bytes")
                }
                other => other.to_string(),
            };
            return Err(FilterError::new(
                pattern.span.clone(),
                format!("bad regular expression: {reason}"),
            ));
        }
        Ok(())
    }

    /// Source offset of byte `value_offset` of a string literal's unescaped value.
    fn pattern_offset(&self, pattern: &StringLiteral, value_offset: usize) -> usize {
        let raw_start = pattern.span.start + 1;
        let raw = self
            .src
            .get(raw_start..pattern.span.end.saturating_sub(1))
            .unwrap_or("");
        let mut value_position = 0;
        let mut chars = raw.char_indices().peekable();
        while let Some((raw_position, c)) = chars.next() {
            if value_position >= value_offset {
                return raw_start + raw_position;
            }
            let escaped = if c == '\\' {
                chars.next_if(|&(_, next)| next == '"' || next == '\\')
            } else {
                None
            };
            value_position += escaped.map_or(c, |(_, e)| e).len_utf8();
        }
        raw_start + raw.len()
    }
}
