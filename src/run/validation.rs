//! What a run stores about its validation rows for model selection
//! (`selection:`): the rows, their covariates, treatment and factual outcome
//! as the estimator saw them, and the configuration's predictions there. The
//! selection stage (`run::selection`) reads only these records, so choosing
//! again (other criteria, another protocol) retrains nothing, and since the
//! record holds no test row and no truth, the choice cannot have read them.

use serde::{Deserialize, Serialize};

use crate::data::Observed;
use crate::estimate::Estimate;

/// A run's validation rows and its predictions on them (every value finite).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationRecord {
    /// The validation rows' indices into the run's rows, ascending.
    pub rows: Vec<usize>,
    /// Covariates of each validation row, after preprocessing.
    pub x: Vec<Vec<f64>>,
    pub t: Vec<f64>,
    pub y: Vec<f64>,
    /// The predicted effect of each validation row.
    pub tau: Vec<f64>,
    /// Predicted potential outcomes, where the estimator has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mu0: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mu1: Option<Vec<f64>>,
}

impl ValidationRecord {
    /// The record of an estimate on `data`'s validation rows; None where the
    /// estimator predicts no individual effects, there are no validation rows,
    /// or a value is not finite (JSON cannot hold it, and no criterion could use it).
    pub fn of(data: &Observed<'_>, est: &Estimate) -> Option<ValidationRecord> {
        let rows = data.split().validation.clone();
        let ite = est.ite.as_ref()?;
        if rows.is_empty() {
            return None;
        }
        let pick = |v: &[f64]| rows.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        let record = ValidationRecord {
            x: rows.iter().map(|&i| data.covariates.iter().map(|c| c[i]).collect()).collect(),
            t: pick(data.treatment),
            y: rows.iter().map(|&i| data.outcome(i)).collect(),
            tau: pick(ite),
            mu0: est.potential.as_ref().map(|(m, _)| pick(m)),
            mu1: est.potential.as_ref().map(|(_, m)| pick(m)),
            rows,
        };
        let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
        let all_finite = record.x.iter().all(|r| finite(r))
            && finite(&record.y)
            && finite(&record.tau)
            && record.mu0.as_deref().is_none_or(finite)
            && record.mu1.as_deref().is_none_or(finite);
        all_finite.then_some(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{CausalData, Split, Truth};

    #[test]
    fn a_record_holds_the_validation_rows_only() {
        let d = CausalData {
            covariate_names: vec!["x".into()],
            covariates: vec![vec![1.0, 2.0, 3.0, 4.0]],
            treatment: vec![0.0, 1.0, 0.0, 1.0],
            outcome: vec![10.0, 20.0, 30.0, 40.0],
            truth: Truth::None,
        };
        let split = Split { train: vec![0], validation: vec![1, 3], test: vec![2] };
        let est = Estimate {
            ite: Some(vec![0.5, 1.5, 2.5, 3.5]),
            potential: Some((vec![0.0; 4], vec![1.0, 2.0, 3.0, 4.0])),
            ..Default::default()
        };
        let r = ValidationRecord::of(&d.observed(&split), &est).unwrap();
        assert_eq!((r.rows, r.x, r.t, r.y), (vec![1, 3], vec![vec![2.0], vec![4.0]], vec![1.0, 1.0], vec![20.0, 40.0]));
        assert_eq!((r.tau, r.mu1), (vec![1.5, 3.5], Some(vec![2.0, 4.0])));
        let no_ite = Estimate { ite: None, ..est };
        assert_eq!(ValidationRecord::of(&d.observed(&split), &no_ite), None);
    }
}
