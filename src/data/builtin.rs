//! Named datasets that ship with causeway: the dispatch from a name in an
//! experiment file to its loader, with the manifest's hash checks in between.

use std::path::Path;

use super::error::DataError;
use super::hash::{read_bytes, sha256_hex};
use super::manifest::{Manifest, unknown_dataset};
use super::{CausalData, acic, ihdp, lalonde, nhefs};
use crate::run::RunRng;

/// Bump when the numbers a builtin generator produces change (IHDP surfaces, ACIC
/// instance choice, category coding), so that cached runs are recomputed.
pub const ALGORITHM_VERSION: u32 = 1;

/// The names `load_builtin` accepts.
pub const BUILTIN_NAMES: [&str; 5] = ["acic2016", "ihdp", "lalonde-cps", "lalonde-nsw", "nhefs"];

/// Options of a builtin dataset: the IHDP response surface ("A" or "B", default B)
/// and the replication (IHDP) or instance (ACIC, 1 to 10). Without an instance, the
/// run's generator draws one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuiltinOptions {
    pub surface: Option<String>,
    pub instance: Option<u32>,
}

/// Load builtin dataset `name` from `root/datasets` (files verified by sha256).
pub fn load_builtin(name: &str, opts: &BuiltinOptions, root: &Path, rng: &mut RunRng) -> Result<CausalData, DataError> {
    check_options(name, opts)?;
    let manifest = Manifest::load(root)?;
    let entry = manifest.dataset(name)?;
    match name {
        "ihdp" => {
            let surface = ihdp::Surface::parse(opts.surface.as_deref())?;
            let rel = entry.files.first().map(String::as_str).unwrap_or("ihdp/sim.csv");
            let design = ihdp::design(&manifest.table(root, rel)?, &entry.covariates, &entry.treatment)?;
            let mut replication = ihdp::replication_rng(surface, opts.instance, rng);
            Ok(ihdp::simulate(design, surface, &mut replication))
        }
        "lalonde-nsw" => lalonde::load_nsw(&manifest, entry, root),
        "lalonde-cps" => lalonde::load_cps(&manifest, entry, root),
        "nhefs" => nhefs::load(&manifest, entry, root),
        "acic2016" => acic::load(&manifest, entry, root, opts.instance, rng),
        _ => Err(unknown_builtin(name)),
    }
}

/// (file relative to `datasets/`, sha256 hex) of every file dataset `name` reads,
/// each checked against the manifest, for run keys and results manifests.
pub fn builtin_file_hashes(name: &str, root: &Path) -> Result<Vec<(String, String)>, DataError> {
    if !BUILTIN_NAMES.contains(&name) {
        return Err(unknown_builtin(name));
    }
    let manifest = Manifest::load(root)?;
    let mut hashes = Vec::new();
    for rel in &manifest.dataset(name)?.files {
        let path = manifest.file_path(root, rel);
        let actual = sha256_hex(&read_bytes(&path)?);
        let expected = &manifest.files[rel].sha256; // check() guarantees the entry exists
        if &actual != expected {
            return Err(DataError::HashMismatch { path, expected: expected.clone(), actual });
        }
        hashes.push((rel.clone(), actual));
    }
    Ok(hashes)
}

fn check_options(name: &str, opts: &BuiltinOptions) -> Result<(), DataError> {
    let bad = |message: &str| Err(DataError::BadOption { name: name.to_string(), message: message.to_string() });
    if opts.surface.is_some() && name != "ihdp" {
        return bad("only ihdp has response surfaces; remove `surface`");
    }
    if opts.instance.is_some() && !matches!(name, "ihdp" | "acic2016") {
        return bad("only ihdp and acic2016 have instances; remove `instance`");
    }
    Ok(())
}

fn unknown_builtin(name: &str) -> DataError {
    let known: Vec<String> = BUILTIN_NAMES.iter().map(|s| s.to_string()).collect();
    unknown_dataset(name, known.iter())
}
