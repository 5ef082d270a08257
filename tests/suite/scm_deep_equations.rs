//! Deep and long equations through the command line (issue 16, item 6): nesting
//! past `MAX_NESTING` is refused by `check`, `plan` and `run` with a located
//! error, before any worker starts, instead of overflowing the stack; a flat
//! sum of 100,000 terms checks, plans and runs, with the right numbers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use causeway::run::RunRng;
use causeway::scm::{Equation, MAX_NESTING, Missingness, Model};
use rand::SeedableRng;

fn causeway(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_causeway")).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// An experiment whose outcome equation is `y` (written on line 9, its
/// opening quote at column 10).
fn spec(dir: &Path, name: &str, y: &str, n: usize) -> PathBuf {
    let path = dir.join(format!("{name}.yaml"));
    let text = format!(
        "name: {name}\nseed: 1\ndataset:\n  simulate:\n    n: {n}\n    equations:\n      x: normal(0, 1)\n      t: bernoulli(0.5)\n      y: \"{y}\"\n    treatment: t\n    outcome: y\nestimators: [ols]\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn nest(open: &str, close: &str, levels: usize) -> String {
    format!("{}x{} + t", open.repeat(levels), close.repeat(levels))
}

#[test]
fn deep_nesting_is_a_located_error_at_check_plan_and_run() {
    let dir = tempfile::tempdir().unwrap();
    // (shape, open, close, offset of the level past the limit)
    let shapes =
        [("parens", "(", ")", MAX_NESTING), ("abs", "abs(", ")", 4 * MAX_NESTING), ("minus", "-", "", MAX_NESTING)];
    let mut files = Vec::new();
    let mut expected = Vec::new();
    for (shape, open, close, offset) in shapes {
        for levels in [5_000, 7_000, 10_000] {
            let file = spec(dir.path(), &format!("{shape}-{levels}"), &nest(open, close, levels), 20);
            let file = file.to_str().unwrap().to_string();
            expected.push(format!(
                "error: {file}:9:{}: invalid value: in the equation of `y`: expression nested too deeply (more than \
                 {MAX_NESTING} levels of parentheses, calls, unary minus or `^`); split it into intermediate equations\n",
                10 + 1 + offset
            ));
            files.push(file);
        }
    }
    let (results, cache) = (dir.path().join("results"), dir.path().join("cache"));
    let (results_arg, cache_arg) = (results.to_str().unwrap(), cache.to_str().unwrap());
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    for command in [&["check"][..], &["plan"], &["run", "--results", results_arg, "--cache", cache_arg]] {
        let out = causeway(&[command, &files].concat());
        let err = stderr(&out);
        assert!(!err.contains("overflowed"), "{command:?}: {err}");
        assert_eq!(out.status.code(), Some(2), "{command:?}: {err}");
        // Every file's error, in order, and nothing else.
        assert_eq!(err, expected.concat(), "{command:?}");
    }
    // `run` refused them all before planning: nothing was computed or written.
    assert!(!results.exists() && !cache.exists(), "run went past check");
}

/// `1e-5*t + 1e-5*t + ...`: 100,000 terms, one flat chain.
fn long_sum(term: &str) -> String {
    vec![term; 100_000].join("+")
}

#[test]
fn a_sum_of_100000_terms_checks_plans_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    // y = S t + x with S = 1e-5 added 100,000 times (1 up to rounding): OLS
    // on t and x recovers S exactly, and so does the simulated truth.
    let file = spec(dir.path(), "long-sum", &format!("{} + x", long_sum("1e-5*t")), 40);
    let file = file.to_str().unwrap();
    let out = causeway(&["check", file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = causeway(&["plan", file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (results, cache) = (dir.path().join("results"), dir.path().join("cache"));
    let out = causeway(&[
        "run",
        file,
        "--results",
        results.to_str().unwrap(),
        "--cache",
        cache.to_str().unwrap(),
        "--jobs",
        "1",
        "--progress",
        "quiet",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = std::fs::read_to_string(results.join("long-sum").join("summary.csv")).unwrap();
    let mut lines = summary.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let value = |name: &str| -> f64 { row[header.iter().position(|h| *h == name).unwrap()].parse().unwrap() };
    assert!((value("ate_mean") - 1.0).abs() < 1e-9, "{summary}");
    assert!(value("ate_error_mean") < 1e-9, "{summary}");
}

/// The same sum through the library: every row of y is x to rounding.
#[test]
fn a_sum_of_100000_terms_simulates_the_right_column() {
    let equations = [
        Equation::new("x", "normal(0, 1)"),
        Equation::new("t", "bernoulli(0.5)"),
        Equation::new("y", long_sum("0.00001*x")),
    ];
    let model = Model::compile(&equations, &BTreeMap::new()).unwrap();
    let sim = model.simulate(3_000, "t", "y", &Missingness::None, &mut RunRng::seed_from_u64(7)).unwrap();
    let (x, y) = (sim.column("x").unwrap(), sim.column("y").unwrap());
    assert!(x.iter().zip(y).all(|(x, y)| (x - y).abs() <= 1e-9 * (1.0 + x.abs())));
}
