//! etlview: read Windows ETW trace files (.etl) on any OS.
//!
//! The application crate. Data flows down to up: [`etl`] (the container, its own crate) ->
//! [`decode`] (schemas, payloads, error codes; its own crate) -> [`timeline`] (sources merged
//! into one time order) and [`packet`] -> [`fields`] (the one registry of what an event has)
//! -> [`filter`] and [`analysis`] -> [`export`] -> [`cli`] and [`tui`]. `ARCHITECTURE.md`
//! maps it; `tests/architecture.rs` keeps every dependency pointing down.

// One `unsafe` place: the signal handler that removes a pending export's temporary file
// (`export::output::interrupt`).
#![deny(unsafe_code)]

pub use decode;
pub use etl;

pub mod analysis;
pub mod cli;
pub mod export;
pub mod fields;
pub mod filter;
pub mod packet;
pub mod timeline;
pub mod tui;
