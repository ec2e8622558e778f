//! Maps a path inside a YAML document (`rules[3].match.path[1]`) to where it is written.
//!
//! serde gives locations for syntax and type errors only; semantic errors found while compiling
//! (a bad glob, an unknown list) carry a document path, and this index turns it into a span.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Byte spans of every node of a YAML document, keyed by document path.
#[derive(Debug, Default)]
pub(crate) struct Locator {
    spans: HashMap<String, (usize, usize)>,
    /// Offset of the first collection opened at each nesting depth (index 0 is depth 1).
    depths: Vec<usize>,
}

enum Frame {
    Map {
        path: String,
        key: Option<String>,
        /// No key seen yet: block mappings report their start after the first key, so the
        /// first key's position replaces it.
        fresh: bool,
    },
    Seq {
        path: String,
        index: usize,
    },
}

struct Recv<'a> {
    src: &'a str,
    line_starts: Vec<usize>,
    stack: Vec<Frame>,
    spans: HashMap<String, (usize, usize)>,
    depths: Vec<usize>,
}

impl Recv<'_> {
    fn offset(&self, mark: Marker) -> usize {
        // Markers count lines from 1 and columns in characters from 0.
        let line_start = self
            .line_starts
            .get(mark.line().saturating_sub(1))
            .copied()
            .unwrap_or(self.src.len());
        let line = &self.src[line_start..];
        let col_bytes = line
            .char_indices()
            .nth(mark.col())
            .map_or(line.len(), |(i, _)| i);
        line_start + col_bytes
    }

    /// The path of the next value in the current container, advancing it; `None` for a map key.
    fn next_value_path(&mut self) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Map { path, key, .. }) => key.take().map(|k| join_key(path, &k)),
            Some(Frame::Seq { path, index }) => {
                let p = format!("{path}[{index}]");
                *index += 1;
                Some(p)
            }
        }
    }

    fn record(&mut self, path: String, start: usize, len: usize) {
        self.spans.entry(path).or_insert((start, len.max(1)));
    }

    /// Note a collection opened at `start`, one level below the current one.
    fn open(&mut self, start: usize) {
        if self.depths.len() == self.stack.len() {
            self.depths.push(start);
        }
    }
}

fn join_key(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl MarkedEventReceiver for Recv<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let start = self.offset(mark);
        match ev {
            Event::Scalar(value, ..) => {
                let is_key = matches!(self.stack.last(), Some(Frame::Map { key: None, .. }));
                if is_key {
                    if let Some(Frame::Map { path, key, fresh }) = self.stack.last_mut() {
                        let kp = join_key(path, &value);
                        *key = Some(value.clone());
                        let span = (start, value.len().max(1));
                        if std::mem::take(fresh) {
                            self.spans.insert(path.clone(), span);
                        }
                        self.spans.entry(format!("{kp}#key")).or_insert(span);
                    }
                } else if let Some(p) = self.next_value_path() {
                    let len = self.src[start..].lines().next().map_or(1, str::len);
                    self.record(p, start, len);
                }
            }
            Event::MappingStart(..) => {
                let path = self.next_value_path().unwrap_or_default();
                self.record(path.clone(), start, 1);
                self.open(start);
                self.stack.push(Frame::Map {
                    path,
                    key: None,
                    fresh: true,
                });
            }
            Event::SequenceStart(..) => {
                let path = self.next_value_path().unwrap_or_default();
                self.record(path.clone(), start, 1);
                self.open(start);
                self.stack.push(Frame::Seq { path, index: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            Event::Alias(_) => {
                let _ = self.next_value_path();
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

impl Locator {
    /// Index `src`; a document that does not parse gives an empty index (serde reports it).
    pub(crate) fn new(src: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        let mut recv = Recv {
            src,
            line_starts,
            stack: Vec::new(),
            spans: HashMap::new(),
            depths: Vec::new(),
        };
        let mut parser = Parser::new_from_str(src);
        let _ = parser.load(&mut recv, false);
        Locator {
            spans: recv.spans,
            depths: recv.depths,
        }
    }

    /// Where collections first nest deeper than `limit` levels, if they do.
    pub(crate) fn too_deep(&self, limit: usize) -> Option<usize> {
        self.depths.get(limit).copied()
    }

    /// The span of the key `key` in the mapping at `path`, if written there.
    pub(crate) fn key_span(&self, path: &str, key: &str) -> Option<(usize, usize)> {
        self.spans
            .get(&format!("{}#key", join_key(path, key)))
            .copied()
    }

    /// The span of `path`, or of its nearest ancestor that was found.
    pub(crate) fn span(&self, path: &str) -> (usize, usize) {
        let mut p = path.to_string();
        loop {
            if let Some(s) = self.spans.get(&p) {
                return *s;
            }
            if let Some(s) = self.spans.get(&format!("{p}#key")) {
                return *s;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p.truncate(i),
                None => return self.spans.get("").copied().unwrap_or((0, 0)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_values() {
        let src = "rules:\n  - id: a\n    match:\n      path: [\"~/x\", \"[bad\"]\n  - id: b\n";
        let loc = Locator::new(src);
        let (start, _) = loc.span("rules[0].match.path[1]");
        assert_eq!(&src[start..start + 5], "\"[bad");
        let (start, _) = loc.span("rules[1].id");
        assert_eq!(&src[start..start + 1], "b");
        // Unknown child falls back to the parent.
        let (start, _) = loc.span("rules[1].nothing.here");
        assert_eq!(&src[start..start + 2], "id");
    }
}
