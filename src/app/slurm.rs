//! `causeway slurm`: hand a sweep to Slurm instead of scheduling it ourselves.
//! It writes two sbatch scripts: a job array whose task i runs
//! `causeway run --shard i/N`, and a collect job that builds the tables once
//! every task has ended; `--submit` submits both, the second dependent on the first.
//!
//! The store (`--cache`) must be on a filesystem every node mounts (NFS, Lustre):
//! runs are written by a temporary file and an atomic rename, and a key always
//! holds the same bytes, so tasks that overlap (a resubmitted shard, a requeued
//! task) or die midway never leave a record that `collect` would trust wrongly.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::load::plan_all;
use super::{Completion, Error};
use crate::run::shard_sizes;
use crate::spec::Limits;

#[derive(Debug, Clone)]
pub struct SlurmArgs {
    pub paths: Vec<PathBuf>,
    /// Number of array tasks, one shard each.
    pub array: usize,
    pub partition: Option<String>,
    /// Time limit of each task, in a Slurm format ("30", "2:00:00", "1-12").
    pub time: Option<String>,
    /// CPUs per task; each task runs that many runs side by side.
    pub cpus: usize,
    pub cache: PathBuf,
    pub results: PathBuf,
    /// Folder for the two scripts and their `logs/`.
    pub output: PathBuf,
    pub root: PathBuf,
    pub submit: bool,
}

/// Everything a script names. The binary, root and stores are absolute; the
/// experiment paths stay as written, relative to `workdir`, because the tables
/// record them (manifest.yaml): that keeps collected tables byte-identical to
/// a `causeway run` of the same paths from the same folder.
#[derive(Debug, Clone, PartialEq)]
pub struct SlurmJob {
    pub exe: PathBuf,
    pub workdir: PathBuf,
    pub root: PathBuf,
    pub paths: Vec<PathBuf>,
    pub cache: PathBuf,
    pub results: PathBuf,
    pub logs: PathBuf,
    pub array: usize,
    pub partition: Option<String>,
    pub time: Option<String>,
    pub cpus: usize,
    /// The size limits in force, passed on to every task where they are not the defaults.
    pub limits: Limits,
}

#[derive(Debug, thiserror::Error)]
pub enum SlurmError {
    #[error("--array must be at least 1")]
    NoTasks,
    #[error("--cpus must be at least 1")]
    NoCpus,
    #[error("partition {0:?} is not a Slurm partition name (letters, digits, `_`, `-`, `.`, and `,` between names)")]
    Partition(String),
    #[error("time {0:?} is not a Slurm time limit: use minutes (`30`), `H:MM:SS` (`2:00:00`) or `D-HH` (`1-12`)")]
    Time(String),
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "sbatch was not found on PATH: submit from a Slurm login node, or submit the scripts yourself:\n  jobid=$(sbatch --parsable {array}) && sbatch --dependency=afterany:$jobid {collect}"
    )]
    NoSbatch { array: String, collect: String },
    #[error("sbatch {script} failed ({status}): {stderr}")]
    Sbatch { script: String, status: String, stderr: String },
}

const ARRAY_SCRIPT: &str = "array.sbatch";
const COLLECT_SCRIPT: &str = "collect.sbatch";

/// `causeway slurm`. The same `SlurmError` has a status by the step it stopped:
/// resolving the options is bad input, writing the scripts an I/O failure,
/// submitting them a failure like a failed run's.
pub fn slurm_command(args: &SlurmArgs) -> Result<Completion, Error> {
    let planned = plan_all(&args.paths, &args.root)?;
    let job = validate(args).and_then(|()| resolve(args)).map_err(Error::SlurmOptions)?;
    // Counted from the keys alone: no run is expanded (validate made array >= 1).
    let sizes = shard_sizes(&planned.iter().map(|p| &p.plan).collect::<Vec<_>>(), args.array).map_err(Error::Shard)?;
    let (array, collect) = write_scripts(&job, &args.output).map_err(Error::SlurmWrite)?;
    describe_written(&sizes, &array, &collect);
    if !args.submit {
        eprintln!(
            "  submit with: jobid=$(sbatch --parsable {}) && sbatch --dependency=afterany:$jobid {}",
            array.display(),
            collect.display()
        );
        return Ok(Completion::Ok);
    }
    let (array_id, collect_id) = submit(&array, &collect).map_err(Error::Submit)?;
    println!("{array_id} {collect_id}");
    eprintln!(
        "submitted array job {array_id} ({} tasks) and collect job {collect_id}, which starts when every task has ended",
        args.array
    );
    Ok(Completion::Ok)
}

/// One line on what was written and how many runs each task owns.
fn describe_written(sizes: &[usize], array: &Path, collect: &Path) {
    let (least, most) = (sizes.iter().min().copied().unwrap_or(0), sizes.iter().max().copied().unwrap_or(0));
    let each = if least == most { format!("{most}") } else { format!("{least} to {most}") };
    eprintln!("wrote {} ({} tasks, {each} runs each) and {}", array.display(), sizes.len(), collect.display());
    if least == 0 {
        eprintln!("  note: some tasks have no run: the sweep has only {} distinct runs", sizes.iter().sum::<usize>());
    }
}

fn validate(args: &SlurmArgs) -> Result<(), SlurmError> {
    if args.array == 0 {
        return Err(SlurmError::NoTasks);
    }
    if args.cpus == 0 {
        return Err(SlurmError::NoCpus);
    }
    if let Some(p) = &args.partition {
        let ok = !p.is_empty()
            && p.split(',')
                .all(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)));
        if !ok {
            return Err(SlurmError::Partition(p.clone()));
        }
    }
    if let Some(t) = &args.time {
        let ok = !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == ':' || c == '-')
            || ["infinite", "unlimited"].contains(&t.to_ascii_lowercase().as_str());
        if !ok {
            return Err(SlurmError::Time(t.clone()));
        }
    }
    Ok(())
}

/// Make the paths a task needs absolute (the binary is found by path, not by
/// PATH); experiment paths are resolved from `workdir`, where each task starts.
fn resolve(args: &SlurmArgs) -> Result<SlurmJob, SlurmError> {
    let absolute = |p: &Path| std::path::absolute(p).map_err(io(p));
    Ok(SlurmJob {
        exe: std::env::current_exe().map_err(io(Path::new("causeway")))?,
        workdir: std::env::current_dir().map_err(io(Path::new(".")))?,
        root: absolute(&args.root)?,
        paths: args.paths.clone(),
        cache: absolute(&args.cache)?,
        results: absolute(&args.results)?,
        logs: absolute(&args.output.join("logs"))?,
        array: args.array,
        partition: args.partition.clone(),
        time: args.time.clone(),
        cpus: args.cpus,
        limits: super::limits(),
    })
}

/// Write both scripts (executable) and create the log folder, which Slurm
/// does not create: a task whose `--output` folder is missing fails silently.
fn write_scripts(job: &SlurmJob, output: &Path) -> Result<(PathBuf, PathBuf), SlurmError> {
    fs::create_dir_all(&job.logs).map_err(io(&job.logs))?;
    let (array, collect) = sbatch_scripts(job);
    let paths = (output.join(ARRAY_SCRIPT), output.join(COLLECT_SCRIPT));
    for (path, text) in [(&paths.0, array), (&paths.1, collect)] {
        fs::write(path, text).map_err(io(path))?;
        make_executable(path).map_err(io(path))?;
    }
    Ok(paths)
}

/// The error of an I/O failure on `path`.
fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SlurmError {
    let path = path.to_path_buf();
    move |source| SlurmError::Io { path, source }
}

#[cfg(unix)]
fn make_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> std::io::Result<()> {
    Ok(())
}

/// The array script and the collect script of `job`. Comments come before the
/// directives, since sbatch reads `#SBATCH` lines only up to the first command.
pub fn sbatch_scripts(job: &SlurmJob) -> (String, String) {
    let n = job.array;
    let array = format!(
        "#!/bin/bash\n\
         # Written by `causeway slurm`. Task i of the array computes shard i/{n} of the\n\
         # sweep into the shared store (runs already stored are skipped, so a rerun\n\
         # resumes). Exit status 1 means some runs failed for good: they are rows of\n\
         # the tables, with their reason.\n\
         {directives}\
         #SBATCH --array=1-{n}\n\
         #SBATCH --output={logs}/shard-%a.%A.out\n\
         \n\
         set -euo pipefail\n\
         cd {workdir}\n\
         exec {command} run {files} --shard \"${{SLURM_ARRAY_TASK_ID}}/{n}\" --jobs \"${{SLURM_CPUS_PER_TASK:-1}}\" {stores} --progress plain\n",
        directives = directives(job, "causeway", job.cpus),
        logs = job.logs.display(),
        workdir = quote(&job.workdir),
        command = command(job),
        files = files(job),
        stores = stores(job),
    );
    let collect = format!(
        "#!/bin/bash\n\
         # Written by `causeway slurm`. Builds the result tables from the store once\n\
         # every array task has ended (submitted with --dependency=afterany:<array id>),\n\
         # or lists the runs still missing.\n\
         {directives}\
         #SBATCH --output={logs}/collect.%j.out\n\
         \n\
         set -euo pipefail\n\
         cd {workdir}\n\
         exec {command} collect {files} {stores}\n",
        directives = directives(job, "causeway-collect", 1),
        logs = job.logs.display(),
        workdir = quote(&job.workdir),
        command = command(job),
        files = files(job),
        stores = stores(job),
    );
    (array, collect)
}

fn command(job: &SlurmJob) -> String {
    let mut text = quote(&job.exe);
    let defaults = Limits::default();
    if job.limits.max_runs != defaults.max_runs {
        text.push_str(&format!(" --max-runs {}", job.limits.max_runs));
    }
    if job.limits.max_run_memory != defaults.max_run_memory {
        text.push_str(&format!(" --max-run-memory {}", job.limits.max_run_memory));
    }
    text
}

fn files(job: &SlurmJob) -> String {
    job.paths.iter().map(|p| quote(p)).collect::<Vec<_>>().join(" ")
}

/// The options after the subcommand: `--root` is the data commands' own.
fn stores(job: &SlurmJob) -> String {
    format!("--root {} --cache {} --results {}", quote(&job.root), quote(&job.cache), quote(&job.results))
}

/// The directives both scripts share, and the job's name and CPUs.
fn directives(job: &SlurmJob, name: &str, cpus: usize) -> String {
    let mut text = format!(
        "#SBATCH --job-name={name}\n#SBATCH --cpus-per-task={cpus}\n#SBATCH --chdir={}\n",
        job.workdir.display()
    );
    if let Some(p) = &job.partition {
        text.push_str(&format!("#SBATCH --partition={p}\n"));
    }
    if let Some(t) = &job.time {
        text.push_str(&format!("#SBATCH --time={t}\n"));
    }
    text
}

/// `path` as one word for bash: single-quoted, any `'` spelled `'\''`.
fn quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// Submit the array, then the collect job after it; returns both job ids.
fn submit(array: &Path, collect: &Path) -> Result<(String, String), SlurmError> {
    let array_id = sbatch(&[], array, collect)?;
    let collect_id = sbatch(&[format!("--dependency=afterany:{array_id}")], collect, collect)?;
    Ok((array_id, collect_id))
}

fn sbatch(extra: &[String], script: &Path, collect: &Path) -> Result<String, SlurmError> {
    let output =
        Command::new("sbatch").arg("--parsable").args(extra).arg(script).output().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                SlurmError::NoSbatch { array: script.display().to_string(), collect: collect.display().to_string() }
            }
            _ => SlurmError::Io { path: PathBuf::from("sbatch"), source: e },
        })?;
    let failed = |stderr: String| SlurmError::Sbatch {
        script: script.display().to_string(),
        status: output.status.to_string(),
        stderr,
    };
    if !output.status.success() {
        return Err(failed(String::from_utf8_lossy(&output.stderr).trim().to_string()));
    }
    // `--parsable` prints "<id>" or "<id>;<cluster>".
    let stdout = String::from_utf8_lossy(&output.stdout);
    let id = stdout.trim().split(';').next().unwrap_or("").to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(failed(format!("expected a job id on stdout, got `{}`", stdout.trim())));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> SlurmJob {
        SlurmJob {
            exe: PathBuf::from("/opt/causeway/bin/causeway"),
            workdir: PathBuf::from("/home/ada/sweeps"),
            root: PathBuf::from("/home/ada/sweeps"),
            paths: vec![PathBuf::from("experiments/medical"), PathBuf::from("ada's sweep.yaml")],
            cache: PathBuf::from("/shared/causeway-store"),
            results: PathBuf::from("/home/ada/sweeps/results"),
            logs: PathBuf::from("/home/ada/sweeps/slurm/logs"),
            array: 8,
            partition: Some("cpu".into()),
            time: Some("2:00:00".into()),
            cpus: 4,
            limits: Limits::default(),
        }
    }

    #[test]
    fn scripts_run_one_shard_per_task_and_collect() {
        let (array, collect) = sbatch_scripts(&job());
        insta::assert_snapshot!("slurm_array_script", array);
        insta::assert_snapshot!("slurm_collect_script", collect);
    }

    #[test]
    fn raised_limits_are_passed_to_every_task() {
        let limits = Limits { max_runs: 10_000_000, max_run_memory: 64 << 30 };
        let (array, collect) = sbatch_scripts(&SlurmJob { limits, ..job() });
        for script in [array, collect] {
            assert!(script.contains(" --max-runs 10000000 --max-run-memory 68719476736 "), "{script}");
            assert!(script.contains(" --root '/home/ada/sweeps' --cache "), "{script}");
        }
    }

    #[test]
    fn optional_directives_are_left_out() {
        let (array, _) = sbatch_scripts(&SlurmJob { partition: None, time: None, ..job() });
        assert!(!array.contains("--partition") && !array.contains("--time"), "{array}");
    }

    fn args() -> SlurmArgs {
        SlurmArgs {
            paths: vec![],
            array: 4,
            partition: None,
            time: None,
            cpus: 1,
            cache: ".cache".into(),
            results: "results".into(),
            output: "slurm".into(),
            root: ".".into(),
            submit: false,
        }
    }

    #[test]
    fn rejects_what_would_break_the_script() {
        let errors: Vec<String> = [
            SlurmArgs { array: 0, ..args() },
            SlurmArgs { cpus: 0, ..args() },
            SlurmArgs { partition: Some("cpu\n#SBATCH --mem=1".into()), ..args() },
            SlurmArgs { time: Some("2 hours".into()), ..args() },
        ]
        .iter()
        .map(|a| validate(a).unwrap_err().to_string())
        .collect();
        insta::assert_snapshot!(errors.join("\n"), @r#"
        --array must be at least 1
        --cpus must be at least 1
        partition "cpu\n#SBATCH --mem=1" is not a Slurm partition name (letters, digits, `_`, `-`, `.`, and `,` between names)
        time "2 hours" is not a Slurm time limit: use minutes (`30`), `H:MM:SS` (`2:00:00`) or `D-HH` (`1-12`)
        "#);
        for ok in [
            SlurmArgs { partition: Some("cpu,gpu-a100".into()), time: Some("1-12:00".into()), ..args() },
            SlurmArgs { time: Some("UNLIMITED".into()), ..args() },
        ] {
            assert!(validate(&ok).is_ok());
        }
    }
}
