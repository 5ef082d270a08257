//! Nearest-neighbour matching on the estimated propensity score, for the ATT.
//!
//! Rows are matched on the logit of the propensity score (the linear predictor of
//! the logistic model), the scale on which Rosenbaum and Rubin (1985) and Austin
//! (2011) recommend matching and setting calipers. Matching is with replacement,
//! and a row's k nearest neighbours include every row tied with the k-th
//! (Abadie and Imbens 2006), so the answer never depends on row order. Distances
//! within `TIE_TOLERANCE` of the k-th count as tied: mathematically equal
//! distances come out of floating point a few ulps apart (on LaLonde a treated
//! man of 26 with 10 years of school lies exactly halfway, on the logit, between
//! controls of 35 with 11 and 17 with 9), and which of the two rounding picks
//! moved the ATT by $37 from one standardization to the next.
//! Each treated row's missing outcome is the mean outcome of its matched
//! controls; the ATT averages y - that over the matched treated rows. Matching the
//! controls to the treated the same way gives the ATE. No interval is reported:
//! the bootstrap is invalid for matching and the Abadie-Imbens variance is not
//! implemented.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::logistic::fit_logistic;
use super::sample::{Arms, covariate_design, mean};
use crate::data::Observed;
use crate::estimate::params::{Hyper, check_at_least};
use crate::estimate::{Estimate, EstimateError, Estimator};
use crate::rng::RunRng;

/// Hyperparameters of `matching`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MatchingParams {
    /// Neighbours per row (ties included), at least 1. Default 1.
    pub neighbors: usize,
    /// Largest allowed distance, in standard deviations of the logit propensity;
    /// rows without a neighbour that close are left unmatched. Default none;
    /// Austin (2011) recommends 0.2.
    pub caliper: Option<f64>,
}

impl Default for MatchingParams {
    fn default() -> Self {
        MatchingParams { neighbors: 1, caliper: None }
    }
}

impl Hyper for MatchingParams {
    fn validate(&self) -> Result<(), String> {
        check_at_least("neighbors", self.neighbors, 1)?;
        match self.caliper {
            Some(c) if !(c > 0.0 && c.is_finite()) => Err(format!("`caliper` must be a positive number, got {c}")),
            _ => Ok(()),
        }
    }
}

/// Propensity-score matching estimator of the ATT (and ATE).
#[derive(Debug, Clone, Default)]
pub struct Matching {
    pub params: MatchingParams,
}

/// Distances on the logit scale closer than this to the k-th nearest are ties:
/// far above the rounding of a linear predictor (1e-14 or so) and of two
/// converged fits of the same model (1e-10), far below any difference of
/// propensity that matters (a relative 1e-9).
const TIE_TOLERANCE: f64 = 1e-9;

/// One arm's rows sorted by score, for nearest-neighbour search.
struct Pool {
    scores: Vec<f64>,
    outcomes: Vec<f64>,
}

impl Estimator for Matching {
    fn estimate(&self, data: &Observed<'_>, _rng: &mut RunRng) -> Result<Estimate, EstimateError> {
        let split = data.split();
        let arms = Arms::of("matching", data, split.in_sample())?;
        let (score, ridge) = logit_propensity(data, &arms.rows)?;
        let sd = standard_deviation(&arms.rows.iter().map(|&i| score[i]).collect::<Vec<_>>());
        let max_distance = self.params.caliper.map_or(f64::INFINITY, |c| c * sd);
        let controls = pool(data, &arms.control, &score);
        let treated = pool(data, &arms.treated, &score);
        let k = self.params.neighbors;
        let on_treated: Vec<f64> = arms
            .treated
            .iter()
            .filter_map(|&i| matched_mean(&controls, score[i], k, max_distance).map(|m| data.outcome(i) - m))
            .collect();
        let on_controls: Vec<f64> = arms
            .control
            .iter()
            .filter_map(|&i| matched_mean(&treated, score[i], k, max_distance).map(|m| m - data.outcome(i)))
            .collect();
        if on_treated.is_empty() || on_controls.is_empty() {
            return Err(EstimateError::failed("matching", "no row has a match within the caliper; widen `caliper`"));
        }
        let att = mean(on_treated.iter().copied());
        let ate = mean(on_treated.iter().chain(&on_controls).copied());
        let dropped = arms.rows.len() - on_treated.len() - on_controls.len();
        Ok(Estimate {
            ite: None,
            ate,
            att: Some(att),
            interval: None,
            diagnostics: vec![
                ("matched_treated".into(), on_treated.len() as f64),
                ("matched_control".into(), on_controls.len() as f64),
                ("unmatched".into(), dropped as f64),
                ("logit_propensity_sd".into(), sd),
                ("propensity_ridge".into(), f64::from(u8::from(ridge))),
            ],
            ovb: None,
            potential: None,
        })
    }
}

/// The logistic model's linear predictor for every row (zero outside `rows`),
/// and whether the fit needed the ridge.
fn logit_propensity(data: &Observed<'_>, rows: &[usize]) -> Result<(Vec<f64>, bool), EstimateError> {
    let t: Vec<f64> = rows.iter().map(|&i| data.treatment[i]).collect();
    let x = covariate_design(data, rows);
    let fit = fit_logistic(&x, &t).map_err(|e| EstimateError::failed("matching", format!("propensity model: {e}")))?;
    let mut score = vec![0.0; data.n_rows()];
    for (r, &i) in rows.iter().enumerate() {
        score[i] = x.row(r).transpose().dot(&fit.beta);
    }
    Ok((score, fit.ridge.is_some()))
}

fn pool(data: &Observed<'_>, rows: &[usize], score: &[f64]) -> Pool {
    let mut pairs: Vec<(f64, f64)> = rows.iter().map(|&i| (score[i], data.outcome(i))).collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    Pool { scores: pairs.iter().map(|p| p.0).collect(), outcomes: pairs.iter().map(|p| p.1).collect() }
}

/// Mean outcome of the k nearest (ties included) within `max_distance`, if any.
fn matched_mean(pool: &Pool, s: f64, k: usize, max_distance: f64) -> Option<f64> {
    let within: Vec<f64> = nearest(&pool.scores, s, k)
        .filter(|&j| (pool.scores[j] - s).abs() <= max_distance)
        .map(|j| pool.outcomes[j])
        .collect();
    if within.is_empty() { None } else { Some(mean(within)) }
}

/// Positions in `sorted` of the k values nearest to `s`, plus every value tied
/// with the k-th (within `TIE_TOLERANCE`); they form one contiguous run of the
/// sorted slice.
pub(super) fn nearest(sorted: &[f64], s: f64, k: usize) -> Range<usize> {
    let n = sorted.len();
    let dist = |j: usize| (sorted[j] - s).abs();
    let pos = sorted.partition_point(|&c| c < s);
    let (mut lo, mut hi) = (pos, pos);
    // Distances grow away from `pos` on both sides, so taking the nearer edge k
    // times collects the k smallest distances.
    for _ in 0..k.min(n) {
        if lo > 0 && (hi == n || dist(lo - 1) <= dist(hi)) {
            lo -= 1;
        } else {
            hi += 1;
        }
    }
    if lo == hi {
        return lo..hi;
    }
    let kth = dist(lo).max(dist(hi - 1)) + TIE_TOLERANCE;
    while lo > 0 && dist(lo - 1) <= kth {
        lo -= 1;
    }
    while hi < n && dist(hi) <= kth {
        hi += 1;
    }
    lo..hi
}

fn standard_deviation(values: &[f64]) -> f64 {
    super::sample::variance(values).sqrt()
}

/// The `matching` kind, for the estimator registry.
pub static MATCHING: crate::estimate::registry::Kind = crate::estimate::registry::Kind {
    name: "matching",
    summary: "Nearest-neighbour matching on the logit of the propensity score, with replacement, for the ATT (Austin 2011).",
    role: crate::estimate::registry::Role::Backdoor,
    // 2: the propensity model lost its ridge.
    version: 2,
    uses_libtorch: false,
    resolve: crate::estimate::registry::resolve_hyper::<MatchingParams>,
    late_defaults: crate::estimate::registry::no_late_defaults,
    build: |kind, p| Ok(Box::new(Matching { params: crate::estimate::params::parse(kind, p)? })),
};

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ties_with_the_kth_are_included() {
        let sorted = [0.0, 1.0, 2.0, 3.0, 4.0];
        assert_eq!(nearest(&sorted, 2.0, 1), 2..3);
        assert_eq!(nearest(&sorted, 2.0, 2), 1..4);
        assert_eq!(nearest(&sorted, 2.5, 1), 2..4);
        assert_eq!(nearest(&sorted, -7.0, 2), 0..2);
        assert_eq!(nearest(&sorted, 9.0, 10), 0..5);
    }

    /// Equal distances that rounding makes differ in the last bits are ties.
    #[test]
    fn distances_equal_up_to_rounding_are_ties() {
        // 0.3 - 0.1 and 0.3 + 0.1 lie 0.1 and 0.10000000000000003 from 0.3.
        let sorted = [0.3 - 0.1, 0.3 + 0.1];
        assert_ne!(0.3 - sorted[0], sorted[1] - 0.3);
        assert_eq!(nearest(&sorted, 0.3, 1), 0..2);
        assert_eq!(nearest(&[0.0, 0.6 + 2e-9], 0.3, 1), 0..1);
    }

    proptest! {
        /// Oracle: sort all distances, take the k-th smallest, keep everything
        /// at most that far.
        #[test]
        fn nearest_matches_brute_force(mut values in proptest::collection::vec(0u8..20, 1..15), s in 0u8..20, k in 1usize..5) {
            let mut sorted: Vec<f64> = values.drain(..).map(|v| f64::from(v) / 2.0).collect();
            sorted.sort_by(f64::total_cmp);
            let s = f64::from(s) / 2.0 + 0.25 * f64::from(s % 2);
            let mut d: Vec<f64> = sorted.iter().map(|c| (c - s).abs()).collect();
            d.sort_by(f64::total_cmp);
            let kth = d[k.min(d.len()) - 1] + TIE_TOLERANCE;
            let expected: Vec<usize> = (0..sorted.len()).filter(|&j| (sorted[j] - s).abs() <= kth).collect();
            let got: Vec<usize> = nearest(&sorted, s, k).collect();
            prop_assert_eq!(got, expected);
        }
    }
}
