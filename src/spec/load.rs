//! Read an experiment file (and the files it `extends`), guard against hostile
//! input, merge the chain, and deserialize it into raw types with every error
//! pointed at a file, line and column.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_yaml_ng::{Mapping, Value};

use super::error::{SpecError, SpecErrorKind};
use super::literals::check_literals;
use super::locate::{Locator, Position};
use super::raw::RawExperiment;
use crate::hash::sha256_hex;
use crate::suggest::did_you_mean;

/// Experiment files are small; anything larger is a mistake (or an attack), and
/// is refused before parsing so that memory stays bounded.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// One file of an `extends` chain, kept for locating errors and hashing.
#[derive(Debug)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
    pub sha256: String,
    pub locator: Locator,
}

/// A parsed experiment: its raw content and the files it came from, the file
/// named on the command line first, then its bases.
#[derive(Debug)]
pub struct Loaded {
    pub raw: RawExperiment,
    pub sources: Vec<Source>,
}

impl Loaded {
    /// The file and position where `path` is written: the first file of the chain
    /// that writes it, else the nearest enclosing key of the experiment file itself.
    pub fn locate(&self, path: &str, key: bool) -> (PathBuf, Option<Position>) {
        locate_in(&self.sources, path, key)
    }

    /// Whether some file of the chain writes `path`.
    pub fn writes(&self, path: &str) -> bool {
        self.sources.iter().any(|s| s.locator.contains(path))
    }

    /// An error located at `path`.
    pub fn error_at(&self, path: &str, key: bool, kind: SpecErrorKind) -> SpecError {
        let (file, position) = self.locate(path, key);
        SpecError::new(file, position, kind)
    }
}

fn locate_in(sources: &[Source], path: &str, key: bool) -> (PathBuf, Option<Position>) {
    let pick = |s: &Source| if key { s.locator.key(path) } else { s.locator.value(path) };
    for s in sources {
        if s.locator.contains(path) {
            return (s.path.clone(), pick(s));
        }
    }
    match sources.first() {
        Some(s) => (s.path.clone(), pick(s)),
        None => (PathBuf::new(), None),
    }
}

/// Load `path`, following `extends`, and deserialize the merged document.
pub fn load(path: &Path) -> Result<Loaded, SpecError> {
    let mut sources = Vec::new();
    let merged = load_chain(path, &mut sources)?;
    let raw = deserialize(merged, &sources)?;
    Ok(Loaded { raw, sources })
}

/// Load one file and its bases, then merge the chain; returns the merged
/// mapping. A loop, not a recursion: a chain is as long as its files say, and
/// each link would otherwise be a stack frame (20,000 files overflowed it).
fn load_chain(path: &Path, sources: &mut Vec<Source>) -> Result<Mapping, SpecError> {
    // The files of the chain so far as shown, the position of each by its
    // canonical path, and their documents.
    let mut chain: Vec<PathBuf> = Vec::new();
    let mut seen: HashMap<PathBuf, usize> = HashMap::new();
    let mut docs: Vec<Mapping> = Vec::new();
    let mut path = path.to_path_buf();
    loop {
        let source = read_source(&path)?;
        let mut doc = parse_mapping(&source)?;
        check_literals(&source)?;
        let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
        seen.insert(canonical, chain.len());
        chain.push(path.clone());
        let base = match doc.remove("extends") {
            None | Some(Value::Null) => None,
            Some(Value::String(base)) => Some(base),
            Some(_) => {
                let at = source.locator.value("extends");
                return Err(SpecError::new(
                    &source.path,
                    at,
                    SpecErrorKind::WrongType("`extends` must be a file path".into()),
                ));
            }
        };
        let extends_at = source.locator.value("extends");
        let own_path = source.path.clone();
        sources.push(source);
        docs.push(doc);
        let Some(base) = base else { break };
        let base_path = path.parent().unwrap_or(Path::new(".")).join(&base);
        let base_canonical = base_path.canonicalize().map_err(|e| {
            SpecError::new(
                &own_path,
                extends_at,
                SpecErrorKind::Invalid(format!("`extends: {base}` cannot be read: {e}")),
            )
            .with_help("the path is relative to the directory of this file")
        })?;
        if let Some(&i) = seen.get(&base_canonical) {
            let shown: Vec<String> = chain[i..].iter().chain([&base_path]).map(|p| p.display().to_string()).collect();
            return Err(SpecError::new(&own_path, extends_at, SpecErrorKind::ExtendsCycle(shown.join(" -> ")))
                .with_help("an experiment cannot extend itself, directly or through its bases"));
        }
        path = base_path;
    }
    // Each file overrides its base: fold from the last base to the first file.
    let mut merged = docs.pop().unwrap_or_default();
    while let Some(child) = docs.pop() {
        merged = merge(merged, child);
    }
    Ok(merged)
}

fn read_source(path: &Path) -> Result<Source, SpecError> {
    let io = |e: std::io::Error| SpecError::new(path, None, SpecErrorKind::Io(e.to_string()));
    let metadata = std::fs::metadata(path).map_err(io)?;
    // A device or a pipe (`extends: /dev/zero`, `/dev/stdin`) has no size to
    // check and may never end, or block.
    if !metadata.is_file() {
        return Err(SpecError::new(path, None, SpecErrorKind::Io("it is not a regular file".into())));
    }
    let too_large = |size| SpecError::new(path, None, SpecErrorKind::TooLarge { size, limit: MAX_FILE_BYTES });
    if metadata.len() > MAX_FILE_BYTES {
        return Err(too_large(metadata.len()));
    }
    // At most one byte past the limit, should the file have grown since.
    let mut bytes = Vec::new();
    std::fs::File::open(path).and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)).map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    let sha256 = sha256_hex(&bytes);
    let text = String::from_utf8(bytes).map_err(|e| {
        SpecError::new(
            path,
            None,
            SpecErrorKind::Syntax(format!(
                "the file is not UTF-8 (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            )),
        )
    })?;
    let locator = Locator::new(&text);
    Ok(Source { path: path.to_path_buf(), text, sha256, locator })
}

/// Parse YAML into a mapping. serde_yaml_ng bounds alias expansion and nesting
/// depth, so alias bombs fail fast with bounded memory.
fn parse_mapping(source: &Source) -> Result<Mapping, SpecError> {
    check_flow_nesting(source)?;
    let value: Value = serde_yaml_ng::from_str(&source.text).map_err(|e| {
        let position = e.location().map(|l| source.locator.clamp(Position { line: l.line(), column: l.column() }));
        SpecError::new(&source.path, position, SpecErrorKind::Syntax(strip_location(&e.to_string())))
    })?;
    match value {
        Value::Mapping(m) => Ok(m),
        Value::Null => Err(SpecError::new(&source.path, None, SpecErrorKind::Invalid("the file is empty".into()))
            .with_help(
                "an experiment file is a YAML mapping with at least `name`, `seed`, `dataset` and `estimators`",
            )),
        other => Err(SpecError::new(
            &source.path,
            Some(Position { line: 1, column: 1 }),
            SpecErrorKind::WrongType(format!(
                "expected a mapping of keys at the top level, found {}",
                describe(&other)
            )),
        )),
    }
}

/// The deepest that `[` and `{` may nest. serde_yaml_ng refuses a document
/// nested deeper than 128 levels, but only once its parser has read it, and
/// that parser's work per token grows with the flow depth: a file of 400,000
/// `[` took minutes in `check`. Counted over the raw text, brackets in quotes
/// and comments included, so that the bound holds whatever the parser sees.
const MAX_FLOW_NESTING: usize = 128;

fn check_flow_nesting(source: &Source) -> Result<(), SpecError> {
    let (mut depth, mut line, mut column) = (0usize, 1, 0);
    for c in source.text.chars() {
        column += 1;
        match c {
            '\n' => (line, column) = (line + 1, 0),
            '[' | '{' if depth == MAX_FLOW_NESTING => {
                let message = format!("`[` and `{{` nest more than {MAX_FLOW_NESTING} levels deep here");
                return Err(SpecError::new(
                    &source.path,
                    Some(Position { line, column }),
                    SpecErrorKind::Syntax(message),
                ));
            }
            '[' | '{' => depth += 1,
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

pub fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// Child keys override the base; nested mappings merge key by key; lists and
/// scalars are replaced whole (so a child's `estimators` list replaces the base's).
pub fn merge(mut base: Mapping, child: Mapping) -> Mapping {
    for (k, v) in child {
        let merged = match (base.remove(&k), v) {
            (Some(Value::Mapping(b)), Value::Mapping(c)) => Value::Mapping(merge(b, c)),
            (_, v) => v,
        };
        base.insert(k, merged);
    }
    base
}

fn deserialize(doc: Mapping, sources: &[Source]) -> Result<RawExperiment, SpecError> {
    serde_path_to_error::deserialize(Value::Mapping(doc)).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        serde_error(&path, &e.into_inner().to_string(), sources)
    })
}

/// Turn serde's message into a located, actionable error.
fn serde_error(path: &str, message: &str, sources: &[Source]) -> SpecError {
    let message = strip_location(message);
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or_default().to_string();
        let expected: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
        let (file, at) = locate_in(sources, path, true);
        let help = match did_you_mean(&key, expected.iter().copied()) {
            Some(s) => Some(crate::suggest::help(&s)),
            None if !expected.is_empty() => Some(format!("expected one of: {}", expected.join(", "))),
            None => None,
        };
        return SpecError::new(file, at, SpecErrorKind::UnknownKey { key }).with_help_opt(help);
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let key = rest.split('`').next().unwrap_or_default().to_string();
        let (file, at) = locate_in(sources, path, true);
        // A key missing at the top level belongs to the file as a whole.
        let at = if path.is_empty() { Some(Position { line: 1, column: 1 }) } else { at };
        let help = format!("add `{key}: ...` here; docs/experiment-format.md lists every key");
        return SpecError::new(file, at, SpecErrorKind::MissingKey { key }).with_help(help);
    }
    let (file, at) = locate_in(sources, path, false);
    let what = if path.is_empty() { String::new() } else { format!("`{path}`: ") };
    SpecError::new(file, at, SpecErrorKind::WrongType(format!("{what}{}", plain_types(&message))))
}

/// serde speaks Rust ("invalid type: sequence, expected i64"); say it in YAML terms.
fn plain_types(message: &str) -> String {
    let message =
        message.strip_prefix("invalid type: ").map(|m| format!("found {m}")).unwrap_or_else(|| message.to_string());
    [
        ("expected i64", "expected an integer"),
        ("expected u64", "expected a whole number >= 0"),
        ("expected u32", "expected a whole number >= 0"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected a list"),
        ("expected a string", "expected a string"),
        ("found sequence", "found a list"),
        ("found map", "found a mapping"),
    ]
    .iter()
    .fold(message, |m, (from, to)| m.replace(from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 3,000 files, each extending the next: the chain is loaded in a loop (as
    /// a recursion it overflowed a test thread's stack) and merged with each
    /// file over its bases.
    #[test]
    fn a_long_extends_chain_loads_and_merges_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let n = 3_000;
        for i in 0..n {
            let text = match i {
                0 => "extends: c1.yaml\ndescription: first\n".to_string(),
                1_500 => "extends: c1501.yaml\nreplications: 7\ndescription: middle\n".to_string(),
                i if i + 1 == n => "name: chain\nseed: 1\nreplications: 1\ndescription: root\ndataset: { builtin: { name: ihdp } }\nestimators: [naive]\n".to_string(),
                i => format!("extends: c{}.yaml\n", i + 1),
            };
            std::fs::write(dir.path().join(format!("c{i}.yaml")), text).unwrap();
        }
        let loaded = load(&dir.path().join("c0.yaml")).unwrap();
        assert_eq!(loaded.sources.len(), n);
        assert_eq!(loaded.raw.description.as_deref(), Some("first"));
        assert_eq!((loaded.raw.name.as_str(), loaded.raw.replications), ("chain", 7));
    }

    /// Found by the fuzz target: a syntax error at the end of a file without a
    /// final newline was reported on the line after its last.
    #[test]
    fn a_syntax_error_at_the_end_is_located_on_the_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("exp.yaml");
        std::fs::write(&file, "---\nname: demo\ns").unwrap();
        let err = load(&file).unwrap_err();
        assert_eq!(
            (err.position, &err.kind),
            (Some(Position { line: 3, column: 2 }), &SpecErrorKind::Syntax("could not find expected ':'".into()))
        );
    }

    /// Found by the fuzz target: 400,000 `[` took minutes in the YAML parser.
    #[test]
    fn flow_nesting_is_bounded_before_parsing() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("exp.yaml");
        let fits = format!("a: {}1{}\n", "[".repeat(MAX_FLOW_NESTING), "]".repeat(MAX_FLOW_NESTING));
        std::fs::write(&file, &fits).unwrap();
        let too_deep = SpecErrorKind::Syntax("`[` and `{` nest more than 128 levels deep here".into());
        assert!(load(&file).is_err_and(|e| e.kind != too_deep));
        for levels in [MAX_FLOW_NESTING + 1, 400_000] {
            std::fs::write(&file, format!("name: x\nestimators: {}\n", "[{".repeat(levels))).unwrap();
            let err = load(&file).unwrap_err();
            assert_eq!((err.position, &err.kind), (Some(Position { line: 2, column: 13 + 128 }), &too_deep));
        }
    }

    /// A device has size 0 and never ends: `extends: /dev/zero` read until
    /// memory ran out, and `/dev/stdin` would wait for a terminal.
    #[cfg(unix)]
    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        for base in ["/dev/zero", "/dev/null", "/tmp"] {
            let child = dir.path().join("child.yaml");
            std::fs::write(&child, format!("extends: {base}\nname: child\n")).unwrap();
            let err = load(&child).unwrap_err();
            assert_eq!(
                (err.file.as_path(), &err.kind),
                (Path::new(base), &SpecErrorKind::Io("it is not a regular file".into()))
            );
            assert_eq!(err.to_string(), format!("{base}: cannot read the experiment file: it is not a regular file"));
        }
    }
}
