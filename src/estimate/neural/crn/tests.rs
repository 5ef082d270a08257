//! CRN on a small confounded panel generated here: an AR(1) outcome with a
//! static, a covariate and two binary treatments chosen from the current
//! outcome (high outcomes get treated, and treatment lowers the next one: the
//! classic time-varying confounding), so that the expected counterfactual
//! outcome of every plan is known in closed form.

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;
use serde_json::json;

use super::*;
use crate::data::panel::PanelFold;

const STEPS: usize = 10;
/// Effects of chemotherapy and radiotherapy on the next outcome.
const EFFECT: [f64; 2] = [-1.0, -0.6];

/// E[Y_{t+1} | Y_t, X_t, static, A_t].
fn mean_next(y: f64, x: f64, kind: f64, a: &[f64]) -> f64 {
    0.8 * y + 0.4 + 0.3 * kind + 0.3 * x + EFFECT[0] * a[0] + EFFECT[1] * a[1]
}

pub(in crate::estimate::neural) fn panel(units: usize, seed: u64) -> Panel {
    let mut rng = RunRng::seed_from_u64(seed);
    let normal = Normal::new(0.0, 1.0).unwrap();
    let mut p = Panel {
        units,
        steps: STEPS,
        statics: Vec::new(),
        n_static: 1,
        covariates: Vec::new(),
        n_covariates: 1,
        outcomes: Vec::new(),
        treatments: Vec::new(),
        n_treatments: 2,
        length: Vec::new(),
        fold: Vec::new(),
    };
    for u in 0..units {
        let kind = f64::from(u8::from(rng.random::<bool>()));
        // Every fifth unit stops early: padding must never be read.
        let length = if u % 5 == 4 { STEPS - 3 } else { STEPS };
        let mut y = 1.0 + 0.5 * normal.sample(&mut rng);
        p.outcomes.push(y);
        for t in 0..STEPS {
            let x = normal.sample(&mut rng);
            let sigma = |z: f64| 1.0 / (1.0 + (-z).exp());
            let a = [
                f64::from(u8::from(rng.random::<f64>() < sigma(3.0 * (y - 1.2)))),
                f64::from(u8::from(rng.random::<f64>() < sigma(2.0 * (y - 1.0)))),
            ];
            y = mean_next(y, x, kind, &a) + 0.1 * normal.sample(&mut rng);
            let active = t < length;
            p.covariates.push(if active { x } else { 0.0 });
            p.treatments.extend(if active { a } else { [0.0, 0.0] });
            p.outcomes.push(if active { y } else { 0.0 });
        }
        p.statics.push(kind);
        p.length.push(length);
        p.fold.push(match u % 10 {
            0 => PanelFold::Validation,
            1 | 2 => PanelFold::Test,
            _ => PanelFold::Train,
        });
    }
    p
}

const PLANS: [[f64; 2]; 4] = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];

/// Every step of every test unit under each treatment combination held for
/// `tau` steps, and the expected outcome (future covariates have mean 0).
pub(in crate::estimate::neural) fn queries(p: &Panel, tau: usize) -> (Vec<Query>, Vec<f64>) {
    let (mut qs, mut truth) = (Vec::new(), Vec::new());
    for unit in p.units_in(PanelFold::Test) {
        for step in 0..p.length[unit] {
            for a in PLANS {
                let kind = p.static_features(unit)[0];
                let mut y = mean_next(p.outcome(unit, step), p.covariate(unit, step)[0], kind, &a);
                for _ in 1..tau {
                    y = mean_next(y, 0.0, kind, &a);
                }
                qs.push(Query { unit, step, plan: vec![a.to_vec(); tau] });
                truth.push(y);
            }
        }
    }
    (qs, truth)
}

fn small(epochs: usize, decoder_batch: usize) -> CrnParams {
    parse(
        NAME,
        &json!({
            "encoder": {"hidden": 16, "br_size": 8, "fc_hidden": 16, "dropout": 0.1, "batch": 32, "lr": 0.01},
            "decoder": {"br_size": 8, "fc_hidden": 16, "dropout": 0.1, "batch": decoder_batch, "lr": 0.01},
            "epochs": epochs,
            "projection_horizon": 2,
        })
        .as_object()
        .cloned()
        .unwrap(),
    )
    .unwrap()
}

pub(in crate::estimate::neural) fn rmse(a: &[f64], b: &[f64]) -> f64 {
    (a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / a.len() as f64).sqrt()
}

/// One- and three-step counterfactuals beat carrying the last outcome forward
/// by a wide margin.
#[test]
fn one_step_and_projections_beat_carrying_the_last_outcome_forward() {
    let p = panel(200, 1);
    let crn = Crn { params: small(15, 128) };
    let (one, truth1) = queries(&p, 1);
    let (three, truth3) = queries(&p, 3);
    let both: Vec<Query> = one.iter().chain(&three).cloned().collect();
    let est = crn.fit_predict(&p, &both, &mut RunRng::seed_from_u64(7)).unwrap();
    let (pred1, pred3) = est.predictions.split_at(one.len());
    let carried = |qs: &[Query]| qs.iter().map(|q| p.outcome(q.unit, q.step)).collect::<Vec<_>>();
    let (crn1, naive1) = (rmse(pred1, &truth1), rmse(&carried(&one), &truth1));
    let (crn3, naive3) = (rmse(pred3, &truth3), rmse(&carried(&three), &truth3));
    eprintln!("one step: CRN {crn1:.3}, carried {naive1:.3}; three steps: CRN {crn3:.3}, carried {naive3:.3}");
    assert!(crn1 < 0.5 * naive1, "one step: {crn1} against {naive1}");
    assert!(crn3 < 0.5 * naive3, "three steps: {crn3} against {naive3}");
    let names: Vec<&str> = est.diagnostics.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names[3], "decoder_rows");
    // One sub-path per origin with projection_horizon = 2 further steps.
    let origins: usize = p.units_in(PanelFold::Train).iter().map(|&u| p.length[u] - 2).sum();
    assert_eq!(est.diagnostics[3].1, origins as f64);
}

fn bytes(seed: u64) -> Vec<u8> {
    let p = panel(60, 2);
    let (one, _) = queries(&p, 1);
    let qs: Vec<Query> = one.iter().cloned().chain(queries(&p, 2).0).collect();
    let crn = Crn { params: small(2, 64) };
    let est = crn.fit_predict(&p, &qs, &mut RunRng::seed_from_u64(seed)).unwrap();
    // The encoder trains first, so its one-step answers do not depend on
    // whether a decoder follows in the same run.
    let alone = crn.fit_predict(&p, &one, &mut RunRng::seed_from_u64(seed)).unwrap();
    assert_eq!(alone.predictions, est.predictions[..one.len()], "the encoder's answers moved with the decoder");
    assert_eq!(alone.diagnostics.len(), 3, "no decoder without a longer plan");
    // `projections: false` is the same encoder: the same answers and diagnostics.
    let one_step = Crn { params: CrnParams { projections: false, ..small(2, 64) } };
    assert_eq!((crn.longest_plan(), one_step.longest_plan()), (None, Some(1)));
    assert_eq!(one_step.fit_predict(&p, &one, &mut RunRng::seed_from_u64(seed)).unwrap(), alone);
    let mut out: Vec<u8> = est.predictions.iter().flat_map(|v| v.to_le_bytes()).collect();
    out.extend(est.diagnostics.iter().flat_map(|(_, v)| v.to_le_bytes()));
    out
}

/// Same seed, same bytes: twice in a row, and side by side on two threads
/// (libtorch's global generator set differently in between); another seed
/// moves them (dropout, minibatch order and initial weights all draw).
#[test]
fn the_same_bytes_twice_and_on_two_threads() {
    crate::estimate::init_thread();
    tch::manual_seed(1);
    let a = bytes(11);
    tch::manual_seed(2);
    assert_eq!(a, bytes(11));
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let parallel: Vec<Vec<u8>> = pool.install(|| [11u64, 11].par_iter().map(|&s| bytes(s)).collect());
    assert!(parallel.iter().all(|b| *b == a), "a run on the pool differs");
    assert_ne!(a, bytes(12));
}

/// With early stopping the kept parameters are those of the best epoch: the
/// reported validation error is exactly the lowest one seen.
#[test]
fn early_stopping_keeps_the_best_epoch() {
    crate::estimate::init_thread();
    let p = panel(100, 3);
    let prep = Prepared::new(NAME, &p).unwrap();
    let shape = Shape { inputs: prep.encoder_width(), hidden: 8, layers: 1, br_size: 4, fc_hidden: 8, classes: 4 };
    let mut rng = RunRng::seed_from_u64(4);
    let net = Net::new(&shape, tch::Device::Cpu, &mut rng).unwrap();
    // A learning rate too large for the loss to fall steadily.
    let s = Schedule {
        epochs: 8,
        batch: 16,
        lr: 0.2,
        dropout: 0.2,
        alpha: 1.0,
        rate: AlphaRate::Exp,
        early_stopping: true,
        patience: 3,
    };
    let (t, v) = (prep.encoder_sequences(&prep.train), prep.encoder_sequences(&prep.validation));
    let r = train::train(NAME, &net, &t, Some(&v), &s, &mut rng).unwrap();
    let best = r.checks.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(r.validation_rmse, best, "checks {:?}", r.checks);
    assert_eq!(r.checks.len(), r.epochs);
}

#[test]
fn bad_queries_are_named() {
    let p = panel(30, 4);
    let crn = Crn { params: small(1, 64) };
    let err = |q: Query| crn.fit_predict(&p, &[q], &mut RunRng::seed_from_u64(1)).unwrap_err().to_string();
    insta::assert_snapshot!(err(Query { unit: 4, step: 7, plan: vec![vec![0.0, 1.0]] }), @"crn: query 0 (unit 4, step 7): the unit's history ends at step 6");
    insta::assert_snapshot!(err(Query { unit: 1, step: 2, plan: vec![] }), @"crn: query 0 (unit 1, step 2): the plan is empty; a one-step-ahead query has one treatment vector");
    insta::assert_snapshot!(err(Query { unit: 1, step: 2, plan: vec![vec![0.5, 0.0]] }), @"crn: query 0 (unit 1, step 2): plan[0] is [0.5, 0.0]; expected 2 components, each 0 or 1");
    insta::assert_snapshot!(err(Query { unit: 99, step: 0, plan: vec![vec![0.0, 0.0]] }), @"crn: query 0 (unit 99, step 0): the panel has 30 units");
    let mut short = p.clone();
    short.length.iter_mut().for_each(|l| *l = 2);
    let q = Query { unit: 1, step: 1, plan: vec![vec![0.0, 0.0]; 3] };
    let e = Crn { params: small(1, 64) }.fit_predict(&short, &[q], &mut RunRng::seed_from_u64(1)).unwrap_err();
    insta::assert_snapshot!(e.to_string(), @"crn: the decoder learns from sub-paths of projection_horizon + 1 = 3 steps, and no training unit is that long");
    let one_step = Crn { params: CrnParams { projections: false, ..small(1, 64) } };
    let q = Query { unit: 1, step: 1, plan: vec![vec![0.0, 0.0]; 2] };
    let e = one_step.fit_predict(&p, &[q], &mut RunRng::seed_from_u64(1)).unwrap_err();
    insta::assert_snapshot!(e.to_string(), @"crn: query 0 (unit 1, step 1): a plan of 2 steps, and `projections: false` answers one-step questions only");
}

/// The trait's promise: a test unit's path past a query's step is never read.
/// Overwriting the unit's later outcomes, covariates and treatments (from the
/// query's step on: `A_step` is the plan's) leaves the query's answer bit for
/// bit unchanged, one-step and through the decoder alike.
#[test]
fn reads_no_test_path_past_the_query_step() {
    let p = panel(60, 5);
    let crn = Crn { params: small(1, 64) };
    let picks: Vec<Query> = queries(&p, 1).0.into_iter().chain(queries(&p, 3).0).step_by(230).collect();
    assert!(picks.iter().any(|q| q.plan.len() == 1) && picks.iter().any(|q| q.plan.len() == 3), "{picks:?}");
    let fit = crn.fit_predict(&p, &picks, &mut RunRng::seed_from_u64(2)).unwrap();
    for (i, q) in picks.iter().enumerate() {
        let (u, steps) = (q.unit, p.steps);
        let mut s = p.clone();
        for t in q.step + 1..=steps {
            s.outcomes[u * (steps + 1) + t] = 1e6;
        }
        for t in q.step..steps {
            s.treatments[(u * steps + t) * 2..][..2].copy_from_slice(&[1.0, 1.0]);
            if t > q.step {
                s.covariates[u * steps + t] = 1e6;
            }
        }
        let again = crn.fit_predict(&s, &picks, &mut RunRng::seed_from_u64(2)).unwrap();
        assert_eq!(again.predictions[i].to_bits(), fit.predictions[i].to_bits(), "query {i}: {q:?}");
    }
}
