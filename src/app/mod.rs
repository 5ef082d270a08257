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

pub use collect::{collect, CollectArgs};
pub use discover::discover;
pub use doctor::doctor;
pub use load::{limits, load_experiments, plan_all, plan_experiment, prepare_all, prepare_shard, set_limits, LoadedExperiment, Planned};
pub use run::{run, run_shard, RunArgs};
pub use show::{check, identify, plan, IdentifyFormat};
pub use slurm::{sbatch_scripts, slurm, SlurmArgs, SlurmError, SlurmJob};
pub use verify::verify;

/// Exit statuses: success, some runs failed, bad input, runs missing from the
/// store (`causeway collect` before every shard is done), a machine that does
/// not reproduce the pinned numbers (`causeway doctor`).
pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED_RUNS: i32 = 1;
pub const EXIT_BAD_INPUT: i32 = 2;
pub const EXIT_INCOMPLETE: i32 = 3;
/// `causeway doctor`: this machine does not reproduce the pinned numeric fingerprint.
pub const EXIT_NOT_REPRODUCIBLE: i32 = 4;
