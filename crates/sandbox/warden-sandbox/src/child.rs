//! The steps the child takes between `fork` and `exec`, in this order:
//!
//! 1. `unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS)`: its own network (only `lo`) and
//!    mount table, owned by a user namespace mapping just the caller's uid and gid;
//! 2. the mount table made private, control paths inside writable directories bound read-only,
//!    sockets that lead out of the sandbox (ssh-agent, docker, Warden's monitor) covered;
//! 3. `lo` up, and the proxy listener bound on `127.0.0.1:PROXY_PORT` *inside* the namespace,
//!    its descriptor sent to the parent, which serves it from the host's namespace;
//! 4. `no_new_privs` (Landlock and unprivileged seccomp need it; setuid binaries gain nothing);
//! 5. `landlock_restrict_self` (after the mounts: a Landlock domain may not change mounts);
//! 6. seccomp last, since it refuses `unshare` and `mount` that the steps above use.
//!
//! Everything is prepared by the parent; the child runs only raw system calls (no allocation:
//! the parent may have other threads holding the allocator's locks when it forks).

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use crate::seccomp::Filters;

/// The port the proxy listens on inside the namespace (the namespace is new: it is free).
pub const PROXY_PORT: u16 = 3128;

/// Everything the child needs, prepared before `fork`.
#[derive(Debug)]
pub struct ChildPlan {
    /// Enter new user, network and mount namespaces.
    pub namespaces: bool,
    /// `/proc/self/uid_map` content.
    pub uid_map: Vec<u8>,
    /// `/proc/self/gid_map` content.
    pub gid_map: Vec<u8>,
    /// Paths bound read-only onto themselves.
    pub read_only: Vec<CString>,
    /// Socket files covered with `/dev/null`.
    pub hidden: Vec<CString>,
    /// The child's end of the socket pair the listener is sent over.
    pub fd_channel: Option<RawFd>,
    /// The Landlock ruleset.
    pub landlock_fd: Option<RawFd>,
    /// `landlock_restrict_self` flags.
    pub landlock_flags: u32,
    /// The seccomp filters.
    pub filters: Option<Filters>,
}

fn check(rc: libc::c_int) -> io::Result<()> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Run the plan in the forked child.
///
/// # Safety
/// Call only in a forked child before `exec` (from `pre_exec`): it changes the calling
/// process's namespaces, mounts and security state.
#[allow(unsafe_code)]
pub unsafe fn enter(plan: &ChildPlan) -> io::Result<()> {
    // SAFETY (whole function): each call is a plain system call on memory owned by `plan` or
    // by this stack frame, valid for the duration of the call.
    unsafe {
        if plan.namespaces {
            check(libc::unshare(
                libc::CLONE_NEWUSER | libc::CLONE_NEWNET | libc::CLONE_NEWNS,
            ))?;
            write_file(c"/proc/self/setgroups".as_ptr(), b"deny")?;
            write_file(c"/proc/self/uid_map".as_ptr(), &plan.uid_map)?;
            write_file(c"/proc/self/gid_map".as_ptr(), &plan.gid_map)?;
            mounts(plan)?;
            if let Some(chan) = plan.fd_channel {
                loopback_up()?;
                let listener = listen()?;
                let sent = send_fd(chan, listener);
                libc::close(listener);
                sent?;
            }
        }
        check(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))?;
        if let Some(fd) = plan.landlock_fd {
            let rc = libc::syscall(libc::SYS_landlock_restrict_self, fd, plan.landlock_flags);
            if rc < 0 {
                return Err(io::Error::last_os_error());
            }
            libc::close(fd);
        }
        if let Some(f) = &plan.filters {
            for prog in [&f.clone3, &f.deny] {
                let fprog = libc::sock_fprog {
                    len: u16::try_from(prog.len())
                        .map_err(|_| io::Error::from_raw_os_error(libc::E2BIG))?,
                    filter: prog.as_ptr().cast_mut().cast::<libc::sock_filter>(),
                };
                check(libc::prctl(
                    libc::PR_SET_SECCOMP,
                    libc::SECCOMP_MODE_FILTER,
                    &fprog as *const libc::sock_fprog,
                ))?;
            }
        }
    }
    Ok(())
}

#[allow(unsafe_code)]
unsafe fn write_file(path: *const libc::c_char, data: &[u8]) -> io::Result<()> {
    // SAFETY: `path` is a NUL-terminated constant; `data` is a live slice.
    unsafe {
        let fd = libc::open(path, libc::O_WRONLY | libc::O_CLOEXEC);
        check(fd)?;
        let n = libc::write(fd, data.as_ptr().cast(), data.len());
        let err = io::Error::last_os_error();
        libc::close(fd);
        if n < 0 {
            return Err(err);
        }
    }
    Ok(())
}

#[allow(unsafe_code)]
unsafe fn mounts(plan: &ChildPlan) -> io::Result<()> {
    let null = std::ptr::null::<libc::c_char>();
    // SAFETY: every pointer is a NUL-terminated string owned by `plan` or a constant, or null
    // where mount(2) accepts null; `st` is a local written by statvfs.
    unsafe {
        check(libc::mount(
            null,
            c"/".as_ptr(),
            null,
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        ))?;
        for p in &plan.read_only {
            check(libc::mount(
                p.as_ptr(),
                p.as_ptr(),
                null,
                libc::MS_BIND | libc::MS_REC,
                std::ptr::null(),
            ))?;
            let mut st: libc::statvfs = std::mem::zeroed();
            check(libc::statvfs(p.as_ptr(), &mut st))?;
            // A remount inside a user namespace must keep the flags the outer mount locked.
            let mut flags = libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY;
            for (st_flag, ms_flag) in [
                (libc::ST_NOSUID, libc::MS_NOSUID),
                (libc::ST_NODEV, libc::MS_NODEV),
                (libc::ST_NOEXEC, libc::MS_NOEXEC),
                (libc::ST_NOATIME, libc::MS_NOATIME),
                (libc::ST_NODIRATIME, libc::MS_NODIRATIME),
                (libc::ST_RELATIME, libc::MS_RELATIME),
            ] {
                if st.f_flag & st_flag != 0 {
                    flags |= ms_flag;
                }
            }
            check(libc::mount(null, p.as_ptr(), null, flags, std::ptr::null()))?;
        }
        for p in &plan.hidden {
            check(libc::mount(
                c"/dev/null".as_ptr(),
                p.as_ptr(),
                null,
                libc::MS_BIND,
                std::ptr::null(),
            ))?;
        }
    }
    Ok(())
}

#[allow(unsafe_code)]
unsafe fn loopback_up() -> io::Result<()> {
    // SAFETY: `ifr` is a zeroed local; the name fits in IFNAMSIZ; the socket is closed after.
    unsafe {
        let s = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        check(s)?;
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (dst, src) in ifr.ifr_name.iter_mut().zip(b"lo\0") {
            *dst = *src as libc::c_char;
        }
        ifr.ifr_ifru.ifru_flags = (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
        let rc = libc::ioctl(s, libc::SIOCSIFFLAGS, &ifr as *const libc::ifreq);
        let err = io::Error::last_os_error();
        libc::close(s);
        if rc < 0 {
            return Err(err);
        }
    }
    Ok(())
}

#[allow(unsafe_code)]
unsafe fn listen() -> io::Result<RawFd> {
    // SAFETY: `addr` is a fully initialised local sockaddr_in passed with its size.
    unsafe {
        let s = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        check(s)?;
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        addr.sin_family = libc::AF_INET as libc::sa_family_t;
        addr.sin_port = PROXY_PORT.to_be();
        addr.sin_addr.s_addr = u32::from_be_bytes([127, 0, 0, 1]).to_be();
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        if libc::bind(s, (&addr as *const libc::sockaddr_in).cast(), len) < 0
            || libc::listen(s, 128) < 0
        {
            let err = io::Error::last_os_error();
            libc::close(s);
            return Err(err);
        }
        Ok(s)
    }
}

/// Room for one `SCM_RIGHTS` control message carrying one descriptor (aligned).
type CmsgBuf = [u64; 4];

#[allow(unsafe_code)]
unsafe fn send_fd(chan: RawFd, fd: RawFd) -> io::Result<()> {
    // SAFETY: `msg` points at locals that outlive sendmsg; the control buffer is large and
    // aligned enough for one descriptor (CMSG_SPACE(4) <= 32 bytes).
    unsafe {
        let mut byte = [0u8; 1];
        let mut iov = libc::iovec {
            iov_base: byte.as_mut_ptr().cast(),
            iov_len: 1,
        };
        let mut buf: CmsgBuf = [0; 4];
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = buf.as_mut_ptr().cast();
        msg.msg_controllen = libc::CMSG_SPACE(std::mem::size_of::<libc::c_int>() as u32) as _;
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        if cmsg.is_null() {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<libc::c_int>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::c_int>(), fd);
        if libc::sendmsg(chan, &msg, 0) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Receive the descriptor the child sent over `chan` (the parent's end).
#[allow(unsafe_code)]
pub fn recv_fd(chan: &OwnedFd) -> io::Result<OwnedFd> {
    // SAFETY: as in `send_fd`; the received descriptor is new and owned by nobody else, so
    // wrapping it in an OwnedFd is sound.
    unsafe {
        let mut byte = [0u8; 1];
        let mut iov = libc::iovec {
            iov_base: byte.as_mut_ptr().cast(),
            iov_len: 1,
        };
        let mut buf: CmsgBuf = [0; 4];
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = buf.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of::<CmsgBuf>() as _;
        if libc::recvmsg(chan.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) < 0 {
            return Err(io::Error::last_os_error());
        }
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        if cmsg.is_null() || (*cmsg).cmsg_type != libc::SCM_RIGHTS {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "no descriptor received",
            ));
        }
        let fd = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::c_int>());
        Ok(OwnedFd::from_raw_fd(fd))
    }
}

/// A connected pair of Unix datagram sockets (close-on-exec): (parent end, child end).
#[allow(unsafe_code)]
pub fn socket_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors socketpair writes; on success both are new
    // and owned only here.
    unsafe {
        check(libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        ))?;
        Ok((OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])))
    }
}
