//! The commands that look things up without opening a trace: `etlview fields` (the field
//! registry) and `etlview err` (the error-code table, as err.exe).

use std::io::{self, Write};

use super::{CliError, Outcome, streams};

pub(super) fn run_fields(pattern: Option<&str>, json: bool) -> Result<Outcome, CliError> {
    use crate::fields::registry;
    let fields = registry::matching(pattern);
    let mut out = io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &fields)?;
        writeln!(out)?;
    } else {
        for f in &fields {
            let unit = f.unit.map(|u| format!(" ({u})")).unwrap_or_default();
            let ty = format!(
                "{}{unit}",
                serde_json::to_value(f.ty)?.as_str().unwrap_or("")
            );
            let layer = serde_json::to_value(f.layer)?;
            writeln!(
                out,
                "{:<28} {:<18} {:<10} {}",
                f.name,
                ty,
                layer.as_str().unwrap_or(""),
                f.description
            )?;
            if !f.aliases.is_empty() {
                writeln!(out, "{:<28} also: {}", "", f.aliases.join(", "))?;
            }
        }
    }
    Ok(if fields.is_empty() {
        Outcome::NothingMatched
    } else {
        Outcome::Ok
    })
}

pub(super) fn run_err(codes: &[String], json: bool) -> Result<Outcome, CliError> {
    use decode::errors;
    let mut out = streams::stdout()?;
    let mut any = false;
    let mut all = serde_json::Map::new();
    for code in codes {
        let matches = errors::lookup_arg(code)
            .map_err(|e| CliError(format!("cannot read error code `{code}`: {e}")))?;
        any |= !matches.is_empty();
        if matches.is_empty()
            && let Ok(errors::ErrQuery::Symbol(name)) = errors::parse_err_arg(code)
        {
            match errors::closest_symbol(name) {
                Some(close) => {
                    eprintln!("etlview: no error name contains `{name}`: did you mean {close}?")
                }
                None => eprintln!("etlview: no error name contains `{name}`"),
            }
        }
        if json {
            all.insert(code.clone(), serde_json::to_value(&matches)?);
        } else {
            out.write_all(errors::render_err(code, &matches).as_bytes())?;
        }
    }
    if json {
        crate::export::json::to_writer_pretty(&mut out, &all)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(if any {
        Outcome::Ok
    } else {
        Outcome::NothingMatched
    })
}
