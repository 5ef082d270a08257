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

    /// A long-format sequence file that does not fit its unit table, as a whole.
    #[error("{path}: {message}")]
    Sequences { path: PathBuf, message: String },

    #[error(
        "{path}: line 1: column '{column}' appears twice (columns {first} and {second}); rename one, since causeway cannot tell which is meant"
    )]
    DuplicateColumn { path: PathBuf, column: String, first: usize, second: usize },

    #[error("{path}: the header row is not followed by any data rows")]
    NoRows { path: PathBuf },

    #[error("{path}: no column named '{column}'{}", crate::suggest::hint(.suggestion))]
    MissingColumn { path: PathBuf, column: String, suggestion: Option<String> },

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
        "{path}: line {line}, column '{column}': the true value is missing; \
         every row of a truth column needs one, since a row without its truth cannot be scored"
    )]
    TruthMissing { path: PathBuf, line: u64, column: String },

    #[error(
        "{path}: line {line}: `columns` names {named} columns but the line has {found} fields; \
         name every field of a row, in order"
    )]
    ColumnCount { path: PathBuf, line: u64, named: usize, found: usize },

    #[error("{path}: not a numpy archive (.npz): {message}")]
    NotAnArchive { path: PathBuf, message: String },

    #[error("{path}: array '{array}': {message}")]
    BadArray { path: PathBuf, array: String, message: String },

    #[error("{path}: no array named '{array}'{} (the archive holds: {known})", crate::suggest::hint(.suggestion))]
    MissingArray { path: PathBuf, array: String, suggestion: Option<String>, known: String },

    #[error(
        "{path}: sha256 is {actual} but the manifest expects {expected}; \
         the file was changed or replaced: restore it with `make datasets`"
    )]
    HashMismatch { path: PathBuf, expected: String, actual: String },

    #[error("{path}: has {actual} but the manifest expects {expected}")]
    ShapeMismatch { path: PathBuf, expected: String, actual: String },

    #[error("{path}: invalid manifest: {message}")]
    Manifest { path: PathBuf, message: String },

    #[error("unknown dataset '{name}'{} (known: {known})", crate::suggest::hint(.suggestion))]
    UnknownDataset { name: String, suggestion: Option<String>, known: String },

    #[error("dataset '{name}': {message}")]
    BadOption { name: String, message: String },

    #[error("covariate '{name}' is not in the data{}", crate::suggest::hint(.suggestion))]
    UnknownCovariate { name: String, suggestion: Option<String> },

    #[error("preprocess {option} names '{name}', which is not a covariate of the data{}", crate::suggest::hint(.suggestion))]
    UnknownPreprocessColumn { option: String, name: String, suggestion: Option<String> },

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

    #[error(
        "unknown impute method '{name}'{} (known: none, drop, mean, median, most_frequent)",
        crate::suggest::hint(.suggestion)
    )]
    UnknownImpute { name: String, suggestion: Option<String> },

    #[error("the split does not fit the data: {message}")]
    BadSplit { message: String },

    #[error(
        "cannot allocate {size} for {what}: this machine's memory (or `ulimit -v`) is too small \
         for the dataset; use fewer rows"
    )]
    OutOfMemory { what: String, size: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_column_says_did_you_mean_the_crate_wide_way() {
        let err = DataError::MissingColumn {
            path: "data.csv".into(),
            column: "re87".into(),
            suggestion: crate::suggest::did_you_mean("re87", ["re78", "re75", "age"]),
        };
        assert_eq!(err.to_string(), "data.csv: no column named 're87' (did you mean `re78`?)");
    }
}
