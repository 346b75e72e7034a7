//! The application layer over a trace: decoding on demand, the process table, failure
//! classification and filtering. The CLI, exports and the TUI all go through [`Session`].

pub mod columns;
mod processes;
pub mod session;

pub use processes::ProcessTable;

pub use session::{
    Detail, DetailField, ProcessSummary, ProviderSummary, Session, SessionOptions, Severity,
};
