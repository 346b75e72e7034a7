//! A case folder as people collect it: one folder per server holding `W3SVC*/u_ex*.log`,
//! `FailedReqLogFiles/W3SVC*/fr*.xml`, `HTTPERR/httperr*.log`, `applicationHost.config`,
//! `*.etl` and `*.cab`. Every file is recognised by its content; each is attributed to a
//! server by what the file itself says (`s-computername`, FREB `<Computer>`, net.cab facts),
//! else by the best that the other files of its server folder say (a name before an
//! `s-ip` address), else by the folder's name.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::model::{Attribution, ServerGuess, Source, SourceKind};
use crate::{Error, SNIFF_LEN, parse_as, sniff};

/// Folders deeper than this under the case root are not walked (a loop or a whole disk).
const MAX_DEPTH: usize = 8;
/// Files more than this are not opened (a case is tens to thousands of files).
const MAX_FILES: usize = 100_000;

/// One server of the case and the addresses it is known by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub name: String,
    /// The top folder its files were collected in, if any.
    pub folder: Option<PathBuf>,
    /// `s-ip` values of its logs, adapter addresses in its net.cab, its folder name.
    pub addresses: Vec<String>,
}

impl Server {
    /// True when `who` (an address or host name, as ARR_SERVER_ROUTED or a farm member
    /// gives it) names this server: same address, same name, or the name's first label.
    pub fn answers_to(&self, who: &str) -> bool {
        let who = who.trim();
        let host = who.split('.').next().unwrap_or(who);
        let is_ip = who.parse::<std::net::IpAddr>().is_ok();
        self.addresses.iter().any(|a| a.eq_ignore_ascii_case(who))
            || self.name.eq_ignore_ascii_case(who)
            || (!is_ip && self.name.eq_ignore_ascii_case(host))
    }
}

/// Everything found under the case folders.
#[derive(Debug, Clone, Default)]
pub struct Case {
    pub roots: Vec<PathBuf>,
    /// Every recognised file, parsed (ETL traces listed with an empty record list).
    pub sources: Vec<Source>,
    pub servers: Vec<Server>,
    /// Files not recognised or not readable, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
}

impl Case {
    /// The server named `name`.
    pub fn server(&self, name: &str) -> Option<&Server> {
        self.servers
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }

    /// The server that answers to an address or host name.
    pub fn server_for(&self, who: &str) -> Option<&Server> {
        self.servers.iter().find(|s| s.answers_to(who))
    }

    /// The sources of one server, of one kind.
    pub fn sources_of<'a>(
        &'a self,
        server: &'a str,
        kind: SourceKind,
    ) -> impl Iterator<Item = &'a Source> + 'a {
        self.sources
            .iter()
            .filter(move |s| s.kind == kind && s.server_name().eq_ignore_ascii_case(server))
    }
}

/// Opens every evidence file under the given folders (or files).
pub fn discover(paths: &[PathBuf]) -> Result<Case, Error> {
    let mut case = Case {
        roots: paths.to_vec(),
        ..Case::default()
    };
    // (source, top folder under its root)
    let mut found: Vec<(Source, Option<PathBuf>)> = Vec::new();
    for root in paths {
        let meta = std::fs::metadata(root).map_err(|source| Error::Io {
            path: root.clone(),
            source,
        })?;
        let mut files = Vec::new();
        if meta.is_dir() {
            walk(root, 0, &mut files, &mut case.skipped);
        } else {
            files.push(root.clone());
        }
        files.sort();
        for file in files {
            if found.len() >= MAX_FILES {
                case.skipped
                    .push((file, format!("more than {MAX_FILES} files in the case")));
                continue;
            }
            let top = top_folder(root, &file);
            match open_one(&file) {
                Ok(src) => found.push((src, top)),
                Err(reason) => case.skipped.push((file, reason)),
            }
        }
    }
    attribute(&mut found);
    case.servers = servers_of(&found);
    case.sources = found.into_iter().map(|(s, _)| s).collect();
    Ok(case)
}

fn walk(dir: &Path, depth: usize, files: &mut Vec<PathBuf>, skipped: &mut Vec<(PathBuf, String)>) {
    if depth > MAX_DEPTH {
        skipped.push((
            dir.to_path_buf(),
            format!("deeper than {MAX_DEPTH} folders"),
        ));
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            skipped.push((dir.to_path_buf(), e.to_string()));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // Symbolic links are not followed: a link back up would loop.
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, depth + 1, files, skipped),
            Ok(t) if t.is_file() => files.push(path),
            _ => {}
        }
    }
}

/// The first folder under `root` on the way to `file` (the server folder).
fn top_folder(root: &Path, file: &Path) -> Option<PathBuf> {
    let rel = file.strip_prefix(root).ok()?;
    let mut comps = rel.components();
    let first = comps.next()?;
    comps.next()?; // the file itself is not a folder
    Some(root.join(first))
}

fn open_one(path: &Path) -> Result<Source, String> {
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut head = Vec::with_capacity(SNIFF_LEN);
    (&mut file)
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|e| e.to_string())?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let kind = sniff(&head, &name).ok_or_else(|| "not a recognised evidence file".to_string())?;
    if kind == SourceKind::Etl {
        return Ok(parse_as(kind, path.to_path_buf(), &[]));
    }
    crate::open(path).map_err(|e| e.to_string())
}

fn is_name_grade(how: Attribution) -> bool {
    matches!(
        how,
        Attribution::ComputerNameField | Attribution::FrebComputer | Attribution::NetCabFacts
    )
}

/// Gives each file a server. One folder is one server, so all the files of a server folder
/// get the best name any of them tells: a name (`s-computername`, FREB `<Computer>`, net.cab
/// `COMPUTERNAME`) before an address (`s-ip`); the folder's name when none tells anything.
/// A file's own name is kept; files outside server folders keep their own guess.
fn attribute(found: &mut [(Source, Option<PathBuf>)]) {
    let mut folder_best: Vec<(PathBuf, ServerGuess)> = Vec::new();
    for (src, top) in found.iter() {
        let (Some(top), Some(guess)) = (top, &src.server) else {
            continue;
        };
        match folder_best.iter_mut().find(|(f, _)| f == top) {
            Some((_, best)) if guess.how < best.how => *best = guess.clone(),
            Some(_) => {}
            None => folder_best.push((top.clone(), guess.clone())),
        }
    }
    for (src, top) in found.iter_mut() {
        if src.server.as_ref().is_some_and(|g| is_name_grade(g.how)) {
            continue;
        }
        let Some(top) = top else { continue };
        match folder_best.iter().find(|(f, _)| f == top) {
            Some((_, best)) if src.server.as_ref() == Some(best) => {}
            Some((_, best)) => {
                src.server = Some(ServerGuess {
                    name: best.name.clone(),
                    how: Attribution::SameFolder,
                })
            }
            None => {
                if let Some(name) = top.file_name() {
                    src.server = Some(ServerGuess {
                        name: name.to_string_lossy().into_owned(),
                        how: Attribution::FolderName,
                    });
                }
            }
        }
    }
}

fn servers_of(found: &[(Source, Option<PathBuf>)]) -> Vec<Server> {
    let mut servers: Vec<Server> = Vec::new();
    for (src, top) in found {
        let Some(guess) = &src.server else { continue };
        let idx = match servers
            .iter()
            .position(|s| s.name.eq_ignore_ascii_case(&guess.name))
        {
            Some(i) => i,
            None => {
                servers.push(Server {
                    name: guess.name.clone(),
                    folder: top.clone(),
                    addresses: Vec::new(),
                });
                servers.len() - 1
            }
        };
        let server = &mut servers[idx];
        let mut add = |a: &str| {
            let loopback = a
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
            if !a.is_empty()
                && !loopback
                && server.addresses.len() < 32
                && !server.addresses.iter().any(|x| x == a)
            {
                server.addresses.push(a.to_string());
            }
        };
        if let Some(name) = top.as_ref().and_then(|t| t.file_name()) {
            add(&name.to_string_lossy());
        }
        for r in src.records.iter().take(10_000) {
            if let Some(ip) = r.get("s-ip") {
                add(ip);
            }
        }
        if let Some(cab) = src.net_cab() {
            for a in cab.facts.adapters.iter().flat_map(|a| &a.addresses) {
                add(a);
            }
        }
    }
    servers
}
