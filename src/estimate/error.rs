//! Errors raised while configuring or running an estimator.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum EstimateError {
    #[error("unknown estimator `{kind}`{}", suggest(.suggestion))]
    UnknownKind { kind: String, suggestion: Option<String> },
    #[error("estimator `{kind}`: invalid hyperparameters: {message}")]
    InvalidParams { kind: String, message: String },
    #[error("{kind}: {message}")]
    Failed { kind: String, message: String },
}

fn suggest(s: &Option<String>) -> String {
    s.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default()
}
