//! The model users see: one event, its header fields, borrowed payload and extended items.

use uuid::Uuid;

use super::kernel_groups;
use super::layout::{self, HeaderKind};

/// Who wrote an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProviderId {
    /// A provider or classic event class GUID.
    Guid(Uuid),
    /// A kernel record (SYSTEM/PERFINFO header) of this group.
    Kernel {
        /// Group byte of the hook id (`HookId >> 8`), e.g. 0x03 Process, 0x14 Image.
        group: u8,
    },
    /// A WPP message GUID (names the TMF file).
    WppMessage(Uuid),
    /// A WPP message with a component id instead of a GUID.
    WppComponent(u32),
    /// An error record: no provider.
    None,
}

impl ProviderId {
    /// Key used for per-provider counts: the GUID, or `group:0xNN` for kernel records.
    pub fn key(&self) -> String {
        match self {
            ProviderId::Guid(g) | ProviderId::WppMessage(g) => g.to_string(),
            ProviderId::Kernel { group } => format!("group:0x{group:02x}"),
            ProviderId::WppComponent(c) => format!("wpp-component:{c}"),
            ProviderId::None => "none".to_string(),
        }
    }
}

/// Header fields of any record kind, normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Which trace header the record starts with.
    pub kind: HeaderKind,
    /// Declared record size (header, extensions and payload).
    pub size: u16,
    /// Raw timestamp (session clock); 0 when the record has none.
    pub timestamp: i64,
    /// Who wrote the event: provider or event class GUID, kernel group, WPP message GUID or
    /// component.
    pub provider: ProviderId,
    /// Event id (EVENT_HEADER) or WPP message number; 0 for kernel/classic records.
    pub id: u16,
    /// Event version (EVENT_HEADER), MOF class version (classic and kernel records).
    pub version: u16,
    /// `EventDescriptor.Channel` (EVENT_HEADER only, 11 = TraceLogging); 0 for other records.
    pub channel: u8,
    /// Level, 1 Critical … 5 Verbose: `EventDescriptor.Level` or the classic `Class.Level`; 0 for
    /// kernel and WPP records.
    pub level: u8,
    /// Opcode; for kernel and classic records the event type.
    pub opcode: u8,
    /// `EventDescriptor.Task` (EVENT_HEADER only); 0 for other records.
    pub task: u16,
    /// `EventDescriptor.Keyword` bit mask (EVENT_HEADER only); 0 for other records.
    pub keyword: u64,
    /// `ProcessId` from the header; `None` for PERFINFO records, WPP records without the
    /// SYSTEMINFO item, and error records.
    pub process_id: Option<u32>,
    /// `ThreadId` from the header; `None` in the same cases as `process_id`.
    pub thread_id: Option<u32>,
    /// EVENT_HEADER flags, or WPP option flags.
    pub flags: u16,
    /// `EventProperty` bits of an EVENT_HEADER (0x1 XML, 0x2 FORWARDED_XML, 0x4 LEGACY_EVENTLOG,
    /// 0x8 RELOGGABLE); 0 for other records.
    pub event_property: u16,
    /// `ActivityId` of an EVENT_HEADER; `None` when it is all zero or the record has none.
    pub activity_id: Option<Uuid>,
    /// Kernel hook id `(group << 8) | type`.
    pub hook_id: Option<u16>,
    /// Offset of the payload inside the record.
    pub payload_offset: u16,
    /// Extended items area `[start, end)` inside the record (EVENT_HEADER only).
    pub extended: (u16, u16),
    /// Pointer width of the payload.
    pub pointer_size: u8,
}

impl Header {
    /// Parses the header of the record in `record` (exactly the record's bytes).
    /// `default_pointer_size` applies to WPP records without pointer flags.
    pub fn parse(record: &[u8], default_pointer_size: u8) -> Result<Header, layout::RecordFault> {
        let prefix = layout::record_prefix(record)?;
        let kind = prefix.kind;
        let mut h = Header {
            kind,
            size: prefix.size,
            timestamp: prefix.timestamp.unwrap_or(0),
            provider: ProviderId::None,
            id: 0,
            version: 0,
            channel: 0,
            level: 0,
            opcode: 0,
            task: 0,
            keyword: 0,
            process_id: None,
            thread_id: None,
            flags: 0,
            event_property: 0,
            activity_id: None,
            hook_id: None,
            payload_offset: kind.fixed_len() as u16,
            extended: (0, 0),
            pointer_size: kind.pointer_size().unwrap_or(default_pointer_size),
        };
        let fault = layout::RecordFault::Layout;
        match kind {
            HeaderKind::System32
            | HeaderKind::System64
            | HeaderKind::Compact32
            | HeaderKind::Compact64
            | HeaderKind::Perfinfo32
            | HeaderKind::Perfinfo64 => {
                let k = layout::kernel_header(kind, record).map_err(fault)?;
                h.hook_id = Some(k.hook_id);
                h.provider = ProviderId::Kernel {
                    group: (k.hook_id >> 8) as u8,
                };
                h.opcode = (k.hook_id & 0xFF) as u8;
                h.version = k.version_word & 0xFF;
                if let Some((tid, pid)) = k.thread_process {
                    h.thread_id = Some(tid);
                    h.process_id = Some(pid);
                }
                h.payload_offset += layout::kernel_header_extension_len(k.version_word) as u16;
            }
            HeaderKind::FullHeader32
            | HeaderKind::FullHeader64
            | HeaderKind::Instance32
            | HeaderKind::Instance64 => {
                let c = layout::classic_header(kind, record).map_err(fault)?;
                h.provider = ProviderId::Guid(Uuid::from_bytes_le(c.guid));
                h.opcode = c.event_type;
                h.level = c.level;
                h.version = c.version;
                h.thread_id = Some(c.thread_id);
                h.process_id = Some(c.process_id);
            }
            HeaderKind::EventHeader32 | HeaderKind::EventHeader64 => {
                let e = layout::event_header(record).map_err(fault)?;
                h.provider = ProviderId::Guid(Uuid::from_bytes_le(e.provider));
                h.id = e.id;
                h.version = u16::from(e.version);
                h.channel = e.channel;
                h.level = e.level;
                h.opcode = e.opcode;
                h.task = e.task;
                h.keyword = e.keyword;
                h.thread_id = Some(e.thread_id);
                h.process_id = Some(e.process_id);
                h.flags = e.flags;
                h.event_property = e.event_property;
                if e.activity_id != [0; 16] {
                    h.activity_id = Some(Uuid::from_bytes_le(e.activity_id));
                }
                if e.flags & layout::EVENT_HEADER_FLAG_EXTENDED_INFO != 0 {
                    let end = extended_items_end(record);
                    h.extended = (0x50, end as u16);
                    h.payload_offset = end as u16;
                }
            }
            HeaderKind::Message => {
                let m = layout::message_header(record).map_err(fault)?;
                h.id = m.message_number;
                h.flags = m.option_flags;
                h.provider = match (m.guid, m.component_id) {
                    (Some(g), _) => ProviderId::WppMessage(Uuid::from_bytes_le(g)),
                    (None, Some(c)) => ProviderId::WppComponent(c),
                    (None, None) => ProviderId::None,
                };
                if let Some((tid, pid)) = m.thread_process {
                    h.thread_id = Some(tid);
                    h.process_id = Some(pid);
                }
                if m.option_flags & layout::WPP_POINTER32 != 0 {
                    h.pointer_size = 4;
                } else if m.option_flags & layout::WPP_POINTER64 != 0 {
                    h.pointer_size = 8;
                }
                h.payload_offset = m.args_offset as u16;
            }
            HeaderKind::Error => {}
        }
        h.payload_offset = h.payload_offset.min(h.size);
        Ok(h)
    }

    /// Provider GUID as decoders and output report it: kernel groups map to their classic
    /// class GUID (with the Process/Image quirk of hook 0x030A).
    pub fn provider_guid(&self) -> Option<Uuid> {
        match self.provider {
            ProviderId::Guid(g) | ProviderId::WppMessage(g) => Some(g),
            ProviderId::Kernel { group } => {
                if self.hook_id == Some(0x030A) {
                    Some(kernel_groups::IMAGE)
                } else {
                    kernel_groups::class_guid(group)
                }
            }
            ProviderId::WppComponent(_) | ProviderId::None => None,
        }
    }

    /// Payload length as dissect.etl counts it: everything after the fixed header.
    pub fn payload_len_with_extended(&self) -> usize {
        usize::from(self.size).saturating_sub(self.kind.fixed_len())
    }
}

/// End of the extended items that start at 0x50, following `Linkage`; bounded by the record.
fn extended_items_end(record: &[u8]) -> usize {
    let mut at = 0x50usize;
    for item in ExtendedItems::new(record, at) {
        at = item.end;
    }
    at.min(record.len())
}

/// One extended data item of an EVENT_HEADER record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtendedItem<'a> {
    /// `ExtType` of the item (see [`ext_type`]).
    pub ext_type: u16,
    /// The item's `DataSize` data bytes, without the 8-byte item header and padding.
    pub data: &'a [u8],
    /// Offset just after this item inside the record.
    end: usize,
}

/// Iterator over extended items, following `Linkage` and validating each size.
#[derive(Debug, Clone)]
pub struct ExtendedItems<'a> {
    record: &'a [u8],
    at: usize,
    done: bool,
}

impl<'a> ExtendedItems<'a> {
    /// Iterates the items of `record` (the record's bytes) from byte offset `start`; EVENT_HEADER
    /// items start at 0x50.
    pub fn new(record: &'a [u8], start: usize) -> Self {
        ExtendedItems {
            record,
            at: start,
            done: false,
        }
    }
}

impl<'a> Iterator for ExtendedItems<'a> {
    type Item = ExtendedItem<'a>;

    fn next(&mut self) -> Option<ExtendedItem<'a>> {
        if self.done {
            return None;
        }
        let rest = self.record.get(self.at..)?;
        let item = layout::ext_item_header(rest).ok()?;
        let size = usize::from(item.item_size);
        let data_len = usize::from(item.data_size);
        if size < 8 || size % 8 != 0 || data_len > size - 8 || size > rest.len() {
            self.done = true;
            return None;
        }
        let data = &rest[8..8 + data_len];
        self.at += size;
        if item.linkage & 1 == 0 {
            self.done = true;
        }
        Some(ExtendedItem {
            ext_type: item.ext_type,
            data,
            end: self.at,
        })
    }
}

/// Extended item types (`EVENT_HEADER_EXT_TYPE_*`).
pub mod ext_type {
    /// Related activity id: a 16-byte GUID.
    pub const RELATED_ACTIVITYID: u16 = 0x0001;
    /// SID of the logging user.
    pub const SID: u16 = 0x0002;
    /// Terminal session id: a u32.
    pub const TS_ID: u16 = 0x0003;
    /// Instance info: u32 InstanceId, u32 ParentInstanceId, GUID ParentGuid.
    pub const INSTANCE_INFO: u16 = 0x0004;
    /// Call stack: u64 MatchId, then 4-byte return addresses.
    pub const STACK_TRACE32: u16 = 0x0005;
    /// Call stack: u64 MatchId, then 8-byte return addresses.
    pub const STACK_TRACE64: u16 = 0x0006;
    /// Unique event key: a u64.
    pub const EVENT_KEY: u16 = 0x000A;
    /// TraceLogging event metadata (event name, field names and types); needed to decode the
    /// payload.
    pub const EVENT_SCHEMA_TL: u16 = 0x000B;
    /// Provider traits: u16 total size, NUL-terminated UTF-8 provider name, then traits.
    pub const PROV_TRAITS: u16 = 0x000C;
    /// Boot-unique process key: a u64.
    pub const PROCESS_START_KEY: u16 = 0x000D;

    /// A readable name for an extended item type.
    pub fn name(t: u16) -> &'static str {
        match t {
            0x0001 => "RELATED_ACTIVITYID",
            0x0002 => "SID",
            0x0003 => "TS_ID",
            0x0004 => "INSTANCE_INFO",
            0x0005 => "STACK_TRACE32",
            0x0006 => "STACK_TRACE64",
            0x0007 => "PEBS_INDEX",
            0x0008 => "PMC_COUNTERS",
            0x0009 => "PSM_KEY",
            0x000A => "EVENT_KEY",
            0x000B => "EVENT_SCHEMA_TL",
            0x000C => "PROV_TRAITS",
            0x000D => "PROCESS_START_KEY",
            0x000E => "CONTROL_GUID",
            0x000F => "QPC_DELTA",
            0x0010 => "CONTAINER_ID",
            0x0011 => "STACK_KEY32",
            0x0012 => "STACK_KEY64",
            _ => "UNKNOWN",
        }
    }
}

/// One event of a trace: where it is, its header, and borrowed bytes.
#[derive(Debug, Clone, Copy)]
pub struct Event<'t> {
    /// Position in time order (0-based; shown 1-based as the frame number); the position in file
    /// order for events from `Trace::events_in_file_order`.
    pub frame: usize,
    /// Index (0-based) of the record's buffer among the file's buffers, in file order.
    pub buffer: u32,
    /// Offset of the record inside its buffer payload.
    pub offset: u32,
    /// Processor from the buffer context.
    pub cpu: u16,
    /// The record's header fields, normalised.
    pub header: Header,
    /// The record's bytes (exactly `header.size`).
    pub record: &'t [u8],
    /// UTC FILETIME of the event.
    pub filetime: i64,
}

impl<'t> Event<'t> {
    /// User data after headers and extended items.
    pub fn payload(&self) -> &'t [u8] {
        self.record
            .get(usize::from(self.header.payload_offset)..)
            .unwrap_or_default()
    }

    /// The record's extended data items in stored order; empty unless it is an EVENT_HEADER
    /// record with the EXTENDED_INFO flag.
    pub fn extended_items(&self) -> ExtendedItems<'t> {
        if self.header.extended.1 > self.header.extended.0 {
            ExtendedItems::new(self.record, usize::from(self.header.extended.0))
        } else {
            ExtendedItems {
                record: self.record,
                at: 0,
                done: true,
            }
        }
    }

    /// Data of the first extended item of type `ext_type` (see [`ext_type`]); `None` when the
    /// record has no such item.
    pub fn extended_item(&self, ext_type: u16) -> Option<&'t [u8]> {
        self.extended_items()
            .find(|i| i.ext_type == ext_type)
            .map(|i| i.data)
    }

    /// ISO-8601 UTC time with 100 ns precision.
    pub fn time_string(&self) -> String {
        super::clock::format_filetime(self.filetime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_items_follow_linkage_and_stop_on_bad_sizes() {
        let mut rec = vec![0u8; 0x50];
        rec.extend([
            0x10, 0, 0x0C, 0, 1, 0, 3, 0, b'a', b'b', b'c', 0, 0, 0, 0, 0,
        ]);
        rec.extend([0x10, 0, 0x0B, 0, 0, 0, 2, 0, 9, 9, 0, 0, 0, 0, 0, 0]);
        rec.extend([0xEE; 8]); // user data that looks like nothing
        let items: Vec<_> = ExtendedItems::new(&rec, 0x50).collect();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].ext_type, 0x0C);
        assert_eq!(items[0].data, b"abc");
        assert_eq!(items[1].data, &[9, 9]);
        assert_eq!(extended_items_end(&rec), 0x70);

        let mut bad = rec.clone();
        bad[0x50] = 0x0C; // not a multiple of 8
        assert_eq!(ExtendedItems::new(&bad, 0x50).count(), 0);
        assert_eq!(extended_items_end(&bad), 0x50);
    }

    #[test]
    fn provider_keys() {
        assert_eq!(ProviderId::Kernel { group: 3 }.key(), "group:0x03");
        let g = Uuid::parse_str("8e805eb3-6a8f-4a1e-90fa-a831d94e54a1").unwrap();
        assert_eq!(
            ProviderId::Guid(g).key(),
            "8e805eb3-6a8f-4a1e-90fa-a831d94e54a1"
        );
    }
}
