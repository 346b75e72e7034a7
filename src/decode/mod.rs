//! Decoding: schemas from every source (embedded metadata, TraceLogging, manifests, kernel
//! MOF classes) and the one payload walker that reads them.

pub mod decoder;
pub mod event_info;
pub mod manifest;
pub mod schema;
pub mod tracelogging;
pub mod value;
pub use decoder::{DecodedBy, DecodedEvent, Decoder};
