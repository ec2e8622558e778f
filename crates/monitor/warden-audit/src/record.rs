//! Records and the hash that chains them.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The previous hash of the first record.
pub const GENESIS: [u8; 32] = [0; 32];

/// What a record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Something the agent reported (a prompt, a tool result, a session start or end).
    Event,
    /// A gate decision.
    Decision,
    /// An approval requested or answered, or a grant used.
    Approval,
    /// An administrative action (halt, resume, policy reload, daemon start and stop).
    Admin,
}

impl Kind {
    /// The name stored in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Event => "event",
            Kind::Decision => "decision",
            Kind::Approval => "approval",
            Kind::Admin => "admin",
        }
    }

    /// The kind named `s`.
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "event" => Some(Kind::Event),
            "decision" => Some(Kind::Decision),
            "approval" => Some(Kind::Approval),
            "admin" => Some(Kind::Admin),
            _ => None,
        }
    }
}

/// A record to append: the log assigns its sequence number, time and hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    /// What it is about.
    pub kind: Kind,
    /// The agent session it belongs to.
    pub session: Option<String>,
    /// The JSON body, as text (serialised by the caller, off the writer's thread).
    pub body: String,
}

impl NewRecord {
    /// A record with `body` serialised to JSON.
    pub fn new(
        kind: Kind,
        session: Option<String>,
        body: &impl Serialize,
    ) -> Result<Self, serde_json::Error> {
        Ok(NewRecord {
            kind,
            session,
            body: serde_json::to_string(body)?,
        })
    }
}

/// A stored record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// Position in the chain, from 1, without gaps.
    pub seq: u64,
    /// When it was appended, in milliseconds since the epoch.
    pub time: i64,
    /// What it is about.
    pub kind: String,
    /// The session it belongs to.
    pub session: Option<String>,
    /// The JSON body, exactly as hashed.
    pub body: String,
    /// The hash of the record before it.
    #[serde(with = "hex_bytes")]
    pub prev_hash: Vec<u8>,
    /// This record's hash.
    #[serde(with = "hex_bytes")]
    pub hash: Vec<u8>,
}

impl Record {
    /// The hash this record should have, from its own fields.
    pub fn computed_hash(&self) -> [u8; 32] {
        chain_hash(
            self.seq,
            self.time,
            &self.kind,
            self.session.as_deref(),
            &self.body,
            &self.prev_hash,
        )
    }

    /// The record as one JSON object, the body parsed (kept as text if it is not JSON).
    pub fn to_json(&self) -> serde_json::Value {
        let body = serde_json::from_str(&self.body)
            .unwrap_or_else(|_| serde_json::Value::String(self.body.clone()));
        serde_json::json!({
            "seq": self.seq,
            "time": crate::format_time(self.time),
            "kind": self.kind,
            "session": self.session,
            "body": body,
            "prev_hash": hex::encode(&self.prev_hash),
            "hash": hex::encode(&self.hash),
        })
    }
}

mod hex_bytes {
    pub fn serialize<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(b))
    }
}

/// SHA-256 over the canonical encoding of a record's fields: a domain tag, then each field
/// length-prefixed (big-endian), so no two different records encode alike.
pub fn chain_hash(
    seq: u64,
    time: i64,
    kind: &str,
    session: Option<&str>,
    body: &str,
    prev: &[u8],
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"warden-audit-record-v1\0");
    let field = |h: &mut Sha256, b: &[u8]| {
        h.update((b.len() as u64).to_be_bytes());
        h.update(b);
    };
    field(&mut h, prev);
    h.update(seq.to_be_bytes());
    h.update(time.to_be_bytes());
    field(&mut h, kind.as_bytes());
    match session {
        Some(s) => {
            h.update([1]);
            field(&mut h, s.as_bytes());
        }
        None => h.update([0]),
    }
    field(&mut h, body.as_bytes());
    h.finalize().into()
}
