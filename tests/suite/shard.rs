//! Sharded sweeps under the faults of a cluster: shards run as separate
//! processes into one store and `causeway collect` writes the same bytes as a
//! single-machine `causeway run`, after a shard is killed midway and rerun, and
//! when two copies of a shard run at once; a missing shard is named.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

const EXPERIMENT: &str = "tests/experiments/small.yaml";
const TABLES: [&str; 8] =
    ["runs.csv", "summary.csv", "report.md", "table.tex", "manifest.yaml", "plot.svg", "index.html", "site.json"];
/// small.yaml expands into 30 runs with distinct keys.
const RUNS: usize = 30;

fn causeway() -> Command {
    Command::new(env!("CARGO_BIN_EXE_causeway"))
}

fn shard(spec: &str, cache: &Path) -> Child {
    causeway()
        .args(["run", EXPERIMENT, "--jobs", "1", "--progress", "quiet", "--shard", spec, "--results"])
        .arg(cache.with_extension("no-results"))
        .arg("--cache")
        .arg(cache)
        .spawn()
        .unwrap()
}

fn collect(cache: &Path, results: &Path) -> Output {
    causeway().args(["collect", EXPERIMENT, "--cache"]).arg(cache).arg("--results").arg(results).output().unwrap()
}

fn tables(results: &Path) -> BTreeMap<&'static str, String> {
    TABLES.iter().map(|t| (*t, std::fs::read_to_string(results.join("small").join(t)).unwrap())).collect()
}

/// The tables of an uninterrupted single-machine `causeway run`, computed once.
fn reference() -> &'static BTreeMap<&'static str, String> {
    static REFERENCE: OnceLock<BTreeMap<&'static str, String>> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let status = causeway()
            .args(["run", EXPERIMENT, "--jobs", "1", "--progress", "quiet", "--results"])
            .arg(dir.path().join("results"))
            .arg("--cache")
            .arg(dir.path().join("cache"))
            .status()
            .unwrap();
        assert!(status.success());
        tables(&dir.path().join("results"))
    })
}

fn assert_collects_the_reference(cache: &Path, results: &Path) {
    let out = collect(cache, results);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    for (name, text) in tables(results) {
        assert_eq!(&text, &reference()[name], "{name} differs from a single-machine run");
    }
    // Tables come from the store alone: nothing was timed.
    assert!(!results.join("small").join("timings.csv").exists());
}

/// Every file of the store: (records, other files).
fn store_files(cache: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut records = Vec::new();
    let mut others = Vec::new();
    let Ok(folders) = std::fs::read_dir(cache.join("runs")) else { return (records, others) };
    for folder in folders.flatten() {
        for file in std::fs::read_dir(folder.path()).unwrap().flatten() {
            let path = file.path();
            let is_record =
                path.extension().is_some_and(|x| x == "json") && !file.file_name().to_string_lossy().starts_with('.');
            if is_record { records.push(path) } else { others.push(path) }
        }
    }
    (records, others)
}

/// Every record parses, is stored under its own key and passes its checksum.
fn assert_store_is_sound(cache: &Path) {
    let (records, _) = store_files(cache);
    assert_eq!(records.len(), RUNS);
    let store = causeway::run::Cache::new(cache);
    for path in records {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        match store.lookup(&stem) {
            causeway::run::Lookup::Hit(outcome) => assert_eq!(outcome.key, stem),
            other => panic!("{}: {other:?}", path.display()),
        }
    }
}

#[test]
fn shards_in_separate_processes_collect_to_the_single_machine_tables() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("store");
    let children: Vec<Child> = ["1/3", "2/3", "3/3"].iter().map(|s| shard(s, &cache)).collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    // A shard writes no tables.
    assert!(!cache.with_extension("no-results").exists());
    assert_store_is_sound(&cache);
    assert_collects_the_reference(&cache, &dir.path().join("results"));
}

#[test]
fn a_killed_shard_resumes_and_collects_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("store");
    let mut child = shard("1/2", &cache);
    // Kill once a few runs are stored (or after a bounded wait).
    for _ in 0..2000 {
        if store_files(&cache).0.len() >= 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    for s in ["1/2", "2/2"] {
        assert!(shard(s, &cache).wait().unwrap().success());
    }
    assert_store_is_sound(&cache);
    assert_collects_the_reference(&cache, &dir.path().join("results"));
}

#[test]
fn two_copies_of_a_shard_at_once_are_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("store");
    // A resubmitted shard overlapping the first attempt, beside the other shard.
    let children: Vec<Child> = ["2/2", "2/2", "1/2"].iter().map(|s| shard(s, &cache)).collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert_store_is_sound(&cache);
    let (_, others) = store_files(&cache);
    assert!(others.is_empty(), "temporary files left: {others:?}");
    assert_collects_the_reference(&cache, &dir.path().join("results"));
}

/// Stable text: the temporary folder and the run keys (which move with any
/// algorithm version) are replaced.
fn redact(text: &str, dir: &Path) -> String {
    let text = text.replace(&dir.display().to_string(), "[tmp]");
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("(key ") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find(')').map_or(rest.len(), |e| at + e + 1);
        out.push_str("(key [redacted])");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn collect_names_the_runs_of_a_missing_shard() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("store");
    for s in ["1/3", "3/3"] {
        assert!(shard(s, &cache).wait().unwrap().success());
    }
    let results = dir.path().join("results");
    let out = collect(&cache, &results);
    assert_eq!(out.status.code(), Some(3));
    assert!(!results.join("small").exists(), "tables written from an incomplete store");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The listed runs are exactly shard 2's.
    let prepared = causeway::app::prepare_all(&[PathBuf::from(EXPERIMENT)], Path::new(".")).unwrap();
    let keys = causeway::run::keys_of(&prepared, "2/3".parse().unwrap());
    let listed: Vec<&str> =
        stderr.lines().filter_map(|l| l.split("(key ").nth(1)).map(|k| k.trim_end_matches("…)")).collect();
    assert_eq!(listed.len(), keys.len());
    assert!(listed.iter().all(|prefix| keys.iter().any(|k| k.starts_with(prefix))), "{stderr}");
    // Running the missing shard completes the store.
    assert!(shard("2/3", &cache).wait().unwrap().success());
    assert_collects_the_reference(&cache, &results);
}

#[test]
fn collect_lists_missing_runs_in_plan_order() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("store");
    assert!(shard("1/1", &cache).wait().unwrap().success());
    // Lose one replication's records (chosen by label, so the text does not
    // depend on key values).
    let prepared = causeway::app::prepare_all(&[PathBuf::from(EXPERIMENT)], Path::new(".")).unwrap();
    for run in prepared[0].runs.iter().filter(|r| r.label.starts_with("strength=1.5/r2/")) {
        std::fs::remove_file(cache.join("runs").join(&run.key[..2]).join(format!("{}.json", run.key))).unwrap();
    }
    let out = collect(&cache, &dir.path().join("results"));
    assert_eq!(out.status.code(), Some(3));
    insta::assert_snapshot!("collect_missing_runs", redact(&String::from_utf8_lossy(&out.stderr), dir.path()));
}
