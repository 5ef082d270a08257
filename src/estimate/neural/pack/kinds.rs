//! The packed kinds' networks: what TARNet, CFR, the S- and T-learner and
//! DragonNet ask the pack trainer for (one network per run, or one per arm),
//! and how each turns the trained networks' predictions into its estimate.

use rand::{Rng, SeedableRng};
use tch::Tensor;

use super::{Arch, DragonArch, Epochs, Net, NetJob, NetResult, Scalars, Shape};
use crate::data::Observed;
use crate::estimate::classical::riesz::outcome_model_elements_of;
use crate::estimate::neural::batch::Weighting;
use crate::estimate::neural::fit;
use crate::estimate::neural::learners::{arm_rows, combine};
use crate::estimate::neural::params::{CfrParams, DragonParams, LearnerParams, Propensity, Schedule, TarnetParams};
use crate::estimate::neural::train::failed;
use crate::estimate::{Estimate, EstimateError};
use crate::rng::RunRng;

type Finish = Box<dyn FnOnce(Vec<NetResult>) -> Result<Estimate, EstimateError>>;

/// A run's networks, and what makes its estimate of them once trained.
pub struct Planned {
    pub jobs: Vec<NetJob>,
    pub finish: Finish,
}

impl Planned {
    /// Train this run's networks by themselves (a pack of one each).
    pub fn alone(self) -> Result<Estimate, EstimateError> {
        let results =
            super::train_all(self.jobs, super::PackLimit::ALONE).into_iter().collect::<Result<Vec<_>, _>>()?;
        (self.finish)(results)
    }

    /// The same networks, with `check` applied to the finished estimate.
    pub fn then(self, check: impl FnOnce(Estimate) -> Result<Estimate, EstimateError> + 'static) -> Planned {
        let finish = self.finish;
        Planned { jobs: self.jobs, finish: Box::new(move |results| finish(results).and_then(check)) }
    }
}

fn shape(s: &Schedule) -> Shape {
    Shape {
        iterations: s.iterations,
        batch: s.batch,
        eval_every: s.eval_every,
        lr_decay_every: s.lr_decay_every,
        early_stopping: s.early_stopping,
    }
}

fn scalars(s: &Schedule, alpha: f64, wass_lambda: f64) -> Scalars {
    Scalars {
        lr: s.lr,
        lr_decay: s.lr_decay,
        weight_decay: s.weight_decay,
        weight_init: s.weight_init,
        alpha,
        wass_lambda,
        ..Scalars::default()
    }
}

/// Packs hold plain dense stacks only: a network with an encoder of sequence
/// or image covariates trains alone, through its kind's own estimator.
fn refuse_encoder(kind: &str, has_encoder: bool) -> Result<(), EstimateError> {
    if has_encoder {
        return Err(failed(
            kind,
            "packed training takes plain dense stacks; a network with an `encoder` trains alone".into(),
        ));
    }
    Ok(())
}

/// Each network's own stream, drawn from the run's in network order, so that a
/// run's networks can train side by side.
fn network_rng(rng: &mut RunRng) -> RunRng {
    RunRng::seed_from_u64(rng.random())
}

fn column(v: &[f64]) -> Tensor {
    Tensor::from_slice(v)
}

/// The pack group of a TARNet (`cfr: None`) or CFR run, where the engine
/// supports its layers: what members share (architecture, schedule shape,
/// device), never the per-member scalars.
pub fn tarnet_group(kind: &str, p: &TarnetParams, cfr: Option<&CfrParams>) -> Option<String> {
    // A network with an encoder of structured covariates trains alone.
    if p.encoder.is_some() || !(super::supports(&p.representation) && super::supports(&p.head)) {
        return None;
    }
    let arch = two_headed(p, cfr);
    Some(format!("{kind}|{arch:?}|{:?}|{:?}|{}", shape(&p.schedule), p.schedule.device, p.reweight))
}

/// The pack group of an S- (`per_arm: false`) or T-learner run.
pub fn learner_group(kind: &str, p: &LearnerParams, per_arm: bool) -> Option<String> {
    if p.encoder.is_some() || !super::supports(&p.layers) {
        return None;
    }
    let arch = Arch::Regressor { layers: p.layers.clone(), with_treatment: !per_arm };
    Some(format!("{kind}|{arch:?}|{:?}|{:?}|{}", shape(&p.schedule), p.schedule.device, p.standardize_outcome))
}

fn two_headed(p: &TarnetParams, cfr: Option<&CfrParams>) -> Arch {
    Arch::TwoHeaded {
        representation: p.representation.clone(),
        head: p.head.clone(),
        normalize: p.normalize_representation,
        ipm: cfr.filter(|c| c.alpha > 0.0).map(|c| (c.ipm, c.wass_iterations)),
    }
}

/// TARNet (`cfr: None`) or CFR.
pub fn tarnet(
    kind: &'static str,
    p: &TarnetParams,
    cfr: Option<&CfrParams>,
    data: &Observed<'_>,
    rng: &mut RunRng,
) -> Result<Planned, EstimateError> {
    refuse_encoder(kind, p.encoder.is_some())?;
    let split = data.split().clone();
    let weighting = if p.reweight { Weighting::ArmBalanced } else { Weighting::Uniform };
    let prepared = fit::prepare(kind, data, &split, p.standardize_outcome, weighting, p.schedule.device)?;
    let (alpha, lambda) = cfr.map_or((0.0, 1.0), |c| (c.alpha, c.wass_lambda));
    let job = NetJob {
        kind,
        net: Net::Cfrnet { arch: two_headed(p, cfr), shape: shape(&p.schedule) },
        scalars: scalars(&p.schedule, alpha, lambda),
        x: prepared.x.shallow_clone(),
        t: prepared.t.shallow_clone(),
        y: prepared.y.shallow_clone(),
        w: prepared.w.shallow_clone(),
        train: split.train.clone(),
        validation: split.validation.clone(),
        rng: network_rng(rng),
        device: prepared.device,
    };
    let finish: Finish = Box::new(move |results| {
        let r = &results[0];
        fit::finish(kind, &prepared, &split, &column(&r.outputs[0]), &column(&r.outputs[1]), &r.report, Vec::new())
    });
    Ok(Planned { jobs: vec![job], finish })
}

/// The S-learner (`per_arm: false`) or the T-learner.
pub fn learner(
    kind: &'static str,
    p: &LearnerParams,
    per_arm: bool,
    data: &Observed<'_>,
    rng: &mut RunRng,
) -> Result<Planned, EstimateError> {
    refuse_encoder(kind, p.encoder.is_some())?;
    let split = data.split().clone();
    let prepared = fit::prepare(kind, data, &split, p.standardize_outcome, Weighting::Uniform, p.schedule.device)?;
    let job = |train: Vec<usize>, validation: Vec<usize>, rng: &mut RunRng| NetJob {
        kind,
        net: Net::Cfrnet {
            arch: Arch::Regressor { layers: p.layers.clone(), with_treatment: !per_arm },
            shape: shape(&p.schedule),
        },
        scalars: scalars(&p.schedule, 0.0, 1.0),
        x: prepared.x.shallow_clone(),
        t: prepared.t.shallow_clone(),
        y: prepared.y.shallow_clone(),
        w: prepared.w.shallow_clone(),
        train,
        validation,
        rng: network_rng(rng),
        device: prepared.device,
    };
    let jobs = if per_arm {
        let mut jobs = Vec::with_capacity(2);
        for arm in [false, true] {
            let (train, validation) = arm_rows(kind, &prepared, &split, arm)?;
            jobs.push(job(train, validation, rng));
        }
        jobs
    } else {
        vec![job(split.train.clone(), split.validation.clone(), rng)]
    };
    let finish: Finish = Box::new(move |results| match results.as_slice() {
        [s] => {
            fit::finish(kind, &prepared, &split, &column(&s.outputs[0]), &column(&s.outputs[1]), &s.report, Vec::new())
        }
        [c, t] => {
            let report = combine(&c.report, &t.report);
            fit::finish(kind, &prepared, &split, &column(&c.outputs[0]), &column(&t.outputs[0]), &report, Vec::new())
        }
        _ => Err(failed(kind, "internal: a learner trains one or two networks".into())),
    });
    Ok(Planned { jobs, finish })
}

fn dragon_net(p: &DragonParams) -> Net {
    let arch = DragonArch {
        representation: p.representation.clone(),
        head: p.head.clone(),
        propensity_reads_inputs: p.propensity == Propensity::Inputs,
        targeted: p.targeted_regularization,
    };
    let epochs = Epochs {
        batch: p.batch,
        adam: p.epochs,
        patience: p.patience,
        sgd: p.sgd_epochs,
        sgd_patience: p.sgd_patience,
        plateau_patience: p.plateau_patience,
        early_stopping: p.early_stopping,
    };
    Net::Dragon { arch, epochs }
}

/// The pack group of a DragonNet run, where the engine supports its layers:
/// architecture (targeted regularization on or off included) and the stages'
/// lengths and patiences; its rates, momentum, plateau factor, weight decay
/// and β are the member's own.
pub fn dragonnet_group(kind: &str, p: &DragonParams) -> Option<String> {
    if p.encoder.is_some() || !(super::supports(&p.representation) && super::supports(&p.head)) {
        return None;
    }
    Some(format!("{kind}|{:?}|{:?}|{}", dragon_net(p), p.device, p.standardize_outcome))
}

/// DragonNet, with or without targeted regularization.
pub fn dragonnet(
    kind: &'static str,
    p: &DragonParams,
    data: &Observed<'_>,
    rng: &mut RunRng,
) -> Result<Planned, EstimateError> {
    refuse_encoder(kind, p.encoder.is_some())?;
    let split = data.split().clone();
    let prepared = fit::prepare(kind, data, &split, p.standardize_outcome, Weighting::Uniform, p.device)?;
    let scalars = Scalars {
        lr: p.lr,
        weight_decay: p.weight_decay,
        sgd_lr: p.sgd_lr,
        momentum: p.momentum,
        plateau_factor: p.plateau_factor,
        beta: p.beta,
        ..Scalars::default()
    };
    let job = NetJob {
        kind,
        net: dragon_net(p),
        scalars,
        x: prepared.x.shallow_clone(),
        t: prepared.t.shallow_clone(),
        y: prepared.y.shallow_clone(),
        w: prepared.w.shallow_clone(),
        train: split.train.clone(),
        validation: split.validation.clone(),
        rng: network_rng(rng),
        device: prepared.device,
    };
    // What the OVB elements read of the data, which the finish cannot borrow.
    let rows = split.in_sample();
    let y: Vec<f64> = rows.iter().map(|&i| data.outcome(i)).collect();
    let t: Vec<f64> = rows.iter().map(|&i| data.treatment[i]).collect();
    let finish: Finish = Box::new(move |results| {
        let r = &results[0];
        let g = &r.outputs[2];
        let mut extra = vec![
            ("propensity_min".to_string(), g.iter().copied().fold(f64::INFINITY, f64::min)),
            ("propensity_max".to_string(), g.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        ];
        extra.extend(r.extra.iter().map(|&(name, v)| (name.to_string(), v)));
        let (mu0, mu1) = (column(&r.outputs[0]), column(&r.outputs[1]));
        let mut est = fit::finish(kind, &prepared, &split, &mu0, &mu1, &r.report, extra)?;
        // The authors' ATE is the plug-in mean of q_t1 - q_t0; the propensity
        // head is the Riesz representer's m for the OVB bounds (as in `dragonnet.rs`).
        if let Some((mu0, mu1)) = &est.potential {
            let e: Vec<f64> = rows.iter().map(|&i| g[i]).collect();
            est.ovb = Some(outcome_model_elements_of(&y, &t, &rows, (mu0, mu1), &e, est.ate));
        }
        Ok(est)
    });
    Ok(Planned { jobs: vec![job], finish })
}
