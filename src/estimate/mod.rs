//! Effect estimators behind one object-safe trait, the factory that builds them
//! from a validated spec, and the metrics that score them against ground truth.
//!
//! `classical/` holds the textbook baselines; `neural/` holds the networks and is
//! the only module that imports `tch`.

pub mod classical;
mod error;
mod estimator;
mod guard;
pub mod metrics;
pub mod neural;
pub mod panel;
mod params;
pub mod registry;
pub mod robust;
pub mod select;

pub use error::EstimateError;
pub use estimator::{Estimand, Estimate, Estimator, Networks, Params};
pub use neural::{libtorch_version, numeric_identity};
pub use registry::{
    Kind, Role, algorithm_version, build, classical_kinds, kinds, late_defaults, neural_kinds, resolve, role,
    uses_libtorch,
};

/// Call once in every worker thread before running estimators. The classical
/// estimators need nothing; the neural ones pin libtorch to one thread.
pub fn init_thread() {
    neural::init_thread();
}
pub use metrics::{Goal, Metric, score};
