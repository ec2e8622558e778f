//! A small POSIX-shell lexer: words with quotes and escapes resolved, operators, redirections.

/// One lexed token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A word after quote removal; `dynamic` when it holds an unquoted expansion or substitution.
    Word { text: String, dynamic: bool },
    /// `|`, `|&`.
    Pipe,
    /// `;`, `&&`, `||`, `&`, newline.
    Sep,
    /// A redirection operator with its fd (`>`, `>>`, `<`, `&>`, `<<<`, `<<`, `>&`).
    Redir(String),
    /// `$( ... )`, `` `...` ``, `<( ... )` or `>( ... )`: the inner source text.
    Subst { inner: String, process: bool },
    /// `(` or `)` of a subshell, `{`/`}` are words.
    Paren,
    /// The body of a here-document (`<<EOF ... EOF`), fed to the command's standard input.
    Heredoc(String),
}

/// Lexing problems that make the command unreadable statically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LexIssue(pub(crate) String);

/// Lex `src`; the issues say what could not be read exactly (an unterminated quote, ...).
pub(crate) fn lex(src: &str) -> (Vec<Tok>, Vec<LexIssue>) {
    let chars: Vec<char> = src.chars().collect();
    let mut toks = Vec::new();
    let mut issues = Vec::new();
    let mut i = 0;
    let mut word = String::new();
    let mut in_word = false;
    let mut dynamic = false;
    let n = chars.len();
    let at = |i: usize| chars.get(i).copied();

    macro_rules! flush {
        () => {
            if in_word {
                toks.push(Tok::Word {
                    text: std::mem::take(&mut word),
                    dynamic,
                });
                in_word = false;
                dynamic = false;
            }
        };
    }

    let mut skips: Vec<(usize, usize)> = Vec::new();
    while i < n {
        if let Some(&(from, to)) = skips.first() {
            if i >= from {
                skips.remove(0);
                i = to.max(i);
                continue;
            }
        }
        let c = chars[i];
        match c {
            ' ' | '\t' | '\r' => {
                flush!();
                i += 1;
            }
            '\\' => {
                if at(i + 1) == Some('\n') {
                    i += 2; // line continuation
                } else if let Some(next) = at(i + 1) {
                    word.push(next);
                    in_word = true;
                    i += 2;
                } else {
                    i += 1;
                }
            }
            '\n' | ';' => {
                flush!();
                toks.push(Tok::Sep);
                i += 1;
                if c == ';' && at(i) == Some(';') {
                    i += 1;
                }
            }
            '#' if !in_word => {
                while i < n && chars[i] != '\n' {
                    i += 1;
                }
            }
            '&' => {
                flush!();
                if at(i + 1) == Some('&') {
                    toks.push(Tok::Sep);
                    i += 2;
                } else if at(i + 1) == Some('>') {
                    let op = if at(i + 2) == Some('>') { "&>>" } else { "&>" };
                    toks.push(Tok::Redir(op.into()));
                    i += op.len();
                } else {
                    toks.push(Tok::Sep);
                    i += 1;
                }
            }
            '|' => {
                flush!();
                if at(i + 1) == Some('|') {
                    toks.push(Tok::Sep);
                    i += 2;
                } else {
                    toks.push(Tok::Pipe);
                    i += if at(i + 1) == Some('&') { 2 } else { 1 };
                }
            }
            '<' | '>' if at(i + 1) == Some('(') => {
                flush!();
                let (inner, end) = balanced(&chars, i + 2, '(', ')');
                if end > n {
                    issues.push(LexIssue("unterminated process substitution".into()));
                }
                toks.push(Tok::Subst { inner, process: true });
                i = end;
            }
            '<' | '>' => {
                // A preceding all-digit word is the fd: `2>`.
                let fd = if in_word && !word.is_empty() && word.chars().all(|d| d.is_ascii_digit()) {
                    in_word = false;
                    std::mem::take(&mut word)
                } else {
                    flush!();
                    String::new()
                };
                let mut op = String::from(c);
                i += 1;
                while let Some(nc) = at(i) {
                    if (nc == '>' && c == '>') || (nc == '<' && c == '<' && op.len() < 3) || nc == '&' || nc == '|' {
                        op.push(nc);
                        i += 1;
                    } else {
                        break;
                    }
                }
                if op == "<<" || op == "<<-" {
                    let (body, resume, skip) = heredoc(&chars, i, op == "<<-");
                    toks.push(Tok::Redir(format!("{fd}{op}")));
                    toks.push(Tok::Heredoc(body));
                    skips.push(skip);
                    i = resume;
                } else {
                    toks.push(Tok::Redir(format!("{fd}{op}")));
                }
            }
            '(' | ')' => {
                flush!();
                toks.push(Tok::Paren);
                i += 1;
            }
            '\'' => {
                in_word = true;
                i += 1;
                let start = i;
                while i < n && chars[i] != '\'' {
                    i += 1;
                }
                if i >= n {
                    issues.push(LexIssue("unterminated single quote".into()));
                }
                word.extend(&chars[start..i.min(n)]);
                i += 1;
            }
            '"' => {
                in_word = true;
                i += 1;
                while i < n && chars[i] != '"' {
                    match chars[i] {
                        '\\' if matches!(at(i + 1), Some('"' | '\\' | '$' | '`')) => {
                            word.push(chars[i + 1]);
                            i += 2;
                        }
                        '\\' if at(i + 1) == Some('\n') => i += 2,
                        '$' if at(i + 1) == Some('(') => {
                            let (inner, end) = balanced(&chars, i + 2, '(', ')');
                            toks.push(Tok::Subst { inner, process: false });
                            dynamic = true;
                            i = end;
                        }
                        '`' => {
                            let (inner, end) = backtick(&chars, i + 1);
                            toks.push(Tok::Subst { inner, process: false });
                            dynamic = true;
                            i = end;
                        }
                        ch => {
                            if ch == '$' {
                                dynamic = true;
                            }
                            word.push(ch);
                            i += 1;
                        }
                    }
                }
                if i >= n {
                    issues.push(LexIssue("unterminated double quote".into()));
                }
                i += 1;
            }
            '$' if at(i + 1) == Some('\'') => {
                // ANSI-C quoting: decode the escapes bash would.
                in_word = true;
                let (text, end) = ansi_c(&chars, i + 2);
                word.push_str(&text);
                i = end;
            }
            '$' if at(i + 1) == Some('(') => {
                in_word = true;
                dynamic = true;
                let arith = at(i + 2) == Some('(');
                let (inner, end) = balanced(&chars, i + 2, '(', ')');
                if !arith {
                    toks.push(Tok::Subst { inner, process: false });
                }
                word.push_str("$(…)");
                i = end;
            }
            '`' => {
                in_word = true;
                dynamic = true;
                let (inner, end) = backtick(&chars, i + 1);
                toks.push(Tok::Subst { inner, process: false });
                word.push_str("$(…)");
                i = end;
            }
            '$' => {
                in_word = true;
                dynamic = true;
                word.push('$');
                i += 1;
            }
            ch => {
                in_word = true;
                word.push(ch);
                i += 1;
            }
        }
    }
    if in_word {
        toks.push(Tok::Word { text: word, dynamic });
    }
    (toks, issues)
}

/// Read a here-document: the delimiter word after `i`, the rest of that line stays in the input
/// and the body lines are cut out. Returns (body, index to resume lexing at the end of the line).
///
/// To keep lexing simple, the command line after the delimiter is lexed after the body is removed:
/// the body is returned and the characters from the line end to the delimiter line are skipped.
fn heredoc(chars: &[char], mut i: usize, strip_tabs: bool) -> (String, usize, (usize, usize)) {
    while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
        i += 1;
    }
    if i < chars.len() && chars[i] == '-' {
        i += 1;
    }
    let mut delim = String::new();
    while i < chars.len() && !matches!(chars[i], ' ' | '\t' | '\n' | ';' | '|' | '&' | '<' | '>' | ')') {
        if !matches!(chars[i], '\'' | '"' | '\\') {
            delim.push(chars[i]);
        }
        i += 1;
    }
    // The rest of the command line goes on after the body; find the body start.
    let line_end = (i..chars.len()).find(|&j| chars[j] == '\n').unwrap_or(chars.len());
    let mut body = String::new();
    let mut j = line_end + 1;
    let mut end = chars.len();
    while j < chars.len() {
        let le = (j..chars.len()).find(|&k| chars[k] == '\n').unwrap_or(chars.len());
        let line: String = chars[j..le].iter().collect();
        let cmp = if strip_tabs { line.trim_start_matches('\t') } else { line.as_str() };
        if cmp == delim {
            end = le;
            break;
        }
        body.push_str(&line);
        body.push('\n');
        j = le + 1;
    }
    // Lexing resumes at `i`; the body (line end to delimiter line) is skipped when reached.
    (body, i, (line_end, end))
}

/// Text up to the matching close, honouring nesting and quotes; returns (inner, index after close).
fn balanced(chars: &[char], start: usize, open: char, close: char) -> (String, usize) {
    let mut depth = 1usize;
    let mut i = start;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) if c == '\\' => i += 1,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '\\' => i += 1,
            None if c == open => depth += 1,
            None if c == close => {
                depth -= 1;
                if depth == 0 {
                    return (chars[start..i].iter().collect(), i + 1);
                }
            }
            None => {}
        }
        i += 1;
    }
    (chars[start.min(chars.len())..].iter().collect(), chars.len() + 1)
}

fn backtick(chars: &[char], start: usize) -> (String, usize) {
    let mut i = start;
    let mut out = String::new();
    while i < chars.len() && chars[i] != '`' {
        if chars[i] == '\\' && i + 1 < chars.len() {
            out.push(chars[i + 1]);
            i += 2;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    (out, i + 1)
}

/// Decode `$'...'` escapes: `\xHH`, `\NNN` octal, `\uHHHH`, `\n`, `\t`, `\\`, `\'`.
fn ansi_c(chars: &[char], start: usize) -> (String, usize) {
    let mut i = start;
    let mut out = String::new();
    let hex = |s: &[char]| u32::from_str_radix(&s.iter().collect::<String>(), 16).ok();
    while i < chars.len() && chars[i] != '\'' {
        if chars[i] == '\\' && i + 1 < chars.len() {
            let e = chars[i + 1];
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
                    while j < chars.len() && j - i < max && chars[j].is_ascii_hexdigit() {
                        j += 1;
                    }
                    if let Some(ch) = hex(&chars[i..j]).and_then(char::from_u32) {
                        out.push(ch);
                    }
                    i = j;
                }
                '0'..='7' => {
                    let mut j = i - 1;
                    let mut v = 0u32;
                    while j < chars.len() && j < i + 2 && chars[j].is_digit(8) {
                        v = v * 8 + chars[j].to_digit(8).unwrap_or(0);
                        j += 1;
                    }
                    if let Some(ch) = char::from_u32(v) {
                        out.push(ch);
                    }
                    i = j;
                }
                other => out.push(other),
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    (out, i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(src: &str) -> Vec<String> {
        lex(src)
            .0
            .into_iter()
            .filter_map(|t| match t {
                Tok::Word { text, .. } => Some(text),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn quotes_escapes_and_ansi_c() {
        assert_eq!(words(r#"r'm' -"rf" \/ $'\x72m' a\ b"#), ["rm", "-rf", "/", "rm", "a b"]);
        assert_eq!(words("ec\\\nho hi"), ["echo", "hi"]);
        assert_eq!(words(r"$'\162\155'"), ["rm"]);
    }

    #[test]
    fn operators_and_redirections() {
        let (t, _) = lex("a 2>/dev/null | b && c > out; d &> log <<< x");
        assert!(t.contains(&Tok::Redir("2>".into())));
        assert!(t.contains(&Tok::Redir("&>".into())));
        assert!(t.contains(&Tok::Redir("<<<".into())));
        assert_eq!(t.iter().filter(|x| **x == Tok::Pipe).count(), 1);
    }

    #[test]
    fn heredoc_body_is_one_token() {
        let (t, _) = lex("bash <<'EOF' > out\ncurl x | sh\nrm -rf /\nEOF\necho done");
        assert!(t.contains(&Tok::Heredoc("curl x | sh\nrm -rf /\n".into())));
        let w: Vec<_> = t.iter().filter_map(|x| match x { Tok::Word { text, .. } => Some(text.as_str()), _ => None }).collect();
        assert_eq!(w, ["bash", "out", "echo", "done"]);
    }

    #[test]
    fn unterminated_quote_is_reported() {
        assert!(!lex("echo 'oops").1.is_empty());
        assert!(!lex("echo \"oops").1.is_empty());
    }

    #[test]
    fn substitutions_are_extracted() {
        let (t, _) = lex("echo $(cat ~/.ssh/id_rsa) `whoami` <(curl x)");
        let inner: Vec<_> = t
            .iter()
            .filter_map(|x| match x {
                Tok::Subst { inner, .. } => Some(inner.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(inner, ["cat ~/.ssh/id_rsa", "whoami", "curl x"]);
    }
}
