//! The `dataset:` section: exactly one source, and for a user's file or numpy
//! archive its paths (`$DATA_DIR`, `{replication}`), its column names (with
//! `x1..x25` ranges), and its truth columns, each error located in the YAML.

use std::collections::BTreeMap;

use super::super::datapath::{DataPath, REPLICATION};
use super::super::experiment::{Dataset, NpzDecl};
use super::super::load::Loaded;
use super::super::raw::{RawDataset, RawFile, RawNpz, RawSequences, RawTruth};
use super::{Result, check_quantity, check_simulate, invalid};
use crate::data::long::SequenceLayout;
use crate::data::{FileLayout, NpzArrays, TruthColumns};
use crate::spec::SpecErrorKind;
use crate::suggest::did_you_mean;

pub(super) fn check_dataset(loaded: &Loaded, raw: &RawDataset, params: &BTreeMap<String, f64>) -> Result<Dataset> {
    match (&raw.simulate, &raw.builtin, &raw.file, &raw.npz) {
        (Some(s), None, None, None) => check_simulate(loaded, s, params).map(Dataset::Simulate),
        (None, Some(b), None, None) if crate::data::PANEL_BUILTINS.contains(&b.name.as_str()) => {
            super::panel::check_panel_builtin(loaded, b, params)
        }
        (None, Some(b), None, None) => {
            super::panel::check_static_builtin(loaded, b)?;
            let confounding = b
                .confounding
                .as_ref()
                .map(|v| check_quantity(loaded, "dataset.builtin.confounding", v, params))
                .transpose()?;
            Ok(Dataset::Builtin { name: b.name.clone(), surface: b.surface.clone(), instance: b.instance, confounding })
        }
        (None, None, Some(f), None) => check_file(loaded, f),
        (None, None, None, Some(n)) => check_npz(loaded, n),
        (None, None, None, None) => Err(loaded
            .error_at("dataset", true, SpecErrorKind::MissingKey { key: "simulate".into() })
            .with_help("a dataset is one of `simulate:`, `builtin:`, `file:` or `npz:`")),
        _ => Err(invalid(loaded, "dataset", "give exactly one of `simulate`, `builtin`, `file` or `npz`")),
    }
}

/// A path as written at `at`, relative to the file that wrote the key (a base
/// of `extends` may have) unless it is under `$DATA_DIR`.
fn data_path(loaded: &Loaded, at: &str, written: &str) -> DataPath {
    let file = loaded.locate(at, false).0;
    DataPath::resolve(written, file.parent())
}

fn check_file(loaded: &Loaded, f: &RawFile) -> Result<Dataset> {
    let path = data_path(loaded, "dataset.file.path", &f.path);
    let names = f.columns.as_ref().map(|c| expand_ranges(loaded, "dataset.file.columns", c)).transpose()?;
    if let Some(names) = &names {
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(invalid(loaded, "dataset.file.columns", format!("column `{name}` is named twice")));
            }
        }
    }
    let covariates = f.covariates.as_ref().map(|c| expand_ranges(loaded, "dataset.file.covariates", c)).transpose()?;
    let truth = match &f.truth {
        None => TruthColumns::None,
        Some(t) => check_truth(loaded, t)?,
    };
    let unit = f.unit.clone();
    let layout =
        FileLayout { treatment: f.treatment.clone(), outcome: f.outcome.clone(), covariates, names, truth, unit };
    check_roles(loaded, &layout, f.covariates.as_deref().unwrap_or_default())?;
    let sequences = f.sequences.as_ref().map(|s| check_sequences(loaded, f, s)).transpose()?;
    Ok(Dataset::File { path, layout, sequences })
}

/// A long-format sequence file: it needs the unit table's id column, a length
/// from 2 to the simulator's limit, value columns, and a mask only with padding.
fn check_sequences(loaded: &Loaded, f: &RawFile, s: &RawSequences) -> Result<(DataPath, SequenceLayout)> {
    if f.unit.is_none() {
        return Err(invalid(
            loaded,
            "dataset.file.sequences",
            "sequences attach to units by id, and the unit table names no id column",
        )
        .with_help("add `unit: COLUMN` to `dataset.file`, the column of unit ids"));
    }
    let max = crate::scm::sequence::MAX_STEPS as u64;
    if !(2..=max).contains(&s.length) {
        return Err(invalid(
            loaded,
            "dataset.file.sequences.length",
            format!("a sequence's length is a whole number from 2 to {max}, found {}", s.length),
        ));
    }
    if s.columns.is_empty() {
        return Err(invalid(loaded, "dataset.file.sequences.columns", "name at least one value column"));
    }
    if s.mask.is_some() && s.pad.is_none() {
        return Err(invalid(loaded, "dataset.file.sequences.mask", "a mask marks padded steps, and nothing is padded")
            .with_help("declare `pad: VALUE` for absent steps, or drop `mask`"));
    }
    let path = data_path(loaded, "dataset.file.sequences.path", &s.path);
    let layout = SequenceLayout {
        unit: s.unit.clone(),
        step: s.step.clone(),
        columns: s.columns.clone(),
        length: s.length as usize,
        pad: s.pad,
        mask: s.mask.clone(),
    };
    Ok((path, layout))
}

fn check_truth(loaded: &Loaded, t: &RawTruth) -> Result<TruthColumns> {
    let help = "give `{ mu0: COLUMN, mu1: COLUMN }` (noiseless potential outcomes), `{ y_cf: COLUMN }` \
                (the counterfactual outcome) or `{ ite: COLUMN }` (the individual effect)";
    match (&t.mu0, &t.mu1, &t.y_cf, &t.ite) {
        (Some(mu0), Some(mu1), None, None) => Ok(TruthColumns::Potential { mu0: mu0.clone(), mu1: mu1.clone() }),
        (None, None, Some(y_cf), None) => Ok(TruthColumns::Counterfactual { y_cf: y_cf.clone() }),
        (None, None, None, Some(ite)) => Ok(TruthColumns::Ite { ite: ite.clone() }),
        (Some(_), None, None, None) | (None, Some(_), None, None) => {
            Err(invalid(loaded, "dataset.file.truth", "`mu0` and `mu1` go together").with_help(help))
        }
        _ => Err(invalid(loaded, "dataset.file.truth", "give exactly one kind of truth").with_help(help)),
    }
}

/// Every role names a column of a header-less file (with a suggestion), and
/// no column plays two roles: a truth column is never a covariate, nor the
/// treatment or the outcome.
fn check_roles(loaded: &Loaded, layout: &FileLayout, written: &[String]) -> Result<()> {
    let mut roles: Vec<(String, &str)> = vec![
        ("dataset.file.treatment".into(), layout.treatment.as_str()),
        ("dataset.file.outcome".into(), layout.outcome.as_str()),
    ];
    for (role, column) in layout.truth.roles() {
        roles.push((format!("dataset.file.truth.{role}"), column));
    }
    if let Some(names) = &layout.names {
        let listed = layout.covariates.iter().flatten().map(|c| ("dataset.file.covariates".to_string(), c.as_str()));
        for (at, column) in roles.iter().cloned().chain(listed) {
            if !names.iter().any(|n| n == column) {
                let help = match did_you_mean(column, names.iter().map(String::as_str)) {
                    Some(s) => crate::suggest::help(&s),
                    None => "name it in `dataset.file.columns`".to_string(),
                };
                return Err(
                    invalid(loaded, &at, format!("`{column}` is not one of the file's `columns`")).with_help(help)
                );
            }
        }
    }
    for (i, (at, column)) in roles.iter().enumerate() {
        if roles[..i].iter().any(|(_, c)| c == column) {
            return Err(invalid(loaded, at, format!("column `{column}` already plays another role"))
                .with_help("the treatment, the outcome and each truth column are different columns"));
        }
    }
    for covariate in layout.covariates.iter().flatten() {
        if let Some((at, _)) = roles.iter().find(|(_, c)| c == covariate) {
            let what = if at.contains(".truth.") { "a truth column" } else { "the treatment or the outcome" };
            // At its entry where written as such, else at the list (it came from a range).
            let entry = written.iter().position(|w| w == covariate);
            let here = entry.map_or("dataset.file.covariates".to_string(), |i| format!("dataset.file.covariates[{i}]"));
            return Err(invalid(loaded, &here, format!("`{covariate}` is {what}; it cannot be a covariate"))
                .with_help("truth columns are never covariates: an estimator that saw them would see the answer"));
        }
    }
    Ok(())
}

/// Names with `prefix<a>..prefix<b>` entries expanded to `prefix<a>`, ...,
/// `prefix<b>` (`x1..x25`: the 25 names `x1` to `x25`).
pub(super) fn expand_ranges(loaded: &Loaded, at: &str, names: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let Some((first, last)) = name.split_once("..") else {
            out.push(name.clone());
            continue;
        };
        let here = format!("{at}[{i}]");
        let (p, a) = split_number(first);
        let (q, b) = split_number(last);
        match (a, b) {
            (Some(a), Some(b)) if p == q && a <= b && b - a < 100_000 => out.extend((a..=b).map(|k| format!("{p}{k}"))),
            _ => {
                return Err(invalid(loaded, &here, format!("`{name}` is not a range of columns")).with_help(
                    "a range is `x1..x25`: one prefix, then a first and a last number, the first not larger",
                ));
            }
        }
    }
    Ok(out)
}

/// `x12` -> (`x`, Some(12)); a name without a trailing number -> (name, None).
fn split_number(name: &str) -> (&str, Option<u64>) {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (prefix, number) = name.split_at(name.len() - digits);
    (prefix, number.parse().ok())
}

fn check_npz(loaded: &Loaded, n: &RawNpz) -> Result<Dataset> {
    for (at, written) in
        std::iter::once(("dataset.npz.path", &n.path)).chain(n.test.iter().map(|t| ("dataset.npz.test", t)))
    {
        if written.contains(REPLICATION) {
            return Err(invalid(loaded, at, format!("an archive's name cannot hold `{REPLICATION}`")).with_help(
                "an archive holds its replications along the third axis of its arrays: replication k reads slice k",
            ));
        }
    }
    Ok(Dataset::Npz(NpzDecl {
        path: data_path(loaded, "dataset.npz.path", &n.path),
        test: n.test.as_ref().map(|t| data_path(loaded, "dataset.npz.test", t)),
        arrays: NpzArrays::new(&n.arrays.named()),
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_split_off_names() {
        assert_eq!(super::split_number("x12"), ("x", Some(12)));
        assert_eq!(super::split_number("mu"), ("mu", None));
    }
}
