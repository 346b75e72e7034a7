//! One output row per event: the header fields every format shares, plus what decoding adds.

use serde::Serialize;

use crate::etl::Event;

/// What decoding learned about an event (empty until a decoder fills it).
#[derive(Debug, Clone, Default, Serialize)]
pub struct DecodedPart {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<serde_json::Map<String, serde_json::Value>>,
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
        }
    }
}
