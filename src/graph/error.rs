//! Errors raised while building or querying a causal graph.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum GraphError {
    #[error("the graph has a cycle: {}", .cycle.join(" -> "))]
    Cycle { cycle: Vec<String> },
    #[error("self-loop on `{node}`: a variable cannot cause itself")]
    SelfLoop { node: String },
    #[error("edge `{from} -> {to}` is listed twice")]
    DuplicateEdge { from: String, to: String },
    #[error("unknown node `{node}`")]
    UnknownNode { node: String },
    #[error("node `{node}` is declared twice")]
    DuplicateNode { node: String },
}
