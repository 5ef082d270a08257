//! The classical baselines every paper's table has: difference in means, OLS
//! regression adjustment (with and without interactions), IPW, cross-fitted AIPW
//! and propensity-score matching, on nalgebra; and the front-door plug-in for
//! graphs where no backdoor set exists.
//!
//! They fit on the in-sample rows (train and validation) and report the ATE over
//! those rows; the ones with an outcome model predict individual effects for all rows.

mod aipw;
mod frontdoor;
mod ipw;
pub(crate) mod linalg;
pub(crate) mod logistic;
mod matching;
mod naive;
mod ols;
mod overlap;
pub mod riesz;
mod sample;

pub use aipw::{AIPW, Aipw, AipwParams};
pub use frontdoor::{FRONTDOOR, FrontDoor, FrontDoorParams};
pub use ipw::{IPW, Ipw, IpwParams};
pub use linalg::FitError;
pub use matching::{MATCHING, Matching, MatchingParams};
pub use naive::{NAIVE, Naive};
pub use ols::{OLS, OLS_INTERACT, Ols};
pub use sample::{Z_975, normal_interval};
