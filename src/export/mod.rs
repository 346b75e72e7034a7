//! Turning events into output: the row model and the line formats.

pub mod formats;
pub mod row;

pub use formats::{Format, RowWriter};
pub use row::{DecodedPart, EventRow};
