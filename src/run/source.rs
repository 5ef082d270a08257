//! The data files of an experiment, read once per invocation: their hashes
//! enter the run keys and every run builds its data from these same bytes, so
//! a file replaced on disk during a sweep cannot put numbers computed on new
//! data under the old keys.

use std::path::PathBuf;
use std::sync::Arc;

use super::RunError;
use crate::data::{self, CausalData, Truth};
use crate::estimate::Metric;
use crate::spec::{DataPath, Dataset, Experiment, NpzDecl};

/// One data file read: its path, its name as written, its bytes and their sha256.
#[derive(Debug, Clone)]
pub struct DataFile {
    pub path: PathBuf,
    pub written: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

impl DataFile {
    /// The file as reports show it: as written under the user's data folder
    /// (its absolute path is this machine's, not the experiment's), else its path.
    fn shown(&self) -> String {
        if self.written.starts_with(crate::spec::DATA_DIR_PREFIX) {
            self.written.clone()
        } else {
            self.path.display().to_string()
        }
    }

    fn read(written: String, path: PathBuf) -> Result<DataFile, RunError> {
        let bytes = std::fs::read(&path).map_err(|source| RunError::ReadData { path: path.clone(), source })?;
        let sha256 = crate::hash::sha256_hex(&bytes);
        Ok(DataFile { path, written, bytes, sha256 })
    }
}

#[derive(Debug, Clone)]
pub enum DataSource {
    Simulated,
    Builtin(data::BuiltinFiles),
    /// A user's CSV, or one per replication; `description` says which columns
    /// the runs use (read at check).
    File {
        files: Vec<DataFile>,
        /// The long-format sequence file, if the experiment attaches one.
        sequences: Option<DataFile>,
        description: String,
    },
    /// Numpy archives, decoded once (every run slices the same arrays).
    Npz {
        data: Arc<data::NpzData>,
        hashes: Vec<(String, String)>,
        description: String,
    },
}

impl DataSource {
    /// Read (and for builtins verify) every file `exp` reads. A user's file is
    /// parsed too, so that `check` refuses what every run would fail on.
    pub fn read(exp: &Experiment, root: &std::path::Path) -> Result<DataSource, RunError> {
        match &exp.dataset {
            // A panel simulator reads no file either: every run simulates from its seed.
            Dataset::Simulate(_) | Dataset::Panel(_) => Ok(DataSource::Simulated),
            Dataset::Builtin { name, .. } => Ok(data::BuiltinFiles::read(name, root).map(DataSource::Builtin)?),
            Dataset::File { path, layout, sequences } => {
                let files: Vec<DataFile> = path
                    .files(exp.replications)
                    .into_iter()
                    .map(|(written, p)| DataFile::read(written, p))
                    .collect::<Result<_, _>>()?;
                let long = match sequences {
                    Some((p, _)) => {
                        let (written, file) = p
                            .files(1)
                            .into_iter()
                            .next()
                            .ok_or_else(|| data::DataError::NotFound { path: PathBuf::from(&p.written) })?;
                        Some(DataFile::read(written, file)?)
                    }
                    None => None,
                };
                // Each is built once here, so that a non-binary treatment, a text covariate
                // or a sequence file that does not fit is one error at check rather than
                // the same failure in every run.
                let mut first = None;
                for f in &files {
                    let data = load_user_file(f, long.as_ref(), layout, sequences.as_ref().map(|(_, s)| s), exp)?.0;
                    first.get_or_insert(data);
                }
                let data = first.ok_or_else(|| data::DataError::NotFound { path: PathBuf::from(&path.written) })?;
                let description = describe_file(&files, layout, &data);
                Ok(DataSource::File { files, sequences: long, description })
            }
            Dataset::Npz(npz) => read_npz(exp, npz),
        }
    }

    /// For a user's file or archive, which rows and columns the runs use (for
    /// `check`, `identify` and report.md: the covariates are otherwise invisible).
    pub fn describe(&self) -> Option<&str> {
        match self {
            DataSource::File { description, .. } | DataSource::Npz { description, .. } => Some(description),
            DataSource::Simulated | DataSource::Builtin(_) => None,
        }
    }

    /// (file name, sha256 hex) of every file read.
    pub fn hashes(&self) -> Vec<(String, String)> {
        match self {
            DataSource::Simulated => Vec::new(),
            DataSource::Builtin(files) => files.hashes(),
            DataSource::File { files, sequences, .. } => {
                files.iter().chain(sequences).map(|f| (f.written.clone(), f.sha256.clone())).collect()
            }
            DataSource::Npz { hashes, .. } => hashes.clone(),
        }
    }

    /// The file of replication `replication` (0-based): its own with
    /// `{replication}` in the name, else the one file.
    pub(super) fn file_of(&self, replication: u32) -> Option<&DataFile> {
        match self {
            DataSource::File { files, .. } if files.len() == 1 => files.first(),
            DataSource::File { files, .. } => files.get(replication as usize),
            _ => None,
        }
    }
}

/// A user's file as a run's data: the unit table, with the sequences of the
/// long-format file (if any) attached by unit id; and the text levels of its
/// categorical columns.
pub(super) fn load_user_file(
    file: &DataFile,
    long: Option<&DataFile>,
    layout: &data::FileLayout,
    sequences: Option<&data::long::SequenceLayout>,
    exp: &Experiment,
) -> Result<(CausalData, data::Levels), data::DataError> {
    let (mut data, levels) = data::load_file(&file.path, &file.bytes, layout, &exp.preprocess.one_hot)?;
    if let (Some(long), Some(seq), Some(unit)) = (long, sequences, &layout.unit) {
        let ids = data::unit_ids(&file.path, &file.bytes, layout, unit)?;
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        data::long::attach(&mut data, &ids, &long.path, &long.bytes, seq)?;
    }
    Ok((data, levels))
}

fn describe_file(files: &[DataFile], layout: &data::FileLayout, data: &CausalData) -> String {
    let (treatment, outcome) = (&layout.treatment, &layout.outcome);
    let chosen = if layout.covariates.is_some() {
        "as listed in dataset.file.covariates"
    } else if !layout.truth.is_none() {
        "every column but the treatment, the outcome and the truth; list them in dataset.file.covariates to choose"
    } else {
        "every column but the treatment and the outcome; list them in dataset.file.covariates to choose"
    };
    let which = match files {
        [one] => format!("data file {}: {} rows", one.shown(), data.n_rows()),
        [first, ..] => format!(
            "data files {} and {} more, one per replication: {} rows in the first",
            first.shown(),
            files.len() - 1,
            data.n_rows()
        ),
        [] => "no data file".to_string(),
    };
    let covariates = if data.covariate_names.is_empty() { "none".to_string() } else { data.covariate_names.join(", ") };
    let mut text =
        format!("{which}; treatment `{treatment}`, outcome `{outcome}`; covariates ({chosen}): {covariates}");
    // Added only where used, so that the description of a file without truth stays as it was.
    let truth = layout.truth.roles();
    if !truth.is_empty() {
        let named: Vec<String> = truth.iter().map(|(role, column)| format!("{role} `{column}`")).collect();
        text.push_str(&format!("; ground truth: {}", named.join(", ")));
    }
    text
}

fn read_npz(exp: &Experiment, npz: &NpzDecl) -> Result<DataSource, RunError> {
    let read = |p: &DataPath| -> Result<DataFile, RunError> {
        let (written, path) = p
            .files(1)
            .into_iter()
            .next()
            .ok_or_else(|| RunError::Data(data::DataError::NotFound { path: PathBuf::from(&p.written) }))?;
        DataFile::read(written, path)
    };
    let wanted: Vec<&str> = data::NPZ_ROLES.iter().map(|r| npz.arrays.name(r)).collect();
    let train = read(&npz.path)?;
    let test = npz.test.as_ref().map(read).transpose()?;
    let train_archive = data::NpzArchive::parse(&train.path, &train.bytes, &wanted)?;
    let test_archive = test.as_ref().map(|t| data::NpzArchive::parse(&t.path, &t.bytes, &wanted)).transpose()?;
    let decoded = data::NpzData::new(train_archive, test_archive, npz.arrays.clone())?;
    if decoded.slices() > 1 && exp.replications as usize > decoded.slices() {
        return Err(RunError::Data(data::DataError::BadOption {
            name: train.path.display().to_string(),
            message: format!(
                "the experiment asks for {} replications but the archive holds {}; set `replications` to at most {}",
                exp.replications,
                decoded.slices(),
                decoded.slices()
            ),
        }));
    }
    // Built once here, so that a bad value is one error at check.
    let (first, n_test) = decoded.load(0)?;
    // A metric the archive's truth cannot score would be `–` in every row: refuse it once.
    let scorable = |m: &Metric| match &first.truth {
        Truth::Potential { .. } | Truth::Ite { .. } | Truth::Benchmark { .. } => true,
        Truth::Experimental { .. } => matches!(m, Metric::Ate | Metric::Att | Metric::AttError | Metric::PolicyRisk),
        Truth::None => !m.needs_truth(),
    };
    if let Some(m) = exp.metrics.iter().find(|m| !scorable(m)) {
        return Err(RunError::Data(data::DataError::BadOption {
            name: train.shown(),
            message: format!(
                "metric `{m}` cannot be scored on this archive, whose ground truth is {}; \
                 an experimental subset scores `att_error` and `policy_risk`, no truth only `ate` and `att`",
                decoded.truth_kind()
            ),
        }));
    }
    let description = format!(
        "numpy archive {}{}: {} rows{} and {} covariates (x1..x{}) per replication, {} replications in the archive; ground truth: {}",
        train.shown(),
        test.as_ref().map_or(String::new(), |t| format!(" with test archive {}", t.shown())),
        first.n_rows() - n_test,
        if n_test > 0 { format!(" (+ {n_test} test rows)") } else { String::new() },
        first.n_covariates(),
        first.n_covariates(),
        decoded.slices(),
        decoded.truth_kind(),
    );
    let hashes = std::iter::once(&train).chain(test.as_ref()).map(|f| (f.written.clone(), f.sha256.clone())).collect();
    Ok(DataSource::Npz { data: Arc::new(decoded), hashes, description })
}
