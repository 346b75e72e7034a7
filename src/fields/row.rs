//! One output row per event: the header fields every format shares, plus what decoding adds.

use serde::Serialize;
use std::sync::Arc;

use decode::value::{Fields, Value};
use etl::Event;

/// The decoded fields of a row, in schema order; a JSON object in exports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowFields(pub Vec<(String, Value)>);

impl RowFields {
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> + Clone {
        self.0.iter().map(|(name, value)| (name.as_str(), value))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl RowFields {
    /// Names that are unique within the row: a name met again (TraceLogging allows two fields
    /// of one name) becomes `name#2`, `name#3`..., skipping any number another field already
    /// uses, so that JSONL and CSV keep every value as text output does.
    fn unique_names(&self) -> Option<Vec<std::borrow::Cow<'_, str>>> {
        let names: Vec<&str> = self.0.iter().map(|(n, _)| n.as_str()).collect();
        let repeated = if names.len() <= 16 {
            names
                .iter()
                .enumerate()
                .any(|(i, n)| names[i + 1..].contains(n))
        } else {
            let mut seen = std::collections::HashSet::with_capacity(names.len());
            !names.iter().all(|n| seen.insert(*n))
        };
        if !repeated {
            return None;
        }
        let mut taken: std::collections::HashSet<String> =
            names.iter().map(|n| n.to_string()).collect();
        let mut seen = std::collections::HashSet::new();
        let mut unique = Vec::with_capacity(names.len());
        for name in names {
            if seen.insert(name) {
                unique.push(std::borrow::Cow::Borrowed(name));
                continue;
            }
            let mut k = 2;
            let renamed = loop {
                let candidate = format!("{name}#{k}");
                if !taken.contains(&candidate) {
                    break candidate;
                }
                k += 1;
            };
            taken.insert(renamed.clone());
            unique.push(std::borrow::Cow::Owned(renamed));
        }
        Some(unique)
    }
}

impl Serialize for RowFields {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.unique_names() {
            None => Fields(self.iter()).serialize_with_len(self.0.len(), serializer),
            Some(names) => Fields(
                names
                    .iter()
                    .map(|n| n.as_ref())
                    .zip(self.0.iter().map(|(_, v)| v)),
            )
            .serialize_with_len(self.0.len(), serializer),
        }
    }
}

/// What decoding learned about an event (empty until a decoder fills it).
#[derive(Debug, Clone, Default, Serialize)]
pub struct DecodedPart {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_name: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_name: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<RowFields>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoded_by: Option<&'static str>,
    /// Why decoding stopped early, with the payload offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decode_error: Option<String>,
}

/// Header fields of one event, as written to JSONL/CSV/text.
#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    /// 1-based position in time order, as Network Monitor numbers frames.
    pub frame: usize,
    /// UTC, ISO-8601, 100 ns precision.
    pub time: String,
    /// Raw timestamp in the session clock.
    pub ts: i64,
    /// Provider GUID (lowercase), or the kernel group's class GUID.
    pub provider: Option<String>,
    pub id: u16,
    pub version: u16,
    pub channel: u8,
    pub opcode: u8,
    pub level: u8,
    pub task: u16,
    /// Keyword mask as hex (JSON numbers lose precision above 2^53).
    pub keyword: String,
    pub pid: Option<u32>,
    pub tid: Option<u32>,
    pub cpu: u16,
    /// Header kind (`EVENT_HEADER64`, `SYSTEM64`, ...).
    pub header: &'static str,
    /// Kernel hook id `(group << 8) | type` for kernel records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hook: Option<String>,
    #[serde(flatten)]
    pub decoded: DecodedPart,
    /// The source's label, when the timeline has several sources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Arc<str>>,
}

impl EventRow {
    pub fn from_event(e: &Event) -> EventRow {
        let h = &e.header;
        EventRow {
            frame: e.frame + 1,
            time: e.time_string(),
            ts: h.timestamp,
            provider: h.provider_guid().map(|g| g.to_string()),
            id: h.id,
            version: h.version,
            channel: h.channel,
            opcode: h.opcode,
            level: h.level,
            task: h.task,
            keyword: format!("{:#x}", h.keyword),
            pid: h.process_id,
            tid: h.thread_id,
            cpu: e.cpu,
            header: h.kind.name(),
            hook: h.hook_id.map(|k| format!("{k:#06x}")),
            decoded: DecodedPart::default(),
            source: None,
        }
    }
}

impl EventRow {
    /// UTProcessName, else `(pid)`, else `-`.
    pub fn process_label(&self) -> String {
        match (&self.decoded.process, self.pid) {
            (Some(p), _) => p.clone(),
            (None, Some(pid)) => format!("({pid})"),
            (None, None) => "-".to_string(),
        }
    }

    /// ProtocolName, else the provider name, else its GUID.
    pub fn protocol_label(&self) -> String {
        let d = &self.decoded;
        d.protocol
            .as_deref()
            .or(d.provider_name.as_deref())
            .or(self.provider.as_deref())
            .unwrap_or("-")
            .to_string()
    }

    /// The event name, else the kernel hook, else id and opcode.
    pub fn event_label(&self) -> String {
        self.decoded.event_name.as_deref().map_or_else(
            || match &self.hook {
                Some(hook) => format!("hook {hook}"),
                None => format!("id {} op {}", self.id, self.opcode),
            },
            str::to_string,
        )
    }

    /// The message, else `name=value` pairs of the decoded fields (Network Monitor's
    /// Description without the protocol prefix).
    pub fn description(&self) -> String {
        let d = &self.decoded;
        d.message.clone().unwrap_or_else(|| match &d.fields {
            Some(f) => f
                .iter()
                .map(|(k, v)| match v.to_json() {
                    serde_json::Value::String(s) => format!("{k}={s}"),
                    v => format!("{k}={v}"),
                })
                .collect::<Vec<_>>()
                .join(" "),
            None => String::new(),
        })
    }
}
