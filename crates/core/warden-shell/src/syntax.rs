//! The bash grammar (tree-sitter-bash) turned into a small tree the lowering walks.
//!
//! tree-sitter gives a concrete syntax tree; [`parse`] keeps what decides effects: commands with
//! their words (as unexpanded [`Part`]s, because a variable's value is only known while lowering),
//! redirections, here-documents, pipelines, lists, function definitions, assignments, loops and
//! conditionals. A node kind this module does not know is reported as an issue, so the lowering
//! can mark its actions opaque rather than pretend it understood them.

use std::cell::RefCell;

use std::time::Duration;

use tree_sitter::{Node, Parser};

/// Longest a parse may take before the command is called unreadable (debug builds, ten times
/// slower, get more so tests decide the same as release).
pub(crate) const PARSE_BUDGET: Duration =
    Duration::from_millis(if cfg!(debug_assertions) { 50 } else { 3 });

/// Deepest syntax nesting walked; deeper input is reported as too deep.
pub(crate) const MAX_NODE_DEPTH: usize = 256;

/// One piece of a word before expansion.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    /// Unquoted literal text (subject to brace expansion and globbing).
    Lit(String),
    /// Quoted literal text (taken as is).
    Quoted(String),
    /// `$NAME`, `${NAME}`; `quoted` inside double quotes (no field splitting).
    Var { name: String, quoted: bool },
    /// `$(...)`, `` `...` ``, `<(...)`, `>(...)`.
    Subst { body: Box<Item>, process: bool },
    /// Anything computed at run time (`${X:-y}`, `$((1+2))`), with substitutions inside it.
    Dynamic { raw: String, substs: Vec<Item> },
}

/// A word: the parts that are concatenated into it.
pub(crate) type Word = Vec<Part>;

/// A redirection.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Redir {
    /// `>`, `>>`, `<`, `&>`, `>&`, `<&`, `>|`, with the target.
    File { op: String, target: Word },
    /// `<<<word`.
    HereString(Word),
    /// `<<EOF ... EOF`: the body (expanded unless the delimiter was quoted).
    HereDoc(Word),
}

/// A simple command.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Cmd {
    /// `NAME=value` prefixes.
    pub(crate) assigns: Vec<(String, Word)>,
    /// The command name and its arguments.
    pub(crate) words: Vec<Word>,
    /// Redirections.
    pub(crate) redirs: Vec<Redir>,
}

/// What the lowering walks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// A simple command.
    Cmd(Cmd),
    /// Stages connected by pipes; each stage's output feeds the next.
    Pipe(Vec<Item>),
    /// Items run one after another (lists, groups, subshells, bodies, branches).
    Seq(Vec<Item>),
    /// A compound command with redirections (`{ ...; } > f`, `while ...; done < f`).
    Redirected { body: Box<Item>, redirs: Vec<Redir> },
    /// `name() { body }`.
    Func { name: String, body: Box<Item> },
    /// `NAME=value` on its own (or in `export`/`declare`/`local`).
    Assign(Vec<(String, Word)>),
    /// `unset NAME...`.
    Unset(Vec<String>),
    /// `for NAME in WORDS; do BODY; done` (`values` is `None` for `for NAME; do`).
    For {
        var: String,
        values: Option<Vec<Word>>,
        body: Box<Item>,
    },
    /// Words evaluated for their substitutions only (`[[ ... ]]`, arithmetic, conditions).
    Eval(Vec<Word>),
}

/// The parse of a source text.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// The tree.
    pub(crate) item: Item,
    /// What could not be read exactly (syntax errors, unknown constructs, too deep).
    pub(crate) issues: Vec<String>,
}

thread_local! {
    /// One parser per thread: creating a parser costs more than parsing a one-line command.
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// Create this thread's parser now, if it has none: set-up is not a command's cost, so it must
/// not run inside a command's time budget.
pub(crate) fn warm() {
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut p = Parser::new();
            if p.set_language(&tree_sitter_bash::LANGUAGE.into()).is_ok() {
                *slot = Some(p);
            }
        }
    });
}

/// Parse `src` as bash.
///
/// The grammar's C scanner passes characters beyond ASCII to C `ctype` functions, which is
/// undefined behaviour and crashes on some input (`{` followed by a character outside the BMP
/// crashed the process, found by our fuzz test). The parser therefore sees a copy where every
/// byte of a non-ASCII character is `x`: bash treats such characters as word characters anyway,
/// byte offsets stay the same, and the walk reads words from the original text.
pub(crate) fn parse(src: &str) -> Parsed {
    let ascii: std::borrow::Cow<'_, str> = if src.is_ascii() {
        std::borrow::Cow::Borrowed(src)
    } else {
        std::borrow::Cow::Owned(
            src.bytes()
                .map(|b| if b.is_ascii() { char::from(b) } else { 'x' })
                .collect(),
        )
    };
    let tree = PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut p = Parser::new();
            if p.set_language(&tree_sitter_bash::LANGUAGE.into()).is_err() {
                return None;
            }
            *slot = Some(p);
        }
        let budget = crate::budget::Budget::start(PARSE_BUDGET);
        let bytes = ascii.as_bytes();
        let mut read = |i: usize, _: tree_sitter::Point| bytes.get(i..).unwrap_or(&[]);
        // Returning true cancels the parse: some inputs (thousands of here-documents) make the
        // grammar's scanner quadratic.
        let mut progress = |_: &tree_sitter::ParseState| budget.spent();
        let options = tree_sitter::ParseOptions::new().progress_callback(&mut progress);
        let tree = slot
            .as_mut()
            .and_then(|p| p.parse_with_options(&mut read, None, Some(options)));
        if tree.is_none() {
            // A cancelled parser must be reset before its next use.
            if let Some(p) = slot.as_mut() {
                p.reset();
            }
        }
        tree
    });
    let Some(tree) = tree else {
        return Parsed {
            item: Item::Seq(Vec::new()),
            issues: vec!["the command is too complex to read in time".into()],
        };
    };
    let mut w = Walker {
        src,
        issues: Vec::new(),
    };
    let item = w.item(tree.root_node(), 0);
    Parsed {
        item,
        issues: w.issues,
    }
}

struct Walker<'a> {
    src: &'a str,
    issues: Vec<String>,
}

/// Kinds that are punctuation or keywords: nothing to lower.
fn is_punct(kind: &str) -> bool {
    matches!(
        kind,
        ";" | ";;"
            | "&"
            | "&&"
            | "||"
            | "|"
            | "|&"
            | "("
            | ")"
            | "{"
            | "}"
            | "do"
            | "done"
            | "then"
            | "fi"
            | "if"
            | "elif"
            | "else"
            | "while"
            | "until"
            | "for"
            | "in"
            | "case"
            | "esac"
            | "function"
            | "comment"
            | "\n"
            | "!"
            | "select"
            | "[["
            | "]]"
            | "["
            | "]"
            | "(("
            | "))"
            | "="
            | "$"
            | "${"
            | "$("
            | "`"
            | "\""
            | "heredoc_start"
            | "heredoc_end"
            | "<<"
            | "<<-"
            | "<<<"
    )
}

impl Walker<'_> {
    fn text(&self, n: Node) -> &str {
        self.src.get(n.byte_range()).unwrap_or("")
    }

    fn issue(&mut self, msg: String) {
        if self.issues.len() < 16 {
            self.issues.push(msg);
        }
    }

    /// A syntax error. Bash refuses such a line, so text that cannot carry code (stray `<`, `)`,
    /// `!`, words) is only skipped; an error region with quotes, expansions, substitutions or
    /// separators could hide code behind a difference between this grammar and bash's, and makes
    /// the command unreadable.
    fn parse_error(&mut self, n: Node) {
        let text = self.text(n);
        let harmless = text.chars().all(|c| {
            c.is_alphanumeric() || c.is_whitespace() || "<>()!*?[]./_-=:,+@%~#^".contains(c)
        });
        if !harmless {
            self.issue(format!(
                "part of the command does not parse: `{}`",
                clip(text)
            ));
        }
    }

    fn children<'t>(n: Node<'t>) -> Vec<Node<'t>> {
        let mut c = n.walk();
        n.children(&mut c).collect()
    }

    /// Lower a statement-level node.
    fn item(&mut self, n: Node, depth: usize) -> Item {
        if depth > MAX_NODE_DEPTH {
            self.issue("the command is nested too deep to read".into());
            return Item::Seq(Vec::new());
        }
        let d = depth + 1;
        match n.kind() {
            "program"
            | "compound_statement"
            | "subshell"
            | "do_group"
            | "else_clause"
            | "elif_clause"
            | "list"
            | "negated_command"
            | "if_statement"
            | "while_statement"
            | "case_statement"
            | "case_item"
            | "c_style_for_statement" => {
                let mut items = Vec::new();
                for c in Self::children(n) {
                    if is_punct(c.kind()) {
                        continue;
                    }
                    // A case pattern or the value matched is only evaluated, never run.
                    let field_of_value = matches!(n.kind(), "case_statement" | "case_item")
                        && !matches!(c.kind(), "compound_statement" | "do_group")
                        && is_word_kind(c.kind());
                    if field_of_value {
                        let w = self.word(c, d);
                        items.push(Item::Eval(vec![w]));
                    } else {
                        items.push(self.item(c, d));
                    }
                }
                Item::Seq(items)
            }
            "pipeline" => {
                let stages = Self::children(n)
                    .into_iter()
                    .filter(|c| !is_punct(c.kind()))
                    .map(|c| self.item(c, d))
                    .collect();
                Item::Pipe(stages)
            }
            "redirected_statement" => self.redirected(n, d),
            "command" => Item::Cmd(self.command(n, d)),
            "variable_assignment" => Item::Assign(vec![self.assignment(n, d)]),
            "variable_assignments" => {
                let a = Self::children(n)
                    .into_iter()
                    .filter(|c| c.kind() == "variable_assignment")
                    .map(|c| self.assignment(c, d))
                    .collect();
                Item::Assign(a)
            }
            "declaration_command" => {
                // `export X=1`, `local y`, `declare -x z=2`: assignments; the keyword is a builtin.
                let mut assigns = Vec::new();
                let mut words = Vec::new();
                for c in Self::children(n) {
                    match c.kind() {
                        "variable_assignment" => assigns.push(self.assignment(c, d)),
                        k if is_word_kind(k) => words.push(self.word(c, d)),
                        _ => {}
                    }
                }
                let mut items = vec![Item::Assign(assigns)];
                if !words.is_empty() {
                    items.push(Item::Eval(words));
                }
                Item::Seq(items)
            }
            "unset_command" => {
                let names = Self::children(n)
                    .into_iter()
                    .filter(|c| matches!(c.kind(), "word" | "variable_name"))
                    .map(|c| self.text(c).to_string())
                    .collect();
                Item::Unset(names)
            }
            "function_definition" => {
                let name = n
                    .child_by_field_name("name")
                    .map(|c| self.text(c).to_string())
                    .unwrap_or_default();
                let body = n
                    .child_by_field_name("body")
                    .map_or(Item::Seq(Vec::new()), |b| self.item(b, d));
                Item::Func {
                    name,
                    body: Box::new(body),
                }
            }
            "for_statement" | "select_statement" => {
                let var = n
                    .child_by_field_name("variable")
                    .map(|c| self.text(c).to_string())
                    .unwrap_or_default();
                let mut values = Vec::new();
                let mut has_in = false;
                let mut body = Item::Seq(Vec::new());
                let mut c = n.walk();
                for (i, ch) in n.children(&mut c).enumerate() {
                    match n.field_name_for_child(i as u32) {
                        Some("value") => values.push(self.word(ch, d)),
                        Some("body") => body = self.item(ch, d),
                        _ if ch.kind() == "in" => has_in = true,
                        _ => {}
                    }
                }
                Item::For {
                    var,
                    values: has_in.then_some(values),
                    body: Box::new(body),
                }
            }
            "test_command"
            | "arithmetic_expansion"
            | "binary_expression"
            | "unary_expression"
            | "parenthesized_expression"
            | "ternary_expression"
            | "postfix_expression" => Item::Eval(self.words_below(n, d)),
            "heredoc_body" | "heredoc_redirect" | "file_redirect" | "herestring_redirect" => {
                // Only reached when stray (a parse error elsewhere): keep the effects.
                let r = self.redirect(n, d);
                Item::Redirected {
                    body: Box::new(Item::Seq(Vec::new())),
                    redirs: r.into_iter().collect(),
                }
            }
            "ERROR" if is_brace_word(self.text(n)) => Item::Cmd(Cmd {
                words: vec![vec![Part::Lit(self.text(n).to_string())]],
                ..Cmd::default()
            }),
            "ERROR" => {
                self.parse_error(n);
                let items = Self::children(n)
                    .into_iter()
                    .filter(|c| !is_punct(c.kind()))
                    .map(|c| self.item(c, d))
                    .collect();
                Item::Seq(items)
            }
            k if is_word_kind(k) => {
                // A bare word where a statement was expected (error recovery): a command.
                Item::Cmd(Cmd {
                    words: vec![self.word(n, d)],
                    ..Cmd::default()
                })
            }
            k if is_punct(k) || !n.is_named() || k == "variable_name" => Item::Seq(Vec::new()),
            other => {
                self.issue(format!("unsupported shell construct `{other}`"));
                Item::Eval(self.words_below(n, d))
            }
        }
    }

    /// Every word-like node below `n` (for substitutions hidden in expressions).
    fn words_below(&mut self, n: Node, d: usize) -> Vec<Word> {
        let mut out = Vec::new();
        for c in Self::children(n) {
            match c.kind() {
                "command_substitution"
                | "process_substitution"
                | "expansion"
                | "simple_expansion"
                | "string" => {
                    out.push(self.word(c, d + 1));
                }
                _ if c.child_count() > 0 && d < MAX_NODE_DEPTH => {
                    out.extend(self.words_below(c, d + 1))
                }
                _ => {}
            }
        }
        out
    }

    fn redirected(&mut self, n: Node, d: usize) -> Item {
        let mut redirs = Vec::new();
        let mut after = Vec::new();
        let mut body: Option<Item> = None;
        let mut body_is_list = false;
        // tree-sitter-bash reads `<<<` after some statements as an error `<<` followed by a `<`
        // redirect; that pair is a here-string, not a read of a file named by the string.
        let mut split_herestring = false;
        let mut c = n.walk();
        for (i, ch) in n.children(&mut c).enumerate() {
            if n.field_name_for_child(i as u32) == Some("body") {
                body_is_list = ch.kind() == "list";
                body = Some(self.item(ch, d));
                continue;
            }
            let was_split = std::mem::take(&mut split_herestring);
            match ch.kind() {
                "ERROR" if self.text(ch).trim() == "<<" => split_herestring = true,
                "file_redirect" if was_split => match self.redirect(ch, d) {
                    Some(Redir::File { op, target }) if op == "<" => {
                        redirs.push(Redir::HereString(target))
                    }
                    other => redirs.extend(other),
                },
                "file_redirect" | "herestring_redirect" => redirs.extend(self.redirect(ch, d)),
                "heredoc_redirect" => {
                    redirs.extend(self.redirect(ch, d));
                    // `cat <<EOF | sh`: the pipeline or list after the delimiter continues here.
                    for cont in Self::children(ch) {
                        if matches!(
                            cont.kind(),
                            "pipeline" | "list" | "command" | "redirected_statement"
                        ) {
                            after.push(self.item(cont, d));
                        }
                    }
                }
                k if is_punct(k) => {}
                _ => after.push(self.item(ch, d)),
            }
        }
        let body = body.unwrap_or(Item::Seq(Vec::new()));
        let head = match body {
            Item::Cmd(mut cmd) => {
                cmd.redirs.extend(redirs);
                Item::Cmd(cmd)
            }
            // The grammar hangs `a && b > f` on the whole list; bash redirects `b` only.
            Item::Seq(mut items) if body_is_list && matches!(items.last(), Some(Item::Cmd(_))) => {
                if let Some(Item::Cmd(last)) = items.last_mut() {
                    last.redirs.extend(redirs);
                }
                Item::Seq(items)
            }
            other => Item::Redirected {
                body: Box::new(other),
                redirs,
            },
        };
        if after.is_empty() {
            return head;
        }
        // The continuation's first stage reads the head's output.
        let mut stages = vec![head];
        for a in after {
            match a {
                Item::Pipe(more) => stages.extend(more),
                other => stages.push(other),
            }
        }
        Item::Pipe(stages)
    }

    fn redirect(&mut self, n: Node, d: usize) -> Option<Redir> {
        match n.kind() {
            "file_redirect" => {
                let mut op = String::new();
                let mut target = None;
                let mut c = n.walk();
                for (i, ch) in n.children(&mut c).enumerate() {
                    match n.field_name_for_child(i as u32) {
                        // `>& /dev/tcp/h/p 0>&1` parses with a second destination: the first is the file.
                        Some("destination") if target.is_none() => target = Some(self.word(ch, d)),
                        Some("descriptor") => op.push_str(self.text(ch)),
                        _ if !ch.is_named() => op.push_str(self.text(ch)),
                        _ => {}
                    }
                }
                Some(Redir::File {
                    op,
                    target: target.unwrap_or_default(),
                })
            }
            "herestring_redirect" => {
                let w = Self::children(n)
                    .into_iter()
                    .find(|c| is_word_kind(c.kind()))
                    .map(|c| self.word(c, d));
                Some(Redir::HereString(w.unwrap_or_default()))
            }
            "heredoc_redirect" => {
                let quoted = Self::children(n)
                    .iter()
                    .find(|c| c.kind() == "heredoc_start")
                    .is_some_and(|s| self.text(*s).contains(['\'', '"', '\\']));
                let body = Self::children(n)
                    .into_iter()
                    .find(|c| c.kind() == "heredoc_body");
                let word = match body {
                    Some(b) if quoted => vec![Part::Quoted(self.text(b).to_string())],
                    Some(b) => self.heredoc_body(b, d),
                    None => Vec::new(),
                };
                Some(Redir::HereDoc(word))
            }
            _ => None,
        }
    }

    /// An unquoted here-document body: text with expansions and substitutions in it.
    fn heredoc_body(&mut self, n: Node, d: usize) -> Word {
        let mut parts = Vec::new();
        let mut pos = n.start_byte();
        for c in Self::children(n) {
            if c.start_byte() > pos {
                parts.push(Part::Quoted(
                    self.src.get(pos..c.start_byte()).unwrap_or("").to_string(),
                ));
            }
            if c.kind() == "heredoc_content" {
                parts.push(Part::Quoted(self.text(c).to_string()));
            } else {
                parts.extend(self.word_parts(c, d, true));
            }
            pos = c.end_byte();
        }
        if n.end_byte() > pos {
            parts.push(Part::Quoted(
                self.src.get(pos..n.end_byte()).unwrap_or("").to_string(),
            ));
        }
        parts
    }

    fn assignment(&mut self, n: Node, d: usize) -> (String, Word) {
        let name = n
            .child_by_field_name("name")
            .map(|c| self.text(c).to_string())
            .unwrap_or_default();
        let value = n
            .child_by_field_name("value")
            .map(|v| self.word(v, d))
            .unwrap_or_default();
        (name, value)
    }

    fn command(&mut self, n: Node, d: usize) -> Cmd {
        let mut cmd = Cmd::default();
        let mut c = n.walk();
        let mut prev_end = usize::MAX;
        for (i, ch) in n.children(&mut c).enumerate() {
            let field = n.field_name_for_child(i as u32);
            // A word glued to one ending in a bare `$` (tree-sitter's split of `x${IFS}$HOME`).
            let glued = ch.start_byte() == prev_end
                && matches!(cmd.words.last().and_then(|w| w.last()), Some(Part::Lit(t)) if t.ends_with('$'));
            prev_end = ch.end_byte();
            if glued && is_word_kind(ch.kind()) {
                let more = self.word(ch, d);
                if let Some(w) = cmd.words.last_mut() {
                    w.extend(more);
                }
                continue;
            }
            match ch.kind() {
                "variable_assignment" => {
                    let a = self.assignment(ch, d);
                    cmd.assigns.push(a);
                }
                "file_redirect" | "herestring_redirect" | "heredoc_redirect" => {
                    cmd.redirs.extend(self.redirect(ch, d))
                }
                "command_name" => {
                    if let Some(inner) = ch.named_child(0) {
                        cmd.words.push(self.word(inner, d));
                    }
                }
                k if is_punct(k) || !ch.is_named() => {}
                _ if field == Some("argument") || is_word_kind(ch.kind()) => {
                    cmd.words.push(self.word(ch, d))
                }
                "ERROR" => {
                    self.parse_error(ch);
                    for w in Self::children(ch)
                        .into_iter()
                        .filter(|c| is_word_kind(c.kind()))
                    {
                        cmd.words.push(self.word(w, d));
                    }
                }
                // `cmd (subshell)`: bash rejects it; what is inside still counts.
                "subshell" => {
                    self.parse_error(ch);
                    let inner = self.item(ch, d);
                    cmd.words.push(vec![Part::Dynamic {
                        raw: clip(self.text(ch)),
                        substs: vec![inner],
                    }]);
                }
                other => {
                    let kind = other.to_string();
                    self.issue(format!("unsupported part of a command `{kind}`"));
                    cmd.words.push(vec![Part::Dynamic {
                        raw: self.text(ch).to_string(),
                        substs: Vec::new(),
                    }]);
                }
            }
        }
        cmd
    }

    /// A word node as parts.
    fn word(&mut self, n: Node, d: usize) -> Word {
        self.word_parts(n, d, false)
    }

    fn word_parts(&mut self, n: Node, d: usize, in_dquote: bool) -> Word {
        if d > MAX_NODE_DEPTH {
            self.issue("the command is nested too deep to read".into());
            return vec![Part::Dynamic {
                raw: clip(self.text(n)),
                substs: Vec::new(),
            }];
        }
        let d = d + 1;
        match n.kind() {
            "word"
            | "number"
            | "extglob_pattern"
            | "regex"
            | "brace_expression"
            | "special_variable_name" => {
                let t = self.text(n);
                if in_dquote {
                    vec![Part::Quoted(unescape_dquote(t))]
                } else {
                    vec![Part::Lit(unescape_unquoted(t))]
                }
            }
            "raw_string" => {
                let t = self.text(n);
                let inner = t
                    .strip_prefix('\'')
                    .and_then(|s| s.strip_suffix('\''))
                    .unwrap_or(t);
                vec![Part::Quoted(inner.to_string())]
            }
            "ansi_c_string" => {
                let t = self.text(n);
                let inner = t
                    .strip_prefix("$'")
                    .and_then(|s| s.strip_suffix('\''))
                    .unwrap_or(t);
                vec![Part::Quoted(ansi_c(inner))]
            }
            "string" | "translated_string" => {
                let mut parts = Vec::new();
                let mut pos = n.start_byte()
                    + if n.kind() == "translated_string" {
                        2
                    } else {
                        1
                    };
                let end = n.end_byte().saturating_sub(1);
                for c in Self::children(n) {
                    if !c.is_named() {
                        continue;
                    }
                    if c.start_byte() > pos {
                        parts.push(Part::Quoted(unescape_dquote(
                            self.src.get(pos..c.start_byte()).unwrap_or(""),
                        )));
                    }
                    if c.kind() == "string_content" {
                        parts.push(Part::Quoted(unescape_dquote(self.text(c))));
                    } else {
                        parts.extend(self.word_parts(c, d, true));
                    }
                    pos = c.end_byte();
                }
                if end > pos {
                    parts.push(Part::Quoted(unescape_dquote(
                        self.src.get(pos..end).unwrap_or(""),
                    )));
                }
                if parts.is_empty() {
                    parts.push(Part::Quoted(String::new()));
                }
                parts
            }
            "concatenation" => {
                let mut parts = Vec::new();
                for c in Self::children(n) {
                    parts.extend(self.word_parts(c, d, in_dquote));
                }
                parts
            }
            "simple_expansion" => {
                let name = n
                    .named_child(0)
                    .map(|c| self.text(c).to_string())
                    .unwrap_or_default();
                vec![Part::Var {
                    name,
                    quoted: in_dquote,
                }]
            }
            "expansion" => {
                // `${NAME}` is a plain variable; anything more (`${X:-y}`, `${#X}`, `${X/a/b}`) is
                // computed at run time, though substitutions inside still run.
                let kids: Vec<Node> = Self::children(n)
                    .into_iter()
                    .filter(|c| c.is_named())
                    .collect();
                if let [only] = kids.as_slice() {
                    if only.kind() == "variable_name" || only.kind() == "special_variable_name" {
                        return vec![Part::Var {
                            name: self.text(*only).to_string(),
                            quoted: in_dquote,
                        }];
                    }
                }
                let substs = self.substs_below(n, d);
                vec![Part::Dynamic {
                    raw: self.text(n).to_string(),
                    substs,
                }]
            }
            "command_substitution" if self.text(n).starts_with('`') => {
                // tree-sitter-bash merges adjacent backtick substitutions (`a` `b`) into one node;
                // split the text the way bash does and parse each piece.
                let mut parts = Vec::new();
                for (code, text) in split_backticks(self.text(n)) {
                    if code {
                        let inner = parse(&text);
                        self.issues.extend(inner.issues);
                        parts.push(Part::Subst {
                            body: Box::new(inner.item),
                            process: false,
                        });
                    } else if !text.is_empty() {
                        parts.push(Part::Lit(text));
                    }
                }
                parts
            }
            "command_substitution" | "process_substitution" => {
                let process = n.kind() == "process_substitution";
                let mut items = Vec::new();
                for c in Self::children(n) {
                    if c.is_named() {
                        items.push(self.item(c, d));
                    }
                }
                vec![Part::Subst {
                    body: Box::new(Item::Seq(items)),
                    process,
                }]
            }
            "arithmetic_expansion" => {
                let substs = self.substs_below(n, d);
                vec![Part::Dynamic {
                    raw: self.text(n).to_string(),
                    substs,
                }]
            }
            "string_content" | "heredoc_content" => {
                vec![Part::Quoted(unescape_dquote(self.text(n)))]
            }
            "variable_name" => vec![Part::Lit(self.text(n).to_string())],
            // tree-sitter splits `x${IFS}$HOME` into `x${IFS}$` and `HOME`: keep the `$`.
            "$" => vec![Part::Lit("$".into())],
            other => {
                if other == "ERROR" {
                    self.parse_error(n);
                }
                let substs = self.substs_below(n, d);
                vec![Part::Dynamic {
                    raw: self.text(n).to_string(),
                    substs,
                }]
            }
        }
    }

    /// Substitutions anywhere below `n`, lowered as items (they run whatever the value is).
    fn substs_below(&mut self, n: Node, d: usize) -> Vec<Item> {
        let mut out = Vec::new();
        for c in Self::children(n) {
            if matches!(c.kind(), "command_substitution" | "process_substitution") {
                for p in self.word_parts(c, d, false) {
                    if let Part::Subst { body, .. } = p {
                        out.push(*body);
                    }
                }
            } else if c.child_count() > 0 && d < MAX_NODE_DEPTH {
                out.extend(self.substs_below(c, d + 1));
            }
        }
        out
    }
}

/// Split text with backtick substitutions into (is code, text) pieces, unescaping `` \` `` and
/// `\\` inside them.
fn split_backticks(t: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut inside = false;
    let mut it = t.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' if inside => match it.next() {
                Some(n @ ('`' | '\\' | '$')) => cur.push(n),
                Some(n) => {
                    cur.push('\\');
                    cur.push(n);
                }
                None => cur.push('\\'),
            },
            '`' => {
                out.push((inside, std::mem::take(&mut cur)));
                inside = !inside;
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push((inside, cur));
    }
    out.retain(|(code, text)| *code || !text.is_empty());
    out
}

/// `{rm,-rf,/}`: a brace expansion standing alone, which bash expands into a whole command.
fn is_brace_word(t: &str) -> bool {
    t.starts_with('{') && t.ends_with('}') && t.contains(',') && !t.contains(char::is_whitespace)
}

/// Whether a node kind is a word-like argument.
fn is_word_kind(kind: &str) -> bool {
    matches!(
        kind,
        "word"
            | "string"
            | "raw_string"
            | "ansi_c_string"
            | "translated_string"
            | "concatenation"
            | "simple_expansion"
            | "expansion"
            | "command_substitution"
            | "process_substitution"
            | "number"
            | "arithmetic_expansion"
            | "brace_expression"
            | "extglob_pattern"
            | "special_variable_name"
    )
}

fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(80).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Quote removal for unquoted text: `\x` is `x`, backslash-newline disappears.
fn unescape_unquoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('\n') | None => {}
                Some(n) => out.push(n),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Inside double quotes only `\$`, `` \` ``, `\"`, `\\` and backslash-newline are escapes.
fn unescape_dquote(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.peek() {
                Some('\n') => {
                    it.next();
                }
                Some(&n) if matches!(n, '$' | '`' | '"' | '\\') => {
                    out.push(n);
                    it.next();
                }
                _ => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Decode the inside of `$'...'`: `\xHH`, `\NNN` octal, `\uHHHH`, `\UHHHHHHHH`, `\n`, `\t`, ...
pub(crate) fn ansi_c(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let hex = |s: &[char]| u32::from_str_radix(&s.iter().collect::<String>(), 16).ok();
    while let Some(&c) = chars.get(i) {
        if c != '\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let Some(&e) = chars.get(i + 1) else {
            out.push('\\');
            break;
        };
        i += 2;
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' | 'b' | 'e' | 'E' | 'f' | 'v' => {}
            'x' | 'u' | 'U' => {
                let max = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut j = i;
                while chars.get(j).is_some_and(char::is_ascii_hexdigit) && j - i < max {
                    j += 1;
                }
                if let Some(ch) = chars.get(i..j).and_then(hex).and_then(char::from_u32) {
                    out.push(ch);
                }
                i = j;
            }
            '0'..='7' => {
                let mut j = i - 1;
                let mut v = 0u32;
                while j < i + 2 && chars.get(j).is_some_and(|c| c.is_digit(8)) {
                    v = v * 8 + chars.get(j).and_then(|c| c.to_digit(8)).unwrap_or(0);
                    j += 1;
                }
                if let Some(ch) = char::from_u32(v) {
                    out.push(ch);
                }
                i = j;
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn lit(s: &str) -> Part {
        Part::Lit(s.into())
    }

    #[test]
    fn words_keep_quoting_and_expansions() {
        let p = parse(r#"r'm' -"rf" \/ $'\x72m' $X "a $Y""#);
        let Item::Seq(items) = p.item else { panic!() };
        let Some(Item::Cmd(cmd)) = items.first() else {
            panic!("{items:?}")
        };
        assert_eq!(cmd.words[0], vec![lit("r"), Part::Quoted("m".into())]);
        assert_eq!(cmd.words[2], vec![lit("/")]);
        assert_eq!(cmd.words[3], vec![Part::Quoted("rm".into())]);
        assert_eq!(
            cmd.words[4],
            vec![Part::Var {
                name: "X".into(),
                quoted: false
            }]
        );
        assert_eq!(
            cmd.words[5],
            vec![
                Part::Quoted("a ".into()),
                Part::Var {
                    name: "Y".into(),
                    quoted: true
                }
            ]
        );
        assert!(p.issues.is_empty(), "{:?}", p.issues);
    }

    #[test]
    fn ansi_c_decoding() {
        assert_eq!(ansi_c(r"\x72\x6d"), "rm");
        assert_eq!(ansi_c(r"\162\155"), "rm");
        assert_eq!(ansi_c(r"\u0072m\n"), "rm\n");
    }

    #[test]
    fn heredoc_continuation_is_a_pipeline() {
        let p = parse("cat <<EOF | sh\nrm -rf /\nEOF");
        let Item::Seq(items) = p.item else { panic!() };
        let Some(Item::Pipe(stages)) = items.first() else {
            panic!("{items:?}")
        };
        assert_eq!(stages.len(), 2);
    }

    #[test]
    fn errors_are_reported() {
        assert!(!parse("echo 'oops").issues.is_empty());
        assert!(!parse("if then fi (((").issues.is_empty());
    }
}
