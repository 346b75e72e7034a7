//! The one schema model every decoder source produces.
//!
//! Instrumentation manifests (`parsers/*.man`), TDH `TRACE_EVENT_INFO` blobs embedded in merged
//! files, TraceLogging metadata and the kernel MOF class definitions all turn into an
//! [`EventSchema`]; a single payload walker (`decode::value`) then reads any of them.

use std::collections::BTreeMap;
use std::sync::Arc;

/// TDH input types (tdh.h `_TDH_IN_TYPE`), as used by manifests and embedded metadata.
/// TraceLogging in-types are mapped onto these when the schema is built.
pub mod in_type {
    pub const NULL: u16 = 0;
    pub const UNICODE_STRING: u16 = 1;
    pub const ANSI_STRING: u16 = 2;
    pub const INT8: u16 = 3;
    pub const UINT8: u16 = 4;
    pub const INT16: u16 = 5;
    pub const UINT16: u16 = 6;
    pub const INT32: u16 = 7;
    pub const UINT32: u16 = 8;
    pub const INT64: u16 = 9;
    pub const UINT64: u16 = 10;
    pub const FLOAT: u16 = 11;
    pub const DOUBLE: u16 = 12;
    pub const BOOLEAN: u16 = 13;
    pub const BINARY: u16 = 14;
    pub const GUID: u16 = 15;
    pub const POINTER: u16 = 16;
    pub const FILETIME: u16 = 17;
    pub const SYSTEMTIME: u16 = 18;
    pub const SID: u16 = 19;
    pub const HEXINT32: u16 = 20;
    pub const HEXINT64: u16 = 21;
    pub const COUNTED_STRING: u16 = 22;
    pub const COUNTED_ANSI_STRING: u16 = 23;
    pub const STRUCT: u16 = 24;
    pub const COUNTED_BINARY: u16 = 25;
    pub const WBEM_COUNTED_STRING: u16 = 300;
    pub const WBEM_COUNTED_ANSI_STRING: u16 = 301;
    pub const REVERSED_COUNTED_STRING: u16 = 302;
    pub const REVERSED_COUNTED_ANSI_STRING: u16 = 303;
    pub const NON_NULL_TERMINATED_STRING: u16 = 304;
    pub const NON_NULL_TERMINATED_ANSI_STRING: u16 = 305;
    pub const UNICODE_CHAR: u16 = 306;
    pub const ANSI_CHAR: u16 = 307;
    pub const SIZE_T: u16 = 308;
    pub const HEXDUMP: u16 = 309;
    pub const WBEM_SID: u16 = 310;
}

/// TDH output types (tdh.h `_TDH_OUT_TYPE`); they change presentation only.
pub mod out_type {
    pub const NULL: u16 = 0;
    pub const STRING: u16 = 1;
    pub const DATETIME: u16 = 2;
    pub const BOOLEAN: u16 = 13;
    pub const GUID: u16 = 14;
    pub const HEXBINARY: u16 = 15;
    pub const HEXINT8: u16 = 16;
    pub const HEXINT16: u16 = 17;
    pub const HEXINT32: u16 = 18;
    pub const HEXINT64: u16 = 19;
    pub const PID: u16 = 20;
    pub const TID: u16 = 21;
    pub const PORT: u16 = 22;
    pub const IPV4: u16 = 23;
    pub const IPV6: u16 = 24;
    pub const SOCKETADDRESS: u16 = 25;
    pub const XML: u16 = 28;
    pub const ERRORCODE: u16 = 29;
    pub const WIN32ERROR: u16 = 30;
    pub const NTSTATUS: u16 = 31;
    pub const HRESULT: u16 = 32;
    pub const JSON: u16 = 34;
    pub const UTF8: u16 = 35;
    pub const CODE_POINTER: u16 = 37;
    pub const DATETIME_UTC: u16 = 38;
}

/// How many times a field repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Count {
    /// A single value.
    One,
    /// A fixed number of elements (manifest `count="4"`, TraceLogging const array).
    Fixed(u16),
    /// The value of an earlier field, by index into the enclosing list: the event's
    /// [`EventSchema::fields`] for top-level fields, the struct's `members` inside a struct
    /// (a sibling member, read in the same instance when the struct repeats).
    Field(usize),
    /// A little-endian u16 element count stored in the payload just before the elements
    /// (TraceLogging variable arrays).
    PrefixU16,
    /// Elements until the payload ends, possibly none (manifest `count="*"`, an etlview
    /// extension used for kernel stack frames and variable MOF tails; last field only). For a
    /// string type it means an optional trailing string: one string value, empty if absent.
    Remaining,
}

/// The byte/character length of a string or binary field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Length {
    /// The type's natural size, or NUL-terminated for strings.
    Natural,
    /// A fixed length: characters for strings, bytes for binary.
    Fixed(u16),
    /// The value of an earlier field, by index into the enclosing list (top-level fields, or
    /// the struct's `members` inside a struct).
    Field(usize),
}

/// One field of an event template.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    pub name: String,
    /// TDH in-type ([`in_type`]); `STRUCT` for a group of `members`.
    pub in_type: u16,
    /// TDH out-type ([`out_type`]).
    pub out_type: u16,
    /// Name of a value/bit map in [`EventSchema::maps`] (or the provider's maps).
    pub map: Option<String>,
    pub count: Count,
    pub length: Length,
    /// Members, when `in_type == STRUCT`.
    pub members: Vec<FieldDef>,
}

impl FieldDef {
    /// A scalar field of the given types.
    pub fn scalar(name: impl Into<String>, in_type: u16, out_type: u16) -> Self {
        FieldDef {
            name: name.into(),
            in_type,
            out_type,
            map: None,
            count: Count::One,
            length: Length::Natural,
            members: Vec::new(),
        }
    }
}

/// A value map (`valueMap`) or bit map (`bitMap`) from a manifest or embedded metadata.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValueMap {
    pub is_bitmap: bool,
    /// value (or bit mask) -> display text
    pub entries: BTreeMap<u64, String>,
}

/// Where a schema came from; reported as `decoded_by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SchemaSource {
    /// TDH metadata embedded in the file (KernelTraceControl EventMetadata).
    Metadata,
    /// TraceLogging / EventSource self-describing metadata in the event itself.
    Tracelogging,
    /// An instrumentation manifest from `parsers/` or `--parsers DIR`.
    Manifest,
    /// A classic kernel (MOF) class definition from `parsers/`.
    Mof,
}

/// Everything needed to name and decode one kind of event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSchema {
    pub source: SchemaSource,
    // Names are shared with every decoded event of this schema (cloned per event: no copy).
    pub provider_name: Arc<str>,
    /// Event name: manifest symbol / TraceLogging name / `Task/Opcode` for MOF classes.
    pub event_name: Arc<str>,
    pub task_name: Option<Arc<str>>,
    pub opcode_name: Option<Arc<str>>,
    pub level_name: Option<String>,
    pub keyword_names: Vec<String>,
    /// Message template with `%1`..`%N` placeholders (FormatMessage conventions), if any.
    pub message: Option<String>,
    pub fields: Vec<FieldDef>,
    /// Maps referenced by `FieldDef::map`.
    pub maps: BTreeMap<String, Arc<ValueMap>>,
}

impl EventSchema {
    /// An empty schema of the given source, to be filled by a builder.
    pub fn new(source: SchemaSource, provider_name: impl Into<Arc<str>>) -> Self {
        EventSchema {
            source,
            provider_name: provider_name.into(),
            event_name: Arc::from(""),
            task_name: None,
            opcode_name: None,
            level_name: None,
            keyword_names: Vec::new(),
            message: None,
            fields: Vec::new(),
            maps: BTreeMap::new(),
        }
    }
}
