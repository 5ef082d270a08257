//! The README's "Your own data" walk-through, on the files it names
//! (docs/examples/tutoring/): the experiment shown is the one committed, `check`
//! reads the file and lists its covariates, text levels are one-hot encoded by
//! name, and a text cell in a covariate that is not categorical is one located
//! error at check that says what to do.

use std::path::Path;
use std::process::Command;

const EXAMPLE: &str = "docs/examples/tutoring";

fn causeway(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_causeway")).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_readme_shows_the_committed_experiment() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let section = &readme[readme.find("## Your own data").expect("the section exists")..];
    let start = section.find("```yaml").unwrap() + "```yaml".len();
    let block = &section[start..start + section[start..].find("```").unwrap()];
    // The block is indented under a list item; YAML does not care, the parse does.
    let shown: serde_yaml_ng::Value = serde_yaml_ng::from_str(
        &block.lines().map(|l| l.strip_prefix("   ").unwrap_or(l)).collect::<Vec<_>>().join("\n"),
    )
    .unwrap();
    let file: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(Path::new(EXAMPLE).join("tutoring.yaml")).unwrap()).unwrap();
    assert_eq!(shown, file);
}

#[test]
fn check_reads_the_file_and_run_encodes_text_levels() {
    let spec = format!("{EXAMPLE}/tutoring.yaml");
    let check = causeway(&["check", &spec]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    let out = text(&check.stdout);
    assert!(out.contains("400 rows; treatment `tutor`, outcome `score`"), "{out}");
    assert!(out.contains("covariates (as listed in dataset.file.covariates): region, prior, hours"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let (results, cache) = (dir.path().join("results"), dir.path().join("cache"));
    let run = causeway(&[
        "run",
        &spec,
        "--results",
        results.to_str().unwrap(),
        "--cache",
        cache.to_str().unwrap(),
        "--progress",
        "plain",
        "--jobs",
        "1",
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let report = std::fs::read_to_string(results.join("tutoring-study/report.md")).unwrap();
    for label in ["| naive |", "| ols |", "| ols-minimal |", "| aipw |"] {
        assert!(report.contains(label), "{label} in\n{report}");
    }
    // The levels are named by their text; the reference is the first in byte order.
    let records: Vec<String> = walk(&cache).iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
    assert!(
        records.iter().any(|r| r.contains("one-hot region (reference east): region_north, region_south")),
        "{records:?}"
    );
}

#[test]
fn a_text_cell_outside_one_hot_is_one_located_error_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(Path::new(EXAMPLE).join("study.csv"), dir.path().join("study.csv")).unwrap();
    let spec =
        std::fs::read_to_string(Path::new(EXAMPLE).join("tutoring.yaml")).unwrap().replace("one_hot: [region], ", "");
    let path = dir.path().join("tutoring.yaml");
    std::fs::write(&path, spec).unwrap();
    let check = causeway(&["check", path.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(2));
    let err = text(&check.stderr);
    assert!(err.contains("line 2, column 'region': 'north' is not a number; if `region` is categorical, list it under `preprocess.one_hot`"), "{err}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
    out
}
