//! Turning events into output: the row model and the line formats.

pub mod etl;
pub mod formats;
pub mod output;
pub mod row;

pub use formats::{Format, RowWriter};
pub use row::{DecodedPart, EventRow};
