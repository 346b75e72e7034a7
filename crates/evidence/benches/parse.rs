//! `cargo bench -p etlview-evidence --bench parse`: parsing speed of each evidence format
//! on generated inputs the size of a busy server's day (best of 3 runs).

use std::path::PathBuf;
use std::time::Instant;

use etlview_evidence::{SourceKind, parse_as};

fn iis_log(lines: usize) -> Vec<u8> {
    let mut s = String::from(
        "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2026-02-10 00:00:00\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n",
    );
    for i in 0..lines {
        let (h, m, sec) = (i / 3600 % 24, i / 60 % 60, i % 60);
        s.push_str(&format!(
            "2026-02-10 {h:02}:{m:02}:{sec:02} 192.168.0.216 GET /api/orders/{i} id={i}&x=1 80 - 192.168.0.{} Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+Chrome/121.0 https://shop.contoso.com/cart 200 0 0 {}\r\n",
            i % 250, i % 997
        ));
    }
    s.into_bytes()
}

fn freb(events: usize) -> Vec<u8> {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\r\n<failedRequest url=\"http://arr/time/\" statusCode=\"502.3\" timeTaken=\"29889\" xmlns:freb=\"http://schemas.microsoft.com/win/2006/06/iis/freb\">\r\n",
    );
    for i in 0..events {
        s.push_str(&format!("<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\r\n <System>\r\n  <Provider Name=\"WWW Server\" Guid=\"{{3A2A4E84-4C21-4981-AE10-3FDA0D9B0F83}}\"/>\r\n  <EventID>0</EventID>\r\n  <Level>5</Level>\r\n  <Opcode>4</Opcode>\r\n  <Keywords>0x100</Keywords>\r\n  <TimeCreated SystemTime=\"2026-02-10T22:40:{:02}.{:03}Z\"/>\r\n  <Correlation ActivityID=\"{{40000003-0001-FB00-B63F-84710C7967BB}}\"/>\r\n  <Execution ProcessID=\"7120\" ThreadID=\"2060\"/>\r\n  <Computer>ARR01</Computer>\r\n </System>\r\n <EventData>\r\n  <Data Name=\"ContextId\">{{40000003-0001-FB00-B63F-84710C7967BB}}</Data>\r\n  <Data Name=\"ModuleName\">ApplicationRequestRouting</Data>\r\n </EventData>\r\n <RenderingInfo Culture=\"en-US\">\r\n  <Opcode>NOTIFY_MODULE_START</Opcode>\r\n </RenderingInfo>\r\n</Event>\r\n", i / 1000 % 60, i % 1000));
    }
    s.push_str("</failedRequest>");
    s.into_bytes()
}

fn measure(name: &str, kind: SourceKind, bytes: &[u8]) {
    let mut best = f64::MAX;
    let mut records = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let src = parse_as(kind, PathBuf::from(name), bytes);
        best = best.min(t.elapsed().as_secs_f64());
        records = src.records.len();
        assert!(src.damage.is_empty());
    }
    println!(
        "{name:10} {:7.1} MB {records:8} records  {:7.3} s  {:6.1} MB/s  {:9.0} records/s",
        bytes.len() as f64 / 1e6,
        best,
        bytes.len() as f64 / 1e6 / best,
        records as f64 / best
    );
}

fn main() {
    measure("IIS log", SourceKind::IisLog, &iis_log(500_000));
    measure("FREB", SourceKind::Freb, &freb(20_000));
}
