//! The detail view of one event: header lines, flattened payload fields, error-code meanings
//! and the filter term of each line.

use super::registry::{self, Builtin as B, FieldType};
use crate::timeline::{Timeline, error_value, trace_text_of};
use decode::value::Value;
use decode::{errors, trace_text};
use etl;

pub use crate::timeline::quote;

/// One line of the detail view: a label, its value, nesting depth, and (when known) the
/// meaning of an error code it holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DetailField {
    pub depth: usize,
    pub name: String,
    pub value: String,
    /// `SYMBOL: description` when the value is a known error code.
    pub meaning: Option<String>,
    /// A filter term selecting events with this value, e.g. `ProcessId == 1432`.
    pub filter_term: Option<String>,
}

/// Everything the detail pane shows for one event.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Detail {
    pub header: Vec<DetailField>,
    pub fields: Vec<DetailField>,
    pub extended: Vec<DetailField>,
    pub payload: Vec<u8>,
    pub decode_error: Option<String>,
}

impl Timeline {
    /// The detail view of an event.
    pub fn detail(&self, frame: usize) -> Option<Detail> {
        let e = self.event(frame)?;
        let row = self.row_of(&e);
        let h = &e.header;
        let mut header: Vec<DetailField> = Vec::new();
        // Labels and filter names come from the field registry.
        let mut push = |field: B, value: String, filterable: bool| {
            let term = filterable.then(|| term(field, &value));
            header.push(DetailField {
                depth: 0,
                name: label(field).to_string(),
                value,
                meaning: None,
                filter_term: term,
            })
        };
        push(B::FrameNumber, row.frame.to_string(), false);
        push(B::Timestamp, row.time.clone(), false);
        push(B::HeaderKind, row.header.to_string(), false);
        if let Some(p) = &row.provider {
            push(B::ProviderGuid, p.clone(), true);
        }
        push(B::EventId, h.id.to_string(), true);
        push(B::Version, h.version.to_string(), false);
        push(B::Level, h.level.to_string(), true);
        push(B::Opcode, h.opcode.to_string(), true);
        push(B::Task, h.task.to_string(), true);
        push(B::Keyword, row.keyword.clone(), false);
        if let Some(pid) = h.process_id {
            push(B::ProcessId, pid.to_string(), true);
        }
        if let Some(tid) = h.thread_id {
            push(B::ThreadId, tid.to_string(), true);
        }
        push(B::Processor, e.cpu.to_string(), true);
        if let Some(a) = h.activity_id {
            push(B::ActivityId, a.to_string(), false);
        }
        let extended = e
            .extended_items()
            .map(|i| DetailField {
                depth: 0,
                name: etl::event::ext_type::name(i.ext_type).to_string(),
                value: format!("{} bytes", i.data.len()),
                meaning: None,
                filter_term: None,
            })
            .collect();
        let decoded = self.decode(&e);
        header.insert(
            3,
            plain(label(B::DecodedBy), decoded.decoded_by.name(), None),
        );
        // Decoded names show under the name a filter uses for them.
        let named = |field: B, value: &str| plain(name(field), value, Some(term(field, value)));
        if let Some(p) = &decoded.provider_name {
            let protocol = self.protocol_name(p);
            header.insert(4, named(B::ProviderName, p));
            header.insert(5, named(B::ProtocolName, &protocol));
        }
        if let Some(n) = &decoded.event_name {
            header.push(named(B::EventName, n));
        }
        if let Some(p) = self.ut_process_name(&e) {
            header.push(named(B::UTProcessName, &p));
        }
        if let Some(m) = decoded.message() {
            header.push(plain(name(B::Message), m, None));
        }
        if self.sources().len() > 1 {
            header.insert(1, named(B::Source, self.source_label(&e)));
        }
        let mut fields = Vec::new();
        for (name, value) in decoded.fields() {
            flatten(&mut fields, 0, name, value);
        }
        if let Some(text) = trace_text_of(&decoded) {
            let line = trace_text::parse_line(text);
            if let Some(c) = line.component {
                fields.push(named(B::Component, c));
            }
            if let Some(code) = trace_text::error_code(&line) {
                let code_text = code.to_string();
                let mut f = plain(
                    name(B::ErrorCode),
                    &code_text,
                    Some(term(B::ErrorCode, &code_text)),
                );
                f.meaning = meaning_of(code);
                fields.push(f);
            }
            if let Some(m) = &line.mapping {
                let mut f = plain(name(B::MappedFrom), &m.from_code.to_string(), None);
                f.meaning = meaning_of(m.from_code);
                fields.push(f);
                let to = m.to_code.to_string();
                let mut f = plain(name(B::MappedTo), &to, Some(term(B::MappedTo, &to)));
                f.meaning = meaning_of(m.to_code);
                fields.push(f);
            }
        }
        Some(Detail {
            header,
            fields,
            extended,
            payload: e.payload().to_vec(),
            decode_error: decoded.error.clone(),
        })
    }
}

/// The registry's label of a field (column title, details label).
fn label(field: B) -> &'static str {
    registry::by_builtin(field).label
}

/// The registry's canonical (filter) name of a field.
fn name(field: B) -> &'static str {
    registry::by_builtin(field).name
}

/// A filter term selecting events with this value of the field: numbers bare, GUIDs in
/// braces, text quoted.
fn term(field: B, value: &str) -> String {
    let def = registry::by_builtin(field);
    let literal = match def.ty {
        FieldType::Guid => format!("{{{value}}}"),
        FieldType::Text | FieldType::Address | FieldType::Time => quote(value),
        _ => value.to_string(),
    };
    format!("{} == {literal}", def.name)
}

fn plain(name: &str, value: &str, filter_term: Option<String>) -> DetailField {
    DetailField {
        depth: 0,
        name: name.to_string(),
        value: value.to_string(),
        meaning: None,
        filter_term,
    }
}

/// `SYMBOL: description` of an error code.
fn meaning_of(code: u32) -> Option<String> {
    errors::best_match(code).map(|c| format!("{}: {}", c.symbol, c.description))
}

/// Detail lines for a value; structs and arrays become indented children.
fn flatten(out: &mut Vec<DetailField>, depth: usize, name: &str, value: &Value) {
    match value {
        Value::Struct(members) => {
            out.push(DetailField {
                depth,
                name: name.to_string(),
                value: String::new(),
                meaning: None,
                filter_term: None,
            });
            for (n, v) in members {
                flatten(out, depth + 1, n, v);
            }
        }
        Value::Array(items)
            if items.len() <= 64 && items.iter().any(|v| matches!(v, Value::Struct(_))) =>
        {
            out.push(DetailField {
                depth,
                name: name.to_string(),
                value: format!("{} items", items.len()),
                meaning: None,
                filter_term: None,
            });
            for (i, v) in items.iter().enumerate() {
                flatten(out, depth + 1, &format!("[{i}]"), v);
            }
        }
        _ => {
            let shown = value.display();
            let meaning = error_value(value).filter(|&c| c != 0).and_then(meaning_of);
            let filter_term = (depth == 0).then(|| match value.as_u64() {
                Some(n) if !matches!(value, Value::Mapped { .. }) => format!("{name} == {n}"),
                _ => format!("{name} == {}", quote(&shown)),
            });
            out.push(DetailField {
                depth,
                name: name.to_string(),
                value: shown,
                meaning,
                filter_term,
            });
        }
    }
}
