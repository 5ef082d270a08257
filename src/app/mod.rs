//! The commands behind the CLI, as library functions: `main.rs` only parses
//! arguments and reports errors. Each command returns an exit status.

mod collect;
mod discover;
mod doctor;
mod load;
mod run;
mod show;
mod slurm;
mod verify;

pub use collect::{CollectArgs, collect};
pub use discover::discover;
pub use doctor::doctor;
pub use load::{
    LoadedExperiment, Planned, limits, load_experiments, plan_all, plan_experiment, prepare_all, prepare_shard,
    set_limits,
};
pub use run::{RunArgs, run, run_shard};
pub use show::{IdentifyFormat, check, identify, plan};
pub use slurm::{SlurmArgs, SlurmError, SlurmJob, sbatch_scripts, slurm};
pub use verify::{VerifyArgs, verify};

/// Exit statuses: success, some runs failed, bad input, runs missing from the
/// store (`causeway collect` before every shard is done), a machine that does
/// not reproduce the pinned numbers (`causeway doctor`).
pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED_RUNS: i32 = 1;
pub const EXIT_BAD_INPUT: i32 = 2;
pub const EXIT_INCOMPLETE: i32 = 3;
/// `causeway doctor`: this machine does not reproduce the pinned numeric fingerprint.
pub const EXIT_NOT_REPRODUCIBLE: i32 = 4;
/// A file or folder causeway must write (the store, a results folder, sbatch
/// scripts) could not be written: read-only, full, missing permissions. The
/// message names the path. Distinct from 1 so that `make experiments`, which
/// accepts failed runs, never accepts a failed write.
pub const EXIT_IO: i32 = 5;
/// Some runs hit a bug of causeway's own (a panic). Their rows say so; they are
/// not cached, so a fixed causeway recomputes them.
pub const EXIT_INTERNAL: i32 = 6;
