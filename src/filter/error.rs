//! Filter errors with a caret under the offending text, plus "did you mean" suggestions.

use std::ops::Range;

/// A problem in a filter expression, located by a byte range of the expression text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {})", .span.start)]
pub struct FilterError {
    /// Bytes of the filter text the message is about; empty at the end of the text for
    /// "something is missing here".
    pub span: Range<usize>,
    pub message: String,
    /// What would have been accepted at `span.start`, in display form (`==`, `a string`).
    pub expected: Vec<String>,
    /// A replacement for the text under `span`.
    pub suggestion: Option<String>,
}

impl FilterError {
    pub fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        FilterError {
            span,
            message: message.into(),
            expected: Vec::new(),
            suggestion: None,
        }
    }

    pub fn with_expected<S: Into<String>>(mut self, items: impl IntoIterator<Item = S>) -> Self {
        self.expected = items.into_iter().map(Into::into).collect();
        self
    }

    pub fn with_suggestion(mut self, suggestion: impl Into<String>) -> Self {
        self.suggestion = Some(suggestion.into());
        self
    }

    /// Multi-line report: the message, the expression, a `^^^` line under the span, then the
    /// expected tokens and the suggestion when present. Columns count characters, so carets
    /// line up under non-ASCII text; control characters are shown as spaces to keep one column
    /// per character.
    pub fn render(&self, expr: &str) -> String {
        let start = floor_char_boundary(expr, self.span.start);
        let end = ceil_char_boundary(expr, self.span.end.max(start));
        let column = expr.get(..start).map_or(0, |before| before.chars().count());
        let width = expr
            .get(start..end)
            .map_or(0, |under| under.chars().count())
            .max(1);
        let shown: String = expr
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();

        let mut out = format!(
            "{}\n  {}\n  {}{}",
            self.message,
            shown.trim_end(),
            " ".repeat(column),
            "^".repeat(width)
        );
        match self.expected.as_slice() {
            [] => {}
            [only] => out.push_str(&format!("\nexpected: {only}")),
            many => out.push_str(&format!("\nexpected one of: {}", many.join(", "))),
        }
        if let Some(suggestion) = &self.suggestion {
            out.push_str(&format!("\ndid you mean `{suggestion}`?"));
        }
        out
    }
}

fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index = index.saturating_sub(1);
    }
    index
}

fn ceil_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index = index.saturating_add(1).min(text.len());
    }
    index
}

/// The candidate closest to `name` by case-insensitive edit distance, if it is close enough to
/// be a plausible typo: at most a third of the name's length (at least one edit), and not a
/// complete rewrite. Ties go to the earlier candidate.
pub fn suggest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let name_len = name.chars().count();
    let limit = (name_len / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for &candidate in candidates {
        let candidate_len = candidate.chars().count();
        // The length difference is a lower bound on the distance; skip hopeless candidates
        // before paying for the full table.
        if name_len.abs_diff(candidate_len) > limit {
            continue;
        }
        let distance = edit_distance_ignoring_case(name, candidate);
        let plausible = distance <= limit && distance < name_len.max(candidate_len);
        if plausible && best.is_none_or(|(best_distance, _)| distance < best_distance) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Edit distance over lower-cased characters counting insertions, deletions, substitutions and
/// swaps of two adjacent characters (optimal string alignment), so `adn` is one edit from `and`.
fn edit_distance_ignoring_case(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    // Rows i-2, i-1 and i of the distance table between prefixes of `a` and `b`.
    let mut two_back: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            let deletion = previous[j + 1] + 1;
            let insertion = current[j] + 1;
            let mut best = substitution.min(deletion).min(insertion);
            let swapped = i > 0
                && j > 0
                && a.get(i - 1) == Some(&cb)
                && b.get(j - 1) == Some(&ca)
                && ca != cb;
            if swapped {
                best = best.min(two_back[j - 1] + 1);
            }
            current[j + 1] = best;
        }
        std::mem::swap(&mut two_back, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_puts_carets_under_the_span() {
        let error = FilterError::new(4..5, "unknown operator `=`")
            .with_expected(["==", "!="])
            .with_suggestion("==");
        assert_eq!(
            error.render("Tid = 5"),
            "unknown operator `=`\n  Tid = 5\n      ^\nexpected one of: ==, !=\ndid you mean `==`?"
        );
    }

    #[test]
    fn render_counts_characters_not_bytes() {
        // "é" and "日本" are 2 and 6 bytes; the caret must sit under `==`, column 15.
        let expr = "Message==\"é日本\" == 1";
        let start = expr.rfind("==").unwrap();
        let error = FilterError::new(start..start + 2, "x");
        let caret_line = error.render(expr).lines().nth(2).unwrap().to_string();
        assert_eq!(caret_line, format!("  {}^^", " ".repeat(15)));
    }

    #[test]
    fn render_handles_empty_span_at_end_and_out_of_range_spans() {
        let at_end = FilterError::new(7..7, "missing value").with_expected(["a value"]);
        assert_eq!(
            at_end.render("Tid == "),
            "missing value\n  Tid ==\n         ^\nexpected: a value"
        );
        // A span past the end or inside a multibyte character must not panic.
        let wild = FilterError::new(100..200, "x");
        assert_eq!(wild.render("é").lines().nth(2), Some("   ^"));
        let mid_char = FilterError::new(1..2, "x");
        assert_eq!(mid_char.render("éa").lines().nth(2), Some("  ^"));
    }

    #[test]
    fn render_shows_tabs_and_newlines_as_single_spaces() {
        let error = FilterError::new(6..9, "x");
        assert_eq!(
            error.render("a\tb\nc AND").lines().nth(1),
            Some("  a b c AND")
        );
        assert_eq!(
            error.render("a\tb\nc AND").lines().nth(2),
            Some("        ^^^")
        );
    }

    #[test]
    fn display_names_the_byte_offset() {
        let error = FilterError::new(12..14, "unclosed string");
        assert_eq!(error.to_string(), "unclosed string (at byte 12)");
    }

    #[test]
    fn suggest_finds_close_names_case_insensitively() {
        let fields = ["ProcessName", "UTProcessName", "Provider", "TCPRetransmit"];
        assert_eq!(suggest("procesname", &fields), Some("ProcessName"));
        assert_eq!(suggest("PROVIDR", &fields), Some("Provider"));
        assert_eq!(suggest("tcpretranmits", &fields), Some("TCPRetransmit"));
        assert_eq!(suggest("provider", &fields), Some("Provider"));
        assert_eq!(suggest("Opcode", &fields), None);
        assert_eq!(suggest("", &fields), None);
        assert_eq!(suggest("x", &[]), None);
        assert_eq!(suggest("adn", &["AND", "OR"]), Some("AND"));
    }

    #[test]
    fn suggest_accepts_one_edit_on_short_names_but_not_rewrites() {
        assert_eq!(suggest("=", &["==", "!="]), Some("=="));
        assert_eq!(suggest("x", &["y"]), None);
        assert_eq!(suggest("tcp", &["udp", "tcp6"]), Some("tcp6"));
        // Ties keep candidate order.
        assert_eq!(suggest("ab", &["ax", "ay"]), Some("ax"));
    }

    #[test]
    fn edit_distance_matches_known_values() {
        assert_eq!(edit_distance_ignoring_case("kitten", "sitting"), 3);
        assert_eq!(edit_distance_ignoring_case("", "abc"), 3);
        assert_eq!(edit_distance_ignoring_case("ÉTÉ", "été"), 0);
        assert_eq!(edit_distance_ignoring_case("flaw", "lawn"), 2);
        assert_eq!(edit_distance_ignoring_case("adn", "AND"), 1);
        assert_eq!(edit_distance_ignoring_case("ca", "abc"), 3);
        assert_eq!(edit_distance_ignoring_case("Provdier", "provider"), 1);
    }
}
