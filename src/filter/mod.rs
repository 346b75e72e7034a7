//! The display-filter language (Network Monitor style): parsing, compilation, evaluation.

pub mod ast;
pub mod error;
pub mod parser;

pub use error::FilterError;
pub use parser::parse;
