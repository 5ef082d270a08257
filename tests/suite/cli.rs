//! The command line as a user meets it: help, exit statuses and messages for bad
//! input, and machine-readable identification.

use std::process::{Command, Output};

fn causeway(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_causeway")).args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn help_lists_the_subcommands() {
    let out = causeway(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for cmd in ["run", "check", "plan", "identify", "collect", "slurm"] {
        assert!(help.contains(&format!("  {cmd} ")), "missing `{cmd}` in\n{help}");
    }
}

#[test]
fn a_missing_path_is_a_clear_error() {
    let out = causeway(&["run", "no/such/experiment.yaml", "--progress", "quiet"]);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("cli_missing_path", stderr(&out));
}

#[test]
fn a_bad_spec_is_reported_with_its_location() {
    let out = causeway(&["check", "tests/specs/bad/unknown_top_key.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: tests/specs/bad/unknown_top_key.yaml:3:1: unknown key `replicatons`\n  help: did you mean `replications`?\n"
    );
}

#[test]
fn check_accepts_every_shipped_experiment() {
    let out = causeway(&["check", "experiments"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn identify_prints_json_for_machines() {
    let out = causeway(&["identify", "tests/experiments/small.yaml", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["experiment"], "small");
    assert!(v[0]["identification"].is_object());
}

#[test]
fn a_bad_shard_is_a_clear_error() {
    for (spec, expected) in [("0/4", "did you mean 1/4?"), ("5/4", "use 1/4 to 4/4"), ("a/b", "expected I/N")] {
        let out = causeway(&["run", "tests/experiments/small.yaml", "--shard", spec]);
        assert_eq!(out.status.code(), Some(2), "{spec}");
        assert!(stderr(&out).contains(expected), "{spec}: {}", stderr(&out));
    }
    insta::assert_snapshot!(
        "cli_bad_shard",
        stderr(&causeway(&["run", "tests/experiments/small.yaml", "--shard", "0/4"]))
    );
}

#[test]
fn a_reader_that_stops_early_ends_the_plan_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    // 1000 runs: more than a pipe holds, so causeway is still writing when we stop reading.
    let mut child = Command::new(env!("CARGO_BIN_EXE_causeway"))
        .args(["plan", "reproduce/papers"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with("ihdp-s"), "{first}");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// `check` reads a file dataset once, so a file every run would fail on is
/// refused before anything runs.
#[test]
fn check_refuses_a_data_file_with_a_duplicated_header() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("dup.yaml");
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data/duplicate_header.csv");
    std::fs::write(&spec, format!("name: dup\nseed: 1\nreplications: 1\ndataset:\n  file: {{ path: {}, treatment: t, outcome: y }}\nestimators: [ols]\n", data.display())).unwrap();
    let out = causeway(&["check", spec.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("duplicate_header.csv: line 1: column 't' appears twice (columns 1 and 4)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn verify_with_nothing_stored_is_an_error_not_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("empty-store");
    let out = causeway(&["verify", "tests/experiments/small.yaml", "--cache", cache.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing was verified"), "{}", stderr(&out));
}

/// `--root` says where builtin datasets live, so only the commands that read
/// experiments take it; `schema`, `estimators` and `doctor` refuse it.
#[test]
fn root_belongs_to_the_commands_that_read_experiments() {
    for cmd in ["run", "collect", "slurm", "check", "plan", "verify", "identify"] {
        let help = String::from_utf8_lossy(&causeway(&[cmd, "--help"]).stdout).into_owned();
        assert!(help.contains("--root <ROOT>"), "`{cmd} --help` lacks --root:\n{help}");
    }
    for cmd in ["schema", "estimators", "doctor"] {
        let help = String::from_utf8_lossy(&causeway(&[cmd, "--help"]).stdout).into_owned();
        assert!(!help.contains("--root"), "`{cmd} --help` offers --root:\n{help}");
    }
    let out = causeway(&["schema", "--root", "."]);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("cli_schema_refuses_root", stderr(&out));
    let out = causeway(&["check", "--root", ".", "tests/experiments/small.yaml"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn every_option_has_help_text() {
    for cmd in ["run", "collect", "verify", "identify", "slurm", "plan", "check", "doctor"] {
        let out = causeway(&[cmd, "--help"]);
        let help = String::from_utf8_lossy(&out.stdout).into_owned();
        // An option or argument line: its flag and value name, then the description,
        // then clap's `[default: ...]`; the description must not be empty.
        let entries =
            help.lines().filter(|l| l.starts_with("  ") && !l.starts_with("    ") || l.trim_start().starts_with("--"));
        for line in entries {
            let words: Vec<&str> = line
                .split_whitespace()
                .filter(|w| !w.starts_with('-') && !w.starts_with('<') && !w.ends_with(','))
                .collect();
            let described = words.iter().take_while(|w| !w.starts_with('[')).count() > 0;
            assert!(described, "`{cmd} --help` has an undocumented entry: {line}");
        }
    }
}

#[test]
fn a_users_file_shows_its_covariates_and_bad_rows_fail_at_check() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let good = write("d.csv", "id,x,t,y\n1,0.5,1,2.0\n2,0.1,0,1.0\n3,0.3,1,2.5\n4,0.9,0,0.4\n");
    let bad = write("bad.csv", "id,x,t,y\n1,0.5,2,2.0\n2,0.1,0,1.0\n");
    let spec = |data: &std::path::Path| {
        format!(
            "name: fx\nseed: 1\ndataset:\n  file: {{ path: {}, treatment: t, outcome: y }}\nestimators: [naive, ols]\n",
            data.display()
        )
    };
    let ok = write("ok.yaml", &spec(&good));
    let out = causeway(&["check", ok.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).replace(&dir.path().display().to_string(), "<dir>");
    // The id column is used as a covariate: the user must be able to see that.
    insta::assert_snapshot!("cli_file_covariates", text);
    let shown = causeway(&["identify", ok.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&shown.stdout).contains("covariates (every column but the treatment and the outcome")
    );
    // A treatment of 2 is one error at check, not a failure in every run.
    let out = causeway(&["check", write("bad.yaml", &spec(&bad)).to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("line 2, column 't': the treatment must be 0 or 1, found '2'"), "{}", stderr(&out));
}

#[test]
fn paths_are_relative_to_the_experiment_file_from_any_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("study");
    std::fs::create_dir_all(project.join("data")).unwrap();
    std::fs::write(project.join("data/d.csv"), "x,t,y\n0.5,1,2.0\n0.1,0,1.0\n0.3,1,2.5\n0.9,0,0.4\n").unwrap();
    std::fs::write(
        project.join("base.yaml"),
        "seed: 1\ndataset:\n  file: { path: data/d.csv, treatment: t, outcome: y }\nestimators: [naive]\n",
    )
    .unwrap();
    std::fs::write(project.join("exp.yaml"), "extends: base.yaml\nname: rel\n").unwrap();
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let exe = env!("CARGO_BIN_EXE_causeway");
    let keys = |cwd: &std::path::Path, spec: &std::path::Path| {
        let out = Command::new(exe).arg("plan").arg(spec).current_dir(cwd).output().unwrap();
        assert!(out.status.success(), "from {}: {}", cwd.display(), stderr(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // The same runs and keys whether the sweep is started beside the file or elsewhere.
    assert_eq!(keys(&project, std::path::Path::new("exp.yaml")), keys(&elsewhere, &project.join("exp.yaml")));
    // A builtin dataset outside the repository says where it looks and what to pass.
    std::fs::write(
        elsewhere.join("ihdp.yaml"),
        "name: b\nseed: 1\ndataset: { builtin: { name: ihdp } }\nestimators: [ols]\n",
    )
    .unwrap();
    let out = Command::new(exe).args(["check", "ihdp.yaml"]).current_dir(&elsewhere).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("pass `--root`"), "{}", stderr(&out));
}
