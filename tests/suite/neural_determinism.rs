//! Same inputs, same bytes: a neural run depends only on its data, split,
//! hyperparameters and RunRng seed; not on libtorch's global generator, and not on
//! whether runs execute one after another or side by side on rayon threads.

use crate::neural_common;

use causeway::estimate::neural;
use causeway::run::RunRng;
use neural_common::{confounded, ite_bytes, small, split};
use rand::SeedableRng;
use rayon::prelude::*;

/// Dropout makes the forward pass random too; include it so masks are covered.
fn params(kind: &str) -> causeway::estimate::Params {
    let mut p = small(kind);
    let key = if kind.ends_with("learner") { "layers" } else { "representation" };
    p.insert(key.into(), serde_json::json!([16, {"dropout": 0.2}, 16]));
    if kind == "dragonnet" {
        p.insert("epochs".into(), 3.into());
        p.insert("sgd_epochs".into(), 2.into());
    } else {
        p.insert("iterations".into(), 60.into());
        p.insert("eval_every".into(), 20.into());
    }
    p
}

fn run(kind: &str, seed: u64) -> Vec<u8> {
    neural::init_thread();
    let (data, split) = (confounded(300, 1), split(300, 2));
    let est = causeway::estimate::build(kind, &params(kind))
        .unwrap()
        .estimate(&data.observed(&split), &mut RunRng::seed_from_u64(seed))
        .unwrap();
    let mut bytes = ite_bytes(est.ite.as_ref().unwrap());
    bytes.extend(est.ate.to_le_bytes());
    bytes
}

#[test]
fn libtorch_global_seed_does_not_matter() {
    for kind in ["tarnet", "cfr", "dragonnet"] {
        tch::manual_seed(1);
        let a = run(kind, 5);
        tch::manual_seed(987_654);
        let b = run(kind, 5);
        assert_eq!(a, b, "{kind}: bytes differ across tch::manual_seed");
        assert_ne!(a, run(kind, 6), "{kind}: the run seed must matter");
    }
}

#[test]
fn parallel_runs_match_sequential_runs() {
    let jobs: Vec<(&str, u64)> =
        causeway::estimate::neural_kinds().into_iter().flat_map(|k| [(k, 21), (k, 22)]).collect();
    let sequential: Vec<Vec<u8>> = jobs.iter().map(|&(k, s)| run(k, s)).collect();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let parallel: Vec<Vec<u8>> = pool.install(|| jobs.par_iter().map(|&(k, s)| run(k, s)).collect());
    for ((kind, seed), (a, b)) in jobs.iter().zip(sequential.iter().zip(&parallel)) {
        assert_eq!(a, b, "{kind} seed {seed}: parallel run differs from sequential");
    }
}

/// The portable pins are in the environment when the test process starts, before
/// any test (this one calls nothing of causeway first): loading the library puts
/// them there, so no tensor of any test can run under libtorch's own dispatch.
#[test]
fn the_pins_are_in_place_before_any_tensor() {
    for pin in causeway::numerics::PORTABLE_PINS {
        assert_eq!(std::env::var(pin.var).as_deref(), Ok(pin.value), "{}", pin.var);
    }
    assert!(causeway::numerics::pinned_at_load());
}
