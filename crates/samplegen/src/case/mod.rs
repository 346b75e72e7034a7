//! Case folders for the ARR 502 article's scenarios, laid out as a support engineer collects
//! them: `ARR01/` (the ARR server), `WEB01/` and `WEB02/` (farm members), each with
//! `W3SVC1/u_ex260210.log`, `FailedReqLogFiles/W3SVC1/fr*.xml` (a rule tracing every status,
//! as set up while troubleshooting), `HTTPERR/httperr1.log` and `applicationHost.config`.
//!
//! The files agree with each other: every proxied request carries one `X-ARR-LOG-ID` in
//! ARR's FREB (`GENERAL_SET_REQUEST_HEADER`) and in the member's (`GENERAL_REQUEST_HEADERS`);
//! the members' clocks run 180 ms ahead (WEB01) and 240 ms behind (WEB02) ARR's.

mod files;

use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};

use files::{FrebEvent, FrebFile, Member};

const ARR_IP: &str = "192.168.0.215";
const CLIENT_IP: &str = "192.168.0.204";
/// (name, address, clock offset from ARR in ms).
const MEMBERS: [(&str, &str, i64); 2] = [
    ("WEB01", "192.168.0.216", 180),
    ("WEB02", "192.168.0.217", -240),
];
const FARM: &str = "timeFarm";
const UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/121.0";

/// What went wrong with one request, in the article's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    /// 502.3 12002 after ARR's 30 s time-out; the member needed 45.2 s.
    Timeout,
    /// 502.3 12030: the member processed it but closed the connection (HTTPERR).
    Reset,
    /// 502.3 12152: the member's response was cut after a flush.
    Invalid,
    /// 502.4: no member to route to.
    NoHealthy,
    /// 502.3 12002 after a 21 s connect time-out; the member never saw it.
    NoTraffic,
}

/// One generated case folder.
#[derive(Debug, Clone, Copy)]
pub struct CaseScenario {
    pub name: &'static str,
    /// The `etlview_evidence::diagnose::Conclusion` (by its name) the case must give, if any.
    pub planted: Option<&'static str>,
    pub description: &'static str,
    /// ARR requests in the case, and how many of them reached a member and link to its FREB
    /// request.
    pub arr_requests: usize,
    pub linked_to_member: usize,
    faults: &'static [(Fault, usize)],
    members_enabled: [bool; 2],
}

pub fn case_scenarios() -> Vec<CaseScenario> {
    vec![
        CaseScenario {
            name: "case-healthy",
            planted: None,
            description: "Four requests through ARR, alternating WEB01 and WEB02, all 200.",
            arr_requests: 4,
            linked_to_member: 4,
            faults: &[
                (Fault::None, 0),
                (Fault::None, 1),
                (Fault::None, 0),
                (Fault::None, 1),
            ],
            members_enabled: [true, true],
        },
        CaseScenario {
            name: "case-502-3-timeout",
            planted: Some("ArrTimedOutFirst"),
            description: "The article's first case: /time/ takes 45.2 s on WEB01, ARR gives up at its 30 s \
                          time-out (502 3 12002 29889); WEB01 logs 200 with win32 status 64.",
            arr_requests: 3,
            linked_to_member: 3,
            faults: &[(Fault::None, 0), (Fault::None, 1), (Fault::Timeout, 0)],
            members_enabled: [true, true],
        },
        CaseScenario {
            name: "case-502-3-reset",
            planted: Some("MemberClosedConnection"),
            description: "WEB02 processes /time/ (its FREB shows it) but closes the connection: no IIS log \
                          line, HTTPERR Connection_Dropped; ARR answers 502 3 12030.",
            arr_requests: 3,
            linked_to_member: 3,
            faults: &[(Fault::None, 0), (Fault::None, 1), (Fault::Reset, 1)],
            members_enabled: [true, true],
        },
        CaseScenario {
            name: "case-502-3-invalid",
            planted: Some("InvalidResponse"),
            description: "WEB01 flushes part of /export/ then closes: ARR answers 502 3 12152.",
            arr_requests: 3,
            linked_to_member: 3,
            faults: &[(Fault::None, 0), (Fault::None, 1), (Fault::Invalid, 0)],
            members_enabled: [true, true],
        },
        CaseScenario {
            name: "case-502-4-no-member",
            planted: Some("NoHealthyMember"),
            description: "WEB01 is disabled in the farm and WEB02 fails its health checks (503): ARR answers \
                          502.4 without routing.",
            arr_requests: 3,
            linked_to_member: 2,
            faults: &[(Fault::None, 0), (Fault::None, 1), (Fault::NoHealthy, 1)],
            members_enabled: [false, true],
        },
        CaseScenario {
            name: "case-502-3-no-traffic",
            planted: Some("NoTrafficOnMember"),
            description: "ARR routes /time/ to WEB02 and times out after 21 s (502 3 12002) while WEB02 \
                          records nothing of it: a connect time-out on ARR's side.",
            arr_requests: 3,
            linked_to_member: 2,
            faults: &[(Fault::None, 0), (Fault::None, 1), (Fault::NoTraffic, 1)],
            members_enabled: [true, true],
        },
    ]
}

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 10, 22, 40, 0)
        .single()
        .expect("valid date")
}

/// The X-ARR-LOG-ID of request `i` of a case (the article's for the failing one of the
/// first case).
fn log_id(case: usize, i: usize, fault: Fault) -> String {
    if case == 1 && fault == Fault::Timeout {
        "dbf06c50-adb0-4141-8c04-20bc2f193a61".into()
    } else {
        format!(
            "{:08x}-adb0-4141-8c04-{:012x}",
            0x5eed_0000 + case,
            0x20bc_2f19_0000u64 + i as u64
        )
    }
}

/// Per-server accumulators.
#[derive(Default)]
struct Server {
    log: Vec<(DateTime<Utc>, String)>,
    httperr: Vec<(DateTime<Utc>, String)>,
    freb: Vec<Vec<u8>>,
}

struct Outcome {
    arr: (u32, u32, u32, i64),
    member_freb: Option<(&'static str, i64)>,
    member_log: Option<(u32, u32, i64)>,
    httperr: Option<&'static str>,
    routed: bool,
}

fn outcome(f: Fault) -> Outcome {
    let ok = Outcome {
        arr: (200, 0, 0, 152),
        member_freb: Some(("200", 120)),
        member_log: Some((200, 0, 120)),
        httperr: None,
        routed: true,
    };
    match f {
        Fault::None => ok,
        Fault::Timeout => Outcome {
            arr: (502, 3, 12002, 29_889),
            member_freb: Some(("200", 45_208)),
            member_log: Some((200, 64, 45_208)),
            ..ok
        },
        Fault::Reset => Outcome {
            arr: (502, 3, 12030, 1_019),
            member_freb: Some(("200", 1_003)),
            member_log: None,
            httperr: Some("Connection_Dropped"),
            ..ok
        },
        Fault::Invalid => Outcome {
            arr: (502, 3, 12152, 2_041),
            member_freb: Some(("200", 2_010)),
            member_log: Some((200, 0, 2_010)),
            ..ok
        },
        Fault::NoHealthy => Outcome {
            arr: (502, 4, 0, 15),
            member_freb: None,
            member_log: None,
            httperr: None,
            routed: false,
        },
        Fault::NoTraffic => Outcome {
            arr: (502, 3, 12002, 21_047),
            member_freb: None,
            member_log: None,
            ..ok
        },
    }
}

fn hresult(win32: u32) -> String {
    let h = 0x8007_0000u32 | win32;
    format!("{h} (0x{h:08x})")
}

/// FREB's first event of a GET for `path` through arr.contoso.com (ARR and members log it
/// alike).
fn request_start(at: DateTime<Utc>, path: &str) -> FrebEvent {
    ev(
        "GENERAL_REQUEST_START",
        1,
        "WWW Server",
        at,
        vec![
            ("SiteId", "1".into()),
            ("RequestURL", format!("http://arr.contoso.com:80{path}")),
            ("RequestVerb", "GET".into()),
        ],
    )
}

fn ev(
    opcode: &'static str,
    value: u32,
    provider: &'static str,
    at: DateTime<Utc>,
    data: Vec<(&'static str, String)>,
) -> FrebEvent {
    FrebEvent {
        opcode,
        opcode_value: value,
        provider,
        at,
        data,
    }
}

/// Builds every file of a case: (path relative to the case folder, bytes).
pub fn build_case(s: &CaseScenario) -> Vec<(PathBuf, Vec<u8>)> {
    build_case_with_clocks(s, [MEMBERS[0].2, MEMBERS[1].2])
}

/// As [`build_case`], with the members' clocks `offsets` ms off ARR's.
pub fn build_case_with_clocks(s: &CaseScenario, offsets: [i64; 2]) -> Vec<(PathBuf, Vec<u8>)> {
    let case_index = case_scenarios()
        .iter()
        .position(|c| c.name == s.name)
        .unwrap_or(0);
    let mut arr = Server::default();
    let mut members: [Server; 2] = Default::default();
    let paths = ["/time/", "/api/orders/1234", "/time/", "/css/site.css"];
    for (i, &(fault, member)) in s.faults.iter().enumerate() {
        let o = outcome(fault);
        let start =
            base() + Duration::seconds(5 * i as i64 + 1) + Duration::milliseconds(37 * i as i64);
        let path = if fault == Fault::Invalid {
            "/export/"
        } else {
            paths[i % paths.len()]
        };
        let id = log_id(case_index, i, fault);
        let client_port = 49_247 + i as u32;
        let (name, addr, _) = MEMBERS[member];
        let offset = offsets[member];
        let (status, sub, win32, arr_taken) = o.arr;
        let arr_end = start + Duration::milliseconds(arr_taken);
        arr.log.push((
            arr_end,
            format!(
                "{} {ARR_IP} GET {path} - 80 - {CLIENT_IP} {} - {status} {sub} {win32} {arr_taken}",
                files::w3c_time(arr_end),
                files::w3c_value(UA)
            ),
        ));
        // ARR's FREB.
        let t = |ms: i64| start + Duration::milliseconds(ms);
        let activity = format!("{{8000{:04X}-0000-FB00-B63F-84710C7967BB}}", 0x100 + i);
        let mut events = vec![
            request_start(t(0), path),
            ev(
                "GENERAL_REQUEST_HEADERS",
                50,
                "WWW Server",
                t(0),
                vec![(
                    "Headers",
                    format!(
                        "Connection: Keep-Alive\r\nHost: arr.contoso.com\r\nUser-Agent: {UA}\r\n"
                    ),
                )],
            ),
        ];
        if o.routed {
            events.push(ev(
                "ARR_SERVER_ROUTED",
                10,
                "Application Request Routing",
                t(1),
                vec![
                    ("RoutingReason", "LoadBalancing".into()),
                    ("Server", addr.into()),
                    ("State", "Active".into()),
                    ("TotalRequests", (i + 1).to_string()),
                    ("FailedRequests", "0".into()),
                    ("CurrentRequests", "1".into()),
                    ("BytesSent", "648".into()),
                    ("BytesReceived", "0".into()),
                    ("ResponseTime", "15225".into()),
                ],
            ));
            for (h, v) in [
                ("Max-Forwards", "10".to_string()),
                ("X-Forwarded-For", format!("{CLIENT_IP}:{client_port}")),
                ("X-ARR-SSL", String::new()),
                ("X-ARR-LOG-ID", id.clone()),
            ] {
                events.push(ev(
                    "GENERAL_SET_REQUEST_HEADER",
                    42,
                    "WWW Server",
                    t(1),
                    vec![
                        ("HeaderName", h.into()),
                        ("HeaderValue", v),
                        ("Replace", "true".into()),
                    ],
                ));
            }
        }
        if status == 502 {
            events.push(ev(
                "MODULE_SET_RESPONSE_ERROR_STATUS",
                16,
                "WWW Server",
                t(arr_taken - 1),
                vec![
                    ("ModuleName", "ApplicationRequestRouting".into()),
                    ("Notification", "EXECUTE_REQUEST_HANDLER".into()),
                    ("HttpStatus", "502".into()),
                    ("HttpReason", "Bad Gateway".into()),
                    ("HttpSubStatus", sub.to_string()),
                    (
                        "ErrorCode",
                        if win32 == 0 {
                            "0 (0x0)".into()
                        } else {
                            hresult(win32)
                        },
                    ),
                    ("ConfigExceptionInfo", String::new()),
                ],
            ));
        }
        events.push(ev(
            "GENERAL_REQUEST_END",
            2,
            "WWW Server",
            t(arr_taken),
            vec![
                ("BytesSent", "1442".into()),
                ("BytesReceived", "412".into()),
                ("HttpStatus", status.to_string()),
                ("HttpSubStatus", sub.to_string()),
            ],
        ));
        let status_text = if sub == 0 {
            status.to_string()
        } else {
            format!("{status}.{sub}")
        };
        arr.freb.push(files::freb_xml(&FrebFile {
            url: &format!("http://arr.contoso.com:80{path}"),
            app_pool: "ArrPool",
            process_id: 1432,
            activity_id: &activity,
            status: &status_text,
            time_taken_ms: arr_taken as u64,
            computer: "ARR01",
            events,
        }));
        // The member's side, on its own clock.
        let m = &mut members[member];
        let m_start = start + Duration::milliseconds(15 + offset);
        if let Some((m_status, m_taken)) = o.member_freb {
            let mt = |ms: i64| m_start + Duration::milliseconds(ms);
            let headers = format!(
                "Connection: Keep-Alive\r\nHost: arr.contoso.com\r\nMax-Forwards: 10\r\nUser-Agent: {UA}\r\nX-Original-URL: {path}\r\nX-Forwarded-For: {CLIENT_IP}:{client_port}\r\nX-ARR-SSL: \r\nX-ARR-LOG-ID: {id}\r\n"
            );
            let activity = format!("{{4000{:04X}-0001-FB00-B63F-84710C7967BB}}", 0x200 + i);
            m.freb.push(files::freb_xml(&FrebFile {
                url: &format!("http://arr.contoso.com:80{path}"),
                app_pool: "DefaultAppPool",
                process_id: 5120,
                activity_id: &activity,
                status: m_status,
                time_taken_ms: m_taken as u64,
                computer: name,
                events: vec![
                    request_start(mt(0), path),
                    ev(
                        "GENERAL_REQUEST_HEADERS",
                        50,
                        "WWW Server",
                        mt(0),
                        vec![("Headers", headers)],
                    ),
                    ev(
                        "GENERAL_REQUEST_END",
                        2,
                        "WWW Server",
                        mt(m_taken),
                        vec![
                            ("BytesSent", "1442".into()),
                            ("BytesReceived", "512".into()),
                            ("HttpStatus", m_status.into()),
                            ("HttpSubStatus", "0".into()),
                        ],
                    ),
                ],
            }));
        }
        if let Some((m_status, m_win32, m_taken)) = o.member_log {
            let end = m_start + Duration::milliseconds(m_taken);
            let name_fields = if member == 0 {
                format!("W3SVC1 {name} ")
            } else {
                String::new()
            };
            m.log.push((end, format!(
                "{} {name_fields}{addr} GET {path} - 80 - {ARR_IP} {} - {m_status} 0 {m_win32} {m_taken}",
                files::w3c_time(end), files::w3c_value(UA)
            )));
        }
        if let Some(reason) = o.httperr {
            let end = m_start + Duration::milliseconds(o.member_freb.map_or(0, |(_, t)| t));
            m.httperr.push((
                end,
                format!(
                    "{} {ARR_IP} {} {addr} 80 HTTP/1.1 GET {path} - 1 {reason} DefaultAppPool",
                    files::w3c_time(end),
                    50_100 + i
                ),
            ));
        }
    }
    // Health checks every 10 s from ARR; WEB02 fails them in the 502.4 case.
    for (member, (name, addr, _)) in MEMBERS.iter().enumerate() {
        let offset = &offsets[member];
        for k in 0..3 {
            let end = base() + Duration::seconds(10 * k) + Duration::milliseconds(*offset + 3);
            let failing = !s.members_enabled[0] && member == 1;
            let status = if failing { 503 } else { 200 };
            let name_fields = if member == 0 {
                format!("W3SVC1 {name} ")
            } else {
                String::new()
            };
            members[member].log.push((end, format!("{} {name_fields}{addr} GET /health.htm - 80 - {ARR_IP} ARR/3.0 - {status} 0 0 2", files::w3c_time(end))));
        }
        // Idle connections HTTP.sys closed: in every real HTTPERR log, unrelated to requests.
        let idle = base() + Duration::seconds(118) + Duration::milliseconds(*offset);
        members[member].httperr.push((
            idle,
            format!(
                "{} {CLIENT_IP} 51000 {addr} 80 - - - - - Timer_ConnectionIdle -",
                files::w3c_time(idle)
            ),
        ));
    }
    let mut out = Vec::new();
    let iis = "Microsoft Internet Information Services 10.0";
    out.push((
        PathBuf::from("ARR01/W3SVC1/u_ex260210.log"),
        files::w3c_log(iis, base(), files::IIS_FIELDS, &arr.log),
    ));
    out.push((
        PathBuf::from("ARR01/HTTPERR/httperr1.log"),
        files::w3c_log(
            "Microsoft HTTP API 2.0",
            base(),
            files::HTTPERR_FIELDS,
            &arr.httperr,
        ),
    ));
    for (n, x) in arr.freb.into_iter().enumerate() {
        out.push((
            PathBuf::from(format!("ARR01/FailedReqLogFiles/W3SVC1/fr{:06}.xml", n + 1)),
            x,
        ));
    }
    let farm: Vec<Member> = MEMBERS
        .iter()
        .zip(s.members_enabled)
        .map(|((_, a, _), e)| Member {
            address: a,
            enabled: e,
        })
        .collect();
    out.push((
        PathBuf::from("ARR01/applicationHost.config"),
        files::application_host(Some((FARM, &farm, "00:00:30"))),
    ));
    for (member, m) in members.into_iter().enumerate() {
        let name = MEMBERS[member].0;
        let fields = if member == 0 {
            files::IIS_FIELDS_WITH_NAME
        } else {
            files::IIS_FIELDS
        };
        out.push((
            PathBuf::from(format!("{name}/W3SVC1/u_ex260210.log")),
            files::w3c_log(iis, base(), fields, &m.log),
        ));
        out.push((
            PathBuf::from(format!("{name}/HTTPERR/httperr1.log")),
            files::w3c_log(
                "Microsoft HTTP API 2.0",
                base(),
                files::HTTPERR_FIELDS,
                &m.httperr,
            ),
        ));
        for (n, x) in m.freb.into_iter().enumerate() {
            out.push((
                PathBuf::from(format!(
                    "{name}/FailedReqLogFiles/W3SVC1/fr{:06}.xml",
                    n + 1
                )),
                x,
            ));
        }
        out.push((
            PathBuf::from(format!("{name}/applicationHost.config")),
            files::application_host(None),
        ));
    }
    out
}

/// Writes every case folder under `dir` (`dir/case-healthy/ARR01/...`). Refuses, before
/// writing anything, when a case folder exists and `force` is false.
pub fn write_cases(dir: &Path, force: bool) -> io::Result<Vec<PathBuf>> {
    let all = case_scenarios();
    if !force && let Some(existing) = all.iter().map(|c| dir.join(c.name)).find(|p| p.exists()) {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} already exists; pass --force to overwrite the cases",
                existing.display()
            ),
        ));
    }
    let mut written = Vec::new();
    for s in &all {
        let root = dir.join(s.name);
        for (rel, bytes) in build_case(s) {
            let path = root.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| crate::with_path(e, "creating", parent))?;
            }
            std::fs::write(&path, bytes).map_err(|e| crate::with_path(e, "writing", &path))?;
        }
        written.push(root);
    }
    Ok(written)
}
