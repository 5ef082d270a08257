//! The output of `Model::simulate` and its conversion into the `CausalData`
//! that estimators consume.

use crate::data::{CausalData, Truth};

use super::error::{ScmError, ScmErrorKind};
use crate::suggest::did_you_mean;

/// Every node's column (file order, missing cells NaN) and the per-row truths
/// under do(treatment = 0) and do(treatment = 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    pub columns: Vec<(String, Vec<f64>)>,
    /// Expected outcome without outcome noise (see `scm::intervene`).
    pub mu0: Vec<f64>,
    pub mu1: Vec<f64>,
    /// Potential outcomes with the row's own outcome noise.
    pub y0: Vec<f64>,
    pub y1: Vec<f64>,
}

impl Simulation {
    pub fn n_rows(&self) -> usize {
        self.mu0.len()
    }

    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, c)| c.as_slice())
    }

    /// Covariates = every node except treatment and outcome, in file order.
    pub fn into_causal_data(self, treatment: &str, outcome: &str) -> Result<CausalData, ScmError> {
        let covariates: Vec<String> =
            self.columns.iter().map(|(n, _)| n.clone()).filter(|n| n != treatment && n != outcome).collect();
        self.into_causal_data_with(treatment, outcome, &covariates)
    }

    /// Covariates = the named nodes, in the given order (for example the
    /// observed nodes of an adjustment set, leaving latent ones out).
    pub fn into_causal_data_with(
        self,
        treatment: &str,
        outcome: &str,
        covariates: &[String],
    ) -> Result<CausalData, ScmError> {
        let treatment_column = self.take("treatment", treatment)?;
        let outcome_column = self.take("outcome", outcome)?;
        let columns = covariates.iter().map(|c| self.take("covariate", c)).collect::<Result<Vec<_>, _>>()?;
        Ok(CausalData {
            covariate_names: covariates.to_vec(),
            covariates: columns,
            treatment: treatment_column,
            outcome: outcome_column,
            truth: Truth::Potential { mu0: self.mu0, mu1: self.mu1 },
        })
    }

    /// A copy of a named column (a covariate may legitimately be named twice
    /// by a caller, so columns are not moved out).
    fn take(&self, role: &'static str, name: &str) -> Result<Vec<f64>, ScmError> {
        self.column(name).map(<[f64]>::to_vec).ok_or_else(|| {
            let suggestion = did_you_mean(name, self.columns.iter().map(|(n, _)| n.as_str()));
            ScmError::new(ScmErrorKind::UnknownNode { role, name: name.into(), suggestion })
        })
    }
}
