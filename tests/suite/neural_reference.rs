//! Reference tests: on a nonlinear confounded SCM with a known constant effect,
//! every neural estimator must beat the difference in means and recover the effect.

use crate::neural_common;

use causeway::run::RunRng;
use neural_common::{EFFECT, confounded, difference_in_means, small, split};
use rand::SeedableRng;

fn check(kind: &str) {
    let (data, split) = (confounded(800, 11), split(800, 12));
    let naive = difference_in_means(&data, &split);
    let estimator = causeway::estimate::build(kind, &small(kind)).unwrap();
    let est = estimator.estimate(&data.observed(&split), &mut RunRng::seed_from_u64(13)).unwrap();
    let ite = est.ite.as_ref().unwrap();
    assert_eq!(ite.len(), 800, "an ITE for every row");
    let pehe = (ite.iter().map(|d| (d - EFFECT).powi(2)).sum::<f64>() / 800.0).sqrt();
    eprintln!("{kind}: ate {:.3}, naive {naive:.3}, sqrt pehe {pehe:.3}, diagnostics {:?}", est.ate, est.diagnostics);
    // The confounding biases the naive contrast by well over 1.
    assert!((naive - EFFECT).abs() > 1.5, "fixture lost its confounding: {naive}");
    assert!((est.ate - EFFECT).abs() < 0.4, "{kind} ATE {} is not within 0.4 of {EFFECT}", est.ate);
    assert!((est.ate - EFFECT).abs() < 0.25 * (naive - EFFECT).abs(), "{kind} does not beat the difference in means");
    // DragonNet's small setting fits the (constant) effect's heterogeneity
    // less well, and overstates the ATT: over run seeds 13 to 20, sqrt PEHE
    // 0.82 to 1.24 and ATT 2.42 to 2.67 with the one-network trainer (version
    // 4), 0.76 to 1.32 and 2.13 to 2.69 packed (5), every ATE within 0.3 of
    // the effect in both; seed 13 had passed 1.0 and 0.5 by its draw.
    let (pehe_bound, att_bound) = if kind == "dragonnet" { (1.5, 0.8) } else { (1.0, 0.5) };
    assert!(pehe < pehe_bound, "{kind} sqrt PEHE {pehe}");
    let att = est.att.expect("ITE-based estimators report an ATT");
    assert!((att - EFFECT).abs() < att_bound, "{kind} ATT {att}");
}

#[test]
fn slearner_recovers_the_effect() {
    check("slearner");
}

#[test]
fn tlearner_recovers_the_effect() {
    check("tlearner");
}

#[test]
fn tarnet_recovers_the_effect() {
    check("tarnet");
}

#[test]
fn cfr_wasserstein_recovers_the_effect() {
    check("cfr");
}

#[test]
fn cfr_mmd_recovers_the_effect() {
    let mut p = small("cfr");
    p.insert("ipm".into(), "mmd".into());
    let (data, split) = (confounded(800, 11), split(800, 12));
    let est = causeway::estimate::build("cfr", &p)
        .unwrap()
        .estimate(&data.observed(&split), &mut RunRng::seed_from_u64(13))
        .unwrap();
    eprintln!("cfr-mmd: ate {:.3}", est.ate);
    assert!((est.ate - EFFECT).abs() < 0.4, "cfr-mmd ATE {}", est.ate);
}

#[test]
fn dragonnet_recovers_the_effect() {
    check("dragonnet");
}

#[test]
fn dragonnet_without_targeted_regularization_recovers_the_effect() {
    let mut p = small("dragonnet");
    p.insert("targeted_regularization".into(), false.into());
    let (data, split) = (confounded(800, 11), split(800, 12));
    let est = causeway::estimate::build("dragonnet", &p)
        .unwrap()
        .estimate(&data.observed(&split), &mut RunRng::seed_from_u64(13))
        .unwrap();
    eprintln!("dragonnet (no TR): ate {:.3}, diagnostics {:?}", est.ate, est.diagnostics);
    assert!((est.ate - EFFECT).abs() < 0.4, "dragonnet ATE {}", est.ate);
}
