//! Bad input gets a clear error naming the file, line and column, never a panic.
//! Paths are relative to the crate root so that the snapshots are stable.

use std::path::Path;

use causeway::data::{BuiltinOptions, DataError, builtin_file_hashes, load_builtin, load_csv};
use causeway::run::RunRng;
use rand::SeedableRng;

const FIXTURES: &str = "tests/fixtures/data";

fn csv_error(file: &str, treatment: &str, outcome: &str) -> String {
    let path = Path::new(FIXTURES).join(file);
    load_csv(&path, treatment, outcome, None).unwrap_err().to_string()
}

fn builtin_error(name: &str, opts: BuiltinOptions, root: &str) -> String {
    load_builtin(name, &opts, Path::new(root), &mut RunRng::seed_from_u64(0)).unwrap_err().to_string()
}

#[test]
fn missing_column_suggests_the_closest_header() {
    insta::assert_snapshot!(csv_error("good.csv", "treat", "re87"));
}

#[test]
fn non_numeric_cell_names_line_and_column() {
    insta::assert_snapshot!(csv_error("bad_cell.csv", "treat", "re78"));
}

#[test]
fn empty_file() {
    insta::assert_snapshot!(csv_error("empty.csv", "treat", "re78"));
}

#[test]
fn treatment_that_is_not_0_or_1() {
    insta::assert_snapshot!(csv_error("treatment_two.csv", "treat", "re78"));
}

#[test]
fn outcome_with_a_missing_value() {
    insta::assert_snapshot!(csv_error("outcome_missing.csv", "treat", "re78"));
}

#[test]
fn row_with_too_few_fields() {
    insta::assert_snapshot!(csv_error("ragged.csv", "treat", "re78"));
}

#[test]
fn path_that_does_not_exist() {
    insta::assert_snapshot!(csv_error("no_such_file.csv", "treat", "re78"));
}

#[test]
fn hash_mismatch_is_an_error_not_a_silent_load() {
    let root = format!("{FIXTURES}/tampered");
    let err = builtin_error("lalonde-nsw", BuiltinOptions::default(), &root);
    insta::assert_snapshot!(err);
    let hashes = builtin_file_hashes("lalonde-nsw", Path::new(&root)).unwrap_err();
    assert!(matches!(hashes, DataError::HashMismatch { .. }), "{hashes}");
}

#[test]
fn unknown_builtin_suggests_a_name() {
    insta::assert_snapshot!(builtin_error("lalonde-psid", BuiltinOptions::default(), "."));
}

#[test]
fn options_that_do_not_apply() {
    let surface = BuiltinOptions { surface: Some("B".into()), ..BuiltinOptions::default() };
    insta::assert_snapshot!(builtin_error("nhefs", surface, "."));
    let bad_surface = BuiltinOptions { surface: Some("C".into()), ..BuiltinOptions::default() };
    insta::assert_snapshot!(builtin_error("ihdp", bad_surface, "."));
}

#[test]
fn missing_manifest() {
    insta::assert_snapshot!(builtin_error("ihdp", BuiltinOptions::default(), FIXTURES));
}

#[test]
fn good_file_loads_with_missing_covariates_as_nan() {
    let d = load_csv(&Path::new(FIXTURES).join("good.csv"), "treat", "re78", None).unwrap();
    assert_eq!(d.covariate_names, ["age", "educ"]);
    assert!(d.covariates[1][0].is_nan());
    assert_eq!(d.treatment, [1.0, 0.0, 1.0]);
}

#[test]
fn a_duplicated_header_is_refused_not_resolved_silently() {
    insta::assert_snapshot!(csv_error("duplicate_header.csv", "t", "y"), @"tests/fixtures/data/duplicate_header.csv: line 1: column 't' appears twice (columns 1 and 4); rename one, since causeway cannot tell which is meant");
}

#[test]
fn a_header_without_rows_is_refused() {
    insta::assert_snapshot!(csv_error("header_only.csv", "treat", "re78"), @"tests/fixtures/data/header_only.csv: the header row is not followed by any data rows");
}
