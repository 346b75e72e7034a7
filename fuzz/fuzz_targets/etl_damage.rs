//! cargo-fuzz target: see `fuzz_targets::etl_damage` for what it drives and checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fuzz_targets::etl_damage(data));
