//! Errors of planning and executing runs (not of a single run's method, which
//! become failed outcomes instead).

use std::path::PathBuf;

use thiserror::Error;

use crate::estimate::EstimateError;

#[derive(Debug, Error)]
pub enum RunError {
    #[error("estimator `{label}`: {source}")]
    Estimator { label: String, source: EstimateError },
    #[error("cannot write to the cache at {}: {message}", .path.display())]
    Cache { path: PathBuf, message: String },
    #[error("{}: {message}", .path.display())]
    Io { path: PathBuf, message: String },
    #[error("cannot start {jobs} worker threads: {message}")]
    Pool { jobs: usize, message: String },
    #[error("{experiment}: the number of runs does not fit in this machine's integers")]
    TooManyRuns { experiment: String },
    #[error("cannot shard {runs} runs in one process: {message}")]
    Shard { runs: usize, message: String },
}
