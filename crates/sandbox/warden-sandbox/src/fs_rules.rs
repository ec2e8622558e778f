//! The Landlock ruleset: read everything the split tree grants, write only the writable roots,
//! list any directory (names only). Built in the parent; the child only calls
//! `landlock_restrict_self` with the ruleset's descriptor.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use landlock::{
    Access, AccessFs, BitFlags, CompatLevel, Compatible, PathBeneath, Ruleset, RulesetAttr,
    RulesetCreatedAttr, Scope, ABI,
};

use crate::error::SandboxError;

/// The ABI the ruleset is written for.
pub const TARGET_ABI: ABI = ABI::V7;

/// Device files and directories every shell needs to write.
pub const DEV_WRITABLE: [&str; 9] = [
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/pts",
    "/dev/shm",
];

/// A ruleset ready for `landlock_restrict_self`, and what the kernel could not enforce.
#[derive(Debug)]
pub struct Built {
    /// The ruleset descriptor; `None` when the kernel has no Landlock.
    pub fd: Option<OwnedFd>,
    /// The kernel's Landlock ABI (0: none).
    pub abi: i32,
    /// Rights or scopes the kernel's ABI lacks, in words.
    pub missing: Vec<String>,
    /// Number of rules added.
    pub rules: usize,
}

/// The running kernel's Landlock ABI version, 0 when Landlock is off or absent.
#[allow(unsafe_code)]
pub fn kernel_abi() -> i32 {
    // SAFETY: landlock_create_ruleset with a null attribute, size 0 and the VERSION flag only
    // returns the ABI version (or -1); it reads and writes no memory.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            1u32,
        )
    };
    i32::try_from(v).unwrap_or(0).max(0)
}

fn describe(a: AccessFs) -> &'static str {
    match a {
        AccessFs::Refer => "links and renames across directories (ABI 2)",
        AccessFs::Truncate => "truncating files (ABI 3)",
        AccessFs::IoctlDev => "device ioctls (ABI 5)",
        AccessFs::ResolveUnix => "connecting to Unix sockets by path (ABI 9)",
        _ => "basic file access (ABI 1)",
    }
}

/// What the kernel's ABI cannot enforce of what [`TARGET_ABI`] asks for.
pub fn missing_rights(abi: i32) -> Vec<String> {
    let have = ABI::from(abi);
    if abi <= 0 {
        return vec!["every file-system restriction (no Landlock in this kernel)".into()];
    }
    let mut out: Vec<String> = (AccessFs::from_all(TARGET_ABI) & !AccessFs::from_all(have))
        .iter()
        .map(|a| describe(a).to_string())
        .collect();
    if (Scope::from_all(TARGET_ABI) & !Scope::from_all(have)) != BitFlags::EMPTY {
        out.push("signals and abstract Unix sockets leaving the sandbox (ABI 6)".into());
    }
    out.dedup();
    out
}

fn ll(e: impl std::fmt::Display) -> SandboxError {
    SandboxError::Landlock(e.to_string())
}

/// Build the ruleset: `read` subtrees readable and executable, `write` subtrees writable too,
/// and every directory listable.
pub fn build(read: &[PathBuf], write: &[PathBuf]) -> Result<Built, SandboxError> {
    let abi = kernel_abi();
    let missing = missing_rights(abi);
    if abi <= 0 {
        return Ok(Built {
            fd: None,
            abi,
            missing,
            rules: 0,
        });
    }
    let all = AccessFs::from_all(TARGET_ABI);
    let read_access = AccessFs::from_read(TARGET_ABI);
    let mut created = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(all)
        .map_err(ll)?
        .scope(Scope::from_all(TARGET_ABI))
        .map_err(ll)?
        .create()
        .map_err(ll)?;
    let mut rules = 0;
    let mut add = |created: landlock::RulesetCreated, path: &Path, access: BitFlags<AccessFs>| {
        // O_NOFOLLOW: a rule lands on the entry the walk saw, never on where a link (swapped
        // in since) would lead.
        use rustix::fs::{FileType, Mode, OFlags};
        let Ok(fd) = rustix::fs::open(
            path,
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        ) else {
            return Ok(created);
        };
        let is_dir = rustix::fs::fstat(&fd)
            .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Directory);
        let access = if is_dir {
            access
        } else {
            access & AccessFs::from_file(TARGET_ABI)
        };
        rules += 1;
        created.add_rule(PathBeneath::new(fd, access)).map_err(ll)
    };
    created = add(created, Path::new("/"), AccessFs::ReadDir.into())?;
    for p in read {
        created = add(created, p, read_access)?;
    }
    for p in write
        .iter()
        .map(PathBuf::as_path)
        .chain(DEV_WRITABLE.iter().map(Path::new))
    {
        created = add(created, p, all)?;
    }
    let fd: Option<OwnedFd> = created.into();
    Ok(Built {
        fd,
        abi,
        missing,
        rules,
    })
}
