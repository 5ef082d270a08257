//! Sensitivity analyses that read a run's estimate and data after estimation:
//! the E-value of every estimate (`evalue`) and the omitted-variable-bias
//! sensitivity of the OLS estimate of Cinelli and Hazlett (`sensitivity`), and
//! the omitted-variable-bias bounds of the AIPW estimate (`ovb`).
//! `run::robustness` decides which apply to a run and names the values.

pub mod evalue;
pub mod ovb;
pub mod sensitivity;

/// Version of the robustness arithmetic; it enters the key of every run that
/// declares a robustness analysis, so changing a formula recomputes them.
pub const ALGORITHM_VERSION: u32 = 1;
