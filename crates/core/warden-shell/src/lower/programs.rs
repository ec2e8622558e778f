//! Effects of well-known programs: which operands they read, write, delete or send, and where.

use super::{is_dev_sink, skip_flags, Lowerer};

impl Lowerer {
    pub(super) fn find(&mut self, args: &[String], line: &str, via: &[String], depth: usize) {
        let roots: Vec<&String> = args
            .iter()
            .take_while(|a| !a.starts_with('-') && *a != "(" && *a != "!")
            .collect();
        let filtered = args.iter().any(|a| {
            matches!(
                a.as_str(),
                "-name"
                    | "-iname"
                    | "-path"
                    | "-ipath"
                    | "-regex"
                    | "-iregex"
                    | "-wholename"
                    | "-inum"
                    | "-samefile"
                    | "-type"
                    | "-newer"
                    | "-mtime"
                    | "-size"
                    | "-user"
                    | "-empty"
            )
        });
        let roots: Vec<String> = if roots.is_empty() {
            vec![".".into()]
        } else {
            roots.into_iter().cloned().collect()
        };
        let below = filtered || args.iter().any(|a| a == "-mindepth");
        // What `{}` and `-delete` reach: the root itself when nothing filters, else entries
        // anywhere below it (`root/**/{}`), which rules for the root's subtree still match.
        let found: Vec<String> = roots
            .iter()
            .map(|r| {
                if below {
                    format!("{}/**/{{}}", r.trim_end_matches('/'))
                } else {
                    r.clone()
                }
            })
            .collect();
        self.found.clone_from(&found);
        // A name filter bounds what is deleted to files of that name; an age, size or type
        // filter can take anything below the root, and so can a name that matches anything.
        self.found_by_name = selects_by_name(args);
        let mut i = 0;
        while let Some(a) = args.get(i) {
            match a.as_str() {
                // `-delete` removes files and empty directories one by one: the whole tree when
                // nothing narrows what is found, else only the entries named.
                "-delete" => {
                    for f in &found {
                        self.delete(f, !self.found_by_name);
                    }
                }
                "-exec" | "-execdir" | "-ok" | "-okdir" => {
                    let end = args[i + 1..]
                        .iter()
                        .position(|x| x == ";" || x == "+")
                        .map_or(args.len(), |p| i + 1 + p);
                    let inner: Vec<(String, bool)> = args[i + 1..end]
                        .iter()
                        .map(|s| {
                            if s == "{}" {
                                (found.first().cloned().unwrap_or_default(), false)
                            } else {
                                (s.clone(), false)
                            }
                        })
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

    /// A delete of exactly the entry named, never of what lies below it (`rmdir`, the source of
    /// a move that keeps the data), even when it names what `find` found.
    fn delete_entry(&mut self, p: &str) {
        if !p.is_empty() {
            let path = warden_action::NormPath::raw(self.at(p));
            self.push(
                warden_action::Operation::FileDelete {
                    path,
                    recursive: false,
                },
                None,
            );
        }
    }

    /// File and network effects of well-known commands.
    pub(super) fn effects(
        &mut self,
        program: &str,
        args: &[String],
        upstream: &[String],
        heredoc: Option<&str>,
    ) {
        let facts = warden_action::CommandFacts::from_args(args);
        // The program table knows which options take values: those are not operands, and
        // files named by options are read or written.
        let mut by_table = None;
        let ops_owned = match crate::programs::sort_args(program, args) {
            Some(mut known) => {
                by_table = known.role.map(|r| (r, std::mem::take(&mut known.files)));
                for r in &known.reads {
                    self.read(r);
                }
                // `cp -t DIR a b`: the target directory is where the operands go.
                if matches!(program, "cp" | "mv" | "ln" | "install") {
                    known.operands.append(&mut known.writes);
                }
                for w in &known.writes {
                    self.write(w);
                }
                known.operands
            }
            None => facts.operands.clone(),
        };
        let ops = &ops_owned;
        let has = |f: &str| facts.flags.iter().any(|x| x == f);
        let piped = !upstream.is_empty() || heredoc.is_some();
        if program == "ls" {
            // Names in the directory listed (relative, as `xargs` will resolve them), or the
            // operands themselves (`ls -d dir/*` prints paths).
            self.listed = ops.iter().cloned().chain(["{}".to_string()]).collect();
        } else if rewrites_names(program, args) {
            self.listed.clear();
            self.found.clear();
        }
        // What the program table says the operands are.
        if let Some((role, files)) = by_table {
            for f in &files {
                match role {
                    crate::programs::OperandRole::Read => self.read(f),
                    crate::programs::OperandRole::Written => self.write(f),
                }
            }
            return;
        }
        match program {
            "cp" | "install" | "rsync" | "scp" | "sftp" => {
                self.copy(program, ops, &has);
                if program == "rsync" {
                    self.rsync_deletes(args, ops);
                }
            }
            "mv" => {
                if let Some((dst, srcs)) = ops.split_last() {
                    // A move takes the whole tree away from where it was: into a sink or a
                    // temporary directory that is destruction; of the root, the home or a
                    // top-level directory it is as bad as deleting it.
                    let gone = is_dev_sink(dst) || is_scratch(dst);
                    for s in srcs {
                        self.read(s);
                        if gone || is_shallow(s) {
                            self.delete(s, true);
                        } else {
                            // The data goes on at the destination: what `find` found and moved
                            // is not a recursive delete.
                            self.delete_entry(s);
                        }
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
            // Removes empty directories only: never a recursive delete, whatever found them.
            "rmdir" => {
                for o in ops {
                    self.delete_entry(o);
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
            "chmod" | "chown" | "chgrp" | "chattr" | "setfacl" => {
                let recursive = has("-R") || has("--recursive");
                // `chmod -R 000 dir` takes every file of the tree away from its owner.
                let locks_out = program == "chmod"
                    && recursive
                    && ops.first().is_some_and(|m| removes_all_access(m));
                for o in ops.iter().skip(1) {
                    self.write(o);
                    if locks_out {
                        self.delete(o, true);
                    }
                }
            }
            "sed" | "perl"
                if has("-i")
                    || args
                        .iter()
                        .any(|a| a.starts_with("-i") || a.starts_with("--in-place")) =>
            {
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
                    let files = if program == "7z" {
                        files.get(1..).unwrap_or(&[])
                    } else {
                        files
                    };
                    self.write(archive);
                    for f in files {
                        self.read(f);
                    }
                }
            }
            "git" => self.git(args, &facts),
            "curl" => self.curl(args, piped),
            "wget" => self.wget(args),
            "nc" | "ncat" | "netcat" | "telnet" | "ftp" | "tftp" => {
                let ops: Vec<&String> = skip_flags(
                    args,
                    &["-p", "-s", "-w", "-i", "-q", "-e", "-c", "-x", "-X"],
                )
                .collect();
                if has("-U") {
                    if let Some(sock) = ops.first() {
                        self.write(sock);
                    }
                } else if let Some(h) = ops.first() {
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
                    // Connecting to a Unix socket writes to it (another process's control channel).
                    for proto in [
                        "UNIX-CONNECT:",
                        "UNIX-CLIENT:",
                        "UNIX-SENDTO:",
                        "unix-connect:",
                        "unix-client:",
                    ] {
                        if let Some(p) = o.strip_prefix(proto) {
                            self.write(p.split(',').next().unwrap_or(p));
                        }
                    }
                    if let Some(f) = o.strip_prefix("FILE:").or_else(|| o.strip_prefix("OPEN:")) {
                        self.read(f.split(',').next().unwrap_or(f));
                    }
                }
            }
            "dig" | "nslookup" | "host" | "drill" | "resolvectl" => {
                for o in ops
                    .iter()
                    .filter(|o| o.contains('.') && !o.starts_with('@'))
                {
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
        // `/dev/null` as a source sends nothing (`rsync /dev/null host:dir/` makes a directory).
        let any_local_src = srcs
            .iter()
            .any(|s| remote_host(s).is_none() && s != "/dev/null");
        for s in srcs {
            if let Some(host) = remote_host(s) {
                self.net(None, host, false, Some("ssh"));
            } else {
                self.read(s);
            }
        }
        if let Some(host) = remote_host(dst) {
            self.net(
                Some("PUT"),
                host,
                any_local_src,
                Some(if program == "rsync" { "rsync" } else { "ssh" }),
            );
        } else if !srcs.is_empty() {
            self.write(dst);
        }
    }

    fn tar(&mut self, args: &[String], facts: &warden_action::CommandFacts) {
        let has = |f: &str| facts.flags.iter().any(|x| x == f);
        // `tar czf out.tgz dir`: the first word may hold bundled flags without a dash.
        let bundled = args
            .first()
            .filter(|a| !a.starts_with('-'))
            .cloned()
            .unwrap_or_default();
        let flag = |c: char| has(&format!("-{c}")) || bundled.contains(c);
        let archive = args.iter().enumerate().find_map(|(i, a)| {
            if let Some(v) = a.strip_prefix("--file=") {
                return Some(v.to_string());
            }
            let takes_f = (a.starts_with('-') && !a.starts_with("--") && a.ends_with('f'))
                || (i == 0 && !a.starts_with('-') && a.ends_with('f'));
            if takes_f {
                args.get(i + 1).cloned()
            } else {
                None
            }
        });
        let operands: Vec<&String> = facts
            .operands
            .iter()
            .filter(|o| Some(*o) != archive.as_ref() && **o != bundled)
            .collect();
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
            let dir = args
                .iter()
                .position(|a| a == "-C" || a == "--directory")
                .and_then(|i| args.get(i + 1))
                .cloned()
                .unwrap_or_else(|| ".".into());
            self.write(&dir);
        } else if let Some(a) = &archive {
            self.read(a);
        }
    }

    fn git(&mut self, args: &[String], facts: &warden_action::CommandFacts) {
        let has = |f: &str| facts.flags.iter().any(|x| x == f);
        // `git -C dir sub`, `git -c k=v sub`: skip global options with values.
        let sub_args: Vec<&String> = skip_flags(
            args,
            &["-C", "-c", "--git-dir", "--work-tree", "--namespace"],
        )
        .collect();
        let Some(sub) = sub_args.first() else {
            return;
        };
        match sub.as_str() {
            // Deletes untracked files only: a write to the tree, not a wholesale delete.
            "clean" if has("-f") || has("--force") => self.write("."),
            "checkout" | "restore"
                if has("-f") || has("--force") || sub_args.iter().any(|a| *a == ".") =>
            {
                self.write(".")
            }
            "reset" if has("--hard") => self.write("."),
            "push" | "fetch" | "pull" | "clone" | "ls-remote" | "remote" => {
                for o in sub_args.iter().skip(1) {
                    if o.contains("://") || (o.contains('@') && o.contains(':')) {
                        let target = o.split_once('@').map_or(o.as_str(), |(_, h)| h);
                        let host = target
                            .split("://")
                            .last()
                            .unwrap_or(target)
                            .split([':', '/'])
                            .next()
                            .unwrap_or("");
                        let sends = sub.as_str() == "push";
                        self.net(
                            Some(if sends { "PUT" } else { "GET" }),
                            host,
                            sends,
                            Some("git"),
                        );
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
            if matches!(name, "--unix-socket" | "--abstract-unix-socket") {
                if let Some(sock) = value(i) {
                    self.write(&sock);
                }
                i += if inline.is_some() { 1 } else { 2 };
                continue;
            }
            match name {
                "-d" | "--data" | "--data-binary" | "--data-raw" | "--data-urlencode"
                | "--json" | "-F" | "--form" => {
                    let v = value(i).unwrap_or_default();
                    method.get_or_insert("POST".into());
                    let at = v
                        .split_once('@')
                        .map(|(_, f)| f.split(';').next().unwrap_or(f).to_string());
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
                "-H" | "--header" | "-A" | "--user-agent" | "-u" | "--user" | "-e"
                | "--referer" | "-b" | "--cookie" | "-x" | "--proxy" | "-m" | "--max-time"
                | "--connect-timeout" | "-w" | "--write-out" | "-c" | "--cookie-jar"
                | "--retry" | "-r" | "--range" | "-K" | "--config" | "--cacert" | "--cert"
                | "--key" | "-E" | "--resolve" | "--url" => {
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
            if let Some(f) = a
                .strip_prefix("--post-file=")
                .or_else(|| a.strip_prefix("--body-file="))
            {
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
        let ops: Vec<&String> = skip_flags(
            args,
            &["-O", "-o", "-P", "-U", "--header", "-e", "-t", "-T", "-a"],
        )
        .collect();
        if let Some(i) = args.iter().position(|a| a == "-O") {
            if let Some(f) = args.get(i + 1) {
                self.write(f);
            }
        }
        for u in ops {
            self.net(Some(method), u, sends, None);
        }
    }

    /// `rsync --delete*` removes whatever under the destination the source lacks (anything
    /// below it); `--remove-source-files` removes the sources once sent.
    fn rsync_deletes(&mut self, args: &[String], ops: &[String]) {
        let Some((dst, srcs)) = ops.split_last() else {
            return;
        };
        let remote = |s: &str| {
            let head = s.split(':').next().unwrap_or("");
            s.contains(':') && !head.contains('/') && !head.is_empty()
        };
        if args.iter().any(|a| a.starts_with("--delete")) && !remote(dst) {
            // Entries below the destination, not the destination itself.
            self.delete(&format!("{}/**/{{}}", dst.trim_end_matches('/')), true);
        }
        if args.iter().any(|a| a == "--remove-source-files") {
            for s in srcs.iter().filter(|s| !remote(s)) {
                self.delete(s, false);
            }
        }
    }
}

/// Programs that pass on some of the lines they are given, unchanged: between `ls` or `find`
/// and `xargs`, the names `xargs` hands over are still names listed or found.
pub(super) const LINE_SELECTORS: &[&str] = &[
    "ls", "find", "head", "tail", "grep", "egrep", "fgrep", "sort", "uniq", "tr", "tac", "pv",
];

/// Whether a [`LINE_SELECTORS`] program changes the lines it passes on (`grep -o` passes parts
/// of names, `tr a /` rewrites them; `tr '\n' '\0'` only changes the separator).
fn rewrites_names(program: &str, args: &[String]) -> bool {
    match program {
        "grep" | "egrep" | "fgrep" => args.iter().any(|a| {
            a == "--only-matching"
                || (a.starts_with('-') && !a.starts_with("--") && a.contains('o'))
        }),
        "tr" => {
            let sets: Vec<&str> = args
                .iter()
                .map(String::as_str)
                .filter(|a| !a.starts_with('-'))
                .collect();
            !matches!(
                sets.as_slice(),
                ["\\n", "\\0" | "\\000"] | ["\\0" | "\\000", "\\n"]
            )
        }
        _ => false,
    }
}

/// Whether `find` ARGS select entries by name (or by identity) alone: every name test names
/// something specific and none is negated. `-name '*'`, `-name '.*'`, `! -name x` and `-name a
/// -o -name '*'` select anything.
fn selects_by_name(args: &[String]) -> bool {
    let mut named = false;
    // With alternatives, every name test must narrow on its own; without, an exclusion (`-name
    // '*.txt' ! -name robots.txt`) only narrows further what another test already named.
    let alternatives = args.iter().any(|a| a == "-o" || a == "-or");
    for (i, a) in args.iter().enumerate() {
        let negated = i > 0 && args.get(i - 1).is_some_and(|p| p == "!" || p == "-not");
        let (is_regex, value) = match a.as_str() {
            "-name" | "-iname" | "-path" | "-ipath" | "-wholename" | "-iwholename" | "-lname"
            | "-ilname" => (false, args.get(i + 1)),
            "-regex" | "-iregex" => (true, args.get(i + 1)),
            // One file, named by its inode or by another name of it.
            "-inum" | "-samefile" if !negated => {
                named = true;
                continue;
            }
            _ => continue,
        };
        match value {
            Some(v) if !negated && is_specific_name(v, is_regex) => named = true,
            Some(_) if negated && !alternatives => {}
            _ => return false,
        }
    }
    named
}

/// Whether a name pattern names something specific: something is left once wildcards and
/// bracket expressions are taken out, and it is not only dots (`*~` and `*.o` name kinds of
/// file; `*`, `.*` and `*.*` name nearly everything).
fn is_specific_name(pattern: &str, regex: bool) -> bool {
    let mut literal = String::new();
    let mut in_bracket = false;
    let mut escaped = false;
    for c in pattern.chars() {
        if escaped {
            escaped = false;
            literal.push(c);
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' => in_bracket = true,
            ']' if in_bracket => in_bracket = false,
            _ if in_bracket => {}
            '*' | '?' => {}
            '.' | '+' | '^' | '$' | '(' | ')' | '|' | '{' | '}' if regex => {}
            '/' => {}
            _ => literal.push(c),
        }
    }
    literal.chars().any(|c| c != '.')
}

/// The host of a remote copy operand: `[user@]host:path`, `host::module`, `rsync://host/m`,
/// `scp://[user@]host[:port]/path`; `None` for a local path (`./a:b`, `/x:y`).
fn remote_host(s: &str) -> Option<&str> {
    let authority = match s.split_once("://") {
        Some((_, rest)) => rest.split('/').next().unwrap_or(rest),
        None => {
            let (head, _) = s.split_once(':')?;
            if head.contains('/') {
                return None;
            }
            head
        }
    };
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let host = host.split(':').next().unwrap_or(host);
    (!host.is_empty()).then_some(host)
}

/// A temporary directory: what is moved there is out of sight and will be cleaned away.
fn is_scratch(p: &str) -> bool {
    ["/tmp", "/var/tmp", "/dev/shm"]
        .iter()
        .any(|d| p == *d || p.strip_prefix(d).is_some_and(|r| r.starts_with('/')))
}

/// The root, the home directory, or a directory directly below either.
pub(super) fn is_shallow(p: &str) -> bool {
    let p = p.trim_end_matches('/');
    let rest = if let Some(r) = p.strip_prefix("~") {
        r
    } else if let Some(r) = p
        .strip_prefix("$HOME")
        .or_else(|| p.strip_prefix("${HOME}"))
    {
        r
    } else if p.is_empty() {
        ""
    } else if p.starts_with('/') {
        p
    } else {
        return false;
    };
    rest.matches('/').count() <= 1 && !rest.contains("..")
}

/// A chmod mode that leaves nobody any access: `000`, `0000`, `a-rwx`, `ugo-rwx`, `=`.
fn removes_all_access(mode: &str) -> bool {
    let octal = mode.len() >= 3 && mode.bytes().all(|b| b == b'0');
    octal || matches!(mode, "a-rwx" | "ugo-rwx" | "a=" | "=" | "-rwx" | "a-rwxst")
}
