//! Program knowledge as data (`data/programs.toml`): which options take a value and which
//! option values are files read or written, so `head -n 100 f` reads `f` and `grep -A 3 pat
//! FILE` reads `FILE`.
//!
//! The table is compiled into the binary and parsed once; the `the_table_parses` test parses it,
//! so a broken table fails the tests rather than silently dropping knowledge.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

/// The table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    program: Vec<Spec>,
}

/// What one program (or a family of programs sharing options) does with its arguments.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Spec {
    names: Vec<String>,
    /// Options followed by a value that is not a file.
    #[serde(default)]
    value: Vec<String>,
    /// Options followed by two values that are not files (`jq --arg name value`).
    #[serde(default)]
    value2: Vec<String>,
    /// Options whose value is a file read.
    #[serde(default)]
    read_value: Vec<String>,
    /// Options followed by a name and then a file read (`jq --rawfile name FILE`).
    #[serde(default)]
    read_value2: Vec<String>,
    /// Options whose value is a file written.
    #[serde(default)]
    write_value: Vec<String>,
    /// Options are words with one dash (`openssl -in f`): never bundled.
    #[serde(default)]
    single_dash_long: bool,
    /// What the program does with its operands (the files it is given).
    #[serde(default)]
    operands: Option<OperandRole>,
    /// The first operand is not a file but a pattern or a program (`grep PATTERN FILE`, `awk
    /// PROGRAM FILE`), unless one of `pattern_options` gives it (`grep -e P FILE`).
    #[serde(default)]
    pattern_first: bool,
    /// Options that give the pattern or program, so that every operand is a file.
    #[serde(default)]
    pattern_options: Vec<String>,
}

/// What a program does with the files named by its operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OperandRole {
    /// Reads them.
    Read,
    /// Writes (creates, truncates, changes) them.
    Written,
}

/// A program's arguments sorted by role.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Args {
    /// Operands (arguments that are not options or option values).
    pub(crate) operands: Vec<String>,
    /// Files named by options the program reads.
    pub(crate) reads: Vec<String>,
    /// Files named by options the program writes.
    pub(crate) writes: Vec<String>,
    /// What the program does with the files its operands name, when the table says.
    pub(crate) role: Option<OperandRole>,
    /// The operands that name files (a leading pattern or program left out).
    pub(crate) files: Vec<String>,
}

const TEXT: &str = include_str!("../data/programs.toml");

/// The parsed table: every spec, and each program name's spec.
struct Db {
    specs: Vec<Spec>,
    by_name: HashMap<String, usize>,
}

/// Parse the built-in table.
fn parse() -> Result<Db, toml::de::Error> {
    let table: Table = toml::from_str(TEXT)?;
    let mut by_name = HashMap::new();
    for (i, spec) in table.program.iter().enumerate() {
        for n in &spec.names {
            by_name.insert(n.clone(), i);
        }
    }
    Ok(Db {
        specs: table.program,
        by_name,
    })
}

#[expect(
    clippy::expect_used,
    reason = "the table is compiled in; `the_table_parses` parses it, so this cannot fail in a tested build"
)]
static TABLE: LazyLock<Db> = LazyLock::new(|| parse().expect("data/programs.toml parses"));

/// Parse the table now (a start-up check).
pub(crate) fn build() {
    LazyLock::force(&TABLE);
}

/// The arguments of `program` by role, or `None` when the table does not know the program.
pub(crate) fn sort_args(program: &str, args: &[String]) -> Option<Args> {
    let spec = TABLE.specs.get(*TABLE.by_name.get(program)?)?;
    Some(spec.sort(args))
}

impl Spec {
    /// The role of option word `opt`: how many values follow and what the last one is.
    fn arity(&self, opt: &str) -> Option<(usize, Role)> {
        let has = |list: &[String]| list.iter().any(|o| o == opt);
        if has(&self.read_value) {
            Some((1, Role::Read))
        } else if has(&self.write_value) {
            Some((1, Role::Write))
        } else if has(&self.value) {
            Some((1, Role::Ignore))
        } else if has(&self.read_value2) {
            Some((2, Role::Read))
        } else if has(&self.value2) {
            Some((2, Role::Ignore))
        } else {
            None
        }
    }

    fn sort(&self, args: &[String]) -> Args {
        let mut out = Args::default();
        let mut i = 0;
        let mut dashdash = false;
        let mut pattern_given = false;
        while let Some(a) = args.get(i) {
            i += 1;
            if dashdash || a == "-" || !a.starts_with('-') {
                out.operands.push(a.clone());
                continue;
            }
            if a == "--" {
                dashdash = true;
                continue;
            }
            // `--opt=value` and, for short options, `-n5`: the value is attached.
            let (opt, attached) = self.split_attached(a);
            let Some((n, role)) = self.arity(&opt) else {
                // A flag that gives the pattern (`grep -e` takes a value; a bundled `-rne`
                // is not split here and leaves the first operand a pattern).
                pattern_given |= self.pattern_options.contains(&opt);
                continue;
            };
            let mut values: Vec<String> = attached.into_iter().collect();
            while values.len() < n {
                let Some(v) = args.get(i) else { break };
                values.push(v.clone());
                i += 1;
            }
            if let Some(v) = values.last() {
                match role {
                    Role::Read => out.reads.push(v.clone()),
                    Role::Write => out.writes.push(v.clone()),
                    Role::Ignore => {}
                }
            }
            if self.pattern_options.contains(&opt) {
                pattern_given = true;
            }
        }
        out.role = self.operands;
        let skip = usize::from(self.pattern_first && !pattern_given);
        out.files = out.operands.iter().skip(skip).cloned().collect();
        out
    }

    /// Split `--opt=value` or `-nVALUE` into the option and its attached value.
    fn split_attached(&self, a: &str) -> (String, Option<String>) {
        if let Some((o, v)) = a.split_once('=').filter(|_| a.starts_with("--")) {
            return (o.to_string(), Some(v.to_string()));
        }
        if self.single_dash_long || a.starts_with("--") || a.len() <= 2 {
            return (a.to_string(), None);
        }
        // `-n5`: a known short option followed by its value; `-rn` (bundled flags) is not.
        let short = a.get(..2).unwrap_or(a);
        match self.arity(short) {
            Some(_) => (short.to_string(), a.get(2..).map(str::to_string)),
            None => (a.to_string(), None),
        }
    }
}

/// What an option's (last) value is.
#[derive(Debug, Clone, Copy)]
enum Role {
    Ignore,
    Read,
    Write,
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn sorted(program: &str, line: &str) -> Args {
        let args: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        sort_args(program, &args).unwrap_or_default()
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn the_table_parses() {
        let table = parse().unwrap();
        assert!(table.by_name.contains_key("head") && table.by_name.contains_key("openssl"));
        build();
        for spec in &table.specs {
            let name = spec.names.join(",");
            for o in spec
                .value
                .iter()
                .chain(&spec.value2)
                .chain(&spec.read_value)
                .chain(&spec.read_value2)
                .chain(&spec.write_value)
                .chain(&spec.pattern_options)
            {
                assert!(o.starts_with('-') && !o.contains('='), "{name}: {o}");
            }
        }
    }

    #[test]
    fn option_values_are_not_operands() {
        assert_eq!(sorted("head", "-n 100 f").operands, strings(&["f"]));
        assert_eq!(sorted("head", "-n100 f").operands, strings(&["f"]));
        assert_eq!(
            sorted("grep", "-A 3 pat FILE").operands,
            strings(&["pat", "FILE"])
        );
        assert_eq!(
            sorted("grep", "-rn pat src").operands,
            strings(&["pat", "src"])
        );
        let s = sorted("sed", "-e s/a/b/ -f script.sed in.txt");
        assert_eq!(
            (s.operands, s.reads),
            (strings(&["in.txt"]), strings(&["script.sed"]))
        );
        let s = sorted("sort", "-k 2 -o out.txt in.txt");
        assert_eq!(
            (s.operands, s.writes),
            (strings(&["in.txt"]), strings(&["out.txt"]))
        );
        let s = sorted("openssl", "enc -d -in secret.enc -out plain -pass pass:x");
        assert_eq!(
            (s.operands, s.reads, s.writes),
            (
                strings(&["enc"]),
                strings(&["secret.enc"]),
                strings(&["plain"])
            )
        );
        let s = sorted(
            "jq",
            "--arg n v --rawfile k /home/u/.ssh/id_rsa . data.json",
        );
        assert_eq!(
            (s.operands, s.reads),
            (
                strings(&[".", "data.json"]),
                strings(&["/home/u/.ssh/id_rsa"])
            )
        );
        let s = sorted("mv", "-t /tmp a b");
        assert_eq!(
            (s.operands, s.writes),
            (strings(&["a", "b"]), strings(&["/tmp"]))
        );
        assert_eq!(sorted("head", "--lines=5 f").operands, strings(&["f"]));
    }
}
