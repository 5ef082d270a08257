//! Errors raised while configuring or running an estimator, or naming a metric.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum EstimateError {
    #[error("unknown estimator `{kind}`{}", crate::suggest::hint(.suggestion))]
    UnknownKind { kind: String, suggestion: Option<String> },
    #[error("estimator `{kind}`: invalid hyperparameters: {message}")]
    InvalidParams { kind: String, message: String },
    #[error("{kind}: {message}")]
    Failed { kind: String, message: String },
    #[error("unknown metric `{name}`{}", crate::suggest::hint(.suggestion))]
    UnknownMetric { name: String, suggestion: Option<String> },
}

impl EstimateError {
    /// A run-time failure of estimator `kind` (singular design, no treated rows, ...).
    pub fn failed(kind: &str, message: impl Into<String>) -> Self {
        EstimateError::Failed { kind: kind.to_string(), message: message.into() }
    }

    /// A hyperparameter of estimator `kind` that `resolve` rejects.
    pub fn invalid(kind: &str, message: impl Into<String>) -> Self {
        EstimateError::InvalidParams { kind: kind.to_string(), message: message.into() }
    }
}
