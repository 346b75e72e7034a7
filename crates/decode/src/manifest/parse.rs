//! Reads one manifest document into event schemas.
//!
//! Accepts standard instrumentation manifests and, leniently, the publisher-metadata XML that
//! `wevtutil gp <name> /ge /gm:true /f:xml` prints (numeric level/task/opcode/keyword
//! attributes, inline messages, a `<template>` inside each `<event>`). Elements are matched by
//! local name so both the namespaced and the namespace-less forms load.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use roxmltree::{Document, Node, ParsingOptions};
use uuid::Uuid;

use super::tables::{NameTable, ProviderTables, TaskDef, parse_mask};
use super::types::{in_type_by_name, out_type_by_name, parse_number};
use super::{DefinitionKind, ManifestError, ManifestWarning};
use crate::schema::{Count, EventSchema, FieldDef, Length, SchemaSource, ValueMap, in_type};

/// Structs inside structs deeper than this are refused (bounds recursion on hostile input).
const MAX_STRUCT_DEPTH: usize = 8;
/// Caps the parse tree of hostile input; the largest real manifests have ~200 000 nodes.
const MAX_XML_NODES: u32 = 4_000_000;
/// Fields (struct members included) all events of one file may hold together. Templates are
/// copied into every event that uses them, so this bounds memory for hostile files; real
/// manifests stay far below (the CLR runtime manifest: about 15 000).
const MAX_FIELDS_PER_FILE: usize = 1_000_000;
/// Problems listed per file; the rest are only counted (positions cost time on huge files).
pub(super) const MAX_WARNINGS: usize = 50;
/// `count` value meaning "repeat until the payload ends" (an etlview extension, see `fields`).
const REST_OF_PAYLOAD: &str = "*";

/// One provider read from a file.
pub(super) struct ParsedProvider {
    pub name: String,
    pub guid: Uuid,
    pub symbol: Option<String>,
    pub events: Vec<ParsedEvent>,
}

/// One event definition: its key parts and its schema.
pub(super) struct ParsedEvent {
    /// Event id (manifest) or event type / opcode (classic).
    pub value: u16,
    pub version: u8,
    pub schema: EventSchema,
}

/// Parses `text` (named `path` in messages). Returns the providers found and the warnings for
/// definitions that had to be skipped; fails only when the text is not usable at all.
pub(super) fn parse_document(
    path: &str,
    text: &str,
    kind: DefinitionKind,
) -> Result<(Vec<ParsedProvider>, Vec<ManifestWarning>), ManifestError> {
    let options = ParsingOptions {
        nodes_limit: MAX_XML_NODES,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|error| {
        let pos = error.pos();
        ManifestError::Xml {
            path: path.to_string(),
            line: pos.row,
            column: pos.col,
            message: error.to_string(),
        }
    })?;
    let strings = string_table(&doc);
    let mut reader = Reader {
        path,
        doc: &doc,
        strings: &strings,
        kind,
        warnings: Vec::new(),
        suppressed: 0,
        line_starts: None,
        field_budget: MAX_FIELDS_PER_FILE,
    };
    let providers: Vec<ParsedProvider> = doc
        .descendants()
        .filter(|node| node.is_element() && node.tag_name().name() == "provider")
        .filter_map(|node| reader.provider(node))
        .collect();
    if providers.is_empty() && reader.warnings.is_empty() {
        return Err(ManifestError::NoProvider {
            path: path.to_string(),
        });
    }
    if reader.suppressed > 0 {
        reader.warnings.push(ManifestWarning {
            path: path.to_string(),
            line: 1,
            column: 1,
            message: format!(
                "{} more problems in this file are not listed",
                reader.suppressed
            ),
        });
    }
    Ok((providers, reader.warnings))
}

/// `localization/resources/stringTable/string` entries; en-US wins over other cultures.
fn string_table(doc: &Document) -> HashMap<String, String> {
    let mut strings = HashMap::new();
    for resources in doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "resources")
    {
        let preferred = resources
            .attribute("culture")
            .is_some_and(|c| c.eq_ignore_ascii_case("en-US"));
        for string in resources
            .descendants()
            .filter(|n| n.is_element() && n.tag_name().name() == "string")
        {
            if let (Some(id), Some(value)) = (string.attribute("id"), string.attribute("value")) {
                if preferred {
                    strings.insert(id.to_string(), value.to_string());
                } else {
                    strings
                        .entry(id.to_string())
                        .or_insert_with(|| value.to_string());
                }
            }
        }
    }
    strings
}

struct Reader<'a, 'input> {
    path: &'a str,
    doc: &'a Document<'input>,
    strings: &'a HashMap<String, String>,
    kind: DefinitionKind,
    warnings: Vec<ManifestWarning>,
    /// Warnings beyond `MAX_WARNINGS`, counted only.
    suppressed: usize,
    /// Byte offsets where lines start, built on the first warning.
    line_starts: Option<Vec<usize>>,
    /// What is left of `MAX_FIELDS_PER_FILE`.
    field_budget: usize,
}

impl Reader<'_, '_> {
    fn warn(&mut self, node: Node, message: String) {
        if self.warnings.len() >= MAX_WARNINGS {
            self.suppressed = self.suppressed.saturating_add(1);
            return;
        }
        let (line, column) = self.position(node.range().start);
        self.warnings.push(ManifestWarning {
            path: self.path.to_string(),
            line,
            column,
            message,
        });
    }

    /// 1-based line and column (in characters) of a byte offset of the document text.
    fn position(&mut self, offset: usize) -> (u32, u32) {
        let text = self.doc.input_text();
        let starts = self.line_starts.get_or_insert_with(|| {
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(at, _)| at + 1))
                .collect()
        });
        let line_index = starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        let line_start = starts.get(line_index).copied().unwrap_or(0);
        let column = text
            .get(line_start..offset)
            .map_or(0, |prefix| prefix.chars().count());
        let as_u32 = |n: usize| u32::try_from(n.saturating_add(1)).unwrap_or(u32::MAX);
        (as_u32(line_index), as_u32(column))
    }

    /// Resolves `$(string.X)` through the string table; other text is taken literally.
    fn message(&self, text: &str) -> Option<String> {
        match text
            .strip_prefix("$(string.")
            .and_then(|rest| rest.strip_suffix(')'))
        {
            Some(id) => self.strings.get(id).cloned(),
            None if text.is_empty() => None,
            None => Some(text.to_string()),
        }
    }

    fn provider(&mut self, node: Node) -> Option<ParsedProvider> {
        let Some(name) = node.attribute("name").filter(|n| !n.trim().is_empty()) else {
            self.warn(node, "provider without a name is skipped".into());
            return None;
        };
        let guid_text = node.attribute("guid").unwrap_or_default();
        let Ok(guid) = Uuid::parse_str(guid_text.trim().trim_matches(['{', '}'])) else {
            self.warn(
                node,
                format!("provider {name}: guid `{guid_text}` is not a GUID; provider skipped"),
            );
            return None;
        };
        let mut tables = ProviderTables::default();
        let sections: Vec<Node> = node.children().filter(Node::is_element).collect();
        let named = |tag: &'static str| sections.iter().filter(move |s| s.has_tag_name(tag));
        // Fixed order: task-specific opcodes need their tasks, templates need the maps, and
        // events may precede all of them in document order.
        for section in named("levels") {
            self.levels(*section, &mut tables);
        }
        for section in named("tasks") {
            self.tasks(*section, &mut tables);
        }
        for section in named("opcodes") {
            for (name, value, task) in self.opcodes(*section) {
                match tables.tasks.get_mut(&task) {
                    Some(task_def) if task != 0 => task_def.opcodes.add(&name, value),
                    _ => tables.opcodes.add(&name, value),
                }
            }
        }
        for section in named("keywords") {
            self.keywords(*section, &mut tables);
        }
        for section in named("maps") {
            self.maps(*section, &mut tables);
        }
        for section in named("templates") {
            for template in section.children().filter(|n| n.has_tag_name("template")) {
                let Some(tid) = template.attribute("tid") else {
                    self.warn(template, "template without tid ignored".into());
                    continue;
                };
                let fields = self.fields(template, &tables, 0);
                if let Err(reason) = &fields {
                    self.warn(
                        template,
                        format!("template {tid}: {reason}; events using it are skipped"),
                    );
                }
                tables.templates.insert(tid.to_string(), fields);
            }
        }
        let mut events = Vec::new();
        for section in named("events") {
            for event in section.children().filter(|n| n.has_tag_name("event")) {
                if let Some(parsed) = self.event(event, name, &tables) {
                    events.push(parsed);
                }
            }
        }
        Some(ParsedProvider {
            name: name.to_string(),
            guid,
            symbol: node.attribute("symbol").map(str::to_string),
            events,
        })
    }

    fn levels(&mut self, section: Node, tables: &mut ProviderTables) {
        for level in section.children().filter(|n| n.has_tag_name("level")) {
            let value = level
                .attribute("value")
                .and_then(parse_number)
                .and_then(|v| u8::try_from(v).ok());
            match (level.attribute("name"), value) {
                (Some(name), Some(value)) => tables.levels.add(name, u16::from(value)),
                _ => self.warn(level, "level needs a name and a value 0-255".into()),
            }
        }
    }

    fn tasks(&mut self, section: Node, tables: &mut ProviderTables) {
        for task in section.children().filter(|n| n.has_tag_name("task")) {
            let (Some(name), Some(value)) = (
                task.attribute("name"),
                task.attribute("value")
                    .and_then(parse_number)
                    .and_then(|v| u16::try_from(v).ok()),
            ) else {
                self.warn(task, "task needs a name and a value 0-65535".into());
                continue;
            };
            let mut opcodes = NameTable::default();
            for nested in task.children().filter(|n| n.has_tag_name("opcodes")) {
                for (name, opcode, _) in self.opcodes(nested) {
                    opcodes.add(&name, opcode);
                }
            }
            tables.task_values.insert(name.to_string(), value);
            tables.tasks.insert(
                value,
                TaskDef {
                    name: name.to_string(),
                    opcodes,
                },
            );
        }
    }

    /// The `<opcode>` children of a section as (name, opcode, task). wevtutil prints an
    /// opcode value as `opcode << 16 | task`; manifests give the plain opcode (task 0).
    fn opcodes(&mut self, section: Node) -> Vec<(String, u16, u16)> {
        let mut found = Vec::new();
        for opcode in section.children().filter(|n| n.has_tag_name("opcode")) {
            let (Some(name), Some(raw)) = (
                opcode.attribute("name"),
                opcode.attribute("value").and_then(parse_number),
            ) else {
                self.warn(opcode, "opcode needs a name and a value".into());
                continue;
            };
            let (value, task) = if raw > 0xFF {
                (raw >> 16, raw & 0xFFFF)
            } else {
                (raw, 0)
            };
            match (u8::try_from(value), u16::try_from(task)) {
                (Ok(value), Ok(task)) => found.push((name.to_string(), u16::from(value), task)),
                _ => self.warn(opcode, format!("opcode {name}: value {raw} is not 0-255")),
            }
        }
        found
    }

    fn keywords(&mut self, section: Node, tables: &mut ProviderTables) {
        for keyword in section.children().filter(|n| n.has_tag_name("keyword")) {
            match (
                keyword.attribute("name"),
                keyword.attribute("mask").and_then(parse_mask),
            ) {
                (Some(name), Some(mask)) => tables.keywords.push((name.to_string(), mask)),
                _ => self.warn(keyword, "keyword needs a name and a mask".into()),
            }
        }
    }

    fn maps(&mut self, section: Node, tables: &mut ProviderTables) {
        for map in section.children().filter(Node::is_element) {
            let is_bitmap = match map.tag_name().name() {
                "valueMap" => false,
                "bitMap" => true,
                _ => continue,
            };
            let Some(name) = map.attribute("name") else {
                self.warn(map, "map without a name ignored".into());
                continue;
            };
            let mut entries = BTreeMap::new();
            for entry in map.children().filter(|n| n.has_tag_name("map")) {
                let value = entry.attribute("value").and_then(parse_number);
                let text = entry.attribute("message").and_then(|m| self.message(m));
                match (value, text) {
                    (Some(value), Some(text)) => {
                        entries.insert(value, text.trim_end().to_string());
                    }
                    _ => self.warn(entry, format!("map {name}: entry without value/message")),
                }
            }
            tables
                .maps
                .insert(name.to_string(), Arc::new(ValueMap { is_bitmap, entries }));
        }
    }

    /// The ordered fields of a template or struct; `length`/`count` names refer to earlier
    /// fields of the same scope.
    fn fields(
        &mut self,
        scope: Node,
        tables: &ProviderTables,
        depth: usize,
    ) -> Result<Vec<FieldDef>, String> {
        let mut fields: Vec<FieldDef> = Vec::new();
        let items: Vec<Node> = scope
            .children()
            .filter(|n| n.has_tag_name("data") || n.has_tag_name("struct"))
            .collect(); // other children (<UserData>, <binary>) are rendering hints only
        for (position, item) in items.iter().copied().enumerate() {
            let is_struct = item.has_tag_name("struct");
            let name = item
                .attribute("name")
                .ok_or_else(|| format!("a <{}> has no name", item.tag_name().name()))?;
            if item
                .attribute("count")
                .is_some_and(|c| c.trim() == REST_OF_PAYLOAD)
            {
                // Our classic definitions write `count="*"` for "elements until the payload
                // ends" (stack frames, MOF variable arrays).
                if position + 1 != items.len() {
                    return Err(format!(
                        "field {name}: count `*` is allowed on the last field only"
                    ));
                }
            }
            let count = match item.attribute("count") {
                None => Count::One,
                Some(text) if text.trim() == REST_OF_PAYLOAD => Count::Remaining,
                Some(text) => match size_ref(text, &fields, name, "count")? {
                    SizeRef::Fixed(n) => Count::Fixed(n),
                    SizeRef::Field(i) => Count::Field(i),
                },
            };
            let length = match item.attribute("length") {
                None => Length::Natural,
                Some(text) => match size_ref(text, &fields, name, "length")? {
                    SizeRef::Fixed(n) => Length::Fixed(n),
                    SizeRef::Field(i) => Length::Field(i),
                },
            };
            let mut field = FieldDef::scalar(name, in_type::NULL, 0);
            field.count = count;
            field.length = length;
            if is_struct {
                if depth >= MAX_STRUCT_DEPTH {
                    return Err(format!(
                        "struct {name} nests deeper than {MAX_STRUCT_DEPTH}"
                    ));
                }
                field.in_type = in_type::STRUCT;
                field.members = self.fields(item, tables, depth + 1)?;
            } else {
                let type_name = item
                    .attribute("inType")
                    .ok_or_else(|| format!("field {name} has no inType"))?;
                field.in_type = in_type_by_name(type_name).unwrap_or_else(|| {
                    self.warn(item, format!("field {name}: unknown inType {type_name}"));
                    in_type::NULL
                });
                if let Some(out) = item.attribute("outType").filter(|t| !t.is_empty()) {
                    // Unknown out-types only change presentation: fall back to the default.
                    field.out_type = out_type_by_name(out).unwrap_or(0);
                }
                if let Some(map) = item.attribute("map") {
                    if tables.maps.contains_key(map) {
                        field.map = Some(map.to_string());
                    } else {
                        self.warn(item, format!("field {name}: map {map} is not defined"));
                    }
                }
            }
            fields.push(field);
        }
        Ok(fields)
    }

    fn event(
        &mut self,
        node: Node,
        provider_name: &str,
        tables: &ProviderTables,
    ) -> Option<ParsedEvent> {
        let Some(value) = node
            .attribute("value")
            .and_then(parse_number)
            .and_then(|v| u16::try_from(v).ok())
        else {
            self.warn(node, "event needs a value 0-65535; skipped".into());
            return None;
        };
        if self.kind == DefinitionKind::Classic && value > 0xFF {
            self.warn(
                node,
                format!("classic event type {value} is not 0-255; skipped"),
            );
            return None;
        }
        let version_text = node.attribute("version").unwrap_or("0");
        let Some(version) = parse_number(version_text).and_then(|v| u8::try_from(v).ok()) else {
            self.warn(
                node,
                format!("event {value}: version `{version_text}` is not 0-255"),
            );
            return None;
        };
        let fields = match node.attribute("template") {
            Some(tid) => match tables.templates.get(tid) {
                Some(Ok(fields)) => {
                    let needed = field_count(fields);
                    let Some(left) = self.field_budget.checked_sub(needed) else {
                        self.warn(
                            node,
                            format!("event {value}: more than {MAX_FIELDS_PER_FILE} fields in this file; skipped"),
                        );
                        return None;
                    };
                    self.field_budget = left;
                    fields.clone()
                }
                Some(Err(_)) => return None, // already reported with the template
                None => {
                    self.warn(
                        node,
                        format!("event {value}: template {tid} is not defined"),
                    );
                    return None;
                }
            },
            None => match node.children().find(|n| n.has_tag_name("template")) {
                Some(inline) => match self.fields(inline, tables, 0) {
                    Ok(fields) => fields,
                    Err(reason) => {
                        self.warn(inline, format!("event {value}: {reason}; skipped"));
                        return None;
                    }
                },
                None => Vec::new(),
            },
        };

        let task = node.attribute("task").and_then(|t| tables.task(t));
        let opcode_name = match node.attribute("opcode") {
            Some(text) => tables.opcode_name(text, task),
            // A classic event's value is its opcode.
            None if self.kind == DefinitionKind::Classic => tables.opcode_by_value(value, task),
            None => None,
        };
        let opcode_is_info = node
            .attribute("opcode")
            .is_none_or(|t| parse_number(t) == Some(0) || t == "win:Info");
        let mut schema = EventSchema::new(
            match self.kind {
                DefinitionKind::Manifest => SchemaSource::Manifest,
                DefinitionKind::Classic => SchemaSource::Mof,
            },
            provider_name,
        );
        let symbol = node.attribute("symbol").filter(|s| !s.is_empty());
        let task_name = task.map(|t| t.name.clone());
        schema.event_name = Arc::from(match self.kind {
            DefinitionKind::Manifest => match (symbol, &task_name, &opcode_name) {
                (Some(symbol), _, _) => symbol.to_string(),
                (None, Some(task), Some(opcode)) if !opcode_is_info => format!("{task}{opcode}"),
                (None, Some(task), _) => task.clone(),
                (None, None, Some(opcode)) if !opcode_is_info => opcode.clone(),
                _ => format!("Event{value}"),
            },
            DefinitionKind::Classic => {
                let task = task_name.as_deref().unwrap_or(provider_name);
                match (&opcode_name, symbol) {
                    (Some(opcode), _) => format!("{task}/{opcode}"),
                    (None, Some(symbol)) => symbol.to_string(),
                    (None, None) => format!("{task}/{value}"),
                }
            }
        });
        schema.task_name = task_name.map(Arc::from);
        schema.opcode_name = opcode_name.map(Arc::from);
        schema.level_name = node.attribute("level").and_then(|l| tables.level_name(l));
        schema.keyword_names = node
            .attribute("keywords")
            .map(|k| tables.keyword_names(k))
            .unwrap_or_default();
        schema.message = node.attribute("message").and_then(|m| self.message(m));
        schema.maps = tables.used_maps(&fields);
        schema.fields = fields;
        Some(ParsedEvent {
            value,
            version,
            schema,
        })
    }
}

/// Number of fields including struct members, at any depth.
fn field_count(fields: &[FieldDef]) -> usize {
    fields.iter().fold(0usize, |total, field| {
        total
            .saturating_add(1)
            .saturating_add(field_count(&field.members))
    })
}

enum SizeRef {
    Fixed(u16),
    Field(usize),
}

/// A `length`/`count` attribute: a number, or the name of an earlier field in `earlier`, the
/// fields before this one in the same template or struct (a struct member names a sibling).
fn size_ref(text: &str, earlier: &[FieldDef], field: &str, what: &str) -> Result<SizeRef, String> {
    if let Some(number) = parse_number(text) {
        return u16::try_from(number)
            .map(SizeRef::Fixed)
            .map_err(|_| format!("field {field}: {what} {number} exceeds 65535"));
    }
    let (index, target) = earlier
        .iter()
        .enumerate()
        .rfind(|(_, f)| f.name == text)
        .ok_or_else(|| format!("field {field}: {what} `{text}` is not an earlier field"))?;
    if target.in_type == in_type::STRUCT {
        return Err(format!(
            "field {field}: {what} `{text}` is a struct, not a number"
        ));
    }
    Ok(SizeRef::Field(index))
}
