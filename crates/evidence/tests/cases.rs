//! The generated case folders: each yields exactly its planted conclusion, with evidence
//! from each source that holds it; the healthy case none; every proxied request links to
//! its member's request.

use etlview_evidence::case::discover;
use etlview_evidence::correlate::{Tolerance, link};
use etlview_evidence::diagnose::diagnose;
use etlview_evidence::{Attribution, SourceKind};

fn write(dir: &std::path::Path, s: &samplegen::case::CaseScenario) -> std::path::PathBuf {
    let root = dir.join(s.name);
    for (rel, bytes) in samplegen::case::build_case(s) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    root
}

#[test]
fn each_case_gives_its_planted_conclusion() {
    let tmp = tempfile::tempdir().unwrap();
    for s in samplegen::case::case_scenarios() {
        let root = write(tmp.path(), &s);
        let case = discover(&[root]).unwrap();
        assert!(case.skipped.is_empty(), "{}: {:?}", s.name, case.skipped);
        for src in &case.sources {
            assert!(
                src.damage.is_empty(),
                "{} {}: {:?}",
                s.name,
                src.path.display(),
                src.damage
            );
        }
        let names: Vec<_> = case.servers.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names.len(), 3, "{}: {names:?}", s.name);
        for n in ["ARR01", "WEB01", "WEB02"] {
            assert!(names.contains(&n), "{}: {names:?}", s.name);
        }
        let requests = link(&case, Tolerance::default());
        assert_eq!(requests.len(), s.arr_requests, "{}", s.name);
        let linked = requests.iter().filter(|r| r.member_freb.is_some()).count();
        assert_eq!(linked, s.linked_to_member, "{}", s.name);
        for r in &requests {
            assert!(
                r.arr_freb.is_some() && r.arr_log.is_some(),
                "{}: {r:?}",
                s.name
            );
            if let Some(m) = r.member_freb {
                // Same server as routed to, and the same ID on both sides.
                let src = &case.sources[m];
                assert_eq!(Some(src.server_name()), r.member.as_deref());
                assert_eq!(src.freb().unwrap().arr_log_id, r.arr_log_id);
            }
        }
        let findings = diagnose(&case, &requests);
        let got: Vec<String> = findings
            .iter()
            .map(|f| format!("{:?}", f.conclusion))
            .collect();
        let want: Vec<String> = s.planted.iter().map(|p| p.to_string()).collect();
        assert_eq!(got, want, "{}", s.name);
        if let Some(f) = findings.first() {
            assert_eq!(f.requests, 1, "{}", s.name);
            let kinds: Vec<SourceKind> = f.evidence.iter().map(|e| e.kind).collect();
            let need: &[SourceKind] = match f.conclusion {
                etlview_evidence::diagnose::Conclusion::ArrTimedOutFirst => {
                    &[SourceKind::IisLog, SourceKind::Freb, SourceKind::Config]
                }
                etlview_evidence::diagnose::Conclusion::MemberClosedConnection => {
                    &[SourceKind::IisLog, SourceKind::Freb, SourceKind::HttpErr]
                }
                etlview_evidence::diagnose::Conclusion::NoHealthyMember => {
                    &[SourceKind::IisLog, SourceKind::Freb, SourceKind::Config]
                }
                _ => &[SourceKind::IisLog, SourceKind::Freb],
            };
            for k in need {
                assert!(
                    kinds.contains(k),
                    "{}: no {k:?} evidence in {:#?}",
                    s.name,
                    f.evidence
                );
            }
        }
    }
}

#[test]
fn the_article_case_in_detail() {
    let tmp = tempfile::tempdir().unwrap();
    let s = samplegen::case::case_scenarios()
        .into_iter()
        .find(|c| c.name == "case-502-3-timeout")
        .unwrap();
    let case = discover(&[write(tmp.path(), &s)]).unwrap();
    // Attribution: FREB names, s-computername, and the folder's other files.
    let how = |suffix: &str| {
        case.sources
            .iter()
            .find(|x| x.path.ends_with(suffix))
            .unwrap()
            .server
            .clone()
            .unwrap()
    };
    assert_eq!(
        how("WEB01/W3SVC1/u_ex260210.log").how,
        Attribution::ComputerNameField
    );
    assert_eq!(
        how("WEB02/W3SVC1/u_ex260210.log").how,
        Attribution::SameFolder
    );
    assert_eq!(
        how("ARR01/FailedReqLogFiles/W3SVC1/fr000003.xml").how,
        Attribution::FrebComputer
    );
    assert_eq!(how("ARR01/applicationHost.config").name, "ARR01");
    let requests = link(&case, Tolerance::default());
    let failing = requests
        .iter()
        .find(|r| r.arr_log_id.as_deref() == Some("dbf06c50-adb0-4141-8c04-20bc2f193a61"))
        .unwrap();
    assert_eq!(failing.routed_to.as_deref(), Some("192.168.0.216"));
    assert_eq!(failing.member.as_deref(), Some("WEB01"));
    let arr_line = failing.arr_log.unwrap();
    let line = &case.sources[arr_line.source].records[arr_line.record];
    assert_eq!(
        (
            line.get("sc-status"),
            line.get("sc-substatus"),
            line.get("sc-win32-status"),
            line.get("time-taken")
        ),
        (Some("502"), Some("3"), Some("12002"), Some("29889"))
    );
    let m = failing.member_log.unwrap();
    let line = &case.sources[m.source].records[m.record];
    assert_eq!(
        (
            line.get("sc-status"),
            line.get("sc-win32-status"),
            line.get("time-taken")
        ),
        (Some("200"), Some("64"), Some("45208"))
    );
    let findings = diagnose(&case, &requests);
    let says: Vec<&str> = findings[0]
        .evidence
        .iter()
        .map(|e| e.says.as_str())
        .collect();
    assert!(
        says.iter().any(|s| s.contains(
            "proxy time-out 30 s; ARR gave up after 29889 ms, the member needed 45208 ms"
        )),
        "{says:#?}"
    );
}

#[test]
fn files_are_recognised_by_content_and_strays_are_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let s = samplegen::case::case_scenarios()
        .into_iter()
        .find(|c| c.name == "case-502-3-reset")
        .unwrap();
    let root = write(tmp.path(), &s);
    // Renamed by whoever collected them, plus a note, a trace and an unknown binary.
    std::fs::rename(
        root.join("WEB02/HTTPERR/httperr1.log"),
        root.join("WEB02/errors copy.txt"),
    )
    .unwrap();
    std::fs::rename(
        root.join("WEB01/W3SVC1/u_ex260210.log"),
        root.join("WEB01/W3SVC1/log.bak"),
    )
    .unwrap();
    std::fs::write(root.join("notes.txt"), "customer says it fails at 22:40").unwrap();
    std::fs::write(root.join("ARR01/net.etl"), [0u8, 0, 1, 0, 0, 0, 1, 0]).unwrap();
    let case = discover(std::slice::from_ref(&root)).unwrap();
    assert_eq!(case.skipped.len(), 1, "{:?}", case.skipped);
    assert!(case.skipped[0].0.ends_with("notes.txt"));
    let find = |suffix: &str| {
        case.sources
            .iter()
            .find(|x| x.path.ends_with(suffix))
            .unwrap()
    };
    let httperr = find("WEB02/errors copy.txt");
    assert_eq!(httperr.kind, SourceKind::HttpErr);
    assert_eq!(httperr.server_name(), "WEB02");
    assert_eq!(find("WEB01/W3SVC1/log.bak").kind, SourceKind::IisLog);
    let etl = find("ARR01/net.etl");
    assert_eq!(
        (
            etl.kind,
            etl.server_name(),
            etl.server.as_ref().unwrap().how
        ),
        (SourceKind::Etl, "ARR01", Attribution::SameFolder)
    );
    // Still the same conclusion.
    let findings = diagnose(&case, &link(&case, Tolerance::default()));
    assert_eq!(findings.len(), 1);
    // A folder whose files name no server is attributed by its name.
    std::fs::create_dir_all(root.join("WEB03/HTTPERR")).unwrap();
    std::fs::write(root.join("WEB03/HTTPERR/httperr1.log"), "#Software: Microsoft HTTP API 2.0\r\n#Fields: date time c-ip c-port cs-uri s-reason\r\n2026-02-10 22:40:00 10.0.0.9 5000 / Timer_ConnectionIdle\r\n").unwrap();
    // One whose log names only its address keeps the address.
    std::fs::create_dir_all(root.join("WEB04/W3SVC1")).unwrap();
    std::fs::write(
        root.join("WEB04/W3SVC1/u_ex260210.log"),
        "#Fields: date time s-ip cs-uri-stem sc-status\n2026-02-10 22:40:00 10.0.0.44 / 200\n",
    )
    .unwrap();
    let case = discover(&[root]).unwrap();
    let web04 = case
        .sources
        .iter()
        .find(|x| x.path.ends_with("WEB04/W3SVC1/u_ex260210.log"))
        .unwrap();
    assert_eq!(
        (web04.server_name(), web04.server.as_ref().unwrap().how),
        ("10.0.0.44", Attribution::ServerIp)
    );
    let web03 = case
        .sources
        .iter()
        .find(|x| x.path.ends_with("WEB03/HTTPERR/httperr1.log"))
        .unwrap();
    assert_eq!(
        (web03.server_name(), web03.server.as_ref().unwrap().how),
        ("WEB03", Attribution::FolderName)
    );
}

#[test]
fn without_arr_freb_the_member_is_found_by_path_and_time() {
    let tmp = tempfile::tempdir().unwrap();
    let s = samplegen::case::case_scenarios()
        .into_iter()
        .find(|c| c.name == "case-502-3-timeout")
        .unwrap();
    let root = write(tmp.path(), &s);
    std::fs::remove_dir_all(root.join("ARR01/FailedReqLogFiles")).unwrap();
    let case = discover(std::slice::from_ref(&root)).unwrap();
    let requests = link(&case, Tolerance::default());
    // Nothing in ARR01/ names the server now: its log's s-ip does, for the whole folder.
    let config = case
        .sources
        .iter()
        .find(|x| x.path.ends_with("ARR01/applicationHost.config"))
        .unwrap();
    assert_eq!(config.server.clone().unwrap().name, "192.168.0.215");
    // Only the 502 line is an ARR request now; it finds WEB01's FREB and log line.
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].member.as_deref(), Some("WEB01"));
    assert!(requests[0].member_freb.is_some() && requests[0].member_log.is_some());
    let findings = diagnose(&case, &requests);
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].conclusion,
        etlview_evidence::diagnose::Conclusion::ArrTimedOutFirst
    );
}

#[test]
fn silence_without_the_members_logs_concludes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let s = samplegen::case::case_scenarios()
        .into_iter()
        .find(|c| c.name == "case-502-3-no-traffic")
        .unwrap();
    let root = write(tmp.path(), &s);
    std::fs::remove_dir_all(root.join("WEB02")).unwrap();
    let case = discover(std::slice::from_ref(&root)).unwrap();
    let requests = link(&case, Tolerance::default());
    assert_eq!(requests.len(), 3);
    // 192.168.0.217 no longer answers to any folder: nothing links, nothing is concluded.
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.member.as_deref() == Some("WEB02"))
            .count(),
        0
    );
    assert!(diagnose(&case, &requests).is_empty());
}

#[test]
fn the_log_id_links_across_any_clock_skew() {
    let tmp = tempfile::tempdir().unwrap();
    let s = samplegen::case::case_scenarios()
        .into_iter()
        .find(|c| c.name == "case-502-3-timeout")
        .unwrap();
    let root = tmp.path().join("skewed");
    // WEB01 ten minutes ahead, WEB02 ten minutes behind.
    for (rel, bytes) in samplegen::case::build_case_with_clocks(&s, [600_000, -600_000]) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let case = discover(std::slice::from_ref(&root)).unwrap();
    let requests = link(&case, Tolerance::default());
    // X-ARR-LOG-ID links each FREB pair; the member's log line is matched on the member's own
    // clock (its FREB's end), so the skew does not matter.
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.member_freb.is_some() && r.member_log.is_some())
            .count(),
        3
    );
    let findings = diagnose(&case, &requests);
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].conclusion,
        etlview_evidence::diagnose::Conclusion::ArrTimedOutFirst
    );
    // Without ARR's FREB there is no ID: the 502 line finds nothing within 2 s, and silence
    // on logs that do not cover the time concludes nothing.
    std::fs::remove_dir_all(root.join("ARR01/FailedReqLogFiles")).unwrap();
    let case = discover(std::slice::from_ref(&root)).unwrap();
    let requests = link(&case, Tolerance::default());
    assert_eq!(requests.len(), 1);
    assert!(!requests[0].reached_member());
    assert!(diagnose(&case, &requests).is_empty());
}
