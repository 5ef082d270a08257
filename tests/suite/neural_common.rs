//! Shared fixtures for the neural estimator tests: a small nonlinear, confounded
//! structural causal model drawn with the run RNG, and small network settings.

use causeway::data::{CausalData, Split, SplitFractions, Truth};
use causeway::estimate::Params;
use causeway::run::RunRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use serde_json::{Value, json};

/// The constant effect every row gets in `confounded`.
pub const EFFECT: f64 = 2.0;

/// x ~ N(0, I_4); P(t = 1 | x) = sigmoid(1.5 x0 - x1 + 0.5 x0²);
/// mu0 = 3 x0 + sin(2 x1) + x0² - 0.5 x2 x3; mu1 = mu0 + 2; y = mu_t + N(0, 0.5²).
/// x0 raises both the chance of treatment and the outcome, so the difference in
/// means is biased upwards by about 3.
#[allow(clippy::needless_range_loop)] // row i of four columns, side by side
pub fn confounded(n: usize, seed: u64) -> CausalData {
    let mut rng = RunRng::seed_from_u64(seed);
    let std = Normal::new(0.0, 1.0).unwrap();
    let cols: Vec<Vec<f64>> = (0..4).map(|_| (0..n).map(|_| std.sample(&mut rng)).collect()).collect();
    let (mut t, mut y, mut mu0, mut mu1) = (vec![], vec![], vec![], vec![]);
    for i in 0..n {
        let (x0, x1, x2, x3) = (cols[0][i], cols[1][i], cols[2][i], cols[3][i]);
        let p = 1.0 / (1.0 + (-(1.5 * x0 - x1 + 0.5 * x0 * x0 - 0.5)).exp());
        let treated = rand::Rng::random::<f64>(&mut rng) < p;
        let m0 = 3.0 * x0 + (2.0 * x1).sin() + x0 * x0 - 0.5 * x2 * x3;
        let m1 = m0 + EFFECT;
        let noise = 0.5 * std.sample(&mut rng);
        t.push(if treated { 1.0 } else { 0.0 });
        y.push(if treated { m1 } else { m0 } + noise);
        mu0.push(m0);
        mu1.push(m1);
    }
    CausalData {
        covariate_names: (0..4).map(|j| format!("x{j}")).collect(),
        covariates: cols,
        treatment: t,
        outcome: y,
        truth: Truth::Potential { mu0, mu1 },
    }
}

pub fn split(n: usize, seed: u64) -> Split {
    Split::draw(n, SplitFractions { test: 0.1, validation: 0.3 }, &mut RunRng::seed_from_u64(seed))
}

/// Mean outcome of the treated minus that of the controls, over the in-sample rows.
pub fn difference_in_means(data: &CausalData, split: &Split) -> f64 {
    let rows = split.in_sample();
    let mean = |arm: bool| {
        let ys: Vec<f64> = rows.iter().filter(|&&i| data.is_treated(i) == arm).map(|&i| data.outcome[i]).collect();
        ys.iter().sum::<f64>() / ys.len() as f64
    };
    mean(true) - mean(false)
}

/// Small networks and short schedules so that a fit takes a fraction of a second.
pub fn small(kind: &str) -> Params {
    let v: Value = match kind {
        "slearner" | "tlearner" => {
            json!({"layers": [32, 32], "iterations": 400, "batch": 64, "lr": 3e-3, "eval_every": 50})
        }
        "tarnet" => {
            json!({"representation": [32, 32], "head": [16], "iterations": 400, "batch": 64, "lr": 3e-3, "eval_every": 50})
        }
        "cfr" => {
            json!({"representation": [32, 32], "head": [16], "iterations": 400, "batch": 64, "lr": 3e-3, "eval_every": 50, "alpha": 0.3})
        }
        "dragonnet" => {
            json!({"representation": [32, 32], "head": [16], "epochs": 30, "sgd_epochs": 10, "patience": 5, "sgd_patience": 5})
        }
        other => panic!("no small setting for {other}"),
    };
    v.as_object().cloned().unwrap()
}

/// The estimate's ITE as raw bytes, to compare runs bit for bit.
pub fn ite_bytes(ite: &[f64]) -> Vec<u8> {
    ite.iter().flat_map(|v| v.to_le_bytes()).collect()
}
