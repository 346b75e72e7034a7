//! Decoding: schemas from every source (embedded metadata, TraceLogging, manifests, kernel
//! MOF classes) and the one payload walker that reads them; WPP messages through TMF files.

pub mod decoder;
pub mod event_info;
pub mod manifest;
pub mod schema;
pub mod tmf;
pub mod tracelogging;
pub mod value;
pub use decoder::{DecodedBy, DecodedEvent, Decoder};
