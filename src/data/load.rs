//! From a parsed table to a `CausalData`: the checks every loader shares (a 0/1
//! treatment, an outcome without gaps, numeric covariates) and `load_csv` and
//! `load_file` for a user's own file.

use std::path::Path;

use super::csv::Table;
use super::error::DataError;
use super::truth::TruthColumns;
use super::{CausalData, Truth};

/// What the columns of a user's file are: the treatment, the outcome, the
/// covariates (None: every other column), the names of a file without a header
/// row, and the columns of its ground truth (never covariates).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileLayout {
    pub treatment: String,
    pub outcome: String,
    pub covariates: Option<Vec<String>>,
    /// The fields of a header-less file, in order; None: the file has a header row.
    pub names: Option<Vec<String>>,
    pub truth: TruthColumns,
    /// The column of unit ids that long-format sequences attach to; never a covariate.
    pub unit: Option<String>,
}

impl FileLayout {
    /// The covariates listed, or every column but the treatment, the outcome
    /// and the truth.
    fn covariate_names(&self, headers: &[String]) -> Vec<String> {
        match &self.covariates {
            Some(list) => list.clone(),
            None => {
                let truth = self.truth.names();
                headers
                    .iter()
                    .filter(|h| **h != self.treatment && **h != self.outcome && !truth.contains(&h.as_str()))
                    .filter(|h| self.unit.as_ref() != Some(*h))
                    .cloned()
                    .collect()
            }
        }
    }
}

/// Load a user CSV (header row required). Covariates default to every column but
/// the treatment and the outcome; missing covariate cells become NaN for the
/// preprocessing step to drop or impute.
pub fn load_csv(
    path: &Path,
    treatment: &str,
    outcome: &str,
    covariates: Option<&[String]>,
) -> Result<CausalData, DataError> {
    load_csv_bytes(path, &super::hash::read_bytes(path)?, treatment, outcome, covariates)
}

/// `load_csv` on bytes already read (and hashed) by the caller: the runner reads a
/// data file once per invocation and builds every run from those bytes.
pub fn load_csv_bytes(
    path: &Path,
    bytes: &[u8],
    treatment: &str,
    outcome: &str,
    covariates: Option<&[String]>,
) -> Result<CausalData, DataError> {
    let table = Table::parse(path, bytes)?;
    let names = covariate_names(&table, treatment, outcome, covariates);
    causal_from_table(&table, treatment, outcome, &names, Truth::None)
}

/// The covariates listed, or every column but the treatment and the outcome.
fn covariate_names(table: &Table, treatment: &str, outcome: &str, covariates: Option<&[String]>) -> Vec<String> {
    match covariates {
        Some(list) => list.to_vec(),
        None => table.headers.iter().filter(|h| *h != treatment && *h != outcome).cloned().collect(),
    }
}

/// The text levels of categorical columns, by code (`Table::levels`).
pub type Levels = std::collections::BTreeMap<String, Vec<String>>;

/// A user's file (`bytes`, the content of `path`) as laid out by `layout`,
/// where the `categorical` columns (`preprocess.one_hot`) may hold text: such a
/// column is coded by its levels, returned for naming the one-hot columns. A
/// text cell in any other covariate is an error that says so.
pub fn load_file(
    path: &Path,
    bytes: &[u8],
    layout: &FileLayout,
    categorical: &[String],
) -> Result<(CausalData, Levels), DataError> {
    let table = Table::parse_named(path, bytes, layout.names.as_deref())?;
    let names = layout.covariate_names(&table.headers);
    let mut levels = Levels::new();
    let mut columns = Vec::with_capacity(names.len());
    for name in &names {
        match table.numeric(name) {
            Ok(column) => columns.push(column),
            Err(DataError::NotNumeric { path, line, column, value }) => {
                if !categorical.contains(name) {
                    return Err(DataError::TextCovariate { path, line, column, value });
                }
                let (codes, text) = table.levels(name)?;
                levels.insert(name.clone(), text);
                columns.push(codes);
            }
            Err(e) => return Err(e),
        }
    }
    let treatment = treatment_column(&table, &layout.treatment)?;
    let outcome = outcome_column(&table, &layout.outcome)?;
    let truth = layout.truth.read(&table, &treatment, &outcome)?;
    let data = CausalData { covariate_names: names, covariates: columns, treatment, outcome, truth };
    Ok((data, levels))
}

/// The unit ids of a user's file, in row order: its `layout.unit` column.
pub fn unit_ids(path: &Path, bytes: &[u8], layout: &FileLayout, unit: &str) -> Result<Vec<String>, DataError> {
    let table = Table::parse_named(path, bytes, layout.names.as_deref())?;
    Ok(table.text(unit)?.into_iter().map(str::to_string).collect())
}

/// Build a dataset from named columns of `table`.
pub(crate) fn causal_from_table(
    table: &Table,
    treatment: &str,
    outcome: &str,
    covariates: &[String],
    truth: Truth,
) -> Result<CausalData, DataError> {
    Ok(CausalData {
        covariate_names: covariates.to_vec(),
        covariates: covariate_columns(table, covariates)?,
        treatment: treatment_column(table, treatment)?,
        outcome: outcome_column(table, outcome)?,
        truth,
    })
}

/// The treatment as 0.0/1.0, refusing any other value (missing included).
pub(crate) fn treatment_column(table: &Table, name: &str) -> Result<Vec<f64>, DataError> {
    let text = table.text(name)?;
    let values = table.numeric(name).map_err(|e| not_binary(table, name, &text, e))?;
    for (row, v) in values.iter().enumerate() {
        if *v != 0.0 && *v != 1.0 {
            return Err(DataError::TreatmentNotBinary {
                path: table.path.clone(),
                line: table.line(row),
                column: name.to_string(),
                value: text[row].to_string(),
            });
        }
    }
    Ok(values)
}

/// The outcome, refusing missing cells.
pub(crate) fn outcome_column(table: &Table, name: &str) -> Result<Vec<f64>, DataError> {
    let values = table.numeric(name)?;
    match values.iter().position(|v| v.is_nan()) {
        Some(row) => {
            Err(DataError::OutcomeMissing { path: table.path.clone(), line: table.line(row), column: name.to_string() })
        }
        None => Ok(values),
    }
}

/// Numeric covariate columns in the order of `names`.
pub(crate) fn covariate_columns(table: &Table, names: &[String]) -> Result<Vec<Vec<f64>>, DataError> {
    names.iter().map(|n| table.numeric(n)).collect()
}

/// A non-numeric treatment cell is reported as "not 0 or 1", which is what the user needs to know.
fn not_binary(table: &Table, name: &str, text: &[&str], error: DataError) -> DataError {
    match error {
        DataError::NotNumeric { line, .. } => {
            let row = (0..table.n_rows()).find(|&r| table.line(r) == line).unwrap_or(0);
            DataError::TreatmentNotBinary {
                path: table.path.clone(),
                line,
                column: name.to_string(),
                value: text.get(row).copied().unwrap_or_default().to_string(),
            }
        }
        other => other,
    }
}

/// Parse a data file's bytes once at planning, so that `check` refuses what
/// every run would fail on (a malformed row, a duplicated header, no data rows).
pub fn check_csv(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    Table::parse(path, bytes).map(|_| ())
}
