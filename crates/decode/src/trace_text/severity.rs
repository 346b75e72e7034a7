//! How bad a parsed trace line is, and which of its codes matters most.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::{TraceLine, compile};

/// How bad a line is. Ordered: `Failure > Warning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Failure,
}

static FAILURE_WORDS: LazyLock<Regex> =
    LazyLock::new(|| compile(r"(?i-u)\b(?:fail|fails|failed|failing|failure|failures)\b"));
static WARNING_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        r"(?i-u)\b(?:retry|retries|retried|retrying|resend|resends|resending|re-send|re-sending|cancel|cancels|cancelled|canceled|cancelling|canceling|abort|aborts|aborted|aborting)\b",
    )
});

/// Codes that say "not done yet" or "fine", not "failed".
fn is_benign_code(code: u32) -> bool {
    matches!(
        code,
        0           // ERROR_SUCCESS / S_OK
        | 234       // ERROR_MORE_DATA
        | 259       // ERROR_NO_MORE_ITEMS
        | 996       // ERROR_IO_INCOMPLETE
        | 997       // ERROR_IO_PENDING
        | 10035     // WSAEWOULDBLOCK
        | 0x0009_0312 // SEC_I_CONTINUE_NEEDED
    )
}

/// Codes that ask for another attempt: worth a look, not a failure by themselves.
fn is_retry_code(code: u32) -> bool {
    matches!(
        code,
        1237          // ERROR_RETRY
        | 12032       // ERROR_WINHTTP_RESEND_REQUEST / ERROR_INTERNET_FORCE_RETRY
        | 0xC000_022D // STATUS_RETRY
    )
}

fn code_severity(code: u32) -> Option<Severity> {
    if is_benign_code(code) {
        None
    } else if is_retry_code(code) {
        Some(Severity::Warning)
    } else {
        Some(Severity::Failure)
    }
}

/// Failure: the words fail/failed/failure, a non-benign error token, `returning` or `mapped to`
/// an error. Warning: retry/resend/cancel/abort wording or a retry code (12032, 1237).
pub fn classify(line: &TraceLine) -> Option<Severity> {
    let codes = line
        .mapping
        .iter()
        .map(|m| m.to_code)
        .chain(line.returning.iter().map(|r| r.code))
        .chain(line.errors.iter().map(|t| t.code));
    let from_codes = codes.filter_map(code_severity).max();
    let from_words = if FAILURE_WORDS.is_match(line.text) {
        Some(Severity::Failure)
    } else if WARNING_WORDS.is_match(line.text) {
        Some(Severity::Warning)
    } else {
        None
    };
    from_codes.max(from_words)
}

/// The most meaningful code of a line: the mapped-to code, else the returned code, else the
/// first non-zero error token (else the first token).
pub fn error_code(line: &TraceLine) -> Option<u32> {
    line.mapping
        .as_ref()
        .map(|m| m.to_code)
        .or_else(|| line.returning.as_ref().map(|r| r.code))
        .or_else(|| line.errors.iter().map(|t| t.code).find(|&code| code != 0))
        .or_else(|| line.errors.first().map(|t| t.code))
}

#[cfg(test)]
mod tests {
    use super::super::parse_line;
    use super::*;

    #[test]
    fn severity_rules() {
        let severity = |text| classify(&parse_line(text));
        assert_eq!(severity("error = ERROR_SUCCESS (0)"), None);
        assert_eq!(severity("error-cdoe = ERROR_IO_PENDING (997)"), None);
        assert_eq!(severity("send error = WSAEWOULDBLOCK (10035)"), None);
        assert_eq!(severity("returning ERROR_SUCCESS (0) from Send()"), None);
        assert_eq!(
            severity("error = ERROR_WINHTTP_RESEND_REQUEST (12032)"),
            Some(Severity::Warning)
        );
        assert_eq!(
            severity("sys-req will retry the request"),
            Some(Severity::Warning)
        );
        assert_eq!(
            severity("request cancelled by the caller"),
            Some(Severity::Warning)
        );
        assert_eq!(severity("sys-req retry failed"), Some(Severity::Failure));
        assert_eq!(severity("connection failover configured"), None);
        assert_eq!(
            severity("error = ERROR_WINHTTP_OPERATION_CANCELLED (12017)"),
            Some(Severity::Failure)
        );
        assert!(Severity::Failure > Severity::Warning);
        let zero_then_real = parse_line("a = ERROR_SUCCESS (0); b = WSAECONNRESET (10054)");
        assert_eq!(error_code(&zero_then_real), Some(10054));
        assert_eq!(error_code(&parse_line("a = ERROR_SUCCESS (0)")), Some(0));
    }
}
