//! What the kernel refused, as the kernel tells it. Landlock (ABI 7) logs every access it denies
//! to the audit subsystem: an `AUDIT_LANDLOCK_ACCESS` record per refusal (the domain, the
//! blocked rights, the path or port) and an `AUDIT_LANDLOCK_DOMAIN` record naming the process
//! that created the domain (our sandboxed child) and, later, its end.
//!
//! A [`LandlockLog`] joins the audit multicast group (it needs `CAP_AUDIT_READ`: the monitor in
//! the protected deployment, or root) and keeps the recent refusals by domain. Nobody but the
//! kernel writes these records, so a sandboxed command cannot hide a refusal or invent one; a
//! `warden exec` report only says which child (pid) belonged to which tool call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rustix::net::netlink::{self, SocketAddrNetlink};
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketType};
use serde::Serialize;

/// `AUDIT_GET`: read the audit status.
const AUDIT_GET: u16 = 1000;
/// `AUDIT_SET`: change it.
const AUDIT_SET: u16 = 1001;
/// `AUDIT_SYSCALL`: the system call of an event (names the program that was refused).
const SYSCALL: u16 = 1300;
/// `AUDIT_LANDLOCK_ACCESS`.
const LANDLOCK_ACCESS: u16 = 1423;
/// `AUDIT_LANDLOCK_DOMAIN`.
const LANDLOCK_DOMAIN: u16 = 1424;
/// `AUDIT_NLGRP_READLOG`, as a group mask.
const READLOG_GROUP: u32 = 1;
/// `AUDIT_STATUS_ENABLED`.
const STATUS_ENABLED: u32 = 1;
/// Domains kept at most; the oldest are dropped first.
const MAX_DOMAINS: usize = 4096;
/// Refusals kept per domain.
const MAX_DENIALS: usize = 64;
/// How long a domain's refusals are kept.
const KEEP: Duration = Duration::from_secs(600);

/// Why the kernel's audit log cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    /// The netlink audit socket could not be opened or joined.
    #[error("cannot read the kernel audit log ({0}); it needs CAP_AUDIT_READ (the protected deployment's monitor has it)")]
    Socket(std::io::Error),
    /// Audit could not be switched on.
    #[error("kernel audit is off and cannot be switched on ({0}); it needs CAP_AUDIT_CONTROL")]
    Enable(std::io::Error),
}

/// One access Landlock refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KernelRefusal {
    /// The rights that were missing (`fs.read_file`, `fs.write_file`, `fs.execute`...).
    pub blockers: Vec<String>,
    /// The object: a path, or `port N` for network refusals.
    pub object: String,
    /// The program that was refused (from the event's system call record, when audit has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// The audit event's serial number.
    #[serde(skip)]
    serial: u64,
}

impl KernelRefusal {
    /// In words, for facts and reasons: `read /home/u/.ssh/id_rsa`.
    pub fn describe(&self) -> String {
        let has = |p: &str| self.blockers.iter().any(|b| b.starts_with(p));
        let verb = if has("fs.execute") {
            "execute"
        } else if has("fs.read") || has("fs.ioctl_dev") {
            "read"
        } else if has("fs.make_") || has("fs.refer") {
            "create in"
        } else if has("fs.remove_") {
            "delete in"
        } else if has("fs.") {
            "write"
        } else if has("net.") {
            "connect"
        } else {
            "use"
        };
        match &self.program {
            Some(p) => format!("{verb} {} (by {p})", self.object),
            None => format!("{verb} {}", self.object),
        }
    }
}

/// A Landlock domain as the audit log told it.
#[derive(Debug, Clone, Default)]
struct Domain {
    pid: Option<u32>,
    exe: Option<String>,
    refusals: Vec<KernelRefusal>,
    /// Refusals beyond what is kept.
    dropped: u64,
    freed: bool,
    /// Its refusals were taken.
    claimed: bool,
    seen: Option<Instant>,
}

#[derive(Debug, Default)]
struct Domains {
    by_id: HashMap<String, Domain>,
}

impl Domains {
    fn entry(&mut self, id: &str) -> &mut Domain {
        if self.by_id.len() >= MAX_DOMAINS && !self.by_id.contains_key(id) {
            self.prune();
        }
        let d = self.by_id.entry(id.to_string()).or_default();
        d.seen = Some(Instant::now());
        d
    }

    fn prune(&mut self) {
        let now = Instant::now();
        self.by_id
            .retain(|_, d| d.seen.is_some_and(|s| now.duration_since(s) < KEEP));
        while self.by_id.len() >= MAX_DOMAINS {
            let oldest = self
                .by_id
                .iter()
                .min_by_key(|(_, d)| d.seen)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => self.by_id.remove(&k),
                None => break,
            };
        }
    }

    fn apply(&mut self, kind: u16, text: &str) {
        let fields = fields(text);
        if kind == SYSCALL {
            // Joins the refusals of the same event, if any (most events are not ours).
            if let (Some(serial), Some(exe)) = (serial(text), field(&fields, "exe")) {
                for d in self.by_id.values_mut() {
                    for r in d.refusals.iter_mut().rev().take(4) {
                        if r.serial == serial && r.program.is_none() {
                            r.program = Some(exe.to_string());
                        }
                    }
                }
            }
            return;
        }
        let Some(id) = field(&fields, "domain") else {
            return;
        };
        match kind {
            LANDLOCK_ACCESS => {
                let blockers: Vec<String> = field(&fields, "blockers")
                    .map(|b| b.split(',').map(str::to_string).collect())
                    .unwrap_or_default();
                let object = field(&fields, "path")
                    .map(str::to_string)
                    .or_else(|| field(&fields, "dest").map(|p| format!("port {p}")))
                    .unwrap_or_else(|| "(unnamed object)".into());
                let serial = serial(text).unwrap_or(0);
                let d = self.entry(id);
                if d.refusals.len() < MAX_DENIALS {
                    d.refusals.push(KernelRefusal {
                        blockers,
                        object,
                        program: None,
                        serial,
                    });
                } else {
                    d.dropped += 1;
                }
            }
            LANDLOCK_DOMAIN => {
                let status = field(&fields, "status").map(str::to_string);
                let pid = field(&fields, "pid").and_then(|p| p.parse().ok());
                let exe = field(&fields, "exe").map(str::to_string);
                let d = self.entry(id);
                match status.as_deref() {
                    Some("allocated") => {
                        d.pid = pid;
                        d.exe = exe;
                    }
                    Some("deallocated") => d.freed = true,
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

/// What the kernel refused in the domains one process created.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Observed {
    /// Each refusal, in the order the kernel logged them.
    pub refusals: Vec<KernelRefusal>,
    /// Refusals logged but not kept (more than [`MAX_DENIALS`] in a domain).
    pub dropped: u64,
    /// Whether the domain has ended (its record is complete).
    pub complete: bool,
}

/// Recent Landlock refusals, read from the kernel's audit log on a thread of its own.
#[derive(Debug, Clone)]
pub struct LandlockLog {
    domains: Arc<Mutex<Domains>>,
}

impl LandlockLog {
    /// Join the audit log. With `enable`, switch kernel audit on when it is off (Landlock logs
    /// nothing while audit is off). Fails without `CAP_AUDIT_READ`.
    pub fn start(enable: bool) -> Result<Self, ObserveError> {
        if enable {
            enable_audit()?;
        }
        let fd = rustix::net::socket(
            AddressFamily::NETLINK,
            SocketType::RAW,
            Some(netlink::AUDIT),
        )
        .map_err(|e| ObserveError::Socket(e.into()))?;
        rustix::net::bind(&fd, &SocketAddrNetlink::new(0, READLOG_GROUP))
            .map_err(|e| ObserveError::Socket(e.into()))?;
        let domains = Arc::new(Mutex::new(Domains::default()));
        let shared = domains.clone();
        std::thread::Builder::new()
            .name("warden-landlock-log".into())
            .spawn(move || read_loop(&fd, &shared))
            .map_err(ObserveError::Socket)?;
        Ok(Self { domains })
    }

    fn lock(&self) -> MutexGuard<'_, Domains> {
        // A poisoned lock only means a reader thread panicked mid-update; the map is still
        // a valid map of what was read.
        self.domains.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Domains with refusals that ended at least `grace` ago, each returned once: `(pid of
    /// the process that created it, its program, the refusals)`.
    pub fn unclaimed(&self, grace: Duration) -> Vec<(Option<u32>, Option<String>, Observed)> {
        let mut g = self.lock();
        let now = Instant::now();
        let mut out = Vec::new();
        for d in g.by_id.values_mut() {
            let old = d.seen.is_some_and(|s| now.duration_since(s) >= grace);
            if d.freed && !d.claimed && old && !d.refusals.is_empty() {
                d.claimed = true;
                out.push((
                    d.pid,
                    d.exe.clone(),
                    Observed {
                        refusals: d.refusals.clone(),
                        dropped: d.dropped,
                        complete: true,
                    },
                ));
            }
        }
        out
    }

    /// Feed one record (tests, and replays of a saved audit log).
    pub fn feed(&self, kind: u16, text: &str) {
        self.lock().apply(kind, text);
    }
}

fn read_loop(fd: &rustix::fd::OwnedFd, domains: &Mutex<Domains>) {
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match rustix::net::recv(fd, &mut buf[..], RecvFlags::empty()) {
            Ok((n, _)) => n,
            Err(rustix::io::Errno::INTR | rustix::io::Errno::NOBUFS) => continue,
            Err(_) => return,
        };
        let mut at = 0usize;
        while let Some((kind, body, next)) = message(buf.get(at..n).unwrap_or_default()) {
            if matches!(kind, LANDLOCK_ACCESS | LANDLOCK_DOMAIN | SYSCALL) {
                let text = String::from_utf8_lossy(body);
                let mut g = domains.lock().unwrap_or_else(|p| p.into_inner());
                g.apply(kind, &text);
            }
            at += next;
        }
    }
}

/// One netlink message at the start of `b`: its type, its payload, and the aligned length.
fn message(b: &[u8]) -> Option<(u16, &[u8], usize)> {
    let len = u32::from_ne_bytes(b.get(0..4)?.try_into().ok()?) as usize;
    let kind = u16::from_ne_bytes(b.get(4..6)?.try_into().ok()?);
    if len < 16 {
        return None;
    }
    let body = b.get(16..len.min(b.len())).unwrap_or_default();
    let body = body.split(|&c| c == 0).next().unwrap_or_default();
    Some((kind, body, len.next_multiple_of(4)))
}

/// `key=value` pairs of an audit record; quoted values lose their quotes, unquoted values that
/// are even-length hex (how audit writes untrusted strings holding spaces or quotes) decoded.
fn fields(text: &str) -> Vec<(&str, String)> {
    // Skip the `audit(TIME:SERIAL): ` prefix.
    let rest = text.split_once("): ").map_or(text, |(_, r)| r);
    let mut out = Vec::new();
    let mut s = rest;
    while let Some(eq) = s.find('=') {
        let key = s[..eq].trim();
        let after = &s[eq + 1..];
        let (value, tail) = if let Some(q) = after.strip_prefix('"') {
            match q.find('"') {
                Some(end) => (q[..end].to_string(), &q[end + 1..]),
                None => (q.to_string(), ""),
            }
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (unhex(&after[..end]), &after[end..])
        };
        out.push((key, value));
        s = tail.trim_start();
    }
    out
}

/// The serial number of `audit(TIME:SERIAL): ...`.
fn serial(text: &str) -> Option<u64> {
    let head = text.split_once("): ")?.0;
    head.rsplit_once(':')?.1.parse().ok()
}

fn field<'a>(fields: &'a [(&str, String)], key: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.as_str())
}

/// Audit writes an untrusted string with a space, quote or control byte as hex.
fn unhex(v: &str) -> String {
    let is_hex =
        v.len() >= 2 && v.len().is_multiple_of(2) && v.bytes().all(|c| c.is_ascii_hexdigit());
    // Numbers and ids are hex-looking too; only decode what decodes to a path.
    if is_hex && v.starts_with("2F") {
        let bytes: Option<Vec<u8>> = (0..v.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(v.get(i..i + 2)?, 16).ok())
            .collect();
        if let Some(b) = bytes {
            return String::from_utf8_lossy(&b).into_owned();
        }
    }
    v.to_string()
}

/// Switch kernel audit on when it is off.
fn enable_audit() -> Result<(), ObserveError> {
    let fd = rustix::net::socket(
        AddressFamily::NETLINK,
        SocketType::RAW,
        Some(netlink::AUDIT),
    )
    .map_err(|e| ObserveError::Enable(e.into()))?;
    let kernel = SocketAddrNetlink::new(0, 0);
    let status = request(&fd, &kernel, AUDIT_GET, &[]).map_err(ObserveError::Enable)?;
    // struct audit_status: mask, enabled, ...
    let enabled = status
        .get(4..8)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_ne_bytes);
    if enabled.is_some_and(|e| e != 0) {
        return Ok(());
    }
    let mut set = [0u8; 40];
    set[0..4].copy_from_slice(&STATUS_ENABLED.to_ne_bytes());
    set[4..8].copy_from_slice(&1u32.to_ne_bytes());
    request(&fd, &kernel, AUDIT_SET, &set).map_err(ObserveError::Enable)?;
    Ok(())
}

/// Send one audit request and return the payload of the answer (an error answer is an error).
fn request(
    fd: &rustix::fd::OwnedFd,
    kernel: &SocketAddrNetlink,
    kind: u16,
    payload: &[u8],
) -> std::io::Result<Vec<u8>> {
    const NLM_F_REQUEST: u16 = 1;
    const NLM_F_ACK: u16 = 4;
    const NLMSG_ERROR: u16 = 2;
    let len = u32::try_from(16 + payload.len()).unwrap_or(u32::MAX);
    let mut msg = Vec::with_capacity(16 + payload.len());
    msg.extend_from_slice(&len.to_ne_bytes());
    msg.extend_from_slice(&kind.to_ne_bytes());
    msg.extend_from_slice(&(NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
    msg.extend_from_slice(&1u32.to_ne_bytes());
    msg.extend_from_slice(&0u32.to_ne_bytes());
    msg.extend_from_slice(payload);
    rustix::net::sendto(fd, &msg, SendFlags::empty(), kernel)?;
    let mut buf = [0u8; 8192];
    loop {
        let (n, _) = rustix::net::recv(fd, &mut buf[..], RecvFlags::empty())?;
        let Some((t, body, _)) = message(buf.get(..n).unwrap_or_default()) else {
            return Err(std::io::Error::other("short audit answer"));
        };
        if t == NLMSG_ERROR {
            let raw = buf.get(16..20).and_then(|b| b.try_into().ok());
            let code = raw.map(i32::from_ne_bytes).unwrap_or(-libc::EIO);
            if code != 0 {
                return Err(std::io::Error::from_raw_os_error(-code));
            }
            // The acknowledgement of AUDIT_SET; AUDIT_GET's status follows its own ack.
            if kind == AUDIT_SET {
                return Ok(Vec::new());
            }
            continue;
        }
        return Ok(body.to_vec());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_join_by_domain() {
        let log = LandlockLog {
            domains: Arc::default(),
        };
        log.feed(
            LANDLOCK_ACCESS,
            r#"audit(1729738800.268:30): domain=195ba459b blockers=fs.read_file path="/home/u/.ssh/id_rsa" dev="vda2" ino=351"#,
        );
        log.feed(
            LANDLOCK_DOMAIN,
            r#"audit(1729738800.268:30): domain=195ba459b status=allocated mode=enforcing pid=300 uid=0 exe="/usr/bin/bash" comm="bash""#,
        );
        log.feed(
            SYSCALL,
            r#"audit(1729738800.268:30): arch=c000003e syscall=257 success=no exit=-13 pid=301 comm="cat" exe="/usr/bin/cat" key=(null)"#,
        );
        log.feed(
            LANDLOCK_ACCESS,
            "audit(1729738800.270:31): domain=195ba459b blockers=fs.make_reg path=2F686F6D652F752F6D7920726320 dev=\"vda2\" ino=9",
        );
        assert!(log.unclaimed(Duration::ZERO).is_empty(), "still running");
        log.feed(
            LANDLOCK_DOMAIN,
            "audit(1729738801.000:40): domain=195ba459b status=deallocated denials=2",
        );
        let mut ended = log.unclaimed(Duration::ZERO);
        assert_eq!(ended.len(), 1);
        let (pid, exe, o) = ended.remove(0);
        assert_eq!((pid, exe.as_deref()), (Some(300), Some("/usr/bin/bash")));
        assert!(o.complete);
        assert_eq!(
            o.refusals
                .iter()
                .map(KernelRefusal::describe)
                .collect::<Vec<_>>(),
            vec![
                "read /home/u/.ssh/id_rsa (by /usr/bin/cat)",
                "create in /home/u/my rc "
            ]
        );
        assert!(log.unclaimed(Duration::ZERO).is_empty(), "taken once");
    }

    #[test]
    fn malformed_records_are_ignored() {
        let mut d = Domains::default();
        d.apply(LANDLOCK_ACCESS, "garbage without fields");
        d.apply(LANDLOCK_ACCESS, "audit(1:2): domain=");
        d.apply(
            LANDLOCK_DOMAIN,
            "audit(1:2): domain=1 status=allocated pid=notanumber",
        );
        assert!(d.by_id.values().all(|x| x.pid.is_none()));
        assert!(message(&[1, 2, 3]).is_none());
    }
}
