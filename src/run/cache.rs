//! The content-addressed store of finished runs: one JSON file per run key under
//! `<cache>/runs/<first two hex digits>/<key>.json`.
//!
//! Writes go to a temporary file in the same directory, are fsynced, then renamed
//! into place, so a reader sees either nothing or a complete record: a runner
//! killed at any moment leaves no file that a later run trusts, and two runners
//! writing the same key both write identical bytes.
//!
//! Every record carries the sha256 of its outcome and is checked on every read:
//! a record that still parses but was damaged (a flipped digit, an edited value)
//! is reported and recomputed, never served.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::RunError;
use super::outcome::Outcome;
use crate::fsio::write_atomic;

/// What the store holds under a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Hit(Outcome),
    Missing,
    /// A record exists but cannot be trusted; it will be recomputed.
    Damaged {
        path: PathBuf,
        reason: String,
    },
}

/// The bytes on disk: the outcome and the sha256 of its canonical JSON.
#[derive(Serialize, Deserialize)]
struct Record {
    sha256: String,
    outcome: Outcome,
}

/// sha256 of `outcome`'s canonical JSON (serde_json writes fields in declaration
/// order and floats in their shortest round-trip form, so equal outcomes hash equal).
fn digest(outcome: &Outcome) -> Result<String, serde_json::Error> {
    serde_json::to_vec(outcome).map(|bytes| crate::hash::sha256_hex(&bytes))
}

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

    /// What is stored under `key`. A file that is torn, does not parse, belongs to
    /// another key or fails its checksum is `Damaged` (a disk error, a hand edit),
    /// and the caller recomputes it; a file that cannot be read is `Missing`.
    pub fn lookup(&self, key: &str) -> Lookup {
        let path = self.path(key);
        let Ok(bytes) = fs::read(&path) else { return Lookup::Missing };
        let damaged = |reason: String| Lookup::Damaged { path: path.clone(), reason };
        let record: Record = match serde_json::from_slice(&bytes) {
            Ok(r) => r,
            Err(e) => return damaged(format!("the record does not parse ({e})")),
        };
        if record.outcome.key != key {
            return damaged(format!("the record is of key {}", record.outcome.key));
        }
        match digest(&record.outcome) {
            Ok(sha) if sha == record.sha256 => Lookup::Hit(record.outcome),
            Ok(sha) => damaged(format!(
                "its content does not match its checksum (stored {}, content {})",
                short(&record.sha256),
                short(&sha)
            )),
            Err(e) => damaged(e.to_string()),
        }
    }

    /// The stored outcome of `key`, if a complete record that passes its checksum exists.
    pub fn get(&self, key: &str) -> Option<Outcome> {
        match self.lookup(key) {
            Lookup::Hit(outcome) => Some(outcome),
            Lookup::Missing | Lookup::Damaged { .. } => None,
        }
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Where the record of `key` lives.
    pub fn record_path(&self, key: &str) -> PathBuf {
        self.path(key)
    }

    /// Store `outcome` atomically under its key, with its checksum.
    pub fn put(&self, outcome: &Outcome) -> Result<(), RunError> {
        let path = self.path(&outcome.key);
        let failed = |source: std::io::Error| RunError::Cache { path: path.clone(), source };
        let encoded = |e: serde_json::Error| failed(std::io::Error::other(e));
        let record = Record { sha256: digest(outcome).map_err(encoded)?, outcome: outcome.clone() };
        let bytes = serde_json::to_vec(&record).map_err(encoded)?;
        write_atomic(&path, &bytes).map_err(failed)
    }
}

fn short(hex: &str) -> &str {
    hex.get(..12).unwrap_or(hex)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsio::{COUNTER, host_name};
    use crate::run::outcome::Status;
    use std::sync::atomic::Ordering;

    fn outcome(key: &str) -> Outcome {
        Outcome {
            key: key.into(),
            status: Status::Ok,
            metrics: vec![("ate".into(), Some(2.0000000000000004)), ("pehe_in".into(), None)],
            diagnostics: vec![("epochs".into(), Some(12.0)), ("best_validation_loss".into(), None)],
            preprocess: "standardized 3 columns".into(),
            robustness: Vec::new(),
            validation: None,
            internal: false,
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
        let fresh = Outcome::finished(
            &key,
            vec![("ate".into(), Some(f64::NAN))],
            vec![("loss".into(), f64::INFINITY), ("it".into(), 3.0)],
            String::new(),
        );
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
        assert!(matches!(cache.lookup(&key), Lookup::Damaged { .. }));
        cache.put(&outcome(&key)).unwrap();
        assert!(cache.contains(&key));
        let leftovers = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".tmp"))
            .count();
        assert_eq!(leftovers, 0);
    }

    #[test]
    fn a_record_edited_so_that_it_still_parses_is_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let key = "5e".repeat(32);
        cache.put(&outcome(&key)).unwrap();
        let path = cache.path(&key);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("2.0000000000000004"), "{text}");
        for edited in
            [text.replace("2.0000000000000004", "2.0000000000000002"), text.replace("2.0000000000000004", "42.0")]
        {
            fs::write(&path, &edited).unwrap();
            match cache.lookup(&key) {
                Lookup::Damaged { reason, .. } => assert!(reason.contains("checksum"), "{reason}"),
                other => panic!("served {other:?}"),
            }
            assert_eq!(cache.get(&key), None);
        }
        // Whitespace does not change the content: still a hit.
        fs::write(&path, text.replace(",", ", ")).unwrap();
        assert_eq!(cache.get(&key), Some(outcome(&key)));
    }

    #[test]
    fn a_record_of_another_key_or_without_checksum_is_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let (a, b) = ("1a".repeat(32), "1b".repeat(32));
        cache.put(&outcome(&a)).unwrap();
        fs::create_dir_all(cache.path(&b).parent().unwrap()).unwrap();
        fs::copy(cache.path(&a), cache.path(&b)).unwrap();
        assert!(matches!(cache.lookup(&b), Lookup::Damaged { .. }));
        // The record format of an older causeway (an outcome without its checksum).
        fs::write(cache.path(&a), serde_json::to_vec(&outcome(&a)).unwrap()).unwrap();
        assert!(matches!(cache.lookup(&a), Lookup::Damaged { .. }));
        assert_eq!(cache.lookup(&"ff".repeat(32)), Lookup::Missing);
    }

    #[test]
    fn a_leftover_temporary_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let key = "9a".repeat(32);
        let target = dir.path().join(format!("{key}.json"));
        // Leftovers of a killed writer on this host with this pid, under the names
        // the next writes would pick.
        let start = COUNTER.load(Ordering::Relaxed);
        let leftovers: Vec<PathBuf> = (start..start + 8)
            .map(|n| dir.path().join(format!(".{key}.json.{}.{}.{n}.tmp", host_name(), std::process::id())))
            .collect();
        for l in &leftovers {
            fs::write(l, b"partial").unwrap();
        }
        write_atomic(&target, b"complete").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"complete");
        for l in &leftovers {
            assert_eq!(fs::read(l).unwrap(), b"partial", "{} was reused", l.display());
        }
    }

    #[test]
    fn concurrent_writers_of_one_key_leave_one_complete_record() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let key = "7b".repeat(32);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| (0..20).for_each(|_| cache.put(&outcome(&key)).unwrap()));
            }
        });
        assert_eq!(cache.get(&key), Some(outcome(&key)));
        let names: Vec<String> = fs::read_dir(cache.path(&key).parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [format!("{key}.json")]);
    }
}
