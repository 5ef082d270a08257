//! Ground truth in a user's own file: a CSV with `mu0`/`mu1` columns gets
//! √PEHE in its tables (the README's example), a header-less file names its
//! columns (with `x1..x25` ranges), truth columns are never covariates, each
//! mistake is one located error at check, `$DATA_DIR` data that is absent is
//! skipped with a message, and a numpy archive with a test archive runs end to end.

use crate::npz_common;

use std::path::Path;
use std::process::Command;

fn causeway(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_causeway")).args(args).env_remove("CAUSEWAY_DATA_DIR").output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// 40 rows: x, t alternating, mu0 = x, mu1 = x + 1 + x (effect 1 + x), y = mu_t.
fn semi_synthetic(header: bool) -> String {
    let mut out = if header { "x,t,y,mu0,mu1\n".to_string() } else { String::new() };
    for i in 0..40 {
        let x = (i as f64 - 20.0) / 10.0;
        let t = i % 2;
        let (mu0, mu1) = (x, 2.0 * x + 1.0);
        let y = if t == 1 { mu1 } else { mu0 };
        out += &format!("{x},{t},{y},{mu0},{mu1}\n");
    }
    out
}

fn run(spec: &Path, dir: &Path) -> std::process::Output {
    let (results, cache) = (dir.join("results"), dir.join("cache"));
    causeway(&[
        "run",
        spec.to_str().unwrap(),
        "--results",
        results.to_str().unwrap(),
        "--cache",
        cache.to_str().unwrap(),
        "--progress",
        "plain",
        "--jobs",
        "1",
    ])
}

#[test]
fn a_csv_with_mu0_and_mu1_gets_pehe_in_its_tables() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("study.csv"), semi_synthetic(true)).unwrap();
    let spec = dir.path().join("study.yaml");
    std::fs::write(
        &spec,
        "name: my-study\nseed: 1\nreplications: 2\n\
         dataset:\n  file:\n    path: study.csv\n    treatment: t\n    outcome: y\n    truth: { mu0: mu0, mu1: mu1 }\n\
         estimators: [ols, ols_interact]\nmetrics: [ate, ate_error, pehe_in, pehe_out]\n",
    )
    .unwrap();
    let check = causeway(&["check", spec.to_str().unwrap()]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    // Without a list, the covariates are every column but the treatment, the outcome and the truth.
    let out = text(&check.stdout);
    assert!(out.contains("): x; ground truth: mu0 `mu0`, mu1 `mu1`"), "{out}");
    let done = run(&spec, dir.path());
    assert!(done.status.success(), "{}", text(&done.stderr));
    let report = std::fs::read_to_string(dir.path().join("results/my-study/report.md")).unwrap();
    assert!(report.contains("| estimator | true ate | ate | ate_error | pehe_in | pehe_out |"), "{report}");
    // OLS with interactions is exact on this linear surface: every error is (close to) 0.
    let row = report.lines().find(|l| l.starts_with("| ols_interact |")).unwrap();
    assert!(row.contains("| 0.000 | 0.000 | 0.000 |"), "{row}");
    let row = report.lines().find(|l| l.starts_with("| ols |")).unwrap();
    assert!(!row.contains("–"), "{row}");
}

#[test]
fn a_header_less_file_names_its_columns_and_a_counterfactual_is_truth() {
    let dir = tempfile::tempdir().unwrap();
    // Columns: t, y, y_cf, then x1..x2 (x2 the square of x1).
    let mut csv = String::new();
    for i in 0..30 {
        let x = i as f64 / 10.0;
        let t = i % 2;
        let (y0, y1) = (x, x + 2.0);
        let (y, ycf) = if t == 1 { (y1, y0) } else { (y0, y1) };
        csv += &format!("{t},{y},{ycf},{x},{}\n", x * x);
    }
    std::fs::write(dir.path().join("data_1.csv"), &csv).unwrap();
    std::fs::write(dir.path().join("data_2.csv"), &csv).unwrap();
    let spec = dir.path().join("cevae.yaml");
    std::fs::write(
        &spec,
        "name: cevae-like\nseed: 3\nreplications: 2\n\
         dataset:\n  file:\n    path: data_{replication}.csv\n    columns: [t, y, y_cf, x1..x2]\n    treatment: t\n    outcome: y\n\
         \x20   covariates: [x1..x2]\n    truth: { y_cf: y_cf }\n\
         split: { test: 0.0, validation: 0.0 }\nestimators: [ols]\nmetrics: [ate_error, pehe_in]\n",
    )
    .unwrap();
    let check = causeway(&["check", spec.to_str().unwrap()]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    let out = text(&check.stdout);
    assert!(out.contains("and 1 more, one per replication: 30 rows in the first"), "{out}");
    assert!(
        out.contains("covariates (as listed in dataset.file.covariates): x1, x2; ground truth: y_cf `y_cf`"),
        "{out}"
    );
    let done = run(&spec, dir.path());
    assert!(done.status.success(), "{}", text(&done.stderr));
    let report = std::fs::read_to_string(dir.path().join("results/cevae-like/report.md")).unwrap();
    let row = report.lines().find(|l| l.starts_with("| ols |")).unwrap();
    assert!(row.starts_with("| ols | 2.000 | 0.000 ± 0.000 | 0.000 ± 0.000 |"), "{row}");
}

/// `causeway check` on `yaml` beside `csv`; its stderr with the folder's path cut.
fn check_error(yaml: &str, csv: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.csv"), csv).unwrap();
    let spec = dir.path().join("e.yaml");
    std::fs::write(&spec, yaml).unwrap();
    let out = causeway(&["check", spec.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    text(&out.stderr).replace(&format!("{}/", dir.path().display()), "")
}

const HEAD: &str =
    "name: e\nseed: 1\nestimators: [ols]\ndataset:\n  file:\n    path: d.csv\n    treatment: t\n    outcome: y\n";

#[test]
fn mistakes_in_truth_and_columns_are_located_errors() {
    let csv = "t,y,mu0,mu1,x\n1,2,0,1,5\n0,1,0,1,6\n";
    let err = check_error(&format!("{HEAD}    covariates: [x, mu1]\n    truth: {{ mu0: mu0, mu1: mu1 }}\n"), csv);
    assert!(err.contains("e.yaml:9:21: invalid value: `mu1` is a truth column; it cannot be a covariate"), "{err}");
    assert!(err.contains("help: truth columns are never covariates"), "{err}");

    let err = check_error(&format!("{HEAD}    truth: {{ mu0: mu0 }}\n"), csv);
    assert!(err.contains("e.yaml:9:12: invalid value: `mu0` and `mu1` go together"), "{err}");

    let err = check_error(&format!("{HEAD}    truth: {{ mu0: y, mu1: mu1 }}\n"), csv);
    assert!(err.contains("column `y` already plays another role"), "{err}");

    let yaml = HEAD.replace("outcome: y", "outcome: outcme") + "    columns: [t, outcome, mu0, mu1, x]\n";
    let err = check_error(&yaml, "1,2,0,1,5\n");
    assert!(err.contains("e.yaml:8:14: invalid value: `outcme` is not one of the file's `columns`"), "{err}");
    assert!(err.contains("did you mean `outcome`?"), "{err}");

    let err = check_error(&format!("{HEAD}    columns: [t, y, x3..x1]\n"), "1,2,0,1,5\n");
    assert!(err.contains("e.yaml:9:21: invalid value: `x3..x1` is not a range of columns"), "{err}");

    let err = check_error(&format!("{HEAD}    columns: [t, y, x1..x2]\n"), "1,2,0,1,5\n");
    assert!(err.contains("d.csv: line 1: `columns` names 4 columns but the line has 5 fields"), "{err}");

    // A missing or non-numeric truth cell, found when `check` reads the file.
    let truth = format!("{HEAD}    truth: {{ mu0: mu0, mu1: mu1 }}\n");
    let err = check_error(&truth, "t,y,mu0,mu1,x\n1,2,0,1,5\n0,1,0,,6\n");
    assert!(err.contains("d.csv: line 3, column 'mu1': the true value is missing"), "{err}");
    let err = check_error(&truth, "t,y,mu0,mu1,x\n1,2,0,abc,5\n");
    assert!(err.contains("d.csv: line 2, column 'mu1': 'abc' is not a number"), "{err}");
    let err = check_error(&format!("{HEAD}    truth: {{ mu0: mu_0, mu1: mu1 }}\n"), csv);
    assert!(err.contains("no column named 'mu_0' (did you mean `mu0`?)"), "{err}");

    // Error metrics on a file without truth say how to add it.
    let err = check_error(&format!("{HEAD}metrics: [pehe_in]\n"), csv);
    assert!(err.contains("or name its truth columns under `dataset.file.truth`"), "{err}");
}

#[test]
fn data_under_an_absent_data_folder_is_skipped_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("canon.yaml");
    std::fs::write(
        &spec,
        "name: canon\nseed: 1\nestimators: [ols]\ndataset:\n  file:\n    path: $DATA_DIR/ihdp_npci_{replication}.csv\n    treatment: t\n    outcome: y\n",
    )
    .unwrap();
    let out = causeway(&["check", spec.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(
            "is read from the data folder, and none is given: pass `--data-dir DIR` or set CAUSEWAY_DATA_DIR"
        )
    );
    let out = causeway(&["check", spec.to_str().unwrap(), "--data-dir", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("ihdp_npci_1.csv does not exist"), "{}", text(&out.stderr));
}

#[test]
fn a_numpy_archive_with_a_test_archive_runs_end_to_end() {
    use npz_common::{npy_f64, npz};
    let dir = tempfile::tempdir().unwrap();
    // 60 training and 20 test rows, 2 replications, one covariate; mu1 - mu0 = 1 + x.
    let archive = |n: usize, offset: usize| {
        let (mut x, mut t, mut yf, mut mu0, mut mu1) = (vec![], vec![], vec![], vec![], vec![]);
        for i in 0..n {
            for k in 0..2 {
                let xi = ((i + offset) as f64 - 40.0) / 20.0 + k as f64;
                let ti = ((i + k) % 2) as f64;
                x.push(xi);
                t.push(ti);
                mu0.push(xi);
                mu1.push(2.0 * xi + 1.0);
                yf.push(if ti == 1.0 { 2.0 * xi + 1.0 } else { xi });
            }
        }
        npz(
            &[
                ("x", npy_f64(&[n, 1, 2], &x, false)),
                ("t", npy_f64(&[n, 2], &t, false)),
                ("yf", npy_f64(&[n, 2], &yf, false)),
                ("mu0", npy_f64(&[n, 2], &mu0, false)),
                ("mu1", npy_f64(&[n, 2], &mu1, false)),
            ],
            true,
        )
    };
    std::fs::write(dir.path().join("set.train.npz"), archive(60, 0)).unwrap();
    std::fs::write(dir.path().join("set.test.npz"), archive(20, 60)).unwrap();
    let spec = dir.path().join("npz.yaml");
    std::fs::write(
        &spec,
        "name: npz-set\nseed: 1\nreplications: 2\n\
         dataset:\n  npz: { path: set.train.npz, test: set.test.npz }\n\
         estimators: [ols_interact]\nmetrics: [ate_error_in, pehe_in, pehe_out]\n",
    )
    .unwrap();
    let check = causeway(&["check", spec.to_str().unwrap()]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    assert!(text(&check.stdout).contains(": 60 rows (+ 20 test rows) and 1 covariates (x1..x1) per replication, 2 replications in the archive; ground truth: noiseless potential outcomes (mu0, mu1)"), "{}", text(&check.stdout));
    let done = run(&spec, dir.path());
    assert!(done.status.success(), "{}", text(&done.stderr));
    let report = std::fs::read_to_string(dir.path().join("results/npz-set/report.md")).unwrap();
    let row = report.lines().find(|l| l.starts_with("| ols_interact |")).unwrap();
    assert!(
        row.contains("| 0.000 ± 0.000 | 0.000 ± 0.000 | 0.000 ± 0.000 |") || row.contains("| 0.000 | 0.000 | 0.000 |"),
        "{row}"
    );

    // More replications than the archive holds: one error at check.
    std::fs::write(&spec, std::fs::read_to_string(&spec).unwrap().replace("replications: 2", "replications: 3"))
        .unwrap();
    let check = causeway(&["check", spec.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(2));
    assert!(
        text(&check.stderr).contains("the experiment asks for 3 replications but the archive holds 2"),
        "{}",
        text(&check.stderr)
    );
}

/// The experiment files for the field's own sets (reproduce/canonical/) read
/// files of the layout they name: CEVAE's header-less CSVs (the OLS side check
/// runs on them), cfrnet's IHDP archives with mu0/mu1, and Jobs' with `e`.
/// Small stand-ins are written here; the real files are not ours to ship.
#[test]
fn the_canonical_experiment_files_read_their_layouts() {
    use npz_common::{npy_f64, npz};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    for k in 1..=10 {
        // treatment, y_factual, y_cfactual, mu0, mu1, x1..x25; effect 4 + x1.
        let mut csv = String::new();
        let mut state: u64 = 12345 + k as u64;
        let mut uniform = || {
            // A linear congruential generator: covariates in general position.
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        for i in 0..120 {
            let x: Vec<f64> = (0..25).map(|_| uniform()).collect();
            let t = (i + k) % 2;
            let (mu0, mu1) = (x[1], x[1] + 4.0 + x[0]);
            let (yf, ycf) = if t == 1 { (mu1, mu0) } else { (mu0, mu1) };
            let xs: Vec<String> = x.iter().map(f64::to_string).collect();
            csv += &format!("{t},{yf},{ycf},{mu0},{mu1},{}\n", xs.join(","));
        }
        std::fs::write(dir.path().join(format!("ihdp_npci_{k}.csv")), csv).unwrap();
    }
    // cfrnet's archives: (rows, covariates, replications) and (rows, replications).
    let archive = |n: usize, d: usize, reps: usize, jobs: bool| {
        let mut state: u64 = 99;
        let x: Vec<f64> = (0..n * d * reps)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (state >> 11) as f64 / (1u64 << 53) as f64
            })
            .collect();
        // Element v is row v / reps of replication v % reps.
        let t: Vec<f64> = (0..n * reps).map(|v| ((v / reps + v % reps) % 2) as f64).collect();
        let yf: Vec<f64> = (0..n * reps).map(|v| ((v / reps / 2 + v) % 2) as f64).collect();
        let mut members = vec![
            ("x", npy_f64(&[n, d, reps], &x, true)),
            ("t", npy_f64(&[n, reps], &t, true)),
            ("yf", npy_f64(&[n, reps], &yf, false)),
        ];
        if jobs {
            members.push(("e", npy_f64(&[n, reps], &vec![1.0; n * reps], false)));
        } else {
            members.push(("mu0", npy_f64(&[n, reps], &yf, false)));
            members.push(("mu1", npy_f64(&[n, reps], &t, false)));
        }
        npz(&members, true)
    };
    std::fs::write(dir.path().join("ihdp_npci_1-100.train.npz"), archive(30, 25, 100, false)).unwrap();
    std::fs::write(dir.path().join("ihdp_npci_1-100.test.npz"), archive(6, 25, 100, false)).unwrap();
    std::fs::write(dir.path().join("jobs_DW_bin.train.npz"), archive(30, 17, 10, true)).unwrap();
    std::fs::write(dir.path().join("jobs_DW_bin.test.npz"), archive(6, 17, 10, true)).unwrap();

    let check = causeway(&["check", "reproduce/canonical", "--data-dir", data]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    let out = text(&check.stdout);
    for name in ["ihdp-npci-ols", "ihdp-npci-shalit", "ihdp-npci-shi", "ihdp-npz-shalit", "jobs-shalit"] {
        assert!(out.contains(&format!("({name}: ")), "{name} in\n{out}");
    }
    assert!(out.contains("ground truth: the experimental subset (e)"), "{out}");
    // Jobs' archives cannot score √PEHE: refused once, at check.
    let spec = dir.path().join("jobs-pehe.yaml");
    let text_of = std::fs::read_to_string("reproduce/canonical/jobs-shalit.yaml").unwrap();
    std::fs::write(&spec, text_of.replace("metrics: [att_error, policy_risk]", "metrics: [att_error, pehe_in]"))
        .unwrap();
    let check = causeway(&["check", spec.to_str().unwrap(), "--data-dir", data]);
    assert_eq!(check.status.code(), Some(2));
    let err = text(&check.stderr);
    assert!(
        err.contains(
            "metric `pehe_in` cannot be scored on this archive, whose ground truth is the experimental subset (e)"
        ),
        "{err}"
    );
    // Jobs' metrics, end to end (the networks left out for time): a number in every cell.
    let estimators = text_of.find("estimators:").unwrap()..text_of.find("metrics:").unwrap();
    let mut classical = text_of.clone();
    classical.replace_range(estimators, "estimators: [ols, naive]\n");
    std::fs::write(&spec, classical.replace("name: jobs-shalit", "name: jobs-classical")).unwrap();
    let (results, cache) = (dir.path().join("results"), dir.path().join("cache"));
    let (results, cache) = (results.to_str().unwrap(), cache.to_str().unwrap());
    let run = causeway(&["run", spec.to_str().unwrap(), "--data-dir", data, "--results", results, "--cache", cache]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let report = std::fs::read_to_string(dir.path().join("results/jobs-classical/report.md")).unwrap();
    assert!(report.contains("| estimator | att_error | policy_risk |"), "{report}");
    let row = report.lines().find(|l| l.starts_with("| ols |")).unwrap();
    assert!(!row.contains('–'), "{row}");
    // Reports name the files as written, not this machine's folder.
    let run = causeway(&[
        "run",
        "reproduce/canonical/ihdp-npci-ols.yaml",
        "--data-dir",
        data,
        "--results",
        results,
        "--cache",
        cache,
        "--progress",
        "plain",
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let report = std::fs::read_to_string(dir.path().join("results/ihdp-npci-ols/report.md")).unwrap();
    assert!(report.contains("data files $DATA_DIR/ihdp_npci_1.csv and 9 more"), "{report}");
    assert!(!report.contains(data), "{report}");
    let row = report.lines().find(|l| l.starts_with("| ols_interact |")).unwrap();
    assert!(row.contains("| 0.000 ± 0.000 | 0.000 ± 0.000 |"), "{row}");
}
