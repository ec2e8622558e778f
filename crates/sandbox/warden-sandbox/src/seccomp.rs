//! The seccomp filter: the escape hatches a coding command never needs. Each refused call
//! returns `EPERM` (so tools fail with a clear error instead of dying); `clone3` returns `ENOSYS`
//! because its flags live in memory a filter cannot read, and libc then falls back to `clone`,
//! whose flags the filter does check.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

use crate::error::SandboxError;

/// Syscalls refused outright, with what they would let a command do.
pub const DENIED: [(&str, libc::c_long); 33] = [
    ("ptrace", libc::SYS_ptrace),
    ("process_vm_readv", libc::SYS_process_vm_readv),
    ("process_vm_writev", libc::SYS_process_vm_writev),
    ("mount", libc::SYS_mount),
    ("umount2", libc::SYS_umount2),
    ("pivot_root", libc::SYS_pivot_root),
    ("chroot", libc::SYS_chroot),
    ("fsopen", libc::SYS_fsopen),
    ("fsmount", libc::SYS_fsmount),
    ("fsconfig", libc::SYS_fsconfig),
    ("fspick", libc::SYS_fspick),
    ("move_mount", libc::SYS_move_mount),
    ("open_tree", libc::SYS_open_tree),
    ("init_module", libc::SYS_init_module),
    ("finit_module", libc::SYS_finit_module),
    ("delete_module", libc::SYS_delete_module),
    ("kexec_load", libc::SYS_kexec_load),
    ("kexec_file_load", libc::SYS_kexec_file_load),
    ("keyctl", libc::SYS_keyctl),
    ("add_key", libc::SYS_add_key),
    ("request_key", libc::SYS_request_key),
    ("bpf", libc::SYS_bpf),
    ("perf_event_open", libc::SYS_perf_event_open),
    ("setns", libc::SYS_setns),
    ("open_by_handle_at", libc::SYS_open_by_handle_at),
    ("name_to_handle_at", libc::SYS_name_to_handle_at),
    ("userfaultfd", libc::SYS_userfaultfd),
    ("io_uring_setup", libc::SYS_io_uring_setup),
    ("swapon", libc::SYS_swapon),
    ("swapoff", libc::SYS_swapoff),
    ("reboot", libc::SYS_reboot),
    ("acct", libc::SYS_acct),
    ("quotactl", libc::SYS_quotactl),
];

/// The compiled filters, in the order they are installed.
#[derive(Debug, Clone)]
pub struct Filters {
    /// Refuses the escape hatches with `EPERM`.
    pub deny: BpfProgram,
    /// Answers `clone3` with `ENOSYS`.
    pub clone3: BpfProgram,
}

fn arch() -> Result<TargetArch, SandboxError> {
    TargetArch::try_from(std::env::consts::ARCH).map_err(|e| SandboxError::Seccomp(e.to_string()))
}

fn err(e: seccompiler::BackendError) -> SandboxError {
    SandboxError::Seccomp(e.to_string())
}

/// A rule that fires when argument `arg` has every bit of `flag`.
fn has_flag(arg: u8, flag: libc::c_int) -> Result<SeccompRule, SandboxError> {
    let flag = u64::from(flag.unsigned_abs());
    let cond = SeccompCondition::new(
        arg,
        SeccompCmpArgLen::Qword,
        SeccompCmpOp::MaskedEq(flag),
        flag,
    )
    .map_err(err)?;
    SeccompRule::new(vec![cond]).map_err(err)
}

/// Compile the filters for this machine's architecture.
pub fn filters() -> Result<Filters, SandboxError> {
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    for (_, nr) in DENIED {
        rules.insert(nr, Vec::new());
    }
    // New user namespaces would hand the command fresh capabilities to undo the rest.
    rules.insert(libc::SYS_unshare, vec![has_flag(0, libc::CLONE_NEWUSER)?]);
    rules.insert(libc::SYS_clone, vec![has_flag(0, libc::CLONE_NEWUSER)?]);
    // Raw and packet sockets: no sniffing or hand-made packets, even inside the namespace.
    let raw = SeccompCondition::new(
        1,
        SeccompCmpArgLen::Dword,
        SeccompCmpOp::MaskedEq(0xf),
        libc::SOCK_RAW as u64,
    )
    .map_err(err)?;
    let packet = SeccompCondition::new(
        0,
        SeccompCmpArgLen::Dword,
        SeccompCmpOp::Eq,
        libc::AF_PACKET as u64,
    )
    .map_err(err)?;
    rules.insert(
        libc::SYS_socket,
        vec![
            SeccompRule::new(vec![raw]).map_err(err)?,
            SeccompRule::new(vec![packet]).map_err(err)?,
        ],
    );
    let deny = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM.unsigned_abs()),
        arch()?,
    )
    .map_err(err)?;
    let clone3 = SeccompFilter::new(
        BTreeMap::from([(libc::SYS_clone3, Vec::new())]),
        SeccompAction::Allow,
        SeccompAction::Errno(libc::ENOSYS.unsigned_abs()),
        arch()?,
    )
    .map_err(err)?;
    Ok(Filters {
        deny: deny.try_into().map_err(err)?,
        clone3: clone3.try_into().map_err(err)?,
    })
}
