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
    Failed {
        reason: String,
    },
    /// The method was not applied because the graph does not identify the effect
    /// its way (for example no valid backdoor set for an adjustment estimator).
    /// A correct refusal, not an error: it does not fail the sweep.
    Refused {
        reason: String,
    },
}

/// The stored result of one run. Serialised as JSON; floats round-trip exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub key: String,
    pub status: Status,
    /// Every metric the run could compute, by name, in a fixed order; `None` where
    /// the data has no ground truth for it.
    pub metrics: Vec<(String, Option<f64>)>,
    /// Estimator diagnostics; `None` where a value is not finite (JSON has no NaN,
    /// and a value must read back exactly as it was written).
    pub diagnostics: Vec<(String, Option<f64>)>,
    /// What preprocessing did (rows dropped, columns created...), one line.
    pub preprocess: String,
    /// The values of the sensitivity analyses the experiment declares
    /// (`robustness:`), by name, in a fixed order; `None` where one has no value.
    /// Absent from the record of a run that declares none, so that the records
    /// (and digests) of every earlier run stay what they were.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub robustness: Vec<(String, Option<f64>)>,
    /// The run's validation rows and its predictions there, stored where the
    /// experiment declares `selection:` (and absent otherwise, so that every
    /// other record and digest stays what it was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<Box<super::validation::ValidationRecord>>,
    /// A failure that is a bug of causeway's own (a panic), not of the method on
    /// these inputs: shown in this invocation's tables, never stored, so that once
    /// the bug is fixed the run is recomputed without a version bump.
    #[serde(skip)]
    pub internal: bool,
}

impl Outcome {
    pub fn failed(key: &str, reason: impl Into<String>) -> Outcome {
        Outcome {
            key: key.to_string(),
            status: Status::Failed { reason: reason.into() },
            metrics: Vec::new(),
            diagnostics: Vec::new(),
            preprocess: String::new(),
            robustness: Vec::new(),
            validation: None,
            internal: false,
        }
    }

    /// A panic inside the run: a bug, reported but never cached.
    pub fn internal(key: &str, message: &str) -> Outcome {
        Outcome {
            internal: true,
            ..Outcome::failed(key, format!("internal error (a bug in causeway, please report it): {message}"))
        }
    }

    pub fn refused(key: &str, reason: impl Into<String>) -> Outcome {
        Outcome { status: Status::Refused { reason: reason.into() }, ..Outcome::failed(key, "") }
    }

    /// A finished run's record, with every non-finite number stored as `None` so
    /// that a record read back from the cache equals the one just computed.
    pub fn finished(
        key: &str,
        metrics: Vec<(String, Option<f64>)>,
        diagnostics: Vec<(String, f64)>,
        preprocess: String,
    ) -> Outcome {
        let finite = |v: f64| v.is_finite().then_some(v);
        Outcome {
            key: key.to_string(),
            status: Status::Ok,
            metrics: metrics.into_iter().map(|(n, v)| (n, v.and_then(finite))).collect(),
            diagnostics: diagnostics.into_iter().map(|(n, v)| (n, finite(v))).collect(),
            preprocess,
            robustness: Vec::new(),
            validation: None,
            internal: false,
        }
    }

    pub fn is_failed(&self) -> bool {
        matches!(self.status, Status::Failed { .. })
    }

    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// A run's record with the values of its robustness analyses, non-finite ones as `None`.
    pub fn with_robustness(mut self, values: Vec<(String, Option<f64>)>) -> Outcome {
        self.robustness = values.into_iter().map(|(n, v)| (n, v.filter(|v| v.is_finite()))).collect();
        self
    }

    pub fn robustness_value(&self, name: &str) -> Option<f64> {
        self.robustness.iter().find(|(n, _)| n == name).and_then(|(_, v)| *v)
    }

    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics.iter().find(|(n, _)| n == name).and_then(|(_, v)| *v)
    }
}
