//! Word-level helpers of the lowering: flag skipping, wrapper arity, braces, quoting.

use super::{MAX_FANOUT, SHELLS};
use crate::interp;

/// Variables that make a program load or run other code when set for it.
pub(super) const LOADER_VARS: &[&str] = &[
    "LD_PRELOAD",
    "LD_AUDIT",
    "LD_LIBRARY_PATH",
    "DYLD_INSERT_LIBRARIES",
    "DYLD_LIBRARY_PATH",
    "BASH_ENV",
    "ENV",
    "PYTHONSTARTUP",
    "NODE_OPTIONS",
    "PERL5OPT",
    "RUBYOPT",
];

/// Variables whose value comes from the environment and that paths may use: kept as text so path
/// normalisation expands them, and not treated as computed.
pub(super) const ENV_VARS: &[&str] = &[
    "HOME",
    "PWD",
    "OLDPWD",
    "USER",
    "LOGNAME",
    "TMPDIR",
    "SHELL",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_CACHE_HOME",
    "XDG_STATE_HOME",
    "XDG_RUNTIME_DIR",
];

/// SSH flags that take a value.
pub(super) const SSH_VALUE_FLAGS: &[&str] = &[
    "-i", "-p", "-l", "-o", "-L", "-R", "-D", "-F", "-J", "-b", "-c", "-E", "-e", "-I", "-m", "-O",
    "-Q", "-S", "-W", "-w", "-B",
];

/// Operands of `args`, skipping flags and the values of `value_flags`.
pub(super) fn skip_flags<'a>(
    args: &'a [String],
    value_flags: &'a [&'a str],
) -> impl Iterator<Item = &'a String> + 'a {
    let mut skip_next = false;
    let mut done = false;
    args.iter().filter(move |a| {
        if done {
            return true;
        }
        if skip_next {
            skip_next = false;
            return false;
        }
        if a.as_str() == "--" {
            done = true;
            return false;
        }
        if a.starts_with('-') && a.len() > 1 {
            skip_next = value_flags.contains(&a.as_str());
            return false;
        }
        true
    })
}

/// How many words after a wrapper belong to the wrapper (flags and their values).
pub(super) fn wrapper_skip(program: &str, args: &[String]) -> usize {
    let value_flags: &[&str] = match program {
        "sudo" => &[
            "-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T", "--user", "--group",
            "--chdir",
        ],
        "doas" => &["-u", "-C"],
        "nice" => &["-n", "--adjustment"],
        "ionice" => &["-c", "-n", "-p"],
        "timeout" => &["-s", "--signal", "-k", "--kill-after"],
        "stdbuf" => &["-i", "-o", "-e"],
        "env" => &["-u", "--unset", "-C", "--chdir"],
        "xargs" => &[
            "-I",
            "-i",
            "-n",
            "-P",
            "-d",
            "-L",
            "-s",
            "-E",
            "-a",
            "--max-args",
            "--max-procs",
            "--delimiter",
            "--arg-file",
        ],
        "exec" => &["-a"],
        "chrt" | "taskset" => &["-p"],
        "flock" => &["-w", "-E"],
        "runuser" => &["-u", "-g"],
        _ => &[],
    };
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if a == "--" {
            i += 1;
            break;
        }
        if program == "env" && is_assignment(a) {
            i += 1;
            continue;
        }
        if a.starts_with('-') && a.len() > 1 {
            i += if value_flags.contains(&a.as_str()) {
                2
            } else {
                1
            };
            continue;
        }
        // Positional arguments of the wrapper itself.
        let positional = match program {
            "timeout" => usize::from(a.chars().next().is_some_and(|c| c.is_ascii_digit())),
            "chrt" | "taskset" | "chroot" | "flock" => 1,
            "runuser" if i == 0 => 1,
            _ => 0,
        };
        i += positional;
        break;
    }
    i
}

pub(super) fn is_assignment(w: &str) -> bool {
    let Some((name, _)) = w.split_once('=') else {
        return false;
    };
    let name = name.strip_suffix('+').unwrap_or(name);
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Programs that run code read from stdin when given none.
pub(super) const INTERPRETERS: &[&str] = &[
    "python",
    "python2",
    "python3",
    "node",
    "nodejs",
    "deno",
    "bun",
    "perl",
    "ruby",
    "php",
    "lua",
    "pwsh",
    "powershell",
    "osascript",
    "Rscript",
];

/// Whether a shell or interpreter is given its code in its arguments (so stdin is only data).
pub(super) fn code_from_args(program: &str, args: &[String]) -> bool {
    let is_interp = SHELLS.contains(&program)
        || INTERPRETERS.contains(&program)
        || (program.starts_with("python")
            && program[6..].chars().all(|c| c.is_ascii_digit() || c == '.'));
    if !is_interp {
        return false;
    }
    if interp::inline_code(program, args).is_some() {
        return true;
    }
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if a == "-s" || a == "-" || a == "/dev/stdin" || a == "--" || a.starts_with("/dev/fd/") {
            return false;
        }
        if a.starts_with('-') && a.len() > 1 {
            if SHELLS.contains(&program) && !a.starts_with("--") && a.contains('c') {
                return true;
            }
            i += if matches!(a.as_str(), "-o" | "+o" | "-O" | "-m" | "-W" | "-X") {
                2
            } else {
                1
            };
            continue;
        }
        return true;
    }
    false
}

/// Quote a word for re-parsing (alias expansion).
pub(super) fn quote(w: &str) -> String {
    if !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,~".contains(c))
    {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

/// Brace expansion: `a{b,c}d` -> `abd acd`, `{1..3}` -> `1 2 3`; at most [`MAX_FANOUT`] results.
pub(super) fn expand_braces(w: &str) -> Vec<String> {
    let mut out = vec![w.to_string()];
    let mut done = Vec::new();
    while let Some(cur) = out.pop() {
        if done.len() + out.len() >= MAX_FANOUT {
            done.push(cur);
            continue;
        }
        match brace_span(&cur) {
            Some((open, close)) => {
                let (pre, inner, post) = (&cur[..open], &cur[open + 1..close], &cur[close + 1..]);
                let alts: Vec<String> =
                    if let Some((a, b)) = inner.split_once("..").filter(|_| !inner.contains(',')) {
                        match (a.parse::<i64>(), b.parse::<i64>()) {
                            (Ok(x), Ok(y)) if (x - y).abs() < MAX_FANOUT as i64 => {
                                if x <= y {
                                    (x..=y).map(|n| n.to_string()).collect()
                                } else {
                                    (y..=x).rev().map(|n| n.to_string()).collect()
                                }
                            }
                            _ => vec![inner.to_string()],
                        }
                    } else {
                        split_top(inner)
                    };
                if alts.len() < 2 && !inner.contains("..") {
                    done.push(cur.clone());
                    continue;
                }
                for a in alts.into_iter().rev() {
                    out.push(format!("{pre}{a}{post}"));
                }
            }
            None => done.push(cur),
        }
    }
    done
}

/// The first `{...}` holding a top-level comma or `..`.
pub(super) fn brace_span(s: &str) -> Option<(usize, usize)> {
    let b = s.as_bytes();
    for (open, _) in s.match_indices('{') {
        let mut depth = 0;
        let mut comma = false;
        for (i, &c) in b.iter().enumerate().skip(open) {
            match c {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        if comma || s[open + 1..i].contains("..") {
                            return Some((open, i));
                        }
                        break;
                    }
                }
                b',' if depth == 1 => comma = true,
                _ => {}
            }
        }
    }
    None
}

pub(super) fn split_top(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out
}

/// Invisible characters anywhere, or non-ASCII look-alikes in the program name: text meant to
/// read as one command to a human and run as another.
pub(super) fn hidden_characters(words: &[(String, bool)]) -> Option<String> {
    let invisible = |c: char| matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}');
    if words.iter().any(|(w, _)| w.chars().any(invisible)) {
        return Some("the command contains invisible characters".into());
    }
    let prog = words
        .first()
        .map(|(w, _)| w.rsplit('/').next().unwrap_or(w))?;
    if !prog.is_ascii() && prog.chars().any(char::is_alphabetic) {
        return Some(format!(
            "the program name `{prog}` contains non-ASCII look-alike characters"
        ));
    }
    None
}

pub(super) fn is_dev_sink(p: &str) -> bool {
    matches!(
        p,
        "/dev/null" | "/dev/stdout" | "/dev/stderr" | "/dev/tty" | "/dev/zero"
    ) || is_own_fd(p)
}

/// One of the shell's own open descriptors (`/proc/self/fd/3`, `/dev/fd/3`): what it points to
/// was opened by a redirection, which is lowered where it is written.
fn is_own_fd(p: &str) -> bool {
    p.strip_prefix("/proc/self/fd/")
        .or_else(|| p.strip_prefix("/dev/fd/"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Programs that destroy or damage their operands (`rmdir` removes only empty directories).
pub(super) const DESTROYS_OPERANDS: &[&str] = &[
    "rm",
    "unlink",
    "shred",
    "srm",
    "truncate",
    "chmod",
    "chown",
    "chgrp",
    "mv",
    "dd",
    "trash",
    "trash-put",
];

/// The program name of a word: `/bin/rm` is `rm`.
pub(super) fn base_name(w: &str) -> String {
    w.rsplit('/').next().unwrap_or(w).to_string()
}
