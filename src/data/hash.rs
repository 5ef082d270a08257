//! sha256 of data files: the bytes a dataset is built from are the bytes that were
//! hashed, so a file cannot change between the check and the parse.

use std::path::Path;

use super::error::DataError;

pub use crate::hash::sha256_hex;

/// The whole file, with a clear error for a path that does not exist.
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, DataError> {
    std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => DataError::NotFound { path: path.to_path_buf() },
        _ => DataError::Io { path: path.to_path_buf(), message: e.to_string() },
    })
}

/// The file's bytes, only if their sha256 is `expected`.
pub(crate) fn read_verified(path: &Path, expected: &str) -> Result<Vec<u8>, DataError> {
    let bytes = read_bytes(path)?;
    let actual = sha256_hex(&bytes);
    if actual != expected.to_lowercase() {
        return Err(DataError::HashMismatch { path: path.to_path_buf(), expected: expected.to_string(), actual });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        // FIPS 180-2 test vectors.
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
