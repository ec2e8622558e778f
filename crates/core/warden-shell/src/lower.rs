//! From tokens to actions: wrappers unwrapped, nested code recursed into, effects of well-known
//! commands and redirections turned into file and network actions.

use warden_action::{Action, ExecAction, NetworkAction, Opacity, Operation, PathEnv};

use std::collections::HashMap;
use std::time::Duration;

use crate::interp;
use crate::syntax::{parse, Cmd, Item, Part, Redir, Word};

/// How deep `bash -c "eval '...'"` style nesting is followed before the command is called opaque.
pub const MAX_DEPTH: usize = 8;

/// Longest command text parsed; longer input is opaque (bounded time for any input).
pub const MAX_COMMAND_BYTES: usize = 64 * 1024;

/// Longest the walk of one command may take (the parse has its own budget).
const LOWER_BUDGET: Duration = Duration::from_millis(if cfg!(debug_assertions) { 50 } else { 3 });

/// Most actions one command may lower to before the rest is called opaque.
const MAX_ACTIONS: usize = 4096;

/// Most words one brace expansion or loop may produce.
const MAX_FANOUT: usize = 64;

/// Lower a shell command line into actions, normalised in `env`. Never fails: what cannot be
/// understood is returned as an opaque exec action.
pub fn lower(command: &str, env: &PathEnv) -> Vec<Action> {
    let mut l = Lowerer {
        deadline: Some(crate::budget::Budget::start(LOWER_BUDGET)),
        ..Lowerer::default()
    };
    // A lone backslash at the very end continues onto a line that never comes: bash drops it.
    let command = command
        .trim_end()
        .strip_suffix('\\')
        .filter(|c| !c.ends_with('\\'))
        .unwrap_or(command);
    l.source(command, &[], 0, &[]);
    if l.out.is_empty() && l.unread && !is_only_comments(command) {
        l.opaque_exec(command, "the command has no part Warden could read", &[]);
    }
    for a in &mut l.out {
        a.normalize(env);
    }
    l.out
}

fn is_only_comments(src: &str) -> bool {
    src.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#')
    })
}

/// The value of a shell variable as far as it is known statically.
#[derive(Debug, Clone)]
enum Value {
    /// Assigned a literal value in this command.
    Known(String),
    /// Assigned something computed at run time.
    Unknown,
}

#[derive(Default)]
struct Lowerer {
    out: Vec<Action>,
    /// Variables assigned earlier in the command.
    vars: HashMap<String, Value>,
    /// Functions defined earlier in the command.
    funcs: HashMap<String, Item>,
    /// Aliases defined earlier in the command.
    aliases: HashMap<String, String>,
    /// Positional parameters while lowering a function call.
    positional: Vec<Vec<String>>,
    /// Whether some part of the text could not be read.
    unread: bool,
    /// The directory `cd` moved to earlier in the command (as written), for relative paths.
    cwd: Option<String>,
    /// When lowering must stop: no input may hold the gate up.
    deadline: Option<crate::budget::Budget>,
    /// The deadline passed: everything after is skipped (an opaque action says so).
    out_of_time: bool,
    /// A here-document or here-string given to an enclosing compound command.
    stdin_doc: Option<String>,
}

/// Where the current words came from, for the actions they lower to.
struct Ctx<'a> {
    via: &'a [String],
    depth: usize,
}

/// Variables whose value comes from the environment and that paths may use: kept as text so path
/// normalisation expands them, and not treated as computed.
const ENV_VARS: &[&str] = &[
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

const SHELLS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "busybox",
];

impl Lowerer {
    fn push(&mut self, op: Operation, opaque: Option<&str>) {
        let mut a = Action::new(op);
        a.opaque = opaque.map(|r| Opacity {
            reason: r.to_string(),
        });
        self.out.push(a);
    }

    fn opaque_exec(&mut self, line: &str, reason: &str, via: &[String]) {
        let mut e = ExecAction::new(vec![line.chars().take(200).collect()]);
        e.command_line = Some(line.chars().take(4096).collect());
        e.facts.via = via.to_vec();
        self.push(Operation::Exec(e), Some(reason));
    }

    /// A path as the command sees it: relative paths are under the directory `cd` moved to.
    fn at(&self, p: &str) -> String {
        match &self.cwd {
            Some(dir) if !p.starts_with(['/', '~', '$']) => {
                format!("{}/{p}", dir.trim_end_matches('/'))
            }
            _ => p.to_string(),
        }
    }

    fn read(&mut self, p: &str) {
        if !p.is_empty() && p != "-" {
            let p = self.at(p);
            let p = p.as_str();
            self.push(
                Operation::FileRead {
                    path: warden_action::NormPath::raw(p),
                },
                None,
            );
        }
    }

    fn write(&mut self, p: &str) {
        if !p.is_empty() && p != "-" && !is_dev_sink(p) {
            let p = self.at(p);
            let p = p.as_str();
            self.push(
                Operation::FileWrite {
                    path: warden_action::NormPath::raw(p),
                },
                None,
            );
        }
    }

    fn delete(&mut self, p: &str, recursive: bool) {
        if !p.is_empty() {
            let p = self.at(p);
            let p = p.as_str();
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
        // A URL that carries a credential sends it, whatever the method.
        let sends = sends || warden_action::url_carries_secret(&url);
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
        if src.len() > MAX_COMMAND_BYTES {
            self.opaque_exec(src, "the command is too long to read", via);
            return;
        }
        let parsed = parse(src);
        self.unread |= !parsed.issues.is_empty();
        let first = self.out.len();
        let ctx = Ctx { via, depth };
        self.item(&parsed.item, &ctx, stdin_from);
        if let Some(issue) = parsed.issues.first() {
            for a in self.out.iter_mut().skip(first) {
                a.opaque.get_or_insert(Opacity {
                    reason: issue.clone(),
                });
            }
            if self.out.len() == first {
                self.opaque_exec(src, issue, via);
            }
        }
    }

    /// Lower an item; returns the programs whose output it produces (for pipelines).
    fn item(&mut self, it: &Item, ctx: &Ctx<'_>, upstream: &[String]) -> Vec<String> {
        if self.deadline.is_some_and(|d| d.spent()) {
            self.deadline = None;
            self.unread = true;
            self.opaque_exec("…", "the command takes too long to follow", ctx.via);
            self.out_of_time = true;
        }
        if self.out_of_time {
            return Vec::new();
        }
        if self.out.len() > MAX_ACTIONS {
            if self.out.last().is_none_or(|a| a.opaque.is_none()) {
                self.opaque_exec("…", "the command does too much to follow", ctx.via);
            }
            return Vec::new();
        }
        match it {
            Item::Cmd(c) => self.cmd(c, ctx, upstream).into_iter().collect(),
            Item::Pipe(stages) => {
                let mut up: Vec<String> = upstream.to_vec();
                let mut last = Vec::new();
                for s in stages {
                    last = self.item(s, ctx, &up);
                    for p in &last {
                        // Distinct programs only: a 100k-stage pipeline must stay linear.
                        if !up.contains(p) {
                            up.push(p.clone());
                        }
                    }
                }
                last
            }
            Item::Seq(items) => {
                let mut last = Vec::new();
                for i in items {
                    last = self.item(i, ctx, upstream);
                }
                last
            }
            Item::Redirected { body, redirs } => {
                let mut up = upstream.to_vec();
                let mut doc = None;
                for r in redirs {
                    if let Some(text) = self.redir(r, ctx, &mut up) {
                        doc = Some(text);
                    }
                }
                // Text fed to a compound command's stdin is read by what runs inside it
                // (`{ bash; } <<< 'code'`).
                let inner = doc.or_else(|| self.stdin_doc.clone());
                let outer = std::mem::replace(&mut self.stdin_doc, inner);
                let out = self.item(body, ctx, &up);
                self.stdin_doc = outer;
                out
            }
            Item::Func { name, body } => {
                self.funcs.insert(name.clone(), (**body).clone());
                Vec::new()
            }
            Item::Assign(list) => {
                for (name, w) in list {
                    let v = self.scalar(w, ctx);
                    self.vars.insert(name.clone(), v);
                }
                Vec::new()
            }
            Item::Unset(names) => {
                for n in names {
                    self.vars.remove(n);
                    self.funcs.remove(n);
                }
                Vec::new()
            }
            Item::For { var, values, body } => {
                let words: Vec<(String, bool)> = match values {
                    Some(vs) => {
                        let mut up = Vec::new();
                        vs.iter()
                            .flat_map(|w| self.expand(w, ctx, &mut up))
                            .collect()
                    }
                    None => vec![("$@".to_string(), true)],
                };
                if words.iter().any(|(_, d)| *d) || words.len() > MAX_FANOUT || words.is_empty() {
                    self.vars.insert(var.clone(), Value::Unknown);
                    self.item(body, ctx, upstream)
                } else {
                    let mut last = Vec::new();
                    for (w, _) in words {
                        self.vars.insert(var.clone(), Value::Known(w));
                        last = self.item(body, ctx, upstream);
                    }
                    last
                }
            }
            Item::Eval(words) => {
                let mut up = Vec::new();
                for w in words {
                    self.expand(w, ctx, &mut up);
                }
                Vec::new()
            }
        }
    }

    /// Apply a redirection; returns the text fed to stdin by a here-document or here-string.
    fn redir(&mut self, r: &Redir, ctx: &Ctx<'_>, upstream: &mut Vec<String>) -> Option<String> {
        match r {
            Redir::File { op, target } => {
                let target = self.expand(target, ctx, upstream);
                if let Some((t, _)) = target.first() {
                    self.redirect(op, t);
                    // A file on stdin feeds the command like a pipe would (`nc host < file`).
                    if op.trim_start_matches(|c: char| c.is_ascii_digit()) == "<"
                        && !upstream.contains(t)
                    {
                        upstream.push(format!("<{t}"));
                    }
                }
                None
            }
            Redir::HereString(w) | Redir::HereDoc(w) => {
                let fields = self.expand_quoted(w, ctx, upstream);
                Some(fields)
            }
        }
    }

    /// A word's value as one string (assignments, here-docs): no field splitting.
    fn scalar(&mut self, w: &[Part], ctx: &Ctx<'_>) -> Value {
        let mut up = Vec::new();
        let (text, dynamic) = self.join(w, ctx, &mut up);
        if dynamic {
            Value::Unknown
        } else {
            Value::Known(text)
        }
    }

    fn expand_quoted(&mut self, w: &[Part], ctx: &Ctx<'_>, up: &mut Vec<String>) -> String {
        self.join(w, ctx, up).0
    }

    /// Concatenate a word's parts without splitting; substitutions are lowered.
    fn join(&mut self, w: &[Part], ctx: &Ctx<'_>, up: &mut Vec<String>) -> (String, bool) {
        let mut text = String::new();
        let mut dynamic = false;
        for p in w {
            match p {
                Part::Lit(s) | Part::Quoted(s) => text.push_str(s),
                Part::Var { name, .. } => match self.var(name) {
                    Some(Value::Known(v)) => text.push_str(&v),
                    _ if ENV_VARS.contains(&name.as_str()) => {
                        text.push('$');
                        text.push_str(name);
                    }
                    _ => {
                        text.push('$');
                        text.push_str(name);
                        dynamic = true;
                    }
                },
                Part::Subst { body, process } => {
                    let (t, d) = self.subst(body, *process, ctx, up);
                    text.push_str(&t);
                    dynamic |= d;
                }
                Part::Dynamic { raw, substs } => {
                    for s in substs {
                        self.subst(s, false, ctx, up);
                    }
                    text.push_str(raw);
                    dynamic = true;
                }
            }
        }
        (text, dynamic)
    }

    /// The value of a variable: assigned in the command, or a positional parameter of a call.
    fn var(&self, name: &str) -> Option<Value> {
        if let Some(args) = self.positional.last() {
            if let Ok(i) = name.parse::<usize>() {
                return Some(match i {
                    0 => Value::Known("sh".into()),
                    i => args
                        .get(i - 1)
                        .map_or(Value::Known(String::new()), |a| Value::Known(a.clone())),
                });
            }
            if name == "@" || name == "*" {
                return Some(Value::Known(args.join(" ")));
            }
        }
        self.vars.get(name).cloned()
    }

    /// Lower a command substitution; returns its value when it is statically known
    /// (`$(echo rm)`), else a placeholder marked dynamic.
    fn subst(
        &mut self,
        body: &Item,
        process: bool,
        ctx: &Ctx<'_>,
        up: &mut Vec<String>,
    ) -> (String, bool) {
        let tag = if process { "<(…)" } else { "$(…)" };
        let mut via = ctx.via.to_vec();
        via.push(tag.into());
        if !process {
            if let Some(v) = self.static_output(body, ctx) {
                return (v, false);
            }
        }
        let inner = Ctx {
            via: &via,
            depth: ctx.depth + 1,
        };
        if ctx.depth + 1 > MAX_DEPTH {
            self.opaque_exec(tag, "commands nested too deep to follow", &via);
            return (tag.to_string(), true);
        }
        let progs = self.item(body, &inner, &[]);
        if process {
            // `bash <(curl x)`: the substitution's output is the command's input.
            for p in &progs {
                if !up.contains(p) {
                    up.push(p.clone());
                }
            }
            return (format!("/dev/fd/{}", progs.join("+")), true);
        }
        (tag.to_string(), true)
    }

    /// The output of `echo`/`printf` with literal arguments, as bash would substitute it.
    fn static_output(&mut self, body: &Item, ctx: &Ctx<'_>) -> Option<String> {
        let cmd = match body {
            Item::Cmd(c) => c,
            Item::Seq(v) if v.len() == 1 => match v.first()? {
                Item::Cmd(c) => c,
                _ => return None,
            },
            _ => return None,
        };
        if !cmd.redirs.is_empty() || !cmd.assigns.is_empty() {
            return None;
        }
        let mut up = Vec::new();
        let words = self.expand_words(&cmd.words, ctx, &mut up);
        if words.iter().any(|(_, d)| *d) {
            return None;
        }
        let (prog, args) = words.split_first()?;
        let args: Vec<&str> = args.iter().map(|(w, _)| w.as_str()).collect();
        match prog.0.as_str() {
            "echo" => {
                let args: Vec<&str> = args
                    .into_iter()
                    .skip_while(|a| matches!(*a, "-n" | "-e" | "-E"))
                    .collect();
                Some(args.join(" "))
            }
            "printf" if args.len() == 1 && !args.first()?.contains('%') => {
                Some(args.first()?.replace("\\n", "\n"))
            }
            _ => None,
        }
    }

    /// Expand a word into fields: variables substituted, unquoted values split, `$IFS` splitting,
    /// brace expansion. Each field says whether part of it is only known at run time.
    fn expand(&mut self, w: &[Part], ctx: &Ctx<'_>, up: &mut Vec<String>) -> Vec<(String, bool)> {
        let mut fields: Vec<(String, bool)> = Vec::new();
        let mut cur = String::new();
        let mut dynamic = false;
        let mut started = false;
        let mut brace_ok = true;
        let mut unquoted_brace = false;
        let split = |cur: &mut String,
                     dynamic: &mut bool,
                     started: &mut bool,
                     fields: &mut Vec<(String, bool)>| {
            if *started {
                fields.push((std::mem::take(cur), *dynamic));
            }
            *dynamic = false;
            *started = false;
        };
        for p in w {
            match p {
                Part::Lit(s) => {
                    unquoted_brace |= s.contains('{');
                    cur.push_str(s);
                    started = true;
                }
                Part::Quoted(s) => {
                    brace_ok &= !s.contains(['{', '}', ',']);
                    cur.push_str(s);
                    started = true;
                }
                Part::Var { name, quoted } => {
                    let is_ifs = name == "IFS" && !self.vars.contains_key("IFS");
                    match self.var(name) {
                        _ if is_ifs && !quoted => {
                            split(&mut cur, &mut dynamic, &mut started, &mut fields)
                        }
                        Some(Value::Known(v)) if !quoted => {
                            // Unquoted expansion splits on whitespace.
                            let mut pieces = v.split_ascii_whitespace();
                            if let Some(first) = pieces.next() {
                                cur.push_str(first);
                                started = true;
                            }
                            for piece in pieces {
                                split(&mut cur, &mut dynamic, &mut started, &mut fields);
                                cur.push_str(piece);
                                started = true;
                            }
                        }
                        Some(Value::Known(v)) => {
                            cur.push_str(&v);
                            started = true;
                        }
                        _ => {
                            cur.push('$');
                            cur.push_str(name);
                            dynamic |= !ENV_VARS.contains(&name.as_str());
                            started = true;
                        }
                    }
                }
                Part::Subst { body, process } => {
                    let (t, d) = self.subst(body, *process, ctx, up);
                    if !d && !t.contains(char::is_whitespace) {
                        cur.push_str(&t);
                    } else if !d {
                        // A known output splits like an unquoted variable.
                        let mut pieces = t.split_ascii_whitespace();
                        if let Some(first) = pieces.next() {
                            cur.push_str(first);
                        }
                        for piece in pieces {
                            split(&mut cur, &mut dynamic, &mut started, &mut fields);
                            cur.push_str(piece);
                            started = true;
                        }
                    } else {
                        cur.push_str(&t);
                    }
                    dynamic |= d;
                    started = true;
                }
                Part::Dynamic { raw, substs } => {
                    for s in substs {
                        self.subst(s, false, ctx, up);
                    }
                    cur.push_str(raw);
                    dynamic = true;
                    started = true;
                }
            }
        }
        split(&mut cur, &mut dynamic, &mut started, &mut fields);
        if brace_ok && unquoted_brace {
            let mut out = Vec::new();
            for (f, d) in fields {
                for e in expand_braces(&f) {
                    out.push((e, d));
                }
            }
            return out;
        }
        fields
    }

    fn expand_words(
        &mut self,
        words: &[Word],
        ctx: &Ctx<'_>,
        up: &mut Vec<String>,
    ) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        for w in words {
            out.extend(self.expand(w, ctx, up));
        }
        out
    }

    /// Lower one simple command; returns the program that ran (for pipeline `stdin_from`).
    fn cmd(&mut self, c: &Cmd, ctx: &Ctx<'_>, upstream: &[String]) -> Option<String> {
        let mut up = upstream.to_vec();
        let mut heredoc: Option<String> = self.stdin_doc.clone();
        for r in &c.redirs {
            if let Some(text) = self.redir(r, ctx, &mut up) {
                heredoc = Some(text);
            }
        }
        for (_, w) in &c.assigns {
            self.scalar(w, ctx);
        }
        let words = self.expand_words(&c.words, ctx, &mut up);
        if words.is_empty() {
            if c.words.is_empty() {
                for (name, w) in &c.assigns {
                    let v = self.scalar(w, ctx);
                    self.vars.insert(name.clone(), v);
                }
            }
            return None;
        }
        let (name, dynamic) = words.first()?;
        if !dynamic {
            if let Some(alias) = self.aliases.get(name).cloned() {
                let rest: Vec<String> = words.iter().skip(1).map(|(w, _)| quote(w)).collect();
                let mut via = ctx.via.to_vec();
                via.push(format!("alias {name}"));
                self.source(
                    &format!("{alias} {}", rest.join(" ")),
                    &via,
                    ctx.depth + 1,
                    &up,
                );
                return Some(name.clone());
            }
            if let Some(body) = self.funcs.get(name).cloned() {
                if ctx.depth + 1 > MAX_DEPTH {
                    self.opaque_exec(name, "functions nested too deep to follow", ctx.via);
                    return Some(name.clone());
                }
                let mut via = ctx.via.to_vec();
                via.push(format!("function {name}"));
                self.positional
                    .push(words.iter().skip(1).map(|(w, _)| w.clone()).collect());
                let inner = Ctx {
                    via: &via,
                    depth: ctx.depth + 1,
                };
                let last = self.item(&body, &inner, &up);
                self.positional.pop();
                return last.into_iter().next().or(Some(name.clone()));
            }
            match name.as_str() {
                "cd" | "pushd" => {
                    let target = words
                        .iter()
                        .skip(1)
                        .find(|(w, _)| !w.starts_with('-') || w == "-");
                    self.cwd = match target {
                        None => Some("~".into()),
                        Some((t, false)) if t != "-" => Some(self.at(t)),
                        Some(_) => Some("$OLDPWD".into()),
                    };
                }
                "alias" => {
                    for (a, _) in words.iter().skip(1) {
                        if let Some((n, v)) = a.split_once('=') {
                            self.aliases.insert(n.to_string(), v.to_string());
                        }
                    }
                }
                "read" | "mapfile" | "readarray" | "getopts" => {
                    for (a, _) in words.iter().skip(1).filter(|(a, _)| !a.starts_with('-')) {
                        self.vars.insert(a.clone(), Value::Unknown);
                    }
                }
                _ => {}
            }
        }
        let line = words
            .iter()
            .map(|(w, _)| w.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let before = self.out.len();
        let prog = self.command(&words, &line, ctx.via, ctx.depth, &up, heredoc.as_deref());
        if let Some(reason) = hidden_characters(&words) {
            if let Some(a) = self.out.get_mut(before) {
                a.opaque.get_or_insert(Opacity { reason });
            }
        }
        prog
    }

    fn redirect(&mut self, op: &str, target: &str) {
        let op = op.trim_start_matches(|c: char| c.is_ascii_digit());
        if op.ends_with('&') && target.chars().all(|c| c.is_ascii_digit() || c == '-') {
            return; // `2>&1`, `>&-`: fd duplication
        }
        if let Some(rest) = target
            .strip_prefix("/dev/tcp/")
            .or_else(|| target.strip_prefix("/dev/udp/"))
        {
            let mut parts = rest.splitn(2, '/');
            let host = parts.next().unwrap_or("");
            let port = parts.next().unwrap_or("");
            self.net(
                None,
                &format!("{host}:{port}"),
                op.contains('>'),
                Some("tcp"),
            );
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
            _ => self.effects(&program, args, upstream, heredoc),
        }
        Some(program)
    }

    /// Commands git runs from configuration given on the command line (`git -c
    /// core.sshCommand=... fetch`, `git -c alias.x='!sh' x`) or stored by `git config`.
    fn git_code(&mut self, args: &[String], via: &[String], depth: usize) {
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
    fn inline_code(&mut self, code: &str, via: &[String], depth: usize) {
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

    fn find(&mut self, args: &[String], line: &str, via: &[String], depth: usize) {
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
        let mut i = 0;
        while let Some(a) = args.get(i) {
            match a.as_str() {
                "-delete" => {
                    for f in &found {
                        self.delete(f, true);
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

    /// File and network effects of well-known commands.
    fn effects(
        &mut self,
        program: &str,
        args: &[String],
        upstream: &[String],
        heredoc: Option<&str>,
    ) {
        let facts = warden_action::CommandFacts::from_args(args);
        let ops = &facts.operands;
        let has = |f: &str| facts.flags.iter().any(|x| x == f);
        let piped = !upstream.is_empty() || heredoc.is_some();
        match program {
            "cat" | "tac" | "less" | "more" | "head" | "tail" | "nl" | "strings" | "xxd" | "od"
            | "hexdump" | "base64" | "base32" | "sort" | "uniq" | "wc" | "md5sum" | "sha1sum"
            | "sha256sum" | "sha512sum" | "cksum" | "diff" | "cmp" | "iconv" | "bat" | "view"
            | "vim" | "vi" | "nano" | "emacs" | "gpg" | "openssl" | "zcat" | "bzcat" | "xzcat"
            | "column" | "fold" | "cut" | "paste" | "rev" | "tr" | "expand" | "look" => {
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
            "unzip" | "gunzip" | "bunzip2" | "unxz" => {
                for o in ops {
                    self.read(o);
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
}

/// SSH flags that take a value.
const SSH_VALUE_FLAGS: &[&str] = &[
    "-i", "-p", "-l", "-o", "-L", "-R", "-D", "-F", "-J", "-b", "-c", "-E", "-e", "-I", "-m", "-O",
    "-Q", "-S", "-W", "-w", "-B",
];

/// Operands of `args`, skipping flags and the values of `value_flags`.
fn skip_flags<'a>(
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
fn wrapper_skip(program: &str, args: &[String]) -> usize {
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

fn is_assignment(w: &str) -> bool {
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
const INTERPRETERS: &[&str] = &[
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
fn code_from_args(program: &str, args: &[String]) -> bool {
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
fn quote(w: &str) -> String {
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
fn expand_braces(w: &str) -> Vec<String> {
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
fn brace_span(s: &str) -> Option<(usize, usize)> {
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

fn split_top(s: &str) -> Vec<String> {
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
fn hidden_characters(words: &[(String, bool)]) -> Option<String> {
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

fn is_dev_sink(p: &str) -> bool {
    matches!(
        p,
        "/dev/null" | "/dev/stdout" | "/dev/stderr" | "/dev/tty" | "/dev/zero"
    )
}

#[cfg(test)]
mod tests;
