//! Counterfactual regression, CFR (Shalit, Johansson & Sontag, ICML 2017): TARNet
//! whose objective adds `alpha` times an IPM between the treated and control
//! representations, so that the heads extrapolate across arms from balanced ground.

use super::pack;
use super::params::CfrParams;
use super::tarnet::{self, Balance};
use crate::data::Observed;
use crate::estimate::{Estimate, EstimateError, Estimator, Networks};
use crate::rng::RunRng;

pub struct CfrEstimator {
    pub params: CfrParams,
}

impl Estimator for CfrEstimator {
    fn estimate(&self, data: &Observed<'_>, rng: &mut RunRng) -> Result<Estimate, EstimateError> {
        if let Some(planned) = self.networks(data, rng) {
            return planned?.alone();
        }
        let split = data.split();
        let p = &self.params;
        let balance =
            Balance { ipm: p.ipm, alpha: p.alpha, wass_lambda: p.wass_lambda, wass_iterations: p.wass_iterations };
        tarnet::fit("cfr", &p.tarnet, Some(balance), data, split, rng)
    }

    fn pack_group(&self) -> Option<String> {
        pack::tarnet_group("cfr", &self.params.tarnet, Some(&self.params))
    }

    fn networks(&self, data: &Observed<'_>, rng: &mut RunRng) -> Option<Result<Networks, EstimateError>> {
        self.pack_group()?;
        Some(pack::tarnet("cfr", &self.params.tarnet, Some(&self.params), data, rng))
    }
}

/// The `cfr` kind, for the estimator registry.
pub static CFR: crate::estimate::registry::Kind = crate::estimate::registry::Kind {
    name: "cfr",
    summary: "CFR: TARNet plus alpha times an IPM (MMD or Wasserstein) between the arms' representations (Shalit, Johansson & Sontag, ICML 2017).",
    role: crate::estimate::registry::Role::Backdoor,
    version: super::PACKED_VERSION,
    uses_libtorch: true,
    resolve: super::params::resolve::<CfrParams>,
    late_defaults: <CfrParams as super::params::Checked>::late_defaults,
    build: |kind, p| Ok(Box::new(CfrEstimator { params: super::params::parse(kind, p)? })),
};
