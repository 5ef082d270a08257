//! Paired comparisons (issue 17, item 1): the data, the split and a replication's
//! noise depend only on what generates them, so two analyses of one model (another
//! `adjust`, another preprocessing, another graph) see the same draws, and the
//! estimators they share give the same numbers. Run on the real binary, each file
//! with its own cache, so that nothing is shared through the store.

use std::path::Path;
use std::process::Command;

/// A mediator-free model with a confounder `c`, a collider `k` of two latent
/// traits and a pre-treatment cause `p` of the outcome; the true ATE is 2.
fn experiment(name: &str, adjust: &str, standardize: bool, graph_extra: &str, estimators: &str) -> String {
    format!(
        "name: {name}
seed: 5
replications: 3
dataset:
  simulate:
    n: 300
    equations:
      u1: normal(0, 1)
      u2: normal(0, 1)
      c: normal(0, 1)
      k: u1 + u2 + normal(0, 1)
      p: normal(0, 1)
      t: bernoulli(sigmoid(0.8 * c + u1))
      y: 1 + 2 * t + 1.5 * c + p + u2 + normal(0, 1)
    treatment: t
    outcome: y
graph:
  edges: [u1 -> k, u2 -> k, c -> t, u1 -> t, c -> y, p -> y, u2 -> y, t -> y{graph_extra}]
  latent: [u1, u2]
adjust: {adjust}
preprocess: {{ standardize: {standardize} }}
split: {{ test: 0.2, validation: 0.2 }}
estimators:
{estimators}
metrics: [ate, ate_error]
"
    )
}

const BOTH: &str = "  - naive\n  - ols\n";

/// Run `text` as `<name>.yaml` in `dir` with its own cache; the rows of runs.csv
/// as (label, fields by column name).
fn run(dir: &Path, name: &str, text: &str) -> Vec<(String, Vec<(String, String)>)> {
    let spec = dir.join(format!("{name}.yaml"));
    std::fs::write(&spec, text).unwrap();
    let (results, cache) = (dir.join(format!("{name}-results")), dir.join(format!("{name}-cache")));
    let out = Command::new(env!("CARGO_BIN_EXE_causeway"))
        .args(["run", "--jobs", "1", "--progress", "plain"])
        .arg(&spec)
        .arg("--results")
        .arg(&results)
        .arg("--cache")
        .arg(&cache)
        .output()
        .unwrap();
    assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    let mut reader = csv::Reader::from_path(results.join(name).join("runs.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    reader
        .records()
        .map(|record| {
            let fields: Vec<(String, String)> =
                header.iter().cloned().zip(record.unwrap().iter().map(str::to_string)).collect();
            (fields[0].1.clone(), fields)
        })
        .collect()
}

/// The fields of the `estimator` rows that describe the draw and the numbers
/// (seed, replication, estimates), without the run key.
fn numbers(rows: &[(String, Vec<(String, String)>)], estimator: &str) -> Vec<Vec<(String, String)>> {
    let picked: Vec<Vec<(String, String)>> = rows
        .iter()
        .filter(|(_, f)| f.iter().any(|(k, v)| k == "estimator" && v == estimator))
        .map(|(_, f)| f.iter().filter(|(k, _)| k != "key").cloned().collect())
        .collect();
    assert_eq!(picked.len(), 3, "{estimator}: one row per replication");
    picked
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

#[test]
fn files_that_differ_only_in_the_analysis_draw_the_same_data() {
    let dir = tempfile::tempdir().unwrap();
    let all = run(dir.path(), "all", &experiment("all", "all", true, "", BOTH));
    let backdoor = run(dir.path(), "backdoor", &experiment("backdoor", "backdoor", true, "", BOTH));
    let raw = run(dir.path(), "raw", &experiment("raw", "backdoor", false, "", BOTH));
    // An extra (harmless) edge changes the graph but not the data.
    let graph = run(dir.path(), "graph", &experiment("graph", "backdoor", true, ", p -> k", BOTH));
    let naive = numbers(&all, "naive");
    for (name, other) in [("backdoor", &backdoor), ("raw", &raw), ("graph", &graph)] {
        assert_eq!(numbers(other, "naive"), naive, "`naive` of `{name}` against `all`");
    }
    // The adjustment does change what OLS sees: adjusting for the collider `k` biases it.
    assert_ne!(numbers(&all, "ols"), numbers(&backdoor, "ols"));
    // The seeds are those of the draw, whatever the analysis.
    let seeds = |rows: &[(String, Vec<(String, String)>)]| {
        rows.iter().map(|(_, f)| field(f, "seed").to_string()).collect::<Vec<_>>()
    };
    assert_eq!(seeds(&all), seeds(&raw));
}

#[test]
fn adjust_can_be_swept_within_one_file_and_matches_the_separate_files() {
    let dir = tempfile::tempdir().unwrap();
    let swept = "  - naive\n  - ols:\n    sweep: { adjust: [backdoor, all, [c, p]] }\n";
    let rows = run(dir.path(), "swept", &experiment("swept", "backdoor", true, "", swept));
    let labels: Vec<&str> = rows.iter().filter(|(l, _)| l.starts_with("r0/")).map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["r0/naive", "r0/ols[adjust=backdoor]", "r0/ols[adjust=all]", "r0/ols[adjust={c, p}]"]);
    let all = run(dir.path(), "all", &experiment("all", "all", true, "", BOTH));
    let estimate = |rows: &[(String, Vec<(String, String)>)], label: &str| -> Vec<String> {
        rows.iter().filter(|(l, _)| l.ends_with(label)).map(|(_, f)| field(f, "ate").to_string()).collect()
    };
    assert_eq!(estimate(&rows, "/ols[adjust=all]"), estimate(&all, "/ols"));
    assert_eq!(estimate(&rows, "/naive"), estimate(&all, "/naive"));
    assert_ne!(estimate(&rows, "/ols[adjust=all]"), estimate(&rows, "/ols[adjust=backdoor]"));
}

#[test]
fn adjust_on_an_estimator_without_covariates_is_refused_at_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("bad.yaml");
    std::fs::write(
        &spec,
        experiment(
            "bad",
            "backdoor",
            true,
            "",
            "  - naive\n  - ols:\n    adjust: all\n  - ipw\n  - naive:\n    label: n2\n    adjust: all\n",
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_causeway")).arg("check").arg(&spec).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml:30:13"), "{err}");
    assert!(err.contains("`naive` does not adjust for covariates"), "{err}");
}
