//! The neural estimators by name: resolving their hyperparameters, building them,
//! and the algorithm versions that enter the run keys.

use super::cfr::CfrEstimator;
use super::dragonnet::DragonEstimator;
use super::learners::{SLearner, TLearner};
use super::params::{self, Checked, CfrParams, DragonParams, LearnerParams, TarnetParams};
use super::suggest::closest;
use super::tarnet::TarnetEstimator;
use crate::estimate::{EstimateError, Estimator, Params};

pub const KINDS: &[&str] = &["slearner", "tlearner", "tarnet", "cfr", "dragonnet"];

/// Validate user hyperparameters and return them with every default spelled out
/// (sorted keys). Unknown keys get a "did you mean"; out-of-range values name the
/// key and the allowed range.
pub fn resolve(kind: &str, p: &Params) -> Result<Params, EstimateError> {
    match kind {
        "slearner" | "tlearner" => Ok(params::to_params(&params::parse::<LearnerParams>(kind, p)?)),
        "tarnet" => Ok(params::to_params(&params::parse::<TarnetParams>(kind, p)?)),
        "cfr" => Ok(params::to_params(&params::parse::<CfrParams>(kind, p)?)),
        "dragonnet" => Ok(params::to_params(&params::parse::<DragonParams>(kind, p)?)),
        _ => Err(unknown(kind)),
    }
}

/// The defaults of `kind`'s hyperparameters that `resolve` leaves out of the run
/// key while they keep their default (see `Checked::late_defaults`).
pub fn late_defaults(kind: &str) -> Params {
    match kind {
        "dragonnet" => DragonParams::late_defaults(),
        _ => Params::new(),
    }
}

/// Build the estimator `kind` from (resolved or raw) hyperparameters.
pub fn build(kind: &str, p: &Params) -> Result<Box<dyn Estimator>, EstimateError> {
    Ok(match kind {
        "slearner" => Box::new(SLearner { params: params::parse(kind, p)? }),
        "tlearner" => Box::new(TLearner { params: params::parse(kind, p)? }),
        "tarnet" => Box::new(TarnetEstimator { params: params::parse(kind, p)? }),
        "cfr" => Box::new(CfrEstimator { params: params::parse(kind, p)? }),
        "dragonnet" => Box::new(DragonEstimator { params: params::parse(kind, p)? }),
        _ => return Err(unknown(kind)),
    })
}

/// Bump when an estimator's numbers change for the same inputs, so that cached
/// runs are recomputed. 0 for names that are not neural estimators.
pub fn algorithm_version(kind: &str) -> u32 {
    match kind {
        // 2: MKL's matrix products pinned to its AVX2 path (`MKL_CBWR`), which
        // changed the rounding on processors whose default path differs.
        // 3: the portable numeric mode: matrix products and vector math in
        // causeway's own kernels, ATen at AVX2, oneDNN off (src/numerics).
        "slearner" | "tlearner" | "tarnet" | "cfr" | "dragonnet" => 3,
        _ => 0,
    }
}

fn unknown(kind: &str) -> EstimateError {
    EstimateError::UnknownKind { kind: kind.to_string(), suggestion: closest(kind, KINDS).map(str::to_string) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_resolves_its_defaults_and_builds() {
        for kind in KINDS {
            let resolved = resolve(kind, &Params::new()).unwrap();
            assert_eq!(resolve(kind, &resolved).unwrap(), resolved, "{kind} resolution is idempotent");
            assert!(build(kind, &resolved).is_ok());
            assert_eq!(algorithm_version(kind), 3);
        }
    }

    #[test]
    fn resolved_cfr_defaults_are_the_published_ones() {
        let resolved = resolve("cfr", &Params::new()).unwrap();
        insta::assert_snapshot!(serde_json::to_string_pretty(&resolved).unwrap());
    }

    #[test]
    fn resolved_dragonnet_defaults_are_the_published_ones() {
        let resolved = resolve("dragonnet", &Params::new()).unwrap();
        insta::assert_snapshot!(serde_json::to_string_pretty(&resolved).unwrap());
    }

    #[test]
    fn a_late_hyperparameter_enters_the_key_only_when_set_away_from_its_default() {
        let obj = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
        let default = resolve("dragonnet", &Params::new()).unwrap();
        assert!(!default.contains_key("propensity"), "stored dragonnet keys would all change");
        assert_eq!(resolve("dragonnet", &obj(json!({"propensity": "body"}))).unwrap(), default);
        let inputs = resolve("dragonnet", &obj(json!({"propensity": "inputs"}))).unwrap();
        assert_eq!(inputs["propensity"], json!("inputs"));
        assert_eq!(resolve("dragonnet", &inputs).unwrap(), inputs, "resolution is idempotent");
        assert!(build("dragonnet", &inputs).is_ok());
        assert_eq!(late_defaults("dragonnet")["propensity"], json!("body"));
        let err = resolve("dragonnet", &obj(json!({"propensity": "input"}))).unwrap_err();
        insta::assert_snapshot!(err.to_string(), @"estimator `dragonnet`: invalid hyperparameters: unknown variant `input`, expected `body` or `inputs`");
    }

    #[test]
    fn unknown_kind_suggests_a_neighbour() {
        let err = resolve("tarnett", &Params::new()).unwrap_err();
        insta::assert_snapshot!(err.to_string(), @"unknown estimator `tarnett` (did you mean `tarnet`?)");
        let shorthand = json!({"representation": [20, 20]});
        let resolved = resolve("tarnet", shorthand.as_object().unwrap()).unwrap();
        assert_eq!(resolved["representation"], json!([{"activation": "elu", "dense": 20}, {"activation": "elu", "dense": 20}]));
    }
}
