//! `causeway check`, `plan` and `identify`: read-only views of experiment files.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::load::{prepare_all, prepare_experiment};
use super::{discover, load_experiments, EXIT_BAD_INPUT, EXIT_OK};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifyFormat {
    Text,
    Json,
}

fn files_or_exit(paths: &[PathBuf]) -> Result<Vec<PathBuf>, i32> {
    match discover(paths) {
        Ok(f) => Ok(f),
        Err(e) => {
            eprintln!("error: {e}");
            Err(EXIT_BAD_INPUT)
        }
    }
}

/// Validate every file without running anything.
pub fn check(paths: &[PathBuf], root: &Path) -> i32 {
    let files = match files_or_exit(paths) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let (loaded, mut bad) = load_experiments(&files);
    for l in &loaded {
        match prepare_experiment(&l.experiment, root) {
            Ok(p) => {
                println!("ok: {} ({}: {} runs)", l.file.display(), l.experiment.name, p.runs.len());
                if let Some(description) = p.source.describe() {
                    println!("  {description}");
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                bad = true;
            }
        }
    }
    if bad { EXIT_BAD_INPUT } else { EXIT_OK }
}

/// Print every run's label, key prefix and seed.
pub fn plan(paths: &[PathBuf], root: &Path) -> i32 {
    let prepared = match prepare_all(paths, root) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut text = String::new();
    for p in &prepared {
        let _ = writeln!(text, "{} ({} runs)", p.experiment.name, p.runs.len());
        for run in &p.runs {
            let _ = writeln!(text, "  {:<60} {}  seed {}", run.label, &run.key[..12], run.seed);
        }
    }
    emit(&text);
    EXIT_OK
}

/// Write `text` to stdout. A reader that stops early (`causeway plan | head`)
/// closes the pipe; that ends the output quietly instead of panicking like `println!`.
fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write to stdout: {e}");
        }
    }
}

/// Print the identification result of every experiment.
pub fn identify(paths: &[PathBuf], root: &Path, format: IdentifyFormat) -> i32 {
    let files = match files_or_exit(paths) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let (loaded, bad) = load_experiments(&files);
    if bad {
        return EXIT_BAD_INPUT;
    }
    let mut json = Vec::new();
    for l in &loaded {
        let data = crate::run::DataSource::read(&l.experiment, root).map(|s| s.describe().map(str::to_string));
        match crate::run::identification(&l.experiment, root).and_then(|found| data.map(|d| (found, d))) {
            Ok(((text, value), data)) => match format {
                IdentifyFormat::Text => emit(&format!("{}\n{}{}\n", l.experiment.name, data.map(|d| d + "\n").unwrap_or_default(), text)),
                IdentifyFormat::Json => json.push(serde_json::json!({ "experiment": l.experiment.name, "data": data, "identification": value })),
            },
            Err(e) => {
                eprintln!("error: {}: {e}", l.experiment.name);
                return EXIT_BAD_INPUT;
            }
        }
    }
    if format == IdentifyFormat::Json {
        emit(&format!("{}\n", serde_json::to_string_pretty(&json).unwrap_or_default()));
    }
    EXIT_OK
}
