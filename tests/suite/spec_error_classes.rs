//! Pins how experiment-file errors get their line and column. serde reports
//! *what* is wrong with a path (`estimators[0].tarnet.lr`) in its own words, and
//! a second, position-aware read of the YAML (yaml-rust2) finds *where* that path
//! is. The first half reads serde's wording (`unknown field`, `missing field`,
//! `invalid type`, a custom `invalid value`); if a dependency update changes it,
//! these tests fail rather than the errors silently losing their class, their
//! suggestion or their position. One test per class, each at a nested path and
//! in a file reached through `extends`.

use std::path::Path;

use causeway::spec::{self, Position, SpecError, SpecErrorKind};

const BASE: &str = "\
name: classes
seed: 1
dataset:
  simulate:
    n: 100
    equations:
      x: normal(0, 1)
      t: bernoulli(sigmoid(x))
      y: t + x
    treatment: t
    outcome: y
estimators: [ols]
";

/// Load and validate `text` from `e.yaml` in `dir`, expecting an error.
fn error_of(dir: &Path, text: &str) -> SpecError {
    let path = dir.join("e.yaml");
    std::fs::write(&path, text).unwrap();
    match spec::load(&path).and_then(|l| spec::validate(&l)) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    }
}

fn at(line: usize, column: usize) -> Option<Position> {
    Some(Position { line, column })
}

#[test]
fn an_unknown_field_names_the_key_at_its_own_position_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let text = BASE.replace("    outcome: y\n", "    outcome: y\n    treatmnt: t\n");
    let e = error_of(dir.path(), &text);
    assert_eq!(e.kind, SpecErrorKind::UnknownKey { key: "treatmnt".into() });
    assert_eq!(e.position, at(12, 5));
    assert_eq!(e.help.as_deref(), Some("did you mean `treatment`?"));
}

#[test]
fn an_unknown_field_without_a_near_name_lists_the_expected_ones() {
    let dir = tempfile::tempdir().unwrap();
    let text = BASE.replace("    outcome: y\n", "    outcome: y\n    zzzzzzzz: 1\n");
    let e = error_of(dir.path(), &text);
    assert_eq!(e.kind, SpecErrorKind::UnknownKey { key: "zzzzzzzz".into() });
    let help = e.help.unwrap();
    assert!(help.starts_with("expected one of: ") && help.contains("treatment") && help.contains("outcome"), "{help}");
}

#[test]
fn a_missing_field_names_the_key_at_its_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let text = BASE.replace("    treatment: t\n", "");
    let e = error_of(dir.path(), &text);
    assert_eq!(e.kind, SpecErrorKind::MissingKey { key: "treatment".into() });
    assert_eq!(e.position, at(4, 3), "the `simulate:` mapping that lacks it");
}

#[test]
fn a_missing_top_level_field_points_at_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let e = error_of(dir.path(), &BASE.replace("seed: 1\n", ""));
    assert_eq!(e.kind, SpecErrorKind::MissingKey { key: "seed".into() });
    assert_eq!(e.position, at(1, 1));
}

#[test]
fn a_wrong_type_says_it_in_yaml_terms_at_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let e = error_of(dir.path(), &BASE.replace("seed: 1\n", "seed: [1, 2]\n"));
    let SpecErrorKind::WrongType(message) = &e.kind else { panic!("{e:?}") };
    assert_eq!(message, "`seed`: found a list, expected a whole number >= 0");
    assert_eq!(e.position, at(2, 7));
}

#[test]
fn a_wrong_type_in_a_list_points_at_the_item() {
    let dir = tempfile::tempdir().unwrap();
    let text = BASE.replace("estimators: [ols]\n", "estimators: [ols]\nmetrics:\n  - ate\n  - [pehe_in]\n");
    let e = error_of(dir.path(), &text);
    let SpecErrorKind::WrongType(message) = &e.kind else { panic!("{e:?}") };
    assert!(message.starts_with("`metrics[1]`: found a list"), "{message}");
    assert_eq!(e.position, at(15, 5));
}

#[test]
fn an_error_in_an_extended_file_is_located_in_that_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("_base.yaml"), BASE.replace("seed: 1\n", "seed: one\n")).unwrap();
    let e = error_of(dir.path(), "extends: _base.yaml\nname: child\n");
    assert!(e.file.ends_with("_base.yaml"), "{}", e.file.display());
    assert!(matches!(e.kind, SpecErrorKind::WrongType(_)), "{e:?}");
    assert_eq!(e.position, at(2, 7));
}

#[test]
fn a_syntax_error_is_located_by_the_parser() {
    let dir = tempfile::tempdir().unwrap();
    let e = error_of(dir.path(), &BASE.replace("estimators: [ols]\n", "estimators: [ols\n"));
    assert!(matches!(e.kind, SpecErrorKind::Syntax(_)), "{e:?}");
    assert!(e.position.is_some_and(|p| p.line >= 12), "{:?}", e.position);
}
