//! `causeway doctor`: can this machine reproduce the committed tables' network
//! runs? It reads back what libtorch will compute with (the pins in force, where
//! matrix products go), runs the fixed computations of `estimate::neural::probe`,
//! and compares each digest with the one pinned here; a mismatch is explained by
//! the pin or library that computes that part. `make test` runs it first.

use std::fmt::Write as _;

use super::{Completion, Error};
use crate::estimate::neural::{interpose, probe};
use crate::numerics::{self, NumericIdentity, NumericMode, PORTABLE_PINS};

/// What the portable mode computes on every machine that reproduces the tables
/// (recorded on the machines of docs/numerics.md).
const PINNED: &[(&str, &str)] = &[
    ("matmul", "fc4c80fd399033b6"),
    ("mlp+adam", "988309e097a634ca"),
    ("elementwise", "d21d401e05d3fa5d"),
    ("reduce", "a4e882339fc08ac2"),
    ("conv1d", "91d94bc90334cce4"),
    ("gru", "e505fa31e4f8b91c"),
    ("lstm", "cd566645de57edad"),
    ("libm", "bd578c678c0020c1"),
];

/// sha256 of the libtorch_cpu.so that scripts/setup-libtorch.sh unpacks from the
/// pinned wheel.
const PINNED_LIBTORCH_CPU: &str = "99ea9120891528198d73d477714adf14ec662dec467aca8a3940796ccd452e91";

/// `causeway doctor [--env]`. A machine that does not reproduce the numbers is
/// the doctor's verdict, not an error: the report says why. Nothing here fails;
/// the `Result` is the shape every command shares.
pub fn doctor_command(env: bool) -> Result<Completion, Error> {
    if env {
        if numerics::selected() == NumericMode::Portable {
            for pin in PORTABLE_PINS {
                println!("export {}={}", pin.var, pin.value);
            }
        }
        return Ok(Completion::Ok);
    }
    let id = crate::estimate::numeric_identity();
    let digests = probe::digests();
    let (text, ok) = report(&id, &digests);
    print!("{text}");
    Ok(if ok { Completion::Ok } else { Completion::NotReproducible })
}

fn report(id: &NumericIdentity, digests: &[(&'static str, String)]) -> (String, bool) {
    let mut out = String::new();
    let resolved = interpose::resolution();
    let ours = resolved.iter().filter(|r| r.1).count();
    let fma = numerics::gemm::has_avx2_fma();
    let _ = writeln!(out, "numeric mode: {}", id.describe());
    let _ = writeln!(out, "processor: {} (AVX2 and FMA: {})", numerics::cpu_name(), if fma { "yes" } else { "no" });
    let _ = writeln!(
        out,
        "libtorch: {} ({}); C library: glibc {}",
        crate::estimate::libtorch_version(),
        libtorch_build(),
        glibc_version()
    );
    let _ = writeln!(
        out,
        "in force: ATEN_CPU_CAPABILITY {}, MKL_CBWR {}, oneDNN {}",
        id.aten,
        id.mkl_cbwr,
        if id.onednn { "on" } else { "off" }
    );
    let _ = writeln!(
        out,
        "matrix products and vector math: {} of {} entry points resolve to causeway's kernels, {} calls served",
        ours,
        resolved.len(),
        interpose::calls_served()
    );
    let pinned_here = id.is_portable();
    let mut causes = Vec::new();
    let _ = writeln!(out, "fingerprint:");
    for (part, got) in digests {
        let want = PINNED.iter().find(|p| p.0 == *part).map(|p| p.1);
        let verdict = match want {
            Some(w) if !pinned_here => format!("(pinned {w} for the portable mode)"),
            Some(w) if w == got => "ok".to_string(),
            Some(w) => {
                causes.push(cause(part, id, ours == resolved.len(), fma));
                format!("DIFFERS from the pinned {w}")
            }
            None => "(no pinned value)".to_string(),
        };
        let _ = writeln!(out, "  {part:<12} {got}  {verdict}");
    }
    if !pinned_here {
        let _ = writeln!(
            out,
            "result: numeric mode `{}` has no pinned fingerprint; its tables are this processor's own",
            id.mode
        );
        for pin in PORTABLE_PINS {
            if (pin.var == "MKL_CBWR" && id.mkl_cbwr != pin.value)
                || (pin.var == "ATEN_CPU_CAPABILITY" && id.aten != pin.value)
            {
                let _ = writeln!(out, "  {} is not {} ({})", pin.var, pin.value, pin.why);
            }
        }
        return (out, numerics::selected() == NumericMode::Native);
    }
    causes.dedup();
    if causes.is_empty() {
        let _ = writeln!(out, "result: this machine reproduces the committed tables' network runs");
        (out, true)
    } else {
        let _ = writeln!(out, "result: this machine does NOT reproduce the committed tables' network runs:");
        for c in causes {
            let _ = writeln!(out, "  - {c}");
        }
        (out, false)
    }
}

/// The pin or library that computes `part`, given what is in force.
fn cause(part: &str, id: &NumericIdentity, interposed: bool, fma: bool) -> String {
    let aten = || {
        if id.aten != "avx2" {
            format!(
                "ATen runs its `{}` kernels, not `avx2` (this processor {} AVX2 and FMA)",
                id.aten,
                if fma { "has" } else { "lacks" }
            )
        } else {
            format!("ATen's `avx2` kernels for {part} gave other bits: report this output as a bug")
        }
    };
    match part {
        "matmul" | "mlp+adam" if !interposed => "libtorch's matrix products do not reach causeway's kernels (a binary linked without build.rs's export list?)".into(),
        "matmul" => "causeway's own matrix-product kernel gave other bits: report this output as a bug".into(),
        "conv1d" | "lstm" if id.onednn => "oneDNN computes convolutions and LSTMs (its code depends on the processor); the portable mode turns it off".into(),
        "libm" => format!("the C library's math functions (glibc {}) round differently: simulated data and classical estimates would differ too", glibc_version()),
        _ => aten(),
    }
}

fn libtorch_build() -> String {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    let Some(path) = maps.lines().filter_map(|l| l.split_whitespace().nth(5)).find(|p| p.ends_with("/libtorch_cpu.so"))
    else {
        return "libtorch_cpu.so not found in this process".into();
    };
    match crate::hash::sha256_file(std::path::Path::new(path)) {
        Ok(sha) if sha == PINNED_LIBTORCH_CPU => "the pinned wheel's libtorch_cpu.so".into(),
        Ok(sha) => format!("{path} has sha256 {}…, not the pinned wheel's build", &sha[..12]),
        Err(e) => format!("{path}: {e}"),
    }
}

fn glibc_version() -> String {
    unsafe extern "C" {
        fn gnu_get_libc_version() -> *const std::ffi::c_char;
    }
    // SAFETY: glibc returns a static NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr(gnu_get_libc_version()) }.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(id: &NumericIdentity, flip: Option<&str>) -> (String, bool) {
        let digests: Vec<(&'static str, String)> = PINNED
            .iter()
            .map(|(p, d)| (*p, if Some(*p) == flip { "0000000000000000".to_string() } else { d.to_string() }))
            .collect();
        report(id, &digests)
    }

    #[test]
    fn pinned_digests_pass_and_a_changed_part_names_its_cause() {
        let id = NumericIdentity::portable();
        let (text, ok) = fake(&id, None);
        assert!(ok, "{text}");
        let (text, ok) = fake(&id, Some("elementwise"));
        assert!(!ok && text.contains("DIFFERS") && text.contains("ATen's `avx2` kernels for elementwise"), "{text}");
        let custom = NumericIdentity::from_dispatch(NumericMode::Portable, "avx512".into(), "COMPATIBLE".into(), false);
        assert_eq!(
            cause("reduce", &custom, true, true),
            "ATen runs its `avx512` kernels, not `avx2` (this processor has AVX2 and FMA)"
        );
        let onednn = NumericIdentity::from_dispatch(NumericMode::Portable, "avx2".into(), "COMPATIBLE".into(), true);
        assert!(cause("lstm", &onednn, true, true).contains("oneDNN"));
    }

    /// The digests this process computes (a test process, portable pins) are the
    /// pinned ones: the same check as `causeway doctor`, inside `cargo test`.
    #[test]
    fn this_machine_matches_the_pinned_fingerprint() {
        let digests = probe::digests();
        let (text, ok) = report(&crate::estimate::numeric_identity(), &digests);
        assert!(ok, "{text}");
    }
}
