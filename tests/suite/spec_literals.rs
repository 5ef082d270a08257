//! Numbers an f64 cannot hold, and datasets of no rows, are refused by `check`
//! at the line and column where they are written (found by fuzzing `check`).
//!
//! `1e400` was a "found a string" type error in `params` and sweeps and an
//! infinite coefficient in equations, which failed every run later; `1e-400`
//! was a silent zero everywhere. Each file under tests/specs/literals/ is one
//! mistake; the messages are pinned by a snapshot.

use crate::spec_common;

use std::path::Path;

use spec_common::{check_file, yaml_files};

#[test]
fn every_unrepresentable_number_and_empty_dataset_is_refused_where_it_is_written() {
    let mut report = String::new();
    for path in yaml_files("tests/specs/literals") {
        let err = check_file(&path).err().unwrap_or_else(|| panic!("{} was accepted", path.display()));
        assert!(err.position.is_some(), "{}: no line/column in `{err}`", path.display());
        report += &format!("{err}\n\n");
    }
    insta::assert_snapshot!("spec_literal_errors", report);
}

/// A literal in a base of `extends` is located in the base.
#[test]
fn a_base_files_literal_is_located_in_the_base() {
    let err = check_file(Path::new("tests/specs/literals/extends_base_overflow.yaml")).unwrap_err();
    assert!(err.file.ends_with("_base_overflow.yaml"), "{err}");
}

/// The extremes that an f64 does hold pass: a subnormal, zero written with a
/// huge negative exponent, and the largest finite double.
#[test]
fn representable_extremes_are_accepted() {
    let exp = check_file(Path::new("tests/specs/literals_ok.yaml")).unwrap();
    assert_eq!(exp.params["strength"], 1e-310);
    assert_eq!(exp.sweep[0].1, [0.0, f64::MAX]);
}

/// Quoting a number makes it a string on purpose: no literal check applies.
#[test]
fn a_quoted_literal_is_a_string_not_a_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quoted.yaml");
    let text = std::fs::read_to_string("tests/specs/literals_ok.yaml")
        .unwrap()
        .replace("name: literals", "name: literals\ndescription: '1e400'");
    std::fs::write(&path, text).unwrap();
    assert!(check_file(&path).is_ok());
}
