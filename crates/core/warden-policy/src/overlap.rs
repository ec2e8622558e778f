//! Can a path pattern name a file a rule's glob protects? Glob-against-glob intersection.
//!
//! A shell word like `~/.ss?/id_*` or a Glob tool's `**/.en?` is a *set* of paths, not one. It
//! reaches a protected file when some path matches both the word (as the shell or the tool
//! expands it) and the rule's glob. Both sides are compiled into a small automaton of
//! single-character steps and loops (`*`, `**`); the product automaton is searched for an
//! accepting state, so the cost is bounded by the product of the two lengths.
//!
//! The word side follows the shell: a wildcard at the start of a component does not name a
//! leading dot (`~/*` does not reach `~/.ssh`). A whole `**` component is read as any depth,
//! dot directories included (what `globstar`, a Glob tool or `find` reach: the wider reading);
//! `**` inside a component is `*`. The rule side follows `globset`: `**/` also
//! matches nothing, `/**/` also matches one `/`.

/// Longest pattern compiled; longer ones are taken as able to name anything (fail closed).
const MAX_LEN: usize = 512;
/// Most variants one pattern expands to (braces, optional `**/`, leading-dot rules).
const MAX_VARIANTS: usize = 256;

/// A set of characters one step can consume.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Chars {
    One(char),
    /// Any character but `/`.
    NotSlash,
    /// Any character but `/` and `.` (a wildcard at the start of a shell component).
    NotSlashDot,
    /// Any character at all.
    Any,
    /// A bracket class (inclusive ranges), negated or not. Never `/` when negated.
    Class {
        neg: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Chars {
    fn contains(&self, c: char) -> bool {
        match self {
            Chars::One(x) => *x == c,
            Chars::NotSlash => c != '/',
            Chars::NotSlashDot => c != '/' && c != '.',
            Chars::Any => true,
            Chars::Class { neg, ranges } => {
                let inside = ranges.iter().any(|(a, b)| *a <= c && c <= *b);
                if *neg {
                    !inside && c != '/'
                } else {
                    inside
                }
            }
        }
    }

    /// Characters at which the membership of either set can change, plus one no set names.
    fn witnesses(&self, out: &mut Vec<char>) {
        let mut near = |c: char| {
            out.push(c);
            out.extend(char::from_u32(u32::from(c).wrapping_sub(1)));
            out.extend(char::from_u32(u32::from(c) + 1));
        };
        match self {
            Chars::One(c) => near(*c),
            Chars::NotSlash | Chars::NotSlashDot | Chars::Any => {
                near('/');
                near('.');
            }
            Chars::Class { ranges, .. } => {
                for (a, b) in ranges {
                    near(*a);
                    near(*b);
                }
            }
        }
    }

    fn meets(&self, other: &Chars) -> bool {
        if let (Chars::One(a), _) = (self, other) {
            return other.contains(*a);
        }
        if let (_, Chars::One(b)) = (self, other) {
            return self.contains(*b);
        }
        let mut w = vec!['\u{E000}'];
        self.witnesses(&mut w);
        other.witnesses(&mut w);
        w.into_iter().any(|c| self.contains(c) && other.contains(c))
    }
}

/// One step of a pattern: consume exactly one character, or loop over any number of them.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Once(Chars),
    Loop(Chars),
}

impl Step {
    fn chars(&self) -> &Chars {
        match self {
            Step::Once(c) | Step::Loop(c) => c,
        }
    }
}

/// A compiled pattern: its variants, any of which may match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shape {
    /// Each variant with its literal prefix (the text before its first wildcard).
    variants: Vec<(String, Vec<Step>)>,
    /// Too long or too many variants to compile: taken as naming anything.
    unbounded: bool,
    /// A word whose wildcard components hold only `*` and no `.` (`cp * /tmp`, `rm -rf
    /// build/*`, `mv fgh* old/`): it names entries of a directory by a prefix, not a kind of
    /// file (`*.env`, `.en?`).
    bare: bool,
    /// A rule glob fixed to a place (`~/.aws/credentials`), not a kind of file anywhere
    /// (`**/*.env`).
    anchored: bool,
}

/// Which dialect a pattern is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// A rule glob (`globset`, literal separator).
    Rule,
    /// A path word (shell or Glob tool): leading dots are only named explicitly.
    Word,
}

/// Does `s` contain a wildcard (`*`, `?`, `[`) a shell or glob tool would expand?
///
/// `ROOT/**/{}`, the shell lowering's stand-in for "what `find ROOT` found", is not: it is
/// matched as text, so rules for ROOT's subtree match it and a `-name` filter is not widened
/// to every file below ROOT.
pub(crate) fn is_pattern(s: &str) -> bool {
    !s.contains("/{}") && s.contains(['*', '?', '['])
}

impl Shape {
    fn unbounded() -> Shape {
        Shape {
            variants: Vec::new(),
            unbounded: true,
            bare: false,
            anchored: true,
        }
    }

    /// Compile `pattern` in `dialect`.
    pub(crate) fn new(pattern: &str, dialect: Dialect) -> Shape {
        if pattern.len() > MAX_LEN {
            return Shape::unbounded();
        }
        let mut texts = Vec::new();
        if !expand_braces(pattern, &mut texts) {
            return Shape::unbounded();
        }
        let mut variants = Vec::new();
        for t in &texts {
            let Some(vs) = steps(t, dialect) else {
                return Shape::unbounded();
            };
            for v in vs {
                if variants.len() >= MAX_VARIANTS {
                    return Shape::unbounded();
                }
                let prefix: String = v
                    .iter()
                    .map_while(|st| match st {
                        Step::Once(Chars::One(c)) => Some(*c),
                        _ => None,
                    })
                    .collect();
                variants.push((prefix, v));
            }
        }
        let mut wild = pattern.split('/').filter(|c| is_pattern(c)).peekable();
        let bare = dialect == Dialect::Word
            && wild.peek().is_some()
            && wild.all(|c| !c.contains(['?', '[', '.']));
        let anchored = pattern.starts_with(['/', '~']);
        Shape {
            variants,
            unbounded: false,
            bare,
            anchored,
        }
    }

    /// Can the word `self` name a path the rule glob `rule` matches?
    ///
    /// A bare word (`dir/*`) names every entry of its directory: it reaches the files a rule
    /// protects at a fixed place below it, but it is not taken to name a *kind* of file
    /// (`*.env` anywhere) that may or may not be there; rules for the directory's own subtree
    /// match the word as text.
    pub(crate) fn overlaps(&self, rule: &Shape) -> bool {
        if self.bare && !rule.anchored {
            return false;
        }
        if self.unbounded || rule.unbounded {
            return true;
        }
        self.variants.iter().any(|(pa, a)| {
            rule.variants.iter().any(|(pb, b)| {
                // Two literal prefixes that disagree rule the pair out before any search.
                (pa.starts_with(pb.as_str()) || pb.starts_with(pa.as_str()))
                    && product_accepts(a, b)
            })
        })
    }
}

/// Expand `{a,b}` alternatives (nested allowed), at most [`MAX_VARIANTS`]; false when over.
fn expand_braces(p: &str, out: &mut Vec<String>) -> bool {
    let Some((open, close)) = brace_span(p) else {
        out.push(p.to_string());
        return true;
    };
    let (head, inner, tail) = (&p[..open], &p[open + 1..close], &p[close + 1..]);
    for alt in split_top(inner) {
        if out.len() >= MAX_VARIANTS {
            return false;
        }
        if !expand_braces(&format!("{head}{alt}{tail}"), out) {
            return false;
        }
    }
    true
}

/// The first top-level `{...}` holding a `,`, as byte offsets of the braces.
fn brace_span(s: &str) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    let mut open = None;
    let mut comma = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '{' => {
                if depth == 0 {
                    open = Some(i);
                    comma = false;
                }
                depth += 1;
            }
            ',' if depth == 1 => comma = true,
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 && comma {
                    return open.map(|o| (o, i));
                }
            }
            _ => {}
        }
    }
    None
}

/// Split on top-level commas.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// Parse a bracket class starting after `[`; returns it and the rest, or `None` if unclosed.
fn class(chars: &[char]) -> Option<(Chars, usize)> {
    let mut i = 0;
    let neg = matches!(chars.first(), Some('!' | '^'));
    if neg {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    while let Some(&c) = chars.get(i) {
        if c == ']' && !first {
            return Some((Chars::Class { neg, ranges }, i + 1));
        }
        first = false;
        let c = if c == '\\' {
            i += 1;
            *chars.get(i)?
        } else {
            c
        };
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|n| *n != ']') {
            let hi = *chars.get(i + 2)?;
            ranges.push((c, hi));
            i += 3;
        } else {
            ranges.push((c, c));
            i += 1;
        }
    }
    None
}

/// The step sequences of one brace-free pattern (a `**` may add variants).
fn steps(p: &str, dialect: Dialect) -> Option<Vec<Vec<Step>>> {
    let chars: Vec<char> = p.chars().collect();
    let mut out: Vec<Vec<Step>> = vec![Vec::new()];
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let at_start = i == 0 || chars.get(i.wrapping_sub(1)) == Some(&'/');
        let leading = dialect == Dialect::Word && at_start;
        match c {
            '*' if chars.get(i + 1) == Some(&'*')
                && at_start
                && matches!(chars.get(i + 2), None | Some('/')) =>
            {
                let slash_after = chars.get(i + 2) == Some(&'/');
                if slash_after {
                    // `**/`: nothing, or anything ending in `/`.
                    let mut more = Vec::new();
                    for v in &out {
                        more.push(v.clone());
                        let mut w = v.clone();
                        w.push(Step::Loop(Chars::Any));
                        w.push(Step::Once(Chars::One('/')));
                        more.push(w);
                    }
                    out = more;
                    i += 3;
                } else {
                    for v in &mut out {
                        v.push(Step::Loop(Chars::Any));
                    }
                    i += 2;
                }
                continue;
            }
            '*' if leading => {
                // The shell (without `globstar`) reads `**` as `*`.
                while chars.get(i + 1) == Some(&'*') {
                    i += 1;
                }
                // Nothing, or a first character that is not a dot and then anything.
                let mut more = Vec::new();
                for v in &out {
                    more.push(v.clone());
                    let mut w = v.clone();
                    w.push(Step::Once(Chars::NotSlashDot));
                    w.push(Step::Loop(Chars::NotSlash));
                    more.push(w);
                }
                out = more;
            }
            '*' => {
                while chars.get(i + 1) == Some(&'*') {
                    i += 1;
                }
                out.iter_mut()
                    .for_each(|v| v.push(Step::Loop(Chars::NotSlash)));
            }
            '?' => {
                let set = if leading {
                    Chars::NotSlashDot
                } else {
                    Chars::NotSlash
                };
                out.iter_mut().for_each(|v| v.push(Step::Once(set.clone())));
            }
            '[' => match chars.get(i + 1..).and_then(class) {
                Some((mut set, used)) => {
                    if leading {
                        if let Chars::Class { neg: true, ranges } = &mut set {
                            ranges.push(('.', '.'));
                        } else if let Chars::Class { ranges, .. } = &mut set {
                            ranges.retain(|r| *r != ('.', '.'));
                        }
                    }
                    out.iter_mut().for_each(|v| v.push(Step::Once(set.clone())));
                    i += used + 1;
                    continue;
                }
                None => out
                    .iter_mut()
                    .for_each(|v| v.push(Step::Once(Chars::One('[')))),
            },
            '\\' if dialect == Dialect::Rule => {
                let lit = chars.get(i + 1).copied().unwrap_or('\\');
                out.iter_mut()
                    .for_each(|v| v.push(Step::Once(Chars::One(lit))));
                i += 2;
                continue;
            }
            c => out
                .iter_mut()
                .for_each(|v| v.push(Step::Once(Chars::One(c)))),
        }
        if out.len() > MAX_VARIANTS {
            return None;
        }
        i += 1;
    }
    Some(out)
}

/// Does the product of the two step automata reach its accepting state?
fn product_accepts(a: &[Step], b: &[Step]) -> bool {
    let (n, m) = (a.len(), b.len());
    let width = m + 1;
    let mut seen = vec![false; (n + 1) * width];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        let Some(slot) = seen.get_mut(i * width + j) else {
            continue;
        };
        if *slot {
            continue;
        }
        *slot = true;
        if i == n && j == m {
            return true;
        }
        let sa = a.get(i);
        let sb = b.get(j);
        if let Some(Step::Loop(_)) = sa {
            stack.push((i + 1, j));
        }
        if let Some(Step::Loop(_)) = sb {
            stack.push((i, j + 1));
        }
        if let (Some(x), Some(y)) = (sa, sb) {
            if x.chars().meets(y.chars()) {
                let ni = if matches!(x, Step::Loop(_)) { i } else { i + 1 };
                let nj = if matches!(y, Step::Loop(_)) { j } else { j + 1 };
                if (ni, nj) != (i, j) {
                    stack.push((ni, nj));
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn can(word: &str, rule: &str) -> bool {
        Shape::new(word, Dialect::Word).overlaps(&Shape::new(rule, Dialect::Rule))
    }

    #[test]
    fn patterns_that_can_name_a_protected_file_overlap() {
        assert!(can("~/.ss?/id_*", "~/.ssh/id_*"));
        assert!(can("~/.aws/cred*", "~/.aws/credentials"));
        assert!(can("/w/app/.en?", "**/.env"));
        assert!(can("~/.config/gh/*", "~/.config/{gh,hub}/hosts.yml"));
        assert!(can("~/.ssh/[i]d_rsa", "~/.ssh/id_*"));
        assert!(can("~/.ssh/*", "~/.ssh/**"));
        assert!(can("/etc/*/x", "/etc/**"));
        assert!(can("~/.ssh/**", "~/.ssh/id_*"));
        assert!(can("~/.[s]sh/id_rsa", "~/.ssh/id_*"));
    }

    #[test]
    fn patterns_that_cannot_stay_apart() {
        assert!(!can("~/.ssh/*.pub", "~/.ssh/id_*x"));
        assert!(!can("/w/app/*.log", "**/.env"));
        assert!(
            !can("~/*/id_rsa", "~/.ssh/id_*"),
            "a leading * never names a dot file"
        );
        assert!(!can("/w/app/src/*.rs", "~/.ssh/**"));
        assert!(!can("~/*", "~/.bashrc"));
        assert!(!is_pattern("/w/app/**/{}"));
        assert!(
            !can("/w/app/x**/y", "/w/app/x/.git/y"),
            "the shell reads `**` as `*`"
        );
        assert!(
            can("~/**/id_rsa", "~/.ssh/id_*"),
            "a `**` component reaches any depth"
        );
        assert!(!can("/w/app/?env", "**/.env"));
        assert!(!can("/tmp/[!.]ssh/id_rsa", "/tmp/.ssh/id_rsa"));
    }

    #[test]
    fn rule_double_stars_also_match_nothing() {
        assert!(can("/a/b", "/a/**/b"));
        assert!(can("/x/.env", "**/.env"));
        assert!(!can("/a/b", "/a/**/c"));
    }

    #[test]
    fn a_bare_star_names_entries_not_kinds_of_files() {
        assert!(!can("/w/app/*", "**/*.env"));
        assert!(!can("/tmp/*", "**/*.kdbx"));
        assert!(can("~/.aws/*", "~/.aws/credentials"));
        assert!(can("/w/app/*.env", "**/*.env"));
        assert!(
            !can("/w/app/Unix_*", "**/*.env"),
            "a prefix is not a kind of file"
        );
        assert!(
            can("~/.aws/cred*", "~/.aws/credentials"),
            "but it reaches fixed places"
        );
        assert!(
            can("/w/app/.*", "**/.env"),
            "`.*` names dot files: not bare"
        );
    }

    #[test]
    fn many_alternatives_are_compiled_not_given_up() {
        let names: Vec<String> = (0..60).map(|i| format!("p{i}")).collect();
        let rule = format!("~/bin/{{{}}}", names.join(","));
        assert!(!can("~/proj/${x%.tar*}", &rule));
        assert!(can("~/bin/p4?", &rule));
    }

    #[test]
    fn oversized_patterns_fail_closed() {
        let long = "*".repeat(MAX_LEN + 1);
        assert!(can(&long, "/anything"));
    }
}
