//! What a finished run leaves behind: its status, the estimate's summary and every
//! metric, stored in the cache under the run key and read back to build tables.

use serde::{Deserialize, Serialize};

/// Whether a run produced numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// A deterministic failure of the method on these inputs (diverged training,
    /// singular design, positivity violation...). Cached like a success, since
    /// recomputing it would fail the same way.
    Failed { reason: String },
}

/// The stored result of one run. Serialised as JSON; floats round-trip exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub key: String,
    pub status: Status,
    /// Every metric the run could compute, by name, in a fixed order; `None` where
    /// the data has no ground truth for it.
    pub metrics: Vec<(String, Option<f64>)>,
    pub diagnostics: Vec<(String, f64)>,
    /// What preprocessing did (rows dropped, columns created...), one line.
    pub preprocess: String,
}

impl Outcome {
    pub fn failed(key: &str, reason: impl Into<String>) -> Outcome {
        Outcome { key: key.to_string(), status: Status::Failed { reason: reason.into() }, metrics: Vec::new(), diagnostics: Vec::new(), preprocess: String::new() }
    }

    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics.iter().find(|(n, _)| n == name).and_then(|(_, v)| *v)
    }
}
