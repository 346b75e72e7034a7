//! ARR configuration from `applicationHost.config` (or a `web.config`): the server farms
//! (`<webFarms><webFarm>` with their members, health check and proxy protocol settings) and
//! the server-level `<system.webServer><proxy>`; also the sites (id, name, log folders),
//! which tell which `W3SVC<id>` folder belongs to which site.

use std::path::PathBuf;
use std::time::Duration;

use roxmltree::{Document, Node};

use crate::model::{Damage, Details, Lines, Location, Source, SourceKind, excerpt};

/// ARR's proxy time-out when nothing configures it.
pub const DEFAULT_PROXY_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FarmMember {
    pub address: String,
    pub enabled: bool,
    pub http_port: Option<u16>,
    pub https_port: Option<u16>,
    pub weight: Option<u32>,
    pub line: u32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct HealthCheck {
    pub url: String,
    pub interval: Option<Duration>,
    pub timeout: Option<Duration>,
    pub response_match: String,
    pub line: u32,
}

/// Proxy settings: the attributes of `<proxy>` or of a farm's `<protocol>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProxySettings {
    pub enabled: Option<bool>,
    pub timeout: Option<Duration>,
    pub keep_alive: Option<bool>,
    pub preserve_host_header: Option<bool>,
    pub reverse_rewrite_host_in_response_headers: Option<bool>,
    pub http_version: Option<String>,
    /// Every attribute as written.
    pub attributes: Vec<(String, String)>,
    pub line: u32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebFarm {
    pub name: String,
    pub enabled: bool,
    pub members: Vec<FarmMember>,
    pub health_check: Option<HealthCheck>,
    pub protocol: Option<ProxySettings>,
    pub load_balancing: Option<String>,
    pub line: u32,
}

impl WebFarm {
    /// The time-out ARR applies to this farm's requests: the farm's `<protocol timeout>`,
    /// else the server's `<proxy timeout>`, else 30 s.
    pub fn effective_timeout(&self, server_proxy: Option<&ProxySettings>) -> Duration {
        self.protocol
            .as_ref()
            .and_then(|p| p.timeout)
            .or_else(|| server_proxy.and_then(|p| p.timeout))
            .unwrap_or(DEFAULT_PROXY_TIMEOUT)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Site {
    pub id: u32,
    pub name: String,
    pub log_directory: Option<String>,
    pub freb_directory: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArrConfig {
    /// `applicationHost.config` (true) or a `web.config`.
    pub is_application_host: bool,
    pub proxy: Option<ProxySettings>,
    pub farms: Vec<WebFarm>,
    pub sites: Vec<Site>,
}

impl ArrConfig {
    /// The farm that has `address` as a member (address compared case-insensitively).
    pub fn farm_of(&self, address: &str) -> Option<&WebFarm> {
        self.farms.iter().find(|f| {
            f.members
                .iter()
                .any(|m| m.address.eq_ignore_ascii_case(address))
        })
    }

    /// The proxy time-out in force for requests routed to `address` (or the server's).
    pub fn timeout_for(&self, address: Option<&str>) -> Duration {
        match address.and_then(|a| self.farm_of(a)).or(self.farms.first()) {
            Some(f) => f.effective_timeout(self.proxy.as_ref()),
            None => self
                .proxy
                .as_ref()
                .and_then(|p| p.timeout)
                .unwrap_or(DEFAULT_PROXY_TIMEOUT),
        }
    }
}

/// Parses an IIS TimeSpan: `hh:mm:ss`, `d.hh:mm:ss`, optionally with `.fff` seconds.
pub fn parse_timespan(s: &str) -> Option<Duration> {
    let s = s.trim();
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 3 {
        return None;
    }
    let (days, hours) = match parts[0].split_once('.') {
        Some((d, h)) => (d.parse::<u64>().ok()?, h.parse::<u64>().ok()?),
        None => (0, parts[0].parse::<u64>().ok()?),
    };
    let minutes: u64 = parts[1].parse().ok()?;
    let seconds: f64 = parts[2].parse().ok()?;
    if minutes > 59 || !(0.0..60.0).contains(&seconds) || days > 10_000 {
        return None;
    }
    let whole = days * 86_400 + hours * 3600 + minutes * 60;
    Some(Duration::from_secs(whole) + Duration::from_secs_f64(seconds))
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

struct Reader {
    lines: Lines,
    damage: Vec<Damage>,
}

impl Reader {
    fn line(&self, n: Node) -> u32 {
        self.lines.line_at(n.range().start)
    }

    fn bool_attr(&mut self, n: Node, name: &str) -> Option<bool> {
        let v = n.attribute(name)?;
        let b = parse_bool(v);
        if b.is_none() {
            self.damage.push(Damage {
                at: Location::Line(self.line(n)),
                expected: format!("{name}=\"true\" or \"false\""),
                found: excerpt(v),
            });
        }
        b
    }

    fn span_attr(&mut self, n: Node, name: &str) -> Option<Duration> {
        let v = n.attribute(name)?;
        let d = parse_timespan(v);
        if d.is_none() {
            self.damage.push(Damage {
                at: Location::Line(self.line(n)),
                expected: format!("{name} as a time span hh:mm:ss"),
                found: excerpt(v),
            });
        }
        d
    }

    fn proxy(&mut self, n: Node) -> ProxySettings {
        ProxySettings {
            enabled: self.bool_attr(n, "enabled"),
            timeout: self.span_attr(n, "timeout"),
            keep_alive: self.bool_attr(n, "keepAlive"),
            preserve_host_header: self.bool_attr(n, "preserveHostHeader"),
            reverse_rewrite_host_in_response_headers: self
                .bool_attr(n, "reverseRewriteHostInResponseHeaders"),
            http_version: n.attribute("httpVersion").map(str::to_string),
            attributes: n
                .attributes()
                .map(|a| (a.name().to_string(), a.value().to_string()))
                .collect(),
            line: self.line(n),
        }
    }

    fn farm(&mut self, n: Node) -> WebFarm {
        let mut farm = WebFarm {
            name: n.attribute("name").unwrap_or("").to_string(),
            // IIS's schema default for webFarm/@enabled and server/@enabled is true.
            enabled: self.bool_attr(n, "enabled").unwrap_or(true),
            line: self.line(n),
            ..WebFarm::default()
        };
        for c in n.children().filter(Node::is_element) {
            match c.tag_name().name() {
                "server" => {
                    let arr =
                        elements(c).find(|x| x.tag_name().name() == "applicationRequestRouting");
                    let port = |name: &str| {
                        arr.and_then(|a| a.attribute(name))
                            .and_then(|p| p.parse().ok())
                    };
                    farm.members.push(FarmMember {
                        address: c.attribute("address").unwrap_or("").to_string(),
                        enabled: self.bool_attr(c, "enabled").unwrap_or(true),
                        http_port: port("httpPort"),
                        https_port: port("httpsPort"),
                        weight: arr
                            .and_then(|a| a.attribute("weight"))
                            .and_then(|w| w.parse().ok()),
                        line: self.line(c),
                    });
                }
                "applicationRequestRouting" => {
                    for a in elements(c) {
                        match a.tag_name().name() {
                            "healthCheck" => {
                                farm.health_check = Some(HealthCheck {
                                    url: a.attribute("url").unwrap_or("").to_string(),
                                    interval: self.span_attr(a, "interval"),
                                    timeout: self.span_attr(a, "timeout"),
                                    response_match: a
                                        .attribute("responseMatch")
                                        .unwrap_or("")
                                        .to_string(),
                                    line: self.line(a),
                                })
                            }
                            "protocol" => farm.protocol = Some(self.proxy(a)),
                            "loadBalancing" => {
                                farm.load_balancing = a.attribute("algorithm").map(str::to_string)
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        farm
    }
}

fn elements<'a, 'i>(n: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    n.children().filter(Node::is_element)
}

/// Parses a configuration file in memory. Never fails: problems are in `damage`.
pub fn parse(path: PathBuf, bytes: &[u8]) -> Source {
    let mut src = Source::new(path, SourceKind::Config);
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = String::from_utf8_lossy(bytes);
    let doc = match Document::parse(&text) {
        Ok(d) => d,
        Err(e) => {
            src.damage.push(Damage {
                at: Location::Line(e.pos().row),
                expected: "well-formed configuration XML".into(),
                found: excerpt(&e.to_string()),
            });
            src.details = Details::Config(Box::default());
            return src;
        }
    };
    let mut reader = Reader {
        lines: Lines::new(&text),
        damage: Vec::new(),
    };
    let mut cfg = ArrConfig::default();
    let root = doc.root_element();
    let (mut default_log, mut default_freb) = (None, None);
    if root.tag_name().name() != "configuration" {
        reader.damage.push(Damage {
            at: Location::Line(reader.line(root)),
            expected: "a <configuration> root element".into(),
            found: format!("<{}>", excerpt(root.tag_name().name())),
        });
    }
    for n in root.descendants().filter(Node::is_element) {
        let parent = n
            .parent_element()
            .map(|p| p.tag_name().name())
            .unwrap_or("");
        match (parent, n.tag_name().name()) {
            ("system.webServer", "proxy") => {
                // applicationHost's own <proxy> wins over one inside a <location>.
                let in_location = n.ancestors().any(|a| a.tag_name().name() == "location");
                if cfg.proxy.is_none() || !in_location {
                    cfg.proxy = Some(reader.proxy(n));
                }
            }
            ("webFarms", "webFarm") => {
                let farm = reader.farm(n);
                cfg.farms.push(farm);
            }
            ("sites", "site") => {
                let id = n.attribute("id").and_then(|i| i.parse().ok()).unwrap_or(0);
                let mut site = Site {
                    id,
                    name: n.attribute("name").unwrap_or("").into(),
                    ..Site::default()
                };
                for c in elements(n) {
                    match c.tag_name().name() {
                        "logFile" => site.log_directory = c.attribute("directory").map(Into::into),
                        "traceFailedRequestsLogging" => {
                            site.freb_directory = c.attribute("directory").map(Into::into)
                        }
                        _ => {}
                    }
                }
                cfg.sites.push(site);
            }
            ("sites", "siteDefaults") => {
                for c in elements(n) {
                    match c.tag_name().name() {
                        "logFile" => default_log = c.attribute("directory").map(String::from),
                        "traceFailedRequestsLogging" => {
                            default_freb = c.attribute("directory").map(String::from)
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    // <siteDefaults> applies to every site that does not say otherwise.
    for site in &mut cfg.sites {
        site.log_directory = site.log_directory.take().or_else(|| default_log.clone());
        site.freb_directory = site.freb_directory.take().or_else(|| default_freb.clone());
    }
    cfg.is_application_host = root.descendants().any(|n| {
        n.tag_name().name() == "configSections" || n.tag_name().name() == "system.applicationHost"
    });
    src.damage = reader.damage;
    src.details = Details::Config(Box::new(cfg));
    src
}

/// True when the text is an IIS configuration file (`<configuration>` root with IIS sections).
pub fn sniff(head: &str) -> bool {
    head.contains("<configuration")
        && (head.contains("system.webServer")
            || head.contains("system.applicationHost")
            || head.contains("webFarms")
            || head.contains("<configSections"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("00:00:30"), Some(Duration::from_secs(30)));
        assert_eq!(
            parse_timespan("1.00:02:00"),
            Some(Duration::from_secs(86_520))
        );
        assert_eq!(
            parse_timespan("00:00:01.5"),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_timespan("30"), None);
        assert_eq!(parse_timespan("00:61:00"), None);
    }
}
