//! Load, validate and check experiment files, printing every error, and prepare
//! each valid experiment for execution (plan, identification, data hashes).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{discover, EXIT_BAD_INPUT};
use crate::run::{plan, prepare, DataSource, PlanContext, Prepared};
use crate::spec::{self, Experiment};

/// A validated experiment and the file it came from.
pub struct LoadedExperiment {
    pub file: PathBuf,
    pub experiment: Experiment,
}

/// Load and check every file; print each error to stderr. Returns the valid
/// experiments and whether any file was rejected. Two files may not share a name,
/// since each owns `results/<name>/`.
pub fn load_experiments(files: &[PathBuf]) -> (Vec<LoadedExperiment>, bool) {
    let mut ok = Vec::new();
    let mut bad = false;
    let mut names: BTreeMap<String, PathBuf> = BTreeMap::new();
    for file in files {
        let checked = spec::load(file).and_then(|l| {
            let e = spec::validate(&l)?;
            spec::check(&l, &e)?;
            Ok((l, e))
        });
        match checked {
            Ok((loaded, experiment)) => {
                if let Some(other) = names.insert(experiment.name.clone(), file.clone()) {
                    eprintln!("error: {}: experiment name `{}` is already used by {}", file.display(), experiment.name, other.display());
                    eprintln!("  help: each experiment writes results/<name>/, so names must be unique");
                    bad = true;
                    continue;
                }
                for w in spec::graph_warnings(&loaded, &experiment) {
                    eprintln!("warning: {w}");
                }
                ok.push(LoadedExperiment { file: file.clone(), experiment });
            }
            Err(e) => {
                eprintln!("error: {e}");
                bad = true;
            }
        }
    }
    (ok, bad)
}

/// Plan and prepare one experiment for execution.
pub fn prepare_experiment(exp: &Experiment, root: &Path) -> Result<Prepared, String> {
    let source = DataSource::read(exp, root).map_err(|e| format!("{}: {e}", exp.name))?;
    let ctx = PlanContext { data_files: source.hashes(), libtorch: crate::estimate::libtorch_version(), numerics: crate::estimate::numeric_identity() };
    let runs = plan(exp, &ctx).map_err(|e| format!("{}: {e}", exp.name))?;
    prepare(exp.clone(), runs, root, source).map_err(|e| format!("{}: {e}", exp.name))
}

/// Discover, check and prepare every experiment under `paths`, printing each
/// error; `Err(EXIT_BAD_INPUT)` when a path, a file or a plan is wrong.
pub fn prepare_all(paths: &[PathBuf], root: &Path) -> Result<Vec<Prepared>, i32> {
    let fail = |message: String| {
        eprintln!("error: {message}");
        EXIT_BAD_INPUT
    };
    let files = discover(paths).map_err(fail)?;
    if files.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(fail(format!("no experiment files (*.yaml) found in {}", shown.join(", "))));
    }
    let (loaded, bad) = load_experiments(&files);
    if bad {
        return Err(EXIT_BAD_INPUT);
    }
    loaded.iter().map(|l| prepare_experiment(&l.experiment, root).map_err(fail)).collect()
}
