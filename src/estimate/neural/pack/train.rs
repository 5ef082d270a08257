//! cfrnet's training loop for a pack: Adam with a staircase learning rate,
//! minibatches drawn without replacement from each member's own stream, and
//! validation checks that keep each member's best parameters. A member whose
//! loss stops being finite fails with the reason a lone network would give, and
//! is frozen for the rest of the pack's steps.

use rand::seq::index;
use tch::{Kind, Tensor};

use super::adam::{MemberStep, PackedAdam};
use super::dragon::DragonArch;
use super::epochs::Epochs;
use super::model::{Arch, Batch, PackedNet, Scalars};
use super::net::Mode;
use crate::estimate::EstimateError;
use crate::estimate::neural::batch::host;
use crate::estimate::neural::train::{Report, converged, failed};
use crate::rng::RunRng;

/// What members of a pack share of the schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub iterations: usize,
    pub batch: usize,
    pub eval_every: usize,
    pub lr_decay_every: usize,
    pub early_stopping: bool,
}

/// What a network is and how it trains: everything members of a pack share.
#[derive(Debug, Clone, PartialEq)]
pub enum Net {
    /// TARNet, CFR or a learner's regressor on cfrnet's loop (this file).
    Cfrnet { arch: Arch, shape: Shape },
    /// DragonNet on Keras' epochs, Adam then SGD (`epochs.rs`).
    Dragon { arch: DragonArch, epochs: Epochs },
}

impl Net {
    /// The minibatch size.
    pub fn batch(&self) -> usize {
        match self {
            Net::Cfrnet { shape, .. } => shape.batch,
            Net::Dragon { epochs, .. } => epochs.batch,
        }
    }
}

/// One network to train on one run's data.
pub struct NetJob {
    pub kind: &'static str,
    pub net: Net,
    pub scalars: Scalars,
    /// Every row of the run's data: `[n, d]` covariates, `[n, 1]` treatment,
    /// outcome and weight, on `device`.
    pub x: Tensor,
    pub t: Tensor,
    pub y: Tensor,
    pub w: Tensor,
    pub train: Vec<usize>,
    pub validation: Vec<usize>,
    pub rng: RunRng,
    pub device: tch::Device,
}

impl NetJob {
    /// Jobs of equal keys can share a pack.
    pub fn pack_key(&self) -> String {
        format!("{:?}|{:?}|{:?}|{}|{}", self.net, self.x.size(), self.device, self.train.len(), self.validation.len())
    }
}

impl NetJob {
    /// Another job for the same network: the same data (tensors shared, they
    /// are only read), rows and stream, so it trains to the same bytes.
    pub fn duplicate(&self) -> NetJob {
        NetJob {
            kind: self.kind,
            net: self.net.clone(),
            scalars: self.scalars,
            x: self.x.shallow_clone(),
            t: self.t.shallow_clone(),
            y: self.y.shallow_clone(),
            w: self.w.shallow_clone(),
            train: self.train.clone(),
            validation: self.validation.clone(),
            rng: self.rng.clone(),
            device: self.device,
        }
    }
}

/// The failure of a network that ran out of memory by itself.
pub fn failed_out_of_memory(kind: &'static str, reason: &str) -> EstimateError {
    failed(
        kind,
        format!("out of memory while training this network by itself ({reason}); it needs a machine with more memory"),
    )
}

/// A trained network's predictions on every row (one column per output: mu0
/// and mu1, or one; DragonNet's mu0, mu1 and propensity), its training report
/// and the method's own fitted scalars (DragonNet's ε).
pub struct NetResult {
    pub outputs: Vec<Vec<f64>>,
    pub report: Report,
    pub extra: Vec<(&'static str, f64)>,
}

/// The members' data stacked, each member's rows followed by one padding row of
/// zeros (weight 0, `valid` 0).
pub(super) struct Stacked {
    x: Tensor,
    t: Tensor,
    y: Tensor,
    w: Tensor,
    valid: Tensor,
    /// Rows per member in the stack (its rows plus the padding row).
    stride: usize,
    granule: usize,
    device: tch::Device,
}

impl Stacked {
    pub(super) fn new(jobs: &[NetJob], granule: usize) -> Stacked {
        let device = jobs[0].device;
        let n = jobs[0].x.size()[0];
        let d = jobs[0].x.size()[1];
        let with_pad = |v: &Tensor, cols: i64| {
            Tensor::cat(&[v.shallow_clone(), Tensor::zeros([1, cols], (Kind::Float, device))], 0)
        };
        let cat = |f: &dyn Fn(&NetJob) -> Tensor, cols: i64| {
            Tensor::cat(&jobs.iter().map(|j| with_pad(&f(j), cols)).collect::<Vec<_>>(), 0)
        };
        let ones = Tensor::ones([n, 1], (Kind::Float, device));
        Stacked {
            x: cat(&|j| j.x.shallow_clone(), d),
            t: cat(&|j| j.t.shallow_clone(), 1),
            y: cat(&|j| j.y.shallow_clone(), 1),
            w: cat(&|j| j.w.shallow_clone(), 1),
            valid: cat(&|_| ones.shallow_clone(), 1),
            stride: n as usize + 1,
            granule,
            device,
        }
    }

    /// Member k's `rows[k]` (all of one length), padded to the granule.
    pub(super) fn batch(&self, rows: &[&[usize]]) -> Batch {
        let real = rows[0].len();
        let padded = real.div_ceil(self.granule) * self.granule;
        let pad = self.stride - 1;
        let mut index = Vec::with_capacity(rows.len() * padded);
        for (k, r) in rows.iter().enumerate() {
            let base = (k * self.stride) as i64;
            index.extend(r.iter().map(|&i| base + i as i64));
            index.extend(std::iter::repeat_n(base + pad as i64, padded - real));
        }
        let index = Tensor::from_slice(&index).to_device(self.device);
        let k = rows.len() as i64;
        let take = |v: &Tensor| {
            let cols = v.size()[1];
            v.index_select(0, &index).view([k, padded as i64, cols])
        };
        Batch {
            x: take(&self.x),
            t: take(&self.t),
            y: take(&self.y),
            w: take(&self.w),
            valid: take(&self.valid),
            rows: real,
        }
    }
}

/// Train the members of one pack (equal `pack_key`s); one result per member.
pub fn train_pack(jobs: Vec<NetJob>) -> Vec<Result<NetResult, EstimateError>> {
    match jobs.first().map(|j| j.net.clone()) {
        None => Vec::new(),
        Some(Net::Cfrnet { arch, shape }) => train_cfrnet(jobs, &arch, shape),
        Some(Net::Dragon { arch, epochs }) => super::epochs::train_pack(jobs, &arch, &epochs),
    }
}

/// cfrnet's loop for a pack of TARNet, CFR or learner networks.
fn train_cfrnet(mut jobs: Vec<NetJob>, arch: &Arch, shape: Shape) -> Vec<Result<NetResult, EstimateError>> {
    let k = jobs.len();
    let kind = jobs[0].kind;
    let device = jobs[0].device;
    let scalars: Vec<Scalars> = jobs.iter().map(|j| j.scalars).collect();
    let mut rngs: Vec<RunRng> = jobs.iter().map(|j| j.rng.clone()).collect();
    let n_covariates = jobs[0].x.size()[1] as usize;
    let batch = shape.batch.min(jobs[0].train.len());
    let net = match PackedNet::new(arch, n_covariates, batch, &scalars, &mut rngs, device) {
        Ok(net) => net,
        Err(e) => return (0..k).map(|_| Err(failed(kind, e.clone()))).collect(),
    };
    let data = Stacked::new(&jobs, net.granule());
    let mut errors: Vec<Option<EstimateError>> = vec![None; k];
    let trains: Vec<Vec<usize>> = jobs.iter_mut().map(|j| std::mem::take(&mut j.train)).collect();
    let vals: Vec<Vec<usize>> = jobs.iter_mut().map(|j| std::mem::take(&mut j.validation)).collect();
    let validate = shape.early_stopping && !vals[0].is_empty();
    let validation = validate.then(|| data.batch(&vals.iter().map(Vec::as_slice).collect::<Vec<_>>()));
    let eval = |b: &Batch| host(&super::without_grad(|| net.objective(b, &mut Mode::Eval)));
    let initial = validation.as_ref().map_or(vec![f64::NAN; k], &eval);

    let params = net.parameters();
    let mut snapshot: Vec<Tensor> = params.iter().map(|p| p.detach().copy()).collect();
    let mut kept = vec![false; k];
    let mut best = vec![f64::INFINITY; k];
    let mut checks: Vec<Vec<f64>> = vec![Vec::new(); k];
    let mut adam = PackedAdam::new(params.iter().map(Tensor::shallow_clone).collect(), k);
    let mut steps = vec![0usize; k];
    for step in 0..shape.iterations {
        let active: Vec<bool> = errors.iter().map(Option::is_none).collect();
        if !active.iter().any(|&a| a) {
            break;
        }
        // A frozen member draws nothing: it keeps its first rows as a placeholder.
        let rows: Vec<Vec<usize>> = (0..k)
            .map(|m| {
                if active[m] {
                    index::sample(&mut rngs[m], trains[m].len(), batch).into_iter().map(|i| trains[m][i]).collect()
                } else {
                    trains[m][..batch].to_vec()
                }
            })
            .collect();
        let b = data.batch(&rows.iter().map(Vec::as_slice).collect::<Vec<_>>());
        let loss = net.objective(&b, &mut Mode::Train { rngs: &mut rngs, active: &active }) + net.penalty();
        let values = host(&loss);
        let mut members = Vec::with_capacity(k);
        for m in 0..k {
            let decay = scalars[m].lr_decay.powi((step / shape.lr_decay_every) as i32);
            let mut on = active[m];
            if on {
                steps[m] += 1;
                if !values[m].is_finite() {
                    let what = if values[m].is_nan() { "NaN" } else { "infinite" };
                    errors[m] =
                        Some(failed(kind, format!("training diverged at iteration {} (loss is {what})", steps[m])));
                    on = false;
                }
            }
            members.push(MemberStep { lr: scalars[m].lr * decay, active: on });
        }
        loss.sum(Kind::Float).backward();
        adam.step(&members);
        let last = step + 1 == shape.iterations;
        if let Some(v) = &validation
            && ((step + 1).is_multiple_of(shape.eval_every) || last)
        {
            let losses = eval(v);
            let mut improved = vec![false; k];
            for m in (0..k).filter(|&m| errors[m].is_none()) {
                checks[m].push(losses[m]);
                if losses[m] < best[m] {
                    best[m] = losses[m];
                    improved[m] = true;
                    kept[m] = true;
                }
            }
            if improved.iter().any(|&i| i) {
                keep(&params, &mut snapshot, &improved, device);
            }
        }
    }
    restore(&params, &snapshot, &kept, device);
    let train_rows = data.batch(&trains.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let final_train = eval(&train_rows);
    let n = jobs[0].x.size()[0] as usize;
    let everyone: Vec<usize> = (0..n).collect();
    let all = data.batch(&vec![everyone.as_slice(); k]);
    let outputs: Vec<Vec<f64>> = net.predict(&all.x).iter().map(host).collect();
    let padded = outputs.first().map_or(0, |o| o.len() / k);
    (0..k)
        .map(|m| match errors[m].take() {
            Some(e) => Err(e),
            None => Ok(NetResult {
                outputs: outputs.iter().map(|o| o[m * padded..m * padded + n].to_vec()).collect(),
                report: Report {
                    iterations: steps[m],
                    best_validation: if validate { best[m] } else { f64::NAN },
                    final_train: final_train[m],
                    initial_validation: initial[m],
                    converged: validate.then(|| converged(initial[m], &checks[m], false)),
                },
                extra: Vec::new(),
            }),
        })
        .collect()
}

pub(super) fn mask(flags: &[bool], dims: usize, device: tch::Device) -> Tensor {
    let mut shape = vec![flags.len() as i64];
    shape.extend(std::iter::repeat_n(1, dims - 1));
    let v: Vec<u8> = flags.iter().map(|&f| u8::from(f)).collect();
    Tensor::from_slice(&v).to_kind(Kind::Bool).view(shape.as_slice()).to_device(device)
}

/// Copy the improved members' parameters into the snapshot.
pub(super) fn keep(params: &[Tensor], snapshot: &mut [Tensor], improved: &[bool], device: tch::Device) {
    super::without_grad(|| {
        for (p, s) in params.iter().zip(snapshot.iter_mut()) {
            *s = p.detach().where_self(&mask(improved, p.dim(), device), s);
        }
    });
}

/// Put each kept member's snapshot back into its parameters.
pub(super) fn restore(params: &[Tensor], snapshot: &[Tensor], kept: &[bool], device: tch::Device) {
    if !kept.iter().any(|&k| k) {
        return;
    }
    super::without_grad(|| {
        for (p, s) in params.iter().zip(snapshot) {
            let value = s.where_self(&mask(kept, p.dim(), device), &p.detach());
            let mut p = p.shallow_clone();
            p.copy_(&value);
        }
    });
}
