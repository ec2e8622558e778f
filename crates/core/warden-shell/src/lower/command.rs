//! One simple command: wrappers unwrapped, shells and interpreters recursed into, then the
//! program's own effects.

use super::*;

impl Lowerer {
    /// Lower a command's words: unwrap wrappers, recurse into code, record effects.
    pub(super) fn command(
        &mut self,
        words: &[(String, bool)],
        line: &str,
        via: &[String],
        depth: usize,
        upstream: &[String],
        heredoc: Option<&str>,
    ) -> Option<String> {
        let (argv0, dyn0) = words.first()?;
        let argv: Vec<String> = words.iter().map(|(w, _)| w.clone()).collect();
        let mut exec = ExecAction::new(argv.clone());
        // The simple command's own words, not the whole line: a 100k-stage pipeline must not copy
        // the full text into every stage.
        exec.command_line = Some(argv.join(" "));
        let _ = line;
        // An interpreter given its code (`-c`, `-e`, a script file) reads stdin as data, not code.
        if !code_from_args(&exec.program, argv.get(1..).unwrap_or(&[])) {
            exec.facts.stdin_from = upstream.to_vec();
        }
        exec.facts.via = via.to_vec();
        let program = exec.program.clone();
        let opaque = if *dyn0 {
            Some(format!(
                "the program name `{argv0}` is computed at run time"
            ))
        } else {
            None
        };
        self.push(Operation::Exec(exec), opaque.as_deref());
        let args = argv.get(1..).unwrap_or(&[]);
        let mut inner_via = via.to_vec();
        let rest_words = words.get(1..).unwrap_or(&[]);
        match program.as_str() {
            "sudo" | "doas" | "nohup" | "time" | "nice" | "ionice" | "timeout" | "stdbuf"
            | "env" | "command" | "builtin" | "exec" | "xargs" | "unbuffer" | "chrt"
            | "taskset" | "setsid" | "torsocks" | "proxychains" | "proxychains4" | "strace"
            | "ltrace" | "caffeinate" | "flock" | "firejail" | "chroot" | "runuser" | "coproc" => {
                if program == "command" && args.first().is_some_and(|a| a == "-v" || a == "-V") {
                    return Some(program);
                }
                let skip = wrapper_skip(&program, args);
                // The wrapper's own flags are those before the wrapped command: `sudo find -size`
                // does not give sudo `-s`.
                if let Some(Operation::Exec(e)) = self.out.last_mut().map(|a| &mut a.op) {
                    let own =
                        warden_action::CommandFacts::from_args(args.get(..skip).unwrap_or(args));
                    e.facts.flags = own.flags;
                    e.facts.operands = own.operands;
                    e.facts.subcommand = args.get(skip).cloned();
                }
                inner_via.push(program.clone());
                if program == "env" {
                    if let Some(pos) = args.iter().position(|a| a == "-S" || a == "--split-string")
                    {
                        if let Some(s) = args.get(pos + 1) {
                            self.source(s, &inner_via, depth + 1, upstream);
                        }
                        return Some(program);
                    }
                }
                let inner = rest_words.get(skip..).unwrap_or(&[]);
                if inner.is_empty() {
                    return Some(program);
                }
                if program == "xargs" {
                    let own = args.get(..skip).unwrap_or(&[]);
                    return self.xargs(own, inner, line, &inner_via, depth, upstream);
                }
                return self
                    .command(inner, line, &inner_via, depth + 1, upstream, heredoc)
                    .or(Some(program));
            }
            "su" => {
                if let Some(pos) = args.iter().position(|a| a == "-c" || a == "--command") {
                    if let Some(s) = args.get(pos + 1) {
                        inner_via.push("su -c".into());
                        self.source(s, &inner_via, depth + 1, upstream);
                    }
                }
            }
            "eval" => {
                inner_via.push("eval".into());
                if rest_words.iter().any(|(_, d)| *d) {
                    self.opaque_exec(line, "`eval` of text computed at run time", &inner_via);
                } else {
                    self.source(&args.join(" "), &inner_via, depth + 1, upstream);
                }
            }
            // `source FILE` runs FILE's code here: like `bash FILE`, and code from stdin or a
            // process substitution (`source <(curl x)`) is code Warden cannot see.
            "source" | "." => {
                if let Some(f) = args.first() {
                    if f.starts_with("/dev/fd/") || f == "/dev/stdin" || f == "-" {
                        inner_via.push(format!("{program} stdin"));
                        match heredoc {
                            Some(body) => self.source(body, &inner_via, depth + 1, &[]),
                            None => self.opaque_exec(
                                line,
                                "code sourced from a stream is only known at run time",
                                &inner_via,
                            ),
                        }
                        if let Some(Operation::Exec(e)) =
                            self.out.iter_mut().rev().find_map(|a| match &mut a.op {
                                Operation::Exec(e) if e.program == program => Some(&mut a.op),
                                _ => None,
                            })
                        {
                            e.facts.stdin_from = upstream.to_vec();
                        }
                    } else {
                        self.read(f);
                        self.script(f, Script::Shell, &inner_via, depth);
                    }
                }
            }
            // `trap 'code' EXIT`: the code runs later, in this shell.
            "trap" => {
                if let Some(code) = args.first().filter(|a| !a.starts_with('-')) {
                    inner_via.push("trap".into());
                    self.source(code, &inner_via, depth + 1, &[]);
                }
            }
            // `script -c 'code'`: runs the code in a new shell.
            "script" => {
                let is_c = |a: &String| {
                    a == "-c"
                        || a == "--command"
                        || (a.starts_with('-') && !a.starts_with("--") && a.ends_with('c'))
                };
                if let Some(pos) = args.iter().position(is_c) {
                    if let Some(code) = args.get(pos + 1) {
                        inner_via.push("script -c".into());
                        self.source(code, &inner_via, depth + 1, upstream);
                    }
                }
            }
            "watch" => {
                let code: Vec<&String> =
                    skip_flags(args, &["-n", "--interval", "-d", "-g"]).collect();
                inner_via.push("watch".into());
                let joined = code
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                self.source(&joined, &inner_via, depth + 1, upstream);
            }
            // `busybox cat f`: the applet is the command (`busybox sh -c` stays a shell).
            "busybox"
                if args
                    .first()
                    .is_some_and(|a| !a.starts_with('-') && !SHELLS.contains(&a.as_str())) =>
            {
                inner_via.push("busybox".into());
                return self
                    .command(rest_words, line, &inner_via, depth + 1, upstream, heredoc)
                    .or(Some(program));
            }
            p if SHELLS.contains(&p) => {
                let mut i = 0;
                let mut code: Option<&String> = None;
                let mut script: Option<&String> = None;
                while let Some(a) = args.get(i) {
                    if a.starts_with('-') && a.len() > 1 && !a.starts_with("--") && a.contains('c')
                    {
                        code = args.get(i + 1);
                        break;
                    } else if a == "-o" || a == "+o" || a == "-O" {
                        i += 2;
                        continue;
                    } else if !a.starts_with('-') && !a.starts_with('+') {
                        script = Some(a);
                        break;
                    }
                    i += 1;
                }
                inner_via.push(format!("{p} -c"));
                if let Some(c) = code {
                    let dynamic = rest_words.get(i + 1).is_some_and(|(_, d)| *d);
                    if dynamic {
                        self.opaque_exec(line, "shell code computed at run time", &inner_via);
                    }
                    self.source(c, &inner_via, depth + 1, upstream);
                } else if let Some(s) = script {
                    if !s.starts_with("/dev/fd/") {
                        self.read(s);
                        self.script(s, Script::Shell, &inner_via, depth);
                    }
                } else if let Some(body) = heredoc {
                    self.source(body, &inner_via, depth + 1, &[]);
                }
            }
            "ssh" => {
                let operands: Vec<&String> = skip_flags(args, SSH_VALUE_FLAGS).collect();
                if let Some(host) = operands.first() {
                    let sends = !upstream.is_empty() || heredoc.is_some();
                    self.net(None, host, sends, Some("ssh"));
                    if operands.len() > 1 {
                        let remote = operands[1..]
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(" ");
                        inner_via.push(format!("ssh {host}"));
                        self.source(&remote, &inner_via, depth + 1, &[]);
                    }
                }
                if let Some(i) = args.iter().position(|a| a == "-i") {
                    if let Some(k) = args.get(i + 1) {
                        self.read(k);
                    }
                }
            }
            "docker" | "podman" | "kubectl" | "nerdctl" => {
                if args.first().is_some_and(|a| a == "exec" || a == "run") {
                    let inner = match args.iter().position(|a| a == "--") {
                        Some(p) => args.get(p + 1..).unwrap_or(&[]).to_vec(),
                        None => {
                            let ops: Vec<&String> = skip_flags(
                                &args[1..],
                                &[
                                    "-u",
                                    "--user",
                                    "-w",
                                    "--workdir",
                                    "-e",
                                    "--env",
                                    "-c",
                                    "--container",
                                    "-n",
                                    "--namespace",
                                    "--name",
                                    "-v",
                                    "--volume",
                                    "-p",
                                    "--publish",
                                    "--entrypoint",
                                    "--network",
                                ],
                            )
                            .collect();
                            ops.get(1..)
                                .unwrap_or(&[])
                                .iter()
                                .map(|s| s.to_string())
                                .collect()
                        }
                    };
                    if !inner.is_empty() {
                        inner_via.push(format!("{program} {}", args[0]));
                        let w: Vec<(String, bool)> =
                            inner.into_iter().map(|s| (s, false)).collect();
                        self.command(&w, line, &inner_via, depth + 1, &[], None);
                    }
                }
            }
            "find" => self.find(args, line, via, depth),
            "git" => {
                self.git_code(args, via, depth);
                self.effects(&program, args, upstream, heredoc);
            }
            p if interp::inline_code(p, args).is_some() => {
                let code = interp::inline_code(p, args).unwrap_or_default();
                inner_via.push(format!("{p} inline code"));
                self.inline_code(code, &inner_via, depth);
            }
            // `python FILE`, `node FILE`, `perl FILE`: the file is code (read in live mode).
            p if is_script_interpreter(p) => {
                if let Some(f) = args.first().filter(|a| !a.starts_with('-')) {
                    self.read(f);
                    inner_via.push(format!("{p} script"));
                    self.script(f, Script::Code, &inner_via, depth);
                }
                self.effects(&program, args, upstream, heredoc);
            }
            // Shell code stored in the project: `npm run X`, `make TARGET`.
            "npm" | "pnpm" | "yarn" => {
                self.package_script(&program, args, &inner_via, depth);
                self.effects(&program, args, upstream, heredoc);
            }
            "make" | "gmake" => {
                self.make_recipes(args, &inner_via, depth);
                self.effects(&program, args, upstream, heredoc);
            }
            // `./run.sh`: a local program; a script's text is read in live mode.
            _ if argv0.starts_with("./") || argv0.starts_with("../") => {
                let local = argv0.to_string();
                self.script(&local, Script::Shell, &inner_via, depth);
                self.effects(&program, args, upstream, heredoc);
            }
            _ => self.effects(&program, args, upstream, heredoc),
        }
        Some(program)
    }

    /// Commands git runs from configuration given on the command line (`git -c
    /// core.sshCommand=... fetch`, `git -c alias.x='!sh' x`) or stored by `git config`.
    pub(super) fn git_code(&mut self, args: &[String], via: &[String], depth: usize) {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut i = 0;
        while let Some(a) = args.get(i) {
            if a == "-c" {
                if let Some((k, v)) = args.get(i + 1).and_then(|kv| kv.split_once('=')) {
                    pairs.push((k.to_ascii_lowercase(), v.to_string()));
                }
                i += 2;
                continue;
            }
            if a == "config" {
                // `git config [--global] key value`: stored now, run later.
                let rest: Vec<&String> = args[i + 1..]
                    .iter()
                    .filter(|x| !x.starts_with('-'))
                    .collect();
                if let (Some(k), Some(v)) = (rest.first(), rest.get(1)) {
                    pairs.push((k.to_ascii_lowercase(), v.to_string()));
                }
                break;
            }
            if !a.starts_with('-') {
                break;
            }
            i += 1;
        }
        for (key, value) in pairs {
            let runs_code = key.starts_with("alias.") && value.starts_with('!')
                || matches!(
                    key.as_str(),
                    "core.sshcommand"
                        | "core.pager"
                        | "core.editor"
                        | "core.fsmonitor"
                        | "sequence.editor"
                        | "diff.external"
                        | "gpg.program"
                        | "credential.helper"
                        | "uploadpack.packobjectshook"
                        | "core.gitproxy"
                )
                || key.starts_with("pager.")
                || key.starts_with("filter.")
                    && (key.ends_with(".clean")
                        || key.ends_with(".smudge")
                        || key.ends_with(".process"));
            if key == "core.hookspath" {
                self.write(&format!("{value}/pre-commit"));
            }
            if runs_code {
                let code = value.strip_prefix('!').unwrap_or(&value);
                let mut v = via.to_vec();
                v.push(format!("git {key}"));
                self.source(code, &v, depth + 1, &[]);
            }
        }
    }

    /// The effects of an interpreter's inline code.
    pub(super) fn inline_code(&mut self, code: &str, via: &[String], depth: usize) {
        // The interpreters' detectors are built the first time inline code is met, off the
        // budget: a process that never sees `python -c` never builds them.
        match self.deadline.as_mut() {
            Some(d) => d.exclude(interp::build_all),
            None => interp::build_all(),
        }
        let e = interp::scan(code);
        for cmd in &e.shell {
            self.source(cmd, via, depth + 1, &[]);
        }
        for p in &e.reads {
            self.read(p);
        }
        for p in &e.writes {
            self.write(p);
        }
        for (p, recursive) in &e.deletes {
            self.delete(p, *recursive);
        }
        for c in &e.connects {
            self.net(None, c, e.sends, None);
        }
        if e.dynamic {
            self.opaque_exec(
                code,
                "inline code evaluates code it builds at run time",
                via,
            );
        }
    }

    /// `... | xargs PROGRAM ARGS`: PROGRAM runs with operands read from standard input. After
    /// `find`, they are what it found (as for `-exec`); from anything else they are unknown, and
    /// a program that destroys its operands is then opaque (it could be given anything).
    fn xargs(
        &mut self,
        own: &[String],
        inner: &[(String, bool)],
        line: &str,
        via: &[String],
        depth: usize,
        upstream: &[String],
    ) -> Option<String> {
        let program = inner.first().map(|(w, _)| base_name(w)).unwrap_or_default();
        let destroys = DESTROYS_OPERANDS.contains(&program.as_str());
        // Names known when only `ls` or `find` and filters that pass lines on unchanged feed
        // xargs (`find . | sed 's/.*/~/' | xargs rm -rf` could hand over anything).
        let selected = upstream
            .iter()
            .all(|u| super::programs::LINE_SELECTORS.contains(&u.as_str()));
        let from_find = selected && upstream.iter().any(|u| u == "find") && !self.found.is_empty();
        let from_ls =
            selected && !from_find && upstream.iter().any(|u| u == "ls") && !self.listed.is_empty();
        // What xargs hands over are entries below the roots find walked, or names ls listed
        // (`-I X` puts each one where X stands; otherwise they are appended).
        let entries: Vec<String> = if from_ls {
            self.listed.clone()
        } else {
            self.found
                .iter()
                .map(|f| {
                    // Every entry of the root, the home or a top-level directory is as good as it.
                    if f.ends_with("/{}") || super::programs::is_shallow(f) {
                        f.clone()
                    } else {
                        format!("{}/**/{{}}", f.trim_end_matches('/'))
                    }
                })
                .collect()
        };
        let placeholder = own.iter().enumerate().find_map(|(i, a)| match a.as_str() {
            "-I" => own.get(i + 1).cloned(),
            "-i" | "--replace" => Some("{}".to_string()),
            _ => a.strip_prefix("--replace=").map(str::to_string),
        });
        let mut words = inner.to_vec();
        if destroys && (from_find || from_ls) {
            match placeholder {
                // Each entry where the placeholder stands: one command per entry.
                Some(ph) => {
                    let mut out = None;
                    for entry in &entries {
                        let mut each = inner.to_vec();
                        for (w, _) in &mut each {
                            if w.contains(ph.as_str()) {
                                *w = w.replace(ph.as_str(), entry);
                            }
                        }
                        out = self.command(&each, line, via, depth + 1, upstream, None);
                    }
                    return out.or(Some("xargs".into()));
                }
                None => words.extend(entries.into_iter().map(|f| (f, false))),
            }
        }
        let out = self.command(&words, line, via, depth + 1, upstream, None);
        if destroys && !from_find && !from_ls {
            self.opaque_exec(
                line,
                &format!("`{program}` is given operands from standard input that cannot be known"),
                via,
            );
        }
        out.or(Some("xargs".into()))
    }

    /// A script file a command runs (`bash FILE`, `source FILE`, `python FILE`): its text is
    /// lowered like inline code, read from the file in live mode (at most [`MAX_SCRIPT_BYTES`]),
    /// else as the session remembers the agent writing it. A script that cannot be read stays
    /// what it was: a read of the file, and the program's exec.
    pub(super) fn script(&mut self, path: &str, kind: Script, via: &[String], depth: usize) {
        let Some(text) = self.file_text(path) else {
            return;
        };
        let mut via = via.to_vec();
        via.push(format!("script {path}"));
        match kind {
            Script::Shell => self.source(&text, &via, depth + 1, &[]),
            Script::Code => self.inline_code(&text, &via, depth + 1),
        }
    }
}

/// How a script file is run.
#[derive(Debug, Clone, Copy)]
pub(super) enum Script {
    /// By a shell.
    Shell,
    /// By another interpreter (scanned like `python -c`).
    Code,
}

/// Most bytes of a script read to lower it.
pub(super) const MAX_SCRIPT_BYTES: u64 = 64 * 1024;

/// The text of a regular file no larger than [`MAX_SCRIPT_BYTES`].
pub(super) fn read_bounded(path: &str) -> Option<String> {
    use std::io::Read;
    let f = std::fs::File::open(path).ok()?;
    let meta = f.metadata().ok()?;
    if !meta.is_file() || meta.len() > MAX_SCRIPT_BYTES {
        return None;
    }
    let mut text = String::new();
    f.take(MAX_SCRIPT_BYTES).read_to_string(&mut text).ok()?;
    Some(text)
}

/// Interpreters whose first operand is a script file.
fn is_script_interpreter(p: &str) -> bool {
    p.starts_with("python")
        || matches!(
            p,
            "pypy" | "pypy3" | "node" | "nodejs" | "bun" | "perl" | "ruby" | "php" | "lua"
        )
}
