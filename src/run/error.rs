//! Errors of planning and executing runs (not of a single run's method, which
//! become failed outcomes instead).

use std::path::PathBuf;

use thiserror::Error;

use crate::data::DataError;
use crate::estimate::EstimateError;
use crate::graph::GraphError;

#[derive(Debug, Error)]
pub enum RunError {
    #[error("estimator `{label}`: {source}")]
    Estimator { label: String, source: EstimateError },
    /// A record could not be written (or, a bug, encoded: that error is
    /// carried as an `io::Error` of kind `Other`, its source kept).
    #[error("cannot write to the cache at {}: {source}", .path.display())]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start {jobs} worker threads: {source}")]
    Pool {
        jobs: usize,
        #[source]
        source: rayon::ThreadPoolBuildError,
    },
    #[error("{experiment}: the number of runs does not fit in this machine's integers")]
    TooManyRuns { experiment: String },
    #[error("cannot shard {runs} runs in one process: {message}")]
    Shard { runs: usize, message: String },
    /// A data file an experiment reads could not be read or parsed at planning.
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("{}: {source}", .path.display())]
    ReadData {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The experiment's graph cannot be parsed or identified.
    #[error(transparent)]
    Graph(#[from] GraphError),
    /// A simulated dataset whose equations `spec::validate` did not compile (a bug).
    #[error("the equations were not compiled")]
    Uncompiled,
    #[error("cannot describe the identification as JSON: {0}")]
    IdentificationJson(#[source] serde_json::Error),
}
