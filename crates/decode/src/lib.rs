//! Decoding: schemas from every source (embedded metadata, TraceLogging, manifests, kernel
//! MOF classes) and the one payload walker that reads them; WPP messages through TMF files.
#![forbid(unsafe_code)]

pub mod decoder;
pub mod errors;
pub mod event_info;
pub mod eventsource;
pub mod manifest;
pub mod schema;
pub mod tmf;
pub mod trace_text;
pub mod tracelogging;
pub mod value;
pub use decoder::{DecodedBy, DecodedEvent, Decoder};

/// Hash map for lookups on the per-event path (schemas by provider/id, TraceLogging
/// metadata): foldhash instead of SipHash, still seeded per process.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
