//! Ground truth read from a user's own file: which columns hold it (noiseless
//! potential outcomes, the counterfactual outcome, or the individual effect),
//! and how those columns become a `Truth` that every truth metric can score.
//!
//! A semi-synthetic file (CEVAE's `ihdp_npci_N.csv`, a user's own simulation)
//! carries its truth beside the factual data; naming the columns is all it
//! takes for √PEHE, ε_ATE and the ATT error to be scored on it. Truth columns
//! are never covariates: an estimator that saw them would see the answer.

use super::Truth;
use super::csv::Table;
use super::error::DataError;

/// The columns of a data file that hold its ground truth.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TruthColumns {
    /// Real data: no truth.
    #[default]
    None,
    /// Noiseless expected potential outcomes of every row.
    Potential { mu0: String, mu1: String },
    /// The outcome each row would have had under the other treatment.
    Counterfactual { y_cf: String },
    /// The individual effect itself.
    Ite { ite: String },
}

impl TruthColumns {
    /// The column names, in the order written (`mu0, mu1`, `y_cf` or `ite`).
    pub fn names(&self) -> Vec<&str> {
        match self {
            TruthColumns::None => Vec::new(),
            TruthColumns::Potential { mu0, mu1 } => vec![mu0, mu1],
            TruthColumns::Counterfactual { y_cf } => vec![y_cf],
            TruthColumns::Ite { ite } => vec![ite],
        }
    }

    /// (role, column) pairs, for run keys and descriptions.
    pub fn roles(&self) -> Vec<(&'static str, &str)> {
        match self {
            TruthColumns::None => Vec::new(),
            TruthColumns::Potential { mu0, mu1 } => vec![("mu0", mu0), ("mu1", mu1)],
            TruthColumns::Counterfactual { y_cf } => vec![("y_cf", y_cf)],
            TruthColumns::Ite { ite } => vec![("ite", ite)],
        }
    }

    pub fn is_none(&self) -> bool {
        matches!(self, TruthColumns::None)
    }

    /// Read the truth from `table`. `treatment` and `outcome` are the factual
    /// columns, needed to turn a counterfactual outcome into potential outcomes.
    pub(crate) fn read(&self, table: &Table, treatment: &[f64], outcome: &[f64]) -> Result<Truth, DataError> {
        Ok(match self {
            TruthColumns::None => Truth::None,
            TruthColumns::Potential { mu0, mu1 } => {
                Truth::Potential { mu0: complete(table, mu0)?, mu1: complete(table, mu1)? }
            }
            TruthColumns::Counterfactual { y_cf } => {
                let y_cf = complete(table, y_cf)?;
                potential_from_counterfactual(treatment, outcome, &y_cf)
            }
            TruthColumns::Ite { ite } => Truth::Ite { ite: complete(table, ite)? },
        })
    }
}

/// Potential outcomes from the factual and counterfactual outcomes: a treated
/// row's y1 is its outcome and its y0 the counterfactual, and the other way round.
pub(crate) fn potential_from_counterfactual(treatment: &[f64], outcome: &[f64], y_cf: &[f64]) -> Truth {
    let treated = |i: usize| treatment[i] > 0.5;
    let n = outcome.len();
    let mu1 = (0..n).map(|i| if treated(i) { outcome[i] } else { y_cf[i] }).collect();
    let mu0 = (0..n).map(|i| if treated(i) { y_cf[i] } else { outcome[i] }).collect();
    Truth::Potential { mu0, mu1 }
}

/// A truth column, refusing missing cells: a row without its truth cannot be scored.
fn complete(table: &Table, name: &str) -> Result<Vec<f64>, DataError> {
    let values = table.numeric(name)?;
    match values.iter().position(|v| v.is_nan()) {
        Some(row) => {
            Err(DataError::TruthMissing { path: table.path.clone(), line: table.line(row), column: name.to_string() })
        }
        None => Ok(values),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counterfactual_outcome_fills_the_other_arm() {
        let truth = potential_from_counterfactual(&[1.0, 0.0], &[5.0, 2.0], &[3.0, 7.0]);
        assert_eq!(truth, Truth::Potential { mu0: vec![3.0, 2.0], mu1: vec![5.0, 7.0] });
    }
}
