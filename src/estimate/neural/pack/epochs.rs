//! DragonNet's training loop for a pack (the authors' `ihdp_main.py`, as the
//! one-network `train.rs` runs it): an Adam stage, then optionally SGD with
//! Nesterov momentum, each over whole epochs of each member's rows shuffled
//! by its own stream, with Keras' `ReduceLROnPlateau` on each member's own
//! epoch loss, a validation check after every epoch that keeps each member's
//! best parameters, and early stopping on each member's own patience.
//!
//! Members move through the stages together: a member that runs out of
//! patience (or diverges) is frozen, drawing nothing, until every member has
//! finished the stage; then each member's best parameters come back and the
//! next stage starts with a fresh optimiser, as it does for a network alone.

use rand::seq::SliceRandom;
use tch::{Kind, Tensor};

use super::adam::{MemberStep, PackedAdam};
use super::dragon::{DragonArch, PackedDragon};
use super::model::{Batch, Scalars};
use super::net::Mode;
use super::sgd::PackedSgd;
use super::train::{NetJob, NetResult, Stacked, keep, restore};
use crate::estimate::EstimateError;
use crate::estimate::neural::batch::host;
use crate::estimate::neural::train::{Plateau, Report, converged, failed};
use crate::rng::RunRng;

/// What members of a DragonNet pack share of the schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Epochs {
    pub batch: usize,
    /// Epochs and early-stopping patience of the Adam stage and of the SGD
    /// stage (a stage of 0 epochs is left out).
    pub adam: usize,
    pub patience: usize,
    pub sgd: usize,
    pub sgd_patience: usize,
    /// Epochs without a lower training loss before the rate drops.
    pub plateau_patience: usize,
    pub early_stopping: bool,
}

#[derive(Clone, Copy)]
enum Optimizer {
    Adam,
    Sgd,
}

/// Either optimiser over every member's parameters.
enum Stepper {
    Adam(PackedAdam),
    Sgd(PackedSgd),
}

impl Stepper {
    fn step(&mut self, members: &[MemberStep]) {
        match self {
            Stepper::Adam(a) => a.step(members),
            Stepper::Sgd(s) => s.step(members),
        }
    }
}

/// Each member's state across the stages.
struct Members {
    errors: Vec<Option<EstimateError>>,
    /// Gradient steps taken over all stages.
    steps: Vec<usize>,
    best: Vec<f64>,
    /// Whether the snapshot holds the member's best parameters yet.
    kept: Vec<bool>,
    /// The validation objective at every check, over all stages.
    checks: Vec<Vec<f64>>,
    stopped_early: Vec<bool>,
}

/// The training data of a pack and the members' streams.
struct Pack<'a> {
    kind: &'static str,
    net: &'a PackedDragon,
    data: &'a Stacked,
    trains: &'a [Vec<usize>],
    validation: Option<&'a Batch>,
    scalars: &'a [Scalars],
    params: &'a [Tensor],
    device: tch::Device,
}

/// Train the members of one DragonNet pack; one result per member.
pub fn train_pack(mut jobs: Vec<NetJob>, arch: &DragonArch, shape: &Epochs) -> Vec<Result<NetResult, EstimateError>> {
    let k = jobs.len();
    let (kind, device) = (jobs[0].kind, jobs[0].device);
    let scalars: Vec<Scalars> = jobs.iter().map(|j| j.scalars).collect();
    let mut rngs: Vec<RunRng> = jobs.iter().map(|j| j.rng.clone()).collect();
    let net = match PackedDragon::new(arch, jobs[0].x.size()[1] as usize, &scalars, &mut rngs, device) {
        Ok(net) => net,
        Err(e) => return (0..k).map(|_| Err(failed(kind, e.clone()))).collect(),
    };
    let data = Stacked::new(&jobs, net.granule());
    let trains: Vec<Vec<usize>> = jobs.iter_mut().map(|j| std::mem::take(&mut j.train)).collect();
    let vals: Vec<Vec<usize>> = jobs.iter_mut().map(|j| std::mem::take(&mut j.validation)).collect();
    let validate = shape.early_stopping && !vals[0].is_empty();
    let validation = validate.then(|| data.batch(&vals.iter().map(Vec::as_slice).collect::<Vec<_>>()));
    let eval = |b: &Batch| host(&super::without_grad(|| net.objective(b, &mut Mode::Eval)));
    // Evaluation draws nothing from the streams, so this check moves no number.
    let initial = validation.as_ref().map_or(vec![f64::NAN; k], &eval);
    let params = net.parameters();
    let mut snapshot: Vec<Tensor> = params.iter().map(|p| p.detach().copy()).collect();
    let mut state = Members {
        errors: (0..k).map(|_| None).collect(),
        steps: vec![0; k],
        best: vec![f64::INFINITY; k],
        kept: vec![false; k],
        checks: vec![Vec::new(); k],
        stopped_early: vec![false; k],
    };
    let pack = Pack {
        kind,
        net: &net,
        data: &data,
        trains: &trains,
        validation: validation.as_ref(),
        scalars: &scalars,
        params: &params,
        device,
    };
    let stages = [(Optimizer::Adam, shape.adam, shape.patience), (Optimizer::Sgd, shape.sgd, shape.sgd_patience)];
    for (optimizer, epochs, patience) in stages.into_iter().filter(|s| s.1 > 0) {
        let shared = || params.iter().map(Tensor::shallow_clone).collect();
        let stepper = match optimizer {
            Optimizer::Adam => Stepper::Adam(PackedAdam::new(shared(), k)),
            Optimizer::Sgd => Stepper::Sgd(PackedSgd::new(shared(), scalars.iter().map(|s| s.momentum).collect())),
        };
        let lr: Vec<f64> = scalars
            .iter()
            .map(|s| match optimizer {
                Optimizer::Adam => s.lr,
                Optimizer::Sgd => s.sgd_lr,
            })
            .collect();
        run_stage(&pack, stepper, lr, epochs, patience, shape, &mut rngs, &mut state, &mut snapshot);
        restore(&params, &snapshot, &state.kept, device);
    }
    let final_train = eval(&data.batch(&trains.iter().map(Vec::as_slice).collect::<Vec<_>>()));
    let n = jobs[0].x.size()[0] as usize;
    let everyone: Vec<usize> = (0..n).collect();
    let all = data.batch(&vec![everyone.as_slice(); k]);
    let outputs: Vec<Vec<f64>> = net.predict(&all.x).iter().map(host).collect();
    let padded = outputs.first().map_or(0, |o| o.len() / k);
    let epsilon = net.epsilon();
    // Summed objectives, reported per row as the one-network trainer does.
    let per_row = |rows: usize| 1.0 / rows.max(1) as f64;
    let (train_rows, val_rows) = (trains[0].len(), vals[0].len());
    (0..k)
        .map(|m| match state.errors[m].take() {
            Some(e) => Err(e),
            None => Ok(NetResult {
                outputs: outputs.iter().map(|o| o[m * padded..m * padded + n].to_vec()).collect(),
                report: Report {
                    iterations: state.steps[m],
                    best_validation: if validate { state.best[m] * per_row(val_rows) } else { f64::NAN },
                    final_train: final_train[m] * per_row(train_rows),
                    initial_validation: initial[m] * per_row(val_rows),
                    converged: validate.then(|| converged(initial[m], &state.checks[m], state.stopped_early[m])),
                },
                extra: if arch.targeted { vec![("epsilon", epsilon[m])] } else { Vec::new() },
            }),
        })
        .collect()
}

/// One stage for every member still training: `epochs` epochs at most, each
/// member stopping after `patience` checks without improvement.
#[allow(clippy::too_many_arguments)]
fn run_stage(
    pack: &Pack,
    mut stepper: Stepper,
    mut lr: Vec<f64>,
    epochs: usize,
    patience: usize,
    shape: &Epochs,
    rngs: &mut [RunRng],
    state: &mut Members,
    snapshot: &mut [Tensor],
) {
    let k = rngs.len();
    let train_len = pack.trains[0].len();
    let batch = shape.batch.min(train_len);
    let steps_per_epoch = train_len.div_ceil(batch);
    let mut running: Vec<bool> = state.errors.iter().map(Option::is_none).collect();
    let mut plateau: Vec<Plateau> = (0..k).map(|_| Plateau::new()).collect();
    let mut stale = vec![0usize; k];
    let mut orders: Vec<Vec<usize>> = pack.trains.to_vec();
    for _ in 0..epochs {
        if !running.iter().any(|&r| r) {
            break;
        }
        for m in (0..k).filter(|&m| running[m]) {
            orders[m].shuffle(&mut rngs[m]);
        }
        let mut epoch_loss = vec![0.0; k];
        for s in 0..steps_per_epoch {
            let active: Vec<bool> = (0..k).map(|m| running[m] && state.errors[m].is_none()).collect();
            if !active.iter().any(|&a| a) {
                break;
            }
            // A frozen member's rows are placeholders of the same length; it draws nothing.
            let rows: Vec<&[usize]> = orders.iter().map(|o| &o[s * batch..((s + 1) * batch).min(train_len)]).collect();
            let b = pack.data.batch(&rows);
            let loss = pack.net.objective(&b, &mut Mode::Train { rngs, active: &active }) + pack.net.penalty();
            let values = host(&loss);
            let mut members = Vec::with_capacity(k);
            for m in 0..k {
                let mut on = active[m];
                if on {
                    state.steps[m] += 1;
                    if values[m].is_finite() {
                        epoch_loss[m] += values[m];
                    } else {
                        let what = if values[m].is_nan() { "NaN" } else { "infinite" };
                        let message = format!("training diverged at iteration {} (loss is {what})", state.steps[m]);
                        state.errors[m] = Some(failed(pack.kind, message));
                        on = false;
                    }
                }
                members.push(MemberStep { lr: lr[m], active: on });
            }
            loss.sum(Kind::Float).backward();
            stepper.step(&members);
        }
        let alive: Vec<bool> = (0..k).map(|m| running[m] && state.errors[m].is_none()).collect();
        for m in (0..k).filter(|&m| alive[m]) {
            if plateau[m].stalled(epoch_loss[m] / steps_per_epoch as f64, shape.plateau_patience) {
                lr[m] *= pack.scalars[m].plateau_factor;
            }
        }
        if let Some(v) = pack.validation {
            let losses = host(&super::without_grad(|| pack.net.objective(v, &mut Mode::Eval)));
            let mut improved = vec![false; k];
            for m in (0..k).filter(|&m| alive[m]) {
                state.checks[m].push(losses[m]);
                if losses[m] < state.best[m] {
                    state.best[m] = losses[m];
                    improved[m] = true;
                    state.kept[m] = true;
                    stale[m] = 0;
                } else {
                    stale[m] += 1;
                }
            }
            if improved.iter().any(|&i| i) {
                keep(pack.params, snapshot, &improved, pack.device);
            }
        }
        for m in 0..k {
            if alive[m] && stale[m] >= patience {
                state.stopped_early[m] = true;
            }
            running[m] = alive[m] && stale[m] < patience;
        }
    }
}
