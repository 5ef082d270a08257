//! `manifest.yaml` of a results folder: what produced these tables (schema,
//! experiment and data file hashes, versions) and the key of every run.

use crate::run::{Run, SCHEMA_VERSION};
use crate::spec::Experiment;

/// Versions recorded in the manifest.
#[derive(Debug, Clone)]
pub struct Versions {
    pub causeway: String,
    pub libtorch: String,
    pub rustc: String,
    /// The numeric mode in force (`NumericIdentity::describe`).
    pub numerics: String,
}

fn display_path(p: &std::path::Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

pub fn manifest_yaml(exp: &Experiment, runs: &[Run], data_files: &[(String, String)], versions: &Versions) -> String {
    let mut out = format!("schema: {SCHEMA_VERSION}\nexperiment: {}\nfiles:\n", exp.name);
    for (path, sha) in &exp.files {
        out += &format!("  - path: {}\n    sha256: {sha}\n", display_path(path));
    }
    if data_files.is_empty() {
        out += "data_files: []\n";
    } else {
        out += "data_files:\n";
        for (name, sha) in data_files {
            out += &format!("  - path: {name}\n    sha256: {sha}\n");
        }
    }
    out += &format!(
        "versions:\n  causeway: {}\n  libtorch: {}\n  rustc: {}\n",
        versions.causeway, versions.libtorch, versions.rustc
    );
    out += &format!("numerics: {}\n", versions.numerics);
    out += &format!("runs: {}\nkeys:\n", runs.len());
    for run in runs {
        out += &format!("  - {}\n", run.key);
    }
    out
}
