//! Markup that hides text from a human reader but not from the model: HTML comments, markdown
//! comments (`[//]: # (…)`), and elements styled invisible (`display:none`, `font-size:0`,
//! white on white, off-screen, zero opacity).
//!
//! Hiding alone is common and harmless (menus, tracking snippets, TODO comments), so a region is
//! reported only when what it hides reads as instructions: an injection indicator inside it, or
//! wording addressed to the model. Regions are collected during the pass and judged at the end,
//! once every injection indicator is known.

use regex::bytes::Regex;

use crate::err::BuildError;
use crate::finding::{Confidence, Severity};
use crate::inject::Kind;
use crate::scanner::Ctx;
use crate::text::{at, before, contains_ci, line_end, run_end};

/// Longest comment or hidden element looked into.
const MAX_REGION: usize = 8 * 1024;

/// What kind of hiding a region is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hiding {
    HtmlComment,
    MdComment,
    Style,
}

/// A stretch of text hidden by markup.
#[derive(Debug, Clone)]
pub(crate) struct Region {
    start: usize,
    end: usize,
    body_start: usize,
    body_end: usize,
    hiding: Hiding,
    /// The hidden text is worded for the model.
    cue: bool,
    /// The hidden text is long prose (only reported at low severity).
    long: bool,
}

/// The wording that makes hidden text suspicious.
pub(crate) struct Rx {
    cue: Regex,
}

impl Rx {
    pub fn new() -> Result<Rx, BuildError> {
        let b = r"(?-u:\b)";
        let pattern = format!(
            r"(?i-u){b}(?:ai|llm|chatbot|assistant|language\s+model)s?{b}[^.\n]{{0,60}}?{b}(?:must|should|please|shall|need\s+to|are\s+to|is\s+to){b}|{b}(?:you|your){b}[^.\n]{{0,40}}?{b}(?:must|should|need\s+to|have\s+to|are\s+required\s+to){b}[^.\n]{{0,40}}?{b}(?:send|forward|e-?mail|post|upload|share|reveal|include|output|print|say|reply|respond|tell|write|call|visit|open|fetch|run|execute|delete|ignore|transfer){b}|{b}(?:do\s+not|don'?t|never)\s+(?:tell|mention|reveal|inform|disclose){b}|{b}secretly{b}|{b}system\s+prompt{b}"
        );
        Ok(Rx {
            cue: Regex::new(&pattern).map_err(|e| BuildError::Regex {
                name: "markup_cue",
                message: e.to_string(),
            })?,
        })
    }
}

fn region(ctx: &mut Ctx<'_>, start: usize, end: usize, body: (usize, usize), hiding: Hiding) {
    let text = crate::text::slice(ctx.text, body.0, body.1);
    let letters = text.bytes().filter(u8::is_ascii_alphabetic).count();
    // A menu's "Docs Blog" or a "TODO: fix" says nothing to anyone: only look for wording
    // aimed at the model in hidden text long enough to carry it.
    // A detector that cannot be built counts every such region as a cue (fail closed).
    let cue = letters >= 24
        && ctx
            .sc
            .markup
            .get()
            .is_none_or(|m| m.cue.is_match(text.as_bytes()));
    ctx.regions.push(Region {
        start,
        end,
        body_start: body.0,
        body_end: body.1,
        hiding,
        cue,
        long: letters >= 200,
    });
}

/// `<!-- … -->`: the body up to the closing marker (or 8 KiB when unterminated).
pub(crate) fn html_comment(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    let body_start = pos + 4;
    let window = crate::text::slice(ctx.text, body_start, body_start + MAX_REGION);
    let (body_end, end) = match window.find("-->") {
        Some(i) => (body_start + i, body_start + i + 3),
        None => {
            let e = body_start + window.len();
            (e, e)
        }
    };
    region(ctx, pos, end, (body_start, body_end), Hiding::HtmlComment);
    end
}

/// `[//]: # (…)`, `[//]: # "…"` and `[//]: <> (…)`: the rest of the line.
pub(crate) fn md_comment(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    let b = ctx.b;
    if at(b, pos + 4) != b':' {
        return pos + 4;
    }
    let end = line_end(b, pos, MAX_REGION);
    region(ctx, pos, end, (pos + 5, end), Hiding::MdComment);
    end
}

/// A CSS declaration list that makes text invisible.
fn hides(decls: &[u8]) -> bool {
    // Most inline styles hide nothing: settle them without building anything.
    let maybe = [
        &b"none"[..],
        b"hidden",
        b"0",
        b"fff",
        b"white",
        b"transparent",
        b"999",
        b"rect",
        b"inset",
    ]
    .iter()
    .any(|w| contains_ci(decls, w));
    if !maybe {
        return false;
    }
    // Compare without spaces: `display: none` and `display:none` alike.
    let flat: Vec<u8> = decls
        .iter()
        .filter(|c| !c.is_ascii_whitespace())
        .map(u8::to_ascii_lowercase)
        .collect();
    let has = |s: &[u8]| contains_ci(&flat, s);
    let zero_after = |prop: &[u8]| {
        flat.windows(prop.len()).enumerate().any(|(i, w)| {
            w == prop && {
                let v = flat.get(i + prop.len()..).unwrap_or(&[]);
                let num_end = v
                    .iter()
                    .position(|c| !(c.is_ascii_digit() || *c == b'.'))
                    .unwrap_or(v.len());
                let num = std::str::from_utf8(v.get(..num_end).unwrap_or(&[]))
                    .ok()
                    .and_then(|s| s.parse::<f64>().ok());
                num.is_some_and(|n| n < 1.0)
            }
        })
    };
    let white = [
        &b"color:#fff;"[..],
        b"color:#ffffff",
        b"color:white",
        b"color:rgb(255,255,255)",
        b"color:#fffffe",
    ]
    .iter()
    .any(|w| has(w) || (w.ends_with(b";") && flat.ends_with(w.get(..w.len() - 1).unwrap_or(&[]))));
    let light_background = !has(b"background")
        || has(b"background:#fff")
        || has(b"background-color:#fff")
        || has(b"background:white")
        || has(b"background-color:white");
    has(b"display:none")
        || has(b"visibility:hidden")
        || has(b"color:transparent")
        || zero_after(b"font-size:")
        || zero_after(b"opacity:")
        || (zero_after(b"height:") && has(b"overflow:hidden"))
        || (zero_after(b"max-height:") && has(b"overflow:hidden"))
        || (zero_after(b"width:") && has(b"overflow:hidden"))
        || has(b":-9999")
        || has(b":-10000")
        || has(b"clip:rect(0")
        || has(b"clip-path:inset(100%")
        || has(b"transform:scale(0)")
        || (white && light_background)
}

/// `style="…"` on an element: when the declarations hide it, its text content becomes a region.
pub(crate) fn style(ctx: &mut Ctx<'_>, pos: usize) -> usize {
    let b = ctx.b;
    if !matches!(before(b, pos), b' ' | b'\t' | b'\n' | b'\r') {
        return pos + 6;
    }
    let q = at(b, pos + 6);
    let (vs, ve) = if q == b'"' || q == b'\'' {
        let vs = pos + 7;
        (vs, run_end(b, vs, 512, |c| c != q))
    } else {
        let vs = pos + 6;
        (
            vs,
            run_end(b, vs, 512, |c| !c.is_ascii_whitespace() && c != b'>'),
        )
    };
    let decls = b.get(vs..ve).unwrap_or(&[]);
    if !hides(decls) {
        return ve;
    }
    // The element: its `<name` before, the end of its opening tag after.
    let from = pos.saturating_sub(512);
    let Some(lt) = b
        .get(from..pos)
        .and_then(|w| w.iter().rposition(|c| *c == b'<'))
        .map(|i| from + i)
    else {
        return ve;
    };
    if b.get(lt..pos).is_some_and(|w| w.contains(&b'>')) {
        return ve;
    }
    let name_end = run_end(b, lt + 1, 32, |c| c.is_ascii_alphanumeric());
    let name = b.get(lt + 1..name_end).unwrap_or(&[]).to_ascii_lowercase();
    let gt = run_end(b, ve, 1024, |c| c != b'>');
    if at(b, gt) != b'>' || name.is_empty() {
        return ve;
    }
    let body_start = gt + 1;
    let window = crate::text::slice(ctx.text, body_start, body_start + MAX_REGION);
    let mut close = Vec::with_capacity(name.len() + 2);
    close.extend_from_slice(b"</");
    close.extend_from_slice(&name);
    let body_end = window
        .as_bytes()
        .windows(close.len())
        .position(|w| w.eq_ignore_ascii_case(&close))
        .map_or(body_start + window.len(), |i| body_start + i);
    let end = run_end(b, body_end, 64, |c| c != b'>') + 1;
    let end = end.min(b.len());
    region(ctx, lt, end, (body_start, body_end), Hiding::Style);
    // Elements nested inside are covered by this region: skip past it, so that a run of
    // unterminated hidden elements costs one window each, not a window per element.
    end
}

/// Judges the regions once every injection indicator is known.
pub(crate) fn finish(ctx: &mut Ctx<'_>) {
    let regions = std::mem::take(&mut ctx.regions);
    for r in regions {
        let inj = &ctx.found.injections;
        let first = inj.partition_point(|f| f.start < r.body_start);
        let inside = inj
            .get(first..)
            .unwrap_or(&[])
            .iter()
            .take_while(|f| f.start < r.body_end)
            .any(|f| f.family != Kind::Markup.family() && f.confidence > Confidence::Low);
        let (sev, conf, note) = if inside {
            (
                Severity::High,
                Confidence::High,
                match r.hiding {
                    Hiding::HtmlComment => "instructions hidden in an HTML comment",
                    Hiding::MdComment => "instructions hidden in a markdown comment",
                    Hiding::Style => "instructions in text styled invisible",
                },
            )
        } else if r.cue {
            (
                Severity::Medium,
                Confidence::Medium,
                match r.hiding {
                    Hiding::HtmlComment => "HTML comment worded for the model",
                    Hiding::MdComment => "markdown comment worded for the model",
                    Hiding::Style => "invisible text worded for the model",
                },
            )
        } else if r.long && r.hiding == Hiding::Style {
            (Severity::Low, Confidence::Low, "long text styled invisible")
        } else {
            continue;
        };
        ctx.injection(Kind::Markup, sev, conf, r.start, r.end, note);
    }
}
