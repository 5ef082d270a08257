//! Shared by the tests of experiment files: `causeway check`'s three steps on one
//! file or on a text, and a folder's experiment files in order.

use std::path::{Path, PathBuf};

use causeway::spec::{self, SpecError};

/// Load, validate and check `path`, as `causeway check` does.
pub fn check_file(path: &Path) -> Result<spec::Experiment, SpecError> {
    let loaded = spec::load(path)?;
    let exp = spec::validate(&loaded)?;
    spec::cross_check(&loaded, &exp)?;
    Ok(exp)
}

/// Write `text` to a temporary file called `name` and check it like
/// [`check_file`].
pub fn check_text(name: &str, text: &str) -> Result<spec::Experiment, SpecError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    check_file(&path)
}

/// The error [`check_text`] reports, from the file's name on (without the
/// temporary folder, so that snapshots are stable).
pub fn message(name: &str, text: &str) -> String {
    let shown = check_text(name, text).unwrap_err().to_string();
    shown[shown.find(name).unwrap()..].to_string()
}

/// The `*.yaml` files of `dir`, sorted, leaving out those named `_*` (bases
/// that other files extend).
pub fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "yaml") && !p.file_name().unwrap().to_string_lossy().starts_with('_')
        })
        .collect();
    files.sort();
    files
}
