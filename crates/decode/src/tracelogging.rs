//! TraceLogging / EventSource self-describing metadata (EVENT_HEADER extended items 0x0B
//! EVENT_SCHEMA_TL and 0x0C PROV_TRAITS) turned into [`EventSchema`]s.
//!
//! TraceLogging numbers its in- and out-types differently from TDH in places; the builder maps
//! them onto the TDH values of `schema::in_type`/`out_type` so the one payload walker
//! (`decode::value`) reads them. Custom-serialized fields (count kind 0x60) have no known
//! payload protocol: such a field becomes an in-type BINARY field without a length, which the
//! walker shows as the rest of the payload in hex, and the fields after it are dropped.

use crate::FastMap as HashMap;
use crate::schema::{Count, EventSchema, FieldDef, Length, SchemaSource, in_type, out_type};
use crate::value::out_type_ext;
use sha1::{Digest, Sha1};
use std::borrow::Cow;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use uuid::Uuid;

/// Deepest struct nesting accepted in metadata.
const MAX_STRUCT_DEPTH: usize = 16;

/// Provider trait type 1: the provider group GUID.
pub const TRAIT_PROVIDER_GROUP: u8 = 1;
/// Provider trait type 2: the decode GUID.
pub const TRAIT_DECODE_GUID: u8 = 2;

/// Why TraceLogging metadata could not be read; offsets are within the metadata blob.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlError {
    #[error("{what} at metadata offset {offset}: need {need} bytes, have {have}")]
    Truncated {
        what: &'static str,
        offset: usize,
        need: usize,
        have: usize,
    },
    #[error(
        "{what}: declared size {declared}, but the blob has {available} bytes (minimum {minimum})"
    )]
    BadSize {
        what: &'static str,
        declared: usize,
        available: usize,
        minimum: usize,
    },
    #[error("{what} at metadata offset {offset}: no NUL terminator before the end of the blob")]
    Unterminated { what: &'static str, offset: usize },
    #[error("field `{field}` at metadata offset {offset}: invalid TraceLogging in-type {in_type}")]
    InvalidInType {
        field: String,
        offset: usize,
        in_type: u8,
    },
    #[error("struct `{field}` at metadata offset {offset}: nested deeper than {max} levels")]
    TooDeep {
        field: String,
        offset: usize,
        max: usize,
    },
}

/// One provider trait: its type and raw data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderTrait<'a> {
    pub trait_type: u8,
    pub data: &'a [u8],
}

/// The PROV_TRAITS item: provider name plus traits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderTraits<'a> {
    pub name: Cow<'a, str>,
    /// Provider group GUID (trait type 1), if present and well-formed.
    pub group_guid: Option<Uuid>,
    /// Decode GUID (trait type 2), if present and well-formed.
    pub decode_guid: Option<Uuid>,
    /// Every trait in blob order, including the two above.
    pub traits: Vec<ProviderTrait<'a>>,
}

/// Reads bytes of a metadata blob, reporting offsets on failure.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn at_end(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], TlError> {
        let have = self.data.len().saturating_sub(self.pos);
        let slice = self
            .pos
            .checked_add(n)
            .and_then(|end| self.data.get(self.pos..end));
        let slice = slice.ok_or(TlError::Truncated {
            what,
            offset: self.pos,
            need: n,
            have,
        })?;
        self.pos += n;
        Ok(slice)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, TlError> {
        self.bytes(1, what)
            .map(|b| b.first().copied().unwrap_or_default())
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, TlError> {
        let b = self.bytes(2, what)?;
        Ok(u16::from_le_bytes([
            b.first().copied().unwrap_or_default(),
            b.get(1).copied().unwrap_or_default(),
        ]))
    }

    /// A NUL-terminated UTF-8 string (invalid UTF-8 is replaced, never rejected).
    fn cstr(&mut self, what: &'static str) -> Result<Cow<'a, str>, TlError> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let len = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or(TlError::Unterminated {
                what,
                offset: self.pos,
            })?;
        self.pos += len + 1;
        Ok(String::from_utf8_lossy(rest.get(..len).unwrap_or_default()))
    }

    /// Tag bytes: 7 bits each, continuing while the high bit is set.
    fn skip_tags(&mut self, what: &'static str) -> Result<(), TlError> {
        while self.u8(what)? & 0x80 != 0 {}
        Ok(())
    }
}

/// Limits `data` to the blob size stored in its first u16 (which counts itself).
fn sized_blob<'a>(data: &'a [u8], what: &'static str, minimum: usize) -> Result<&'a [u8], TlError> {
    let declared = match data.first_chunk::<2>() {
        Some(size) => usize::from(u16::from_le_bytes(*size)),
        None => {
            return Err(TlError::Truncated {
                what,
                offset: 0,
                need: 2,
                have: data.len(),
            });
        }
    };
    match data.get(..declared) {
        Some(blob) if declared >= minimum => Ok(blob),
        _ => Err(TlError::BadSize {
            what,
            declared,
            available: data.len(),
            minimum,
        }),
    }
}

/// Parses a PROV_TRAITS item (ExtType 0x0C): u16 total size, NUL-terminated UTF-8 name, then
/// traits of {u16 size incl. 3-byte header, u8 type, data}. A malformed trait ends the trait
/// list without failing, so the provider name is never lost to a bad trait.
pub fn parse_provider_traits(data: &[u8]) -> Result<ProviderTraits<'_>, TlError> {
    let blob = sized_blob(data, "provider traits", 3)?;
    let mut cur = Cursor { data: blob, pos: 2 };
    let name = cur.cstr("provider name")?;
    let mut traits = ProviderTraits {
        name,
        group_guid: None,
        decode_guid: None,
        traits: Vec::new(),
    };
    while !cur.at_end() {
        let Ok(size) = cur.u16("trait size") else {
            break;
        };
        let Some(data_len) = usize::from(size).checked_sub(3) else {
            break;
        };
        let Ok(trait_type) = cur.u8("trait type") else {
            break;
        };
        let Ok(data) = cur.bytes(data_len, "trait data") else {
            break;
        };
        let guid = data
            .first_chunk::<16>()
            .filter(|_| data.len() == 16)
            .map(|b| Uuid::from_bytes_le(*b));
        match trait_type {
            TRAIT_PROVIDER_GROUP => traits.group_guid = guid,
            TRAIT_DECODE_GUID => traits.decode_guid = guid,
            _ => {}
        }
        traits.traits.push(ProviderTrait { trait_type, data });
    }
    Ok(traits)
}

/// A field entry as listed in the metadata, before structs are nested.
struct FlatField {
    name: String,
    offset: usize,
    in_type: u16,
    out_type: u16,
    count: Count,
    /// For structs: how many following entries belong to it.
    struct_members: usize,
}

/// Parses an EVENT_SCHEMA_TL item (ExtType 0x0B) into a schema named after `provider_name`.
pub fn parse_event_metadata(data: &[u8], provider_name: &str) -> Result<EventSchema, TlError> {
    let blob = sized_blob(data, "event metadata", 4)?;
    let mut cur = Cursor { data: blob, pos: 2 };
    cur.skip_tags("event tags")?;
    let event_name = cur.cstr("event name")?.into_owned();
    let mut flat = Vec::new();
    while !cur.at_end() {
        let offset = cur.pos;
        let name = cur.cstr("field name")?.into_owned();
        let in_meta = cur.u8("field in-type")?;
        let out_meta = if in_meta & 0x80 != 0 {
            cur.u8("field out-type")?
        } else {
            0
        };
        if out_meta & 0x80 != 0 {
            cur.skip_tags("field tags")?;
        }
        let tl_in = in_meta & 0x1f;
        let tl_out = out_meta & 0x7f;
        let mapped_in = map_in_type(tl_in).ok_or_else(|| TlError::InvalidInType {
            field: name.clone(),
            offset,
            in_type: tl_in,
        })?;
        let count = match in_meta & 0x60 {
            0x20 => Count::Fixed(cur.u16("array element count")?),
            0x40 => Count::PrefixU16,
            0x60 => {
                // Custom serializer: skip its schema, then keep the rest of the payload as
                // raw bytes (see the module comment) and ignore any later entries.
                let schema_len = cur.u16("custom schema size")?;
                cur.bytes(usize::from(schema_len), "custom schema")?;
                flat.push(FlatField {
                    name,
                    offset,
                    in_type: in_type::BINARY,
                    out_type: out_type::NULL,
                    count: Count::One,
                    struct_members: 0,
                });
                break;
            }
            _ => Count::One,
        };
        let is_struct = mapped_in == in_type::STRUCT;
        flat.push(FlatField {
            name,
            offset,
            in_type: mapped_in,
            out_type: if is_struct {
                out_type::NULL
            } else {
                map_out_type(tl_out, mapped_in)
            },
            count,
            struct_members: if is_struct { usize::from(tl_out) } else { 0 },
        });
    }
    let mut entries = flat.into_iter();
    let mut schema = EventSchema::new(SchemaSource::Tracelogging, provider_name);
    schema.event_name = event_name.into();
    schema.fields = nest_fields(&mut entries, usize::MAX, 0)?;
    Ok(schema)
}

/// Takes up to `limit` logical fields from `entries`; a struct takes its members from the
/// entries that follow it (a struct missing members at the end keeps what is there).
fn nest_fields(
    entries: &mut std::vec::IntoIter<FlatField>,
    limit: usize,
    depth: usize,
) -> Result<Vec<FieldDef>, TlError> {
    let mut fields = Vec::new();
    while fields.len() < limit {
        let Some(entry) = entries.next() else { break };
        let members = if entry.in_type == in_type::STRUCT {
            if depth >= MAX_STRUCT_DEPTH {
                return Err(TlError::TooDeep {
                    field: entry.name,
                    offset: entry.offset,
                    max: MAX_STRUCT_DEPTH,
                });
            }
            nest_fields(entries, entry.struct_members, depth + 1)?
        } else {
            Vec::new()
        };
        fields.push(FieldDef {
            name: entry.name,
            in_type: entry.in_type,
            out_type: entry.out_type,
            map: None,
            count: entry.count,
            length: Length::Natural,
            members,
        });
    }
    Ok(fields)
}

/// TraceLogging in-type (low 5 bits) to TDH in-type; `None` for NULL and undefined values.
fn map_in_type(tl: u8) -> Option<u16> {
    Some(match tl {
        1..=13 | 15..=23 => u16::from(tl),
        // TraceLogging BINARY is always "u16 byte count + bytes".
        14 | 25 => in_type::COUNTED_BINARY,
        24 => in_type::STRUCT,
        _ => return None,
    })
}

/// TraceLogging out-type to TDH out-type, given the (already mapped) TDH in-type.
fn map_out_type(tl: u8, tdh_in: u16) -> u16 {
    use out_type_ext as ext;
    let width = match tdh_in {
        in_type::INT8 | in_type::UINT8 => 1,
        in_type::INT16 | in_type::UINT16 => 2,
        in_type::INT32 | in_type::UINT32 | in_type::HEXINT32 | in_type::BOOLEAN => 4,
        in_type::INT64 | in_type::UINT64 | in_type::HEXINT64 => 8,
        _ => 0,
    };
    match tl {
        1 => ext::NOPRINT,
        2 => out_type::STRING,
        3 => out_type::BOOLEAN,
        4 => match width {
            1 => out_type::HEXINT8,
            2 => out_type::HEXINT16,
            4 => out_type::HEXINT32,
            8 => out_type::HEXINT64,
            _ if tdh_in == in_type::COUNTED_BINARY => out_type::HEXBINARY,
            _ => out_type::NULL,
        },
        5 => out_type::PID,
        6 => out_type::TID,
        7 => out_type::PORT,
        8 => out_type::IPV4,
        9 => out_type::IPV6,
        10 => out_type::SOCKETADDRESS,
        11 => out_type::XML,
        12 => out_type::JSON,
        13 => out_type::WIN32ERROR,
        14 => out_type::NTSTATUS,
        15 => out_type::HRESULT,
        16 => out_type::DATETIME,
        17 => [ext::BYTE, ext::SHORT, ext::INT, ext::LONG][width_index(width)],
        18 => [
            ext::UNSIGNEDBYTE,
            ext::UNSIGNEDSHORT,
            ext::UNSIGNEDINT,
            ext::UNSIGNEDLONG,
        ][width_index(width)],
        // From 32 on TraceLogging uses the TDH numbers.
        33 | 35..=38 => u16::from(tl),
        _ => out_type::NULL,
    }
}

fn width_index(width: u8) -> usize {
    match width {
        1 => 0,
        2 => 1,
        8 => 3,
        _ => 2,
    }
}

/// Parsed schemas by (provider name, metadata bytes), so each distinct event layout is parsed
/// once. Lookups of known metadata do not allocate. Failures are cached too.
#[derive(Debug, Default)]
pub struct TlCache {
    buckets: HashMap<u64, Vec<CacheEntry>>,
    len: usize,
}

#[derive(Debug)]
struct CacheEntry {
    provider_name: Box<str>,
    metadata: Box<[u8]>,
    schema: Result<Arc<EventSchema>, TlError>,
}

impl TlCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of distinct (provider, metadata) pairs seen.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The schema for this metadata item, parsing it on first sight.
    pub fn get_or_parse(
        &mut self,
        provider_name: &str,
        metadata: &[u8],
    ) -> Result<Arc<EventSchema>, TlError> {
        let mut hasher = DefaultHasher::new();
        provider_name.hash(&mut hasher);
        metadata.hash(&mut hasher);
        let bucket = self.buckets.entry(hasher.finish()).or_default();
        if let Some(hit) = bucket
            .iter()
            .find(|e| &*e.provider_name == provider_name && &*e.metadata == metadata)
        {
            return hit.schema.clone();
        }
        let schema = parse_event_metadata(metadata, provider_name).map(Arc::new);
        bucket.push(CacheEntry {
            provider_name: provider_name.into(),
            metadata: metadata.into(),
            schema: schema.clone(),
        });
        self.len += 1;
        schema
    }
}

/// Namespace that EventSource hashes provider names in.
const EVENTSOURCE_NAMESPACE: [u8; 16] = [
    0x48, 0x2C, 0x2D, 0xB2, 0xC3, 0x90, 0x47, 0xC8, 0x87, 0xF8, 0x1A, 0x15, 0xBF, 0xC1, 0x30, 0xFB,
];

/// The provider GUID EventSource (and TraceLogging tools) derive from a provider name:
/// SHA-1 of the namespace bytes and the upper-cased name in UTF-16BE, first 16 bytes, version
/// nibble 5, read as a little-endian GUID.
pub fn provider_guid_from_name(name: &str) -> Uuid {
    let mut sha = Sha1::new();
    sha.update(EVENTSOURCE_NAMESPACE);
    for c in name.chars() {
        // Invariant-culture style: only one-to-one case mappings apply (ß stays ß).
        let mut upper = c.to_uppercase();
        let mapped = match (upper.next(), upper.next()) {
            (Some(u), None) => u,
            _ => c,
        };
        let mut units = [0u16; 2];
        for unit in mapped.encode_utf16(&mut units) {
            sha.update(unit.to_be_bytes());
        }
    }
    let digest = sha.finalize();
    let mut bytes = [0u8; 16];
    for (dst, src) in bytes.iter_mut().zip(digest.iter()) {
        *dst = *src;
    }
    bytes[7] = (bytes[7] & 0x0F) | 0x50;
    Uuid::from_bytes_le(bytes)
}

#[cfg(test)]
#[path = "tracelogging_tests.rs"]
mod tests;
