//! The packing promise, checked: a run's estimate is the same to the bit alone,
//! in a small pack and in a larger one, at any position, beside pack-mates with
//! other data and other learning rates, weight decays and balance weights, and
//! beside a mate that diverges.

use rand::{Rng, SeedableRng};

use super::{PackLimit, Planned, dragonnet, estimate_packed, learner, tarnet};
use crate::data::{CausalData, Split, Truth};
use crate::estimate::Estimate;
use crate::estimate::neural::layers::{Activation, LayerSpec};
use crate::estimate::neural::params::{
    CfrParams, DragonParams, Ipm, LearnerParams, Propensity, Schedule, TarnetParams,
};
use crate::rng::RunRng;

/// A confounded dataset of 150 rows and 5 covariates, different for each seed.
fn data(seed: u64) -> CausalData {
    rows(seed, 150)
}

/// The same design with `n` rows.
fn rows(seed: u64, n: usize) -> CausalData {
    let mut rng = RunRng::seed_from_u64(seed);
    let covariates: Vec<Vec<f64>> = (0..5).map(|_| (0..n).map(|_| rng.random::<f64>() * 2.0 - 1.0).collect()).collect();
    let treatment: Vec<f64> =
        (0..n).map(|i| f64::from(u8::from(rng.random::<f64>() < 0.3 + 0.3 * covariates[0][i]))).collect();
    let outcome = (0..n).map(|i| covariates[1][i] + 2.0 * treatment[i] + 0.3 * rng.random::<f64>()).collect();
    CausalData {
        covariate_names: (0..5).map(|i| format!("x{i}")).collect(),
        covariates,
        treatment,
        outcome,
        truth: Truth::None,
    }
}

fn split() -> Split {
    split_of(150)
}

/// 60% training, 27% validation and the rest test rows, in order.
fn split_of(n: usize) -> Split {
    let (train, validation) = (n * 60 / 100, n * 87 / 100);
    Split { train: (0..train).collect(), validation: (train..validation).collect(), test: (validation..n).collect() }
}

fn schedule(lr: f64, weight_decay: f64) -> Schedule {
    Schedule { iterations: 40, batch: 30, eval_every: 10, lr_decay_every: 15, lr, weight_decay, ..Schedule::default() }
}

fn dense(units: usize, activation: Activation) -> LayerSpec {
    LayerSpec::Dense { units, activation }
}

fn tarnet_params(lr: f64, weight_decay: f64) -> TarnetParams {
    TarnetParams {
        representation: vec![dense(24, Activation::Elu), LayerSpec::Dropout { rate: 0.2 }, dense(12, Activation::Elu)],
        head: vec![dense(9, Activation::Tanh), LayerSpec::LayerNorm],
        schedule: schedule(lr, weight_decay),
        ..TarnetParams::default()
    }
}

#[derive(Clone, Copy)]
enum Which {
    Tarnet,
    Cfr(Ipm),
    S,
    T,
    /// DragonNet with targeted regularization and its SGD stage, or without
    /// either (and its propensity head on the covariates).
    Dragon {
        targeted: bool,
    },
}

/// Run `seed`'s estimator of `which` with learning rate `lr` (and the other
/// scalars derived from it), planned from its own stream.
fn plan(which: Which, seed: u64, lr: f64, d: &CausalData, s: &Split) -> Planned {
    let observed = d.observed(s);
    let mut rng = RunRng::seed_from_u64(1000 + seed);
    let wd = lr / 10.0;
    let p = match which {
        Which::Tarnet => tarnet("tarnet", &tarnet_params(lr, wd), None, &observed, &mut rng),
        Which::Cfr(ipm) => {
            let c = CfrParams {
                ipm,
                alpha: lr * 300.0,
                wass_lambda: 5.0 + lr,
                wass_iterations: 7,
                tarnet: tarnet_params(lr, wd),
            };
            tarnet("cfr", &c.tarnet, Some(&c), &observed, &mut rng)
        }
        Which::S | Which::T => {
            let l = LearnerParams {
                layers: vec![dense(16, Activation::Sigmoid), dense(7, Activation::Relu)],
                encoder: None,
                standardize_outcome: true,
                schedule: schedule(lr, wd),
            };
            learner("learner", &l, matches!(which, Which::T), &observed, &mut rng)
        }
        Which::Dragon { targeted } => dragonnet("dragonnet", &dragon_params(lr, wd, targeted), &observed, &mut rng),
    };
    p.unwrap()
}

/// A small DragonNet whose every per-member value follows `lr`: 8 Adam epochs
/// of 6 minibatches (the last of 10 rows) with a patience of 2 and, with
/// targeted regularization, 4 SGD epochs with a patience of 1.
fn dragon_params(lr: f64, weight_decay: f64, targeted: bool) -> DragonParams {
    DragonParams {
        representation: vec![dense(16, Activation::Elu), LayerSpec::Dropout { rate: 0.1 }, dense(12, Activation::Elu)],
        head: vec![dense(8, Activation::Elu)],
        targeted_regularization: targeted,
        beta: 0.5 + 100.0 * lr,
        batch: 16,
        epochs: 8,
        lr: lr * 5.0,
        patience: 2,
        sgd_epochs: if targeted { 4 } else { 0 },
        sgd_lr: lr / 10.0,
        momentum: 0.8 + 20.0 * lr,
        sgd_patience: 1,
        plateau_factor: 0.5 + 50.0 * lr,
        plateau_patience: 1,
        weight_decay,
        propensity: if targeted { Propensity::Body } else { Propensity::Inputs },
        ..DragonParams::default()
    }
}

fn bits(e: &Estimate) -> Vec<u64> {
    let mut v: Vec<u64> = e.ite.as_ref().unwrap().iter().map(|x| x.to_bits()).collect();
    v.push(e.ate.to_bits());
    v.extend(e.diagnostics.iter().map(|(_, x)| x.to_bits()));
    v
}

fn check(which: Which) {
    let s = split();
    let datasets: Vec<CausalData> = (0..6).map(data).collect();
    let lrs = [1e-3, 3e-3, 5e-4, 2e-3, 1e-3, 4e-3];
    let alone: Vec<Vec<u64>> =
        (0..6).map(|i| bits(&plan(which, i as u64, lrs[i], &datasets[i], &s).alone().unwrap())).collect();
    // The same runs in packs of 4 and 6, and in reverse order in packs of 3.
    for (order, max) in [((0..6).collect::<Vec<_>>(), 4), ((0..6).collect(), 6), ((0..6).rev().collect(), 3)] {
        let planned = order.iter().map(|&i| plan(which, i as u64, lrs[i], &datasets[i], &s)).collect();
        let packed = estimate_packed(planned, PackLimit::members(max));
        for (&i, e) in order.iter().zip(&packed) {
            assert_eq!(bits(e.as_ref().unwrap()), alone[i], "run {i}, packs of {max}");
        }
    }
    // A diverging mate (an absurd learning rate) fails alone, and the others do not notice.
    let mut planned = vec![plan(which, 9, 1e30, &datasets[5], &s)];
    planned.extend((0..3).map(|i| plan(which, i as u64, lrs[i], &datasets[i], &s)));
    let packed = estimate_packed(planned, PackLimit::members(8));
    let message = packed[0].as_ref().map(|_| ()).unwrap_err().to_string();
    assert!(message.contains("diverged") || message.contains("not finite"), "{message}");
    for i in 0..3 {
        assert_eq!(bits(packed[i + 1].as_ref().unwrap()), alone[i], "run {i} beside a diverging mate");
    }
}

#[test]
fn tarnet_runs_do_not_depend_on_their_pack() {
    check(Which::Tarnet);
}

#[test]
fn cfr_mmd_runs_do_not_depend_on_their_pack() {
    check(Which::Cfr(Ipm::Mmd));
}

#[test]
fn cfr_wasserstein_runs_do_not_depend_on_their_pack() {
    check(Which::Cfr(Ipm::Wasserstein));
}

#[test]
fn s_learner_runs_do_not_depend_on_their_pack() {
    check(Which::S);
}

#[test]
fn t_learner_runs_do_not_depend_on_their_pack() {
    check(Which::T);
}

#[test]
fn dragonnet_runs_do_not_depend_on_their_pack() {
    check(Which::Dragon { targeted: true });
}

#[test]
fn dragonnet_runs_without_targeted_regularization_do_not_depend_on_their_pack() {
    check(Which::Dragon { targeted: false });
}

/// DragonNet's members stop on their own patience: in one pack of three with
/// other rates, momenta, plateau factors, weight decays and βs, one member
/// stops early while its mates go on, through both stages, and each has the
/// bytes it has alone.
#[test]
fn a_dragonnet_that_stops_early_keeps_its_bytes_beside_mates_that_go_on() {
    let s = split();
    let datasets: Vec<CausalData> = (0..3).map(data).collect();
    let lrs = [2e-3, 4e-3, 1e-3];
    let planned = |i: usize| plan(Which::Dragon { targeted: true }, i as u64, lrs[i], &datasets[i], &s);
    let alone: Vec<Estimate> = (0..3).map(|i| planned(i).alone().unwrap()).collect();
    let packed = estimate_packed((0..3).map(planned).collect(), PackLimit::members(3));
    let iterations = |e: &Estimate| e.diagnostics.iter().find(|(n, _)| n == "iterations").unwrap().1 as usize;
    let steps: Vec<usize> = alone.iter().map(iterations).collect();
    // 6 minibatches an epoch, 8 + 4 epochs at most.
    assert!(steps.iter().all(|s| s % 6 == 0 && *s <= 72), "{steps:?}");
    assert!(
        steps.iter().any(|&s| s < 72) && steps.iter().any(|&s| s > 8 * 6),
        "no member stopped early while a mate reached the SGD stage: {steps:?}"
    );
    for (i, e) in packed.iter().enumerate() {
        let e = e.as_ref().unwrap();
        assert_eq!(bits(e), bits(&alone[i]), "run {i}");
        assert_eq!(e.ovb, alone[i].ovb, "run {i}");
        assert!(e.diagnostics.iter().any(|(n, v)| n == "epsilon" && v.is_finite()), "{:?}", e.diagnostics);
    }
}

/// Packed TARNet learns: on this data the effect is 2.
#[test]
fn packed_tarnet_estimates_the_effect() {
    let s = split();
    let d = data(3);
    let mut p = tarnet_params(1e-2, 1e-4);
    p.schedule.iterations = 600;
    let e = tarnet("tarnet", &p, None, &d.observed(&s), &mut RunRng::seed_from_u64(5)).unwrap().alone().unwrap();
    assert!((e.ate - 2.0).abs() < 0.4, "ate {}", e.ate);
}

/// CFR-Wasserstein over many more rows than its minibatch: the evaluations on
/// the full training and validation rows (member by member on each member's
/// treated x control block) keep the promise too.
#[test]
fn cfr_wasserstein_over_many_rows_does_not_depend_on_its_pack() {
    let n = 1500;
    let s = split_of(n);
    let datasets: Vec<CausalData> = (0..4).map(|i| rows(20 + i, n)).collect();
    let lrs = [1e-3, 3e-3, 5e-4, 2e-3];
    let planned = |i: usize| plan(Which::Cfr(Ipm::Wasserstein), i as u64, lrs[i], &datasets[i], &s);
    let alone: Vec<Vec<u64>> = (0..4).map(|i| bits(&planned(i).alone().unwrap())).collect();
    let packed = estimate_packed((0..4).map(planned).collect(), PackLimit::members(4));
    for (i, e) in packed.iter().enumerate() {
        assert_eq!(bits(e.as_ref().unwrap()), alone[i], "run {i} of {n} rows");
    }
}

/// A memory budget cuts a group into packs of the members it holds, and the
/// runs keep their bytes.
#[test]
fn a_memory_budget_caps_the_pack_and_keeps_the_bytes() {
    let s = split();
    let datasets: Vec<CausalData> = (0..5).map(data).collect();
    let lr = |i: usize| 1e-3 * (1 + i) as f64;
    let planned = |i: usize| plan(Which::Cfr(Ipm::Wasserstein), i as u64, lr(i), &datasets[i], &s);
    let jobs: Vec<super::NetJob> = (0..5).flat_map(|i| planned(i).jobs).collect();
    let f = jobs.iter().map(super::footprint).reduce(super::Footprint::max).unwrap();
    assert!(f.per_member > 0);
    let two = PackLimit { members: 64, memory: f.bytes(2) + f.per_member / 2 };
    assert_eq!(super::packs(&jobs, two), vec![vec![0, 1], vec![2, 3], vec![4]]);
    assert_eq!(super::packs(&jobs, PackLimit::members(64)), vec![vec![0, 1, 2, 3, 4]]);
    // A budget under one member still trains every network, one at a time.
    let none = PackLimit { members: 64, memory: 1 };
    assert_eq!(super::packs(&jobs, none), (0..5).map(|i| vec![i]).collect::<Vec<_>>());
    let alone: Vec<Vec<u64>> = (0..5).map(|i| bits(&planned(i).alone().unwrap())).collect();
    let packed = estimate_packed((0..5).map(planned).collect(), two);
    for (i, e) in packed.iter().enumerate() {
        assert_eq!(bits(e.as_ref().unwrap()), alone[i], "run {i} under a budget of two members");
    }
}

/// Fault injection (issue 25): a pack whose training runs out of memory (here
/// a trainer that fails as libtorch's allocator does whenever it is given more
/// than one network) does not end the process: its halves train again, down
/// to one network at a time, to the bytes each has alone, and a member that
/// runs out of memory by itself fails with the reason while its pack-mates
/// keep their results.
#[test]
fn a_pack_that_runs_out_of_memory_trains_in_smaller_packs() {
    use super::{NetJob, NetResult, train::train_pack, train_all, train_all_with};
    let s = split();
    let datasets: Vec<CausalData> = (0..3).map(data).collect();
    let jobs = || -> Vec<NetJob> {
        (0..3).flat_map(|i| plan(Which::Tarnet, i as u64, 1e-3 * (1 + i) as f64, &datasets[i], &s).jobs).collect()
    };
    let oom = "DefaultCPUAllocator: can't allocate memory: you tried to allocate 4294967296 bytes.";
    let outputs = |r: &NetResult| r.outputs.iter().flatten().map(|x| x.to_bits()).collect::<Vec<_>>();
    let alone = train_all(jobs(), PackLimit::ALONE);
    // Inside a gradient-free evaluation, where the real one struck first
    // (tests/suite/limits.rs): the retry must find gradients on again.
    let only_alone = |pack: Vec<NetJob>| {
        if pack.len() > 1 {
            super::without_grad(|| panic!("{oom}"));
        }
        train_pack(pack)
    };
    let retried = train_all_with(jobs(), PackLimit::members(8), &only_alone);
    assert_eq!(retried.len(), 3);
    for (r, a) in retried.iter().zip(&alone) {
        let (r, a) = (r.as_ref().unwrap(), a.as_ref().unwrap());
        assert_eq!((outputs(r), r.report), (outputs(a), a.report));
    }
    // The second network does not fit even by itself.
    let second_too_large = |pack: Vec<NetJob>| {
        if pack.len() > 1 || pack[0].scalars.lr == 2e-3 {
            panic!("{oom}");
        }
        train_pack(pack)
    };
    let results = train_all_with(jobs(), PackLimit::members(8), &second_too_large);
    let message = results[1].as_ref().map(|_| ()).unwrap_err().to_string();
    assert!(message.contains("out of memory") && message.contains("can't allocate memory"), "{message}");
    for i in [0, 2] {
        let (r, a) = (results[i].as_ref().unwrap(), alone[i].as_ref().unwrap());
        assert_eq!(outputs(r), outputs(a), "member {i}");
    }
    // Any other panic is a bug and is not absorbed.
    let bug =
        |_: Vec<NetJob>| -> Vec<Result<NetResult, crate::estimate::EstimateError>> { panic!("index out of bounds") };
    let caught =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| train_all_with(jobs(), PackLimit::members(8), &bug)));
    assert!(caught.is_err());
}
