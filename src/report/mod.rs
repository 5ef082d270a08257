//! Reporting: turn a finished experiment's runs and outcomes into byte-stable
//! tables (CSV, Markdown, LaTeX), a manifest and the results site (`site/`: a
//! page per experiment and an index across them), and show progress while runs go
//! (the reporters: progress, timings and the failures for the closing summary).
//! Nothing here computes a number that is not in the outcomes or a mean of
//! them, or the normal interval of a stored estimate and standard error.

#[cfg(test)]
mod fixture;
mod format;
mod manifest;
mod paper;
mod plot;
mod progress;
mod record;
mod robustness;
mod selection;
pub mod site;
mod summary;
mod tables;
#[cfg(test)]
mod tests;
mod write;

pub use format::fixed;
pub use manifest::{Manifest, Versions};
pub use paper::{report_md, table_tex};
pub use plot::{main_metric, metric_plot_svg, plot_svg};
pub use progress::{Progress, ProgressMode};
pub use record::{FailureLog, Timings};
pub use selection::{criteria_csv, selection_csv, selection_md};
pub use summary::{OwnUncertainty, SummaryRow, summarize};
pub use tables::{runs_csv, summary_csv, timings_csv};
pub use write::{WriteError, replace_results};
