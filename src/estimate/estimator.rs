//! The `Estimator` trait and what an estimator returns.

use crate::data::Observed;
use crate::rng::RunRng;

use super::EstimateError;

/// Resolved hyperparameters: a JSON object with sorted keys, every default spelled
/// out, so that it hashes canonically into the run key.
pub type Params = serde_json::Map<String, serde_json::Value>;

/// What an estimator returns for one run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Estimate {
    /// Estimated individual effect for every row of the data (train, validation
    /// and test), when the method predicts individual effects.
    pub ite: Option<Vec<f64>>,
    /// Estimated average effect over the in-sample rows (train and validation).
    pub ate: f64,
    /// Estimated effect on the treated, where the method has one.
    pub att: Option<f64>,
    /// 95% confidence interval of the ATE, where the method has one.
    pub interval: Option<(f64, f64)>,
    /// Named diagnostics (epochs run, final losses, propensity range, ...), in a
    /// fixed order so that tables stay byte-stable.
    pub diagnostics: Vec<(String, f64)>,
    /// The elements of the omitted-variable-bias bounds (`robust::ovb`) of the
    /// ATE and of the ATT, where the method has its own Riesz representer (AIPW,
    /// DragonNet's propensity head). Read only where `robustness.ovb` is
    /// declared, so it never enters a stored record otherwise.
    pub ovb: Option<super::robust::ovb::OvbPair>,
    /// Predicted potential outcomes (mu0, mu1) of every row on the outcome's own
    /// scale, where the method predicts them (the networks). Read only where
    /// `selection:` is declared (the mu-risk criterion), never scored.
    pub potential: Option<(Vec<f64>, Vec<f64>)>,
}

/// The average effect a run's robustness analyses describe (`robustness.estimand`):
/// over every in-sample row, or over the in-sample treated rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Estimand {
    #[default]
    Ate,
    Att,
}

impl Estimand {
    /// Every estimand, in the order the docs list them.
    pub const ALL: [Estimand; 2] = [Estimand::Ate, Estimand::Att];

    /// The name in `robustness.estimand` and in the report.
    pub fn name(self) -> &'static str {
        match self {
            Estimand::Ate => "ate",
            Estimand::Att => "att",
        }
    }

    pub fn from_name(name: &str) -> Option<Estimand> {
        Estimand::ALL.into_iter().find(|e| e.name() == name)
    }
}

impl Estimate {
    /// The estimate of `estimand`, `treated` the in-sample treated rows of the
    /// data it was fitted on: the ATE; or the method's own ATT (the networks':
    /// the mean of their individual effects over the treated rows), and for a
    /// method with individual effects and no ATT that same mean over `treated`,
    /// the definition the `att_error` metric falls back to. None where the
    /// method has neither, or no row is treated.
    pub fn effect(&self, estimand: Estimand, treated: &[usize]) -> Option<f64> {
        match estimand {
            Estimand::Ate => Some(self.ate),
            Estimand::Att => self.att.or_else(|| {
                let ite = self.ite.as_deref()?;
                (!treated.is_empty()).then(|| treated.iter().map(|&i| ite[i]).sum::<f64>() / treated.len() as f64)
            }),
        }
    }
}

/// An effect estimator. Implementations must draw every random number from `rng`
/// (never from a global generator) so that a run is a pure function of its inputs.
pub trait Estimator: Send + Sync {
    fn estimate(&self, data: &Observed<'_>, rng: &mut RunRng) -> Result<Estimate, EstimateError>;

    /// Where this estimator's networks can train as members of one pack
    /// (`neural::pack`): runs whose groups are equal share architecture and
    /// schedule, and may differ only in per-member values (learning rate, decay,
    /// weight decay, initial scale, balance weight). None where the estimator
    /// trains no network the packed engine supports (a classical method, a layer
    /// the engine lacks); such a run is computed by `estimate` alone.
    fn pack_group(&self) -> Option<String> {
        None
    }

    /// This run's networks, planned for packed training; only where
    /// `pack_group` is Some. Training them in any pack and finishing
    /// (`neural::pack::estimate_packed`) gives the bytes of `estimate`, which
    /// is the same plan trained in a pack of one.
    fn networks(&self, _data: &Observed<'_>, _rng: &mut RunRng) -> Option<Result<Networks, EstimateError>> {
        None
    }
}

/// A run's networks, ready to train in a pack: opaque outside `estimate::neural`.
pub type Networks = super::neural::pack::Planned;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_att_is_the_methods_own_else_the_mean_effect_over_the_treated() {
        let own = Estimate { ate: 1.0, att: Some(3.0), ite: Some(vec![5.0, 7.0, 9.0]), ..Default::default() };
        assert_eq!(own.effect(Estimand::Ate, &[0, 2]), Some(1.0));
        assert_eq!(own.effect(Estimand::Att, &[0, 2]), Some(3.0));
        let net = Estimate { att: None, ..own.clone() };
        assert_eq!(net.effect(Estimand::Att, &[0, 2]), Some(7.0));
        assert_eq!(net.effect(Estimand::Att, &[]), None);
        assert_eq!(Estimate { ite: None, ..net }.effect(Estimand::Att, &[0]), None);
        assert_eq!(Estimand::from_name("att"), Some(Estimand::Att));
        assert_eq!(Estimand::from_name("atc"), None);
    }
}
