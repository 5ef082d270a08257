//! `manifest.yaml` of a results folder: what produced these tables (schema,
//! experiment and data file hashes, versions) and the key of every run.
//!
//! The file is a serde value written by serde_yaml_ng, so every scalar is quoted
//! exactly when YAML needs it (a path with `: ` or `#` in it, a version that
//! looks like a number) and the file always reads back as what was written.

use serde::{Deserialize, Serialize};

use crate::run::{Run, SCHEMA_VERSION};
use crate::spec::Experiment;

/// Versions recorded in the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Versions {
    pub causeway: String,
    pub libtorch: String,
    pub rustc: String,
    /// The numeric mode in force (`NumericIdentity::describe`); written beside
    /// the versions, not among them.
    pub numerics: String,
}

/// The manifest's `versions:` mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Toolchain {
    pub causeway: String,
    pub libtorch: String,
    pub rustc: String,
}

/// A file and its sha256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hashed {
    pub path: String,
    pub sha256: String,
}

/// The manifest's contents, in the order the file lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub schema: u32,
    pub experiment: String,
    /// The experiment file first, then the files it extends.
    pub files: Vec<Hashed>,
    pub data_files: Vec<Hashed>,
    pub versions: Toolchain,
    pub numerics: String,
    pub runs: usize,
    pub keys: Vec<String>,
}

impl Manifest {
    pub fn new(exp: &Experiment, runs: &[Run], data_files: &[(String, String)], versions: &Versions) -> Manifest {
        let hashed = |path: String, sha: &str| Hashed { path, sha256: sha.to_string() };
        Manifest {
            schema: SCHEMA_VERSION,
            experiment: exp.name.clone(),
            files: exp.files.iter().map(|(p, sha)| hashed(display_path(p), sha)).collect(),
            data_files: data_files.iter().map(|(name, sha)| hashed(name.clone(), sha)).collect(),
            versions: Toolchain {
                causeway: versions.causeway.clone(),
                libtorch: versions.libtorch.clone(),
                rustc: versions.rustc.clone(),
            },
            numerics: versions.numerics.clone(),
            runs: runs.len(),
            keys: runs.iter().map(|r| r.key.clone()).collect(),
        }
    }

    /// The file's text.
    pub fn to_yaml(&self) -> String {
        // A struct of strings, numbers and lists always serializes.
        serde_yaml_ng::to_string(self).expect("a manifest serializes")
    }
}

/// A path as the manifest writes it: forward slashes, no leading `./`.
fn display_path(p: &std::path::Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(path: &str, rustc: &str) -> Manifest {
        Manifest {
            schema: SCHEMA_VERSION,
            experiment: "x".into(),
            files: vec![Hashed { path: path.into(), sha256: "ab".into() }],
            data_files: vec![],
            versions: Toolchain { causeway: "0.1.0".into(), libtorch: "2.11.0".into(), rustc: rustc.into() },
            numerics: "portable (kernels k, ATen avx2)".into(),
            runs: 1,
            keys: vec!["1234".into()],
        }
    }

    /// Awkward scalars (a path with `: ` and `#`, a key of digits only, a
    /// version that reads as a number) come back as the strings they were.
    #[test]
    fn awkward_scalars_round_trip() {
        let m = sample("odd: name #1/e.yaml", "1.95");
        let text = m.to_yaml();
        let back: Manifest = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(back.files, m.files, "{text}");
        assert_eq!(back.keys, m.keys, "{text}");
        assert_eq!(back.versions.rustc, "1.95", "{text}");
    }

    #[test]
    fn layout() {
        insta::assert_snapshot!(sample("experiments/a.yaml", "rustc 1.95.0 (59807616e 2026-04-14)").to_yaml());
    }

    /// Every committed results folder's manifest reads back into a `Manifest`
    /// and is byte for byte what the writer makes of it: the writer's format is
    /// the committed one.
    #[test]
    fn committed_manifests_are_in_the_writers_format() {
        let results = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("results");
        let mut seen = 0;
        for entry in std::fs::read_dir(&results).unwrap() {
            let path = entry.unwrap().path().join("manifest.yaml");
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            let manifest: Manifest =
                serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(manifest.runs, manifest.keys.len(), "{}", path.display());
            assert_eq!(manifest.to_yaml(), text, "{}", path.display());
            seen += 1;
        }
        assert!(seen >= 10, "found only {seen} committed manifests");
    }
}
