//! Sequence covariates from a long-format CSV attached to a data-file
//! experiment: `check` reads and validates the file (a unit the unit table does
//! not have, a gap without a declared padding: one error each, with the file
//! and line), and a run gives an estimator the steps (`adjust: [hr]`) or a
//! declared summary (`adjust: [mean(hr)]`), which the report names.

use std::fmt::Write as _;
use std::process::Command;

use causeway::run::RunRng;
use rand::{Rng, SeedableRng};

fn causeway(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_causeway")).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const UNITS: usize = 400;
const DAYS: usize = 6;

/// A unit table (id, d, y, mu0, mu1, age) and a long file (id, day, hr) with
/// the days of all units interleaved: hr = a + b (day - 3.5) + noise; the
/// treatment follows the trend b, and so does the outcome (y = 2 d + 3 b).
fn files() -> (String, String) {
    let mut rng = RunRng::seed_from_u64(5);
    let mut normal = || -> f64 { (0..12).map(|_| rng.random::<f64>()).sum::<f64>() - 6.0 };
    let (mut table, mut long) = (String::from("id,d,y,mu0,mu1,age\n"), String::from("id,day,hr\n"));
    let mut hr = vec![vec![0.0; DAYS]; UNITS];
    for (u, row) in hr.iter_mut().enumerate() {
        let (a, b) = (3.0 * normal(), normal());
        for (k, v) in row.iter_mut().enumerate() {
            *v = 80.0 + a + b * (k as f64 - 2.5) + 0.3 * normal();
        }
        let d = u8::from(normal() + 2.0 * b > 0.0);
        let mu0 = 3.0 * b;
        let y = mu0 + 2.0 * f64::from(d) + 0.5 * normal();
        writeln!(table, "u{u},{d},{y:.6},{mu0:.6},{:.6},{:.1}", mu0 + 2.0, 40.0 + normal()).unwrap();
    }
    for k in 0..DAYS {
        for (u, row) in hr.iter().enumerate() {
            writeln!(long, "u{u},{},{:.6}", k + 1, row[k]).unwrap();
        }
    }
    (table, long)
}

fn spec(extra: &str) -> String {
    format!(
        "name: vitals-from-files
seed: 3
dataset:
  file:
    path: units.csv
    treatment: d
    outcome: y
    unit: id
    truth: {{ mu0: mu0, mu1: mu1 }}
    sequences: {{ path: vitals.csv, unit: id, step: day, columns: [hr], length: {DAYS}{extra} }}
split: {{ test: 0.1 }}
estimators:
  - naive
  - ols:
    label: ols-steps
    adjust: [hr]
  - ols:
    label: ols-mean
    adjust: [mean(hr)]
metrics: [ate, ate_error]
"
    )
}

#[test]
fn a_long_file_gives_steps_or_a_declared_summary() {
    let dir = tempfile::tempdir().unwrap();
    let (table, long) = files();
    std::fs::write(dir.path().join("units.csv"), table).unwrap();
    std::fs::write(dir.path().join("vitals.csv"), long).unwrap();
    let path = dir.path().join("vitals.yaml");
    std::fs::write(&path, spec("")).unwrap();
    let check = causeway(&["check", path.to_str().unwrap()]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    let (results, cache) = (dir.path().join("results"), dir.path().join("cache"));
    let run = causeway(&[
        "run",
        path.to_str().unwrap(),
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
    let report = std::fs::read_to_string(results.join("vitals-from-files/report.md")).unwrap();
    assert!(
        report.contains("`mean(hr)` is a declared summary of the sequence `hr` (the mean over the steps)"),
        "{report}"
    );
    let summary = std::fs::read_to_string(results.join("vitals-from-files/summary.csv")).unwrap();
    let error = |label: &str| -> f64 {
        let header: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
        let col = header.iter().position(|h| *h == "ate_error_mean").unwrap();
        let est = header.iter().position(|h| *h == "estimator").unwrap();
        let line = summary.lines().find(|l| l.split(',').nth(est) == Some(label)).unwrap();
        line.split(',').nth(col).unwrap().parse().unwrap()
    };
    // The trend confounds: every step recovers the effect, the mean cannot.
    assert!(error("ols-steps") < 0.3, "{summary}");
    assert!(error("ols-mean") > 1.0 && error("naive") > 1.0, "{summary}");
}

#[test]
fn bad_long_files_are_refused_at_check() {
    let dir = tempfile::tempdir().unwrap();
    let (table, long) = files();
    std::fs::write(dir.path().join("units.csv"), &table).unwrap();
    let path = dir.path().join("vitals.yaml");
    let check = |long: &str, extra: &str| {
        std::fs::write(dir.path().join("vitals.csv"), long).unwrap();
        std::fs::write(&path, spec(extra)).unwrap();
        let out = causeway(&["check", path.to_str().unwrap()]);
        assert!(!out.status.success());
        text(&out.stderr)
    };
    // A unit the table does not have, on its line.
    let stranger = long.replacen("u0,1,", "w0,1,", 1);
    let e = check(&stranger, "");
    assert!(e.contains("vitals.csv: line 2: unit `w0` is not in the unit table's `id` column"), "{e}");
    // A gap: refused unless padded; padded and masked, it checks.
    let gap: String = long.lines().filter(|l| !l.starts_with("u7,3,")).map(|l| format!("{l}\n")).collect();
    let e = check(&gap, "");
    assert!(e.contains("unit `u7` lacks step 3 of 6 (ragged lengths or gaps); declare `pad:`"), "{e}");
    std::fs::write(dir.path().join("vitals.csv"), &gap).unwrap();
    std::fs::write(&path, spec(", pad: 0, mask: seen")).unwrap();
    let out = causeway(&["check", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A mask without padding, and sequences without the unit column, in the YAML.
    let e = check(&long, ", mask: seen");
    assert!(e.contains("vitals.yaml:") && e.contains("a mask marks padded steps"), "{e}");
    std::fs::write(&path, spec("").replace("    unit: id\n", "")).unwrap();
    let e = text(&causeway(&["check", path.to_str().unwrap()]).stderr);
    assert!(e.contains("the unit table names no id column"), "{e}");
}
