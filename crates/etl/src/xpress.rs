//! MS-XCA "plain LZ77" (XPRESS, `COMPRESSION_FORMAT_XPRESS` = 3): the codec of compressed ETL
//! buffers (etl-format.md §3).
//!
//! Stream layout: a 32-bit little-endian flag word announces the next 32 items, most significant
//! bit first; a 0 bit is one literal byte, a 1 bit a match. A match is a u16 `v` with
//! distance `(v >> 3) + 1` and a 3-bit length; the length escape 7 continues in a nibble shared
//! by two matches (low half first), then a byte, then a u16 or u32 total. Every length gets +3.
//! The stream simply ends when the input does: the encoder pads the last flag word with 1 bits,
//! so it may end mid-word or even with a flag word that no data follows.
//!
//! This file holds the format's constants and error type; the decoder lives in `decompress`,
//! the compressor in `compress`.

use thiserror::Error;

mod compress;
mod decompress;
#[cfg(test)]
mod tests;

pub use compress::compress;
pub use decompress::decompress;

/// Shortest match the format can express.
const MIN_MATCH: usize = 3;
/// Longest back-reference distance the 13-bit offset field can express.
const MAX_DISTANCE: usize = 8192;
/// Smallest total accepted from the u16/u32 length fields: the 15 + 7 the escapes already imply.
const MIN_LONG_LENGTH: u32 = 22;

/// Why a plain-LZ77 stream could not be decompressed. Offsets are byte positions in the
/// compressed input; `produced` counts output bytes written before the failure.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum XpressError {
    /// The input ended inside an item: a flag word, match token or length field.
    #[error("truncated input reading {what} at offset {offset}: need {need} bytes, have {have}")]
    TruncatedInput {
        /// What was being read, e.g. `"match token"` or `"16-bit length"`.
        what: &'static str,
        /// Input offset where the read started.
        offset: usize,
        /// Bytes the read needed.
        need: usize,
        /// Bytes the input had left from `offset`.
        have: usize,
    },
    /// A match points before the start of the output.
    #[error(
        "match at input offset {offset} reaches {distance} bytes back, \
         but only {produced} bytes were produced"
    )]
    BackReferenceBeforeStart {
        /// Input offset of the match token.
        offset: usize,
        /// Back-reference distance in output bytes, 1-based (`(v >> 3) + 1`).
        distance: usize,
        /// Output bytes written so far.
        produced: usize,
    },
    /// A u16 or u32 long-length field holds less than the 22 its escapes already imply.
    #[error("match length field {value} at input offset {offset} is below the minimum of 22")]
    LengthTooShort {
        /// Input offset of the length field.
        offset: usize,
        /// The stored total.
        value: u32,
    },
    /// A literal or match would write past the expected output size.
    #[error(
        "item at input offset {offset} adds {length} bytes to {produced} produced, \
         past the expected {expected}"
    )]
    OutputOverrun {
        /// Input offset of the item (for literals, of the first one that does not fit).
        offset: usize,
        /// Output bytes written before the item.
        produced: usize,
        /// Output bytes the item adds (1 for a literal).
        length: usize,
        /// Expected output size (`Offset` − 0x48 for an ETL buffer).
        expected: usize,
    },
    /// The input ended before the expected output size was reached.
    #[error("stream ended after {produced} output bytes, expected {expected}")]
    ShortOutput {
        /// Output bytes written.
        produced: usize,
        /// Expected output size.
        expected: usize,
    },
    /// The output buffer could not be allocated.
    #[error("cannot reserve {expected} bytes for the decompressed output")]
    OutputAllocation {
        /// Expected output size, in bytes.
        expected: usize,
    },
}
