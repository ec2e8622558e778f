//! From tokens to actions: wrappers unwrapped, nested code recursed into, effects of well-known
//! commands and redirections turned into file and network actions.

use warden_action::{Action, ExecAction, NetworkAction, Opacity, Operation, PathEnv};

use crate::lex::{lex, Tok};

/// How deep `bash -c "eval '...'"` style nesting is followed before the command is called opaque.
pub const MAX_DEPTH: usize = 8;

/// Lower a shell command line into actions, normalised in `env`. Never fails: what cannot be
/// understood is returned as an opaque exec action.
pub fn lower(command: &str, env: &PathEnv) -> Vec<Action> {
    let mut l = Lowerer { out: Vec::new() };
    l.source(command, &[], 0, &[]);
    if l.out.is_empty() && !command.trim().is_empty() {
        l.opaque_exec(command, "the command has no part Warden could read", &[]);
    }
    for a in &mut l.out {
        a.normalize(env);
    }
    l.out
}

struct Lowerer {
    out: Vec<Action>,
}

/// One simple command: words, redirections, here-doc bodies.
#[derive(Default)]
struct Simple {
    words: Vec<(String, bool)>,
    redirs: Vec<(String, String)>,
    heredoc: Option<String>,
}

const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "busybox"];

impl Lowerer {
    fn push(&mut self, op: Operation, opaque: Option<&str>) {
        let mut a = Action::new(op);
        a.opaque = opaque.map(|r| Opacity { reason: r.to_string() });
        self.out.push(a);
    }

    fn opaque_exec(&mut self, line: &str, reason: &str, via: &[String]) {
        let mut e = ExecAction::new(vec![line.chars().take(200).collect()]);
        e.command_line = Some(line.chars().take(4096).collect());
        e.facts.via = via.to_vec();
        self.push(Operation::Exec(e), Some(reason));
    }

    fn read(&mut self, p: &str) {
        if !p.is_empty() && p != "-" {
            self.push(Operation::FileRead { path: warden_action::NormPath::raw(p) }, None);
        }
    }

    fn write(&mut self, p: &str) {
        if !p.is_empty() && p != "-" && !is_dev_sink(p) {
            self.push(Operation::FileWrite { path: warden_action::NormPath::raw(p) }, None);
        }
    }

    fn delete(&mut self, p: &str, recursive: bool) {
        if !p.is_empty() {
            self.push(
                Operation::FileDelete {
                    path: warden_action::NormPath::raw(p),
                    recursive,
                },
                None,
            );
        }
    }

    fn net(&mut self, method: Option<&str>, target: &str, sends: bool, scheme: Option<&str>) {
        let url = match scheme {
            Some(s) if !target.contains("://") => format!("{s}://{target}"),
            _ => target.to_string(),
        };
        if let Ok(n) = NetworkAction::from_url(method, &url, sends) {
            self.push(Operation::Network(n), None);
        }
    }

    /// Lower a whole source text (a command line, a `-c` string, a here-doc body).
    fn source(&mut self, src: &str, via: &[String], depth: usize, stdin_from: &[String]) {
        if depth > MAX_DEPTH {
            self.opaque_exec(src, "commands nested too deep to follow", via);
            return;
        }
        let (toks, issues) = lex(src);
        let first = self.out.len();
        let mut cmds: Vec<Simple> = vec![Simple::default()];
        let mut upstream: Vec<String> = stdin_from.to_vec();
        let mut pending_redir: Option<String> = None;
        for tok in toks {
            let cur = cmds.len() - 1;
            match tok {
                Tok::Word { text, dynamic } => {
                    if let Some(op) = pending_redir.take() {
                        if let Some(c) = cmds.get_mut(cur) {
                            c.redirs.push((op, text));
                        }
                    } else if let Some(c) = cmds.get_mut(cur) {
                        c.words.push((text, dynamic));
                    }
                }
                Tok::Redir(op) => pending_redir = Some(op),
                Tok::Heredoc(body) => {
                    pending_redir = None;
                    if let Some(c) = cmds.get_mut(cur) {
                        c.heredoc = Some(body);
                    }
                }
                Tok::Subst { inner, process } => {
                    let tag = if process { "<(…)" } else { "$(…)" };
                    let mut v = via.to_vec();
                    v.push(tag.into());
                    let before = self.out.len();
                    self.source(&inner, &v, depth + 1, &[]);
                    if process {
                        // `bash <(curl x)`: the substitution's output is the command's input.
                        let progs: Vec<String> = self.out[before..]
                            .iter()
                            .filter_map(|a| match &a.op {
                                Operation::Exec(e) if e.facts.via == v => Some(e.program.clone()),
                                _ => None,
                            })
                            .collect();
                        if let Some(c) = cmds.get_mut(cur) {
                            c.words.push((format!("/dev/fd/{}", progs.join("+")), true));
                        }
                        for p in progs {
                            if !upstream.contains(&p) {
                                upstream.push(p);
                            }
                        }
                    }
                    pending_redir = None;
                }
                Tok::Pipe => {
                    let done = std::mem::take(&mut cmds[cur]);
                    if let Some(p) = self.simple(done, src, via, depth, &upstream) {
                        // Distinct programs only: a 100k-stage pipeline must stay linear.
                        if !upstream.contains(&p) {
                            upstream.push(p);
                        }
                    }
                }
                Tok::Sep | Tok::Paren => {
                    let done = std::mem::take(&mut cmds[cur]);
                    self.simple(done, src, via, depth, &upstream);
                    upstream = stdin_from.to_vec();
                }
            }
        }
        if let Some(last) = cmds.pop() {
            self.simple(last, src, via, depth, &upstream);
        }
        if let Some(issue) = issues.first() {
            for a in self.out.iter_mut().skip(first) {
                a.opaque.get_or_insert(Opacity { reason: issue.0.clone() });
            }
            if self.out.len() == first {
                self.opaque_exec(src, &issue.0, via);
            }
        }
    }

    /// Lower one simple command; returns the program that ran (for pipeline `stdin_from`).
    fn simple(&mut self, mut cmd: Simple, line: &str, via: &[String], depth: usize, upstream: &[String]) -> Option<String> {
        for (op, target) in std::mem::take(&mut cmd.redirs) {
            self.redirect(&op, &target);
        }
        // Leading assignments: `FOO=bar cmd`.
        let mut start = 0;
        while cmd.words.get(start).is_some_and(|(w, _)| is_assignment(w)) {
            start += 1;
        }
        let words: Vec<(String, bool)> = cmd.words.split_off(start);
        if words.is_empty() {
            return None;
        }
        self.command(&words, line, via, depth, upstream, cmd.heredoc.as_deref())
    }

    fn redirect(&mut self, op: &str, target: &str) {
        let op = op.trim_start_matches(|c: char| c.is_ascii_digit());
        if op.ends_with('&') && target.chars().all(|c| c.is_ascii_digit() || c == '-') {
            return; // `2>&1`, `>&-`: fd duplication
        }
        if let Some(rest) = target.strip_prefix("/dev/tcp/").or_else(|| target.strip_prefix("/dev/udp/")) {
            let mut parts = rest.splitn(2, '/');
            let host = parts.next().unwrap_or("");
            let port = parts.next().unwrap_or("");
            self.net(None, &format!("{host}:{port}"), op.contains('>'), Some("tcp"));
            return;
        }
        match op {
            "<" => self.read(target),
            "<<<" | "<<" | "<<-" => {}
            _ => self.write(target),
        }
    }

    /// Lower a command's words: unwrap wrappers, recurse into code, record effects.
    fn command(
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
        exec.facts.stdin_from = upstream.to_vec();
        exec.facts.via = via.to_vec();
        let program = exec.program.clone();
        let opaque = if *dyn0 {
            Some(format!("the program name `{argv0}` is computed at run time"))
        } else {
            None
        };
        self.push(Operation::Exec(exec), opaque.as_deref());
        let args = argv.get(1..).unwrap_or(&[]);
        let mut inner_via = via.to_vec();
        let rest_words = words.get(1..).unwrap_or(&[]);
        match program.as_str() {
            "sudo" | "doas" | "nohup" | "time" | "nice" | "ionice" | "timeout" | "stdbuf" | "env" | "command"
            | "builtin" | "exec" | "xargs" | "unbuffer" | "chrt" | "taskset" | "setsid" | "torsocks" | "proxychains"
            | "proxychains4" | "strace" | "ltrace" | "caffeinate" | "flock" | "firejail" | "chroot" | "runuser" => {
                if program == "command" && args.first().is_some_and(|a| a == "-v" || a == "-V") {
                    return Some(program);
                }
                let skip = wrapper_skip(&program, args);
                inner_via.push(program.clone());
                if program == "env" {
                    if let Some(pos) = args.iter().position(|a| a == "-S" || a == "--split-string") {
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
                return self.command(inner, line, &inner_via, depth + 1, upstream, heredoc).or(Some(program));
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
            "source" | "." => {
                if let Some(f) = args.first() {
                    self.read(f);
                }
            }
            "watch" => {
                let code: Vec<&String> = skip_flags(args, &["-n", "--interval", "-d", "-g"]).collect();
                inner_via.push("watch".into());
                let joined = code.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
                self.source(&joined, &inner_via, depth + 1, upstream);
            }
            p if SHELLS.contains(&p) => {
                let mut i = 0;
                let mut code: Option<&String> = None;
                let mut script: Option<&String> = None;
                while let Some(a) = args.get(i) {
                    if a.starts_with('-') && a.len() > 1 && !a.starts_with("--") && a.contains('c') {
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
                        let remote = operands[1..].iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
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
                            let ops: Vec<&String> = skip_flags(&args[1..], &["-u", "--user", "-w", "--workdir", "-e", "--env", "-c", "--container", "-n", "--namespace", "--name", "-v", "--volume", "-p", "--publish", "--entrypoint", "--network"]).collect();
                            ops.get(1..).unwrap_or(&[]).iter().map(|s| s.to_string()).collect()
                        }
                    };
                    if !inner.is_empty() {
                        inner_via.push(format!("{program} {}", args[0]));
                        let w: Vec<(String, bool)> = inner.into_iter().map(|s| (s, false)).collect();
                        self.command(&w, line, &inner_via, depth + 1, &[], None);
                    }
                }
            }
            "find" => self.find(args, line, via, depth),
            _ => self.effects(&program, args, upstream, heredoc),
        }
        Some(program)
    }

    fn find(&mut self, args: &[String], line: &str, via: &[String], depth: usize) {
        let roots: Vec<&String> = args.iter().take_while(|a| !a.starts_with('-') && *a != "(" && *a != "!").collect();
        let filtered = args.iter().any(|a| matches!(a.as_str(), "-name" | "-iname" | "-path" | "-ipath" | "-regex" | "-type" | "-newer" | "-mtime" | "-size" | "-user" | "-empty"));
        let roots: Vec<String> = if roots.is_empty() { vec![".".into()] } else { roots.into_iter().cloned().collect() };
        let below = filtered || args.iter().any(|a| a == "-mindepth");
        // What `{}` and `-delete` reach: the root itself when nothing filters, else entries
        // anywhere below it (`root/**/{}`), which rules for the root's subtree still match.
        let found: Vec<String> = roots
            .iter()
            .map(|r| if below { format!("{}/**/{{}}", r.trim_end_matches('/')) } else { r.clone() })
            .collect();
        let mut i = 0;
        while let Some(a) = args.get(i) {
            match a.as_str() {
                "-delete" => {
                    for f in &found {
                        self.delete(f, true);
                    }
                }
                "-exec" | "-execdir" | "-ok" | "-okdir" => {
                    let end = args[i + 1..].iter().position(|x| x == ";" || x == "+").map_or(args.len(), |p| i + 1 + p);
                    let inner: Vec<(String, bool)> = args[i + 1..end]
                        .iter()
                        .map(|s| if s == "{}" { (found.first().cloned().unwrap_or_default(), false) } else { (s.clone(), false) })
                        .collect();
                    let mut v = via.to_vec();
                    v.push(format!("find {a}"));
                    self.command(&inner, line, &v, depth + 1, &[], None);
                    i = end;
                }
                "-fprint" | "-fprintf" | "-fls" => {
                    if let Some(f) = args.get(i + 1) {
                        self.write(f);
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }

    /// File and network effects of well-known commands.
    fn effects(&mut self, program: &str, args: &[String], upstream: &[String], heredoc: Option<&str>) {
        let facts = warden_action::CommandFacts::from_args(args);
        let ops = &facts.operands;
        let has = |f: &str| facts.flags.iter().any(|x| x == f);
        let piped = !upstream.is_empty() || heredoc.is_some();
        match program {
            "cat" | "tac" | "less" | "more" | "head" | "tail" | "nl" | "strings" | "xxd" | "od" | "hexdump" | "base64"
            | "base32" | "sort" | "uniq" | "wc" | "md5sum" | "sha1sum" | "sha256sum" | "sha512sum" | "cksum" | "diff"
            | "cmp" | "iconv" | "bat" | "view" | "vim" | "vi" | "nano" | "emacs" | "gpg" | "openssl" | "zcat" | "bzcat"
            | "xzcat" | "column" | "fold" | "cut" | "paste" | "rev" | "tr" | "expand" | "look" => {
                for o in ops {
                    self.read(o);
                }
            }
            "grep" | "egrep" | "fgrep" | "rg" | "ag" | "ack" | "zgrep" => {
                let pattern_in_flags = has("-e") || has("-f") || has("--regexp") || has("--file");
                for o in ops.iter().skip(usize::from(!pattern_in_flags)) {
                    self.read(o);
                }
            }
            "awk" | "gawk" | "mawk" | "jq" | "yq" => {
                for o in ops.iter().skip(usize::from(!has("-f"))) {
                    self.read(o);
                }
            }
            "cp" | "install" | "rsync" | "scp" | "sftp" => self.copy(program, ops, &has),
            "mv" => {
                if let Some((dst, srcs)) = ops.split_last() {
                    for s in srcs {
                        self.read(s);
                        self.delete(s, false);
                    }
                    self.write(dst);
                }
            }
            "ln" => {
                if let Some((dst, srcs)) = ops.split_last() {
                    for s in srcs {
                        self.read(s);
                    }
                    if !srcs.is_empty() {
                        self.write(dst);
                    }
                }
            }
            "rm" | "unlink" | "srm" | "trash" | "trash-put" => {
                let recursive = has("-r") || has("-R") || has("--recursive");
                for o in ops {
                    self.delete(o, recursive);
                }
            }
            // Removes empty directories only: never a recursive delete.
            "rmdir" => {
                for o in ops {
                    self.delete(o, false);
                }
            }
            // Overwrites a file (or a device) in place; `-u` also removes it.
            "shred" => {
                let remove = has("-u") || args.iter().any(|a| a.starts_with("--remove"));
                for o in ops.iter().filter(|o| o.as_str() != "-") {
                    self.write(o);
                    if remove {
                        self.delete(o, false);
                    }
                }
            }
            "touch" | "mkdir" | "tee" | "truncate" | "mkfifo" => {
                for o in ops {
                    self.write(o);
                }
            }
            "chmod" | "chown" | "chgrp" | "chattr" | "setfacl" => {
                for o in ops.iter().skip(1) {
                    self.write(o);
                }
            }
            "sed" | "perl" if has("-i") || args.iter().any(|a| a.starts_with("-i") || a.starts_with("--in-place")) => {
                let script_in_flags = has("-e") || has("-f");
                for o in ops.iter().skip(usize::from(!script_in_flags)) {
                    self.write(o);
                }
            }
            "sed" => {
                for o in ops.iter().skip(usize::from(!(has("-e") || has("-f")))) {
                    self.read(o);
                }
            }
            "dd" => {
                for a in args {
                    if let Some(f) = a.strip_prefix("if=") {
                        self.read(f);
                    } else if let Some(f) = a.strip_prefix("of=") {
                        self.write(f);
                    }
                }
            }
            "tar" | "bsdtar" => self.tar(args, &facts),
            "zip" | "7z" | "rar" => {
                if let Some((archive, files)) = ops.split_first() {
                    let files = if program == "7z" { files.get(1..).unwrap_or(&[]) } else { files };
                    self.write(archive);
                    for f in files {
                        self.read(f);
                    }
                }
            }
            "unzip" | "gunzip" | "bunzip2" | "unxz" => {
                for o in ops {
                    self.read(o);
                }
            }
            "git" => self.git(args, &facts),
            "curl" => self.curl(args, piped),
            "wget" => self.wget(args),
            "nc" | "ncat" | "netcat" | "telnet" | "ftp" | "tftp" => {
                let ops: Vec<&String> = skip_flags(args, &["-p", "-s", "-w", "-i", "-q", "-e", "-c", "-x", "-X"]).collect();
                if let Some(h) = ops.first() {
                    let port = ops.get(1).map(|p| format!(":{p}")).unwrap_or_default();
                    let sends = piped || has("-e") || has("-c");
                    self.net(None, &format!("{h}{port}"), sends, Some("tcp"));
                }
            }
            "socat" => {
                for o in ops {
                    let lower = o.to_ascii_lowercase();
                    for proto in ["tcp:", "tcp4:", "tcp6:", "udp:", "openssl:", "ssl:"] {
                        if let Some(rest) = lower.strip_prefix(proto) {
                            let hostport = rest.split(',').next().unwrap_or(rest);
                            self.net(None, hostport, true, Some("tcp"));
                        }
                    }
                    if let Some(f) = o.strip_prefix("FILE:").or_else(|| o.strip_prefix("OPEN:")) {
                        self.read(f.split(',').next().unwrap_or(f));
                    }
                }
            }
            "dig" | "nslookup" | "host" | "drill" | "resolvectl" => {
                for o in ops.iter().filter(|o| o.contains('.') && !o.starts_with('@')) {
                    let sends = o.contains("$(") || o.contains('$');
                    self.net(None, o, sends, Some("dns"));
                }
            }
            _ => {}
        }
    }

    fn copy(&mut self, program: &str, ops: &[String], _has: &dyn Fn(&str) -> bool) {
        let Some((dst, srcs)) = ops.split_last() else {
            return;
        };
        let remote = |s: &str| {
            let before_colon = s.split(':').next().unwrap_or("");
            s.contains(':') && !before_colon.contains('/') && !before_colon.is_empty()
        };
        let any_local_src = srcs.iter().any(|s| !remote(s));
        for s in srcs {
            if remote(s) {
                let host = s.split(':').next().unwrap_or("");
                self.net(None, host, false, Some("ssh"));
            } else {
                self.read(s);
            }
        }
        if remote(dst) {
            let host = dst.split(':').next().unwrap_or("");
            self.net(Some("PUT"), host, any_local_src, Some(if program == "rsync" { "rsync" } else { "ssh" }));
        } else if !srcs.is_empty() {
            self.write(dst);
        }
    }

    fn tar(&mut self, args: &[String], facts: &warden_action::CommandFacts) {
        let has = |f: &str| facts.flags.iter().any(|x| x == f);
        // `tar czf out.tgz dir`: the first word may hold bundled flags without a dash.
        let bundled = args.first().filter(|a| !a.starts_with('-')).cloned().unwrap_or_default();
        let flag = |c: char| has(&format!("-{c}")) || bundled.contains(c);
        let archive = args.iter().enumerate().find_map(|(i, a)| {
            if let Some(v) = a.strip_prefix("--file=") {
                return Some(v.to_string());
            }
            let takes_f = (a.starts_with('-') && !a.starts_with("--") && a.ends_with('f')) || (i == 0 && !a.starts_with('-') && a.ends_with('f'));
            if takes_f { args.get(i + 1).cloned() } else { None }
        });
        let operands: Vec<&String> = facts.operands.iter().filter(|o| Some(*o) != archive.as_ref() && **o != bundled).collect();
        if flag('c') || has("--create") || flag('r') || has("--append") {
            if let Some(a) = &archive {
                self.write(a);
            }
            for o in operands {
                self.read(o);
            }
        } else if flag('x') || has("--extract") {
            if let Some(a) = &archive {
                self.read(a);
            }
            let dir = args.iter().position(|a| a == "-C" || a == "--directory").and_then(|i| args.get(i + 1)).cloned().unwrap_or_else(|| ".".into());
            self.write(&dir);
        } else if let Some(a) = &archive {
            self.read(a);
        }
    }

    fn git(&mut self, args: &[String], facts: &warden_action::CommandFacts) {
        let has = |f: &str| facts.flags.iter().any(|x| x == f);
        // `git -C dir sub`, `git -c k=v sub`: skip global options with values.
        let sub_args: Vec<&String> = skip_flags(args, &["-C", "-c", "--git-dir", "--work-tree", "--namespace"]).collect();
        let Some(sub) = sub_args.first() else {
            return;
        };
        match sub.as_str() {
            // Deletes untracked files only: a write to the tree, not a wholesale delete.
            "clean" if has("-f") || has("--force") => self.write("."),
            "checkout" | "restore" if has("-f") || has("--force") || sub_args.iter().any(|a| *a == ".") => self.write("."),
            "reset" if has("--hard") => self.write("."),
            "push" | "fetch" | "pull" | "clone" | "ls-remote" | "remote" => {
                for o in sub_args.iter().skip(1) {
                    if o.contains("://") || (o.contains('@') && o.contains(':')) {
                        let target = o.split_once('@').map_or(o.as_str(), |(_, h)| h);
                        let host = target.split("://").last().unwrap_or(target).split([':', '/']).next().unwrap_or("");
                        let sends = sub.as_str() == "push";
                        self.net(Some(if sends { "PUT" } else { "GET" }), host, sends, Some("git"));
                    }
                }
            }
            _ => {}
        }
    }

    fn curl(&mut self, args: &[String], piped: bool) {
        let mut sends = false;
        let mut method: Option<String> = None;
        let mut urls: Vec<&String> = Vec::new();
        let mut i = 0;
        while let Some(a) = args.get(i) {
            let (name, inline) = match a.split_once('=') {
                Some((n, v)) if a.starts_with("--") => (n, Some(v.to_string())),
                _ => (a.as_str(), None),
            };
            let value = |i: usize| inline.clone().or_else(|| args.get(i + 1).cloned());
            match name {
                "-d" | "--data" | "--data-binary" | "--data-raw" | "--data-urlencode" | "--json" | "-F" | "--form" => {
                    let v = value(i).unwrap_or_default();
                    method.get_or_insert("POST".into());
                    let at = v.split_once('@').map(|(_, f)| f.split(';').next().unwrap_or(f).to_string());
                    if let Some(f) = at.filter(|_| name != "--data-raw") {
                        if f == "-" {
                            sends |= piped;
                        } else {
                            self.read(&f);
                            sends = true;
                        }
                    }
                    if v.contains("$(") || v.contains('$') {
                        sends = true;
                    }
                    i += if inline.is_some() { 1 } else { 2 };
                    continue;
                }
                "-T" | "--upload-file" => {
                    let v = value(i).unwrap_or_default();
                    if v == "-" || v == "." {
                        sends |= piped;
                    } else {
                        self.read(&v);
                        sends = true;
                    }
                    method = Some("PUT".into());
                    i += if inline.is_some() { 1 } else { 2 };
                    continue;
                }
                "-X" | "--request" => {
                    method = value(i);
                    i += if inline.is_some() { 1 } else { 2 };
                    continue;
                }
                "-o" | "--output" => {
                    if let Some(f) = value(i) {
                        self.write(&f);
                    }
                    i += if inline.is_some() { 1 } else { 2 };
                    continue;
                }
                "-H" | "--header" | "-A" | "--user-agent" | "-u" | "--user" | "-e" | "--referer" | "-b" | "--cookie"
                | "-x" | "--proxy" | "-m" | "--max-time" | "--connect-timeout" | "-w" | "--write-out" | "-c"
                | "--cookie-jar" | "--retry" | "-r" | "--range" | "-K" | "--config" | "--cacert" | "--cert" | "--key"
                | "-E" | "--resolve" | "--url" => {
                    if name == "--url" {
                        if let Some(v) = args.get(i + 1) {
                            urls.push(v);
                        }
                    }
                    if let Some(v) = value(i) {
                        if v.contains("$(") {
                            sends = true;
                        }
                        if matches!(name, "-K" | "--config" | "--cert" | "--key" | "-E") {
                            self.read(&v);
                        }
                    }
                    i += if inline.is_some() { 1 } else { 2 };
                    continue;
                }
                _ if a.starts_with('-') => {}
                _ => urls.push(a),
            }
            i += 1;
        }
        for u in urls {
            let s = sends || u.contains("$(") || (u.contains('?') && u.contains('$'));
            self.net(method.as_deref().or(Some("GET")), u, s, None);
        }
    }

    fn wget(&mut self, args: &[String]) {
        let mut sends = false;
        let mut method = "GET";
        for a in args {
            if let Some(f) = a.strip_prefix("--post-file=").or_else(|| a.strip_prefix("--body-file=")) {
                self.read(f);
                sends = true;
                method = "POST";
            } else if a.starts_with("--post-data") || a.starts_with("--body-data") {
                method = "POST";
                sends |= a.contains('$');
            } else if let Some(f) = a.strip_prefix("--output-document=") {
                self.write(f);
            }
        }
        let ops: Vec<&String> = skip_flags(args, &["-O", "-o", "-P", "-U", "--header", "-e", "-t", "-T", "-a"]).collect();
        if let Some(i) = args.iter().position(|a| a == "-O") {
            if let Some(f) = args.get(i + 1) {
                self.write(f);
            }
        }
        for u in ops {
            self.net(Some(method), u, sends, None);
        }
    }
}

/// SSH flags that take a value.
const SSH_VALUE_FLAGS: &[&str] = &["-i", "-p", "-l", "-o", "-L", "-R", "-D", "-F", "-J", "-b", "-c", "-E", "-e", "-I", "-m", "-O", "-Q", "-S", "-W", "-w", "-B"];

/// Operands of `args`, skipping flags and the values of `value_flags`.
fn skip_flags<'a>(args: &'a [String], value_flags: &'a [&'a str]) -> impl Iterator<Item = &'a String> + 'a {
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
fn wrapper_skip(program: &str, args: &[String]) -> usize {
    let value_flags: &[&str] = match program {
        "sudo" => &["-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T", "--user", "--group", "--chdir"],
        "doas" => &["-u", "-C"],
        "nice" => &["-n", "--adjustment"],
        "ionice" => &["-c", "-n", "-p"],
        "timeout" => &["-s", "--signal", "-k", "--kill-after"],
        "stdbuf" => &["-i", "-o", "-e"],
        "env" => &["-u", "--unset", "-C", "--chdir"],
        "xargs" => &["-I", "-i", "-n", "-P", "-d", "-L", "-s", "-E", "-a", "--max-args", "--max-procs", "--delimiter", "--arg-file"],
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
            i += if value_flags.contains(&a.as_str()) { 2 } else { 1 };
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

fn is_assignment(w: &str) -> bool {
    let Some((name, _)) = w.split_once('=') else {
        return false;
    };
    let name = name.strip_suffix('+').unwrap_or(name);
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_dev_sink(p: &str) -> bool {
    matches!(p, "/dev/null" | "/dev/stdout" | "/dev/stderr" | "/dev/tty" | "/dev/zero")
}

#[cfg(test)]
mod tests;
