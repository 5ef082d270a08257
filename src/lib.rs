//! causeway: a reproducible experiment harness for neural causal inference.
//!
//! Data flows one way: `spec` (validated experiment files) -> `run` (plan, keys,
//! cache, parallel execution) -> `report` (tables). `graph` and `scm` know nothing
//! of files; `estimate` sees only a `CausalData` and a `Split`.

pub mod app;
pub mod data;
pub mod estimate;
pub mod graph;
pub mod hash;
pub mod numerics;
pub mod report;
pub mod run;
pub mod scm;
pub mod spec;
pub mod suggest;
