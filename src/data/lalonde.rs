//! LaLonde's NSW job-training data (Dehejia-Wahba sample) and the observational
//! benchmark that replaces its experimental controls with CPS controls.
//!
//! The truth of both is the experimental difference in mean 1978 earnings between
//! NSW treated and NSW controls ($1794.34, Dehejia and Wahba 1999, Table 1), computed
//! here from the NSW file itself rather than typed in.

use super::builtin::BuiltinFiles;
use super::csv::Table;
use super::error::DataError;
use super::load::{causal_from_table, outcome_column, treatment_column};
use super::manifest::DatasetEntry;
use super::{CausalData, Truth};

/// The randomized NSW sample; its difference in means estimates both ATE and ATT.
pub(crate) fn load_nsw(files: &BuiltinFiles, entry: &DatasetEntry) -> Result<CausalData, DataError> {
    let nsw = files.table(nsw_file(entry))?;
    let diff = experimental_difference(&nsw, entry)?;
    let truth = Truth::Benchmark { ate: Some(diff), att: Some(diff) };
    causal_from_table(&nsw, &entry.treatment, outcome(entry), &entry.covariates, truth)
}

/// NSW treated plus CPS controls; only the ATT has an experimental benchmark.
pub(crate) fn load_cps(files: &BuiltinFiles, entry: &DatasetEntry) -> Result<CausalData, DataError> {
    let nsw = files.table(nsw_file(entry))?;
    let diff = experimental_difference(&nsw, entry)?;
    let mut combined = nsw.clone();
    let treated: Vec<bool> = treatment_column(&nsw, &entry.treatment)?.iter().map(|t| *t == 1.0).collect();
    combined.retain_rows(&treated);
    let cps_file = entry.files.get(1).map(String::as_str).unwrap_or("lalonde/cps_mixtape.csv");
    combined.append(&files.table(cps_file)?)?;
    let truth = Truth::Benchmark { ate: None, att: Some(diff) };
    causal_from_table(&combined, &entry.treatment, outcome(entry), &entry.covariates, truth)
}

/// Mean outcome of treated minus mean outcome of controls.
pub(crate) fn experimental_difference(nsw: &Table, entry: &DatasetEntry) -> Result<f64, DataError> {
    let t = treatment_column(nsw, &entry.treatment)?;
    let y = outcome_column(nsw, outcome(entry))?;
    let mean = |group: f64| {
        let ys: Vec<f64> = t.iter().zip(&y).filter(|(ti, _)| **ti == group).map(|(_, yi)| *yi).collect();
        ys.iter().sum::<f64>() / ys.len() as f64
    };
    Ok(mean(1.0) - mean(0.0))
}

fn nsw_file(entry: &DatasetEntry) -> &str {
    entry.files.first().map(String::as_str).unwrap_or("lalonde/nsw_mixtape.csv")
}

fn outcome(entry: &DatasetEntry) -> &str {
    entry.outcome.as_deref().unwrap_or("re78")
}
