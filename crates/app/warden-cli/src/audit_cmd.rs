//! `warden audit verify | tail | search | export`: read the log directly (no monitor needed).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{anyhow, Result};
use warden_audit::{AuditReader, Filter, Kind, Record};

use crate::cli::{AuditCommand, ExportFormat, FilterArgs};
use crate::exit::Code;

fn dir(d: Option<PathBuf>) -> PathBuf {
    d.unwrap_or_else(warden_daemon::default_state_dir)
}

fn time(s: &str) -> Result<i64> {
    if let Ok(t) = humantime::parse_rfc3339_weak(s) {
        let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        return Ok(i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    }
    let ago = crate::cli::duration(s).map_err(|e| anyhow!("{e}; or an RFC 3339 time"))?;
    Ok(warden_audit::now_ms() - i64::try_from(ago.as_millis()).unwrap_or(i64::MAX))
}

fn filter(f: &FilterArgs) -> Result<Filter> {
    Ok(Filter {
        session: f.session.clone(),
        rule: f.rule.clone(),
        decision: f.decision.clone(),
        kind: match &f.kind {
            Some(k) => Some(Kind::parse(k).ok_or_else(|| {
                anyhow!("`{k}` is not a kind (event, decision, approval, admin)")
            })?),
            None => None,
        },
        since: f.since.as_deref().map(time).transpose()?,
        until: f.until.as_deref().map(time).transpose()?,
        ..Filter::default()
    })
}

/// One line for humans.
fn line(r: &Record) -> String {
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
    let what = ["decision", "op", "event"]
        .iter()
        .filter_map(|k| {
            body.get(*k)
                .and_then(|v| v.as_str())
                .map(|v| format!("{k}={v}"))
        })
        .collect::<Vec<_>>()
        .join(" ");
    let tool = body
        .get("tool")
        .and_then(|v| v.as_str())
        .map(|t| format!(" tool={t}"))
        .unwrap_or_default();
    let rules = body
        .get("rules")
        .and_then(|v| v.as_array())
        .filter(|a| !a.is_empty())
        .map(|a| {
            format!(
                " rules={}",
                a.iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            )
        })
        .unwrap_or_default();
    format!(
        "{:>8}  {}  {:<8}  {}  {what}{tool}{rules}",
        r.seq,
        warden_audit::format_time(r.time),
        r.kind,
        r.session.as_deref().unwrap_or("-"),
    )
}

/// Run an audit command.
pub fn run(cmd: AuditCommand) -> Result<Code> {
    match cmd {
        AuditCommand::Verify {
            state_dir,
            public_key,
            witness,
            json,
        } => {
            let report =
                warden_audit::verify_with(&dir(state_dir), public_key.as_deref(), &witness)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                for p in &report.problems {
                    println!("DAMAGED record {}: {}", p.seq, p.message);
                }
                for w in &report.warnings {
                    eprintln!("note: {w}");
                }
                println!(
                    "{}: {} records, head {}, {} checkpoint(s), sealed up to {}",
                    if report.ok() { "ok" } else { "FAILED" },
                    report.records,
                    report.head,
                    report.checkpoints,
                    report.sealed
                );
            }
            Ok(if report.ok() { Code::Ok } else { Code::Failed })
        }
        AuditCommand::Tail {
            state_dir,
            lines,
            follow,
            filter: f,
        } => {
            let reader = AuditReader::open(&dir(state_dir))?;
            let mut flt = filter(&f)?;
            flt.limit = Some(lines);
            flt.latest = true;
            let mut last = 0;
            for r in reader.search(&flt)? {
                println!("{}", line(&r));
                last = r.seq;
            }
            if !follow {
                return Ok(Code::Ok);
            }
            loop {
                std::thread::sleep(std::time::Duration::from_millis(500));
                let mut next = filter(&f)?;
                next.after_seq = Some(last);
                for r in reader.search(&next)? {
                    println!("{}", line(&r));
                    last = r.seq;
                }
                std::io::stdout().flush()?;
            }
        }
        AuditCommand::Search {
            state_dir,
            limit,
            filter: f,
        } => {
            let reader = AuditReader::open(&dir(state_dir))?;
            let mut flt = filter(&f)?;
            flt.limit = limit;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            reader.for_each(&flt, |r| {
                writeln!(out, "{}", r.to_json()).map_err(|e| warden_audit::AuditError::Io {
                    path: "stdout".into(),
                    source: e,
                })
            })?;
            out.flush()?;
            Ok(Code::Ok)
        }
        AuditCommand::Call {
            tool_use_id,
            session,
            state_dir,
            json,
        } => crate::audit_call::show(&dir(state_dir), &tool_use_id, session, json),
        AuditCommand::Export {
            state_dir,
            format,
            filter: f,
        } => {
            let reader = AuditReader::open(&dir(state_dir))?;
            let flt = filter(&f)?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            reader.for_each(&flt, |r| {
                let v = match format {
                    ExportFormat::Jsonl => r.to_json(),
                    ExportFormat::Ocsf => warden_audit::ocsf_event(&r),
                };
                writeln!(out, "{v}").map_err(|e| warden_audit::AuditError::Io {
                    path: "stdout".into(),
                    source: e,
                })
            })?;
            out.flush()?;
            Ok(Code::Ok)
        }
    }
}
