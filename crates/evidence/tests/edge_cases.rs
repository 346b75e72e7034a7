//! Hand-written inputs for what the real files do not show: several `#Fields` blocks with
//! custom fields, BOM + CRLF, a cut last line, damaged lines and XML, farms in a config,
//! a net.cab built with the cab crate, and recognising files by content.

mod common;
use common::build_cab;

use std::path::PathBuf;
use std::time::Duration;

use etlview_evidence::{Location, SourceKind, model::parse_iso_utc, parse_as, sniff};

fn w3c(text: &[u8]) -> etlview_evidence::Source {
    parse_as(SourceKind::IisLog, PathBuf::from("u_ex.log"), text)
}

#[test]
fn bom_crlf_blocks_custom_fields_and_cut_last_line() {
    let text = b"\xEF\xBB\xBF#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2026-02-10 22:40:00\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n2026-02-10 22:40:31 192.168.0.215 GET /time/ - 80 - 192.168.0.204 Mozilla/5.0+(Windows+NT+10.0) - 502 3 12002 29889\r\n#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2026-02-10 22:41:00\r\n#Fields: time date cs-uri-stem sc-status X-ARR-LOG-ID time-taken\r\n22:41:02.250 2026-02-10 /a+b 200 dbf06c50-adb0 15\r\n22:41:03 2026-02-10 /cut 20";
    let src = w3c(text);
    assert_eq!(src.records.len(), 3);
    let r = &src.records[0];
    assert_eq!(
        r.get("cs(User-Agent)"),
        Some("Mozilla/5.0 (Windows NT 10.0)")
    );
    assert_eq!(r.get("cs-uri-query"), Some(""));
    assert_eq!(r.get_i64("sc-win32-status"), Some(12002));
    assert_eq!(r.filetime, parse_iso_utc("2026-02-10T22:40:31Z").unwrap());
    assert!(
        r.summary.contains("502.3 win32 12002 29889 ms"),
        "{}",
        r.summary
    );
    let r = &src.records[1];
    assert_eq!(r.get("X-ARR-LOG-ID"), Some("dbf06c50-adb0"));
    assert_eq!(r.get("cs-uri-stem"), Some("/a b"));
    assert_eq!(
        r.filetime,
        parse_iso_utc("2026-02-10T22:41:02.25Z").unwrap()
    );
    assert_eq!(r.at, Location::Line(10));
    // The cut last line loads what it has and is reported.
    assert_eq!(src.records[2].get("time-taken"), None);
    assert_eq!(src.damage.len(), 1);
    assert_eq!(src.damage[0].at, Location::Line(11));
    assert!(
        src.damage[0].expected.contains("last line is cut"),
        "{}",
        src.damage[0]
    );
}

#[test]
fn lines_that_cannot_load_are_reported_with_their_line() {
    let text = b"2026-02-10 22:40:31 GET /early\n#Fields: date time cs-uri-stem\n2026-13-40 99:00:00 /bad-time\nnot-a-date 22:00:00 /x\n2026-02-10 22:40:32 /ok\xFF\n2026-02-10 22:40:33 /extra one two\n";
    let src = w3c(text);
    assert_eq!(src.records.len(), 2);
    let lines: Vec<_> = src.damage.iter().map(|d| d.at.clone()).collect();
    assert_eq!(lines, [1, 3, 4, 5, 6].map(Location::Line));
    assert!(src.damage[0].expected.contains("#Fields"));
    assert!(src.damage[3].expected.contains("UTF-8"));
    // Extra values are kept under positional names.
    assert_eq!(src.records[1].get("extra-1"), Some("one"));
}

#[test]
fn content_decides_the_kind_not_the_name() {
    let iis = b"#Software: Microsoft Internet Information Services 10.0\n#Fields: date time cs-uri-stem sc-status\n";
    let err = b"#Software: Microsoft HTTP API 2.0\n#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename\n";
    assert_eq!(sniff(iis, "whatever.txt"), Some(SourceKind::IisLog));
    assert_eq!(sniff(err, "u_ex260210.log"), Some(SourceKind::HttpErr));
    assert_eq!(
        sniff(b"<?xml version=\"1.0\"?><failedRequest url=\"x\">", "a.log"),
        Some(SourceKind::Freb)
    );
    assert_eq!(
        sniff(
            b"<configuration><system.webServer/></configuration>",
            "x.xml"
        ),
        Some(SourceKind::Config)
    );
    assert_eq!(
        sniff(b"MSCF\0\0\0\0", "report.bin"),
        Some(SourceKind::NetCab)
    );
    assert_eq!(sniff(b"\x00\x00\x01\x00", "net.etl"), Some(SourceKind::Etl));
    assert_eq!(sniff(b"hello", "u_ex260210.log"), None);
}

const EVENT: &str = r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="WWW Server"/><Opcode>1</Opcode><TimeCreated SystemTime="2026-02-10T22:40:01.100Z"/><Computer>ARR01</Computer></System><EventData><Data Name="RequestURL">http://arr/time/</Data></EventData><RenderingInfo Culture="en-US"><Opcode>GENERAL_REQUEST_START</Opcode></RenderingInfo></Event>"#;

#[test]
fn bad_freb_xml_is_reported_and_intact_events_load() {
    let bad = format!(
        "<?xml version=\"1.0\"?>\n<failedRequest url=\"http://arr/time/\" statusCode=\"502.3\" timeTaken=\"29889\" xmlns:freb=\"http://schemas.microsoft.com/win/2006/06/iis/freb\">\n{EVENT}\n<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System><TimeCreated SystemTime=\"x\"/></Broken></Event>\n{EVENT}\n<Event><System>"
    );
    let src = parse_as(
        SourceKind::Freb,
        PathBuf::from("fr000001.xml"),
        bad.as_bytes(),
    );
    assert_eq!(src.records.len(), 2);
    assert_eq!(src.records[1].at, Location::Element { line: 5, index: 3 });
    let req = src.freb().unwrap();
    assert_eq!(
        (req.status, req.sub_status, req.time_taken_ms),
        (Some(502), Some(3), Some(29889))
    );
    assert_eq!(src.server.as_ref().unwrap().name, "ARR01");
    // The document error, the broken second event, the unterminated fourth.
    assert_eq!(src.damage.len(), 3, "{:?}", src.damage);
    assert_eq!(src.damage[1].at, Location::Element { line: 4, index: 2 });
    assert!(src.damage[2].expected.contains("</Event>"));
}

#[test]
fn arr_freb_events_are_understood() {
    let ev = |opcode: &str, data: &str| {
        format!(
            r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><TimeCreated SystemTime="2026-02-10T22:40:01.100Z"/><Computer>ARR01</Computer></System><EventData>{data}</EventData><RenderingInfo Culture="en-US"><Opcode>{opcode}</Opcode></RenderingInfo></Event>"#
        )
    };
    let xml = format!(
        "<failedRequest url=\"http://arr:80/time/\" statusCode=\"502.3\">{}{}{}</failedRequest>",
        ev(
            "ARR_SERVER_ROUTED",
            r#"<Data Name="RoutingReason">LoadBalancing</Data><Data Name="Server">192.168.0.216</Data><Data Name="ResponseTime">15225</Data>"#
        ),
        ev(
            "GENERAL_SET_REQUEST_HEADER",
            r#"<Data Name="HeaderName">X-ARR-LOG-ID</Data><Data Name="HeaderValue">dbf06c50-adb0-4141-8c04-20bc2f193a61</Data><Data Name="Replace">true</Data>"#
        ),
        ev(
            "MODULE_SET_RESPONSE_ERROR_STATUS",
            r#"<Data Name="HttpStatus">502</Data><Data Name="HttpSubStatus">3</Data><Data Name="ErrorCode">2147954402</Data>"#
        ),
    );
    let src = parse_as(SourceKind::Freb, PathBuf::from("fr1.xml"), xml.as_bytes());
    assert!(src.damage.is_empty(), "{:?}", src.damage);
    let req = src.freb().unwrap();
    assert_eq!(req.routed_to.as_deref(), Some("192.168.0.216"));
    assert_eq!(
        req.arr_log_id.as_deref(),
        Some("dbf06c50-adb0-4141-8c04-20bc2f193a61")
    );
    assert!(req.arr_log_id_set_here);
    assert_eq!(
        etlview_evidence::diagnose::win32_code(req.error_code.as_deref().unwrap()),
        Some(12002)
    );
    assert_eq!(src.records[0].get("ResponseTime"), Some("15225"));
}

#[test]
fn farms_members_health_check_and_timeouts() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.webServer>
    <proxy enabled="true" timeout="00:01:00" preserveHostHeader="true" keepAlive="maybe" />
  </system.webServer>
  <webFarms>
    <webFarm name="timeFarm" enabled="true">
      <server address="192.168.0.216" enabled="true"><applicationRequestRouting httpPort="8080" weight="100" /></server>
      <server address="192.168.0.217" enabled="false" />
      <applicationRequestRouting>
        <healthCheck url="http://timeFarm/health.htm" interval="00:00:10" responseMatch="OK" />
        <protocol timeout="00:00:30" keepAlive="true" reverseRewriteHostInResponseHeaders="false" />
        <loadBalancing algorithm="WeightedRoundRobin" />
      </applicationRequestRouting>
    </webFarm>
    <webFarm name="other"><server address="web09" /></webFarm>
  </webFarms>
</configuration>"#;
    let src = parse_as(
        SourceKind::Config,
        PathBuf::from("applicationHost.config"),
        xml.as_bytes(),
    );
    let cfg = src.config().unwrap();
    // keepAlive="maybe" is reported, the rest loads.
    assert_eq!(src.damage.len(), 1);
    assert_eq!(src.damage[0].at, Location::Line(4));
    let proxy = cfg.proxy.as_ref().unwrap();
    assert_eq!(
        (proxy.timeout, proxy.preserve_host_header, proxy.keep_alive),
        (Some(Duration::from_secs(60)), Some(true), None)
    );
    assert_eq!(cfg.farms.len(), 2);
    let farm = &cfg.farms[0];
    assert_eq!(
        farm.members
            .iter()
            .map(|m| (m.address.as_str(), m.enabled))
            .collect::<Vec<_>>(),
        [("192.168.0.216", true), ("192.168.0.217", false)]
    );
    assert_eq!(farm.members[0].http_port, Some(8080));
    assert_eq!(
        farm.health_check.as_ref().unwrap().interval,
        Some(Duration::from_secs(10))
    );
    assert_eq!(farm.load_balancing.as_deref(), Some("WeightedRoundRobin"));
    assert_eq!(
        cfg.timeout_for(Some("192.168.0.216")),
        Duration::from_secs(30)
    );
    // A farm without <protocol timeout> uses the server's <proxy timeout>.
    assert_eq!(cfg.timeout_for(Some("web09")), Duration::from_secs(60));
    let broken = parse_as(
        SourceKind::Config,
        PathBuf::from("web.config"),
        b"<configuration><system.webServer>",
    );
    assert_eq!(broken.damage.len(), 1);
    assert!(broken.config().unwrap().farms.is_empty());
}

#[test]
fn net_cab_members_facts_and_a_bad_event_log() {
    let env =
        b"ALLUSERSPROFILE=C:\\ProgramData\r\nCOMPUTERNAME=ARR01\r\nUSERDNSDOMAIN=CONTOSO.LOCAL\r\n";
    let mut os = vec![0xFF, 0xFE];
    for u in "OS Name:                   Microsoft Windows Server 2019 Datacenter\r\nOS Version:                10.0.17763 N/A Build 17763\r\nTime Zone:                 (UTC-08:00) Pacific Time (US & Canada)\r\n".encode_utf16() {
        os.extend(u.to_le_bytes());
    }
    let ipconfig = b"Windows IP Configuration\r\n\r\n   Host Name . . . . . . . . . . . . : ARR01\r\n\r\nEthernet adapter Ethernet0:\r\n\r\n   Description . . . . . . . . . . . : vmxnet3 Ethernet Adapter\r\n   IPv4 Address. . . . . . . . . . . : 192.168.0.215(Preferred)\r\n\r\nEthernet adapter Ethernet1:\r\n\r\n   IPv4 Address. . . . . . . . . . . : 10.0.0.5(Preferred)\r\n";
    let bytes = build_cab(&[
        ("config/envinfo.txt", env),
        ("config/osinfo.txt", &os),
        ("config/adapterinfo.txt", ipconfig),
        ("Application.evtx", b"not an event log"),
        ("report.html", b"<html></html>"),
    ]);
    assert_eq!(sniff(&bytes, "net.cab"), Some(SourceKind::NetCab));
    let src = parse_as(SourceKind::NetCab, PathBuf::from("net.cab"), &bytes);
    let cab = src.net_cab().unwrap();
    assert_eq!(cab.members.len(), 5);
    assert_eq!(cab.facts.computer_name.as_deref(), Some("ARR01"));
    assert_eq!(cab.facts.domain.as_deref(), Some("CONTOSO.LOCAL"));
    assert_eq!(
        cab.facts.os.as_deref(),
        Some("Microsoft Windows Server 2019 Datacenter")
    );
    assert_eq!(
        cab.facts.time_zone.as_deref(),
        Some("(UTC-08:00) Pacific Time (US & Canada)")
    );
    assert_eq!(src.time_zone, cab.facts.time_zone);
    let addrs: Vec<_> = cab
        .facts
        .adapters
        .iter()
        .flat_map(|a| a.addresses.clone())
        .collect();
    assert_eq!(addrs, ["192.168.0.215", "10.0.0.5"]);
    assert_eq!(src.server.as_ref().unwrap().name, "ARR01");
    assert_eq!(src.damage.len(), 1, "{:?}", src.damage);
    assert_eq!(
        src.damage[0].at,
        Location::CabMember("Application.evtx".into())
    );
    let not_cab = parse_as(
        SourceKind::NetCab,
        PathBuf::from("net.cab"),
        b"MSCF garbage",
    );
    assert_eq!(not_cab.damage.len(), 1);
}
