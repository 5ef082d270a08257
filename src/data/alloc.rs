//! Fallible allocation for the vectors whose length a user chooses (rows of a
//! dataset): a machine without the memory fails the run with a message,
//! where `Vec`'s own allocation would abort the whole process.

use super::error::DataError;

/// The error of failing to allocate `count` values of `T` for `what`.
fn out_of_memory<T>(count: usize, what: &str) -> DataError {
    let bytes = (count as u64).saturating_mul(std::mem::size_of::<T>() as u64);
    DataError::OutOfMemory { what: what.to_string(), size: crate::bytes::bytes_text(bytes) }
}

/// An empty vector with room for `count` values.
pub(crate) fn with_capacity<T>(count: usize, what: &str) -> Result<Vec<T>, DataError> {
    let mut out = Vec::new();
    out.try_reserve_exact(count).map_err(|_| out_of_memory::<T>(count, what))?;
    Ok(out)
}

/// Room for one more value in `out` (growing it as `push` would).
pub(crate) fn reserve_one<T>(out: &mut Vec<T>, what: &str) -> Result<(), DataError> {
    out.try_reserve(1).map_err(|_| out_of_memory::<T>(out.len().saturating_add(1), what))
}

/// The values of `iter` in a vector allocated fallibly, at once when the
/// iterator knows its length (an upper bound, for a filter).
pub(crate) fn collect<T>(iter: impl IntoIterator<Item = T>, what: &str) -> Result<Vec<T>, DataError> {
    let iter = iter.into_iter();
    let (lower, upper) = iter.size_hint();
    let mut out = with_capacity(upper.unwrap_or(lower), what)?;
    for value in iter {
        if out.len() == out.capacity() {
            reserve_one(&mut out, what)?;
        }
        out.push(value);
    }
    Ok(out)
}

/// A copy of `values`, allocated fallibly.
pub(crate) fn copy<T: Clone>(values: &[T], what: &str) -> Result<Vec<T>, DataError> {
    let mut out = with_capacity(values.len(), what)?;
    out.extend_from_slice(values);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_impossible_size_is_an_error_not_an_abort() {
        let err = with_capacity::<f64>(usize::MAX / 16, "the test column").unwrap_err();
        assert!(err.to_string().starts_with("cannot allocate 8.0 EiB for the test column"), "{err}");
        assert_eq!(collect((0..5).filter(|i| i % 2 == 0), "x").unwrap(), [0, 2, 4]);
        assert_eq!(copy(&[1.0, 2.0], "x").unwrap(), [1.0, 2.0]);
    }
}
