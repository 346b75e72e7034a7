//! etlview: read Windows ETW trace files (.etl) on any OS.
//!
//! Data flow: [`etl`] (layouts -> buffer/record walk -> time index) feeds
//! `decode` (schemas -> decoded fields), `filter`, and the CLI/TUI front ends.

pub mod etl;
