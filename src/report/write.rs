//! Writing a results folder as a whole: every file goes into a new folder beside
//! the old one, is fsynced, and the two folders are then swapped in one atomic
//! rename (`renameat2(RENAME_EXCHANGE)`). A reader (or `git diff`) sees either all
//! of the old tables or all of the new ones, never a mix, even when the disk
//! fills up or the process is killed halfway.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use thiserror::Error;

/// A results folder could not be written; `path` is the file or folder that failed.
#[derive(Debug, Error)]
#[error("cannot write the results folder {}: {source} (at {})", .dir.display(), .path.display())]
pub struct WriteError {
    pub dir: PathBuf,
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Replace folder `dir` by one holding exactly `files` (name, contents), plus the
/// files named in `keep` copied over from the old folder when `files` has none of
/// that name (the git-ignored timings of a rerun that computed nothing).
pub fn replace_results(dir: &Path, files: &[(&str, String)], keep: &[&str]) -> Result<(), WriteError> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("results").to_string();
    let fail = |path: &Path| {
        let (dir, path) = (dir.to_path_buf(), path.to_path_buf());
        move |source| WriteError { dir, path, source }
    };
    fs::create_dir_all(&parent).map_err(fail(&parent))?;
    remove_leftovers(&parent, &name);
    let staging = create_staging(&parent, &name).map_err(fail(&parent))?;
    let filled = fill(&staging, dir, files, keep);
    let swapped = filled.and_then(|()| swap(&staging, dir));
    if swapped.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    swapped.map_err(|(path, e)| fail(&path)(e))?;
    // The exchange left the old folder under the staging name.
    let _ = fs::remove_dir_all(&staging);
    if let Ok(d) = fs::File::open(&parent) {
        let _ = d.sync_all();
    }
    Ok(())
}

type Failed = (PathBuf, std::io::Error);

/// Write and fsync every file of the new folder.
fn fill(staging: &Path, old: &Path, files: &[(&str, String)], keep: &[&str]) -> Result<(), Failed> {
    for (name, contents) in files {
        let path = staging.join(name);
        write_synced(&path, contents.as_bytes()).map_err(|e| (path.clone(), e))?;
    }
    for name in keep.iter().filter(|k| !files.iter().any(|(n, _)| n == *k)) {
        let from = old.join(name);
        if let Ok(bytes) = fs::read(&from) {
            let path = staging.join(name);
            write_synced(&path, &bytes).map_err(|e| (path.clone(), e))?;
        }
    }
    fs::File::open(staging).and_then(|d| d.sync_all()).map_err(|e| (staging.to_path_buf(), e))
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Put `staging` at `dir`: an atomic exchange when `dir` exists, where the
/// filesystem supports it; else two renames (a reader may briefly find no folder,
/// but never a mixed one).
fn swap(staging: &Path, dir: &Path) -> Result<(), Failed> {
    let at = |e: std::io::Error| (dir.to_path_buf(), e);
    if fs::symlink_metadata(dir).is_err() {
        return fs::rename(staging, dir).map_err(at);
    }
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, staging, CWD, dir, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(()),
        Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {
            let aside = staging.with_extension("old");
            fs::rename(dir, &aside).map_err(at)?;
            fs::rename(staging, dir).map_err(at)?;
            // `replace_results` removes the staging name; here the old folder is aside.
            let _ = fs::remove_dir_all(&aside);
            Ok(())
        }
        Err(e) => Err(at(e.into())),
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// `.<name>.<host>.<pid>.<n>.new`, created exclusively beside the folder it replaces.
fn create_staging(parent: &Path, name: &str) -> std::io::Result<PathBuf> {
    let host = crate::fsio::host_name();
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = parent.join(format!(".{name}.{host}.{}.{n}.new", std::process::id()));
        match fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Staging folders of `name` left by a writer on this host that was killed (its
/// process no longer exists). Another host's, or a live writer's, are left alone.
fn remove_leftovers(parent: &Path, name: &str) {
    let prefix = format!(".{name}.{}.", crate::fsio::host_name());
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else { continue };
        let Some(pid) = rest.split('.').next().and_then(|p| p.parse::<u32>().ok()) else { continue };
        let dead = pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists();
        if dead && (rest.ends_with(".new") || rest.ends_with(".old")) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_the_folder_as_a_whole_and_keeps_what_it_is_told() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("exp");
        replace_results(
            &dir,
            &[("a.csv", "1".into()), ("plot.svg", "<svg/>".into()), ("timings.csv", "t".into())],
            &[],
        )
        .unwrap();
        replace_results(&dir, &[("a.csv", "2".into())], &["timings.csv"]).unwrap();
        // The stale plot is gone, the timings kept, and no staging folder is left.
        assert_eq!(names(&dir), ["a.csv", "timings.csv"]);
        assert_eq!(fs::read_to_string(dir.join("a.csv")).unwrap(), "2");
        assert_eq!(names(root.path()), ["exp"]);
    }

    #[test]
    fn a_failed_write_leaves_the_old_folder_untouched() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("exp");
        replace_results(&dir, &[("a.csv", "old".into()), ("b.csv", "old".into())], &[]).unwrap();
        // A file name that cannot be created fails the write after a.csv is written.
        let err = replace_results(&dir, &[("a.csv", "new".into()), ("no/such/b.csv", "new".into())], &[]).unwrap_err();
        assert!(err.path.ends_with("no/such/b.csv"), "{err}");
        assert!(err.to_string().contains("results folder"), "{err}");
        assert_eq!(names(&dir), ["a.csv", "b.csv"]);
        assert_eq!(fs::read_to_string(dir.join("a.csv")).unwrap(), "old");
        assert_eq!(names(root.path()), ["exp"]);
    }

    #[test]
    fn leftovers_of_a_killed_writer_on_this_host_are_removed() {
        let root = tempfile::tempdir().unwrap();
        let host = crate::fsio::host_name();
        // No process has pid u32::MAX - 1 (Linux caps pids at 2^22).
        let dead = root.path().join(format!(".exp.{host}.{}.0.new", u32::MAX - 1));
        let other_host = root.path().join(".exp.elsewhere.1.0.new");
        fs::create_dir_all(&dead).unwrap();
        fs::create_dir_all(&other_host).unwrap();
        replace_results(&root.path().join("exp"), &[("a.csv", "1".into())], &[]).unwrap();
        assert!(!dead.exists());
        assert!(other_host.exists());
    }
}
