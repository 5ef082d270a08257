//! Every malformed experiment file under tests/specs/bad/ must be rejected with a
//! located, readable error (never a panic), and the messages are pinned by a
//! snapshot. Hostile inputs (alias bombs, deep nesting, megabytes of garbage)
//! are generated here rather than committed.

use crate::spec_common;

use std::path::{Path, PathBuf};

use spec_common::{check_file, yaml_files};

fn corpus() -> Vec<PathBuf> {
    yaml_files("tests/specs/bad")
}

#[test]
fn corpus_is_large_enough() {
    assert!(corpus().len() >= 40, "the corpus has {} files", corpus().len());
}

#[test]
fn every_malformed_spec_gets_a_located_error() {
    let mut report = String::new();
    for path in corpus() {
        let err = match check_file(&path) {
            Ok(_) => panic!("{} was accepted", path.display()),
            Err(e) => e,
        };
        assert!(
            err.file.to_string_lossy().contains("tests/specs/bad"),
            "{}: error names {}",
            path.display(),
            err.file.display()
        );
        let needs_position = !path.to_string_lossy().contains("empty_file");
        if needs_position {
            assert!(err.position.is_some(), "{}: no line/column in `{err}`", path.display());
        }
        report += &format!("{err}\n\n");
    }
    insta::assert_snapshot!("spec_error_corpus", report);
}

#[test]
fn the_good_spec_is_accepted() {
    let exp = check_file(Path::new("tests/specs/ok_minimal.yaml")).unwrap();
    assert_eq!(exp.name, "demo");
    assert_eq!(exp.estimators.len(), 3);
}

fn write_temp(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn alias_bomb_is_rejected() {
    // Each level refers to the previous one nine times: 9^9 nodes if expanded.
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        text += &format!("a{i}: &a{i} [{refs}]\n");
    }
    text += "name: bomb\nseed: 1\n";
    let (_dir, path) = write_temp("bomb.yaml", &text);
    let err = check_file(&path).unwrap_err();
    assert!(err.to_string().contains("repetition limit") || err.to_string().contains("recursion limit"), "{err}");
}

#[test]
fn deep_nesting_is_rejected() {
    let text = format!("name: deep\nseed: 1\nparams: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let (_dir, path) = write_temp("deep.yaml", &text);
    assert!(check_file(&path).is_err());
}

#[test]
fn a_megabyte_of_garbage_is_rejected() {
    // Deterministic pseudo-random printable bytes.
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let text: String = (0..1_000_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (b' ' + (x % 95) as u8) as char
        })
        .collect();
    let (_dir, path) = write_temp("garbage.yaml", &text);
    let err = check_file(&path).unwrap_err();
    assert!(!err.to_string().is_empty());
    let (_dir2, big) = write_temp("big.yaml", &"#".repeat(2 << 20));
    assert!(check_file(&big).unwrap_err().to_string().contains("limited to"));
}

#[test]
fn extends_overrides_the_base() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string("tests/specs/ok_minimal.yaml").unwrap();
    std::fs::write(dir.path().join("_base.yaml"), base).unwrap();
    std::fs::write(
        dir.path().join("child.yaml"),
        "extends: _base.yaml\nname: child\nreplications: 7\nsplit: { test: 0.2 }\n",
    )
    .unwrap();
    let exp = check_file(&dir.path().join("child.yaml")).unwrap();
    assert_eq!((exp.name.as_str(), exp.replications, exp.split.test), ("child", 7, 0.2));
    assert_eq!(exp.files.len(), 2);
    assert_eq!(exp.estimators.len(), 3);
}
