//! cargo-fuzz target: see `etlview::fuzzing::record_headers` for what it drives and checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| etlview::fuzzing::record_headers(data));
