//! Event schemas built deterministically from fuzz input bytes, for the `payload_walker`
//! target: the walker then meets every in-type, count and length rule, map and nesting depth.

use decode::schema::{Count, EventSchema, FieldDef, Length, SchemaSource, ValueMap, in_type as it};

/// Reads schema-building choices from the front of the fuzz input.
pub(super) struct ByteCursor<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) pos: usize,
}

impl ByteCursor<'_> {
    fn next(&mut self) -> u8 {
        let byte = self.bytes.get(self.pos).copied().unwrap_or(0);
        self.pos = self.pos.saturating_add(1).min(self.bytes.len());
        byte
    }
}

/// In-types the walker knows, plus one it does not (to reach the unsupported-type path).
const IN_TYPES: [u16; 40] = [
    it::NULL,
    it::UNICODE_STRING,
    it::ANSI_STRING,
    it::INT8,
    it::UINT8,
    it::INT16,
    it::UINT16,
    it::INT32,
    it::UINT32,
    it::INT64,
    it::UINT64,
    it::FLOAT,
    it::DOUBLE,
    it::BOOLEAN,
    it::BINARY,
    it::GUID,
    it::POINTER,
    it::FILETIME,
    it::SYSTEMTIME,
    it::SID,
    it::HEXINT32,
    it::HEXINT64,
    it::COUNTED_STRING,
    it::COUNTED_ANSI_STRING,
    it::STRUCT,
    it::COUNTED_BINARY,
    it::WBEM_COUNTED_STRING,
    it::WBEM_COUNTED_ANSI_STRING,
    it::REVERSED_COUNTED_STRING,
    it::REVERSED_COUNTED_ANSI_STRING,
    it::NON_NULL_TERMINATED_STRING,
    it::NON_NULL_TERMINATED_ANSI_STRING,
    it::UNICODE_CHAR,
    it::ANSI_CHAR,
    it::SIZE_T,
    it::HEXDUMP,
    it::WBEM_SID,
    it::STRUCT,
    it::UINT32,
    999,
];

/// Deepest struct nesting the generated schemas use: beyond the walker's own limit.
const MAX_GENERATED_DEPTH: usize = 20;

/// Builds a schema deterministically from bytes: the `selector` byte picks the field count
/// (low 4 bits) and whether maps are attached; each field then takes 4 bytes (in-type,
/// out-type, count rule, length rule), and structs read their members the same way.
pub(super) fn schema_from_bytes(cursor: &mut ByteCursor<'_>, selector: u8) -> EventSchema {
    let mut schema = EventSchema::new(SchemaSource::Manifest, "Fuzz-Provider");
    schema.event_name = "FuzzEvent".into();
    if selector & 0x10 != 0 {
        schema.message = Some("%1 said %2 at %3!x!%n%4".to_string());
    }
    if selector & 0x20 != 0 {
        let mut values = ValueMap::default();
        values.entries.insert(0, "Zero".to_string());
        values.entries.insert(1, " One ".to_string());
        values
            .entries
            .insert(0xFFFF_FFFF, "AllOnes\u{1b}[31m".to_string());
        let mut bits = ValueMap {
            is_bitmap: true,
            ..ValueMap::default()
        };
        bits.entries.insert(1, "Read".to_string());
        bits.entries.insert(2, "Write".to_string());
        bits.entries.insert(0, "None".to_string());
        schema
            .maps
            .insert("values".to_string(), std::sync::Arc::new(values));
        schema
            .maps
            .insert("bits".to_string(), std::sync::Arc::new(bits));
    }
    let count = usize::from(selector & 0x0F);
    schema.fields = fields_from_bytes(cursor, count, 0);
    schema
}

fn fields_from_bytes(cursor: &mut ByteCursor<'_>, count: usize, depth: usize) -> Vec<FieldDef> {
    let mut fields = Vec::with_capacity(count);
    for index in 0..count {
        let in_type = IN_TYPES
            .get(usize::from(cursor.next()) % IN_TYPES.len())
            .copied()
            .unwrap_or(it::UINT8);
        let out_type = u16::from(cursor.next() % 40);
        let count_rule = cursor.next();
        let length_rule = cursor.next();
        let mut field = FieldDef::scalar(format!("f{depth}_{index}"), in_type, out_type);
        field.count = match count_rule % 8 {
            0..=3 => Count::One,
            4 => Count::Fixed(u16::from(count_rule >> 3)),
            5 => Count::Field(usize::from(count_rule >> 3) % (index + 1)),
            6 => Count::PrefixU16,
            _ => Count::Remaining,
        };
        field.length = match length_rule % 4 {
            0 | 1 => Length::Natural,
            2 => Length::Fixed(u16::from(length_rule >> 2)),
            _ => Length::Field(usize::from(length_rule >> 2) % (index + 1)),
        };
        field.map = match length_rule >> 6 {
            1 => Some("values".to_string()),
            2 => Some("bits".to_string()),
            3 => Some("missing".to_string()),
            _ => None,
        };
        if in_type == it::STRUCT && depth < MAX_GENERATED_DEPTH {
            let members = usize::from(count_rule >> 5);
            field.members = fields_from_bytes(cursor, members, depth + 1);
        }
        fields.push(field);
    }
    fields
}
