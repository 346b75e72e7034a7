//! Name tables of the manifest vocabulary: `win:`/`xs:` data types (winmeta.xml, tdh.h) and
//! the standard levels, opcodes and channels every manifest may use without defining them.

use crate::schema::{in_type, out_type};

/// Manifest `inType` names and their TDH input types.
///
/// The first 25 are the winmeta.xml names. 22/23/25 exist since the Windows 10 1809 SDK; the
/// older spelling `win:CountedString` is accepted too. The 300-310 names have no winmeta entry
/// (TDH uses them for MOF/WPP metadata only); the spellings here are ours, and the classic
/// definitions in `parsers/classic/` write them with an `etl:` prefix (`etl:WbemSid`). Lookups
/// compare local names only, so any prefix works.
pub const IN_TYPES: &[(&str, u16)] = &[
    ("win:UnicodeString", in_type::UNICODE_STRING),
    ("win:AnsiString", in_type::ANSI_STRING),
    ("win:Int8", in_type::INT8),
    ("win:UInt8", in_type::UINT8),
    ("win:Int16", in_type::INT16),
    ("win:UInt16", in_type::UINT16),
    ("win:Int32", in_type::INT32),
    ("win:UInt32", in_type::UINT32),
    ("win:Int64", in_type::INT64),
    ("win:UInt64", in_type::UINT64),
    ("win:Float", in_type::FLOAT),
    ("win:Double", in_type::DOUBLE),
    ("win:Boolean", in_type::BOOLEAN),
    ("win:Binary", in_type::BINARY),
    ("win:GUID", in_type::GUID),
    ("win:Pointer", in_type::POINTER),
    ("win:FILETIME", in_type::FILETIME),
    ("win:SYSTEMTIME", in_type::SYSTEMTIME),
    ("win:SID", in_type::SID),
    ("win:HexInt32", in_type::HEXINT32),
    ("win:HexInt64", in_type::HEXINT64),
    ("win:CountedUnicodeString", in_type::COUNTED_STRING),
    ("win:CountedString", in_type::COUNTED_STRING),
    ("win:CountedAnsiString", in_type::COUNTED_ANSI_STRING),
    ("win:CountedBinary", in_type::COUNTED_BINARY),
    ("win:WbemCountedString", in_type::WBEM_COUNTED_STRING),
    (
        "win:WbemCountedAnsiString",
        in_type::WBEM_COUNTED_ANSI_STRING,
    ),
    (
        "win:ReversedCountedString",
        in_type::REVERSED_COUNTED_STRING,
    ),
    (
        "win:ReversedCountedAnsiString",
        in_type::REVERSED_COUNTED_ANSI_STRING,
    ),
    (
        "win:NonNullTerminatedString",
        in_type::NON_NULL_TERMINATED_STRING,
    ),
    (
        "win:NonNullTerminatedAnsiString",
        in_type::NON_NULL_TERMINATED_ANSI_STRING,
    ),
    ("win:UnicodeChar", in_type::UNICODE_CHAR),
    ("win:AnsiChar", in_type::ANSI_CHAR),
    ("win:SizeT", in_type::SIZE_T),
    ("win:HexDump", in_type::HEXDUMP),
    ("win:WbemSID", in_type::WBEM_SID),
];

/// Manifest `outType` names and their TDH output types (tdh.h `_TDH_OUT_TYPE`).
/// Numbers without a constant in `schema::out_type` are written as literals.
pub const OUT_TYPES: &[(&str, u16)] = &[
    ("xs:string", out_type::STRING),
    ("xs:dateTime", out_type::DATETIME),
    ("win:DateTime", out_type::DATETIME),
    ("xs:byte", 3),
    ("xs:unsignedByte", 4),
    ("xs:short", 5),
    ("xs:unsignedShort", 6),
    ("xs:int", 7),
    ("xs:unsignedInt", 8),
    ("xs:long", 9),
    ("xs:unsignedLong", 10),
    ("xs:float", 11),
    ("xs:double", 12),
    ("xs:boolean", out_type::BOOLEAN),
    ("xs:GUID", out_type::GUID),
    ("xs:hexBinary", out_type::HEXBINARY),
    ("win:HexInt8", out_type::HEXINT8),
    ("win:HexInt16", out_type::HEXINT16),
    ("win:HexInt32", out_type::HEXINT32),
    ("win:HexInt64", out_type::HEXINT64),
    ("win:PID", out_type::PID),
    ("win:TID", out_type::TID),
    ("win:Port", out_type::PORT),
    ("win:IPv4", out_type::IPV4),
    ("win:IPv6", out_type::IPV6),
    ("win:SocketAddress", out_type::SOCKETADDRESS),
    ("win:CIMDateTime", 26),
    ("win:ETWTIME", 27),
    ("win:Xml", out_type::XML),
    ("win:ErrorCode", out_type::ERRORCODE),
    ("win:Win32Error", out_type::WIN32ERROR),
    ("win:NTSTATUS", out_type::NTSTATUS),
    ("win:HResult", out_type::HRESULT),
    ("win:DateTimeCultureInsensitive", 33),
    ("win:Json", out_type::JSON),
    ("win:Utf8", out_type::UTF8),
    ("win:Pkcs7WithTypeInfo", 36),
    ("win:CodePointer", out_type::CODE_POINTER),
    ("win:DateTimeUtc", out_type::DATETIME_UTC),
    ("win:ReducedString", 300),
    ("win:NoPrint", 301),
];

/// winmeta.xml levels: (manifest name, value, display name).
pub const STANDARD_LEVELS: &[(&str, u8, &str)] = &[
    ("win:LogAlways", 0, "LogAlways"),
    ("win:Critical", 1, "Critical"),
    ("win:Error", 2, "Error"),
    ("win:Warning", 3, "Warning"),
    ("win:Informational", 4, "Informational"),
    ("win:Verbose", 5, "Verbose"),
];

/// winmeta.xml opcodes: (manifest name, value, display name).
pub const STANDARD_OPCODES: &[(&str, u8, &str)] = &[
    ("win:Info", 0, "Info"),
    ("win:Start", 1, "Start"),
    ("win:Stop", 2, "Stop"),
    ("win:DC_Start", 3, "DC_Start"),
    ("win:DC_Stop", 4, "DC_Stop"),
    ("win:Extension", 5, "Extension"),
    ("win:Reply", 6, "Reply"),
    ("win:Resume", 7, "Resume"),
    ("win:Suspend", 8, "Suspend"),
    ("win:Send", 9, "Send"),
    ("win:Receive", 240, "Receive"),
];

/// winmeta.xml channels: (manifest name, value).
pub const STANDARD_CHANNELS: &[(&str, u8)] = &[
    ("TraceClassic", 0),
    ("System", 8),
    ("Application", 9),
    ("Security", 10),
    ("TraceLogging", 11),
    ("ProviderMetadata", 12),
];

/// The part of a type name after its prefix (`win:UInt32` -> `UInt32`).
fn local_name(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, local)| local)
}

/// Finds `name` in a type table by local name, case-insensitively: the prefix is not checked
/// (`win:`, `xs:`, and the `etl:` prefix of our classic definitions all work) and hand-written
/// files vary in case.
fn lookup_type(table: &[(&str, u16)], name: &str) -> Option<u16> {
    let wanted = local_name(name.trim());
    table
        .iter()
        .find(|(known, _)| local_name(known).eq_ignore_ascii_case(wanted))
        .map(|&(_, value)| value)
}

/// The TDH input type of a manifest `inType` name.
pub fn in_type_by_name(name: &str) -> Option<u16> {
    lookup_type(IN_TYPES, name)
}

/// The TDH output type of a manifest `outType` name.
pub fn out_type_by_name(name: &str) -> Option<u16> {
    lookup_type(OUT_TYPES, name)
}

/// A standard level by manifest name: (value, display name).
pub fn standard_level(name: &str) -> Option<(u8, &'static str)> {
    STANDARD_LEVELS
        .iter()
        .find(|(known, _, _)| known.eq_ignore_ascii_case(name))
        .map(|&(_, value, display)| (value, display))
}

/// A standard level's display name by value.
pub fn standard_level_by_value(value: u8) -> Option<&'static str> {
    STANDARD_LEVELS
        .iter()
        .find(|&&(_, known, _)| known == value)
        .map(|&(_, _, display)| display)
}

/// A standard opcode by manifest name: (value, display name).
pub fn standard_opcode(name: &str) -> Option<(u8, &'static str)> {
    STANDARD_OPCODES
        .iter()
        .find(|(known, _, _)| known.eq_ignore_ascii_case(name))
        .map(|&(_, value, display)| (value, display))
}

/// A standard opcode's display name by value.
pub fn standard_opcode_by_value(value: u8) -> Option<&'static str> {
    STANDARD_OPCODES
        .iter()
        .find(|&&(_, known, _)| known == value)
        .map(|&(_, _, display)| display)
}

/// A standard channel's value by name, accepting the `win:` prefix.
pub fn standard_channel(name: &str) -> Option<u8> {
    let bare = name.strip_prefix("win:").unwrap_or(name);
    STANDARD_CHANNELS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(bare))
        .map(|&(_, value)| value)
}

/// Parses a manifest number: decimal or `0x` hexadecimal, surrounding blanks ignored.
pub fn parse_number(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_type_table_covers_every_tdh_manifest_type() {
        // Every manifest in-type 1..=25 except the reserved 24 (struct) has a name.
        for value in (1..=25u16).filter(|v| *v != in_type::STRUCT) {
            assert!(
                IN_TYPES.iter().any(|&(_, known)| known == value),
                "in-type {value} has no name"
            );
        }
        assert_eq!(in_type_by_name("win:UnicodeString"), Some(1));
        assert_eq!(in_type_by_name("win:Pointer"), Some(16));
        assert_eq!(in_type_by_name("win:countedstring"), Some(22));
        assert_eq!(in_type_by_name("win:CountedBinary"), Some(25));
        assert_eq!(in_type_by_name("win:WbemSID"), Some(310));
        assert_eq!(in_type_by_name("etl:WbemSid"), Some(310));
        assert_eq!(in_type_by_name("etl:SizeT"), Some(308));
        assert_eq!(in_type_by_name("UInt64"), Some(10));
        assert_eq!(in_type_by_name("win:Nonsense"), None);
    }

    #[test]
    fn out_type_table_maps_winmeta_names() {
        assert_eq!(out_type_by_name("xs:string"), Some(1));
        assert_eq!(out_type_by_name("xs:unsignedInt"), Some(8));
        assert_eq!(out_type_by_name("win:HexInt64"), Some(19));
        assert_eq!(out_type_by_name("win:PID"), Some(20));
        assert_eq!(out_type_by_name("win:SocketAddress"), Some(25));
        assert_eq!(out_type_by_name("win:NTSTATUS"), Some(31));
        assert_eq!(out_type_by_name("win:DateTimeUtc"), Some(38));
        assert_eq!(out_type_by_name("xs:nonsense"), None);
        // A local name listed twice must mean the same type, or the lookup would silently
        // pick one of them.
        for table in [IN_TYPES, OUT_TYPES] {
            for (index, &(name, value)) in table.iter().enumerate() {
                let clash = table[..index].iter().find(|(other, other_value)| {
                    local_name(other).eq_ignore_ascii_case(local_name(name))
                        && *other_value != value
                });
                assert!(clash.is_none(), "{name} clashes with {clash:?}");
            }
        }
    }

    #[test]
    fn standard_names_follow_winmeta() {
        assert_eq!(
            standard_level("win:Informational"),
            Some((4, "Informational"))
        );
        assert_eq!(standard_level_by_value(0), Some("LogAlways"));
        assert_eq!(standard_opcode("win:Receive"), Some((240, "Receive")));
        assert_eq!(standard_opcode_by_value(3), Some("DC_Start"));
        assert_eq!(standard_opcode_by_value(10), None);
        assert_eq!(standard_channel("win:System"), Some(8));
        assert_eq!(standard_channel("Application"), Some(9));
    }

    #[test]
    fn numbers_in_decimal_and_hex() {
        assert_eq!(parse_number("42"), Some(42));
        assert_eq!(parse_number(" 0x8000000000000000 "), Some(1 << 63));
        assert_eq!(parse_number("0XfF"), Some(255));
        assert_eq!(parse_number("0x"), None);
        assert_eq!(parse_number("-1"), None);
        assert_eq!(parse_number("12a"), None);
    }
}
