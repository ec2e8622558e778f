//! Searching the log: by session, rule, decision, kind and time.

use rusqlite::types::Value as SqlValue;

use crate::log::{row_to_record, AuditReader};
use crate::record::{Kind, Record};
use crate::AuditError;

/// Which records to return. Empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this session.
    pub session: Option<String>,
    /// Only records naming this rule (in the body's `rules`).
    pub rule: Option<String>,
    /// Only records with this decision (the body's `decision`).
    pub decision: Option<String>,
    /// Only this kind.
    pub kind: Option<Kind>,
    /// Only records at or after this time (ms since the epoch).
    pub since: Option<i64>,
    /// Only records before this time (ms since the epoch).
    pub until: Option<i64>,
    /// Only records after this sequence number.
    pub after_seq: Option<u64>,
    /// At most this many records: the latest ones when `latest` is set, else the first ones.
    pub limit: Option<usize>,
    /// Return the last `limit` records instead of the first.
    pub latest: bool,
}

impl AuditReader {
    /// The records matching `filter`, in chain order.
    pub fn search(&self, filter: &Filter) -> Result<Vec<Record>, AuditError> {
        let mut out = Vec::new();
        self.for_each(filter, |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    /// Call `f` on each record matching `filter`, in chain order, without holding them all.
    pub fn for_each(
        &self,
        filter: &Filter,
        mut f: impl FnMut(Record) -> Result<(), AuditError>,
    ) -> Result<(), AuditError> {
        let mut clauses: Vec<&str> = Vec::new();
        let mut params: Vec<SqlValue> = Vec::new();
        if let Some(s) = &filter.session {
            clauses.push("session = ?");
            params.push(SqlValue::Text(s.clone()));
        }
        if let Some(r) = &filter.rule {
            clauses.push(
                "EXISTS (SELECT 1 FROM json_each(records.body, '$.rules') j WHERE j.value = ?)",
            );
            params.push(SqlValue::Text(r.clone()));
        }
        if let Some(d) = &filter.decision {
            clauses.push("json_extract(records.body, '$.decision') = ?");
            params.push(SqlValue::Text(d.clone()));
        }
        if let Some(k) = filter.kind {
            clauses.push("kind = ?");
            params.push(SqlValue::Text(k.as_str().to_string()));
        }
        if let Some(t) = filter.since {
            clauses.push("time >= ?");
            params.push(SqlValue::Integer(t));
        }
        if let Some(t) = filter.until {
            clauses.push("time < ?");
            params.push(SqlValue::Integer(t));
        }
        if let Some(s) = filter.after_seq {
            clauses.push("seq > ?");
            params.push(SqlValue::Integer(i64::try_from(s).unwrap_or(i64::MAX)));
        }
        let mut sql =
            String::from("SELECT seq, time, kind, session, body, prev_hash, hash FROM records");
        if !clauses.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&clauses.join(" AND "));
        }
        let limit = filter
            .limit
            .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        if filter.latest {
            sql = format!("SELECT * FROM ({sql} ORDER BY seq DESC LIMIT {limit}) ORDER BY seq");
        } else {
            sql.push_str(&format!(" ORDER BY seq LIMIT {limit}"));
        }
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        while let Some(row) = rows.next()? {
            f(row_to_record(row)?)?;
        }
        Ok(())
    }
}
