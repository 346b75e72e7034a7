//! Writes the schema metadata that a merge embeds for each manifest event: a TDH
//! `TRACE_EVENT_INFO` blob (format doc §8b) carried by a KernelTraceControl "EventMetadata"
//! classic record (GUID bbccf6c1-6cd1-48c4-80ff-839482e37671, type 32).
//!
//! Framing mirrors the records of `perfview-diaghub.etl` (e.g. file offset 219736): the blob
//! follows the 0x30-byte EVENT_TRACE_HEADER directly; every offset is relative to the blob;
//! the strings follow the property array in the order property names, provider, level,
//! keyword list (double-NUL terminated), task, opcode; the template's binary XML closes the
//! blob. TemplateFlags is 1 (TEMPLATE_EVENT_DATA) and EventGuid is zero for manifest events.

use super::events::EventSpec;

const FIXED_PART: usize = 0x70;
const PROPERTY_INFO_SIZE: usize = 24;
/// EVENT_PROPERTY_INFO.Flags: the length is in the property whose index is stored.
const PROPERTY_PARAM_LENGTH: u32 = 0x2;
/// TRACE_EVENT_INFO.Flags: the template is a plain `<EventData>` (no custom user data).
const TEMPLATE_EVENT_DATA: u32 = 0x1;

/// The TRACE_EVENT_INFO blob describing `spec`.
pub fn event_info_blob(spec: &EventSpec) -> Vec<u8> {
    let mut strings = StringArea::new(FIXED_PART + PROPERTY_INFO_SIZE * spec.fields.len());

    let mut properties = Vec::with_capacity(PROPERTY_INFO_SIZE * spec.fields.len());
    for field in spec.fields {
        let name_offset = strings.push(field.name);
        let (flags, length) = match field.length_field {
            Some(index) => (PROPERTY_PARAM_LENGTH, index),
            None => (0, fixed_size(field.in_type)),
        };
        properties.extend(flags.to_le_bytes());
        properties.extend(name_offset.to_le_bytes());
        properties.extend(field.in_type.to_le_bytes());
        properties.extend(field.out_type.to_le_bytes());
        properties.extend(0u32.to_le_bytes()); // MapNameOffset
        properties.extend(1u16.to_le_bytes()); // count
        properties.extend(length.to_le_bytes());
        properties.extend(0u32.to_le_bytes()); // Reserved (tags)
    }
    let provider_offset = strings.push(spec.provider.name);
    let level_offset = strings.push(spec.level_name());
    let keywords_offset = strings.push_list(spec.keyword_names);
    let task_offset = spec.task_name.map_or(0, |t| strings.push(t));
    let opcode_offset = spec.opcode_name.map_or(0, |o| strings.push(o));
    let binary_xml = template_binary_xml(spec);
    let binary_xml_offset = strings.end();

    let mut blob = Vec::with_capacity(binary_xml_offset as usize + binary_xml.len());
    blob.extend(spec.provider.guid.to_bytes_le());
    blob.extend([0u8; 16]); // EventGuid
    blob.extend(spec.id.to_le_bytes());
    blob.extend([spec.version, 0, spec.level, spec.opcode]);
    blob.extend(spec.task.to_le_bytes());
    blob.extend(spec.keyword.to_le_bytes());
    let count = spec.fields.len() as u32;
    let header: [u32; 16] = [
        0, // DecodingSource: XML manifest
        provider_offset,
        level_offset,
        0, // ChannelNameOffset
        keywords_offset,
        task_offset,
        opcode_offset,
        0, // EventMessageOffset: these providers define no messages
        0, // ProviderMessageOffset
        binary_xml_offset,
        binary_xml.len() as u32,
        0, // EventNameOffset
        0, // EventAttributesOffset
        count,
        count,
        TEMPLATE_EVENT_DATA,
    ];
    for value in header {
        blob.extend(value.to_le_bytes());
    }
    blob.extend(properties);
    blob.extend(strings.bytes);
    blob.extend(binary_xml);
    blob
}

/// Byte size TDH stores for fixed-size in-types (0 for strings and binaries).
fn fixed_size(in_type: u16) -> u16 {
    use decode::schema::in_type as it;
    match in_type {
        it::INT8 | it::UINT8 => 1,
        it::INT16 | it::UINT16 => 2,
        it::INT32 | it::UINT32 | it::BOOLEAN | it::FLOAT | it::HEXINT32 => 4,
        it::INT64 | it::UINT64 | it::DOUBLE | it::POINTER | it::FILETIME | it::HEXINT64 => 8,
        it::GUID | it::SYSTEMTIME => 16,
        _ => 0,
    }
}

/// UTF-16 strings laid out after the fixed part and the property array.
struct StringArea {
    base: usize,
    bytes: Vec<u8>,
}

impl StringArea {
    fn new(base: usize) -> StringArea {
        StringArea {
            base,
            bytes: Vec::new(),
        }
    }

    fn end(&self) -> u32 {
        (self.base + self.bytes.len()) as u32
    }

    /// Appends a NUL-terminated string and returns its blob offset.
    fn push(&mut self, text: &str) -> u32 {
        let offset = self.end();
        push_utf16z(&mut self.bytes, text);
        offset
    }

    /// Appends `a\0b\0\0` (TDH's keyword name list); 0 when the list is empty.
    fn push_list(&mut self, names: &[&str]) -> u32 {
        if names.is_empty() {
            return 0;
        }
        let offset = self.end();
        for name in names {
            push_utf16z(&mut self.bytes, name);
        }
        self.bytes.extend([0, 0]);
        offset
    }
}

fn push_utf16z(out: &mut Vec<u8>, text: &str) {
    for unit in text.encode_utf16().chain([0]) {
        out.extend(unit.to_le_bytes());
    }
}

// Binary XML tokens (MS-EVEN6 BinXml).
const FRAGMENT_HEADER: [u8; 4] = [0x0F, 0x01, 0x01, 0x00];
const OPEN_START_ELEMENT: u8 = 0x01;
const HAS_ATTRIBUTES: u8 = 0x40;
const CLOSE_START_ELEMENT: u8 = 0x02;
const END_ELEMENT: u8 = 0x04;
const VALUE_TEXT: u8 = 0x05;
const ATTRIBUTE: u8 = 0x06;
const NORMAL_SUBSTITUTION: u8 = 0x0D;
const END_OF_FRAGMENT: u8 = 0x00;
const STRING_VALUE: u8 = 0x01;

/// The template as binary XML: `<EventData><Data Name="x">%n</Data>...</EventData>`, one
/// normal substitution per top-level field whose value type is the field's in-type.
fn template_binary_xml(spec: &EventSpec) -> Vec<u8> {
    let mut children = Vec::new();
    for (index, field) in spec.fields.iter().enumerate() {
        let mut attribute = vec![ATTRIBUTE];
        push_name(&mut attribute, "Name");
        attribute.extend([VALUE_TEXT, STRING_VALUE]);
        let chars: Vec<u16> = field.name.encode_utf16().collect();
        attribute.extend((chars.len() as u16).to_le_bytes());
        for unit in chars {
            attribute.extend(unit.to_le_bytes());
        }
        let mut body = Vec::new();
        push_name(&mut body, "Data");
        body.extend((attribute.len() as u32).to_le_bytes());
        body.extend(attribute);
        body.push(CLOSE_START_ELEMENT);
        body.push(NORMAL_SUBSTITUTION);
        body.extend((index as u16).to_le_bytes());
        body.push(field.in_type as u8);
        body.push(END_ELEMENT);
        push_element(&mut children, OPEN_START_ELEMENT | HAS_ATTRIBUTES, &body);
    }
    let mut body = Vec::new();
    push_name(&mut body, "EventData");
    body.push(CLOSE_START_ELEMENT);
    body.extend(children);
    body.push(END_ELEMENT);

    let mut xml = FRAGMENT_HEADER.to_vec();
    push_element(&mut xml, OPEN_START_ELEMENT, &body);
    xml.push(END_OF_FRAGMENT);
    xml
}

/// Element token, dependency id -1, and the size of everything up to its end token.
fn push_element(out: &mut Vec<u8>, token: u8, body: &[u8]) {
    out.push(token);
    out.extend(0xFFFFu16.to_le_bytes());
    out.extend((body.len() as u32).to_le_bytes());
    out.extend(body);
}

/// Inline name: 16-bit hash, character count, UTF-16 text with NUL.
fn push_name(out: &mut Vec<u8>, name: &str) {
    out.extend(name_hash(name).to_le_bytes());
    out.extend((name.encode_utf16().count() as u16).to_le_bytes());
    push_utf16z(out, name);
}

/// Low 16 bits of BinXml's name hash (`hash = hash * 65599 + unit`).
fn name_hash(name: &str) -> u16 {
    let hash = name.encode_utf16().fold(0u32, |h, unit| {
        h.wrapping_mul(65599).wrapping_add(u32::from(unit))
    });
    (hash & 0xFFFF) as u16
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{self, ALL_EVENTS};
    use decode::event_info::parse_event_info;
    use decode::schema::{Length, in_type as it};

    #[test]
    fn name_hashes_match_the_ones_windows_stored() {
        // From the TplEventSource record of perfview-diaghub.etl (file offset 219736).
        assert_eq!(name_hash("EventData"), 0x8244);
        assert_eq!(name_hash("Data"), 0x6f8a);
        assert_eq!(name_hash("Name"), 0x954b);
    }

    #[test]
    fn binary_xml_matches_the_windows_layout_for_three_uint32_fields() {
        // The TplEventSource TaskStarted template (three Int32 fields) is 286 bytes; ours
        // for three UInt32 fields with the same names must have the same shape and size.
        static FIELDS: [events::FieldSpec; 3] = [
            events::FieldSpec {
                name: "OriginatingTaskSchedulerID",
                in_type: it::INT32,
                out_type: 7,
                length_field: None,
            },
            events::FieldSpec {
                name: "OriginatingTaskID",
                in_type: it::INT32,
                out_type: 7,
                length_field: None,
            },
            events::FieldSpec {
                name: "TaskID",
                in_type: it::INT32,
                out_type: 7,
                length_field: None,
            },
        ];
        let spec = events::EventSpec {
            fields: &FIELDS,
            ..events::TCP_CONNECT_COMPLETE
        };
        let xml = template_binary_xml(&spec);
        assert_eq!(xml.len(), 286);
        assert_eq!(&xml[..11], &[0x0F, 1, 1, 0, 1, 0xFF, 0xFF, 0x12, 1, 0, 0]);
        assert_eq!(&xml[xml.len() - 8..], &[2, 0x0D, 2, 0, 7, 4, 4, 0]);
    }

    #[test]
    fn every_blob_parses_back_to_its_spec() {
        for spec in ALL_EVENTS {
            let blob = event_info_blob(spec);
            let info = parse_event_info(&blob)
                .unwrap_or_else(|e| panic!("{} {}: {e}", spec.provider.name, spec.id));
            assert_eq!(info.provider, spec.provider.guid);
            assert_eq!(info.descriptor.id, spec.id);
            assert_eq!(info.descriptor.version, spec.version);
            assert_eq!(info.descriptor.level, spec.level);
            assert_eq!(info.descriptor.opcode, spec.opcode);
            assert_eq!(info.descriptor.task, spec.task);
            assert_eq!(info.descriptor.keyword, spec.keyword);
            assert_eq!(info.decoding_source, 0);
            let schema = &info.schema;
            assert_eq!(&*schema.provider_name, spec.provider.name);
            assert_eq!(schema.task_name.as_deref(), spec.task_name);
            assert_eq!(schema.opcode_name.as_deref(), spec.opcode_name);
            assert_eq!(schema.level_name.as_deref(), Some(spec.level_name()));
            assert_eq!(schema.keyword_names, spec.keyword_names);
            assert_eq!(schema.fields.len(), spec.fields.len(), "{}", spec.symbol);
            for (got, want) in schema.fields.iter().zip(spec.fields) {
                assert_eq!(got.name, want.name);
                assert_eq!(got.in_type, want.in_type);
                assert_eq!(got.out_type, want.out_type);
                let length = want
                    .length_field
                    .map_or(Length::Natural, |i| Length::Field(usize::from(i)));
                // Fixed-size types may report their natural size as a fixed length.
                if want.length_field.is_some() || !matches!(got.length, Length::Fixed(_)) {
                    assert_eq!(got.length, length, "{}.{}", spec.symbol, want.name);
                }
            }
        }
    }

    #[test]
    fn blob_layout_follows_the_windows_order() {
        let blob = event_info_blob(&events::WEBIO_REQUEST_HEADER);
        let u32_at = |o: usize| u32::from_le_bytes(blob[o..o + 4].try_into().unwrap());
        // Property names start right after three 24-byte property entries.
        assert_eq!(u32_at(0x70 + 4), 0x70 + 3 * 24);
        let provider = u32_at(0x34) as usize;
        let level = u32_at(0x38) as usize;
        let keywords = u32_at(0x40) as usize;
        let task = u32_at(0x44) as usize;
        let binary_xml = u32_at(0x54) as usize;
        assert!(provider < level && level < keywords && keywords < task && task < binary_xml);
        assert_eq!(binary_xml + u32_at(0x58) as usize, blob.len());
        // Keyword list: two names, then an empty one.
        let list: Vec<u16> = blob[keywords..task]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let text = String::from_utf16(&list).unwrap();
        assert_eq!(text, "Keyword.SEND\0keyword_20000000000\0\0");
        // The Headers property takes its length from property 1.
        assert_eq!(u32_at(0x70 + 2 * 24), PROPERTY_PARAM_LENGTH);
        assert_eq!(&blob[0x70 + 2 * 24 + 18..0x70 + 2 * 24 + 20], &[1, 0]);
    }

    proptest::proptest! {
        /// Any template (fixed-size fields, strings, binaries sized by the field before them)
        /// survives writing and parsing with names, types and length references intact.
        #[test]
        fn random_templates_round_trip(
            kinds in proptest::collection::vec((0usize..8, "[A-Z][A-Za-z]{0,12}"), 0..10),
            id in 1u16..60000,
        ) {
            const TYPES: [u16; 8] = [
                it::UINT8, it::UINT16, it::UINT32, it::UINT64, it::POINTER,
                it::UNICODE_STRING, it::ANSI_STRING, it::BINARY,
            ];
            let mut fields = Vec::new();
            for (i, (kind, name)) in kinds.iter().enumerate() {
                let in_type = TYPES[*kind];
                // A binary needs a length: the field before it, made a UInt32.
                let length_field = (in_type == it::BINARY && i > 0).then(|| i as u16 - 1);
                let in_type = if in_type == it::BINARY && i == 0 { it::UINT32 } else { in_type };
                fields.push(events::FieldSpec {
                    name: Box::leak(format!("{name}{i}").into_boxed_str()),
                    in_type,
                    out_type: 0,
                    length_field,
                });
            }
            for i in 0..fields.len() {
                if let Some(j) = fields[i].length_field {
                    fields[usize::from(j)].in_type = it::UINT32;
                }
            }
            let fields: &'static [events::FieldSpec] = Box::leak(fields.into_boxed_slice());
            let spec = events::EventSpec { id, fields, ..events::WEBIO_REQUEST_CREATE };
            let info = parse_event_info(&event_info_blob(&spec)).unwrap();
            proptest::prop_assert_eq!(info.descriptor.id, id);
            proptest::prop_assert_eq!(info.schema.fields.len(), fields.len());
            for (got, want) in info.schema.fields.iter().zip(fields) {
                proptest::prop_assert_eq!(&got.name, want.name);
                proptest::prop_assert_eq!(got.in_type, want.in_type);
                if let Some(j) = want.length_field {
                    proptest::prop_assert_eq!(&got.length, &Length::Field(usize::from(j)));
                }
            }
        }
    }
}
