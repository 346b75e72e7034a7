//! Fuzzes the MS-XCA plain-LZ77 decoder: arbitrary streams with an arbitrary expected length
//! must never panic, and `compress` output must always decode back to its input.
#![no_main]

use etlview::etl::xpress::{compress, decompress};
use libfuzzer_sys::fuzz_target;

/// Largest expected length tried, so one input cannot request a huge allocation.
const MAX_EXPECTED_LEN: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    // The first 4 bytes choose the expected length; the rest is the compressed stream.
    let Some((length_bytes, stream)) = data.split_first_chunk::<4>() else {
        return;
    };
    let expected_len = u32::from_le_bytes(*length_bytes) as usize % (MAX_EXPECTED_LEN + 1);
    let mut out = Vec::new();
    match decompress(stream, expected_len, &mut out) {
        Ok(()) => assert_eq!(out.len(), expected_len),
        Err(_) => assert!(out.len() <= expected_len),
    }

    let packed = compress(stream);
    let mut round_trip = Vec::new();
    if let Err(error) = decompress(&packed, stream.len(), &mut round_trip) {
        panic!("compress output failed to decode: {error}");
    }
    assert!(round_trip == stream, "round trip changed the data");
});
