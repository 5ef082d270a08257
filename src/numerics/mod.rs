//! The numeric mode: which code computes a network's arithmetic, and therefore
//! whose bits a run's results carry.
//!
//! `portable` (the default) gives the same bytes on every x86-64 processor with
//! AVX2 and FMA, Intel or AMD: matrix products and vector math run in our own
//! kernels ([`gemm`], and `estimate::neural::interpose` which puts them under
//! libtorch), ATen's own kernels are pinned to their AVX2 build, oneDNN is off and
//! whatever MKL still computes takes its vendor-neutral `COMPATIBLE` branch.
//! `native` lets libtorch pick its fastest code for this processor: its tables are
//! not comparable byte for byte with anyone else's, so its keys name the processor.
//!
//! The pins live here and nowhere else: they enter the environment when a
//! process loads causeway (before `main`, before any thread), `main` takes them
//! out again for `--numerics native`, the neural estimators switch oneDNN before
//! their first tensor, and scripts ask `causeway doctor --env` for them. The mode that is actually in
//! force, read back from libtorch, enters every network run's key and every
//! manifest ([`NumericIdentity`]).

pub mod gemm;
pub mod vecmath;

use std::sync::Once;
use std::sync::atomic::{AtomicU8, Ordering};

use serde::Serialize;

/// The two modes a user can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericMode {
    Portable,
    Native,
}

impl NumericMode {
    pub fn name(self) -> &'static str {
        match self {
            NumericMode::Portable => "portable",
            NumericMode::Native => "native",
        }
    }
}

/// An environment variable libtorch reads once, when it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pin {
    pub var: &'static str,
    pub value: &'static str,
    pub why: &'static str,
}

/// The portable mode's environment. (oneDNN is switched off through libtorch's
/// API, and matrix products are replaced, so neither needs a variable.)
pub const PORTABLE_PINS: &[Pin] = &[
    Pin {
        var: "ATEN_CPU_CAPABILITY",
        value: "avx2",
        why: "ATen's own kernels: the AVX2 build, not the AVX-512 one this processor may prefer",
    },
    Pin {
        var: "MKL_CBWR",
        value: "COMPATIBLE",
        why: "what MKL still computes (double precision, LAPACK): its vendor-neutral branch",
    },
];

/// The kernels that compute single-precision matrix products and vector math in
/// each mode; part of the identity, bumped when our kernels' arithmetic changes.
pub const PORTABLE_KERNELS: &str = "causeway-fma-chain-1";
pub const NATIVE_KERNELS: &str = "mkl";

static SELECTED: AtomicU8 = AtomicU8::new(0);
static PINNED: Once = Once::new();
/// Bit i set: this process set `PORTABLE_PINS[i]` itself (the user had not).
static SET_HERE: AtomicU8 = AtomicU8::new(0);

/// The portable pins go into the environment when the process loads causeway,
/// before `main` and before any thread, so that no libtorch kernel can run
/// without them, whatever a test or a library user calls first (ATen and MKL
/// read them once, at their first use). `select(Native)` takes them out again.
#[used]
#[unsafe(link_section = ".init_array")]
static PIN_AT_LOAD: extern "C" fn() = pin_at_load;

extern "C" fn pin_at_load() {
    for (i, pin) in PORTABLE_PINS.iter().enumerate() {
        if std::env::var_os(pin.var).is_none() {
            // SAFETY: constructors run before main, while the process has one thread.
            unsafe { std::env::set_var(pin.var, pin.value) };
            SET_HERE.fetch_or(1 << i, Ordering::Relaxed);
        }
    }
}

/// Whether the process-load step put the pins in place (it always has, in a
/// binary that links this module; the tests check it).
pub fn pinned_at_load() -> bool {
    PORTABLE_PINS.iter().all(|p| std::env::var_os(p.var).is_some())
}

/// The mode this process computes in (portable unless `select` said otherwise).
pub fn selected() -> NumericMode {
    if SELECTED.load(Ordering::Relaxed) == 1 { NumericMode::Native } else { NumericMode::Portable }
}

/// Choose the mode, once, before libtorch starts (`main` does, before any
/// thread; later calls change nothing). The portable pins are already in the
/// environment (see `PIN_AT_LOAD`); the native mode removes the ones this process
/// set. Returns the pins whose values the user's environment overrides.
pub fn select(mode: NumericMode) -> Vec<(Pin, String)> {
    let mut overridden = Vec::new();
    PINNED.call_once(|| {
        SELECTED.store(u8::from(mode == NumericMode::Native), Ordering::Relaxed);
        let ours = SET_HERE.load(Ordering::Relaxed);
        for (i, pin) in PORTABLE_PINS.iter().enumerate() {
            let set_here = ours & (1 << i) != 0;
            match (mode, std::env::var(pin.var)) {
                // SAFETY: called before other threads exist (main), or before the
                // first tensor of a process that never chose a mode.
                (NumericMode::Native, _) if set_here => unsafe { std::env::remove_var(pin.var) },
                (NumericMode::Portable, Ok(v)) if v != pin.value => overridden.push((*pin, v)),
                (NumericMode::Portable, Err(_)) => unsafe { std::env::set_var(pin.var, pin.value) },
                _ => {}
            }
        }
    });
    overridden
}

/// What is in force, as read back from libtorch and MKL; enters the keys of
/// network runs and the manifests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NumericIdentity {
    /// `portable`, `native`, or `custom` (portable asked, but a pin overridden).
    pub mode: String,
    pub kernels: String,
    /// ATen's kernel build in use (`avx2`, `avx512`, `default`).
    pub aten: String,
    /// MKL's conditional-numerical-reproducibility branch in use.
    pub mkl_cbwr: String,
    pub onednn: bool,
    /// The processor, for modes whose bits depend on it; absent when portable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
}

impl NumericIdentity {
    /// Build the identity from what libtorch reports; a portable request whose
    /// read-back differs from the pins is `custom` and names the processor.
    pub fn from_dispatch(mode: NumericMode, aten: String, mkl_cbwr: String, onednn: bool) -> NumericIdentity {
        let portable = mode == NumericMode::Portable && aten == "avx2" && mkl_cbwr == "COMPATIBLE" && !onednn;
        let name = match mode {
            NumericMode::Native => "native",
            NumericMode::Portable if portable => "portable",
            NumericMode::Portable => "custom",
        };
        let kernels = if mode == NumericMode::Portable { PORTABLE_KERNELS } else { NATIVE_KERNELS };
        NumericIdentity {
            mode: name.into(),
            kernels: kernels.into(),
            aten,
            mkl_cbwr,
            onednn,
            cpu: (!portable).then(cpu_name),
        }
    }

    /// The portable mode as its pins promise it, without asking libtorch (for
    /// planning in tests and tools that never train).
    pub fn portable() -> NumericIdentity {
        NumericIdentity::from_dispatch(NumericMode::Portable, "avx2".into(), "COMPATIBLE".into(), false)
    }

    pub fn is_portable(&self) -> bool {
        self.mode == "portable"
    }

    /// One line for manifests and messages.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} (kernels {}, ATen {}, MKL_CBWR {}, oneDNN {})",
            self.mode,
            self.kernels,
            self.aten,
            self.mkl_cbwr,
            if self.onednn { "on" } else { "off" }
        );
        if let Some(cpu) = &self.cpu {
            s += &format!(" on {cpu}");
        }
        s
    }
}

/// The processor's vendor and brand string, from CPUID.
pub fn cpu_name() -> String {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::__cpuid;
        let word = |r: u32| r.to_le_bytes();
        // CPUID exists on every x86-64 processor (safe to call since Rust 1.87).
        let v = __cpuid(0);
        let vendor: Vec<u8> = [v.ebx, v.edx, v.ecx].into_iter().flat_map(word).collect();
        // Leaves 0x80000002..4 hold the brand string when the maximum extended
        // leaf reaches them.
        let brand: Vec<u8> = if __cpuid(0x8000_0000).eax >= 0x8000_0004 {
            (0x8000_0002u32..=0x8000_0004)
                .flat_map(|l| {
                    let r = __cpuid(l);
                    [r.eax, r.ebx, r.ecx, r.edx].into_iter().flat_map(word)
                })
                .collect()
        } else {
            Vec::new()
        };
        let text = |b: &[u8]| String::from_utf8_lossy(b).trim_matches(char::from(0)).trim().to_string();
        // Leaf 1: family and model.
        let sig = __cpuid(1).eax;
        let family = ((sig >> 8) & 0xf) + if (sig >> 8) & 0xf == 0xf { (sig >> 20) & 0xff } else { 0 };
        let model = ((sig >> 4) & 0xf) | (((sig >> 16) & 0xf) << 4);
        format!("{} {} (family {family}, model {model})", text(&vendor), text(&brand))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        std::env::consts::ARCH.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portable_identity_names_no_processor_and_overrides_make_it_custom() {
        let p = NumericIdentity::from_dispatch(NumericMode::Portable, "avx2".into(), "COMPATIBLE".into(), false);
        assert!(p.is_portable() && p.cpu.is_none());
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"mode":"portable","kernels":"causeway-fma-chain-1","aten":"avx2","mkl_cbwr":"COMPATIBLE","onednn":false}"#
        );
        let c = NumericIdentity::from_dispatch(NumericMode::Portable, "avx2".into(), "AVX2,STRICT".into(), false);
        assert_eq!(c.mode, "custom");
        assert!(c.cpu.is_some());
        let n = NumericIdentity::from_dispatch(NumericMode::Native, "avx512".into(), "AUTO".into(), true);
        assert_eq!((n.mode.as_str(), n.kernels.as_str()), ("native", "mkl"));
        assert_ne!(serde_json::to_value(&n).unwrap(), serde_json::to_value(&p).unwrap());
    }

    #[test]
    fn cpu_name_names_a_vendor() {
        let name = cpu_name();
        assert!(name.contains("family"), "{name}");
    }
}
