//! [`RowSource`] over a timeline (each row names its trace file and computer), and the
//! traces' facts for the file metadata.

use std::net::IpAddr;

use super::{PacketColumns, RowSource, SourceInfo, SourceRow};
use crate::packet::{self, Transport};
use crate::timeline::{Source, Timeline};
use etl::{Event, ProviderId};

impl RowSource for Timeline {
    fn len(&self) -> usize {
        Timeline::len(self)
    }

    fn source_row(&self, frame: usize) -> Option<SourceRow> {
        let e = self.event(frame)?;
        Some(SourceRow {
            source: self.slot(frame).map_or(0, |slot| usize::from(slot.source)),
            row: self.row_of(&e),
            filetime: e.filetime,
            provider: e.header.provider,
            keyword: e.header.keyword,
            hook: e.header.hook_id,
            packet: packet_columns(self, &e),
        })
    }
}

/// Addresses, ports and protocol of a captured frame (NDIS / pktmon events only).
fn packet_columns(timeline: &Timeline, e: &Event) -> Option<PacketColumns> {
    let ProviderId::Guid(g) = e.header.provider else {
        return None;
    };
    if g != packet::NDIS_PROVIDER && g != packet::PKTMON_PROVIDER {
        return None;
    }
    let frame = packet::frame_of(timeline, e)?;
    let d = packet::dissect(&frame);
    let (src, dst, proto) = match (&d.ip, &d.arp) {
        (Some(ip), _) => (ip.source, ip.destination, ip.protocol.to_string()),
        (None, Some(arp)) => (
            IpAddr::V4(arp.sender_ip?),
            IpAddr::V4(arp.target_ip?),
            "ARP".to_string(),
        ),
        (None, None) => return None,
    };
    let (src_port, dst_port) = d
        .transport
        .as_ref()
        .and_then(Transport::ports)
        .map_or((None, None), |(s, d)| (Some(s), Some(d)));
    let ip_proto = match &d.transport {
        Some(Transport::Tcp { .. }) => "TCP".to_string(),
        Some(Transport::Udp { .. }) => "UDP".to_string(),
        Some(Transport::Icmp { v6: false, .. }) => "ICMP".to_string(),
        Some(Transport::Icmp { v6: true, .. }) => "ICMPv6".to_string(),
        None => proto,
    };
    Some(PacketColumns {
        src: src.to_string(),
        dst: dst.to_string(),
        src_port,
        dst_port,
        ip_proto,
    })
}

/// Each source's file and computer (`computer` stands in where the trace does not say),
/// and the traces' facts for the Parquet key-value metadata (under `etlview.`; prefixed by
/// the source's label when there are several).
pub fn source_info(timeline: &Timeline, computer: &str) -> SourceInfo {
    let several = timeline.sources().len() > 1;
    let mut info = SourceInfo::default();
    for source in timeline.sources() {
        let file = source.meta.path.display().to_string();
        let machine = source.meta.computer.as_deref().unwrap_or(computer);
        let prefix = if several {
            format!("{}.", source.meta.label)
        } else {
            String::new()
        };
        info.metadata
            .push((format!("{prefix}source_file"), file.clone()));
        info.metadata
            .push((format!("{prefix}computer"), machine.to_string()));
        for (key, value) in facts(source) {
            info.metadata.push((format!("{prefix}{key}"), value));
        }
        info.sources.push((file, machine.to_string()));
    }
    info
}

/// OS, logger, losses, clock, event count and damage of one trace.
fn facts(source: &Source) -> Vec<(&'static str, String)> {
    let trace = source.trace();
    let mut facts = Vec::new();
    if let Some(l) = trace.logfile() {
        facts.push((
            "os_version",
            format!(
                "{}.{} build {}",
                l.version & 0xFF,
                (l.version >> 8) & 0xFF,
                l.provider_version
            ),
        ));
        facts.push((
            "logger_name",
            etl::sanitize::for_terminal(&l.logger_name).into_owned(),
        ));
        facts.push(("events_lost", l.events_lost.to_string()));
        facts.push(("buffers_lost", l.buffers_lost.to_string()));
    }
    facts.push(("clock", trace.clock().kind.name().to_string()));
    facts.push(("events", trace.len().to_string()));
    let issues = trace.issues();
    let bytes: usize = issues.iter().map(|i| i.skipped_bytes).sum();
    let damage = if issues.is_empty() {
        "none".to_string()
    } else {
        let first = issues
            .iter()
            .take(3)
            .map(|i| etl::sanitize::for_terminal(&i.to_string()).into_owned())
            .collect::<Vec<_>>()
            .join("; ");
        format!(
            "{} damaged region(s) skipped, {bytes} bytes; first: {first}",
            issues.len()
        )
    };
    facts.push(("damage", damage));
    facts
}
