//! Data: the causal dataset every estimator sees, its train/validation/test split,
//! loading from files and the dataset registry, and preprocessing.
//!
//! `CausalData` is columnar because preprocessing works column by column; the
//! estimators ask for a row-major copy of the rows they need.

mod causal;
mod split;

pub use causal::{CausalData, Truth};
pub use split::{Split, SplitFractions};
