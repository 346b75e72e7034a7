//! Damaged traces: truncations and byte flips never panic or hang; everything before the
//! damage still reads, and the damage is reported.

mod common;

use etlview::etl::Trace;

/// Events per buffer index, for comparing what survived.
fn per_buffer(trace: &Trace) -> Counts {
    let mut m = std::collections::BTreeMap::new();
    for e in trace.index_entries() {
        *m.entry(trace.buffers()[e.buffer as usize].file_offset)
            .or_insert(0) += 1;
    }
    m
}

/// Events per buffer, keyed by the buffer's file offset.
type Counts = std::collections::BTreeMap<usize, usize>;

/// The undamaged sample: its bytes, events per buffer, and each buffer's (offset, size).
fn baseline(shared: &std::path::Path, name: &str) -> (Vec<u8>, Counts, Vec<(usize, usize)>) {
    let bytes = std::fs::read(shared.join("samples").join(name)).unwrap();
    let full = Trace::from_bytes(bytes.clone()).unwrap();
    let sizes = full
        .buffers()
        .iter()
        .map(|b| (b.file_offset, b.header.buffer_size as usize))
        .collect();
    let counts = per_buffer(&full);
    (bytes, counts, sizes)
}

/// Deterministic xorshift, so failures reproduce.
fn rng(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed.max(1);
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

const SAMPLES: [&str; 5] = [
    "airbus-amsi-trace.etl",
    "s4-cldflt0-wpp.etl",
    "perfview-selfdescribing-compressed.etl",
    "pktmon-demikernel-compressed.etl",
    "tx-http-server.etl",
];

#[test]
fn truncation_keeps_every_whole_buffer_before_the_cut() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    for name in SAMPLES {
        let (bytes, full_counts, sizes) = baseline(&shared, name);
        let mut next = rng(bytes.len() as u64);
        for _ in 0..40 {
            let cut = (next() as usize) % bytes.len();
            let Ok(t) = Trace::from_bytes(bytes[..cut].to_vec()) else {
                continue; // too short to hold the header buffer: a clean error
            };
            let counts = per_buffer(&t);
            for &(off, size) in &sizes {
                if off + size <= cut {
                    assert_eq!(
                        counts.get(&off),
                        full_counts.get(&off),
                        "{name} cut at {cut}: buffer at {off:#x}"
                    );
                }
            }
            let whole = sizes.iter().filter(|&&(o, s)| o + s <= cut).count();
            if whole < sizes.len()
                && cut > sizes.iter().find(|&&(o, s)| o + s > cut).unwrap().0 + 72
            {
                assert!(
                    !t.issues().is_empty() || t.buffers().len() > whole,
                    "{name} cut at {cut}: damage not reported"
                );
            }
        }
    }
}

#[test]
fn byte_flips_only_affect_the_buffer_they_hit() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    for name in SAMPLES {
        let (bytes, full_counts, sizes) = baseline(&shared, name);
        let mut next = rng(7 + bytes.len() as u64);
        for _ in 0..60 {
            let mut damaged = bytes.clone();
            let at = (next() as usize) % damaged.len();
            let len = 1 + (next() as usize) % 16;
            for b in damaged.iter_mut().skip(at).take(len) {
                *b = next() as u8;
            }
            let Ok(t) = Trace::from_bytes(damaged) else {
                assert!(
                    at < 0x48 + 0x200,
                    "{name}: flip at {at} made the whole file unreadable"
                );
                continue;
            };
            let counts = per_buffer(&t);
            for &(off, size) in &sizes {
                let untouched = at + len <= off || at >= off + size;
                if untouched && at >= 0x48 + 0x200 {
                    assert_eq!(
                        counts.get(&off),
                        full_counts.get(&off),
                        "{name}: flip at {at}+{len} changed buffer at {off:#x}"
                    );
                }
            }
        }
    }
}

#[test]
fn garbage_is_not_an_etl_and_never_panics() {
    let mut next = rng(42);
    for len in [0usize, 1, 71, 72, 100, 4096, 70_000] {
        let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        assert!(Trace::from_bytes(bytes).is_err());
    }
}
