//! FREB and configuration parsers on real files from `../shared/samples/iis` (event counts,
//! status codes and time-taken were read with grep, independently of the parser).

mod common;

use etlview_evidence::{Attribution, Location, RecordKind, SourceKind, model::parse_iso_utc};

// (file, <Event> elements, statusCode, timeTaken)
const FREB: &[(&str, usize, &str, u64)] = &[
    ("fr000001.static-200.xml", 220, "200", 31),
    ("fr000001.xml", 119, "200", 15),
    ("fr000002.static-css.xml", 163, "200", 31),
    ("fr000003.static-304.xml", 163, "200", 0),
    ("fr000004.static-404.xml", 143, "404", 31),
    ("fr000007.large-binary.xml", 163, "200", 0),
    ("fr000008.denied-ext.xml", 81, "500.19", 16),
    ("fr000009.asp-200.xml", 190, "200", 281),
    ("fr000010.asp-error.xml", 193, "500", 31),
    ("fr000011.asp-headers.xml", 191, "200", 15),
    ("fr000012.asp-includes.xml", 185, "200", 0),
    ("fr000013.asp-slow-5s.xml", 191, "200", 4640),
    ("fr000017.aspnet-200.xml", 256, "200", 6859),
    ("fr000018.aspnet-error.xml", 228, "500", 1078),
    ("fr000019.aspnet-session.xml", 245, "200", 140),
    ("fr000020.aspnet-400.xml", 246, "400", 125),
    ("fr000021.aspnet-403.xml", 246, "403", 0),
    ("fr000022.aspnet-503.xml", 244, "503", 31),
    ("fr000023.aspnet-redirect-301.xml", 223, "301", 172),
    ("fr000024.aspnet-redirect-301.xml", 245, "200", 0),
    ("fr000025.aspnet-redirect-302.xml", 223, "302", 0),
    ("fr000026.aspnet-redirect-302.xml", 243, "200", 47),
    ("fr000028.aspnet-slow-5s.xml", 245, "200", 5110),
    ("fr000030.aspnet-slow-10s.xml", 245, "200", 10016),
    ("fr000031.auth-401-anon.xml", 123, "401.2", 109),
    ("fr000032.auth-401-secret.xml", 123, "401.2", 47),
    ("fr000033.auth-200-windows.xml", 123, "401.2", 547),
    ("fr000034.auth-200-windows.xml", 154, "200", 47),
    ("fr000035.config-500-19.xml", 184, "500.21", 47),
    ("fr000036.config-500-19-file.xml", 140, "500.21", 0),
    ("fr000037.method-delete.xml", 140, "405", 31),
    ("fr000038.method-options.xml", 139, "200", 0),
    ("fr000039.querystring.xml", 161, "200", 16),
    ("fr000040.special-chars.xml", 158, "200", 0),
    ("fr000041.double-slash.xml", 158, "200", 0),
    ("fr000042.jscript-200.xml", 181, "200", 406),
    ("fr000043.jscript-error.xml", 181, "500", 281),
    ("fr000044.jscript-api.xml", 182, "200", 15),
    ("fr000045.vbnet-200.xml", 253, "200", 5078),
    ("fr000046.vbnet-error.xml", 232, "500", 125),
    ("fr000047.vbnet-data.xml", 245, "200", 78),
    ("fr000048.php-200.xml", 163, "200", 782),
    ("fr000049.php-error.xml", 163, "500", 16),
    ("fr000050.php-heavy.xml", 169, "200", 16),
    ("fr000051.php-info.xml", 165, "200", 250),
    ("fr000052.php-slow-5s.xml", 163, "500", 16),
    ("fr000054.node-json.xml", 241, "200", 47),
    ("fr000056.node-error.xml", 229, "200", 250),
    ("fr000058.node-slow-3s.xml", 239, "200", 4000),
    ("fr000059.rewrite-pretty.xml", 240, "200", 46),
    ("fr000060.rewrite-301.xml", 131, "301", 16),
    ("fr000061.rewrite-301.xml", 186, "200", 0),
    ("fr000062.rewrite-302.xml", 134, "302", 0),
    ("fr000063.rewrite-302.xml", 186, "200", 15),
    ("fr000064.rewrite-abort.xml", 85, "200", 0),
    ("fr000065.rewrite-abort.xml", 85, "200", 0),
    ("fr000066.rewrite-abort.xml", 73, "200", 0),
    ("fr000067.rewrite-search.xml", 96, "404.11", 15),
    ("fr000068.arr-direct.xml", 171, "200", 16),
];

#[test]
fn every_real_freb_file() {
    let Some(dir) = common::shared_iis() else {
        return;
    };
    let mut events = 0;
    for &(name, count, status, taken) in FREB {
        let path = dir
            .join("freb")
            .join(format!("plechenko__FrebViewer__{name}"));
        let src = etlview_evidence::open(&path).unwrap();
        assert_eq!(src.kind, SourceKind::Freb, "{name}");
        assert!(src.damage.is_empty(), "{name}: {:?}", src.damage);
        assert_eq!(src.records.len(), count, "{name}");
        let req = src.freb().unwrap();
        let (s, sub) = status.split_once('.').unwrap_or((status, ""));
        assert_eq!(req.status, s.parse().ok(), "{name}");
        assert_eq!(req.sub_status, sub.parse().ok(), "{name}");
        assert_eq!(req.time_taken_ms, Some(taken), "{name}");
        let want_host = if name == "fr000001.xml" {
            "WIN-1EQQ7SDAODB"
        } else {
            "WIN-B75708LJ096"
        };
        let server = src.server.as_ref().unwrap();
        assert_eq!(
            (server.name.as_str(), server.how),
            (want_host, Attribution::FrebComputer)
        );
        assert!(
            src.records
                .iter()
                .all(|r| r.kind == RecordKind::FrebEvent && !r.get("Opcode").unwrap().is_empty())
        );
        assert_eq!(
            src.records.first().unwrap().get("Opcode"),
            Some("GENERAL_REQUEST_START"),
            "{name}"
        );
        assert!(req.start <= req.end);
        events += src.records.len();
    }
    assert_eq!(events, 10_687);
}

#[test]
fn arr_direct_values() {
    let Some(dir) = common::shared_iis() else {
        return;
    };
    let src =
        etlview_evidence::open(&dir.join("freb/plechenko__FrebViewer__fr000068.arr-direct.xml"))
            .unwrap();
    let req = src.freb().unwrap();
    assert_eq!(req.url, "http://localhost:8088/arr/direct.html");
    assert_eq!(req.app_pool, "FrebTestPool");
    assert_eq!(req.activity_id, "{40000003-0001-FB00-B63F-84710C7967BB}");
    assert_eq!(req.process_id, Some(7120));
    assert_eq!(
        req.request_headers,
        vec![("Host".to_string(), "localhost:8088".to_string())]
    );
    assert_eq!(req.arr_log_id, None);
    let first = &src.records[0];
    assert_eq!(
        first.filetime,
        parse_iso_utc("2026-06-08T19:54:49.287Z").unwrap()
    );
    assert_eq!(
        first.get("RequestURL"),
        Some("http://localhost:8088/arr/direct.html")
    );
    assert_eq!(first.get("ThreadID"), Some("2060"));
    assert_eq!(first.at, Location::Element { line: 20, index: 1 });
    let third = &src.records[2];
    assert_eq!(
        third.get("NotificationStatus.text"),
        Some("NOTIFICATION_CONTINUE")
    );
    let ends = src
        .records
        .iter()
        .filter(|r| r.get("Opcode") == Some("GENERAL_REQUEST_END"))
        .count();
    assert_eq!(ends, 1);
}

#[test]
fn real_application_host_config() {
    let Some(dir) = common::shared_iis() else {
        return;
    };
    let src = etlview_evidence::open(
        &dir.join("config/mattgillard__iis-reverse-proxy__applicationHost.config"),
    )
    .unwrap();
    assert_eq!(src.kind, SourceKind::Config);
    assert!(src.damage.is_empty(), "{:?}", src.damage);
    let cfg = src.config().unwrap();
    assert!(cfg.is_application_host);
    let proxy = cfg.proxy.as_ref().unwrap();
    assert_eq!(proxy.enabled, Some(true));
    assert_eq!(proxy.timeout, None);
    assert_eq!(proxy.line, 757);
    assert!(cfg.farms.is_empty());
    assert_eq!(cfg.timeout_for(None), std::time::Duration::from_secs(30));
    assert_eq!(cfg.sites.len(), 1);
    assert_eq!(cfg.sites[0].name, "Default Web Site");
    assert_eq!(
        cfg.sites[0].freb_directory.as_deref(),
        Some("%SystemDrive%\\inetpub\\logs\\FailedReqLogFiles")
    );
}
