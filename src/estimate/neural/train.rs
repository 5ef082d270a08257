//! One training loop for every network: stages of an optimiser with a learning-rate
//! schedule, minibatches drawn from the run's RNG, validation checks that keep the
//! best parameters (early stopping), and divergence turned into an error.

use rand::seq::SliceRandom;
use rand::seq::index;
use tch::Tensor;
use tch::nn::{self, OptimizerConfig};

use super::batch::{Batch, Prepared};
use super::mlp::Mode;
use super::params::Schedule;
use crate::estimate::EstimateError;
use crate::rng::RunRng;

/// A network the loop can train.
pub trait Network {
    fn var_store(&self) -> &nn::VarStore;
    /// The method's objective on a batch (factual loss and its own regularisers),
    /// without weight decay.
    fn objective(&self, batch: &Batch, mode: &mut Mode) -> Tensor;
    /// Weight decay, added to the objective while training.
    fn penalty(&self) -> Tensor;
    /// Factor turning an objective over `rows` rows into a per-row figure for the
    /// diagnostics (1 for mean-reduced objectives).
    fn per_row(&self, _rows: usize) -> f64 {
        1.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Optimizer {
    Adam,
    Nesterov { momentum: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Length {
    /// Steps on minibatches drawn afresh (without replacement) each step, checked
    /// on the validation rows every `eval_every` steps (cfrnet's loop).
    Iterations { steps: usize, eval_every: usize },
    /// Passes over the shuffled training rows, checked after each (Keras' `fit`).
    Epochs(usize),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LrSchedule {
    /// lr * decay^floor(step / every) (TensorFlow's staircase `exponential_decay`).
    Staircase { decay: f64, every: usize },
    /// Multiply by `factor` after `patience` epochs without a lower training loss
    /// (Keras' `ReduceLROnPlateau`).
    Plateau { factor: f64, patience: usize },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    pub optimizer: Optimizer,
    pub lr: f64,
    pub batch: usize,
    pub length: Length,
    pub schedule: LrSchedule,
    /// Stop after this many validation checks without improvement.
    pub patience: Option<usize>,
}

impl Stage {
    /// The single Adam stage of cfrnet, from the shared schedule parameters.
    pub fn from_schedule(s: &Schedule) -> Stage {
        Stage {
            optimizer: Optimizer::Adam,
            lr: s.lr,
            batch: s.batch,
            length: Length::Iterations { steps: s.iterations, eval_every: s.eval_every },
            schedule: LrSchedule::Staircase { decay: s.lr_decay, every: s.lr_decay_every },
            patience: None,
        }
    }
}

/// Which rows train and which select the model.
pub struct Rows<'a> {
    pub train: &'a [usize],
    pub validation: &'a [usize],
    pub early_stopping: bool,
}

/// What training reports for the diagnostics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Report {
    pub iterations: usize,
    /// Best per-row validation objective; NaN without validation rows.
    pub best_validation: f64,
    /// Per-row objective on the training rows with the kept parameters.
    pub final_train: f64,
    /// Per-row validation objective of the initial parameters; NaN without validation rows.
    pub initial_validation: f64,
    /// By the validation checks (`converged`); None without validation rows.
    pub converged: Option<bool>,
}

impl Report {
    pub fn diagnostics(&self) -> Vec<(String, f64)> {
        let mut out = vec![
            ("iterations".to_string(), self.iterations as f64),
            ("best_validation_loss".to_string(), self.best_validation),
            ("final_train_loss".to_string(), self.final_train),
            ("initial_validation_loss".to_string(), self.initial_validation),
        ];
        if let Some(c) = self.converged {
            out.push(("converged".to_string(), if c { 1.0 } else { 0.0 }));
        }
        out
    }
}

/// The share of the validation checks, at the end, that `converged` looks at.
const FINAL_SHARE: f64 = 0.2;
/// A relative change of the validation loss below this counts as none.
const FLAT: f64 = 0.01;

/// Whether training converged by its own validation checks: false when the best
/// validation loss is within 1% of the initial parameters' (the network learned
/// nothing: too few steps, too small a learning rate, an outcome far from the
/// initial output), or when the loss still fell by more than 1% over the final
/// fifth of the checks (it was stopped while still improving). A run that early
/// stopping ended on its patience converged by that rule's own judgement.
pub fn converged(initial: f64, checks: &[f64], stopped_early: bool) -> bool {
    let best = checks.iter().copied().fold(f64::INFINITY, f64::min);
    // Written so that a NaN loss counts as not improved.
    let improved = initial - best > FLAT * initial.abs();
    if !improved {
        return false;
    }
    if stopped_early || checks.len() < 5 {
        return true;
    }
    let cut = checks.len() - ((checks.len() as f64 * FINAL_SHARE).ceil() as usize).max(1);
    let before = checks[..cut].iter().copied().fold(initial, f64::min);
    let after = checks[cut..].iter().copied().fold(f64::INFINITY, f64::min);
    before - after <= FLAT * before.abs()
}

/// Train `net` through `stages`; the parameters left in its VarStore are the best
/// seen on the validation rows (or the last ones without early stopping).
pub fn train(
    net: &dyn Network,
    data: &Prepared,
    rows: &Rows,
    stages: &[Stage],
    rng: &mut RunRng,
    kind: &str,
) -> Result<Report, EstimateError> {
    let validate = rows.early_stopping && !rows.validation.is_empty();
    let validation = validate.then(|| data.batch(rows.validation));
    // Evaluation draws nothing from the RNG, so this check moves no number.
    let initial =
        validation.as_ref().map_or(f64::NAN, |v| tch::no_grad(|| net.objective(v, &mut Mode::Eval).double_value(&[])));
    let mut state =
        State { kind, step: 0, best: f64::INFINITY, snapshot: None, checks: Vec::new(), stopped_early: false };
    for stage in stages {
        run_stage(net, data, rows.train, validation.as_ref(), stage, &mut state, rng)?;
        if let Some(snapshot) = &state.snapshot {
            restore(net.var_store(), snapshot);
        }
    }
    let train_batch = data.batch(rows.train);
    let final_train =
        tch::no_grad(|| net.objective(&train_batch, &mut Mode::Eval).double_value(&[])) * net.per_row(rows.train.len());
    let per_row = net.per_row(rows.validation.len());
    let best_validation = if validate { state.best * per_row } else { f64::NAN };
    let converged = validate.then(|| converged(initial, &state.checks, state.stopped_early));
    Ok(Report {
        iterations: state.step,
        best_validation,
        final_train,
        initial_validation: initial * per_row,
        converged,
    })
}

struct State<'a> {
    kind: &'a str,
    /// Gradient steps taken over all stages.
    step: usize,
    best: f64,
    snapshot: Option<Vec<Tensor>>,
    /// The validation objective at every check, in order, over all stages.
    checks: Vec<f64>,
    /// A stage ended on its patience.
    stopped_early: bool,
}

fn run_stage(
    net: &dyn Network,
    data: &Prepared,
    train: &[usize],
    validation: Option<&Batch>,
    stage: &Stage,
    state: &mut State,
    rng: &mut RunRng,
) -> Result<(), EstimateError> {
    let mut opt = build_optimizer(net.var_store(), stage).map_err(|e| failed(state.kind, e.to_string()))?;
    let mut lr = stage.lr;
    let mut plateau = Plateau::new();
    let mut stale = 0usize;
    let batch = stage.batch.min(train.len());
    let (epochs, steps_per_epoch, eval_every) = match stage.length {
        Length::Iterations { steps, eval_every } => (1, steps, eval_every),
        Length::Epochs(n) => (n, train.len().div_ceil(batch), usize::MAX),
    };
    let mut order = train.to_vec();
    let mut stage_step = 0usize;
    for _ in 0..epochs {
        if let Length::Epochs(_) = stage.length {
            order.shuffle(rng);
        }
        let mut epoch_loss = 0.0;
        for k in 0..steps_per_epoch {
            let rows = match stage.length {
                Length::Iterations { .. } => {
                    index::sample(rng, train.len(), batch).into_iter().map(|i| train[i]).collect()
                }
                Length::Epochs(_) => order[k * batch..((k + 1) * batch).min(order.len())].to_vec(),
            };
            if let LrSchedule::Staircase { decay, every } = stage.schedule {
                opt.set_lr(stage.lr * decay.powi((stage_step / every) as i32));
            }
            epoch_loss += step(net, &mut opt, &data.batch(&rows), state, rng)?;
            stage_step += 1;
            let last = k + 1 == steps_per_epoch;
            let check =
                (stage_step.is_multiple_of(eval_every) || last) && matches!(stage.length, Length::Iterations { .. });
            if check && let Some(v) = validation {
                stale = if improve(net, v, state) { 0 } else { stale + 1 };
                if out_of_patience(stage, stale) {
                    state.stopped_early = true;
                    return Ok(());
                }
            }
        }
        if let Length::Epochs(_) = stage.length {
            if let LrSchedule::Plateau { factor, patience } = stage.schedule
                && plateau.stalled(epoch_loss / steps_per_epoch as f64, patience)
            {
                lr *= factor;
                opt.set_lr(lr);
            }
            if let Some(v) = validation {
                stale = if improve(net, v, state) { 0 } else { stale + 1 };
            }
        }
        if out_of_patience(stage, stale) {
            state.stopped_early = true;
            break;
        }
    }
    Ok(())
}

fn out_of_patience(stage: &Stage, stale_checks: usize) -> bool {
    stage.patience.is_some_and(|p| stale_checks >= p)
}

/// One gradient step; returns the training loss of the batch.
fn step(
    net: &dyn Network,
    opt: &mut nn::Optimizer,
    batch: &Batch,
    state: &mut State,
    rng: &mut RunRng,
) -> Result<f64, EstimateError> {
    state.step += 1;
    let loss = net.objective(batch, &mut Mode::Train(rng)) + net.penalty();
    let value = loss.double_value(&[]);
    if !value.is_finite() {
        let what = if value.is_nan() { "NaN" } else { "infinite" };
        return Err(failed(state.kind, format!("training diverged at iteration {} (loss is {what})", state.step)));
    }
    opt.backward_step(&loss);
    Ok(value)
}

/// Check the validation objective; keep a copy of the parameters if it improved.
fn improve(net: &dyn Network, validation: &Batch, state: &mut State) -> bool {
    let loss = tch::no_grad(|| net.objective(validation, &mut Mode::Eval).double_value(&[]));
    state.checks.push(loss);
    if loss < state.best {
        state.best = loss;
        state.snapshot = Some(net.var_store().trainable_variables().iter().map(|t| t.detach().copy()).collect());
        true
    } else {
        false
    }
}

fn restore(vs: &nn::VarStore, snapshot: &[Tensor]) {
    tch::no_grad(|| {
        for (mut var, saved) in vs.trainable_variables().into_iter().zip(snapshot) {
            var.copy_(saved);
        }
    });
}

/// Keras' `ReduceLROnPlateau` state; the packed DragonNet keeps one per member.
pub(super) struct Plateau {
    best: f64,
    wait: usize,
}

impl Plateau {
    pub(super) fn new() -> Plateau {
        Plateau { best: f64::INFINITY, wait: 0 }
    }

    /// Record an epoch's loss; true when the rate should drop now.
    pub(super) fn stalled(&mut self, loss: f64, patience: usize) -> bool {
        if loss < self.best {
            self.best = loss;
            self.wait = 0;
            return false;
        }
        self.wait += 1;
        if self.wait >= patience {
            self.wait = 0;
            return true;
        }
        false
    }
}

fn build_optimizer(vs: &nn::VarStore, stage: &Stage) -> Result<nn::Optimizer, tch::TchError> {
    match stage.optimizer {
        Optimizer::Adam => nn::Adam::default().build(vs, stage.lr),
        Optimizer::Nesterov { momentum } => {
            nn::Sgd { momentum, dampening: 0.0, wd: 0.0, nesterov: true }.build(vs, stage.lr)
        }
    }
}

pub fn failed(kind: &str, message: String) -> EstimateError {
    EstimateError::Failed { kind: kind.to_string(), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convergence_by_the_validation_checks() {
        let falling: Vec<f64> = (0..20).map(|i| 10.0 - i as f64 * 0.4).collect();
        let flat: Vec<f64> = (0..20).map(|i| 2.0 + 1.0 / (1.0 + i as f64).powi(4)).collect();
        // Learned and levelled off.
        assert!(converged(10.0, &flat, false));
        // Still falling steeply at the end.
        assert!(!converged(10.5, &falling, false));
        // ...unless patience judged it done.
        assert!(converged(10.5, &falling, true));
        // Barely moved from the initial loss.
        assert!(!converged(2.01, &flat, false));
        assert!(!converged(1.0, &[1.5, 1.2], true));
        assert!(converged(3.0, &[1.5, 1.2], false));
    }
    use crate::data::{CausalData, Truth};
    use crate::estimate::neural::batch::Weighting;
    use crate::estimate::neural::layers::{Activation, LayerSpec};
    use crate::estimate::neural::mlp::{Init, Mlp};
    use rand::SeedableRng;
    use tch::Kind;

    /// y = x + noise, fitted by a small MLP with mean squared error.
    struct Line {
        vs: nn::VarStore,
        mlp: Mlp,
    }

    impl Network for Line {
        fn var_store(&self) -> &nn::VarStore {
            &self.vs
        }
        fn objective(&self, b: &Batch, mode: &mut Mode) -> Tensor {
            (&b.y - self.mlp.forward(&b.x, mode)).square().mean(Kind::Float)
        }
        fn penalty(&self) -> Tensor {
            self.mlp.squared_weights() * 0.0
        }
    }

    fn fixture() -> (Prepared, Line) {
        let x: Vec<f64> = (0..60).map(|i| i as f64 / 30.0 - 1.0).collect();
        let y: Vec<f64> = x.iter().enumerate().map(|(i, v)| v + if i % 2 == 0 { 0.3 } else { -0.3 }).collect();
        let data = CausalData {
            covariate_names: vec!["x".into()],
            covariates: vec![x],
            treatment: vec![0.0; 60],
            outcome: y,
            truth: Truth::None,
        };
        let train: Vec<usize> = (0..40).collect();
        let split = crate::data::Split { train: train.clone(), validation: (40..60).collect(), test: vec![] };
        let prepared = Prepared::new(&data.observed(&split), &train, false, Weighting::Uniform, tch::Device::Cpu);
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let spec = [LayerSpec::Dense { units: 8, activation: Activation::Tanh }];
        let mlp =
            Mlp::new(&vs.root(), 1, &spec, Some(1), Init::ScaledNormal(1.0), &mut RunRng::seed_from_u64(1)).unwrap();
        (prepared, Line { vs, mlp })
    }

    fn stage(lr: f64) -> Stage {
        Stage {
            optimizer: Optimizer::Adam,
            lr,
            batch: 10,
            length: Length::Iterations { steps: 200, eval_every: 7 },
            schedule: LrSchedule::Staircase { decay: 0.9, every: 50 },
            patience: None,
        }
    }

    #[test]
    fn early_stopping_keeps_the_best_validation_parameters() {
        let (prepared, net) = fixture();
        let (train_rows, val_rows): (Vec<usize>, Vec<usize>) = ((0..40).collect(), (40..60).collect());
        let rows = Rows { train: &train_rows, validation: &val_rows, early_stopping: true };
        // A rate high enough that the validation loss bounces around.
        let report = train(&net, &prepared, &rows, &[stage(0.3)], &mut RunRng::seed_from_u64(2), "test").unwrap();
        let val = prepared.batch(&val_rows);
        let now = tch::no_grad(|| net.objective(&val, &mut Mode::Eval).double_value(&[]));
        assert_eq!(report.iterations, 200);
        assert!((now - report.best_validation).abs() < 1e-9, "kept {now}, best {}", report.best_validation);
    }

    #[test]
    fn without_validation_there_is_no_best_loss() {
        let (prepared, net) = fixture();
        let train_rows: Vec<usize> = (0..40).collect();
        let rows = Rows { train: &train_rows, validation: &[], early_stopping: true };
        let report = train(&net, &prepared, &rows, &[stage(0.01)], &mut RunRng::seed_from_u64(2), "test").unwrap();
        assert!(report.best_validation.is_nan());
        // Noise is ±0.3, so a fitted line has a training MSE near 0.09.
        assert!(report.final_train < 0.15, "{}", report.final_train);
    }

    #[test]
    fn epochs_cover_the_rows_and_patience_stops_early() {
        let (prepared, net) = fixture();
        let (train_rows, val_rows): (Vec<usize>, Vec<usize>) = ((0..40).collect(), (40..60).collect());
        let rows = Rows { train: &train_rows, validation: &val_rows, early_stopping: true };
        let s = Stage {
            length: Length::Epochs(1000),
            patience: Some(3),
            schedule: LrSchedule::Plateau { factor: 0.5, patience: 2 },
            ..stage(0.05)
        };
        let report = train(&net, &prepared, &rows, &[s], &mut RunRng::seed_from_u64(2), "test").unwrap();
        // 40 rows in batches of 10: whole epochs of 4 steps, stopped long before 1000.
        assert_eq!(report.iterations % 4, 0);
        assert!(report.iterations < 4000, "{}", report.iterations);
    }

    #[test]
    fn patience_also_stops_iteration_stages() {
        let (prepared, net) = fixture();
        let (train_rows, val_rows): (Vec<usize>, Vec<usize>) = ((0..40).collect(), (40..60).collect());
        let rows = Rows { train: &train_rows, validation: &val_rows, early_stopping: true };
        let s = Stage { length: Length::Iterations { steps: 100_000, eval_every: 5 }, patience: Some(3), ..stage(0.3) };
        let report = train(&net, &prepared, &rows, &[s], &mut RunRng::seed_from_u64(2), "test").unwrap();
        assert_eq!(report.iterations % 5, 0);
        assert!(report.iterations < 100_000, "{}", report.iterations);
    }

    #[test]
    fn plateau_waits_then_fires_and_resets() {
        let mut p = Plateau { best: f64::INFINITY, wait: 0 };
        let fired: Vec<bool> = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8].iter().map(|&l| p.stalled(l, 2)).collect();
        assert_eq!(fired, vec![false, false, false, true, false, true, false]);
    }
}
