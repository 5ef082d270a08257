//! Model-selection criteria: numbers computed on a replication's validation
//! rows (covariates, treatment, factual outcome) and a configuration's
//! predictions on those rows, never on test rows or the truth, that rank the
//! configurations of a sweep as a user without counterfactuals would. Each
//! criterion is a pure function here, its formula and source in its doc
//! comment (`criteria.rs`); the nuisance models some of them need are fitted
//! on the validation rows themselves with cross-fitting (`nuisance.rs`).
//! Which runs are compared and how the choice is scored lives in `run::selection`.

mod criteria;
mod nuisance;

pub use criteria::{Criterion, ValidationRows, dr_risk, if_pehe, mu_risk, pehe_nn, plugin_pehe, r_loss_ratio};
pub use nuisance::{Nuisance, RIDGE, fit_nuisance};

/// Bumped when a criterion's or a nuisance model's arithmetic changes; enters
/// the key of every run whose experiment declares `selection:`.
pub const ALGORITHM_VERSION: u32 = 1;
