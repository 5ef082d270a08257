//! The MSM row of the Causal Transformer's Table 9 at the published size:
//! the tumour-growth simulator with 10,000 / 1,000 / 1,000 patients and 60
//! steps, then `msm` and `msm_unweighted`, for each γ and seed asked for.
//! Prints the normalised RMSE per horizon (τ = 1 is the table's one-step
//! column) and the seconds each stage took; asserts nothing. Until the panel
//! experiments run through `causeway run`, this is how the row is measured.
//!
//! `cargo bench --bench tumour_msm` (defaults: γ = 0..4, seed 1);
//! `TUMOUR_GAMMAS=0,4 TUMOUR_SEEDS=1,2 TUMOUR_TRAIN=1000 cargo bench --bench tumour_msm`.

use std::time::Instant;

use causeway::data::tumour::{TumourConfig, max_volume, simulate};
use causeway::estimate::Params;
use causeway::estimate::panel::{PanelEstimator, normalized_rmse, registry};
use causeway::run::RunRng;
use rand::SeedableRng;

fn list<T: std::str::FromStr>(name: &str, default: &str) -> Vec<T> {
    let text = std::env::var(name).unwrap_or_else(|_| default.to_string());
    text.split(',').filter_map(|s| s.trim().parse().ok()).collect()
}

fn main() {
    let gammas: Vec<f64> = list("TUMOUR_GAMMAS", "0,1,2,3,4");
    let seeds: Vec<u64> = list("TUMOUR_SEEDS", "1");
    let train = list::<usize>("TUMOUR_TRAIN", "10000").first().copied().unwrap_or(10_000);
    let test = list::<usize>("TUMOUR_TEST", "1000").first().copied().unwrap_or(1_000);
    println!("gamma,seed,kind,tau,nrmse,simulate_s,fit_predict_s,queries");
    for &gamma in &gammas {
        for &seed in &seeds {
            let config = TumourConfig { gamma, train, validation: test, test, ..TumourConfig::default() };
            let start = Instant::now();
            let (panel, truth) = simulate(&config, &mut RunRng::seed_from_u64(seed));
            let simulate_s = start.elapsed().as_secs_f64();
            for kind in registry::panel_kinds() {
                let estimator: Box<dyn PanelEstimator> =
                    match registry::resolve(kind, &Params::new()).and_then(|p| registry::build(kind, &p)) {
                        Ok(e) => e,
                        Err(e) => return eprintln!("{kind}: {e}"),
                    };
                let start = Instant::now();
                let fit = match estimator.fit_predict(&panel, &truth.queries, &mut RunRng::seed_from_u64(seed)) {
                    Ok(fit) => fit,
                    Err(e) => return eprintln!("{kind}: {e}"),
                };
                let fit_s = start.elapsed().as_secs_f64();
                for (tau, e) in normalized_rmse(&truth.queries, &truth.values, &fit.predictions, max_volume()) {
                    println!("{gamma},{seed},{kind},{tau},{e:.4},{simulate_s:.2},{fit_s:.2},{}", truth.queries.len());
                }
            }
        }
    }
}
