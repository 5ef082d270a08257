//! Errors in experiment files. Every error carries the file and, when it can be
//! found, the line and column; the message says what was expected and the help
//! line suggests a fix.

use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

use super::locate::Position;

/// What went wrong, independent of where.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum SpecErrorKind {
    #[error("cannot read the experiment file: {0}")]
    Io(String),
    #[error("the file is {size} bytes; experiment files are limited to {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error("invalid YAML: {0}")]
    Syntax(String),
    #[error("unknown key `{key}`")]
    UnknownKey { key: String },
    #[error("missing required key `{key}`")]
    MissingKey { key: String },
    #[error("wrong type: {0}")]
    WrongType(String),
    /// A warning, not an error: the graph omits what the simulator does.
    #[error("the graph disagrees with the simulated model: {0}")]
    Misspecified(String),
    #[error("invalid value: {0}")]
    Invalid(String),
    #[error("`extends` cycle: {0}")]
    ExtendsCycle(String),
}

/// An error located in an experiment file.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecError {
    pub file: PathBuf,
    pub position: Option<Position>,
    pub kind: SpecErrorKind,
    pub help: Option<String>,
}

impl SpecError {
    pub fn new(file: impl Into<PathBuf>, position: Option<Position>, kind: SpecErrorKind) -> Self {
        SpecError { file: file.into(), position, kind, help: None }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_help_opt(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(p) = self.position {
            write!(f, ":{}:{}", p.line, p.column)?;
        }
        write!(f, ": {}", self.kind)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecError {}
