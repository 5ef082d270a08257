//! Atomic file writes, below every other module: a file is written to a uniquely
//! named temporary beside its target, fsynced, then renamed into place, so that a
//! reader sees either nothing or the whole file, whatever kills the writer.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Write `bytes` to `path` through a uniquely named temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let (tmp, mut file) = create_temporary(dir, path.file_name().and_then(|n| n.to_str()).unwrap_or("file"))?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    match written.and_then(|()| fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Temporary files this process has named so far.
pub(crate) static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A new temporary file beside the target. Its name holds the host, the process
/// and a per-process counter, and it is created exclusively (`O_EXCL`, which NFS
/// honours too), so two writers never share one: not threads of a process, not
/// processes of a node, not nodes that see the same store (where process ids
/// repeat across machines and containers).
fn create_temporary(dir: &Path, name: &str) -> std::io::Result<(PathBuf, fs::File)> {
    let host = host_name();
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{host}.{}.{n}.tmp", std::process::id()));
        match fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            // A leftover of a killed writer (same host, reused pid): take the next number.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// This machine's name, reduced to characters safe in a file name.
pub fn host_name() -> String {
    let raw = fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let safe: String = raw.trim().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    if safe.is_empty() { "host".to_string() } else { safe }
}
