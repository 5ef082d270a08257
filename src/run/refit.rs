//! Refits of one run's estimator on changed copies of its data: the bootstrap's
//! resamples (`bootstrap.rs`) and the refuters' simulations (`refute.rs`).
//! The copies of one analysis have the same shapes (a resample has the run's
//! rows; a refuter's simulations share the refuter's rows and columns), so a
//! network estimator's refits train as members of packs (`neural::pack`), the
//! way replications do (`pack.rs`); every other estimator refits one copy at a
//! time. Each copy comes with its own estimator stream and, by the packed
//! engine's promise, its estimate has the same bytes as when it trains alone:
//! packing decides only how fast a run's intervals and refutations come.
//!
//! Copies are made lazily, `limit.members` at a time, so that at most one
//! pack's copies of the data are held at once.

use super::pack::{DEFAULT_PACK, default_pack_memory};
use crate::data::{CausalData, Split};
use crate::estimate::neural::pack::{PackLimit, estimate_packed};
use crate::estimate::{Estimand, Estimate, EstimateError, Estimator};
use crate::rng::RunRng;

/// One changed copy of the run's data, and the stream its refit draws from.
pub(super) struct Copy {
    pub data: CausalData,
    pub split: Split,
    pub rng: RunRng,
}

/// One refit: its estimate, and the in-sample treated rows of its copy, over
/// which its ATT averages (a placebo's treated rows are the placebo's).
pub(super) struct Refit {
    pub estimate: Result<Estimate, EstimateError>,
    treated: Vec<usize>,
}

impl Refit {
    /// The refit's estimate of `estimand` (`Estimate::effect`), where it has one.
    pub fn effect(&self, estimand: Estimand) -> Option<f64> {
        self.estimate.as_ref().ok()?.effect(estimand, &self.treated)
    }
}

/// The finite estimates of `estimand` of `refits`, in order.
pub(super) fn finite_effects(refits: &[Refit], estimand: Estimand) -> Vec<f64> {
    refits.iter().filter_map(|r| r.effect(estimand)).filter(|a| a.is_finite()).collect()
}

/// How refits pack where the caller names no limit (`compute_outcome` outside
/// the runner, such as `causeway verify`): the runner's default pack, within
/// the default memory budget of one worker.
pub(super) fn default_limit() -> PackLimit {
    PackLimit { members: DEFAULT_PACK, memory: default_pack_memory(1) }
}

/// The estimates of `count` copies, `make(i)` making copy i, in order. Where
/// `estimator` trains networks the packed engine supports (`pack_group`), the
/// copies train together in chunks of at most `limit.members`, of near-equal
/// sizes (200 resamples in packs of 16: eight of 15 and five of 16, rather
/// than a last pack of 8); otherwise, and with a limit of one, each is
/// estimated alone.
pub(super) fn refit_all(
    estimator: &dyn Estimator,
    count: usize,
    limit: PackLimit,
    mut make: impl FnMut(u64) -> Copy,
) -> Vec<Refit> {
    let most = if estimator.pack_group().is_some() { limit.members.max(1) } else { 1 };
    let mut out = Vec::with_capacity(count);
    let chunks = count.div_ceil(most);
    let mut start = 0;
    for c in 0..chunks {
        let end = start + count / chunks + usize::from(c < count % chunks);
        let copies: Vec<Copy> = (start..end).map(|i| make(i as u64)).collect();
        let treated: Vec<Vec<usize>> =
            copies.iter().map(|c| super::ovb::treated_in_sample(&c.data.observed(&c.split))).collect();
        let estimates = if most == 1 {
            copies.into_iter().map(|mut c| estimator.estimate(&c.data.observed(&c.split), &mut c.rng)).collect()
        } else {
            packed(estimator, copies, limit)
        };
        out.extend(estimates.into_iter().zip(treated).map(|(estimate, treated)| Refit { estimate, treated }));
        start = end;
    }
    out
}

/// The estimates of `copies`, their networks trained together.
fn packed(estimator: &dyn Estimator, copies: Vec<Copy>, limit: PackLimit) -> Vec<Result<Estimate, EstimateError>> {
    let mut results: Vec<Option<Result<Estimate, EstimateError>>> = Vec::with_capacity(copies.len());
    let (mut planned, mut owners) = (Vec::new(), Vec::new());
    for (i, c) in copies.iter().enumerate() {
        // `networks` may draw before it declines: a copy estimated alone gets its stream untouched.
        match estimator.networks(&c.data.observed(&c.split), &mut c.rng.clone()) {
            Some(Ok(n)) => {
                planned.push(n);
                owners.push(i);
                results.push(None);
            }
            Some(Err(e)) => results.push(Some(Err(e))),
            None => results.push(Some(estimator.estimate(&c.data.observed(&c.split), &mut c.rng.clone()))),
        }
    }
    drop(copies);
    for (i, e) in owners.into_iter().zip(estimate_packed(planned, limit)) {
        results[i] = Some(e);
    }
    results.into_iter().map(|r| r.expect("every copy has an estimate: alone, refused, or from its pack")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::pipeline::stream;
    use rand::Rng;

    fn copy(i: u64) -> Copy {
        let mut rng = stream(11, 100 + i);
        let n = 80;
        let x: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let t: Vec<f64> =
            x.iter().map(|&x| if rng.random_bool(if x > 0.0 { 0.7 } else { 0.3 }) { 1.0 } else { 0.0 }).collect();
        let y: Vec<f64> = x.iter().zip(&t).map(|(&x, &t)| 2.0 * t + x + rng.random_range(-0.5..0.5)).collect();
        let data = CausalData {
            covariate_names: vec!["x".into()],
            covariates: vec![x],
            treatment: t,
            outcome: y,
            truth: crate::data::Truth::None,
        };
        let split = Split { train: (0..60).collect(), validation: (60..80).collect(), test: vec![] };
        Copy { data, split, rng: stream(11, 200 + i) }
    }

    fn tarnet() -> Box<dyn Estimator> {
        let hyper = serde_json::json!({ "iterations": 6, "batch": 16, "representation": [8], "head": [4] });
        crate::estimate::build("tarnet", hyper.as_object().unwrap()).unwrap()
    }

    /// Five refits of a TARNet: one at a time, in packs of 2 (2 + 2 + 1) and in
    /// one pack of 5 give the same bytes, each from its own stream.
    #[test]
    fn a_refit_has_the_same_bytes_alone_and_in_a_pack() {
        let est = tarnet();
        assert!(est.pack_group().is_some());
        let alone = refit_all(est.as_ref(), 5, PackLimit::ALONE, copy);
        let alone: Vec<Estimate> = alone.into_iter().map(|r| r.estimate.unwrap()).collect();
        for members in [2, 5] {
            let packed: Vec<Estimate> = refit_all(est.as_ref(), 5, PackLimit::members(members), copy)
                .into_iter()
                .map(|r| r.estimate.unwrap())
                .collect();
            assert_eq!(packed, alone, "packs of {members}");
        }
        // Each copy its own stream: no two refits alike.
        assert!(alone.windows(2).all(|w| w[0].ate.to_bits() != w[1].ate.to_bits()));
    }

    /// The same for DragonNet's refits, through both of its stages.
    #[test]
    fn a_dragonnet_refit_has_the_same_bytes_alone_and_in_a_pack() {
        let hyper = serde_json::json!({
            "representation": [8], "head": [4], "batch": 16, "epochs": 3, "sgd_epochs": 2, "patience": 1
        });
        let est = crate::estimate::build("dragonnet", hyper.as_object().unwrap()).unwrap();
        assert!(est.pack_group().is_some());
        let alone: Vec<Estimate> =
            refit_all(est.as_ref(), 3, PackLimit::ALONE, copy).into_iter().map(|r| r.estimate.unwrap()).collect();
        let packed: Vec<Estimate> =
            refit_all(est.as_ref(), 3, PackLimit::members(3), copy).into_iter().map(|r| r.estimate.unwrap()).collect();
        assert_eq!(packed, alone);
        assert!(alone.windows(2).all(|w| w[0].ate.to_bits() != w[1].ate.to_bits()));
    }
}
