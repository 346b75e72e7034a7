//! Writer -> reader round trips: whatever the writer is given comes back, in time order.

use etlview::etl::writer::{EtlWriter, EventRecord, WriterOptions};
use etlview::etl::{HeaderKind, ProviderId, Trace};
use proptest::prelude::*;
use uuid::Uuid;

#[derive(Debug, Clone)]
struct Spec {
    cpu: u16,
    id: u16,
    level: u8,
    pid: u32,
    ts_step: u16,
    payload: Vec<u8>,
    ext: Option<Vec<u8>>,
    header32: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0u16..4,
        any::<u16>(),
        0u8..6,
        any::<u32>(),
        0u16..1000,
        prop::collection::vec(any::<u8>(), 0..300),
        prop::option::of(prop::collection::vec(any::<u8>(), 0..40)),
        any::<bool>(),
    )
        .prop_map(
            |(cpu, id, level, pid, ts_step, payload, ext, header32)| Spec {
                cpu,
                id,
                level,
                pid,
                ts_step,
                payload,
                ext,
                header32,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn events_round_trip(specs in prop::collection::vec(spec(), 0..300), compress: bool) {
        let provider = Uuid::from_u128(0x7d44233d_3055_4b9c_ba64_0d47ca40a232);
        let mut w = EtlWriter::new(WriterOptions {
            buffer_size: 2048,
            processors: 4,
            compress,
            ..WriterOptions::default()
        });
        let mut ts = 1_000_000i64;
        let mut expected = Vec::new();
        for s in &specs {
            ts += i64::from(s.ts_step);
            let record = EventRecord {
                provider,
                id: s.id,
                level: s.level,
                process_id: s.pid,
                thread_id: s.pid ^ 1,
                timestamp: ts,
                extended: s.ext.as_deref().map(|d| vec![(0x000A, d)]).unwrap_or_default(),
                payload: &s.payload,
                header32: s.header32,
                ..EventRecord::default()
            };
            w.push_event(s.cpu, &record).unwrap();
            expected.push((ts, s.clone()));
        }
        let trace = Trace::from_bytes(w.finish()).unwrap();
        prop_assert!(trace.issues().is_empty(), "{:?}", trace.issues());
        prop_assert_eq!(trace.len(), specs.len() + 1);
        // stable sort keeps per-processor order for equal timestamps; compare as multisets
        // keyed by (ts, id, pid, payload) to be independent of cross-processor tie order.
        let mut got: Vec<_> = trace
            .events()
            .skip(1)
            .map(|e| {
                prop_assert_eq!(e.header.provider, ProviderId::Guid(provider));
                let kind = if e.header.kind == HeaderKind::EventHeader32 { 32 } else { 64 };
                let ext = e.extended_items().next().map(|i| i.data.to_vec());
                Ok((e.header.timestamp, e.header.id, e.header.level, e.header.process_id.unwrap(), kind, e.payload().to_vec(), ext, e.cpu))
            })
            .collect::<Result<_, TestCaseError>>()?;
        let mut want: Vec<_> = expected
            .iter()
            .map(|(ts, s)| (*ts, s.id, s.level, s.pid, if s.header32 { 32 } else { 64 }, s.payload.clone(), s.ext.clone(), s.cpu))
            .collect();
        let times: Vec<i64> = got.iter().map(|g| g.0).collect();
        prop_assert!(times.windows(2).all(|w| w[0] <= w[1]), "not in time order");
        got.sort();
        want.sort();
        prop_assert_eq!(got, want);
    }
}
