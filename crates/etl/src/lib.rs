//! The ETL container: on-disk layouts (`layout`), the walk over buffers and records (`walk`),
//! and the model users see (`Trace`, `Event`).
//!
#![doc = include_str!("../README.md")]
// Two `unsafe` places only: the mmap (`trace`) and the guard for a file that shrinks under
// it (`mapguard`); each allows it where it is, with a SAFETY comment and a test.
#![deny(unsafe_code)]
// A library others depend on: every public item says what it is.
#![deny(missing_docs)]

pub mod clock;
pub mod damage;
pub mod event;
mod input;
pub mod kernel_groups;
pub mod layout;
#[cfg(unix)]
#[allow(unsafe_code)]
mod mapguard;
pub mod sanitize;
pub mod trace;
pub mod walk;
pub mod writer;
pub mod xpress;

pub use clock::{Clock, ClockKind, format_filetime};
pub use event::{Event, ExtendedItem, Header, ProviderId};
pub use layout::{HeaderKind, LogfileHeader};
pub use trace::{IndexEntry, OpenError, OpenOptions, Trace};
pub use walk::{Issue, IssueKind};
