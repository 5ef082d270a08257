//! Map a path inside a YAML document (`estimators[1].aipw.folds`) to the line and
//! column where it is written, so that errors found after parsing (by serde or by
//! validation) still point into the file.
//!
//! serde's `Value` forgets positions, so the document is read a second time with
//! yaml-rust2's event parser, which reports a marker for every node. Aliases are
//! not expanded here, so this pass is linear in the file size.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Line and column, both 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Where a mapping key and its value are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    key: Option<Position>,
    value: Position,
}

/// Index from dotted paths to positions for one YAML document.
#[derive(Debug, Default)]
pub struct Locator {
    entries: HashMap<String, Entry>,
    /// The end of the text: its last line, and the column after its last character.
    end: Position,
}

impl Locator {
    /// Index `text`. A document that does not parse yields an empty index.
    pub fn new(text: &str) -> Locator {
        let mut builder = Builder::default();
        // The events one at a time rather than `Parser::load`, which recurses
        // once per level of nesting: a file of `- - - ... x` or `[[[...]]]`
        // overflowed the stack (the builder's own stack is a `Vec`).
        let mut parser = Parser::new_from_str(text);
        while !builder.done {
            match parser.next_token() {
                Ok((Event::StreamEnd, _)) | Err(_) => break,
                Ok((event, mark)) => builder.on_event(event, mark),
            }
        }
        let last = text.rsplit('\n').next().unwrap_or("");
        let mut locator = Locator {
            entries: HashMap::new(),
            end: Position { line: text.split('\n').count(), column: last.chars().count() + 1 },
        };
        locator.entries = builder
            .entries
            .into_iter()
            .map(|(path, e)| (path, Entry { key: e.key.map(|p| locator.clamp(p)), value: locator.clamp(e.value) }))
            .collect();
        locator
    }

    /// `p`, or the end of the text if `p` is on a line past its last. The YAML
    /// parsers put the end of a document that does not end with a newline
    /// there (`name:` gives the empty value of `name` line 2, and a syntax
    /// error at the end of the file is reported on the line after it).
    pub fn clamp(&self, p: Position) -> Position {
        // (A default locator, of no text, has no end and moves nothing.)
        if self.end.line > 0 && p.line > self.end.line { self.end } else { p }
    }

    /// Position of the key at `path` (for "unknown key" errors), falling back to its
    /// value and then to the nearest enclosing path that exists.
    pub fn key(&self, path: &str) -> Option<Position> {
        self.nearest(path).map(|e| e.key.unwrap_or(e.value))
    }

    /// Position of the value at `path` (for type and range errors).
    pub fn value(&self, path: &str) -> Option<Position> {
        self.nearest(path).map(|e| e.value)
    }

    pub fn contains(&self, path: &str) -> bool {
        self.entries.contains_key(path)
    }

    fn nearest(&self, path: &str) -> Option<Entry> {
        let mut p = path;
        loop {
            if let Some(e) = self.entries.get(p) {
                return Some(*e);
            }
            p = parent_path(p)?;
        }
    }
}

/// `a.b[2].c` -> `a.b[2]` -> `a.b` -> `a` -> `` -> None.
pub fn parent_path(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    match path.rfind(['.', '[']) {
        Some(i) => Some(&path[..i]),
        None => Some(""),
    }
}

/// Join a child segment onto a path: a key with `.`, an index with `[i]`.
pub fn join_key(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

pub fn join_index(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

enum Frame {
    Map {
        path: String,
        key: Option<(String, Position)>,
    },
    Seq {
        path: String,
        next: usize,
    },
    /// A collection below `INDEXED_DEPTH`, whose contents are not indexed.
    Deep,
}

/// How many collections deep nodes are indexed; a deeper one is located at
/// its nearest indexed ancestor. No key of an experiment file is nearly as
/// deep (`estimators[1].aipw.sweep.clip[0]` is five), serde refuses documents
/// deeper than 128, and a node's entry holds its whole path: indexing every
/// level of a deep document (a 1 MiB file nests 500,000) would take memory
/// quadratic in its depth.
const INDEXED_DEPTH: usize = 16;

#[derive(Default)]
struct Builder {
    entries: HashMap<String, Entry>,
    stack: Vec<Frame>,
    /// Set once the first document ends, so that later documents are ignored.
    done: bool,
}

fn position(mark: Marker) -> Position {
    // yaml-rust2 columns are 0-based; editors count from 1.
    Position { line: mark.line(), column: mark.col() + 1 }
}

impl Builder {
    /// Path of the node that starts now, consuming the pending key or index.
    /// Returns None when the node is itself a mapping key.
    fn begin_node(&mut self, scalar: Option<&str>, at: Position) -> Option<(String, Option<Position>)> {
        match self.stack.last_mut() {
            None => Some((String::new(), None)),
            Some(Frame::Seq { path, next }) => {
                let p = join_index(path, *next);
                *next += 1;
                Some((p, None))
            }
            Some(Frame::Map { path, key }) => match key.take() {
                Some((k, key_at)) => Some((join_key(path, &k), Some(key_at))),
                None => {
                    *key = Some((scalar.unwrap_or("?").to_string(), at));
                    None
                }
            },
            // Not reached: `on_event` skips what a deep frame holds.
            Some(Frame::Deep) => None,
        }
    }

    fn record(&mut self, path: &str, key: Option<Position>, value: Position) {
        self.entries.entry(path.to_string()).or_insert(Entry { key, value });
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.done {
            return;
        }
        if let Some(Frame::Deep) = self.stack.last() {
            match ev {
                Event::MappingStart(..) | Event::SequenceStart(..) => self.stack.push(Frame::Deep),
                Event::MappingEnd | Event::SequenceEnd => drop(self.stack.pop()),
                _ => {}
            }
            return;
        }
        let at = position(mark);
        match ev {
            Event::Scalar(ref s, ..) => {
                if let Some((path, key)) = self.begin_node(Some(s), at) {
                    self.record(&path, key, at);
                }
            }
            Event::Alias(_) => {
                if let Some((path, key)) = self.begin_node(None, at) {
                    self.record(&path, key, at);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                let path = match self.begin_node(None, at) {
                    Some((path, key)) => {
                        self.record(&path, key, at);
                        path
                    }
                    // A complex key: index its contents under a placeholder path.
                    None => "?".to_string(),
                };
                self.stack.push(if self.stack.len() >= INDEXED_DEPTH {
                    Frame::Deep
                } else if is_map {
                    Frame::Map { path, key: None }
                } else {
                    Frame::Seq { path, next: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            Event::DocumentEnd => self.done = true,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "name: demo\nestimators:\n  - ols\n  - aipw:\n      folds: 5\nsplit: { test: 0.1 }\n";

    #[test]
    fn finds_keys_and_values() {
        let loc = Locator::new(DOC);
        assert_eq!(loc.key("name"), Some(Position { line: 1, column: 1 }));
        assert_eq!(loc.value("name"), Some(Position { line: 1, column: 7 }));
        assert_eq!(loc.value("estimators[0]"), Some(Position { line: 3, column: 5 }));
        assert_eq!(loc.key("estimators[1].aipw.folds"), Some(Position { line: 5, column: 7 }));
        assert_eq!(loc.value("estimators[1].aipw.folds"), Some(Position { line: 5, column: 14 }));
        assert_eq!(loc.key("split.test"), Some(Position { line: 6, column: 10 }));
    }

    /// Found by the fuzz target: 10,000 nested `- ` overflowed a test thread's
    /// stack (yaml-rust2's loader recursed), and indexing every level would
    /// take memory quadratic in the depth. A 1 MiB file nests 500,000 levels.
    #[test]
    fn deep_nesting_is_read_without_recursion_and_indexed_to_a_depth() {
        let levels = 500_000;
        let loc = Locator::new(&format!("a:\n{}x\nb: 1\n", "- ".repeat(levels)));
        // a[0], a[0][0], ...: each starts two columns further right, down to
        // the deepest one indexed, where deeper paths are located.
        let path = |k: usize| format!("a{}", "[0]".repeat(k));
        let deepest = (0..40).take_while(|&k| loc.contains(&path(k))).last().unwrap();
        assert!((10..40).contains(&deepest), "{deepest}");
        let column = |k: usize| loc.value(&path(k)).map(|p| (p.line, p.column));
        assert!((1..=deepest).all(|k| column(k) == Some((2, 3 + 2 * (k - 1)))));
        assert_eq!(column(deepest + 1), column(deepest));
        assert_eq!(column(40), column(deepest));
        assert_eq!(loc.value("b"), Some(Position { line: 3, column: 4 }));
        // yaml-rust2 gives up past 255 flow levels; below, what follows is indexed.
        for levels in [levels, 200] {
            let loc = Locator::new(&format!("a: {}x{}\nb: 1\n", "[".repeat(levels), "]".repeat(levels)));
            assert_eq!(loc.value("a"), Some(Position { line: 1, column: 4 }));
            assert_eq!(loc.contains("b"), levels == 200);
        }
    }

    /// Found by the fuzz target: a file without a final newline had its last
    /// empty value located on a line past its end.
    #[test]
    fn positions_stay_inside_the_text() {
        assert_eq!(Locator::new("name:").value("name"), Some(Position { line: 1, column: 6 }));
        assert_eq!(Locator::new("a: 1\nname:").value("name"), Some(Position { line: 2, column: 6 }));
        assert_eq!(Locator::new("name:\n").value("name"), Some(Position { line: 2, column: 1 }));
    }

    #[test]
    fn falls_back_to_the_nearest_parent() {
        let loc = Locator::new(DOC);
        assert_eq!(loc.key("estimators[1].aipw.missing"), loc.key("estimators[1].aipw"));
        assert_eq!(parent_path("a.b[2].c"), Some("a.b[2]"));
        assert_eq!(parent_path("a"), Some(""));
    }
}
