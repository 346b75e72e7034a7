//! What an event has: the one registry of fields (`registry`), the output row every format
//! shares (`row`, filled by `rows`) and the detail view (`detail`).

pub mod detail;
pub mod registry;
pub mod row;
mod rows;

pub use detail::{Detail, DetailField};
pub use registry::{Builtin, FieldDef, FieldId, FieldType, Layer};
pub use row::{DecodedPart, EventRow, RowFields};
