//! What libtorch will actually compute with, read back from libtorch and MKL
//! themselves rather than from the environment we set, and the one switch that
//! has no variable (oneDNN).
//!
//! These are libtorch 2.11.0's exported C++ and MKL symbols, called directly:
//! torch-sys pins that exact release, and the C++ ones are plain functions of a
//! pointer and a bool (or return a `std::string`), whose Itanium ABI is a C call.

use std::ffi::c_void;
use std::sync::{Once, OnceLock};

use crate::numerics::{self, NumericIdentity, NumericMode};

unsafe extern "C" {
    fn mkl_serv_cbwr_get(what: i32) -> i32;
    #[link_name = "_ZN2at13globalContextEv"]
    fn at_global_context() -> *mut c_void;
    #[link_name = "_ZN2at7Context20setUserEnabledMkldnnEb"]
    fn at_set_user_enabled_mkldnn(ctx: *mut c_void, enabled: bool);
    #[link_name = "_ZNK2at7Context17userEnabledMkldnnEv"]
    fn at_user_enabled_mkldnn(ctx: *const c_void) -> bool;
    /// `std::string at::get_cpu_capability()`: returned through a hidden pointer
    /// to caller-provided storage (the first argument of the C call).
    #[link_name = "_ZN2at18get_cpu_capabilityB5cxx11Ev"]
    fn at_get_cpu_capability(out: *mut CxxString);
}

/// libstdc++'s `std::string` (pointer, length, then capacity or the inline buffer).
#[repr(C)]
struct CxxString {
    ptr: *const u8,
    len: usize,
    local: [u8; 16],
}

const MKL_CBWR_BRANCH: i32 = 1;
const MKL_CBWR_STRICT: i32 = 0x10000;

/// MKL's branch as its `MKL_CBWR` spelling.
fn branch_name(code: i32) -> String {
    let base = match code & !MKL_CBWR_STRICT {
        1 => "OFF",
        2 => "AUTO",
        3 => "COMPATIBLE",
        4 => "SSE2",
        6 => "SSSE3",
        7 => "SSE4_1",
        8 => "SSE4_2",
        9 => "AVX",
        10 => "AVX2",
        12 => "AVX512",
        14 => "AVX512_E1",
        other => return format!("unknown({other})"),
    };
    if code & MKL_CBWR_STRICT != 0 { format!("{base},STRICT") } else { base.to_string() }
}

/// ATen's kernel build in use, as `torch.backends.cpu.get_cpu_capability()` says.
pub fn aten_capability() -> String {
    let mut s = CxxString { ptr: std::ptr::null(), len: 0, local: [0; 16] };
    // SAFETY: the callee constructs a std::string in `s`; we copy its bytes and
    // leak a heap buffer if there is one (capability names fit the inline buffer).
    unsafe {
        at_get_cpu_capability(&mut s);
        let local = s.local.as_ptr();
        let text =
            String::from_utf8_lossy(std::slice::from_raw_parts(if s.ptr.is_null() { local } else { s.ptr }, s.len))
                .into_owned();
        text.to_lowercase()
    }
}

pub fn mkl_branch() -> String {
    // SAFETY: a query without side effects beyond MKL's own initialisation.
    branch_name(unsafe { mkl_serv_cbwr_get(MKL_CBWR_BRANCH) })
}

pub fn onednn_enabled() -> bool {
    // SAFETY: the global context lives for the whole process.
    unsafe { at_user_enabled_mkldnn(at_global_context()) }
}

static APPLIED: Once = Once::new();
static IDENTITY: OnceLock<NumericIdentity> = OnceLock::new();

/// Apply the selected mode to libtorch once per process (after `numerics::select`
/// has set its environment, which this calls with the default for processes such
/// as tests that did not): oneDNN off for the portable mode.
pub fn apply() {
    APPLIED.call_once(|| {
        let mode = numerics::selected();
        numerics::select(mode);
        // SAFETY: the global context lives for the whole process.
        unsafe { at_set_user_enabled_mkldnn(at_global_context(), mode == NumericMode::Native) };
    });
}

/// The numeric identity of this process, read back once (applying the mode first).
pub fn identity() -> NumericIdentity {
    IDENTITY
        .get_or_init(|| {
            apply();
            NumericIdentity::from_dispatch(numerics::selected(), aten_capability(), mkl_branch(), onednn_enabled())
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portable_is_what_libtorch_reports_in_tests() {
        // Test processes get the portable pins from `apply`, before their first tensor.
        let id = identity();
        assert_eq!((id.aten.as_str(), id.mkl_cbwr.as_str(), id.onednn), ("avx2", "COMPATIBLE", false), "{id:?}");
        assert!(id.is_portable());
    }

    #[test]
    fn branch_names_follow_mkl_cbwr_spelling() {
        assert_eq!(branch_name(3), "COMPATIBLE");
        assert_eq!(branch_name(10 | MKL_CBWR_STRICT), "AVX2,STRICT");
        assert_eq!(branch_name(99), "unknown(99)");
    }
}
