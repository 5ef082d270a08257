//! The factory: estimator kinds by name, their hyperparameters validated with
//! every default spelled out, and the estimator built from them.
//!
//! `resolve` runs at `causeway check`, so a misspelled key or an out-of-range value
//! fails before any run starts; `build` only ever sees resolved parameters.

use super::classical::{Aipw, AipwParams, FrontDoor, FrontDoorParams, Ipw, IpwParams, Matching, MatchingParams, Naive, Ols};
use super::guard::FiniteGuard;
use super::params::{Hyper, NoParams, closest, parse, to_params};
use super::{EstimateError, Estimator, Params, neural};

/// The classical estimator kinds, in the order the papers' tables list them.
pub const CLASSICAL_KINDS: &[&str] = &["naive", "ols", "ols_interact", "ipw", "aipw", "matching", "frontdoor"];

/// All estimator kinds, for "did you mean" and docs: classical ones plus neural ones.
pub fn kinds() -> Vec<&'static str> {
    CLASSICAL_KINDS.iter().chain(neural::KINDS).copied().collect()
}

/// Validate user hyperparameters for `kind` and return them with every default
/// spelled out (sorted keys). Unknown key -> error with "did you mean";
/// out-of-range value -> error naming the key.
pub fn resolve(kind: &str, params: &Params) -> Result<Params, EstimateError> {
    match kind {
        "naive" | "ols" | "ols_interact" => resolved::<NoParams>(kind, params),
        "ipw" => resolved::<IpwParams>(kind, params),
        "aipw" => resolved::<AipwParams>(kind, params),
        "matching" => resolved::<MatchingParams>(kind, params),
        "frontdoor" => resolved::<FrontDoorParams>(kind, params),
        _ if neural::KINDS.contains(&kind) => neural::resolve(kind, params),
        _ => Err(unknown_kind(kind)),
    }
}

/// Hyperparameters of `kind` that `resolve` spells out only when they differ from
/// their default, with that default (for the schema and the docs).
pub fn late_defaults(kind: &str) -> Params {
    if neural::KINDS.contains(&kind) { neural::late_defaults(kind) } else { Params::new() }
}

/// Build from resolved params. Every estimator comes wrapped in a guard that turns
/// a non-finite result into a failed run.
pub fn build(kind: &str, params: &Params) -> Result<Box<dyn Estimator>, EstimateError> {
    let inner = build_unguarded(kind, params)?;
    Ok(Box::new(FiniteGuard { kind: kind.to_string(), inner }))
}

fn build_unguarded(kind: &str, params: &Params) -> Result<Box<dyn Estimator>, EstimateError> {
    Ok(match kind {
        "naive" => {
            parse::<NoParams>(kind, params)?;
            Box::new(Naive)
        }
        "ols" | "ols_interact" => {
            parse::<NoParams>(kind, params)?;
            Box::new(Ols { interact: kind == "ols_interact" })
        }
        "ipw" => Box::new(Ipw { params: parse(kind, params)? }),
        "aipw" => Box::new(Aipw { params: parse(kind, params)? }),
        "matching" => Box::new(Matching { params: parse(kind, params)? }),
        "frontdoor" => Box::new(FrontDoor { params: parse(kind, params)? }),
        _ if neural::KINDS.contains(&kind) => return neural::build(kind, params),
        _ => return Err(unknown_kind(kind)),
    })
}

/// Version of the kind's numeric algorithm; goes into run keys; bump when numbers
/// change. 0 for a kind that does not exist (callers resolve kinds first).
pub fn algorithm_version(kind: &str) -> u32 {
    match kind {
        "naive" | "ols" | "ols_interact" | "ipw" | "aipw" | "matching" | "frontdoor" => 1,
        _ if neural::KINDS.contains(&kind) => neural::algorithm_version(kind),
        _ => 0,
    }
}

/// Whether the kind computes with libtorch (its bits then depend on the numeric mode).
pub fn uses_libtorch(kind: &str) -> bool {
    neural::KINDS.contains(&kind)
}

/// Call once in every worker thread before running estimators. The classical
/// estimators need nothing; the neural ones pin libtorch to one thread.
pub fn init_thread() {
    neural::init_thread();
}

fn resolved<T: Hyper>(kind: &str, params: &Params) -> Result<Params, EstimateError> {
    Ok(to_params(&parse::<T>(kind, params)?))
}

fn unknown_kind(kind: &str) -> EstimateError {
    EstimateError::UnknownKind { kind: kind.to_string(), suggestion: closest(kind, &kinds()).map(str::to_string) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_classical_kind_resolves_builds_and_has_a_version() {
        for kind in CLASSICAL_KINDS {
            let params = resolve(kind, &Params::new()).unwrap();
            assert!(build(kind, &params).is_ok(), "{kind}");
            assert_eq!(algorithm_version(kind), 1);
        }
        assert_eq!(algorithm_version("nope"), 0);
    }

    #[test]
    fn resolving_twice_changes_nothing() {
        for kind in CLASSICAL_KINDS {
            let once = resolve(kind, &Params::new()).unwrap();
            assert_eq!(resolve(kind, &once).unwrap(), once, "{kind}");
        }
    }
}
