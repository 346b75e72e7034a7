//! The one registry of fields: every field a user can see, filter on, export or add to a
//! filter is declared here once, with its aliases, type, unit, the layer that computes it and
//! a short description (Wireshark's `epan` field registration is the model).
//!
//! Readers: the filter compiler (names, aliases, packet paths, "did you mean"), the event
//! table's column titles, the details pane's labels, CSV/JSONL column names, the viewer's
//! filter-bar completion and `etlview fields`. Adding a field means adding one entry here and
//! its value where its layer computes it (`filter::eval` for filters, `fields::row` for
//! exports).

use serde::Serialize;

/// A field every event has, or that etlview derives without payload-specific knowledge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Builtin {
    /// 1-based position in the timeline's time order.
    FrameNumber,
    /// 0-based (Network Monitor's `FrameVariable.FrameNumber`).
    FrameNumber0,
    Timestamp,
    /// The raw timestamp in the source's own clock.
    RawTimestamp,
    /// Seconds since the first event.
    TimeOffset,
    /// Seconds since the previous event in time order.
    TimeDelta,
    /// The file (or machine) the event came from.
    Source,
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
    /// Kernel hook id `(group << 8) | type`.
    Hook,
    EventName,
    Message,
    Description,
    DecodedBy,
    /// Why decoding stopped early.
    DecodeError,
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
        by_builtin(self).layer.needs_decode()
    }
}

/// What a field's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Integer,
    /// A number with names (levels, opcodes, tasks): compare with either.
    Named,
    Float,
    Text,
    Guid,
    /// A UTC time (FILETIME precision).
    Time,
    Bytes,
    /// An IP or MAC address.
    Address,
    /// 0 or 1.
    Flag,
}

/// Which part of etlview computes a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layer {
    /// The event header (read from the record, no decoding).
    Header,
    /// The timeline: frame numbers, times across sources, process names, the source.
    Timeline,
    /// Payload decoding (schemas, messages).
    Decode,
    /// The WinHTTP/WebIO trace-text grammar over a decoded message.
    TraceText,
    /// The packet dissector over a captured frame.
    Packet,
}

impl Layer {
    /// Whether a field of this layer needs the event decoded.
    pub fn needs_decode(self) -> bool {
        matches!(self, Layer::Decode | Layer::TraceText | Layer::Packet)
    }
}

/// What the field is, for the code that computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FieldId {
    Builtin(Builtin),
    /// A packet field, by the dissector's lower-case dotted path.
    Packet(&'static str),
    /// Any decoded payload field (`Property.NAME`, or `NAME` alone): a template entry.
    Payload,
}

/// One field.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FieldDef {
    /// The canonical name (what `etlview fields` lists and suggestions offer).
    pub name: &'static str,
    /// Other names the filter accepts (Network Monitor, Message Analyzer, Wireshark habits).
    pub aliases: &'static [&'static str],
    #[serde(rename = "type")]
    pub ty: FieldType,
    pub unit: Option<&'static str>,
    pub layer: Layer,
    /// Column title and details-pane label.
    pub label: &'static str,
    /// Key in JSONL objects and CSV headers (`None`: not an export column).
    pub export: Option<&'static str>,
    /// Whether CSV has a column for it (JSONL carries every export key that has a value).
    pub csv: bool,
    pub description: &'static str,
    #[serde(skip)]
    pub id: FieldId,
}

impl FieldDef {
    /// Whether evaluating the field needs the event decoded.
    pub fn needs_decode(&self) -> bool {
        self.layer.needs_decode()
    }

    /// Every name the filter accepts for this field, canonical first.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        std::iter::once(self.name).chain(self.aliases.iter().copied())
    }

    /// True for the template entry of payload fields (not one concrete field).
    pub fn is_template(&self) -> bool {
        matches!(self.id, FieldId::Payload)
    }
}

const fn header(
    name: &'static str,
    aliases: &'static [&'static str],
    ty: FieldType,
    label: &'static str,
    export: Option<&'static str>,
    b: Builtin,
    description: &'static str,
) -> FieldDef {
    FieldDef {
        name,
        aliases,
        ty,
        unit: None,
        layer: Layer::Header,
        label,
        export,
        csv: export.is_some(),
        description,
        id: FieldId::Builtin(b),
    }
}

const fn computed(
    layer: Layer,
    name: &'static str,
    aliases: &'static [&'static str],
    ty: FieldType,
    export: Option<&'static str>,
    b: Builtin,
    description: &'static str,
) -> FieldDef {
    FieldDef {
        name,
        aliases,
        ty,
        unit: None,
        layer,
        label: name,
        export,
        csv: export.is_some(),
        description,
        id: FieldId::Builtin(b),
    }
}

const fn packet(
    name: &'static str,
    path: &'static str,
    aliases: &'static [&'static str],
    ty: FieldType,
    description: &'static str,
) -> FieldDef {
    FieldDef {
        name,
        aliases,
        ty,
        unit: None,
        layer: Layer::Packet,
        label: name,
        export: None,
        csv: false,
        description,
        id: FieldId::Packet(path),
    }
}

use Builtin as B;
use FieldType as T;
use Layer as L;

/// Every field, in the order of the CSV columns for those that are exported.
pub static FIELDS: &[FieldDef] = &[
    FieldDef {
        label: "Frame",
        ..computed(
            L::Timeline,
            "FrameNumber",
            &["frame", "#messagenumber", "messagenumber"],
            T::Integer,
            Some("frame"),
            B::FrameNumber,
            "1-based position in the timeline's time order (over all sources)",
        )
    },
    header(
        "Timestamp",
        &[
            "time",
            "timeofday",
            "timedatelocaladjusted",
            "framevariable.timeofday",
            "framevariable.timedatelocaladjusted",
            "netevent.header.timestamp",
        ],
        T::Time,
        "Time",
        Some("time"),
        B::Timestamp,
        "UTC time of the event (ISO-8601, 100 ns); in filters `> 2024-03-12T14:32:40`",
    ),
    FieldDef {
        unit: Some("clock ticks"),
        ..header(
            "RawTimestamp",
            &["ts"],
            T::Integer,
            "Raw timestamp",
            Some("ts"),
            B::RawTimestamp,
            "the record's timestamp in its session clock (QPC, system time or CPU cycles)",
        )
    },
    header(
        "ProviderGuid",
        &["providerid", "guid", "netevent.header.providerid"],
        T::Guid,
        "Provider",
        Some("provider"),
        B::ProviderGuid,
        "provider GUID (kernel records: their event class GUID)",
    ),
    header(
        "EventId",
        &["id", "netevent.header.descriptor.id", "etw.eventid"],
        T::Integer,
        "Id",
        Some("id"),
        B::EventId,
        "event id (manifest events), WPP message number",
    ),
    header(
        "Version",
        &["netevent.header.descriptor.version"],
        T::Integer,
        "Version",
        Some("version"),
        B::Version,
        "event version, or MOF class version of kernel records",
    ),
    header(
        "Channel",
        &["netevent.header.descriptor.channel"],
        T::Integer,
        "Channel",
        Some("channel"),
        B::Channel,
        "event channel",
    ),
    header(
        "Opcode",
        &["netevent.header.descriptor.opcode"],
        T::Named,
        "Opcode",
        Some("opcode"),
        B::Opcode,
        "opcode number or name (`start`, `stop`, the provider's own); kernel records: event type",
    ),
    header(
        "Level",
        &["netevent.header.descriptor.level"],
        T::Named,
        "Level",
        Some("level"),
        B::Level,
        "severity: 1 critical, 2 error, 3 warning, 4 info, 5 verbose (0: log always)",
    ),
    header(
        "Task",
        &["netevent.header.descriptor.task"],
        T::Named,
        "Task",
        Some("task"),
        B::Task,
        "task number or the provider's task name",
    ),
    header(
        "Keyword",
        &["keywords", "netevent.header.descriptor.keyword"],
        T::Integer,
        "Keyword",
        Some("keyword"),
        B::Keyword,
        "keyword mask; `Keyword has RECEIVE`, `Keyword & 0x200000000 != 0`",
    ),
    header(
        "ProcessId",
        &["pid", "etw.processid", "netevent.header.processid"],
        T::Integer,
        "ProcessId",
        Some("pid"),
        B::ProcessId,
        "process id from the header",
    ),
    header(
        "ThreadId",
        &["tid", "etw.threadid", "netevent.header.threadid"],
        T::Integer,
        "ThreadId",
        Some("tid"),
        B::ThreadId,
        "thread id from the header",
    ),
    header(
        "Processor",
        &["cpu"],
        T::Integer,
        "Processor",
        Some("cpu"),
        B::Processor,
        "processor that logged the event",
    ),
    header(
        "HeaderKind",
        &["header"],
        T::Text,
        "Header",
        Some("header"),
        B::HeaderKind,
        "record header kind (EVENT_HEADER64, SYSTEM64, WPP ...)",
    ),
    header(
        "Hook",
        &["hookid"],
        T::Integer,
        "Hook",
        Some("hook"),
        B::Hook,
        "kernel hook id (group << 8 | type) of kernel records",
    ),
    computed(
        L::Decode,
        "ProviderName",
        &["provider", "etw.providername"],
        T::Text,
        Some("provider_name"),
        B::ProviderName,
        "provider name from the manifest, embedded schema or TraceLogging metadata",
    ),
    FieldDef {
        label: "Event",
        ..computed(
            L::Decode,
            "EventName",
            &["symbol"],
            T::Text,
            Some("event_name"),
            B::EventName,
            "event (or task/opcode) name from the schema",
        )
    },
    FieldDef {
        label: "Process",
        ..computed(
            L::Timeline,
            "UTProcessName",
            &[],
            T::Text,
            Some("process"),
            B::UTProcessName,
            "`name (pid)` as Network Monitor shows it, from the source's process table",
        )
    },
    FieldDef {
        label: "Protocol",
        ..computed(
            L::Decode,
            "ProtocolName",
            &["protocol"],
            T::Text,
            Some("protocol"),
            B::ProtocolName,
            "Network Monitor's protocol name (WINHTTP_MicrosoftWindowsWinHttp ...)",
        )
    },
    computed(
        L::Decode,
        "Message",
        &[],
        T::Text,
        Some("message"),
        B::Message,
        "the rendered message (WinHTTP/WebIO: the trace text)",
    ),
    FieldDef {
        label: "Decoded by",
        ..computed(
            L::Decode,
            "DecodedBy",
            &["decoded_by"],
            T::Text,
            Some("decoded_by"),
            B::DecodedBy,
            "which decoder worked: tracelogging, embedded, manifest, mof, wpp, string, none",
        )
    },
    FieldDef {
        name: "Property.*",
        aliases: &[],
        ty: T::Text,
        unit: None,
        layer: L::Decode,
        label: "Fields",
        export: Some("fields"),
        csv: true,
        description: "a decoded payload field: `Property.NAME`, `Provider.NAME` or `NAME` alone",
        id: FieldId::Payload,
    },
    FieldDef {
        csv: false,
        ..computed(
            L::Decode,
            "DecodeError",
            &[],
            T::Text,
            Some("decode_error"),
            B::DecodeError,
            "why decoding stopped early, with the payload offset",
        )
    },
    computed(
        L::Timeline,
        "Source",
        &["sourcefile"],
        T::Text,
        Some("source"),
        B::Source,
        "the source the event came from: its file name (`folder/file` when names clash)",
    ),
    computed(
        L::Timeline,
        "FrameVariable.FrameNumber",
        &[],
        T::Integer,
        None,
        B::FrameNumber0,
        "0-based frame number, as Network Monitor's FrameVariable",
    ),
    FieldDef {
        unit: Some("s"),
        ..computed(
            L::Timeline,
            "TimeOffset",
            &["framevariable.timeoffset"],
            T::Float,
            None,
            B::TimeOffset,
            "seconds since the first event of the timeline",
        )
    },
    FieldDef {
        unit: Some("s"),
        ..computed(
            L::Timeline,
            "TimeDelta",
            &["framevariable.timedelta"],
            T::Float,
            None,
            B::TimeDelta,
            "seconds since the previous event in time order",
        )
    },
    computed(
        L::Timeline,
        "ProcessName",
        &[],
        T::Text,
        None,
        B::ProcessName,
        "image name of the process (no pid)",
    ),
    header(
        "ActivityId",
        &["netevent.header.activityid"],
        T::Guid,
        "ActivityId",
        None,
        B::ActivityId,
        "activity GUID of the event",
    ),
    computed(
        L::Decode,
        "Description",
        &[],
        T::Text,
        None,
        B::Description,
        "`Protocol:message`, as Network Monitor's Description column",
    ),
    header(
        "FrameData",
        &["payload"],
        T::Bytes,
        "Payload",
        None,
        B::FrameData,
        "the raw user data bytes (`FrameData contains 0x4854`)",
    ),
    computed(
        L::TraceText,
        "TextTime",
        &["winhttp.text_time"],
        T::Text,
        None,
        B::TextTime,
        "the time prefix of a WinHTTP trace-text line (`14:32:40.512`)",
    ),
    computed(
        L::TraceText,
        "Component",
        &["winhttp.component"],
        T::Text,
        None,
        B::Component,
        "WinHTTP component of a trace-text line (`sys-recver`, `sys-req` ...)",
    ),
    computed(
        L::TraceText,
        "Api",
        &["winhttp.api"],
        T::Text,
        None,
        B::Api,
        "WinHTTP API named by a trace-text line (`WinHttpReceiveResponse` ...)",
    ),
    computed(
        L::TraceText,
        "Handle",
        &["winhttp.handle"],
        T::Integer,
        None,
        B::Handle,
        "request or connect handle of a trace-text line",
    ),
    computed(
        L::TraceText,
        "ErrorCode",
        &["winhttp.error"],
        T::Integer,
        None,
        B::ErrorCode,
        "error codes in a trace-text line; symbols work: `ErrorCode == ERROR_WINHTTP_TIMEOUT`",
    ),
    computed(
        L::TraceText,
        "ErrorSymbol",
        &["winhttp.error_symbol"],
        T::Text,
        None,
        B::ErrorSymbol,
        "symbolic names of the error codes in a trace-text line",
    ),
    computed(
        L::TraceText,
        "MappedFrom",
        &["winhttp.map_from"],
        T::Integer,
        None,
        B::MappedFrom,
        "the Win32/Winsock code of an ERROR_WINHTTP_FROM_WIN32 mapping line",
    ),
    computed(
        L::TraceText,
        "MappedTo",
        &["winhttp.map_to"],
        T::Integer,
        None,
        B::MappedTo,
        "the WinHTTP code of an ERROR_WINHTTP_FROM_WIN32 mapping line",
    ),
    // Packet fields of captured frames (NDIS-PacketCapture, pktmon).
    packet(
        "Ethernet.Address",
        "ethernet.address",
        &["ethernet.addr", "eth.address", "eth.addr"],
        T::Address,
        "either MAC address",
    ),
    packet(
        "Ethernet.SourceAddress",
        "ethernet.sourceaddress",
        &["ethernet.src", "eth.sourceaddress", "eth.src"],
        T::Address,
        "source MAC address",
    ),
    packet(
        "Ethernet.DestinationAddress",
        "ethernet.destinationaddress",
        &["ethernet.dst", "eth.destinationaddress", "eth.dst"],
        T::Address,
        "destination MAC address",
    ),
    packet(
        "Ethernet.EtherType",
        "ethernet.ethertype",
        &["ethernet.type", "eth.ethertype", "eth.type"],
        T::Integer,
        "EtherType of the frame",
    ),
    packet(
        "IPv4.Address",
        "ipv4.address",
        &["ipv4.addr"],
        T::Address,
        "either IPv4 address",
    ),
    packet(
        "IPv4.SourceAddress",
        "ipv4.sourceaddress",
        &["ipv4.src"],
        T::Address,
        "source IPv4 address",
    ),
    packet(
        "IPv4.DestinationAddress",
        "ipv4.destinationaddress",
        &["ipv4.dst"],
        T::Address,
        "destination IPv4 address",
    ),
    packet(
        "IPv4.TTL",
        "ipv4.ttl",
        &["ipv4.hoplimit"],
        T::Integer,
        "time to live",
    ),
    packet(
        "IPv4.Protocol",
        "ipv4.protocol",
        &["ipv4.nextheader"],
        T::Integer,
        "IP protocol number (6 TCP, 17 UDP)",
    ),
    packet(
        "IPv6.Address",
        "ipv6.address",
        &["ipv6.addr"],
        T::Address,
        "either IPv6 address",
    ),
    packet(
        "IPv6.SourceAddress",
        "ipv6.sourceaddress",
        &["ipv6.src"],
        T::Address,
        "source IPv6 address",
    ),
    packet(
        "IPv6.DestinationAddress",
        "ipv6.destinationaddress",
        &["ipv6.dst"],
        T::Address,
        "destination IPv6 address",
    ),
    packet(
        "IPv6.HopLimit",
        "ipv6.hoplimit",
        &["ipv6.ttl"],
        T::Integer,
        "hop limit",
    ),
    packet(
        "IPv6.NextHeader",
        "ipv6.nextheader",
        &["ipv6.protocol"],
        T::Integer,
        "next header (protocol) number",
    ),
    packet("TCP.Port", "tcp.port", &[], T::Integer, "either TCP port"),
    packet(
        "TCP.SrcPort",
        "tcp.srcport",
        &["tcp.sourceport"],
        T::Integer,
        "source TCP port",
    ),
    packet(
        "TCP.DstPort",
        "tcp.dstport",
        &["tcp.destinationport"],
        T::Integer,
        "destination TCP port",
    ),
    packet(
        "TCP.SeqNumber",
        "tcp.seqnumber",
        &[],
        T::Integer,
        "sequence number",
    ),
    packet(
        "TCP.AckNumber",
        "tcp.acknumber",
        &[],
        T::Integer,
        "acknowledgment number",
    ),
    packet("TCP.Window", "tcp.window", &[], T::Integer, "window size"),
    packet(
        "TCP.PayloadLength",
        "tcp.payloadlength",
        &[],
        T::Integer,
        "bytes of TCP payload",
    ),
    packet("TCP.Flags.Syn", "tcp.flags.syn", &[], T::Flag, "SYN flag"),
    packet("TCP.Flags.Ack", "tcp.flags.ack", &[], T::Flag, "ACK flag"),
    packet("TCP.Flags.Fin", "tcp.flags.fin", &[], T::Flag, "FIN flag"),
    packet(
        "TCP.Flags.Reset",
        "tcp.flags.reset",
        &["tcp.flags.rst"],
        T::Flag,
        "RST flag",
    ),
    packet(
        "TCP.Flags.Push",
        "tcp.flags.push",
        &["tcp.flags.psh"],
        T::Flag,
        "PSH flag",
    ),
    packet(
        "TCP.Flags.Urgent",
        "tcp.flags.urgent",
        &["tcp.flags.urg"],
        T::Flag,
        "URG flag",
    ),
    packet("UDP.Port", "udp.port", &[], T::Integer, "either UDP port"),
    packet(
        "UDP.SrcPort",
        "udp.srcport",
        &["udp.sourceport"],
        T::Integer,
        "source UDP port",
    ),
    packet(
        "UDP.DstPort",
        "udp.dstport",
        &["udp.destinationport"],
        T::Integer,
        "destination UDP port",
    ),
    packet(
        "UDP.PayloadLength",
        "udp.payloadlength",
        &[],
        T::Integer,
        "bytes of UDP payload",
    ),
    packet(
        "DNS.QueryName",
        "dns.queryname",
        &["dns.qrecord.questionname"],
        T::Text,
        "names asked in the question section",
    ),
    packet("DNS.Id", "dns.id", &[], T::Integer, "transaction id"),
    packet(
        "DNS.Flags.Response",
        "dns.flags.response",
        &[],
        T::Flag,
        "1 for a response, 0 for a query",
    ),
    packet(
        "HTTP.Request.Command",
        "http.request.command",
        &["http.request.method"],
        T::Text,
        "request method (GET, POST ...)",
    ),
    packet(
        "HTTP.Request.Uri",
        "http.request.uri",
        &[],
        T::Text,
        "request target",
    ),
    packet(
        "HTTP.Request.Host",
        "http.request.host",
        &[],
        T::Text,
        "Host header of the request",
    ),
    packet(
        "HTTP.Request.Version",
        "http.request.version",
        &[],
        T::Text,
        "HTTP version of the request line",
    ),
    packet(
        "HTTP.Response.StatusCode",
        "http.response.statuscode",
        &[],
        T::Integer,
        "status code of the response line",
    ),
    packet(
        "HTTP.Response.Reason",
        "http.response.reason",
        &[],
        T::Text,
        "reason phrase of the response line",
    ),
    packet(
        "TLS.SNI",
        "tls.sni",
        &["tls.servername"],
        T::Text,
        "server name of a ClientHello",
    ),
];

/// Lower-cases a dotted path and folds `::` and `:` separators to `.`.
pub fn normalize(path: &str) -> String {
    path.replace("::", ".").replace(':', ".").to_lowercase()
}

/// The field with this name or alias (any case, `.`/`::` separators).
pub fn lookup(path: &str) -> Option<&'static FieldDef> {
    let wanted = normalize(path);
    FIELDS
        .iter()
        .filter(|f| !f.is_template())
        .find(|f| f.names().any(|n| n.eq_ignore_ascii_case(&wanted)))
}

/// The entry of a builtin field.
pub fn by_builtin(b: Builtin) -> &'static FieldDef {
    FIELDS
        .iter()
        .find(|f| f.id == FieldId::Builtin(b))
        .unwrap_or_else(|| panic!("{b:?} is missing from fields::registry::FIELDS"))
}

/// The packet field with this dissector path or alias.
pub fn packet_field(path: &str) -> Option<&'static FieldDef> {
    lookup(path).filter(|f| matches!(f.id, FieldId::Packet(_)))
}

/// Canonical names of concrete fields, for "did you mean" and completion.
pub fn canonical_names() -> impl Iterator<Item = &'static str> {
    FIELDS.iter().filter(|f| !f.is_template()).map(|f| f.name)
}

/// Fields whose name, aliases or description contain `pattern` (any case); all without one.
pub fn matching(pattern: Option<&str>) -> Vec<&'static FieldDef> {
    let Some(pattern) = pattern.map(str::to_lowercase) else {
        return FIELDS.iter().collect();
    };
    FIELDS
        .iter()
        .filter(|f| {
            f.names().any(|n| n.to_lowercase().contains(&pattern))
                || f.description.to_lowercase().contains(&pattern)
        })
        .collect()
}

/// The export keys, in order (JSONL object keys).
pub fn export_columns() -> impl Iterator<Item = &'static str> {
    FIELDS.iter().filter_map(|f| f.export)
}

/// The CSV header: the exported fields that have a CSV column; `Source` only when the
/// timeline has several sources (one file's CSV stays as it always was).
pub fn csv_columns(several_sources: bool) -> Vec<&'static str> {
    FIELDS
        .iter()
        .filter(|f| f.csv && (several_sources || f.id != FieldId::Builtin(Builtin::Source)))
        .filter_map(|f| f.export)
        .collect()
}

/// Completions of the last word of a filter being typed: names starting with `prefix`
/// (any case), canonical names first, sorted.
pub fn completions(prefix: &str) -> Vec<&'static str> {
    let lower = prefix.to_lowercase();
    let mut out: Vec<&'static str> = canonical_names()
        .filter(|n| n.to_lowercase().starts_with(&lower))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_unique() {
        let mut seen = std::collections::HashMap::new();
        for f in FIELDS {
            for n in f.names() {
                if let Some(other) = seen.insert(n.to_lowercase(), f.name) {
                    panic!("{n} names both {other} and {}", f.name);
                }
            }
        }
    }

    #[test]
    fn aliases_resolve() {
        assert_eq!(
            lookup("NetEvent::Header::Descriptor::Id").map(|f| f.id),
            Some(FieldId::Builtin(Builtin::EventId))
        );
        assert_eq!(lookup("UTProcessName").map(|f| f.label), Some("Process"));
        assert_eq!(
            lookup("tcp.flags.rst").map(|f| f.id),
            Some(FieldId::Packet("tcp.flags.reset"))
        );
        assert!(lookup("nonsense").is_none());
        assert!(lookup("Property.*").is_none());
    }

    #[test]
    fn every_builtin_has_one_entry() {
        // by_builtin panics for a missing one; list them all through the filter's names.
        for f in FIELDS {
            if let FieldId::Builtin(b) = f.id {
                assert_eq!(by_builtin(b).name, f.name);
            }
        }
    }

    #[test]
    fn completion_offers_canonical_names() {
        assert_eq!(completions("utp"), ["UTProcessName"]);
        assert!(completions("tcp.fl").contains(&"TCP.Flags.Syn"));
    }
}
