//! `etlview case DIR`: each generated case folder gives its planted conclusion with evidence
//! from the files that hold it, links every ARR request, and diagnoses the traces it holds.

use std::process::Command;

fn case(dir: &std::path::Path, json: bool) -> (Option<i32>, String) {
    let mut args = vec!["case".to_string(), dir.display().to_string()];
    if json {
        args.push("--json".into());
    }
    let out = Command::new(env!("CARGO_BIN_EXE_etlview"))
        .args(&args)
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn every_case_folder_gives_its_planted_conclusion() {
    let dir = tempfile::tempdir().unwrap();
    samplegen::case::write_cases(dir.path(), false).unwrap();
    for scenario in samplegen::case::case_scenarios() {
        let root = dir.path().join(scenario.name);
        let (code, text) = case(&root, true);
        let report: serde_json::Value = serde_json::from_str(&text).unwrap();
        let conclusions: Vec<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["conclusion"].as_str().unwrap())
            .collect();
        let requests = report["requests"].as_array().unwrap();
        assert_eq!(requests.len(), scenario.arr_requests, "{}", scenario.name);
        let linked = requests
            .iter()
            .filter(|r| {
                r["member_freb"] == true || r["member_log"] == true || r["member_httperr"] == true
            })
            .count();
        assert_eq!(linked, scenario.linked_to_member, "{}", scenario.name);
        match scenario.planted {
            None => {
                assert!(conclusions.is_empty(), "{}: {conclusions:?}", scenario.name);
                assert_eq!(code, Some(1), "{}: nothing found is exit 1", scenario.name);
            }
            Some(planted) => {
                assert_eq!(conclusions, [planted], "{}", scenario.name);
                assert_eq!(code, Some(0));
                // Evidence names files of more than one kind.
                let kinds: std::collections::BTreeSet<&str> = report["findings"][0]["evidence"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["kind"].as_str().unwrap())
                    .collect();
                assert!(kinds.len() >= 2, "{}: {kinds:?}", scenario.name);
            }
        }
    }
}

#[test]
fn traces_in_the_case_are_diagnosed_on_one_timeline() {
    let dir = tempfile::tempdir().unwrap();
    samplegen::case::write_cases(dir.path(), false).unwrap();
    let root = dir.path().join("case-502-3-timeout");
    let scenario = samplegen::scenarios()
        .into_iter()
        .find(|s| s.file_name == "arr-502-timeout.etl")
        .unwrap();
    std::fs::write(root.join("ARR01").join("NetTrace.etl"), (scenario.build)()).unwrap();
    let (code, text) = case(&root, false);
    assert_eq!(code, Some(0));
    assert!(text.contains("ETL      ARR01"), "{text}");
    assert!(text.contains("ARR timed out first"), "{text}");
    assert!(
        text.contains("Receive time-out after 30.0 s (configured 30 s)"),
        "{text}"
    );
}

#[test]
fn a_folder_without_evidence_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "nothing here").unwrap();
    let (code, _) = case(dir.path(), false);
    assert_eq!(code, Some(2));
}
