//! The W3C parsers on real IIS and HTTP.sys logs from `../shared/samples/iis` (counts were
//! taken with awk over the files, independently of the parser).

mod common;

use etlview_evidence::{
    Attribution, Details, Location, RecordKind, SourceKind, model::parse_iso_utc,
};

fn open(rel: &str) -> Option<etlview_evidence::Source> {
    let dir = common::shared_iis()?;
    Some(etlview_evidence::open(&dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}")))
}

fn blocks(src: &etlview_evidence::Source) -> usize {
    match &src.details {
        Details::W3c { field_blocks, .. } => *field_blocks,
        other => panic!("not W3C: {other:?}"),
    }
}

#[test]
fn every_real_w3c_file_counts() {
    // (file, kind, records, damaged lines, #Fields blocks, fields in the first record)
    let table = [
        (
            "w3c/brianary__scripts__ex031118.log",
            SourceKind::IisLog,
            4,
            1,
            1,
            4,
        ),
        (
            "w3c/log2timeline__plaso__iis10.log",
            SourceKind::IisLog,
            1,
            0,
            1,
            15,
        ),
        (
            "w3c/log2timeline__plaso__iis10_edge_cases.log",
            SourceKind::IisLog,
            15,
            0,
            1,
            15,
        ),
        (
            "w3c/log2timeline__plaso__iis6.log",
            SourceKind::IisLog,
            12,
            0,
            1,
            14,
        ),
        (
            "w3c/log2timeline__plaso__iis_without_date.log",
            SourceKind::IisLog,
            11,
            0,
            1,
            14,
        ),
        (
            "w3c/microsoft__Tx__u_ex130609.log",
            SourceKind::IisLog,
            17,
            0,
            2,
            15,
        ),
        (
            "w3c/mrsalmon1976__IISLogReader__LogFile.log",
            SourceKind::IisLog,
            338,
            0,
            1,
            15,
        ),
        (
            "httperr/elastic__beats__test.log",
            SourceKind::HttpErr,
            4,
            0,
            1,
            13,
        ),
        (
            "httperr/log2timeline__plaso__httperr.log",
            SourceKind::HttpErr,
            5,
            0,
            1,
            18,
        ),
    ];
    for (rel, kind, records, damaged, field_blocks, fields) in table {
        let Some(src) = open(rel) else { return };
        assert_eq!(src.kind, kind, "{rel}");
        assert_eq!(src.records.len(), records, "{rel}");
        assert_eq!(src.damage.len(), damaged, "{rel}: {:?}", src.damage);
        assert_eq!(blocks(&src), field_blocks, "{rel}");
        assert_eq!(src.records[0].fields.len(), fields, "{rel}");
        assert_eq!(src.time_zone.as_deref(), Some("UTC"));
        let want_kind = if kind == SourceKind::IisLog {
            RecordKind::IisRequest
        } else {
            RecordKind::HttpErr
        };
        assert!(src.records.iter().all(|r| r.kind == want_kind));
        // Lines are 1-based and increasing.
        assert!(
            src.records.windows(2).all(|w| w[0].line() < w[1].line()),
            "{rel}"
        );
    }
}

#[test]
fn missing_field_is_reported_and_the_line_kept() {
    let Some(src) = open("w3c/brianary__scripts__ex031118.log") else {
        return;
    };
    assert_eq!(src.damage[0].at, Location::Line(7));
    assert!(
        src.damage[0].expected.contains("4 fields"),
        "{}",
        src.damage[0]
    );
    let r = &src.records[2];
    assert_eq!(r.get("cs-uri-stem"), Some("/images/address.gif"));
    assert_eq!(r.get("cs-bytes"), None);
    // date only: midnight UTC of that day.
    assert_eq!(r.filetime, parse_iso_utc("2003-11-18T00:00:00Z").unwrap());
}

#[test]
fn two_field_blocks_and_computer_name() {
    let Some(src) = open("w3c/microsoft__Tx__u_ex130609.log") else {
        return;
    };
    let server = src.server.clone().unwrap();
    assert_eq!(server.name, "GEORGIS3");
    assert_eq!(server.how, Attribution::ComputerNameField);
    let first = &src.records[0];
    assert_eq!(
        first.get("cs(User-Agent)"),
        Some("Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; WOW64; Trident/6.0)")
    );
    assert_eq!(first.get("cs(Referer)"), Some(""));
    assert_eq!(first.get_i64("time-taken"), Some(156));
    let second_block = &src.records[6];
    assert_eq!(second_block.fields.len(), 22);
    assert_eq!(second_block.get("s-computername"), Some("GEORGIS3"));
    assert_eq!(second_block.get_i64("sc-status"), Some(304));
    assert_eq!(second_block.get_i64("sc-bytes"), Some(140));
    assert_eq!(
        second_block.filetime,
        parse_iso_utc("2013-06-09T17:54:12Z").unwrap()
    );
    assert_eq!(second_block.at, Location::Line(15));
}

#[test]
fn doubled_space_and_plus_kept_in_query() {
    let Some(src) = open("w3c/log2timeline__plaso__iis10_edge_cases.log") else {
        return;
    };
    let r = &src.records[0];
    assert_eq!(r.get("cs-username"), Some("random\\ranuser1"));
    assert_eq!(r.get_i64("s-port"), Some(444));
    let r = &src.records[1];
    assert!(
        r.get("cs-uri-query")
            .unwrap()
            .contains("ga2+s9KpsqytqdK6p8")
    );
    assert_eq!(r.get_i64("sc-status"), Some(500));
    // Lines out of time order stay in file order; time_order() sorts them.
    let order = src.time_order();
    assert_eq!(&order[..5], &[0, 1, 2, 12, 13]);
    assert!(
        order
            .windows(2)
            .all(|w| src.records[w[0]].filetime <= src.records[w[1]].filetime)
    );
    // A win32 status beyond 32 bits stays as written.
    assert_eq!(src.records[5].get("sc-win32-status"), Some("214784354254"));
    assert_eq!(src.records[6].get_i64("sc-win32-status"), Some(64));
    assert_eq!(src.records[6].get_i64("time-taken"), Some(886786));
}

#[test]
fn time_without_date_uses_the_date_directive_and_unterminated_last_line_loads() {
    let Some(src) = open("w3c/log2timeline__plaso__iis_without_date.log") else {
        return;
    };
    assert_eq!(
        src.records[1].filetime,
        parse_iso_utc("2013-07-30T00:00:03Z").unwrap()
    );
    let last = src.records.last().unwrap();
    assert_eq!(last.get_i64("sc-status"), Some(302));
    assert_eq!(last.get("cs-version"), Some("HTTP/1.1"));
    assert_eq!(src.server.as_ref().unwrap().how, Attribution::ServerIp);
    assert_eq!(src.server.as_ref().unwrap().name, "10.10.10.100");
}

#[test]
fn httperr_fields() {
    let Some(src) = open("httperr/elastic__beats__test.log") else {
        return;
    };
    let reasons: Vec<_> = src
        .records
        .iter()
        .map(|r| r.get("s-reason").unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "ConnLimit",
            "Hostname",
            "Version_N/S",
            "Timer_MinBytesPerSecond"
        ]
    );
    assert_eq!(src.records[3].get("cs-uri"), Some(""));
    assert_eq!(src.records[0].get_i64("c-port"), Some(2094));
    let Some(src) = open("httperr/log2timeline__plaso__httperr.log") else {
        return;
    };
    assert_eq!(src.records[3].get("s-reason"), Some("URL_Length"));
    assert_eq!(src.records[3].get("transport"), Some("TCP"));
    assert_eq!(src.records[0].get("cs-uri"), Some("/test'XOR(1)*!"));
    assert_eq!(
        src.records[4].filetime,
        parse_iso_utc("2026-10-07T12:24:56Z").unwrap()
    );
}
