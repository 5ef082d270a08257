//! Effect estimators behind one object-safe trait, the factory that builds them
//! from a validated spec, and the metrics that score them against ground truth.
//!
//! `classical/` holds the textbook baselines; `neural/` holds the networks and is
//! the only module that imports `tch`.

mod error;
mod estimator;
pub mod neural;

pub use error::EstimateError;
pub use estimator::{Estimate, Estimator, Params};
