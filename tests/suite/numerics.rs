//! The numeric mode as a user meets it: `causeway doctor`, `--numerics native`,
//! and a pin overridden in the environment. Each runs the real binary, whose
//! `main` applies the pins before libtorch starts.

use std::collections::BTreeMap;
use std::process::{Command, Output};

const SMALL: &str = "tests/experiments/small.yaml";

fn causeway(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_causeway"));
    c.args(args).env_remove("MKL_CBWR").env_remove("ATEN_CPU_CAPABILITY");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// label -> key prefix of every run `causeway plan` lists.
fn keys(out: &Output) -> BTreeMap<String, String> {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let label = parts.next()?.to_string();
            let key = parts.next()?.to_string();
            l.contains(" seed ").then_some((label, key))
        })
        .collect()
}

fn is_network(label: &str) -> bool {
    ["slearner", "tlearner", "tarnet", "cfr", "dragonnet"].iter().any(|k| label.ends_with(k))
}

#[test]
fn doctor_passes_here_and_names_what_is_in_force() {
    let out = causeway(&["doctor"], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("numeric mode: portable"), "{text}");
    assert!(text.contains("in force: ATEN_CPU_CAPABILITY avx2, MKL_CBWR COMPATIBLE, oneDNN off"), "{text}");
    assert!(text.contains("result: this machine reproduces the committed tables' network runs"), "{text}");
    assert_eq!(text.matches("  ok\n").count(), 8, "{text}");
}

#[test]
fn doctor_env_prints_the_pins_for_scripts() {
    let out = causeway(&["doctor", "--env"], &[]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "export ATEN_CPU_CAPABILITY=avx2\nexport MKL_CBWR=COMPATIBLE\n");
    let native = causeway(&["--numerics", "native", "doctor", "--env"], &[]);
    assert_eq!(String::from_utf8_lossy(&native.stdout), "");
}

#[test]
fn an_overridden_pin_fails_the_doctor_with_its_cause() {
    let out = causeway(&["doctor"], &[("ATEN_CPU_CAPABILITY", "default")]);
    let text = String::from_utf8_lossy(&out.stdout);
    // Status 4: the doctor's verdict that this machine does not reproduce the pins.
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert!(text.contains("numeric mode: custom") && text.contains("ATEN_CPU_CAPABILITY is not avx2"), "{text}");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("warning: ATEN_CPU_CAPABILITY=default overrides the portable pin")
    );
}

/// Network runs are keyed by the numeric mode; classical runs are not.
#[test]
fn native_and_overridden_modes_key_network_runs_apart() {
    let portable = keys(&causeway(&["plan", SMALL], &[]));
    let native = keys(&causeway(&["--numerics", "native", "plan", SMALL], &[]));
    let custom = keys(&causeway(&["plan", SMALL], &[("MKL_CBWR", "AVX2")]));
    assert_eq!(portable.len(), 30);
    let networks = portable.keys().filter(|l| is_network(l)).count();
    assert!(networks > 0 && networks < portable.len());
    for (label, key) in &portable {
        if is_network(label) {
            assert_ne!(key, &native[label], "{label}");
            assert_ne!(key, &custom[label], "{label}");
            assert_ne!(native[label], custom[label], "{label}");
        } else {
            assert_eq!(key, &native[label], "{label}");
            assert_eq!(key, &custom[label], "{label}");
        }
    }
}

/// A native run's numbers are this processor's: same data, other bits in the
/// network rows, and the manifest says which mode made them.
#[test]
fn native_runs_write_their_mode_into_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, results) = (dir.path().join("cache"), dir.path().join("results"));
    let out = causeway(
        &[
            "--numerics",
            "native",
            "run",
            SMALL,
            "--jobs",
            "2",
            "--progress",
            "quiet",
            "--cache",
            cache.to_str().unwrap(),
            "--results",
            results.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&out.stderr));
    let manifest = std::fs::read_to_string(results.join("small/manifest.yaml")).unwrap();
    let line = manifest.lines().find(|l| l.starts_with("numerics: ")).unwrap();
    assert!(line.starts_with("numerics: native (kernels mkl,") && line.contains(" on "), "{line}");
}
