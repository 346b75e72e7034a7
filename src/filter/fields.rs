//! The fields a filter can name (filter-language.md §3.3), with their aliases.

/// A field every event has or that etlview derives without payload-specific knowledge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// 1-based position in time order.
    FrameNumber,
    /// 0-based (Network Monitor's `FrameVariable.FrameNumber`).
    FrameNumber0,
    Timestamp,
    /// Seconds since the first event.
    TimeOffset,
    /// Seconds since the previous event in time order.
    TimeDelta,
    ProviderName,
    ProviderGuid,
    ProtocolName,
    EventId,
    Version,
    Level,
    Opcode,
    Task,
    Keyword,
    Channel,
    ProcessId,
    ThreadId,
    ProcessName,
    UTProcessName,
    Processor,
    ActivityId,
    EventName,
    Message,
    Description,
    DecodedBy,
    HeaderKind,
    /// Raw user data bytes (`ContainsBin`, `contains`).
    FrameData,
    // Parsed from WinHTTP/WebIO trace text (winhttp-events.md §2.4).
    TextTime,
    Component,
    Api,
    Handle,
    ErrorCode,
    ErrorSymbol,
    MappedFrom,
    MappedTo,
}

impl Builtin {
    /// True when evaluating the field needs the payload decoded.
    pub fn needs_decode(self) -> bool {
        matches!(
            self,
            Builtin::EventName
                | Builtin::Message
                | Builtin::Description
                | Builtin::DecodedBy
                | Builtin::TextTime
                | Builtin::Component
                | Builtin::Api
                | Builtin::Handle
                | Builtin::ErrorCode
                | Builtin::ErrorSymbol
                | Builtin::MappedFrom
                | Builtin::MappedTo
        )
    }
}

/// (lower-case name or alias, field). Paths are joined with `.`; `::` and `:` separators are
/// normalised to `.` before lookup.
pub const NAMES: &[(&str, Builtin)] = &[
    ("framenumber", Builtin::FrameNumber),
    ("frame", Builtin::FrameNumber),
    ("#messagenumber", Builtin::FrameNumber),
    ("messagenumber", Builtin::FrameNumber),
    ("framevariable.framenumber", Builtin::FrameNumber0),
    ("timestamp", Builtin::Timestamp),
    ("time", Builtin::Timestamp),
    ("timeofday", Builtin::Timestamp),
    ("timedatelocaladjusted", Builtin::Timestamp),
    ("framevariable.timeofday", Builtin::Timestamp),
    ("framevariable.timedatelocaladjusted", Builtin::Timestamp),
    ("netevent.header.timestamp", Builtin::Timestamp),
    ("timeoffset", Builtin::TimeOffset),
    ("framevariable.timeoffset", Builtin::TimeOffset),
    ("timedelta", Builtin::TimeDelta),
    ("framevariable.timedelta", Builtin::TimeDelta),
    ("provider", Builtin::ProviderName),
    ("providername", Builtin::ProviderName),
    ("etw.providername", Builtin::ProviderName),
    ("providerid", Builtin::ProviderGuid),
    ("providerguid", Builtin::ProviderGuid),
    ("guid", Builtin::ProviderGuid),
    ("netevent.header.providerid", Builtin::ProviderGuid),
    ("protocolname", Builtin::ProtocolName),
    ("protocol", Builtin::ProtocolName),
    ("eventid", Builtin::EventId),
    ("id", Builtin::EventId),
    ("netevent.header.descriptor.id", Builtin::EventId),
    ("etw.eventid", Builtin::EventId),
    ("version", Builtin::Version),
    ("netevent.header.descriptor.version", Builtin::Version),
    ("level", Builtin::Level),
    ("netevent.header.descriptor.level", Builtin::Level),
    ("opcode", Builtin::Opcode),
    ("netevent.header.descriptor.opcode", Builtin::Opcode),
    ("task", Builtin::Task),
    ("netevent.header.descriptor.task", Builtin::Task),
    ("keyword", Builtin::Keyword),
    ("keywords", Builtin::Keyword),
    ("netevent.header.descriptor.keyword", Builtin::Keyword),
    ("channel", Builtin::Channel),
    ("netevent.header.descriptor.channel", Builtin::Channel),
    ("pid", Builtin::ProcessId),
    ("processid", Builtin::ProcessId),
    ("etw.processid", Builtin::ProcessId),
    ("netevent.header.processid", Builtin::ProcessId),
    ("tid", Builtin::ThreadId),
    ("threadid", Builtin::ThreadId),
    ("etw.threadid", Builtin::ThreadId),
    ("netevent.header.threadid", Builtin::ThreadId),
    ("processname", Builtin::ProcessName),
    ("utprocessname", Builtin::UTProcessName),
    ("processor", Builtin::Processor),
    ("cpu", Builtin::Processor),
    ("activityid", Builtin::ActivityId),
    ("netevent.header.activityid", Builtin::ActivityId),
    ("eventname", Builtin::EventName),
    ("symbol", Builtin::EventName),
    ("message", Builtin::Message),
    ("description", Builtin::Description),
    ("decodedby", Builtin::DecodedBy),
    ("decoded_by", Builtin::DecodedBy),
    ("headerkind", Builtin::HeaderKind),
    ("header", Builtin::HeaderKind),
    ("framedata", Builtin::FrameData),
    ("payload", Builtin::FrameData),
    ("winhttp.text_time", Builtin::TextTime),
    ("texttime", Builtin::TextTime),
    ("winhttp.component", Builtin::Component),
    ("component", Builtin::Component),
    ("winhttp.api", Builtin::Api),
    ("api", Builtin::Api),
    ("winhttp.handle", Builtin::Handle),
    ("handle", Builtin::Handle),
    ("winhttp.error", Builtin::ErrorCode),
    ("errorcode", Builtin::ErrorCode),
    ("winhttp.error_symbol", Builtin::ErrorSymbol),
    ("errorsymbol", Builtin::ErrorSymbol),
    ("winhttp.map_from", Builtin::MappedFrom),
    ("mappedfrom", Builtin::MappedFrom),
    ("winhttp.map_to", Builtin::MappedTo),
    ("mappedto", Builtin::MappedTo),
];

/// Looks a dotted, lower-cased path up among the builtin fields.
pub fn builtin(path: &str) -> Option<Builtin> {
    NAMES.iter().find(|(n, _)| *n == path).map(|(_, b)| *b)
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

/// Names a user is likely to mean, for "did you mean" suggestions.
pub fn suggestion_candidates() -> Vec<&'static str> {
    const CANONICAL: &[&str] = &[
        "FrameNumber",
        "Timestamp",
        "TimeOffset",
        "TimeDelta",
        "ProviderName",
        "ProviderGuid",
        "ProtocolName",
        "EventId",
        "Version",
        "Level",
        "Opcode",
        "Task",
        "Keyword",
        "Channel",
        "ProcessId",
        "ThreadId",
        "ProcessName",
        "UTProcessName",
        "Processor",
        "ActivityId",
        "EventName",
        "Message",
        "Description",
        "DecodedBy",
        "FrameData",
        "Component",
        "ErrorCode",
        "ErrorSymbol",
        "MappedFrom",
        "MappedTo",
        "NetEvent.Header.Descriptor.Id",
    ];
    CANONICAL.to_vec()
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
        for (name, _) in NAMES {
            assert_eq!(*name, name.to_lowercase());
        }
    }
}
