//! Paths of data files as an experiment writes them: relative to the
//! experiment file, or under the user's data folder (`$DATA_DIR/...`, from
//! `--data-dir` or `CAUSEWAY_DATA_DIR`) for files causeway cannot ship, such
//! as the field's canonical benchmark sets; and `{replication}` in a name,
//! which gives each replication its own file (`ihdp_npci_{replication}.csv`
//! reads `ihdp_npci_1.csv` in the first replication).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The prefix that puts a path under the user's data folder.
pub const DATA_DIR_PREFIX: &str = "$DATA_DIR/";

/// The environment variable read when `--data-dir` is not given.
pub const DATA_DIR_ENV: &str = "CAUSEWAY_DATA_DIR";

/// In a file name: the replication's number, counting from 1 as the files of
/// the field do.
pub const REPLICATION: &str = "{replication}";

static DATA_DIR: OnceLock<PathBuf> = OnceLock::new();

/// Set the data folder of this process (`--data-dir`); only the first call counts.
pub fn set_data_dir(dir: PathBuf) {
    let _ = DATA_DIR.set(dir);
}

/// The data folder: `--data-dir`, else `CAUSEWAY_DATA_DIR`, else none.
pub fn data_dir() -> Option<PathBuf> {
    DATA_DIR.get().cloned().or_else(|| std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()).map(PathBuf::from))
}

/// A data file's path as written and as resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataPath {
    /// As written: it names the file in run keys and manifests (so moving the
    /// data folder recomputes nothing).
    pub written: String,
    /// Resolved against the experiment's folder or the data folder; None when
    /// the path is under `$DATA_DIR` and no data folder is given.
    pub resolved: Option<PathBuf>,
}

impl DataPath {
    /// Resolve `written` against `folder` (the folder of the experiment file
    /// that wrote it) or the data folder.
    pub fn resolve(written: &str, folder: Option<&Path>) -> DataPath {
        let resolved = match written.strip_prefix(DATA_DIR_PREFIX) {
            Some(rest) => data_dir().map(|dir| dir.join(rest)),
            None => Some(folder.map_or_else(|| PathBuf::from(written), |dir| dir.join(written))),
        };
        DataPath { written: written.to_string(), resolved }
    }

    /// Whether the path is under the user's data folder.
    pub fn in_data_dir(&self) -> bool {
        self.written.starts_with(DATA_DIR_PREFIX)
    }

    /// Whether each replication reads its own file.
    pub fn per_replication(&self) -> bool {
        self.written.contains(REPLICATION)
    }

    /// (name as written, path) of every file read: one per replication for a
    /// name with `{replication}`, else the one file. Empty when unresolved.
    pub fn files(&self, replications: u32) -> Vec<(String, PathBuf)> {
        let Some(path) = &self.resolved else { return Vec::new() };
        if !self.per_replication() {
            return vec![(self.written.clone(), path.clone())];
        }
        let text = path.to_string_lossy();
        (1..=replications)
            .map(|k| {
                let k = k.to_string();
                (self.written.replace(REPLICATION, &k), PathBuf::from(text.replace(REPLICATION, &k)))
            })
            .collect()
    }

    /// Why the experiment cannot run here, for a path under the data folder:
    /// no data folder given, or a file missing from it. None otherwise.
    pub fn unavailable(&self, replications: u32) -> Option<String> {
        if !self.in_data_dir() {
            return None;
        }
        if self.resolved.is_none() {
            return Some(format!(
                "`{}` is read from the data folder, and none is given: pass `--data-dir DIR` or set {DATA_DIR_ENV}",
                self.written
            ));
        }
        let missing: Vec<String> = self
            .files(replications)
            .into_iter()
            .filter(|(_, p)| !p.exists())
            .map(|(_, p)| p.display().to_string())
            .collect();
        match missing.as_slice() {
            [] => None,
            [one] => Some(format!("{one} does not exist")),
            [first, ..] => Some(format!("{first} and {} more files do not exist", missing.len() - 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replication_placeholder_names_one_file_per_replication() {
        let p = DataPath::resolve("data/ihdp_npci_{replication}.csv", Some(Path::new("exp")));
        assert_eq!(
            p.files(2),
            vec![
                ("data/ihdp_npci_1.csv".to_string(), PathBuf::from("exp/data/ihdp_npci_1.csv")),
                ("data/ihdp_npci_2.csv".to_string(), PathBuf::from("exp/data/ihdp_npci_2.csv")),
            ]
        );
        let one = DataPath::resolve("study.csv", Some(Path::new("exp")));
        assert_eq!(one.files(3), vec![("study.csv".to_string(), PathBuf::from("exp/study.csv"))]);
        assert_eq!(one.unavailable(3), None);
    }
}
