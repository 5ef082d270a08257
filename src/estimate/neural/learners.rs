//! Meta-learners with MLPs (Künzel, Sekhon, Bickel & Yu, PNAS 2019): the S-learner
//! fits one network on (x, t) and contrasts its predictions at t = 1 and t = 0; the
//! T-learner fits one network per arm on that arm's rows.

use tch::{Kind, Tensor, nn};

use super::batch::{Batch, Prepared, Weighting};
use super::encode::Front;
use super::fit;
use super::mlp::{Init, Mlp, Mode};
use super::pack;
use super::params::LearnerParams;
use super::train::{self, Network, Report, Rows, Stage, failed};
use crate::data::Observed;
use crate::estimate::{Estimate, EstimateError, Estimator, Networks};
use crate::rng::RunRng;

/// An MLP regressing the outcome on x (and t, for the S-learner).
struct Regressor {
    vs: nn::VarStore,
    front: Front,
    mlp: Mlp,
    with_treatment: bool,
    weight_decay: f64,
}

impl Regressor {
    fn new(
        p: &LearnerParams,
        prepared: &Prepared,
        with_treatment: bool,
        rng: &mut RunRng,
    ) -> Result<Regressor, String> {
        let vs = nn::VarStore::new(prepared.device);
        let init = Init::ScaledNormal(p.schedule.weight_init);
        let front =
            Front::new(&(vs.root() / "encoder"), &prepared.names, p.encoder.as_ref(), init, rng, prepared.device)?;
        let inputs = front.out_dim + usize::from(with_treatment);
        let mlp = Mlp::new(&vs.root(), inputs, &p.layers, Some(1), init, rng)?;
        Ok(Regressor { vs, front, mlp, with_treatment, weight_decay: p.schedule.weight_decay })
    }

    fn predict(&self, x: &Tensor, t: f64) -> Tensor {
        tch::no_grad(|| {
            let x = self.front.forward(x, &mut Mode::Eval);
            let input = if self.with_treatment {
                Tensor::cat(&[x.shallow_clone(), x.ones_like().narrow(1, 0, 1) * t], 1)
            } else {
                x
            };
            self.mlp.forward(&input, &mut Mode::Eval)
        })
    }
}

impl Network for Regressor {
    fn var_store(&self) -> &nn::VarStore {
        &self.vs
    }

    fn objective(&self, b: &Batch, mode: &mut Mode) -> Tensor {
        let x = self.front.forward(&b.x, mode);
        let input = if self.with_treatment { Tensor::cat(&[x, b.t.shallow_clone()], 1) } else { x };
        (&b.y - self.mlp.forward(&input, mode)).square().mean(Kind::Float)
    }

    fn penalty(&self) -> Tensor {
        self.mlp.squared_weights() * (self.weight_decay / 2.0)
    }
}

fn rows<'a>(p: &LearnerParams, train: &'a [usize], validation: &'a [usize]) -> Rows<'a> {
    Rows { train, validation, early_stopping: p.schedule.early_stopping }
}

pub struct SLearner {
    pub params: LearnerParams,
}

impl Estimator for SLearner {
    fn estimate(&self, data: &Observed<'_>, rng: &mut RunRng) -> Result<Estimate, EstimateError> {
        if let Some(planned) = self.networks(data, rng) {
            return planned?.alone();
        }
        let split = data.split();
        let (kind, p) = ("slearner", &self.params);
        let prepared = fit::prepare(kind, data, split, p.standardize_outcome, Weighting::Uniform, p.schedule.device)?;
        let net = Regressor::new(p, &prepared, true, rng).map_err(|e| failed(kind, e))?;
        let report = train::train(
            &net,
            &prepared,
            &rows(p, &split.train, &split.validation),
            &[Stage::from_schedule(&p.schedule)],
            rng,
            kind,
        )?;
        let (mu0, mu1) = (net.predict(&prepared.x, 0.0), net.predict(&prepared.x, 1.0));
        fit::finish(kind, &prepared, split, &mu0, &mu1, &report, Vec::new())
    }

    fn pack_group(&self) -> Option<String> {
        pack::learner_group("slearner", &self.params, false)
    }

    fn networks(&self, data: &Observed<'_>, rng: &mut RunRng) -> Option<Result<Networks, EstimateError>> {
        self.pack_group()?;
        Some(pack::learner("slearner", &self.params, false, data, rng))
    }
}

pub struct TLearner {
    pub params: LearnerParams,
}

impl Estimator for TLearner {
    fn estimate(&self, data: &Observed<'_>, rng: &mut RunRng) -> Result<Estimate, EstimateError> {
        if let Some(planned) = self.networks(data, rng) {
            return planned?.alone();
        }
        let split = data.split();
        let (kind, p) = ("tlearner", &self.params);
        let prepared = fit::prepare(kind, data, split, p.standardize_outcome, Weighting::Uniform, p.schedule.device)?;
        let mut fitted = Vec::with_capacity(2);
        for arm in [false, true] {
            let (train_rows, val_rows) = arm_rows(kind, &prepared, split, arm)?;
            let net = Regressor::new(p, &prepared, false, rng).map_err(|e| failed(kind, e))?;
            let report = train::train(
                &net,
                &prepared,
                &rows(p, &train_rows, &val_rows),
                &[Stage::from_schedule(&p.schedule)],
                rng,
                kind,
            )?;
            fitted.push((net.predict(&prepared.x, 0.0), report));
        }
        let (mu1, r1) = fitted.pop().ok_or_else(|| failed(kind, "missing treated model".into()))?;
        let (mu0, r0) = fitted.pop().ok_or_else(|| failed(kind, "missing control model".into()))?;
        fit::finish(kind, &prepared, split, &mu0, &mu1, &combine(&r0, &r1), Vec::new())
    }

    fn pack_group(&self) -> Option<String> {
        pack::learner_group("tlearner", &self.params, true)
    }

    fn networks(&self, data: &Observed<'_>, rng: &mut RunRng) -> Option<Result<Networks, EstimateError>> {
        self.pack_group()?;
        Some(pack::learner("tlearner", &self.params, true, data, rng))
    }
}

/// The training and validation rows of one arm, or why the T-learner cannot fit it.
pub(super) fn arm_rows(
    kind: &str,
    prepared: &Prepared,
    split: &crate::data::Split,
    arm: bool,
) -> Result<(Vec<usize>, Vec<usize>), EstimateError> {
    let of_arm = |rows: &[usize]| rows.iter().copied().filter(|&i| prepared.is_treated(i) == arm).collect::<Vec<_>>();
    let (train, validation) = (of_arm(&split.train), of_arm(&split.validation));
    if train.len() < 2 {
        return Err(failed(
            kind,
            format!("needs at least 2 training rows in each arm, the {} arm has {}", arm_name(arm), train.len()),
        ));
    }
    Ok((train, validation))
}

fn arm_name(treated: bool) -> &'static str {
    if treated { "treated" } else { "control" }
}

/// Both arms' reports as one: steps add up, losses average.
pub(super) fn combine(a: &Report, b: &Report) -> Report {
    Report {
        iterations: a.iterations + b.iterations,
        best_validation: (a.best_validation + b.best_validation) / 2.0,
        final_train: (a.final_train + b.final_train) / 2.0,
        initial_validation: (a.initial_validation + b.initial_validation) / 2.0,
        // Both arms must have converged.
        converged: match (a.converged, b.converged) {
            (Some(x), Some(y)) => Some(x && y),
            (x, y) => x.or(y),
        },
    }
}

/// The `slearner` kind, for the estimator registry.
pub static SLEARNER: crate::estimate::registry::Kind = crate::estimate::registry::Kind {
    name: "slearner",
    summary: "S-learner: one MLP on (x, t), contrasted at t = 1 and t = 0 (Künzel et al., PNAS 2019).",
    role: crate::estimate::registry::Role::Backdoor,
    version: super::PACKED_VERSION,
    uses_libtorch: true,
    resolve: super::params::resolve::<LearnerParams>,
    late_defaults: <LearnerParams as super::params::Checked>::late_defaults,
    build: |kind, p| Ok(Box::new(SLearner { params: super::params::parse(kind, p)? })),
};

/// The `tlearner` kind, for the estimator registry.
pub static TLEARNER: crate::estimate::registry::Kind = crate::estimate::registry::Kind {
    name: "tlearner",
    summary: "T-learner: one MLP per arm, each on its arm's rows (Künzel et al., PNAS 2019).",
    role: crate::estimate::registry::Role::Backdoor,
    version: super::PACKED_VERSION,
    uses_libtorch: true,
    resolve: super::params::resolve::<LearnerParams>,
    late_defaults: <LearnerParams as super::params::Checked>::late_defaults,
    build: |kind, p| Ok(Box::new(TLearner { params: super::params::parse(kind, p)? })),
};
