//! One output row per event: the header fields every format shares, plus what decoding adds.

use serde::Serialize;
use std::sync::Arc;

use decode::DecodedEvent;
use decode::value::{Fields, Value};
use etl::Event;

/// The decoded fields of a row, in schema order; a JSON object in exports.
///
/// Rows built from a decoded event keep that event (its values move into the row instead of
/// being copied name by name: this runs once per exported event).
#[derive(Debug, Clone)]
pub struct RowFields(Fields_);

#[derive(Debug, Clone)]
enum Fields_ {
    Pairs(Vec<(String, Value)>),
    Decoded(Box<DecodedEvent>),
}

impl RowFields {
    /// Fields given as name/value pairs.
    pub fn from_pairs(pairs: Vec<(String, Value)>) -> RowFields {
        RowFields(Fields_::Pairs(pairs))
    }

    /// The fields of a decoded event; `None` when it has none.
    pub fn of_decoded(decoded: DecodedEvent) -> Option<RowFields> {
        let any = decoded.fields().next().is_some();
        any.then(|| RowFields(Fields_::Decoded(Box::new(decoded))))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> + Clone {
        let (pairs, decoded) = match &self.0 {
            Fields_::Pairs(p) => (Some(p.iter().map(|(n, v)| (n.as_str(), v))), None),
            Fields_::Decoded(d) => (None, Some(d.fields())),
        };
        pairs
            .into_iter()
            .flatten()
            .chain(decoded.into_iter().flatten())
    }

    pub fn len(&self) -> usize {
        match &self.0 {
            Fields_::Pairs(p) => p.len(),
            Fields_::Decoded(d) => d.fields().count(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

impl PartialEq for RowFields {
    fn eq(&self, other: &RowFields) -> bool {
        self.iter().eq(other.iter())
    }
}

impl RowFields {
    /// Names that are unique within the row: a name met again (TraceLogging allows two fields
    /// of one name) becomes `name#2`, `name#3`..., skipping any number another field already
    /// uses, so that JSONL and CSV keep every value as text output does.
    fn unique_names(&self) -> Option<Vec<std::borrow::Cow<'_, str>>> {
        let names: Vec<&str> = self.iter().map(|(n, _)| n).collect();
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
            None => Fields(self.iter()).serialize_with_len(self.len(), serializer),
            Some(names) => Fields(
                names
                    .iter()
                    .map(|n| n.as_ref())
                    .zip(self.iter().map(|(_, v)| v)),
            )
            .serialize_with_len(names.len(), serializer),
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
            provider: h.provider_guid().map(|g| {
                // Straight to lowercase hex (uuid's Display goes through `fmt`, per event).
                g.hyphenated()
                    .encode_lower(&mut uuid::Uuid::encode_buffer())
                    .to_string()
            }),
            id: h.id,
            version: h.version,
            channel: h.channel,
            opcode: h.opcode,
            level: h.level,
            task: h.task,
            keyword: hex(h.keyword, 1),
            pid: h.process_id,
            tid: h.thread_id,
            cpu: e.cpu,
            header: h.kind.name(),
            hook: h.hook_id.map(|k| hex(u64::from(k), 4)),
            decoded: DecodedPart::default(),
            source: None,
        }
    }
}

/// `0x` and lowercase hex digits, at least `min_digits` of them: `format!("{v:#0w$x}")`
/// without the formatting machinery (this runs for every exported event).
fn hex(value: u64, min_digits: usize) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; 16];
    let mut at = buf.len();
    let mut rest = value;
    while rest != 0 || buf.len() - at < min_digits.clamp(1, 16) {
        at -= 1;
        buf[at] = DIGITS[(rest & 0xF) as usize];
        rest >>= 4;
    }
    let mut s = String::with_capacity(2 + buf.len() - at);
    s.push_str("0x");
    // The digits are ASCII.
    s.extend(buf[at..].iter().map(|&d| char::from(d)));
    s
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

#[cfg(test)]
mod tests {
    use super::hex;

    #[test]
    fn hex_is_what_format_writes() {
        for v in [0u64, 1, 0xF, 0x10, 0x30A, 0x8000_0000_0000_0000, u64::MAX] {
            assert_eq!(hex(v, 1), format!("{v:#x}"));
            assert_eq!(hex(v, 4), format!("{v:#06x}"));
        }
    }
}
