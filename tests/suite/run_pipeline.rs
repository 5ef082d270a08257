//! The runner end to end on a small fixed experiment: tables pinned by snapshots,
//! estimates that recover the known effect, byte-identical tables whatever the
//! number of workers, a second run that computes nothing, and a resume after a
//! hard kill that reproduces an uninterrupted run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use causeway::app::{self, RunArgs};
use causeway::report::ProgressMode;

const EXPERIMENT: &str = "tests/experiments/small.yaml";

fn args(results: &Path, cache: &Path, jobs: usize) -> RunArgs {
    RunArgs {
        paths: vec![PathBuf::from(EXPERIMENT)],
        jobs,
        pack: causeway::run::DEFAULT_PACK,
        pack_memory: None,
        results: results.to_path_buf(),
        cache: cache.to_path_buf(),
        root: PathBuf::from("."),
        fail_fast: false,
        progress: ProgressMode::Quiet,
    }
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join("small").join(file)).unwrap()
}

const TABLES: [&str; 8] =
    ["runs.csv", "summary.csv", "report.md", "table.tex", "manifest.yaml", "plot.svg", "index.html", "site.json"];

/// Column `name` of summary.csv at (strength, config): each swept parameter has
/// its own column, so no label is parsed.
fn summary_value(summary: &str, strength: &str, config: &str, name: &str) -> f64 {
    let mut reader = csv::Reader::from_reader(summary.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let row = reader
        .records()
        .map(Result::unwrap)
        .find(|r| &r[col("strength")] == strength && &r[col("config")] == config)
        .unwrap();
    row[col(name)].parse().unwrap()
}

#[test]
fn tables_are_pinned_and_recover_the_effect() {
    let dir = tempfile::tempdir().unwrap();
    let (results, cache) = (dir.path().join("results"), dir.path().join("cache"));
    assert_eq!(app::run_command(&args(&results, &cache, 2)).unwrap(), app::Completion::Ok);
    let summary = read(&results, "summary.csv");
    for point in ["0.5", "1.5"] {
        // OLS adjusts for the confounder: mean absolute error well below 0.2.
        let ols = summary_value(&summary, point, "ols", "ate_error_mean");
        assert!(ols < 0.2, "ols error {ols} at {point}");
        // Difference in means is biased by the confounder x (3 per unit of x).
        let naive = summary_value(&summary, point, "naive", "ate_error_mean");
        assert!(naive > 1.0, "naive error {naive} at {point}");
        assert!(summary_value(&summary, point, "aipw[clip=0.01]", "ate_error_mean") < 0.3);
    }
    insta::assert_snapshot!("small_runs_csv", read(&results, "runs.csv"));
    insta::assert_snapshot!("small_summary_csv", read(&results, "summary.csv"));
    insta::assert_snapshot!("small_report_md", read(&results, "report.md"));
    insta::assert_snapshot!("small_table_tex", read(&results, "table.tex"));
}

#[test]
fn tables_do_not_depend_on_the_number_of_workers_and_reruns_hit_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one");
    let two = dir.path().join("two");
    assert_eq!(app::run_command(&args(&one, &dir.path().join("c1"), 1)).unwrap(), app::Completion::Ok);
    assert_eq!(app::run_command(&args(&two, &dir.path().join("c2"), 2)).unwrap(), app::Completion::Ok);
    for t in TABLES {
        assert_eq!(read(&one, t), read(&two, t), "{t} differs between 1 and 2 workers");
    }
    let index = |dir: &Path| std::fs::read(dir.join("index.html")).unwrap();
    assert_eq!(index(&one), index(&two), "the site's index differs between 1 and 2 workers");
    // A rerun on the same cache computes nothing: its stored records do not change,
    // and no timing is recorded for a run that was not computed.
    let cache = dir.path().join("c1");
    let count = |c: &Path| walk(&c.join("runs")).len();
    let before = count(&cache);
    std::fs::remove_file(one.join("small").join("timings.csv")).unwrap();
    assert_eq!(app::run_command(&args(&one, &cache, 2)).unwrap(), app::Completion::Ok);
    assert_eq!(count(&cache), before);
    assert!(!one.join("small").join("timings.csv").exists(), "a fully cached run recorded timings");
    assert_eq!(read(&one, "runs.csv"), read(&two, "runs.csv"));
}

/// A panel experiment (tumour growth, treatments over time) end to end: the
/// same bytes with 1 and 2 workers and again from the cache, its report with
/// no identification section, and every run scored.
#[test]
fn a_panel_experiment_runs_to_the_same_bytes_whatever_the_workers() {
    let dir = tempfile::tempdir().unwrap();
    let panel = |results: &Path, cache: &str, jobs: usize| RunArgs {
        paths: vec![PathBuf::from("tests/experiments/panel.yaml")],
        ..args(results, &dir.path().join(cache), jobs)
    };
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    assert_eq!(app::run_command(&panel(&one, "c1", 1)).unwrap(), app::Completion::Ok);
    assert_eq!(app::run_command(&panel(&two, "c2", 2)).unwrap(), app::Completion::Ok);
    let table = |dir: &Path, t: &str| std::fs::read_to_string(dir.join("panel").join(t)).unwrap();
    for t in TABLES {
        assert_eq!(table(&one, t), table(&two, t), "{t} differs between 1 and 2 workers");
    }
    let runs = table(&one, "runs.csv");
    assert_eq!(runs.lines().count(), 1 + 2 * 2 * 3, "{runs}");
    assert!(runs.lines().skip(1).all(|l| l.contains(",ok,")), "{runs}");
    // From the cache: the same bytes.
    let again = dir.path().join("again");
    assert_eq!(app::run_command(&panel(&again, "c1", 2)).unwrap(), app::Completion::Ok);
    assert_eq!(table(&again, "summary.csv"), table(&one, "summary.csv"));
    assert_eq!(table(&again, "runs.csv"), runs);
    let report = table(&one, "report.md");
    assert!(!report.contains("Identification"), "{report}");
    insta::assert_snapshot!("panel_report_md", report);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn a_killed_run_resumes_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let exe = env!("CARGO_BIN_EXE_causeway");
    let run = |results: &Path, cache: &Path| {
        Command::new(exe)
            .args(["run", EXPERIMENT, "--jobs", "1", "--progress", "quiet", "--results"])
            .arg(results)
            .arg("--cache")
            .arg(cache)
            .spawn()
            .unwrap()
    };
    let (killed_results, killed_cache) = (dir.path().join("r-killed"), dir.path().join("c-killed"));
    let mut child = run(&killed_results, &killed_cache);
    // Kill once a few runs are stored (or after a bounded wait).
    for _ in 0..2000 {
        if walk(&killed_cache.join("runs")).len() >= 4 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!killed_results.join("small").join("runs.csv").exists() || walk(&killed_cache.join("runs")).len() == 30);
    let status = run(&killed_results, &killed_cache).wait().unwrap();
    assert!(status.success());
    let (fresh_results, fresh_cache) = (dir.path().join("r-fresh"), dir.path().join("c-fresh"));
    assert!(run(&fresh_results, &fresh_cache).wait().unwrap().success());
    for t in TABLES {
        assert_eq!(read(&killed_results, t), read(&fresh_results, t), "{t} differs after resume");
    }
}
