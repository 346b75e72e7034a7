//! The display-filter language (Network Monitor style): parsing, compilation, evaluation.

pub mod ast;
pub mod compile;
pub mod error;
pub mod eval;
pub mod fast;
pub mod fields;
pub mod parser;
mod run;

pub use compile::{Catalog, Compiled, compile};
pub use error::FilterError;
pub use parser::parse;
