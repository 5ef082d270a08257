//! Failures are rows, not crashes: a diverging network and impossible requests come
//! back as `EstimateError`s with a readable message.

use crate::neural_common;

use causeway::data::{Split, Truth};
use causeway::estimate::{EstimateError, neural};
use causeway::run::RunRng;
use neural_common::{confounded, small, split};
use rand::SeedableRng;

fn estimate(
    kind: &str,
    params: &causeway::estimate::Params,
    data: &causeway::data::CausalData,
    split: &Split,
) -> Result<causeway::estimate::Estimate, EstimateError> {
    causeway::estimate::build(kind, params).unwrap().estimate(&data.observed(split), &mut RunRng::seed_from_u64(3))
}

#[test]
fn absurd_learning_rate_diverges_into_an_error() {
    let mut data = confounded(200, 4);
    data.truth = Truth::None;
    // The first steps are finite; a rate of 1e10 then blows the weights up.
    let mut p = small("tarnet");
    p.insert("lr".into(), 1e10.into());
    let err = estimate("tarnet", &p, &data, &split(200, 5)).unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"tarnet: training diverged at iteration 2 (loss is infinite)");
}

#[test]
fn tlearner_needs_rows_in_both_arms() {
    let mut data = confounded(100, 4);
    data.treatment.iter_mut().for_each(|t| *t = 0.0);
    let err = estimate("tlearner", &small("tlearner"), &data, &split(100, 5)).unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"tlearner: needs at least 2 training rows in each arm, the treated arm has 0");
}

#[test]
fn cuda_without_a_gpu_is_an_error_not_a_crash() {
    if neural::cuda_available() {
        return;
    }
    let mut p = small("cfr");
    p.insert("device".into(), "cuda".into());
    let err = estimate("cfr", &p, &confounded(100, 4), &split(100, 5)).unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"cfr: device `cuda` requested but libtorch sees no CUDA device (use `device: cpu`)");
}
