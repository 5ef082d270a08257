//! causeway: a reproducible experiment harness for neural causal inference.
//!
//! Data flows one way: `spec` (validated experiment files) -> `run` (plan, keys,
//! cache, parallel execution) -> `report` (tables), with `app` on top. `graph` and
//! `scm` know nothing of files; an estimator sees only `data::Observed` (covariates,
//! treatment, the in-sample outcomes and the split: no truth, no test outcome).
//! Shared primitives sit below everything and depend on nothing of ours: `rng`
//! (the run's generator type), `fsio` (atomic writes), `hash` (sha256), `bytes`
//! (sizes such as `16G`), `sweep` (cartesian products of named lists), `suggest`
//! ("did you mean") and `literal` (number literals an f64 cannot hold).
//! docs/architecture.md draws the whole picture.

pub mod app;
pub mod bytes;
pub mod data;
pub mod estimate;
pub mod fsio;
pub mod graph;
pub mod hash;
pub mod literal;
pub mod numerics;
pub mod report;
pub mod rng;
pub mod run;
pub mod scm;
pub mod spec;
pub mod suggest;
pub mod sweep;
