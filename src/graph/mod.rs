//! Causal graphs: an acyclic `Dag`, and the identification algorithms that read
//! it (d-separation, adjustment sets, front-door, ID). Graph algorithms are pure
//! functions, one file each; none of them knows about files or data.

mod dag;
mod error;

pub use dag::{Dag, NodeId};
pub use error::GraphError;
