//! Find experiment files: files named on the command line, and every `.yaml` /
//! `.yml` file under named folders, sorted so that plans are stable. Files whose
//! name starts with `_` are bases for `extends`, not experiments of their own.

use std::path::{Path, PathBuf};

use super::Error;

/// Expand `paths` into experiment files, in a stable order.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found).map_err(|source| Error::Discover { path: p.clone(), source })?;
            found.sort();
            out.extend(found);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(Error::NoSuchPath(p.clone()));
        }
    }
    Ok(out)
}

fn is_experiment_file(path: &Path) -> bool {
    let yaml = matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"));
    let base = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('_'));
    yaml && !base
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if is_experiment_file(&path) {
            out.push(path);
        }
    }
    Ok(())
}
