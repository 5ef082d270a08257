//! The unknown-node error, with `crate::suggest`'s "did you mean".

use super::GraphError;

/// The unknown-node error for `name`, suggesting the closest of `known`.
pub(crate) fn unknown_node(name: &str, known: &[String]) -> GraphError {
    GraphError::UnknownNode { node: name.to_string(), suggestion: closest(name, known) }
}

/// `crate::suggest::did_you_mean` over owned names.
pub(crate) fn closest(name: &str, known: &[String]) -> Option<String> {
    crate::suggest::did_you_mean(name, known.iter().map(String::as_str))
}
