//! The runner: expand experiments into runs, derive keys and seeds, look them up
//! in the content-addressed cache, execute the rest in parallel, emit events.

mod cache;
mod error;
mod events;
mod execute;
mod identify;
mod key;
mod outcome;
mod pipeline;
mod plan;
mod shard;

pub use cache::{Cache, Lookup};
pub use error::RunError;
pub use events::{Event, Reporter, RunId};
pub use execute::{execute, ExecOptions};
pub use key::{canonical, digest, seed_of, SCHEMA_VERSION};
pub use outcome::{Outcome, Status};
pub use identify::{covariates, identification, Covariates};
pub use pipeline::{execute_run, prepare, DataSource, Prepared};
pub use plan::{cartesian, plan, run_count, sweep_points, sweep_size, Plan, PlanContext, Run};
pub use shard::{keys_of, restrict, shard_keys, shard_runs, shard_sizes, Shard, ShardError};

/// Re-exported for callers that know the runner; the type lives in `crate::rng`.
pub use crate::rng::RunRng;
