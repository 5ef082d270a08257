//! The nonparametric bootstrap interval of any estimator, declared per estimator
//! entry (`bootstrap: 200`): resample the units with replacement and refit, B
//! times, on the prepared data of the run. Training rows are resampled from the
//! training rows and validation rows from the validation rows, so that a
//! network's early stopping still sees held-out rows of the resample; test rows
//! stay as they are (no estimator reads their outcomes). The preprocessing is not
//! refitted per resample: the standardization of the original training rows
//! stands, a small approximation the docs state.
//!
//! Resample b draws its rows from the stream `RESAMPLE_STREAM + 2b` of the run's
//! seed and runs the estimator on the stream after it, so the interval is a pure
//! function of the run's key, and adding resamples never changes the first ones.
//! A network's resamples train as members of packs (`refit.rs`), with the
//! bytes each has alone.

use rand::Rng;

use super::pipeline::stream;
use super::refit::{Copy, finite_effects, refit_all};

use crate::data::{CausalData, Split, Truth};
use crate::estimate::neural::pack::PackLimit;
use crate::estimate::{Estimand, Estimator};
use crate::rng::RunRng;

/// Streams below this belong to the run's other stages (data, split, estimator).
const RESAMPLE_STREAM: u64 = 1 << 32;

/// What B resamples give: their estimates' spread and intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct Bootstrap {
    pub resamples: usize,
    /// Resamples whose refit failed (a singular resample, ...); left out of the rest.
    pub failed: usize,
    /// Standard deviation of the resampled estimates.
    pub se: f64,
    /// 2.5% and 97.5% quantiles of the resampled estimates (type 7, linear interpolation).
    pub percentile: (f64, f64),
    /// The estimate ± 1.96 se.
    pub normal: (f64, f64),
}

/// `rows` drawn with replacement, as many as there are.
pub(super) fn resample(rows: &[usize], rng: &mut RunRng) -> Vec<usize> {
    (0..rows.len()).map(|_| rows[rng.random_range(0..rows.len())]).collect()
}

/// The rows `order` of `data` as a dataset of their own, without the truth
/// (an estimator never sees it).
pub(super) fn take(data: &CausalData, order: &[usize]) -> CausalData {
    CausalData {
        covariate_names: data.covariate_names.clone(),
        covariates: data.covariates.iter().map(|c| order.iter().map(|&i| c[i]).collect()).collect(),
        treatment: order.iter().map(|&i| data.treatment[i]).collect(),
        outcome: order.iter().map(|&i| data.outcome[i]).collect(),
        truth: Truth::None,
    }
}

/// The training, validation and test rows of `split` chosen by `pick` (per
/// part; test rows kept), as a dataset of their own with its split.
pub(super) fn rows(
    data: &CausalData,
    split: &Split,
    mut pick: impl FnMut(&[usize]) -> Vec<usize>,
) -> (CausalData, Split) {
    let (train, validation) = (pick(&split.train), pick(&split.validation));
    let order: Vec<usize> = train.iter().chain(&validation).chain(&split.test).copied().collect();
    let (nt, nv) = (train.len(), validation.len());
    let part =
        Split { train: (0..nt).collect(), validation: (nt..nt + nv).collect(), test: (nt + nv..order.len()).collect() };
    (take(data, &order), part)
}

/// Type-7 quantile of sorted values.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Refit `estimator` on `resamples` bootstrap resamples of `data` under `split`,
/// a network's resamples in packs within `limit`, each contributing its
/// estimate of `estimand` (`Estimate::effect`: a resample's ATT averages over
/// its own treated rows); `estimate` is the run's estimate of it. None when
/// fewer than two resamples give a finite estimate.
#[allow(clippy::too_many_arguments)]
pub fn bootstrap(
    estimator: &dyn Estimator,
    data: &CausalData,
    split: &Split,
    estimand: Estimand,
    estimate: f64,
    resamples: usize,
    seed: u64,
    limit: PackLimit,
) -> Option<Bootstrap> {
    let fits = refit_all(estimator, resamples, limit, |b| {
        let rng = &mut stream(seed, RESAMPLE_STREAM + 2 * b);
        let (data, split) = rows(data, split, |part| resample(part, rng));
        Copy { data, split, rng: stream(seed, RESAMPLE_STREAM + 2 * b + 1) }
    });
    let mut estimates = finite_effects(&fits, estimand);
    if estimates.len() < 2 {
        return None;
    }
    let n = estimates.len() as f64;
    let mean = estimates.iter().sum::<f64>() / n;
    let se = (estimates.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    estimates.sort_by(f64::total_cmp);
    let z = crate::estimate::classical::Z_975;
    Some(Bootstrap {
        resamples,
        failed: resamples - estimates.len(),
        se,
        percentile: (quantile(&estimates, 0.025), quantile(&estimates, 0.975)),
        normal: (estimate - z * se, estimate + z * se),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::classical::Naive;

    fn data(n: usize) -> CausalData {
        CausalData {
            covariate_names: vec![],
            covariates: vec![],
            treatment: (0..n).map(|i| (i % 2) as f64).collect(),
            outcome: (0..n).map(|i| (i % 2) as f64 * 2.0 + ((i * 7919) % 13) as f64 / 13.0).collect(),
            truth: Truth::None,
        }
    }

    #[test]
    fn quantiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert_eq!(quantile(&v, 0.125), 1.5);
    }

    #[test]
    fn same_seed_same_interval_other_seed_other_interval() {
        let d = data(200);
        let split = Split { train: (0..200).collect(), validation: vec![], test: vec![] };
        let a = bootstrap(&Naive, &d, &split, Estimand::Ate, 2.0, 50, 7, PackLimit::ALONE).unwrap();
        assert_eq!(a, bootstrap(&Naive, &d, &split, Estimand::Ate, 2.0, 50, 7, PackLimit::ALONE).unwrap());
        assert_ne!(a, bootstrap(&Naive, &d, &split, Estimand::Ate, 2.0, 50, 8, PackLimit::ALONE).unwrap());
        assert_eq!(a.failed, 0);
        // A difference in means of 100 + 100 units with outcome sd ~0.3: se ~0.04.
        assert!(a.se > 0.02 && a.se < 0.08, "{a:?}");
    }

    /// Individual effects of 2 on the treated rows and 0 on the others, and no ATT
    /// of its own: as a network, its ATT is the mean effect over the treated rows.
    struct TreatedOnly;

    impl Estimator for TreatedOnly {
        fn estimate(
            &self,
            data: &crate::data::Observed<'_>,
            _rng: &mut RunRng,
        ) -> Result<crate::estimate::Estimate, crate::estimate::EstimateError> {
            let ite: Vec<f64> = (0..data.n_rows()).map(|i| if data.is_treated(i) { 2.0 } else { 0.0 }).collect();
            let rows = data.split().in_sample();
            let ate = rows.iter().map(|&i| ite[i]).sum::<f64>() / rows.len() as f64;
            Ok(crate::estimate::Estimate { ite: Some(ite), ate, ..Default::default() })
        }
    }

    #[test]
    fn the_att_bootstrap_averages_over_each_resamples_treated_rows() {
        let d = data(200);
        let split = Split { train: (0..150).collect(), validation: (150..200).collect(), test: vec![] };
        // Every resample's ATT is exactly 2 (its own treated rows), while its ATE
        // varies with the resample's share treated.
        let att = bootstrap(&TreatedOnly, &d, &split, Estimand::Att, 2.0, 40, 7, PackLimit::ALONE).unwrap();
        assert_eq!((att.se, att.percentile, att.failed), (0.0, (2.0, 2.0), 0));
        let ate = bootstrap(&TreatedOnly, &d, &split, Estimand::Ate, 1.0, 40, 7, PackLimit::ALONE).unwrap();
        assert!(ate.se > 0.01, "{ate:?}");
        // `naive`'s ATT is its difference in means: both bootstraps are the same bytes.
        let naive = |estimand| bootstrap(&Naive, &d, &split, estimand, 2.0, 40, 7, PackLimit::ALONE);
        assert_eq!(naive(Estimand::Att), naive(Estimand::Ate));
    }

    #[test]
    fn the_percentile_interval_covers_the_estimate_of_a_mean_difference() {
        let d = data(400);
        let split = Split { train: (0..300).collect(), validation: (300..400).collect(), test: vec![] };
        let est = Naive.estimate(&d.observed(&split), &mut stream(1, 0)).unwrap().ate;
        let b = bootstrap(&Naive, &d, &split, Estimand::Ate, est, 200, 3, PackLimit::ALONE).unwrap();
        assert!(b.percentile.0 < est && est < b.percentile.1, "{b:?} vs {est}");
        assert!((b.normal.1 - b.normal.0 - 2.0 * 1.959963984540054 * b.se).abs() < 1e-12);
    }
}
