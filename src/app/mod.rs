//! The commands behind the CLI, as library functions: `main.rs` only parses
//! arguments and reports errors. Each command returns an exit status.

mod discover;
mod load;
mod run;
mod show;
mod verify;

pub use discover::discover;
pub use load::{load_experiments, LoadedExperiment};
pub use run::{run, RunArgs};
pub use show::{check, identify, plan, IdentifyFormat};
pub use verify::verify;

/// Exit statuses: success, some runs failed, bad input.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED_RUNS: i32 = 1;
pub const EXIT_BAD_INPUT: i32 = 2;
