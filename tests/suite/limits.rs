//! Size limits as a user meets them (issue 16, items 4 and 5): a plan of too
//! many runs and a dataset of too many rows are refused at `check` with their
//! location and count, a legitimately large plan is checked and sharded in
//! bounded memory, and a run the machine has no memory for fails with a
//! message instead of aborting the process.
//!
//! The memory bound is an address-space limit (`ulimit -v`) on the process:
//! before plans were generated, checking ten million runs took more than 9 GB.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

/// Address space given to a process that must stay bounded: 2 GB.
const BOUND_KB: u32 = 2_000_000;

/// `causeway ARGS` under the address-space bound.
fn bounded(args: &[&str]) -> Command {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -v {BOUND_KB} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_causeway"))
        .args(args);
    command
}

fn run(args: &[&str]) -> Output {
    bounded(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const TEN_MILLION: &str = "tests/specs/limits/ten_million_runs.yaml";

#[test]
fn a_plan_over_the_run_limit_is_refused_at_check_with_its_count() {
    let out = run(&["check", TEN_MILLION]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    insta::assert_snapshot!("limits_ten_million_runs", stderr(&out));
    // Every command that reads the file refuses it the same way.
    for command in ["plan", "run"] {
        let again = run(&[command, TEN_MILLION]);
        assert_eq!((again.status.code(), stderr(&again)), (Some(2), stderr(&out)), "{command}");
    }
    let sweep = run(&["check", "tests/specs/limits/wide_sweep.yaml"]);
    assert_eq!(sweep.status.code(), Some(2));
    insta::assert_snapshot!("limits_wide_sweep", stderr(&sweep));
}

#[test]
fn a_raised_limit_checks_and_plans_ten_million_runs_in_bounded_memory() {
    let out = run(&["--max-runs", "10000000", "check", TEN_MILLION]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("ok: {TEN_MILLION} (ten-million-runs: 10000000 runs)\n"));

    // One shard of a thousand: its runs, with the header saying which.
    let out = run(&["--max-runs", "10000000", "plan", TEN_MILLION, "--shard", "7/1000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("ten-million-runs (10000 of 10000000 runs, shard 7/1000)"));
    assert_eq!(lines.filter(|l| l.contains("  seed ")).count(), 10_000);

    // The whole plan is written as it is expanded: its first runs come at once.
    let mut child = bounded(&["--max-runs", "10000000", "plan", TEN_MILLION])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = Vec::new();
    for _ in 0..3 {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        first.push(line);
    }
    drop(reader);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(first[0], "ten-million-runs (10000000 runs)\n");
    assert!(first[1].starts_with("  r0/naive ") && first[2].starts_with("  r0/ols "), "{first:?}");
}

#[test]
fn rows_past_the_maximum_are_refused_at_check_with_their_location() {
    let out = run(&["check", "tests/specs/limits/billion_rows.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("limits_billion_rows", stderr(&out));
    let out = run(&["check", "tests/specs/limits/swept_rows.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("limits_swept_rows", stderr(&out));
}

#[test]
fn rows_under_the_maximum_but_past_the_memory_bound_are_refused_at_check() {
    let file = "tests/specs/limits/rows_past_memory.yaml";
    let out = run(&["check", file]);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("limits_rows_past_memory", stderr(&out));
    // The bound is the user's to raise (check allocates nothing for the rows).
    let out = run(&["--max-run-memory", "23G", "check", file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["--max-run-memory", "lots", "check", file]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`lots` is not a size"), "{}", stderr(&out));
}

#[test]
fn a_run_without_the_memory_it_needs_fails_with_a_message_instead_of_aborting() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, results) = (dir.path().join("cache"), dir.path().join("results"));
    let file = "tests/specs/limits/rows_past_this_machine.yaml";
    assert!(run(&["check", file]).status.success());
    let out = run(&[
        "run",
        file,
        "--jobs",
        "1",
        "--progress",
        "quiet",
        "--cache",
        cache.to_str().unwrap(),
        "--results",
        results.to_str().unwrap(),
    ]);
    // Status 1: a failed run, recorded with its reason (an abort is killed by SIGABRT).
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let runs = std::fs::read_to_string(results.join("rows-past-this-machine/runs.csv")).unwrap();
    assert!(
        runs.contains("cannot allocate the 4.5 GiB this run needs (20000000 rows x 5 columns x 8 bytes x 6 copies)"),
        "{runs}"
    );
}

/// The pack memory bound (`--pack-memory`, issue 25): LaLonde-sized CFR-Wasserstein
/// whose twelve replications, packed together, do not fit in the address-space
/// bound, while the same runs under a pack budget do, every one of them, and
/// so do they without one, in the smaller packs that an out-of-memory pack
/// falls back to. One network's Wasserstein over its 8,760 training rows fits
/// too: on a `[rows+1]²` grid it would take gigabytes by itself.
#[test]
fn a_pack_memory_budget_keeps_large_cfr_packs_within_memory() {
    const BOUND_KB: u32 = 1_500_000;
    let file = "tests/specs/limits/pack_past_memory.yaml";
    let run = |budget: &str| {
        let dir = tempfile::tempdir().unwrap();
        let (cache, results) = (dir.path().join("cache"), dir.path().join("results"));
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("ulimit -v {BOUND_KB} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_causeway"))
            .args(["run", file, "--jobs", "1", "--pack", "64", "--pack-memory", budget, "--progress", "quiet"])
            .arg("--cache")
            .arg(&cache)
            .arg("--results")
            .arg(&results);
        let out = command.output().unwrap();
        let runs = std::fs::read_to_string(results.join("pack-past-memory/runs.csv")).unwrap_or_default();
        (out, runs)
    };
    // A budget of 600 MiB holds two members at a time (about 200 MiB each by
    // the estimate, and 65 MiB for one member's treated x control block).
    let (out, budgeted) = run("600M");
    assert!(out.status.success(), "{}", stderr(&out));
    let ok = budgeted.lines().filter(|l| l.starts_with('r') && l.contains(",ok,")).count();
    assert_eq!(ok, 12, "{budgeted}");
    // Unbounded, the pack of twelve runs out of address space inside libtorch;
    // that is no longer the end of the process (it was an internal error,
    // status 6): the pack's halves train again as smaller packs until they
    // fit, and every run has the bytes it has under the budget.
    let (out, unbounded) = run("64G");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(unbounded, budgeted);
}
