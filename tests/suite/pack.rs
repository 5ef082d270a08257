//! Packed training through the real binary: a run's stored record and every
//! table are the same bytes whether its networks trained alone (`--pack 1`), in
//! packs of 4 or in one large pack, beside pack-mates of other replications and
//! other learning rates, weight decays and balance weights, and beside a mate
//! whose training diverges; a panic in one packed run fails only that run.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

const PACKS: &str = "tests/experiments/packs.yaml";
const TABLES: [&str; 5] = ["runs.csv", "summary.csv", "report.md", "table.tex", "manifest.yaml"];

fn run(dir: &Path, pack: &str, jobs: &str, fault: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_causeway"));
    c.args(["run", PACKS, "--progress", "quiet", "--pack", pack, "--jobs", jobs])
        .arg("--results")
        .arg(dir.join("results"))
        .arg("--cache")
        .arg(dir.join("cache"));
    match fault {
        Some(pattern) => c.env("CAUSEWAY_FAULT_PANIC", pattern),
        None => c.env_remove("CAUSEWAY_FAULT_PANIC"),
    };
    c.output().unwrap()
}

/// Every stored record of a store, by file name.
fn records(cache: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for folder in std::fs::read_dir(cache.join("runs")).unwrap().flatten() {
        for file in std::fs::read_dir(folder.path()).unwrap().flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            if name.ends_with(".json") && !name.starts_with('.') {
                out.insert(name, std::fs::read_to_string(file.path()).unwrap());
            }
        }
    }
    out
}

fn tables(results: &Path) -> Vec<String> {
    TABLES.iter().map(|t| std::fs::read_to_string(results.join("packs").join(t)).unwrap()).collect()
}

/// The rows of runs.csv as (label, status, reason).
fn statuses(results: &Path) -> Vec<(String, String, String)> {
    let mut reader = csv::Reader::from_path(results.join("packs").join("runs.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[col("label")].to_string(), r[col("status")].to_string(), r[col("reason")].to_string())
        })
        .collect()
}

#[test]
fn a_run_has_the_same_bytes_alone_and_in_any_pack() {
    let alone = tempfile::tempdir().unwrap();
    // Exit status 1: the diverging S-learner runs fail (by design).
    let o = run(alone.path(), "1", "1", None);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let reference = records(&alone.path().join("cache"));
    assert_eq!(reference.len(), 80);
    let rows = statuses(&alone.path().join("results"));
    for (label, status, reason) in &rows {
        if label.contains("slearner[lr=1e+30]") {
            assert_eq!(status, "failed", "{label}");
            assert!(reason.contains("diverged"), "{label}: {reason}");
        } else {
            assert_eq!(status, "ok", "{label}: {reason}");
        }
    }
    // Packs of 4 on two workers, and packs as large as the groups allow (the
    // 20 TARNet runs, the 20 T-learner runs, ...) on one.
    for (pack, jobs) in [("4", "2"), ("64", "1")] {
        let dir = tempfile::tempdir().unwrap();
        let o = run(dir.path(), pack, jobs, None);
        assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
        let packed = records(&dir.path().join("cache"));
        assert_eq!(packed.keys().collect::<Vec<_>>(), reference.keys().collect::<Vec<_>>());
        for (name, record) in &reference {
            assert_eq!(&packed[name], record, "record {name} with --pack {pack} --jobs {jobs}");
        }
        assert_eq!(tables(&dir.path().join("results")), tables(&alone.path().join("results")), "--pack {pack}");
    }
}

#[test]
fn a_panic_in_one_packed_run_fails_only_that_run() {
    let alone = tempfile::tempdir().unwrap();
    run(alone.path(), "1", "1", None);
    let reference = records(&alone.path().join("cache"));
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), "64", "1", Some("r2/tarnet"));
    assert!(!o.status.success());
    let rows = statuses(&dir.path().join("results"));
    let hit: Vec<&String> = rows.iter().filter(|r| r.2.contains("fault injected")).map(|r| &r.0).collect();
    assert_eq!(hit.len(), 4, "{rows:?}");
    assert!(hit.iter().all(|label| label.starts_with("r2/tarnet")), "{hit:?}");
    // The four internal failures are not stored; every other run is, with the bytes it has alone.
    let packed = records(&dir.path().join("cache"));
    assert_eq!(packed.len(), reference.len() - 4);
    for (name, record) in &packed {
        assert_eq!(Some(record), reference.get(name), "record {name}");
    }
}
