//! Where the networks run and how many threads libtorch may use.
//!
//! CPU is the reference: results are pinned on it. Parallelism comes from running
//! several runs side by side, so each run gets exactly one libtorch intra-op thread;
//! otherwise thread pools would oversubscribe the cores and reductions could be
//! split differently from one machine to the next.

use std::sync::Once;

use serde::{Deserialize, Serialize};

use crate::estimate::EstimateError;

/// The `device` hyperparameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    #[default]
    Cpu,
    Cuda,
}

impl Device {
    /// The libtorch device, or an error when CUDA is asked for but absent.
    pub(crate) fn to_tch(self, kind: &str) -> Result<tch::Device, EstimateError> {
        match self {
            Device::Cpu => Ok(tch::Device::Cpu),
            Device::Cuda if cuda_available() => Ok(tch::Device::Cuda(0)),
            Device::Cuda => Err(EstimateError::Failed {
                kind: kind.to_string(),
                message: "device `cuda` requested but libtorch sees no CUDA device (use `device: cpu`)".into(),
            }),
        }
    }
}

/// The libtorch release causeway is built against. torch-sys 0.24 refuses at build
/// time any libtorch other than 2.11.0 (unless its version check is bypassed), so
/// the pinned crate version determines this string.
pub fn libtorch_version() -> String {
    "2.11.0".to_string()
}

pub fn cuda_available() -> bool {
    tch::Cuda::is_available()
}

static INTEROP: Once = Once::new();

/// Apply the numeric mode (once per process) and limit libtorch to one intra-op thread on the calling thread (OpenMP keeps the
/// setting per thread, so every worker calls this), and once per process to one
/// inter-op thread.
pub fn init_thread() {
    // The numeric mode first: its pins must be in place before libtorch's first
    // kernel runs, and its kernels must be linked into every binary that trains.
    super::dispatch::apply();
    std::hint::black_box(super::interpose::definitions());
    tch::set_num_threads(1);
    // Freed activations stay with the process for the next step (see allocator.rs).
    super::allocator::keep_freed_memory();
    INTEROP.call_once(|| {
        // libtorch refuses to change the inter-op pool once it has been used or set,
        // and tch turns that refusal into a panic; call the C API directly and drop
        // the error message instead, leaving the pool as it is (we never use it).
        // SAFETY: plain FFI calls without pointer arguments; the error string, if
        // any, is leaked once per process rather than freed with a foreign allocator.
        unsafe {
            if torch_sys::at_get_num_interop_threads() != 1 {
                torch_sys::at_set_num_interop_threads(1);
                let _ = torch_sys::get_and_reset_last_err();
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_thread_pins_one_intra_op_thread_and_is_idempotent() {
        init_thread();
        init_thread();
        assert_eq!(tch::get_num_threads(), 1);
    }

    #[test]
    fn cuda_request_fails_cleanly_without_cuda() {
        if cuda_available() {
            return;
        }
        let err = Device::Cuda.to_tch("tarnet").unwrap_err();
        assert!(err.to_string().contains("no CUDA device"), "{err}");
    }
}
