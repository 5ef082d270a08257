//! Nearest-neighbour matching on the estimated propensity score, for the ATT.
//!
//! Rows are matched on the logit of the propensity score (the linear predictor of
//! the logistic model), the scale on which Rosenbaum and Rubin (1985) and Austin
//! (2011) recommend matching and setting calipers. Matching is with replacement,
//! and a row's k nearest neighbours include every row tied with the k-th
//! (Abadie and Imbens 2006), so the answer never depends on row order.
//! Each treated row's missing outcome is the mean outcome of its matched
//! controls; the ATT averages y - that over the matched treated rows. Matching the
//! controls to the treated the same way gives the ATE. No interval is reported:
//! the bootstrap is invalid for matching and the Abadie-Imbens variance is not
//! implemented.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::logistic::fit_logistic;
use super::sample::{Arms, covariate_design, mean};
use crate::data::{CausalData, Split};
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

/// One arm's rows sorted by score, for nearest-neighbour search.
struct Pool {
    scores: Vec<f64>,
    outcomes: Vec<f64>,
}

impl Estimator for Matching {
    fn estimate(&self, data: &CausalData, split: &Split, _rng: &mut RunRng) -> Result<Estimate, EstimateError> {
        let arms = Arms::of("matching", data, split.in_sample())?;
        let score = logit_propensity(data, &arms.rows)?;
        let sd = standard_deviation(&arms.rows.iter().map(|&i| score[i]).collect::<Vec<_>>());
        let max_distance = self.params.caliper.map_or(f64::INFINITY, |c| c * sd);
        let controls = pool(data, &arms.control, &score);
        let treated = pool(data, &arms.treated, &score);
        let k = self.params.neighbors;
        let on_treated: Vec<f64> = arms
            .treated
            .iter()
            .filter_map(|&i| matched_mean(&controls, score[i], k, max_distance).map(|m| data.outcome[i] - m))
            .collect();
        let on_controls: Vec<f64> = arms
            .control
            .iter()
            .filter_map(|&i| matched_mean(&treated, score[i], k, max_distance).map(|m| m - data.outcome[i]))
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
            ],
        })
    }
}

/// The logistic model's linear predictor for every row (zero outside `rows`).
fn logit_propensity(data: &CausalData, rows: &[usize]) -> Result<Vec<f64>, EstimateError> {
    let t: Vec<f64> = rows.iter().map(|&i| data.treatment[i]).collect();
    let x = covariate_design(data, rows);
    let beta = fit_logistic(&x, &t).map_err(|e| EstimateError::failed("matching", format!("propensity model: {e}")))?;
    let mut score = vec![0.0; data.n_rows()];
    for (r, &i) in rows.iter().enumerate() {
        score[i] = x.row(r).transpose().dot(&beta);
    }
    Ok(score)
}

fn pool(data: &CausalData, rows: &[usize], score: &[f64]) -> Pool {
    let mut pairs: Vec<(f64, f64)> = rows.iter().map(|&i| (score[i], data.outcome[i])).collect();
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
/// with the k-th; they form one contiguous run of the sorted slice.
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
    let kth = dist(lo).max(dist(hi - 1));
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
    version: 1,
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
            let kth = d[k.min(d.len()) - 1];
            let expected: Vec<usize> = (0..sorted.len()).filter(|&j| (sorted[j] - s).abs() <= kth).collect();
            let got: Vec<usize> = nearest(&sorted, s, k).collect();
            prop_assert_eq!(got, expected);
        }
    }
}
