//! Effect estimators behind one object-safe trait, the factory that builds them
//! from a validated spec, and the metrics that score them against ground truth.
//!
//! `classical/` holds the textbook baselines; `neural/` holds the networks and is
//! the only module that imports `tch`.

pub mod classical;
mod error;
mod estimator;
mod factory;
mod guard;
pub mod metrics;
pub mod neural;
mod params;

pub use error::EstimateError;
pub use estimator::{Estimate, Estimator, Params};
pub use neural::{libtorch_version, numeric_identity};
pub use factory::{CLASSICAL_KINDS, algorithm_version, build, init_thread, kinds, uses_libtorch, late_defaults, resolve};
pub use metrics::{Metric, score};
