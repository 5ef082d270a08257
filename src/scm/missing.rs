//! Missing values injected after simulation, so preprocessing (imputation) can
//! be studied against a known truth. Missing cells become NaN in covariate
//! columns only: the treatment, the outcome and the truths are never touched,
//! and neither is the MAR driver, whose observed value explains the missingness.
//!
//! MCAR: every covariate cell goes missing with probability `rate`.
//! MAR: a row's cells go missing with probability `rate + spread * (q - 1/2)`,
//! where q = (rank of the driver's value + 1/2) / n and spread = 2 min(rate,
//! 1 - rate): it rises linearly with the driver's rank, stays within [0, 1], and
//! averages exactly `rate`. Ranks (ties broken by row) keep it scale-free.

use rand::Rng;

use crate::rng::RunRng;

use super::error::{ScmError, ScmErrorKind};

#[derive(Debug, Clone, PartialEq)]
pub enum Missingness {
    None,
    Mcar { rate: f64 },
    Mar { driver: String, rate: f64 },
}

impl Missingness {
    /// Check the rate and resolve the driver's node index (if any), before anything is drawn.
    pub(crate) fn validate(
        &self,
        resolve: impl Fn(&str) -> Result<usize, ScmError>,
    ) -> Result<Option<usize>, ScmError> {
        let rate = match self {
            Missingness::None => return Ok(None),
            Missingness::Mcar { rate } | Missingness::Mar { rate, .. } => *rate,
        };
        if !(0.0..=1.0).contains(&rate) {
            return Err(ScmError::new(ScmErrorKind::BadMissingRate { rate }));
        }
        match self {
            Missingness::Mar { driver, .. } => resolve(driver).map(Some),
            _ => Ok(None),
        }
    }

    /// Blank cells of every column except `protected` ones and the driver, in
    /// file order, one uniform draw per cell.
    pub(crate) fn inject(
        &self,
        columns: &mut [(String, Vec<f64>)],
        protected: &[usize],
        driver: Option<usize>,
        rng: &mut RunRng,
    ) {
        let rate = match self {
            Missingness::None => return,
            Missingness::Mcar { rate } | Missingness::Mar { rate, .. } => *rate,
        };
        let probability = match driver {
            Some(d) => rank_probabilities(&columns[d].1, rate),
            None => Vec::new(),
        };
        for (j, (_, column)) in columns.iter_mut().enumerate() {
            if protected.contains(&j) || driver == Some(j) {
                continue;
            }
            for (i, cell) in column.iter_mut().enumerate() {
                let p = probability.get(i).copied().unwrap_or(rate);
                if rng.random::<f64>() < p {
                    *cell = f64::NAN;
                }
            }
        }
    }
}

/// Per-row missingness probabilities rising with the driver's rank, mean `rate`.
fn rank_probabilities(driver: &[f64], rate: f64) -> Vec<f64> {
    let n = driver.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| driver[a].total_cmp(&driver[b]).then(a.cmp(&b)));
    let spread = 2.0 * rate.min(1.0 - rate);
    let mut probability = vec![0.0; n];
    for (rank, &row) in order.iter().enumerate() {
        let q = (rank as f64 + 0.5) / n as f64;
        probability[row] = rate + spread * (q - 0.5);
    }
    probability
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_probabilities_average_the_rate_and_rise_with_the_driver() {
        let driver = [5.0, -1.0, 3.0, 3.0, 10.0];
        for rate in [0.0, 0.1, 0.5, 0.8, 1.0] {
            let p = rank_probabilities(&driver, rate);
            let mean = p.iter().sum::<f64>() / p.len() as f64;
            assert!((mean - rate).abs() < 1e-12, "rate {rate}: mean {mean}");
            assert!(p.iter().all(|&x| (0.0..=1.0).contains(&x)));
            assert!(p[1] <= p[2] && p[2] <= p[3] && p[3] <= p[0] && p[0] <= p[4]);
        }
    }
}
