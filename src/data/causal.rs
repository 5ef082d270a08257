//! The dataset handed to estimators: covariates, a binary treatment, an outcome,
//! and whatever ground truth the source knows.

/// Ground truth attached to a dataset, when the source has any.
#[derive(Debug, Clone, PartialEq)]
pub enum Truth {
    /// Real data with no known effect.
    None,
    /// Simulated or semi-synthetic data: expected potential outcomes per row.
    Potential { mu0: Vec<f64>, mu1: Vec<f64> },
    /// A known benchmark value (for example an experimental ATT).
    Benchmark { ate: Option<f64>, att: Option<f64> },
}

/// Covariates (column-major), a 0/1 treatment and an outcome, one entry per row.
#[derive(Debug, Clone, PartialEq)]
pub struct CausalData {
    pub covariate_names: Vec<String>,
    /// `covariates[j][i]` is covariate `j` of row `i`.
    pub covariates: Vec<Vec<f64>>,
    /// 0.0 for control, 1.0 for treated.
    pub treatment: Vec<f64>,
    pub outcome: Vec<f64>,
    pub truth: Truth,
}

impl CausalData {
    pub fn n_rows(&self) -> usize {
        self.outcome.len()
    }

    pub fn n_covariates(&self) -> usize {
        self.covariates.len()
    }

    pub fn is_treated(&self, row: usize) -> bool {
        self.treatment[row] > 0.5
    }

    /// Row-major copy of the covariates of `rows`, `rows.len() * n_covariates()` long.
    pub fn rows_major(&self, rows: &[usize]) -> Vec<f64> {
        rows_major(&self.covariates, rows)
    }

    /// True individual effects mu1 - mu0, when the source knows them.
    pub fn true_ite(&self) -> Option<Vec<f64>> {
        match &self.truth {
            Truth::Potential { mu0, mu1 } => Some(mu1.iter().zip(mu0).map(|(a, b)| a - b).collect()),
            _ => None,
        }
    }
}

/// Row-major copy of the columns' values at `rows`.
pub(super) fn rows_major(columns: &[Vec<f64>], rows: &[usize]) -> Vec<f64> {
    let mut out = Vec::with_capacity(rows.len() * columns.len());
    for &i in rows {
        out.extend(columns.iter().map(|col| col[i]));
    }
    out
}
