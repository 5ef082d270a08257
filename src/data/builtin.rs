//! Named datasets that ship with causeway: the dispatch from a name in an
//! experiment file to its loader, with the manifest's hash checks in between.

use std::path::{Path, PathBuf};

use super::csv::Table;
use super::error::DataError;
use super::hash::read_verified;
use super::manifest::{Manifest, unknown_dataset};
use super::{CausalData, acic, ihdp, lalonde, mnist, nhefs};
use crate::rng::RunRng;

/// Bump when the numbers a builtin generator produces change (IHDP surfaces, ACIC
/// instance choice, category coding), so that cached runs are recomputed.
pub const ALGORITHM_VERSION: u32 = 1;

/// The names `load_builtin` accepts.
pub const BUILTIN_NAMES: [&str; 6] = ["acic2016", "ihdp", "lalonde-cps", "lalonde-nsw", "mnist", "nhefs"];

/// The builtin panel simulators (treatments over time): no data files, a
/// `Panel` and its truth from the run's generator (`data::tumour`). Named in
/// an experiment's `builtin:` block like the datasets above.
pub const PANEL_BUILTINS: [&str; 1] = ["tumour-growth"];

/// Options of a builtin dataset: the IHDP response surface ("A" or "B", default B),
/// the replication (IHDP) or instance (ACIC, 1 to 10), and the confounding strength
/// of the MNIST design (default 1). Without an instance, the run's generator draws one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuiltinOptions {
    pub surface: Option<String>,
    pub instance: Option<u32>,
    pub confounding: Option<f64>,
}

/// The data files of one builtin dataset, read once and checked against the
/// manifest's sha256: every run of an invocation is built from these bytes, so a
/// file replaced on disk mid-sweep can neither change the numbers nor the keys.
#[derive(Debug, Clone)]
pub struct BuiltinFiles {
    name: String,
    manifest: Manifest,
    root: PathBuf,
    /// (file relative to `datasets/`, its bytes, their sha256), in manifest order.
    files: Vec<(String, Vec<u8>, String)>,
}

impl BuiltinFiles {
    /// Read and verify every file builtin dataset `name` uses, from `root/datasets`.
    pub fn read(name: &str, root: &Path) -> Result<BuiltinFiles, DataError> {
        if !BUILTIN_NAMES.contains(&name) {
            return Err(unknown_builtin(name));
        }
        let manifest = Manifest::load(root)?;
        let mut files = Vec::new();
        for rel in &manifest.dataset(name)?.files {
            let path = manifest.file_path(root, rel);
            let expected = &manifest.files[rel].sha256; // check() guarantees the entry exists
            let bytes = read_verified(&path, expected)?;
            files.push((rel.clone(), bytes, expected.to_lowercase()));
        }
        Ok(BuiltinFiles { name: name.to_string(), manifest, root: root.to_path_buf(), files })
    }

    /// (file relative to `datasets/`, sha256 hex) of every file, for run keys and
    /// results manifests: the hashes of exactly the bytes the runs parse.
    pub fn hashes(&self) -> Vec<(String, String)> {
        self.files.iter().map(|(rel, _, sha)| (rel.clone(), sha.clone())).collect()
    }

    /// Build the dataset from the bytes read by `read`.
    pub fn load(&self, opts: &BuiltinOptions, rng: &mut RunRng) -> Result<CausalData, DataError> {
        check_options(&self.name, opts)?;
        let entry = self.manifest.dataset(&self.name)?;
        match self.name.as_str() {
            "ihdp" => {
                let surface = ihdp::Surface::parse(opts.surface.as_deref())?;
                let rel = entry.files.first().map(String::as_str).unwrap_or("ihdp/sim.csv");
                let design = ihdp::design(&self.table(rel)?, &entry.covariates, &entry.treatment)?;
                let mut replication = ihdp::replication_rng(surface, opts.instance, rng);
                Ok(ihdp::simulate(design, surface, &mut replication))
            }
            "lalonde-nsw" => lalonde::load_nsw(self, entry),
            "lalonde-cps" => lalonde::load_cps(self, entry),
            "nhefs" => nhefs::load(self, entry),
            "mnist" => {
                let rel = entry.files.first().map(String::as_str).unwrap_or("mnist/mnist_14x14.csv");
                let design = mnist::design(&self.table(rel)?)?;
                let gamma = opts.confounding.unwrap_or(mnist::DEFAULT_CONFOUNDING);
                mnist::simulate(&design, gamma, rng)
            }
            "acic2016" => acic::load(self, entry, opts.instance, rng),
            _ => Err(unknown_builtin(&self.name)),
        }
    }

    /// Data file `rel` of this dataset, parsed from the bytes read once, with the
    /// manifest's shape checked.
    pub(crate) fn table(&self, rel: &str) -> Result<Table, DataError> {
        let path = self.manifest.file_path(&self.root, rel);
        let (_, bytes, _) = self.files.iter().find(|(r, _, _)| r == rel).ok_or_else(|| DataError::Manifest {
            path: self.manifest.path.clone(),
            message: format!("dataset '{}' does not list file '{rel}'", self.name),
        })?;
        self.manifest.checked_table(&path, rel, bytes)
    }
}

/// Whether builtin `name` without a fixed `instance` is a new dataset in every
/// replication (IHDP draws its outcome surface, ACIC 2016 an instance, MNIST its
/// treatments and outcomes; see
/// `BuiltinFiles::load`), rather than the same file under a new split.
pub fn draws_per_replication(name: &str) -> bool {
    matches!(name, "ihdp" | "acic2016" | "mnist")
}

/// Load builtin dataset `name` from `root/datasets` (files verified by sha256).
pub fn load_builtin(name: &str, opts: &BuiltinOptions, root: &Path, rng: &mut RunRng) -> Result<CausalData, DataError> {
    BuiltinFiles::read(name, root)?.load(opts, rng)
}

/// (file relative to `datasets/`, sha256 hex) of every file dataset `name` reads,
/// each checked against the manifest, for run keys and results manifests.
pub fn builtin_file_hashes(name: &str, root: &Path) -> Result<Vec<(String, String)>, DataError> {
    Ok(BuiltinFiles::read(name, root)?.hashes())
}

fn check_options(name: &str, opts: &BuiltinOptions) -> Result<(), DataError> {
    let bad = |message: &str| Err(DataError::BadOption { name: name.to_string(), message: message.to_string() });
    if opts.surface.is_some() && name != "ihdp" {
        return bad("only ihdp has response surfaces; remove `surface`");
    }
    if opts.instance.is_some() && !matches!(name, "ihdp" | "acic2016") {
        return bad("only ihdp and acic2016 have instances; remove `instance`");
    }
    if opts.confounding.is_some() && name != "mnist" {
        return bad("only mnist has a confounding strength; remove `confounding`");
    }
    Ok(())
}

fn unknown_builtin(name: &str) -> DataError {
    let known: Vec<String> = BUILTIN_NAMES.iter().chain(&PANEL_BUILTINS).map(|s| s.to_string()).collect();
    unknown_dataset(name, known.iter())
}
