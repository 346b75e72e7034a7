//! TDH metadata embedded in merged traces by KernelTraceControl ("EventMetadata", classic
//! provider bbccf6c1-6cd1-48c4-80ff-839482e37671).
//!
//! Record layout, checked on every such record of perfview-diaghub.etl (24) and
//! perfview-net45-x86-kernel-clr.etl (7): the classic EVENT_TRACE_HEADER (0x30 bytes) is
//! followed directly by the payload, with no prefix:
//! * opcode 32 (event info): a complete TDH `TRACE_EVENT_INFO` blob, its offsets relative to
//!   the payload start (the blob ends with the binary XML it points at);
//! * opcode 33 (map info): the provider GUID (16 bytes), then an `EVENT_MAP_INFO` whose offsets
//!   are relative to the map's own start (just after the GUID).
//!
//! Names are kept as stored (`win:Informational`, `win:Start`); map texts and messages lose
//! the trailing blank the manifest compiler appends.

use crate::schema::{
    Count, EventSchema, FieldDef, Length, SchemaSource, ValueMap, in_type, out_type,
};
use std::cell::Cell;
use std::collections::BTreeMap;

use crate::FastMap as HashMap;
use std::ops::Range;
use std::sync::Arc;
use uuid::Uuid;

/// GUID of KernelTraceControl's EventMetadata classic events.
pub const METADATA_PROVIDER: Uuid = Uuid::from_u128(0xbbccf6c1_6cd1_48c4_80ff_839482e37671);
/// Classic opcode (`Class.Type`) of a record carrying a TRACE_EVENT_INFO.
pub const OPCODE_EVENT_INFO: u8 = 32;
/// Classic opcode of a record carrying a provider GUID + EVENT_MAP_INFO.
pub const OPCODE_MAP_INFO: u8 = 33;

/// Fixed part of TRACE_EVENT_INFO, up to the EVENT_PROPERTY_INFO array.
const EVENT_INFO_FIXED: usize = 0x70;
const PROPERTY_INFO_SIZE: usize = 24;
const MAP_INFO_FIXED: usize = 16;
const MAP_ENTRY_SIZE: usize = 8;
/// Deepest struct nesting accepted.
const MAX_STRUCT_DEPTH: usize = 8;

// EVENT_PROPERTY_INFO.Flags (tdh.h PROPERTY_FLAGS).
const PROPERTY_STRUCT: u32 = 0x1;
const PROPERTY_PARAM_LENGTH: u32 = 0x2;
const PROPERTY_PARAM_COUNT: u32 = 0x4;
const PROPERTY_PARAM_FIXED_LENGTH: u32 = 0x10;
const PROPERTY_PARAM_FIXED_COUNT: u32 = 0x20;
const PROPERTY_HAS_CUSTOM_SCHEMA: u32 = 0x80;

// EVENT_MAP_INFO.Flag (tdh.h MAP_FLAGS).
const MAP_MANIFEST_BITMAP: u32 = 0x2;
const MAP_MANIFEST_PATTERNMAP: u32 = 0x4;
const MAP_WBEM_BITMAP: u32 = 0x10;

/// EVENT_DESCRIPTOR of the described event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct EventDescriptor {
    pub id: u16,
    pub version: u8,
    pub channel: u8,
    pub level: u8,
    pub opcode: u8,
    pub task: u16,
    pub keyword: u64,
}

/// One event-info record: which event it describes and its schema.
#[derive(Debug, Clone, PartialEq)]
pub struct EventInfo {
    pub provider: Uuid,
    /// MOF class GUID for classic events; zero for manifest events.
    pub event_guid: Uuid,
    pub descriptor: EventDescriptor,
    /// tdh.h DECODING_SOURCE: 0 manifest, 1 WBEM/MOF, 2 WPP, 3 TraceLogging.
    pub decoding_source: u32,
    pub schema: EventSchema,
}

/// One map-info record: a provider's value map or bit map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapInfo {
    pub provider: Uuid,
    pub name: String,
    pub map: ValueMap,
}

/// A decoded EventMetadata record.
#[derive(Debug, Clone, PartialEq)]
pub enum MetadataRecord {
    Event(Box<EventInfo>),
    Map(MapInfo),
}

/// Why an EventMetadata payload could not be read; offsets are within the payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventInfoError {
    #[error("{what} at payload offset {offset}: need {need} bytes, have {have}")]
    Truncated {
        what: &'static str,
        offset: usize,
        need: usize,
        have: usize,
    },
    #[error("property #{index}: {reason}")]
    BadProperty { index: usize, reason: &'static str },
    /// A count/length index that does not name an earlier property of the same list (the
    /// top-level properties, or the members of the enclosing struct).
    #[error("property #{index}: count/length refers to property #{target}, {reason}")]
    BadReference {
        index: usize,
        target: usize,
        reason: &'static str,
    },
    #[error("map `{name}` has flags {flags:#x}: pattern maps are not supported")]
    UnsupportedMap { name: String, flags: u32 },
}

fn truncated(what: &'static str, offset: usize, need: usize, len: usize) -> EventInfoError {
    EventInfoError::Truncated {
        what,
        offset,
        need,
        have: len.saturating_sub(offset),
    }
}

fn u16_at(blob: &[u8], offset: usize, what: &'static str) -> Result<u16, EventInfoError> {
    let bytes = blob.get(offset..).and_then(|rest| rest.first_chunk::<2>());
    bytes
        .map(|b| u16::from_le_bytes(*b))
        .ok_or_else(|| truncated(what, offset, 2, blob.len()))
}

fn u32_at(blob: &[u8], offset: usize, what: &'static str) -> Result<u32, EventInfoError> {
    let bytes = blob.get(offset..).and_then(|rest| rest.first_chunk::<4>());
    bytes
        .map(|b| u32::from_le_bytes(*b))
        .ok_or_else(|| truncated(what, offset, 4, blob.len()))
}

fn guid_at(blob: &[u8], offset: usize, what: &'static str) -> Result<Uuid, EventInfoError> {
    let bytes = blob.get(offset..).and_then(|rest| rest.first_chunk::<16>());
    bytes
        .map(|b| Uuid::from_bytes_le(*b))
        .ok_or_else(|| truncated(what, offset, 16, blob.len()))
}

/// The UTF-16 string a TDH offset points at; 0 or out of range means absent. A string that
/// runs to the end of the blob without NUL is taken as is.
fn string_at(blob: &[u8], offset: u32) -> Option<String> {
    let start = usize::try_from(offset).ok().filter(|o| *o != 0)?;
    let rest = blob.get(start..).filter(|rest| rest.len() >= 2)?;
    let units: Vec<u16> = rest
        .chunks_exact(2)
        .map(|u| match *u {
            [a, b] => u16::from_le_bytes([a, b]),
            _ => 0,
        })
        .take_while(|u| *u != 0)
        .collect();
    Some(String::from_utf16_lossy(&units))
}

/// A NUL-separated list of UTF-16 strings ended by an empty one (KeywordsNameOffset).
fn string_list_at(blob: &[u8], offset: u32) -> Vec<String> {
    let mut names = Vec::new();
    let mut at = offset;
    while let Some(name) = string_at(blob, at).filter(|n| !n.is_empty()) {
        // Each name occupies its UTF-16 units plus the NUL.
        let units = name.encode_utf16().count() + 1;
        at = u32::try_from(units * 2)
            .ok()
            .and_then(|n| at.checked_add(n))
            .unwrap_or(0);
        names.push(name);
    }
    names
}

fn trimmed(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim_end().to_string())
}

/// Parses an opcode-32 payload (a TRACE_EVENT_INFO blob). The schema's `maps` stay empty:
/// maps arrive in separate opcode-33 records; [`MetadataTable`] attaches them.
pub fn parse_event_info(blob: &[u8]) -> Result<EventInfo, EventInfoError> {
    if blob.len() < EVENT_INFO_FIXED {
        return Err(truncated(
            "TRACE_EVENT_INFO header",
            0,
            EVENT_INFO_FIXED,
            blob.len(),
        ));
    }
    let provider = guid_at(blob, 0x00, "ProviderGuid")?;
    let event_guid = guid_at(blob, 0x10, "EventGuid")?;
    let descriptor = EventDescriptor {
        id: u16_at(blob, 0x20, "EventDescriptor.Id")?,
        version: blob.get(0x22).copied().unwrap_or_default(),
        channel: blob.get(0x23).copied().unwrap_or_default(),
        level: blob.get(0x24).copied().unwrap_or_default(),
        opcode: blob.get(0x25).copied().unwrap_or_default(),
        task: u16_at(blob, 0x26, "EventDescriptor.Task")?,
        keyword: u64::from(u32_at(blob, 0x28, "EventDescriptor.Keyword")?)
            | u64::from(u32_at(blob, 0x2C, "EventDescriptor.Keyword")?) << 32,
    };
    let offset = |at: usize| u32_at(blob, at, "TRACE_EVENT_INFO name offset");
    let decoding_source = u32_at(blob, 0x30, "DecodingSource")?;
    let provider_name =
        string_at(blob, offset(0x34)?).unwrap_or_else(|| provider.hyphenated().to_string());
    let mut schema = EventSchema::new(SchemaSource::Metadata, provider_name);
    schema.level_name = string_at(blob, offset(0x38)?);
    schema.keyword_names = string_list_at(blob, offset(0x40)?);
    schema.task_name = string_at(blob, offset(0x44)?).map(Arc::from);
    schema.opcode_name = string_at(blob, offset(0x48)?).map(Arc::from);
    schema.message = trimmed(string_at(blob, offset(0x4C)?)).filter(|m| !m.is_empty());
    schema.event_name = match string_at(blob, offset(0x5C)?).filter(|n| !n.is_empty()) {
        Some(name) => name.into(),
        None => derived_event_name(&schema, &descriptor).into(),
    };

    let property_count =
        usize::try_from(u32_at(blob, 0x64, "PropertyCount")?).unwrap_or(usize::MAX);
    let top_level_count =
        usize::try_from(u32_at(blob, 0x68, "TopLevelPropertyCount")?).unwrap_or(usize::MAX);
    let array_len = property_count.saturating_mul(PROPERTY_INFO_SIZE);
    let array = EVENT_INFO_FIXED
        .checked_add(array_len)
        .and_then(|end| blob.get(EVENT_INFO_FIXED..end))
        .ok_or_else(|| {
            truncated(
                "EVENT_PROPERTY_INFO array",
                EVENT_INFO_FIXED,
                array_len,
                blob.len(),
            )
        })?;
    if top_level_count > property_count {
        return Err(EventInfoError::BadProperty {
            index: top_level_count,
            reason: "more top-level properties than properties",
        });
    }
    let properties = PropertyTable {
        blob,
        array,
        budget: Cell::new(property_count),
    };
    let top_level = 0..top_level_count;
    schema.fields = top_level
        .clone()
        .map(|i| properties.field(i, &top_level, 0))
        .collect::<Result<_, _>>()?;
    Ok(EventInfo {
        provider,
        event_guid,
        descriptor,
        decoding_source,
        schema,
    })
}

/// Without an event name: `Task/Opcode` (opcode without its `win:` prefix), or the task alone
/// for opcode 0, or `EventID(n)`.
fn derived_event_name(schema: &EventSchema, descriptor: &EventDescriptor) -> String {
    let opcode = schema
        .opcode_name
        .as_deref()
        .map(|o| o.strip_prefix("win:").unwrap_or(o));
    match (schema.task_name.as_deref(), opcode) {
        (Some(task), Some(opcode)) if descriptor.opcode != 0 => format!("{task}/{opcode}"),
        (Some(task), _) => task.to_string(),
        _ => format!("EventID({})", descriptor.id),
    }
}

/// The EVENT_PROPERTY_INFO array of one blob.
struct PropertyTable<'a> {
    blob: &'a [u8],
    array: &'a [u8],
    /// Properties still allowed to be built.
    budget: Cell<usize>,
}

impl PropertyTable<'_> {
    /// Builds property `index`, one of the list `scope` (flat indexes of the top-level
    /// properties at depth 0, else of the enclosing struct's members).
    fn field(
        &self,
        index: usize,
        scope: &Range<usize>,
        depth: usize,
    ) -> Result<FieldDef, EventInfoError> {
        let bad = |reason| EventInfoError::BadProperty { index, reason };
        let start = index
            .checked_mul(PROPERTY_INFO_SIZE)
            .ok_or_else(|| bad("index out of range"))?;
        let raw = self
            .array
            .get(start..)
            .and_then(|rest| rest.first_chunk::<PROPERTY_INFO_SIZE>())
            .ok_or_else(|| bad("index out of range"))?;
        let [
            f0,
            f1,
            f2,
            f3,
            n0,
            n1,
            n2,
            n3,
            a0,
            a1,
            b0,
            b1,
            m0,
            m1,
            m2,
            m3,
            c0,
            c1,
            l0,
            l1,
            ..,
        ] = *raw;
        let flags = u32::from_le_bytes([f0, f1, f2, f3]);
        let name_offset = u32::from_le_bytes([n0, n1, n2, n3]);
        // InType/OutType, or StructStartIndex/NumOfStructMembers for structs.
        let (first, second) = (u16::from_le_bytes([a0, a1]), u16::from_le_bytes([b0, b1]));
        let map_offset = u32::from_le_bytes([m0, m1, m2, m3]);
        let count_or_index = u16::from_le_bytes([c0, c1]);
        let length_or_index = u16::from_le_bytes([l0, l1]);
        // A well-formed blob uses each property once; shared or cyclic members would
        // otherwise multiply the work.
        let left = self
            .budget
            .get()
            .checked_sub(1)
            .ok_or_else(|| bad("properties are shared or cyclic"))?;
        self.budget.set(left);
        let name = string_at(self.blob, name_offset).unwrap_or_else(|| format!("Property{index}"));

        let mut field = FieldDef::scalar(name, first, second);
        if flags & PROPERTY_STRUCT != 0 {
            if depth >= MAX_STRUCT_DEPTH {
                return Err(bad("structs nested too deeply"));
            }
            let members = usize::from(first)..usize::from(first) + usize::from(second);
            if members.contains(&index) {
                return Err(bad("struct contains itself"));
            }
            field.in_type = in_type::STRUCT;
            field.out_type = out_type::NULL;
            field.members = members
                .clone()
                .map(|i| self.field(i, &members, depth + 1))
                .collect::<Result<_, _>>()?;
        } else if flags & PROPERTY_HAS_CUSTOM_SCHEMA == 0 {
            field.map = trimmed(string_at(self.blob, map_offset));
        }

        field.count = if flags & PROPERTY_PARAM_COUNT != 0 {
            Count::Field(self.reference(index, count_or_index, scope, depth)?)
        } else if flags & PROPERTY_PARAM_FIXED_COUNT != 0 || count_or_index > 1 {
            Count::Fixed(count_or_index)
        } else {
            Count::One
        };
        let sized_by_length = matches!(
            field.in_type,
            in_type::UNICODE_STRING
                | in_type::ANSI_STRING
                | in_type::BINARY
                | in_type::NON_NULL_TERMINATED_STRING
                | in_type::NON_NULL_TERMINATED_ANSI_STRING
        );
        field.length = if flags & PROPERTY_PARAM_LENGTH != 0 {
            Length::Field(self.reference(index, length_or_index, scope, depth)?)
        } else if sized_by_length
            && (length_or_index > 0 || flags & PROPERTY_PARAM_FIXED_LENGTH != 0)
        {
            Length::Fixed(length_or_index)
        } else {
            Length::Natural
        };
        Ok(field)
    }

    /// Turns the flat property index `target` that property `index` takes its count/length
    /// from into a position in `scope`, the list `index` belongs to, as [`Count::Field`] and
    /// [`Length::Field`] want. TDH lets a struct member refer to an earlier sibling; the walker
    /// then reads that sibling's value in the same struct instance.
    fn reference(
        &self,
        index: usize,
        target: u16,
        scope: &Range<usize>,
        depth: usize,
    ) -> Result<usize, EventInfoError> {
        let target = usize::from(target);
        let position = target
            .checked_sub(scope.start)
            .filter(|_| target < scope.end);
        let reason = match position {
            None if depth == 0 => "which is not a top-level property",
            None => "which is outside the enclosing struct",
            Some(_) if target >= index => "which is not an earlier property",
            Some(_) if self.flags(target) & PROPERTY_STRUCT != 0 => {
                "which is a struct, not a number"
            }
            Some(position) => return Ok(position),
        };
        Err(EventInfoError::BadReference {
            index,
            target,
            reason,
        })
    }

    /// The flags of property `index` (0 if it is out of the array).
    fn flags(&self, index: usize) -> u32 {
        index
            .checked_mul(PROPERTY_INFO_SIZE)
            .and_then(|start| self.array.get(start..))
            .and_then(|rest| rest.first_chunk::<4>())
            .map_or(0, |bytes| u32::from_le_bytes(*bytes))
    }
}

/// Parses an opcode-33 payload: provider GUID, then EVENT_MAP_INFO.
pub fn parse_map_info(payload: &[u8]) -> Result<MapInfo, EventInfoError> {
    let provider = guid_at(payload, 0, "map provider GUID")?;
    let map = payload.get(16..).unwrap_or_default();
    let name_offset = u32_at(map, 0, "EVENT_MAP_INFO.NameOffset").map_err(|e| shift(e, 16))?;
    let flags = u32_at(map, 4, "EVENT_MAP_INFO.Flag").map_err(|e| shift(e, 16))?;
    let entry_count = u32_at(map, 8, "EVENT_MAP_INFO.EntryCount").map_err(|e| shift(e, 16))?;
    let name = trimmed(string_at(map, name_offset)).unwrap_or_default();
    if flags & MAP_MANIFEST_PATTERNMAP != 0 {
        return Err(EventInfoError::UnsupportedMap { name, flags });
    }
    let entries_len = usize::try_from(entry_count)
        .ok()
        .and_then(|n| n.checked_mul(MAP_ENTRY_SIZE));
    let entries = entries_len
        .and_then(|len| map.get(MAP_INFO_FIXED..MAP_INFO_FIXED.checked_add(len)?))
        .ok_or_else(|| {
            let need = entries_len.unwrap_or(usize::MAX);
            shift(
                truncated("EVENT_MAP_ENTRY array", MAP_INFO_FIXED, need, map.len()),
                16,
            )
        })?;
    let mut values = BTreeMap::new();
    for entry in entries.chunks_exact(MAP_ENTRY_SIZE) {
        if let [o0, o1, o2, o3, v0, v1, v2, v3] = *entry {
            let text = trimmed(string_at(map, u32::from_le_bytes([o0, o1, o2, o3])));
            if let Some(text) = text {
                values.insert(u64::from(u32::from_le_bytes([v0, v1, v2, v3])), text);
            }
        }
    }
    let is_bitmap = flags & (MAP_MANIFEST_BITMAP | MAP_WBEM_BITMAP) != 0;
    Ok(MapInfo {
        provider,
        name,
        map: ValueMap {
            is_bitmap,
            entries: values,
        },
    })
}

/// Moves a map-relative error offset to a payload offset.
fn shift(error: EventInfoError, by: usize) -> EventInfoError {
    match error {
        EventInfoError::Truncated {
            what,
            offset,
            need,
            have,
        } => EventInfoError::Truncated {
            what,
            offset: offset.saturating_add(by),
            need,
            have,
        },
        other => other,
    }
}

/// Parses the payload of an EventMetadata record by its classic opcode; other opcodes: `None`.
pub fn parse_metadata_record(
    opcode: u8,
    payload: &[u8],
) -> Result<Option<MetadataRecord>, EventInfoError> {
    match opcode {
        OPCODE_EVENT_INFO => {
            parse_event_info(payload).map(|e| Some(MetadataRecord::Event(Box::new(e))))
        }
        OPCODE_MAP_INFO => parse_map_info(payload).map(|m| Some(MetadataRecord::Map(m))),
        _ => Ok(None),
    }
}

/// Schemas gathered from a file's EventMetadata records, keyed by (provider, event id,
/// version), with the provider's maps attached whichever record came first.
#[derive(Debug, Default)]
pub struct MetadataTable {
    events: HashMap<(Uuid, u16, u8), Arc<EventSchema>>,
    maps: HashMap<(Uuid, String), Arc<ValueMap>>,
}

impl MetadataTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses and stores one record (see [`parse_metadata_record`]).
    pub fn add_record(&mut self, opcode: u8, payload: &[u8]) -> Result<(), EventInfoError> {
        match parse_metadata_record(opcode, payload)? {
            Some(MetadataRecord::Event(info)) => self.insert_event(*info),
            Some(MetadataRecord::Map(map)) => self.insert_map(map),
            None => {}
        }
        Ok(())
    }

    pub fn insert_event(&mut self, info: EventInfo) {
        let mut schema = info.schema;
        for name in map_names(&schema.fields) {
            if let Some(map) = self.maps.get(&(info.provider, name.clone())) {
                schema.maps.insert(name, Arc::clone(map));
            }
        }
        self.events.insert(
            (info.provider, info.descriptor.id, info.descriptor.version),
            Arc::new(schema),
        );
    }

    pub fn insert_map(&mut self, info: MapInfo) {
        let map = Arc::new(info.map);
        for ((provider, _, _), schema) in &mut self.events {
            if *provider == info.provider && map_names(&schema.fields).contains(&info.name) {
                Arc::make_mut(schema)
                    .maps
                    .insert(info.name.clone(), Arc::clone(&map));
            }
        }
        self.maps.insert((info.provider, info.name), map);
    }

    /// Replaces schemas for which `fix` returns a corrected one.
    pub fn correct(&mut self, fix: impl Fn(&Uuid, u16, u8, &EventSchema) -> Option<EventSchema>) {
        for ((provider, id, version), schema) in &mut self.events {
            if let Some(fixed) = fix(provider, *id, *version, schema) {
                *schema = Arc::new(fixed);
            }
        }
    }

    pub fn get(&self, provider: &Uuid, id: u16, version: u8) -> Option<&Arc<EventSchema>> {
        self.events.get(&(*provider, id, version))
    }

    /// Number of event schemas.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

/// Map names used by fields and struct members (structs are depth-bounded when built).
fn map_names(fields: &[FieldDef]) -> Vec<String> {
    let mut names = Vec::new();
    for field in fields {
        names.extend(field.map.iter().cloned());
        names.extend(map_names(&field.members));
    }
    names
}

#[cfg(test)]
#[path = "event_info_tests.rs"]
mod tests;
