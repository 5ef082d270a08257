//! CRN's training loop, as CT's Lightning setup runs it: epochs over the
//! shuffled rows with the last incomplete minibatch dropped, one Adam optimiser
//! for the whole network (the treatment classifier included: the reversal
//! layer alone makes the game adversarial), the gradient-reversal scale raised
//! at every epoch, and fresh variational dropout masks for every minibatch.
//! Optionally (not CT's default) early stopping on the validation units'
//! outcome error.

use rand::seq::SliceRandom;
use tch::Tensor;
use tch::nn::{self, OptimizerConfig};

use super::data::Sequences;
use super::net::Net;
use super::params::AlphaRate;
use crate::estimate::EstimateError;
use crate::rng::RunRng;

pub(super) struct Schedule {
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
    pub dropout: f64,
    pub alpha: f64,
    pub rate: AlphaRate,
    pub early_stopping: bool,
    pub patience: usize,
}

impl Schedule {
    /// The reversal scale during epoch `epoch` (0-based): CT's `AlphaRise` sets it
    /// at the end of each epoch from the share of epochs done, starting at 0.
    pub fn alpha(&self, epoch: usize) -> f64 {
        let p = epoch as f64 / self.epochs as f64;
        match self.rate {
            AlphaRate::Exp => (2.0 / (1.0 + (-10.0 * p).exp()) - 1.0) * self.alpha,
            AlphaRate::Lin => p * self.alpha,
        }
    }
}

/// What training reports for the diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Report {
    pub epochs: usize,
    /// Mean training loss (cross-entropy plus squared error) over the last epoch's minibatches.
    pub train_loss: f64,
    /// Root mean squared outcome error on the validation rows with the kept
    /// parameters, in standard deviations of the outcome; NaN without validation rows.
    pub validation_rmse: f64,
    /// The validation RMSE after each epoch, when early stopping watches it.
    pub checks: Vec<f64>,
}

/// Rows per evaluation pass (bounds memory, not the result).
const EVAL_ROWS: usize = 1024;

pub(super) fn train(
    kind: &str,
    net: &Net,
    train: &Sequences,
    validation: Option<&Sequences>,
    s: &Schedule,
    rng: &mut RunRng,
) -> Result<Report, EstimateError> {
    let failed = |m: String| EstimateError::failed(kind, m);
    let device = net.vs.device();
    let mut opt = nn::Adam::default().build(&net.vs, s.lr).map_err(|e| failed(e.to_string()))?;
    let rows = train.rows();
    if rows == 0 {
        return Err(failed("no training rows".into()));
    }
    // CT drops the last incomplete minibatch; a batch larger than the data is cut
    // to the data, so that a small panel still trains.
    let batch = s.batch.min(rows);
    let mut order: Vec<usize> = (0..rows).collect();
    let validation = validation.filter(|v| v.rows() > 0);
    let (mut best, mut stale, mut snapshot) = (f64::INFINITY, 0usize, None);
    let (mut epochs, mut train_loss, mut checks) = (0, f64::NAN, Vec::new());
    for epoch in 0..s.epochs {
        let alpha = s.alpha(epoch);
        order.shuffle(rng);
        let (mut sum, mut steps) = (0.0, 0usize);
        for chunk in order.chunks_exact(batch) {
            let masks = net.masks(chunk.len(), s.dropout, rng);
            let losses = net.losses(&train.batch(chunk, device), alpha, masks.as_deref());
            let value = losses.total.double_value(&[]);
            if !value.is_finite() {
                return Err(failed(format!("training diverged in epoch {} (the loss is {value})", epoch + 1)));
            }
            opt.backward_step(&losses.total);
            sum += value;
            steps += 1;
        }
        epochs = epoch + 1;
        train_loss = sum / steps as f64;
        if let (true, Some(v)) = (s.early_stopping, validation) {
            let rmse = evaluate(net, v);
            checks.push(rmse);
            if rmse < best {
                (best, stale) = (rmse, 0);
                snapshot = Some(copy(&net.vs));
            } else {
                stale += 1;
                if stale >= s.patience {
                    break;
                }
            }
        }
    }
    if let Some(saved) = snapshot {
        tch::no_grad(|| {
            for (mut var, value) in net.vs.trainable_variables().into_iter().zip(&saved) {
                var.copy_(value);
            }
        });
    }
    let validation_rmse = validation.map_or(f64::NAN, |v| evaluate(net, v));
    Ok(Report { epochs, train_loss, validation_rmse, checks })
}

fn copy(vs: &nn::VarStore) -> Vec<Tensor> {
    vs.trainable_variables().iter().map(|t| t.detach().copy()).collect()
}

/// Root mean squared outcome error over every active position of `rows`
/// (standardised units), without dropout.
pub(super) fn evaluate(net: &Net, rows: &Sequences) -> f64 {
    let all: Vec<usize> = (0..rows.rows()).collect();
    let (mut sum, mut count) = (0.0, 0.0);
    tch::no_grad(|| {
        for chunk in all.chunks(EVAL_ROWS) {
            let batch = rows.batch(chunk, net.vs.device());
            sum += net.losses(&batch, 0.0, None).squared_error.double_value(&[]);
            count += batch.count;
        }
    });
    (sum / count).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reversal_scale_rises_from_zero_as_cts_alpha_rise() {
        let s = |rate| Schedule {
            epochs: 100,
            batch: 1,
            lr: 1e-3,
            dropout: 0.0,
            alpha: 2.0,
            rate,
            early_stopping: false,
            patience: 1,
        };
        let exp = s(AlphaRate::Exp);
        assert_eq!(exp.alpha(0), 0.0);
        // After 10 of 100 epochs: 2 / (1 + e^-1) - 1 = 0.4621, times alpha 2.
        assert!((exp.alpha(10) - 2.0 * 0.462_117_157_260_009_8).abs() < 1e-12);
        assert!(exp.alpha(99) > 1.99 && exp.alpha(99) < 2.0);
        assert!((s(AlphaRate::Lin).alpha(25) - 0.5).abs() < 1e-15);
    }
}
