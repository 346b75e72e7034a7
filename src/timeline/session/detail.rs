//! The detail view of one event: header lines, flattened payload fields, error-code meanings
//! and the filter term of each line.

use super::classify::{named_error_value, trace_text_of};
use super::{Detail, DetailField, Session};
use decode::value::Value;
use decode::{errors, trace_text};
use etl;

impl Session {
    /// The detail view of an event.
    pub fn detail(&self, frame: usize) -> Option<Detail> {
        let e = self.event(frame)?;
        let row = self.row_of(&e);
        let h = &e.header;
        let mut header: Vec<DetailField> = Vec::new();
        let mut push = |name: &str, value: String, term: Option<String>| {
            header.push(DetailField {
                depth: 0,
                name: name.to_string(),
                value,
                meaning: None,
                filter_term: term,
            })
        };
        push("Frame", row.frame.to_string(), None);
        push("Time", row.time.clone(), None);
        push("Header", row.header.to_string(), None);
        if let Some(p) = &row.provider {
            push(
                "Provider",
                p.clone(),
                Some(format!("ProviderGuid == {{{p}}}")),
            );
        }
        push("Id", h.id.to_string(), Some(format!("EventId == {}", h.id)));
        push("Version", h.version.to_string(), None);
        push(
            "Level",
            h.level.to_string(),
            Some(format!("Level == {}", h.level)),
        );
        push(
            "Opcode",
            h.opcode.to_string(),
            Some(format!("Opcode == {}", h.opcode)),
        );
        push(
            "Task",
            h.task.to_string(),
            Some(format!("Task == {}", h.task)),
        );
        push("Keyword", row.keyword.clone(), None);
        if let Some(pid) = h.process_id {
            push(
                "ProcessId",
                pid.to_string(),
                Some(format!("ProcessId == {pid}")),
            );
        }
        if let Some(tid) = h.thread_id {
            push(
                "ThreadId",
                tid.to_string(),
                Some(format!("ThreadId == {tid}")),
            );
        }
        push(
            "Processor",
            e.cpu.to_string(),
            Some(format!("Processor == {}", e.cpu)),
        );
        if let Some(a) = h.activity_id {
            push("ActivityId", a.to_string(), None);
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
            DetailField {
                depth: 0,
                name: "Decoded by".into(),
                value: decoded.decoded_by.name().into(),
                meaning: None,
                filter_term: None,
            },
        );
        if let Some(p) = &decoded.provider_name {
            let protocol = self.protocol_name(p);
            header.insert(
                4,
                plain(
                    "ProviderName",
                    p,
                    Some(format!("ProviderName == {}", quote(p))),
                ),
            );
            header.insert(
                5,
                plain(
                    "ProtocolName",
                    &protocol,
                    Some(format!("ProtocolName == {}", quote(&protocol))),
                ),
            );
        }
        if let Some(n) = &decoded.event_name {
            header.push(plain(
                "EventName",
                n,
                Some(format!("EventName == {}", quote(n))),
            ));
        }
        if let Some(p) = self.ut_process_name(&e) {
            header.push(plain(
                "UTProcessName",
                &p,
                Some(format!("UTProcessName == {}", quote(&p))),
            ));
        }
        if let Some(m) = decoded.message() {
            header.push(plain("Message", m, None));
        }
        let mut fields = Vec::new();
        for (name, value) in decoded.fields() {
            flatten(&mut fields, 0, name, value);
        }
        if let Some(text) = trace_text_of(&decoded) {
            let line = trace_text::parse_line(text);
            if let Some(c) = line.component {
                fields.push(plain(
                    "Component",
                    c,
                    Some(format!("Component == {}", quote(c))),
                ));
            }
            if let Some(code) = trace_text::error_code(&line) {
                let mut f = plain(
                    "ErrorCode",
                    &code.to_string(),
                    Some(format!("ErrorCode == {code}")),
                );
                f.meaning = meaning_of(code);
                fields.push(f);
            }
            if let Some(m) = &line.mapping {
                let mut f = plain("MappedFrom", &m.from_code.to_string(), None);
                f.meaning = meaning_of(m.from_code);
                fields.push(f);
                let mut f = plain(
                    "MappedTo",
                    &m.to_code.to_string(),
                    Some(format!("MappedTo == {}", m.to_code)),
                );
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

pub(super) fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
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
            let meaning = named_error_value(name, value)
                .filter(|&c| c != 0)
                .and_then(meaning_of);
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
