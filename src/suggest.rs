//! "Did you mean" suggestions for misspelled names (keys, variables, kinds).
//!
//! A candidate is a plausible typo of a word when it is at most a third of the
//! word's length in edits (at least one), or when one of the two extends the
//! other by at most its own length: `tutoring` for `tutor`, `treat` for
//! `treatment`. Adding or dropping a suffix costs one edit per letter, which the
//! third-of-the-length rule refuses for short names, and it is the mistake a
//! person makes when they remember a name's stem. Every "did you mean" in the
//! crate goes through `distance_if_plausible`, so they all agree.

/// The edit distance from `word` to `candidate` when the candidate is a
/// plausible typo of the word, else `None`.
pub fn distance_if_plausible(word: &str, candidate: &str) -> Option<usize> {
    let d = levenshtein(word, candidate);
    let limit = (word.chars().count() / 3).max(1);
    let (short, long) = if word.len() <= candidate.len() { (word, candidate) } else { (candidate, word) };
    let (s, l) = (short.chars().count(), long.chars().count());
    let extends = s >= 3 && 2 * s >= l && long.starts_with(short);
    (d <= limit || extends).then_some(d)
}

/// The candidate closest to `word` by edit distance, if it is a plausible typo
/// (`distance_if_plausible`); ties go to the first in sorted order.
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    candidates
        .into_iter()
        .filter_map(|c| distance_if_plausible(word, c).map(|d| (d, c)))
        .min_by_key(|&(d, c)| (d, c.to_string()))
        .map(|(_, c)| c.to_string())
}

/// Levenshtein distance over chars. O(|a| * |b|) time, O(|b|) space.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != cb)).min(row[j] + 1).min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("same", "same"), 0);
    }

    #[test]
    fn suggests_close_names_only() {
        let keys = ["replications", "seed", "sweep"];
        assert_eq!(did_you_mean("replicatons", keys), Some("replications".into()));
        assert_eq!(did_you_mean("swep", keys), Some("sweep".into()));
        assert_eq!(did_you_mean("zzzzzz", keys), None);
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
}
