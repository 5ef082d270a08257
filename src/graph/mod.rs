//! Causal graphs and the identification algorithms that read them: an acyclic
//! `Dag`, an acyclic directed mixed graph `Admg` (bidirected edges for latent
//! confounders), parsing from the spec's edge list with latent projection,
//! d/m-separation, backdoor adjustment sets (minimal and optimal), the
//! front-door criterion, the ID algorithm, and the `identify` report.
//! Graph algorithms are pure functions, one file each; none knows about files.

mod admg;
mod backdoor;
mod dag;
mod dseparation;
mod error;
mod expr;
mod frontdoor;
mod id;
mod identify;
mod nodeset;
mod optimal;
mod parse;
mod suggest;
mod view;

pub use admg::Admg;
pub use backdoor::{is_backdoor_set, minimal_adjustment_sets};
pub use dag::{Dag, NodeId};
pub use dseparation::{m_connected, m_separated};
pub use error::GraphError;
pub use expr::Expr;
pub use frontdoor::{find_front_door, is_front_door};
pub use id::{Hedge, id_effect};
pub use identify::{AdjustStrategy, IdResult, Identification, MINIMAL_LIMIT, Method, adjustment_set, identify};
pub use nodeset::NodeSet;
pub use optimal::optimal_adjustment_set;
pub use parse::{GraphSpec, parse_graph};
pub use view::View;
