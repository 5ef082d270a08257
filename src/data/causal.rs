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
    /// Semi-synthetic data that records the individual effect mu1 - mu0 only.
    Ite { ite: Vec<f64> },
    /// Real data with a randomized subset (Jobs: `e` is 1.0 for the rows of
    /// the experiment, 0.0 for the observational comparison group): the
    /// experimental ATT and the policy risk are estimated on that subset from
    /// the factual outcomes (Shalit, Johansson and Sontag 2017, sec. 5).
    Experimental { e: Vec<f64> },
}

impl Truth {
    /// The truth of the rows `rows` (the same rows as the data's), built by
    /// `pick` so that the caller chooses how to allocate.
    pub(crate) fn keep<E>(&self, pick: impl Fn(&[f64]) -> Result<Vec<f64>, E>) -> Result<Truth, E> {
        Ok(match self {
            Truth::Potential { mu0, mu1 } => Truth::Potential { mu0: pick(mu0)?, mu1: pick(mu1)? },
            Truth::Ite { ite } => Truth::Ite { ite: pick(ite)? },
            Truth::Experimental { e } => Truth::Experimental { e: pick(e)? },
            Truth::None => Truth::None,
            Truth::Benchmark { ate, att } => Truth::Benchmark { ate: *ate, att: *att },
        })
    }
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
            Truth::Ite { ite } => Some(ite.clone()),
            Truth::None | Truth::Benchmark { .. } | Truth::Experimental { .. } => None,
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
