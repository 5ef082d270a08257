//! The `causeway` command line: parse arguments, call one command of
//! `causeway::app`, and turn its result into the exit status, printing its
//! error (if any) here and nowhere else.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use causeway::app::{self, CollectArgs, Completion, Error, IdentifyFormat, RunArgs, SlurmArgs, VerifyArgs};
use causeway::numerics::{self, NumericMode};
use causeway::report::ProgressMode;
use causeway::run::Shard;
use causeway::spec;

#[derive(Parser)]
#[command(name = "causeway", version, about = "Reproducible experiments for neural causal inference")]
struct Cli {
    /// Numeric mode of network runs: `portable` gives the same bytes on every
    /// x86-64 processor with AVX2; `native` is faster, its tables are this
    /// processor's own (its run keys differ, so the two never share cached runs).
    #[arg(long, global = true, value_enum, default_value_t = NumericsArg::Portable)]
    numerics: NumericsArg,
    /// Refuse an experiment that expands into more runs than this (data-sweep
    /// points x replications x estimator configurations). A larger sweep is
    /// legitimate: raise the limit and run it in shards.
    #[arg(long, global = true, value_name = "N", default_value_t = spec::DEFAULT_MAX_RUNS)]
    max_runs: u64,
    /// Refuse simulated data whose runs are estimated to need more memory each
    /// (rows x columns x 8 bytes x 6 copies): a size such as 64G (binary units).
    #[arg(long, global = true, value_name = "SIZE", default_value = "16G", value_parser = spec::parse_size)]
    max_run_memory: u64,
    /// The folder that `$DATA_DIR/...` paths of data files name (files causeway
    /// cannot ship, such as the field's benchmark sets); default: $CAUSEWAY_DATA_DIR.
    /// An experiment whose files are not there is skipped with a message.
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

/// `--root`, for the commands that read experiments (not global: `schema`,
/// `estimators` and `doctor` read no dataset, and should not accept one).
#[derive(Args)]
struct Root {
    /// Directory that holds `datasets/manifest.yaml` (for builtin datasets).
    #[arg(long = "root", value_name = "ROOT", default_value = ".")]
    path: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Run experiments (files or folders of *.yaml) and write their result tables.
    Run {
        /// Experiment files, or folders searched for *.yaml.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        root: Root,
        /// Worker threads (default: the number of cores).
        #[arg(long, short)]
        jobs: Option<usize>,
        /// The most runs whose networks train together as one batched model, and
        /// the most of one run's bootstrap resamples or refuter refits (1: one
        /// network at a time). A run's numbers do not depend on it.
        #[arg(long, value_name = "N", default_value_t = causeway::run::DEFAULT_PACK,
              value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        pack: usize,
        /// The estimated memory one pack's networks may take (each of the
        /// `--jobs` workers trains one pack at a time): a size such as 2G
        /// (binary units). Default: a quarter of the machine's memory, shared
        /// by the workers. A run's numbers do not depend on it.
        #[arg(long, value_name = "SIZE", value_parser = spec::parse_size)]
        pack_memory: Option<u64>,
        /// Where result tables go.
        #[arg(long, default_value = "results")]
        results: PathBuf,
        /// Where finished runs are stored (content-addressed).
        #[arg(long, default_value = ".cache")]
        cache: PathBuf,
        /// Stop at the first failed run.
        #[arg(long)]
        fail_fast: bool,
        /// Progress display (auto: bars on a terminal, plain lines otherwise).
        #[arg(long, value_enum, default_value_t = ProgressArg::Auto)]
        progress: ProgressArg,
        /// Compute only shard I of N (1-based) into the cache and write no tables;
        /// `causeway collect` writes them once every shard is done.
        #[arg(long, value_name = "I/N")]
        shard: Option<Shard>,
    },
    /// Write the result tables from the cache alone, once every shard has run.
    Collect {
        /// Experiment files, or folders searched for *.yaml.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        root: Root,
        /// Where result tables go.
        #[arg(long, default_value = "results")]
        results: PathBuf,
        /// The store every shard wrote its runs into.
        #[arg(long, default_value = ".cache")]
        cache: PathBuf,
    },
    /// Rebuild the results site's index (results/index.html) from the results
    /// folders; with experiments, first rewrite their folders (tables and page)
    /// from the store, like `collect`.
    Report {
        /// Experiment files, or folders searched for *.yaml (optional).
        paths: Vec<PathBuf>,
        #[command(flatten)]
        root: Root,
        /// The results folder.
        #[arg(long, default_value = "results")]
        results: PathBuf,
        /// The store the runs are in.
        #[arg(long, default_value = ".cache")]
        cache: PathBuf,
    },
    /// Write sbatch scripts running the sweep as a Slurm job array, plus a collect job.
    Slurm {
        /// Experiment files, or folders searched for *.yaml.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        root: Root,
        /// Number of array tasks; task i runs shard i/N.
        #[arg(long, value_name = "N")]
        array: usize,
        /// Slurm partition (`#SBATCH --partition`); the cluster's default if unset.
        #[arg(long)]
        partition: Option<String>,
        /// Time limit per task, in Slurm's format (e.g. 2:00:00).
        #[arg(long)]
        time: Option<String>,
        /// CPUs per task (each task runs that many runs side by side).
        #[arg(long, default_value_t = 1)]
        cpus: usize,
        /// The store; it must be on a filesystem every node mounts.
        #[arg(long, default_value = ".cache")]
        cache: PathBuf,
        /// Where result tables go.
        #[arg(long, default_value = "results")]
        results: PathBuf,
        /// Folder for array.sbatch, collect.sbatch and logs/.
        #[arg(long, default_value = "slurm")]
        output: PathBuf,
        /// Submit both scripts with sbatch (collect depends on the array).
        #[arg(long)]
        submit: bool,
    },
    /// Validate experiment files without running anything.
    Check {
        /// Experiment files, or folders searched for *.yaml.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        root: Root,
    },
    /// Print the runs an experiment expands into (label, key prefix, seed).
    Plan {
        /// Experiment files, or folders searched for *.yaml.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        root: Root,
        /// Print only the runs of shard I of N (those `causeway run --shard I/N` computes).
        #[arg(long, value_name = "I/N")]
        shard: Option<Shard>,
    },
    /// Check stored runs: damaged records (checksum) and numeric changes (recompute
    /// and compare bit for bit); `--repair` replaces damaged records.
    Verify {
        /// Experiment files, or folders searched for *.yaml.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        root: Root,
        /// Recompute an evenly spaced sample of N stored runs instead of all.
        #[arg(long)]
        sample: Option<usize>,
        /// Worker threads (default: the number of cores).
        #[arg(long, short)]
        jobs: Option<usize>,
        /// The store to check (as given to `causeway run --cache`).
        #[arg(long, default_value = ".cache")]
        cache: PathBuf,
        /// Recompute damaged records (checksum mismatch, torn) and replace them.
        #[arg(long)]
        repair: bool,
    },
    /// Print how the effect is identified from the experiment's graph.
    Identify {
        /// Experiment files, or folders searched for *.yaml.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        root: Root,
        /// `text` for people, `json` for scripts, `dot` for Graphviz (`| dot -Tsvg`).
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
    },
    /// Print the JSON Schema of experiment files (for editors and CI).
    Schema,
    /// Print the reference of every estimator kind in Markdown (docs/estimators.md).
    Estimators,
    /// Check that this machine reproduces the committed tables' numbers: run a
    /// fixed libtorch computation and compare its digests with the pinned ones.
    Doctor {
        /// Print the numeric pins as shell `export` lines instead (for scripts).
        #[arg(long)]
        env: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum NumericsArg {
    Portable,
    Native,
}

#[derive(Clone, Copy, ValueEnum)]
enum ProgressArg {
    Auto,
    Bars,
    Plain,
    Quiet,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Text,
    Json,
    Dot,
}

fn progress_mode(arg: ProgressArg) -> ProgressMode {
    match arg {
        ProgressArg::Auto if std::io::stderr().is_terminal() => ProgressMode::Bars,
        ProgressArg::Auto | ProgressArg::Plain => ProgressMode::Plain,
        ProgressArg::Bars => ProgressMode::Bars,
        ProgressArg::Quiet => ProgressMode::Quiet,
    }
}

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The numeric mode's pins must be in the environment before libtorch starts
    // (src/numerics says which and why); argument parsing starts no thread.
    let mode = match cli.numerics {
        NumericsArg::Portable => NumericMode::Portable,
        NumericsArg::Native => NumericMode::Native,
    };
    for (pin, value) in numerics::select(mode) {
        eprintln!(
            "warning: {}={value} overrides the portable pin {}={}; network runs are keyed as numeric mode `custom` and will not match tables made elsewhere",
            pin.var, pin.var, pin.value
        );
    }
    app::set_limits(spec::Limits { max_runs: cli.max_runs, max_run_memory: cli.max_run_memory });
    if let Some(dir) = cli.data_dir {
        spec::set_data_dir(dir);
    }
    let result = command(cli.command);
    if let Err(e) = &result
        && !e.reported()
    {
        eprintln!("error: {}", app::error_chain(e));
    }
    ExitCode::from(app::exit_code(&result))
}

fn command(command: Command) -> Result<Completion, Error> {
    match command {
        Command::Run { paths, root, jobs, pack, pack_memory, results, cache, fail_fast, progress, shard } => {
            let jobs = jobs.unwrap_or_else(default_jobs);
            let progress = progress_mode(progress);
            let args = RunArgs { paths, jobs, pack, pack_memory, results, cache, root: root.path, fail_fast, progress };
            match shard {
                Some(shard) => app::run_shard_command(&args, shard),
                None => app::run_command(&args),
            }
        }
        Command::Collect { paths, root, results, cache } => {
            app::collect_command(&CollectArgs { paths, results, cache, root: root.path })
        }
        Command::Report { paths, root, results, cache } => {
            app::report_command(&CollectArgs { paths, results, cache, root: root.path })
        }
        Command::Slurm { paths, root, array, partition, time, cpus, cache, results, output, submit } => {
            app::slurm_command(&SlurmArgs {
                paths,
                array,
                partition,
                time,
                cpus,
                cache,
                results,
                output,
                root: root.path,
                submit,
            })
        }
        Command::Check { paths, root } => app::check_command(&paths, &root.path),
        Command::Verify { paths, root, sample, jobs, cache, repair } => app::verify_command(&VerifyArgs {
            paths,
            root: root.path,
            cache,
            jobs: jobs.unwrap_or_else(default_jobs),
            sample,
            repair,
        }),
        Command::Plan { paths, root, shard } => app::plan_command(&paths, &root.path, shard),
        Command::Identify { paths, root, format } => {
            let format = match format {
                FormatArg::Text => IdentifyFormat::Text,
                FormatArg::Json => IdentifyFormat::Json,
                FormatArg::Dot => IdentifyFormat::Dot,
            };
            app::identify_command(&paths, &root.path, format)
        }
        Command::Doctor { env } => app::doctor_command(env),
        Command::Schema => {
            println!("{:#}", causeway::spec::json_schema());
            Ok(Completion::Ok)
        }
        Command::Estimators => {
            print!("{}", causeway::estimate::registry::reference_markdown());
            Ok(Completion::Ok)
        }
    }
}
