//! The results site: a static, self-contained HTML page per experiment
//! (`results/<name>/index.html`, written with its tables) and
//! `results/index.html`, which compares the experiments. No page loads anything
//! from elsewhere (inline style, one small inline script for sorting, inline
//! SVG for the graph and the plots), and the bytes depend on the outcomes alone
//! (no timestamps, no absolute paths), so the pages are committed and diffed
//! with the tables.

mod dot;
mod graph;
mod html;
mod index;
mod page;
#[cfg(test)]
mod tests;

use std::path::Path;

pub use dot::dot as graph_dot;
pub use graph::{Picture, Role, svg as graph_svg};
pub use index::{Entry, MetricValues, index_page, ranks};
pub use page::{PageInput, experiment_page};

use super::WriteError;

/// The entry file of a results folder, read back by the index.
pub const ENTRY_FILE: &str = "site.json";

/// Rebuild `results/index.html` from every results folder's entry, in name
/// order. Folders with tables but no entry are named on the page; an entry
/// that does not parse is named too, and returned as a warning (a hand edit,
/// or a folder from another version of causeway).
pub fn write_index(results: &Path) -> Result<Vec<String>, WriteError> {
    let mut entries = Vec::new();
    let (mut missing, mut warnings) = (Vec::new(), Vec::new());
    let mut folders: Vec<_> = match std::fs::read_dir(results) {
        Ok(dir) => dir.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect(),
        Err(_) => Vec::new(),
    };
    folders.sort();
    for folder in folders {
        let Some(name) = folder.file_name().and_then(|n| n.to_str()).map(str::to_string) else { continue };
        // Staging folders of a write in progress start with a dot.
        if name.starts_with('.') {
            continue;
        }
        let path = folder.join(ENTRY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => match serde_json::from_str::<Entry>(&text) {
                Ok(entry) => entries.push(entry),
                Err(e) => {
                    warnings.push(format!("{}: not an index entry ({e}); left off the index", path.display()));
                    missing.push(name);
                }
            },
            Err(_) if folder.join("summary.csv").exists() => missing.push(name),
            Err(_) => {}
        }
    }
    let target = results.join("index.html");
    crate::fsio::write_atomic(&target, index_page(&entries, &missing).as_bytes()).map_err(|source| WriteError {
        dir: results.to_path_buf(),
        path: target.clone(),
        source,
    })?;
    Ok(warnings)
}
