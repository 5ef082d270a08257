//! Errors raised while building or querying a causal graph. Messages are
//! lowercase, name the nodes involved, and suggest a fix where one exists.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum GraphError {
    #[error("the graph has a cycle: {}", .cycle.join(" -> "))]
    Cycle { cycle: Vec<String> },
    #[error("self-loop on `{node}`: a variable cannot cause itself")]
    SelfLoop { node: String },
    #[error("edge `{from} -> {to}` is listed twice")]
    DuplicateEdge { from: String, to: String },
    #[error("unknown node `{node}`{}", crate::suggest::hint(.suggestion))]
    UnknownNode { node: String, suggestion: Option<String> },
    #[error("node `{node}` is declared twice")]
    DuplicateNode { node: String },
    #[error("bidirected self-loop on `{node}`: `<->` joins two different variables")]
    BidirectedSelfLoop { node: String },
    #[error("edge `{a} <-> {b}` is listed twice")]
    DuplicateBidirected { a: String, b: String },
    #[error("{message}")]
    Syntax { message: String },
    #[error("`{node}` is declared both latent and observed; remove it from one of the two lists")]
    LatentObserved { node: String },
    /// An error inside one edge string of the spec: `edge` is its index in the
    /// edge list and `offset` the byte offset inside it, so the spec layer can
    /// turn them into file:line:col.
    #[error("in edge {} `{text}`: {source}", .edge + 1)]
    At { edge: usize, offset: usize, text: String, source: Box<GraphError> },
    #[error(
        "unknown adjustment strategy `{name}`{}; expected `backdoor`, `optimal`, `minimal`, `all` or a list of covariates",
        crate::suggest::hint(.suggestion)
    )]
    UnknownStrategy { name: String, suggestion: Option<String> },
    #[error("treatment and outcome are the same node `{node}`")]
    SameTreatmentOutcome { node: String },
    #[error("`{node}` is the {role}; it cannot be in its own adjustment set")]
    AdjustsForEndpoint { node: String, role: &'static str },
    #[error("no valid adjustment set for the effect of `{treatment}` on `{outcome}`: {reason}; {alternative}")]
    NoAdjustmentSet { treatment: String, outcome: String, reason: String, alternative: String },
    #[error(
        "the effect of `{treatment}` on `{outcome}` is not identifiable: hedge F = {{{}}}, F' = {{{}}}; \
         measure a variable that breaks the confounding (a `<->` edge) inside F",
        .f.join(", "), .f_prime.join(", ")
    )]
    NotIdentifiable { treatment: String, outcome: String, f: Vec<String>, f_prime: Vec<String> },
}

impl GraphError {
    /// Where in the spec's edge list the error is: (edge index, byte offset).
    pub fn location(&self) -> Option<(usize, usize)> {
        match self {
            GraphError::At { edge, offset, .. } => Some((*edge, *offset)),
            _ => None,
        }
    }

    /// The error without its edge location, for callers that print their own
    /// `file:line:col` prefix.
    pub fn without_location(&self) -> &GraphError {
        match self {
            GraphError::At { source, .. } => source.without_location(),
            other => other,
        }
    }
}
