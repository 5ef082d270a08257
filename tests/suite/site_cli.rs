//! The results site from the command line: `causeway run` writes a page per
//! experiment and the index, `causeway collect` and `causeway report` write the
//! same bytes from the store, running one experiment keeps the others on the
//! index, and `causeway identify --format dot` prints the graph for Graphviz.

use std::path::Path;
use std::process::{Command, Output};

const FRONTDOOR: &str = "experiments/medical/smoking-frontdoor.yaml";
const LINEAR: &str = "experiments/basics/linear-confounder.yaml";

fn causeway(args: &[&str], results: &Path, cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_causeway"))
        .args(args)
        .arg("--results")
        .arg(results)
        .arg("--cache")
        .arg(cache)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn run_collect_and_report_write_the_same_site() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two, cache) = (dir.path().join("one"), dir.path().join("two"), dir.path().join("cache"));
    ok(&causeway(&["run", FRONTDOOR, "--progress", "quiet"], &one, &cache));
    let page = read(&one.join("medical-smoking-frontdoor/index.html"));
    assert!(page.contains("<title>Causal graph of medical-smoking-frontdoor</title>"));
    assert!(!page.contains(dir.path().to_str().unwrap()), "an absolute path in the page");
    // collect writes the page and the index from the store alone, byte for byte.
    ok(&causeway(&["collect", FRONTDOOR], &two, &cache));
    for file in ["index.html", "medical-smoking-frontdoor/index.html", "medical-smoking-frontdoor/site.json"] {
        assert_eq!(read(&one.join(file)), read(&two.join(file)), "{file}");
    }
    // report rebuilds the index alone, and with a file rewrites its folder.
    let index = read(&one.join("index.html"));
    std::fs::remove_file(one.join("index.html")).unwrap();
    std::fs::remove_file(one.join("medical-smoking-frontdoor/index.html")).unwrap();
    ok(&causeway(&["report"], &one, &cache));
    assert_eq!(read(&one.join("index.html")), index);
    ok(&causeway(&["report", FRONTDOOR], &one, &cache));
    assert_eq!(read(&one.join("medical-smoking-frontdoor/index.html")), page);
}

#[test]
fn running_one_experiment_keeps_the_others_on_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let (results, cache) = (dir.path().join("results"), dir.path().join("cache"));
    ok(&causeway(&["run", FRONTDOOR, "--progress", "quiet"], &results, &cache));
    // A folder written before the site existed: tables but no entry.
    std::fs::create_dir_all(results.join("older")).unwrap();
    std::fs::write(results.join("older/summary.csv"), "estimator\n").unwrap();
    ok(&causeway(&["run", LINEAR, "--progress", "quiet"], &results, &cache));
    let index = read(&results.join("index.html"));
    for link in ["href=\"medical-smoking-frontdoor/index.html\"", "href=\"linear-confounder/index.html\""] {
        assert!(index.contains(link), "{link} missing from the index");
    }
    assert!(index.contains("Results folders without a page") && index.contains("<code>older</code>"));
}

#[test]
fn identify_prints_the_graph_as_dot() {
    let out = Command::new(env!("CARGO_BIN_EXE_causeway"))
        .args(["identify", "--format", "dot", FRONTDOOR, "experiments/papers/nhefs.yaml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    ok(&out);
    insta::assert_snapshot!("identify_dot", String::from_utf8(out.stdout).unwrap());
}
