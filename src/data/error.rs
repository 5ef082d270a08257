//! Errors of the data area: loading files, checking them against the manifest,
//! building datasets and preprocessing them. Each message names the file, the line
//! and the column where one applies, and suggests a fix where one exists.

use std::path::PathBuf;

/// Everything that can go wrong between a data file on disk and a preprocessed dataset.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DataError {
    #[error("{path}: no such file")]
    NotFound { path: PathBuf },

    #[error(
        "{path}: no such file: builtin datasets are read from <root>/datasets/; run from the causeway folder or pass `--root` with its path"
    )]
    NoManifest { path: PathBuf },

    #[error("{path}: cannot read the file: {message}")]
    Io { path: PathBuf, message: String },

    #[error("{path}: the file is empty; a header row naming the columns is required")]
    Empty { path: PathBuf },

    #[error("{path}: line {line}: {message}")]
    Malformed { path: PathBuf, line: u64, message: String },

    #[error(
        "{path}: line 1: column '{column}' appears twice (columns {first} and {second}); rename one, since causeway cannot tell which is meant"
    )]
    DuplicateColumn { path: PathBuf, column: String, first: usize, second: usize },

    #[error("{path}: the header row is not followed by any data rows")]
    NoRows { path: PathBuf },

    #[error("{path}: no column named '{column}'{suggestion}")]
    MissingColumn { path: PathBuf, column: String, suggestion: String },

    #[error("{path}: line {line}, column '{column}': '{value}' is not a number")]
    NotNumeric { path: PathBuf, line: u64, column: String, value: String },

    #[error(
        "{path}: line {line}, column '{column}': '{value}' is not a number; if `{column}` is categorical, \
         list it under `preprocess.one_hot`, which encodes its text levels"
    )]
    TextCovariate { path: PathBuf, line: u64, column: String, value: String },

    #[error("{path}: line {line}, column '{column}': the treatment must be 0 or 1, found '{value}'")]
    TreatmentNotBinary { path: PathBuf, line: u64, column: String, value: String },

    #[error(
        "{path}: line {line}, column '{column}': the outcome is missing; \
         remove rows without an outcome before loading"
    )]
    OutcomeMissing { path: PathBuf, line: u64, column: String },

    #[error(
        "{path}: sha256 is {actual} but the manifest expects {expected}; \
         the file was changed or replaced: restore it with `make datasets`"
    )]
    HashMismatch { path: PathBuf, expected: String, actual: String },

    #[error("{path}: has {actual} but the manifest expects {expected}")]
    ShapeMismatch { path: PathBuf, expected: String, actual: String },

    #[error("{path}: invalid manifest: {message}")]
    Manifest { path: PathBuf, message: String },

    #[error("unknown dataset '{name}'{suggestion} (known: {known})")]
    UnknownDataset { name: String, suggestion: String, known: String },

    #[error("dataset '{name}': {message}")]
    BadOption { name: String, message: String },

    #[error("covariate '{name}' is not in the data{suggestion}")]
    UnknownCovariate { name: String, suggestion: String },

    #[error("preprocess {option} names '{name}', which is not a covariate of the data{suggestion}")]
    UnknownPreprocessColumn { option: String, name: String, suggestion: String },

    #[error("covariate '{name}' is both one-hot encoded and squared; square only numeric columns")]
    SquareOfCategorical { name: String },

    #[error(
        "squaring '{name}' adds nothing: the training rows hold {values} distinct values of it, \
         so its square is a linear function of it; remove it from preprocess squares"
    )]
    SquareAddsNothing { name: String, values: usize },

    #[error("covariate '{name}' is listed twice")]
    DuplicateCovariate { name: String },

    #[error(
        "covariate '{column}' has missing values ({count}); set preprocess impute to \
         drop, mean, median or most_frequent"
    )]
    MissingValues { column: String, count: usize },

    #[error("covariate '{column}' has no observed value in the training rows, so nothing to impute it with")]
    NothingToImpute { column: String },

    #[error("unknown impute method '{name}'{suggestion} (known: none, drop, mean, median, most_frequent)")]
    UnknownImpute { name: String, suggestion: String },

    #[error("the split does not fit the data: {message}")]
    BadSplit { message: String },

    #[error(
        "cannot allocate {size} for {what}: this machine's memory (or `ulimit -v`) is too small \
         for the dataset; use fewer rows"
    )]
    OutOfMemory { what: String, size: String },
}

/// ", did you mean 'x'?" for the closest candidate within a small edit distance, else "".
pub(crate) fn suggestion<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| format!(", did you mean '{c}'?"))
        .unwrap_or_default()
}

/// Edit distance counting insertions, deletions, substitutions and swaps of two
/// neighbouring characters (optimal string alignment): typos are often swaps.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("re78", "re78"), 0);
        assert_eq!(edit_distance("medain", "median"), 1);
    }

    #[test]
    fn suggests_the_closest_name_only_when_close() {
        assert_eq!(suggestion("re87", ["re78", "re75", "age"]), ", did you mean 're78'?");
        assert_eq!(suggestion("wieght", ["weight", "height"]), ", did you mean 'weight'?");
        assert_eq!(suggestion("zzzzzz", ["age", "educ"]), "");
    }
}
