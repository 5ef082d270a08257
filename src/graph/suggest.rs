//! "Did you mean ...?" suggestions for misspelled node names, by edit distance.

use super::GraphError;

/// The unknown-node error for `name`, suggesting the closest of `known`.
pub(crate) fn unknown_node(name: &str, known: &[String]) -> GraphError {
    GraphError::UnknownNode { node: name.to_string(), suggestion: closest(name, known) }
}

/// The known name nearest to `name`, if it is near enough to be a plausible
/// typo: at most a third of the name's length in edits (and at least one).
/// Ties go to the name first in sorted order, so the suggestion is stable.
pub(crate) fn closest(name: &str, known: &[String]) -> Option<String> {
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &String)> = None;
    for candidate in known {
        let d = edit_distance(name, candidate);
        let better = match best {
            None => true,
            Some((bd, bn)) => d < bd || (d == bd && candidate < bn),
        };
        if d <= limit && better {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, n)| n.clone())
}

/// Levenshtein distance over chars, O(|a|·|b|) time, O(|b|) memory.
fn edit_distance(a: &str, b: &str) -> usize {
    crate::suggest::levenshtein(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("severty", "severity"), 1);
    }

    #[test]
    fn suggests_only_near_names() {
        let known = vec!["severity".to_string(), "age".to_string()];
        assert_eq!(closest("severty", &known).as_deref(), Some("severity"));
        assert_eq!(closest("income", &known), None);
    }
}
