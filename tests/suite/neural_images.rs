//! The image design (`builtin: mnist`): the digit's class confounds and modifies
//! the effect and shows only in the pixels. The reference test of issue 19: a
//! TARNet with a convolutional encoder recovers the ATE within a tolerance that
//! the same TARNet fed the flattened pixels through a dense layer of about the
//! same parameter count, and the difference in means, both miss. And the image
//! layers' bytes: the same on one thread and on two, pinned for the portable mode.

use crate::neural_common;

use std::path::Path;

use causeway::data::{BuiltinOptions, CausalData, Split, SplitFractions, Truth, load_builtin};
use causeway::estimate::{Estimate, Params, neural};
use causeway::run::RunRng;
use neural_common::{difference_in_means, ite_bytes};
use rand::SeedableRng;
use rayon::prelude::*;
use serde_json::{Value, json};

const PIXELS: usize = 196;

/// `rows` digits of the MNIST design at confounding `gamma` (every
/// `5000 / rows`-th digit, so each class keeps its share), pixels only: the ink
/// profiles are dropped so that no summary reaches the networks.
fn digits(gamma: f64, rows: usize) -> CausalData {
    let opts = BuiltinOptions { confounding: Some(gamma), ..BuiltinOptions::default() };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let d = load_builtin("mnist", &opts, root, &mut RunRng::seed_from_u64(19)).unwrap();
    let keep: Vec<usize> = (0..d.n_rows()).step_by(d.n_rows() / rows).collect();
    let pick = |v: &[f64]| keep.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    let Truth::Potential { mu0, mu1 } = &d.truth else { panic!("the MNIST design has potential outcomes") };
    CausalData {
        covariate_names: d.covariate_names[..PIXELS].to_vec(),
        covariates: d.covariates[..PIXELS].iter().map(|c| pick(c)).collect(),
        treatment: pick(&d.treatment),
        outcome: pick(&d.outcome),
        truth: Truth::Potential { mu0: pick(mu0), mu1: pick(mu1) },
    }
}

fn encoder(layers: Value) -> Value {
    json!({"columns": {"prefix": "px"}, "shape": [1, 14, 14], "layers": layers})
}

/// 80 + 1,168 + 1,040 = 2,288 parameters.
fn conv() -> Value {
    encoder(json!([{"conv2d": 8, "kernel": 3}, {"max_pool": 2}, {"conv2d": 16, "kernel": 3}, {"max_pool": 2},
        "flatten", {"dense": 16}]))
}

/// 196 × 12 + 12 = 2,364 parameters.
fn flat() -> Value {
    encoder(json!(["flatten", {"dense": 12}]))
}

fn tarnet(encoder: Value, iterations: u64) -> Params {
    let p = json!({"representation": [32, 32], "head": [16], "batch": 64, "lr": 3e-3, "eval_every": 50,
        "iterations": iterations, "encoder": encoder});
    p.as_object().cloned().unwrap()
}

fn fit(p: &Params, data: &CausalData, split: &Split, seed: u64) -> Estimate {
    neural::init_thread();
    causeway::estimate::build("tarnet", p)
        .unwrap()
        .estimate(&data.observed(split), &mut RunRng::seed_from_u64(seed))
        .unwrap()
}

fn split(n: usize) -> Split {
    Split::draw(n, SplitFractions { test: 0.1, validation: 0.3 }, &mut RunRng::seed_from_u64(4))
}

/// The true ATE over the rows an estimate averages (the in-sample rows).
fn true_ate(data: &CausalData, split: &Split) -> f64 {
    let Truth::Potential { mu0, mu1 } = &data.truth else { unreachable!() };
    let rows = split.in_sample();
    rows.iter().map(|&i| mu1[i] - mu0[i]).sum::<f64>() / rows.len() as f64
}

/// The reference test, at confounding 1 on every other digit (2,500 rows, so
/// that it runs in seconds in a debug build). The tolerance is a quarter of the
/// ATE. Measured (portable mode, so the same on every AVX2 processor): errors
/// 0.382 for the CNN, 0.949 for the flattened pixels, 2.313 for the difference
/// in means (`--nocapture` prints them).
#[test]
fn a_cnn_recovers_the_effect_that_flattened_pixels_miss() {
    let data = digits(1.0, 2500);
    let split = split(data.n_rows());
    let truth = true_ate(&data, &split);
    let naive = difference_in_means(&data, &split) - truth;
    let cnn = fit(&tarnet(conv(), 1000), &data, &split, 1).ate - truth;
    let mlp = fit(&tarnet(flat(), 1000), &data, &split, 1).ate - truth;
    eprintln!("true ATE {truth:.3}; errors: difference in means {naive:.3}, flat pixels {mlp:.3}, conv2d {cnn:.3}");
    assert!(naive.abs() > 1.0, "the design must fool the difference in means: {naive}");
    assert!(cnn.abs() < 0.5, "conv2d encoder error {cnn}");
    assert!(mlp.abs() > 0.5, "flattened pixels must miss: {mlp}");
}

/// A run's bits depend on its seed only: the same on one thread and beside
/// another run on two, for both pooling kinds; and pinned, so that every
/// processor with AVX2 and FMA must print them under the portable mode.
#[test]
fn image_runs_repeat_their_bytes_across_workers_and_are_pinned() {
    let data = digits(1.0, 250);
    let split = split(data.n_rows());
    let avg = encoder(json!([{"conv2d": 4, "kernel": 3, "padding": 1, "stride": 2}, {"avg_pool": 2}, "flatten"]));
    let jobs = [tarnet(conv(), 30), tarnet(avg, 30)];
    let bytes = |p: &Params, seed: u64| {
        let est = fit(p, &data, &split, seed);
        let mut out = ite_bytes(est.ite.as_ref().unwrap());
        out.extend(est.ate.to_le_bytes());
        out
    };
    tch::manual_seed(1);
    let sequential: Vec<Vec<u8>> = jobs.iter().map(|p| bytes(p, 7)).collect();
    tch::manual_seed(99);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let parallel: Vec<Vec<u8>> = pool.install(|| jobs.par_iter().map(|p| bytes(p, 7)).collect());
    assert_eq!(sequential, parallel, "bytes differ between one worker and two");
    assert_ne!(sequential[0], bytes(&jobs[0], 8), "the seed must matter");
    let digest: Vec<String> = sequential.iter().map(|b| causeway::hash::sha256_hex(b)[..16].to_string()).collect();
    insta::assert_snapshot!(format!("conv2d+max_pool {}\nconv2d+avg_pool {}", digest[0], digest[1]), @"
conv2d+max_pool f52afee9a8d83a2d
conv2d+avg_pool 0539179e989c3bb9
");
}
