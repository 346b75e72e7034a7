//! Writers of the evidence files as IIS and HTTP.sys write them: W3C logs (CRLF, directives,
//! `+` for spaces, `-` for empty), Failed Request Tracing XML and applicationHost.config.

use chrono::{DateTime, Utc};

/// The IIS 8.5+ default field list, with `s-computername` when the server logs it.
pub const IIS_FIELDS: &str = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";
pub const IIS_FIELDS_WITH_NAME: &str = "date time s-sitename s-computername s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";
pub const HTTPERR_FIELDS: &str = "date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename";

pub fn w3c_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

pub fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A W3C log: directives, then `lines` (each already joined with single spaces), CRLF.
pub fn w3c_log(
    software: &str,
    first: DateTime<Utc>,
    fields: &str,
    lines: &[(DateTime<Utc>, String)],
) -> Vec<u8> {
    let mut lines = lines.to_vec();
    // IIS writes a line when the request ends: the file is in end-time order.
    lines.sort_by_key(|(t, _)| *t);
    let mut out = format!(
        "#Software: {software}\r\n#Version: 1.0\r\n#Date: {}\r\n#Fields: {fields}\r\n",
        w3c_time(first)
    );
    for (_, l) in &lines {
        out.push_str(l);
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// A W3C value: empty as `-`, spaces as `+`.
pub fn w3c_value(v: &str) -> String {
    if v.is_empty() {
        "-".into()
    } else {
        v.replace(' ', "+")
    }
}

/// One `<Event>` of a FREB file.
pub struct FrebEvent {
    pub opcode: &'static str,
    pub opcode_value: u32,
    pub provider: &'static str,
    pub at: DateTime<Utc>,
    pub data: Vec<(&'static str, String)>,
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub struct FrebFile<'a> {
    pub url: &'a str,
    pub app_pool: &'a str,
    pub process_id: u32,
    pub activity_id: &'a str,
    pub status: &'a str,
    pub time_taken_ms: u64,
    pub computer: &'a str,
    pub events: Vec<FrebEvent>,
}

const WWW_SERVER_GUID: &str = "{3A2A4E84-4C21-4981-AE10-3FDA0D9B0F83}";
const ARR_GUID: &str = "{C5F2A29D-7E51-4A4E-A7D4-4A4BDD3F6E6B}";

pub fn freb_xml(f: &FrebFile) -> Vec<u8> {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\r\n<?xml-stylesheet type='text/xsl' href='freb.xsl'?>\r\n<!-- saved from url=(0014)about:internet -->\r\n",
    );
    out.push_str(&format!(
        "<failedRequest url=\"{}\"\r\n               siteId=\"1\"\r\n               appPoolId=\"{}\"\r\n               processId=\"{}\"\r\n               verb=\"GET\"\r\n               remoteUserName=\"\"\r\n               userName=\"\"\r\n               tokenUserName=\"NT AUTHORITY\\IUSR\"\r\n               authenticationType=\"anonymous\"\r\n               activityId=\"{}\"\r\n               failureReason=\"STATUS_CODE\"\r\n               statusCode=\"{}\"\r\n               triggerStatusCode=\"{}\"\r\n               timeTaken=\"{}\"\r\n               xmlns:freb=\"http://schemas.microsoft.com/win/2006/06/iis/freb\"\r\n               >\r\n",
        xml_escape(f.url), f.app_pool, f.process_id, f.activity_id, f.status, f.status, f.time_taken_ms
    ));
    for e in &f.events {
        let guid = if e.provider == "WWW Server" {
            WWW_SERVER_GUID
        } else {
            ARR_GUID
        };
        out.push_str(&format!(
            "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\r\n <System>\r\n  <Provider Name=\"{}\" Guid=\"{guid}\"/>\r\n  <EventID>0</EventID>\r\n  <Version>1</Version>\r\n  <Level>4</Level>\r\n  <Opcode>{}</Opcode>\r\n  <Keywords>0x0</Keywords>\r\n  <TimeCreated SystemTime=\"{}\"/>\r\n  <Correlation ActivityID=\"{}\"/>\r\n  <Execution ProcessID=\"{}\" ThreadID=\"2060\"/>\r\n  <Computer>{}</Computer>\r\n </System>\r\n <EventData>\r\n  <Data Name=\"ContextId\">{}</Data>\r\n",
            e.provider, e.opcode_value, iso(e.at), f.activity_id, f.process_id, f.computer, f.activity_id
        ));
        for (k, v) in &e.data {
            out.push_str(&format!(
                "  <Data Name=\"{k}\">{}</Data>\r\n",
                xml_escape(v)
            ));
        }
        out.push_str(&format!(
            " </EventData>\r\n <RenderingInfo Culture=\"en-US\">\r\n  <Opcode>{}</Opcode>\r\n </RenderingInfo>\r\n</Event>\r\n",
            e.opcode
        ));
    }
    out.push_str("</failedRequest>");
    out.into_bytes()
}

/// A farm member as the ARR server's configuration lists it.
pub struct Member<'a> {
    pub address: &'a str,
    pub enabled: bool,
}

/// applicationHost.config: the site, its log folders, and (for ARR) the proxy and the farm.
pub fn application_host(farm: Option<(&str, &[Member], &str)>) -> Vec<u8> {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<configuration>\r\n    <configSections>\r\n        <sectionGroup name=\"system.webServer\">\r\n            <section name=\"proxy\" overrideModeDefault=\"Deny\" allowDefinition=\"AppHostOnly\" />\r\n        </sectionGroup>\r\n        <section name=\"webFarms\" overrideModeDefault=\"Deny\" allowDefinition=\"AppHostOnly\" />\r\n    </configSections>\r\n    <system.applicationHost>\r\n        <sites>\r\n            <site name=\"Default Web Site\" id=\"1\">\r\n                <bindings>\r\n                    <binding protocol=\"http\" bindingInformation=\"*:80:\" />\r\n                </bindings>\r\n            </site>\r\n            <siteDefaults>\r\n                <logFile logFormat=\"W3C\" directory=\"%SystemDrive%\\inetpub\\logs\\LogFiles\" />\r\n                <traceFailedRequestsLogging directory=\"%SystemDrive%\\inetpub\\logs\\FailedReqLogFiles\" />\r\n            </siteDefaults>\r\n        </sites>\r\n    </system.applicationHost>\r\n    <system.webServer>\r\n",
    );
    if farm.is_some() {
        out.push_str("        <proxy enabled=\"true\" preserveHostHeader=\"true\" reverseRewriteHostInResponseHeaders=\"false\" />\r\n");
    }
    out.push_str("    </system.webServer>\r\n");
    if let Some((name, members, timeout)) = farm {
        out.push_str(&format!(
            "    <webFarms>\r\n        <webFarm name=\"{name}\" enabled=\"true\">\r\n"
        ));
        for m in members {
            out.push_str(&format!(
                "            <server address=\"{}\" enabled=\"{}\">\r\n                <applicationRequestRouting httpPort=\"80\" />\r\n            </server>\r\n",
                m.address, m.enabled
            ));
        }
        out.push_str(&format!(
            "            <applicationRequestRouting>\r\n                <healthCheck url=\"http://{name}/health.htm\" interval=\"00:00:10\" responseMatch=\"OK\" />\r\n                <protocol timeout=\"{timeout}\" keepAlive=\"true\" />\r\n                <loadBalancing algorithm=\"WeightedRoundRobin\" />\r\n            </applicationRequestRouting>\r\n        </webFarm>\r\n    </webFarms>\r\n"
        ));
    }
    out.push_str("</configuration>\r\n");
    out.into_bytes()
}
