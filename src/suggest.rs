//! "Did you mean" suggestions for misspelled names (keys, variables, kinds,
//! columns, datasets): one policy and one phrasing for the whole crate.
//!
//! Distance is `strsim`'s optimal string alignment over lowercased names, so a
//! swap of two neighbouring letters (`medain`) and a case slip (`Age`) each
//! cost one edit. A candidate is a plausible typo of a word when it is at most
//! a third of the word's length in edits (at least one), or when one of the two
//! extends the other by at most its own length: `tutoring` for `tutor`, `treat`
//! for `treatment`. Adding or dropping a suffix costs one edit per letter, which
//! the third-of-the-length rule refuses for short names, and it is the mistake a
//! person makes when they remember a name's stem.
//!
//! Every error says it the same way: [`hint`] inside a message (" (did you
//! mean `x`?)"), [`help`] as a located error's help line ("did you mean `x`?").

/// The edit distance between two names: optimal string alignment (insertions,
/// deletions, substitutions, adjacent swaps) ignoring case.
pub fn distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(&a.to_lowercase(), &b.to_lowercase())
}

/// The edit distance from `word` to `candidate` when the candidate is a
/// plausible typo of the word, else `None`.
pub fn distance_if_plausible(word: &str, candidate: &str) -> Option<usize> {
    let d = distance(word, candidate);
    let limit = (word.chars().count() / 3).max(1);
    let (short, long) = if word.len() <= candidate.len() { (word, candidate) } else { (candidate, word) };
    let (s, l) = (short.chars().count(), long.chars().count());
    let extends = s >= 3 && 2 * s >= l && long.to_lowercase().starts_with(&short.to_lowercase());
    (d <= limit || extends).then_some(d)
}

/// The candidate closest to `word` by edit distance, if it is a plausible typo
/// (`distance_if_plausible`) and not the word itself; ties go to the first in
/// sorted order, so the suggestion does not depend on the candidates' order.
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .filter_map(|c| distance_if_plausible(word, c).map(|d| (d, c)))
        .min_by_key(|&(d, c)| (d, c.to_string()))
        .map(|(_, c)| c.to_string())
}

/// The help line for a located error: "did you mean `x`?".
pub fn help(suggestion: &str) -> String {
    format!("did you mean `{suggestion}`?")
}

/// The hint inside an error message: " (did you mean `x`?)", or nothing.
pub fn hint(suggestion: &Option<String>) -> String {
    suggestion.as_deref().map(|s| format!(" ({})", help(s))).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Brute force: the shortest edit path found by exhaustive recursion on the
    /// strings' fronts, with an adjacent swap as one more move.
    fn brute(a: &[char], b: &[char]) -> usize {
        match (a, b) {
            ([], _) => b.len(),
            (_, []) => a.len(),
            ([x, ar @ ..], [y, br @ ..]) => {
                let mut best = (brute(ar, br) + usize::from(x != y)).min(brute(ar, b) + 1).min(brute(a, br) + 1);
                if let ([x0, x1, ar2 @ ..], [y0, y1, br2 @ ..]) = (a, b)
                    && x0 == y1
                    && x1 == y0
                {
                    best = best.min(brute(ar2, br2) + 1);
                }
                best
            }
        }
    }

    proptest! {
        #[test]
        fn distance_matches_brute_force(a in "[abc]{0,6}", b in "[abc]{0,6}") {
            let (ac, bc): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            prop_assert_eq!(distance(&a, &b), brute(&ac, &bc));
        }
    }

    #[test]
    fn distances() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("same", "same"), 0);
        assert_eq!(distance("medain", "median"), 1, "a swap is one edit");
        assert_eq!(distance("Age", "age"), 0, "case is ignored");
    }

    #[test]
    fn suggests_close_names_only() {
        let keys = ["replications", "seed", "sweep"];
        assert_eq!(did_you_mean("replicatons", keys), Some("replications".into()));
        assert_eq!(did_you_mean("swep", keys), Some("sweep".into()));
        assert_eq!(did_you_mean("zzzzzz", keys), None);
        assert_eq!(did_you_mean("sigmiod", ["sigmoid", "sin"]), Some("sigmoid".into()));
        assert_eq!(did_you_mean("Re78", ["re78", "re75"]), Some("re78".into()));
    }

    /// A stem or a stem plus a suffix is suggested although it is more edits than
    /// a third of the name; a long extension of a short name is not.
    #[test]
    fn suggests_a_name_that_extends_the_other() {
        assert_eq!(did_you_mean("tutoring", ["tutor", "score"]), Some("tutor".into()));
        assert_eq!(did_you_mean("treat", ["treatment", "y"]), Some("treatment".into()));
        assert_eq!(did_you_mean("age", ["age_group"]), None);
        assert_eq!(did_you_mean("x", ["xyz"]), None);
    }

    #[test]
    fn ties_go_to_the_first_in_sorted_order() {
        assert_eq!(did_you_mean("re77", ["re78", "re75"]), Some("re75".into()));
        assert_eq!(did_you_mean("re77", ["re75", "re78"]), Some("re75".into()));
    }

    #[test]
    fn one_phrasing() {
        assert_eq!(hint(&Some("alpha".into())), " (did you mean `alpha`?)");
        assert_eq!(hint(&None), "");
        assert_eq!(help("alpha"), "did you mean `alpha`?");
    }
}
