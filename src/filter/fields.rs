//! Value names of the filter language (levels, opcodes, keywords); the fields themselves
//! are declared once in [`crate::fields::registry`].

pub use crate::fields::registry::Builtin;
use crate::fields::registry::{self, FieldId};

/// Looks a dotted path (any case, `.`/`::` separators) up among the builtin fields of the
/// registry.
pub fn builtin(path: &str) -> Option<Builtin> {
    match registry::lookup(path)?.id {
        FieldId::Builtin(b) => Some(b),
        _ => None,
    }
}

/// Standard level names (winmeta) and their values.
pub const LEVEL_NAMES: &[(&str, u64)] = &[
    ("always", 0),
    ("logalways", 0),
    ("critical", 1),
    ("error", 2),
    ("warning", 3),
    ("info", 4),
    ("informational", 4),
    ("information", 4),
    ("verbose", 5),
];

/// Standard opcode names (winmeta) and their values.
pub const OPCODE_NAMES: &[(&str, u64)] = &[
    ("info", 0),
    ("start", 1),
    ("stop", 2),
    ("end", 2),
    ("dcstart", 3),
    ("dc_start", 3),
    ("dcstop", 4),
    ("dc_stop", 4),
    ("dcend", 4),
    ("extension", 5),
    ("reply", 6),
    ("resume", 7),
    ("suspend", 8),
    ("send", 9),
    ("receive", 240),
];

/// Keyword bit names of the unified-tracing providers (winhttp-events.md §1).
pub const KEYWORD_NAMES: &[(&str, u64)] = &[
    ("send", 0x1_0000_0000),
    ("receive", 0x2_0000_0000),
    ("l3_connect", 0x4_0000_0000),
    ("l2_connect", 0x8_0000_0000),
    ("close", 0x10_0000_0000),
    ("security", 0x20_0000_0000),
    ("configuration", 0x40_0000_0000),
    ("global", 0x80_0000_0000),
    ("ut:sendpath", 0x1_0000_0000),
    ("ut:receivepath", 0x2_0000_0000),
];

/// Names a user is likely to mean, for "did you mean" suggestions: the registry's.
pub fn suggestion_candidates() -> Vec<&'static str> {
    registry::canonical_names().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_resolve() {
        assert_eq!(
            builtin("netevent.header.descriptor.id"),
            Some(Builtin::EventId)
        );
        assert_eq!(builtin("utprocessname"), Some(Builtin::UTProcessName));
        assert_eq!(
            builtin("framevariable.framenumber"),
            Some(Builtin::FrameNumber0)
        );
        assert_eq!(builtin("nonsense"), None);
        assert_eq!(builtin("tcp.port"), None, "packet fields are not builtins");
    }
}
