//! Programs and commands: bigram hashes, subcommands, and the lists of everyday, toolchain and
//! network programs.

use warden_action::{ActionKind, ExecAction};

/// FNV-1a over `a`, a separator byte and `b`: a stable hash, so persisted bigrams mean the same
/// after a restart. Not collision-resistant; a crafted collision could only hide a low-weight
/// bigram signal, and making a pair known at all takes an allowed action.
pub(super) fn fnv(a: &[u8], sep: u8, b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for x in a.iter().chain(std::iter::once(&sep)).chain(b) {
        h ^= u64::from(*x);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Hash of a command bigram: `prog sub` (`sep` = space) or `up | prog` (`sep` = `|`).
pub(super) fn bigram(a: &str, sep: u8, b: &str) -> u64 {
    fnv(a.as_bytes(), sep, b.as_bytes())
}

/// The subcommand of a program known to have them, when it looks like a word (not a file name).
pub(super) fn subcommand<'a>(prog: &str, e: &'a ExecAction) -> Option<&'a str> {
    if !has_subcommands(prog) {
        return None;
    }
    let sub = e.facts.subcommand.as_deref()?;
    let word = !sub.is_empty()
        && sub.len() <= 32
        && sub
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    word.then_some(sub)
}

/// Kinds rare enough that a first one in a mature profile is worth a note; the everyday kinds
/// (exec, files, network, tools) have finer signals of their own.
pub(super) fn is_rare_kind(kind: ActionKind) -> bool {
    match kind {
        ActionKind::MessageSend
        | ActionKind::AgentSpawn
        | ActionKind::ConfigChange
        | ActionKind::ExtensionLoad => true,
        ActionKind::Exec
        | ActionKind::FileRead
        | ActionKind::FileWrite
        | ActionKind::FileDelete
        | ActionKind::Network
        | ActionKind::ToolCall
        | ActionKind::McpCall => false,
    }
}

/// Programs whose first argument is a subcommand worth learning.
fn has_subcommands(prog: &str) -> bool {
    is_dev_toolchain(prog)
        || matches!(
            prog,
            "docker"
                | "podman"
                | "kubectl"
                | "helm"
                | "gh"
                | "glab"
                | "aws"
                | "gcloud"
                | "gsutil"
                | "az"
                | "terraform"
                | "tofu"
                | "systemctl"
                | "launchctl"
                | "security"
        )
}

/// Dev toolchains whose subcommands change all day: learned, never flagged.
pub(super) fn is_dev_toolchain(prog: &str) -> bool {
    matches!(
        prog,
        "git"
            | "cargo"
            | "rustup"
            | "npm"
            | "pnpm"
            | "yarn"
            | "bun"
            | "deno"
            | "go"
            | "pip"
            | "pip3"
            | "uv"
            | "poetry"
            | "conda"
            | "dotnet"
            | "make"
            | "brew"
            | "apt"
            | "apt-get"
            | "dnf"
            | "yum"
    )
}

/// Everyday shell and dev programs besides the toolchains: a first use is not worth a flag.
const COMMON_PROGRAMS: &[&str] = &[
    "ls",
    "cat",
    "head",
    "tail",
    "less",
    "grep",
    "rg",
    "find",
    "fd",
    "sed",
    "awk",
    "echo",
    "printf",
    "pwd",
    "cd",
    "mkdir",
    "rmdir",
    "touch",
    "cp",
    "mv",
    "rm",
    "ln",
    "chmod",
    "wc",
    "sort",
    "uniq",
    "cut",
    "tr",
    "diff",
    "patch",
    "tee",
    "xargs",
    "env",
    "which",
    "type",
    "test",
    "[",
    "true",
    "false",
    "date",
    "sleep",
    "basename",
    "dirname",
    "realpath",
    "readlink",
    "file",
    "stat",
    "du",
    "df",
    "tree",
    "ps",
    "jq",
    "yq",
    "tar",
    "gzip",
    "gunzip",
    "zip",
    "unzip",
    "curl",
    "wget",
    "sh",
    "bash",
    "zsh",
    "python",
    "python3",
    "node",
    "npx",
    "rustc",
    "rustfmt",
    "clippy-driver",
    "gcc",
    "cc",
    "clang",
    "cmake",
    "pytest",
    "tsc",
    "eslint",
    "prettier",
];

/// Everyday shell and dev programs: a first use is not worth a flag.
pub(super) fn is_common_program(prog: &str) -> bool {
    is_dev_toolchain(prog) || COMMON_PROGRAMS.contains(&prog)
}

/// Network and tunnel tools with little use in everyday development: a first use weighs more.
pub(super) fn is_exfil_tool(prog: &str) -> bool {
    matches!(
        prog,
        "nc" | "ncat"
            | "netcat"
            | "socat"
            | "telnet"
            | "nmap"
            | "masscan"
            | "tcpdump"
            | "tshark"
            | "ftp"
            | "tftp"
            | "ngrok"
            | "cloudflared"
            | "frpc"
            | "chisel"
    )
}

/// Programs that send what they read from standard input over the network.
pub(super) fn is_network_consumer(prog: &str) -> bool {
    is_exfil_tool(prog)
        || matches!(
            prog,
            "curl"
                | "wget"
                | "ssh"
                | "scp"
                | "sftp"
                | "rsync"
                | "openssl"
                | "gh"
                | "aws"
                | "gsutil"
                | "rclone"
                | "mail"
                | "sendmail"
                | "mutt"
        )
}
