//! The runner: expand experiments into runs, derive keys and seeds, look them up
//! in the content-addressed cache, execute the rest in parallel (in packs of runs
//! whose networks train together), emit events to
//! the caller's reporters and return the statistics the exit status comes from.

mod bootstrap;
mod cache;
mod covariates;
mod error;
mod events;
mod execute;
mod executor;
mod key;
mod outcome;
mod ovb;
mod pack;
mod panel;
mod pipeline;
mod plan;
mod refit;
mod refute;
mod robustness;
mod selection;
mod shard;
mod source;
mod stats;
mod validation;

pub use cache::{Cache, Lookup};
pub use covariates::{Covariates, covariates, identification, identified_graph};
pub use error::RunError;
pub use events::{Event, Reporter, RunId};
pub use execute::{ExecOptions, Executed, execute};
pub use executor::Executor;
pub use key::{SCHEMA_VERSION, canonical, digest, seed_of};
pub use outcome::{Outcome, Status};
pub use pack::{DEFAULT_PACK, default_pack_memory, packs};
pub use pipeline::{DataSource, Prepared, compute_outcome, prepare};
pub use plan::{Plan, PlanContext, Run, cartesian, plan, run_count, sweep_points, sweep_size};
pub use robustness::robustness_values;
pub use selection::{Choice, SelectionTable, select};
pub use shard::{Shard, ShardError, keys_of, restrict, shard_keys, shard_runs, shard_sizes};
pub use stats::RunStats;
pub use validation::ValidationRecord;

/// Re-exported for callers that know the runner; the type lives in `crate::rng`.
pub use crate::rng::RunRng;
