//! The content-addressed store of finished runs: one JSON file per run key under
//! `<cache>/runs/<first two hex digits>/<key>.json`.
//!
//! Writes go to a temporary file in the same directory, are fsynced, then renamed
//! into place, so a reader sees either nothing or a complete record: a runner
//! killed at any moment leaves no file that a later run trusts, and two runners
//! writing the same key both write identical bytes.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::outcome::Outcome;
use super::RunError;

#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    pub fn new(root: impl Into<PathBuf>) -> Cache {
        Cache { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> PathBuf {
        let shard = key.get(..2).unwrap_or("00");
        self.root.join("runs").join(shard).join(format!("{key}.json"))
    }

    /// The stored outcome of `key`, if a complete, readable record exists. A record
    /// that does not parse (say, from a disk error) is treated as absent.
    pub fn get(&self, key: &str) -> Option<Outcome> {
        let bytes = fs::read(self.path(key)).ok()?;
        let outcome: Outcome = serde_json::from_slice(&bytes).ok()?;
        (outcome.key == key).then_some(outcome)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Store `outcome` atomically under its key.
    pub fn put(&self, outcome: &Outcome) -> Result<(), RunError> {
        let path = self.path(&outcome.key);
        let bytes = serde_json::to_vec(outcome).map_err(|e| RunError::Cache { path: path.clone(), message: e.to_string() })?;
        write_atomic(&path, &bytes)
    }
}

/// Write `bytes` to `path` through a uniquely named temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    let err = |e: std::io::Error| RunError::Cache { path: path.to_path_buf(), message: e.to_string() };
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(err)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.{:?}.tmp", std::process::id(), std::thread::current().id()).replace(['(', ')'], ""));
    let mut file = fs::File::create(&tmp).map_err(err)?;
    file.write_all(bytes).map_err(err)?;
    file.sync_all().map_err(err)?;
    drop(file);
    fs::rename(&tmp, path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::outcome::Status;

    fn outcome(key: &str) -> Outcome {
        Outcome {
            key: key.into(),
            status: Status::Ok,
            metrics: vec![("ate".into(), Some(2.0000000000000004)), ("pehe_in".into(), None)],
            diagnostics: vec![("epochs".into(), Some(12.0)), ("best_validation_loss".into(), None)],
            preprocess: "standardized 3 columns".into(),
        }
    }

    #[test]
    fn round_trips_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let key = "ab".repeat(32);
        assert!(cache.get(&key).is_none());
        cache.put(&outcome(&key)).unwrap();
        assert_eq!(cache.get(&key), Some(outcome(&key)));
    }

    #[test]
    fn non_finite_numbers_read_back_equal() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let key = "ef".repeat(32);
        let fresh = Outcome::finished(&key, vec![("ate".into(), Some(f64::NAN))], vec![("loss".into(), f64::INFINITY), ("it".into(), 3.0)], String::new());
        cache.put(&fresh).unwrap();
        assert_eq!(cache.get(&key), Some(fresh));
    }

    #[test]
    fn ignores_torn_records_and_leftover_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let key = "cd".repeat(32);
        let path = cache.path(&key);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, b"{\"key\": \"cdcd").unwrap();
        assert!(cache.get(&key).is_none());
        cache.put(&outcome(&key)).unwrap();
        assert!(cache.contains(&key));
        let leftovers = fs::read_dir(path.parent().unwrap()).unwrap().filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".tmp")).count();
        assert_eq!(leftovers, 0);
    }
}
