//! Turning events into output: the row model and the line formats.

pub mod etl;
pub mod formats;
pub mod json;
pub mod output;
pub mod parallel;
pub mod row;

pub use formats::{Format, RowWriter};
pub use parallel::write_rows;
pub use row::{DecodedPart, EventRow, RowFields};
