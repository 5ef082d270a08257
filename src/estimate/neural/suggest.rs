//! "Did you mean ...?" for misspelled keys, layer kinds, activations and
//! estimator names: the closest candidate by edit distance, if it is close.

/// ` (did you mean `x`?)` for the closest candidate, or nothing.
pub fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    closest(word, candidates).map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default()
}

/// The candidate nearest to `word`, if within a small edit distance.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let (d, c) = candidates.iter().map(|c| (edit_distance(word, c), *c)).min()?;
    (d <= 2.max(word.len() / 3)).then_some(c)
}

pub fn edit_distance(a: &str, b: &str) -> usize {
    crate::suggest::levenshtein(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_matches_hand_counts() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("alpha", "alpha"), 0);
    }

    #[test]
    fn suggests_only_close_candidates() {
        assert_eq!(did_you_mean("alpah", &["alpha", "beta"]), " (did you mean `alpha`?)");
        assert_eq!(did_you_mean("zzzzzz", &["alpha", "beta"]), "");
    }
}
