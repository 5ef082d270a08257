//! Neural effect estimators on libtorch: S- and T-learner MLPs, TARNet, CFR with an
//! MMD or Wasserstein balance penalty, and DragonNet with or without targeted
//! regularization; and CRN for treatments over time (`crn/`, a `PanelEstimator`).
//! This is the only module of causeway that imports `tch`.
//!
//! Every random draw (initial weights, minibatches, dropout) comes from the run's
//! `RunRng`, never from libtorch's global generator, and each run uses one libtorch
//! thread, so a run's bytes depend only on its inputs.

mod allocator;
mod batch;
mod cfr;
mod conv;
pub mod crn;
mod device;
mod dispatch;
mod dragonnet;
mod encode;
mod encoder;
mod fit;
pub mod interpose;
mod ipm;
mod layers;
mod learners;
mod mlp;
pub mod pack;
mod params;
pub mod probe;
mod recurrent;
pub mod rmsn;
mod shape;
mod tarnet;
mod train;

pub use cfr::CFR;
pub use device::{Device, cuda_available, init_thread, libtorch_version};
pub use dispatch::identity as numeric_identity;
pub use dragonnet::DRAGONNET;
pub use encoder::{Columns, EncoderSpec};
pub use layers::{ACTIVATIONS, Activation, Cell, LAYER_KINDS, LayerSpec, MAX_WINDOW, PoolOp, Readout};
pub use learners::{SLEARNER, TLEARNER};
pub use params::{CfrParams, DragonParams, Ipm, LearnerParams, Propensity, Schedule, TarnetParams};
pub use shape::Shape;
pub use tarnet::TARNET;

/// The algorithm version of the static neural kinds, all of which train on the
/// packed engine (`pack/`; CRN has its own); bump when their numbers change for
/// the same inputs, so that cached runs are recomputed.
/// 2: MKL's matrix products pinned to its AVX2 path (`MKL_CBWR`), which changed
/// the rounding on processors whose default path differs.
/// 3: the portable numeric mode: matrix products and vector math in causeway's
/// own kernels, ATen at AVX2, oneDNN off (src/numerics).
/// 4: the diagnostics gain `initial_validation_loss` and `converged` (the numbers
/// are those of 3).
/// 5: TARNet, CFR, the S- and T-learner and DragonNet train through the packed
/// engine at every pack size, one alone included (its own Adam and SGD, masked
/// reductions over rows padded to a granule, one stream per network), so their
/// numbers differ from 4's; CFR's Wasserstein over more rows than the minibatch
/// (the evaluations) is computed on each network's own treated x control block,
/// as in 4 (`pack/model.rs`). DragonNet moved to 5 after the others (whose
/// numbers it left alone).
pub const PACKED_VERSION: u32 = 5;
