//! Validation of `preprocess:`: the imputation method, and the columns `one_hot`
//! and `squares` name, checked against the data's covariates wherever those are
//! known without loading data (simulated nodes, a file's declared list).

use super::{Result, invalid};
use crate::data::{DataError, IMPUTE_METHODS, Impute};
use crate::spec::experiment::{Dataset, Preprocess};
use crate::spec::load::Loaded;
use crate::spec::raw::{RawGraph, RawPreprocess};
use crate::suggest::did_you_mean;

/// The `preprocess:` block, checked.
pub(super) fn check_preprocess(
    loaded: &Loaded,
    raw: &RawPreprocess,
    dataset: &Dataset,
    graph: Option<&RawGraph>,
) -> Result<Preprocess> {
    let impute = match raw.impute.as_deref() {
        None => Impute::None,
        Some(name) => Impute::parse(name).map_err(|e| {
            let suggestion = match e {
                DataError::UnknownImpute { suggestion, .. } => suggestion,
                _ => None,
            };
            let names = IMPUTE_METHODS.map(|(n, _)| n);
            invalid(loaded, "preprocess.impute", format!("unknown imputation `{name}`")).with_help(
                suggestion.map_or_else(|| format!("use one of: {}", names.join(", ")), |s| crate::suggest::help(&s)),
            )
        })?,
    };
    let known = known_covariates(dataset, graph);
    for (option, names) in [("one_hot", &raw.one_hot), ("squares", &raw.squares)] {
        check_column_list(loaded, option, names, known.as_deref(), dataset)?;
    }
    if let Some(i) = raw.squares.iter().position(|n| raw.one_hot.contains(n)) {
        return Err(invalid(
            loaded,
            &format!("preprocess.squares[{i}]"),
            format!("`{}` is one-hot encoded, so it has no square", raw.squares[i]),
        )
        .with_help("square only numeric columns; its indicators already fit any function of a categorical column"));
    }
    Ok(Preprocess {
        impute,
        indicators: raw.indicators,
        standardize: raw.standardize,
        one_hot: raw.one_hot.clone(),
        squares: raw.squares.clone(),
    })
}

/// The covariates a dataset will have, when they are known without loading data:
/// the simulated nodes other than treatment, outcome and latent ones, or a file's
/// declared list. `None` for builtin datasets and files without a list, whose
/// columns are checked when the data is loaded.
fn known_covariates(dataset: &Dataset, graph: Option<&RawGraph>) -> Option<Vec<String>> {
    let latent: &[String] = graph.map_or(&[], |g| &g.latent);
    match dataset {
        Dataset::Simulate(sim) => Some(
            sim.equations
                .iter()
                .map(|(n, _)| n.clone())
                .filter(|n| *n != sim.treatment && *n != sim.outcome && !latent.contains(n))
                .collect(),
        ),
        Dataset::File { layout, .. } => layout.covariates.clone(),
        Dataset::Builtin { .. } | Dataset::Npz(_) | Dataset::Panel(_) => None,
    }
}

fn is_treatment_or_outcome(dataset: &Dataset, name: &str) -> bool {
    match dataset {
        Dataset::Simulate(sim) => sim.treatment == name || sim.outcome == name,
        Dataset::File { layout, .. } => layout.treatment == name || layout.outcome == name,
        Dataset::Builtin { .. } | Dataset::Npz(_) | Dataset::Panel(_) => false,
    }
}

/// A list of column names under `preprocess.<option>`: no repeats, and every name a
/// covariate of the data where the covariates are known.
fn check_column_list(
    loaded: &Loaded,
    option: &str,
    names: &[String],
    known: Option<&[String]>,
    dataset: &Dataset,
) -> Result<()> {
    for (i, name) in names.iter().enumerate() {
        let path = format!("preprocess.{option}[{i}]");
        if names[..i].contains(name) {
            return Err(invalid(loaded, &path, format!("`{name}` is listed twice")));
        }
        let Some(known) = known else { continue };
        if !known.contains(name) {
            let help = match did_you_mean(name, known.iter().map(String::as_str)) {
                _ if is_treatment_or_outcome(dataset, name) => {
                    "the treatment and the outcome are never covariates".to_string()
                }
                Some(s) => crate::suggest::help(&s),
                None => format!("the covariates are: {}", known.join(", ")),
            };
            return Err(invalid(loaded, &path, format!("`{name}` is not a covariate of the data")).with_help(help));
        }
    }
    Ok(())
}
