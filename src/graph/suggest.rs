//! "Did you mean ...?" suggestions for misspelled node names (the rule is
//! `crate::suggest`'s).

use super::GraphError;

/// The unknown-node error for `name`, suggesting the closest of `known`.
pub(crate) fn unknown_node(name: &str, known: &[String]) -> GraphError {
    GraphError::UnknownNode { node: name.to_string(), suggestion: closest(name, known) }
}

/// The known name nearest to `name`, if it is near enough to be a plausible
/// typo (`crate::suggest::distance_if_plausible`). Ties go to the name first in
/// sorted order, so the suggestion is stable.
pub(crate) fn closest(name: &str, known: &[String]) -> Option<String> {
    crate::suggest::did_you_mean(name, known.iter().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_near_names() {
        let known = vec!["severity".to_string(), "age".to_string()];
        assert_eq!(closest("severty", &known).as_deref(), Some("severity"));
        assert_eq!(closest("income", &known), None);
    }
}
