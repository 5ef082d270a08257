//! Neural effect estimators on libtorch: S- and T-learner MLPs, TARNet, CFR with an
//! MMD or Wasserstein balance penalty, and DragonNet with or without targeted
//! regularization. This is the only module of causeway that imports `tch`.
//!
//! Every random draw (initial weights, minibatches, dropout) comes from the run's
//! `RunRng`, never from libtorch's global generator, and each run uses one libtorch
//! thread, so a run's bytes depend only on its inputs.

mod batch;
mod cfr;
mod device;
mod dispatch;
mod dragonnet;
mod fit;
pub mod interpose;
mod ipm;
mod layers;
mod learners;
mod mlp;
mod params;
pub mod probe;
mod registry;
mod suggest;
mod tarnet;
mod train;

pub use device::{Device, cuda_available, init_thread, libtorch_version};
pub use dispatch::identity as numeric_identity;
pub use layers::{Activation, LayerSpec};
pub use params::{CfrParams, DragonParams, Ipm, LearnerParams, Propensity, Schedule, TarnetParams};
pub use registry::{KINDS, algorithm_version, build, late_defaults, resolve};
