//! The unknown-node error, with `crate::suggest`'s "did you mean".

use super::GraphError;

/// The unknown-node error for `name`, suggesting the closest of `known`.
pub(crate) fn unknown_node(name: &str, known: &[String]) -> GraphError {
    let suggestion = crate::suggest::did_you_mean(name, known.iter().map(String::as_str));
    GraphError::UnknownNode { node: name.to_string(), suggestion }
}
