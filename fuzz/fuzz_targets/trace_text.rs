//! cargo-fuzz target: see `etlview::fuzzing::trace_text` for what it drives and checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| etlview::fuzzing::trace_text(data));
