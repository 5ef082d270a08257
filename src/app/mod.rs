//! The commands behind the CLI, as library functions named `<command>_command`
//! (so that `run_command` is not taken for the `crate::run` module, nor for a
//! `Run`): `main.rs` only parses arguments, calls one, and turns its
//! `Result<Completion, Error>` into the exit status (`error.rs` says which).

mod collect;
mod discover;
mod doctor;
mod error;
mod load;
mod run;
mod show;
mod slurm;
mod verify;

pub use collect::{CollectArgs, collect_command, report_command};
pub use discover::discover;
pub use doctor::doctor_command;
pub use error::{
    Completion, EXIT_BAD_INPUT, EXIT_FAILED_RUNS, EXIT_INCOMPLETE, EXIT_INTERNAL, EXIT_IO, EXIT_NOT_REPRODUCIBLE,
    EXIT_OK, Error, error_chain, exit_code,
};
pub use load::{
    LoadedExperiment, Planned, limits, load_experiments, plan_all, plan_experiment, prepare_all, prepare_shard,
    set_limits,
};
pub use run::{RunArgs, run_command, run_shard_command};
pub use show::{IdentifyFormat, check_command, identify_command, plan_command};
pub use slurm::{SlurmArgs, SlurmError, SlurmJob, sbatch_scripts, slurm_command};
pub use verify::{VerifyArgs, verify_command};
