//! Structural causal models: an equation language (`node: expr`, one line per
//! node, parents read off the right-hand side), compiled once and evaluated
//! column by column over all rows; seeded simulation; counterfactual truths by
//! do() on the treatment with each row's noise held fixed; optional missingness.
//!
//! Byte stability: noise is drawn from the run's ChaCha generator column by
//! column, in topological order of nodes and then source order of the draw
//! sites inside each equation, before any equation is evaluated.

mod compile;
mod error;
mod eval;
pub(crate) mod functions;
mod intervene;
mod lex;
mod missing;
mod model;
mod noise;
mod parse;
pub mod sequence;
mod simulation;

pub use error::{ScmError, ScmErrorKind};
pub use missing::Missingness;
pub use model::{Equation, Model};
pub use parse::MAX_NESTING;
pub use sequence::Summary;
pub use simulation::Simulation;

/// Version of the simulation algorithm; bump it whenever simulated numbers for
/// the same model, parameters and seed change. It goes into run keys.
pub const ALGORITHM_VERSION: u32 = 1;
