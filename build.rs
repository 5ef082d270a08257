//! Embed libtorch's library directory as an rpath so that binaries and tests run
//! without LD_LIBRARY_PATH, and keep libtorch_cuda linked when it is present.
//!
//! torch-sys (`links = "tch"`) exports its lib directory to direct dependents as
//! `DEP_TCH_LIBTORCH_LIB`. The default
//! `--as-needed` linker flag would drop `libtorch_cuda.so` because no symbol of
//! ours references it directly, leaving CUDA unavailable at run time, so it is
//! linked with `--no-as-needed` when the libtorch in use has it.
use std::path::Path;

fn main() {
    record_rustc_version();
    export_interposed_symbols();
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") else {
        return;
    };
    println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
    if Path::new(&lib).join("libtorch_cuda.so").exists() {
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed,-ltorch_cuda,--as-needed");
    }
    println!("cargo:rustc-env=CAUSEWAY_LIBTORCH_LIB={lib}");
}

/// The compiler's version goes into results/*/manifest.yaml.
fn record_rustc_version() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=CAUSEWAY_RUSTC_VERSION={version}");
}

/// Export the BLAS and vector-math names that `src/estimate/neural/interpose.rs`
/// defines from every binary (CLI, tests, benches), so that the dynamic linker
/// resolves libtorch's calls to them (see that file).
fn export_interposed_symbols() {
    let list = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/estimate/neural/interposed.list");
    println!("cargo:rerun-if-changed={}", list.display());
    println!("cargo:rustc-link-arg=-Wl,--dynamic-list={}", list.display());
}
