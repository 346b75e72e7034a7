//! Picks the schema for an event and decodes it. Sources, in order: TraceLogging metadata in
//! the event, TDH metadata embedded in the file, manifests, kernel/classic MOF classes, WPP,
//! string-only events; anything else falls back to header fields and hex. Never fails.

use std::sync::{Arc, Mutex, OnceLock};

use uuid::{Uuid, uuid};

use super::event_info::MetadataTable;
use super::eventsource;

mod counts;
use super::manifest::SchemaRegistry;
use super::schema::{EventSchema, SchemaSource};
use super::tmf::{MessageFormat, TmfSet};
use super::tracelogging::{TlCache, parse_provider_traits};
use super::value::{self, Value};
use etl::event::ext_type;
use etl::{Event, HeaderKind, ProviderId, Trace, layout};

/// KernelTraceControl's EventMetadata class: TDH schemas embedded at merge time.
pub const EVENT_METADATA_GUID: Uuid = uuid!("bbccf6c1-6cd1-48c4-80ff-839482e37671");

/// Which decoder produced an event's fields (`decoded_by` in output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DecodedBy {
    Metadata,
    Tracelogging,
    Manifest,
    Mof,
    Wpp,
    /// A string-only event (EventWriteString): the payload is one UTF-16 string.
    String,
    None,
}

impl DecodedBy {
    pub fn name(self) -> &'static str {
        match self {
            DecodedBy::Metadata => "metadata",
            DecodedBy::Tracelogging => "tracelogging",
            DecodedBy::Manifest => "manifest",
            DecodedBy::Mof => "mof",
            DecodedBy::Wpp => "wpp",
            DecodedBy::String => "string",
            DecodedBy::None => "none",
        }
    }

    fn of(source: SchemaSource) -> DecodedBy {
        match source {
            SchemaSource::Metadata => DecodedBy::Metadata,
            SchemaSource::Tracelogging => DecodedBy::Tracelogging,
            SchemaSource::Manifest => DecodedBy::Manifest,
            SchemaSource::Mof => DecodedBy::Mof,
        }
    }
}

/// Names TDH builds when a schema has none (`task_0`, `EventID(12)`).
fn is_generic_name(name: &str) -> bool {
    name.is_empty() || name.starts_with("task_") || name.starts_with("EventID(")
}

/// Where field names come from.
#[derive(Debug, Clone)]
enum Names {
    Schema(Arc<EventSchema>),
    Fixed(&'static [&'static str]),
    /// Names given by the source itself (TMF argument expressions).
    Owned(Vec<String>),
}

/// `(name, value)` of each decoded field (a plain iterator: no allocation, cheap to clone).
#[derive(Debug, Clone)]
pub struct FieldsIter<'a> {
    names: NamesIter<'a>,
    values: std::slice::Iter<'a, Value>,
}

#[derive(Debug, Clone)]
enum NamesIter<'a> {
    Schema(std::slice::Iter<'a, super::schema::FieldDef>),
    Fixed(std::slice::Iter<'a, &'static str>),
    Owned(std::slice::Iter<'a, String>),
}

impl<'a> Iterator for FieldsIter<'a> {
    type Item = (&'a str, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        let name = match &mut self.names {
            NamesIter::Schema(i) => i.next().map(|f| f.name.as_str()),
            NamesIter::Fixed(i) => i.next().copied(),
            NamesIter::Owned(i) => i.next().map(String::as_str),
        }?;
        Some((name, self.values.next()?))
    }
}

/// The decoded form of one event.
#[derive(Debug, Clone)]
pub struct DecodedEvent {
    pub decoded_by: DecodedBy,
    pub provider_name: Option<Arc<str>>,
    pub event_name: Option<Arc<str>>,
    /// Task and opcode names, when the schema has them.
    pub task_name: Option<Arc<str>>,
    pub opcode_name: Option<Arc<str>>,
    /// The message: rendered from the schema's template on first use (most decoded events
    /// are never shown), or given by the decoder (WPP, string-only events).
    message: OnceLock<Option<String>>,
    /// Why decoding stopped early (what, where).
    pub error: Option<String>,
    /// The schema matched the event's version exactly.
    pub exact_version: bool,
    names: Names,
    values: Vec<Value>,
}

impl DecodedEvent {
    fn undecoded(provider_name: Option<Arc<str>>) -> DecodedEvent {
        DecodedEvent {
            decoded_by: DecodedBy::None,
            provider_name,
            event_name: None,
            task_name: None,
            opcode_name: None,
            message: OnceLock::new(),
            error: None,
            exact_version: false,
            names: Names::Fixed(&[]),
            values: Vec::new(),
        }
    }

    /// Decoded top-level fields in payload order.
    pub fn fields(&self) -> FieldsIter<'_> {
        let names = match &self.names {
            Names::Schema(s) => NamesIter::Schema(s.fields.iter()),
            Names::Fixed(n) => NamesIter::Fixed(n.iter()),
            Names::Owned(n) => NamesIter::Owned(n.iter()),
        };
        FieldsIter {
            names,
            values: self.values.iter(),
        }
    }

    /// A field by name, case-insensitively.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    pub fn schema(&self) -> Option<&Arc<EventSchema>> {
        match &self.names {
            Names::Schema(s) => Some(s),
            Names::Fixed(_) | Names::Owned(_) => None,
        }
    }

    /// The message, rendered from the schema's template the first time it is asked for.
    pub fn message(&self) -> Option<&str> {
        self.message
            .get_or_init(|| {
                let template = self.schema()?.message.as_deref()?;
                Some(value::render_message_with(template, |i| self.values.get(i)))
            })
            .as_deref()
    }

    /// Replaces the message (for decoders that build it themselves).
    pub fn set_message(&mut self, message: Option<String>) {
        self.message = OnceLock::from(message);
    }

    /// `name=value` pairs, for events without a message template.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        for (i, (n, v)) in self.fields().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(n);
            s.push('=');
            s.push_str(&v.display());
        }
        s
    }

    /// The message if there is one, else the field summary.
    pub fn description(&self) -> String {
        match self.message() {
            Some(m) => m.to_string(),
            None => self.summary(),
        }
    }
}

/// Schemas for one trace: builtin and user manifests plus what the file embeds.
pub struct Decoder {
    registry: SchemaRegistry,
    /// WPP message formats (`--tmf DIR`).
    tmf: TmfSet,
    metadata: MetadataTable,
    metadata_errors: Vec<String>,
    tracelogging: Mutex<TlCache>,
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("embedded_schemas", &self.metadata.len())
            .finish()
    }
}

impl Decoder {
    pub fn new(registry: SchemaRegistry) -> Decoder {
        Decoder {
            registry,
            tmf: TmfSet::new(),
            metadata: MetadataTable::new(),
            metadata_errors: Vec::new(),
            tracelogging: Mutex::new(TlCache::new()),
        }
    }

    pub fn registry(&self) -> &SchemaRegistry {
        &self.registry
    }

    /// Formats WPP messages with these TMF formats from now on.
    pub fn set_tmf(&mut self, tmf: TmfSet) {
        self.tmf = tmf;
    }

    pub fn tmf(&self) -> &TmfSet {
        &self.tmf
    }

    /// Number of schemas embedded in the trace.
    pub fn embedded_schema_count(&self) -> usize {
        self.metadata.len()
    }

    /// Embedded schema records that could not be parsed (what and where).
    pub fn metadata_errors(&self) -> &[String] {
        &self.metadata_errors
    }

    /// Reads the schemas a trace carries: EventMetadata records (embedded TDH schemas) and
    /// the manifests .NET EventSource providers send as event 0xFFFE.
    pub fn learn(&mut self, trace: &Trace) {
        let mut manifests = eventsource::ManifestAssembler::new();
        for e in trace.events() {
            if e.header.provider == ProviderId::Guid(EVENT_METADATA_GUID)
                && let Err(err) = self.metadata.add_record(e.header.opcode, e.payload())
            {
                self.metadata_errors
                    .push(format!("frame {}: embedded schema: {err}", e.frame + 1));
            }
            if let Some(provider) = eventsource_manifest_provider(&e) {
                match manifests.add(provider, e.payload()) {
                    Ok(Some(xml)) => self.add_trace_manifest(provider, e.frame, &xml),
                    Ok(None) => {}
                    Err(err) => self.metadata_errors.push(format!(
                        "frame {}: EventSource manifest: {err}",
                        e.frame + 1
                    )),
                }
            }
        }
        let registry = &self.registry;
        self.metadata.correct(|provider, id, version, embedded| {
            let (manifest, exact) = registry.manifest_event(provider, id, version)?;
            exact
                .then(|| counts::corrected_by_manifest(embedded, &manifest))
                .flatten()
        });
    }

    /// Loads a manifest an EventSource provider sent in the trace (completed at `frame`).
    fn add_trace_manifest(&mut self, provider: Uuid, frame: usize, xml: &str) {
        let label = format!(
            "EventSource manifest of {{{provider}}} (frame {})",
            frame + 1
        );
        let mut report = crate::manifest::LoadReport::default();
        self.registry.add_text(
            &label,
            xml,
            crate::manifest::DefinitionKind::Manifest,
            &mut report,
        );
        self.metadata_errors
            .extend(report.skipped_files.iter().map(|e| e.to_string()));
        self.metadata_errors
            .extend(report.warnings.iter().map(|w| w.to_string()));
    }

    /// The provider's name without decoding the payload (cheap).
    pub fn provider_name(&self, e: &Event) -> Option<Arc<str>> {
        static KERNEL: std::sync::LazyLock<Arc<str>> =
            std::sync::LazyLock::new(|| Arc::from("MSNT_SystemTrace"));
        if let Some(traits) = e.extended_item(ext_type::PROV_TRAITS)
            && let Ok(t) = parse_provider_traits(traits)
        {
            return Some(Arc::from(t.name));
        }
        match e.header.provider {
            ProviderId::Kernel { .. } => Some(Arc::clone(&KERNEL)),
            ProviderId::WppMessage(g) => Some(format!("WPP {{{g}}}").into()),
            ProviderId::WppComponent(c) => Some(format!("WPP component {c}").into()),
            ProviderId::Guid(g) => self.registry.provider_name_shared(&g),
            ProviderId::None => None,
        }
    }

    /// The schema for an event and whether its version matched exactly.
    pub fn schema_for(&self, e: &Event) -> Option<(Arc<EventSchema>, bool)> {
        let h = &e.header;
        match h.kind {
            HeaderKind::EventHeader32 | HeaderKind::EventHeader64 => {
                let ProviderId::Guid(provider) = h.provider else {
                    return None;
                };
                if let Some(meta) = e.extended_item(ext_type::EVENT_SCHEMA_TL) {
                    let name = self.provider_name(e).unwrap_or_default();
                    let mut cache = self.tracelogging.lock().unwrap_or_else(|p| p.into_inner());
                    return cache.get_or_parse(&name, meta).ok().map(|s| (s, true));
                }
                let version = h.version as u8;
                if let Some(s) = self.metadata.get(&provider, h.id, version) {
                    return Some((Arc::clone(s), true));
                }
                self.registry.manifest_event(&provider, h.id, version)
            }
            HeaderKind::Message | HeaderKind::Error => None,
            _ => {
                let class = h.provider_guid()?;
                let opcode = if h.hook_id == Some(0x030A) {
                    10
                } else {
                    h.opcode
                };
                self.registry.classic_event(&class, opcode, h.version as u8)
            }
        }
    }

    /// Decodes an event. Never fails: undecodable events come back with `DecodedBy::None`.
    pub fn decode(&self, e: &Event) -> DecodedEvent {
        let h = &e.header;
        if let Some((schema, exact)) = self.schema_for(e) {
            let decoded = value::decode_payload(&schema, e.payload(), h.pointer_size);
            let error = match &decoded.error {
                Some(err) => Some(err.to_string()),
                None => counts::trailing_elements(
                    &schema,
                    e.payload().len(),
                    decoded.consumed,
                    h.pointer_size,
                ),
            };
            let values = decoded.fields.into_iter().map(|(_, v)| v).collect();
            // Kernel records are reported under one provider, as TDH does.
            let provider_name = if schema.provider_name.is_empty() || h.kind.is_kernel() {
                self.provider_name(e)
            } else {
                Some(schema.provider_name.clone())
            };
            // Embedded schemas sometimes carry no names (generic `task_0`): the manifest of
            // the same event, when we have one, names it better.
            let named = match (&schema.source, h.provider) {
                (SchemaSource::Metadata, ProviderId::Guid(g))
                    if is_generic_name(&schema.event_name) =>
                {
                    self.registry
                        .manifest_event(&g, h.id, h.version as u8)
                        .filter(|(_, exact)| *exact)
                        .map(|(m, _)| m)
                }
                _ => None,
            };
            let names = named.as_deref().unwrap_or(&schema);
            return DecodedEvent {
                decoded_by: DecodedBy::of(schema.source),
                provider_name,
                event_name: Some(names.event_name.clone()).filter(|n| !n.is_empty()),
                task_name: names.task_name.clone(),
                opcode_name: names.opcode_name.clone(),
                message: OnceLock::new(),
                error,
                exact_version: exact,
                names: Names::Schema(schema),
                values,
            };
        }
        let provider_name = self.provider_name(e);
        if h.kind == HeaderKind::Message {
            if let ProviderId::WppMessage(guid) = h.provider
                && let Some(format) = self.tmf.lookup(&guid, h.id)
            {
                return wpp_formatted(format, e);
            }
            let mut d = DecodedEvent::undecoded(provider_name);
            d.decoded_by = DecodedBy::Wpp;
            d.event_name = Some(format!("message {}", h.id).into());
            d.names = Names::Fixed(&["MessageNumber", "Arguments"]);
            d.values = vec![
                Value::UInt {
                    value: u64::from(h.id),
                    width: 2,
                    format: value::IntFormat::Decimal,
                },
                Value::Binary(e.payload().to_vec()),
            ];
            d.set_message(Some(
                "No format information found (pass --tmf DIR with this provider's TMF files)"
                    .to_string(),
            ));
            return d;
        }
        if h.flags & layout::EVENT_HEADER_FLAG_STRING_ONLY != 0 {
            let (text, _) = layout::utf16z(e.payload());
            let mut d = DecodedEvent::undecoded(provider_name);
            d.decoded_by = DecodedBy::String;
            d.names = Names::Fixed(&["String"]);
            d.set_message(Some(text.clone()));
            d.values = vec![Value::String(text)];
            return d;
        }
        if eventsource_manifest_provider(e).is_some()
            && let Ok((envelope, chunk)) = eventsource::envelope(e.payload())
        {
            return manifest_chunk_event(provider_name, &envelope, chunk);
        }
        DecodedEvent::undecoded(provider_name)
    }
}

/// The provider of an EventSource manifest event (id 0xFFFE, opcode 254).
fn eventsource_manifest_provider(e: &Event) -> Option<Uuid> {
    let h = &e.header;
    match (h.kind, h.provider) {
        (HeaderKind::EventHeader32 | HeaderKind::EventHeader64, ProviderId::Guid(g))
            if h.id == eventsource::MANIFEST_EVENT_ID
                && h.opcode == eventsource::MANIFEST_OPCODE =>
        {
            Some(g)
        }
        _ => None,
    }
}

/// An EventSource manifest event shown with its envelope fields and its chunk of XML.
fn manifest_chunk_event(
    provider_name: Option<Arc<str>>,
    envelope: &eventsource::Envelope,
    chunk: &[u8],
) -> DecodedEvent {
    let byte = |value: u8| Value::UInt {
        value: u64::from(value),
        width: 1,
        format: value::IntFormat::Decimal,
    };
    let word = |value: u16| Value::UInt {
        value: u64::from(value),
        width: 2,
        format: value::IntFormat::Decimal,
    };
    let mut d = DecodedEvent::undecoded(provider_name);
    d.decoded_by = DecodedBy::Manifest;
    d.event_name = Some("ManifestData".into());
    d.names = Names::Fixed(&[
        "Format",
        "MajorVersion",
        "MinorVersion",
        "Magic",
        "TotalChunks",
        "ChunkNumber",
        "ManifestData",
    ]);
    d.values = vec![
        byte(envelope.format),
        byte(envelope.major_version),
        byte(envelope.minor_version),
        byte(envelope.magic),
        word(envelope.total_chunks),
        word(envelope.chunk_number),
        Value::String(String::from_utf8_lossy(chunk).into_owned()),
    ];
    d
}

/// A WPP message rendered with its TMF format: the module is the provider, the function the
/// event name, the filled format string the message, the arguments the fields.
fn wpp_formatted(format: &MessageFormat, e: &Event) -> DecodedEvent {
    let rendered = format.render(e.payload(), e.header.pointer_size);
    let (names, values) = rendered
        .fields
        .into_iter()
        .map(|(name, value)| (name, value.into_value()))
        .unzip();
    DecodedEvent {
        decoded_by: DecodedBy::Wpp,
        provider_name: Some(format.module.as_str().into()).filter(|m: &Arc<str>| !m.is_empty()),
        event_name: Some(match &format.function {
            Some(function) => function.as_str().into(),
            None => format!("message {}", format.number).into(),
        }),
        task_name: None,
        opcode_name: None,
        message: OnceLock::from(Some(rendered.text)),
        error: rendered.error,
        exact_version: true,
        names: Names::Owned(names),
        values,
    }
}
