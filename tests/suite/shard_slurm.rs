//! `causeway slurm` without a cluster: the written scripts run under bash the
//! way Slurm runs them (one process per array task, `SLURM_ARRAY_TASK_ID` set)
//! and collect to the single-machine tables; `--submit` chains the two jobs
//! through `sbatch`, here a stand-in that records its arguments. The real
//! cluster test is `make cluster-test` (scripts/cluster-test.sh).

use std::path::Path;
use std::process::{Command, Output};

const EXPERIMENT: &str = "tests/experiments/small.yaml";
const TABLES: [&str; 8] =
    ["runs.csv", "summary.csv", "report.md", "table.tex", "manifest.yaml", "plot.svg", "index.html", "site.json"];

fn causeway(args: &[&str], dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_causeway"));
    c.args(args)
        .arg("--cache")
        .arg(dir.join("store"))
        .arg("--results")
        .arg(dir.join("results"))
        .arg("--output")
        .arg(dir.join("slurm"));
    c
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn the_written_scripts_compute_the_single_machine_tables() {
    let dir = tempfile::tempdir().unwrap();
    let out = causeway(&["slurm", EXPERIMENT, "--array", "3", "--cpus", "1"], dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("(3 tasks, 10 runs each)"), "{}", stderr(&out));
    let slurm = dir.path().join("slurm");
    assert!(slurm.join("logs").is_dir(), "Slurm does not create the log folder");
    for task in ["1", "2", "3"] {
        let out = Command::new("bash")
            .arg(slurm.join("array.sbatch"))
            .env("SLURM_ARRAY_TASK_ID", task)
            .env("SLURM_CPUS_PER_TASK", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "task {task}: {}", stderr(&out));
        assert!(stderr(&out).contains(&format!("shard {task}/3: 10 runs, 10 computed")), "{}", stderr(&out));
    }
    let out = Command::new("bash").arg(slurm.join("collect.sbatch")).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let reference = dir.path().join("reference");
    let status = Command::new(env!("CARGO_BIN_EXE_causeway"))
        .args(["run", EXPERIMENT, "--jobs", "1", "--progress", "quiet", "--results"])
        .arg(&reference)
        .arg("--cache")
        .arg(dir.path().join("reference-store"))
        .status()
        .unwrap();
    assert!(status.success());
    for t in TABLES {
        let read = |root: &Path| std::fs::read_to_string(root.join("small").join(t)).unwrap();
        assert_eq!(read(&dir.path().join("results")), read(&reference), "{t}");
    }
}

/// A stand-in `sbatch` that appends its arguments to `calls` and prints job ids
/// as `sbatch --parsable` does ("<id>;<cluster>" on a multi-cluster setup).
fn fake_sbatch(bin: &Path) {
    std::fs::create_dir_all(bin).unwrap();
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> '{calls}'\nn=$(wc -l < '{calls}')\necho \"$((4240 + n));cluster\"\n",
        calls = bin.join("calls").display()
    );
    let path = bin.join("sbatch");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn submit_chains_the_collect_job_after_the_array() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    fake_sbatch(&bin);
    // The stand-in comes first on PATH, before any real sbatch; the rest is for `wc`.
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out =
        causeway(&["slurm", EXPERIMENT, "--array", "2", "--submit"], dir.path()).env("PATH", path).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "4241 4242\n");
    let calls = std::fs::read_to_string(bin.join("calls")).unwrap();
    let slurm = dir.path().join("slurm");
    let expected = format!(
        "--parsable {}\n--parsable --dependency=afterany:4241 {}\n",
        slurm.join("array.sbatch").display(),
        slurm.join("collect.sbatch").display()
    );
    assert_eq!(calls, expected);
}

#[test]
fn submit_without_sbatch_says_how_to_submit_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out =
        causeway(&["slurm", EXPERIMENT, "--array", "2", "--submit"], dir.path()).env("PATH", &empty).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out).replace(&dir.path().display().to_string(), "[tmp]");
    insta::assert_snapshot!("slurm_without_sbatch", text);
    // The scripts are written all the same.
    assert!(dir.path().join("slurm").join("array.sbatch").exists());
}

#[test]
fn bad_slurm_options_are_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = causeway(&["slurm", EXPERIMENT, "--array", "2", "--time", "two hours"], dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("time \"two hours\" is not a Slurm time limit"), "{}", stderr(&out));
    assert!(!dir.path().join("slurm").exists());
}
