//! Turning events into output: the row model and the line formats.

pub mod etl;
pub mod formats;
pub mod json;
pub mod many;
pub mod output;
pub mod parallel;
pub mod parquet;

pub use crate::fields::row::{DecodedPart, EventRow, RowFields};
pub use formats::{Format, RowWriter};
pub use parallel::write_rows;
