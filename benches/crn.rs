//! CRN's training time at a given panel size, timed in-process:
//!
//!     cargo bench --bench crn -- UNITS STEPS EPOCHS [GAMMA] [--native]
//!
//! trains CRN with the Causal Transformer repository's tumour-simulator setting
//! for confounding GAMMA (0..4, default 0), except for the number of epochs, on
//! an AR(1) panel of UNITS units (10/12 train, 1/12 validation, 1/12 test) with
//! STEPS steps each, two binary treatments chosen from the outcome and one
//! static; then times the encoder alone (one-step queries on every test step)
//! and the encoder with the decoder (three-step queries as well). The published
//! size is 12,000 units (10,000 training) of 60 steps, 100 epochs per network;
//! per-epoch figures extrapolate. Prints wall and CPU time and a digest of each
//! fit's predictions (equal digests: the same bits); asserts nothing.

use std::time::Instant;

use causeway::data::panel::{Panel, PanelFold, Query};
use causeway::estimate::neural::crn::{Crn, CrnParams};
use causeway::estimate::panel::PanelEstimator;
use causeway::run::RunRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

fn main() {
    // `--native`: libtorch's own kernels (MKL, oneDNN) instead of the portable
    // mode's, before libtorch starts, as `causeway --numerics native` does.
    let native = std::env::args().any(|a| a == "--native");
    if native {
        causeway::numerics::select(causeway::numerics::NumericMode::Native);
    }
    let args: Vec<usize> = std::env::args().skip(1).filter(|a| a != "--bench").filter_map(|a| a.parse().ok()).collect();
    let (units, steps, epochs, gamma) = match args.as_slice() {
        [u, s, e] => (*u, *s, *e, 0),
        [u, s, e, g] => (*u, *s, *e, *g),
        _ => {
            eprintln!("usage: crn UNITS STEPS EPOCHS [GAMMA] [--native]");
            std::process::exit(2);
        }
    };
    let Some(mut params) = CrnParams::cancer_sim(gamma) else {
        eprintln!("crn bench: GAMMA is 0..=4");
        std::process::exit(2);
    };
    params.epochs = epochs;
    causeway::estimate::init_thread();
    let panel = panel(units, steps);
    let one: Vec<Query> = test_queries(&panel, 1);
    let both: Vec<Query> = one.iter().cloned().chain(test_queries(&panel, 3)).collect();
    let crn = Crn { params };
    let time = |queries: &[Query]| {
        let (start, cpu) = (Instant::now(), thread_cpu_seconds());
        let est = crn.fit_predict(&panel, queries, &mut RunRng::seed_from_u64(1)).expect("CRN trains");
        (start.elapsed().as_secs_f64(), thread_cpu_seconds() - cpu, est)
    };
    let (encoder, encoder_cpu, est) = time(&one);
    println!(
        "encoder: {encoder:.1} s for {epochs} epochs ({:.2} s per epoch, {:.2} s of CPU); {:?}; predictions {:016x}",
        encoder / epochs as f64,
        encoder_cpu / epochs as f64,
        est.diagnostics,
        digest(&est.predictions)
    );
    let (total, total_cpu, est) = time(&both);
    let (decoder, decoder_cpu) = (total - encoder, total_cpu - encoder_cpu);
    println!(
        "decoder: {decoder:.1} s for {epochs} epochs ({:.2} s per epoch, {:.2} s of CPU); {:?}; predictions {:016x}",
        decoder / epochs as f64,
        decoder_cpu / epochs as f64,
        &est.diagnostics[3..],
        digest(&est.predictions)
    );
    println!(
        "{units} units x {steps} steps, gamma {gamma}, {} numerics: encoder + decoder {total:.1} s ({total_cpu:.1} s of CPU); at 100 epochs each about {:.0} s ({:.0} s of CPU)",
        causeway::numerics::selected().name(),
        total / epochs as f64 * 100.0,
        total_cpu / epochs as f64 * 100.0
    );
}

/// CPU time of the calling thread (first field of /proc/thread-self/schedstat, in
/// ns): on a loaded machine it counts only the time the fit actually ran, which is
/// steadier than the wall clock (libtorch runs one intra-op thread, this one).
fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|ns| ns.parse::<f64>().ok()))
        .map_or(f64::NAN, |ns| ns * 1e-9)
}

/// FNV-1a over the predictions' bits: two builds that print the same digest
/// trained and answered bit for bit alike.
fn digest(values: &[f64]) -> u64 {
    values
        .iter()
        .flat_map(|v| v.to_bits().to_le_bytes())
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// Y_{t+1} = 0.8 Y_t + 0.4 + 0.3 s − A_chemo − 0.6 A_radio + noise, treatments
/// more likely when Y_t is high.
fn panel(units: usize, steps: usize) -> Panel {
    let mut rng = RunRng::seed_from_u64(3);
    let normal = Normal::new(0.0, 1.0).expect("unit normal");
    let sigma = |z: f64| 1.0 / (1.0 + (-z).exp());
    let (mut statics, mut outcomes, mut treatments, mut fold) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for u in 0..units {
        let kind = f64::from(u8::from(rng.random::<bool>()));
        let mut y = 1.0 + 0.5 * normal.sample(&mut rng);
        outcomes.push(y);
        for _ in 0..steps {
            let a = [
                f64::from(u8::from(rng.random::<f64>() < sigma(3.0 * (y - 1.2)))),
                f64::from(u8::from(rng.random::<f64>() < sigma(2.0 * (y - 1.0)))),
            ];
            y = 0.8 * y + 0.4 + 0.3 * kind - a[0] - 0.6 * a[1] + 0.1 * normal.sample(&mut rng);
            treatments.extend(a);
            outcomes.push(y);
        }
        statics.push(kind);
        fold.push(match u % 12 {
            10 => PanelFold::Validation,
            11 => PanelFold::Test,
            _ => PanelFold::Train,
        });
    }
    Panel {
        units,
        steps,
        statics,
        n_static: 1,
        covariates: Vec::new(),
        n_covariates: 0,
        outcomes,
        treatments,
        n_treatments: 2,
        length: vec![steps; units],
        fold,
    }
}

/// Every step of every test unit, each treatment combination held for `tau` steps.
fn test_queries(p: &Panel, tau: usize) -> Vec<Query> {
    let plans = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
    let mut out = Vec::new();
    for unit in p.units_in(PanelFold::Test) {
        for step in 0..p.length[unit] {
            out.extend(plans.iter().map(|a| Query { unit, step, plan: vec![a.to_vec(); tau] }));
        }
    }
    out
}
