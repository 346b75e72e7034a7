//! cargo-fuzz target: see `etlview::fuzzing::packet` for what it drives and checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| etlview::fuzzing::packet(data));
