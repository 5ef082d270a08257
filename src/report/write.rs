//! Writing a results folder: every file through a temporary file and a rename,
//! so a reader (or `git diff`) never sees a half-written table.

use std::path::Path;

use crate::run::{write_atomic, RunError};

/// Write each (file name, contents) into `dir`, creating it if needed.
pub fn write_results(dir: &Path, files: &[(&str, String)]) -> Result<(), RunError> {
    for (name, contents) in files {
        write_atomic(&dir.join(name), contents.as_bytes())?;
    }
    Ok(())
}
