//! Programs that run shell code stored in a project file: `npm run X` (the `scripts` of
//! `package.json`) and `make` (the recipe lines of a Makefile's targets). The text comes from
//! the file in live mode, else from the session's memory of files the agent wrote; it is
//! lowered like inline shell. A file that cannot be read leaves the command as it was.

use super::Lowerer;

/// Most targets of a Makefile followed for one `make` (its goals and their prerequisites).
const MAX_MAKE_TARGETS: usize = 32;

impl Lowerer {
    /// The text of a file the command names, from disk in live mode or from the session's memory.
    pub(super) fn file_text(&self, path: &str) -> Option<String> {
        let env = self.live.as_ref()?;
        let p = warden_action::normalize_path(&self.at(path), env);
        let on_disk = if env.resolve_symlinks {
            super::command::read_bounded(&p.path)
        } else {
            None
        };
        on_disk.or_else(|| env.scripts.get(&p.path).map(str::to_string))
    }

    /// `npm run X`, `npm test`, `pnpm run X`, `yarn X`: the script (with its `pre` and `post`
    /// scripts) from `package.json`.
    pub(super) fn package_script(
        &mut self,
        program: &str,
        args: &[String],
        via: &[String],
        depth: usize,
    ) {
        let ops: Vec<&String> = args.iter().take_while(|a| *a != "--").collect();
        let name = match (program, ops.first().map(|s| s.as_str())) {
            (_, Some("run" | "run-script")) => ops.get(1).map(|s| s.to_string()),
            (_, Some(s @ ("test" | "start" | "stop" | "restart"))) => Some(s.to_string()),
            ("yarn", Some(s)) if !s.starts_with('-') && !is_yarn_command(s) => Some(s.to_string()),
            _ => None,
        };
        let Some(name) = name.filter(|n| !n.starts_with('-')) else {
            return;
        };
        let Some(text) = self.file_text("package.json") else {
            return;
        };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            return;
        };
        let extra: Vec<String> = args
            .iter()
            .skip_while(|a| *a != "--")
            .skip(1)
            .map(|a| super::quote(a))
            .collect();
        let mut v = via.to_vec();
        v.push(format!("{program} run {name}"));
        for (key, with_args) in [
            (format!("pre{name}"), false),
            (name.clone(), true),
            (format!("post{name}"), false),
        ] {
            let Some(script) = json
                .pointer(&format!("/scripts/{key}"))
                .and_then(|s| s.as_str())
            else {
                continue;
            };
            let code = if with_args && !extra.is_empty() {
                format!("{script} {}", extra.join(" "))
            } else {
                script.to_string()
            };
            self.source(&code, &v, depth + 1, &[]);
        }
    }

    /// `make [-f FILE] [-C DIR] [TARGET...]`: the recipe lines of the goals and of the targets
    /// they depend on (at most [`MAX_MAKE_TARGETS`]), with the Makefile's simple variables.
    pub(super) fn make_recipes(&mut self, args: &[String], via: &[String], depth: usize) {
        let mut file: Option<String> = None;
        let mut dir: Option<String> = None;
        let mut goals = Vec::new();
        let mut i = 0;
        while let Some(a) = args.get(i) {
            let next = args.get(i + 1);
            i += match a.as_str() {
                "-f" | "--file" | "--makefile" => {
                    file = next.cloned();
                    2
                }
                "-C" | "--directory" => {
                    dir = next.cloned();
                    2
                }
                "-o" | "-W" | "-I" => 2,
                // `-j` and `-l` take a number, when one follows.
                "-j" | "-l" if next.is_some_and(|n| n.parse::<f64>().is_ok()) => 2,
                _ if a.starts_with('-') || a.contains('=') => 1,
                _ => {
                    goals.push(a.clone());
                    1
                }
            };
        }
        let in_dir = |f: &str| match &dir {
            Some(d) => format!("{}/{f}", d.trim_end_matches('/')),
            None => f.to_string(),
        };
        let text = match &file {
            Some(f) => self.file_text(&in_dir(f)),
            None => ["GNUmakefile", "makefile", "Makefile"]
                .iter()
                .find_map(|f| self.file_text(&in_dir(f))),
        };
        let Some(text) = text else {
            return;
        };
        let mk = Makefile::parse(&text);
        if goals.is_empty() {
            goals.extend(mk.default_goal.clone());
        }
        let mut v = via.to_vec();
        v.push("make".into());
        let saved = self.cwd.clone();
        if let Some(d) = &dir {
            self.cwd = Some(self.at(d));
        }
        let mut done: Vec<String> = Vec::new();
        let mut todo = goals;
        while let Some(t) = todo.pop() {
            if done.contains(&t) || done.len() >= MAX_MAKE_TARGETS {
                continue;
            }
            done.push(t.clone());
            let Some(rule) = mk.rules.iter().find(|r| r.targets.contains(&t)) else {
                continue;
            };
            todo.extend(rule.prereqs.iter().rev().cloned());
            for line in &rule.recipe {
                let code = mk.expand(line, &t, &rule.prereqs);
                self.source(&code, &v, depth + 1, &[]);
            }
        }
        self.cwd = saved;
    }
}

/// Words `yarn` takes as its own commands, not script names.
fn is_yarn_command(s: &str) -> bool {
    matches!(
        s,
        "add"
            | "install"
            | "remove"
            | "upgrade"
            | "init"
            | "info"
            | "why"
            | "list"
            | "config"
            | "cache"
            | "global"
            | "link"
            | "unlink"
            | "publish"
            | "login"
            | "logout"
            | "pack"
            | "version"
            | "workspace"
            | "workspaces"
            | "dlx"
            | "exec"
            | "node"
            | "bin"
            | "audit"
    )
}

/// The parts of a Makefile `make` runs: explicit rules and simple variables.
#[derive(Debug, Default)]
struct Makefile {
    vars: Vec<(String, String)>,
    rules: Vec<Rule>,
    default_goal: Option<String>,
}

#[derive(Debug, Default)]
struct Rule {
    targets: Vec<String>,
    prereqs: Vec<String>,
    recipe: Vec<String>,
}

impl Makefile {
    fn parse(text: &str) -> Self {
        let mut mk = Makefile::default();
        let mut current: Option<Rule> = None;
        for raw in text.lines() {
            if let Some(line) = raw.strip_prefix('\t') {
                if let Some(rule) = current.as_mut() {
                    let cmd = line.trim_start_matches(['@', '-', '+', ' ', '\t']);
                    if !cmd.is_empty() && !cmd.starts_with('#') {
                        rule.recipe.push(cmd.to_string());
                    }
                }
                continue;
            }
            let line = raw.split('#').next().unwrap_or("").trim_end();
            if line.trim().is_empty() {
                continue;
            }
            if let Some(rule) = current.take() {
                mk.rules.push(rule);
            }
            if let Some((name, value)) = assignment(line) {
                mk.vars.push((name, value));
            } else if let Some((targets, prereqs)) = line.split_once(':') {
                let prereqs = prereqs.trim_start_matches(':');
                let (prereqs, inline) = match prereqs.split_once(';') {
                    Some((p, r)) => (p, Some(r.trim().to_string())),
                    None => (prereqs, None),
                };
                let targets: Vec<String> = targets.split_whitespace().map(str::to_string).collect();
                if mk.default_goal.is_none() {
                    mk.default_goal = targets
                        .iter()
                        .find(|t| !t.starts_with('.') && !t.contains('%'))
                        .cloned();
                }
                current = Some(Rule {
                    targets,
                    prereqs: prereqs.split_whitespace().map(str::to_string).collect(),
                    recipe: inline.into_iter().collect(),
                });
            }
        }
        if let Some(rule) = current {
            mk.rules.push(rule);
        }
        mk
    }

    /// A recipe line with make's expansions done: known variables substituted, `$(shell X)`
    /// as the command substitution it is, anything else a value known only at run time.
    fn expand(&self, line: &str, target: &str, prereqs: &[String]) -> String {
        let mut out = String::new();
        let mut rest = line;
        let mut rounds = 0;
        while let Some(pos) = rest.find('$') {
            rounds += 1;
            out.push_str(rest.get(..pos).unwrap_or(""));
            let after = rest.get(pos + 1..).unwrap_or("");
            let (value, used) = match after.chars().next() {
                Some('$') => ("$".to_string(), 1),
                Some('@') => (target.to_string(), 1),
                Some('<') => (prereqs.first().cloned().unwrap_or_default(), 1),
                Some('^') => (prereqs.join(" "), 1),
                Some(open @ ('(' | '{')) if rounds < 64 => {
                    let close = if open == '(' { ')' } else { '}' };
                    match after.find(close) {
                        Some(end) => {
                            let name = after.get(1..end).unwrap_or("");
                            (self.value(name), end + 1)
                        }
                        None => ("${WARDEN_MAKE_VALUE}".to_string(), after.len()),
                    }
                }
                _ => ("${WARDEN_MAKE_VALUE}".to_string(), 1.min(after.len())),
            };
            out.push_str(&value);
            rest = after.get(used..).unwrap_or("");
        }
        out.push_str(rest);
        out
    }

    /// The value of `$(NAME)`: a variable of the Makefile or one make defines, `$(shell X)` as
    /// `$(X)`, else a value known only at run time.
    fn value(&self, name: &str) -> String {
        if let Some(cmd) = name.strip_prefix("shell ") {
            return format!("$({cmd})");
        }
        if let Some((_, v)) = self.vars.iter().rev().find(|(n, _)| n == name) {
            if !v.contains('$') {
                return v.clone();
            }
        }
        match name {
            "MAKE" => "make".into(),
            "RM" => "rm -f".into(),
            "CC" => "cc".into(),
            "CXX" => "g++".into(),
            "CURDIR" => ".".into(),
            _ => "${WARDEN_MAKE_VALUE}".into(),
        }
    }
}

/// `NAME = value`, `NAME := value`, `NAME ?= value`, `NAME += value` (appends are unknown).
fn assignment(line: &str) -> Option<(String, String)> {
    let (left, value) = line.split_once('=')?;
    let left = left.trim_end();
    let (name, op) = match left.strip_suffix([':', '?', '+', '!']) {
        Some(n) => (n.trim_end_matches(':').trim(), left.chars().last()),
        None => (left.trim(), None),
    };
    let simple = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !simple {
        return None;
    }
    let value = match op {
        Some('+' | '!') => "$(unknown)".to_string(),
        _ => value.trim().to_string(),
    };
    Some((name.to_string(), value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn makefiles_are_read_for_recipes() {
        let mk = Makefile::parse(
            "CC := gcc\nOUT = build\n# comment\nall: app\n\napp: main.c\n\t@$(CC) -o $@ $<\n\t-$(RM) -r $(OUT)/tmp\n.PHONY: all\nclean:\n\trm -rf $(OUT) $(shell echo x)\n",
        );
        assert_eq!(mk.default_goal.as_deref(), Some("all"));
        let app = mk.rules.iter().find(|r| r.targets == ["app"]).unwrap();
        let lines: Vec<String> = app
            .recipe
            .iter()
            .map(|l| mk.expand(l, "app", &app.prereqs))
            .collect();
        assert_eq!(lines, ["gcc -o app main.c", "rm -f -r build/tmp"]);
        let clean = mk.rules.iter().find(|r| r.targets == ["clean"]).unwrap();
        assert_eq!(
            mk.expand(&clean.recipe[0], "clean", &[]),
            "rm -rf build $(echo x)"
        );
        assert_eq!(
            mk.expand("$(foo bar) $$HOME", "t", &[]),
            "${WARDEN_MAKE_VALUE} $HOME"
        );
    }
}
