//! Reporting: turn a finished experiment's runs and outcomes into byte-stable
//! tables (CSV, Markdown, LaTeX) and a manifest, and show progress while runs go.
//! Nothing here computes a number that is not in the outcomes.

mod format;
mod manifest;
mod plot;
mod progress;
mod summary;
mod tables;
mod write;

pub use format::fixed;
pub use manifest::{manifest_yaml, Versions};
pub use plot::{main_metric, plot_svg};
pub use progress::{Progress, ProgressMode};
pub use summary::{summarize, SummaryRow};
pub use tables::{report_md, runs_csv, summary_csv, table_tex, timings_csv};
pub use write::{replace_results, WriteError};
