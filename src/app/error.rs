//! How a command ends, and the exit status each ending maps to (after
//! cargo-nextest's `ExpectedError::process_exit_code` and its `exit_codes`).
//!
//! A command returns `Result<Completion, Error>`. An `Error` stopped it: bad
//! input, a write that failed, an execution the runner could not carry on. A
//! `Completion` is a command that did its work to the end and reports how the
//! work came out: every run finished, some failed (their rows say why, and the
//! tables are written), some were missing from the store, this machine does not
//! reproduce the pinned numbers. Those are verdicts, not errors: their details
//! are the command's own output (a summary, a list of missing runs, the doctor's
//! report), printed by the command, and nothing is left for `main` to print.
//! Keeping the two apart is what lets `main` print every error in one place.
//!
//! The numbers are an interface: scripts and the Makefile depend on them
//! (`make experiments` accepts 1 and nothing else), and README's "Exit
//! statuses" documents them. They never change meaning.

use std::path::PathBuf;

use thiserror::Error;

use super::slurm::SlurmError;
use crate::report::WriteError;
use crate::run::RunError;

/// Exit statuses, one per meaning (README, "Exit statuses").
pub const EXIT_OK: u8 = 0;
/// Some runs failed (their rows say why; the tables are written unless
/// `--fail-fast` stopped the sweep); `verify`: numeric changes or damaged
/// records left unrepaired; `slurm --submit`: sbatch failed; the runner
/// stopped for another reason than the store (worker threads that cannot start).
pub const EXIT_FAILED_RUNS: u8 = 1;
/// Bad input: a path, an experiment file, a plan, an option.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Runs missing from the store (`collect` before every shard is done, `verify`
/// with nothing stored to check).
pub const EXIT_INCOMPLETE: u8 = 3;
/// `causeway doctor`: this machine does not reproduce the pinned numeric fingerprint.
pub const EXIT_NOT_REPRODUCIBLE: u8 = 4;
/// A file or folder causeway must write (the store, a results folder, sbatch
/// scripts) could not be written: read-only, full, missing permissions. The
/// message names the path. Distinct from 1 so that `make experiments`, which
/// accepts failed runs, never accepts a failed write.
pub const EXIT_IO: u8 = 5;
/// Some runs hit a bug of causeway's own (a panic). Their rows say so; they are
/// not cached, so a fixed causeway recomputes them.
pub const EXIT_INTERNAL: u8 = 6;

/// How a command that ran to its end came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// Everything asked for was done.
    Ok,
    /// Some runs failed, or `verify` found numeric changes or unrepaired damage.
    Failed,
    /// Runs of the plan are not in the store: `collect` wrote the tables of the
    /// complete experiments only.
    Incomplete,
    /// `doctor`: this machine does not reproduce the pinned fingerprint.
    NotReproducible,
    /// Some runs hit an internal error (a bug); it outranks failed runs, since
    /// `make experiments` accepts those and must not accept a bug.
    Internal,
}

impl Completion {
    pub fn exit_code(self) -> u8 {
        match self {
            Completion::Ok => EXIT_OK,
            Completion::Failed => EXIT_FAILED_RUNS,
            Completion::Incomplete => EXIT_INCOMPLETE,
            Completion::NotReproducible => EXIT_NOT_REPRODUCIBLE,
            Completion::Internal => EXIT_INTERNAL,
        }
    }
}

/// Why a command stopped. Each message is complete (it names the file, the
/// experiment or the store); `main` prints it once, after `error: `.
#[derive(Debug, Error)]
pub enum Error {
    #[error("{}: {source}", .path.display())]
    Discover {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: no such file or directory", .0.display())]
    NoSuchPath(PathBuf),
    #[error("no experiment files (*.yaml) found in {0}")]
    NoExperiments(String),
    /// Experiment files were rejected; `load_experiments` printed each error as
    /// it found it (every file is checked, so that one pass lists them all).
    #[error("{count} experiment files were rejected")]
    Rejected { count: usize },
    /// An experiment could not be planned: its data, its estimators, its graph.
    /// (Boxed: with the name beside it, a `RunError` would make every `Result` large.)
    #[error("{experiment}: {source}")]
    Plan {
        experiment: String,
        #[source]
        source: Box<RunError>,
    },
    #[error(
        "{experiment}: there is not enough memory to hold its {count} runs at once: run it in shards (`causeway run --shard I/N`)"
    )]
    TooLarge { experiment: String, count: usize },
    /// The runs could not be dealt into shards.
    #[error(transparent)]
    Shard(RunError),
    /// An error that stopped the runner (the store, the worker pool).
    #[error(transparent)]
    Execute(#[from] RunError),
    #[error(transparent)]
    Write(#[from] WriteError),
    /// `causeway slurm` options that would break the scripts.
    #[error(transparent)]
    SlurmOptions(SlurmError),
    /// The sbatch scripts or their log folder could not be written.
    #[error(transparent)]
    SlurmWrite(SlurmError),
    /// `causeway slurm --submit`: sbatch is missing or refused a script.
    #[error(transparent)]
    Submit(SlurmError),
    #[error(
        "no stored runs of these experiments in {}: nothing was verified\n  help: run them first, or pass the store they were run with (--cache)",
        .cache.display()
    )]
    NothingStored { cache: PathBuf },
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Discover { .. }
            | Error::NoSuchPath(_)
            | Error::NoExperiments(_)
            | Error::Rejected { .. }
            | Error::Plan { .. }
            | Error::TooLarge { .. }
            | Error::Shard(_)
            | Error::SlurmOptions(_) => EXIT_BAD_INPUT,
            // A store that cannot be written is an I/O failure; anything else
            // stops the sweep like a failed run.
            Error::Execute(RunError::Cache { .. }) => EXIT_IO,
            Error::Execute(_) | Error::Submit(_) => EXIT_FAILED_RUNS,
            Error::Write(_) | Error::SlurmWrite(_) => EXIT_IO,
            Error::NothingStored { .. } => EXIT_INCOMPLETE,
        }
    }

    /// Whether the error's details were printed where they were found.
    pub fn reported(&self) -> bool {
        matches!(self, Error::Rejected { .. })
    }
}

/// The exit status of a command's result.
pub fn exit_code(result: &Result<Completion, Error>) -> u8 {
    match result {
        Ok(completion) => completion.exit_code(),
        Err(e) => e.exit_code(),
    }
}

/// `e` and the sources below it, each once: a message that already quotes its
/// source (most here do, so that a message read alone is complete) is not
/// followed by it again.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers are an interface (README, "Exit statuses"): pinned here as a
    /// table, and each produced by the binary in a test of its own (tests/suite/cli.rs,
    /// limits.rs, shard.rs, numerics.rs, faults.rs).
    #[test]
    fn every_ending_has_its_documented_status() {
        let completions = [
            (Completion::Ok, 0),
            (Completion::Failed, 1),
            (Completion::Incomplete, 3),
            (Completion::NotReproducible, 4),
            (Completion::Internal, 6),
        ];
        for (c, code) in completions {
            assert_eq!(c.exit_code(), code, "{c:?}");
        }
        let io = || std::io::Error::other("disk full");
        let errors = [
            (Error::NoSuchPath("x.yaml".into()), 2),
            (Error::Rejected { count: 1 }, 2),
            (Error::Shard(RunError::Shard { runs: 1, message: "m".into() }), 2),
            (Error::SlurmOptions(SlurmError::NoTasks), 2),
            (Error::Execute(RunError::TooManyRuns { experiment: "e".into() }), 1),
            (Error::Submit(SlurmError::NoCpus), 1),
            (Error::NothingStored { cache: ".cache".into() }, 3),
            (Error::Execute(RunError::Cache { path: "c".into(), source: io() }), 5),
            (Error::Write(WriteError { dir: "r".into(), path: "r/a".into(), source: io() }), 5),
            (Error::SlurmWrite(SlurmError::Io { path: "s".into(), source: io() }), 5),
        ];
        for (e, code) in errors {
            assert_eq!(e.exit_code(), code, "{e:?}");
        }
    }

    #[test]
    fn a_source_is_printed_once() {
        let quoted = Error::Discover { path: "experiments".into(), source: std::io::Error::other("denied") };
        assert_eq!(error_chain(&quoted), "experiments: denied");
        #[derive(Debug, Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        assert_eq!(error_chain(&Outer(std::io::Error::other("inner"))), "outer: inner");
    }
}
