//! Placeholder for the neural estimators (replaced by the real module at merge).

use super::{EstimateError, Estimator, Params};

pub const KINDS: &[&str] = &[];

pub fn resolve(kind: &str, _params: &Params) -> Result<Params, EstimateError> {
    Err(EstimateError::UnknownKind { kind: kind.to_string(), suggestion: None })
}

pub fn build(kind: &str, _params: &Params) -> Result<Box<dyn Estimator>, EstimateError> {
    Err(EstimateError::UnknownKind { kind: kind.to_string(), suggestion: None })
}

pub fn algorithm_version(_kind: &str) -> u32 {
    0
}

pub fn init_thread() {}
