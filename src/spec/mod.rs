//! Experiment files: raw serde types, loading with `extends`, located errors, and
//! validation into checked types that the runner expands into runs. Nothing here
//! executes an experiment.

mod consistency;
mod cross_check;
mod datapath;
mod error;
mod experiment;
mod literals;
mod load;
mod locate;
mod models;
mod raw;
mod robustness;
mod schema;
mod selection;
mod size;
mod validate;

/// Re-exported for the command line, which parses `--max-run-memory`.
pub use crate::bytes::{bytes_text, parse_size};
pub use consistency::graph_warnings;
pub use cross_check::{cross_check, observed_names};
pub use datapath::{DATA_DIR_ENV, DATA_DIR_PREFIX, REPLICATION, data_dir, set_data_dir};
pub use error::{SpecError, SpecErrorKind};
pub use experiment::*;
pub use load::{Loaded, Source, load};
pub use locate::{Locator, Position};
pub use models::Models;
pub use robustness::{OVB_KINDS, Ovb, Refuter, Refuters, Robustness, SENSITIVITY_KIND, Sensitivity};
pub use schema::json_schema;
pub use selection::{Choose, RECORD_VERSION, Selection};
pub use size::{
    DATA_COPIES, DEFAULT_MAX_RUN_MEMORY, DEFAULT_MAX_RUNS, Limits, MAX_ROWS, run_count, run_memory, simulated_columns,
};
pub use validate::{is_safe_name, validate, validate_with};
