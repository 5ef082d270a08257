//! NHEFS (Hernán and Robins, "Causal Inference: What If", chapters 12-15): does
//! quitting smoking (`qsmk`) change weight gain 1971-1982 (`wt82_71`, kg)?
//!
//! As in the book, the 63 participants whose 1982 weight is unknown are dropped
//! (censoring is ignored), leaving 1,566 of 1,629. Education, exercise and active
//! stay as numeric codes; the manifest marks them categorical for one-hot coding.

use super::builtin::BuiltinFiles;
use super::error::DataError;
use super::load::causal_from_table;
use super::manifest::DatasetEntry;
use super::{CausalData, Truth};

pub(crate) fn load(files: &BuiltinFiles, entry: &DatasetEntry) -> Result<CausalData, DataError> {
    let rel = entry.files.first().map(String::as_str).unwrap_or("nhefs/NHEFS.csv");
    let mut table = files.table(rel)?;
    let outcome = entry.outcome.as_deref().unwrap_or("wt82_71");
    let observed: Vec<bool> = table.numeric(outcome)?.iter().map(|y| !y.is_nan()).collect();
    table.retain_rows(&observed);
    causal_from_table(&table, &entry.treatment, outcome, &entry.covariates, Truth::None)
}
