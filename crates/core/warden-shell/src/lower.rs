//! From tokens to actions: wrappers unwrapped, nested code recursed into, effects of well-known
//! commands and redirections turned into file and network actions.

use warden_action::{Action, ExecAction, NetworkAction, Opacity, Operation, PathEnv};

use std::collections::HashMap;
use std::time::Duration;

use crate::interp;
use crate::syntax::{parse, Cmd, Item, Part, Redir, Word};

mod command;
mod docs;
mod programs;
mod runners;
mod words;
mod written;

use words::*;
pub use written::written_files;

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
    // One-time set-up (the program table, the detectors, this thread's parser) happens before
    // the budget starts: on a cold, loaded start it took more than the whole budget, and the
    // first command lowered turned opaque (a baseline self-test then failed and the monitor
    // refused to start).
    crate::warm_lowering();
    crate::syntax::warm();
    let mut l = Lowerer {
        deadline: Some(crate::budget::Budget::start(LOWER_BUDGET)),
        // Live (the filesystem is the agent's), or with scripts the session remembers: scripts
        // a command runs are read.
        live: (env.resolve_symlinks || !env.scripts.is_empty()).then(|| env.clone()),
        ..Lowerer::default()
    };
    // A lone backslash at the very end continues onto a line that never comes: bash drops it.
    let command = command
        .trim_end()
        .strip_suffix('\\')
        .filter(|c| !c.ends_with('\\'))
        .unwrap_or(command);
    let command = docs::strip_prompt(command).unwrap_or(command);
    // Placeholders are read as values only when the text as written does not parse (bash would
    // refuse it): `cat <in> out` is a redirection, `grep <PATTERN>` is not.
    let filled = docs::fill_placeholders(command).filter(|_| !parse(command).issues.is_empty());
    let command = filled.as_deref().unwrap_or(command);
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
    /// What the last `find` found (`ROOT/**/{}` or ROOT), for `find ... | xargs rm`.
    found: Vec<String>,
    /// Whether that `find` filtered by name (what it found is not everything below ROOT).
    found_by_name: bool,
    /// What the last `ls` listed (its operands, and `{}`: entries of the directory), for
    /// `ls | xargs rm`; emptied by a filter that rewrites names (`tr a /`, `grep -o`).
    listed: Vec<String>,
    /// The environment, when scripts can be read: from the filesystem when lowering live, else
    /// from the session's memory of files the agent wrote.
    live: Option<PathEnv>,
    /// Files written with their whole text given (`cat > f <<EOF`), for [`written_files`].
    written: Vec<(String, String)>,
}

/// Where the current words came from, for the actions they lower to.
struct Ctx<'a> {
    via: &'a [String],
    depth: usize,
}

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
        // What `find ROOT` found (`ROOT/**/{}`) is anything below ROOT: deleting it is a
        // recursive delete, whatever the deleting program's flags.
        let recursive = recursive || (p.ends_with("/**/{}") && !self.found_by_name);
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
        let mut loader_env = Vec::new();
        for (name, w) in &c.assigns {
            let v = self.scalar(w, ctx);
            if LOADER_VARS.contains(&name.as_str()) {
                let v = match v {
                    Value::Known(v) => v,
                    Value::Unknown => "?".into(),
                };
                loader_env.push((format!("{name}={v}"), false));
            }
        }
        let mut words = self.expand_words(&c.words, ctx, &mut up);
        // `LD_PRELOAD=x.so prog` loads code into prog: lowered as `env LD_PRELOAD=x.so prog`, so
        // the assignment is seen where rules look.
        if !loader_env.is_empty() && !words.is_empty() {
            let mut with_env = vec![("env".to_string(), false)];
            with_env.extend(loader_env);
            with_env.append(&mut words);
            words = with_env;
        }
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
        self.note_written(c, &words, heredoc.as_deref());
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
}

#[cfg(test)]
mod tests;
