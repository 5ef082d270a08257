//! The integration tests, as one test binary: each module is one area's tests
//! (they were one binary each, and compiling and linking ~50 binaries against
//! causeway and libtorch took minutes of `make test`). `cargo test --test suite
//! cli::` runs one module's tests.
//!
//! The tests of one binary run as threads of one process, so a test must not
//! change what the process shares (environment variables, the current folder,
//! libtorch's settings): tests that need another environment give it to a child
//! process (`Command::env`, `current_dir`), never to their own. (The tests that
//! set libtorch's global seed do so to show that no result depends on it.)

// Shared helpers.
mod neural_common;
mod npz_common;
mod spec_common;

mod cli;
mod data_builtin;
mod data_errors;
mod data_nhefs_experiment;
mod data_nhefs_reference;
mod data_npz;
mod data_preprocess;
mod estimate_factory;
mod estimate_failures;
mod estimate_frontdoor;
mod estimate_lalonde_reference;
mod estimate_metrics;
mod estimate_reference;
mod faults;
mod fuzz_inputs;
mod graph_properties;
mod graph_textbook;
mod limits;
mod neural_determinism;
mod neural_encoders;
mod neural_failure;
mod neural_images;
mod neural_reference;
mod numerics;
mod own_data;
mod own_data_truth;
mod pack;
mod paired;
mod robustness_darfur;
mod robustness_ovb_benchmark;
mod robustness_ovb_doubleml;
mod robustness_ovb_networks;
mod run_pipeline;
mod scm_deep_equations;
mod scm_errors;
mod scm_experiments;
mod scm_props;
mod scm_reference;
mod selection;
mod sequences;
mod sequences_file;
mod shard;
mod shard_slurm;
mod site_browser;
mod site_cli;
mod spec_error_classes;
mod spec_errors;
mod spec_images;
mod spec_keys;
mod spec_literals;
mod spec_plot;
mod spec_robustness;
mod spec_schema;
mod spec_warnings;
