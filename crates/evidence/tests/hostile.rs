//! No input makes a parser panic: random bytes, and every generated evidence file cut at
//! arbitrary points or with bytes flipped, load with damage reported instead.

use std::path::PathBuf;

use etlview_evidence::{SourceKind, parse_as, sniff};
use proptest::prelude::*;

const KINDS: [SourceKind; 5] = [
    SourceKind::IisLog,
    SourceKind::HttpErr,
    SourceKind::Freb,
    SourceKind::Config,
    SourceKind::NetCab,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = sniff(&bytes, "x.log");
        for kind in KINDS {
            let _ = parse_as(kind, PathBuf::from("x"), &bytes);
        }
    }

    #[test]
    fn damaged_real_shapes_never_panic(file in 0usize..64, cut in 0.0f64..1.0, flip in any::<(usize, u8)>()) {
        let scenario = &samplegen::case::case_scenarios()[1];
        let files = samplegen::case::build_case(scenario);
        let (path, bytes) = &files[file % files.len()];
        let mut bytes = bytes[..(bytes.len() as f64 * cut) as usize].to_vec();
        if !bytes.is_empty() {
            let i = flip.0 % bytes.len();
            bytes[i] ^= flip.1;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(kind) = sniff(&bytes, &name) {
            let src = parse_as(kind, path.clone(), &bytes);
            // Whatever loaded has a sane time (after 1601, before 10000).
            prop_assert!(src.records.iter().all(|r| r.filetime >= 0 && r.filetime < 2_650_467_744_000_000_000));
        }
    }
}

#[test]
fn a_cut_freb_keeps_its_events_and_reports_the_cut() {
    let scenario = &samplegen::case::case_scenarios()[1];
    let files = samplegen::case::build_case(scenario);
    let (path, bytes) = files
        .iter()
        .find(|(p, _)| p.ends_with("ARR01/FailedReqLogFiles/W3SVC1/fr000003.xml"))
        .unwrap();
    let whole = parse_as(SourceKind::Freb, path.clone(), bytes);
    assert!(whole.damage.is_empty());
    let cut = &bytes[..bytes.len() - 300];
    let src = parse_as(SourceKind::Freb, path.clone(), cut);
    assert_eq!(src.records.len(), whole.records.len() - 1);
    assert_eq!(src.damage.len(), 2, "{:?}", src.damage);
    assert_eq!(
        src.freb().unwrap().arr_log_id,
        whole.freb().unwrap().arr_log_id
    );
}
