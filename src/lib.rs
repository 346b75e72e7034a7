//! etlview: read Windows ETW trace files (.etl) on any OS.
//!
//! Data flow: [`etl`] (on-disk layouts -> buffer/record walk -> time index) feeds `decode`
//! (schemas -> decoded fields), `filter`, and the front ends ([`cli`], [`export`]).

pub mod analysis;
pub mod cli;
pub mod decode;
pub mod etl;
pub mod export;
pub mod filter;
#[doc(hidden)]
pub mod fuzzing;
pub mod index;
pub mod packet;
pub mod samplegen;
pub mod sanitize;
pub mod tui;

/// Hash map for lookups on the per-event path (schemas by provider/id, TraceLogging
/// metadata): foldhash instead of SipHash, still seeded per process.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
