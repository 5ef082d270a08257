//! Simulation throughput: 10^6 rows of a 10-node model (confounders, a
//! treatment, two mediators, an outcome, mixed distributions), including the
//! counterfactual truths. Prints the figure; asserts nothing.
//!
//! Run with `cargo bench --bench simulate` (Cargo.toml: `[[bench]] name = "simulate", harness = false`).

use std::collections::BTreeMap;
use std::time::Instant;

use causeway::run::RunRng;
use causeway::scm::{Equation, Missingness, Model};
use rand::SeedableRng;

const EQUATIONS: &[(&str, &str)] = &[
    ("age", "normal(50, 12)"),
    ("income", "exp(normal(10, 0.5))"),
    ("risk", "uniform(0, 1)"),
    ("visits", "poisson(1 + 0.02 * age)"),
    ("severity", "0.04 * age + 0.3 * visits + normal(0, 1)"),
    ("region", "categorical(0.5, 0.3, 0.2)"),
    ("drug", "bernoulli(sigmoid(-2 + 0.03 * (age - 50) + 0.8 * severity - 0.5 * risk))"),
    ("adherence", "bernoulli(sigmoid(0.5 + drug - 0.1 * region))"),
    ("biomarker", "1.2 * drug * adherence + 0.5 * severity + student_t(5)"),
    (
        "recovery",
        "10 + 2.5 * drug - 0.6 * severity^2 + 1.5 * drug * severity + biomarker + log(income) / 10 + normal(0, 1)",
    ),
];

fn main() {
    let equations: Vec<Equation> = EQUATIONS.iter().map(|(n, e)| Equation::new(*n, *e)).collect();
    let model = match Model::compile(&equations, &BTreeMap::new()) {
        Ok(model) => model,
        Err(err) => return eprintln!("benchmark model does not compile: {err}"),
    };
    let n = 1_000_000;
    let mut best = f64::INFINITY;
    for round in 0..5 {
        let mut rng = RunRng::seed_from_u64(round);
        let start = Instant::now();
        let sim = model.simulate(n, "drug", "recovery", &Missingness::None, &mut rng);
        let seconds = start.elapsed().as_secs_f64();
        match sim {
            Ok(sim) => {
                let ate = sim.mu1.iter().zip(&sim.mu0).map(|(a, b)| a - b).sum::<f64>() / n as f64;
                println!("round {round}: {n} rows x 10 nodes in {seconds:.3} s (true ATE {ate:.4})");
            }
            Err(err) => return eprintln!("simulation failed: {err}"),
        }
        best = best.min(seconds);
    }
    println!("simulate: best of 5 = {best:.3} s for {n} rows of a 10-node model");
}
