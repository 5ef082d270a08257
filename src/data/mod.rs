//! Data: the causal dataset every estimator sees, its train/validation/test split,
//! loading from files and the dataset registry, and preprocessing.
//!
//! `CausalData` is columnar because preprocessing works column by column; the
//! estimators ask for a row-major copy of the rows they need.

mod acic;
mod alloc;
mod builtin;
mod causal;
mod csv;
mod error;
mod hash;
mod ihdp;
mod impute;
mod lalonde;
mod load;
pub mod long;
mod manifest;
mod mnist;
mod nhefs;
mod npz;
mod observed;
pub mod panel;
mod preprocess;
mod preprocess_log;
pub mod sequence;
mod split;
mod truth;
pub mod tumour;

pub use builtin::{
    ALGORITHM_VERSION, BUILTIN_NAMES, BuiltinFiles, BuiltinOptions, PANEL_BUILTINS, builtin_file_hashes,
    draws_per_replication, load_builtin,
};
pub use causal::{CausalData, Truth};
pub use error::DataError;
pub use hash::sha256_hex;
pub use ihdp::Surface;
pub use impute::{Impute, NAMES as IMPUTE_METHODS};
pub use load::{FileLayout, Levels, check_csv, load_csv, load_csv_bytes, load_file, unit_ids};
pub use manifest::{Archive, DatasetEntry, FileEntry, MANIFEST_SCHEMA, Manifest, TruthKind};
pub use npz::{NPZ_ROLES, NpzArchive, NpzArrays, NpzData};
pub use observed::Observed;
pub use preprocess::{PreprocessConfig, fit_transform, select_and_drop, select_and_drop_rows};
pub use preprocess_log::{Imputed, OneHot, PreprocessLog, Standardized};
pub use split::{Split, SplitFractions};
pub use truth::TruthColumns;
