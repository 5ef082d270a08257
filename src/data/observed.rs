//! What an estimator may see of a run's data: every row's covariates and
//! treatment, the outcomes of the in-sample rows (training and validation), and
//! the split, but nothing of the ground truth and no test row's outcome.
//!
//! Estimators receive an `Observed`, never the `CausalData`, so that "no
//! leakage" is not a convention: the truth has no field here (reading it does
//! not compile), and a test row's outcome is refused by `outcome`, the one way
//! to read an outcome. Metrics, which must see the truth, take the `CausalData`.

use super::{CausalData, Split};

/// A borrowed view of the data for estimation; see the module documentation.
#[derive(Debug, Clone)]
pub struct Observed<'a> {
    pub covariate_names: &'a [String],
    /// `covariates[j][i]` is covariate `j` of row `i`, for every row.
    pub covariates: &'a [Vec<f64>],
    /// 0.0 for control, 1.0 for treated, for every row.
    pub treatment: &'a [f64],
    outcome: &'a [f64],
    split: &'a Split,
    /// Whether each row is a test row, whose outcome is hidden.
    hidden: Vec<bool>,
}

impl CausalData {
    /// The estimator's view of this data under `split`.
    pub fn observed<'a>(&'a self, split: &'a Split) -> Observed<'a> {
        let mut hidden = vec![false; self.n_rows()];
        for &i in &split.test {
            hidden[i] = true;
        }
        Observed {
            covariate_names: &self.covariate_names,
            covariates: &self.covariates,
            treatment: &self.treatment,
            outcome: &self.outcome,
            split,
            hidden,
        }
    }
}

impl Observed<'_> {
    pub fn split(&self) -> &Split {
        self.split
    }

    pub fn n_rows(&self) -> usize {
        self.treatment.len()
    }

    pub fn n_covariates(&self) -> usize {
        self.covariates.len()
    }

    pub fn is_treated(&self, row: usize) -> bool {
        self.treatment[row] > 0.5
    }

    /// The outcome of an in-sample row. A test row's outcome is hidden: asking
    /// for it is a bug of the estimator, so it panics, which the run reports as
    /// an internal error rather than a number that saw the test set.
    pub fn outcome(&self, row: usize) -> f64 {
        assert!(!self.hidden[row], "an estimator read the outcome of test row {row}, which the protocol hides");
        self.outcome[row]
    }

    /// Every row's outcome, with the test rows' hidden as NaN, for code that
    /// builds one column of all rows and then reads the in-sample ones.
    pub fn outcome_column(&self) -> Vec<f64> {
        self.outcome.iter().zip(&self.hidden).map(|(&y, &h)| if h { f64::NAN } else { y }).collect()
    }

    /// Row-major copy of the covariates of `rows`, `rows.len() * n_covariates()` long.
    pub fn rows_major(&self, rows: &[usize]) -> Vec<f64> {
        super::causal::rows_major(self.covariates, rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Truth;

    fn data() -> CausalData {
        CausalData {
            covariate_names: vec!["x".into()],
            covariates: vec![vec![1.0, 2.0, 3.0, 4.0]],
            treatment: vec![0.0, 1.0, 0.0, 1.0],
            outcome: vec![10.0, 20.0, 30.0, 40.0],
            truth: Truth::None,
        }
    }

    fn split() -> Split {
        Split { train: vec![0, 3], validation: vec![1], test: vec![2] }
    }

    #[test]
    fn in_sample_outcomes_are_seen_and_test_outcomes_hidden() {
        let (d, s) = (data(), split());
        let view = d.observed(&s);
        assert_eq!([view.outcome(0), view.outcome(1), view.outcome(3)], [10.0, 20.0, 40.0]);
        let column = view.outcome_column();
        assert!(column[2].is_nan());
        assert_eq!([column[0], column[1], column[3]], [10.0, 20.0, 40.0]);
        assert_eq!(view.rows_major(&[2, 0]), vec![3.0, 1.0], "covariates of every row stay visible");
        assert!(view.is_treated(3) && !view.is_treated(2));
    }

    #[test]
    #[should_panic(expected = "outcome of test row 2")]
    fn reading_a_test_outcome_is_refused() {
        let (d, s) = (data(), split());
        d.observed(&s).outcome(2);
    }
}
