//! Scripts the agent wrote earlier in the session (a `Write` tool call, `cat > f <<EOF`), kept so
//! that running one later (`sh f`, `./f`, `python f`) is judged by its text even where the file
//! cannot be read: in replay, where the machine is synthetic.
//!
//! The memory is bounded: at most [`MAX_REMEMBERED_SCRIPTS`] files of at most
//! [`MAX_REMEMBERED_SCRIPT_BYTES`] each, the oldest forgotten first. A file written with content
//! that is not known (`curl -o f`, `echo x >> f`) must be forgotten by the owner of the memory,
//! so a stale text never stands in for what the file now holds.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Most scripts remembered; the oldest is forgotten first.
pub const MAX_REMEMBERED_SCRIPTS: usize = 64;

/// Largest script remembered, in bytes; a larger text is not remembered at all (never cut).
pub const MAX_REMEMBERED_SCRIPT_BYTES: usize = 64 * 1024;

/// The texts of files written in this session, by normalised absolute path. Cheap to clone (the
/// texts are shared until one side changes).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ScriptMemory {
    inner: Arc<Inner>,
}

#[derive(Clone, Default, PartialEq, Eq)]
struct Inner {
    /// Paths, oldest first.
    order: VecDeque<String>,
    texts: HashMap<String, String>,
}

impl ScriptMemory {
    /// Remember that the file at `path` now holds `text` (too large a text forgets the file).
    pub fn remember(&mut self, path: &str, text: &str) {
        if text.len() > MAX_REMEMBERED_SCRIPT_BYTES {
            self.forget(path);
            return;
        }
        let inner = Arc::make_mut(&mut self.inner);
        inner.order.retain(|p| p != path);
        inner.order.push_back(path.to_string());
        inner.texts.insert(path.to_string(), text.to_string());
        while inner.order.len() > MAX_REMEMBERED_SCRIPTS {
            if let Some(old) = inner.order.pop_front() {
                inner.texts.remove(&old);
            }
        }
    }

    /// Apply an edit (`old` replaced by `new`, every occurrence when `all`) to a remembered file;
    /// a file not remembered, or whose text lacks `old`, is forgotten (its text is unknown now).
    pub fn edit(&mut self, path: &str, old: &str, new: &str, all: bool) {
        let edited = match self.get(path) {
            Some(text) if !old.is_empty() && text.contains(old) => Some(if all {
                text.replace(old, new)
            } else {
                text.replacen(old, new, 1)
            }),
            _ => None,
        };
        match edited {
            Some(text) => self.remember(path, &text),
            None => self.forget(path),
        }
    }

    /// Forget the file at `path` (it was written with content that is not known, or deleted).
    pub fn forget(&mut self, path: &str) {
        if self.inner.texts.contains_key(path) {
            let inner = Arc::make_mut(&mut self.inner);
            inner.texts.remove(path);
            inner.order.retain(|p| p != path);
        }
    }

    /// The remembered text of the file at `path`.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.inner.texts.get(path).map(String::as_str)
    }

    /// How many files are remembered.
    pub fn len(&self) -> usize {
        self.inner.order.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.inner.order.is_empty()
    }
}

/// Scripts may hold anything the agent wrote, secrets included: only their number is shown.
impl std::fmt::Debug for ScriptMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptMemory")
            .field("scripts", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_bounded_and_forgets() {
        let mut m = ScriptMemory::default();
        m.remember("/w/a.sh", "rm -rf ~");
        assert_eq!(m.get("/w/a.sh"), Some("rm -rf ~"));
        m.edit("/w/a.sh", "~", "./build", false);
        assert_eq!(m.get("/w/a.sh"), Some("rm -rf ./build"));
        // An edit the text does not allow makes the content unknown.
        m.edit("/w/a.sh", "nothing like this", "x", false);
        assert_eq!(m.get("/w/a.sh"), None);
        m.remember("/w/big.sh", &"x".repeat(MAX_REMEMBERED_SCRIPT_BYTES + 1));
        assert!(m.is_empty());
        for i in 0..MAX_REMEMBERED_SCRIPTS + 3 {
            m.remember(&format!("/w/{i}.sh"), "true");
        }
        assert_eq!(m.len(), MAX_REMEMBERED_SCRIPTS);
        assert_eq!(m.get("/w/0.sh"), None);
        assert_eq!(m.get("/w/3.sh"), Some("true"));
        let copy = m.clone();
        m.forget("/w/3.sh");
        assert_eq!(
            (m.get("/w/3.sh"), copy.get("/w/3.sh")),
            (None, Some("true"))
        );
        assert_eq!(
            format!("{m:?}"),
            format!("ScriptMemory {{ scripts: {} }}", MAX_REMEMBERED_SCRIPTS - 1)
        );
    }
}
